/*++
 * NAME
 *	milter_client 1
 * SUMMARY
 *	a milter-protocol client: drive a milter as an MTA would, and load it
 * DESCRIPTION
 *	milter_client -s SOCKET [-C ADDR] [-H NAME] [-L] [-D DAEMON]
 *	    [-A LOGIN] [-q QUEUEID] [-T SECONDS] -f SENDER [-r RCPT]...
 *	milter_client -s SOCKET -n MESSAGES [-p CONNECTIONS] -f SENDER
 *	    -R FORMAT [-u RANGE] [...]
 *	milter_client -s SOCKET -X CONNECTIONS [-p THREADS] [-S SEED]
 *	    -f SENDER -R FORMAT [-u RANGE] [...]
 *
 *	Speaks the Sendmail milter protocol (version 6) over unix:/PATH or
 *	inet:PORT@ADDR: option negotiation, CONNECT with the {daemon_name}
 *	macro, HELO, MAIL with {auth_authen} and {i}, RCPT, DATA, headers,
 *	body and end of message, skipping the steps the milter declined and
 *	waiting for no reply where it asked for none, as Postfix does.
 *
 *	With one message (the default) it prints what the milter answered,
 *	one line per event, so that tests can compare them (no line for a
 *	step the milter asked not to answer, such as MAIL with
 *	SMFIP_NR_MAIL; a message it accepts at the first RCPT then ends
 *	there with "rcpt <ADDR> accept"):
 *
 *	    rcpt <jane@example.org> reject 550 5.1.1 <jane@...>: ...
 *	    eom chgfrom <b-...@bounces.example.com>
 *	    eom addheader X-Bounceguard-Sender <news@example.com>
 *	    eom continue
 *
 *	-C is the client address given in CONNECT (default 127.0.0.1), -H
 *	its host name, -L simulates Postfix's local submission
 *	(localhost[127.0.0.1], port 0), -A sets {auth_authen}, -D
 *	{daemon_name}, -q {i}. SENDER "" is the null sender.
 *
 *	With -n it is a load generator: CONNECTIONS threads (default 4),
 *	each with one milter connection, send MESSAGES single-recipient
 *	messages in all, the recipient made from FORMAT with a random number
 *	below RANGE (default 1000000) in place of %u; it prints the rate.
 *
 *	With -X it is a chaos client for leak and robustness tests: THREADS
 *	threads (default 4) open CONNECTIONS milter connections in all, one
 *	after the other, each with zero to three messages of one to three
 *	recipients made as with -n. At random, a message ends normally
 *	(end of message: a stamp, or a token for several recipients), is
 *	aborted (SMFIC_ABORT) after MAIL or some RCPT and followed by the
 *	next one, ends the connection with QUIT mid-message, or the
 *	connection is dropped without QUIT: before negotiation, after
 *	CONNECT, after MAIL or some RCPT, in the middle of a packet, or
 *	after end of message without reading the reply. -S seeds the random
 *	choices (default: the time). It prints what it did, one line.
 * DIAGNOSTICS
 *	Exit status 0, or 1 when the milter could not be reached or broke
 *	the protocol (the line says what happened).
 *--*/
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#include "libbase.h"

#define MC_MAX_PACKET	(1 << 20)
#define MC_MAX_RCPT	64

struct mc_opts {
	const char *socket;
	const char *client_addr;
	const char *client_name;
	bool	 local;
	const char *daemon;
	const char *auth;
	const char *qid;
	const char *sender;
	const char *rcpt[MC_MAX_RCPT];
	int	 nrcpt;
	long	 messages;
	int	 conns;
	const char *format;
	unsigned long range;
	int	 timeout;
	long	 chaos;			/* -X: connections */
	unsigned seed;
};

struct mc_conn {
	int	 fd;
	unsigned long proto;		/* the milter's protocol flags */
	bool	 quiet;			/* load generator: print nothing */
	unsigned seed;
	long	 stamped, refused, accepted;
	long	 messages, tokens, aborts, quits, drops;	/* -X */
};

