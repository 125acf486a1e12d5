/*++
 * NAME
 *	change_sock 3
 * SUMMARY
 *	the local socket between a host's pipes and its replication process
 * DESCRIPTION
 *	With replication on, a pipe does not join the replication group:
 *	it sends its changes to the milter of its host, the replication
 *	process, over the unix socket bounceguard.repl-socket in store_dir.
 *	Joining cost each delivery about 4 ms and a dozen log records
 *	that every site had to apply and acknowledge; the milter is
 *	joined already.
 *
 *	The milter creates the socket under umask 077 as the store's
 *	user, so only that user (which the pipe must run as) and root may
 *	connect; it also checks the peer's user (SO_PEERCRED). On each
 *	connection the milter first sends its role description, then
 *	answers each request in order. Every message is a 4-byte
 *	big-endian length and that many bytes.
 * DIAGNOSTICS
 *	Functions return -1 and describe the failure in the caller's
 *	buffer, naming the socket.
 *--*/
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "change.h"

#define CHANGE_SOCK_NAME	"bounceguard.repl-socket"

/* change_sock_path - the socket's path in a store directory */
int
change_sock_path(const char *store_dir, char *path, size_t size)
{
	struct sockaddr_un sun;

	if ((size_t)snprintf(path, size, "%s/%s", store_dir,
	    CHANGE_SOCK_NAME) >= size || strlen(path) >= sizeof(sun.sun_path))
		return -1;
	return 0;
}

/* change_sock_addr - a unix socket address; -1 if the path is too long */
static int
change_sock_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	return bg_strlcpy(sun->sun_path, path, sizeof(sun->sun_path)) >=
	    sizeof(sun->sun_path) ? -1 : 0;
}

/* change_sock_timeout - bound every read and write on a socket */
void
change_sock_timeout(int fd, long long seconds)
{
	struct timeval tv = { (time_t)seconds, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* change_sock_socket - a unix stream socket and the path's address */
static int
change_sock_socket(const char *path, struct sockaddr_un *sun, struct buf *err)
{
	int	 fd;

	if (change_sock_addr(path, sun) < 0) {
		buf_printf(err, "%s: path too long for a socket", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		buf_printf(err, "socket: %s", strerror(errno));
	return fd;
}

/* change_sock_connect - a pipe's connection to its replication process */
int
change_sock_connect(const char *path, long long timeout, struct buf *err)
{
	struct sockaddr_un sun;
	int	 fd;

	if ((fd = change_sock_socket(path, &sun, err)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int	 saved = errno;

		buf_printf(err, "connect %s: %s", path, strerror(errno));
		close(fd);
		errno = saved;		/* the caller tells EACCES apart */
		return -1;
	}
	change_sock_timeout(fd, timeout);
	return fd;
}

/* change_sock_listen - the replication process's socket, made anew */
int
change_sock_listen(const char *path, struct buf *err)
{
	struct sockaddr_un sun;
	mode_t	 old;
	int	 fd, rc;

	if ((fd = change_sock_socket(path, &sun, err)) < 0)
		return -1;
	/* Only one replication process runs per store (it holds
	   bounceguard.repl): a socket left here is a dead one's. */
	(void)unlink(path);
	old = umask(077);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc < 0 || listen(fd, 128) < 0) {
		buf_printf(err, "%s %s: %s", rc < 0 ? "bind" : "listen", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* change_sock_io - read or write exactly n bytes */
static int
change_sock_io(int fd, void *p, size_t n, bool writing)
{
	char	*c = p;

	while (n > 0) {
		ssize_t	 k = writing ? send(fd, c, n, MSG_NOSIGNAL) :
		    read(fd, c, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k == 0)
			errno = writing ? EPIPE : ECONNRESET;
		if (k <= 0)
			return -1;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

/* change_sock_send - one message */
int
change_sock_send(int fd, const void *p, size_t len)
{
	unsigned char hdr[4];

	hdr[0] = (unsigned char)(len >> 24);
	hdr[1] = (unsigned char)(len >> 16);
	hdr[2] = (unsigned char)(len >> 8);
	hdr[3] = (unsigned char)len;
	if (len > UINT32_MAX)
		return -1;
	return change_sock_io(fd, hdr, 4, true) < 0 ||
	    change_sock_io(fd, (void *)(uintptr_t)p, len, true) < 0 ? -1 : 0;
}

/* change_sock_recv - one message of at most max bytes, into b */
int
change_sock_recv(int fd, struct buf *b, size_t max)
{
	unsigned char hdr[4];
	size_t	 len;

	buf_reset(b);
	if (change_sock_io(fd, hdr, 4, false) < 0)
		return -1;
	len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
	    (size_t)hdr[2] << 8 | hdr[3];
	if (len > max) {
		errno = EMSGSIZE;
		return -1;
	}
	buf_reserve(b, len);
	if (change_sock_io(fd, b->data, len, false) < 0)
		return -1;
	b->len = len;
	b->data[len] = '\0';
	return 0;
}
