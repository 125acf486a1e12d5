/*++
 * NAME
 *	bounce_layout 3
 * SUMMARY
 *	free-text reports whose layout a mail system fixes
 * DESCRIPTION
 *	Many mail systems write their non-delivery reports from a fixed
 *	template: a sentence that never changes introduces the list of
 *	failed recipients (qmail's "Hi. This is the qmail-send program",
 *	Sendmail's "----- The following addresses had permanent fatal
 *	errors -----", Exchange's "did not reach the following
 *	recipient(s):"), or each recipient follows a field label (the Sun,
 *	iPlanet and Netscape messaging servers' "Recipient address:",
 *	IMail's "Unknown user:"). Such a sentence identifies the report
 *	whatever its headers say (some of these systems send their reports
 *	from an ordinary address, or with a non-null envelope sender), and
 *	it says where the failed recipients are, so that the addresses
 *	the report merely mentions (the returned message's header fields
 *	echoed above the list, the postmaster to write to) are not taken.
 *
 *	bounce_layout_looks_like() says whether the report part of a
 *	message (before its returned copy) has a line starting with one of
 *	these sentences. bounce_layout_parse() adds the recipients the
 *	layout names, each with its part of the report as its diagnostic;
 *	addresses of the reporting system itself (its postmaster or
 *	MAILER-DAEMON), the report's own addressee and the returned
 *	message's sender are never taken. A list of bare names under
 *	AOL's heading (AOL screen names) gets the reporting domain.
 *
 *	Whether a report is a delay warning is decided later, from its
 *	wording, as for any free-text report (bounce_text_action()).
 * DIAGNOSTICS
 *	None; a layout that names no recipient adds none, and the generic
 *	free-text reader is tried next.
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

#define LAYOUT_MAX_BLOCK	1000

/* How a layout names its failed recipients. */
enum layout_style {
	LAYOUT_LIST,		/* lines led by an address, after the sign */
	LAYOUT_INLINE,		/* the address in the sign's own line */
	LAYOUT_FIELD,		/* an address after a label ("Recipient
				   address:"), the sign being the label or
				   a sentence before the first label */
	LAYOUT_BARE		/* as LIST; a bare name is name@reporter */
};

struct layout {
	const char *sign;	/* a line starting with this */
	const char *also;	/* NULL, or a phrase the line must hold too */
	enum layout_style style;
	const char *label;	/* LAYOUT_FIELD: the field label */
};

/*
 * The sentences, each from the system's own reports as its
 * documentation describes or shows them; they are matched at the
 * start of a line, after blanks and "-*=" decoration, ignoring case.
 */
