/*++
 * NAME
 *	lookup 3
 * SUMMARY
 *	the lookup socket server
 * DESCRIPTION
 *	lookup_start() serves a listening socket from one thread: an
 *	epoll loop over non-blocking sockets, so that thousands of
 *	connections cost a little memory each (Postfix keeps a socketmap
 *	connection open per smtpd process). A client may send any number
 *	of requests on one connection; Exim's ${readsocket} sends one,
 *	shuts its side down and reads the answer until we close. Requests
 *	are answered in order by lookup_next(), inline: a store lookup
 *	takes microseconds.
 *
 *	Who and how many (read from the configuration in force at each
 *	connection, so a reload changes them):
 *
 *	lookup_clients		an inet client outside it is logged and
 *				disconnected at once
 *	lookup_max_clients	connections at once, in all
 *	lookup_max_per_client	connections at once from one inet address
 *				(unix clients are counted in the total only:
 *				the socket's mode and group choose them, and
 *				Postfix's smtpd processes share one user)
 *	lookup_idle_timeout	a connection is closed when this long has
 *				passed since its last complete request (or
 *				since it was opened): sending a byte now and
 *				then does not keep it
 *
 *	A connection over a cap is not served but answered, so that the
 *	MTA knows the lookup failed rather than passing mail unchecked:
 *	its first bytes tell the protocol, it gets "TEMP busy" (socketmap)
 *	or "tempfail busy" (lines), and is closed. At most LK_OVERFLOW_MAX
 *	such connections wait LK_OVERFLOW_WAIT for their request; past
 *	that, one gets "tempfail busy" unasked, which a socketmap client
 *	also takes as a temporary error. A request that breaks the
 *	protocol gets its error answer and ends the connection, as does
 *	end of file from the client once the answers are written.
 *
 *	A client that does not read its answers is not read either until
 *	it does; it is closed by the idle limit. The soft limit on open
 *	files is raised to the hard one; when that is lower than
 *	lookup_max_clients a warning says so.
 *
 *	lookup_stop() ends the loop and closes every connection.
 * DIAGNOSTICS
 *	Refused clients are logged: "lookup: refused client=ADDR
 *	reason=not_in_lookup_clients|lookup_max_clients|
 *	lookup_max_per_client". Failures of accept() are logged.
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "libbase.h"
#include "milter.h"

#define LK_IN_SIZE		(LOOKUP_REQUEST_MAX + 32)
#define LK_OVERFLOW_MAX		64	/* over-cap clients awaiting "busy" */
#define LK_OVERFLOW_WAIT	2000	/* ms they may take to ask */
#define LK_ACCEPT_PAUSE		100	/* ms without accept() when out of fds */
#define LK_PEER_BUCKETS		1024
#define LK_EVENTS		256

struct lk_peer {			/* connections from one inet address */
	uint8_t	 addr[16];		/* IPv4 as IPv4-mapped IPv6 */
	unsigned n;
	struct lk_peer *next;
};

struct lk_list {
	struct lk_conn *head, *tail;	/* oldest first */
};

struct lk_conn {
	int	 fd;
	struct lk_conn *prev, *next;
	struct lk_list *list;		/* lk_busy or lk_over */
	struct lk_peer *peer;		/* NULL for unix clients */
	long long since;		/* ms: opened, or last request */
	bool	 over;			/* over a cap: answer "busy" */
	bool	 closing;		/* answered for good: drain, close */
	bool	 shut, eof, dead;
	uint32_t events;		/* what epoll watches now */
	struct buf out;
	size_t	 sent, have;
	char	 in[LK_IN_SIZE];
};

static struct lk_list lk_busy, lk_over;
static struct lk_peer *lk_peers[LK_PEER_BUCKETS];
static int lk_ep = -1, lk_listen_fd = -1, lk_wake = -1;
static int lk_listen_tag, lk_wake_tag;	/* addresses mark the two fds */
static long long lk_idle_ms = 10000, lk_paused_until;
static long long lk_max = 4096, lk_per = 1024;
static size_t lk_n, lk_nover;
static pthread_t lk_thread;
static bool lk_running;

