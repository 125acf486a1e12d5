/*++
 * NAME
 *	store 3h
 * SUMMARY
 *	the Berkeley DB store shared by all bounceguard programs
 * DESCRIPTION
 *	One transactional Berkeley DB environment in store_dir holds:
 *
 *	addresses.db	address (or "@domain") -> struct store_addr:
 *			counters, recent soft bounces, last bounce, and
 *			the suppressions that apply to it
 *	events.db	address NUL time(us) -> struct store_event, the
 *			bounded per-address history
 *	domains.db	domain NUL day -> struct store_domain_day, sent
 *			and bounced counters per recipient domain and day;
 *			"@" sender-domain NUL day -> the same struct, only
 *			its complaint counter used: complaints about mail
 *			from that sender domain (store_foreach_sender())
 *	tokens.db	per-message VERP token -> recipient list
 *	seen.db		message digest -> time, so a bounce the MTA
 *			delivers twice is recorded once
 *	meta.db		"schema_version" and other bookkeeping, such as
 *			where bounceguard follow stopped reading a log
 *	backoff.db	recipient domain -> struct store_backoff, the
 *			adaptive back-off state of a destination; created
 *			in an older store when a program opens it
 *
 *	Every process opens the environment with DB_REGISTER|DB_RECOVER:
 *	when a process died inside it, the next opener runs recovery.
 *	Processes that keep the store open (the milter) get STORE_EPANIC
 *	from any call after such a recovery and must close and reopen.
 *
 *	store_update() is the one way to change an address: it reads the
 *	record under a write lock, lets the caller's function change it,
 *	writes it back with an event and the domain counters, and commits,
 *	all in one transaction, retried on deadlock. With a dedupe key
 *	(say, a digest of the bounce and the address) the same change is
 *	applied once however often the MTA delivers the message; the key
 *	is committed in the same transaction as the change.
 *
 *	The update function returns 0 to write its changes, STORE_NOCHANGE
 *	to leave everything as it was, or a negative value that aborts the
 *	transaction and is returned to the caller.
 *
 *	store_backoff_batch() changes the back-off records of several
 *	domains and writes one meta.db value (the log follower's position)
 *	in one transaction, so that a position is never saved without the
 *	signals read before it, nor the signals without it. Its function
 *	returns 0 to write, STORE_NOCHANGE, or STORE_DELETE to remove the
 *	record.
 * DIAGNOSTICS
 *	Functions return STORE_OK, STORE_NOTFOUND, or an error: STORE_ETEMP
 *	(locked past store_lock_timeout, disk full, permissions, missing
 *	directory: try again later), STORE_EPANIC (reopen the store), or
 *	STORE_EFATAL (corrupt data, wrong schema version). store_error()
 *	tells what happened, naming the file. store_close(), and
 *	store_open() when it fails, also return STORE_EPANIC when a
 *	recovery left memory that Berkeley DB cannot free (about 30 KB):
 *	a program that exits then may skip its leak-reporting exit
 *	handlers.
 *--*/
#ifndef BG_STORE_H
#define BG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "libbase.h"
#include "libmail.h"

#define STORE_SCHEMA_VERSION	1

#define STORE_ADDR_MAX		320	/* local part, @, domain, NUL */
#define STORE_NAME_MAX		32	/* reason, type, action, mode */
#define STORE_STATUS_MAX	16
#define STORE_CODE_MAX		8
#define STORE_QID_MAX		64
#define STORE_SCOPE_MAX		256
#define STORE_TEXT_MAX		256
#define STORE_DIAG_MAX		512
#define STORE_MAX_SUPP		8
#define STORE_MAX_SOFT		64

enum store_rc {
	STORE_OK = 0,
	STORE_NOTFOUND = 1,
	STORE_DUPLICATE = 2,		/* already recorded: nothing done */
	STORE_ETEMP = -1,
	STORE_EPANIC = -2,
	STORE_EFATAL = -3,
};

/* A suppression; scope "" applies to every sender domain. */
struct store_supp {
	char	 scope[STORE_SCOPE_MAX];
	char	 reason[STORE_TEXT_MAX];
	char	 source[STORE_NAME_MAX];	/* bounce complaint manual import */
	int64_t	 since;
	int64_t	 expires;			/* 0: until lifted */
};

