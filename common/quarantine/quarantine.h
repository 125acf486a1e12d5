/*++
 * NAME
 *	quarantine 3h
 * SUMMARY
 *	the quarantine Maildir's budget: accounting and pruning
 * DESCRIPTION
 *	Bounces that cannot be used (unsigned, forged, expired, not a
 *	bounce) are kept in quarantine_dir, a Maildir. Anyone on the
 *	Internet can send such mail, so the directory has a budget: a total
 *	size and an age, enforced when a file is added and by "bounceguard
 *	expire".
 *
 *	quarantine_account() adds the size of a file just written to the
 *	running total kept in DIR/.usage (under an exclusive lock) and,
 *	when the total is over max_size, prunes: the oldest files go first.
 *	quarantine_prune() removes files older than max_age, then the
 *	oldest until the total fits max_size, stale files of tmp/, and
 *	rewrites the exact total. Both count what they removed.
 *
 *	quarantine_count() counts the regular files of new/ and cur/ and
 *	their bytes, without locking or changing anything.
 *
 *	Only regular files in new/, cur/ and tmp/ are touched; links and
 *	directories are left alone.
 * DIAGNOSTICS
 *	Both return -1 with errno set when the directory cannot be read or
 *	the usage file cannot be locked or written; a file that vanished
 *	meanwhile is not an error.
 *--*/
#ifndef BG_QUARANTINE_H
#define BG_QUARANTINE_H

#include <stddef.h>
#include <time.h>

/* The budget; 0 means no limit. */
struct quarantine_limits {
	long long max_size;		/* bytes in new/ and cur/ */
	long long max_age;		/* seconds since a file was written */
};

/* What a pruning pass did. */
struct quarantine_pruned {
	size_t	 removed;		/* files removed */
	long long removed_bytes;
	size_t	 kept;			/* files left */
	long long kept_bytes;
};

int	quarantine_account(const char *dir, long long added,
	    const struct quarantine_limits *, time_t now,
	    struct quarantine_pruned *);
int	quarantine_prune(const char *dir, const struct quarantine_limits *,
	    time_t now, struct quarantine_pruned *);
int	quarantine_count(const char *dir, size_t *files, long long *bytes);

#endif
