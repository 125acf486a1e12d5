/*++
 * NAME
 *	bg_history 1
 * SUMMARY
 *	write a realistic, deterministic 30-day history into a store
 * DESCRIPTION
 *	bg_history -c FILE [DAYS]
 *
 *	Fills the store of the configuration FILE with DAYS (default 30)
 *	days of mail ending today, through the same calls the milter and
 *	the pipe make: store_count_sent() for the mail sent to each
 *	recipient domain, and store_update() with policy_apply() for each
 *	bounce, dated on its day, so the policy decides the suppressions
 *	as it would have. Six recipient domains of different sizes and
 *	troubles: a large mailbox provider with a few days of blocks, an
 *	old ISP whose addresses mostly no longer exist (critical health),
 *	a small company with full mailboxes (warning), complaints, retries,
 *	and a few suppressions added by hand. The last bounce, now, is a hard
 *	bounce whose diagnostic is hostile markup (an image from the
 *	network, a script), as a remote server may send.
 *
 *	The random numbers come from a fixed seed, so the same figures are
 *	written every time. Standard output lists what was written, as the
 *	seeder counted it (not read back from the store), for a test to
 *	compare with "bounceguard report" and "bounceguard stats":
 *
 *	day YYYY-MM-DD sent=N bounced=N hard=N soft=N block=N complaint=N
 *	    suppressions=N
 *	domain NAME sent=N bounced=N hard=N soft=N block=N complaint=N
 *	total sent=N bounced=N hard=N soft=N block=N complaint=N
 *	    suppressions=N
 *
 *	"suppressions" are those the update created (a suppression whose
 *	start is the bounce's time appeared in the record).
 * DIAGNOSTICS
 *	Exit 1 when the store cannot be written or the policy decided
 *	otherwise than the seeder expected, 2 for bad usage.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libbase.h"
#include "libconf.h"
#include "libmail.h"
#include "libpolicy.h"
#include "libstore.h"

#define HIST_POOL	30	/* chronically full mailboxes per domain */
#define HIST_MAX_SENT	4096	/* per domain and day */

/* What can happen to one message, with its odds per 100000 messages. */
enum hist_kind { HK_HARD, HK_SOFT, HK_BLOCK, HK_COMPLAINT, HK_RETRY, HK_N };

struct hist_domain {
	const char *name;
	unsigned sent;			/* on a weekday */
	unsigned odds[HK_N];
	enum reason hard_reason;
	const char *hard_diag;
	const char *soft_diag;
	const char *block_diag;
};

static const struct hist_domain hist_domains[] = {
	{ "gmail.com", 1200, { 450, 250, 40, 50, 0 }, REASON_USERUNKNOWN,
	  "550-5.1.1 The email account that you tried to reach does not "
	  "exist. Please try double-checking the recipient's email address "
	  "for typos or unnecessary spaces. Learn more at "
	  "https://support.google.com/mail/?p=NoSuchUser",
	  "452-4.2.2 The email account that you tried to reach is over "
	  "quota. Please direct the recipient to "
	  "https://support.google.com/mail/?p=OverQuotaTemp",
	  "550-5.7.1 [192.0.2.25] Our system has detected an unusual rate of "
	  "unsolicited mail originating from your IP address." },
	{ "outlook.com", 700, { 600, 200, 60, 30, 150 }, REASON_USERUNKNOWN,
	  "550 5.5.0 Requested action not taken: mailbox unavailable "
	  "(S2017062302). [AM4PEPF00027A6C.eurprd04.prod.outlook.com]",
	  "552 5.2.2 Mailbox full",
	  "550 5.7.1 Unfortunately, messages from [192.0.2.25] weren't sent. "
	  "Our servers have blocked your IP address. (S3150)" },
	{ "yahoo.com", 400, { 700, 500, 100, 250, 0 }, REASON_USERUNKNOWN,
	  "554 delivery error: dd This user doesn't have a yahoo.com account "
	  "- mta1234.mail.gq1.yahoo.com",
	  "452 4.2.2 Mailbox over quota",
	  "553 5.7.2 [TSS09] All messages from 192.0.2.25 will be permanently "
	  "deferred; Retrying will NOT succeed." },
	{ "example.org", 160, { 500, 300, 0, 0, 0 }, REASON_USERUNKNOWN,
	  "550 5.1.1 <%s>: Recipient address rejected: User unknown in "
	  "virtual mailbox table", "452 4.2.2 Mailbox full", "" },
	{ "smallbiz.example", 60, { 0, 2800, 0, 0, 0 }, REASON_USERUNKNOWN,
	  "", "452 4.2.2 <%s>: Mailbox full, try again later", "" },
	{ "oldisp.example", 50, { 7000, 0, 0, 0, 0 }, REASON_HOSTUNKNOWN,
	  "Host or domain name not found. Name service error for "
	  "name=oldisp.example type=MX: Host not found", "", "" },
};
#define HIST_NDOMAINS	BG_ARRAY_SIZE(hist_domains)

