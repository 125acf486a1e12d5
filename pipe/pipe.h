/*++
 * NAME
 *	pipe 3h
 * SUMMARY
 *	bounceguard-pipe, shared declarations
 * DESCRIPTION
 *	One struct pipe_run holds everything about the bounce being
 *	delivered; each file in pipe/ does one step with it.
 *--*/
#ifndef BG_PIPE_H
#define BG_PIPE_H

#include <stdbool.h>
#include <time.h>

#include "libbase.h"
#include "libbounce.h"
#include "libchange.h"
#include "libconf.h"
#include "libpolicy.h"
#include "libstore.h"
#include "libverp.h"

/* <sysexits.h> values, as Postfix pipe(8) reads them. */
#define PIPE_EX_OK		0
#define PIPE_EX_TEMPFAIL	75

struct store;

struct pipe_run {
	struct config *cfg;
	const char *queue_id;		/* -q, or NOQUEUE */
	const char *recipient;		/* -r: the VERP address */
	const char *sender;		/* -s */
	const char *client;		/* -a: SMTP client, "" local; NULL unknown */
	time_t	 now;
	struct buf msg;			/* the message, up to max_message_size */
	bool	 oversize;		/* more follows on standard input */
	char	 digest[33];		/* hex, first 128 bits of SHA-256 */
	struct verp_keys *keys;
	struct verp_decoded verp;
	struct bounce_result parsed;
	struct store *store;		/* NULL with replication on */
	struct store_repl repl;		/* replication settings, if on */
	int	 chfd;			/* the replication process; -1 */
	char	 error[CHANGE_ERR_MAX];	/* why the last change failed */
	bool	 panicked;		/* the store panicked while opening */
};

/* pipe.c */
void	pipe_exit(struct pipe_run *, int) __attribute__((noreturn));
void	pipe_tempfail(struct pipe_run *, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

/* changes.c */
void	pipe_open_store(struct pipe_run *);
int	pipe_change(struct pipe_run *, const struct buf *,
	    struct change_answer *);

/* The outcome of a step: go on, or stop with the message handled. */
enum pipe_step { PIPE_NEXT, PIPE_DONE, PIPE_FAIL };

/* message.c */
int	pipe_read_message(struct pipe_run *);
void	pipe_digest(struct pipe_run *);
void	pipe_sender_domain(const struct pipe_run *, char *, size_t);

/* quarantine.c */
int	pipe_quarantine(struct pipe_run *, const char *);

/* origin.c */
bool	pipe_origin_trusted(const struct pipe_run *, const char **);

/* record.c */
int	pipe_record(struct pipe_run *);

/* backoff.c */
void	pipe_backoff(struct pipe_run *, const char *,
	    const struct bounce_rcpt *);

/* events.c */
void	pipe_event(const struct pipe_run *, const char *,
	    const struct bounce_rcpt *, const struct policy_input *,
	    const struct policy_result *);

#endif
