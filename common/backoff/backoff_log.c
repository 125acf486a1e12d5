/*++
 * NAME
 *	backoff_log 3
 * SUMMARY
 *	Postfix smtp(8) delivery lines, and which deferrals are signals
 * DESCRIPTION
 *	backoff_parse_line() takes one line of the mail log, in any of
 *	the timestamp forms of syslog and of Postfix's own maillog_file
 *	(the header is skipped up to the program tag), and fills in what
 *	a delivery line of smtp(8) says:
 *
 *	... postfix/smtp[PID]: QUEUEID: to=<ADDR>, relay=..., dsn=4.7.0,
 *	    status=deferred (host H[IP] said: 421 4.7.0 TEXT (in reply
 *	    to RCPT TO command))
 *
 *	Most lines of a busy log are something else; the test for the
 *	"/smtp[" tag comes first and is all that they cost.
 *
 *	backoff_is_signal() classifies the reply of a deferral with the
 *	rules (as a delayed recipient, with its status, reply code and
 *	refused command) and says whether the reason is one of
 *	backoff_reasons. Only temporary replies get here, so "blocked"
 *	and "badreputation" mean a temporary block.
 *
 *	backoff_rcpt_is_signal() takes the recipient of a report as the
 *	bounce parser classified it; the test of the reason is the same.
 * DIAGNOSTICS
 *	None: a line that cannot be read is BACKOFF_LINE_OTHER.
 *--*/
#include <ctype.h>
#include <string.h>

#include "libbase.h"
#include "backoff.h"

/* bl_copy - a bounded copy of n bytes; false when it does not fit */
static bool
bl_copy(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		return false;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return true;
}

/* bl_message - after "/smtp[PID]: " of the tag; NULL when absent */
static const char *
bl_message(const char *s, size_t n, const char *end)
{
	const char *tag = memmem(s, n, "/smtp[", 6), *p;

	if (tag == NULL)
		return NULL;
	for (p = tag + 6; p < end && isdigit((unsigned char)*p); p++)
		;
	if (p == tag + 6 || end - p < 3 || memcmp(p, "]: ", 3) != 0)
		return NULL;
	return p + 3;
}

/* bl_field - the value of ", NAME=" between p and end, up to ',' */
static bool
bl_field(const char *p, const char *end, const char *name, char *out,
    size_t cap)
{
	size_t	 nl = strlen(name);
	const char *f = memmem(p, (size_t)(end - p), name, nl), *v;

	if (f == NULL)
		return false;
	v = f + nl;
	f = memchr(v, ',', (size_t)(end - v));
	return bl_copy(out, cap, v, (size_t)((f ? f : end) - v));
}

/* bl_recipient - QUEUEID: to=<ADDR>, : queue id and domain; after it */
static const char *
bl_recipient(const char *p, const char *end, struct backoff_line *l)
{
	const char *q = p, *a, *gt, *at;

	while (q < end && isalnum((unsigned char)*q))
		q++;
	if (q == p || end - q < 6 || memcmp(q, ": to=<", 6) != 0 ||
	    !bl_copy(l->queue_id, sizeof(l->queue_id), p, (size_t)(q - p)))
		return NULL;
	a = q + 6;
	if ((gt = memmem(a, (size_t)(end - a), ">,", 2)) == NULL)
		return NULL;
	for (at = gt; at > a && at[-1] != '@'; at--)
		;
	if (at == a || !bl_copy(l->domain, sizeof(l->domain), at,
	    (size_t)(gt - at)) || l->domain[0] == '\0')
		return NULL;
	bg_lowercase(l->domain);
	return gt + 2;
}

/* bl_reply_command - strip " (in reply to X command)" into command */
static void
bl_reply_command(char *text, struct backoff_line *l)
{
	static const char pre[] = " (in reply to ";
	char	*r = strstr(text, pre), *c;
	size_t	 n;

	if (r == NULL)
		return;
	c = r + sizeof(pre) - 1;
	n = strcspn(c, ")");
	if (n > 8 && strncmp(c + n - 8, " command", 8) == 0)
		n -= 8;
	/* "MAIL FROM", "RCPT TO", "end of DATA" -> MAIL, RCPT, DATA */
	if (strncmp(c, "end of ", 7) == 0) {
		c += 7;
		n -= 7;
	}
	n = strcspn(c, " )") < n ? strcspn(c, " )") : n;
	bl_copy(l->command, sizeof(l->command), c, n);
	*r = '\0';
}