static const char hist_hostile[] =
    "550 5.1.1 <img src=\"http://tracker.invalid/pixel.png\"> "
    "<script>alert('x')</script> & \"quoted\" user unknown";

struct hist_count {
	unsigned sent, bounced, kind[HK_N], supp;
};

struct hist {
	const struct config *cfg;
	struct store *st;
	uint64_t rng;
	unsigned serial;		/* makes every new address unique */
	bool	 gone[HIST_NDOMAINS][HIST_POOL];	/* suppressed */
	struct hist_count dom[HIST_NDOMAINS], total;
	bool	 hostile;		/* the next diagnostic is markup */
};

struct hist_apply {
	struct policy pol;
	struct policy_input in;
	struct policy_result out;
	bool	 new_supp;
};

/* hist_rand - xorshift64*, from a fixed seed */
static unsigned
hist_rand(struct hist *h, unsigned n)
{
	h->rng ^= h->rng >> 12;
	h->rng ^= h->rng << 25;
	h->rng ^= h->rng >> 27;
	return (unsigned)((h->rng * 2685821657736338717ULL) >> 33) % n;
}

/* hist_supp_at - suppressions of a record that began at a time */
static unsigned
hist_supp_at(const struct store_addr *a, time_t t)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < a->nsupp; i++)
		n += a->supp[i].since == t;
	return n;
}

/* hist_apply_fn - policy_apply(), noting whether a suppression began */
static int
hist_apply_fn(struct store_addr *a, bool existed, struct store_event *ev,
    struct store_delta *d, void *arg)
{
	struct hist_apply *x = arg;
	unsigned before = hist_supp_at(a, x->in.now);
	int	 rc = policy_apply(a, existed, ev, d, &x->pol);

	x->new_supp = hist_supp_at(a, x->in.now) > before;
	return rc;
}

/* hist_manual_fn - a suppression added by hand, on its day */
static int
hist_manual_fn(struct store_addr *a, bool existed, struct store_event *ev,
    struct store_delta *d, void *arg)
{
	const time_t *t = arg;

	(void)existed;
	(void)d;
	ev->time = 0;			/* "suppress" records no bounce */
	return policy_suppress(a, "", "unsubscribed by telephone", "manual",
	    *t, 0) ? 0 : STORE_NOCHANGE;
}

/* hist_record - one bounce through the policy; 0 or -1 */
static int
hist_record(struct hist *h, const char *addr, struct hist_apply *x,
    const char *want_type)
{
	x->pol.cfg = h->cfg;
	x->pol.in = &x->in;
	x->pol.out = &x->out;
	x->in.verp = "valid";
	x->in.mode = "async";
	if (store_update(h->st, addr, NULL, hist_apply_fn, x, STORE_NOSYNC) !=
	    STORE_OK) {
		fprintf(stderr, "bg_history: %s\n", store_error(h->st));
		return -1;
	}
	if (strcmp(x->out.type, want_type) != 0) {
		fprintf(stderr, "bg_history: %s: the policy made a %s bounce "
		    "a %s one\n", addr, want_type, x->out.type);
		return -1;
	}
	return 0;
}

/* hist_diag - a diagnostic, with the address where it names one */
static void
hist_diag(char *out, size_t size, const char *fmt, const char *addr)
{
	const char *p = strstr(fmt, "%s");

	if (p == NULL)
		bg_strlcpy(out, fmt, size);
	else
		snprintf(out, size, "%.*s%s%s", (int)(p - fmt), fmt, addr,
		    p + 2);
}

/* hist_address - the recipient of a bounce of a kind */
static void
hist_address(struct hist *h, size_t di, enum hist_kind k, char *addr,
    size_t size, unsigned *slot)
{
	const char *dom = hist_domains[di].name;
	unsigned i = hist_rand(h, HIST_POOL);

	*slot = HIST_POOL;
	if (k == HK_SOFT && !h->gone[di][i]) {
		*slot = i;
		snprintf(addr, size, "mailbox%02u@%s", i, dom);
		return;
	}
	snprintf(addr, size, "%s%05u@%s", k == HK_COMPLAINT ? "reader" :
	    k == HK_HARD ? "user" : "member", ++h->serial, dom);
}

/* hist_input - the classified bounce the pipe would have recorded */
static void
hist_input(struct hist *h, size_t di, enum hist_kind k, const char *addr,
    struct hist_apply *x, char *diag, size_t dsize)
{
	const struct hist_domain *d = &hist_domains[di];
	static const char *const status[HK_N] = { "5.1.1", "4.2.2", "5.7.1",
	    NULL, "4.7.0" };

