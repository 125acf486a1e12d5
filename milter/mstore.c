/*++
 * NAME
 *	mstore 3
 * SUMMARY
 *	the milter's one store handle, shared by every thread
 * DESCRIPTION
 *	The store is opened with DB_THREAD, so one handle serves every
 *	libmilter thread and the lookup socket. A read-write lock guards
 *	the handle itself: calls take it shared; reopening takes it
 *	exclusively.
 *
 *	When another process died inside the store and the next opener
 *	recovered it, every call on our handle fails with STORE_EPANIC:
 *	the handle is then closed and reopened (once, however many threads
 *	saw the panic: a generation number tells) and the call is retried
 *	once. On a replication client, Berkeley DB invalidates the
 *	database handles after a rollback or a copy of the whole store
 *	from the master (DB_REP_HANDLE_DEAD): only the databases are then
 *	reopened, not the environment, whose threads replicate. While
 *	replication locks the store out (a role change, a
 *	synchronisation: DB_REP_LOCKOUT) a call is retried every 20 ms
 *	within store_lock_timeout. The replication process does not wait
 *	for a lookup to reopen a lost store: a thread checks every second,
 *	and on the master checkpoints every few seconds (the pipes'
 *	changes are committed here, and no pipe's exit checkpoints).
 *	A store that cannot be opened at all (missing directory,
 *	permissions) is retried at most every few seconds, and the calls
 *	in between fail with STORE_ETEMP: the daemon keeps running and
 *	follows on_store_error.
 * DIAGNOSTICS
 *	Every function returns a store code and copies the reason for a
 *	failure into the caller's buffer.
 *--*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libbase.h"
#include "milter.h"

#define MSTORE_RETRY_SECONDS	5
#define MSTORE_NOSTORE		(-100)	/* internal: no handle open */
#define MSTORE_LOCKOUT_SLEEP_MS	20	/* between tries in a lockout */

static pthread_rwlock_t ms_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct store *ms_st;
static unsigned long ms_gen;		/* bumped at each (re)open */
static time_t ms_last_try;
static bool ms_closed;			/* shutting down: never reopen */
static char *ms_dir;
static struct store_opts ms_opts;
static char ms_err[MILTER_ERR_MAX];
static struct store_repl ms_repl;	/* replication: loaded once */
static bool ms_repl_on;

/* mstore_opts - the store options of a configuration */
static void
mstore_opts(const struct config *cfg, struct store_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->lock_timeout = cfg->store_lock_timeout;
	o->cache_size = cfg->store_cache_size;
	o->event_history_max = (unsigned)cfg->event_history_max;
	o->readonly = false;
	o->repl = ms_repl_on ? &ms_repl : NULL;
}

/* mstore_open_locked - (re)open; the caller holds the write lock */
static void
mstore_open_locked(void)
{
	struct buf err = BUF_INIT;
	int	 rc;

	if (ms_st != NULL)
		store_close(ms_st);
	ms_st = NULL;
	ms_last_try = time(NULL);
	rc = store_open(&ms_st, ms_dir, &ms_opts, &err);
	/* The replication process that cannot start replication must
	   go: retried in this process, it never could (store_repl(3)). */
	if (rc == STORE_EFATAL && ms_repl_on)
		fatalx("replication: %s", buf_cstr(&err));
	if (rc != STORE_OK) {
		bg_strlcpy(ms_err, buf_cstr(&err), sizeof(ms_err));
		log_warnx("store unavailable: %s", ms_err);
		ms_st = NULL;
	} else {
		ms_gen++;
		log_info("store opened: %s", ms_dir);
	}
	buf_free(&err);
}

static pthread_t ms_keeper;
static pthread_mutex_t ms_keep_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ms_keep_cond = PTHREAD_COND_INITIALIZER;
static bool ms_keeping, ms_keep_stop;

static void mstore_reopen(unsigned long, bool);

#define MSTORE_CHECKPOINT_SECONDS	10

/*
 * mstore_keep_checkpoint - on the master, checkpoint now and then.
 *
 * With replication on, the pipes' changes are committed here and no
 * pipe leaves the store (the checkpoint a single host's pipe makes
 * when it closes). Berkeley DB checkpoints only past 1 MB of log or 5
 * minutes (store_checkpoint()), so asking often costs nothing; the
 * checkpoint record replicates, the clients checkpoint too, and log
 * files no longer needed are removed (DB_LOG_AUTO_REMOVE).
 */
