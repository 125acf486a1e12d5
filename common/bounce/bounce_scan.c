/*++
 * NAME
 *	bounce_scan 3
 * SUMMARY
 *	small text scanners for the bounce parser
 * DESCRIPTION
 *	Hand-written scanners for what every bounce format needs: e-mail
 *	addresses in running text, RFC 3463 status codes, SMTP reply
 *	codes, the SMTP command that was refused, header fields in a block
 *	of header text, whitespace folding, and the text of HTML. They are plain loops, not
 *	regular expressions, because they run over every message.
 *
 *	Functions returning char * return memory the caller frees, or
 *	NULL when there is nothing to return.
 * DIAGNOSTICS
 *	None.
 *--*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "bounce_int.h"
#include "libbase.h"

#define SCAN_MAX_ADDR	320

/* bounce_scan_append - append text with LF line endings */
void
bounce_scan_append(struct buf *b, const char *s, size_t n)
{
	const char *end = n > 0 ? s + n : s;	/* s may be NULL when n is 0 */

	while (s < end) {
		const char *cr = memchr(s, '\r', (size_t)(end - s));

		if (cr == NULL) {
			buf_add(b, s, (size_t)(end - s));
			break;
		}
		buf_add(b, s, (size_t)(cr - s));
		if (cr + 1 == end || cr[1] != '\n')
			buf_addch(b, '\n');
		s = cr + 1;
	}
	if (b->data == NULL)
		buf_addstr(b, "");
}

/* bounce_scan_is_local - a character of an unquoted local part */
static bool
bounce_scan_is_local(int c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~.", c)) ||
	    c >= 0x80;
}

/* bounce_scan_is_domain - a character of a domain name */
static bool
bounce_scan_is_domain(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_';
}

/* bounce_scan_quoted - the start of a quoted local part ending at at */
static const char *
bounce_scan_quoted(const char *start, const char *at)
{
	const char *q = at - 1;

	while (q > start && q[-1] != '"' && q[-1] != '\n' && at - q < 64)
		q--;
	return q > start && q[-1] == '"' && q - 1 < at - 2 ? q - 1 : at;
}

/* Address types that some reports write before an address
   ("SMTP=jane@example.org" in Exchange's X.400-style notices, the
   "type;" of RFC 3464 written with "="): never part of the mailbox. */
static const char *const scan_addr_types[] = { "smtp=", "rfc822=", NULL };

/* bounce_scan_trim_local - the local part without an opening quote
   (reports quote addresses as 'jane@example.org'; no mailbox starts
   with one) or an address type prefix */
static const char *
bounce_scan_trim_local(const char *l, const char *at)
{
	while (l < at && (*l == '\'' || *l == '`'))
		l++;
	for (int i = 0; scan_addr_types[i] != NULL; i++) {
		size_t	 n = strlen(scan_addr_types[i]);

		if ((size_t)(at - l) > n && strncasecmp(l, scan_addr_types[i],
		    n) == 0)
			return l + n;
	}
	return l;
}

/* bounce_scan_addr_at - the address around the '@' at "at", if any */
static const char *
bounce_scan_addr_at(const char *start, const char *at, size_t *len,
    bool strict)
{
	const char *l = at, *r = at + 1;
	bool	 dot = !strict;

	if (at > start && at[-1] == '"')
		l = bounce_scan_quoted(start, at);
	while (l > start && bounce_scan_is_local((unsigned char)l[-1]))
		l--;
	if (l < at && *l != '"')
		l = bounce_scan_trim_local(l, at);
	while (l < at && *l == '.')
		l++;
	while (bounce_scan_is_domain((unsigned char)*r))
		dot |= *r++ == '.';
	while (r > at + 1 && (r[-1] == '.' || r[-1] == '-'))
		r--;
	if (l == at || r == at + 1 || at[1] == '.' || at[1] == '-' ||
	    (size_t)(r - l) > SCAN_MAX_ADDR || at[-1] == '.')
		return NULL;
	if (!dot && strncmp(at + 1, "localhost", 9) != 0)
		return NULL;
	*len = (size_t)(r - l);
	return l;
}

/* bounce_scan_find_addr - the next address in [s, end), or NULL */
static const char *
bounce_scan_find_addr(const char *s, const char *end, size_t *len,
    bool strict)
{
	const char *start = s;

	while (s < end) {
		const char *at = memchr(s, '@', (size_t)(end - s));
		const char *a;

		if (at == NULL)
			return NULL;
		if ((a = bounce_scan_addr_at(start, at, len, strict)) != NULL)
			return a;
		s = at + 1;
	}
	return NULL;
}

