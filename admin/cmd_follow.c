/*++
 * NAME
 *	cmd_follow 3
 * SUMMARY
 *	bounceguard follow: read Postfix's mail log as it is written
 * DESCRIPTION
 *	bounceguard follow [--once] [--from-start] LOGFILE|-
 *
 *	Reads the log like "tail -F": at its end it waits for more, and
 *	when the file is renamed or removed and a new one created
 *	(rotation), it reads the old file to its end, then the new one
 *	from its start; a file that shrinks (truncation, copytruncate) is
 *	read again from its start.
 *
 *	Each batch of events is applied in one transaction together with
 *	the position after its last line (device, inode, offset, and a
 *	hash of the file's first bytes, since a new file may reuse the
 *	inode of a removed one). After a restart the follower goes on
 *	where it stopped; when the log was rotated meanwhile, it first
 *	finishes the rotated file if it is still there, uncompressed,
 *	under a name LOGFILE.SUFFIX (LOGFILE.1 of logrotate, or the date
 *	suffix of "postfix logrotate"). Without a saved position it starts
 *	at the end of the file (old lines would be counted as new
 *	signals), or at the start with --from-start. "-" reads standard
 *	input to its end and keeps no position.
 *
 *	After a rotation the old file may still get lines until every
 *	writer has reopened the log: the follower reads it until the new
 *	file has existed for FOLLOW_LINGER seconds.
 *
 *	--once reads to the end and exits instead of waiting.
 *
 *	SIGTERM and SIGINT stop it after the current batch is saved.
 *	Every FOLLOW_TICK seconds (10), also while the log is quiet, it
 *	stores the decay of every record, so that the log says when a
 *	domain went back to normal.
 *
 *	The transport map (backoff_transport_map, follow_map.c) is written
 *	at the start, after every batch that changed a level, and at every
 *	tick (decay; and a retry when writing it failed). It is only
 *	rewritten when its lines change.
 * DIAGNOSTICS
 *	Exit 0 when stopped by a signal or at the end with --once or "-";
 *	1 when the log cannot be read; 2 for a usage error. Store errors
 *	are logged and the batch retried (the store reopened after a
 *	recovery): the follower never skips lines.
 *--*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "follow.h"
#include "libbase.h"
#include "libbounce.h"

#define FOLLOW_CHUNK		65536
#define FOLLOW_POLL_US		200000	/* at the end of the log */
#define FOLLOW_TICK		10	/* seconds between decay scans */
#define FOLLOW_LINGER		1	/* seconds an old file may still grow */

struct follow {
	struct admin *a;
	struct ruleset *rs;
	const char *path;
	char	 key[4200];		/* "follow:PATH" in meta.db */
	int	 fd;
	bool	 once, from_start, is_stdin;
	struct follow_pos pos;
	struct follow_batch batch;
	char	*buf;			/* bytes read, not yet a whole line */
	size_t	 len;
	time_t	 last_tick, rotated_at;	/* when the new file was seen */
	bool	 map_failed;		/* the last map write failed */
	bool	 reopen_warned;		/* the new file cannot be opened */
};

static void follow_map(struct follow *, time_t);

/* follow_fnv - FNV-1a over bytes */
static uint64_t
follow_fnv(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n-- > 0)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/* follow_head - hash the first bytes of an open file */
static void
follow_head(int fd, uint32_t want, uint32_t *len, uint64_t *hash)
{
	unsigned char head[FOLLOW_HEAD_MAX];
	ssize_t	 n = pread(fd, head, want, 0);

	*len = n > 0 ? (uint32_t)n : 0;
	*hash = follow_fnv(head, *len);
}

/* follow_set_file - fd is a new file to read from offset off */
static void
follow_set_file(struct follow *f, int fd, uint64_t off)
{
	struct stat sb;

	if (f->fd >= 0 && f->fd != fd)
		close(f->fd);
	f->fd = fd;
	f->len = 0;
	f->rotated_at = 0;
	memset(&f->pos, 0, sizeof(f->pos));
	if (fstat(fd, &sb) == 0) {
		f->pos.dev = (uint64_t)sb.st_dev;
		f->pos.ino = (uint64_t)sb.st_ino;
	}
	f->pos.off = off;
	if (!f->is_stdin)
		(void)lseek(fd, (off_t)off, SEEK_SET);
}

