/*++
 * NAME
 *	policy 3h
 * SUMMARY
 *	what a bounce does to an address
 * DESCRIPTION
 *	policy_apply() is a store_update() callback: given one classified
 *	recipient of a bounce, it updates the address record (counters,
 *	recent soft bounces, suppressions), fills in the history event and
 *	the domain counters, and says what it did in the result.
 *
 *	The types, in the order they are decided:
 *	vacation	auto-replies: recorded, never counted
 *	complaint	ARF feedback: suppresses for the sender's domain only
 *	delivered	a success report: clears the recent soft bounces
 *	delay		a delayed DSN: recorded, never counted
 *	hard		hard_reasons: suppresses at once, until lifted
 *	block		block_reasons: our IP or content was refused; counted
 *			for the domain, never suppresses the recipient
 *	retry		retryable_reasons: recorded, never counted
 *	soft		anything else: soft_bounce_limit within
 *			soft_bounce_window suppresses for soft_suppression_ttl
 *
 *	Two gates come before the type's effect (issue 18, item 1):
 *	unverified	the caller could not tell that the bounce came from
 *			someone entitled to report on the address (a token
 *			bounce from outside our MTA, which a co-recipient
 *			could have written): counted in unverified_count
 *			and the domain's unverified counter, nothing else
 *			changes (no suppression, no soft count, no reset)
 *	stale		a hard, soft or complaint bounce whose VERP was
 *			stamped on or before the day of the address's last
 *			"unsuppress" (stamp_day <= day of rec->unsuppressed):
 *			counted as "other", never suppresses or counts
 *			towards soft suppression, so that replaying an old
 *			bounce cannot undo an administrator's unsuppress
 *--*/
#ifndef BG_POLICY_H
#define BG_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "libconf.h"
#include "libmail.h"
#include "libstore.h"

struct policy_input {
	enum reason reason;
	bool	 hard;			/* the parser's verdict */
	const char *dsn_action;		/* failed delayed delivered ... */
	const char *status;
	const char *reply_code;
	const char *diagnostic;
	const char *mode;		/* sync async or NULL */
	const char *scope;		/* complaint scope: sender domain */
	const char *queue_id;
	const char *verp;		/* valid token manual ... */
	time_t	 now;
	uint32_t stamp_day;		/* the VERP's signed day; 0: unknown */
	bool	 unverified;		/* may have been written by anyone */
};

struct policy_result {
	const char *type;		/* hard soft block ... (static) */
	const char *action;		/* suppressed counted recorded reset */
	unsigned soft_in_window;	/* after this bounce */
	bool	 warn;			/* an operator should look */
	int64_t	 unsuppressed;		/* stale: the unsuppress it predates */
};

struct policy {
	const struct config *cfg;
	const struct policy_input *in;
	struct policy_result *out;
};

int	policy_apply(struct store_addr *, bool, struct store_event *,
	    struct store_delta *, void *);
const char *policy_type(const struct config *, const struct policy_input *);
bool	policy_suppress(struct store_addr *, const char *, const char *,
	    const char *, time_t, time_t);

#endif