static const struct layout layouts[] = {
	/* qmail-send(8) bounce messages ("Hi. This is the qmail-send
	   program at HOST."; qmail's bounce format, cr.yp.to/proto/qsbmf.txt),
	   and the many qmail derivatives (vpopmail, netqmail, old Yahoo)
	   that keep its second sentence under another first line. */
	{ "hi. this is the qmail-send program", NULL, LAYOUT_LIST, NULL },
	{ "i'm afraid i wasn't able to deliver your message", NULL,
	    LAYOUT_LIST, NULL },
	{ "i'm sorry to have to inform you that your message could not",
	    NULL, LAYOUT_LIST, NULL },
	/* Yahoo! Mail's qmail-based reports. */
	{ "unable to deliver message to the following address", NULL,
	    LAYOUT_LIST, NULL },
	{ "sorry, we were unable to deliver your message to the following",
	    NULL, LAYOUT_LIST, NULL },
	/* Sendmail's error messages (sendmail/savemail.c): the heading
	   over the failed addresses, the transient one of warnings, and
	   the transcript, whose "<address>... Deferred: reason" lines are
	   all a warning may name. */
	{ "the following addresses had permanent fatal errors", NULL,
	    LAYOUT_LIST, NULL },
	{ "the following addresses had transient non-fatal errors", NULL,
	    LAYOUT_LIST, NULL },
	{ "transcript of session follows", NULL, LAYOUT_LIST, NULL },
	/* AOL's own refusal by the recipients' mail controls: screen
	   names, without a domain. */
	{ "your mail to the following recipients could not be delivered",
	    NULL, LAYOUT_BARE, NULL },
	/* Microsoft Exchange 5.5 to 2003 NDRs ("did not reach the
	   following recipient(s)"), Exchange 2007 and later ("Delivery has
	   failed to these recipients or groups", "... distribution
	   lists", and the delay notice "Delivery is delayed to these
	   recipients"), Exchange Online / Office 365 ("Your message to
	   ADDRESS couldn't be delivered."); learn.microsoft.com, "Email
	   non-delivery reports and SMTP errors in Exchange Online". */
	{ "did not reach the following recipient", NULL, LAYOUT_LIST, NULL },
	{ "the following recipient(s) could not be reached", NULL,
	    LAYOUT_LIST, NULL },
	{ "delivery has failed to these recipients", NULL, LAYOUT_LIST, NULL },
	{ "delivery is delayed to these recipients", NULL, LAYOUT_LIST, NULL },
	{ "your message to ", "couldn't be delivered", LAYOUT_INLINE, NULL },
	{ "your message to ", "could not be delivered", LAYOUT_INLINE, NULL },
	/* Exchange's Internet Mail Service and Hotmail ("This is an
	   automatically generated Delivery Status Notification"). */
	{ "delivery to the following recipients failed", NULL,
	    LAYOUT_LIST, NULL },
	{ "delivery to the following recipients has been delayed", NULL,
	    LAYOUT_LIST, NULL },
	/* Novell GroupWise's Internet agent (GWIA) status messages. */
	{ "the message that you sent was undeliverable to the following",
	    NULL, LAYOUT_LIST, NULL },
	/* Lotus Notes and Domino: "Your message ... was not delivered to:
	   ADDRESS because: REASON", and the older "Failure Reasons"
	   section. */
	{ "was not delivered to:", NULL, LAYOUT_LIST, NULL },
	{ "failure reasons", NULL, LAYOUT_LIST, NULL },
	/* Netscape Messaging Server, iPlanet and Sun Java System /
	   Oracle Communications Messaging Server: per-recipient fields
	   after the echo of the returned message's header fields. */
	{ "this report relates to a message you sent", NULL, LAYOUT_FIELD,
	    "recipient address:" },
	/* Ipswitch IMail (SMTP32): "Unknown user: ADDRESS", "Delivery
	   failed N attempts: ADDRESS". */
	{ "unknown user:", NULL, LAYOUT_FIELD, "unknown user:" },
	{ "delivery failed ", "attempts:", LAYOUT_FIELD, "delivery failed " },
};

/* bounce_layout_trim - a line without its leading blanks and decoration */
static const char *
bounce_layout_trim(const char *line, const char *eol)
{
	while (line < eol && strchr(" \t-*=_", *line) != NULL)
		line++;
	return line;
}

/* bounce_layout_line_is - the line starts with s (caseless) and holds
   also, when given */
static bool
bounce_layout_line_is(const char *t, const char *eol, const char *s,
    const char *also)
{
	size_t	 n = strlen(s);

	if ((size_t)(eol - t) < n || strncasecmp(t, s, n) != 0)
		return false;
	if (also == NULL)
		return true;
	return memmem(t, (size_t)(eol - t), also, strlen(also)) != NULL;
}

/* bounce_layout_eol - the end of the line at p */
static const char *
bounce_layout_eol(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl != NULL ? nl : end;
}

/* bounce_layout_find - the first layout sign of a text: its layout,
   and where its line starts */
static const struct layout *
bounce_layout_find(const char *text, const char *end, const char **at)
{
	for (const char *p = text, *eol; p < end; p = eol + 1) {
		const char *t;

		eol = bounce_layout_eol(p, end);
		t = bounce_layout_trim(p, eol);
		for (size_t i = 0; t < eol && i < BG_ARRAY_SIZE(layouts); i++)
			if (bounce_layout_line_is(t, eol, layouts[i].sign,
			    layouts[i].also)) {
				*at = p;
				return &layouts[i];
			}
		if (eol == end)
			break;
	}
	return NULL;
}

/* bounce_layout_looks_like - the report has a known layout's sign */
bool
bounce_layout_looks_like(const struct bounce_msg *m)
{
	const char *at;

	if (m->failed_rcpts != NULL || m->body.len == 0)
		return false;
	return bounce_layout_find(m->body.data, m->body.data + m->cut,
	    &at) != NULL;
}