struct mc_packet {
	char	 cmd;
	char	*data;
	size_t	 len;
};

static struct mc_opts opt = {
	.client_addr = "127.0.0.1", .client_name = "client.example",
	.conns = 4, .range = 1000000, .timeout = 10,
};

/* mc_die - report a fatal problem and exit 1 */
static void __attribute__((noreturn, format(printf, 1, 2)))
mc_die(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "milter_client: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* mc_dial - connect to unix:/PATH or inet:PORT@ADDR */
static int
mc_dial(const char *spec)
{
	struct sockaddr_un sun;
	struct sockaddr_in sin;
	struct timeval tv = { opt.timeout, 0 };
	const char *at;
	int	 fd;

	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
		    strchr(spec, ':') + 1);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
		    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
			mc_die("%s: %s", spec, strerror(errno));
	} else if (strncmp(spec, "inet:", 5) == 0 &&
	    (at = strchr(spec, '@')) != NULL) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)atoi(spec + 5));
		if (inet_pton(AF_INET, at + 1, &sin.sin_addr) != 1)
			mc_die("%s: numeric address expected", spec);
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
		    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			mc_die("%s: %s", spec, strerror(errno));
	} else
		mc_die("%s: expected unix:/PATH or inet:PORT@ADDR", spec);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* mc_write_all - write everything */
static void
mc_write_all(int fd, const void *p, size_t n)
{
	if (bg_write_all(fd, p, n) < 0)
		mc_die("write to milter: %s", strerror(errno));
}

/* mc_send - one packet: length, command, data */
static void
mc_send(struct mc_conn *c, char cmd, const void *data, size_t len)
{
	char	 hdr[5];
	uint32_t n = htonl((uint32_t)len + 1);

	memcpy(hdr, &n, 4);
	hdr[4] = cmd;
	if (len == 0) {
		mc_write_all(c->fd, hdr, 5);
		return;
	}
	char	*pkt = malloc(len + 5);

	if (pkt == NULL)
		mc_die("out of memory");
	memcpy(pkt, hdr, 5);
	memcpy(pkt + 5, data, len);
	mc_write_all(c->fd, pkt, len + 5);
	free(pkt);
}

