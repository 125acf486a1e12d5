/*++
 * NAME
 *	cmd_import 3
 * SUMMARY
 *	bounceguard import: suppression lists, dumps and exports
 * DESCRIPTION
 *	"import FILE" reads CSV (comma-separated, with optional RFC 4180
 *	quoting) or TSV (tab-separated, with the dump's \t \n \\ escapes).
 *	Blank lines and lines starting with '#' are skipped. When the first
 *	line names columns (its first field is "address", "email" or
 *	"recipient"), the columns are taken by name: those of "dump"
 *	(address, reason, scope, source, since, expires, hard, soft, block,
 *	complaint, first_bounce, last_bounce, last_reason, last_status,
 *	last_diagnostic, and export's other, last_reply_code, last_mode and
 *	recent_soft; "date" means since; others are ignored). Without
 *	a header the columns are address, reason, date.
 *
 *	Each line suppresses its address in its scope (every sender when
 *	empty), replacing a suppression of the same scope. A line from a
 *	dump or export (a header with a "hard" column) also sets the
 *	counters and last-bounce fields, and an empty source there means
 *	the address had no suppression. Without a date a line keeps the
 *	date of an existing suppression, so importing the same file twice
 *	changes nothing the second time.
 *
 *	Lines are applied in batches of IMPORT_BATCH in one transaction
 *	each with a cheap commit, and the log is flushed at the end.
 * DIAGNOSTICS
 *	Every rejected line is named on stderr with its number and why,
 *	and changes nothing. A summary goes to stdout and syslog. Exit 0
 *	when no line was rejected, 1 otherwise or on a store error, 2 for a
 *	usage error.
 *--*/
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin.h"
#include "libbase.h"
#include "libmail.h"
#include "libstore.h"

#define IMPORT_BATCH	1000
#define IMPORT_FIELDS	64

enum { IMP_ADDED, IMP_UPDATED, IMP_UNCHANGED, IMP_FULL };

struct imp_row {
	char	 addr[STORE_ADDR_MAX];
	unsigned long line;
	bool	 full;			/* counters and last-bounce fields */
	uint32_t cols;			/* which columns the file has */
	bool	 has_supp;
	bool	 since_given;
	struct store_supp supp;
	struct store_addr rec;		/* the full fields, when full */
	int	 outcome;
};

struct imp_run {
	const char *name;
	FILE	*fp;
	char	 sep;
	bool	 started;		/* the first line was seen */
	bool	 header;
	bool	 full;
	int	 fmap[IMPORT_FIELDS];	/* file field -> row column, or -1 */
	uint32_t cols;			/* bit per row column present */
	size_t	 nfmap;
	time_t	 now;
	struct store *st;
	struct imp_row *batch;
	size_t	 n;
	unsigned long counts[4], rejected;
};

