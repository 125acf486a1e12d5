/*++
 * NAME
 *	store_repl_peers 3
 * SUMMARY
 *	the replication process's view of its peers, unknown sites, and
 *	"db status"
 * DESCRIPTION
 *	Berkeley DB 5.3 tells no site how far behind another is
 *	(repmgr_site_list() has no log position). So the replication
 *	process (the milter) asks each peer with a ready connection for its
 *	status once a second, over a signed message channel
 *	(REPL_STATUS_REQ; store_repl_peers_serve() answers "role=R gen=G
 *	lsn=F/O"), and writes what it learnt to bounceguard.repl-peers in
 *	the store directory, with its own role and log position. "db
 *	status" (store_repl_peers_status()) reads that file and says how
 *	many bytes of log each site is behind the master. The connection
 *	state comes from repmgr_site_list() at each poll, not from the
 *	connection events, which also fire when a short-lived or colliding
 *	connection closes.
 *
 *	Unknown sites. A replication connection from a site that is not a
 *	member is refused by Berkeley DB itself; store_repl_peers_msg(),
 *	given Berkeley DB's messages, logs it. A join request, though, adds
 *	any site that asks (DB_EVENT_REP_SITE_ADDED): the master's poll
 *	removes every member that is not in repl_local or repl_peers, and
 *	logs it.
 * DIAGNOSTICS
 *	"repl event=refused peer=HOST:PORT reason=not_a_member" and
 *	"repl event=site_removed peer=HOST:PORT reason=not_in_repl_peers"
 *	warnings; at most one refusal a second is logged, with a count of
 *	those not logged.
 *--*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libbase.h"
#include "store_repl_int.h"

#define REPL_POLL_MS		1000	/* between two polls of the peers */
#define REPL_POLL_TIMEOUT_MS	1000	/* a peer's answer */
#define REPL_PEERS_FILE		"bounceguard.repl-peers"
#define REPL_REFUSED_MARK	"rejecting connection from unknown or " \
				"provisional site "

/* store_repl_site_name - "HOST:PORT" of an environment id, for log lines */
const char *
store_repl_site_name(const struct store_repl_state *rs, int eid, char *buf,
    size_t len)
{
	for (size_t i = 0; i < rs->nsites; i++)
		if (rs->sites[i].eid == eid) {
			snprintf(buf, len, "%s:%u", rs->sites[i].host,
			    rs->sites[i].port);
			return buf;
		}
	snprintf(buf, len, "eid%d", eid);
	return buf;
}

/* repl_role_name - a rep_stat status as a word */
static const char *
repl_role_name(u_int32_t status)
{
	return status == DB_REP_MASTER ? "master" : status == DB_REP_CLIENT ?
	    "client" : "none";
}

/* store_repl_peers_serve - this site's status, for a peer that asks */
void
store_repl_peers_serve(struct store *st, struct buf *out)
{
	DB_REP_STAT *sp;

	if (st->env->rep_stat(st->env, &sp, 0) != 0) {
		buf_addstr(out, "role=none gen=0 lsn=0/0");
		return;
	}
	buf_printf(out, "role=%s gen=%u lsn=%u/%u", repl_role_name(
	    sp->st_status), sp->st_gen, sp->st_next_lsn.file,
	    sp->st_next_lsn.offset);
	free(sp);
}

/* store_repl_peers_msg - Berkeley DB's message: log a refused site */
void
store_repl_peers_msg(struct store *st, const char *msg)
{
	static long long last_ms;
	static unsigned quiet;
	const char *p = strstr(msg, REPL_REFUSED_MARK);
	long long now = store_repl_now_ms();

	(void)st;
	if (p == NULL)
		return;
	/* A host that keeps trying must not fill the log. */
	if (last_ms != 0 && now - last_ms < 1000) {
		quiet++;
		return;
	}
	last_ms = now;
	if (quiet > 0)
		log_warnx("repl event=refused peer=%s reason=not_a_member "
		    "not_logged=%u (refusals in the second before)",
		    p + strlen(REPL_REFUSED_MARK), quiet);
	else
		log_warnx("repl event=refused peer=%s reason=not_a_member "
		    "(not in repl_local or repl_peers of the group)",
		    p + strlen(REPL_REFUSED_MARK));
	quiet = 0;
}