/* lk_now - milliseconds, monotonic */
static long long
lk_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* lk_append - put a connection at the end of a list */
static void
lk_append(struct lk_list *l, struct lk_conn *c)
{
	c->list = l;
	c->next = NULL;
	c->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
}

/* lk_unlink - take a connection out of its list */
static void
lk_unlink(struct lk_conn *c)
{
	struct lk_list *l = c->list;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
}

/* lk_peer_key - the 16-byte key of an inet address, else -1 */
static int
lk_peer_key(const struct sockaddr *sa, uint8_t *key)
{
	if (sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr, 16);
		return 0;
	}
	if (sa->sa_family != AF_INET)
		return -1;
	memset(key, 0, 10);
	key[10] = key[11] = 0xff;
	memcpy(key + 12, &((const struct sockaddr_in *)(const void *)sa)->
	    sin_addr, 4);
	return 0;
}

/* lk_peer_slot - the bucket of a key (FNV-1a) */
static struct lk_peer **
lk_peer_slot(const uint8_t *key)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return &lk_peers[h % LK_PEER_BUCKETS];
}

/* lk_peer_find - the entry of an address, made when asked to */
static struct lk_peer *
lk_peer_find(const uint8_t *key, bool make)
{
	struct lk_peer **slot = lk_peer_slot(key), *p;

	for (p = *slot; p != NULL; p = p->next)
		if (memcmp(p->addr, key, 16) == 0)
			return p;
	if (!make)
		return NULL;
	p = xcalloc(1, sizeof(*p));
	memcpy(p->addr, key, 16);
	p->next = *slot;
	*slot = p;
	return p;
}

/* lk_peer_put - one connection fewer from an address */
static void
lk_peer_put(struct lk_peer *p)
{
	struct lk_peer **pp;

	if (p == NULL || --p->n > 0)
		return;
	for (pp = lk_peer_slot(p->addr); *pp != p; pp = &(*pp)->next)
		continue;
	*pp = p->next;
	free(p);
}

/* lk_close - end a connection */
static void
lk_close(struct lk_conn *c)
{
	lk_unlink(c);
	if (c->over)
		lk_nover--;
	else {
		lk_n--;
		lk_peer_put(c->peer);
	}
	close(c->fd);			/* also leaves the epoll set */
	buf_free(&c->out);
	free(c);
}

/* lk_watch - have epoll watch what the connection waits for */
static void
lk_watch(struct lk_conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (events == c->events)
		return;
	if (epoll_ctl(lk_ep, c->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD,
	    c->fd, &ev) < 0)
		c->dead = true;
	c->events = events;
}

/* lk_busy_answer - what an over-cap client is told, in its protocol */
static void
lk_busy_answer(struct lk_conn *c)
{
	if (c->in[0] >= '0' && c->in[0] <= '9')
		buf_addstr(&c->out, "9:TEMP busy,");
	else
		buf_addstr(&c->out, "tempfail busy\n");
	c->closing = true;
}

/* lk_parse - answer every complete request read so far */
static void
lk_parse(struct lk_conn *c)
{
	enum lookup_parse st;
	size_t	 used;

	if (c->closing) {
		c->have = 0;		/* draining: nothing more is served */
		return;
	}
	if (c->over) {
		lk_busy_answer(c);
		return;
	}
	while ((st = lookup_next(c->in, c->have, &used, &c->out)) ==
	    LOOKUP_REQUEST) {
		memmove(c->in, c->in + used, c->have - used);
		c->have -= used;
		c->since = lk_now();
		lk_unlink(c);
		lk_append(&lk_busy, c);
	}
	if (st == LOOKUP_BAD_FRAME || c->have == sizeof(c->in)) {
		c->closing = true;
		c->have = 0;
	}
}

/* lk_read - what the client sent, until it would block */
static void
lk_read(struct lk_conn *c)
{
	ssize_t	 r;

	while (!c->eof && c->out.len == 0) {
		r = recv(c->fd, c->in + c->have, sizeof(c->in) - c->have, 0);
		if (r > 0) {
			c->have += (size_t)r;
			lk_parse(c);
		} else if (r == 0)
			c->eof = true;
		else if (errno == EINTR)
			continue;
		else {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->dead = true;
			break;
		}
	}
}