	x->in.reason = k == HK_HARD ? d->hard_reason : k == HK_SOFT ?
	    REASON_MAILBOXFULL : k == HK_BLOCK ? REASON_BLOCKED : k ==
	    HK_COMPLAINT ? REASON_FEEDBACK : REASON_TOOMANYCONN;
	x->in.hard = k == HK_HARD;
	x->in.dsn_action = k == HK_COMPLAINT ? NULL : "failed";
	x->in.status = d->hard_reason == REASON_HOSTUNKNOWN && k == HK_HARD ?
	    "5.1.2" : status[k];
	x->in.reply_code = k == HK_HARD || k == HK_BLOCK ? "550" : k ==
	    HK_SOFT ? "452" : k == HK_RETRY ? "421" : NULL;
	x->in.scope = k == HK_COMPLAINT ? "news.example.com" : NULL;
	hist_diag(diag, dsize, k == HK_HARD ? d->hard_diag : k == HK_SOFT ?
	    d->soft_diag : k == HK_BLOCK ? d->block_diag : k == HK_RETRY ?
	    "421 4.7.0 Too many connections from your host, try later" : "",
	    addr);
	if (h->hostile)
		bg_strlcpy(diag, hist_hostile, dsize);
	x->in.diagnostic = diag;
}

/* hist_bounce - one bounce of a kind for a domain, at a time */
static int
hist_bounce(struct hist *h, size_t di, enum hist_kind k, time_t t,
    struct hist_count *day)
{
	static const char *const types[HK_N] = { "hard", "soft", "block",
	    "complaint", "retry" };
	char	 addr[STORE_ADDR_MAX], diag[STORE_DIAG_MAX];
	struct hist_apply x;
	unsigned slot;

	memset(&x, 0, sizeof(x));
	hist_address(h, di, k, addr, sizeof(addr), &slot);
	hist_input(h, di, k, addr, &x, diag, sizeof(diag));
	x.in.now = t;
	if (hist_record(h, addr, &x, types[k]) < 0)
		return -1;
	if (slot < HIST_POOL && x.new_supp)
		h->gone[di][slot] = true;
	day->kind[k]++;
	day->bounced += k != HK_COMPLAINT;
	day->supp += x.new_supp;
	return 0;
}

/* hist_kind_of - what happened to one message, if anything */
static int
hist_kind_of(struct hist *h, size_t di, long ago)
{
	unsigned odds[HK_N], r = hist_rand(h, 100000), sum = 0;

	memcpy(odds, hist_domains[di].odds, sizeof(odds));
	if (di == 0 && ago >= 9 && ago <= 11)
		odds[HK_BLOCK] = 2500;		/* a listing, then delisted */
	for (int k = 0; k < HK_N; k++) {
		sum += odds[k];
		if (r < sum)
			return k;
	}
	return -1;
}

/* hist_sent - count a domain's mail of one day as the milter would */
static int
hist_sent(struct hist *h, const char *dom, unsigned n, uint32_t day)
{
	static const char *list[HIST_MAX_SENT];

	for (unsigned i = 0; i < n; i++)
		list[i] = dom;
	if (store_count_sent(h->st, list, n, day) != STORE_OK) {
		fprintf(stderr, "bg_history: %s\n", store_error(h->st));
		return -1;
	}
	return 0;
}

/* hist_add - add a count to another */
static void
hist_add(struct hist_count *to, const struct hist_count *c)
{
	to->sent += c->sent;
	to->bounced += c->bounced;
	for (int k = 0; k < HK_N; k++)
		to->kind[k] += c->kind[k];
	to->supp += c->supp;
}

/* hist_domain_day - one domain's mail and bounces on one day */
static int
hist_domain_day(struct hist *h, size_t di, uint32_t day, long ago,
    time_t span, struct hist_count *c)
{
	const struct hist_domain *d = &hist_domains[di];
	bool	 weekend = (day + 3) % 7 >= 5;	/* day 0 was a Thursday */
	unsigned n = weekend ? d->sent / 3 : d->sent + hist_rand(h, d->sent /
	    10 + 1);
	int	 k;

	memset(c, 0, sizeof(*c));
	c->sent = n;
	if (hist_sent(h, d->name, n, day) < 0)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		if ((k = hist_kind_of(h, di, ago)) < 0)
			continue;
		if (hist_bounce(h, di, (enum hist_kind)k, bg_day_start(day) +
		    (time_t)((long long)span * i / n), c) < 0)
			return -1;
	}
	return 0;
}

