/*++
 * NAME
 *	bounce_text 3
 * SUMMARY
 *	free-text non-delivery reports
 * DESCRIPTION
 *	Exim, qmail, Sendmail, Exchange, Gmail, Yahoo, Lotus Notes,
 *	Courier and many others write their reports as prose. They share
 *	a shape: some explanation, the failed addresses each followed (or
 *	preceded on the same line) by the remote server's answer, then a
 *	marker line and a copy of the returned message.
 *
 *	bounce_text_is_ndr() decides from the headers whether a message
 *	is such a report (X-Failed-Recipients, a MAILER-DAEMON or
 *	postmaster sender, a null Return-Path, a delivery-failure subject;
 *	or, when the Return-Path is null or missing, a phrase such as
 *	"could not be delivered to" in the report).
 *	bounce_text_cut() finds where the returned message starts: a
 *	marker line, which old Sendmail indents ("   ----- Unsent message
 *	follows -----"), or a short sentence ending in a colon that
 *	introduces it ("Included is a copy of the message header:"), so
 *	that the addresses in the returned headers are not taken for
 *	failed recipients and diagnostics stop before them; without
 *	either, a "Received: from" line starts the returned headers.
 *	bounce_text_parse() adds the failed recipients: those listed in
 *	X-Failed-Recipients, else the addresses named in the report that
 *	are neither the sender nor a mail system address, else the
 *	recipient of the returned message (its To:, from a message/rfc822
 *	part or from the header lines after the marker line). bounce_text_block() returns a
 *	recipient's diagnostic: the report text from the line naming it to
 *	the line naming the next recipient. bounce_text_mtas() takes the
 *	reporting MTA from the report's sender address and the remote MTA
 *	from the diagnostic ("host mx.example.com [192.0.2.1]"); a report
 *	from one of our own hosts about a remote server's SMTP reply is a
 *	synchronous bounce. bounce_text_action() marks the recipients of a
 *	warning (the message is still queued) "delayed".
 * DIAGNOSTICS
 *	None.
 *--*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "bounce_format.h"
#include "bounce_int.h"
#include "libbase.h"

#define TEXT_MAX_BLOCK	1000

/* Words of a marker line before a returned message. */
static const char *const text_cut_words[] = {
	"original message", "copy of", "returned message", "message header",
	"headers of", "original-message", "undelivered message", "rfc822",
	"below this line", "message text", "body of", "returned mail",
	"message follows", "original mail", "unsent message",
	"headers follow", "original text", "message was", NULL
};

/* Words of a sentence that ends in a colon and introduces the returned
   message ("Included is a copy of the message header:"). */
static const char *const text_intro_words[] = {
	"copy of the", "copy of your", "original message", "message header",
	"returned message", "undelivered message", "headers of", NULL
};

/* Subject words of delivery failure reports. */
static const char *const text_subject_words[] = {
	"undeliver", "deliver", "failure", "failed", "returned", "rejected",
	"bounce", "not be sent", "could not send", "nondeliver",
	"non-deliver", "error", "unable to", "mail system", "problem",
	"delayed", "warning", "postmaster", "notification", NULL
};

/* Phrases by which a report introduces the addresses it could not
   deliver to: enough, from a null or unknown envelope sender, whatever
   the subject and the From: say. */
static const char *const text_report_phrases[] = {
	"could not be delivered to", "couldn't be delivered to",
	"was not delivered to", "wasn't delivered to",
	"cannot be delivered to", "can't be delivered to",
	"unable to deliver your message to", "delivery to the following",
	"following address(es) failed", "following addresses had",
	"following recipients failed", "following recipient(s) failed",
	"\xe9\x80\x81\xe4\xbf\xa1\xe3\x81\xa7\xe3\x81\x8d\xe3\x81\xbe"
	"\xe3\x81\x9b\xe3\x82\x93\xe3\x81\xa7\xe3\x81\x97\xe3\x81\x9f",
	    /* soushin dekimasen deshita: could not be sent */
	"\xe9\x85\x8d\xe9\x81\x94\xe3\x81\xa7\xe3\x81\x8d\xe3\x81\xbe"
	"\xe3\x81\x9b\xe3\x82\x93\xe3\x81\xa7\xe3\x81\x97\xe3\x81\x9f",
	    /* haitatsu dekimasen deshita: could not be delivered */
	"\xe6\x9c\xaa\xe8\x83\xbd\xe6\x8a\x95\xe9\x80\x92",
	    /* weineng toudi: could not be delivered (Chinese webmail) */
	"\xe6\x97\xa0\xe6\xb3\x95\xe6\x8a\x95\xe9\x80\x92",
	    /* wufa toudi: cannot be delivered */
	"\xe9\x80\x80\xe4\xbf\xa1",	/* tuixin: returned mail */
	NULL
};