/* bounce_scan_next_addr - the next address in running text, or NULL */
const char *
bounce_scan_next_addr(const char *s, const char *end, size_t *len)
{
	return bounce_scan_find_addr(s, end, len, true);
}

/* bounce_scan_addr - a lower-cased address from a field value */
char *
bounce_scan_addr(const char *s, size_t n)
{
	const char *a, *semi = memchr(s, ';', n);
	char	*out;
	size_t	 len;

	if (semi != NULL && memchr(s, '@', (size_t)(semi - s)) == NULL) {
		n -= (size_t)(semi + 1 - s);
		s = semi + 1;
	}
	if ((a = bounce_scan_find_addr(s, s + n, &len, false)) == NULL)
		return NULL;
	out = xstrndup(a, len);
	bg_lowercase(out);
	return out;
}

/* bounce_scan_status_at - an RFC 3463 code starting at p; its length */
static size_t
bounce_scan_status_at(const char *base, const char *p)
{
	const char *q = p + 2;
	size_t	 n;

	if ((*p != '2' && *p != '4' && *p != '5') || p[1] != '.')
		return 0;
	if (p > base && (isalnum((unsigned char)p[-1]) || p[-1] == '.' ||
	    p[-1] == '/'))
		return 0;
	if (p > base && p[-1] == '-' &&
	    (p - 1 == base || !isdigit((unsigned char)p[-2])))
		return 0;
	if (!isdigit((unsigned char)q[0]) || q[0] > '7' || q[1] != '.')
		return 0;
	q += 2;
	for (n = 0; n < 3 && isdigit((unsigned char)q[n]); n++)
		;
	if (n == 0 || isdigit((unsigned char)q[n]) || isalpha((unsigned char)q[n]) ||
	    (q[n] == '.' && isdigit((unsigned char)q[n + 1])))
		return 0;
	return (size_t)(q + n - p);
}

/* bounce_scan_status_rank - how telling a code is: 0 generic, 1 success,
   2 a specific failure */
static int
bounce_scan_status_rank(const char *code)
{
	if (code[0] == '2')
		return 1;
	return strcmp(code + 1, ".0.0") == 0 ? 0 : 2;
}

/* bounce_scan_status_of - the most telling status code of the given
   classes: the last specific failure code, else the first code found */
static bool
bounce_scan_status_of(const char *s, const char *classes, char *out,
    size_t size)
{
	int	 best = -1;

	for (const char *p = s; *p != '\0'; p++) {
		size_t	 n;

		p += strcspn(p, classes);
		if (*p == '\0')
			break;
		if ((n = bounce_scan_status_at(s, p)) > 0 && n < size) {
			char	 code[16];
			int	 rank;

			memcpy(code, p, n);
			code[n] = '\0';
			rank = bounce_scan_status_rank(code);
			if (rank > best || (rank == 2 && best == 2)) {
				memcpy(out, code, n + 1);
				best = rank;
			}
			p += n - 1;
		}
	}
	return best >= 0;
}

/* bounce_scan_status - the most telling status code of a text: the last
   specific failure code, else the first code found */
bool
bounce_scan_status(const char *s, char *out, size_t size)
{
	return bounce_scan_status_of(s, "245", out, size);
}

/* bounce_scan_fail_status - the most telling failure (4.x.x or 5.x.x)
   code of a text: in a report of a failure, a success code belongs to
   an earlier step of the transcript ("250 2.1.0 Sender ok") */
bool
bounce_scan_fail_status(const char *s, char *out, size_t size)
{
	return bounce_scan_status_of(s, "45", out, size);
}

/* bounce_scan_reply_at - a reply code token at p */
static bool
bounce_scan_reply_at(const char *base, const char *p, const char *classes)
{
	if (strchr(classes, *p) == NULL || !isdigit((unsigned char)p[1]) ||
	    !isdigit((unsigned char)p[2]) || p[1] > '5')
		return false;
	if (p > base && !strchr(" \t\n(:<\"'[=", p[-1]))
		return false;
	return p[3] == ' ' || p[3] == '-' || p[3] == '\0' || p[3] == '\n' ||
	    p[3] == ',' || p[3] == ')' || p[3] == '\t';
}

/* bounce_scan_reply_in - the first reply code of the given classes */
static bool
bounce_scan_reply_in(const char *s, const char *classes, char *out)
{
	for (const char *p = s; *p != '\0'; p++) {
		p += strcspn(p, classes);
		if (*p == '\0')
			break;
		if (bounce_scan_reply_at(s, p, classes)) {
			memcpy(out, p, 3);
			out[3] = '\0';
			return true;
		}
	}
	return false;
}

