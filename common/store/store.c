/*++
 * NAME
 *	store 3
 * SUMMARY
 *	opening and closing the Berkeley DB environment
 * DESCRIPTION
 *	store_open() opens (and creates, unless read-only) the environment
 *	and its databases, with recovery through DB_REGISTER|DB_RECOVER,
 *	automatic deadlock detection, lock timeouts, and automatic removal
 *	of log files no longer needed. It refuses a store whose schema
 *	version is not the one this program was built for.
 *
 *	A weakness of DB_REGISTER in Berkeley DB 5.3: the registry check
 *	reads a process's slot before trying its lock, so a process that
 *	leaves the environment at that very moment looks dead, and the
 *	opener runs recovery, which panics every other process in the store.
 *	With many short-lived pipes that happened about once in a thousand
 *	deliveries. Joining (DB_ENV->open) and leaving (DB_ENV->close) are
 *	therefore serialised with an exclusive flock(2) on bounceguard.lock
 *	in the store directory: a scan can no longer overlap a departure,
 *	while a process that really died holds no lock, so it is still
 *	found and recovered. (DB_FAILCHK would also soften the race, but in
 *	5.3 it can spin for ever when the dead process held a region mutex.)
 *
 *	A second weakness: the opener that finds a dead process sets the
 *	panic flag and starts recovery at once, while the others may still
 *	be writing. SIGKILLing pipes at random left, after some hundreds of
 *	kills, a log that recovery could not replay ("Log sequence error")
 *	and a store that no program could open any more. So recovery runs
 *	only while no other process is inside: each process holds a shared
 *	flock(2) on bounceguard.active from joining until it has left. An
 *	opener that gets it exclusively is alone and opens with DB_RECOVER;
 *	one that does not opens without it, and when Berkeley DB then says
 *	that recovery is needed (it has set the panic flag, so the others
 *	leave or reopen), it waits until they have left, and recovers alone.
 *	While it waits it holds bounceguard.gate exclusively, which every
 *	joiner holds shared while it joins: new processes wait at the gate,
 *	so that the ones inside can all leave even when pipes keep coming.
 *	An idle long-running process may not notice in time: after twice
 *	store_lock_timeout the opener recovers anyway, as before. Removing __db.register makes Berkeley DB
 *	recover when it creates it again, which also repairs a panicked
 *	environment whose registry shows no dead process.
 *
 *	Berkeley DB's shared regions (the __db.0NN files) are memory-mapped
 *	sparse files: when their file system fills up, touching a page that
 *	has no block yet kills the process with SIGBUS instead of returning
 *	an error. store_open() therefore allocates their blocks at once
 *	(fallocate(2)) and fails cleanly, as a temporary error, when the
 *	file system cannot hold them.
 *
 *	store_close() takes a checkpoint when this process wrote anything,
 *	so that recovery after a crash has little log to replay.
 *
 *	Berkeley DB checks lock timeouts only when its deadlock detector
 *	runs, and a process waiting for a lock does not run it again by
 *	itself: without help, a waiter stays blocked until the holder lets
 *	go, however long that is. Each open store therefore has a small
 *	watchdog thread that runs the detector in DB_LOCK_EXPIRE mode a few
 *	times a second, so that store_lock_timeout is really enforced,
 *	from the moment the environment is joined (opening a database
 *	waits for locks too).
 *
 *	A process killed while holding a lock leaves it held until the next
 *	opener runs recovery, which rebuilds the regions: a process that was
 *	waiting for that lock then waits on memory nobody will ever touch
 *	again, and the detector, like every call on a recovered environment,
 *	only answers DB_RUNRECOVERY. When that lasts, the watchdog calls the
 *	hook set with store_on_stuck(): the pipe exits 75 there (nothing of
 *	its was committed, or the retry finds it already recorded). Before
 *	that it gives up its shared lock, so that the recovery it is waiting
 *	for can run. Joining and leaving are timed the same way (a process
 *	killed holding a region mutex leaves it held), with three times and
 *	once store_lock_timeout. Without a hook only the shared lock is given up.
 * DIAGNOSTICS
 *	Errors name the store directory and what failed; Berkeley DB's own
 *	explanations since the last failure are appended when it gave any
 *	(the first one usually names the damaged file).
 *--*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "libbase.h"
#include "store_int.h"

static const struct {
	const char *file;
	size_t	 off;
} store_dbs[] = {
	{ "meta.db", offsetof(struct store, meta) },
	{ "addresses.db", offsetof(struct store, addr) },
	{ "events.db", offsetof(struct store, event) },
	{ "domains.db", offsetof(struct store, domain) },
	{ "tokens.db", offsetof(struct store, token) },
	{ "seen.db", offsetof(struct store, seen) },
	{ "backoff.db", offsetof(struct store, backoff) },
};

#define STORE_DB_SLOT(st, i) ((DB **)(void *)((char *)(st) + store_dbs[i].off))

/* store_errcall - keep Berkeley DB's own explanation of a failure */
static void
store_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	struct store *st = env->app_private;

	(void)pfx;
	/* Keep every message since the last failure: the first one often
	   names the damaged file, the last one only says that it failed. */
	if (st != NULL && strstr(st->dberr, msg) == NULL) {
		if (strlen(st->dberr) + strlen(msg) + 3 > sizeof(st->dberr))
			st->dberr[0] = '\0';	/* stale: keep the newest */
		if (st->dberr[0] != '\0')
			bg_strlcat(st->dberr, "; ", sizeof(st->dberr));
		bg_strlcat(st->dberr, msg, sizeof(st->dberr));
	}
	/* Berkeley DB often says more than the last message shows. */
	if (getenv("BOUNCEGUARD_STORE_DEBUG") != NULL)
		fprintf(stderr, "store debug [%ld]: %s\n", (long)getpid(), msg);
}

