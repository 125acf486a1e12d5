/*++
 * NAME
 *	store_repl 3
 * SUMMARY
 *	the store replicated between hosts by Berkeley DB's Replication
 *	Manager
 * DESCRIPTION
 *	With store_opts.repl set, store_open() opens the environment with
 *	DB_INIT_REP and configures the Replication Manager: this host's
 *	address (repl_local), every peer (repl_peers), the election
 *	priority, quorum acknowledgements and their timeout. The group is
 *	static: every site of the configuration is a DB_LEGACY member, so
 *	that hosts given the same list form one group without a "creator"
 *	and a host whose store was lost rejoins with nothing but the
 *	configuration (Berkeley DB copies the store to it: internal init).
 *
 *	One process per host, the milter, is the replication process
 *	(STORE_REPL_PROCESS): it calls repmgr_start() with message
 *	threads and elections, owns the listening socket, answers the
 *	message-channel requests that clients forward to the master (see
 *	store_repl_on_request()), and logs role changes. A process that
 *	writes (the pipe, the administrator's tool) joins as a subordinate
 *	(STORE_REPL_WRITER): repmgr_start() without threads, so that its
 *	commits are sent to the clients and wait for their acknowledgements;
 *	it refuses to start when no replication process holds the store
 *	(bounceguard.repl is not locked), since a short-lived process must
 *	never become the site's listener. Readers (STORE_REPL_READER) open
 *	the replicated environment without starting anything.
 *
 *	A commit that a quorum of sites did not acknowledge within
 *	repl_ack_timeout (Berkeley DB's DB_EVENT_REP_PERM_FAILED, raised in
 *	the committing thread) is reported as STORE_ETEMP even though it is
 *	committed locally: the caller does not claim it done, retries later,
 *	and then store_repl_barrier() (a small write whose acknowledgement
 *	covers every earlier log record) decides whether the earlier
 *	commit has become durable.
 *
 *	Clients cannot write in Berkeley DB 5.3. store_repl_request() sends
 *	a request to the master's replication process over a message
 *	channel (DB_EID_MASTER), signed with HMAC-SHA256 under
 *	repl_secret_file, and returns the answer; the replication process
 *	checks the signature before calling the program's handler, because
 *	Berkeley DB accepts channel connections from any address.
 * DIAGNOSTICS
 *	Role changes, elections, peers' connection states (from Berkeley
 *	DB's connection events, which also fire when a short-lived
 *	connection closes: "db status" may show a connected peer as
 *	disconnected) and refused requests are logged
 *	by the replication process as "repl event=... key=value" lines.
 *	Errors name the store and say what is missing: no master, no
 *	replication process, no quorum.
 *--*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "libbase.h"
#include "libconf.h"
#include "store_repl_int.h"

#define REPL_THREADS		6	/* message threads of the process */
#define REPL_STARTUP_WAIT_MS	30000	/* a client's first sync */
#define REPL_PEERS_GRACE_MS	20	/* a writer waits for all peers */
/*
 * How soon a client asks again for log records it missed. Every process
 * that opens the master's store writes a few records that no connection
 * carries (a subordinate's repmgr_start() opens the group database
 * before its connections are up; a reader opens the databases): the
 * clients see a gap when the next record comes, and with Berkeley DB's
 * default (40 ms, and only when yet another message arrives) they
 * waited for the master's next heartbeat, so that the first commit of
 * nearly every pipe waited about half a second for its acks. With 1 us
 * the second record after a gap asks the master at once; the wait still
 * doubles while the gap lasts, so a long catch-up does not flood it.
 */
#define REPL_REQUEST_MIN_US	1
/*
 * DB_REP_CHECKPOINT_DELAY is 0: by default a checkpoint on the master
 * sleeps 30 s before it logs its record, to let clients flush their
 * caches. A pipe checkpoints when it leaves (store_close()), so the first
 * pipe on a new master after a failover slept 30 s there, past its
 * watchdog, and exited 75, and so did every pipe after it: the
 * "subordinate stuck leaving the environment" of the first session.
 *
 * DB_REP_CONF_NOWAIT is NOT set, although it would bound the waits of
 * a lockout (a role change, a synchronisation): in 5.3 a call refused
 * with DB_REP_LOCKOUT still decrements the environment's count of
 * threads inside it (the error path leaves without having entered), so
 * after a few refusals the count is negative, and the next role change,
 * which waits for it to reach zero, waits for ever: seen as a new
 * master stuck in "election_failed" with db_stat -R A showing a
 * library handle count of 4294967146. Without it Berkeley DB sleeps
 * through the lockout; DB_REP_LOCKOUT, when it comes anyway (opening a
 * database), is retried by store_retry() and the milter's mstore.
 */
