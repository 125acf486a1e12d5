/*++
 * NAME
 *	cmd_expire 3
 * SUMMARY
 *	bounceguard expire: the periodic clean-up
 * DESCRIPTION
 *	"expire" lifts every suppression whose expiry has passed (the ones
 *	soft bounces make, and manual ones given --expires), forgetting the
 *	address's recent soft bounces with it; prunes history events
 *	recorded more than event_retention ago; and drops VERP tokens and
 *	duplicate-bounce records older than verp_max_age, which can no
 *	longer be used since such VERP addresses are refused anyway; and
 *	removes quarantined files older than quarantine_max_age, then the
 *	oldest ones until the quarantine fits quarantine_max_size.
 *
 *	Expired suppressions are found with one read-committed pass and
 *	lifted in batches; each lifted suppression is logged. Suitable for
 *	cron or a systemd timer (contrib/systemd/bounceguard-expire.*).
 * DIAGNOSTICS
 *	One line per kind of work on stdout. Exit 1 on a store error.
 *--*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "admin.h"
#include "libbase.h"
#include "libquarantine.h"
#include "libstore.h"

#define EXPIRE_BATCH	500

struct exp_run {
	time_t	 now;
	char	**addrs;
	size_t	 n, cap;
	size_t	 lifted;		/* suppressions */
	size_t	 addresses;
};

/* exp_collect - remember addresses with an expired suppression */
static int
exp_collect(const char *addr, const struct store_addr *a, void *arg)
{
	struct exp_run *r = arg;

	if (admin_interrupted)
		return -1;
	for (uint32_t i = 0; i < a->nsupp; i++) {
		if (store_supp_active(&a->supp[i], r->now))
			continue;
		if (r->n == r->cap) {
			r->cap = r->cap ? 2 * r->cap : 256;
			r->addrs = xrealloc(r->addrs, r->cap * sizeof(char *));
		}
		r->addrs[r->n++] = xstrdup(addr);
		break;
	}
	return 0;
}

/* exp_lift - update function: remove expired suppressions */
static int
exp_lift(struct store_addr *a, bool existed, struct store_event *ev,
    struct store_delta *d, void *arg)
{
	size_t	*lifted = arg;
	uint32_t o = 0;

	(void)existed;
	(void)ev;
	(void)d;
	*lifted = 0;
	for (uint32_t i = 0; i < a->nsupp; i++)
		if (store_supp_active(&a->supp[i], time(NULL)))
			a->supp[o++] = a->supp[i];
		else
			(*lifted)++;
	if (o == a->nsupp)
		return STORE_NOCHANGE;
	a->nsupp = o;
	a->nsoft = 0;
	return 0;
}

/* exp_batch - lift the expired suppressions of some addresses */
static int
exp_batch(struct store *st, struct exp_run *r, size_t from, size_t n)
{
	size_t	 lifted[EXPIRE_BATCH];
	void	*args[EXPIRE_BATCH];
	int	 results[EXPIRE_BATCH], rc;

	for (size_t i = 0; i < n; i++)
		args[i] = &lifted[i];
	rc = store_update_many(st, n, (const char *const *)r->addrs + from,
	    exp_lift, args, results);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (results[i] != 0)
			continue;
		log_info("expire address=<%s> lifted=%zu by=admin",
		    r->addrs[from + i], lifted[i]);
		r->lifted += lifted[i];
		r->addresses++;
	}
	return 0;
}

/* exp_suppressions - find and lift expired suppressions */
static int
exp_suppressions(struct store *st, struct exp_run *r)
{
	int	 rc = store_foreach_addr(st, exp_collect, r);

	for (size_t i = 0; rc >= 0 && !admin_interrupted && i < r->n;
	    i += EXPIRE_BATCH)
		rc = exp_batch(st, r, i, r->n - i < EXPIRE_BATCH ? r->n - i :
		    EXPIRE_BATCH);
	if (rc >= 0)
		rc = store_sync(st);
	if (rc >= 0 && admin_interrupted)
		rc = -1;
	for (size_t i = 0; i < r->n; i++)
		free(r->addrs[i]);
	free(r->addrs);
	return rc;
}

/* exp_quarantine - enforce the quarantine's budget; a missing
   directory has nothing to prune */
static int
exp_quarantine(const struct admin *a, time_t now, struct quarantine_pruned *p)
{
	struct quarantine_limits lim = { a->cfg->quarantine_max_size,
	    a->cfg->quarantine_max_age };
	struct stat st;

	memset(p, 0, sizeof(*p));
	if (stat(a->cfg->quarantine_dir, &st) < 0 && errno == ENOENT)
		return 0;
	return quarantine_prune(a->cfg->quarantine_dir, &lim, now, p);
}

/* cmd_expire - the periodic clean-up */
int
cmd_expire(struct admin *a, int argc, char **argv)
{
	struct exp_run r = { .now = time(NULL) };
	struct store *st;
	char	 t1[BG_TIMESTR_SIZE], t2[BG_TIMESTR_SIZE];
	time_t	 ev_before = r.now - (time_t)a->cfg->event_retention;
	time_t	 verp_before = r.now - (time_t)a->cfg->verp_max_age;
	size_t	 events = 0, tokens = 0, seen = 0;
	struct quarantine_pruned q;

	if (argc > 1)
		return admin_usage("expire", "unexpected argument \"%s\"",
		    argv[1]);
	st = admin_store(a);
	if (exp_suppressions(st, &r) < 0 ||
	    store_prune_history(st, ev_before, &events) < 0 ||
	    store_prune_tokens(st, bg_day(verp_before), &tokens) < 0 ||
	    store_prune_seen(st, verp_before, &seen) < 0)
		return admin_fail("expire", "%s", admin_interrupted ?
		    "interrupted; the work done so far is kept" :
		    store_error(st));
	printf("expire: lifted %zu expired suppressions of %zu addresses\n",
	    r.lifted, r.addresses);
	printf("expire: pruned %zu events recorded before %s\n", events,
	    bg_timestr(ev_before, t1, sizeof(t1)));
	printf("expire: dropped %zu VERP tokens and %zu duplicate-bounce "
	    "records from before %s\n", tokens, seen,
	    bg_timestr(verp_before, t2, sizeof(t2)));
	if (exp_quarantine(a, r.now, &q) < 0)
		return admin_fail("expire", "quarantine_dir %s: %s",
		    a->cfg->quarantine_dir, strerror(errno));
	printf("expire: removed %zu quarantined files (%lld bytes); %zu kept "
	    "(%lld bytes)\n", q.removed, q.removed_bytes, q.kept, q.kept_bytes);
	log_info("expire lifted=%zu addresses=%zu events=%zu tokens=%zu "
	    "seen=%zu quarantine_removed=%zu quarantine_kept_bytes=%lld "
	    "by=admin", r.lifted, r.addresses, events, tokens, seen, q.removed,
	    q.kept_bytes);
	return 0;
}