/* Words of the From: of mail systems. */
static const char *const text_from_words[] = {
	"mailer-daemon", "postmaster", "post_master", "mail delivery",
	"mail administrator", "mail system", "mailerdaemon", NULL
};

/* Words of a report about a failed delivery. */
static const char *const text_failure_words[] = {
	"fail", "undeliver", "could not", "couldn't", "couldn\xe2\x80\x99t",
	"unable", "not be delivered", "not delivered", "wasn't delivered",
	"rejected", "error", "returned", "bounce", "permanent", "temporar",
	"invalid", "unknown", "denied", "refused", "not found", "not exist",
	"delay", "problem", "quota", "full", "expired", "giving up",
	"\xe3\x82\xa8\xe3\x83\xa9\xe3\x83\xbc",		/* eraa: error */
	"\xe5\xa4\xb1\xe6\x95\x97",				/* shippai */
	"\xe3\x81\xa7\xe3\x81\x8d\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93",	/* dekimasen */
	"\xe9\x80\x80\xe4\xbf\xa1",				/* tuixin: returned mail */
	"\xe5\xa4\xb1\xe8\xb4\xa5",				/* shibai: failed */
	"\xe6\x97\xa0\xe6\xb3\x95\xe6\x8a\x95\xe9\x80\x92",	/* wufa toudi: cannot deliver */
	"\xe6\x9c\xaa\xe8\x83\xbd",				/* weineng: could not */
	NULL
};

/* Local parts of mail system addresses, never failed recipients. */
static const char *const text_system_locals[] = {
	"mailer-daemon", "mailerdaemon", "mail-daemon", "mdaemon", NULL
};

/* bounce_text_is_marker - a line that introduces the returned message */
static bool
bounce_text_is_marker(const char *line, size_t n)
{
	char	 buf[160];
	size_t	 k;

	while (n > 0 && (*line == ' ' || *line == '\t')) {	/* indented */
		line++;
		n--;
	}
	k = n < sizeof(buf) - 1 ? n : sizeof(buf) - 1;
	memcpy(buf, line, k);
	buf[k] = '\0';
	if (strncasecmp(buf, "Content-Type: message/rfc822", 28) == 0 ||
	    strncasecmp(buf, "Content-Type: " BOUNCE_RETURNED_TYPE, 28) == 0 ||
	    strncasecmp(buf, "Original message follows", 24) == 0 ||
	    strncasecmp(buf, "Message headers follow", 22) == 0)
		return true;
	if (strncasecmp(buf, "Received:", 9) == 0 &&
	    (strncasecmp(buf + 9 + strspn(buf + 9, " \t"), "from ", 5) == 0 ||
	    strncasecmp(buf + 9 + strspn(buf + 9, " \t"), "by ", 3) == 0))
		return true;		/* returned headers without a marker */
	while (k > 0 && isspace((unsigned char)buf[k - 1]))
		buf[--k] = '\0';
	if (k > 0 && k < 100 && buf[k - 1] == ':')
		for (int i = 0; text_intro_words[i] != NULL; i++)
			if (strcasestr(buf, text_intro_words[i]) != NULL)
				return true;
	if (strchr("-=_*", buf[0]) == NULL || buf[1] != buf[0])
		return false;
	for (int i = 0; text_cut_words[i] != NULL; i++)
		if (strcasestr(buf, text_cut_words[i]) != NULL)
			return true;
	return false;
}

/* bounce_text_cut - where the returned message starts in a report */
const char *
bounce_text_cut(const char *text)
{
	const char *p = text;

	while (*p != '\0') {
		const char *eol = strchr(p, '\n');
		size_t	 n = eol != NULL ? (size_t)(eol - p) : strlen(p);
		const char *t = p + strspn(p, " \t");

		if (t < p + n && bounce_text_is_marker(t, n - (size_t)(t - p)))
			return p;
		if (eol == NULL)
			return p + n;
		p = eol + 1;
	}
	return p;
}