/* repl_configured - HOST:PORT is this site or one of its peers */
static ssize_t
repl_configured(const struct store_repl_state *rs, const char *host,
    unsigned port)
{
	for (size_t i = 0; i < rs->nsites; i++)
		if (rs->sites[i].port == port && strcmp(rs->sites[i].host,
		    host) == 0)
			return (ssize_t)i;
	return -1;
}

/* repl_remove_site - a master removes a member it was not told of */
static void
repl_remove_site(struct store *st, const char *host, unsigned port)
{
	DB_SITE	*site;
	int	 rc;

	if ((rc = st->env->repmgr_site(st->env, host, port, &site, 0)) == 0)
		rc = site->remove(site);	/* closes the handle */
	if (rc == 0)
		log_warnx("repl event=site_removed peer=%s:%u "
		    "reason=not_in_repl_peers", host, port);
	else
		log_warnx("repl event=site_remove_failed peer=%s:%u: %s",
		    host, port, db_strerror(rc));
}

/* repl_poll_sites - which peers are connected; unknown members go */
static void
repl_poll_sites(struct store *st, bool master)
{
	struct store_repl_state *rs = st->repl;
	DB_REPMGR_SITE *list;
	u_int	 count;
	ssize_t	 i;

	for (size_t k = 1; k < rs->nsites; k++)
		rs->sites[k].ready = false;
	if (st->env->repmgr_site_list(st->env, &count, &list) != 0)
		return;
	for (u_int k = 0; k < count; k++) {
		if ((i = repl_configured(rs, list[k].host, list[k].port)) >= 0)
			rs->sites[i].ready = list[k].status ==
			    DB_REPMGR_CONNECTED;
		else if (master)
			repl_remove_site(st, list[k].host, list[k].port);
	}
	if (master)
		rs->unknown_site = 0;
	free(list);
}

/* repl_poll_peer - ask one connected peer for its status */
static void
repl_poll_peer(struct store *st, struct store_repl_site *s)
{
	struct buf answer = BUF_INIT;
	char	 role[8];
	int	 status;

	s->polled = false;
	if (!s->ready || s->eid < 0 || store_repl_chan_request(st->env,
	    st->repl, st->opts.repl, s->eid, REPL_STATUS_REQ, sizeof(
	    REPL_STATUS_REQ), REPL_POLL_TIMEOUT_MS, &status, &answer) != 0 ||
	    status != 0 || sscanf(buf_cstr(&answer), "role=%7s gen=%u "
	    "lsn=%u/%u", role, &s->gen, &s->lsn_file, &s->lsn_off) != 4) {
		buf_free(&answer);
		return;
	}
	buf_free(&answer);
	bg_strlcpy(s->role, role, sizeof(s->role));
	s->polled = true;
	s->checked = time(NULL);
}

/* repl_behind - bytes of log from b to a; -1 when unknown */
static long long
repl_behind(struct store *st, unsigned af, unsigned ao, unsigned bf,
    unsigned bo)
{
	u_int32_t max = 0;
	long long d;

	if (af == 0 || bf == 0)
		return -1;
	if (af != bf && st->env->get_lg_max(st->env, &max) != 0)
		return -1;
	d = ((long long)af - bf) * max + ((long long)ao - bo);
	return d < 0 ? 0 : d;
}

/* repl_print_behind - " behind=N", or " behind=unknown" */
static void
repl_print_behind(FILE *fp, long long behind)
{
	if (behind >= 0)
		fprintf(fp, " behind=%lld", behind);
	else
		fputs(" behind=unknown", fp);
}

/* repl_master_lsn - the master's log position now: ours, or as polled */
static bool
repl_master_lsn(const struct store_repl_state *rs, const DB_REP_STAT *sp,
    unsigned *f, unsigned *o)
{
	if (sp->st_status == DB_REP_MASTER) {
		*f = sp->st_next_lsn.file;
		*o = sp->st_next_lsn.offset;
		return true;
	}
	for (size_t i = 1; i < rs->nsites; i++)
		if (rs->sites[i].polled && strcmp(rs->sites[i].role,
		    "master") == 0) {
			*f = rs->sites[i].lsn_file;
			*o = rs->sites[i].lsn_off;
			return true;
		}
	return false;
}

