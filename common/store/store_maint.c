/*++
 * NAME
 *	store_maint 3
 * SUMMARY
 *	store maintenance for the administrator's tool
 * DESCRIPTION
 *	See store_maint.h. Batches and pruning use non-synchronous commits
 *	and end with a log flush, so that a million changes cost one fsync
 *	instead of a million, and hold locks for a bounded number of
 *	records at a time, so that the pipe and the milter keep working
 *	while the administrator imports or expires.
 *
 *	The hot backup uses DB_ENV->backup() (Berkeley DB 5.3): after a
 *	checkpoint it copies the database files and then the log files,
 *	and recovery in the copy replays whatever changed during the copy.
 *	The copy is opened with DB_PRIVATE, so it carries no region files
 *	and can be moved or archived as is.
 * DIAGNOSTICS
 *	See store.h.
 *--*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libbase.h"
#include "pack.h"
#include "store_int.h"
#include "store_maint.h"

#define MAINT_BATCH	1000		/* records deleted per transaction */
#define MAINT_KEY_MAX	1024

volatile sig_atomic_t store_maint_interrupt;

const char *const store_files[] = {
	"meta.db", "addresses.db", "events.db", "domains.db", "tokens.db",
	"seen.db", "backoff.db", NULL,
};

/* maint_apply - one address of a batch, inside the transaction */
static int
maint_apply(struct store *st, DB_TXN *txn, const char *addr,
    store_update_fn fn, void *arg, int *result)
{
	struct store_addr rec;
	struct store_event ev;
	struct store_delta d;
	int	 got, rc;

	if (strlen(addr) >= STORE_ADDR_MAX)
		return store_fail(st, EINVAL, "address too long", addr);
	if ((got = store_get_rec(st, txn, addr, &rec, DB_RMW)) < 0)
		return got;
	memset(&ev, 0, sizeof(ev));
	memset(&d, 0, sizeof(d));
	rc = fn(&rec, got == STORE_OK, &ev, &d, arg);
	*result = rc;
	if (rc < 0)
		return rc;
	if (rc == STORE_NOCHANGE)
		return STORE_OK;
	rec.updated = time(NULL);
	return store_put_rec(st, txn, addr, &rec);
}