/* bl_reply - "host H said: TEXT" or "host H refused to talk to me: TEXT" */
static bool
bl_reply(const char *p, const char *end, struct backoff_line *l)
{
	const char *h, *said;
	size_t	 n;
	bool	 greeting = false;

	if (end - p < 5 || memcmp(p, "host ", 5) != 0)
		return false;
	h = p + 5;
	if ((said = memmem(h, (size_t)(end - h), " said: ", 7)) == NULL) {
		said = memmem(h, (size_t)(end - h), " refused to talk to me: ",
		    24);
		greeting = said != NULL;
	}
	if (said == NULL)
		return false;
	n = strcspn(h, "[ ");
	bl_copy(l->host, sizeof(l->host), h, n < (size_t)(said - h) ? n :
	    (size_t)(said - h));
	p = said + (greeting ? 24 : 7);
	if (end > p && end[-1] == ')')
		end--;
	if (!bl_copy(l->text, sizeof(l->text), p, (size_t)(end - p)))
		bl_copy(l->text, sizeof(l->text), p, sizeof(l->text) - 1);
	bl_reply_command(l->text, l);
	if (greeting)
		bg_strlcpy(l->command, "CONNECT", sizeof(l->command));
	if (isdigit((unsigned char)l->text[0]) && isdigit((unsigned char)
	    l->text[1]) && isdigit((unsigned char)l->text[2]) &&
	    (l->text[3] == ' ' || l->text[3] == '-' || l->text[3] == '\0'))
		bl_copy(l->reply_code, sizeof(l->reply_code), l->text, 3);
	return true;
}

/* bl_status - the status word and, for a deferral, the reply */
static enum backoff_kind
bl_status(const char *p, const char *end, struct backoff_line *l)
{
	const char *s = memmem(p, (size_t)(end - p), ", status=", 9);

	if (s == NULL && (end - p < 7 || memcmp(p, "status=", 7) != 0))
		return BACKOFF_LINE_OTHER;
	bl_field(p, s ? s : end, "dsn=", l->dsn, sizeof(l->dsn));
	s = s ? s + 9 : p + 7;
	if (end - s >= 4 && memcmp(s, "sent", 4) == 0)
		return BACKOFF_LINE_SENT;
	if (end - s >= 7 && memcmp(s, "bounced", 7) == 0)
		return BACKOFF_LINE_BOUNCED;
	if (end - s < 10 || memcmp(s, "deferred (", 10) != 0)
		return BACKOFF_LINE_OTHER;
	/* Suspended: no new attempt, an earlier reply repeated. */
	return bl_reply(s + 10, end, l) ? BACKOFF_LINE_DEFERRED :
	    BACKOFF_LINE_DEFERRED_OTHER;
}

/* backoff_parse_line - what one mail log line says, if anything */
enum backoff_kind
backoff_parse_line(const char *s, size_t n, struct backoff_line *l)
{
	const char *end, *p;

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	end = s + n;
	l->kind = BACKOFF_LINE_OTHER;
	if ((p = bl_message(s, n, end)) == NULL)
		return BACKOFF_LINE_OTHER;
	l->dsn[0] = l->reply_code[0] = l->command[0] = '\0';
	l->host[0] = l->text[0] = '\0';
	if ((p = bl_recipient(p, end, l)) == NULL)
		return BACKOFF_LINE_OTHER;
	return l->kind = bl_status(p, end, l);
}

/* backoff_is_signal - a deferral whose reason is in backoff_reasons */
bool
backoff_is_signal(const struct config *cfg, struct ruleset *rs,
    const struct backoff_line *l, enum reason *reason)
{
	struct classify_input in;
	struct classify_result res;

	if (l->kind != BACKOFF_LINE_DEFERRED)
		return false;
	memset(&in, 0, sizeof(in));
	in.status = l->dsn[0] ? l->dsn : NULL;
	in.reply_code = l->reply_code[0] ? l->reply_code : NULL;
	in.action = "delayed";
	in.command = l->command[0] ? l->command : NULL;
	in.diagnostic = l->text;
	in.remote_host = l->host[0] ? l->host : NULL;
	classify(rs, &in, &res);
	*reason = res.reason;
	return backoff_reason_is_signal(cfg, res.reason);
}

/* backoff_reason_is_signal - a reason of backoff_reasons */
bool
backoff_reason_is_signal(const struct config *cfg, enum reason reason)
{
	return strlist_contains(&cfg->backoff_reasons, reason_name(reason));
}

/* backoff_rcpt_is_signal - a reported deferral that is a signal */
bool
backoff_rcpt_is_signal(const struct config *cfg, const struct bounce_rcpt *r)
{
	bool	 temporary;

	if (r->action == NULL || (strcmp(r->action, "delayed") != 0 &&
	    strcmp(r->action, "failed") != 0))
		return false;
	/* A final bounce after the queue lifetime repeats the last
	   deferral's 4xx; a 5xx refusal says nothing about our pace. */
	temporary = r->status != NULL ? r->status[0] == '4' :
	    r->reply_code != NULL && r->reply_code[0] == '4';
	return temporary && backoff_reason_is_signal(cfg, r->reason);
}