/* imp_reject - report a rejected line */
static void
imp_reject(struct imp_run *r, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
imp_reject(struct imp_run *r, unsigned long line, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "bounceguard: import: %s:%lu: rejected: ", r->name,
	    line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	r->rejected++;
}

/* imp_split_csv - split a CSV line in place; -1 for a bad quote */
static int
imp_split_csv(char *s, char **f, size_t max, size_t *n)
{
	char	*o;

	for (*n = 0; *n < max; s++) {
		f[(*n)++] = o = s;
		if (*s == '"') {
			for (s++;; s++) {
				if (*s == '\0')
					return -1;
				if (*s == '"' && s[1] == '"')
					*o++ = *s++;
				else if (*s == '"')
					break;
				else
					*o++ = *s;
			}
			s++;
			if (*s != ',' && *s != '\0')
				return -1;
		} else
			for (; *s != ',' && *s != '\0'; s++)
				*o++ = *s;
		if (*s == '\0') {
			*o = '\0';
			return 0;
		}
		*o = '\0';
	}
	return -1;
}

/* imp_split - split a line into fields; -1 and why on error */
static int
imp_split(struct imp_run *r, char *s, char **f, size_t *n, const char **why)
{
	if (r->sep == ',') {
		if (imp_split_csv(s, f, IMPORT_FIELDS, n) < 0)
			return *why = "unbalanced quotes or too many fields", -1;
		return 0;
	}
	for (*n = 0; *n < IMPORT_FIELDS; ) {
		f[(*n)++] = s;
		if ((s = strchr(s, '\t')) == NULL)
			break;
		*s++ = '\0';
	}
	if (s != NULL)
		return *why = "too many fields", -1;
	for (size_t i = 0; i < *n; i++)
		if (admin_tsv_unescape(f[i]) < 0)
			return *why = "bad backslash escape", -1;
	return 0;
}

/* imp_header - take column names from a header line */
static void
imp_header(struct imp_run *r, char **f, size_t n)
{
	r->header = true;
	r->nfmap = n;
	for (size_t i = 0; i < n; i++) {
		r->fmap[i] = row_column(bg_trim(f[i]));
		if (r->fmap[i] == ROW_HARD)
			r->full = true;
		if (r->fmap[i] >= 0)
			r->cols |= 1U << r->fmap[i];
		if (r->fmap[i] < 0)
			fprintf(stderr, "bounceguard: import: %s: column "
			    "\"%s\" ignored\n", r->name, f[i]);
	}
}

/* imp_is_header - the first line names columns */
static bool
imp_is_header(char *first)
{
	char	 name[32];

	bg_strlcpy(name, first, sizeof(name));
	return row_column(bg_trim(name)) == ROW_ADDRESS;
}

/* imp_time - a time field; empty is 0 */
static int
imp_time(const char *s, int64_t *out)
{
	time_t	 t;

	if (*s == '\0')
		return *out = 0, 0;
	if (bg_parse_time(s, &t) < 0)
		return -1;
	*out = t;
	return 0;
}

/* imp_times - comma-separated times into the recent soft bounces */
static int
imp_times(char *s, struct store_addr *a)
{
	char	*t, *save = NULL;

	a->nsoft = 0;
	for (t = strtok_r(s, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save)) {
		if (a->nsoft == STORE_MAX_SOFT ||
		    imp_time(bg_trim(t), &a->soft_times[a->nsoft]) < 0)
			return -1;
		a->nsoft++;
	}
	return 0;
}

/* imp_u32 - a counter field; empty is 0 */
static int
imp_u32(const char *s, uint32_t *out)
{
	unsigned long long v = 0;

	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || (v = v * 10 +
		    (unsigned)(*p - '0')) > UINT32_MAX)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* imp_bad - "bad WHAT" for a field */
static const char *
imp_bad(const char *what)
{
	static char why[64];

	snprintf(why, sizeof(why), "bad %s", what);
	return why;
}

/* imp_text - copy a text field, checking its length and characters */
static const char *
imp_text(char *dst, size_t size, const char *s, const char *what)
{
	static char why[64];
	bool	 ctl_ok = strcmp(what, "last_diagnostic") == 0;

	if ((!ctl_ok && !admin_text_ok(s)) ||
	    bg_strlcpy(dst, s, size) >= size) {
		snprintf(why, sizeof(why), "bad %s (control characters, or "
		    "longer than %zu)", what, size - 1);
		return why;
	}
	return NULL;
}

/* imp_source_ok - a known suppression source */
static bool
imp_source_ok(const char *s)
{
	return strcmp(s, "bounce") == 0 || strcmp(s, "complaint") == 0 ||
	    strcmp(s, "manual") == 0 || strcmp(s, "import") == 0;
}

enum imp_kind {
	IMP_ADDR, IMP_TEXT, IMP_SCOPE, IMP_SOURCE, IMP_TIME, IMP_COUNT,
	IMP_TIMES,
};

#define IMP_AT(m)	offsetof(struct imp_row, m), sizeof(((struct imp_row *)0)->m)

/* How each column is read, and where it goes. */
static const struct imp_spec {
	int	 col;
	enum imp_kind kind;
	size_t	 off, size;
	const char *what;		/* in "bad ..." messages */
} imp_specs[] = {
	{ ROW_ADDRESS, IMP_ADDR, IMP_AT(addr), "address" },
	{ ROW_REASON, IMP_TEXT, IMP_AT(supp.reason), "reason" },
	{ ROW_SCOPE, IMP_SCOPE, IMP_AT(supp.scope), "scope" },
	{ ROW_SOURCE, IMP_SOURCE, IMP_AT(supp.source), "source" },
	{ ROW_SINCE, IMP_TIME, IMP_AT(supp.since), "date" },
	{ ROW_EXPIRES, IMP_TIME, IMP_AT(supp.expires), "expiry date" },
	{ ROW_HARD, IMP_COUNT, IMP_AT(rec.hard_count), "count" },
	{ ROW_SOFT, IMP_COUNT, IMP_AT(rec.soft_count), "count" },
	{ ROW_BLOCK, IMP_COUNT, IMP_AT(rec.block_count), "count" },
	{ ROW_COMPLAINT, IMP_COUNT, IMP_AT(rec.complaint_count), "count" },
	{ ROW_FIRST_BOUNCE, IMP_TIME, IMP_AT(rec.first_bounce), "bounce time" },
	{ ROW_LAST_BOUNCE, IMP_TIME, IMP_AT(rec.last_bounce), "bounce time" },
	{ ROW_LAST_REASON, IMP_TEXT, IMP_AT(rec.last_reason), "last_reason" },
	{ ROW_LAST_STATUS, IMP_TEXT, IMP_AT(rec.last_status), "last_status" },
	{ ROW_LAST_DIAGNOSTIC, IMP_TEXT, IMP_AT(rec.last_diagnostic),
	  "last_diagnostic" },
	{ ROW_OTHER, IMP_COUNT, IMP_AT(rec.other_count), "count" },
	{ ROW_LAST_REPLY_CODE, IMP_TEXT, IMP_AT(rec.last_reply_code),
	  "last_reply_code" },
	{ ROW_LAST_MODE, IMP_TEXT, IMP_AT(rec.last_mode), "last_mode" },
	{ ROW_RECENT_SOFT, IMP_TIMES, IMP_AT(rec), "recent_soft" },
};

/* imp_field - one field into the row; NULL or why it is bad */
static const char *
imp_field(struct imp_row *w, int col, char *v)
{
	const struct imp_spec *sp = NULL;
	const char *why = NULL;
	void	*p;

	for (size_t i = 0; i < BG_ARRAY_SIZE(imp_specs); i++)
		if (imp_specs[i].col == col)
			sp = &imp_specs[i];
	if (sp == NULL)
		return NULL;		/* state, unknown columns */
	p = (char *)w + sp->off;
	switch (sp->kind) {
	case IMP_ADDR:
		return addr_normalize(v, p, sp->size, ADDR_DOMAIN_OK, &why) < 0 ?
		    why : NULL;
	case IMP_SCOPE:
		v += *v == '@';
		bg_lowercase(v);
		if (*v != '\0' && !addr_domain_ok(v))
			return "bad scope (expected a sender domain)";
		break;
	case IMP_SOURCE:
		if (*v != '\0' && !imp_source_ok(v))
			return "bad source (bounce, complaint, manual or import)";
		break;
	case IMP_TIME:
		w->since_given |= col == ROW_SINCE && *v != '\0';
		return imp_time(v, p) < 0 ? imp_bad(sp->what) : NULL;
	case IMP_COUNT:
		return imp_u32(v, p) < 0 ? "bad count" : NULL;
	case IMP_TIMES:
		return imp_times(v, p) < 0 ? "bad recent_soft (at most 64 "
		    "comma-separated times)" : NULL;
	case IMP_TEXT:
		break;
	}
	return imp_text(p, sp->size, v, sp->what);
}

/* imp_row - a data line into a row; NULL or why it is bad */
static const char *
imp_row(struct imp_run *r, struct imp_row *w, char **f, size_t n)
{
	static const int plain[] = { ROW_ADDRESS, ROW_REASON, ROW_SINCE };
	const char *why;
	int	 col;

	memset(w, 0, sizeof(*w));
	if (n > (r->header ? r->nfmap : BG_ARRAY_SIZE(plain)))
		return "more fields than columns";
	for (size_t i = 0; i < n; i++) {
		col = r->header ? r->fmap[i] : plain[i];
		if (col >= 0 && (why = imp_field(w, col, r->sep == ',' ||
		    col != ROW_LAST_DIAGNOSTIC ? bg_trim(f[i]) : f[i])))
			return why;
	}
	if (w->addr[0] == '\0')
		return "no address";
	w->full = r->full;
	w->cols = r->cols;
	if (w->supp.source[0] == '\0' && (!r->full || w->supp.reason[0]))
		bg_strlcpy(w->supp.source, "import", sizeof(w->supp.source));
	w->has_supp = w->supp.source[0] != '\0';
	if (w->has_supp && w->supp.reason[0] == '\0')
		bg_strlcpy(w->supp.reason, "import", sizeof(w->supp.reason));
	return NULL;
}

/* imp_same_supp - two suppressions are equal */
static bool
imp_same_supp(const struct store_supp *x, const struct store_supp *y)
{
	return strcmp(x->scope, y->scope) == 0 &&
	    strcmp(x->reason, y->reason) == 0 &&
	    strcmp(x->source, y->source) == 0 && x->since == y->since &&
	    x->expires == y->expires;
}

/* imp_same - two records are equal in everything but "updated" */
static bool
imp_same(const struct store_addr *x, const struct store_addr *y)
{
	if (x->first_bounce != y->first_bounce ||
	    x->last_bounce != y->last_bounce ||
	    x->hard_count != y->hard_count || x->soft_count != y->soft_count ||
	    x->block_count != y->block_count ||
	    x->complaint_count != y->complaint_count ||
	    x->other_count != y->other_count ||
	    x->nsoft != y->nsoft || x->nsupp != y->nsupp ||
	    strcmp(x->last_reply_code, y->last_reply_code) != 0 ||
	    strcmp(x->last_mode, y->last_mode) != 0 ||
	    memcmp(x->soft_times, y->soft_times, x->nsoft *
	    sizeof(x->soft_times[0])) != 0 ||
	    strcmp(x->last_reason, y->last_reason) != 0 ||
	    strcmp(x->last_status, y->last_status) != 0 ||
	    strcmp(x->last_diagnostic, y->last_diagnostic) != 0)
		return false;
	for (uint32_t i = 0; i < x->nsupp; i++)
		if (!imp_same_supp(&x->supp[i], &y->supp[i]))
			return false;
	return true;
}

/* imp_set_full - copy the counters and last-bounce fields the file has */
static void
imp_set_full(struct store_addr *a, const struct imp_row *w)
{
	const struct store_addr *f = &w->rec;

	for (size_t i = 0; i < BG_ARRAY_SIZE(imp_specs); i++) {
		const struct imp_spec *sp = &imp_specs[i];

		if (sp->off < offsetof(struct imp_row, rec) ||
		    sp->kind == IMP_TIMES || !(w->cols & (1U << sp->col)))
			continue;
		memcpy((char *)a + (sp->off - offsetof(struct imp_row, rec)),
		    (const char *)w + sp->off, sp->size);
	}
	if (w->cols & (1U << ROW_RECENT_SOFT)) {
		a->nsoft = f->nsoft;
		memcpy(a->soft_times, f->soft_times, sizeof(a->soft_times));
	}
}

/* imp_set_supp - add or replace the suppression of the row's scope */
static bool
imp_set_supp(struct store_addr *a, struct imp_row *w, time_t now)
{
	uint32_t i;

	for (i = 0; i < a->nsupp; i++)
		if (strcmp(a->supp[i].scope, w->supp.scope) == 0)
			break;
	if (i == STORE_MAX_SUPP)
		return false;
	if (!w->since_given)
		w->supp.since = i < a->nsupp ? a->supp[i].since : now;
	a->supp[i] = w->supp;
	if (i == a->nsupp)
		a->nsupp++;
	return true;
}

/* imp_apply - update function for one row */
static int
imp_apply(struct store_addr *a, bool existed, struct store_event *ev,
    struct store_delta *d, void *arg)
{
	struct imp_row *w = arg;
	struct store_addr old;

	(void)ev;
	(void)d;
	old = *a;
	if (w->full)
		imp_set_full(a, w);
	if (w->has_supp && !imp_set_supp(a, w, time(NULL)))
		return w->outcome = IMP_FULL, STORE_NOCHANGE;
	if (!existed)
		return w->outcome = IMP_ADDED, 0;
	if (imp_same(&old, a))
		return w->outcome = IMP_UNCHANGED, STORE_NOCHANGE;
	return w->outcome = IMP_UPDATED, 0;
}

/* imp_flush - apply the batch in one transaction */
static int
imp_flush(struct imp_run *r)
{
	const char *addrs[IMPORT_BATCH];
	void	*args[IMPORT_BATCH];
	int	 results[IMPORT_BATCH], rc;

	if (r->n == 0)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		addrs[i] = r->batch[i].addr;
		args[i] = &r->batch[i];
	}
	rc = store_update_many(r->st, r->n, addrs, imp_apply, args, results);
	if (rc < 0)
		return admin_fail("import", "%s: lines %lu to %lu not "
		    "imported: %s", r->name, r->batch[0].line,
		    r->batch[r->n - 1].line, store_error(r->st));
	for (size_t i = 0; i < r->n; i++)
		if (r->batch[i].outcome == IMP_FULL)
			imp_reject(r, r->batch[i].line, "%s already has %d "
			    "suppressions", r->batch[i].addr, STORE_MAX_SUPP);
		else
			r->counts[r->batch[i].outcome]++;
	r->n = 0;
	return 0;
}