/* store_rc_class - map an errno or Berkeley DB code to a store code */
static int
store_rc_class(int rc)
{
	switch (rc) {
	case 0:
		return STORE_OK;
	case DB_NOTFOUND:
		return STORE_NOTFOUND;
	case DB_RUNRECOVERY:
		return STORE_EPANIC;
	case DB_LOCK_DEADLOCK:
	case DB_LOCK_NOTGRANTED:
	case DB_REP_HANDLE_DEAD:
	case DB_REP_LOCKOUT:
	case DB_REP_UNAVAIL:
	case ENOSPC:
	case EDQUOT:
	case EACCES:
	case EPERM:
	case ENOENT:
	case EAGAIN:
	case EROFS:
	case EIO:
	case ENOMEM:
		return STORE_ETEMP;
	default:
		return STORE_EFATAL;
	}
}

/* store_fail - record what failed and classify it */
int
store_fail(struct store *st, int rc, const char *what, const char *key)
{
	const char *why = rc == DB_LOCK_NOTGRANTED ?
	    "store locked by another process past store_lock_timeout" :
	    rc == DB_RUNRECOVERY ? "the store needs recovery (a process "
	    "died inside it, or a file is damaged: see bounceguard db "
	    "verify)" : db_strerror(rc);

	st->last_dbrc = rc;
	if (rc == DB_RUNRECOVERY)
		st->panicked = true;
	snprintf(st->errmsg, sizeof(st->errmsg), "store %s: %s%s%s%s: %s%s%s",
	    st->dir, what, key ? " \"" : "", key ? key : "", key ? "\"" : "",
	    why, st->dberr[0] && !strstr(why, st->dberr) ? " (" : "",
	    st->dberr[0] ? st->dberr : "");
	if (st->dberr[0])
		bg_strlcat(st->errmsg, ")", sizeof(st->errmsg));
	st->dberr[0] = '\0';
	return store_rc_class(rc);
}

/* store_error - the last error's description */
const char *
store_error(const struct store *st)
{
	return st->errmsg;
}

/* store_panicked - another process's recovery invalidated this handle */
bool
store_panicked(const struct store *st)
{
	return st != NULL && st->panicked;
}

/* store_dir - the directory the store lives in */
const char *
store_dir(const struct store *st)
{
	return st->dir;
}

/* store_dbt - a key or data item pointing at caller memory */
void
store_dbt(DBT *d, const void *p, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->data = (void *)(uintptr_t)p;
	d->size = (u_int32_t)len;
}

/* store_dbt_out - an item that Berkeley DB fills into caller memory */
void
store_dbt_out(DBT *d, void *p, size_t cap)
{
	memset(d, 0, sizeof(*d));
	d->data = p;
	d->ulen = (u_int32_t)cap;
	d->flags = DB_DBT_USERMEM;
}