#define REPL_REQUEST_MAX_US	500000

static __thread bool repl_perm_failed;

/*
 * This module is called by store.c and must not call it back (the
 * layering test forbids circles of calls): hence its own small helpers.
 */

/* repl_fail - record what failed, as store_fail() does */
static int
repl_fail(struct store *st, int rc, const char *what, const char *key)
{
	st->last_dbrc = rc;
	snprintf(st->errmsg, sizeof(st->errmsg), "store %s: %s%s%s%s: %s",
	    st->dir, what, key ? " \"" : "", key ? key : "", key ? "\"" : "",
	    db_strerror(rc));
	if (rc == DB_RUNRECOVERY) {
		st->panicked = true;
		return STORE_EPANIC;
	}
	return rc == EINVAL || rc == ENAMETOOLONG ? STORE_EFATAL : STORE_ETEMP;
}
static store_repl_request_fn repl_handler;
static struct store *repl_serving;	/* the process's store, for events */

/* store_repl_on_request - the replication process's request handler */
void
store_repl_on_request(store_repl_request_fn fn)
{
	repl_handler = fn;
}

/* repl_read_secret - the whole secret file, at most 4 KB */
static int
repl_read_secret(const char *path, struct buf *out)
{
	char	 chunk[4097];
	ssize_t	 n;
	size_t	 total = 0;
	int	 fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((n = read(fd, chunk + total, sizeof(chunk) - total)) > 0)
		total += (size_t)n;
	close(fd);
	if (n < 0)
		return -1;
	if (total == sizeof(chunk)) {
		errno = EFBIG;
		return -1;
	}
	buf_add(out, chunk, total);
	return 0;
}

/* store_repl_load - the replication settings of a configuration */
int
store_repl_load(const struct config *cfg, enum store_repl_role role,
    struct store_repl *r, struct buf *err)
{
	struct buf secret = BUF_INIT;
	char	**peers;

	memset(r, 0, sizeof(*r));
	if (cfg->repl_local[0] == '\0')
		return 1;
	if (repl_read_secret(cfg->repl_secret_file, &secret) < 0) {
		buf_printf(err, "repl_secret_file %s: %s", cfg->repl_secret_file,
		    strerror(errno));
		buf_free(&secret);
		return -1;
	}
	while (secret.len > 0 && (secret.data[secret.len - 1] == '\n' ||
	    secret.data[secret.len - 1] == '\r'))
		secret.len--;
	if (secret.len < 16) {
		buf_printf(err, "repl_secret_file %s: the secret must have at "
		    "least 16 bytes", cfg->repl_secret_file);
		buf_free(&secret);
		return -1;
	}
	/* Copies: a reloaded configuration frees the old one. */
	r->local = xstrdup(cfg->repl_local);
	r->npeers = cfg->repl_peers.n;
	peers = xcalloc(r->npeers + 1, sizeof(*peers));
	for (size_t i = 0; i < r->npeers; i++)
		peers[i] = xstrdup(cfg->repl_peers.v[i]);
	r->peers = (const char *const *)peers;
	r->priority = (int)cfg->repl_priority;
	r->ack_timeout_ms = cfg->repl_ack_timeout * 1000;
	r->request_timeout_ms = cfg->repl_request_timeout * 1000;
	r->secret = (unsigned char *)secret.data;	/* owned by r */
	r->secret_len = secret.len;
	r->role = role;
	return 0;
}

/* store_repl_free - release what store_repl_load() allocated */
void
store_repl_free(struct store_repl *r)
{
	free((void *)(uintptr_t)r->secret);
	for (size_t i = 0; i < r->npeers; i++)
		free((void *)(uintptr_t)r->peers[i]);
	free((void *)(uintptr_t)r->peers);
	free((void *)(uintptr_t)r->local);
	memset(r, 0, sizeof(*r));
}

/* store_repl_parse_addr - HOST:PORT or [V6]:PORT into its parts */
int
store_repl_parse_addr(const char *s, char *host, size_t hostlen,
    unsigned *port)
{
	const char *colon = strrchr(s, ':');
	const char *h = s;
	size_t	 n;
	char	*end;
	long	 p;

	if (colon == NULL || colon == s)
		return -1;
	n = (size_t)(colon - s);
	if (*s == '[') {
		if (n < 3 || s[n - 1] != ']')
			return -1;
		h = s + 1;
		n -= 2;
	}
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || errno || p < 1 || p > 65535 || n >= hostlen)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	*port = (unsigned)p;
	return 0;
}

