/*++
 * NAME
 *	changes 3
 * SUMMARY
 *	this host's pipes' changes, made by the replication process
 * DESCRIPTION
 *	With replication on, the pipes of this host do not join the
 *	replication group (which cost each delivery about 4 ms and a
 *	dozen log records every site had to apply): they connect to
 *	bounceguard.repl-socket in store_dir (see change_sock(3)) and send
 *	their changes here. The milter, already joined, applies each one
 *	in this process (mstore_change()): on the master its commit waits
 *	for a quorum's acknowledgement; on a client it is passed to the
 *	master's milter over the signed message channel. The answer goes
 *	back only then.
 *
 *	A thread accepts connections; each connection gets a thread of its
 *	own for as long as the pipe keeps it (one delivery), at most
 *	CHANGES_MAX_CONN at once: beyond that, connections wait in the
 *	listen queue. Only the store's user may connect: the socket is
 *	made under umask 077, and the peer's user is checked.
 * DIAGNOSTICS
 *	"repl event=refused peer=uid:N reason=not_the_store_user" for a
 *	connection from another user; warnings when the socket cannot be
 *	made or a thread started.
 *--*/
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libbase.h"
#include "milter.h"

#define CHANGES_MAX_CONN	64
#define CHANGES_IDLE_SECONDS	60	/* a pipe between two requests */

static int ch_fd = -1;
static char ch_path[256];
static pthread_t ch_acceptor;
static pthread_mutex_t ch_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ch_cond = PTHREAD_COND_INITIALIZER;
static unsigned ch_active;
static bool ch_stopping;

/* changes_peer_ok - is the peer the store's user (or root)? */
static bool
changes_peer_ok(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	if (cred.uid == geteuid() || cred.uid == 0)
		return true;
	log_warnx("repl event=refused peer=uid:%u reason=not_the_store_user "
	    "socket=%s", (unsigned)cred.uid, ch_path);
	return false;
}

/* changes_serve - one pipe's connection: the greeting, then each request */
static void
changes_serve(int fd)
{
	struct buf req = BUF_INIT, answer = BUF_INIT;
	char	 role[400];

	change_sock_timeout(fd, CHANGES_IDLE_SECONDS);
	mstore_describe(role, sizeof(role));
	if (change_sock_send(fd, role, strlen(role)) < 0)
		return;
	while (change_sock_recv(fd, &req, CHANGE_MSG_MAX) == 0) {
		mstore_change(req.data, req.len, &answer);
		if (change_sock_send(fd, answer.data, answer.len) < 0)
			break;
	}
	buf_free(&req);
	buf_free(&answer);
}

/* changes_conn - a connection's thread */
static void *
changes_conn(void *arg)
{
	int	 fd = (int)(intptr_t)arg;

	if (changes_peer_ok(fd))
		changes_serve(fd);
	close(fd);
	pthread_mutex_lock(&ch_mtx);
	ch_active--;
	pthread_cond_broadcast(&ch_cond);
	pthread_mutex_unlock(&ch_mtx);
	return NULL;
}

/* changes_slot - wait for a free connection slot; false when stopping */
static bool
changes_slot(void)
{
	bool	 ok;

	pthread_mutex_lock(&ch_mtx);
	while (ch_active >= CHANGES_MAX_CONN && !ch_stopping)
		pthread_cond_wait(&ch_cond, &ch_mtx);
	ok = !ch_stopping;
	if (ok)
		ch_active++;
	pthread_mutex_unlock(&ch_mtx);
	return ok;
}

/* changes_spawn - a detached thread for a connection */
static void
changes_spawn(int fd)
{
	pthread_attr_t a;
	pthread_t t;
	int	 rc;

	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &a, changes_conn, (void *)(intptr_t)fd);
	pthread_attr_destroy(&a);
	if (rc == 0)
		return;
	log_warnx("repl: cannot start a thread for a pipe's connection: %s",
	    strerror(rc));
	close(fd);
	pthread_mutex_lock(&ch_mtx);
	ch_active--;
	pthread_cond_broadcast(&ch_cond);
	pthread_mutex_unlock(&ch_mtx);
}

/* changes_stopping - has changes_stop() begun? */
static bool
changes_stopping(void)
{
	bool	 stop;

	pthread_mutex_lock(&ch_mtx);
	stop = ch_stopping;
	pthread_mutex_unlock(&ch_mtx);
	return stop;
}

/* changes_accept - the acceptor thread */
static void *
changes_accept(void *arg)
{
	int	 fd;

	(void)arg;
	while (changes_slot()) {
		if ((fd = accept4(ch_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
			changes_spawn(fd);
			continue;
		}
		pthread_mutex_lock(&ch_mtx);
		ch_active--;
		pthread_mutex_unlock(&ch_mtx);
		if (changes_stopping())
			break;		/* changes_stop() shut the socket */
		if (errno != EINTR && errno != ECONNABORTED) {
			/* Out of descriptors or memory: let some go. */
			log_warnx("repl: accept on %s: %s", ch_path,
			    strerror(errno));
			usleep(100 * 1000);
		}
	}
	return NULL;
}

/* changes_start - serve this host's pipes (replication on only) */
int
changes_start(const char *store_dir)
{
	struct buf err = BUF_INIT;

	if (change_sock_path(store_dir, ch_path, sizeof(ch_path)) < 0) {
		log_warnx("repl: store_dir %s is too long for the pipes' "
		    "socket; the pipes of this host will defer", store_dir);
		return -1;
	}
	if ((ch_fd = change_sock_listen(ch_path, &err)) < 0) {
		log_warnx("repl: %s; the pipes of this host will defer",
		    buf_cstr(&err));
		buf_free(&err);
		return -1;
	}
	if (pthread_create(&ch_acceptor, NULL, changes_accept, NULL) != 0)
		fatal("cannot start the pipes' change server");
	return 0;
}

/* changes_stop - stop accepting, let the connections finish (a while) */
void
changes_stop(void)
{
	struct timespec ts;

	if (ch_fd < 0)
		return;
	pthread_mutex_lock(&ch_mtx);
	ch_stopping = true;
	pthread_cond_broadcast(&ch_cond);
	pthread_mutex_unlock(&ch_mtx);
	(void)shutdown(ch_fd, SHUT_RDWR);	/* wakes accept() */
	pthread_join(ch_acceptor, NULL);
	(void)unlink(ch_path);
	close(ch_fd);
	ch_fd = -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&ch_mtx);
	while (ch_active > 0 &&
	    pthread_cond_timedwait(&ch_cond, &ch_mtx, &ts) == 0)
		;
	pthread_mutex_unlock(&ch_mtx);
}
