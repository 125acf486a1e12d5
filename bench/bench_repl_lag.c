/*++
 * NAME
 *	bench_repl_lag 1
 * SUMMARY
 *	replication lag from a commit on the master to a client
 * DESCRIPTION
 *	bench_repl_lag MASTER-CONFIG CLIENT-CONFIG COUNT
 *
 *	Opens the master site's store as a writer (a subordinate process
 *	of its replication group, as a pipe does) and the client site's
 *	store as a reader, both in this process. COUNT times, it commits
 *	a new VERP token on the master and polls the client's copy until
 *	the token is there. Prints the median, 90th and 99th percentile
 *	and the largest lag, from just before the commit to the first
 *	read that sees it, and the median time the commit itself took
 *	(it returns once a quorum acknowledged it).
 *
 *	Both sites' replication processes (their milters) must run, and
 *	the first configuration's site must be the master.
 * DIAGNOSTICS
 *	Exit 1 when a commit fails or a change is not visible on the
 *	client within 10 s.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libbase.h"
#include "libconf.h"
#include "libstore.h"

#define LAG_GIVE_UP_MS	10000.0

/* lag_now_ms - a monotonic clock in milliseconds */
static double
lag_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* lag_open - a site's store in a replication role */
static struct store *
lag_open(const char *path, enum store_repl_role role, struct store_repl *r)
{
	struct buf err = BUF_INIT;
	struct config *cfg = config_load(path, &err);
	struct store_opts o;
	struct store *st;

	if (cfg == NULL)
		fatalx("%s: %s", path, buf_cstr(&err));
	if (store_repl_load(cfg, role, r, &err) != 0)
		fatalx("%s: replication is not configured: %s", path,
		    buf_cstr(&err));
	memset(&o, 0, sizeof(o));
	o.lock_timeout = cfg->store_lock_timeout;
	o.cache_size = cfg->store_cache_size;
	o.event_history_max = (unsigned)cfg->event_history_max;
	o.readonly = role == STORE_REPL_READER;
	o.repl = r;
	if (store_open(&st, cfg->store_dir, &o, &err) != STORE_OK)
		fatalx("%s", buf_cstr(&err));
	buf_free(&err);
	config_free(cfg);
	return st;
}

/* lag_cmp - for qsort */
static int
lag_cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* lag_pct - the p-th percentile of sorted values */
static double
lag_pct(const double *v, size_t n, double p)
{
	size_t	 i = (size_t)(p * (double)(n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

/* lag_one - commit one token on the master, wait for it on the client */
static int
lag_one(struct store *m, struct store *c, size_t i, double *lag,
    double *commit)
{
	static const char *rcpt[] = { "lag@example.org" };
	char	 token[64];
	struct buf out = BUF_INIT;
	uint32_t day;
	double	 t0;
	int	 rc;

	snprintf(token, sizeof(token), "lag%ld_%zu", (long)getpid(), i);
	t0 = lag_now_ms();
	if ((rc = store_token_put(m, token, (uint32_t)(time(NULL) / 86400),
	    rcpt, 1)) != STORE_OK) {
		log_warnx("commit %zu: %s", i, store_error(m));
		return -1;
	}
	*commit = lag_now_ms() - t0;
	while ((rc = store_token_get(c, token, &day, &out)) == STORE_NOTFOUND &&
	    lag_now_ms() - t0 < LAG_GIVE_UP_MS)
		usleep(50);
	*lag = lag_now_ms() - t0;
	buf_free(&out);
	if (rc != STORE_OK) {
		log_warnx("change %zu not visible on the client after %.0f ms: %s",
		    i, *lag, rc == STORE_NOTFOUND ? "not there" :
		    store_error(c));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct store_repl rm, rc;
	struct store *m, *c;
	size_t	 n;
	double	*lag, *commit;

	if (argc != 4 || (n = strtoul(argv[3], NULL, 10)) == 0) {
		fprintf(stderr, "usage: bench_repl_lag MASTER-CONFIG "
		    "CLIENT-CONFIG COUNT\n");
		return 2;
	}
	m = lag_open(argv[1], STORE_REPL_WRITER, &rm);
	c = lag_open(argv[2], STORE_REPL_READER, &rc);
	if (!store_repl_is_master(m))
		fatalx("%s: this site is not the master", argv[1]);
	lag = xcalloc(n, sizeof(*lag));
	commit = xcalloc(n, sizeof(*commit));
	for (size_t i = 0; i < n; i++)
		if (lag_one(m, c, i, &lag[i], &commit[i]) < 0)
			return 1;
	qsort(lag, n, sizeof(*lag), lag_cmp);
	qsort(commit, n, sizeof(*commit), lag_cmp);
	printf("lag: %zu changes: median %.2f ms, p90 %.2f ms, p99 %.2f ms, "
	    "max %.2f ms (commit with quorum ack: median %.2f ms)\n", n,
	    lag_pct(lag, n, 0.5), lag_pct(lag, n, 0.9), lag_pct(lag, n, 0.99),
	    lag[n - 1], lag_pct(commit, n, 0.5));
	store_close(c);
	store_close(m);
	store_repl_free(&rc);
	store_repl_free(&rm);
	free(lag);
	free(commit);
	return 0;
}
