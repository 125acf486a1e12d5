/*++
 * NAME
 *	test-store 1
 * SUMMARY
 *	unit tests for the Berkeley DB store
 * DESCRIPTION
 *	Every test uses a real Berkeley DB environment in a temporary
 *	directory. Besides the single-process cases it checks what matters
 *	in production: several processes updating the same addresses at
 *	once end with exact counters; a process killed in the middle of a
 *	transaction leaves a store that the next opener recovers, with
 *	every committed change kept; a long-running process whose store
 *	was recovered under it is told to reopen; a lock held too long
 *	gives a temporary error instead of a hang.
 *--*/
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libbase.h"
#include "pack.h"
#include "store_int.h"
#include "tap.h"

static char tmpdir[] = "/tmp/bg-test-store-XXXXXX";
static int dir_seq;

/* new_dir - a fresh store directory */
static char *
new_dir(void)
{
	char	*dir = xasprintf("%s/s%d", tmpdir, ++dir_seq);

	if (mkdir(dir, 0700) < 0)
		fatal("mkdir %s", dir);
	return dir;
}

/* open_store - open or die, with a short lock timeout */
static struct store *
open_store(const char *dir, long long lock_timeout)
{
	struct store_opts o = { lock_timeout, 8 << 20, 5, false, NULL };
	struct buf err = BUF_INIT;
	struct store *st;

	if (store_open(&st, dir, &o, &err) != STORE_OK)
		fatalx("open %s: %s", dir, buf_cstr(&err));
	buf_free(&err);
	return st;
}

/* add_hard - an update function: one hard bounce, suppress globally */
static int
add_hard(struct store_addr *a, bool existed, struct store_event *ev,
    struct store_delta *d, void *arg)
{
	(void)existed;
	(void)arg;
	a->hard_count++;
	a->last_bounce = ev->time = time(NULL);
	bg_strlcpy(a->last_reason, "userunknown", sizeof(a->last_reason));
	bg_strlcpy(ev->type, "hard", sizeof(ev->type));
	bg_strlcpy(ev->reason, "userunknown", sizeof(ev->reason));
	snprintf(ev->diagnostic, sizeof(ev->diagnostic), "bounce %u",
	    a->hard_count);
	if (a->nsupp == 0) {
		a->nsupp = 1;
		bg_strlcpy(a->supp[0].reason, "userunknown",
		    sizeof(a->supp[0].reason));
		a->supp[0].since = ev->time;
	}
	d->bounced = true;
	d->hard = 1;
	d->reason = "userunknown";
	return 0;
}

/* add_soft - an update function: count one soft bounce, no event */
static int
add_soft(struct store_addr *a, bool existed, struct store_event *ev,
    struct store_delta *d, void *arg)
{
	(void)existed;
	(void)ev;
	(void)d;
	(void)arg;
	a->soft_count++;
	return 0;
}

/* set_supp - an update function: install the suppression in arg */
static int
set_supp(struct store_addr *a, bool existed, struct store_event *ev,
    struct store_delta *d, void *arg)
{
	(void)existed;
	(void)ev;
	(void)d;
	if (a->nsupp >= STORE_MAX_SUPP)
		return STORE_EFATAL;
	a->supp[a->nsupp++] = *(struct store_supp *)arg;
	return 0;
}

/* no_change - an update function that decides to change nothing */
static int
no_change(struct store_addr *a, bool existed, struct store_event *ev,
    struct store_delta *d, void *arg)
{
	(void)existed;
	(void)ev;
	(void)d;
	(void)arg;
	a->hard_count = 1000;
	return STORE_NOCHANGE;
}

/* count_event - store_foreach_event callback */
static int
count_event(const char *addr, const struct store_event *ev, void *arg)
{
	char	**last = arg;

	(void)addr;
	free(*last);
	*last = xstrdup(ev->diagnostic);
	return 0;
}

