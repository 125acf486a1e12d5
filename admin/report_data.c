/*++
 * NAME
 *	report_data 3
 * SUMMARY
 *	bounceguard report: what the page shows, read from the store
 * DESCRIPTION
 *	report_gather() fills a struct report for the days first_day ..
 *	first_day + ndays - 1, for one recipient domain or all:
 *
 *	domains.db, read twice with a read-committed cursor: the first
 *	pass adds up the per-day counters (sent, bounced, hard, soft,
 *	block, complaint, reasons) overall, per day and per domain; the
 *	second keeps the per-day counters of the largest domains by sent
 *	mail, known only after the first.
 *
 *	addresses.db, read once: the store keeps no counter of
 *	suppressions, so "suppressions added per day" counts the
 *	suppressions present in the records by the day of their "since"
 *	time. A suppression that was lifted since (unsuppress, or expire
 *	after it lapsed) is no longer counted; one that was extended
 *	keeps its first day. The same pass picks the addresses with a
 *	hard bounce in the period, the most recently bounced first
 *	(at most REPORT_HARD_CANDIDATES of them), whose histories
 *	(events.db) give the most recent hard bounces with their
 *	diagnostics.
 *
 *	Health follows "bounceguard stats": critical above
 *	health_critical_rate, warning from health_warning_rate, unknown
 *	when nothing was counted as sent.
 * DIAGNOSTICS
 *	report_gather() returns a negative store code on a store error
 *	(store_error() says which), or STORE_EFATAL when interrupted.
 *--*/
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "libbase.h"
#include "libmail.h"
#include "report.h"

struct report_cand {
	int64_t	 last_bounce;
	char	 addr[STORE_ADDR_MAX];
};

struct report_walk {
	struct report *r;
	struct report_cand *cand;
	size_t	 ncand;
	int64_t	 start, end;		/* the period, in seconds */
};

/* report_rate - bounced over sent in hundredths of a percent */
long long
report_rate(uint32_t bounced, uint32_t sent)
{
	return sent ? (long long)bounced * 10000 / sent : 0;
}

/* report_health - the health word of a domain or the total */
const char *
report_health(const struct report *r, const struct report_counts *c)
{
	long long rate = report_rate(c->bounced, c->sent);

	if (c->sent == 0)
		return "unknown";
	if (rate > r->cfg->health_critical_rate)
		return "critical";
	return rate >= r->cfg->health_warning_rate ? "warning" : "healthy";
}

/* report_reason_type - the policy type a reason counts as */
const char *
report_reason_type(const struct config *cfg, const char *reason)
{
	if (strcmp(reason, "feedback") == 0)
		return "complaint";
	if (strlist_contains(&cfg->hard_reasons, reason))
		return "hard";
	if (strlist_contains(&cfg->block_reasons, reason))
		return "block";
	if (strlist_contains(&cfg->retryable_reasons, reason))
		return "retry";
	return "soft";
}

/* report_add_counts - add a domain-day record to a sum */
static void
report_add_counts(struct report_counts *c, const struct store_domain_day *d)
{
	c->sent += d->sent;
	c->bounced += d->bounced;
	c->type[RT_HARD] += d->hard;
	c->type[RT_SOFT] += d->soft;
	c->type[RT_BLOCK] += d->block;
	c->type[RT_COMPLAINT] += d->complaint;
}

/* report_add_reason - count a reason over the period */
static void
report_add_reason(struct report *r, const char *name, uint32_t n)
{
	size_t	 i;

	for (i = 0; i < r->nreasons; i++)
		if (strcmp(r->reasons[i].name, name) == 0)
			break;
	if (i == r->nreasons) {
		if (i == REPORT_REASONS)
			return;
		bg_strlcpy(r->reasons[i].name, name,
		    sizeof(r->reasons[i].name));
		r->nreasons++;
	}
	r->reasons[i].count += n;
}

