/*++
 * NAME
 *	lookup 3
 * SUMMARY
 *	the lookup socket server
 * DESCRIPTION
 *	lookup_start() serves a listening socket: one thread accepts, and
 *	each client gets a thread of its own, up to LOOKUP_MAX_CLIENTS at
 *	once (more are told "error busy" and disconnected). A client may
 *	send any number of requests on one connection (Postfix keeps its
 *	socketmap connections open); Exim's ${readsocket} sends one request,
 *	shuts its side down and reads the answer until we close. A client
 *	that sends nothing for lookup_timeout is disconnected, as is one
 *	that sends a request longer than LOOKUP_REQUEST_MAX or a broken
 *	netstring.
 *
 *	lookup_stop() wakes the acceptor, shuts every client connection
 *	down, and waits for all the threads to finish.
 * DIAGNOSTICS
 *	Failures of accept() and of thread creation are logged.
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "libbase.h"
#include "milter.h"

#define LOOKUP_MAX_CLIENTS	128

static pthread_mutex_t lk_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lk_idle = PTHREAD_COND_INITIALIZER;
static int lk_fds[LOOKUP_MAX_CLIENTS];
static int lk_nclients;
static bool lk_stopping, lk_running;
static int lk_listen_fd = -1;
static int lk_wake[2] = { -1, -1 };
static long long lk_timeout;
static pthread_t lk_acceptor;

/* lk_send - write all of an answer; -1 when the client is gone */
static int
lk_send(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t	 w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* lk_serve - answer a client's requests until it is done */
static void
lk_serve(int fd)
{
	char	 in[LOOKUP_REQUEST_MAX + 32];
	struct buf out = BUF_INIT;
	size_t	 have = 0, used;
	enum lookup_parse st = LOOKUP_NEED_MORE;
	ssize_t	 r;

	while (st != LOOKUP_BAD_FRAME) {
		while ((st = lookup_next(in, have, &used, &out)) ==
		    LOOKUP_REQUEST) {
			memmove(in, in + used, have - used);
			have -= used;
		}
		if (out.len > 0 && lk_send(fd, out.data, out.len) < 0)
			break;
		buf_reset(&out);
		if (st == LOOKUP_BAD_FRAME || have == sizeof(in))
			break;
		if ((r = recv(fd, in + have, sizeof(in) - have, 0)) <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			break;		/* EOF, timeout, or error */
		}
		have += (size_t)r;
	}
	buf_free(&out);
}

/* lk_forget - remove a client from the table */
static void
lk_forget(int fd)
{
	pthread_mutex_lock(&lk_mtx);
	for (int i = 0; i < LOOKUP_MAX_CLIENTS; i++)
		if (lk_fds[i] == fd) {
			lk_fds[i] = -1;
			break;
		}
	close(fd);
	if (--lk_nclients == 0)
		pthread_cond_broadcast(&lk_idle);
	pthread_mutex_unlock(&lk_mtx);
}

/* lk_client - one client's thread */
static void *
lk_client(void *arg)
{
	int	 fd = (int)(intptr_t)arg;

	lk_serve(fd);
	lk_forget(fd);
	return NULL;
}

/* lk_admit - count a client in, unless we are full or stopping */
static bool
lk_admit(int fd)
{
	bool	 ok = false;

	pthread_mutex_lock(&lk_mtx);
	for (int i = 0; !lk_stopping && i < LOOKUP_MAX_CLIENTS; i++)
		if (lk_fds[i] == -1) {
			lk_fds[i] = fd;
			lk_nclients++;
			ok = true;
			break;
		}
	pthread_mutex_unlock(&lk_mtx);
	return ok;
}

/* lk_spawn - a thread for a new client */
static void
lk_spawn(int fd)
{
	struct timeval tv = { (time_t)lk_timeout, 0 };
	pthread_attr_t attr;
	pthread_t t;

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (!lk_admit(fd)) {
		(void)lk_send(fd, "error busy\n", 11);
		close(fd);
		return;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, lk_client, (void *)(intptr_t)fd) != 0) {
		log_warnx("lookup: cannot start a client thread");
		lk_forget(fd);
	}
	pthread_attr_destroy(&attr);
}

/* lk_accept_loop - the acceptor thread */
static void *
lk_accept_loop(void *arg)
{
	struct pollfd p[2];
	int	 fd;

	(void)arg;
	p[0].fd = lk_listen_fd;
	p[0].events = POLLIN;
	p[1].fd = lk_wake[0];
	p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents != 0)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		if ((fd = accept4(lk_listen_fd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
			if (errno != EINTR && errno != EAGAIN &&
			    errno != ECONNABORTED)
				log_warn("lookup: accept");
			if (errno == EMFILE || errno == ENFILE)
				usleep(100000);
			continue;
		}
		lk_spawn(fd);
	}
	return NULL;
}

/* lookup_start - serve a listening socket */
int
lookup_start(int fd, long long timeout)
{
	for (int i = 0; i < LOOKUP_MAX_CLIENTS; i++)
		lk_fds[i] = -1;
	lk_listen_fd = fd;
	lk_timeout = timeout > 0 ? timeout : 10;
	if (pipe2(lk_wake, O_CLOEXEC) < 0)
		return -1;
	if (pthread_create(&lk_acceptor, NULL, lk_accept_loop, NULL) != 0)
		return -1;
	lk_running = true;
	return 0;
}

/* lookup_stop - stop accepting, end every connection, wait */
void
lookup_stop(void)
{
	if (!lk_running)
		return;
	(void)write(lk_wake[1], "x", 1);
	pthread_join(lk_acceptor, NULL);
	pthread_mutex_lock(&lk_mtx);
	lk_stopping = true;
	for (int i = 0; i < LOOKUP_MAX_CLIENTS; i++)
		if (lk_fds[i] != -1)
			(void)shutdown(lk_fds[i], SHUT_RDWR);
	while (lk_nclients > 0)
		pthread_cond_wait(&lk_idle, &lk_mtx);
	pthread_mutex_unlock(&lk_mtx);
	close(lk_listen_fd);
	close(lk_wake[0]);
	close(lk_wake[1]);
	lk_running = false;
}