/* test_basic - create, update, read back, history, dedupe */
static void
test_basic(void)
{
	char	*dir = new_dir(), *last = NULL;
	struct store *st = open_store(dir, 5);
	struct store_addr rec;
	int	 rc;

	is_int(store_get(st, "jane@example.org", &rec), STORE_NOTFOUND,
	    "unknown address: not found");
	for (int i = 0; i < 12; i++)
		store_update(st, "jane@example.org", NULL, add_hard, NULL, 0);
	is_int(store_get(st, "jane@example.org", &rec), STORE_OK, "read back");
	is_int(rec.hard_count, 12, "twelve updates counted");
	is_str(rec.last_reason, "userunknown", "last reason kept");
	is_str(store_addr_state(&rec, time(NULL)), "suppressed", "state");
	store_foreach_event(st, "jane@example.org", count_event, &last);
	is_str(last, "bounce 12", "newest event is the last one written");
	free(last);
	rc = store_update(st, "jane@example.org", "msg1/jane@example.org",
	    add_hard, NULL, 0);
	is_int(rc, STORE_OK, "first delivery with a dedupe key recorded");
	rc = store_update(st, "jane@example.org", "msg1/jane@example.org",
	    add_hard, NULL, 0);
	is_int(rc, STORE_DUPLICATE, "second delivery reported as duplicate");
	store_get(st, "jane@example.org", &rec);
	is_int(rec.hard_count, 13, "duplicate not counted");
	is_int(store_update(st, "jane@example.org", NULL, no_change, NULL, 0),
	    STORE_OK, "an update function may decline");
	store_get(st, "jane@example.org", &rec);
	is_int(rec.hard_count, 13, "declined change not written");
	store_close(st);
	free(dir);
}

/* event_counter - store_foreach_event callback counting events */
static int
event_counter(const char *addr, const struct store_event *ev, void *arg)
{
	(void)addr;
	(void)ev;
	(*(int *)arg)++;
	return 0;
}

/* test_history_bound - events beyond event_history_max are pruned */
static void
test_history_bound(void)
{
	char	*dir = new_dir();
	struct store *st = open_store(dir, 5);
	int	 n = 0, m = 0;

	for (int i = 0; i < 9; i++) {
		store_update(st, "a@example.org", NULL, add_hard, NULL, 0);
		store_update(st, "a@example.org.uk", NULL, add_hard, NULL, 0);
	}
	store_foreach_event(st, "a@example.org", event_counter, &n);
	store_foreach_event(st, "a@example.org.uk", event_counter, &m);
	is_int(n, 5, "history bounded at event_history_max");
	is_int(m, 5, "a longer address with the same prefix is separate");
	store_close(st);
	free(dir);
}

/* supp - a suppression for the tables below */
static struct store_supp
supp(const char *scope, time_t expires)
{
	struct store_supp s;

	memset(&s, 0, sizeof(s));
	bg_strlcpy(s.scope, scope, sizeof(s.scope));
	bg_strlcpy(s.reason, "test", sizeof(s.reason));
	bg_strlcpy(s.source, "manual", sizeof(s.source));
	s.since = time(NULL);
	s.expires = expires;
	return s;
}

/* test_lookup - scope, @domain and expiry, table-driven */
static void
test_lookup(void)
{
	static const struct {
		const char *addr;
		const char *scope;
		int	 suppressed;
		const char *key;
	} cases[] = {
		{ "global@example.org", "news.example.com", 1, "global@example.org" },
		{ "global@example.org", NULL, 1, "global@example.org" },
		{ "scoped@example.org", "news.example.com", 1, "scoped@example.org" },
		{ "scoped@example.org", "NEWS.example.com", 1, "scoped@example.org" },
		{ "scoped@example.org", "shop.example.com", 0, "" },
		{ "expired@example.org", "news.example.com", 0, "" },
		{ "anyone@dead.example", "news.example.com", 1, "@dead.example" },
		{ "fresh@example.org", "news.example.com", 0, "" },
	};
	char	*dir = new_dir();
	struct store *st = open_store(dir, 5);
	time_t	 now = time(NULL);
	struct store_supp s;
	struct store_addr rec;

	s = supp("", 0);
	store_update(st, "global@example.org", NULL, set_supp, &s, 0);
	s = supp("news.example.com", 0);
	store_update(st, "scoped@example.org", NULL, set_supp, &s, 0);
	s = supp("", now - 10);
	store_update(st, "expired@example.org", NULL, set_supp, &s, 0);
	s = supp("", 0);
	store_update(st, "@dead.example", NULL, set_supp, &s, 0);
	for (size_t i = 0; i < BG_ARRAY_SIZE(cases); i++) {
		struct store_verdict v;

		is_int(store_lookup(st, cases[i].addr, cases[i].scope, now, &v),
		    STORE_OK, "lookup %s", cases[i].addr);
		is_int(v.suppressed, cases[i].suppressed, "%s for %s: %s",
		    cases[i].addr, cases[i].scope ? cases[i].scope : "any sender",
		    cases[i].suppressed ? "suppressed" : "not suppressed");
		is_str(v.key, cases[i].key, "matched key");
	}
	store_get(st, "expired@example.org", &rec);
	is_str(store_addr_state(&rec, now), "expired", "expired state");
	store_close(st);
	free(dir);
}