/*
 * repl_poll_write - bounceguard.repl-peers, replaced at once.
 *
 * behind= is in bytes of log: how much of what the master had written
 * when this round asked it (or, on the master, when the round began)
 * the site had not got. The records that a process writes on the
 * master's store without a connection to carry them (a reader opening
 * the databases) reach the clients with the next change: until then
 * they count as behind.
 */
static void
repl_poll_write(struct store *st, const DB_REP_STAT *sp)
{
	unsigned mf = 0, mo = 0;
	bool	 have_m = repl_master_lsn(st->repl, sp, &mf, &mo);
	struct store_repl_state *rs = st->repl;
	char	 path[4096], tmp[4200];
	FILE	*fp;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", st->dir,
	    REPL_PEERS_FILE) >= sizeof(path) || (size_t)snprintf(tmp,
	    sizeof(tmp), "%s.tmp", path) >= sizeof(tmp) ||
	    (fp = fopen(tmp, "w")) == NULL)
		return;
	fprintf(fp, "self=%s checked=%lld", st->opts.repl->local,
	    (long long)time(NULL));
	repl_print_behind(fp, have_m ? repl_behind(st, mf, mo,
	    sp->st_next_lsn.file, sp->st_next_lsn.offset) : -1);
	fputc('\n', fp);
	for (size_t i = 1; i < rs->nsites; i++) {
		const struct store_repl_site *s = &rs->sites[i];

		fprintf(fp, "peer=%s:%u state=%s", s->host, s->port,
		    s->ready ? "connected" : "disconnected");
		if (s->polled) {
			fprintf(fp, " role=%s lsn=%u/%u", s->role, s->lsn_file,
			    s->lsn_off);
			repl_print_behind(fp, have_m ? repl_behind(st, mf, mo,
			    s->lsn_file, s->lsn_off) : -1);
			fprintf(fp, " checked=%lld", (long long)s->checked);
		}
		fputc('\n', fp);
	}
	if (fclose(fp) == 0)
		(void)rename(tmp, path);
	else
		(void)unlink(tmp);
}

/* repl_poll_once - one round: connections, unknown sites, statuses */
static void
repl_poll_once(struct store *st)
{
	DB_REP_STAT *sp;
	bool	 master;

	if (st->env->rep_stat(st->env, &sp, 0) != 0)
		return;
	master = sp->st_status == DB_REP_MASTER;
	repl_poll_sites(st, master);
	for (size_t i = 1; i < st->repl->nsites; i++)
		repl_poll_peer(st, &st->repl->sites[i]);
	repl_poll_write(st, sp);
	free(sp);
}

