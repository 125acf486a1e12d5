/*++
 * NAME
 *	reply 3
 * SUMMARY
 *	the reply given to a suppressed recipient
 * DESCRIPTION
 *	reject_reply is "CODE [X.Y.Z] TEXT", where TEXT may hold %a (the
 *	address), %r (the reason of the suppression), %d (the date it
 *	started, YYYY-MM-DD) and %% (a percent sign).
 *
 *	reply_check() refuses a reply that libmilter or the MTA would
 *	mangle: a code that is not 4xx or 5xx, an enhanced code whose
 *	class differs from the code's, an unknown escape, control
 *	characters. reply_format() fills in the escapes; the substituted
 *	values come from the store and from the client, so control
 *	characters in them become '?' and the text is cut to a length
 *	every MTA accepts. reply_escape_percent() doubles '%' for
 *	smfi_setreply(), which would otherwise drop the text.
 * DIAGNOSTICS
 *	reply_check() says what is wrong in its buffer.
 *--*/
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "libbase.h"
#include "milter.h"

/* reply_codes - split "CODE [X.Y.Z] TEXT"; the text's offset, or -1 */
static int
reply_codes(const char *s, struct reply *r, char *why, size_t wl)
{
	const char *p = s;
	size_t	 n;

	memset(r, 0, sizeof(*r));
	if (!(p[0] == '4' || p[0] == '5') || !isdigit((unsigned char)p[1]) ||
	    !isdigit((unsigned char)p[2]) || (p[3] != ' ' && p[3] != '\0')) {
		snprintf(why, wl, "must start with a 4xx or 5xx reply code");
		return -1;
	}
	memcpy(r->rcode, p, 3);
	p += 3;
	while (*p == ' ')
		p++;
	n = strspn(p, "0123456789.");
	if (n > 0 && (p[n] == ' ' || p[n] == '\0')) {
		if (n >= sizeof(r->xcode) || p[0] != s[0] || p[1] != '.' ||
		    strchr(p + 2, '.') == NULL) {
			snprintf(why, wl, "bad enhanced status code (X.Y.Z "
			    "with X the first digit of the reply code)");
			return -1;
		}
		memcpy(r->xcode, p, n);
		p += n;
		while (*p == ' ')
			p++;
	}
	return (int)(p - s);
}

/* reply_check - is a reject_reply usable? */
int
reply_check(const char *fmt, char *why, size_t wl)
{
	struct reply r;
	int	 off;

	if ((off = reply_codes(fmt, &r, why, wl)) < 0)
		return -1;
	for (const char *p = fmt + off; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(why, wl, "control character in the text");
			return -1;
		}
		if (*p == '%' && strchr("ard%", p[1] ? p[1] : 'x') == NULL) {
			snprintf(why, wl, "unknown escape \"%%%c\" (use %%a, "
			    "%%r, %%d or %%%%)", p[1] ? p[1] : ' ');
			return -1;
		}
		if (*p == '%')
			p++;
	}
	if (fmt[off] == '\0') {
		snprintf(why, wl, "no text after the reply code");
		return -1;
	}
	return 0;
}

/* reply_sanitize - a value safe in a reply: printable, bounded */
void
reply_sanitize(const char *in, char *out, size_t size)
{
	size_t	 o = 0;

	for (; in != NULL && *in != '\0' && o + 1 < size; in++) {
		unsigned char c = (unsigned char)*in;

		out[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	if (size > 0)
		out[o] = '\0';
}

/* reply_escape_percent - double every '%' for smfi_setreply() */
void
reply_escape_percent(const char *in, char *out, size_t size)
{
	size_t	 o = 0;

	for (; *in != '\0' && o + 2 < size; in++) {
		if (*in == '%')
			out[o++] = '%';
		out[o++] = *in;
	}
	if (size > 0)
		out[o] = '\0';
}

/* reply_value - the value of one escape */
static const char *
reply_value(char c, const char *addr, const struct store_supp *s,
    char *tmp, size_t tl)
{
	struct tm tm;
	time_t	 t;

	switch (c) {
	case 'a':
		return addr;
	case 'r':
		return s->reason[0] ? s->reason : "suppressed";
	case 'd':
		t = (time_t)s->since;
		if (t <= 0 || gmtime_r(&t, &tm) == NULL)
			return "unknown date";
		strftime(tmp, tl, "%Y-%m-%d", &tm);
		return tmp;
	default:
		return "%";
	}
}

/* reply_format - the reply for a suppressed address; -1 if unusable */
int
reply_format(const char *fmt, const char *addr, const struct store_supp *s,
    struct reply *r)
{
	char	 why[128], tmp[32], clean[STORE_TEXT_MAX];
	struct buf b = BUF_INIT;
	int	 off;

	if ((off = reply_codes(fmt, r, why, sizeof(why))) < 0)
		return -1;
	for (const char *p = fmt + off; *p != '\0'; p++) {
		if (*p != '%' || p[1] == '\0') {
			buf_addch(&b, *p);
			continue;
		}
		reply_sanitize(reply_value(*++p, addr, s, tmp, sizeof(tmp)),
		    clean, sizeof(clean));
		buf_addstr(&b, clean);
	}
	reply_sanitize(buf_cstr(&b), r->text, sizeof(r->text));
	buf_free(&b);
	return 0;
}