/* store_txn_begin - start a transaction */
int
store_txn_begin(struct store *st, DB_TXN **txn, unsigned flags)
{
	int	 rc;

	if ((rc = store_repl_check_writable(st)) != STORE_OK)
		return rc;
	rc = st->env->txn_begin(st->env, NULL, txn,
	    (flags & STORE_NOSYNC) ? DB_TXN_NOSYNC : 0);
	if (rc != 0)
		return store_fail(st, rc, "begin transaction", NULL);
	return STORE_OK;
}

/* store_txn_commit - commit; the caller has already got its result */
int
store_txn_commit(struct store *st, DB_TXN *txn)
{
	int	 rc;

	store_repl_commit_begin();
	if ((rc = txn->commit(txn, 0)) != 0)
		return store_fail(st, rc, "commit", NULL);
	st->wrote = true;
	return store_repl_commit_end(st);
}

/* store_now_ms - a monotonic clock in milliseconds */
long long
store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* store_retry_deadlock - back off a little more at each attempt */
static bool
store_retry_deadlock(struct store *st, int attempt, long long start_ms)
{
	struct timeval tv;

	if (store_now_ms() - start_ms >= st->opts.lock_timeout * 1000 ||
	    attempt + 1 >= STORE_RETRIES) {
		snprintf(st->errmsg, sizeof(st->errmsg), "store %s: store "
		    "locked by another process past store_lock_timeout "
		    "(%llds)", st->dir, st->opts.lock_timeout);
		return false;
	}
	gettimeofday(&tv, NULL);
	usleep((useconds_t)(1000 * (1 + attempt) +
	    (tv.tv_usec ^ getpid()) % 2000));
	return true;
}

/* store_retry_lockout - a replication role change or synchronisation
   holds the environment (DB_REP_LOCKOUT): wait for it, within the
   timeout */
static bool
store_retry_lockout(struct store *st, long long start_ms)
{
	if (store_now_ms() - start_ms >= st->opts.lock_timeout * 1000) {
		snprintf(st->errmsg, sizeof(st->errmsg), "store %s: a "
		    "replication role change or synchronisation held the store "
		    "past store_lock_timeout (%llds)", st->dir,
		    st->opts.lock_timeout);
		return false;
	}
	usleep(STORE_LOCKOUT_SLEEP_MS * 1000);
	return true;
}

/* store_lockout - the last failure was a replication lockout */
bool
store_lockout(const struct store *st)
{
	return st->last_dbrc == DB_REP_LOCKOUT;
}

/* store_handle_dead - the last failure was a dead database handle */
bool
store_handle_dead(const struct store *st)
{
	return st->last_dbrc == DB_REP_HANDLE_DEAD;
}

/* store_retry - after a deadlock, a replication lockout or (in a
   single-threaded program) a dead handle, retry within the timeout */
bool
store_retry(struct store *st, int rc, int attempt, long long start_ms)
{
	if (rc != STORE_ETEMP)
		return false;
	switch (st->last_dbrc) {
	case DB_LOCK_DEADLOCK:
		return store_retry_deadlock(st, attempt, start_ms);
	case DB_REP_LOCKOUT:
		return store_retry_lockout(st, start_ms);
	case DB_REP_HANDLE_DEAD:
		/* The milter's threads share the handles: mstore reopens. */
		return st->opts.repl != NULL && st->opts.repl->role !=
		    STORE_REPL_PROCESS && attempt < 2 &&
		    store_reopen_dbs(st) == STORE_OK;
	default:
		return false;
	}
}

/* store_env_settings - the environment's sizes and policies, for any opener */
int
store_env_settings(DB_ENV *env, const struct store_opts *o)
{
	long long cache = o->cache_size;
	int	 rc;

	/* Recovery rebuilds the regions with these: all openers must agree. */
	if ((rc = env->set_cachesize(env, (u_int32_t)(cache >> 30),
	    (u_int32_t)(cache & ((1LL << 30) - 1)), 1)) != 0 ||
	    (rc = env->set_lk_detect(env, DB_LOCK_DEFAULT)) != 0 ||
	    (rc = env->set_timeout(env, (db_timeout_t)(o->lock_timeout *
	    1000000), DB_SET_LOCK_TIMEOUT)) != 0 ||
	    (rc = env->set_lk_max_locks(env, 100000)) != 0 ||
	    (rc = env->set_lk_max_objects(env, 100000)) != 0 ||
	    (rc = env->set_lk_max_lockers(env, 10000)) != 0)
		return rc;
	return env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1);
}

