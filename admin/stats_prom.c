/*++
 * NAME
 *	stats_prom 3
 * SUMMARY
 *	bounceguard stats --prometheus: the Prometheus text exposition format
 * DESCRIPTION
 *	stats_prometheus() prints the metrics that bounceguard(8) lists,
 *	one family at a time with its HELP and TYPE lines, to a stream;
 *	stats_prometheus_file() writes them to a file atomically, for
 *	node_exporter's textfile collector: into a temporary file in the
 *	same directory (a name that does not end in ".prom", so the
 *	collector never reads it), made durable, then renamed over the
 *	target, so that a reader sees the old file or the new one, never
 *	part of one. Run as root, the metrics are gathered by a child
 *	that becomes the configured user before it opens the store (as
 *	every store-opening command does), while the parent keeps root's
 *	right to rename in a directory such as Debian's
 *	/var/lib/prometheus/node-exporter.
 *
 *	Counters. The per-day counters of domains.db are never pruned, so
 *	their sum over every day never decreases: sent and bounces per
 *	recipient domain and complaints per sender domain are exported as
 *	counters ("_total") since the store was created. A new or
 *	restored store starts again from its own counts, which Prometheus
 *	reads as a counter reset.
 *
 *	Cardinality. Only the metrics_max_domains recipient domains with
 *	the most mail counted (sent plus bounces of every type, since the
 *	store was created) get their own series; the rest are added up
 *	under domain="other" (a real domain of that name is counted there
 *	too). Suppression reasons are the classifier's vocabulary; the
 *	free-text reasons of manual and imported suppressions are
 *	exported as their source ("manual", "import"), so that no label
 *	value comes from unbounded text.
 * DIAGNOSTICS
 *	Exit 1 after a one-line error on a store, quarantine or write
 *	error; the target file is then left as it was.
 *--*/
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin.h"
#include "libbase.h"
#include "libquarantine.h"

#define PROM_OTHER	"other"

/* Counters of one recipient (or sender) domain. */
struct prom_counts {
	unsigned long long sent, bounced, hard, soft, block, complaint, other;
	unsigned long long wsent, wbounced;	/* in the health window */
};

struct prom_domain {
	char	*name;
	struct prom_counts c;
	bool	 own;				/* its own series, not "other" */
};

struct prom_list {
	struct prom_domain *v;
	size_t	 n, cap;
};

/* Active suppressions of one reason and scope, in a hash table. */
struct prom_supp {
	char	*reason;
	char	*scope;
	unsigned long long n;
};

struct prom_run {
	struct admin *a;
	FILE	*out;
	time_t	 now;
	uint32_t since;				/* first day of the window */
	long long days;
	struct prom_list dom, send;
	struct prom_supp *supp;			/* open addressing */
	size_t	 nsupp, capsupp;
	unsigned long long addresses;
	size_t	 qfiles;			/* in quarantine_dir */
	long long qbytes;
};

/* prom_add_day - one day's counters into a domain's sums */
static void
prom_add_day(struct prom_counts *c, const struct store_domain_day *d,
    bool in_window)
{
	c->sent += d->sent;
	c->bounced += d->bounced;
	c->hard += d->hard;
	c->soft += d->soft;
	c->block += d->block;
	c->complaint += d->complaint;
	c->other += d->other;
	if (in_window) {
		c->wsent += d->sent;
		c->wbounced += d->bounced;
	}
}

/* Where a walk over domains.db puts what it reads. */
struct prom_walk {
	const struct prom_run *r;
	struct prom_list *l;
};

/* prom_domain_fn - store_foreach_domain/sender callback; one domain's
   days come together, in key order */
static int
prom_domain_fn(const char *domain, uint32_t day,
    const struct store_domain_day *d, void *arg)
{
	const struct prom_run *r = ((struct prom_walk *)arg)->r;
	struct prom_list *l = ((struct prom_walk *)arg)->l;

	if (l->n == 0 || strcmp(l->v[l->n - 1].name, domain) != 0) {
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 64;
			l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
		}
		memset(&l->v[l->n], 0, sizeof(l->v[0]));
		l->v[l->n++].name = xstrdup(domain);
	}
	prom_add_day(&l->v[l->n - 1].c, d, day >= r->since);
	return 0;
}

