/*++
 * NAME
 *	backoff 3
 * SUMMARY
 *	a back-off signal from a bounce or delay DSN our own MTA wrote
 * DESCRIPTION
 *	When a recorded recipient's report is a deferral that
 *	backoff_rcpt_is_signal() counts (failed or delayed, a temporary
 *	status, a reason among backoff_reasons), the pipe counts a
 *	back-off signal for the recipient's domain, as bounceguard follow
 *	does for the log's deferral lines.
 *
 *	Only our own MTA's reports count: it tried the destination and
 *	names the remote server (Remote-MTA), and either the report is
 *	"sync" (its Reporting-MTA is one of local_hostnames) or the pipe
 *	trusts its origin (origin.c: the null sender and an empty client
 *	or one of trusted_bounce_networks). A third party's report says
 *	nothing about our pace.
 *
 *	The signal carries the report's queue id (Postfix's
 *	X-Postfix-Queue-ID, Exim's message id), kept in the domain's
 *	record: a deferral that the follower already counted from the log,
 *	or that an earlier report of the same message counted (a delay
 *	DSN, then the final bounce), counts no more. A report without one
 *	is known by its digest, so that the MTA delivering it again does
 *	not count it twice.
 *
 *	This runs after the bounce is committed, in its own transaction
 *	(non-synchronous, like the follower's), and cannot change the
 *	delivery's outcome: a store error is logged and the pipe still
 *	exits 0. The transport map file is not written here: the
 *	follower writes it at its next tick, or "bounceguard backoff sync";
 *	the lookup socket's transport table reads the store directly.
 * DIAGNOSTICS
 *	"QUEUE-ID: backoff: domain=D level=N previous=M transport=T
 *	why=signals|- source=pipe signal=counted|seen queue_id=Q
 *	signals=S reason=R: REPLY", and a warning when the store failed.
 *--*/
#include <stdio.h>
#include <string.h>

#include "libbackoff.h"
#include "libbase.h"
#include "pipe.h"

/* backoff_ours - our own MTA tried the destination and reports it */
static bool
backoff_ours(const struct pipe_run *run, const struct bounce_rcpt *rc)
{
	const char *why;

	if (rc->remote_mta == NULL)
		return false;
	return rc->mode == BOUNCE_MODE_SYNC || pipe_origin_trusted(run, &why);
}

/* backoff_log - the signal's log line */
static void
backoff_log(const struct pipe_run *run, const struct change_signal *s,
    const struct change_answer *ans)
{
	const char *t = backoff_transport(run->cfg, ans->after);
	char	 reply[STORE_TEXT_MAX];

	log_info("%s: backoff: domain=%s level=%u previous=%u transport=%s "
	    "why=%s source=pipe signal=%s queue_id=%s signals=%u reason=%s: "
	    "%s", run->queue_id, s->domain, ans->after, ans->before,
	    t ? t : "default", ans->after > ans->before ? "signals" : "-",
	    ans->seen ? "seen" : "counted", s->qid, ans->signals, s->reason,
	    log_value(s->reply, reply, sizeof(reply)));
}

/* pipe_backoff - count a back-off signal for a recorded recipient */
void
pipe_backoff(struct pipe_run *run, const char *addr,
    const struct bounce_rcpt *rc)
{
	struct change_signal s;
	struct change_answer ans;
	struct buf req = BUF_INIT;
	const char *at = strrchr(addr, '@'), *why;
	char	 domain[STORE_ADDR_MAX], qid[STORE_BACKOFF_QID_MAX];

	if (at == NULL || !backoff_ours(run, rc) ||
	    !backoff_rcpt_is_signal(run->cfg, rc) ||
	    backoff_check_domain(at + 1, domain, sizeof(domain), &why) < 0)
		return;
	/* A queue id too long to keep is known by the digest instead. */
	if (run->parsed.queue_id == NULL ||
	    bg_strlcpy(qid, run->parsed.queue_id, sizeof(qid)) >= sizeof(qid))
		(void)snprintf(qid, sizeof(qid), "#%.24s", run->digest);
	s.domain = domain;
	s.qid = qid;
	s.reason = reason_name(rc->reason);
	s.reply = rc->diagnostic ? rc->diagnostic : "";
	s.now = run->now;
	change_request_signal(&req, &s);
	if (pipe_change(run, &req, &ans) != STORE_OK)
		log_warnx("%s: backoff: domain=%s source=pipe signal=lost: %s; "
		    "the bounce is recorded", run->queue_id, domain, ans.error);
	else
		backoff_log(run, &s, &ans);
	change_answer_free(&ans);
	buf_free(&req);
}