static void
mstore_keep_checkpoint(void)
{
	static time_t last;
	time_t	 now = time(NULL);

	if (now - last < MSTORE_CHECKPOINT_SECONDS)
		return;
	last = now;
	pthread_rwlock_rdlock(&ms_lock);
	if (!ms_closed && ms_st != NULL && store_repl_is_master(ms_st) &&
	    store_checkpoint(ms_st) != STORE_OK)
		log_warnx("store checkpoint: %s", store_error(ms_st));
	pthread_rwlock_unlock(&ms_lock);
}

/* mstore_keep_check - reopen a lost or panicked replicated store */
static void
mstore_keep_check(void)
{
	unsigned long gen;
	bool	 lost, panic;

	pthread_rwlock_rdlock(&ms_lock);
	gen = ms_gen;
	lost = !ms_closed && ms_st == NULL;
	panic = !ms_closed && ms_st != NULL && store_panicked(ms_st);
	pthread_rwlock_unlock(&ms_lock);
	if (lost || panic)
		mstore_reopen(gen, panic);
	else
		mstore_keep_checkpoint();
}

/*
 * mstore_keeper - the replication process keeps its store open.
 *
 * Without replication a lost store is reopened by the next lookup that
 * needs it. The replication process must not wait for one: while its
 * store is closed, nobody on this host replicates, and every pipe and
 * administrator's change here is deferred. After another process's
 * recovery (a program killed inside the store) or a failed open, this
 * thread reopens it within a few seconds.
 */
static void *
mstore_keeper(void *arg)
{
	struct timespec ts;

	(void)arg;
	pthread_mutex_lock(&ms_keep_mtx);
	while (!ms_keep_stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		(void)pthread_cond_timedwait(&ms_keep_cond, &ms_keep_mtx, &ts);
		if (ms_keep_stop)
			break;
		pthread_mutex_unlock(&ms_keep_mtx);
		mstore_keep_check();
		pthread_mutex_lock(&ms_keep_mtx);
	}
	pthread_mutex_unlock(&ms_keep_mtx);
	return NULL;
}

/* mstore_init - open the store of a configuration */
void
mstore_init(const struct config *cfg)
{
	struct buf err = BUF_INIT;
	int	 rc;

	/* The replication settings need a restart to change. */
	if ((rc = store_repl_load(cfg, STORE_REPL_PROCESS, &ms_repl,
	    &err)) < 0)
		fatalx("replication: %s", buf_cstr(&err));
	ms_repl_on = rc == 0;
	buf_free(&err);
	pthread_rwlock_wrlock(&ms_lock);
	free(ms_dir);
	ms_dir = xstrdup(cfg->store_dir);
	mstore_opts(cfg, &ms_opts);
	mstore_open_locked();
	pthread_rwlock_unlock(&ms_lock);
	if (ms_repl_on && !ms_keeping) {
		if (pthread_create(&ms_keeper, NULL, mstore_keeper, NULL) != 0)
			fatal("cannot start the store keeper thread");
		ms_keeping = true;
	}
}

/* mstore_reconfigure - reopen when a reload changed the store settings */
void
mstore_reconfigure(const struct config *cfg)
{
	struct store_opts o;

	mstore_opts(cfg, &o);
	pthread_rwlock_wrlock(&ms_lock);
	if (strcmp(ms_dir, cfg->store_dir) != 0 ||
	    memcmp(&o, &ms_opts, sizeof(o)) != 0) {
		free(ms_dir);
		ms_dir = xstrdup(cfg->store_dir);
		ms_opts = o;
		mstore_open_locked();
	}
	pthread_rwlock_unlock(&ms_lock);
}

/* mstore_shutdown - close for good, once no call is in progress */
void
mstore_shutdown(void)
{
	if (ms_keeping) {
		pthread_mutex_lock(&ms_keep_mtx);
		ms_keep_stop = true;
		pthread_cond_signal(&ms_keep_cond);
		pthread_mutex_unlock(&ms_keep_mtx);
		pthread_join(ms_keeper, NULL);
		ms_keeping = false;
	}
	pthread_rwlock_wrlock(&ms_lock);
	ms_closed = true;
	store_close(ms_st);
	ms_st = NULL;
	free(ms_dir);
	ms_dir = NULL;
	store_repl_free(&ms_repl);
	pthread_rwlock_unlock(&ms_lock);
}