/* bounce_scan_reply - the SMTP reply code of a diagnostic text */
bool
bounce_scan_reply(const char *s, char *out, size_t size)
{
	if (size < 4)
		return false;
	return bounce_scan_reply_in(s, "45", out) ||
	    bounce_scan_reply_in(s, "2", out);
}

/* bounce_scan_fail_reply - the first 4xx or 5xx reply code of a text */
bool
bounce_scan_fail_reply(const char *s, char *out, size_t size)
{
	return size >= 4 && bounce_scan_reply_in(s, "45", out);
}

/* Phrases naming the SMTP command a reply answered. */
static const struct {
	const char *phrase;
	const char *command;
} scan_commands[] = {
	{ "end of data", "DATA" }, { "after data", "DATA" },
	{ "final data", "DATA" }, { "reply to data", "DATA" },
	{ ">>> data", "DATA" }, { "data command", "DATA" },
	{ "our data", "DATA" }, { "command data", "DATA" },
	{ "in: data", "DATA" }, { "in: rcpt", "RCPT" }, { "in: mail", "MAIL" },
	{ "rcpt to", "RCPT" }, { ">>> rcpt", "RCPT" },
	{ "after rcpt", "RCPT" }, { "rcpt command", "RCPT" },
	{ "command rcpt", "RCPT" }, { "[rcpt_to]", "RCPT" },
	{ "smtp:rcpt", "RCPT" }, { "smtp:data", "DATA" },
	{ "mail from:", "MAIL" }, { "mail from command", "MAIL" },
	{ ">>> mail", "MAIL" },
	{ "after mail", "MAIL" }, { "[mail_from]", "MAIL" },
	/* Postfix: "host X refused to talk to me: 554 ...", "(in reply to
	   EHLO command)"; Exim: "SMTP error from remote mail server after
	   initial connection:", "after EHLO ..." */
	{ "refused to talk to me", "CONNECT" },
	{ "after initial connection", "CONNECT" },
	{ "in reply to ehlo", "HELO" }, { "in reply to helo", "HELO" },
	{ "after ehlo", "HELO" }, { "after helo", "HELO" },
	{ ">>> ehlo", "HELO" }, { ">>> helo", "HELO" },
};

/* bounce_scan_first_error - where the first 4xx or 5xx reply is */
static const char *
bounce_scan_first_error(const char *s)
{
	for (const char *p = s; *p != '\0'; p++) {
		p += strcspn(p, "45");
		if (*p == '\0')
			break;
		if (bounce_scan_reply_at(s, p, "45"))
			return p;
	}
	return NULL;
}

/* bounce_scan_command_in - the command of a lower-cased text */
static const char *
bounce_scan_command_in(const char *s)
{
	const char *err = bounce_scan_first_error(s);
	const char *before = NULL, *after = NULL, *bpos = NULL, *apos = NULL;
	bool	 several = false;	/* after it: an envelope listing */

	for (size_t i = 0; i < BG_ARRAY_SIZE(scan_commands); i++) {
		const char *p = strstr(s, scan_commands[i].phrase), *q;

		for (q = p; q != NULL && err != NULL && q < err;
		    q = strstr(q + 1, scan_commands[i].phrase))
			p = q;
		if (p == NULL)
			continue;
		if (err != NULL && p < err && (bpos == NULL || p > bpos)) {
			bpos = p;
			before = scan_commands[i].command;
		} else if (err == NULL || p >= err) {
			if (after != NULL &&
			    strcmp(after, scan_commands[i].command) != 0)
				several = true;
			if (apos == NULL || p < apos) {
				apos = p;
				after = scan_commands[i].command;
			}
		}
	}
	return before != NULL ? before : several ? NULL : after;
}

/* bounce_scan_command - the SMTP command a diagnostic says was refused:
   the last one named before the first error reply, else the one named
   after it ("in reply to end of DATA command"); several commands after
   it are a listing of the envelope ("MAIL FROM: a RCPT TO: b"), which
   names none */
const char *
bounce_scan_command(const char *s)
{
	char	 low[4096];
	size_t	 n = strlen(s);

	if (n >= sizeof(low))
		n = sizeof(low) - 1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[n] = '\0';
	if (strpbrk(low, "drmh") == NULL)	/* in every phrase */
		return NULL;
	return bounce_scan_command_in(low);
}