/* store_env_configure - settings that must precede DB_ENV->open */
static int
store_env_configure(struct store *st)
{
	int	 rc;

	st->env->app_private = st;
	st->env->set_errcall(st->env, store_errcall);
	if ((rc = store_env_settings(st->env, &st->opts)) != 0)
		return store_fail(st, rc, "configure environment", NULL);
	return st->opts.repl != NULL ? store_repl_configure(st) : STORE_OK;
}

/* store_open_db - open one database; a replication master's own threads
   may hold its locks for a moment (group membership), so retry then */
static int
store_open_db(struct store *st, DB **slot, const char *file, u_int32_t flags,
    DB_TXN *txn)
{
	int	 rc;

	for (int attempt = 0; ; attempt++) {
		rc = (*slot)->open(*slot, txn, file, NULL, DB_BTREE, flags,
		    0660);
		/* Inside a transaction the whole transaction is retried. */
		if ((rc != DB_LOCK_DEADLOCK && rc != DB_LOCK_NOTGRANTED &&
		    rc != DB_REP_LOCKOUT) || st->repl == NULL || txn != NULL ||
		    attempt >= STORE_RETRIES * 5)
			return rc;
		(*slot)->close(*slot, 0);
		if ((rc = db_create(slot, st->env, 0)) != 0)
			return rc;
		usleep(20000);
	}
}

/* store_open_dbs_in - open (or create) every database, each in its own
   transaction, or all in txn */
static int
store_open_dbs_in(struct store *st, u_int32_t flags, DB_TXN *txn)
{
	long long start = store_now_ms();
	int	 rc;

	for (size_t i = 0; i < BG_ARRAY_SIZE(store_dbs); i++) {
		DB	**slot = STORE_DB_SLOT(st, i);

		if ((rc = db_create(slot, st->env, 0)) != 0)
			return store_fail(st, rc, "create handle for",
			    store_dbs[i].file);
		rc = store_open_db(st, slot, store_dbs[i].file, flags, txn);
		if (rc == ENOENT && st->repl != NULL && !(flags & DB_CREATE) &&
		    store_repl_waits_for_dbs(st, start)) {
			(*slot)->close(*slot, 0);
			*slot = NULL;
			i--;		/* the master has not created it yet */
			continue;
		}
		if (rc == ENOENT && st->repl != NULL && !(flags & DB_CREATE)) {
			snprintf(st->errmsg, sizeof(st->errmsg), "store %s: "
			    "%s is not replicated here yet (this site has not "
			    "synchronised with a master)", st->dir,
			    store_dbs[i].file);
			return STORE_ETEMP;
		}
		if (rc == ENOENT && st->opts.readonly) {
			snprintf(st->errmsg, sizeof(st->errmsg), "store %s: "
			    "no bounceguard store here (%s is missing)",
			    st->dir, store_dbs[i].file);
			return STORE_ETEMP;
		}
		if (rc != 0)
			return store_fail(st, rc, "open", store_dbs[i].file);
	}
	return STORE_OK;
}

/* store_close_dbs - close every open database handle */
static void
store_close_dbs(struct store *st)
{
	for (size_t i = 0; i < BG_ARRAY_SIZE(store_dbs); i++) {
		DB	**slot = STORE_DB_SLOT(st, i);

		/* The log makes commits durable; flushing pages here would
		   cost two fsyncs per database on every pipe run. */
		if (*slot != NULL)
			(void)(*slot)->close(*slot, DB_NOSYNC);
		*slot = NULL;
	}
}

/*
 * store_open_dbs_txn - on a replication master, open every database in
 * one transaction.
 *
 * Each open commits a transaction (it logs the file's registration), and
 * on a master every commit waits for a quorum's acknowledgement: seven
 * round trips, and seven log flushes on each client, for every pipe. One
 * transaction makes it one. A deadlock or lockout retries the whole.
 */