/* mc_read_all - read exactly n bytes */
static void
mc_read_all(int fd, void *p, size_t n)
{
	char	*c = p;

	while (n > 0) {
		ssize_t	 r = read(fd, c, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			mc_die("read from milter: %s", r == 0 ?
			    "connection closed" : strerror(errno));
		c += r;
		n -= (size_t)r;
	}
}

/* mc_recv - one packet from the milter */
static void
mc_recv(struct mc_conn *c, struct mc_packet *p)
{
	uint32_t n;

	mc_read_all(c->fd, &n, 4);
	n = ntohl(n);
	if (n == 0 || n > MC_MAX_PACKET)
		mc_die("bad packet length %u", n);
	p->data = malloc(n);
	if (p->data == NULL)
		mc_die("out of memory");
	mc_read_all(c->fd, p->data, n);
	p->cmd = p->data[0];
	p->len = n - 1;
	memmove(p->data, p->data + 1, p->len);
	p->data[p->len] = '\0';
}

/* mc_pairs - NUL-separated strings from arguments (NULL ends) */
static size_t
mc_pairs(char *out, size_t cap, ...)
{
	va_list	 ap;
	const char *s;
	size_t	 n = 0;

	va_start(ap, cap);
	while ((s = va_arg(ap, const char *)) != NULL) {
		size_t	 l = strlen(s) + 1;

		if (n + l > cap)
			mc_die("request too long");
		memcpy(out + n, s, l);
		n += l;
	}
	va_end(ap);
	return n;
}

/* mc_macro - define macros for a command; NULL values are skipped */
static void
mc_macro(struct mc_conn *c, char cmd, const char *n1, const char *v1,
    const char *n2, const char *v2)
{
	char	 buf[2048];
	size_t	 n = 0;

	buf[n++] = cmd;
	if (v1 != NULL)
		n += mc_pairs(buf + n, sizeof(buf) - n, n1, v1, (char *)NULL);
	if (v2 != NULL)
		n += mc_pairs(buf + n, sizeof(buf) - n, n2, v2, (char *)NULL);
	mc_send(c, SMFIC_MACRO, buf, n);
}

/* mc_final - is this reply the end of a step? */
static bool
mc_final(char cmd)
{
	return strchr("carytds", cmd) != NULL;
}

/* mc_show - print a reply or modification for a step */
static void
mc_show(struct mc_conn *c, const char *step, const struct mc_packet *p)
{
	const char *two = p->data + strlen(p->data) + 1;

	if (c->quiet)
		return;
	switch (p->cmd) {
	case SMFIR_CONTINUE: printf("%s continue\n", step); break;
	case SMFIR_ACCEPT: printf("%s accept\n", step); break;
	case SMFIR_REJECT: printf("%s reject\n", step); break;
	case SMFIR_TEMPFAIL: printf("%s tempfail\n", step); break;
	case SMFIR_DISCARD: printf("%s discard\n", step); break;
	case SMFIR_SKIP: printf("%s skip\n", step); break;
	case SMFIR_REPLYCODE: printf("%s %s %s\n", step, p->data[0] == '4' ?
	    "tempfail" : "reject", p->data); break;
	case SMFIR_CHGFROM: printf("%s chgfrom %s\n", step, p->data); break;
	case SMFIR_ADDHEADER: printf("%s addheader %s %s\n", step, p->data,
	    (size_t)(two - p->data) < p->len ? two : ""); break;
	default: printf("%s reply-%c\n", step, p->cmd); break;
	}
}

/* mc_step - send a command; read modifications and the reply */
static char
mc_step(struct mc_conn *c, const char *step, char cmd, const void *data,
    size_t len, unsigned long noreply)
{
	struct mc_packet p;
	char	 final;

	mc_send(c, cmd, data, len);
	if (c->proto & noreply)
		return SMFIR_CONTINUE;
	for (;;) {
		mc_recv(c, &p);
		if (p.cmd == SMFIR_PROGRESS) {
			free(p.data);
			continue;
		}
		mc_show(c, step, &p);
		if (p.cmd == SMFIR_CHGFROM)
			c->stamped++;
		final = p.cmd;
		free(p.data);
		if (mc_final(final))
			return final;
	}
}

/* mc_negotiate - option negotiation */
static void
mc_negotiate(struct mc_conn *c)
{
	uint32_t v[3] = { htonl(6), htonl(0x1ff), htonl(0x001fffff) };
	struct mc_packet p;
	uint32_t got[3];

	mc_send(c, SMFIC_OPTNEG, v, sizeof(v));
	mc_recv(c, &p);
	if (p.cmd != SMFIC_OPTNEG || p.len < 12)
		mc_die("bad option negotiation reply '%c'", p.cmd);
	memcpy(got, p.data, 12);
	c->proto = ntohl(got[2]);
	if (!c->quiet)
		printf("negotiate actions=0x%x protocol=0x%lx\n",
		    ntohl(got[1]), c->proto);
	free(p.data);
}

/* mc_session - connect, negotiate, CONNECT and HELO */
static void
mc_session(struct mc_conn *c)
{
	char	 buf[1024];
	size_t	 n;
	uint16_t port = htons(opt.local ? 0 : 40000);
	bool	 v6 = strchr(opt.client_addr, ':') != NULL;

	c->fd = mc_dial(opt.socket);
	mc_negotiate(c);
	if (!(c->proto & SMFIP_NOCONNECT)) {
		mc_macro(c, SMFIC_CONNECT, "{daemon_name}", opt.daemon, "j",
		    "mx.example");
		n = mc_pairs(buf, sizeof(buf), opt.local ? "localhost" :
		    opt.client_name, (char *)NULL);
		buf[n++] = v6 ? SMFIA_INET6 : SMFIA_INET;
		memcpy(buf + n, &port, 2);
		n += 2;
		n += mc_pairs(buf + n, sizeof(buf) - n, opt.local ?
		    "127.0.0.1" : opt.client_addr, (char *)NULL);
		mc_step(c, "connect", SMFIC_CONNECT, buf, n, SMFIP_NR_CONN);
	}
	if (!(c->proto & SMFIP_NOHELO)) {
		n = mc_pairs(buf, sizeof(buf), "client.example", (char *)NULL);
		mc_step(c, "helo", SMFIC_HELO, buf, n, SMFIP_NR_HELO);
	}
}

/* mc_bracket - "<addr>" */
static void
mc_bracket(const char *addr, char *out, size_t size)
{
	snprintf(out, size, addr[0] == '<' ? "%s" : "<%s>", addr);
}

/* mc_content - DATA, headers, body and end of message */
static void
mc_content(struct mc_conn *c)
{
	static const char body[] = "Hello.\r\n";
	char	 buf[512];
	size_t	 n;

	if (!(c->proto & SMFIP_NODATA))
		mc_step(c, "data", SMFIC_DATA, NULL, 0, SMFIP_NR_DATA);
	if (!(c->proto & SMFIP_NOHDRS)) {
		n = mc_pairs(buf, sizeof(buf), "Subject", "test", (char *)NULL);
		mc_step(c, "header", SMFIC_HEADER, buf, n, SMFIP_NR_HDR);
	}
	if (!(c->proto & SMFIP_NOEOH))
		mc_step(c, "eoh", SMFIC_EOH, NULL, 0, SMFIP_NR_EOH);
	if (!(c->proto & SMFIP_NOBODY))
		mc_step(c, "body", SMFIC_BODY, body, sizeof(body) - 1,
		    SMFIP_NR_BODY);
	mc_macro(c, SMFIC_BODYEOB, "i", opt.qid, NULL, NULL);
	mc_step(c, "eom", SMFIC_BODYEOB, NULL, 0, 0);
}

/* mc_message - one message; the recipients are given */
static void
mc_message(struct mc_conn *c, const char *const *rcpts, int n)
{
	char	 buf[1024], sender[600];
	size_t	 len;
	int	 ok = 0;
	char	 r;

	mc_bracket(opt.sender, sender, sizeof(sender));
	mc_macro(c, SMFIC_MAIL, "i", opt.qid, "{auth_authen}", opt.auth);
	len = mc_pairs(buf, sizeof(buf), sender, (char *)NULL);
	r = mc_step(c, "mail", SMFIC_MAIL, buf, len, SMFIP_NR_MAIL);
	if (r == SMFIR_ACCEPT) {
		c->accepted++;
		return;
	}
	for (int i = 0; r == SMFIR_CONTINUE && i < n; i++) {
		char	 step[1100], rc;

		mc_bracket(rcpts[i], buf, sizeof(buf));
		snprintf(step, sizeof(step), "rcpt %s", buf);
		len = strlen(buf) + 1;
		mc_macro(c, SMFIC_RCPT, "i", opt.qid, NULL, NULL);
		rc = mc_step(c, step, SMFIC_RCPT, buf, len, SMFIP_NR_RCPT);
		if (rc == SMFIR_ACCEPT) {	/* after MAIL without reply */
			c->accepted++;
			mc_send(c, SMFIC_ABORT, NULL, 0);
			return;
		}
		if (rc == SMFIR_CONTINUE)
			ok++;
		else
			c->refused++;
	}
	if (r == SMFIR_CONTINUE && ok > 0)
		mc_content(c);
	else
		mc_send(c, SMFIC_ABORT, NULL, 0);
}

/* mc_now - seconds, monotonic */
static double
mc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct mc_worker {
	pthread_t t;
	long	 n;
	struct mc_conn c;
};

/* mc_worker_main - one connection of the load generator */
static void *
mc_worker_main(void *arg)
{
	struct mc_worker *w = arg;
	char	 rcpt[512];
	const char *one = rcpt;

	w->c.quiet = true;
	mc_session(&w->c);
	for (long i = 0; i < w->n; i++) {
		unsigned long k = (unsigned long)rand_r(&w->c.seed) *
		    ((unsigned long)RAND_MAX + 1) + (unsigned long)rand_r(&w->c.seed);

		snprintf(rcpt, sizeof(rcpt), opt.format, (unsigned)(k % opt.range));
		mc_message(&w->c, &one, 1);
	}
	mc_send(&w->c, SMFIC_QUIT, NULL, 0);
	close(w->c.fd);
	return NULL;
}

/* mc_load - the load generator */
static int
mc_load(void)
{
	struct mc_worker *w = calloc((size_t)opt.conns, sizeof(*w));
	long	 stamped = 0, refused = 0, accepted = 0;
	double	 t0, t;

	if (w == NULL)
		mc_die("out of memory");
	t0 = mc_now();
	for (int i = 0; i < opt.conns; i++) {
		w[i].n = opt.messages / opt.conns + (i < opt.messages %
		    opt.conns ? 1 : 0);
		w[i].c.seed = (unsigned)(time(NULL) ^ (i * 7919));
		if (pthread_create(&w[i].t, NULL, mc_worker_main, &w[i]) != 0)
			mc_die("pthread_create failed");
	}
	for (int i = 0; i < opt.conns; i++) {
		pthread_join(w[i].t, NULL);
		stamped += w[i].c.stamped;
		refused += w[i].c.refused;
		accepted += w[i].c.accepted;
	}
	t = mc_now() - t0;
	printf("milter: %ld messages in %.2f s: %.0f messages/s (%d "
	    "connections; %ld stamped, %ld recipients refused, %ld passed "
	    "at MAIL)\n", opt.messages, t, (double)opt.messages / t,
	    opt.conns, stamped, refused, accepted);
	free(w);
	return 0;
}

/* mc_rand - a random number below n, from the connection's seed */
static unsigned
mc_rand(struct mc_conn *c, unsigned n)
{
	return (unsigned)rand_r(&c->seed) % n;
}

/* mc_drop - close the socket without QUIT */
static void
mc_drop(struct mc_conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->drops++;
}

/* mc_chaos_partial - drop in the middle of a packet */
static void
mc_chaos_partial(struct mc_conn *c)
{
	static const char part[] = { 0, 0, 0, 40, SMFIC_RCPT, '<', 'x' };

	mc_write_all(c->fd, part, sizeof(part));
	mc_drop(c);
}

/* mc_chaos_rcpts - RCPT for n random recipients; stop early at "at" */
static int
mc_chaos_rcpts(struct mc_conn *c, int n, int at)
{
	char	 rcpt[512], buf[520];
	int	 ok = 0;

	for (int i = 0; i < n && i < at; i++) {
		unsigned long k = (unsigned long)rand_r(&c->seed) *
		    ((unsigned long)RAND_MAX + 1) +
		    (unsigned long)rand_r(&c->seed);

		snprintf(rcpt, sizeof(rcpt), opt.format,
		    (unsigned)(k % opt.range));
		mc_bracket(rcpt, buf, sizeof(buf));
		mc_macro(c, SMFIC_RCPT, "i", opt.qid, NULL, NULL);
		switch (mc_step(c, "rcpt", SMFIC_RCPT, buf, strlen(buf) + 1,
		    SMFIP_NR_RCPT)) {
		case SMFIR_CONTINUE: ok++; break;
		case SMFIR_ACCEPT: c->accepted++; break;
		default: c->refused++; break;
		}
	}
	return ok;
}

enum mc_fate { MC_COMPLETE, MC_ABORT, MC_QUIT, MC_DROP };

/* mc_chaos_fate - how a message ends: about half complete */
static enum mc_fate
mc_chaos_fate(struct mc_conn *c)
{
	unsigned r = mc_rand(c, 100);

	return r < 50 ? MC_COMPLETE : r < 70 ? MC_ABORT : r < 80 ? MC_QUIT :
	    MC_DROP;
}

/* mc_chaos_message - one message with a random fate; false: conn ended */
static bool
mc_chaos_message(struct mc_conn *c)
{
	int	 n = 1 + (int)mc_rand(c, 3), ok, at;
	enum mc_fate fate = mc_chaos_fate(c);
	char	 buf[600];
	long	 before;

	c->messages++;
	at = fate == MC_COMPLETE ? n : (int)mc_rand(c, (unsigned)n + 1);
	mc_bracket(opt.sender, buf, sizeof(buf));
	mc_macro(c, SMFIC_MAIL, "i", opt.qid, "{auth_authen}", opt.auth);
	if (mc_step(c, "mail", SMFIC_MAIL, buf, strlen(buf) + 1,
	    SMFIP_NR_MAIL) != SMFIR_CONTINUE) {
		c->accepted++;
		return true;
	}
	ok = mc_chaos_rcpts(c, n, at);
	switch (fate) {
	case MC_ABORT:
		c->aborts++;
		mc_send(c, SMFIC_ABORT, NULL, 0);
		return true;
	case MC_QUIT:
		c->quits++;
		mc_send(c, SMFIC_QUIT, NULL, 0);
		return false;
	case MC_DROP:
		if (at == n && mc_rand(c, 2) && ok > 0) {
			mc_macro(c, SMFIC_BODYEOB, "i", opt.qid, NULL, NULL);
			mc_send(c, SMFIC_BODYEOB, NULL, 0);	/* unread */
			mc_drop(c);
		} else if (mc_rand(c, 2))
			mc_chaos_partial(c);
		else
			mc_drop(c);
		return false;
	case MC_COMPLETE:
		break;
	}
	if (ok == 0) {
		mc_send(c, SMFIC_ABORT, NULL, 0);
		return true;
	}
	before = c->stamped;
	mc_content(c);
	if (c->stamped > before && ok > 1)
		c->tokens++;
	return true;
}

/* mc_chaos_conn - one connection of the chaos client */
static void
mc_chaos_conn(struct mc_conn *c)
{
	int	 nmsg = (int)mc_rand(c, 4);

	if (mc_rand(c, 20) == 0) {		/* before negotiation */
		c->fd = mc_dial(opt.socket);
		mc_drop(c);
		return;
	}
	mc_session(c);
	if (mc_rand(c, 20) == 0) {		/* after CONNECT */
		mc_drop(c);
		return;
	}
	for (int i = 0; i < nmsg; i++)
		if (!mc_chaos_message(c)) {
			if (c->fd >= 0)
				close(c->fd);
			return;
		}
	mc_send(c, SMFIC_QUIT, NULL, 0);
	close(c->fd);
}

static pthread_mutex_t mc_chaos_mtx = PTHREAD_MUTEX_INITIALIZER;
static long mc_chaos_left;

/* mc_chaos_main - one thread of the chaos client */
static void *
mc_chaos_main(void *arg)
{
	struct mc_worker *w = arg;
	bool	 more;

	w->c.quiet = true;
	for (;;) {
		pthread_mutex_lock(&mc_chaos_mtx);
		if ((more = mc_chaos_left > 0))
			mc_chaos_left--;
		pthread_mutex_unlock(&mc_chaos_mtx);
		if (!more)
			break;
		w->n++;
		mc_chaos_conn(&w->c);
	}
	return NULL;
}

/* mc_chaos - the chaos client */
static int
mc_chaos(void)
{
	struct mc_worker *w = calloc((size_t)opt.conns, sizeof(*w));
	struct mc_conn t = { .fd = -1 };
	long	 conns = 0;

	if (w == NULL)
		mc_die("out of memory");
	signal(SIGPIPE, SIG_IGN);	/* a write the milter refused: say so */
	mc_chaos_left = opt.chaos;
	for (int i = 0; i < opt.conns; i++) {
		w[i].c.seed = opt.seed + (unsigned)i * 7919;
		if (pthread_create(&w[i].t, NULL, mc_chaos_main, &w[i]) != 0)
			mc_die("pthread_create failed");
	}
	for (int i = 0; i < opt.conns; i++) {
		pthread_join(w[i].t, NULL);
		conns += w[i].n;
		t.messages += w[i].c.messages;
		t.stamped += w[i].c.stamped;
		t.tokens += w[i].c.tokens;
		t.refused += w[i].c.refused;
		t.aborts += w[i].c.aborts;
		t.quits += w[i].c.quits;
		t.drops += w[i].c.drops;
		t.accepted += w[i].c.accepted;
	}
	printf("chaos: connections=%ld messages=%ld stamped=%ld tokens=%ld "
	    "refused=%ld aborts=%ld quits=%ld drops=%ld passed=%ld\n", conns,
	    t.messages, t.stamped, t.tokens, t.refused, t.aborts, t.quits,
	    t.drops, t.accepted);
	free(w);
	return 0;
}

/* mc_usage - the synopsis */
static void __attribute__((noreturn))
mc_usage(void)
{
	fprintf(stderr, "usage: milter_client -s SOCKET [-C ADDR] [-H NAME] "
	    "[-L] [-D DAEMON] [-A LOGIN] [-q QID] [-T SEC] -f SENDER "
	    "[-r RCPT]...\n       milter_client -s SOCKET -n MESSAGES "
	    "[-p CONNECTIONS] -f SENDER -R FORMAT [-u RANGE]\n"
	    "       milter_client -s SOCKET -X CONNECTIONS [-p THREADS] "
	    "[-S SEED] -f SENDER -R FORMAT [-u RANGE]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct mc_conn c = { .fd = -1 };
	int	 ch;

	while ((ch = getopt(argc, argv, "A:C:D:f:H:Ln:p:q:r:R:s:S:T:u:X:")) != -1) {
		switch (ch) {
		case 'A': opt.auth = optarg; break;
		case 'C': opt.client_addr = optarg; break;
		case 'D': opt.daemon = optarg; break;
		case 'f': opt.sender = optarg; break;
		case 'H': opt.client_name = optarg; break;
		case 'L': opt.local = true; break;
		case 'n': opt.messages = atol(optarg); break;
		case 'p': opt.conns = atoi(optarg); break;
		case 'q': opt.qid = optarg; break;
		case 'r':
			if (opt.nrcpt == MC_MAX_RCPT)
				mc_die("too many recipients");
			opt.rcpt[opt.nrcpt++] = optarg;
			break;
		case 'R': opt.format = optarg; break;
		case 's': opt.socket = optarg; break;
		case 'S': opt.seed = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'T': opt.timeout = atoi(optarg); break;
		case 'u': opt.range = strtoul(optarg, NULL, 10); break;
		case 'X': opt.chaos = atol(optarg); break;
		default: mc_usage();
		}
	}
	if (opt.socket == NULL || opt.sender == NULL || opt.conns < 1 ||
	    opt.range == 0 || ((opt.messages > 0 || opt.chaos > 0) &&
	    opt.format == NULL))
		mc_usage();
	if (opt.chaos > 0) {
		if (opt.seed == 0)
			opt.seed = (unsigned)time(NULL);
		return mc_chaos();
	}
	if (opt.messages > 0)
		return mc_load();
	mc_session(&c);
	mc_message(&c, opt.rcpt, opt.nrcpt);
	mc_send(&c, SMFIC_QUIT, NULL, 0);
	close(c.fd);
	return 0;
}
