/*++
 * NAME
 *	backoff 3
 * SUMMARY
 *	a domain's back-off level: raised by signals, decayed by time
 *	and deliveries
 * DESCRIPTION
 *	See backoff.h for the rules. The functions change a record in
 *	memory and say whether its level changed; the caller writes it
 *	(bounceguard follow, in the transaction that also saves its
 *	position in the log) and logs the change.
 *
 *	Why the decay is computed when reading: the lookup socket answers
 *	Postfix without writing, and a domain that stopped receiving mail
 *	must still come back to the default transport in time.
 * DIAGNOSTICS
 *	None; backoff_check_domain() says what is wrong with a domain.
 *--*/
#include <ctype.h>
#include <string.h>

#include "libbase.h"
#include "backoff.h"

/* backoff_params - the configuration's back-off settings */
void
backoff_params(const struct config *cfg, struct backoff_params *p)
{
	p->levels = (unsigned)cfg->backoff_transports.n;
	p->threshold = (unsigned)cfg->backoff_threshold;
	p->window = cfg->backoff_window;
	p->settle = cfg->backoff_settle_time;
	p->decay = cfg->backoff_decay_time;
	p->recover = (unsigned)cfg->backoff_recover_deliveries;
}

/* backoff_level - the level in force at a time, after decay */
unsigned
backoff_level(const struct backoff_params *p, const struct store_backoff *r,
    time_t now)
{
	unsigned level = r->level < p->levels ? r->level : p->levels;
	int64_t	 quiet = r->last_signal > r->changed ? r->last_signal :
	    r->changed;
	unsigned long long steps;

	if (r->manual || level == 0)
		return level;
	steps = r->delivered / p->recover;
	if (now > quiet)
		steps += (unsigned long long)(now - quiet) /
		    (unsigned long long)p->decay;
	return steps >= level ? 0 : level - (unsigned)steps;
}

/* backoff_settle - store the decay so far; true when the level fell */
bool
backoff_settle(const struct backoff_params *p, struct store_backoff *r,
    time_t now)
{
	unsigned level = backoff_level(p, r, now);

	if (level == r->level)
		return false;
	r->level = level;
	r->changed = now;
	r->delivered = 0;
	r->strikes = 0;
	r->strike_since = 0;
	return true;
}

/* backoff_strike - count one signal; true when it raises the level */
static bool
backoff_strike(const struct backoff_params *p, struct store_backoff *r,
    time_t now)
{
	/* Deferrals just after a raise answer mail sent at the old pace. */
	if (r->level > 0 && now - r->raised < p->settle)
		return false;
	if (r->strike_since == 0 || now - r->strike_since >= p->window) {
		r->strikes = 0;
		r->strike_since = now;
	}
	if (++r->strikes < p->threshold || r->level >= p->levels)
		return false;
	r->level++;
	r->raised = r->changed = now;
	r->strikes = 0;
	r->strike_since = 0;
	return true;
}

/* backoff_signal - a rate-limit deferral; true when the level changed */
bool
backoff_signal(const struct backoff_params *p, struct store_backoff *r,
    time_t now, const char *reason, const char *reply)
{
	bool	 changed = backoff_settle(p, r, now);

	r->last_signal = now;
	r->signals++;
	r->delivered = 0;
	bg_strlcpy(r->reason, reason, sizeof(r->reason));
	bg_strlcpy(r->reply, reply, sizeof(r->reply));
	if (r->manual)
		return changed;
	return backoff_strike(p, r, now) || changed;
}

/* backoff_delivery - a delivery; true when the level changed */
bool
backoff_delivery(const struct backoff_params *p, struct store_backoff *r,
    time_t now)
{
	bool	 changed = backoff_settle(p, r, now);

	if (r->manual || r->level == 0)
		return changed;
	r->delivered++;
	return backoff_settle(p, r, now) || changed;
}

/* backoff_qid_room - room for one more queue id: drop the oldest */
static void
backoff_qid_room(struct store_backoff *r)
{
	if (r->nqids < STORE_BACKOFF_QIDS)
		return;
	memmove(&r->qids[0], &r->qids[1], (STORE_BACKOFF_QIDS - 1) *
	    sizeof(r->qids[0]));
	r->nqids = STORE_BACKOFF_QIDS - 1;
}

/* backoff_qid_seen - note a signal's queue id; true: already counted */
bool
backoff_qid_seen(struct store_backoff *r, const char *qid,
    enum backoff_source from)
{
	struct store_backoff_qid *q = NULL;

	if (qid == NULL || qid[0] == '\0' ||
	    strlen(qid) >= sizeof(r->qids[0].id))
		return false;		/* nothing to tell it by: it counts */
	for (uint32_t i = 0; i < r->nqids && i < STORE_BACKOFF_QIDS; i++)
		if (strcmp(r->qids[i].id, qid) == 0)
			q = &r->qids[i];
	if (q == NULL) {
		backoff_qid_room(r);
		q = &r->qids[r->nqids++];
		bg_strlcpy(q->id, qid, sizeof(q->id));
		q->pipe = from == BACKOFF_FROM_PIPE;
		return false;
	}
	/* The pipe's report summarises deferrals the log had. */
	if (from == BACKOFF_FROM_PIPE)
		return true;
	/* The log's line of a deferral the pipe counted first: once. */
	if (q->pipe)
		return q->pipe = false, true;
	return false;
}

/* backoff_forgettable - calm for long enough to remove the record */
bool
backoff_forgettable(const struct backoff_params *p,
    const struct store_backoff *r, time_t now)
{
	return !r->manual && backoff_level(p, r, now) == 0 &&
	    now - r->last_signal >= BACKOFF_FORGET &&
	    now - r->changed >= BACKOFF_FORGET;
}

/* backoff_transport - the transport of a level; NULL for the default */
const char *
backoff_transport(const struct config *cfg, unsigned level)
{
	if (level == 0 || cfg->backoff_transports.n == 0)
		return NULL;
	if (level > cfg->backoff_transports.n)
		level = (unsigned)cfg->backoff_transports.n;
	return cfg->backoff_transports.v[level - 1];
}

/* backoff_check_domain - a domain argument, lower-cased into out */
int
backoff_check_domain(const char *in, char *out, size_t size,
    const char **why)
{
	if (bg_strlcpy(out, in, size) >= size || strlen(in) >= STORE_ADDR_MAX)
		return *why = "domain too long", -1;
	bg_lowercase(out);
	if (out[0] == '.' || out[0] == '@' || !addr_domain_ok(out))
		return *why = "not a domain name", -1;
	return 0;
}