static int
store_open_dbs_txn(struct store *st, u_int32_t flags)
{
	DB_TXN	*txn;
	int	 rc = STORE_ETEMP;

	for (int attempt = 0; attempt < STORE_RETRIES; attempt++) {
		if ((rc = st->env->txn_begin(st->env, NULL, &txn, 0)) != 0)
			return store_fail(st, rc, "begin transaction", NULL);
		st->last_dbrc = 0;
		if ((rc = store_open_dbs_in(st, flags, txn)) == STORE_OK) {
			/* Its acknowledgement is not this run's concern: the
			   commits that record something are checked. */
			if ((rc = txn->commit(txn, 0)) != 0)
				break;
			return STORE_OK;
		}
		(void)txn->abort(txn);
		store_close_dbs(st);
		if (st->last_dbrc != DB_LOCK_DEADLOCK && st->last_dbrc !=
		    DB_LOCK_NOTGRANTED && st->last_dbrc != DB_REP_LOCKOUT)
			return rc;
		usleep(20000);
	}
	store_close_dbs(st);
	return rc > 0 ? store_fail(st, rc, "open databases", NULL) : rc;
}

/* store_open_dbs - open (or create) every database */
static int
store_open_dbs(struct store *st)
{
	u_int32_t flags = DB_THREAD |
	    (st->opts.readonly || !store_repl_can_create(st) ? 0 : DB_CREATE);

	if (st->repl != NULL && (flags & DB_CREATE))
		return store_open_dbs_txn(st, flags);
	return store_open_dbs_in(st, flags | DB_AUTO_COMMIT, NULL);
}

/*
 * store_reopen_dbs - close and reopen the database handles.
 *
 * On a replication client, Berkeley DB invalidates open database handles
 * when it rolls back transactions the new master does not have, or
 * copies the whole store from the master (internal init): every call on
 * them then fails with DB_REP_HANDLE_DEAD until they are reopened. The
 * environment stays open (in the replication process, closing it would
 * stop replication). The caller makes sure no other thread uses them.
 */
int
store_reopen_dbs(struct store *st)
{
	store_close_dbs(st);
	return store_open_dbs(st);
}

/* store_check_schema - write the version into a new store, check an old one */
static int
store_check_schema(struct store *st)
{
	static const char key[] = "schema_version";
	long long start = store_now_ms();
	char	 want[16], got[16];
	DBT	 k, v;
	int	 rc;

	snprintf(want, sizeof(want), "%d", STORE_SCHEMA_VERSION);
	store_dbt(&k, key, sizeof(key) - 1);
	store_dbt(&v, want, strlen(want));
	rc = st->opts.readonly || !store_repl_can_create(st) ? DB_KEYEXIST :
	    st->meta->put(st->meta, NULL, &k, &v, DB_NOOVERWRITE | DB_AUTO_COMMIT);
	if (rc != 0 && rc != DB_KEYEXIST)
		return store_fail(st, rc, "write", key);
	store_dbt_out(&v, got, sizeof(got) - 1);
	/* A starting replication client may not have the key yet. */
	while ((rc = st->meta->get(st->meta, NULL, &k, &v, 0)) ==
	    DB_NOTFOUND && st->repl != NULL && store_repl_waits_for_dbs(st,
	    start))
		store_dbt_out(&v, got, sizeof(got) - 1);
	if (rc != 0)
		return store_fail(st, rc, "read", key);
	got[v.size] = '\0';
	if (strcmp(got, want) != 0) {
		snprintf(st->errmsg, sizeof(st->errmsg), "store %s: schema "
		    "version %s, but this bounceguard uses version %s; the "
		    "store was left unchanged", st->dir, got, want);
		return STORE_EFATAL;
	}
	return STORE_OK;
}

/* store_serialize - exclusive lock held around joining or leaving */
int
store_serialize(const char *dir)
{
	char	 path[4096];
	int	 fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/bounceguard.lock", dir) >=
	    sizeof(path) || (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC,
	    0660)) < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* store_unserialize - let the next process join or leave */
