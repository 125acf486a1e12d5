/*++
 * NAME
 *	follow_map 3
 * SUMMARY
 *	the back-off transport map: a Postfix table file kept up to date
 * DESCRIPTION
 *	follow_map_sync() writes backoff_transport_map (TYPE:PATH) from
 *	the store: one line "DOMAIN TRANSPORT:" per domain whose level in
 *	force is above 0, in the store's order. Postfix's transport_maps
 *	reads the indexed file that postmap(1) builds from it, so that
 *	Postfix needs no bounceguard process to route mail: when none runs
 *	the table stays as it was last written.
 *
 *	Nothing is written when the text file already holds those lines
 *	and the indexed file exists: a rewrite would make every Postfix
 *	process that reads the table restart for nothing.
 *
 *	Postfix must never read a half-written table, so both files are
 *	made under temporary names in the same directory (PATH.tmp, and
 *	what postmap builds from it) and renamed over PATH's: the indexed
 *	file first, since that is what Postfix reads. Postfix notices that
 *	an open table was replaced (its file has no link left) and the
 *	process restarts with the new one. A lock file, PATH.lock, keeps
 *	the follower and "bounceguard backoff set" from interleaving their
 *	writes, so that the last one written is the last one computed.
 *
 *	postmap is backoff_postmap; it reads main.cf from Postfix's
 *	configuration directory, or from $MAIL_CONFIG when it is set.
 * DIAGNOSTICS
 *	-1 with the reason in the caller's buffer when a file cannot be
 *	written or postmap fails; the map then keeps its previous state.
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "follow.h"
#include "libbase.h"

#define FOLLOW_MAP_HEAD	"# bounceguard back-off transport map, written by " \
			"bounceguard follow and\n# bounceguard backoff: " \
			"do not edit (see bounceguard(8), ADAPTIVE BACK-OFF)\n"

struct follow_map {
	char	 type[16];
	const char *path;		/* in the configuration */
	char	 tmp[4200], lock[4200];
	const char *suffix;		/* of the indexed file */
};

struct follow_map_rows {
	const struct config *cfg;
	struct backoff_params p;
	time_t	 now;
	struct buf *out;
};

/* follow_map_names - the type, the suffix and the file names */
static int
follow_map_names(const char *spec, struct follow_map *m, struct buf *err)
{
	const char *colon = strchr(spec, ':');
	size_t	 tl = colon ? (size_t)(colon - spec) : 0;

	if (colon == NULL || tl >= sizeof(m->type))
		return buf_printf(err, "backoff_transport_map %s: not TYPE:PATH",
		    spec), -1;
	memcpy(m->type, spec, tl);
	m->type[tl] = '\0';
	m->path = colon + 1;
	m->suffix = strcmp(m->type, "lmdb") == 0 ? ".lmdb" :
	    strcmp(m->type, "cdb") == 0 ? ".cdb" : ".db";
	if ((size_t)snprintf(m->tmp, sizeof(m->tmp), "%s.tmp", m->path) >=
	    sizeof(m->tmp) || (size_t)snprintf(m->lock, sizeof(m->lock),
	    "%s.lock", m->path) >= sizeof(m->lock))
		return buf_printf(err, "backoff_transport_map %s: path too "
		    "long", spec), -1;
	return 0;
}

/* follow_map_row - one domain's line, when it is in back-off */
static int
follow_map_row(const char *domain, struct store_backoff *r, bool found,
    void *arg)
{
	struct follow_map_rows *rows = arg;
	const char *t = backoff_transport(rows->cfg, backoff_level(&rows->p,
	    r, rows->now));

	(void)found;
	if (t != NULL)
		buf_printf(rows->out, "%s\t%s:\n", domain, t);
	return 0;
}

/* follow_map_text - the text of the table, from the store */
static int
follow_map_text(struct store *st, const struct config *cfg, time_t now,
    struct buf *out, struct buf *err)
{
	struct follow_map_rows rows;

	rows.cfg = cfg;
	rows.now = now;
	rows.out = out;
	backoff_params(cfg, &rows.p);
	buf_addstr(out, FOLLOW_MAP_HEAD);
	if (store_foreach_backoff(st, follow_map_row, &rows) < 0)
		return buf_printf(err, "%s", store_error(st)), -1;
	return 0;
}

