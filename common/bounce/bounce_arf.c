/*++
 * NAME
 *	bounce_arf 3
 * SUMMARY
 *	RFC 5965 complaint reports
 * DESCRIPTION
 *	bounce_arf_parse() reads a message/feedback-report part: every
 *	Original-Rcpt-To field names a complaining recipient; without one
 *	the recipients of the returned message are used, and failing that
 *	Removal-Recipient. Each gets reason "feedback" and the report's
 *	Feedback-Type. A report that names nobody still yields one entry
 *	without an address, so the complaint is not lost.
 * DIAGNOSTICS
 *	None.
 *--*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include <string.h>

#include "bounce_format.h"
#include "bounce_int.h"
#include "libbase.h"

/* bounce_arf_each - call fn for every value of a field in a block */
static void
bounce_arf_each(struct bounce_msg *m, const char *text, const char *name,
    void (*fn)(struct bounce_msg *, const char *))
{
	size_t	 n = strlen(name);

	for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		p += *p == '\n';
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *eol = strchr(p, '\n');
			char	*v = xstrndup(p + n + 1, eol != NULL ?
			    (size_t)(eol - p - n - 1) : strlen(p + n + 1));

			fn(m, v);
			free(v);
		}
	}
}

/* bounce_arf_add - add the addresses of one field value */
static void
bounce_arf_add(struct bounce_msg *m, const char *v)
{
	const char *p = v, *a, *end = v + strlen(v);
	size_t	 len;

	while ((a = bounce_scan_next_addr(p, end, &len)) != NULL) {
		char	*addr = xstrndup(a, len);

		bg_lowercase(addr);
		if (bounce_rcpt_find(m, addr) == NULL)
			(void)bounce_rcpt_add(m, addr);
		free(addr);
		p = a + len;
	}
}

/* bounce_arf_is_jmrp - a Microsoft JMRP report (no feedback part) */
bool
bounce_arf_is_jmrp(const struct bounce_msg *m)
{
	char	*v = m->orig.data != NULL ?
	    bounce_scan_header(m->orig.data, "X-HmXmrOriginalRecipient") : NULL;

	free(v);
	return v != NULL;
}

/* bounce_arf_parse - the complaining recipients of an ARF report */
void
bounce_arf_parse(struct bounce_msg *m)
{
	const char *arf = m->arf.len > 0 ? m->arf.data : "";
	char	*type = m->has_arf ? bounce_scan_header(arf, "Feedback-Type") :
	    xstrdup("abuse");
	char	*mta = bounce_scan_header(arf, "Reporting-MTA");

	bounce_arf_each(m, arf, "Original-Rcpt-To", bounce_arf_add);
	if (m->res->nrcpt == 0 && m->orig.data != NULL)
		bounce_arf_each(m, m->orig.data, "X-HmXmrOriginalRecipient",
		    bounce_arf_add);
	if (m->res->nrcpt == 0 && m->orig.data != NULL)
		bounce_arf_each(m, m->orig.data, "To", bounce_arf_add);
	if (m->res->nrcpt == 0)
		bounce_arf_each(m, arf, "Removal-Recipient", bounce_arf_add);
	if (m->res->nrcpt == 0)
		(void)bounce_rcpt_add(m, NULL);
	m->res->kind = BOUNCE_ARF;
	for (size_t i = 0; i < m->res->nrcpt; i++) {
		struct bounce_rcpt *r = &m->res->rcpt[i];

		if (type != NULL) {
			r->feedback_type = xstrdup(type);
			bg_lowercase(r->feedback_type);
		}
		r->reporting_mta = mta != NULL ? xstrdup(mta) : NULL;
	}
	free(type);
	free(mta);
}