void
store_unserialize(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* store_is_region - a Berkeley DB shared region file: __db.NNN */
static bool
store_is_region(const char *name)
{
	if (strncmp(name, "__db.", 5) != 0 || name[5] == '\0')
		return false;
	for (name += 5; *name != '\0'; name++)
		if (*name < '0' || *name > '9')
			return false;
	return true;
}

/* store_reserve_file - allocate every block of one region file */
static int
store_reserve_file(int dirfd, const char *name)
{
	struct stat sb;
	int	 fd, rc = 0;

	if ((fd = openat(dirfd, name, O_RDWR | O_CLOEXEC)) < 0)
		return 0;		/* not ours to map: nothing to do */
	if (fstat(fd, &sb) == 0 && sb.st_size > 0 &&
	    (off_t)sb.st_blocks * 512 < sb.st_size &&
	    fallocate(fd, 0, 0, sb.st_size) < 0 &&
	    errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL)
		rc = errno;
	close(fd);
	return rc;
}

/* store_reserve_regions - no SIGBUS later: allocate the regions now */
static int
store_reserve_regions(struct store *st)
{
	struct dirent *de;
	DIR	*d;
	int	 err = 0;

	if ((d = opendir(st->dir)) == NULL)
		return STORE_OK;	/* the open would have failed */
	while (err == 0 && (de = readdir(d)) != NULL)
		if (store_is_region(de->d_name))
			err = store_reserve_file(dirfd(d), de->d_name);
	closedir(d);
	if (err == 0)
		return STORE_OK;
	snprintf(st->errmsg, sizeof(st->errmsg), "store %s: cannot allocate "
	    "the shared region files: %s (the file system holding store_dir "
	    "is full)", st->dir, strerror(err));
	return store_rc_class(err);
}

/* store_check_dir - a clear message for the commonest mistakes */
static int
store_check_dir(struct store *st)
{
	struct stat sb;

	if (stat(st->dir, &sb) < 0) {
		snprintf(st->errmsg, sizeof(st->errmsg), "store %s: %s",
		    st->dir, strerror(errno));
		return STORE_ETEMP;
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(st->errmsg, sizeof(st->errmsg), "store %s: not a "
		    "directory", st->dir);
		return STORE_EFATAL;
	}
	return STORE_OK;
}

static void (*store_stuck_hook)(const char *);

/* store_on_stuck - what to do when this process can no longer progress */
void
store_on_stuck(void (*fn)(const char *))
{
	store_stuck_hook = fn;
}

/* store_watchdog_panic - the environment was recovered, or is about to be */
static void
store_watchdog_panic(struct store *st, long long *since_ms)
{
	long long now = store_now_ms();

	if (*since_ms == 0)
		*since_ms = now;
	if (now - *since_ms < STORE_STUCK_GRACE_MS)
		return;		/* a busy thread sees the panic by itself */
	/* Let the process that found the dead one run recovery. */
	(void)flock(st->active, LOCK_UN);
	if (store_stuck_hook)
		store_stuck_hook("the store needed recovery (a process died "
		    "inside it) while this one waited for a lock the dead "
		    "process held");
}

/* store_watchdog - run the expiry detector until told to stop */
static void *
store_watchdog(void *arg)
{
	struct store *st = arg;
	long long period_ms = st->opts.lock_timeout * 1000 / 4;
	long long panic_ms = 0;
	struct timespec ts;

	if (period_ms > 250)
		period_ms = 250;
	pthread_mutex_lock(&st->wd_mtx);
	while (!st->wd_stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (period_ms % 1000) * 1000000;
		ts.tv_sec += period_ms / 1000 + ts.tv_nsec / 1000000000;
		ts.tv_nsec %= 1000000000;
		pthread_cond_timedwait(&st->wd_cond, &st->wd_mtx, &ts);
		if (st->wd_stop)
			break;
		if (st->wd_phase == STORE_WD_JOINED) {
			if (st->env->lock_detect(st->env, 0, DB_LOCK_EXPIRE,
			    NULL) == DB_RUNRECOVERY)
				store_watchdog_panic(st, &panic_ms);
		} else if (store_now_ms() - st->wd_since > st->opts.lock_timeout *
		    (st->wd_phase == STORE_WD_JOINING ? 3000 : 1000) +
		    STORE_STUCK_GRACE_MS && store_stuck_hook)
			store_stuck_hook(st->wd_phase == STORE_WD_JOINING ?
			    "could not join the store within three times "
			    "store_lock_timeout (a process died holding one of "
			    "its mutexes?)" :
			    "could not leave the store within store_lock_timeout"
			    " (a process died holding one of its mutexes?)");
	}
	pthread_mutex_unlock(&st->wd_mtx);
	return NULL;
}

/* store_watchdog_start - start the lock-expiry thread */
static int
store_watchdog_start(struct store *st)
{
	pthread_mutex_init(&st->wd_mtx, NULL);
	pthread_cond_init(&st->wd_cond, NULL);
	st->wd_phase = STORE_WD_JOINING;
	st->wd_since = store_now_ms();
	if (pthread_create(&st->watchdog, NULL, store_watchdog, st) != 0)
		return store_fail(st, errno ? errno : EAGAIN,
		    "start lock watchdog", NULL);
	st->wd_running = true;
	return STORE_OK;
}

/* store_watchdog_phase - joining, inside (detector runs), or leaving */
static void
store_watchdog_phase(struct store *st, int phase)
{
	if (!st->wd_running)
		return;
	pthread_mutex_lock(&st->wd_mtx);
	st->wd_phase = phase;
	st->wd_since = store_now_ms();
	pthread_mutex_unlock(&st->wd_mtx);
}

/* store_watchdog_stop - stop and join the lock-expiry thread */
static void
store_watchdog_stop(struct store *st)
{
	if (!st->wd_running)
		return;
	pthread_mutex_lock(&st->wd_mtx);
	st->wd_stop = true;
	pthread_cond_signal(&st->wd_cond);
	pthread_mutex_unlock(&st->wd_mtx);
	pthread_join(st->watchdog, NULL);
	pthread_mutex_destroy(&st->wd_mtx);
	pthread_cond_destroy(&st->wd_cond);
	st->wd_running = false;
}

/* store_active_open - the file every process holds shared while inside */
int
store_active_open(const char *dir)
{
	char	 path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/bounceguard.active",
	    dir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
}

/* store_await_alone - the join lock, once no other process is inside */
int
store_await_alone(const char *dir, int active, long long timeout_ms)
{
	long long start = store_now_ms();
	int	 join;

	for (;;) {
		join = store_serialize(dir);
		if (flock(active, LOCK_EX | LOCK_NB) == 0)
			return join;
		store_unserialize(join);
		if (store_now_ms() - start >= timeout_ms)
			return -1;
		usleep(20000);
	}
}

/* store_env_new - a fresh, configured environment handle */
static int
store_env_new(struct store *st)
{
	int	 rc;

	if (st->env != NULL) {
		/* After DB_RUNRECOVERY Berkeley DB keeps part of it. */
		st->env->close(st->env, 0);
		st->leaked = true;
	}
	st->env = NULL;
	if ((rc = db_env_create(&st->env, 0)) != 0)
		return store_fail(st, rc, "create environment", NULL);
	return store_env_configure(st);
}

/* store_registry_reset - make the next DB_REGISTER opener run recovery */
int
store_registry_reset(const char *dir)
{
	char	 path[4096];

	/* Berkeley DB runs recovery when it has to create the registry. */
	if ((size_t)snprintf(path, sizeof(path), "%s/__db.register", dir) >=
	    sizeof(path))
		return ENAMETOOLONG;
	return unlink(path) < 0 && errno != ENOENT ? errno : 0;
}

/* store_gate - bounceguard.gate, locked: shared by every process while
   it joins, exclusive by an opener waiting to recover alone, so that no
   new process enters while those inside leave; -1 on error */
static int
store_gate(const char *dir, int how)
{
	char	 path[4096];
	int	 fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/bounceguard.gate", dir) >=
	    sizeof(path) || (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC,
	    0660)) < 0)
		return -1;
	while (flock(fd, how) < 0) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* store_ungate - let a waiting recovery, or the next joiner, in */
