/*++
 * NAME
 *	quarantine 3
 * SUMMARY
 *	keeping bounces that cannot be used
 * DESCRIPTION
 *	A bounce whose VERP address does not verify, or that cannot be
 *	parsed, changes nothing in the store but is never thrown away: it
 *	is written to quarantine_dir, a Maildir (tmp/, new/, cur/), so that
 *	any mail client or "bounceguard parse" can read it there.
 *
 *	The file is written to tmp/, synced, and renamed into new/, and the
 *	directory is synced, before the pipe exits 0. Its name starts with
 *	the time and the MTA queue id and ends with the reason, so that the
 *	log line leads to it:
 *
 *		new/1795000000.4XyZ1_P812.mx1,bad-signature
 *
 *	Anyone can send mail to the VERP domain, so the quarantine has a
 *	budget: at most quarantine_message_max bytes of a message are kept,
 *	and no more than the max_message_size bytes read (after an
 *	X-Bounceguard-Truncated: header giving its size), and when the directory's
 *	total goes over quarantine_max_size its oldest files are removed
 *	(libquarantine).
 * DIAGNOSTICS
 *	Returns -1 (and logs why) when the message could not be kept; the
 *	pipe then exits 75 and the MTA keeps the bounce.
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libbase.h"
#include "libquarantine.h"
#include "pipe.h"

/* quarantine_mkdirs - the Maildir's directories */
static int
quarantine_mkdirs(const char *dir)
{
	static const char *const sub[] = { "", "/tmp", "/new", "/cur" };
	char	 path[4096];

	for (size_t i = 0; i < BG_ARRAY_SIZE(sub); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s%s", dir, sub[i]) >=
		    sizeof(path))
			return errno = ENAMETOOLONG, -1;
		if (mkdir(path, 0750) < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

/* quarantine_name - time.queueid_Ppid.host,reason, safe for a file name */
static void
quarantine_name(const struct pipe_run *run, const char *reason, char *out,
    size_t size)
{
	char	 host[256];

	if (gethostname(host, sizeof(host)) < 0)
		bg_strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	snprintf(out, size, "%lld.%s_P%ld.%s,%s", (long long)run->now,
	    run->queue_id, (long)getpid(), host, reason);
	for (char *p = out; *p; p++)
		if (*p == '/' || *p == ':' || (unsigned char)*p < 0x21)
			*p = '_';
}

/* quarantine_drain - read the rest of an oversize message from stdin,
   adding its length to *whole */
static int
quarantine_drain(const struct pipe_run *run, long long *whole)
{
	char	 chunk[65536];
	ssize_t	 n;

	while (run->oversize && (n = read(STDIN_FILENO, chunk,
	    sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		*whole += n;
	}
	return 0;
}

/* quarantine_copy - the message, at most quarantine_message_max bytes
   of it (and no more than the max_message_size bytes read), after a
   header giving its whole size when it is larger; the bytes written go
   to *size. The first bytes are the ones that matter: headers, then the
   report, then the returned message. */
static int
quarantine_copy(int fd, const struct pipe_run *run, long long *size)
{
	long long max = run->cfg->quarantine_message_max;
	long long whole = (long long)run->msg.len;
	size_t	 keep = run->msg.len;
	char	 head[128];
	int	 n;

	if (quarantine_drain(run, &whole) < 0)
		return -1;
	*size = 0;
	if (run->oversize && (long long)keep > run->cfg->max_message_size)
		keep = (size_t)run->cfg->max_message_size;
	if (whole > (long long)keep || whole > max) {
		if ((long long)keep > max)
			keep = (size_t)max;
		n = snprintf(head, sizeof(head), "X-Bounceguard-Truncated: "
		    "kept %zu of %lld bytes\n", keep, whole);
		if (write(fd, head, (size_t)n) != n)
			return -1;
		*size = n;
	}
	if (write(fd, run->msg.data, keep) != (ssize_t)keep)
		return -1;
	*size += (long long)keep;
	return fsync(fd);
}

/* quarantine_sync_dir - make the rename durable */
static int
quarantine_sync_dir(const char *dir)
{
	int	 fd = open(dir, O_RDONLY | O_DIRECTORY);
	int	 rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* quarantine_budget - count the new file; over quarantine_max_size the
   oldest files go. The message is already safe: a failure here is only
   logged. */
static void
quarantine_budget(const struct pipe_run *run, long long size)
{
	struct quarantine_limits lim = { run->cfg->quarantine_max_size,
	    run->cfg->quarantine_max_age };
	struct quarantine_pruned p;

	if (quarantine_account(run->cfg->quarantine_dir, size, &lim,
	    run->now, &p) < 0) {
		log_warn("%s: quarantine_dir %s: cannot account for its size",
		    run->queue_id, run->cfg->quarantine_dir);
		return;
	}
	if (p.removed > 0)
		log_info("%s: quarantine pruned=%zu bytes=%lld kept=%zu "
		    "kept_bytes=%lld max_size=%lld", run->queue_id, p.removed,
		    p.removed_bytes, p.kept, p.kept_bytes,
		    run->cfg->quarantine_max_size);
}

/* pipe_quarantine - keep the message; 0 when it is safely on disk */
int
pipe_quarantine(struct pipe_run *run, const char *reason)
{
	const char *dir = run->cfg->quarantine_dir;
	char	 name[512], tmp[4096], new[4096], newdir[4096];
	long long size = 0;
	int	 fd;

	quarantine_name(run, reason, name, sizeof(name));
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dir, name) >=
	    sizeof(tmp) || (size_t)snprintf(new, sizeof(new), "%s/new/%s",
	    dir, name) >= sizeof(new) || (size_t)snprintf(newdir,
	    sizeof(newdir), "%s/new", dir) >= sizeof(newdir)) {
		log_warnx("%s: quarantine_dir %s: name too long", run->queue_id,
		    dir);
		return -1;
	}
	if (quarantine_mkdirs(dir) < 0 ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0640)) < 0) {
		log_warn("%s: cannot quarantine in %s", run->queue_id, dir);
		return -1;
	}
	if (quarantine_copy(fd, run, &size) < 0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0 || close(fd) < 0 || rename(tmp, new) < 0 ||
	    quarantine_sync_dir(newdir) < 0) {
		log_warn("%s: cannot write quarantine file %s", run->queue_id,
		    tmp);
		unlink(tmp);
		return -1;
	}
	log_info("%s: quarantine reason=%s recipient=<%s> file=%s size=%lld",
	    run->queue_id, reason, run->recipient, new, size);
	quarantine_budget(run, size);
	return 0;
}