/* prom_hash - FNV-1a of a reason and a scope */
static size_t
prom_hash(const char *reason, const char *scope)
{
	uint64_t h = 14695981039346656037ULL;

	for (const char *p = reason; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;	/* between the two */
	for (const char *p = scope; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return (size_t)h;
}

/* prom_supp_slot - the table slot of a reason and scope */
static struct prom_supp *
prom_supp_slot(struct prom_supp *t, size_t cap, const char *reason,
    const char *scope)
{
	size_t	 i = prom_hash(reason, scope) & (cap - 1);

	while (t[i].reason != NULL && (strcmp(t[i].reason, reason) != 0 ||
	    strcmp(t[i].scope, scope) != 0))
		i = (i + 1) & (cap - 1);
	return &t[i];
}

/* prom_supp_grow - double the table (kept at most half full) */
static void
prom_supp_grow(struct prom_run *r)
{
	size_t	 cap = r->capsupp ? r->capsupp * 2 : 64;
	struct prom_supp *t = xcalloc(cap, sizeof(*t));

	for (size_t i = 0; i < r->capsupp; i++)
		if (r->supp[i].reason != NULL)
			*prom_supp_slot(t, cap, r->supp[i].reason,
			    r->supp[i].scope) = r->supp[i];
	free(r->supp);
	r->supp = t;
	r->capsupp = cap;
}

/* prom_supp_count - count one active suppression */
static void
prom_supp_count(struct prom_run *r, const struct store_supp *s)
{
	const char *reason = s->reason, *scope = s->scope[0] ? s->scope :
	    "global";
	struct prom_supp *e;

	/* Only the parser's reasons are a bounded vocabulary. */
	if (strcmp(s->source, "bounce") != 0 &&
	    strcmp(s->source, "complaint") != 0)
		reason = s->source[0] ? s->source : "unknown";
	if (2 * (r->nsupp + 1) > r->capsupp)
		prom_supp_grow(r);
	e = prom_supp_slot(r->supp, r->capsupp, reason, scope);
	if (e->reason == NULL) {
		e->reason = xstrdup(reason);
		e->scope = xstrdup(scope);
		r->nsupp++;
	}
	e->n++;
}

/* prom_addr_fn - store_foreach_addr callback */
static int
prom_addr_fn(const char *addr, const struct store_addr *rec, void *arg)
{
	struct prom_run *r = arg;

	(void)addr;
	r->addresses++;
	for (uint32_t i = 0; i < rec->nsupp; i++)
		if (store_supp_active(&rec->supp[i], r->now))
			prom_supp_count(r, &rec->supp[i]);
	return admin_interrupted ? -1 : 0;
}

/* prom_volume - order domains by mail counted, most first, then by name */
static int
prom_volume(const void *x, const void *y)
{
	const struct prom_domain *a = *(struct prom_domain *const *)x;
	const struct prom_domain *b = *(struct prom_domain *const *)y;
	unsigned long long va = a->c.sent + a->c.hard + a->c.soft +
	    a->c.block + a->c.complaint + a->c.other;
	unsigned long long vb = b->c.sent + b->c.hard + b->c.soft +
	    b->c.block + b->c.complaint + b->c.other;

	if (va != vb)
		return va > vb ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* prom_select - mark the largest domains; the others go to "other" */
static void
prom_select(struct prom_list *l, long long max)
{
	struct prom_domain **by = xcalloc(l->n + 1, sizeof(*by));
	long long taken = 0;

	for (size_t i = 0; i < l->n; i++)
		by[i] = &l->v[i];
	qsort(by, l->n, sizeof(*by), prom_volume);
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(by[i]->name, PROM_OTHER) == 0)
			continue;	/* the bucket's name is taken */
		if (max == 0 || taken < max) {
			by[i]->own = true;
			taken++;
		}
	}
	free(by);
}

/* prom_fold - the "other" bucket: the sum of the unselected domains;
   false when there are none */
static bool
prom_fold(const struct prom_list *l, struct prom_domain *other)
{
	bool	 any = false;

	memset(other, 0, sizeof(*other));
	other->name = PROM_OTHER;
	for (size_t i = 0; i < l->n; i++) {
		const struct prom_counts *c = &l->v[i].c;

		if (l->v[i].own)
			continue;
		any = true;
		other->c.sent += c->sent;
		other->c.bounced += c->bounced;
		other->c.hard += c->hard;
		other->c.soft += c->soft;
		other->c.block += c->block;
		other->c.complaint += c->complaint;
		other->c.other += c->other;
		other->c.wsent += c->wsent;
		other->c.wbounced += c->wbounced;
	}
	return any;
}

/* prom_label_value - a label value, escaped as the format wants */
static void
prom_label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '"')
			fputs("\\\"", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/* prom_family - the HELP and TYPE lines of a metric */
static void
prom_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* prom_sample - one sample with up to two labels (NULL: none) */
static void
prom_sample(FILE *f, const char *name, const char *l1, const char *v1,
    const char *l2, const char *v2, unsigned long long value)
{
	fputs(name, f);
	if (l1 != NULL) {
		fprintf(f, "{%s=\"", l1);
		prom_label_value(f, v1);
		if (l2 != NULL) {
			fprintf(f, "\",%s=\"", l2);
			prom_label_value(f, v2);
		}
		fputs("\"}", f);
	}
	fprintf(f, " %llu\n", value);
}

/* prom_by_name - order domains by name */
static int
prom_by_name(const void *x, const void *y)
{
	return strcmp(((const struct prom_domain *)x)->name,
	    ((const struct prom_domain *)y)->name);
}

/* prom_series - the domains with their own series, by name, then
   "other"; a NULL-terminated array of pointers */
static const struct prom_domain **
prom_series(const struct prom_list *l, const struct prom_domain *other,
    bool with_other)
{
	const struct prom_domain **v = xcalloc(l->n + 2, sizeof(*v));
	size_t	 n = 0;

	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].own)
			v[n++] = &l->v[i];
	if (with_other)
		v[n++] = other;
	return v;
}