/* repl_peer_state - a main connection to a peer came up or went down */
static void
repl_peer_state(struct store *st, int eid, bool connected)
{
	struct store_repl_state *rs = st->repl;

	for (size_t i = 1; i < rs->nsites; i++) {
		if (rs->sites[i].eid != eid || rs->sites[i].connected ==
		    connected)
			continue;
		rs->sites[i].connected = connected;
		log_info("repl event=peer peer=%s:%u state=%s",
		    rs->sites[i].host, rs->sites[i].port,
		    connected ? "connected" : "disconnected");
	}
}

/* repl_log_event - one key=value line per replication event */
static void
repl_log_event(struct store *st, u_int32_t event, void *info)
{
	struct store_repl_state *rs = st->repl;
	char	 name[300];
	int	 eid = info != NULL ? *(int *)info : -1;

	switch (event) {
	case DB_EVENT_REP_MASTER:
		rs->role_master = 1;
		log_info("repl event=role role=master site=%s", st->opts.repl->local);
		break;
	case DB_EVENT_REP_CLIENT:
		rs->role_master = 0;
		log_info("repl event=role role=client site=%s", st->opts.repl->local);
		break;
	case DB_EVENT_REP_NEWMASTER:
		log_info("repl event=newmaster master=%s",
		    store_repl_site_name(rs, eid, name, sizeof(name)));
		break;
	case DB_EVENT_REP_ELECTED:
		log_info("repl event=elected site=%s", st->opts.repl->local);
		break;
	case DB_EVENT_REP_ELECTION_FAILED:
		log_warnx("repl event=election_failed site=%s",
		    st->opts.repl->local);
		break;
	case DB_EVENT_REP_STARTUPDONE:
		rs->startup_done = 1;
		log_info("repl event=synced site=%s", st->opts.repl->local);
		break;
	case DB_EVENT_REP_INIT_DONE:
		log_info("repl event=init_done site=%s", st->opts.repl->local);
		break;
	case DB_EVENT_REP_DUPMASTER:
		log_warnx("repl event=dupmaster site=%s", st->opts.repl->local);
		break;
	case DB_EVENT_REP_CONNECT_ESTD:
		repl_peer_state(st, eid, true);
		break;
	case DB_EVENT_REP_CONNECT_BROKEN:
		repl_peer_state(st, eid, false);
		break;
	case DB_EVENT_REP_SITE_ADDED:
		log_warnx("repl event=site_added peer=%s (a join request; "
		    "sites not in repl_peers are removed)",
		    store_repl_site_name(rs, eid, name, sizeof(name)));
		store_repl_peers_wake(st);
		break;
	case DB_EVENT_REP_JOIN_FAILURE:
		log_warnx("repl event=join_failed site=%s", st->opts.repl->local);
		break;
	default:
		break;
	}
}

/* repl_event - Berkeley DB's event callback */
static void
repl_event(DB_ENV *env, u_int32_t event, void *info)
{
	struct store *st = env->app_private;

	if (event == DB_EVENT_REP_PERM_FAILED) {
		repl_perm_failed = true;	/* in the committing thread */
		return;
	}
	if (event == DB_EVENT_PANIC) {
		st->panicked = true;
		return;
	}
	if (event == DB_EVENT_REP_STARTUPDONE)
		st->repl->startup_done = 1;
	if (event == DB_EVENT_REP_CONNECT_ESTD)
		store_repl_chan_nodelay(st->repl);
	if (st->opts.repl->role == STORE_REPL_PROCESS)
		repl_log_event(st, event, info);
}

/* repl_dispatch - a channel message: check its signature, then serve it */
static void
repl_dispatch(DB_ENV *env, DB_CHANNEL *ch, DBT *req, u_int32_t nreq,
    u_int32_t flags)
{
	struct store *st = env->app_private;
	struct buf out = BUF_INIT;
	int	 status;

	if (!(flags & DB_REPMGR_NEED_RESPONSE))
		return;			/* we only serve requests */
	if (nreq != 2 || req[0].size != REPL_MAC_LEN) {
		log_warnx("repl event=refused reason=malformed_request");
		buf_addstr(&out, "malformed replication request");
		status = STORE_REPL_REFUSED;
	} else if (!store_repl_chan_mac_ok(st->opts.repl, req[1].data,
	    req[1].size, req[0].data)) {
		log_warnx("repl event=refused reason=bad_signature "
		    "(a request not signed with repl_secret_file)");
		buf_addstr(&out, "request refused: bad signature "
		    "(repl_secret_file differs between hosts?)");
		status = STORE_REPL_REFUSED;
	} else if (req[1].size == sizeof(REPL_STATUS_REQ) &&
	    memcmp(req[1].data, REPL_STATUS_REQ, req[1].size) == 0) {
		store_repl_peers_serve(st, &out);
		status = 0;
	} else
		status = repl_handler != NULL ? repl_handler(req[1].data,
		    req[1].size, &out) : STORE_REPL_REFUSED;
	store_repl_chan_respond(ch, status, &out);
	buf_free(&out);
}

