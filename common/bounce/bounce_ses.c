/*++
 * NAME
 *	bounce_ses 3
 * SUMMARY
 *	Amazon SES notifications delivered by e-mail
 * DESCRIPTION
 *	Amazon SES can send its bounce, complaint and delivery events as
 *	JSON in the body of a mail (directly or wrapped, string-escaped,
 *	in an SNS envelope). bounce_ses_looks_like() spots the JSON;
 *	bounce_ses_parse() reads bouncedRecipients (with action, status
 *	and diagnosticCode), complainedRecipients (a complaint, kind ARF)
 *	or the delivery recipients (delivered).
 *
 *	This is a tolerant key scanner, not a JSON parser: it needs the
 *	few string members above and ignores everything else.
 * DIAGNOSTICS
 *	None; malformed JSON yields fewer recipients.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce_format.h"
#include "bounce_int.h"
#include "libbase.h"

/* bounce_ses_looks_like - the body carries an SES notification */
bool
bounce_ses_looks_like(const char *body)
{
	return body != NULL && strstr(body, "notificationType") != NULL &&
	    strstr(body, "amazonses") != NULL;
}

/* bounce_ses_unescape - the body with \" made " (SNS wrapping) */
static char *
bounce_ses_unescape(const char *s)
{
	char	*out = xmalloc(strlen(s) + 1), *o = out;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] == '"')
			s++;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* bounce_ses_value - the string value of "key" in [p, end), or NULL */
static char *
bounce_ses_value(const char *p, const char *end, const char *key)
{
	char	 pat[64];
	const char *k, *v, *q;

	if (snprintf(pat, sizeof(pat), "\"%s\"", key) >= (int)sizeof(pat) ||
	    end <= p || (k = memmem(p, (size_t)(end - p), pat,
	    strlen(pat))) == NULL)
		return NULL;
	v = k + strlen(pat);
	v += strspn(v, " \t\n:");
	if (*v++ != '"')
		return NULL;
	for (q = v; *q != '\0' && *q != '"'; q++)
		if (*q == '\\' && q[1] != '\0')
			q++;
	return bounce_scan_collapse(v, (size_t)(q - v), 4096);
}

/* bounce_ses_array - the extent of the array value of "key" */
static const char *
bounce_ses_array(const char *p, const char *key, const char **end)
{
	char	 pat[64];
	const char *a;

	if (snprintf(pat, sizeof(pat), "\"%s\"", key) >= (int)sizeof(pat) ||
	    (a = strstr(p, pat)) == NULL || (a = strchr(a, '[')) == NULL ||
	    (*end = strchr(a, ']')) == NULL)
		return NULL;
	return a;
}

/* bounce_ses_untyped - a value without its "smtp;" or "dsn;" type */
static char *
bounce_ses_untyped(const char *p, const char *end, const char *key)
{
	char	*v = bounce_ses_value(p, end, key), *out;
	const char *semi = v != NULL ? strchr(v, ';') : NULL;

	if (semi == NULL || semi - v > 16 || memchr(v, ' ', (size_t)(semi - v)))
		return v;
	out = bounce_scan_collapse(semi + 1, strlen(semi + 1), 4096);
	free(v);
	return out;
}

/* bounce_ses_rcpt - one recipient object in [p, end) */
static void
bounce_ses_rcpt(struct bounce_msg *m, const char *p, const char *end,
    const char *mta)
{
	char	*addr = bounce_ses_value(p, end, "emailAddress");
	struct bounce_rcpt *r;

	if (addr != NULL) {
		bg_lowercase(addr);
		if ((r = bounce_rcpt_add(m, addr)) != NULL) {
			r->action = bounce_ses_value(p, end, "action");
			r->status = bounce_ses_value(p, end, "status");
			r->diagnostic = bounce_ses_untyped(p, end,
			    "diagnosticCode");
			r->reporting_mta = mta != NULL ? xstrdup(mta) : NULL;
			r->mode = BOUNCE_MODE_ASYNC;
		}
	}
	free(addr);
}

/* bounce_ses_objects - every object of an array */
static void
bounce_ses_objects(struct bounce_msg *m, const char *a, const char *end,
    const char *mta)
{
	const char *o;

	while ((o = memchr(a, '{', (size_t)(end - a))) != NULL) {
		const char *c = memchr(o, '}', (size_t)(end - o));

		if (c == NULL)
			break;
		bounce_ses_rcpt(m, o, c, mta);
		a = c + 1;
	}
}

/* bounce_ses_delivery - the recipients of a Delivery event */
static void
bounce_ses_delivery(struct bounce_msg *m, const char *json)
{
	const char *d = strstr(json, "\"delivery\""), *a, *end;
	char	*resp;

	if (d == NULL || (a = bounce_ses_array(d, "recipients", &end)) == NULL)
		return;
	resp = bounce_ses_value(d, d + strlen(d), "smtpResponse");
	for (const char *p = a; p < end; p++) {
		size_t	 len;
		const char *addr = bounce_scan_next_addr(p, end, &len);
		struct bounce_rcpt *r;
		char	*s;

		if (addr == NULL)
			break;
		s = xstrndup(addr, len);
		bg_lowercase(s);
		if ((r = bounce_rcpt_add(m, s)) != NULL) {
			r->action = xstrdup("delivered");
			r->diagnostic = resp != NULL ? xstrdup(resp) : NULL;
		}
		free(s);
		p = addr + len;
	}
	free(resp);
}

/* bounce_ses_complaint - the recipients of a Complaint event */
static void
bounce_ses_complaint(struct bounce_msg *m, const char *json, const char *a,
    const char *end)
{
	char	*fb = bounce_ses_value(json, json + strlen(json),
	    "complaintFeedbackType");

	bounce_ses_objects(m, a, end, NULL);
	m->res->kind = BOUNCE_ARF;
	for (size_t i = 0; i < m->res->nrcpt; i++) {
		m->res->rcpt[i].mode = BOUNCE_MODE_NONE;
		if (fb != NULL)
			m->res->rcpt[i].feedback_type = xstrdup(fb);
	}
	free(fb);
}

/* bounce_ses_parse - the recipients of an SES notification */
void
bounce_ses_parse(struct bounce_msg *m)
{
	char	*json = bounce_ses_unescape(m->body.data);
	char	*type = bounce_ses_value(json, json + strlen(json),
	    "notificationType");
	char	*mta = bounce_ses_untyped(json, json + strlen(json),
	    "reportingMTA");
	const char *a, *end;

	if (type != NULL && strcmp(type, "Bounce") == 0 &&
	    (a = bounce_ses_array(json, "bouncedRecipients", &end)) != NULL) {
		bounce_ses_objects(m, a, end, mta);
		m->res->kind = BOUNCE_DSN;
	} else if (type != NULL && strcmp(type, "Complaint") == 0 &&
	    (a = bounce_ses_array(json, "complainedRecipients", &end)) != NULL) {
		bounce_ses_complaint(m, json, a, end);
	} else if (type != NULL && strcmp(type, "Delivery") == 0) {
		bounce_ses_delivery(m, json);
		m->res->kind = BOUNCE_DSN;
	}
	free(type);
	free(mta);
	free(json);
}
