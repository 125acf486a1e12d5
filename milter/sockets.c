/*++
 * NAME
 *	sockets 3
 * SUMMARY
 *	listening sockets and the pid file, made safely by root
 * DESCRIPTION
 *	Socket names follow libmilter: unix:/PATH (or local:/PATH),
 *	inet:PORT@ADDRESS and inet6:PORT@ADDRESS. An inet socket without an
 *	address listens on the loopback address only (127.0.0.1, ::1):
 *	listening on every interface must be asked for by name
 *	(inet:PORT@0.0.0.0). sockets_spec() rewrites a socket name so
 *	(for libmilter, and for the log); sockets_listen() opens the lookup
 *	socket (libmilter opens the milter socket).
 *
 *	Root creates these files, so a directory that anybody else can
 *	change would let that user plant a symbolic link and have root
 *	change or truncate any file (the bounceguard user owning a
 *	directory in Postfix's chroot, say). sockets_check_dir() refuses a
 *	directory that is not owned by root (or by the running user), that
 *	is group- or world-writable, or that lies under such a directory
 *	(a world-writable one with the sticky bit, such as /tmp, may be
 *	above it). Within a checked directory, names are used relative to
 *	its descriptor and never followed: sockets_set_owner() gives a unix
 *	socket its mode and group with fchownat()/fchmodat() after checking
 *	that the name is a socket, and sockets_pidfile() opens the pid file
 *	with O_NOFOLLOW, without O_TRUNC, and writes it only when it is a
 *	plain file of ours with one link. Sockets are created under umask
 *	077, so that no client can connect before the mode is set.
 * DIAGNOSTICS
 *	Errors name the socket, file or directory and the failing call.
 *--*/
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
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

/* sockets_spec - a socket name; an inet one without address: loopback */
int
sockets_spec(const char *spec, char *out, size_t size)
{
	size_t	 n;

	if ((strncmp(spec, "inet:", 5) == 0 || strncmp(spec, "inet6:", 6) ==
	    0) && strchr(spec, '@') == NULL)
		n = (size_t)snprintf(out, size, "%s@%s", spec, spec[4] == '6' ?
		    "::1" : "127.0.0.1");
	else
		n = bg_strlcpy(out, spec, size);
	return n >= size ? -1 : 0;
}