/* repl_add_site - configure one site of the group */
static int
repl_add_site(struct store *st, const char *addr, bool local)
{
	struct store_repl_state *rs = st->repl;
	struct store_repl_site *s;
	DB_SITE	*site;
	int	 rc;

	if (rs->nsites >= REPL_MAX_SITES) {
		snprintf(st->errmsg, sizeof(st->errmsg), "store %s: more than "
		    "%d replication sites", st->dir, REPL_MAX_SITES);
		return STORE_EFATAL;
	}
	s = &rs->sites[rs->nsites];
	if (store_repl_parse_addr(addr, s->host, sizeof(s->host),
	    &s->port) < 0) {
		snprintf(st->errmsg, sizeof(st->errmsg), "store %s: bad "
		    "replication address \"%s\" (want HOST:PORT)", st->dir, addr);
		return STORE_EFATAL;
	}
	if ((rc = st->env->repmgr_site(st->env, s->host, s->port, &site,
	    0)) != 0)
		return repl_fail(st, rc, "configure replication site", addr);
	if (local)
		rc = site->set_config(site, DB_LOCAL_SITE, 1);
	else
		rc = site->set_config(site, DB_BOOTSTRAP_HELPER, 1);
	if (rc == 0)
		rc = site->set_config(site, DB_LEGACY, 1);
	site->close(site);
	s->eid = -1;			/* known after DB_ENV->open */
	if (rc != 0)
		return repl_fail(st, rc, "configure replication site", addr);
	rs->nsites++;
	return STORE_OK;
}

static bool repl_debugging;

/* repl_msgcall - Berkeley DB's replication messages: a refused site is
   logged; all of them are printed when debugging */
static void
repl_msgcall(const DB_ENV *env, const char *msg)
{
	struct timespec ts;

	if (env->app_private != NULL)
		store_repl_peers_msg(env->app_private, msg);
	if (!repl_debugging)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(stderr, "repl debug %lld.%03ld [%ld]: %s\n", (long long)ts.tv_sec,
	    ts.tv_nsec / 1000000, (long)getpid(), msg);
}

/*
 * repl_verbose - what Berkeley DB says, and to whom.
 *
 * The replication process always listens to its connection messages
 * (DB_VERB_REPMGR_MISC, a few lines per connection and commit, never
 * written to a file), because Berkeley DB refuses a site that is not a
 * member without any other sign. BOUNCEGUARD_REPL_DEBUG=1 (2: every
 * message) prints them on standard error, in any program.
 */
static void
repl_verbose(DB_ENV *env, enum store_repl_role role)
{
	const char *v = getenv("BOUNCEGUARD_REPL_DEBUG");

	repl_debugging = v != NULL && *v != '\0';
	if (!repl_debugging && role != STORE_REPL_PROCESS)
		return;
	env->set_msgcall(env, repl_msgcall);
	(void)env->set_verbose(env, DB_VERB_REPMGR_MISC, 1);
	if (!repl_debugging)
		return;
	(void)env->set_verbose(env, DB_VERB_REPMGR_CONNFAIL, 1);
	if (strcmp(v, "2") == 0)
		(void)env->set_verbose(env, DB_VERB_REPLICATION, 1);
}