/* follow_map_same - the text file holds text and the index exists */
static bool
follow_map_same(const struct follow_map *m, struct buf *text)
{
	char	 idx[4200];
	char	*old;
	struct stat sb;
	ssize_t	 n;
	int	 fd;
	bool	 same;

	if ((size_t)snprintf(idx, sizeof(idx), "%s%s", m->path, m->suffix) >=
	    sizeof(idx) || stat(idx, &sb) < 0)
		return false;
	if ((fd = open(m->path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	old = xmalloc(text->len + 1);
	n = read(fd, old, text->len + 1);
	close(fd);
	same = n >= 0 && (size_t)n == text->len &&
	    memcmp(old, buf_cstr(text), text->len) == 0;
	free(old);
	return same;
}

/* follow_map_write_tmp - the text into PATH.tmp, on disk */
static int
follow_map_write_tmp(const struct follow_map *m, struct buf *text,
    struct buf *err)
{
	const char *p = buf_cstr(text);
	size_t	 left = text->len;
	ssize_t	 n;
	int	 fd;

	(void)unlink(m->tmp);
	if ((fd = open(m->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0644)) < 0)
		return buf_printf(err, "%s: %s", m->tmp, strerror(errno)), -1;
	(void)fchmod(fd, 0644);		/* Postfix reads it: not the umask */
	for (; left > 0; p += n, left -= (size_t)n)
		if ((n = write(fd, p, left)) < 0 && errno != EINTR)
			break;
		else if (n < 0)
			n = 0;
	if (left > 0 || fsync(fd) < 0) {
		buf_printf(err, "%s: %s", m->tmp, strerror(errno));
		close(fd);
		return -1;
	}
	return close(fd) < 0 ? buf_printf(err, "%s: %s", m->tmp,
	    strerror(errno)), -1 : 0;
}

/* follow_map_postmap - build the indexed file of PATH.tmp */
static int
follow_map_postmap(const struct config *cfg, const struct follow_map *m,
    struct buf *err)
{
	char	 arg[4300];
	pid_t	 pid;
	int	 status;

	if ((size_t)snprintf(arg, sizeof(arg), "%s:%s", m->type, m->tmp) >=
	    sizeof(arg))
		return buf_printf(err, "%s: path too long", m->tmp), -1;
	if ((pid = fork()) < 0)
		return buf_printf(err, "fork: %s", strerror(errno)), -1;
	if (pid == 0) {
		umask(022);
		execl(cfg->backoff_postmap, "postmap", arg, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return buf_printf(err, "waitpid: %s", strerror(errno)), -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return buf_printf(err, "%s %s failed (status %d)%s", cfg->backoff_postmap,
	    arg, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
	    WIFEXITED(status) && WEXITSTATUS(status) == 127 ?
	    ": cannot run it" : ""), -1;
}

/* follow_map_install - rename the indexed file, then the text, in place */
static int
follow_map_install(const struct follow_map *m, struct buf *err)
{
	char	 from[4300], to[4300];

	if ((size_t)snprintf(from, sizeof(from), "%s%s", m->tmp, m->suffix) >=
	    sizeof(from) || (size_t)snprintf(to, sizeof(to), "%s%s", m->path,
	    m->suffix) >= sizeof(to))
		return buf_printf(err, "%s: path too long", m->path), -1;
	if (rename(from, to) < 0)
		return buf_printf(err, "rename %s to %s: %s", from, to,
		    strerror(errno)), -1;
	if (rename(m->tmp, m->path) < 0)
		return buf_printf(err, "rename %s to %s: %s", m->tmp, m->path,
		    strerror(errno)), -1;
	return 0;
}

/* follow_map_update - under the lock: write and install when changed */
static int
follow_map_update(const struct config *cfg, const struct follow_map *m,
    struct buf *text, struct buf *err)
{
	if (follow_map_same(m, text))
		return 0;
	if (follow_map_write_tmp(m, text, err) < 0 ||
	    follow_map_postmap(cfg, m, err) < 0 ||
	    follow_map_install(m, err) < 0) {
		(void)unlink(m->tmp);
		return -1;
	}
	return 1;
}

/* follow_map_sync - bring the transport map in step with the store */
int
follow_map_sync(struct store *st, const struct config *cfg, time_t now,
    struct buf *err)
{
	struct follow_map m;
	struct buf text = BUF_INIT;
	int	 fd, rc;

	if (cfg->backoff_transport_map[0] == '\0')
		return 0;
	if (follow_map_names(cfg->backoff_transport_map, &m, err) < 0)
		return -1;
	if ((fd = open(m.lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return buf_printf(err, "%s: %s", m.lock, strerror(errno)), -1;
	while ((rc = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (rc < 0)
		buf_printf(err, "%s: %s", m.lock, strerror(errno));
	else if ((rc = follow_map_text(st, cfg, now, &text, err)) == 0)
		rc = follow_map_update(cfg, &m, &text, err);
	close(fd);
	buf_free(&text);
	return rc;
}
