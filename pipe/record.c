/*++
 * NAME
 *	record 3
 * SUMMARY
 *	matching a parsed bounce to its recipients of record and recording it
 * DESCRIPTION
 *	The VERP address names the recipient of record: the parser's
 *	recipients only supply the details (status, diagnostic, reason).
 *	When the report names another address (a forwarded mailbox, an
 *	alias), the report's first failed recipient is used and the
 *	difference is logged. For a per-message token the store lists the
 *	message's recipients, and every reported recipient in that list is
 *	recorded; reported addresses not in the list are ignored, so a
 *	token cannot be used to suppress an address we never mailed. A
 *	token that stands for several recipients was seen by all of them,
 *	so its bounce changes nothing unless our own MTA wrote it
 *	(origin.c): otherwise each recipient gets an "unverified" event.
 *	A bounce to a single-recipient VERP address is recorded for the
 *	signed recipient only, whatever address the report names.
 *
 *	Every bounce carries the day its VERP was signed; the policy
 *	ignores hard, soft and complaint bounces stamped no later than the
 *	day of the address's last "unsuppress" (action=stale), so that
 *	replaying an old bounce cannot suppress the address again.
 *
 *	Each recipient is one store transaction, durable, with the message
 *	digest and the address as its duplicate key: after a crash, the
 *	MTA's retry records only what was not yet recorded. A recorded
 *	deferral of our own MTA may then count a back-off signal
 *	(backoff.c), which never changes the outcome.
 * DIAGNOSTICS
 *	pipe_record() returns PIPE_EX_OK after every recipient is committed
 *	(or found already recorded), PIPE_EX_TEMPFAIL on a store error.
 *	It quarantines bounces it cannot match.
 *--*/
#include <stdio.h>
#include <string.h>

#include "libbase.h"
#include "libchange.h"
#include "pipe.h"

/* record_find - the reported recipient that best matches an address */
static const struct bounce_rcpt *
record_find(const struct bounce_result *r, const char *addr)
{
	const struct bounce_rcpt *failed = NULL;

	for (size_t i = 0; i < r->nrcpt; i++) {
		if (r->rcpt[i].recipient != NULL &&
		    strcmp(r->rcpt[i].recipient, addr) == 0)
			return &r->rcpt[i];
		if (failed == NULL && r->rcpt[i].action != NULL &&
		    strcmp(r->rcpt[i].action, "failed") == 0)
			failed = &r->rcpt[i];
	}
	return failed ? failed : r->nrcpt ? &r->rcpt[0] : NULL;
}

/* record_input - the policy's view of one reported recipient */
static void
record_input(const struct pipe_run *run, const struct bounce_rcpt *rc,
    const char *scope, bool unverified, struct policy_input *in)
{
	memset(in, 0, sizeof(*in));
	in->reason = rc->reason;
	in->hard = rc->hard;
	in->dsn_action = rc->action;
	in->status = rc->status;
	in->reply_code = rc->reply_code;
	in->diagnostic = rc->diagnostic;
	in->mode = rc->mode == BOUNCE_MODE_NONE ? NULL :
	    bounce_mode_name(rc->mode);
	in->scope = scope;
	in->queue_id = run->queue_id;
	in->verp = run->verp.is_token ? "token" : "valid";
	in->now = run->now;
	in->stamp_day = run->verp.day;
	in->unverified = unverified;
}

/* record_log - the bounce's log line */
static void
record_log(const struct pipe_run *run, const char *addr,
    const struct policy_input *in, const struct policy_result *out,
    const char *note)
{
	char	 diag[256];

	if (out->warn)
		log_warnx("%s: bounce recipient=<%s> reason=%s type=%s "
		    "status=%s mode=%s action=%s%s: remote refused our mail: %s",
		    run->queue_id, addr, reason_name(in->reason), out->type,
		    in->status ? in->status : "-", in->mode ? in->mode : "-",
		    out->action, note, log_value(in->diagnostic, diag,
		    sizeof(diag)));
	else
		log_info("%s: bounce recipient=<%s> reason=%s type=%s "
		    "status=%s mode=%s action=%s%s", run->queue_id, addr,
		    reason_name(in->reason), out->type,
		    in->status ? in->status : "-", in->mode ? in->mode : "-",
		    out->action, note);
}

/* record_gate_note - why an unverified or stale bounce changed nothing */
static void
record_gate_note(const struct pipe_run *run, const struct policy_result *out,
    const char *untrusted, char *note, size_t size)
{
	char	 day[BG_TIMESTR_SIZE], t[BG_TIMESTR_SIZE];
	size_t	 len = strlen(note);

	if (strcmp(out->action, "unverified") == 0)
		snprintf(note + len, size - len, " client=%s why=%s",
		    run->client == NULL ? "unknown" : run->client[0] ? run->client :
		    "local", untrusted ? untrusted : "-");
	else if (strcmp(out->action, "stale") == 0) {
		bg_timestr(bg_day_start(run->verp.day), day, sizeof(day));
		day[10] = '\0';
		snprintf(note + len, size - len, " stamped=%s unsuppressed=%s: "
		    "stamped no later than the day of the last unsuppress", day,
		    bg_timestr((time_t)out->unsuppressed, t, sizeof(t)));
	}
}