/* store_repl_configure - before DB_ENV->open: sites and policies */
int
store_repl_configure(struct store *st)
{
	const struct store_repl *r = st->opts.repl;
	DB_ENV	*env = st->env;
	int	 rc;

	if (st->repl == NULL) {
		st->repl = xcalloc(1, sizeof(*st->repl));
		st->repl->lockfd = -1;
	}
	st->repl->nsites = 0;
	repl_verbose(env, r->role);
	if ((rc = env->set_event_notify(env, repl_event)) != 0 ||
	    (rc = env->repmgr_set_ack_policy(env, DB_REPMGR_ACKS_QUORUM)) != 0 ||
	    (rc = env->rep_set_timeout(env, DB_REP_ACK_TIMEOUT,
	    (db_timeout_t)(r->ack_timeout_ms * 1000))) != 0 ||
	    (rc = env->rep_set_timeout(env, DB_REP_CONNECTION_RETRY,
	    1000000)) != 0 ||
	    (rc = env->rep_set_timeout(env, DB_REP_ELECTION_RETRY,
	    1000000)) != 0 ||
	    (rc = env->rep_set_timeout(env, DB_REP_HEARTBEAT_SEND,
	    500000)) != 0 ||
	    (rc = env->rep_set_timeout(env, DB_REP_HEARTBEAT_MONITOR,
	    2000000)) != 0 ||
	    (rc = env->rep_set_timeout(env, DB_REP_CHECKPOINT_DELAY, 0)) != 0 ||
	    (rc = env->rep_set_request(env, REPL_REQUEST_MIN_US,
	    REPL_REQUEST_MAX_US)) != 0 ||
	    (rc = env->rep_set_priority(env, (u_int32_t)r->priority)) != 0)
		return repl_fail(st, rc, "configure replication", NULL);
	if (r->role == STORE_REPL_PROCESS &&
	    (rc = env->repmgr_msg_dispatch(env, repl_dispatch, 0)) != 0)
		return repl_fail(st, rc, "configure replication", NULL);
	if ((rc = repl_add_site(st, r->local, true)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < r->npeers; i++)
		if ((rc = repl_add_site(st, r->peers[i], false)) != STORE_OK)
			return rc;
	return STORE_OK;
}

/* repl_lock - the replication process holds bounceguard.repl */
static int
repl_lock(struct store *st, int how)
{
	char	 path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/bounceguard.repl",
	    st->dir) >= sizeof(path))
		return repl_fail(st, ENAMETOOLONG, "open", "bounceguard.repl");
	if (st->repl->lockfd < 0 && (st->repl->lockfd = open(path,
	    O_RDWR | O_CREAT | O_CLOEXEC, 0660)) < 0)
		return repl_fail(st, errno, "open", "bounceguard.repl");
	if (flock(st->repl->lockfd, how | LOCK_NB) == 0)
		return STORE_OK;
	if (errno != EWOULDBLOCK)
		return repl_fail(st, errno, "lock", "bounceguard.repl");
	return STORE_DUPLICATE;		/* held by another */
}

/* repl_check_process - a writer needs the site's replication process */
static int
repl_check_process(struct store *st)
{
	int	 rc = repl_lock(st, LOCK_EX);

	if (rc == STORE_OK) {
		(void)flock(st->repl->lockfd, LOCK_UN);
		snprintf(st->errmsg, sizeof(st->errmsg), "store %s: "
		    "replication is configured but no replication process "
		    "(bounceguard-milter) is running for this store", st->dir);
		return STORE_ETEMP;
	}
	return rc == STORE_DUPLICATE ? STORE_OK : rc;
}

/*
 * store_repl_precheck - before a writer joins the environment: is the
 * site's replication process there?
 *
 * Checked before joining, not only after: a replication process that
 * died (or exited because Berkeley DB would not let it restart
 * replication in the same process) leaves the environment naming it as
 * the listener, and only a recovery clears that. Its successor recovers
 * only when it is alone in the store: pipes that kept joining to find
 * the process missing kept it from ever being alone.
 */
int
store_repl_precheck(struct store *st)
{
	if (st->opts.repl == NULL || st->opts.repl->role != STORE_REPL_WRITER)
		return STORE_OK;
	/* Before the environment handle exists: one configured for
	   replication but never opened leaks its sites when closed. */
	if (st->repl == NULL) {
		st->repl = xcalloc(1, sizeof(*st->repl));
		st->repl->lockfd = -1;
	}
	return repl_check_process(st);
}

/*
 * repl_client_ready - a restarted client (it had a copy of the databases
 * before it started) that knows its master and is not waiting for
 * missing log records.
 *
 * Berkeley DB announces the end of a client's start-up
 * (DB_EVENT_REP_STARTUPDONE) only when the first live record arrives
 * from the master: a master with nothing to write kept a restarted
 * client waiting the whole REPL_STARTUP_WAIT_MS, and its pipes with it.
 * The copy it has is good to open: what it lacks arrives as it comes,
 * and should the master replace the copy (internal init), the handles
 * are reopened (DB_REP_HANDLE_DEAD). A new client, with no copy, waits
 * for its first synchronisation.
 */
static bool
repl_client_ready(struct store *st, bool had_copy)
{
	DB_REP_STAT *sp;
	bool	 ready;

	if (!had_copy || st->env->rep_stat(st->env, &sp, 0) != 0)
		return false;
	ready = sp->st_status == DB_REP_CLIENT &&
	    sp->st_master != DB_EID_INVALID && sp->st_waiting_lsn.file == 0;
	free(sp);
	return ready;
}