/* report_dom_of - the entry of a domain; records come domain by domain */
static struct report_dom *
report_dom_of(struct report *r, const char *domain)
{
	struct report_dom *d;

	if (r->ndoms > 0 && strcmp(r->doms[r->ndoms - 1].name, domain) == 0)
		return &r->doms[r->ndoms - 1];
	if (r->ndoms == r->capdoms) {
		r->capdoms = r->capdoms ? r->capdoms * 2 : 64;
		r->doms = xrealloc(r->doms, r->capdoms * sizeof(*r->doms));
	}
	d = &r->doms[r->ndoms++];
	memset(d, 0, sizeof(*d));
	d->name = xstrdup(domain);
	return d;
}

/* report_day_index - the day's slot, or -1 outside the period */
static long
report_day_index(const struct report *r, uint32_t day)
{
	if (day < r->first_day || day - r->first_day >= r->ndays)
		return -1;
	return (long)(day - r->first_day);
}

/* report_domain_pass1 - one domain-day record into the sums */
static int
report_domain_pass1(const char *domain, uint32_t day,
    const struct store_domain_day *d, void *arg)
{
	struct report *r = arg;
	long	 i = report_day_index(r, day);

	if (admin_interrupted)
		return STORE_EFATAL;
	if (i < 0 || (r->domain != NULL && strcmp(domain, r->domain) != 0))
		return 0;
	report_add_counts(&r->total, d);
	report_add_counts(&r->days[i], d);
	report_add_counts(&report_dom_of(r, domain)->c, d);
	for (uint32_t k = 0; k < d->nreasons && k < STORE_DOMAIN_REASONS; k++)
		report_add_reason(r, d->reasons[k].name, d->reasons[k].count);
	return 0;
}

/* report_domain_pass2 - the per-day counters of the top domains */
static int
report_domain_pass2(const char *domain, uint32_t day,
    const struct store_domain_day *d, void *arg)
{
	struct report *r = arg;
	long	 i = report_day_index(r, day);

	if (admin_interrupted)
		return STORE_EFATAL;
	for (size_t k = 0; i >= 0 && k < r->ntop; k++)
		if (strcmp(r->doms[k].name, domain) == 0)
			report_add_counts(&r->doms[k].days[i], d);
	return 0;
}

