/*++
 * NAME
 *	follow_batch 3
 * SUMMARY
 *	back-off events from mail log lines, applied in batches
 * DESCRIPTION
 *	follow_batch_line() keeps the lines that matter: a delivery of
 *	smtp(8), and a deferral whose reply the classifier puts among
 *	backoff_reasons. When a message to several recipients at one
 *	domain is deferred by one reply, Postfix logs a line per
 *	recipient: consecutive lines of the same queue id, domain and
 *	reply count once. A signal's queue id is kept in the domain's
 *	record: a deferral that bounceguard-pipe already counted from its
 *	delay DSN or bounce is not counted again (backoff_qid_seen()).
 *
 *	follow_batch_apply() groups the events by domain (in the order
 *	they came) and changes each domain's record once, in one
 *	transaction that also saves the follower's position. Deliveries to
 *	a domain without a record change nothing and cost one read. Level
 *	changes are logged after the commit.
 *
 *	follow_tick() stores the decay of every record (so that the log
 *	and "backoff list" say when a domain went back to its default
 *	transport) and removes records calm for BACKOFF_FORGET. Both count
 *	the level changes, after which the follower rewrites the transport
 *	map.
 * DIAGNOSTICS
 *	Level changes: "backoff: domain=D level=N previous=M
 *	transport=T why=W [signals=S reason=R: REPLY]".
 *--*/
#include <stdlib.h>
#include <string.h>

#include "follow.h"
#include "libbase.h"

/* follow_batch_init - an empty batch */
void
follow_batch_init(struct follow_batch *b)
{
	memset(b, 0, sizeof(*b));
}

/* follow_batch_free - release a batch */
void
follow_batch_free(struct follow_batch *b)
{
	free(b->ev);
	b->ev = NULL;
	b->n = b->cap = 0;
}

/* follow_batch_add - a new event at the end of the batch */
static struct follow_event *
follow_batch_add(struct follow_batch *b, const char *domain, time_t when)
{
	struct follow_event *e;

	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->ev = xrealloc(b->ev, b->cap * sizeof(*b->ev));
	}
	e = &b->ev[b->n++];
	bg_strlcpy(e->domain, domain, sizeof(e->domain));
	e->when = when;
	e->signal = false;
	e->reason[0] = e->reply[0] = e->qid[0] = '\0';
	return e;
}

/* follow_same_reply - the previous signal line's reply, again */
static bool
follow_same_reply(struct follow_batch *b, const struct backoff_line *l)
{
	if (strcmp(b->last_qid, l->queue_id) == 0 &&
	    strcmp(b->last_domain, l->domain) == 0 &&
	    strcmp(b->last_text, l->text) == 0)
		return true;
	bg_strlcpy(b->last_qid, l->queue_id, sizeof(b->last_qid));
	bg_strlcpy(b->last_domain, l->domain, sizeof(b->last_domain));
	bg_strlcpy(b->last_text, l->text, sizeof(b->last_text));
	return false;
}

/* follow_batch_line - the event of one log line, if any */
void
follow_batch_line(struct follow_batch *b, const struct config *cfg,
    struct ruleset *rs, const char *s, size_t n, time_t now)
{
	struct backoff_line l;
	struct follow_event *e;
	enum reason r;

	b->lines++;
	switch (backoff_parse_line(s, n, &l)) {
	case BACKOFF_LINE_SENT:
		b->deliveries++;
		follow_batch_add(b, l.domain, now);
		return;
	case BACKOFF_LINE_DEFERRED:
		if (!backoff_is_signal(cfg, rs, &l, &r) ||
		    follow_same_reply(b, &l))
			return;
		b->signals++;
		e = follow_batch_add(b, l.domain, now);
		e->signal = true;
		bg_strlcpy(e->reason, reason_name(r), sizeof(e->reason));
		bg_strlcpy(e->reply, l.text, sizeof(e->reply));
		bg_strlcpy(e->qid, l.queue_id, sizeof(e->qid));
		return;
	default:
		return;
	}
}