/* repl_has_copy - has this site a copy of the databases yet? */
static bool
repl_has_copy(const struct store *st)
{
	char	 path[PATH_MAX];

	return (size_t)snprintf(path, sizeof(path), "%s/meta.db", st->dir) <
	    sizeof(path) && access(path, F_OK) == 0;
}

/* repl_wait_startup - the process waits for a master and a first sync */
static void
repl_wait_startup(struct store *st, bool had_copy)
{
	long long start = store_repl_now_ms();

	while (store_repl_now_ms() - start < REPL_STARTUP_WAIT_MS) {
		if (store_repl_is_master(st) || st->repl->startup_done ||
		    repl_client_ready(st, had_copy))
			return;
		usleep(50000);
	}
	log_warnx("repl event=waiting site=%s: no master and no sync after "
	    "%ds; serving lookups from the local copy", st->opts.repl->local,
	    REPL_STARTUP_WAIT_MS / 1000);
}

/* repl_learn_eids - each configured site's environment id */
static void
repl_learn_eids(struct store *st)
{
	struct store_repl_state *rs = st->repl;
	DB_SITE	*site;

	for (size_t i = 0; i < rs->nsites; i++) {
		if (st->env->repmgr_site(st->env, rs->sites[i].host,
		    rs->sites[i].port, &site, 0) != 0)
			continue;
		if (site->get_eid(site, &rs->sites[i].eid) != 0)
			rs->sites[i].eid = -1;
		site->close(site);
	}
}

/* repl_ready_peers - peers this process has a ready connection to */
static size_t
repl_ready_peers(struct store *st)
{
	DB_REPMGR_SITE *list;
	u_int	 count;
	size_t	 ready = 0;

	if (st->env->repmgr_site_list(st->env, &count, &list) != 0)
		return 0;
	for (u_int i = 0; i < count; i++)
		if (list[i].status == DB_REPMGR_CONNECTED)
			ready++;
	free(list);
	return ready;
}

/*
 * repl_await_peers - a writer's connections are ready before it logs.
 *
 * A subordinate process connects to the other sites when it joins.
 * Berkeley DB sends a log record only over connections whose handshake
 * is done, and never again: a record written before that (opening the
 * databases writes some) leaves a gap on the clients, which they fill
 * only when the master's replication process next speaks (its heartbeat,
 * every half second), and a commit then finds fewer sites than a quorum
 * and fails at once. So a writer waits until it is connected to every
 * peer, or to as many as a quorum needs once a few milliseconds have
 * passed (a peer that is down must not cost every delivery), at most
 * repl_ack_timeout; after that the commit says whether a quorum
 * acknowledged it.
 */
static void
repl_await_peers(struct store *st)
{
	size_t	 npeers = st->opts.repl->npeers, ready;
	size_t	 quorum = npeers > 1 ? npeers / 2 : npeers;
	long long start = store_repl_now_ms(), waited;

	do {
		ready = repl_ready_peers(st);
		waited = store_repl_now_ms() - start;
		if (ready >= npeers || (ready >= quorum &&
		    waited >= REPL_PEERS_GRACE_MS))
			return;
		usleep(200);
	} while (waited < st->opts.repl->ack_timeout_ms);
}

/*
 * repl_force_recovery - the environment names another process as this
 * site's listener (DB_REP_IGNORE): one that died, or this one before a
 * recovery under it. Only a recovery clears that, and Berkeley DB runs
 * one when the next opener has to create __db.register: remove it, so
 * that the replication process started next recovers the store (it is
 * alone: writers do not join without it, store_repl_precheck()).
 */
static void
repl_force_recovery(struct store *st)
{
	char	 path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/__db.register",
	    st->dir) < sizeof(path) && unlink(path) == 0)
		log_warnx("repl event=listener_stale store=%s action=recover_on_"
		    "next_start (another process is named as this site's "
		    "replication process)", st->dir);
}

