/*++
 * NAME
 *	store_repl_chan 3
 * SUMMARY
 *	signed requests between sites over Berkeley DB message channels
 * DESCRIPTION
 *	Berkeley DB accepts message-channel connections from any address,
 *	so every request carries an HMAC-SHA256 of its contents under
 *	repl_secret_file, checked before it is served.
 *	store_repl_chan_request() sends one to a site (an environment id,
 *	or DB_EID_MASTER) and returns the answer: a 4-byte status, then
 *	text.
 *
 *	store_repl_chan_nodelay() sets TCP_NODELAY on this process's
 *	replication sockets. Berkeley DB 5.3 writes a log record and its
 *	commit as two small messages and does not set it: Nagle's
 *	algorithm held the second until the peer acknowledged the first,
 *	which the peer's delayed ACK postponed by 40 ms or more, so every
 *	commit waiting for a quorum took about 44 ms on loopback; a
 *	client's two acknowledgements in a row, and a forwarded request
 *	after its handshake, were held the same way. Berkeley DB gives no
 *	hook on its sockets, so each process sets the option on its own
 *	descriptors whenever it makes a connection (setting it twice is
 *	harmless), and the replication process on its listening socket
 *	once started: accepted connections inherit it (Linux), including
 *	those of subordinate processes, for which Berkeley DB raises no
 *	event.
 * DIAGNOSTICS
 *	store_repl_chan_request() returns Berkeley DB's code.
 *--*/
#include <dirent.h>
#include <glib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "libbase.h"
#include "store_repl_int.h"

/* store_repl_now_ms - a monotonic clock in milliseconds */
long long
store_repl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* store_repl_chan_mac - HMAC-SHA256 of a request under the shared secret */
void
store_repl_chan_mac(const struct store_repl *r, const void *data, size_t len,
    unsigned char out[REPL_MAC_LEN])
{
	GHmac	*h = g_hmac_new(G_CHECKSUM_SHA256,
	    (const guchar *)r->secret, r->secret_len);
	gsize	 n = REPL_MAC_LEN;

	g_hmac_update(h, (const guchar *)"bounceguard-repl\n", 17);
	g_hmac_update(h, data, (gssize)len);
	g_hmac_get_digest(h, out, &n);
	g_hmac_unref(h);
}

/* store_repl_chan_mac_ok - the signature is right (constant time) */
bool
store_repl_chan_mac_ok(const struct store_repl *r, const void *data,
    size_t len, const unsigned char *mac)
{
	unsigned char want[REPL_MAC_LEN], d = 0;

	store_repl_chan_mac(r, data, len, want);
	for (size_t i = 0; i < REPL_MAC_LEN; i++)
		d |= want[i] ^ mac[i];
	return d == 0;
}

/* store_repl_chan_respond - the answer: a 4-byte status, then the text */
void
store_repl_chan_respond(DB_CHANNEL *ch, int status, const struct buf *body)
{
	struct buf msg = BUF_INIT;
	unsigned char hdr[4];
	DBT	 d;

	hdr[0] = (unsigned char)((unsigned)status >> 24);
	hdr[1] = (unsigned char)((unsigned)status >> 16);
	hdr[2] = (unsigned char)((unsigned)status >> 8);
	hdr[3] = (unsigned char)status;
	buf_add(&msg, hdr, sizeof(hdr));
	buf_add(&msg, body->data, body->len);
	memset(&d, 0, sizeof(d));
	d.data = msg.data;
	d.size = (u_int32_t)msg.len;
	(void)ch->send_msg(ch, &d, 1, 0);
	buf_free(&msg);
}

/* store_repl_chan_request - a signed request to a site, and its answer */
int
store_repl_chan_request(DB_ENV *env, const struct store_repl_state *rs,
    const struct store_repl *r, int eid, const void *req, size_t len,
    long long timeout_ms, int *status, struct buf *answer)
{
	unsigned char mac[REPL_MAC_LEN], *p;
	DB_CHANNEL *ch;
	DBT	 d[2], resp;
	int	 rc;

	if ((rc = env->repmgr_channel(env, eid, &ch, 0)) != 0)
		return rc;
	/* The channel's connection is made now, and no event tells. */
	store_repl_chan_nodelay(rs);
	store_repl_chan_mac(r, req, len, mac);
	memset(d, 0, sizeof(d));
	d[0].data = mac;
	d[0].size = REPL_MAC_LEN;
	d[1].data = (void *)(uintptr_t)req;
	d[1].size = (u_int32_t)len;
	memset(&resp, 0, sizeof(resp));
	resp.flags = DB_DBT_MALLOC;
	rc = ch->send_request(ch, d, 2, &resp, (db_timeout_t)(timeout_ms *
	    1000), 0);
	ch->close(ch, 0);
	if (rc == 0 && (resp.size < 4 || resp.data == NULL))
		rc = DB_REP_UNAVAIL;
	if (rc == 0) {
		p = resp.data;
		*status = (int)((unsigned)p[0] << 24 | (unsigned)p[1] << 16 |
		    (unsigned)p[2] << 8 | p[3]);
		buf_add(answer, (char *)p + 4, resp.size - 4);
	}
	free(resp.data);
	return rc;
}

/* repl_sock_port - the port of a TCP socket's address, 0 if none */
static unsigned
repl_sock_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->
		    sin6_port);
	return 0;
}

/* repl_is_repl_sock - a TCP socket of the replication group: this
   site's listener, a connection it accepted, or one made to a peer */
static bool
repl_is_repl_sock(const struct store_repl_state *rs, int fd)
{
	struct sockaddr_storage here, there;
	socklen_t hl = sizeof(here), tl = sizeof(there);
	unsigned lport;

	if (getsockname(fd, (struct sockaddr *)&here, &hl) < 0 ||
	    (lport = repl_sock_port(&here)) == 0 || rs->nsites == 0)
		return false;
	if (lport == rs->sites[0].port)
		return true;		/* the listener, or accepted by it */
	if (getpeername(fd, (struct sockaddr *)&there, &tl) < 0)
		return false;
	for (size_t i = 1; i < rs->nsites; i++)
		if (repl_sock_port(&there) == rs->sites[i].port)
			return true;	/* made to a peer */
	return false;
}

/* store_repl_chan_nodelay - TCP_NODELAY on the group's connections */
void
store_repl_chan_nodelay(const struct store_repl_state *rs)
{
	struct dirent *de;
	DIR	*d = opendir("/proc/self/fd");
	int	 one = 1, fd;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if ((fd = atoi(de->d_name)) <= 2 || fd == dirfd(d))
			continue;
		if (repl_is_repl_sock(rs, fd))
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
	}
	closedir(d);
}
