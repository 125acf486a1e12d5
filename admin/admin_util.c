/*++
 * NAME
 *	admin_util 3
 * SUMMARY
 *	helpers shared by the bounceguard commands
 * DESCRIPTION
 *	admin_getopt() wraps getopt_long() so that every command reports a
 *	bad option in one line and exits 2. admin_addr_arg() normalizes an
 *	address argument the way the store keys it. admin_parse_duration()
 *	reads "30m", "12h", "30d", "2w" or plain seconds; admin_parse_when()
 *	reads a duration from now or an absolute date.
 *
 *	Tables go to a program as tab-separated lines, written as they
 *	come, with tabs, newlines and backslashes in values escaped as \t,
 *	\n and \\; to a terminal they are kept until table_flush() and
 *	printed with aligned columns, "-" standing for an empty value.
 * DIAGNOSTICS
 *	Usage errors are printed by admin_usage() and return EXIT_USAGE.
 *--*/
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "libbase.h"
#include "libmail.h"

/* admin_getopt - the next option, -1 at the end, -2 after a usage error */
int
admin_getopt(const char *cmd, int argc, char **argv,
    const struct option *opts, int *status)
{
	const char *arg;
	int	 ch;

	opterr = 0;
	ch = getopt_long(argc, argv, ":", opts, NULL);
	if (ch != '?' && ch != ':')
		return ch;
	arg = optind >= 1 && optind <= argc ? argv[optind - 1] : "?";
	if (ch == ':')
		*status = admin_usage(cmd, "option \"%s\" needs a value", arg);
	else
		*status = admin_usage(cmd, "unknown option \"%s\"", arg);
	return -2;
}

/* admin_addr_arg - an address argument in the store's form */
int
admin_addr_arg(const char *cmd, const char *in, char *out, size_t size,
    unsigned flags)
{
	const char *why;

	if (addr_normalize(in, out, size, flags, &why) < 0)
		return admin_usage(cmd, "bad address \"%s\": %s", in, why);
	return 0;
}

/* admin_parse_duration - "45s", "30m", "12h", "30d", "2w" or seconds */
int
admin_parse_duration(const char *s, long long *out)
{
	static const char units[] = "smhdw";
	static const long long mult[] = { 1, 60, 3600, 86400, 604800 };
	const char *u;
	char	*end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *s == '-' || *s == '+' || errno == ERANGE || v <= 0)
		return -1;
	if (*end != '\0') {
		if (end[1] != '\0' || (u = strchr(units, *end)) == NULL)
			return -1;
		if (v > LLONG_MAX / 604800)
			return -1;
		v *= mult[u - units];
	}
	*out = v;
	return 0;
}

/* admin_parse_when - a duration from now, or an absolute date */
int
admin_parse_when(const char *s, time_t now, time_t *out)
{
	long long d;

	if (strchr(s, '-') != NULL)
		return bg_parse_time(s, out) < 0 || *out <= now ? -1 : 0;
	if (admin_parse_duration(s, &d) < 0 || d > 100LL * 366 * 86400)
		return -1;
	*out = now + (time_t)d;
	return 0;
}

/* admin_time - ISO UTC time, or "" for 0 */
const char *
admin_time(int64_t t, char *buf, size_t size)
{
	if (t == 0) {
		if (size > 0)
			buf[0] = '\0';
		return buf;
	}
	return bg_timestr((time_t)t, buf, size);
}

/* admin_text_ok - free text without control characters */
bool
admin_text_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* admin_tsv_escape - append a value with \t \n \r \\ escaped */
void
admin_tsv_escape(struct buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '\t': buf_addstr(b, "\\t"); break;
		case '\n': buf_addstr(b, "\\n"); break;
		case '\r': buf_addstr(b, "\\r"); break;
		case '\\': buf_addstr(b, "\\\\"); break;
		default: buf_addch(b, *s); break;
		}
	}
}

/* admin_tsv_unescape - undo admin_tsv_escape in place; -1 if malformed */
int
admin_tsv_unescape(char *s)
{
	char	*o = s;

	for (; *s != '\0'; s++) {
		if (*s != '\\') {
			*o++ = *s;
			continue;
		}
		switch (*++s) {
		case 't': *o++ = '\t'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case '\\': *o++ = '\\'; break;
		default: return -1;
		}
	}
	*o = '\0';
	return 0;
}

/* admin_tty - standard output is a terminal */
bool
admin_tty(void)
{
	return isatty(STDOUT_FILENO) == 1;
}

/* table_init - a table of ncols columns */
void
table_init(struct table *t, size_t ncols, bool align, FILE *out)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->align = align;
	t->out = out;
}

/* table_tsv - write one row as tab-separated values */
static void
table_tsv(struct table *t, const char *const *cells)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < t->ncols; i++) {
		if (i > 0)
			buf_addch(&b, '\t');
		admin_tsv_escape(&b, cells[i]);
	}
	buf_addch(&b, '\n');
	fwrite(b.data, 1, b.len, t->out);
	buf_free(&b);
}

/* table_row - add a row; written at once unless aligning */
void
table_row(struct table *t, const char *const *cells)
{
	struct buf b = BUF_INIT;

	if (!t->align) {
		table_tsv(t, cells);
		return;
	}
	if ((t->nrows + 1) * t->ncols > t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64 * t->ncols;
		t->cells = xrealloc(t->cells, t->cap * sizeof(*t->cells));
	}
	for (size_t i = 0; i < t->ncols; i++) {
		buf_reset(&b);
		admin_tsv_escape(&b, cells[i]);
		t->cells[t->nrows * t->ncols + i] = xstrdup(b.len ? b.data : "-");
	}
	t->nrows++;
	buf_free(&b);
}

/* table_flush - print the kept rows aligned, and forget them */
void
table_flush(struct table *t)
{
	size_t	*w = xcalloc(t->ncols, sizeof(*w));

	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		if (strlen(t->cells[i]) > w[i % t->ncols])
			w[i % t->ncols] = strlen(t->cells[i]);
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			if (c + 1 == t->ncols)
				fprintf(t->out, "%s\n", s);
			else
				fprintf(t->out, "%-*s  ", (int)w[c], s);
		}
	}
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(w);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}