/* follow_save - apply the batch with the current position */
static int
follow_save(struct follow *f)
{
	struct store *st;
	struct buf err = BUF_INIT;
	int	 rc;

	if (!f->is_stdin && f->pos.headlen < FOLLOW_HEAD_MAX)
		follow_head(f->fd, FOLLOW_HEAD_MAX, &f->pos.headlen,
		    &f->pos.head);
	while ((st = admin_store_try(f->a, &err)) == NULL ||
	    (rc = follow_batch_apply(&f->batch, st, f->a->cfg, f->key,
	    f->is_stdin ? NULL : &f->pos)) != STORE_OK) {
		log_warnx("follow: store error, retrying: %s", st ? store_error(st)
		    : buf_cstr(&err));
		if (st != NULL && rc == STORE_EFATAL) {
			buf_free(&err);
			return -1;
		}
		if (st != NULL && store_panicked(st)) {
			store_close(st);
			f->a->store = NULL;
		}
		buf_reset(&err);
		if (admin_interrupted)
			return -1;
		sleep(1);
	}
	buf_free(&err);
	if (f->batch.changes > 0)
		follow_map(f, time(NULL));
	return 0;
}

/* follow_map - write the transport map; a failure is logged once */
static void
follow_map(struct follow *f, time_t now)
{
	struct buf err = BUF_INIT;
	int	 rc;

	f->batch.changes = 0;
	if (f->a->store == NULL)
		return;
	rc = follow_map_sync(f->a->store, f->a->cfg, now, &err);
	if (rc < 0 && !f->map_failed)
		log_warnx("follow: cannot write the transport map, retrying "
		    "every %d s: %s", FOLLOW_TICK, buf_cstr(&err));
	else if (rc > 0)
		log_info("follow: transport map %s written",
		    f->a->cfg->backoff_transport_map);
	if (rc >= 0 && f->map_failed)
		log_info("follow: transport map %s written again",
		    f->a->cfg->backoff_transport_map);
	f->map_failed = rc < 0;
	buf_free(&err);
}

/* follow_tick - store the decay, and the map, every FOLLOW_TICK seconds */
static int
follow_tick_due(struct follow *f)
{
	time_t	 now = time(NULL);
	unsigned changes = 0;

	if (now - f->last_tick < FOLLOW_TICK)
		return 0;
	f->last_tick = now;
	if (follow_save(f) < 0)
		return -1;
	(void)follow_tick(f->a->store, f->a->cfg, now, &changes);
	follow_map(f, now);
	return 0;
}

/* follow_lines - the whole lines in the buffer; keeps the rest */
static int
follow_lines(struct follow *f)
{
	time_t	 now = time(NULL);
	char	*p = f->buf, *end = f->buf + f->len, *nl;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		follow_batch_line(&f->batch, f->a->cfg, f->rs, p,
		    (size_t)(nl - p), now);
		f->pos.off += (uint64_t)(nl + 1 - p);
		p = nl + 1;
		if (f->batch.n >= FOLLOW_BATCH_MAX && follow_save(f) < 0)
			return -1;
	}
	f->len = (size_t)(end - p);
	memmove(f->buf, p, f->len);
	return 0;
}

/* follow_read - read what there is; 0 at the end, -1 on error */
static ssize_t
follow_read(struct follow *f)
{
	ssize_t	 n;

	if (f->len == FOLLOW_CHUNK) {
		/* a line longer than the buffer: no log line of interest */
		f->pos.off += f->len;
		f->len = 0;
	}
	n = read(f->fd, f->buf + f->len, FOLLOW_CHUNK - f->len);
	if (n < 0 && errno == EINTR)
		return 1;
	if (n < 0) {
		log_warn("follow: read %s", f->path);
		return -1;
	}
	f->len += (size_t)n;
	if (n > 0 && follow_lines(f) < 0)
		return -1;
	return n;
}

/* follow_reopen - after rotation, the new file from its start */
static bool
follow_reopen(struct follow *f)
{
	int	 fd;

	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0) {
		/* Reopened as the configured user: say why it cannot. */
		if (!f->reopen_warned)
			log_warn("follow: %s was rotated; cannot open the new "
			    "file (the user %s must be able to read it)",
			    f->path, f->a->cfg->user);
		f->reopen_warned = true;
		return false;
	}
	f->reopen_warned = false;
	log_info("follow: %s was rotated; reading the new file", f->path);
	follow_set_file(f, fd, 0);
	return true;
}