/* mstore_reopen - after a failure on generation gen, reopen if needed */
static void
mstore_reopen(unsigned long gen, bool panic)
{
	pthread_rwlock_wrlock(&ms_lock);
	if (!ms_closed && ms_dir != NULL && (panic ? (ms_st != NULL &&
	    ms_gen == gen) : (ms_st == NULL && time(NULL) - ms_last_try >=
	    MSTORE_RETRY_SECONDS))) {
		if (panic)
			log_warnx("store was recovered by another process; "
			    "reopening %s", ms_dir);
		mstore_open_locked();
	}
	pthread_rwlock_unlock(&ms_lock);
}

/* mstore_copy_error - the handle's message, bounded (threads share it) */
static void
mstore_copy_error(const char *msg, char *err, size_t errlen)
{
	size_t	 n = strnlen(msg, MILTER_ERR_MAX - 1);

	if (errlen == 0)
		return;
	if (n >= errlen)
		n = errlen - 1;
	memcpy(err, msg, n);
	err[n] = '\0';
}

typedef int (*mstore_fn)(struct store *, void *);

/* mstore_try - one call under the shared lock */
static int
mstore_try(mstore_fn fn, void *arg, unsigned long *gen, char *err,
    size_t errlen, bool *dead, bool *lockout)
{
	int	 rc;

	pthread_rwlock_rdlock(&ms_lock);
	*gen = ms_gen;
	*dead = *lockout = false;
	if (ms_st == NULL) {
		mstore_copy_error(ms_closed ? "store closed: shutting down" :
		    ms_err, err, errlen);
		rc = ms_closed ? STORE_ETEMP : MSTORE_NOSTORE;
	} else if ((rc = fn(ms_st, arg)) < 0) {
		mstore_copy_error(store_error(ms_st), err, errlen);
		/* The handle's last code: another thread may have changed
		   it, which at worst delays the reopen to a later call. */
		*dead = store_handle_dead(ms_st);
		*lockout = store_lockout(ms_st);
	}
	pthread_rwlock_unlock(&ms_lock);
	return rc;
}

/* mstore_now_ms - a monotonic clock in milliseconds */
static long long
mstore_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* mstore_refresh - after DB_REP_HANDLE_DEAD on generation gen, reopen
   the database handles (once, however many threads saw it) */
static void
mstore_refresh(unsigned long gen)
{
	pthread_rwlock_wrlock(&ms_lock);
	if (ms_st != NULL && ms_gen == gen) {
		log_warnx("repl event=handle_dead store=%s action=reopen "
		    "(the master rolled back or replaced this site's copy)",
		    ms_dir);
		if (store_reopen_dbs(ms_st) != STORE_OK) {
			log_warnx("store unavailable: %s", store_error(ms_st));
			mstore_open_locked();	/* the whole store, then */
		} else
			ms_gen++;
	}
	pthread_rwlock_unlock(&ms_lock);
}

/* mstore_call - a call, with one reopen and retry after a panic or a
   dead handle, and retries while replication locks the store out */
static int
mstore_call(mstore_fn fn, void *arg, char *err, size_t errlen)
{
	unsigned long gen;
	long long start = mstore_now_ms();
	int	 rc;
	bool	 dead = false, lockout = false;

	rc = mstore_try(fn, arg, &gen, err, errlen, &dead, &lockout);
	while (rc == STORE_ETEMP && lockout && mstore_now_ms() - start <
	    ms_opts.lock_timeout * 1000) {
		usleep(MSTORE_LOCKOUT_SLEEP_MS * 1000);
		rc = mstore_try(fn, arg, &gen, err, errlen, &dead, &lockout);
	}
	if (rc == STORE_ETEMP && dead) {
		mstore_refresh(gen);
		rc = mstore_try(fn, arg, &gen, err, errlen, &dead, &lockout);
	} else if (rc == STORE_EPANIC || rc == MSTORE_NOSTORE) {
		mstore_reopen(gen, rc == STORE_EPANIC);
		rc = mstore_try(fn, arg, &gen, err, errlen, &dead, &lockout);
	}
	return rc == MSTORE_NOSTORE ? STORE_ETEMP : rc;
}

struct ms_lookup {
	const char *addr, *scope;
	time_t	 now;
	struct store_verdict *v;
};

/* mstore_do_lookup - store_lookup() through mstore_call() */
static int
mstore_do_lookup(struct store *st, void *arg)
{
	struct ms_lookup *a = arg;

	return store_lookup(st, a->addr, a->scope, a->now, a->v);
}

/* mstore_lookup - is an address suppressed for a sender domain? */
int
mstore_lookup(const char *addr, const char *scope, time_t now,
    struct store_verdict *v, char *err, size_t errlen)
{
	struct ms_lookup a = { addr, scope, now, v };