/* repl_poller - the replication process's thread: poll until stopped */
static void *
repl_poller(void *arg)
{
	struct store *st = arg;
	struct store_repl_state *rs = st->repl;
	struct timespec ts;

	pthread_mutex_lock(&rs->poll_mtx);
	while (!rs->poll_stop) {
		pthread_mutex_unlock(&rs->poll_mtx);
		repl_poll_once(st);
		pthread_mutex_lock(&rs->poll_mtx);
		if (rs->poll_stop)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += REPL_POLL_MS / 1000;
		ts.tv_nsec += (REPL_POLL_MS % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		/* A site just added is checked at once. */
		if (!rs->unknown_site)
			(void)pthread_cond_timedwait(&rs->poll_cond,
			    &rs->poll_mtx, &ts);
	}
	pthread_mutex_unlock(&rs->poll_mtx);
	return NULL;
}

/* store_repl_peers_start - the replication process starts polling */
int
store_repl_peers_start(struct store *st)
{
	struct store_repl_state *rs = st->repl;

	pthread_mutex_init(&rs->poll_mtx, NULL);
	pthread_cond_init(&rs->poll_cond, NULL);
	rs->poll_stop = false;
	if (pthread_create(&rs->poller, NULL, repl_poller, st) != 0) {
		pthread_mutex_destroy(&rs->poll_mtx);
		pthread_cond_destroy(&rs->poll_cond);
		snprintf(st->errmsg, sizeof(st->errmsg), "store %s: cannot "
		    "start the replication poller: %s", st->dir,
		    strerror(errno));
		return STORE_ETEMP;
	}
	rs->polling = true;
	return STORE_OK;
}

/* store_repl_peers_stop - stop polling, before the environment closes */
void
store_repl_peers_stop(struct store *st)
{
	struct store_repl_state *rs = st->repl;

	if (rs == NULL || !rs->polling)
		return;
	pthread_mutex_lock(&rs->poll_mtx);
	rs->poll_stop = true;
	pthread_cond_signal(&rs->poll_cond);
	pthread_mutex_unlock(&rs->poll_mtx);
	pthread_join(rs->poller, NULL);
	pthread_mutex_destroy(&rs->poll_mtx);
	pthread_cond_destroy(&rs->poll_cond);
	rs->polling = false;
}

/* store_repl_peers_wake - poll now (a site was added) */
void
store_repl_peers_wake(struct store *st)
{
	struct store_repl_state *rs = st->repl;

	rs->unknown_site = 1;
	if (!rs->polling)
		return;
	pthread_mutex_lock(&rs->poll_mtx);
	pthread_cond_signal(&rs->poll_cond);
	pthread_mutex_unlock(&rs->poll_mtx);
}

/* repl_print_line - a line of the file as db status shows it: the
   time of the poll as an age, and no state when the file is stale */
static void
repl_print_line(const char *line, bool running, struct buf *out)
{
	const char *c = strstr(line, " checked=");
	const char *st = strstr(line, " state=");
	long long when;
	size_t	 n;

	if (!running && st != NULL) {
		buf_add(out, line, (size_t)(st - line));
		buf_addstr(out, " state=unknown (no replication process)\n");
		return;
	}
	if (c == NULL || sscanf(c, " checked=%lld", &when) != 1) {
		buf_addstr(out, line);
		return;
	}
	buf_add(out, line, (size_t)(c - line));
	buf_printf(out, " checked=%llds_ago", (long long)time(NULL) - when);
	n = strcspn(c + 1, " \n");
	buf_addstr(out, c + 1 + n);
}

/* store_repl_peers_lost - the replication process last saw no
   connection to this peer ("HOST:PORT") */
bool
store_repl_peers_lost(struct store *st, const char *name)
{
	char	 path[4096], line[600], want[400];
	bool	 lost = false;
	FILE	*fp;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", st->dir,
	    REPL_PEERS_FILE) >= sizeof(path) || (size_t)snprintf(want,
	    sizeof(want), "peer=%s state=disconnected", name) >= sizeof(want) ||
	    (fp = fopen(path, "r")) == NULL)
		return false;
	while (!lost && fgets(line, sizeof(line), fp) != NULL)
		lost = strncmp(line, want, strlen(want)) == 0 &&
		    (line[strlen(want)] == '\n' || line[strlen(want)] == ' ');
	fclose(fp);
	return lost;
}

/*
 * store_repl_peers_status - the end of db status's first line (this
 * site's behind=, as last polled), then a line per peer.
 */
int
store_repl_peers_status(struct store *st, const DB_REP_STAT *sp,
    bool running, struct buf *out)
{
	char	 path[4096], line[600];
	const char *b;
	FILE	*fp;

	(void)sp;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", st->dir,
	    REPL_PEERS_FILE) >= sizeof(path) || (fp = fopen(path, "r")) ==
	    NULL) {
		buf_addstr(out, " behind=unknown\npeers=unknown (no "
		    "replication process has run here)\n");
		return STORE_OK;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "self=", 5) != 0) {
			repl_print_line(line, running, out);
			continue;
		}
		b = strstr(line, " behind=");
		buf_addstr(out, running && b != NULL ? b : " behind=unknown\n");
	}
	fclose(fp);
	return STORE_OK;
}