/* sum_domain - store_foreach_domain callback */
static int
sum_domain(const char *domain, uint32_t day, const struct store_domain_day *d,
    void *arg)
{
	uint32_t *sum = arg;

	(void)day;
	if (strcmp(domain, "example.org") == 0) {
		sum[0] += d->sent;
		sum[1] += d->bounced;
		sum[2] += d->hard;
	}
	return 0;
}

/* count_domains - store_foreach_domain callback: records, none "@" */
static int
count_domains(const char *domain, uint32_t day,
    const struct store_domain_day *d, void *arg)
{
	(void)day;
	(void)d;
	*(size_t *)arg += domain[0] == '@' ? 1000 : 1;
	return 0;
}

/* test_domains - send counters and bounce counters meet per day */
static void
test_domains(void)
{
	static const char *const batch[] = {
		"example.org", "example.net", "example.org"
	};
	char	*dir = new_dir();
	struct store *st = open_store(dir, 5);
	uint32_t sum[3] = { 0, 0, 0 };

	is_int(store_count_sent(st, batch, 3, bg_day(time(NULL))), STORE_OK,
	    "count a batch of sends");
	store_count_sent(st, batch, 1, bg_day(time(NULL)) - 1);
	store_update(st, "x@example.org", NULL, add_hard, NULL, 0);
	store_foreach_domain(st, bg_day(time(NULL)), sum_domain, sum);
	is_int(sum[0], 2, "sends counted for today only");
	is_int(sum[1], 1, "bounce counted for the domain");
	is_int(sum[2], 1, "hard bounce counted for the domain");
	store_close(st);
	free(dir);
}

/* add_complaint - update function: a complaint about mail from a domain */
static int
add_complaint(struct store_addr *a, bool existed, struct store_event *ev,
    struct store_delta *d, void *arg)
{
	(void)existed;
	a->complaint_count++;
	d->complaint = 1;
	ev->time = time(NULL);
	bg_strlcpy(ev->type, "complaint", sizeof(ev->type));
	bg_strlcpy(ev->scope, arg, sizeof(ev->scope));
	return 0;
}

/* sum_sender - store_foreach_sender callback: "domain=count;" in order */
static int
sum_sender(const char *domain, uint32_t day, const struct store_domain_day *d,
    void *arg)
{
	struct buf *b = arg;

	(void)day;
	buf_printf(b, "%s=%u/%u/%u;", domain, d->complaint, d->sent,
	    d->bounced);
	return 0;
}

/* test_senders - complaints counted per sender domain, apart from the
   recipient domains */
static void
test_senders(void)
{
	static const char *const batch[] = { "0digits.example", "zz.example" };
	char	*dir = new_dir();
	struct store *st = open_store(dir, 5);
	struct buf b = BUF_INIT;
	uint32_t sum[3] = { 0, 0, 0 };
	size_t	 ndomains = 0;

	store_count_sent(st, batch, 2, bg_day(time(NULL)));
	store_update(st, "x@example.org", NULL, add_complaint, "news.example",
	    0);
	store_update(st, "y@example.org", NULL, add_complaint, "news.example",
	    0);
	store_update(st, "z@example.org", NULL, add_complaint, "", 0);
	store_update(st, "x@example.org", NULL, add_hard, NULL, 0);
	is_int(store_foreach_sender(st, 0, sum_sender, &b), STORE_OK,
	    "walk the sender domains");
	is_str(buf_cstr(&b), "=1/0/0;news.example=2/0/0;",
	    "complaints per sender domain, unknown sender as \"\"");
	buf_reset(&b);
	store_foreach_domain(st, 0, sum_domain, sum);
	is_int(sum[2], 1, "recipient domain still counted");
	store_foreach_domain(st, 0, count_domains, &ndomains);
	is_int(ndomains, 3, "recipient domain walk skips the sender keys");
	buf_free(&b);
	store_close(st);
	free(dir);
}