	memset(v, 0, sizeof(*v));
	return mstore_call(mstore_do_lookup, &a, err, errlen);
}

struct ms_list {
	const char *token;
	const char *const *v;
	size_t	 n;
	uint32_t day;
};

/*
 * mstore_forward - on a replication client, the master makes the change.
 *
 * A client cannot write (Berkeley DB 5.3). The milter's own writes, a
 * VERP token and the send counters, go to the master's milter over the
 * signed message channel, as "T" or "C", the day, then each string with
 * a NUL after it; the master commits them in its own store, with a
 * quorum's acknowledgement, before it answers (mstore_serve()).
 */
static int
mstore_forward(struct store *st, char kind, const struct ms_list *a)
{
	struct buf req = BUF_INIT;
	int	 rc;

	buf_printf(&req, "%c", kind);
	buf_add(&req, "", 1);
	buf_printf(&req, "%u", a->day);
	buf_add(&req, "", 1);
	if (a->token != NULL)
		buf_add(&req, a->token, strlen(a->token) + 1);
	for (size_t i = 0; i < a->n; i++)
		buf_add(&req, a->v[i], strlen(a->v[i]) + 1);
	rc = store_repl_forward(st, req.data, req.len);
	buf_free(&req);
	return rc;
}

/* mstore_do_count - store_count_sent() through mstore_call() */
static int
mstore_do_count(struct store *st, void *arg)
{
	struct ms_list *a = arg;

	if (!store_repl_is_master(st))
		return mstore_forward(st, 'C', a);
	return store_count_sent(st, a->v, a->n, a->day);
}

/* mstore_count_sent - count one send per listed domain */
int
mstore_count_sent(const char *const *domains, size_t n, uint32_t day,
    char *err, size_t errlen)
{
	struct ms_list a = { NULL, domains, n, day };

	return mstore_call(mstore_do_count, &a, err, errlen);
}

/* mstore_do_token - store_token_put() through mstore_call() */
static int
mstore_do_token(struct store *st, void *arg)
{
	struct ms_list *a = arg;

	if (!store_repl_is_master(st))
		return mstore_forward(st, 'T', a);
	return store_token_put(st, a->token, a->day, a->v, a->n);
}

#define MSTORE_SERVE_MAX	1024	/* strings in one forwarded change */

/* mstore_apply_change - change_apply() with the configuration in force */
static int
mstore_apply_change(struct store *st, const void *req, size_t len,
    struct buf *answer)
{
	struct mrt *rt = rt_acquire();
	int	 rc;

	rc = change_apply(st, rt->cfg, req, len, answer);
	rt_release(rt);
	return rc;
}

/*
 * mstore_serve_change - a client's pipe's change, applied here, on the
 * master, in a Berkeley DB message thread (as mstore_serve()). The
 * answer is libchange's; the status 0 when the change is durable.
 */
static int
mstore_serve_change(const void *req, size_t len, struct buf *out)
{
	int	 rc;

	if (pthread_rwlock_tryrdlock(&ms_lock) != 0) {
		change_answer_error(out, STORE_ETEMP, "the master's store is "
		    "being opened or reopened; try again");
		return 75;
	}
	if (ms_st == NULL || !store_repl_is_master(ms_st)) {
		rc = STORE_ETEMP;
		change_answer_error(out, rc, ms_st == NULL ? "no store" :
		    "no longer the master");
	} else
		rc = mstore_apply_change(ms_st, req, len, out);
	pthread_rwlock_unlock(&ms_lock);
	return rc < 0 ? 75 : 0;
}

/*
 * mstore_serve - a client's token, send counters or pipe's change, made here,
 * on the master. Called in a Berkeley DB message thread: it only tries the
 * handle's lock, because a reopen holding it waits for these threads to
 * stop. 0 when done, 75 (with a reason) when not.
 */