/* hist_print - one line of figures */
static void
hist_print(const char *what, const char *name, const struct hist_count *c,
    bool supp)
{
	printf("%s%s%s sent=%u bounced=%u hard=%u soft=%u block=%u "
	    "complaint=%u", what, name ? " " : "", name ? name : "", c->sent,
	    c->bounced, c->kind[HK_HARD], c->kind[HK_SOFT], c->kind[HK_BLOCK],
	    c->kind[HK_COMPLAINT]);
	if (supp)
		printf(" suppressions=%u", c->supp);
	printf("\n");
}

/* hist_manual - on every fifth day, one address suppressed by hand */
static int
hist_manual(struct hist *h, uint32_t day, long ago, struct hist_count *c)
{
	char	 addr[STORE_ADDR_MAX];
	time_t	 t = bg_day_start(day) + 3600;

	if (ago % 5 != 2)
		return 0;
	snprintf(addr, sizeof(addr), "caller%02ld@example.org", ago);
	if (store_update(h->st, addr, NULL, hist_manual_fn, &t, STORE_NOSYNC) !=
	    STORE_OK) {
		fprintf(stderr, "bg_history: %s\n", store_error(h->st));
		return -1;
	}
	c->supp++;
	return 0;
}

/* hist_last - the most recent hard bounce, with a hostile diagnostic */
static int
hist_last(struct hist *h, time_t now, struct hist_count *c)
{
	struct hist_count one;
	int	 rc;

	memset(&one, 0, sizeof(one));
	h->hostile = true;
	rc = hist_bounce(h, 3, HK_HARD, now, &one);
	h->hostile = false;
	hist_add(c, &one);
	hist_add(&h->dom[3], &one);
	return rc;
}

/* hist_day - every domain's mail on one day, then its figures */
static int
hist_day(struct hist *h, uint32_t day, long ago, time_t now)
{
	struct hist_count dayc, c;
	time_t	 span = ago == 0 ? now - bg_day_start(day) : 86400;
	char	 name[BG_TIMESTR_SIZE];

	memset(&dayc, 0, sizeof(dayc));
	for (size_t di = 0; di < HIST_NDOMAINS; di++) {
		if (hist_domain_day(h, di, day, ago, span, &c) < 0)
			return -1;
		hist_add(&h->dom[di], &c);
		hist_add(&dayc, &c);
	}
	if (hist_manual(h, day, ago, &dayc) < 0 || (ago == 0 &&
	    hist_last(h, now, &dayc) < 0))
		return -1;
	hist_add(&h->total, &dayc);
	bg_timestr(bg_day_start(day), name, sizeof(name));
	name[10] = '\0';
	hist_print("day", name, &dayc, true);
	return 0;
}

/* hist_open - the store of the configuration */
static struct store *
hist_open(const struct config *cfg)
{
	struct store_opts o = { cfg->store_lock_timeout, cfg->store_cache_size,
	    (unsigned)cfg->event_history_max, false };
	struct buf err = BUF_INIT;
	struct store *st;

	if (store_open(&st, cfg->store_dir, &o, &err) != STORE_OK) {
		fprintf(stderr, "bg_history: %s\n", buf_cstr(&err));
		exit(1);
	}
	buf_free(&err);
	return st;
}

/* hist_run - the days, oldest first, then the totals */
static int
hist_run(struct hist *h, long days)
{
	time_t	 now = time(NULL);
	uint32_t today = bg_day(now);

	for (long ago = days - 1; ago >= 0; ago--)
		if (hist_day(h, today - (uint32_t)ago, ago, now) < 0)
			return 1;
	for (size_t di = 0; di < HIST_NDOMAINS; di++)
		hist_print("domain", hist_domains[di].name, &h->dom[di], false);
	hist_print("total", NULL, &h->total, true);
	return store_checkpoint(h->st) == STORE_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static struct hist h;
	struct buf err = BUF_INIT;
	struct config *cfg;
	long	 days = argc == 4 ? atol(argv[3]) : 30;
	int	 rc;

	if ((argc != 3 && argc != 4) || strcmp(argv[1], "-c") != 0 ||
	    days < 1 || days > 365) {
		fprintf(stderr, "usage: bg_history -c FILE [DAYS]\n");
		return 2;
	}
	if ((cfg = config_load(argv[2], &err)) == NULL) {
		fprintf(stderr, "%s", buf_cstr(&err));
		return 1;
	}
	buf_free(&err);
	h.cfg = cfg;
	h.rng = 0x9e3779b97f4a7c15ULL ^ 16;	/* issue 16 */
	h.st = hist_open(cfg);
	rc = hist_run(&h, days);
	store_close(h.st);
	config_free(cfg);
	return rc;
}