/* maint_many_once - one attempt at a whole batch */
static int
maint_many_once(struct store *st, size_t n, const char *const *addrs,
    store_update_fn fn, void *const *args, int *results)
{
	DB_TXN	*txn;
	int	 rc;

	if ((rc = store_txn_begin(st, &txn, STORE_NOSYNC)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if ((rc = maint_apply(st, txn, addrs[i], fn, args[i],
		    &results[i])) != STORE_OK) {
			txn->abort(txn);
			return rc;
		}
	}
	return store_txn_commit(st, txn);
}

/* store_update_many - one update function over a batch of addresses */
int
store_update_many(struct store *st, size_t n, const char *const *addrs,
    store_update_fn fn, void *const *args, int *results)
{
	long long start = store_now_ms();
	int	 rc, attempt = 0;

	do {
		st->last_dbrc = 0;
		rc = maint_many_once(st, n, addrs, fn, args, results);
	} while (store_retry(st, rc, attempt++, start));
	return rc;
}

/* store_sync - make every commit so far durable */
int
store_sync(struct store *st)
{
	int	 rc;

	if ((rc = st->env->log_flush(st->env, NULL)) != 0)
		return store_fail(st, rc, "flush log", NULL);
	return STORE_OK;
}

typedef bool (*maint_pred)(const DBT *, const DBT *, const void *);

struct maint_prune {
	DB	*db;
	const char *file;
	maint_pred pred;
	const void *arg;
	unsigned char key[MAINT_KEY_MAX];
	size_t	 klen;			/* resume here; 0: from the start */
	bool	 done;
	size_t	 deleted;
};

/* maint_prune_step - examine and delete up to one batch of records */
static int
maint_prune_step(struct store *st, DB_TXN *txn, struct maint_prune *p,
    size_t *deleted)
{
	unsigned char data[STORE_RECORD_MAX];
	DBC	*c;
	DBT	 k, v;
	int	 rc;
	size_t	 seen = 0;

	if ((rc = p->db->cursor(p->db, txn, &c, 0)) != 0)
		return store_fail(st, rc, "cursor on", p->file);
	store_dbt_out(&k, p->key, sizeof(p->key));
	k.size = (u_int32_t)p->klen;
	store_dbt_out(&v, data, sizeof(data));
	rc = c->get(c, &k, &v, (p->klen ? DB_SET_RANGE : DB_FIRST) | DB_RMW);
	for (; rc == 0 && seen < 10 * MAINT_BATCH && *deleted < MAINT_BATCH;
	    rc = c->get(c, &k, &v, DB_NEXT | DB_RMW), seen++)
		if (p->pred(&k, &v, p->arg) && (rc = c->del(c, 0)) == 0)
			(*deleted)++;
		else if (rc != 0)
			break;
	p->klen = rc == 0 ? k.size : 0;
	p->done = rc == DB_NOTFOUND;
	c->close(c);
	if (rc != 0 && rc != DB_NOTFOUND)
		return store_fail(st, rc, "prune", p->file);
	return STORE_OK;
}

/* maint_prune_batch - one transaction of maint_prune_step */
static int
maint_prune_batch(struct store *st, struct maint_prune *p)
{
	unsigned char saved[MAINT_KEY_MAX];
	size_t	 saved_len = p->klen, deleted = 0;
	DB_TXN	*txn;
	int	 rc;

	memcpy(saved, p->key, saved_len);
	if ((rc = store_txn_begin(st, &txn, STORE_NOSYNC)) != STORE_OK)
		return rc;
	if ((rc = maint_prune_step(st, txn, p, &deleted)) != STORE_OK) {
		txn->abort(txn);
		memcpy(p->key, saved, saved_len);	/* retry from here */
		p->klen = saved_len;
		p->done = false;
		return rc;
	}
	if ((rc = store_txn_commit(st, txn)) == STORE_OK)
		p->deleted += deleted;
	return rc;
}

/* maint_prune - delete every record the predicate selects */
static int
maint_prune(struct store *st, struct maint_prune *p, size_t *count)
{
	long long start;
	int	 rc = STORE_OK, attempt;

	while (!p->done) {
		if (store_maint_interrupt) {
			snprintf(st->errmsg, sizeof(st->errmsg), "store %s: "
			    "interrupted while pruning %s", st->dir, p->file);
			rc = STORE_ETEMP;
			break;
		}
		start = store_now_ms();
		attempt = 0;
		do {
			st->last_dbrc = 0;
			rc = maint_prune_batch(st, p);
		} while (store_retry(st, rc, attempt++, start));
		if (rc != STORE_OK)
			break;
	}
	*count = p->deleted;
	if (p->deleted > 0 && store_sync(st) != STORE_OK && rc == STORE_OK)
		rc = STORE_ETEMP;
	return rc;
}

/* maint_event_old - an event key recorded before the cutoff (us) */
static bool
maint_event_old(const DBT *k, const DBT *v, const void *arg)
{
	const uint64_t *cutoff = arg;

	(void)v;
	return k->size >= 9 && pack_get_be64((const unsigned char *)k->data +
	    k->size - 8) < *cutoff;
}

/* store_prune_history - delete events recorded before a time */
int
store_prune_history(struct store *st, time_t before, size_t *count)
{
	uint64_t cutoff = before > 0 ? (uint64_t)before * 1000000 : 0;
	struct maint_prune p = { .db = st->event, .file = "events.db",
	    .pred = maint_event_old, .arg = &cutoff };

	return maint_prune(st, &p, count);
}

/* maint_token_old - a token stamped before the day */
static bool
maint_token_old(const DBT *k, const DBT *v, const void *arg)
{
	const unsigned char *d = v->data;
	const uint32_t *day = arg;
	struct unpack u;

	(void)k;
	unpack_init(&u, d, v->size);
	if (unpack_u8(&u) != 1)
		return false;		/* unknown format: keep */
	return unpack_u32(&u) < *day && !u.err;
}

/* store_prune_tokens - delete tokens stamped before a day */
int
store_prune_tokens(struct store *st, uint32_t before_day, size_t *count)
{
	struct maint_prune p = { .db = st->token, .file = "tokens.db",
	    .pred = maint_token_old, .arg = &before_day };

	return maint_prune(st, &p, count);
}

/* maint_seen_old - a dedupe key claimed before the cutoff */
static bool
maint_seen_old(const DBT *k, const DBT *v, const void *arg)
{
	const time_t *before = arg;

	(void)k;
	return v->size == 8 &&
	    (int64_t)pack_get_be64(v->data) < (int64_t)*before;
}

/* store_prune_seen - delete dedupe keys claimed before a time */
int
store_prune_seen(struct store *st, time_t before, size_t *count)
{
	struct maint_prune p = { .db = st->seen, .file = "seen.db",
	    .pred = maint_seen_old, .arg = &before };

	return maint_prune(st, &p, count);
}

/* maint_recover_copy - run recovery in a fresh copy, privately */
static int
maint_recover_copy(struct store *st, const char *dir)
{
	DB_ENV	*env;
	int	 rc;

	if ((rc = db_env_create(&env, 0)) != 0)
		return store_fail(st, rc, "create environment for", dir);
	rc = env->open(env, dir, DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK |
	    DB_INIT_LOG | DB_INIT_MPOOL | DB_PRIVATE | DB_RECOVER_FATAL, 0660);
	if (rc == 0)
		rc = env->txn_checkpoint(env, 0, 0, DB_FORCE);
	env->close(env, 0);
	return rc ? store_fail(st, rc, "recover the backup in", dir) :
	    STORE_OK;
}

/* store_backup - a consistent copy of the live store in a new directory */
int
store_backup(struct store *st, const char *dir)
{
	int	 rc;

	if (mkdir(dir, 0750) < 0)
		return store_fail(st, errno, "create backup directory", dir);
	if ((rc = st->env->txn_checkpoint(st->env, 0, 0, DB_FORCE)) != 0)
		return store_fail(st, rc, "checkpoint", NULL);
	if ((rc = st->env->backup(st->env, dir, 0)) != 0)
		return store_fail(st, rc, "back up into", dir);
	return maint_recover_copy(st, dir);
}

static char maint_verify_msg[256];

/* maint_verify_errcall - keep Berkeley DB's first complaint */
static void
maint_verify_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	(void)pfx;
	if (maint_verify_msg[0] == '\0')
		bg_strlcpy(maint_verify_msg, msg, sizeof(maint_verify_msg));
}