/* test_errors - missing directory, wrong schema version */
static void
test_errors(void)
{
	struct store_opts o = { 1, 1 << 20, 5, false, NULL };
	struct buf err = BUF_INIT;
	char	*dir = xasprintf("%s/missing", tmpdir);
	struct store *st;
	DBT	 k, v;

	is_int(store_open(&st, dir, &o, &err), STORE_ETEMP,
	    "missing directory: temporary error");
	ok(strstr(buf_cstr(&err), "missing: No such file or directory") != NULL,
	    "missing directory named: %s", buf_cstr(&err));
	free(dir);
	dir = new_dir();
	st = open_store(dir, 1);
	store_dbt(&k, "schema_version", 14);
	store_dbt(&v, "999", 3);
	st->meta->put(st->meta, NULL, &k, &v, DB_AUTO_COMMIT);
	store_close(st);
	buf_reset(&err);
	is_int(store_open(&st, dir, &o, &err), STORE_EFATAL,
	    "other schema version refused");
	ok(strstr(buf_cstr(&err), "schema version 999, but this bounceguard "
	    "uses version 1") != NULL, "schema error explains: %s",
	    buf_cstr(&err));
	buf_free(&err);
	free(dir);
}

/* hammer - a child's work in the concurrency test */
static void
hammer(const char *dir, int id, int rounds)
{
	static const char *const addrs[] = {
		"a@example.org", "b@example.org", "c@example.net", "d@example.com"
	};
	static const char *const doms[] = { "example.org" };
	struct store *st = open_store(dir, 30);

	for (int i = 0; i < rounds; i++) {
		const char *a = addrs[(i + id) % 4];

		if (store_update(st, a, NULL, add_soft, NULL, STORE_NOSYNC) !=
		    STORE_OK)
			_exit(10);
		if (store_count_sent(st, doms, 1, 20000) != STORE_OK)
			_exit(11);
	}
	store_close(st);
	_exit(0);
}

