/*++
 * NAME
 *	backoff 3h
 * SUMMARY
 *	per-domain back-off levels and the Postfix log lines that move them
 * DESCRIPTION
 *	A level is 0 (Postfix's default transport) up to the number of
 *	backoff_transports; level N routes the domain to the N-th.
 *
 *	Signals raise it: backoff_threshold signals within backoff_window
 *	raise the level by one. After a raise, signals are not counted for
 *	backoff_settle_time: they answer mail that left at the old pace.
 *	Time and deliveries lower it: by one for each backoff_decay_time
 *	without a signal, and by one for each backoff_recover_deliveries
 *	deliveries without a signal. The decay is computed when a record
 *	is read (backoff_level()), so that the lookup socket never writes;
 *	writers store it first (backoff_settle()). A level set by hand
 *	stays as it is until cleared.
 *
 *	backoff_parse_line() reads one line of Postfix's mail log. Only
 *	the delivery lines of smtp(8) (any syslog_name ending in "/smtp")
 *	matter: "status=sent" is a delivery, "status=deferred" with a
 *	remote server's reply ("host H said: ..." or "host H refused to
 *	talk to me: ...") is a deferral that backoff_is_signal() weighs
 *	with the classifier. "delivery temporarily suspended" deferrals
 *	repeat an earlier reply without asking the server again, and are
 *	not signals.
 *
 *	backoff_rcpt_is_signal() asks the same of a recipient of a bounce
 *	or delay DSN that bounceguard-pipe records (the caller decides
 *	whether our own MTA wrote the report): a failed or delayed
 *	recipient with a temporary status or reply whose classified
 *	reason is one of backoff_reasons.
 *
 *	Each record keeps the queue ids of the domain's last
 *	STORE_BACKOFF_QIDS signals, so that one deferral is counted once
 *	whether the follower reads it in the log or the pipe receives the
 *	DSN that reports it, in either order (backoff_qid_seen()). A
 *	deferral the log shows again for a queue id the follower already
 *	counted is a new attempt, and counts.
 *--*/
#ifndef BG_BACKOFF_H
#define BG_BACKOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "libbounce.h"
#include "libclassify.h"
#include "libconf.h"
#include "libmail.h"
#include "libstore.h"

#define BACKOFF_FORGET	(7 * 86400)	/* a calm record is then removed */

struct backoff_params {
	unsigned levels;		/* number of backoff_transports */
	unsigned threshold;
	long long window, settle, decay;
	unsigned recover;
};

enum backoff_kind {
	BACKOFF_LINE_OTHER,		/* not a delivery line of smtp(8) */
	BACKOFF_LINE_SENT,
	BACKOFF_LINE_DEFERRED,		/* with a remote reply */
	BACKOFF_LINE_DEFERRED_OTHER,	/* no reply: connection, suspended */
	BACKOFF_LINE_BOUNCED,
};

#define BACKOFF_QID_MAX		64
#define BACKOFF_TEXT_MAX	512

struct backoff_line {
	enum backoff_kind kind;
	char	 queue_id[BACKOFF_QID_MAX];
	char	 domain[STORE_ADDR_MAX];	/* lower case */
	char	 dsn[STORE_STATUS_MAX];		/* "4.7.0" or "" */
	char	 reply_code[STORE_CODE_MAX];	/* "421" or "" */
	char	 command[32];			/* "RCPT", "CONNECT" or "" */
	char	 host[STORE_ADDR_MAX];		/* the remote host's name */
	char	 text[BACKOFF_TEXT_MAX];	/* the reply, as logged */
};

void	backoff_params(const struct config *, struct backoff_params *);
unsigned backoff_level(const struct backoff_params *,
	    const struct store_backoff *, time_t);
bool	backoff_settle(const struct backoff_params *, struct store_backoff *,
	    time_t);
bool	backoff_signal(const struct backoff_params *, struct store_backoff *,
	    time_t, const char *, const char *);
bool	backoff_delivery(const struct backoff_params *,
	    struct store_backoff *, time_t);
bool	backoff_forgettable(const struct backoff_params *,
	    const struct store_backoff *, time_t);
const char *backoff_transport(const struct config *, unsigned);
int	backoff_check_domain(const char *, char *, size_t, const char **);

enum backoff_kind backoff_parse_line(const char *, size_t,
	    struct backoff_line *);
bool	backoff_is_signal(const struct config *, struct ruleset *,
	    const struct backoff_line *, enum reason *);
bool	backoff_reason_is_signal(const struct config *, enum reason);
bool	backoff_rcpt_is_signal(const struct config *,
	    const struct bounce_rcpt *);

enum backoff_source { BACKOFF_FROM_LOG, BACKOFF_FROM_PIPE };
bool	backoff_qid_seen(struct store_backoff *, const char *,
	    enum backoff_source);

#endif