/* prom_retry - retry-able failures: counted as bounced, kept under other */
static unsigned long long
prom_retry(const struct prom_counts *c)
{
	unsigned long long final = c->hard + c->soft + c->block;

	return c->bounced > final ? c->bounced - final : 0;
}

/* prom_bounces - bounceguard_bounces_total by domain and type */
static void
prom_bounces(FILE *f, const struct prom_domain *const *v)
{
	const char *m = "bounceguard_bounces_total";

	prom_family(f, m, "counter", "Bounces recorded since the store was "
	    "created, by recipient domain and type: hard, soft, block, retry "
	    "(temporary failures that never count toward suppression), "
	    "complaint, other (delay notices and auto-replies).");
	for (; *v != NULL; v++) {
		const struct prom_counts *c = &(*v)->c;
		unsigned long long retry = prom_retry(c);
		const unsigned long long n[6] = { c->hard, c->soft, c->block,
		    retry, c->complaint, c->other > retry ? c->other - retry :
		    0 };
		static const char *const type[6] = { "hard", "soft", "block",
		    "retry", "complaint", "other" };

		for (int i = 0; i < 6; i++)
			prom_sample(f, m, "domain", (*v)->name, "type", type[i],
			    n[i]);
	}
}

/* prom_health - bounce ratio and health level of each domain */
static void
prom_health(struct prom_run *r, const struct prom_domain *const *v)
{
	const struct config *cfg = r->a->cfg;
	FILE	*f = r->out;
	char	 help[512];

	snprintf(help, sizeof(help), "Bounced (hard, soft, block, retry) over "
	    "sent in the last %lld days, by recipient domain; absent when "
	    "nothing was counted as sent.", r->days);
	prom_family(f, "bounceguard_domain_bounce_ratio", "gauge", help);
	for (const struct prom_domain *const *p = v; *p != NULL; p++)
		if ((*p)->c.wsent > 0) {
			fputs("bounceguard_domain_bounce_ratio{domain=\"", f);
			prom_label_value(f, (*p)->name);
			fprintf(f, "\"} %.6g\n", (double)(*p)->c.wbounced /
			    (double)(*p)->c.wsent);
		}
	snprintf(help, sizeof(help), "Health of a recipient domain over the "
	    "last %lld days, as bounceguard stats shows it: 0 healthy, "
	    "1 warning (ratio at or above health_warning_rate), 2 critical "
	    "(above health_critical_rate); absent when nothing was counted "
	    "as sent.", r->days);
	prom_family(f, "bounceguard_domain_health", "gauge", help);
	for (; *v != NULL; v++) {
		const struct prom_counts *c = &(*v)->c;
		long long rate;

		if (c->wsent == 0)
			continue;
		rate = (long long)(c->wbounced * 10000 / c->wsent);
		prom_sample(f, "bounceguard_domain_health", "domain",
		    (*v)->name, NULL, NULL, rate > cfg->health_critical_rate ?
		    2 : rate >= cfg->health_warning_rate ? 1 : 0);
	}
}