/* store_repl_start - after DB_ENV->open: start the Replication Manager */
int
store_repl_start(struct store *st)
{
	const struct store_repl *r = st->opts.repl;
	bool	 had_copy = repl_has_copy(st);	/* before any sync */
	int	 rc;

	repl_learn_eids(st);
	switch (r->role) {
	case STORE_REPL_PROCESS:
		if ((rc = repl_lock(st, LOCK_EX)) == STORE_DUPLICATE) {
			snprintf(st->errmsg, sizeof(st->errmsg), "store %s: "
			    "another replication process (bounceguard-milter) "
			    "already runs for this store", st->dir);
			return STORE_EFATAL;
		}
		if (rc != STORE_OK)
			return rc;
		repl_serving = st;
		/* Fatal: after a failed start Berkeley DB keeps this
		   process as the site's listener, and a second start in it
		   is only told DB_REP_IGNORE; a new process recovers. */
		if ((rc = st->env->repmgr_start(st->env, REPL_THREADS,
		    DB_REP_ELECTION)) != 0) {
			(void)repl_fail(st, rc, "start replication", NULL);
			if (rc == DB_REP_IGNORE)
				repl_force_recovery(st);
			return STORE_EFATAL;
		}
		store_repl_chan_nodelay(st->repl);
		log_info("repl event=start site=%s peers=%zu priority=%d",
		    r->local, r->npeers, r->priority);
		repl_wait_startup(st, had_copy);
		return store_repl_peers_start(st);
	case STORE_REPL_WRITER:
		if ((rc = repl_check_process(st)) != STORE_OK)
			return rc;
		/* A subordinate process is told DB_REP_IGNORE. */
		if ((rc = st->env->repmgr_start(st->env, 0,
		    DB_REP_ELECTION)) != 0 && rc != DB_REP_IGNORE)
			return repl_fail(st, rc, "join replication", NULL);
		if (store_repl_is_master(st))
			repl_await_peers(st);
		return STORE_OK;
	default:
		return STORE_OK;
	}
}

/* store_repl_is_master - this site is the group's master */
bool
store_repl_is_master(struct store *st)
{
	DB_REP_STAT *sp;
	bool	 m;

	if (st->repl == NULL)
		return true;
	if (st->env->rep_stat(st->env, &sp, 0) != 0)
		return false;
	m = sp->st_status == DB_REP_MASTER;
	free(sp);
	return m;
}

/* store_repl_can_create - databases may be created here */
bool
store_repl_can_create(struct store *st)
{
	return st->repl == NULL || store_repl_is_master(st);
}

/* store_repl_commit_begin - before a commit: forget an earlier failure */
void
store_repl_commit_begin(void)
{
	repl_perm_failed = false;
}

/* store_repl_commit_end - after a commit: did a quorum acknowledge it? */
int
store_repl_commit_end(struct store *st)
{
	if (st->repl == NULL || !repl_perm_failed)
		return STORE_OK;
	repl_perm_failed = false;
	st->last_dbrc = DB_REP_UNAVAIL;
	snprintf(st->errmsg, sizeof(st->errmsg), "store %s: the change was "
	    "not acknowledged by a quorum of replication sites within "
	    "repl_ack_timeout (%lldms): not durable yet", st->dir,
	    st->opts.repl->ack_timeout_ms);
	return STORE_ETEMP;
}

/* store_repl_waits_for_dbs - a starting client process waits for the
   master to create the databases and replicate them */
bool
store_repl_waits_for_dbs(struct store *st, long long since_ms)
{
	if (st->opts.repl->role != STORE_REPL_PROCESS ||
	    store_repl_now_ms() - since_ms > REPL_STARTUP_WAIT_MS)
		return false;
	usleep(100000);
	return true;
}

/* store_repl_check_writable - a write must happen on the master */
int
store_repl_check_writable(struct store *st)
{
	if (st->repl == NULL)
		return STORE_OK;
	if (store_repl_is_master(st))
		return STORE_OK;
	st->last_dbrc = EACCES;
	snprintf(st->errmsg, sizeof(st->errmsg), "store %s: this site (%s) "
	    "is a replication client, and the change could not be sent to "
	    "the master", st->dir, st->opts.repl->local);
	return STORE_ETEMP;
}

/* store_repl_barrier - is everything committed so far durable? */
int
store_repl_barrier(struct store *st)
{
	static const char key[] = "repl_barrier";
	char	 val[32];
	DB_TXN	*txn;
	DBT	 k, v;
	int	 rc;

	if (st->repl == NULL)
		return STORE_OK;
	if ((rc = store_repl_check_writable(st)) != STORE_OK)
		return rc;
	if ((rc = st->env->txn_begin(st->env, NULL, &txn, 0)) != 0)
		return repl_fail(st, rc, "begin transaction", NULL);
	snprintf(val, sizeof(val), "%lld", store_repl_now_ms());
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)(uintptr_t)key;
	k.size = sizeof(key) - 1;
	v.data = val;
	v.size = (u_int32_t)strlen(val);
	if ((rc = st->meta->put(st->meta, txn, &k, &v, 0)) != 0) {
		txn->abort(txn);
		return repl_fail(st, rc, "write", key);
	}
	store_repl_commit_begin();
	if ((rc = txn->commit(txn, 0)) != 0)
		return repl_fail(st, rc, "commit", key);
	return store_repl_commit_end(st);
}