/* test_concurrency - forked processes on the same addresses */
static void
test_concurrency(void)
{
	enum { PROCS = 8, ROUNDS = 200 };
	char	*dir = new_dir();
	struct store *st = open_store(dir, 5);
	uint32_t total = 0, sum[3] = { 0, 0, 0 };
	struct store_addr rec;
	int	 status, failed = 0;
	const char *addrs[] = {
		"a@example.org", "b@example.org", "c@example.net", "d@example.com"
	};

	store_close(st);
	for (int p = 0; p < PROCS; p++)
		if (fork() == 0)
			hammer(dir, p, ROUNDS);
	for (int p = 0; p < PROCS; p++)
		if (wait(&status) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			failed++;
	is_int(failed, 0, "%d processes finished without error", PROCS);
	st = open_store(dir, 5);
	for (size_t i = 0; i < 4; i++) {
		store_get(st, addrs[i], &rec);
		total += rec.soft_count;
	}
	is_int(total, PROCS * ROUNDS, "every concurrent update counted exactly");
	store_foreach_domain(st, 0, sum_domain, sum);
	is_int(sum[0], PROCS * ROUNDS, "every concurrent send counted exactly");
	store_close(st);
	free(dir);
}

/* crash_child - commit updates forever, reporting each commit */
static void
crash_child(const char *dir, int fd)
{
	struct store *st = open_store(dir, 30);

	for (uint32_t n = 1;; n++) {
		if (store_update(st, "k@example.org", NULL, add_hard, NULL, 0) !=
		    STORE_OK)
			_exit(10);
		if (write(fd, &n, sizeof(n)) != sizeof(n))
			_exit(11);
	}
}

/* kill_during_commits - SIGKILL a committing child; last commit reported */
static uint32_t
kill_during_commits(const char *dir, uint32_t after)
{
	uint32_t n = 0, got;
	int	 p[2], status;
	pid_t	 pid;

	if (pipe(p) < 0)
		fatal("pipe");
	if ((pid = fork()) == 0) {
		close(p[0]);
		crash_child(dir, p[1]);
	}
	close(p[1]);
	while (n < after && read(p[0], &got, sizeof(got)) == sizeof(got))
		n = got;
	kill(pid, SIGKILL);
	while (read(p[0], &got, sizeof(got)) == sizeof(got))
		n = got;
	close(p[0]);
	waitpid(pid, &status, 0);
	return n;
}

/* test_kill_recovery - committed work survives SIGKILL */
static void
test_kill_recovery(void)
{
	char	*dir = new_dir();
	struct store_addr rec;
	struct store *st;
	uint32_t reported = 0, prev = 0;
	int	 exact = 1;

	for (int round = 1; round <= 5; round++) {
		reported = kill_during_commits(dir, 20 * (uint32_t)round);
		st = open_store(dir, 5);
		store_get(st, "k@example.org", &rec);
		/* Killed after commit but before the report: one more. */
		if (rec.hard_count < prev + reported ||
		    rec.hard_count > prev + reported + 1) {
			diag("round %d: %u in store, %u reported after %u",
			    round, rec.hard_count, reported, prev);
			exact = 0;
		}
		prev = rec.hard_count;
		store_close(st);
	}
	ok(exact, "after 5 SIGKILLs mid-transaction every commit is there");
	st = open_store(dir, 5);
	is_int(store_update(st, "k@example.org", NULL, add_hard, NULL, 0),
	    STORE_OK, "the recovered store takes new updates");
	store_close(st);
	free(dir);
}

/* holder_child - hold the store open across another's recovery */
static void
holder_child(const char *dir, int go_fd, int done_fd)
{
	struct store *st = open_store(dir, 5);
	struct store_verdict v;
	int	 rc = STORE_OK;
	char	 c;

	store_update(st, "m@example.org", NULL, add_hard, NULL, 0);
	if (write(done_fd, "r", 1) != 1 || read(go_fd, &c, 1) != 1)
		_exit(20);
	for (int i = 0; i < 3 && rc == STORE_OK; i++)
		rc = store_lookup(st, "m@example.org", NULL, time(NULL), &v);
	if (rc != STORE_EPANIC)
		_exit(21);
	store_close(st);	/* the panicked handle's memory is lost */
	st = open_store(dir, 5);
	rc = store_lookup(st, "m@example.org", NULL, time(NULL), &v);
	store_close(st);
	/* _exit: LeakSanitizer would report the lost handle */
	_exit(rc == STORE_OK && v.suppressed ? 0 : 22);
}

/* test_reopen_after_recovery - a long-running holder is told to reopen */
static void
test_reopen_after_recovery(void)
{
	char	*dir = new_dir(), c;
	struct store *other;
	int	 go[2], done[2], status;
	pid_t	 holder;

	if (pipe(go) < 0 || pipe(done) < 0)
		fatal("pipe");
	if ((holder = fork()) == 0)
		holder_child(dir, go[0], done[1]);
	if (read(done[0], &c, 1) != 1)
		fatal("holder did not start");
	kill_during_commits(dir, 5);
	other = open_store(dir, 5);	/* runs recovery */
	store_close(other);
	if (write(go[1], "g", 1) != 1)
		fatal("write");
	waitpid(holder, &status, 0);
	is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0,
	    "a holder whose store was recovered under it gets EPANIC, "
	    "reopens, and sees the data (exit 21: no EPANIC, 22: no data)");
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
	free(dir);
}

/* slow_update - an update function that holds its lock a while */
static int
slow_update(struct store_addr *a, bool existed, struct store_event *ev,
    struct store_delta *d, void *arg)
{
	(void)existed;
	(void)ev;
	(void)d;
	(void)arg;
	a->soft_count++;
	sleep(4);
	return 0;
}