/* bounce_text_is_system - a mail system address */
static bool
bounce_text_is_system(const char *addr)
{
	for (int i = 0; text_system_locals[i] != NULL; i++) {
		size_t	 n = strlen(text_system_locals[i]);

		if (strncasecmp(addr, text_system_locals[i], n) == 0 &&
		    addr[n] == '@')
			return true;
	}
	return false;
}

/* bounce_text_says_failure - the subject or report speaks of a failure */
static bool
bounce_text_says_failure(const struct bounce_msg *m)
{
	char	*report = xstrndup(m->body.data != NULL ? m->body.data : "",
	    m->cut);
	char	 code[16];
	bool	 yes = bounce_scan_status(report, code, sizeof(code)) ||
	    bounce_scan_reply(report, code, sizeof(code));

	for (int i = 0; !yes && text_failure_words[i] != NULL; i++)
		yes = strcasestr(report, text_failure_words[i]) != NULL ||
		    (m->subject != NULL &&
		    strcasestr(m->subject, text_failure_words[i]) != NULL);
	free(report);
	return yes;
}

/* bounce_text_has_phrase - the report introduces undelivered addresses */
static bool
bounce_text_has_phrase(const struct bounce_msg *m)
{
	char	*report = xstrndup(m->body.data != NULL ? m->body.data : "",
	    m->cut);
	bool	 yes = false;

	for (int i = 0; !yes && text_report_phrases[i] != NULL; i++)
		yes = strcasestr(report, text_report_phrases[i]) != NULL;
	free(report);
	return yes;
}

/* bounce_text_is_ndr - the headers say this is a delivery report */
bool
bounce_text_is_ndr(const struct bounce_msg *m)
{
	if (m->failed_rcpts != NULL || m->report_dsn)
		return true;
	if (!bounce_text_says_failure(m))
		return false;
	if ((m->null_sender || !m->has_return_path) &&
	    bounce_text_has_phrase(m))
		return true;
	if (m->from != NULL && bounce_text_is_system(m->from))
		return true;
	for (int i = 0; m->from_raw != NULL && text_from_words[i] != NULL; i++)
		if (strcasestr(m->from_raw, text_from_words[i]) != NULL)
			return true;
	if (m->subject == NULL || !m->null_sender)
		return false;
	for (int i = 0; text_subject_words[i] != NULL; i++)
		if (strcasestr(m->subject, text_subject_words[i]) != NULL)
			return true;
	return false;
}

/* bounce_text_line_start - the start of the line holding p */
static const char *
bounce_text_line_start(const char *text, const char *p)
{
	while (p > text && p[-1] != '\n')
		p--;
	return p;
}