/* lk_flush - write the pending answers, until the socket would block */
static void
lk_flush(struct lk_conn *c)
{
	ssize_t	 w;

	while (c->sent < c->out.len) {
		w = send(c->fd, c->out.data + c->sent, c->out.len - c->sent,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0)
			c->sent += (size_t)w;
		else if (w < 0 && errno == EINTR)
			continue;
		else {
			if (w == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
				c->dead = true;
			return;
		}
	}
	buf_reset(&c->out);
	c->sent = 0;
}

/* lk_settle - after an event: close, or wait for the next one */
static void
lk_settle(struct lk_conn *c)
{
	if (c->out.len > 0)
		lk_flush(c);
	if (!c->dead && c->out.len > 0)
		lk_watch(c, EPOLLOUT);
	else if (!c->dead && !c->eof) {
		if (c->closing && !c->shut) {
			/* Our FIN after the answer; the client's bytes are
			   read and dropped, so closing sends no reset. */
			(void)shutdown(c->fd, SHUT_WR);
			c->shut = true;
		}
		lk_watch(c, EPOLLIN);
	} else
		c->dead = true;
	if (c->dead)
		lk_close(c);
}

/* lk_event - one connection is ready */
static void
lk_event(struct lk_conn *c, uint32_t events)
{
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		lk_read(c);
	lk_settle(c);
}

/* lk_limits - the configuration in force: allow-list and caps */
static bool
lk_limits(const struct sockaddr *sa)
{
	struct mrt *rt = rt_acquire();
	bool	 ok;

	if (rt == NULL)
		return false;
	ok = clients_allowed(&rt->cfg->lookup_clients, sa);
	lk_max = rt->cfg->lookup_max_clients;
	lk_per = rt->cfg->lookup_max_per_client;
	lk_idle_ms = rt->cfg->lookup_idle_timeout * 1000;
	rt_release(rt);
	return ok;
}

/* lk_refuse_unasked - no room even to wait for the request */
static void
lk_refuse_unasked(int fd)
{
	(void)send(fd, "tempfail busy\n", 14, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

/* lk_admit - a new connection: refuse it, serve it, or answer "busy" */
static void
lk_admit(int fd, const struct sockaddr *sa)
{
	struct lk_peer *peer = NULL;
	const char *cap = NULL;
	struct lk_conn *c;
	uint8_t	 key[16];

	if (!lk_limits(sa)) {
		clients_refused("lookup", sa, "not_in_lookup_clients");
		close(fd);
		return;
	}
	if (lk_peer_key(sa, key) == 0)
		peer = lk_peer_find(key, false);
	if ((long long)lk_n >= lk_max)
		cap = "lookup_max_clients";
	else if (peer != NULL && (long long)peer->n >= lk_per)
		cap = "lookup_max_per_client";
	if (cap != NULL) {
		clients_refused("lookup", sa, cap);
		if (lk_nover >= LK_OVERFLOW_MAX) {
			lk_refuse_unasked(fd);
			return;
		}
	}
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->since = lk_now();
	c->over = cap != NULL;
	if (c->over)
		lk_nover++;
	else {
		lk_n++;
		if (lk_peer_key(sa, key) == 0)
			(c->peer = lk_peer_find(key, true))->n++;
	}
	lk_append(c->over ? &lk_over : &lk_busy, c);
	lk_watch(c, EPOLLIN);
	if (c->dead)
		lk_close(c);
}

/* lk_pause_accept - out of descriptors: stop accepting for a moment */
static void
lk_pause_accept(void)
{
	struct epoll_event ev = { .events = 0, .data.ptr = &lk_listen_tag };

	(void)epoll_ctl(lk_ep, EPOLL_CTL_MOD, lk_listen_fd, &ev);
	lk_paused_until = lk_now() + LK_ACCEPT_PAUSE;
}

/* lk_accept - take the waiting connections */
static void
lk_accept(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int	 fd;

	for (int i = 0; i < LK_EVENTS; i++) {
		len = sizeof(ss);
		if ((fd = accept4(lk_listen_fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
			lk_admit(fd, (struct sockaddr *)&ss);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE) {
			log_warn("lookup: accept");
			lk_pause_accept();
		} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR && errno != ECONNABORTED)
			log_warn("lookup: accept");
		return;
	}
}

/* lk_expire - close what waited too long; ms until the next deadline */
static int
lk_expire(void)
{
	long long now = lk_now(), next = -1, d;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &lk_listen_tag };

	while (lk_busy.head != NULL && lk_busy.head->since + lk_idle_ms <= now)
		lk_close(lk_busy.head);
	while (lk_over.head != NULL &&
	    lk_over.head->since + LK_OVERFLOW_WAIT <= now)
		lk_close(lk_over.head);
	if (lk_paused_until != 0 && lk_paused_until <= now) {
		(void)epoll_ctl(lk_ep, EPOLL_CTL_MOD, lk_listen_fd, &ev);
		lk_paused_until = 0;
	}
	if (lk_busy.head != NULL)
		next = lk_busy.head->since + lk_idle_ms - now;
	if (lk_over.head != NULL && ((d = lk_over.head->since +
	    LK_OVERFLOW_WAIT - now) < next || next < 0))
		next = d;
	if (lk_paused_until != 0 && ((d = lk_paused_until - now) < next ||
	    next < 0))
		next = d;
	return next < 0 ? -1 : (int)(next > 60000 ? 60000 : next + 1);
}

/* lk_loop - the server thread */
static void *
lk_loop(void *arg)
{
	struct epoll_event ev[LK_EVENTS];
	int	 n, timeout = -1;

	(void)arg;
	for (;;) {
		if ((n = epoll_wait(lk_ep, ev, LK_EVENTS, timeout)) < 0 &&
		    errno != EINTR) {
			log_warn("lookup: epoll_wait");
			n = 0;
			usleep(100000);
		}
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == &lk_wake_tag)
				return NULL;
			if (ev[i].data.ptr == &lk_listen_tag)
				lk_accept();
			else
				lk_event(ev[i].data.ptr, ev[i].events);
		}
		timeout = lk_expire();
	}
}

/* lk_raise_nofile - as many open files as we may have */
static void
lk_raise_nofile(void)
{
	struct rlimit rl;
	struct mrt *rt = rt_acquire();
	long long want = rt ? rt->cfg->lookup_max_clients : 0;

	rt_release(rt);
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY &&
	    (long long)rl.rlim_cur < want + 256)
		log_warnx("lookup: open file limit %llu is below "
		    "lookup_max_clients=%lld plus room for the milter; raise "
		    "it (LimitNOFILE= in the systemd unit)",
		    (unsigned long long)rl.rlim_cur, want);
}

/* lookup_start - serve a listening socket */
int
lookup_start(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int	 fl;

	lk_raise_nofile();
	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    (lk_ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (lk_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		return -1;
	lk_listen_fd = fd;
	ev.data.ptr = &lk_listen_tag;
	if (epoll_ctl(lk_ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	ev.data.ptr = &lk_wake_tag;
	if (epoll_ctl(lk_ep, EPOLL_CTL_ADD, lk_wake, &ev) < 0)
		return -1;
	if (pthread_create(&lk_thread, NULL, lk_loop, NULL) != 0)
		return -1;
	lk_running = true;
	return 0;
}

/* lookup_stop - end the loop and every connection */
void
lookup_stop(void)
{
	uint64_t one = 1;

	if (!lk_running)
		return;
	(void)write(lk_wake, &one, sizeof(one));
	pthread_join(lk_thread, NULL);
	while (lk_busy.head != NULL)
		lk_close(lk_busy.head);
	while (lk_over.head != NULL)
		lk_close(lk_over.head);
	close(lk_listen_fd);
	close(lk_wake);
	close(lk_ep);
	lk_running = false;
}