/* imp_line - one line of the file */
static int
imp_line(struct imp_run *r, char *s, unsigned long line)
{
	char	*f[IMPORT_FIELDS];
	const char *why;
	size_t	 n;

	s[strcspn(s, "\r\n")] = '\0';
	if (line == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;				/* a UTF-8 byte order mark */
	if (s[strspn(s, " \t")] == '\0' || s[strspn(s, " \t")] == '#')
		return 0;
	if (r->sep == 0)
		r->sep = strchr(s, '\t') != NULL ? '\t' : ',';
	if (imp_split(r, s, f, &n, &why) < 0) {
		imp_reject(r, line, "%s", why);
		return 0;
	}
	if (!r->started && (r->started = true) && imp_is_header(f[0])) {
		imp_header(r, f, n);
		return 0;
	}
	if ((why = imp_row(r, &r->batch[r->n], f, n)) != NULL) {
		imp_reject(r, line, "%s", why);
		return 0;
	}
	r->batch[r->n++].line = line;
	return r->n == IMPORT_BATCH ? imp_flush(r) : 0;
}

/* imp_read - every line of the file */
static int
imp_read(struct imp_run *r)
{
	unsigned long line = 0;
	char	*s = NULL;
	size_t	 cap = 0;
	int	 rc = 0;

	r->batch = xcalloc(IMPORT_BATCH, sizeof(*r->batch));
	while (rc == 0 && !admin_interrupted &&
	    getline(&s, &cap, r->fp) != -1)
		rc = imp_line(r, s, ++line);
	if (rc == 0 && !admin_interrupted && ferror(r->fp))
		rc = admin_fail("import", "%s: %s", r->name, strerror(errno));
	if (rc == 0)
		rc = imp_flush(r);
	if (rc == 0 && admin_interrupted)
		rc = admin_fail("import", "%s: interrupted after line %lu; the "
		    "lines before it are imported", r->name, line);
	if (store_sync(r->st) != STORE_OK && rc == 0)
		rc = admin_fail("import", "%s", store_error(r->st));
	free(s);
	free(r->batch);
	return rc;
}

/* cmd_import - import a file of addresses */
int
cmd_import(struct admin *a, int argc, char **argv)
{
	struct imp_run r;
	int	 rc;

	if (argc != 2 || (argv[1][0] == '-' && argv[1][1] != '\0'))
		return admin_usage("import", argc < 2 ? "no file given" :
		    argc > 2 ? "too many arguments" : "unknown option");
	memset(&r, 0, sizeof(r));
	r.name = argv[1];
	r.now = time(NULL);
	r.fp = strcmp(r.name, "-") == 0 ? stdin : fopen(r.name, "r");
	if (r.fp == NULL)
		return admin_fail("import", "%s: %s", r.name, strerror(errno));
	r.st = admin_store(a);
	rc = imp_read(&r);
	if (r.fp != stdin)
		fclose(r.fp);
	printf("import: %s: %lu added, %lu updated, %lu unchanged, %lu "
	    "rejected\n", r.name, r.counts[IMP_ADDED], r.counts[IMP_UPDATED],
	    r.counts[IMP_UNCHANGED], r.rejected);
	log_info("import file=%s added=%lu updated=%lu unchanged=%lu "
	    "rejected=%lu by=admin", r.name, r.counts[IMP_ADDED],
	    r.counts[IMP_UPDATED], r.counts[IMP_UNCHANGED], r.rejected);
	return rc != 0 ? rc : r.rejected > 0;
}