/* bounce_text_header_line - a line of a header that names no recipient */
static bool
bounce_text_header_line(const char *line)
{
	static const char *const names[] = { "message-id:", "in-reply-to:",
	    "references:", "from:", "reply-to:", "return-path:", "sender:",
	    "received:", "x-", "envelope-from", "by ", "id ", NULL };

	line += strspn(line, " \t>");
	for (int i = 0; names[i] != NULL; i++)
		if (strncasecmp(line, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

/* bounce_text_is_sender_ctx - the address follows "MAIL FROM:" */
static bool
bounce_text_is_sender_ctx(const char *text, const char *a)
{
	const char *p = a;

	while (p > text && (p[-1] == '<' || p[-1] == ' ' || p[-1] == ':'))
		p--;
	return (size_t)(p - text) >= 4 && strncasecmp(p - 4, "from", 4) == 0;
}

/* bounce_text_excluded - an address that is not a failed recipient */
static bool
bounce_text_excluded(const struct bounce_msg *m, const char *addr,
    const char *orig_from)
{
	return bounce_text_is_system(addr) ||
	    (m->to != NULL && strcmp(addr, m->to) == 0) ||
	    (m->from != NULL && strcmp(addr, m->from) == 0) ||
	    (orig_from != NULL && strcmp(addr, orig_from) == 0);
}

/* bounce_text_add - add one recipient found in the text */
static void
bounce_text_add(struct bounce_msg *m, const char *addr)
{
	struct bounce_rcpt *r;

	if (bounce_rcpt_find(m, addr) == NULL &&
	    (r = bounce_rcpt_add(m, addr)) != NULL) {
		r->mode = BOUNCE_MODE_ASYNC;
		m->res->kind = BOUNCE_NDR;
	}
}

/* bounce_text_is_strong - the address starts its line, as lists do */
static bool
bounce_text_is_strong(const char *line, const char *a)
{
	for (; line < a; line++)
		if (strchr(" \t<\"'-*>:", *line) == NULL)
			return false;
	return true;
}

/* bounce_text_bracketed - for "addr <real@addr>", the bracketed one */
static const char *
bounce_text_bracketed(const char *a, const char *end, size_t *len)
{
	const char *b = a + *len, *c;
	size_t	 blen;

	while (b < end && (*b == ' ' || *b == '\t'))
		b++;
	if (b >= end || *b != '<' ||
	    (c = bounce_scan_next_addr(b, end, &blen)) != b + 1 ||
	    b + 1 + blen >= end || b[1 + blen] != '>')
		return a;
	*len = blen;
	return c;
}

/* bounce_text_scan_pass - add strong or weak candidates; how many */
static size_t
bounce_text_scan_pass(struct bounce_msg *m, const char *text,
    const char *end, const char *orig_from, bool strong)
{
	const char *p = text, *a, *line = text;
	size_t	 len, n = 0;

	while ((a = bounce_scan_next_addr(p, end, &len)) != NULL) {
		/* The line's start, looking back no further than the last
		   address: a long line of addresses stays linear. */
		const char *nl = memrchr(p, '\n', (size_t)(a - p));
		bool	 is_strong;

		line = nl != NULL ? nl + 1 : line;
		is_strong = bounce_text_is_strong(line, a);
		char	*addr;

		if (is_strong)
			a = bounce_text_bracketed(a, end, &len);
		addr = xstrndup(a, len);

		bg_lowercase(addr);
		if (bounce_text_is_system(addr) || is_strong != strong ||
		    bounce_rcpt_is_reporter(m, addr))
			;
		else if (strong || (!bounce_text_excluded(m, addr, orig_from) &&
		    !bounce_text_header_line(line) &&
		    !bounce_text_is_sender_ctx(text, a))) {
			bounce_text_add(m, addr);
			n++;
		}
		free(addr);
		p = a + len;
	}
	return n;
}

/* bounce_text_scan - add the recipients named in the report text */
static void
bounce_text_scan(struct bounce_msg *m, const char *text, const char *end,
    const char *orig_from)
{
	if (bounce_text_scan_pass(m, text, end, orig_from, true) == 0)
		(void)bounce_text_scan_pass(m, text, end, orig_from, false);
}

/* bounce_text_list - add the addresses of a header value list */
static void
bounce_text_list(struct bounce_msg *m, const char *list)
{
	const char *p = list, *a, *end = list + strlen(list);
	size_t	 len;

	while ((a = bounce_scan_next_addr(p, end, &len)) != NULL) {
		char	*addr = xstrndup(a, len);

		bg_lowercase(addr);
		bounce_text_add(m, addr);
		free(addr);
		p = a + len;
	}
}

/* bounce_text_inline_head - the header block of a message returned
   inline, after the marker line of a plain-text report, or NULL */
static const char *
bounce_text_inline_head(const struct bounce_msg *m)
{
	const char *p, *end;

	if (m->body.data == NULL || m->cut >= m->body.len)
		return NULL;
	p = m->body.data + m->cut;
	end = m->body.data + m->body.len;
	if ((p = memchr(p, '\n', (size_t)(end - p))) == NULL)
		return NULL;			/* past the marker line */
	while (p < end && *p == '\n')
		p++;
	end = p + strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-");
	return end > p && *end == ':' ? p : NULL;
}

/* bounce_text_orig - an address header of the returned message, a
   MIME part or the text after the report's marker line */
static char *
bounce_text_orig(const struct bounce_msg *m, const char *name)
{
	const char *head = m->has_orig ? m->orig.data :
	    bounce_text_inline_head(m);
	char	*v, *a;

	if (head == NULL || (v = bounce_scan_header(head, name)) == NULL)
		return NULL;
	a = bounce_scan_addr(v, strlen(v));
	free(v);
	return a;
}

/* bounce_text_parse - the failed recipients of a free-text report */
void
bounce_text_parse(struct bounce_msg *m)
{
	const char *text = m->body.len > 0 ? m->body.data : "";
	char	*orig_from = bounce_text_orig(m, "From");

	if (m->failed_rcpts != NULL)
		bounce_text_list(m, m->failed_rcpts);
	if (m->res->nrcpt == 0)
		bounce_text_scan(m, text, text + m->cut, orig_from);
	if (m->res->nrcpt == 0) {
		char	*to = bounce_text_orig(m, "To");

		if (to != NULL)
			bounce_text_add(m, to);
		free(to);
	}
	free(orig_from);
}

/* bounce_text_is_other - an address that is another recipient */
static bool
bounce_text_is_other(const struct bounce_msg *m, const char *a, size_t len,
    const char *self)
{
	for (size_t i = 0; i < m->res->nrcpt; i++) {
		const char *r = m->res->rcpt[i].recipient;

		if (r != NULL && strlen(r) == len &&
		    strncasecmp(r, a, len) == 0 && strcmp(r, self) != 0)
			return true;
	}
	return false;
}

/* bounce_text_next_rcpt - the next line naming another recipient, looked
   for no further than a block can reach */
static const char *
bounce_text_next_rcpt(const struct bounce_msg *m, const char *from,
    const char *end, const char *self)
{
	const char *limit = end - from > 4 * TEXT_MAX_BLOCK ?
	    from + 4 * TEXT_MAX_BLOCK : end;
	const char *a;
	size_t	 len;

	for (const char *p = from; (a = bounce_scan_next_addr(p, limit,
	    &len)) != NULL; p = a + len)
		if (bounce_text_is_other(m, a, len, self))
			return bounce_text_line_start(from, a);
	return end;
}

/* bounce_text_has_code - the text carries a status or reply code */
static bool
bounce_text_has_code(const char *s)
{
	char	 code[16];

	return s != NULL && (bounce_scan_status(s, code, sizeof(code)) ||
	    bounce_scan_reply(s, code, sizeof(code)));
}

/* bounce_text_find - where the report names an address: recipients come
   in order, so look after the previous one first */
static const char *
bounce_text_find(struct bounce_msg *m, const char *addr)
{
	const char *text = m->body.data, *hit = NULL;

	if (addr == NULL)
		return NULL;
	if (m->hint < m->cut)
		hit = strcasestr(text + m->hint, addr);
	if (hit == NULL || hit >= text + m->cut)
		hit = strcasestr(text, addr);
	if (hit != NULL && hit < text + m->cut)
		m->hint = (size_t)(hit - text);
	return hit;
}

/* bounce_text_is_summary - a Sendmail transcript's verdict line on
   one recipient: "550 <addr>... User unknown" */
static bool
bounce_text_is_summary(const char *line)
{
	const char *gt;

	if (!isdigit((unsigned char)line[0]) ||
	    !isdigit((unsigned char)line[1]) ||
	    !isdigit((unsigned char)line[2]) || line[3] != ' ' ||
	    line[4] != '<')
		return false;
	gt = strpbrk(line + 5, ">\n");
	return gt != NULL && *gt == '>' && strncmp(gt + 1, "...", 3) == 0;
}

/* bounce_text_is_host_status - a Sendmail transcript's line on the
   host it talked to: "421 example.org (smtp)... Deferred: ..." */
static bool
bounce_text_is_host_status(const char *line)
{
	const char *p;

	if (!isdigit((unsigned char)line[0]) || line[3] != ' ' ||
	    (p = strstr(line + 4, " (")) == NULL || p > strchr(line, '\n'))
		return false;
	p += strspn(p + 2, "abcdefghijklmnopqrstuvwxyz") + 2;
	return strncmp(p, ")...", 4) == 0;
}

/* bounce_text_transcript_start - the server's replies just above a
   Sendmail summary line: the transcript lines (">>> ", "<<< ") and
   the host's own status lines that follow the last "while talking to"
   or summary line */
static const char *
bounce_text_transcript_start(const char *text, const char *line)
{
	const char *prev;

	while (line > text) {
		prev = bounce_text_line_start(text, line - 1);
		if (strncmp(prev, ">>> ", 4) != 0 &&
		    strncmp(prev, "<<< ", 4) != 0 &&
		    !bounce_text_is_host_status(prev))
			break;
		line = prev;
	}
	return line;
}

/* bounce_text_block - a recipient's part of the report, or NULL. In a
   Sendmail transcript a recipient's summary line says why it failed
   and the replies above it say what the server answered; the lines
   below it are about the next host or recipient. */
char *
bounce_text_block(struct bounce_msg *m, const char *addr)
{
	const char *text = m->body.len > 0 ? m->body.data : NULL;
	const char *end, *start, *stop;
	char	*block;

	if (text == NULL)
		return NULL;
	end = text + m->cut;
	start = bounce_text_find(m, addr);
	if (start == NULL || start >= end)
		return bounce_scan_collapse(text, (size_t)(end - text),
		    TEXT_MAX_BLOCK);
	start = bounce_text_line_start(text, start);
	stop = strchr(start, '\n');
	if (bounce_text_is_summary(start)) {
		start = bounce_text_transcript_start(text, start);
		stop = stop != NULL && stop < end ? stop : end;
	} else
		stop = bounce_text_next_rcpt(m, stop != NULL ? stop + 1 : end,
		    end, addr);
	if (stop <= start)
		stop = end;
	block = bounce_scan_collapse(start, (size_t)(stop - start),
	    TEXT_MAX_BLOCK);
	if (m->res->nrcpt == 1 && !bounce_text_has_code(block)) {
		free(block);
		block = bounce_scan_collapse(text, (size_t)(end - text),
		    TEXT_MAX_BLOCK);
	}
	return block;
}

/* bounce_text_host_at - a host name token at p; its length */
static size_t
bounce_text_host_at(const char *p)
{
	size_t	 n = 0;
	bool	 dot = false;

	while (isalnum((unsigned char)p[n]) || p[n] == '-' || p[n] == '.')
		dot |= p[n++] == '.';
	while (n > 0 && p[n - 1] == '.')
		n--;
	return dot && n > 3 ? n : 0;
}

/* bounce_text_remote - "host NAME [IP]" or "NAME[IP]" in a diagnostic */
static char *
bounce_text_remote(const char *diag)
{
	for (const char *p = strstr(diag, "host "); p != NULL;
	    p = strstr(p + 1, "host ")) {
		size_t	 n = bounce_text_host_at(p + 5);
		const char *after = p + 5 + n;

		if (n > 0 && (after[0] == '[' || (after[0] == ' ' &&
		    (after[1] == '[' || after[1] == '('))))
			return xstrndup(p + 5, n);
	}
	return NULL;
}

/* bounce_text_mtas - the reporting and remote MTAs of a free-text
   report, and from them its mode: our own MTA's report of a refusal
   during the SMTP session is synchronous */
void
bounce_text_mtas(const struct bounce_msg *m, struct bounce_rcpt *r)
{
	const char *at = m->from != NULL ? strrchr(m->from, '@') : NULL;

	if (r->reporting_mta == NULL && at != NULL && at[1] != '\0')
		r->reporting_mta = xstrdup(at + 1);
	if (r->remote_mta == NULL && r->diagnostic != NULL)
		r->remote_mta = bounce_text_remote(r->diagnostic);
	r->mode = bounce_is_local_host(m->p, r->reporting_mta) &&
	    r->remote_mta != NULL && r->reply_code != NULL ?
	    BOUNCE_MODE_SYNC : BOUNCE_MODE_ASYNC;
}

/* Words of a warning: the message is still queued and being retried. */
static const char *const text_warning_words[] = {
	"will be retried", "will continue trying", "will continue to try",
	"will keep trying", "still trying", "this is a warning",
	"not yet been delivered", "do not need to resend", "delivery delayed",
	"delayed mail", "warning: could not send", "warning--could not send",
	"delivery status notification (delay)",
	"has been delayed", "is delayed to", "still awaiting delivery",
	"hasn't been delivered yet", "has not been delivered yet",
	"transient non-fatal", "will continue to be attempted",
	NULL
};

/* bounce_text_is_warning - the subject or report says it is a warning */
static bool
bounce_text_is_warning(const struct bounce_msg *m)
{
	char	*report = xstrndup(m->body.data != NULL ? m->body.data : "",
	    m->cut);
	bool	 yes = false;

	for (int i = 0; !yes && text_warning_words[i] != NULL; i++)
		yes = (m->subject != NULL &&
		    strcasestr(m->subject, text_warning_words[i]) != NULL) ||
		    strcasestr(report, text_warning_words[i]) != NULL;
	free(report);
	return yes;
}

/* bounce_text_action - "delayed" for a warning, else no action: the
   report does not say */
void
bounce_text_action(struct bounce_msg *m, struct bounce_rcpt *r)
{
	if (m->warning == 0)
		m->warning = bounce_text_is_warning(m) ? 1 : -1;
	if (r->action == NULL && m->warning > 0)
		r->action = xstrdup("delayed");
}