struct store_addr {
	int64_t	 first_bounce;
	int64_t	 last_bounce;
	int64_t	 updated;
	uint32_t hard_count;
	uint32_t soft_count;
	uint32_t block_count;
	uint32_t complaint_count;
	uint32_t other_count;			/* delays, auto-replies */
	uint32_t nsoft;				/* recent soft bounces */
	int64_t	 soft_times[STORE_MAX_SOFT];
	char	 last_reason[STORE_NAME_MAX];
	char	 last_status[STORE_STATUS_MAX];
	char	 last_reply_code[STORE_CODE_MAX];
	char	 last_mode[STORE_NAME_MAX];
	char	 last_diagnostic[STORE_DIAG_MAX];
	uint32_t nsupp;
	struct store_supp supp[STORE_MAX_SUPP];
	uint32_t unverified_count;		/* bounces that may be forged */
	int64_t	 unsuppressed;			/* last "unsuppress", 0: never */
};

struct store_event {
	int64_t	 time;
	char	 type[STORE_NAME_MAX];	/* hard soft block complaint ... */
	char	 reason[STORE_NAME_MAX];
	char	 action[STORE_NAME_MAX];	/* what bounceguard did */
	char	 dsn_action[STORE_NAME_MAX];	/* failed delayed delivered ... */
	char	 status[STORE_STATUS_MAX];
	char	 reply_code[STORE_CODE_MAX];
	char	 mode[STORE_NAME_MAX];
	char	 verp[STORE_NAME_MAX];		/* valid token manual ... */
	char	 queue_id[STORE_QID_MAX];
	char	 scope[STORE_SCOPE_MAX];
	char	 diagnostic[STORE_DIAG_MAX];
};

/* Domain counters for one day; reasons are kept by name. */
#define STORE_DOMAIN_REASONS	8
struct store_domain_day {
	uint32_t sent;
	uint32_t bounced;
	uint32_t hard;
	uint32_t soft;
	uint32_t block;
	uint32_t complaint;
	uint32_t other;
	uint32_t unverified;		/* recorded, never counted above */
	uint32_t nreasons;
	struct {
		char	 name[STORE_NAME_MAX];
		uint32_t count;
	} reasons[STORE_DOMAIN_REASONS];
};

/* Filled in by an update function: what to add to the domain's day. */
struct store_delta {
	bool	 bounced;
	uint32_t hard, soft, block, complaint, other, unverified;
	const char *reason;
};

/* Replication between hosts (store_repl.c); NULL in store_opts: off. */
enum store_repl_role {
	STORE_REPL_READER,		/* reads only: starts nothing */
	STORE_REPL_WRITER,		/* subordinate: commits wait for acks */
	STORE_REPL_PROCESS,		/* the site's replication process */
};
#define STORE_REPL_REFUSED	(-1)	/* a request status: not served */

struct store_repl {
	const char *local;		/* HOST:PORT of this site */
	const char *const *peers;	/* HOST:PORT of the others */
	size_t	 npeers;
	int	 priority;		/* election priority; 0: never master */
	long long ack_timeout_ms;
	long long request_timeout_ms;
	const unsigned char *secret;	/* signs forwarded requests */
	size_t	 secret_len;
	enum store_repl_role role;
};

/* The back-off state of one recipient domain (see backoff(3)). */
#define STORE_BACKOFF_QIDS	32	/* queue ids of the last signals */
#define STORE_BACKOFF_QID_MAX	32

struct store_backoff_qid {
	char	 id[STORE_BACKOFF_QID_MAX];	/* Postfix queue id, Exim id */
	bool	 pipe;			/* counted by the pipe, not yet seen
					   in the log by the follower */
};

struct store_backoff {
	uint32_t level;			/* as last written; decays when read */
	uint32_t strikes;		/* signals toward the next raise */
	uint32_t delivered;		/* deliveries since the last signal */
	uint32_t signals;		/* every signal ever counted */
	bool	 manual;		/* set by hand: fixed until cleared */
	int64_t	 strike_since;		/* first strike of the window */
	int64_t	 last_signal;
	int64_t	 raised;		/* last raise */
	int64_t	 changed;		/* last change of level */
	char	 reason[STORE_NAME_MAX];	/* of the last signal */
	char	 reply[STORE_TEXT_MAX];		/* the last signal's reply */
	uint32_t nqids;			/* newest last */
	struct store_backoff_qid qids[STORE_BACKOFF_QIDS];
};