/* follow_log_change - one level change, as a key=value line */
void
follow_log_change(const struct config *cfg, const char *domain,
    unsigned before, unsigned after, const char *why,
    const struct store_backoff *r)
{
	const char *t = backoff_transport(cfg, after);
	char	 reply[STORE_TEXT_MAX], reason[STORE_NAME_MAX];

	if (after > before)
		log_info("backoff: domain=%s level=%u previous=%u transport=%s "
		    "why=%s signals=%u reason=%s: %s", domain, after, before,
		    t ? t : "default", why, r->signals, log_value(r->reason,
		    reason, sizeof(reason)), log_value(r->reply, reply,
		    sizeof(reply)));
	else
		log_info("backoff: domain=%s level=%u previous=%u transport=%s "
		    "why=%s", domain, after, before, t ? t : "default", why);
}

/* follow_event_apply - one event; the cause when the level changed */
static const char *
follow_event_apply(const struct backoff_params *p, struct store_backoff *r,
    const struct follow_event *e)
{
	unsigned before = r->level;

	if (e->signal && backoff_qid_seen(r, e->qid, BACKOFF_FROM_LOG))
		return NULL;	/* the pipe counted it from its report */
	if (e->signal)
		return backoff_signal(p, r, e->when, e->reason, e->reply) ?
		    (r->level > before ? "signals" : "quiet") : NULL;
	/* time first: a delivery after a quiet spell finds the decay */
	if (backoff_settle(p, r, e->when))
		return backoff_delivery(p, r, e->when), "quiet";
	return backoff_delivery(p, r, e->when) ? "deliveries" : NULL;
}

/* follow_group_fn - a domain's events, applied to its record */
static int
follow_group_fn(const char *domain, struct store_backoff *r, bool found,
    void *arg)
{
	struct follow_group *g = arg;
	bool	 any_signal = false;
	const char *why;

	(void)domain;
	for (size_t i = 0; i < g->n; i++)
		any_signal |= g->ev[g->idx[i]].signal;
	if (!found && !any_signal)
		return STORE_NOCHANGE;	/* deliveries to a calm domain */
	g->before = r->level;
	g->why = NULL;
	for (size_t i = 0; i < g->n; i++)
		if ((why = follow_event_apply(g->p, r, &g->ev[g->idx[i]])) !=
		    NULL)
			g->why = why;
	g->after = r->level;
	g->rec = *r;
	/* Deliveries count only while in back-off: nothing else to write. */
	return any_signal || g->why != NULL || r->level > 0 ? STORE_OK :
	    STORE_NOCHANGE;
}

/* follow_cmp - by domain, then in the order the lines came */
static int
follow_cmp(const void *x, const void *y, void *arg)
{
	const struct follow_event *ev = arg;
	size_t	 a = *(const size_t *)x, b = *(const size_t *)y;
	int	 c = strcmp(ev[a].domain, ev[b].domain);

	return c != 0 ? c : (a > b) - (a < b);
}

/* follow_groups - the batch's domains; returns how many */
static size_t
follow_groups(struct follow_batch *b, const struct backoff_params *p,
    size_t *idx, struct follow_group *g, const char **dom)
{
	size_t	 ng = 0;

	for (size_t i = 0; i < b->n; i++)
		idx[i] = i;
	qsort_r(idx, b->n, sizeof(*idx), follow_cmp, b->ev);
	for (size_t i = 0; i < b->n; i++) {
		if (ng == 0 || strcmp(dom[ng - 1], b->ev[idx[i]].domain) != 0) {
			memset(&g[ng], 0, sizeof(g[ng]));
			g[ng].p = p;
			g[ng].ev = b->ev;
			g[ng].idx = &idx[i];
			dom[ng++] = b->ev[idx[i]].domain;
		}
		g[ng - 1].n++;
	}
	return ng;
}

/* follow_pack_pos - the position as 36 bytes, big-endian */
static void
follow_pack_pos(const struct follow_pos *pos, unsigned char *out)
{
	uint64_t v[4] = { pos->dev, pos->ino, pos->off, pos->head };

	for (int i = 0; i < 4; i++)
		for (int k = 0; k < 8; k++)
			out[i * 8 + k] = (unsigned char)(v[i] >> (56 - 8 * k));
	for (int k = 0; k < 4; k++)
		out[32 + k] = (unsigned char)(pos->headlen >> (24 - 8 * k));
}