/* sockets_trusted - only root (or we) can change a directory */
static bool
sockets_trusted(const struct stat *sb, bool leaf)
{
	if (sb->st_uid != 0 && sb->st_uid != geteuid())
		return false;
	if ((sb->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return true;
	/* Above it, a sticky directory keeps others off our entries. */
	return !leaf && (sb->st_mode & S_ISVTX) != 0;
}

/* sockets_untrusted - say which directory others can change */
static void
sockets_untrusted(int fd, const char *path, const char *dir,
    const struct stat *sb, bool leaf, char *err, size_t el)
{
	char	 link[64], name[PATH_MAX];
	ssize_t	 n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if (leaf || (n = readlink(link, name, sizeof(name) - 1)) < 0)
		bg_strlcpy(name, leaf ? dir : "a directory above it",
		    sizeof(name));
	else
		name[n] = '\0';
	snprintf(err, el, "%s: directory %s is owned by uid %u, mode %04o: "
	    "only root may be able to change a directory where root creates "
	    "files (a symbolic link planted there could make root change "
	    "any file)", path, name, (unsigned)sb->st_uid,
	    (unsigned)(sb->st_mode & 07777));
}

/* sockets_dir_trusted - the directory open on dfd, and those above it */
static int
sockets_dir_trusted(int dfd, const char *path, const char *dir, char *err,
    size_t el)
{
	struct stat sb, root;
	int	 fd = dfd, up, rc = -1;
	bool	 leaf = true;

	if (stat("/", &root) < 0) {
		snprintf(err, el, "/: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		if (fstat(fd, &sb) < 0) {
			snprintf(err, el, "%s: fstat: %s", dir, strerror(errno));
			break;
		}
		if (!sockets_trusted(&sb, leaf)) {
			sockets_untrusted(fd, path, dir, &sb, leaf, err, el);
			break;
		}
		if (sb.st_dev == root.st_dev && sb.st_ino == root.st_ino) {
			rc = 0;
			break;
		}
		if ((up = openat(fd, "..", O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) < 0) {
			snprintf(err, el, "%s: ..: %s", dir, strerror(errno));
			break;
		}
		if (fd != dfd)
			close(fd);
		fd = up;
		leaf = false;
	}
	if (fd != dfd)
		close(fd);
	return rc;
}

/* sockets_open_dir - the checked directory of a path, and the last name */
static int
sockets_open_dir(const char *path, char *name, size_t nsize, char *err,
    size_t el)
{
	char	 dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int	 dfd;

	if (slash == NULL || slash[1] == '\0' ||
	    (size_t)(slash - path) >= sizeof(dir) ||
	    bg_strlcpy(name, slash + 1, nsize) >= nsize) {
		snprintf(err, el, "%s: expected an absolute path to a file",
		    path);
		return -1;
	}
	if (slash == path)
		bg_strlcpy(dir, "/", sizeof(dir));
	else {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, el, "%s: directory %s: %s", path, dir,
		    strerror(errno));
		return -1;
	}
	if (sockets_dir_trusted(dfd, path, dir, err, el) < 0) {
		close(dfd);
		return -1;
	}
	return dfd;
}

/* sockets_check_dir - the directory of a path is one only root changes */
int
sockets_check_dir(const char *path, char *err, size_t el)
{
	char	 name[NAME_MAX + 1];
	int	 dfd;

	if ((dfd = sockets_open_dir(path, name, sizeof(name), err, el)) < 0)
		return -1;
	close(dfd);
	return 0;
}

/* sockets_chmod - the mode of a name just seen to be a socket */
static int
sockets_chmod(int dfd, const char *name, mode_t mode)
{
	if (fchmodat(dfd, name, mode, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOTSUP)
		return -1;
	/* No fchmodat(AT_SYMLINK_NOFOLLOW) (/proc missing): the name was a
	   socket, and nobody but root can change the directory. */
	return fchmodat(dfd, name, mode, 0);
}

/* sockets_set_owner - mode and group of a unix socket, links not followed */
int
sockets_set_owner(const char *path, long long mode, const char *group,
    char *err, size_t el)
{
	char	 name[NAME_MAX + 1];
	struct group *gr = NULL;
	struct stat sb;
	int	 dfd, rc = -1;

	if (group != NULL && group[0] != '\0' && (gr = getgrnam(group)) ==
	    NULL) {
		snprintf(err, el, "%s: unknown group \"%s\"", path, group);
		return -1;
	}
	if ((dfd = sockets_open_dir(path, name, sizeof(name), err, el)) < 0)
		return -1;
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		snprintf(err, el, "%s: %s", path, strerror(errno));
	else if (!S_ISSOCK(sb.st_mode))
		snprintf(err, el, "%s: not a socket", path);
	else if (gr != NULL && fchownat(dfd, name, (uid_t)-1, gr->gr_gid,
	    AT_SYMLINK_NOFOLLOW) < 0)
		snprintf(err, el, "%s: chown to group %s: %s", path, group,
		    strerror(errno));
	else if (sockets_chmod(dfd, name, (mode_t)mode) < 0)
		snprintf(err, el, "%s: chmod %04llo: %s", path, mode,
		    strerror(errno));
	else
		rc = 0;
	close(dfd);
	return rc;
}

/* sockets_pidfile - write a pid file without following a link */
int
sockets_pidfile(const char *path, pid_t pid, char *err, size_t el)
{
	char	 name[NAME_MAX + 1], text[32];
	struct stat sb;
	int	 dfd, fd, n;

	if ((dfd = sockets_open_dir(path, name, sizeof(name), err, el)) < 0)
		return -1;
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0644);
	close(dfd);
	if (fd < 0) {
		snprintf(err, el, "%s: %s", path, errno == ELOOP ?
		    "is a symbolic link" : strerror(errno));
		return -1;
	}
	n = snprintf(text, sizeof(text), "%ld\n", (long)pid);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_nlink != 1 ||
	    sb.st_uid != geteuid())
		snprintf(err, el, "%s: not a plain file of ours with one link",
		    path);
	else if (ftruncate(fd, 0) < 0 || write(fd, text, (size_t)n) != n)
		snprintf(err, el, "%s: %s", path, strerror(errno));
	else
		return close(fd);
	close(fd);
	return -1;
}

/* sockets_unix - bind a unix socket, replacing a stale one */
static int
sockets_unix(const char *path, char *err, size_t el)
{
	struct sockaddr_un sun;
	char	 name[NAME_MAX + 1];
	struct stat sb;
	int	 dfd, fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (bg_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		snprintf(err, el, "%s: socket path too long", path);
		return -1;
	}
	if ((dfd = sockets_open_dir(path, name, sizeof(name), err, el)) < 0)
		return -1;
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISSOCK(sb.st_mode))
		(void)unlinkat(dfd, name, 0);
	close(dfd);
	/* bind() does not follow a link in the last name: it fails. */
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

/* sockets_inet - bind inet:PORT[@ADDR] or inet6:PORT[@ADDR] */
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
		s6->sin6_addr = in6addr_loopback;
		if (at && inet_pton(AF_INET6, at + 1, &s6->sin6_addr) != 1)
			goto bad;
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
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
	if (fd >= 0 && listen(fd, SOMAXCONN) < 0) {
		snprintf(err, el, "%s: listen: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
