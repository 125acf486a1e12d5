/*++
 * NAME
 *	parse_feed 3
 * SUMMARY
 *	bounceguard parse as root: read as root, parse as the user
 * DESCRIPTION
 *	Quarantined mail is hostile by nature, and administrators read it
 *	with "bounceguard parse" as root. The parser must not run as root,
 *	yet the files given may be readable by root alone. So, as root,
 *	parse_feed_start() forks: the child drops to the configured user
 *	(privs_drop(), as the store-opening commands do) and parses; the
 *	parent keeps root only to open and read the files, and sends each
 *	one's name and bytes to the child over a pipe. The ruleset is
 *	loaded before the fork (it is configuration, not mail).
 *
 *	A frame is the path's length (4 bytes), the data's length (8 bytes),
 *	both in host order, then the path and the data.
 * DIAGNOSTICS
 *	parse_feed_start() returns -1 with errno set when it cannot fork;
 *	a child that cannot drop its privileges says why and exits 1.
 *	parse_feed_send() returns -1 when the child has gone.
 *	parse_feed_finish() returns the child's exit status (1 when it died
 *	of a signal).
 *--*/
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin.h"
#include "libbase.h"
#include "parse_feed.h"

#define PARSE_FEED_PATH_MAX	4096

/* feed_read - exactly n bytes; 1 read, 0 end of file at the start, -1 */
static int
feed_read(int fd, void *p, size_t n)
{
	char	*c = p;
	size_t	 got = 0;

	while (got < n) {
		ssize_t	 r = read(fd, c + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 && got == 0 ? 0 : -1;
		got += (size_t)r;
	}
	return 1;
}

/* feed_child - the child's side: drop root; 0, or exit 1 */
static void
feed_child(struct admin *a, struct parse_feed *f, int pipefd[2])
{
	struct buf err = BUF_INIT;

	close(pipefd[1]);
	f->fd = pipefd[0];
	f->pid = 0;
	if (admin_drop_privs(a, &err) < 0) {
		fprintf(stderr, "bounceguard: parse: cannot switch to user %s "
		    "to parse: %s\n", a->cfg->user, bg_trim(err.data));
		_exit(1);
	}
	buf_free(&err);
}

/* parse_feed_start - fork the parsing child; 1 in the parent, 0 in the
   child (now the configured user), -1 on error */
int
parse_feed_start(struct admin *a, struct parse_feed *f)
{
	int	 pipefd[2];

	fflush(stdout);
	fflush(stderr);
	if (pipe(pipefd) < 0)
		return -1;
	if ((f->pid = fork()) < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (f->pid == 0) {
		feed_child(a, f, pipefd);
		return 0;
	}
	close(pipefd[0]);
	f->fd = pipefd[1];
	signal(SIGPIPE, SIG_IGN);	/* a dead child is seen by waitpid() */
	return 1;
}

/* parse_feed_send - one file's name and bytes to the child */
int
parse_feed_send(struct parse_feed *f, const char *path, const char *data,
    size_t len)
{
	uint32_t plen = (uint32_t)strlen(path);
	uint64_t dlen = (uint64_t)len;

	if (plen >= PARSE_FEED_PATH_MAX)
		plen = PARSE_FEED_PATH_MAX - 1;
	if (bg_write_all(f->fd, &plen, sizeof(plen)) < 0 ||
	    bg_write_all(f->fd, &dlen, sizeof(dlen)) < 0 ||
	    bg_write_all(f->fd, path, plen) < 0 ||
	    bg_write_all(f->fd, data, len) < 0)
		return -1;
	return 0;
}

/* parse_feed_recv - the next file in the child; 1, 0 at the end, -1 on
   a broken frame. *path and *data are allocated (caller frees); *data
   ends with a NUL not counted in *len. */
int
parse_feed_recv(struct parse_feed *f, char **path, char **data, size_t *len)
{
	uint32_t plen;
	uint64_t dlen;
	int	 rc = feed_read(f->fd, &plen, sizeof(plen));

	if (rc <= 0)
		return rc;
	if (feed_read(f->fd, &dlen, sizeof(dlen)) <= 0 ||
	    plen >= PARSE_FEED_PATH_MAX || dlen > (1ULL << 32))
		return -1;
	*path = xcalloc(1, plen + 1);
	*data = xmalloc((size_t)dlen + 1);
	if ((plen > 0 && feed_read(f->fd, *path, plen) <= 0) ||
	    (dlen > 0 && feed_read(f->fd, *data, (size_t)dlen) <= 0)) {
		free(*path);
		free(*data);
		return -1;
	}
	(*data)[dlen] = '\0';
	*len = (size_t)dlen;
	return 1;
}

/* parse_feed_finish - no more files; the child's exit status */
int
parse_feed_finish(struct parse_feed *f)
{
	int	 st;

	close(f->fd);
	while (waitpid(f->pid, &st, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