/* store_repl_request - send a request to the master, get its answer */
int
store_repl_request(struct store *st, const void *req, size_t len,
    int *status, struct buf *answer)
{
	int	 rc;

	if (st->repl == NULL)
		return STORE_EFATAL;
	if ((rc = store_repl_chan_request(st->env, st->repl, st->opts.repl,
	    DB_EID_MASTER, req, len, st->opts.repl->request_timeout_ms,
	    status, answer)) != 0) {
		repl_fail(st, rc, "forward the change to the replication "
		    "master", NULL);
		return STORE_ETEMP;
	}
	return STORE_OK;
}

/* store_repl_forward - a change for the master's own store: STORE_OK
   once the master committed it and a quorum acknowledged it */
int
store_repl_forward(struct store *st, const void *req, size_t len)
{
	struct buf answer = BUF_INIT;
	int	 status, rc;

	if ((rc = store_repl_request(st, req, len, &status, &answer)) !=
	    STORE_OK)
		return rc;
	if (status != 0) {
		snprintf(st->errmsg, sizeof(st->errmsg), "store %s: the "
		    "replication master did not record the change: %s",
		    st->dir, answer.len ? buf_cstr(&answer) : "no reason given");
		rc = STORE_ETEMP;
	}
	buf_free(&answer);
	return rc;
}

/* repl_master_name - the master's HOST:PORT as this site knows it, or
   "none" */
static void
repl_master_name(struct store *st, const DB_REP_STAT *sp, char *master,
    size_t len)
{
	if (sp->st_master == DB_EID_INVALID)
		snprintf(master, len, "none");
	else if (sp->st_status == DB_REP_MASTER)
		snprintf(master, len, "%s", st->opts.repl->local);
	else
		(void)store_repl_site_name(st->repl, (int)sp->st_master, master,
		    len);
}

/* store_repl_status - this site, its master and its peers, "key=value" */
int
store_repl_status(struct store *st, struct buf *out)
{
	DB_REP_STAT *sp;
	char	 master[300];
	bool	 running;
	int	 rc;

	if (st->repl == NULL) {
		buf_addstr(out, "replication=off\n");
		return STORE_OK;
	}
	if ((rc = st->env->rep_stat(st->env, &sp, 0)) != 0)
		return repl_fail(st, rc, "read replication status", NULL);
	repl_master_name(st, sp, master, sizeof(master));
	running = repl_check_process(st) == STORE_OK;
	/* Berkeley DB names the old master until an election gives a new
	   one; the replication process knows the connection is gone. */
	if (running && sp->st_status != DB_REP_MASTER && strcmp(master,
	    "none") != 0 && store_repl_peers_lost(st, master))
		snprintf(master, sizeof(master), "none");
	buf_printf(out, "replication=on site=%s role=%s master=%s "
	    "generation=%u lsn=%u/%u process=%s", st->opts.repl->local,
	    sp->st_status == DB_REP_MASTER ? "master" :
	    sp->st_status == DB_REP_CLIENT ? "client" : "none", master,
	    sp->st_gen, sp->st_next_lsn.file, sp->st_next_lsn.offset,
	    running ? "running" : "stopped");
	rc = store_repl_peers_status(st, sp, running, out);
	free(sp);
	return rc;
}

/* store_repl_describe - "role=R master=HOST:PORT", for log lines */
const char *
store_repl_describe(struct store *st, char *buf, size_t len)
{
	DB_REP_STAT *sp;
	char	 master[300];

	if (st->repl == NULL || st->env->rep_stat(st->env, &sp, 0) != 0) {
		snprintf(buf, len, "role=none master=none");
		return buf;
	}
	repl_master_name(st, sp, master, sizeof(master));
	snprintf(buf, len, "role=%s master=%s", sp->st_status ==
	    DB_REP_MASTER ? "master" : sp->st_status == DB_REP_CLIENT ?
	    "client" : "none", master);
	free(sp);
	return buf;
}

/* store_repl_stop - before the environment closes: stop our threads */
void
store_repl_stop(struct store *st)
{
	if (st->repl != NULL)
		store_repl_peers_stop(st);
}

/* store_repl_close - release what replication holds */
void
store_repl_close(struct store *st)
{
	if (st->repl == NULL)
		return;
	if (repl_serving == st)
		repl_serving = NULL;
	if (st->repl->lockfd >= 0)
		close(st->repl->lockfd);
	free(st->repl);
	st->repl = NULL;
}
