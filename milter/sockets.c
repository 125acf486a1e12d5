/*++
 * NAME
 *	sockets 3
 * SUMMARY
 *	listening sockets, their mode and group
 * DESCRIPTION
 *	Socket names follow libmilter: unix:/PATH (or local:/PATH),
 *	inet:PORT@ADDRESS and inet6:PORT@ADDRESS. sockets_listen() opens
 *	one for the lookup server (libmilter opens the milter socket);
 *	sockets_set_owner() gives a unix socket the configured mode and
 *	group. Sockets are created under umask 077, so that no client can
 *	connect before the mode is set.
 * DIAGNOSTICS
 *	Errors name the socket and the failing system call.
 *--*/
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "libbase.h"
#include "milter.h"

/* sockets_unix_path - the path of a unix: or local: socket, else -1 */
int
sockets_unix_path(const char *spec, char *path, size_t size)
{
	const char *p;

	if (strncmp(spec, "unix:", 5) == 0)
		p = spec + 5;
	else if (strncmp(spec, "local:", 6) == 0)
		p = spec + 6;
	else
		return -1;
	return bg_strlcpy(path, p, size) >= size ? -1 : 0;
}

/* sockets_set_owner - mode and group of a unix socket */
int
sockets_set_owner(const char *path, long long mode, const char *group,
    char *err, size_t el)
{
	struct group *gr;

	if (group != NULL && group[0] != '\0') {
		if ((gr = getgrnam(group)) == NULL) {
			snprintf(err, el, "%s: unknown group \"%s\"", path,
			    group);
			return -1;
		}
		if (chown(path, (uid_t)-1, gr->gr_gid) < 0) {
			snprintf(err, el, "%s: chown to group %s: %s", path,
			    group, strerror(errno));
			return -1;
		}
	}
	if (chmod(path, (mode_t)mode) < 0) {
		snprintf(err, el, "%s: chmod %04llo: %s", path, mode,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* sockets_unix - bind a unix socket, replacing a stale one */
static int
sockets_unix(const char *path, char *err, size_t el)
{
	struct sockaddr_un sun;
	struct stat sb;
	int	 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (bg_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		snprintf(err, el, "%s: socket path too long", path);
		return -1;
	}
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(err, el, "%s: %s: %s", path, fd < 0 ? "socket" :
		    "bind", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* sockets_inet - bind inet:PORT@ADDR or inet6:PORT@ADDR */
static int
sockets_inet(const char *spec, char *err, size_t el)
{
	struct sockaddr_storage ss;
	const char *rest = strchr(spec, ':') + 1, *at = strchr(rest, '@');
	bool	 v6 = strncmp(spec, "inet6:", 6) == 0;
	int	 fd, one = 1, port = atoi(rest);
	socklen_t len;

	memset(&ss, 0, sizeof(ss));
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (at && inet_pton(AF_INET6, at + 1, &s6->sin6_addr) != 1)
			goto bad;
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (at && inet_pton(AF_INET, at + 1, &s4->sin_addr) != 1)
			goto bad;
		len = sizeof(*s4);
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0) {
		snprintf(err, el, "%s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
bad:
	snprintf(err, el, "%s: the address must be numeric", spec);
	return -1;
}

/* sockets_listen - a listening socket for a socket name */
int
sockets_listen(const char *spec, char *err, size_t el)
{
	char	 path[256];
	mode_t	 old;
	int	 fd;

	old = umask(077);
	if (sockets_unix_path(spec, path, sizeof(path)) == 0)
		fd = sockets_unix(path, err, el);
	else if (strncmp(spec, "inet:", 5) == 0 ||
	    strncmp(spec, "inet6:", 6) == 0)
		fd = sockets_inet(spec, err, el);
	else {
		snprintf(err, el, "%s: unknown socket type", spec);
		fd = -1;
	}
	umask(old);
	if (fd >= 0 && listen(fd, 128) < 0) {
		snprintf(err, el, "%s: listen: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