/* follow_batch_apply - one transaction: the events and the position */
int
follow_batch_apply(struct follow_batch *b, struct store *st,
    const struct config *cfg, const char *key, const struct follow_pos *pos)
{
	struct backoff_params p;
	size_t	*idx = xcalloc(b->n + 1, sizeof(*idx)), ng;
	struct follow_group *g = xcalloc(b->n + 1, sizeof(*g));
	const char **dom = xcalloc(b->n + 1, sizeof(*dom));
	void	**args = xcalloc(b->n + 1, sizeof(*args));
	unsigned char packed[36];
	int	 rc;

	backoff_params(cfg, &p);
	ng = follow_groups(b, &p, idx, g, dom);
	for (size_t i = 0; i < ng; i++)
		args[i] = &g[i];
	if (pos != NULL)
		follow_pack_pos(pos, packed);
	rc = store_backoff_batch(st, ng, dom, follow_group_fn, args,
	    pos != NULL ? key : NULL, packed, sizeof(packed));
	for (size_t i = 0; rc == STORE_OK && i < ng; i++)
		if (g[i].after != g[i].before) {
			follow_log_change(cfg, dom[i], g[i].before, g[i].after,
			    g[i].why ? g[i].why : "quiet", &g[i].rec);
			b->changes++;
		}
	if (rc == STORE_OK)
		b->n = 0;
	free(idx);
	free(g);
	free(dom);
	free(args);
	return rc;
}

struct follow_scan {
	const struct backoff_params *p;
	time_t	 now;
	char	**dom;
	size_t	 n, cap;
};

/* follow_scan_fn - note the records whose stored level is stale */
static int
follow_scan_fn(const char *domain, struct store_backoff *r, bool found,
    void *arg)
{
	struct follow_scan *s = arg;

	(void)found;
	if (backoff_level(s->p, r, s->now) == r->level &&
	    !backoff_forgettable(s->p, r, s->now))
		return 0;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->dom = xrealloc(s->dom, s->cap * sizeof(*s->dom));
	}
	s->dom[s->n++] = xstrdup(domain);
	return 0;
}

struct follow_settle {
	const struct backoff_params *p;
	time_t	 now;
	unsigned before, after;
	struct store_backoff rec;
};

/* follow_settle_fn - store the decay, or forget a calm record */
static int
follow_settle_fn(const char *domain, struct store_backoff *r, bool found,
    void *arg)
{
	struct follow_settle *s = arg;

	(void)domain;
	if (!found)
		return STORE_NOCHANGE;
	s->before = s->after = r->level;
	if (backoff_forgettable(s->p, r, s->now))
		return STORE_DELETE;
	if (!backoff_settle(s->p, r, s->now))
		return STORE_NOCHANGE;
	s->after = r->level;
	s->rec = *r;
	return STORE_OK;
}

/* follow_tick - store the decay of every record; counts the changes */
int
follow_tick(struct store *st, const struct config *cfg, time_t now,
    unsigned *changes)
{
	struct backoff_params p;
	struct follow_scan s = { &p, now, NULL, 0, 0 };
	struct follow_settle one;
	void	*arg = &one;
	int	 rc;

	backoff_params(cfg, &p);
	rc = store_foreach_backoff(st, follow_scan_fn, &s);
	for (size_t i = 0; rc == STORE_OK && i < s.n; i++) {
		const char *d = s.dom[i];

		memset(&one, 0, sizeof(one));
		one.p = &p;
		one.now = now;
		rc = store_backoff_batch(st, 1, &d, follow_settle_fn, &arg,
		    NULL, NULL, 0);
		if (rc == STORE_OK && one.after != one.before) {
			follow_log_change(cfg, d, one.before, one.after,
			    "quiet", &one.rec);
			(*changes)++;
		}
	}
	for (size_t i = 0; i < s.n; i++)
		free(s.dom[i]);
	free(s.dom);
	return rc;
}