/* The parse of one report. */
struct layout_state {
	struct bounce_msg *m;
	const char *end;		/* where the returned copy starts */
	char	*orig_from;		/* the returned message's sender */
	const char *sign;		/* the line of a list's sign, or NULL */
	struct bounce_rcpt *open;	/* the recipient whose block runs */
	const char *open_at;		/* where that block starts */
};

/* Address types written before an address, never part of the prefix
   that says whether a line is led by it. */
static const char *const layout_types[] = { "mailto:", "smtp=", "smtp:",
	"rfc822;", "rfc822:", NULL };

/* bounce_layout_untype - the prefix's length without a trailing type */
static size_t
bounce_layout_untype(const char *line, size_t n)
{
	for (int i = 0; layout_types[i] != NULL; i++) {
		size_t	 k = strlen(layout_types[i]);

		if (n >= k && strncasecmp(line + n - k, layout_types[i], k) == 0)
			return n - k;
	}
	return n;
}

/* bounce_layout_leads - the address at a leads its line: only blanks
   and punctuation before it, or a display name and "<" ("Jane
   Example<mailto:jane@example.org>"); a field label ("To:", ">>> RCPT
   To:<") or a reply ("<<< 550 <") before it makes it a mention, not a
   listed recipient */
static bool
bounce_layout_leads(const char *line, const char *a)
{
	size_t	 n = bounce_layout_untype(line, (size_t)(a - line));
	size_t	 k = strspn(line, " \t'\"<>*:-(");
	size_t	 b = strspn(line, " \t");

	if (k >= n)
		return true;
	return line[n - 1] == '<' && (isalpha((unsigned char)line[b]) ||
	    line[b] == '"') && memchr(line, ':', n) == NULL &&
	    memchr(line, '@', n) == NULL;
}

/* bounce_layout_has_code - a text with a status or reply code */
static bool
bounce_layout_has_code(const char *s)
{
	char	 code[16];

	return s != NULL && (bounce_scan_status(s, code, sizeof(code)) ||
	    bounce_scan_reply(s, code, sizeof(code)));
}

/* bounce_layout_close - end the open recipient's block at p; the first
   recipient's block, when it carries no code, starts at the sign of a
   list instead: the reason may come before the address ("Failure
   Reasons"), and the sign says what happened */
static void
bounce_layout_close(struct layout_state *st, const char *p)
{
	struct bounce_rcpt *r = st->open;
	const char *from = st->open_at;

	if (r == NULL || r->diagnostic != NULL || p <= from)
		return;
	r->diagnostic = bounce_scan_collapse(from, (size_t)(p - from),
	    LAYOUT_MAX_BLOCK);
	if (st->sign != NULL && r == &st->m->res->rcpt[0] &&
	    !bounce_layout_has_code(r->diagnostic)) {
		free(r->diagnostic);
		r->diagnostic = bounce_scan_collapse(st->sign,
		    (size_t)(p - st->sign), LAYOUT_MAX_BLOCK);
	}
	st->open = NULL;
}

/* bounce_layout_excluded - an address that is not a failed recipient:
   the reporting system's own, the report's addressee, the sender */
static bool
bounce_layout_excluded(const struct layout_state *st, const char *addr)
{
	const struct bounce_msg *m = st->m;

	return bounce_rcpt_is_reporter(m, addr) ||
	    (m->to != NULL && strcmp(addr, m->to) == 0) ||
	    (m->from != NULL && strcmp(addr, m->from) == 0) ||
	    (st->orig_from != NULL && strcmp(addr, st->orig_from) == 0);
}

/* bounce_layout_take - add a recipient found on the line at line; its
   block starts there */
static void
bounce_layout_take(struct layout_state *st, const char *line, char *addr)
{
	struct bounce_rcpt *r;

	bg_lowercase(addr);
	if (bounce_layout_excluded(st, addr) ||
	    bounce_rcpt_find(st->m, addr) != NULL)
		return;
	bounce_layout_close(st, line);
	st->open_at = line;
	if ((r = bounce_rcpt_add(st->m, addr)) == NULL)
		return;
	r->mode = BOUNCE_MODE_ASYNC;
	st->m->res->kind = BOUNCE_NDR;
	st->open = r;
}

/* bounce_layout_take_at - take the address of [a, a + len) */
static void
bounce_layout_take_at(struct layout_state *st, const char *line,
    const char *a, size_t len)
{
	char	*addr = xstrndup(a, len);

	bounce_layout_take(st, line, addr);
	free(addr);
}