/* store_verify_dir - check one database file of an unused store */
int
store_verify_dir(const char *dir, const char *file, struct buf *err)
{
	char	*path = xasprintf("%s/%s", dir, file);
	DB	*db;
	int	 rc;

	maint_verify_msg[0] = '\0';
	if ((rc = db_create(&db, NULL, 0)) == 0) {
		db->set_errcall(db, maint_verify_errcall);
		rc = db->verify(db, path, NULL, NULL, 0);	/* frees db */
	}
	free(path);
	if (rc == 0)
		return STORE_OK;
	buf_printf(err, "%s: %s", file, rc == DB_VERIFY_BAD ?
	    "damaged (Berkeley DB verification failed" : db_strerror(rc));
	if (rc == DB_VERIFY_BAD)
		buf_printf(err, "%s%s)", maint_verify_msg[0] ? ": " : "",
		    maint_verify_msg);
	return STORE_EFATAL;
}

/* maint_msgcall - notice Berkeley DB's recovery messages */
static void
maint_msgcall(const DB_ENV *env, const char *msg)
{
	bool	*ran = env->app_private;

	if (strstr(msg, "ecovery") != NULL)
		*ran = true;
}

/* maint_recover_open - one DB_ENV->open for store_recover_dir */
static int
maint_recover_open(DB_ENV **envp, const char *dir, const struct store_opts *o,
    bool *ran, u_int32_t flags)
{
	int	 rc;

	if ((rc = db_env_create(envp, 0)) != 0)
		return rc;
	(*envp)->app_private = ran;
	(*envp)->set_msgcall(*envp, maint_msgcall);
	(void)(*envp)->set_verbose(*envp, DB_VERB_RECOVERY, 1);
	if ((rc = store_env_settings(*envp, o)) != 0)
		return rc;
	return (*envp)->open(*envp, dir, STORE_ENV_FLAGS | flags, 0660);
}

/* store_recover_dir - open a store as its first user would */
int
store_recover_dir(const char *dir, const struct store_opts *o, bool *ran,
    struct buf *err)
{
	DB_ENV	*env = NULL;
	int	 rc, lock, active;
	bool	 alone;

	*ran = false;
	if ((active = store_active_open(dir)) < 0) {
		buf_printf(err, "store %s: bounceguard.active: %s", dir,
		    strerror(errno));
		return STORE_ETEMP;
	}
	lock = store_serialize(dir);
	if (!(alone = flock(active, LOCK_EX | LOCK_NB) == 0))
		(void)flock(active, LOCK_SH);
	rc = maint_recover_open(&env, dir, o, ran, DB_REGISTER |
	    (alone ? DB_RECOVER : 0));
	if (rc == DB_RUNRECOVERY && alone) {
		/* Panicked, with no death in the registry: recover anyway. */
		if (env != NULL)
			env->close(env, 0);
		env = NULL;
		if ((rc = store_registry_reset(dir)) == 0)
			rc = maint_recover_open(&env, dir, o, ran,
			    DB_REGISTER | DB_RECOVER);
	}
	store_unserialize(lock);
	if (rc == 0)
		rc = env->txn_checkpoint(env, 0, 0, DB_FORCE);
	lock = store_serialize(dir);
	if (env != NULL)
		env->close(env, 0);
	store_unserialize(lock);
	close(active);
	if (rc == DB_RUNRECOVERY && !alone) {
		buf_printf(err, "store %s: recovery is needed, but other "
		    "processes still use the store: the first to open it "
		    "after they have left runs it", dir);
		return STORE_ETEMP;
	}
	if (rc != 0) {
		buf_printf(err, "store %s: recovery failed: %s", dir,
		    db_strerror(rc));
		return rc == DB_RUNRECOVERY ? STORE_EPANIC : STORE_EFATAL;
	}
	return STORE_OK;
}