static void
store_ungate(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* store_join - DB_ENV->open; recovery only while no other process is in */
static int
store_join(struct store *st)
{
	u_int32_t flags = STORE_ENV_FLAGS | DB_REGISTER | DB_RECOVER |
	    (st->opts.repl != NULL ? DB_INIT_REP : 0);
	int	 gate = store_gate(st->dir, LOCK_SH);
	int	 join = store_serialize(st->dir), rc;
	bool	 alone = flock(st->active, LOCK_EX | LOCK_NB) == 0;

	/* Shared cannot block: exclusive holders hold the join lock. */
	if (!alone)
		(void)flock(st->active, LOCK_SH);
	rc = st->env->open(st->env, st->dir, alone ? flags : flags &
	    ~DB_RECOVER, 0660);
	/* EINVAL alone: region files a killed recovery left half made. */
	if (rc == DB_RUNRECOVERY || (alone && rc == EINVAL)) {
		/* A dead process or a panic; the others have been told. */
		if ((rc = store_env_new(st)) != STORE_OK)
			goto out;
		if (!alone) {
			store_unserialize(join);
			(void)flock(st->active, LOCK_UN);
			/* Nobody new may enter while those inside leave
			   (recovering under a process still writing left logs
			   no recovery could replay). */
			store_ungate(gate);
			gate = store_gate(st->dir, LOCK_EX);
			/* An idle process may not notice: then recover anyway. */
			if ((join = store_await_alone(st->dir, st->active,
			    2 * st->opts.lock_timeout * 1000)) < 0) {
				join = store_serialize(st->dir);
				(void)flock(st->active, LOCK_SH);
			} else
				alone = true;
		}
		if ((rc = store_registry_reset(st->dir)) == 0)
			rc = st->env->open(st->env, st->dir, flags, 0660);
	}
	if (alone)
		(void)flock(st->active, LOCK_SH);
out:
	store_unserialize(join);
	store_ungate(gate);
	if (rc > 0 || rc < STORE_EFATAL)	/* Berkeley DB's, not ours */
		return store_fail(st, rc, "open environment", NULL);
	if (rc == 0)
		st->dberr[0] = '\0';	/* the failed attempt's messages */
	return rc;
}

/* store_open - open the store in a directory */
int
store_open(struct store **out, const char *dir, const struct store_opts *opts,
    struct buf *err)
{
	struct store *st = xcalloc(1, sizeof(*st));
	int	 rc;

	st->active = -1;
	st->dir = xstrdup(dir);
	st->opts = *opts;
	*out = NULL;
	if ((rc = store_check_dir(st)) != STORE_OK)
		goto fail;
	if ((st->active = store_active_open(dir)) < 0) {
		rc = store_fail(st, errno, "open", "bounceguard.active");
		goto fail;
	}
	if ((rc = store_repl_precheck(st)) != STORE_OK ||
	    (rc = store_env_new(st)) != STORE_OK ||
	    (rc = store_watchdog_start(st)) != STORE_OK ||
	    (rc = store_join(st)) != STORE_OK)
		goto fail;
	store_watchdog_phase(st, STORE_WD_JOINED);
	if ((rc = store_reserve_regions(st)) != STORE_OK ||
	    (st->opts.repl != NULL && (rc = store_repl_start(st)) != STORE_OK) ||
	    (rc = store_open_dbs(st)) != STORE_OK ||
	    (rc = store_check_schema(st)) != STORE_OK)
		goto fail;
	*out = st;
	return STORE_OK;
fail:
	buf_printf(err, "%s", st->errmsg);
	/* Tell the caller that memory was lost, as store_close() does. */
	if (store_close(st) == STORE_EPANIC)
		rc = STORE_EPANIC;
	return rc;
}

/* store_checkpoint - write dirty pages so that recovery stays short */
int
store_checkpoint(struct store *st)
{
	int	 rc = st->env->txn_checkpoint(st->env, 1024, 5, 0);

	return rc ? store_fail(st, rc, "checkpoint", NULL) : STORE_OK;
}

/* store_close - close everything; STORE_EPANIC if memory was lost to a panic */
int
store_close(struct store *st)
{
	int	 rc;

	if (st == NULL)
		return STORE_OK;
	store_watchdog_phase(st, STORE_WD_LEAVING);
	/*
	 * After another process recovered the environment under us, Berkeley
	 * DB refuses to free the handles (their mutexes may be held by the
	 * dead process, so forcing it with DB_NOPANIC can hang): closing
	 * releases the file descriptors but leaks about 30 KB, once per
	 * recovery, which happens only when a process died in the store.
	 */
	if (st->wrote && st->env != NULL && !st->panicked)
		(void)store_checkpoint(st);
	store_repl_stop(st);		/* its threads use the handles */
	store_close_dbs(st);
	if (st->env != NULL) {
		int	 lock = store_serialize(st->dir);

		st->env->close(st->env, 0);
		store_unserialize(lock);
	}
	store_watchdog_stop(st);
	store_repl_close(st);
	if (st->active >= 0)
		close(st->active);	/* after leaving: then we are out */
	rc = st->panicked || st->leaked ? STORE_EPANIC : STORE_OK;
	free(st->dir);
	free(st);
	return rc;
}
