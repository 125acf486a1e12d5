/*++
 * NAME
 *	milter_floor 1
 * SUMMARY
 *	the least a stamping milter can cost Postfix
 * DESCRIPTION
 *	milter_floor [-a] SOCKET
 *
 *	A milter that decides nothing, for bench/milter.sh: one thread, one
 *	poll() loop, no store, no libmilter, listening on the unix socket
 *	SOCKET (mode 0666). It negotiates the protocol steps and macro
 *	lists bounceguard-milter negotiates (no HELO, DATA, headers or body;
 *	no reply to CONNECT and MAIL), answers every RCPT with "continue",
 *	and at the end of each message makes the two changes
 *	bounceguard-milter makes to a stamped message: a new envelope sender
 *	and one added header.
 *
 *	What Postfix loses with this milter is what Postfix itself spends
 *	on the milter conversation and on rewriting the queue file; no
 *	milter can do better. With -a it accepts every connection at
 *	CONNECT instead: the cost of merely having a milter configured.
 * DIAGNOSTICS
 *	Exits 1 with a message when it cannot listen. A connection that
 *	sends a malformed or oversized packet is dropped.
 *--*/
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "../milter/negotiate.h"

#define FLOOR_MAX_CONN	1024
#define FLOOR_MAX_PKT	65536	/* we skip bodies: commands are small */

struct floor_conn {
	int	 fd;
	size_t	 len;
	unsigned char buf[FLOOR_MAX_PKT + 5];
};

static struct floor_conn *floor_conns[FLOOR_MAX_CONN];
static bool floor_accept_all;

/* The stamp is a constant: the MTA's work does not depend on it. */
static const char floor_sender[] =
    "b-abcdefabcdefabcd-rcpt=example.net@bounces.example.com";
static const char floor_hname[] = "X-Bounceguard-Sender";
static const char floor_hvalue[] = "news@example.com";

/* floor_send - write one milter packet; false when the MTA is gone */
static bool
floor_send(int fd, int cmd, const void *data, size_t len)
{
	unsigned char pkt[512];
	uint32_t n = htonl((uint32_t)len + 1);

	if (len + 5 > sizeof(pkt))
		return false;
	memcpy(pkt, &n, 4);
	pkt[4] = (unsigned char)cmd;
	if (len > 0)
		memcpy(pkt + 5, data, len);
	return write(fd, pkt, len + 5) == (ssize_t)(len + 5);
}

/* floor_symlist - append one stage's macro list to an OPTNEG reply */
static size_t
floor_symlist(unsigned char *p, uint32_t stage, const char *list)
{
	uint32_t n = htonl(stage);
	size_t	 l = strlen(list) + 1;

	memcpy(p, &n, 4);
	memcpy(p + 4, list, l);
	return 4 + l;
}

/* floor_optneg - our steps, actions and macros, as bounceguard-milter */
static bool
floor_optneg(int fd, const unsigned char *data, size_t len)
{
	uint32_t mta[3], ours[3];
	unsigned char reply[256];
	size_t	 n = sizeof(ours);
	uint32_t steps = NEGOTIATE_STEPS;

	if (len < sizeof(mta))
		return false;
	memcpy(mta, data, sizeof(mta));
	if (floor_accept_all)
		steps &= ~(uint32_t)(SMFIP_NR_CONN | SMFIP_NR_MAIL);
	ours[0] = htonl(SMFI_PROT_VERSION);
	ours[1] = htonl(ntohl(mta[1]) & NEGOTIATE_ACTIONS);
	ours[2] = htonl(ntohl(mta[2]) & steps);
	memcpy(reply, ours, sizeof(ours));
	if (ntohl(mta[1]) & SMFIF_SETSYMLIST) {
#define FLOOR_SYMLIST(stage, list) \
		n += floor_symlist(reply + n, (stage), (list));
		NEGOTIATE_MACROS(FLOOR_SYMLIST)
#undef FLOOR_SYMLIST
	}
	return floor_send(fd, SMFIC_OPTNEG, reply, n);
}

/* floor_eom - the two changes of a stamped message, then continue */
static bool
floor_eom(int fd)
{
	unsigned char h[sizeof(floor_hname) + sizeof(floor_hvalue)];

	memcpy(h, floor_hname, sizeof(floor_hname));
	memcpy(h + sizeof(floor_hname), floor_hvalue, sizeof(floor_hvalue));
	return floor_send(fd, SMFIR_CHGFROM, floor_sender,
	    sizeof(floor_sender)) &&
	    floor_send(fd, SMFIR_ADDHEADER, h, sizeof(h)) &&
	    floor_send(fd, SMFIR_CONTINUE, NULL, 0);
}