int
mstore_serve(const void *req, size_t len, struct buf *out)
{
	const char **v;
	ssize_t	 n;
	unsigned long day;
	char	*end;
	int	 rc;

	if (change_request_writes(req, len))
		return mstore_serve_change(req, len, out);
	v = xcalloc(MSTORE_SERVE_MAX, sizeof(*v));
	n = bg_nul_fields(req, len, v, MSTORE_SERVE_MAX);
	if (n < 2 || (v[0][0] != 'T' && v[0][0] != 'C') || v[0][1] != '\0' ||
	    (day = strtoul(v[1], &end, 10)) > UINT32_MAX || *end != '\0' ||
	    (v[0][0] == 'T' && n < 3)) {
		free(v);
		buf_addstr(out, "malformed change");
		return 64;
	}
	if (pthread_rwlock_tryrdlock(&ms_lock) != 0) {
		free(v);
		buf_addstr(out, "the master's store is being opened or reopened; "
		    "try again");
		return 75;
	}
	if (ms_st == NULL || !store_repl_is_master(ms_st))
		rc = STORE_ETEMP;
	else if (v[0][0] == 'T')
		rc = store_token_put(ms_st, v[2], (uint32_t)day, v + 3,
		    (size_t)n - 3);
	else
		rc = store_count_sent(ms_st, v + 2, (size_t)n - 2,
		    (uint32_t)day);
	if (rc != STORE_OK)
		buf_addstr(out, ms_st == NULL ? "no store" : !store_repl_is_master(
		    ms_st) ? "no longer the master" : store_error(ms_st));
	pthread_rwlock_unlock(&ms_lock);
	free(v);
	return rc == STORE_OK ? 0 : 75;
}

/* mstore_token_put - remember the recipients of a token, durably */
int
mstore_token_put(const char *token, uint32_t day, const char *const *rcpts,
    size_t n, char *err, size_t errlen)
{
	struct ms_list a = { token, rcpts, n, day };

	return mstore_call(mstore_do_token, &a, err, errlen);
}

struct ms_backoff {
	const char *domain;
	struct store_backoff *rec;
};

/* mstore_do_backoff - store_backoff_get() through mstore_call() */
static int
mstore_do_backoff(struct store *st, void *arg)
{
	struct ms_backoff *a = arg;

	return store_backoff_get(st, a->domain, a->rec);
}

/* mstore_backoff_get - a destination domain's back-off record */
int
mstore_backoff_get(const char *domain, struct store_backoff *rec, char *err,
    size_t errlen)
{
	struct ms_backoff a = { domain, rec };

	return mstore_call(mstore_do_backoff, &a, err, errlen);
}

struct ms_change {
	const void *req;
	size_t	 len;
	struct buf *answer;
};

/* mstore_pass_change - a write on a client: the master's milter makes it */
static int
mstore_pass_change(struct store *st, const struct ms_change *a)
{
	int	 status, rc;

	rc = store_repl_request(st, a->req, a->len, &status, a->answer);
	if (rc != STORE_OK) {
		change_answer_error(a->answer, rc, store_error(st));
		return rc;
	}
	/* 0 or 75 come with libchange's answer; anything else did not
	   reach mstore_serve_change() (refused: a bad signature, say). */
	if (status != 0 && status != 75) {
		char	 why[CHANGE_ERR_MAX];

		snprintf(why, sizeof(why), "the replication master refused the "
		    "change (status %d): %.*s", status, (int)(a->answer->len >
		    200 ? 200 : a->answer->len), a->answer->data ?
		    a->answer->data : "");
		change_answer_error(a->answer, STORE_ETEMP, why);
		return STORE_ETEMP;
	}
	return STORE_OK;
}

/* mstore_do_change - a pipe's change through mstore_call() */
static int
mstore_do_change(struct store *st, void *arg)
{
	struct ms_change *a = arg;

	buf_reset(a->answer);
	if (change_request_writes(a->req, a->len) && !store_repl_is_master(st))
		return mstore_pass_change(st, a);
	return mstore_apply_change(st, a->req, a->len, a->answer);
}

/*
 * mstore_change - a change from a pipe of this host (milter/changes.c):
 * applied here on the master, passed to the master on a client, read
 * here when it is a read. The answer is libchange's in every case.
 */
void
mstore_change(const void *req, size_t len, struct buf *answer)
{
	struct ms_change a = { req, len, answer };
	char	 err[MILTER_ERR_MAX];
	int	 rc;

	buf_reset(answer);
	rc = mstore_call(mstore_do_change, &a, err, sizeof(err));
	if (answer->len == 0)	/* no store to apply it to */
		change_answer_error(answer, rc < 0 ? rc : STORE_ETEMP, err);
}

/* mstore_describe - this site's role and master, for a pipe's log line */
void
mstore_describe(char *out, size_t size)
{
	pthread_rwlock_rdlock(&ms_lock);
	if (ms_st != NULL)
		(void)store_repl_describe(ms_st, out, size);
	else
		snprintf(out, size, "role=none master=none");
	pthread_rwlock_unlock(&ms_lock);
}

/* mstore_replicated - is this milter its site's replication process? */
bool
mstore_replicated(void)
{
	return ms_repl_on;
}