/* bounce_layout_bare - a line that is one bare name (an AOL screen
   name): the name with the reporting domain, or NULL */
static char *
bounce_layout_bare(const struct bounce_msg *m, const char *t,
    const char *eol)
{
	const char *at = m->from != NULL ? strrchr(m->from, '@') : NULL;
	size_t	 n = 0, k;

	while (t + n < eol && (isalnum((unsigned char)t[n]) ||
	    strchr("._-+", t[n]) != NULL))
		n++;
	for (k = n; t + k < eol && (t[k] == ' ' || t[k] == '\t'); k++)
		;
	if (at == NULL || n == 0 || t + k != eol)
		return NULL;
	return xasprintf("%.*s%s", (int)n, t, at);
}

/* bounce_layout_line - take the address that leads a line of a list,
   or a bare name while the list of bare names runs */
static void
bounce_layout_line(struct layout_state *st, const char *p, const char *eol,
    bool is_inline, bool *bare)
{
	const char *t = p, *a;
	size_t	 len;
	char	*name;

	while (t < eol && (*t == ' ' || *t == '\t'))
		t++;
	if (t == eol) {			/* a blank line ends the bare list */
		*bare = *bare && st->m->res->nrcpt == 0;
		return;
	}
	a = bounce_scan_next_addr(p, eol, &len);
	if (a != NULL && (is_inline || bounce_layout_leads(p, a)))
		bounce_layout_take_at(st, p, a, len);
	else if (a == NULL && *bare &&
	    (name = bounce_layout_bare(st->m, t, eol)) != NULL) {
		bounce_layout_take(st, p, name);
		free(name);
	} else
		*bare = false;
}

/* bounce_layout_list - the recipients listed after the sign's line, or
   named in it (LAYOUT_INLINE) */
static void
bounce_layout_list(struct layout_state *st, const struct layout *l,
    const char *sign)
{
	bool	 is_inline = l->style == LAYOUT_INLINE;
	bool	 bare = l->style == LAYOUT_BARE;
	const char *p = is_inline ? sign : bounce_layout_eol(sign, st->end) + 1;

	for (const char *eol; p < st->end; p = eol + 1) {
		eol = bounce_layout_eol(p, st->end);
		bounce_layout_line(st, p, eol, is_inline, &bare);
		if (is_inline)
			break;
	}
	bounce_layout_close(st, st->end);
}

/* bounce_layout_fields - the recipients that follow the layout's label,
   from the sign's line on */
static void
bounce_layout_fields(struct layout_state *st, const struct layout *l,
    const char *sign)
{
	size_t	 n = strlen(l->label), len;

	for (const char *p = sign, *eol, *t, *a; p < st->end; p = eol + 1) {
		eol = bounce_layout_eol(p, st->end);
		t = p + strspn(p, " \t");
		if (t < eol && (size_t)(eol - t) > n &&
		    strncasecmp(t, l->label, n) == 0 &&
		    (a = bounce_scan_next_addr(t + n, eol, &len)) != NULL)
			bounce_layout_take_at(st, p, a, len);
	}
	bounce_layout_close(st, st->end);
}

/* bounce_layout_orig_from - the returned message's sender, or NULL */
static char *
bounce_layout_orig_from(const struct bounce_msg *m)
{
	char	*v, *a;

	if (!m->has_orig || (v = bounce_scan_header(m->orig.data,
	    "From")) == NULL)
		return NULL;
	a = bounce_scan_addr(v, strlen(v));
	free(v);
	return a;
}

/* bounce_layout_parse - the recipients of a report of a known layout:
   the first sign whose layout names any */
void
bounce_layout_parse(struct bounce_msg *m)
{
	struct layout_state st;
	const struct layout *l;
	const char *p, *sign;

	memset(&st, 0, sizeof(st));
	st.m = m;
	st.end = m->body.data + m->cut;
	st.orig_from = bounce_layout_orig_from(m);
	for (p = m->body.data; m->res->nrcpt == 0 && p < st.end &&
	    (l = bounce_layout_find(p, st.end, &sign)) != NULL;
	    p = bounce_layout_eol(sign, st.end) + 1) {
		st.sign = l->style == LAYOUT_FIELD ? NULL : sign;
		if (l->style == LAYOUT_FIELD)
			bounce_layout_fields(&st, l, sign);
		else
			bounce_layout_list(&st, l, sign);
	}
	free(st.orig_from);
}