/* floor_command - answer one command; false ends the connection */
static bool
floor_command(int fd, int cmd, const unsigned char *data, size_t len)
{
	switch (cmd) {
	case SMFIC_OPTNEG:
		return floor_optneg(fd, data, len);
	case SMFIC_CONNECT:
		return !floor_accept_all || floor_send(fd, SMFIR_ACCEPT, NULL, 0);
	case SMFIC_RCPT:
		return floor_send(fd, SMFIR_CONTINUE, NULL, 0);
	case SMFIC_BODYEOB:
		return floor_eom(fd);
	case SMFIC_QUIT:
		return false;
	default:		/* macros, MAIL, abort: no reply */
		return true;
	}
}

/* floor_drain - answer every whole packet in a connection's buffer */
static bool
floor_drain(struct floor_conn *c)
{
	uint32_t n;
	size_t	 used = 0;

	while (c->len - used >= 5) {
		memcpy(&n, c->buf + used, 4);
		n = ntohl(n);
		if (n == 0 || n > FLOOR_MAX_PKT)
			return false;
		if (c->len - used < 4 + (size_t)n)
			break;
		if (!floor_command(c->fd, c->buf[used + 4], c->buf + used + 5,
		    n - 1))
			return false;
		used += 4 + n;
	}
	memmove(c->buf, c->buf + used, c->len - used);
	c->len -= used;
	return true;
}

/* floor_read - read what the MTA sent; false ends the connection */
static bool
floor_read(struct floor_conn *c)
{
	ssize_t	 r;

	r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (r <= 0)
		return r < 0 && errno == EINTR;
	c->len += (size_t)r;
	return floor_drain(c);
}

/* floor_listen - the listening socket, or exit */
static int
floor_listen(const char *path)
{
	struct sockaddr_un sun;
	int	 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "milter_floor: %s: path too long\n", path);
		exit(1);
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(fd, 128) < 0 || chmod(path, 0666) < 0) {
		fprintf(stderr, "milter_floor: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

/* floor_accept - take a new MTA connection, or refuse it when full */
static void
floor_accept(int lfd)
{
	int	 fd, i;

	if ((fd = accept(lfd, NULL, NULL)) < 0)
		return;
	for (i = 0; i < FLOOR_MAX_CONN; i++) {
		if (floor_conns[i] == NULL &&
		    (floor_conns[i] = calloc(1, sizeof(**floor_conns))) != NULL) {
			floor_conns[i]->fd = fd;
			return;
		}
	}
	(void)close(fd);
}

/* floor_close - forget connection i */
static void
floor_close(int i)
{
	(void)close(floor_conns[i]->fd);
	free(floor_conns[i]);
	floor_conns[i] = NULL;
}

/* floor_loop - serve MTA connections until killed */
static void
floor_loop(int lfd)
{
	struct pollfd pfd[FLOOR_MAX_CONN + 1];
	int	 slot[FLOOR_MAX_CONN + 1];
	int	 i, n;

	for (;;) {
		n = 0;
		pfd[n].fd = lfd;
		pfd[n++].events = POLLIN;
		for (i = 0; i < FLOOR_MAX_CONN; i++) {
			if (floor_conns[i] == NULL)
				continue;
			slot[n] = i;
			pfd[n].fd = floor_conns[i]->fd;
			pfd[n++].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)n, -1) < 0)
			continue;
		if (pfd[0].revents & POLLIN)
			floor_accept(lfd);
		for (i = 1; i < n; i++)
			if (pfd[i].revents && !floor_read(floor_conns[slot[i]]))
				floor_close(slot[i]);
	}
}

int
main(int argc, char **argv)
{
	int	 ch;

	while ((ch = getopt(argc, argv, "a")) != -1) {
		if (ch != 'a') {
			fprintf(stderr, "usage: milter_floor [-a] SOCKET\n");
			return 2;
		}
		floor_accept_all = true;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: milter_floor [-a] SOCKET\n");
		return 2;
	}
	/* An MTA that gave up on us must not kill us with its socket. */
	(void)signal(SIGPIPE, SIG_IGN);
	floor_loop(floor_listen(argv[optind]));
	return 0;
}
