/*++
 * NAME
 *	policy 3
 * SUMMARY
 *	what a bounce does to an address
 * DESCRIPTION
 *	See policy.h. policy_type() decides; one small function per type
 *	changes the record. Suppressions are merged by scope: a second
 *	suppression for the same scope extends the first (a permanent one
 *	wins over one that expires) instead of taking another slot.
 * DIAGNOSTICS
 *	policy_apply() never fails; when all suppression slots of a record
 *	are taken by active suppressions of other scopes, the new one is
 *	dropped and the result's warn flag is set.
 *--*/
#include <string.h>

#include "libbase.h"
#include "policy.h"

/* policy_type - the kind of event this bounce is, under the policy */
const char *
policy_type(const struct config *cfg, const struct policy_input *in)
{
	const char *name = reason_name(in->reason);
	const char *act = in->dsn_action ? in->dsn_action : "";

	if (in->reason == REASON_VACATION)
		return "vacation";
	if (in->reason == REASON_FEEDBACK)
		return "complaint";
	if (in->reason == REASON_DELIVERED || strcmp(act, "delivered") == 0 ||
	    strcmp(act, "relayed") == 0 || strcmp(act, "expanded") == 0)
		return "delivered";
	if (strcmp(act, "delayed") == 0)
		return "delay";
	/* A 4xx "not accepting mail" is not final, whatever the list says. */
	if (strlist_contains(&cfg->hard_reasons, name) &&
	    (in->hard || in->reason != REASON_NOTACCEPT))
		return "hard";
	if (strlist_contains(&cfg->block_reasons, name))
		return "block";
	if (strlist_contains(&cfg->retryable_reasons, name))
		return "retry";
	return "soft";
}

/* policy_slot - the suppression slot for a scope: its own, a lapsed one, a new one */
static struct store_supp *
policy_slot(struct store_addr *rec, const char *scope, time_t now)
{
	for (uint32_t i = 0; i < rec->nsupp; i++)
		if (strcmp(rec->supp[i].scope, scope) == 0)
			return &rec->supp[i];
	for (uint32_t i = 0; i < rec->nsupp; i++)
		if (!store_supp_active(&rec->supp[i], now))
			return &rec->supp[i];
	if (rec->nsupp < STORE_MAX_SUPP) {
		memset(&rec->supp[rec->nsupp], 0, sizeof(rec->supp[0]));
		return &rec->supp[rec->nsupp++];
	}
	return NULL;
}

/* policy_suppress - add the suppression for a scope, or extend it */
bool
policy_suppress(struct store_addr *rec, const char *scope, const char *reason,
    const char *source, time_t now, time_t expires)
{
	struct store_supp *s = policy_slot(rec, scope, now);

	if (s == NULL)
		return false;
	if (s->since != 0 && strcmp(s->scope, scope) == 0 &&
	    store_supp_active(s, now)) {
		/* Already suppressed: a permanent one or a later expiry wins. */
		if (s->expires == 0 || (expires != 0 && expires <= s->expires))
			return true;
	} else {
		memset(s, 0, sizeof(*s));
		s->since = now;
		bg_strlcpy(s->scope, scope, sizeof(s->scope));
	}
	s->expires = expires;
	bg_strlcpy(s->reason, reason, sizeof(s->reason));
	bg_strlcpy(s->source, source, sizeof(s->source));
	return true;
}

/* policy_soft_window - drop soft bounces older than the window, add now */
static unsigned
policy_soft_window(struct store_addr *rec, const struct config *cfg,
    time_t now)
{
	uint32_t keep = 0;

	for (uint32_t i = 0; i < rec->nsoft; i++)
		if (rec->soft_times[i] > now - cfg->soft_bounce_window)
			rec->soft_times[keep++] = rec->soft_times[i];
	if (keep == STORE_MAX_SOFT) {
		memmove(rec->soft_times, rec->soft_times + 1,
		    (STORE_MAX_SOFT - 1) * sizeof(rec->soft_times[0]));
		keep--;
	}
	rec->soft_times[keep++] = now;
	rec->nsoft = keep;
	return keep;
}

/* policy_note_bounce - the last-bounce fields of the record */
static void
policy_note_bounce(struct store_addr *rec, const struct policy_input *in)
{
	if (rec->first_bounce == 0)
		rec->first_bounce = in->now;
	rec->last_bounce = in->now;
	bg_strlcpy(rec->last_reason, reason_name(in->reason),
	    sizeof(rec->last_reason));
	bg_strlcpy(rec->last_status, in->status ? in->status : "",
	    sizeof(rec->last_status));
	bg_strlcpy(rec->last_reply_code, in->reply_code ? in->reply_code : "",
	    sizeof(rec->last_reply_code));
	bg_strlcpy(rec->last_mode, in->mode ? in->mode : "",
	    sizeof(rec->last_mode));
	bg_strlcpy(rec->last_diagnostic, in->diagnostic ? in->diagnostic : "",
	    sizeof(rec->last_diagnostic));
}

/* policy_apply_soft - count, and suppress at the limit */
static void
policy_apply_soft(struct policy *p, struct store_addr *rec,
    struct store_delta *d)
{
	const struct config *cfg = p->cfg;
	time_t	 now = p->in->now;