/* bounce_scan_is_reply_prefix - "550-5.1.1 " or "550 " at p; its length */
static size_t
bounce_scan_is_reply_prefix(const char *p, const char *code)
{
	size_t	 n;

	if (strncmp(p, code, 3) != 0 || (p[3] != '-' && p[3] != ' '))
		return 0;
	n = 4;
	if (isdigit((unsigned char)p[n]) && p[n + 1] == '.') {
		size_t	 k = strcspn(p + n, " ");

		if (k < 12)
			n += k + (p[n + k] == ' ');
	}
	return n;
}

/* bounce_scan_unfold_reply - drop the codes of continued reply lines */
void
bounce_scan_unfold_reply(char *s)
{
	char	 code[4];
	char	*w = s;

	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]) || (s[3] != '-' && s[3] != ' '))
		return;
	memcpy(code, s, 3);
	code[3] = '\0';
	for (const char *r = s; *r != '\0';) {
		size_t	 n;

		if (r > s && r[-1] == ' ' &&
		    (n = bounce_scan_is_reply_prefix(r, code)) > 0) {
			r += n;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
}

/* bounce_scan_collapse - text with white space runs made one space */
char *
bounce_scan_collapse(const char *s, size_t n, size_t max)
{
	char	*out = xmalloc(n + 1), *o = out;
	bool	 space = true;

	for (size_t i = 0; i < n && (size_t)(o - out) < max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isspace(c)) {
			if (!space)
				*o++ = ' ';
			space = true;
		} else {
			*o++ = (char)c;
			space = false;
		}
	}
	while (o > out && o[-1] == ' ')
		o--;
	while (o > out && (size_t)(o - out) >= max &&
	    ((unsigned char)o[-1] & 0xC0) == 0x80)
		o--;
	*o = '\0';
	if (o == out) {
		free(out);
		return NULL;
	}
	return out;
}

/* bounce_scan_header - the unfolded value of a header in header text */
char *
bounce_scan_header(const char *text, const char *name)
{
	size_t	 nlen = strlen(name);
	const char *p = text;

	while (p != NULL && *p != '\0' && *p != '\n') {
		const char *eol = strchr(p, '\n');

		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			const char *v = p + nlen + 1, *end = eol;

			while (end != NULL && (end[1] == ' ' || end[1] == '\t'))
				end = strchr(end + 1, '\n');
			if (end == NULL)
				end = v + strlen(v);
			return bounce_scan_collapse(v, (size_t)(end - v), 4096);
		}
		if (eol == NULL)
			break;
		p = eol + 1;
	}
	return NULL;
}

/* bounce_scan_has_word - a caseless substring test */
bool
bounce_scan_has_word(const char *s, const char *word)
{
	return s != NULL && strcasestr(s, word) != NULL;
}

/* Entities common in HTML reports. */
static const struct {
	const char *name;
	const char *text;
} scan_entities[] = {
	{ "&lt;", "<" }, { "&gt;", ">" }, { "&amp;", "&" }, { "&quot;", "\"" },
	{ "&#39;", "'" }, { "&apos;", "'" }, { "&nbsp;", " " },
};

/* bounce_scan_html_tag - skip a tag; block-level ones end a line */
static const char *
bounce_scan_html_tag(struct buf *out, const char *p)
{
	const char *end = strchr(p, '>');
	const char *name = p + 1 + (p[1] == '/');

	if (end == NULL)
		return p + strlen(p);
	if (strncasecmp(name, "br", 2) == 0 || strncasecmp(name, "p", 1) == 0 ||
	    strncasecmp(name, "div", 3) == 0 || strncasecmp(name, "tr", 2) == 0 ||
	    strncasecmp(name, "li", 2) == 0 || strncasecmp(name, "h", 1) == 0)
		buf_addch(out, '\n');
	else
		buf_addch(out, ' ');
	return end + 1;
}

/* bounce_scan_html - the text of an HTML document, appended to out */
void
bounce_scan_html(struct buf *out, const char *html)
{
	for (const char *p = html; *p != '\0';) {
		size_t	 i;

		if (*p == '<') {
			p = bounce_scan_html_tag(out, p);
			continue;
		}
		for (i = 0; *p == '&' && i < BG_ARRAY_SIZE(scan_entities); i++)
			if (strncasecmp(p, scan_entities[i].name,
			    strlen(scan_entities[i].name)) == 0)
				break;
		if (*p == '&' && i < BG_ARRAY_SIZE(scan_entities)) {
			buf_addstr(out, scan_entities[i].text);
			p += strlen(scan_entities[i].name);
		} else
			buf_addch(out, *p++);
	}
	buf_addstr(out, "");
}
