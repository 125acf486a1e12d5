/*++
 * NAME
 *	lookup_client 1
 * SUMMARY
 *	a client for bounceguard-milter's lookup socket
 * DESCRIPTION
 *	lookup_client -s SOCKET [-k]
 *	lookup_client -s SOCKET -p CLIENTS -n REQUESTS -R FORMAT [-u RANGE]
 *	    [-m TABLE]
 *
 *	The first form sends standard input to the socket, shuts its side
 *	down (as Exim's ${readsocket} does; -k keeps it open and waits for
 *	the server to hang up, to test its timeout) and copies the answer
 *	to standard output until the server closes; it then prints on
 *	standard error how long the connection lasted.
 *
 *	The second form runs CLIENTS connections at once, each sending its
 *	share of REQUESTS "check ADDRESS" lines (ADDRESS from FORMAT with a
 *	random number below RANGE for %u) and reading each answer before
 *	the next request; it checks that every answer is a whole line
 *	beginning with "ok" or "suppressed", and prints the rate. With -m
 *	it asks the socketmap TABLE instead ("LEN:TABLE KEY," netstrings,
 *	as Postfix does) and checks that every answer is a netstring
 *	beginning with "OK " or "NOTFOUND ".
 * DIAGNOSTICS
 *	Exit status 0, or 1 when the socket cannot be reached or an answer
 *	is wrong.
 *--*/
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *lc_socket, *lc_format, *lc_table;
static unsigned long lc_range = 1000000;
static long lc_requests;
static int lc_clients = 4;
static int lc_bad;
static pthread_mutex_t lc_mtx = PTHREAD_MUTEX_INITIALIZER;

/* lc_dial - connect to unix:/PATH (or a plain path) */
static int
lc_dial(void)
{
	struct sockaddr_un sun;
	const char *p = strncmp(lc_socket, "unix:", 5) == 0 ? lc_socket + 5 :
	    lc_socket;
	int	 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", p);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "lookup_client: %s: %s\n", p, strerror(errno));
		exit(1);
	}
	return fd;
}

/* lc_now - seconds, monotonic */
static double
lc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* lc_once - stdin to the socket, the answer to stdout */
static int
lc_once(int keep)
{
	char	 buf[65536];
	double	 t0 = lc_now();
	ssize_t	 n;
	int	 fd = lc_dial();

	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			break;
	if (!keep)
		shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	fprintf(stderr, "closed after %.1f s\n", lc_now() - t0);
	return 0;
}

/* lc_readline - one answer line */
static int
lc_readline(int fd, char *buf, size_t cap)
{
	size_t	 n = 0;

	while (n + 1 < cap) {
		ssize_t	 r = read(fd, buf + n, 1);

		if (r <= 0)
			return -1;
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
	return 0;
}

/* lc_readnet - one netstring answer, its payload in buf */
static int
lc_readnet(int fd, char *buf, size_t cap)
{
	size_t	 len = 0, n = 0;
	char	 c;

	while (read(fd, &c, 1) == 1 && c >= '0' && c <= '9')
		len = len * 10 + (size_t)(c - '0');
	if (c != ':' || len + 2 > cap)
		return -1;
	while (n < len + 1) {
		ssize_t	 r = read(fd, buf + n, len + 1 - n);

		if (r <= 0)
			return -1;
		n += (size_t)r;
	}
	if (buf[len] != ',')
		return -1;
	buf[len] = '\0';
	return 0;
}

/* lc_ask - one request and its answer; false when the answer is wrong */
static int
lc_ask(int fd, const char *addr)
{
	char	 req[700], ans[1024];
	int	 n;

	if (lc_table == NULL) {
		snprintf(req, sizeof(req), "check %s\n", addr);
		return write(fd, req, strlen(req)) >= 0 &&
		    lc_readline(fd, ans, sizeof(ans)) == 0 &&
		    (strcmp(ans, "ok\n") == 0 ||
		    strncmp(ans, "suppressed ", 11) == 0);
	}
	n = snprintf(req, sizeof(req), "%zu:%s %s,", strlen(lc_table) + 1 +
	    strlen(addr), lc_table, addr);
	return write(fd, req, (size_t)n) >= 0 &&
	    lc_readnet(fd, ans, sizeof(ans)) == 0 &&
	    (strncmp(ans, "OK ", 3) == 0 || strcmp(ans, "NOTFOUND ") == 0);
}

/* lc_worker - one connection of the load test */
static void *
lc_worker(void *arg)
{
	long	 n = (long)(intptr_t)arg;
	unsigned seed = (unsigned)(intptr_t)&n ^ (unsigned)time(NULL);
	char	 addr[512];
	int	 fd = lc_dial(), bad = 0;

	for (long i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), lc_format,
		    (unsigned)((unsigned long)rand_r(&seed) % lc_range));
		if (!lc_ask(fd, addr))
			bad++;
	}
	close(fd);
	pthread_mutex_lock(&lc_mtx);
	lc_bad += bad;
	pthread_mutex_unlock(&lc_mtx);
	return NULL;
}

/* lc_load - many clients at once */
static int
lc_load(void)
{
	pthread_t *t = calloc((size_t)lc_clients, sizeof(*t));
	double	 t0 = lc_now(), dt;

	for (int i = 0; i < lc_clients; i++)
		pthread_create(&t[i], NULL, lc_worker, (void *)(intptr_t)
		    (lc_requests / lc_clients));
	for (int i = 0; i < lc_clients; i++)
		pthread_join(t[i], NULL);
	dt = lc_now() - t0;
	printf("lookup: %ld requests from %d clients in %.2f s: %.0f "
	    "requests/s, %d bad answers\n", lc_requests / lc_clients *
	    lc_clients, lc_clients, dt, (double)lc_requests / dt, lc_bad);
	free(t);
	return lc_bad ? 1 : 0;
}

int
main(int argc, char **argv)
{
	int	 c, keep = 0;

	while ((c = getopt(argc, argv, "km:n:p:R:s:u:")) != -1) {
		switch (c) {
		case 'k': keep = 1; break;
		case 'm': lc_table = optarg; break;
		case 'n': lc_requests = atol(optarg); break;
		case 'p': lc_clients = atoi(optarg); break;
		case 'R': lc_format = optarg; break;
		case 's': lc_socket = optarg; break;
		case 'u': lc_range = strtoul(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (lc_socket == NULL || lc_clients < 1 || lc_range == 0)
		goto usage;
	if (lc_requests > 0)
		return lc_format ? lc_load() : 2;
	return lc_once(keep);
usage:
	fprintf(stderr, "usage: lookup_client -s SOCKET [-k] | -s SOCKET -p "
	    "CLIENTS -n REQUESTS -R FORMAT [-u RANGE] [-m TABLE]\n");
	return 2;
}
