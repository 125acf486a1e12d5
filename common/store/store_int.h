/*++
 * NAME
 *	store_int 3h
 * SUMMARY
 *	store internals shared by the store_*.c files
 * DESCRIPTION
 *	Not for use outside the store module.
 *--*/
#ifndef BG_STORE_INT_H
#define BG_STORE_INT_H

#include <db.h>
#include <pthread.h>

#include "store.h"

/* Large enough for the largest record any version writes. */
#define STORE_RECORD_MAX	(16 * 1024)
#define STORE_RETRIES		20
#define STORE_LOCKOUT_SLEEP_MS	20	/* between tries in a lockout */
enum { STORE_WD_JOINING, STORE_WD_JOINED, STORE_WD_LEAVING };

#define STORE_ENV_FLAGS		(DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | \
				 DB_INIT_LOG | DB_INIT_MPOOL | DB_THREAD)
#define STORE_STUCK_GRACE_MS	1000	/* panicked: then call the stuck hook */

struct store_repl_state;

struct store {
	DB_ENV	*env;
	DB	*addr;
	DB	*event;
	DB	*domain;
	DB	*token;
	DB	*seen;
	DB	*meta;
	DB	*backoff;
	char	*dir;
	int	 active;		/* bounceguard.active, flock'ed shared */
	struct store_opts opts;
	bool	 wrote;
	int	 last_dbrc;		/* raw code of the last failure */
	bool	 panicked;		/* DB_RUNRECOVERY was seen */
	bool	 leaked;		/* a handle Berkeley DB cannot free */
	pthread_t watchdog;		/* expires timed-out lock waits */
	pthread_mutex_t wd_mtx;
	pthread_cond_t wd_cond;
	bool	 wd_running;
	bool	 wd_stop;
	int	 wd_phase;		/* STORE_WD_JOINING ... */
	long long wd_since;		/* when that phase began (ms) */
	struct store_repl_state *repl;	/* NULL: not replicated */
	char	 dberr[640];		/* Berkeley DB's messages since */
	char	 errmsg[1024];
};

int	store_fail(struct store *, int, const char *, const char *);
int	store_env_settings(DB_ENV *, const struct store_opts *);
int	store_serialize(const char *);
int	store_active_open(const char *);
int	store_await_alone(const char *, int, long long);
int	store_registry_reset(const char *);
void	store_unserialize(int);
int	store_get_rec(struct store *, DB_TXN *, const char *, struct store_addr *,
	    u_int32_t);
int	store_put_rec(struct store *, DB_TXN *, const char *,
	    const struct store_addr *);
void	store_dbt(DBT *, const void *, size_t);
void	store_dbt_out(DBT *, void *, size_t);
int	store_txn_begin(struct store *, DB_TXN **, unsigned);
int	store_txn_commit(struct store *, DB_TXN *);
long long store_now_ms(void);
bool	store_retry(struct store *, int, int, long long);

void	store_encode_addr(const struct store_addr *, struct buf *);
int	store_decode_addr(const void *, size_t, struct store_addr *);
void	store_encode_event(const struct store_event *, struct buf *);
int	store_decode_event(const void *, size_t, struct store_event *);
void	store_encode_domain(const struct store_domain_day *, struct buf *);
int	store_decode_domain(const void *, size_t, struct store_domain_day *);
void	store_encode_backoff(const struct store_backoff *, struct buf *);
int	store_decode_backoff(const void *, size_t, struct store_backoff *);

int	store_repl_configure(struct store *);
int	store_repl_start(struct store *);
void	store_repl_close(struct store *);
void	store_repl_stop(struct store *);
int	store_repl_precheck(struct store *);
bool	store_repl_can_create(struct store *);
void	store_repl_commit_begin(void);
int	store_repl_commit_end(struct store *);
int	store_repl_check_writable(struct store *);
bool	store_repl_waits_for_dbs(struct store *, long long);

size_t	store_domain_key(const char *, uint32_t, unsigned char *, size_t);
int	store_domain_apply(struct store *, DB_TXN *, const char *, uint32_t,
	    const struct store_delta *, uint32_t);
int	store_count_complaint(struct store *, DB_TXN *, const char *, uint32_t);

#endif
