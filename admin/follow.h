/*++
 * NAME
 *	follow 3h
 * SUMMARY
 *	bounceguard follow: the mail log follower, shared declarations
 * DESCRIPTION
 *	cmd_follow.c reads the log (rotation, truncation, its saved
 *	position); follow_batch.c turns its lines into back-off events and
 *	applies them to the store, in one transaction with the position.
 *	follow_map.c writes the transport map file that Postfix reads.
 *	cmd_backoff.c (the "backoff" command) shares follow_log_change()
 *	and follow_map_sync().
 *--*/
#ifndef BG_FOLLOW_H
#define BG_FOLLOW_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "admin.h"
#include "libbackoff.h"

#define FOLLOW_BATCH_MAX	4096	/* events per transaction */
#define FOLLOW_HEAD_MAX		256	/* bytes that identify a log file */

/* Where the follower stopped: saved in meta.db as "follow:PATH". */
struct follow_pos {
	uint64_t dev, ino;
	uint64_t off;			/* after the last line read */
	uint32_t headlen;		/* bytes of the file's head hashed */
	uint64_t head;			/* FNV-1a of them */
};

struct follow_event {
	char	 domain[STORE_ADDR_MAX];
	bool	 signal;		/* else a delivery */
	time_t	 when;
	char	 reason[STORE_NAME_MAX];
	char	 reply[STORE_TEXT_MAX];
	char	 qid[BACKOFF_QID_MAX];	/* of the deferred message */
};

/* One domain of a batch: its events, and what they did. */
struct follow_group {
	const struct backoff_params *p;
	const struct follow_event *ev;
	size_t	*idx;			/* its events, in order */
	size_t	 n;
	unsigned before, after;
	const char *why;
	struct store_backoff rec;
};

struct follow_batch {
	struct follow_event *ev;
	size_t	 n, cap;
	/* the previous signal line, so that one reply to a message with
	   several recipients at one domain counts once */
	char	 last_qid[BACKOFF_QID_MAX];
	char	 last_domain[STORE_ADDR_MAX];
	char	 last_text[BACKOFF_TEXT_MAX];
	unsigned long long lines, signals, deliveries;
	unsigned changes;		/* level changes not yet in the map */
};

void	follow_batch_init(struct follow_batch *);
void	follow_batch_free(struct follow_batch *);
void	follow_batch_line(struct follow_batch *, const struct config *,
	    struct ruleset *, const char *, size_t, time_t);
int	follow_batch_apply(struct follow_batch *, struct store *,
	    const struct config *, const char *, const struct follow_pos *);
int	follow_tick(struct store *, const struct config *, time_t,
	    unsigned *);
int	follow_map_sync(struct store *, const struct config *, time_t,
	    struct buf *);
void	follow_log_change(const struct config *, const char *, unsigned,
	    unsigned, const char *, const struct store_backoff *);

#endif