/* prom_domains - every per-recipient-domain family */
static void
prom_domains(struct prom_run *r)
{
	struct prom_domain other;
	const struct prom_domain **v;
	FILE	*f = r->out;

	prom_select(&r->dom, r->a->cfg->metrics_max_domains);
	v = prom_series(&r->dom, &other, prom_fold(&r->dom, &other));
	prom_family(f, "bounceguard_sent_total", "counter", "Recipients of "
	    "outbound mail counted by the milter since the store was created, "
	    "by recipient domain.");
	for (const struct prom_domain **p = v; *p != NULL; p++)
		prom_sample(f, "bounceguard_sent_total", "domain", (*p)->name,
		    NULL, NULL, (*p)->c.sent);
	prom_bounces(f, v);
	prom_health(r, v);
	free(v);
}

/* prom_senders - complaints per sender domain */
static void
prom_senders(struct prom_run *r)
{
	const char *m = "bounceguard_complaints_total";

	prom_family(r->out, m, "counter", "Complaints (ARF feedback reports) "
	    "recorded since the store was created, by the sender domain whose "
	    "mail was reported; \"unknown\" when the report did not say.");
	qsort(r->send.v, r->send.n, sizeof(*r->send.v), prom_by_name);
	for (size_t i = 0; i < r->send.n; i++)
		prom_sample(r->out, m, "sender_domain", r->send.v[i].name[0] ?
		    r->send.v[i].name : "unknown", NULL, NULL,
		    r->send.v[i].c.complaint);
}

/* prom_supp_order - suppression entries by reason, then scope */
static int
prom_supp_order(const void *x, const void *y)
{
	const struct prom_supp *a = x, *b = y;
	int	 c = strcmp(a->reason, b->reason);

	return c ? c : strcmp(a->scope, b->scope);
}

/* prom_suppressions - active suppressions by reason and scope */
static void
prom_suppressions(struct prom_run *r)
{
	const char *m = "bounceguard_suppressions";
	size_t	 n = 0;

	prom_family(r->out, "bounceguard_addresses", "gauge", "Address and "
	    "@domain records in the store.");
	prom_sample(r->out, "bounceguard_addresses", NULL, NULL, NULL, NULL,
	    r->addresses);
	prom_family(r->out, m, "gauge", "Active suppressions, by reason (the "
	    "bounce reason; manual or import for suppressions added by hand or "
	    "imported) and scope (global, or the sender domain it applies "
	    "to).");
	for (size_t i = 0; i < r->capsupp; i++)
		if (r->supp[i].reason != NULL)
			r->supp[n++] = r->supp[i];
	qsort(r->supp, n, sizeof(*r->supp), prom_supp_order);
	for (size_t i = 0; i < n; i++)
		prom_sample(r->out, m, "reason", r->supp[i].reason, "scope",
		    r->supp[i].scope, r->supp[i].n);
	r->capsupp = n;		/* compacted: for prom_free() */
}

