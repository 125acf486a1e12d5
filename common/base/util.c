/*++
 * NAME
 *	util 3
 * SUMMARY
 *	memory, string and time helpers
 * DESCRIPTION
 *	See util.h.
 * DIAGNOSTICS
 *	Allocation failure is fatal: a mail filter that cannot allocate a
 *	few bytes cannot do anything useful either.
 *--*/
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* xmalloc - malloc or die */
void *
xmalloc(size_t size)
{
	void	*p = malloc(size ? size : 1);

	if (p == NULL)
		fatal("malloc %zu bytes", size);
	return p;
}

/* xcalloc - calloc or die */
void *
xcalloc(size_t n, size_t size)
{
	void	*p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		fatal("calloc %zu x %zu bytes", n, size);
	return p;
}

/* xrealloc - realloc or die */
void *
xrealloc(void *old, size_t size)
{
	void	*p = realloc(old, size ? size : 1);

	if (p == NULL)
		fatal("realloc %zu bytes", size);
	return p;
}

/* xstrdup - strdup or die */
char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

/* xstrndup - copy at most len bytes and terminate */
char *
xstrndup(const char *s, size_t len)
{
	char	*p;
	size_t	 n = strnlen(s, len);

	p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* xasprintf - formatted allocation or die */
char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		fatal("vasprintf");
	va_end(ap);
	return p;
}

/* bg_strlcpy - bounded copy, returns strlen(src) */
size_t
bg_strlcpy(char *dst, const char *src, size_t size)
{
	size_t	 len = strlen(src);

	if (size > 0) {
		size_t	 n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

/* bg_strlcat - bounded append, returns the length it tried to create */
size_t
bg_strlcat(char *dst, const char *src, size_t size)
{
	size_t	 dlen = strnlen(dst, size);

	if (dlen == size)
		return size + strlen(src);
	return dlen + bg_strlcpy(dst + dlen, src, size - dlen);
}

/* bg_trim - strip leading and trailing white space in place */
char *
bg_trim(char *s)
{
	char	*end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* bg_lowercase - ASCII lower-case in place */
void
bg_lowercase(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* bg_streq_nocase - ASCII case-insensitive equality */
bool
bg_streq_nocase(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* bg_day - day number of a time */
uint32_t
bg_day(time_t t)
{
	return t < 0 ? 0 : (uint32_t)(t / 86400);
}

/* bg_day_start - the first second of a day number */
time_t
bg_day_start(uint32_t day)
{
	return (time_t)day * 86400;
}

/* bg_timestr - ISO 8601 UTC, or "-" for 0 */
const char *
bg_timestr(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL) {
		bg_strlcpy(buf, "-", size);
		return buf;
	}
	if (strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		bg_strlcpy(buf, "-", size);
	return buf;
}

/* bg_parse_time - accept ISO 8601 UTC dates, dates with time, or epoch */
int
bg_parse_time(const char *s, time_t *out)
{
	struct tm tm;
	const char *end;
	char	*ep;
	long long v;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) != NULL ||
	    (end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm)) != NULL ||
	    (end = strptime(s, "%Y-%m-%d", &tm)) != NULL) {
		if (*end == 'Z')
			end++;
		if (*end != '\0')
			return -1;
		*out = timegm(&tm);
		return 0;
	}
	v = strtoll(s, &ep, 10);
	if (*s == '\0' || *ep != '\0' || v < 0)
		return -1;
	*out = (time_t)v;
	return 0;
}

/* bg_write_all - write every byte, after short writes and EINTR */
int
bg_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t	 w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* bg_utf8_len - length of the valid UTF-8 sequence at s (1 for ASCII),
   or 0: overlong forms, surrogates and code points past U+10FFFF are
   invalid */
size_t
bg_utf8_len(const unsigned char *s)
{
	size_t	 n;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* bg_nul_fields - the NUL-ended fields of a message; -1 if one is not
   ended or there are more than max */
ssize_t
bg_nul_fields(const char *p, size_t len, const char **v, size_t max)
{
	size_t	 n = 0, off = 0;

	while (off < len) {
		const char *nul = memchr(p + off, '\0', len - off);

		if (nul == NULL || n >= max)
			return -1;
		v[n++] = p + off;
		off = (size_t)(nul - p) + 1;
	}
	return (ssize_t)n;
}