/* follow_check_file - rotation and truncation, at the end of the file */
static bool
follow_check_file(struct follow *f, time_t now)
{
	struct stat sb, cur;

	if (fstat(f->fd, &cur) == 0 && (uint64_t)cur.st_size < f->pos.off) {
		log_info("follow: %s was truncated; reading it from the start",
		    f->path);
		follow_set_file(f, f->fd, 0);
		return true;
	}
	if (stat(f->path, &sb) < 0 || ((uint64_t)sb.st_ino == f->pos.ino &&
	    (uint64_t)sb.st_dev == f->pos.dev))
		return false;
	/* A new file: writers that have not reopened yet still write to
	   the old one, which has just been read to its end. */
	if (f->rotated_at == 0)
		f->rotated_at = now;
	if (now - f->rotated_at < FOLLOW_LINGER)
		return false;
	return follow_reopen(f);
}

/* follow_loop - read to the end, then wait for more */
static int
follow_loop(struct follow *f)
{
	ssize_t	 n;
	time_t	 now;

	while (!admin_interrupted) {
		if ((n = follow_read(f)) < 0 || follow_tick_due(f) < 0)
			return 1;
		if (n > 0)
			continue;
		if (follow_save(f) < 0)
			return 1;
		now = time(NULL);
		if (f->once || f->is_stdin)
			break;
		if (!follow_check_file(f, now))
			usleep(FOLLOW_POLL_US);
	}
	return follow_save(f) < 0 ? 1 : 0;
}

/* follow_unpack_pos - the saved position */
static void
follow_unpack_pos(const unsigned char *in, struct follow_pos *pos)
{
	uint64_t v[4] = { 0, 0, 0, 0 };

	for (int i = 0; i < 4; i++)
		for (int k = 0; k < 8; k++)
			v[i] = v[i] << 8 | in[i * 8 + k];
	pos->dev = v[0];
	pos->ino = v[1];
	pos->off = v[2];
	pos->head = v[3];
	pos->headlen = (uint32_t)in[32] << 24 | (uint32_t)in[33] << 16 |
	    (uint32_t)in[34] << 8 | in[35];
}

/* follow_same_file - the open file is the one of the saved position */
static bool
follow_same_file(int fd, const struct follow_pos *pos)
{
	struct stat sb;
	uint32_t len;
	uint64_t hash;

	if (fstat(fd, &sb) < 0 || (uint64_t)sb.st_ino != pos->ino ||
	    (uint64_t)sb.st_dev != pos->dev || (uint64_t)sb.st_size < pos->off)
		return false;
	follow_head(fd, pos->headlen, &len, &hash);
	return len == pos->headlen && hash == pos->head;
}

/* follow_find_rotated - LOGFILE.SUFFIX that is the saved file; -1 if none */
static int
follow_find_rotated(const char *path, const struct follow_pos *saved,
    char *old, size_t size)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int	 dl = slash ? (int)(base - path) : 0, fd = -1;
	size_t	 bl = strlen(base);
	char	 dir[4200];
	struct dirent *de;
	struct stat sb;
	DIR	*d;

	if ((size_t)snprintf(dir, sizeof(dir), "%.*s", dl, path) >= sizeof(dir)
	    || (d = opendir(dl ? dir : ".")) == NULL)
		return -1;
	while (fd < 0 && (de = readdir(d)) != NULL) {
		/* compressed or older files have another inode: skipped */
		if (strncmp(de->d_name, base, bl) != 0 || de->d_name[bl] != '.' ||
		    (size_t)snprintf(old, size, "%s%s", dir, de->d_name) >= size ||
		    stat(old, &sb) < 0 || (uint64_t)sb.st_ino != saved->ino ||
		    (uint64_t)sb.st_dev != saved->dev)
			continue;
		if ((fd = open(old, O_RDONLY | O_CLOEXEC)) >= 0 &&
		    !follow_same_file(fd, saved)) {
			close(fd);
			fd = -1;
		}
	}
	closedir(d);
	return fd;
}