	rec->soft_count++;
	d->soft = 1;
	p->out->soft_in_window = policy_soft_window(rec, cfg, now);
	p->out->action = "counted";
	if (p->out->soft_in_window >= (unsigned)cfg->soft_bounce_limit) {
		if (policy_suppress(rec, "", reason_name(p->in->reason),
		    "bounce", now, now + cfg->soft_suppression_ttl))
			p->out->action = "suppressed";
		else
			p->out->warn = true;
	}
}

/* policy_apply_type - change the record as the type demands */
static void
policy_apply_type(struct policy *p, struct store_addr *rec,
    struct store_delta *d)
{
	const struct policy_input *in = p->in;
	const char *t = p->out->type, *r = reason_name(in->reason);

	p->out->action = "recorded";
	if (strcmp(t, "vacation") == 0 || strcmp(t, "delay") == 0 ||
	    strcmp(t, "retry") == 0) {
		rec->other_count++;
		d->other = 1;
	} else if (strcmp(t, "delivered") == 0) {
		rec->nsoft = 0;
		p->out->action = "reset";
	} else if (strcmp(t, "complaint") == 0) {
		rec->complaint_count++;
		d->complaint = 1;
		p->out->action = policy_suppress(rec, in->scope ? in->scope : "",
		    r, "complaint", in->now, 0) ? "suppressed" : "recorded";
	} else if (strcmp(t, "hard") == 0) {
		rec->hard_count++;
		d->hard = 1;
		p->out->action = policy_suppress(rec, "", r, "bounce", in->now,
		    0) ? "suppressed" : "recorded";
	} else if (strcmp(t, "block") == 0) {
		rec->block_count++;
		d->block = 1;
		p->out->action = "counted";
		p->out->warn = true;
	} else
		policy_apply_soft(p, rec, d);
}

/* policy_stale - stamped no later than the day of the last unsuppress */
static bool
policy_stale(const struct policy *p, const struct store_addr *rec)
{
	const char *t = p->out->type;

	/* Day granularity: a bounce stamped on the day of the unsuppress
	   may be older than it, so it is taken as a replay (the safe side). */
	return rec->unsuppressed != 0 && p->in->stamp_day != 0 &&
	    p->in->stamp_day <= bg_day(rec->unsuppressed) &&
	    (strcmp(t, "hard") == 0 || strcmp(t, "soft") == 0 ||
	    strcmp(t, "complaint") == 0);
}

/* policy_apply_gate - unverified and stale bounces: recorded, no effect */
static bool
policy_apply_gate(struct policy *p, struct store_addr *rec,
    struct store_delta *d)
{
	if (p->in->unverified) {
		rec->unverified_count++;
		d->unverified = 1;
		p->out->action = "unverified";
		return true;
	}
	if (policy_stale(p, rec)) {
		rec->other_count++;
		d->other = 1;
		p->out->action = "stale";
		p->out->unsuppressed = rec->unsuppressed;
		return true;
	}
	return false;
}

/* policy_fill_event - the history event for this bounce */
static void
policy_fill_event(const struct policy *p, struct store_event *ev)
{
	const struct policy_input *in = p->in;

	ev->time = in->now;
	bg_strlcpy(ev->type, p->out->type, sizeof(ev->type));
	bg_strlcpy(ev->reason, reason_name(in->reason), sizeof(ev->reason));
	bg_strlcpy(ev->action, p->out->action, sizeof(ev->action));
	bg_strlcpy(ev->dsn_action, in->dsn_action ? in->dsn_action : "",
	    sizeof(ev->dsn_action));
	bg_strlcpy(ev->status, in->status ? in->status : "", sizeof(ev->status));
	bg_strlcpy(ev->reply_code, in->reply_code ? in->reply_code : "",
	    sizeof(ev->reply_code));
	bg_strlcpy(ev->mode, in->mode ? in->mode : "", sizeof(ev->mode));
	bg_strlcpy(ev->verp, in->verp ? in->verp : "", sizeof(ev->verp));
	bg_strlcpy(ev->queue_id, in->queue_id ? in->queue_id : "",
	    sizeof(ev->queue_id));
	/* Only a complaint's suppression has a scope. */
	if (strcmp(p->out->type, "complaint") == 0 && in->scope != NULL)
		bg_strlcpy(ev->scope, in->scope, sizeof(ev->scope));
	bg_strlcpy(ev->diagnostic, in->diagnostic ? in->diagnostic : "",
	    sizeof(ev->diagnostic));
}

/* policy_apply - store_update() callback: apply one bounce */
int
policy_apply(struct store_addr *rec, bool existed, struct store_event *ev,
    struct store_delta *d, void *arg)
{
	struct policy *p = arg;
	const char *t;

	(void)existed;
	memset(p->out, 0, sizeof(*p->out));
	t = p->out->type = policy_type(p->cfg, p->in);
	if (policy_apply_gate(p, rec, d)) {
		policy_fill_event(p, ev);
		return 0;
	}
	policy_apply_type(p, rec, d);
	if (strcmp(t, "delivered") != 0)
		policy_note_bounce(rec, p->in);
	d->bounced = strcmp(t, "hard") == 0 || strcmp(t, "soft") == 0 ||
	    strcmp(t, "block") == 0 || strcmp(t, "retry") == 0;
	d->reason = reason_name(p->in->reason);
	policy_fill_event(p, ev);
	return 0;
}