/* report_dom_cmp - more mail sent first, then by name */
static int
report_dom_cmp(const void *a, const void *b)
{
	const struct report_dom *x = a, *y = b;

	if (x->c.sent != y->c.sent)
		return x->c.sent > y->c.sent ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* report_reason_cmp - commonest first, then by name */
static int
report_reason_cmp(const void *a, const void *b)
{
	const struct report_reason *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* report_domains - both passes over domains.db */
static int
report_domains(struct report *r, struct store *st)
{
	int	 rc;

	if ((rc = store_foreach_domain(st, r->first_day, report_domain_pass1,
	    r)) < 0)
		return rc;
	if (r->ndoms > 0)
		qsort(r->doms, r->ndoms, sizeof(*r->doms), report_dom_cmp);
	qsort(r->reasons, r->nreasons, sizeof(*r->reasons),
	    report_reason_cmp);
	if (r->domain != NULL)
		return STORE_OK;	/* the total is the one domain */
	r->ntop = r->ndoms < REPORT_TOP_DOMAINS ? r->ndoms : REPORT_TOP_DOMAINS;
	for (size_t k = 0; k < r->ntop; k++)
		r->doms[k].days = xcalloc(r->ndays, sizeof(struct report_counts));
	return r->ntop ? store_foreach_domain(st, r->first_day,
	    report_domain_pass2, r) : STORE_OK;
}

/* report_add_cand - keep the most recently bounced hard-bounce addresses */
static void
report_add_cand(struct report_walk *w, const char *addr, int64_t when)
{
	size_t	 i = w->ncand;

	if (i == REPORT_HARD_CANDIDATES) {
		if (when <= w->cand[i - 1].last_bounce)
			return;
		i--;
	} else
		w->ncand++;
	for (; i > 0 && w->cand[i - 1].last_bounce < when; i--)
		w->cand[i] = w->cand[i - 1];
	w->cand[i].last_bounce = when;
	bg_strlcpy(w->cand[i].addr, addr, sizeof(w->cand[i].addr));
}

/* report_addr_one - one address: its suppressions, and a candidate? */
static int
report_addr_one(const char *addr, const struct store_addr *a, void *arg)
{
	struct report_walk *w = arg;
	struct report *r = w->r;
	const char *at = strrchr(addr, '@');

	if (admin_interrupted)
		return STORE_EFATAL;
	if (r->domain != NULL && (at == NULL || strcmp(at + 1, r->domain) != 0))
		return 0;
	for (uint32_t i = 0; i < a->nsupp; i++) {
		long	 d = a->supp[i].since < w->start || a->supp[i].since >
		    w->end ? -1 : report_day_index(r, bg_day(a->supp[i].since));

		if (d >= 0) {
			r->supp_days[d]++;
			r->supp_total++;
		}
	}
	if (a->hard_count > 0 && a->last_bounce >= w->start && addr[0] != '@')
		report_add_cand(w, addr, a->last_bounce);
	return 0;
}

/* report_add_hard - keep the most recent hard bounces, newest first */
static int
report_add_hard(const char *addr, const struct store_event *e, void *arg)
{
	struct report_walk *w = arg;
	struct report *r = w->r;
	struct report_hard *h;
	size_t	 i = r->nhard;

	if (strcmp(e->type, "hard") != 0 || e->time < w->start ||
	    e->time > w->end)
		return 0;
	if (i == REPORT_HARD) {
		if (e->time <= r->hard[i - 1].time)
			return 0;
		i--;
	} else
		r->nhard++;
	for (; i > 0 && r->hard[i - 1].time < e->time; i--)
		r->hard[i] = r->hard[i - 1];
	h = &r->hard[i];
	h->time = e->time;
	bg_strlcpy(h->addr, addr, sizeof(h->addr));
	bg_strlcpy(h->reason, e->reason, sizeof(h->reason));
	bg_strlcpy(h->status, e->status, sizeof(h->status));
	bg_strlcpy(h->reply_code, e->reply_code, sizeof(h->reply_code));
	bg_strlcpy(h->mode, e->mode, sizeof(h->mode));
	bg_strlcpy(h->diagnostic, e->diagnostic, sizeof(h->diagnostic));
	return 0;
}

/*
 * report_hard_events - the candidates' histories, most recent first; a
 * candidate whose last bounce is older than every kept event cannot
 * add one, and neither can the ones after it.
 */
static int
report_hard_events(struct report_walk *w, struct store *st)
{
	struct report *r = w->r;
	int	 rc;

	for (size_t i = 0; i < w->ncand; i++) {
		if (r->nhard == REPORT_HARD &&
		    w->cand[i].last_bounce <= r->hard[REPORT_HARD - 1].time)
			break;
		if (admin_interrupted)
			return STORE_EFATAL;
		if ((rc = store_foreach_event(st, w->cand[i].addr,
		    report_add_hard, w)) < 0)
			return rc;
	}
	return STORE_OK;
}

/* report_gather - read everything the page shows */
int
report_gather(struct report *r, struct store *st)
{
	struct report_walk w;
	int	 rc;

	r->days = xcalloc(r->ndays, sizeof(*r->days));
	r->supp_days = xcalloc(r->ndays, sizeof(*r->supp_days));
	if ((rc = report_domains(r, st)) < 0)
		return rc;
	memset(&w, 0, sizeof(w));
	w.r = r;
	w.cand = xcalloc(REPORT_HARD_CANDIDATES, sizeof(*w.cand));
	w.start = (int64_t)bg_day_start(r->first_day);
	w.end = (int64_t)bg_day_start(r->first_day + r->ndays) - 1;
	if ((rc = store_foreach_addr(st, report_addr_one, &w)) >= 0)
		rc = report_hard_events(&w, st);
	free(w.cand);
	return rc < 0 ? rc : STORE_OK;
}

/* report_free - release what report_gather() allocated */
void
report_free(struct report *r)
{
	for (size_t i = 0; i < r->ndoms; i++) {
		free(r->doms[i].name);
		free(r->doms[i].days);
	}
	free(r->doms);
	free(r->days);
	free(r->supp_days);
}