/* prom_count_quarantine - count the files waiting in quarantine_dir */
static int
prom_count_quarantine(struct prom_run *r)
{
	const char *dir = r->a->cfg->quarantine_dir;

	if (quarantine_count(dir, &r->qfiles, &r->qbytes) < 0)
		return admin_fail("stats", "cannot read quarantine directory "
		    "%s: %s", dir, strerror(errno));
	return 0;
}

/* prom_quarantine - files and bytes waiting in quarantine_dir */
static void
prom_quarantine(struct prom_run *r)
{
	prom_family(r->out, "bounceguard_quarantined_messages", "gauge",
	    "Messages kept in quarantine_dir (new/ and cur/): unsigned, "
	    "forged, expired or unparsable bounces.");
	prom_sample(r->out, "bounceguard_quarantined_messages", NULL, NULL,
	    NULL, NULL, r->qfiles);
	prom_family(r->out, "bounceguard_quarantine_size_bytes", "gauge",
	    "Size of the messages kept in quarantine_dir (new/ and cur/).");
	prom_sample(r->out, "bounceguard_quarantine_size_bytes", NULL, NULL,
	    NULL, NULL, (unsigned long long)r->qbytes);
}

/* prom_log_bytes - the bytes of the store's transaction log files */
static unsigned long long
prom_log_bytes(const char *dir)
{
	unsigned long long total = 0;
	DIR	*dp = opendir(dir);
	struct dirent *de;
	struct stat st;

	while (dp != NULL && (de = readdir(dp)) != NULL) {
		char	*path;

		if (strncmp(de->d_name, "log.", 4) != 0)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			total += (unsigned long long)st.st_size;
		free(path);
	}
	if (dp != NULL)
		closedir(dp);
	return total;
}

/* prom_store_size - the size of each database file and of the logs */
static void
prom_store_size(struct prom_run *r)
{
	const char *dir = r->a->cfg->store_dir, *m =
	    "bounceguard_store_size_bytes";
	struct stat st;

	prom_family(r->out, m, "gauge", "Size of each database file "
	    "of store_dir, and of its transaction logs (file=\"log\").");
	for (const char *const *p = store_files; *p != NULL; p++) {
		char	*path = xasprintf("%s/%s", dir, *p);

		if (stat(path, &st) == 0)
			prom_sample(r->out, m, "file", *p, NULL, NULL,
			    (unsigned long long)st.st_size);
		free(path);
	}
	prom_sample(r->out, m, "file", "log", NULL, NULL, prom_log_bytes(dir));
}

/* prom_gather - read the counters, senders and addresses of the store */
static int
prom_gather(struct prom_run *r)
{
	struct store *st = admin_store(r->a);
	struct prom_walk dom = { r, &r->dom }, send = { r, &r->send };

	if (store_foreach_domain(st, 0, prom_domain_fn, &dom) < 0 ||
	    store_foreach_sender(st, 0, prom_domain_fn, &send) < 0 ||
	    store_foreach_addr(st, prom_addr_fn, r) < 0)
		return admin_fail("stats", "%s", admin_interrupted ?
		    "interrupted" : store_error(st));
	return 0;
}

/* prom_free - release a run */
static void
prom_free(struct prom_run *r)
{
	for (size_t i = 0; i < r->dom.n; i++)
		free(r->dom.v[i].name);
	for (size_t i = 0; i < r->send.n; i++)
		free(r->send.v[i].name);
	for (size_t i = 0; i < r->capsupp; i++) {
		free(r->supp[i].reason);
		free(r->supp[i].scope);
	}
	free(r->dom.v);
	free(r->send.v);
	free(r->supp);
}