/* follow_finish_rotated - read the rotated log on from the saved position */
static int
follow_finish_rotated(struct follow *f, const struct follow_pos *saved)
{
	char	 old[4200];
	int	 fd, rc = 0;
	bool	 once = f->once;

	if ((fd = follow_find_rotated(f->path, saved, old, sizeof(old))) < 0)
		return 0;
	log_info("follow: %s was rotated while stopped; finishing %s first",
	    f->path, old);
	follow_set_file(f, fd, saved->off);
	f->pos.headlen = saved->headlen;
	f->pos.head = saved->head;
	f->once = true;
	rc = follow_loop(f);
	f->once = once;
	return rc;
}

/* follow_resume - open the log where the saved position says */
static int
follow_resume(struct follow *f)
{
	unsigned char raw[64];
	struct follow_pos saved;
	struct stat sb;
	size_t	 len = 0;
	int	 fd, rc;

	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &sb) < 0)
		return admin_fail("follow", "%s: %s", f->path, strerror(errno));
	rc = store_meta_get(admin_store(f->a), f->key, raw, sizeof(raw), &len);
	if (rc < 0)
		return admin_fail("follow", "%s", store_error(f->a->store));
	if (rc == STORE_NOTFOUND || len != 36) {
		follow_set_file(f, fd, f->from_start ? 0 : (uint64_t)sb.st_size);
		return 0;
	}
	follow_unpack_pos(raw, &saved);
	if (follow_same_file(fd, &saved)) {
		follow_set_file(f, fd, saved.off);
		f->pos.headlen = saved.headlen;
		f->pos.head = saved.head;
		return 0;
	}
	if ((rc = follow_finish_rotated(f, &saved)) != 0)
		return rc;
	follow_set_file(f, fd, 0);
	return 0;
}

/* follow_options - --once, --from-start, and the file */
static int
follow_options(struct follow *f, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "from-start", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int	 ch, status = 0;

	optind = 0;
	while ((ch = admin_getopt("follow", argc, argv, opts, &status)) >= 0) {
		if (ch == 'o')
			f->once = true;
		else if (ch == 's')
			f->from_start = true;
	}
	if (ch == -2)
		return status;
	if (optind != argc - 1)
		return admin_usage("follow", optind < argc ? "too many "
		    "arguments" : "no log file given");
	f->path = argv[optind];
	f->is_stdin = strcmp(f->path, "-") == 0;
	return 0;
}

/* follow_rules - the classifier's rules, as the pipe loads them */
static struct ruleset *
follow_rules(const struct config *cfg)
{
	struct buf err = BUF_INIT;
	struct ruleset *rs = parser_config_rules(cfg, RULES_JIT, &err);

	if (rs == NULL)
		fprintf(stderr, "%s", buf_cstr(&err));
	buf_free(&err);
	return rs;
}

/* follow_start - the rules, the store, and where to begin */
static int
follow_start(struct follow *f)
{
	if ((f->rs = follow_rules(f->a->cfg)) == NULL)
		return admin_fail("follow", "cannot load the rules");
	if ((size_t)snprintf(f->key, sizeof(f->key), "follow:%s", f->path) >=
	    sizeof(f->key))
		return admin_usage("follow", "log file name too long");
	if (f->is_stdin) {
		(void)admin_store(f->a);
		follow_set_file(f, STDIN_FILENO, 0);
		return 0;
	}
	return follow_resume(f);
}

/* cmd_follow - follow the mail log, raising and lowering back-off levels */
int
cmd_follow(struct admin *a, int argc, char **argv)
{
	struct follow f;
	int	 rc;

	memset(&f, 0, sizeof(f));
	f.a = a;
	f.fd = -1;
	if ((rc = follow_options(&f, argc, argv)) != 0)
		return rc;
	f.buf = xmalloc(FOLLOW_CHUNK);
	follow_batch_init(&f.batch);
	if ((rc = follow_start(&f)) == 0) {
		log_info("follow: reading %s from offset %llu", f.is_stdin ?
		    "standard input" : f.path, (unsigned long long)f.pos.off);
		rc = follow_loop(&f);
		log_info("follow: stopped lines=%llu signals=%llu "
		    "deliveries=%llu offset=%llu", f.batch.lines,
		    f.batch.signals, f.batch.deliveries,
		    (unsigned long long)f.pos.off);
	}
	if (f.fd > STDIN_FILENO)
		close(f.fd);
	follow_batch_free(&f.batch);
	rules_free(f.rs);
	free(f.buf);
	return rc;
}
