/*++
 * NAME
 *	syslog_sink 1
 * SUMMARY
 *	a minimal syslog receiver for the integration tests
 * DESCRIPTION
 *	syslog_sink SOCKET FILE [HOST]
 *
 *	Binds a unix datagram socket at SOCKET (mode 0666, as /dev/log
 *	is) and appends every datagram it receives to FILE as one line:
 *	the "<priority>" prefix that syslog(3) sends is removed, HOST (if
 *	given) inserted after the time stamp, and a newline added, so that
 *	FILE reads like /var/log/mail.log. Each
 *	line is one write(2) on a descriptor opened with O_APPEND, so that
 *	it can share FILE with Postfix's postlogd. The tests run it inside
 *	a private mount namespace whose /dev/log is SOCKET, because the
 *	test machines have no syslog daemon. It runs until killed, and
 *	removes SOCKET on SIGTERM.
 * DIAGNOSTICS
 *	Exit status 1 with a message on stderr when SOCKET cannot be bound
 *	or FILE cannot be opened or written.
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t ss_stop;

/* ss_on_term - stop at the next datagram or interruption */
static void
ss_on_term(int sig)
{
	(void)sig;
	ss_stop = 1;
}

/* ss_bind - the datagram socket at PATH, or -1 */
static int
ss_bind(const char *path)
{
	struct sockaddr_un sun;
	int	 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "syslog_sink: %s: path too long\n", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(path, 0666) < 0) {
		perror(path);
		return -1;
	}
	return fd;
}

/* ss_line - one received datagram as a log line in OUT, its length */
static size_t
ss_line(const char *buf, size_t len, const char *host, char *out,
    size_t outsize)
{
	size_t	 skip = 0, n = 0, stamp = 16, hl = host ? strlen(host) : 0;

	if (len > 0 && buf[0] == '<') {
		while (skip < len && skip < 5 && buf[skip] != '>')
			skip++;
		skip = skip < len && buf[skip] == '>' ? skip + 1 : 0;
	}
	while (len > skip && (buf[len - 1] == '\n' || buf[len - 1] == '\0'))
		len--;
	buf += skip;
	len -= skip;
	if (hl > 0 && len > stamp && buf[stamp - 1] == ' ' &&
	    stamp + hl + 1 < outsize) {	/* "Mmm dd hh:mm:ss " */
		memcpy(out, buf, stamp);
		memcpy(out + stamp, host, hl);
		out[stamp + hl] = ' ';
		n = stamp + hl + 1;
		buf += stamp;
		len -= stamp;
	}
	if (len > outsize - 1 - n)
		len = outsize - 1 - n;
	memcpy(out + n, buf, len);
	n += len;
	out[n++] = '\n';
	return n;
}

int
main(int argc, char **argv)
{
	char	 buf[8192], line[8192 + 300];
	struct sigaction sa;
	ssize_t	 got;
	size_t	 n;
	int	 fd, out;

	if (argc != 3 && !(argc == 4 && strlen(argv[3]) < 256)) {
		fprintf(stderr, "usage: syslog_sink SOCKET FILE [HOST]\n");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ss_on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if ((out = open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0) {
		perror(argv[2]);
		return 1;
	}
	if ((fd = ss_bind(argv[1])) < 0)
		return 1;
	while (!ss_stop) {
		if ((got = recv(fd, buf, sizeof(buf), 0)) < 0) {
			if (errno == EINTR)
				continue;
			perror("recv");
			return 1;
		}
		n = ss_line(buf, (size_t)got, argc == 4 ? argv[3] : NULL, line,
		    sizeof(line));
		if (write(out, line, n) != (ssize_t)n) {
			perror(argv[2]);
			return 1;
		}
	}
	unlink(argv[1]);
	return 0;
}