/* test_lock_timeout - a lock held too long gives ETEMP, not a hang */
static void
test_lock_timeout(void)
{
	char	*dir = new_dir();
	struct store *st = open_store(dir, 1);
	struct store_addr rec;
	struct timeval t0, t1;
	double	 elapsed;
	int	 rc, status;
	pid_t	 pid;

	store_update(st, "busy@example.org", NULL, add_soft, NULL, 0);
	store_close(st);
	if ((pid = fork()) == 0) {
		st = open_store(dir, 30);
		store_update(st, "busy@example.org", NULL, slow_update, NULL, 0);
		store_close(st);
		_exit(0);
	}
	usleep(500000);
	st = open_store(dir, 1);
	gettimeofday(&t0, NULL);
	rc = store_update(st, "busy@example.org", NULL, add_soft, NULL, 0);
	gettimeofday(&t1, NULL);
	is_int(rc, STORE_ETEMP, "locked record: temporary failure");
	ok(strstr(store_error(st), "locked") != NULL, "error says locked: %s",
	    store_error(st));
	elapsed = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_usec - t0.tv_usec) / 1e6;
	ok(elapsed >= 0.9 && elapsed < 2.5, "gave up after store_lock_timeout "
	    "(1s), long before the holder let go (%.2fs)", elapsed);
	waitpid(pid, &status, 0);
	store_get(st, "busy@example.org", &rec);
	is_int(rec.soft_count, 2, "the timed-out update wrote nothing");
	store_close(st);
	free(dir);
}

/* cleanup - remove the temporary directory, pass the status on */
static int
cleanup(int status)
{
	char	*cmd = xasprintf("rm -rf %s", tmpdir);

	if (system(cmd) != 0)
		diag("could not remove %s", tmpdir);
	free(cmd);
	return status;
}

/* test_backoff_codec - format 1 back-off records still read; queue ids */
static void
test_backoff_codec(void)
{
	struct store_backoff in, out;
	struct buf b = BUF_INIT;

	/* A format 1 record, as releases before the queue ids wrote it. */
	pack_u8(&b, 1);
	pack_u32(&b, 2);
	pack_u32(&b, 1);
	pack_u32(&b, 0);
	pack_u32(&b, 7);
	pack_u8(&b, 0);
	for (int i = 0; i < 4; i++)
		pack_u64(&b, 1000 + (uint64_t)i);
	pack_str(&b, "speeding");
	pack_str(&b, "421 4.7.0 slow down");
	ok(store_decode_backoff(b.data, b.len, &out) == 0,
	    "a format 1 back-off record reads");
	ok(out.level == 2 && out.signals == 7 && out.changed == 1003 &&
	    out.nqids == 0 && strcmp(out.reason, "speeding") == 0,
	    "its fields, and no queue ids");
	memset(&in, 0, sizeof(in));
	in.level = 1;
	in.nqids = 2;
	bg_strlcpy(in.qids[0].id, "4Xk2Lq0Zq1z9", sizeof(in.qids[0].id));
	bg_strlcpy(in.qids[1].id, "1abcDE-000123-AB", sizeof(in.qids[1].id));
	in.qids[1].pipe = true;
	buf_reset(&b);
	store_encode_backoff(&in, &b);
	ok(((unsigned char *)b.data)[0] == 2 &&
	    store_decode_backoff(b.data, b.len, &out) == 0 && out.nqids == 2 &&
	    strcmp(out.qids[1].id, "1abcDE-000123-AB") == 0 &&
	    out.qids[1].pipe && !out.qids[0].pipe,
	    "format 2 keeps the queue ids of the last signals");
	b.len--;
	ok(store_decode_backoff(b.data, b.len, &out) < 0,
	    "a short format 2 record is corrupt");
	buf_free(&b);
}

int
main(void)
{
	log_init("test-store", LOG_TO_STDERR);
	if (mkdtemp(tmpdir) == NULL)
		fatal("mkdtemp");
	test_basic();
	test_history_bound();
	test_lookup();
	test_domains();
	test_senders();
	test_errors();
	test_concurrency();
	test_kill_recovery();
	test_reopen_after_recovery();
	test_lock_timeout();
	test_backoff_codec();
	return cleanup(done_testing());
}