struct store_opts {
	long long lock_timeout;		/* seconds */
	long long cache_size;		/* bytes */
	unsigned event_history_max;	/* events kept per address */
	bool	 readonly;		/* never creates databases */
	const struct store_repl *repl;	/* NULL: a single host */
};

/* The replication process's handler of a forwarded request. */
typedef int (*store_repl_request_fn)(const void *, size_t, struct buf *);

struct store_verdict {
	bool	 suppressed;
	char	 key[STORE_ADDR_MAX];	/* the address or @domain matched */
	struct store_supp supp;
};

struct store;

typedef int (*store_update_fn)(struct store_addr *, bool, struct store_event *,
		struct store_delta *, void *);
typedef int (*store_addr_fn)(const char *, const struct store_addr *, void *);
typedef int (*store_event_fn)(const char *, const struct store_event *, void *);
typedef int (*store_domain_fn)(const char *, uint32_t,
		const struct store_domain_day *, void *);
typedef int (*store_backoff_fn)(const char *, struct store_backoff *, bool,
		void *);

#define STORE_NOCHANGE	1		/* from an update function */
#define STORE_DELETE	3		/* from a back-off function */

/* Update flags. */
#define STORE_NOSYNC	(1 << 0)	/* counters: durability not needed */
#define STORE_NOEVENT	(1 << 1)	/* do not add the event to history */

int	store_open(struct store **, const char *, const struct store_opts *,
	    struct buf *);
int	store_close(struct store *);
const char *store_error(const struct store *);
const char *store_dir(const struct store *);
bool	store_panicked(const struct store *);
bool	store_lockout(const struct store *);
bool	store_handle_dead(const struct store *);
int	store_reopen_dbs(struct store *);
void	store_on_stuck(void (*)(const char *));

int	store_update(struct store *, const char *, const char *,
	    store_update_fn, void *, unsigned);
int	store_get(struct store *, const char *, struct store_addr *);
int	store_lookup(struct store *, const char *, const char *, time_t,
	    struct store_verdict *);
int	store_count_sent(struct store *, const char *const *, size_t, uint32_t);

int	store_foreach_addr(struct store *, store_addr_fn, void *);
int	store_foreach_event(struct store *, const char *, store_event_fn, void *);
int	store_foreach_domain(struct store *, uint32_t, store_domain_fn, void *);
int	store_foreach_sender(struct store *, uint32_t, store_domain_fn, void *);

int	store_checkpoint(struct store *);

int	store_backoff_get(struct store *, const char *, struct store_backoff *);
int	store_backoff_batch(struct store *, size_t, const char *const *,
	    store_backoff_fn, void *const *, const char *, const void *, size_t);
int	store_foreach_backoff(struct store *, store_backoff_fn, void *);
int	store_meta_get(struct store *, const char *, void *, size_t, size_t *);

int	store_token_put(struct store *, const char *, uint32_t,
	    const char *const *, size_t);
int	store_token_get(struct store *, const char *, uint32_t *, struct buf *);

/* Replication (store_repl.c). */
struct config;
int	store_repl_load(const struct config *, enum store_repl_role,
	    struct store_repl *, struct buf *);
void	store_repl_free(struct store_repl *);
void	store_repl_on_request(store_repl_request_fn);
int	store_repl_parse_addr(const char *, char *, size_t, unsigned *);
bool	store_repl_is_master(struct store *);
int	store_repl_request(struct store *, const void *, size_t, int *,
	    struct buf *);
int	store_repl_forward(struct store *, const void *, size_t);
int	store_repl_status(struct store *, struct buf *);
const char *store_repl_describe(struct store *, char *, size_t);
int	store_repl_barrier(struct store *);

/* Record helpers. */
bool	store_supp_active(const struct store_supp *, time_t);
const char *store_addr_state(const struct store_addr *, time_t);
void	store_domain_add_reason(struct store_domain_day *, const char *,
	    uint32_t);

#endif