/* stats_prometheus - every metric to a stream; the exit status */
int
stats_prometheus(struct admin *a, FILE *out, long long days)
{
	struct prom_run r;
	uint32_t today;
	int	 rc;

	memset(&r, 0, sizeof(r));
	r.a = a;
	r.out = out;
	r.now = time(NULL);
	r.days = days;
	today = bg_day(r.now);
	r.since = today >= days ? today - (uint32_t)days + 1 : 0;
	if ((rc = prom_gather(&r)) == 0 &&
	    (rc = prom_count_quarantine(&r)) == 0) {
		prom_domains(&r);
		prom_senders(&r);
		prom_suppressions(&r);
		prom_quarantine(&r);
		prom_store_size(&r);
		prom_family(out, "bounceguard_metrics_generated_timestamp_seconds",
		    "gauge", "When bounceguard stats --prometheus wrote these "
		    "metrics, in seconds since the epoch.");
		prom_sample(out, "bounceguard_metrics_generated_timestamp_seconds",
		    NULL, NULL, NULL, NULL, (unsigned long long)r.now);
	}
	prom_free(&r);
	if (rc == 0 && (fflush(out) != 0 || ferror(out)))
		rc = admin_fail("stats", "write error: %s", strerror(errno));
	return rc;
}

/* prom_to_fd - the metrics into a file descriptor (kept open) */
static int
prom_to_fd(struct admin *a, int fd, long long days)
{
	int	 dfd = dup(fd), rc;
	FILE	*f = dfd < 0 ? NULL : fdopen(dfd, "w");

	if (f == NULL) {
		if (dfd >= 0)
			close(dfd);
		return admin_fail("stats", "cannot write the metrics: %s",
		    strerror(errno));
	}
	rc = stats_prometheus(a, f, days);
	if (fclose(f) != 0 && rc == 0)
		rc = admin_fail("stats", "write error: %s", strerror(errno));
	return rc;
}

/* prom_child - as root: gather and write in a child that drops to the
   configured user; the parent keeps root to rename the file */
static int
prom_child(struct admin *a, int fd, long long days)
{
	pid_t	 pid;
	int	 status;

	fflush(NULL);
	if ((pid = fork()) < 0)
		return admin_fail("stats", "fork: %s", strerror(errno));
	if (pid == 0) {
		int	 rc = prom_to_fd(a, fd, days);

		store_close(a->store);
		_exit(rc);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return admin_fail("stats", "waitpid: %s",
			    strerror(errno));
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return admin_fail("stats", "metrics child killed by signal %d",
	    WTERMSIG(status));
}

/* prom_commit - make the temporary file durable and put it in place */
static int
prom_commit(int fd, const char *tmp, const char *path)
{
	if (fsync(fd) < 0)
		return admin_fail("stats", "fsync %s: %s", tmp,
		    strerror(errno));
	if (rename(tmp, path) < 0)
		return admin_fail("stats", "cannot rename %s to %s: %s", tmp,
		    path, strerror(errno));
	return 0;
}

/* stats_prometheus_file - the metrics into a file, replaced atomically */
int
stats_prometheus_file(struct admin *a, const char *path, long long days)
{
	const char *slash = strrchr(path, '/');
	char	*tmp = slash ? xasprintf("%.*s/.%s.XXXXXX", (int)(slash - path),
	    path, slash + 1) : xasprintf(".%s.XXXXXX", path);
	int	 fd, rc;

	if ((fd = mkstemp(tmp)) < 0) {
		rc = admin_fail("stats", "cannot create a temporary file for "
		    "%s: %s", path, strerror(errno));
		free(tmp);
		return rc;
	}
	/* node_exporter reads it as another user. */
	if (fchmod(fd, 0644) < 0)
		rc = admin_fail("stats", "chmod %s: %s", tmp, strerror(errno));
	else if (geteuid() == 0)
		rc = prom_child(a, fd, days);
	else
		rc = prom_to_fd(a, fd, days);
	if (rc == 0)
		rc = prom_commit(fd, tmp, path);
	if (rc != 0)
		unlink(tmp);
	close(fd);
	free(tmp);
	return rc;
}
