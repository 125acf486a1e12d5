/*++
 * NAME
 *	quarantine 3
 * SUMMARY
 *	the quarantine Maildir's budget: accounting and pruning
 * DESCRIPTION
 *	The running total of the bytes in new/ and cur/ is kept in the
 *	file DIR/.usage, one decimal number, so that a pipe adding a file
 *	does not have to stat the whole directory: it locks the file
 *	(flock), adds its size, and only when the total is over budget
 *	lists the directory and removes the oldest files. A total that
 *	drifted (an administrator deleted files by hand) only makes the
 *	next pruning pass come early; that pass writes the exact total.
 *
 *	Files are ordered by modification time, then by name (names start
 *	with the time the pipe wrote them). Files of tmp/ older than
 *	QUARANTINE_TMP_STALE are the remains of a pipe that died while
 *	writing, and go too.
 * DIAGNOSTICS
 *	-1 with errno set; see quarantine.h.
 *--*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libbase.h"
#include "quarantine.h"

#define QUARANTINE_USAGE	".usage"
#define QUARANTINE_TMP_STALE	(36 * 3600)

/* One file of new/ or cur/. */
struct q_file {
	char	*path;
	time_t	 mtime;
	long long size;
};

struct q_list {
	struct q_file *v;
	size_t	 n, cap;
	long long total;
};

/* q_add - remember one file */
static void
q_add(struct q_list *l, const char *path, const struct stat *st)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n].path = xstrdup(path);
	l->v[l->n].mtime = st->st_mtime;
	l->v[l->n].size = (long long)st->st_size;
	l->total += (long long)st->st_size;
	l->n++;
}

/* q_remove - unlink one file and count it; a vanished file counts as
   gone */
static void
q_remove(const char *path, long long size, struct quarantine_pruned *out)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return;
	out->removed++;
	out->removed_bytes += size;
}

/* q_scan - the regular files of one subdirectory; those of tmp/ that
   are stale are removed instead of listed */
static int
q_scan(const char *dir, const char *sub, time_t now, struct q_list *l,
    struct quarantine_pruned *out)
{
	char	*d = xasprintf("%s/%s", dir, sub);
	DIR	*dp = opendir(d);
	struct dirent *de;
	bool	 tmp = strcmp(sub, "tmp") == 0;

	if (dp == NULL) {
		free(d);
		return errno == ENOENT ? 0 : -1;
	}
	while ((de = readdir(dp)) != NULL) {
		char	*path;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", d, de->d_name);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (!tmp)
				q_add(l, path, &st);
			else if (now - st.st_mtime > QUARANTINE_TMP_STALE)
				q_remove(path, (long long)st.st_size, out);
		}
		free(path);
	}
	closedir(dp);
	free(d);
	return 0;
}

/* q_older - order files oldest first */
static int
q_older(const void *a, const void *b)
{
	const struct q_file *x = a, *y = b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* q_trim - remove what is too old, then the oldest until the total fits */
static void
q_trim(struct q_list *l, const struct quarantine_limits *lim, time_t now,
    struct quarantine_pruned *out)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), q_older);
	for (size_t i = 0; i < l->n; i++) {
		const struct q_file *f = &l->v[i];
		bool	 old = lim->max_age > 0 && now - f->mtime > lim->max_age;
		bool	 over = lim->max_size > 0 && l->total > lim->max_size;

		if (!old && !over) {
			out->kept++;
			out->kept_bytes += f->size;
			continue;
		}
		q_remove(f->path, f->size, out);
		l->total -= f->size;
	}
}

/* q_free - release a file list */
static void
q_free(struct q_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
}

/* q_write_usage - replace the recorded total */
static int
q_write_usage(int fd, long long total)
{
	char	 num[32];
	int	 n = snprintf(num, sizeof(num), "%lld\n", total);

	if (ftruncate(fd, 0) < 0 || pwrite(fd, num, (size_t)n, 0) != n)
		return -1;
	return 0;
}

/* q_prune_locked - one pruning pass, the usage file locked */
static int
q_prune_locked(const char *dir, int fd, const struct quarantine_limits *lim,
    time_t now, struct quarantine_pruned *out)
{
	struct q_list l = { NULL, 0, 0, 0 };
	int	 rc = 0;

	memset(out, 0, sizeof(*out));
	if (q_scan(dir, "new", now, &l, out) < 0 ||
	    q_scan(dir, "cur", now, &l, out) < 0 ||
	    q_scan(dir, "tmp", now, &l, out) < 0)
		rc = -1;
	if (rc == 0) {
		q_trim(&l, lim, now, out);
		rc = q_write_usage(fd, out->kept_bytes);
	}
	q_free(&l);
	return rc;
}

/* q_lock - the usage file, open and locked; -1 on error */
static int
q_lock(const char *dir)
{
	char	*path = xasprintf("%s/%s", dir, QUARANTINE_USAGE);
	int	 fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);

	free(path);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* q_read_usage - the recorded total; 0 when empty or unreadable */
static long long
q_read_usage(int fd)
{
	char	 num[32];
	ssize_t	 n = pread(fd, num, sizeof(num) - 1, 0);

	if (n <= 0)
		return 0;
	num[n] = '\0';
	return strtoll(num, NULL, 10);
}

/* quarantine_prune - enforce the budget now */
int
quarantine_prune(const char *dir, const struct quarantine_limits *lim,
    time_t now, struct quarantine_pruned *out)
{
	int	 fd = q_lock(dir), rc, saved;

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return -1;
	rc = q_prune_locked(dir, fd, lim, now, out);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* quarantine_account - add a new file's size; prune when over budget */
int
quarantine_account(const char *dir, long long added,
    const struct quarantine_limits *lim, time_t now,
    struct quarantine_pruned *out)
{
	int	 fd = q_lock(dir), rc, saved;
	long long total;

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return -1;
	total = q_read_usage(fd) + added;
	if (lim->max_size > 0 && total > lim->max_size)
		rc = q_prune_locked(dir, fd, lim, now, out);
	else
		rc = q_write_usage(fd, total);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* quarantine_count - the files of new/ and cur/ and their bytes, counted
   now (for metrics: exact, where .usage may have drifted) */
int
quarantine_count(const char *dir, size_t *files, long long *bytes)
{
	struct q_list l = { NULL, 0, 0, 0 };
	struct quarantine_pruned unused;
	int	 rc = 0;

	memset(&unused, 0, sizeof(unused));
	if (q_scan(dir, "new", 0, &l, &unused) < 0 ||
	    q_scan(dir, "cur", 0, &l, &unused) < 0)
		rc = -1;
	*files = l.n;
	*bytes = l.total;
	q_free(&l);
	return rc;
}