/* record_commit - the policy's change to one address; its answer */
static int
record_commit(struct pipe_run *run, const char *addr,
    const struct policy_input *in, struct change_answer *ans)
{
	struct buf req = BUF_INIT;
	char	 dedupe[512];
	int	 st;

	snprintf(dedupe, sizeof(dedupe), "%s/%s", run->digest, addr);
	change_request_update(&req, addr, dedupe, in);
	st = pipe_change(run, &req, ans);
	buf_free(&req);
	return st;
}

/* record_one - one recipient of record, in one transaction */
static int
record_one(struct pipe_run *run, const char *addr, const struct bounce_rcpt *rc,
    const char *scope, const char *untrusted)
{
	struct policy_input in;
	struct change_answer ans;
	const struct policy_result *out = &ans.result;
	char	 note[STORE_ADDR_MAX + 192] = "";
	int	 st;

	record_input(run, rc, scope, untrusted != NULL, &in);
	st = record_commit(run, addr, &in, &ans);
	if (st == STORE_DUPLICATE) {
		change_answer_free(&ans);
		log_info("%s: bounce recipient=<%s> action=duplicate: this "
		    "bounce was already recorded", run->queue_id, addr);
		/* The signal may be what a crash lost; its queue id, or the
		   digest, keeps it from counting twice. */
		pipe_backoff(run, addr, rc);
		return PIPE_EX_OK;
	}
	if (st != STORE_OK || out->type == NULL || out->action == NULL) {
		log_warnx("%s: bounce recipient=<%s> action=deferred: %s",
		    run->queue_id, addr, st != STORE_OK ? ans.error :
		    "no outcome in the store's answer");
		change_answer_free(&ans);
		return PIPE_EX_TEMPFAIL;
	}
	if (in.reason == REASON_FEEDBACK)
		snprintf(note, sizeof(note), " scope=%s", scope[0] ? scope :
		    "global");
	if (rc->recipient && strcmp(rc->recipient, addr) != 0)
		snprintf(note + strlen(note), sizeof(note) - strlen(note),
		    " dsn_recipient=<%s>", rc->recipient);
	record_gate_note(run, out, untrusted, note, sizeof(note));
	record_log(run, addr, &in, out, note);
	pipe_event(run, addr, rc, &in, out);
	change_answer_free(&ans);
	pipe_backoff(run, addr, rc);
	return PIPE_EX_OK;
}

/* record_untrusted - NULL when the token's bounce may change records, else why */
static const char *
record_untrusted(struct pipe_run *run, const struct buf *list)
{
	const char *why;

	/* A token for one recipient was seen by that recipient only. */
	if (list->len > 0 && strlen(list->data) + 1 == list->len)
		return NULL;
	if (pipe_origin_trusted(run, &why))
		return NULL;
	if (run->client == NULL)
		log_warnx("%s: token bounce cannot be verified: the MTA does "
		    "not pass the client address (-a); see bounceguard-pipe(8)",
		    run->queue_id);
	return why;
}

/* record_token_list - the token's recipients; PIPE_EX_OK with list
   empty when it is unknown (then quarantined), else the exit status */
static int
record_token_list(struct pipe_run *run, struct change_answer *ans)
{
	struct buf req = BUF_INIT;
	int	 rc;

	change_request_token(&req, run->verp.token);
	rc = pipe_change(run, &req, ans);
	buf_free(&req);
	if (rc == STORE_NOTFOUND)
		return pipe_quarantine(run, "unknown-token") ? PIPE_EX_TEMPFAIL :
		    PIPE_EX_OK;
	if (rc != STORE_OK) {
		log_warnx("%s: deferred: %s", run->queue_id, ans->error);
		return PIPE_EX_TEMPFAIL;
	}
	return PIPE_EX_OK;
}

/* record_token - every reported recipient the token stands for */
static int
record_token(struct pipe_run *run, const char *scope)
{
	struct change_answer ans;
	const struct buf *list = &ans.list;
	const char *untrusted;
	int	 n = 0, ex;

	if ((ex = record_token_list(run, &ans)) != PIPE_EX_OK ||
	    ans.rc != STORE_OK) {
		change_answer_free(&ans);
		return ex;
	}
	untrusted = record_untrusted(run, list);
	for (size_t i = 0; i < run->parsed.nrcpt && ex == PIPE_EX_OK; i++) {
		const struct bounce_rcpt *r = &run->parsed.rcpt[i];

		for (size_t off = 0; r->recipient && off < list->len;
		    off += strlen(list->data + off) + 1)
			if (strcmp(list->data + off, r->recipient) == 0) {
				ex = record_one(run, r->recipient, r, scope,
				    untrusted);
				n++;
				break;
			}
	}
	change_answer_free(&ans);
	if (n == 0 && ex == PIPE_EX_OK && pipe_quarantine(run, "token-no-match"))
		return PIPE_EX_TEMPFAIL;
	return ex;
}

/* pipe_record - record the parsed bounce for its recipients of record */
int
pipe_record(struct pipe_run *run)
{
	const struct bounce_rcpt *rc;
	char	 scope[256];

	pipe_sender_domain(run, scope, sizeof(scope));
	if (run->verp.is_token)
		return record_token(run, scope);
	if ((rc = record_find(&run->parsed, run->verp.recipient)) == NULL)
		return pipe_quarantine(run, "no-recipient") ? PIPE_EX_TEMPFAIL :
		    PIPE_EX_OK;
	return record_one(run, run->verp.recipient, rc, scope, NULL);
}
