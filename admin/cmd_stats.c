/*++
 * NAME
 *	cmd_stats 3
 * SUMMARY
 *	bounceguard stats: bounce rates per recipient domain
 * DESCRIPTION
 *	"stats [--days N] [--json]" adds up the per-day counters of each
 *	recipient domain over the last N days (today included; default 7)
 *	and prints, per domain and for the total: sent, bounced, rate,
 *	hard, soft, block, complaint, the top three reasons and the
 *	health: "critical" above health_critical_rate, "warning" from
 *	health_warning_rate, else "healthy"; "unknown" when nothing was
 *	counted as sent (the milter did not see the mail) so that no rate
 *	can be computed. --json also gives "unverified": bounces that may
 *	have been forged (a co-recipient's bounce to a token), recorded
 *	but counted nowhere else.
 *
 *	domains.db keeps one domain's days adjacent, so one pass over it
 *	with a running sum does the work.
 *
 *	"stats --prometheus [--output FILE | --textfile]" prints metrics in
 *	the Prometheus text format instead (stats_prom.c), or writes them
 *	atomically to FILE or to bounceguard.prom in metrics_textfile_dir;
 *	--days is then the window of the health gauges.
 * DIAGNOSTICS
 *	Exit 1 on a store error, 2 for bad options.
 *--*/
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "libbase.h"

#define STATS_REASONS	64
#define STATS_TOP	3
#define STATS_COLS	10
#define STATS_TEXTFILE	"bounceguard.prom"

struct stats_sum {
	char	 domain[STORE_ADDR_MAX];
	struct store_domain_day d;	/* reasons unused */
	size_t	 nreasons;
	struct {
		char	 name[STORE_NAME_MAX];
		unsigned long long count;
	} reasons[STATS_REASONS];
};

struct stats_run {
	bool	 json;
	bool	 prometheus;
	bool	 textfile;		/* --output metrics_textfile_dir/... */
	const char *output;
	long long warning, critical;	/* hundredths of a percent */
	struct stats_sum cur, total;
	struct table tab;
};

static const char *const stats_head[STATS_COLS] = {
	"domain", "sent", "bounced", "rate", "hard", "soft", "block",
	"complaint", "top_reasons", "health",
};

/* stats_add_reason - count a reason in a sum */
static void
stats_add_reason(struct stats_sum *s, const char *name, uint32_t n)
{
	size_t	 i;

	for (i = 0; i < s->nreasons; i++)
		if (strcmp(s->reasons[i].name, name) == 0)
			break;
	if (i == s->nreasons) {
		if (i == STATS_REASONS)
			return;
		bg_strlcpy(s->reasons[i].name, name, sizeof(s->reasons[i].name));
		s->nreasons++;
	}
	s->reasons[i].count += n;
}

/* stats_add - add one day to a sum */
static void
stats_add(struct stats_sum *s, const struct store_domain_day *d)
{
	s->d.sent += d->sent;
	s->d.bounced += d->bounced;
	s->d.hard += d->hard;
	s->d.soft += d->soft;
	s->d.block += d->block;
	s->d.complaint += d->complaint;
	s->d.unverified += d->unverified;
	for (uint32_t i = 0; i < d->nreasons && i < STORE_DOMAIN_REASONS; i++)
		stats_add_reason(s, d->reasons[i].name, d->reasons[i].count);
}

/* stats_top - "name:count,..." of the commonest reasons */
static void
stats_top(const struct stats_sum *s, char *out, size_t size)
{
	bool	 used[STATS_REASONS] = { false };
	size_t	 len = 0;

	out[0] = '\0';
	for (int k = 0; k < STATS_TOP; k++) {
		size_t	 best = s->nreasons;

		for (size_t i = 0; i < s->nreasons; i++)
			if (!used[i] && (best == s->nreasons ||
			    s->reasons[i].count > s->reasons[best].count))
				best = i;
		if (best == s->nreasons)
			break;
		used[best] = true;
		len += (size_t)snprintf(out + len, len < size ? size - len : 0,
		    "%s%s:%llu", k ? "," : "", s->reasons[best].name,
		    s->reasons[best].count);
	}
	if (len >= size && size > 4)
		memcpy(out + size - 4, "...", 4);
}

/* stats_health - the health word for a rate in hundredths of a percent */
static const char *
stats_health(const struct stats_run *r, const struct stats_sum *s,
    long long rate)
{
	if (s->d.sent == 0)
		return "unknown";
	if (rate > r->critical)
		return "critical";
	return rate >= r->warning ? "warning" : "healthy";
}

/* stats_rate - bounced over sent in hundredths of a percent */
static long long
stats_rate(const struct stats_sum *s)
{
	return s->d.sent ? (long long)s->d.bounced * 10000 / s->d.sent : 0;
}

/* stats_json - one JSON line for a sum */
static void
stats_json(const struct stats_run *r, const struct stats_sum *s, bool total,
    char n[6][16], const char *top)
{
	long long rate = stats_rate(s);
	struct buf b = BUF_INIT;
	struct json j;
	char	 ratestr[24];

	json_begin(&j, &b);
	if (total)
		json_member_null(&j, "domain");
	else
		json_member_str(&j, "domain", s->domain);
	json_member_bool(&j, "total", total);
	for (int i = 0; i < 6; i++)
		json_member_raw(&j, stats_head[i < 2 ? i + 1 : i + 2], n[i]);
	snprintf(ratestr, sizeof(ratestr), "%u", s->d.unverified);
	json_member_raw(&j, "unverified", ratestr);
	snprintf(ratestr, sizeof(ratestr), "%lld.%02lld", rate / 100,
	    rate % 100);
	json_member_raw(&j, "rate", s->d.sent ? ratestr : "null");
	json_member_str(&j, "top_reasons", top);
	json_member_str(&j, "health", stats_health(r, s, rate));
	json_end(&j);
	printf("%s\n", b.data);
	buf_free(&b);
}

/* stats_print - one line for a sum */
static void
stats_print(struct stats_run *r, const struct stats_sum *s, bool total)
{
	const uint32_t nums[6] = { s->d.sent, s->d.bounced, s->d.hard,
	    s->d.soft, s->d.block, s->d.complaint };
	long long rate = stats_rate(s);
	char	 n[6][16], ratestr[24], top[160];
	const char *v[STATS_COLS];

	stats_top(s, top, sizeof(top));
	for (int i = 0; i < 6; i++)
		snprintf(n[i], sizeof(n[i]), "%u", nums[i]);
	if (r->json) {
		stats_json(r, s, total, n, top);
		return;
	}
	snprintf(ratestr, sizeof(ratestr), "%lld.%02lld%%", rate / 100,
	    rate % 100);
	v[0] = total ? "total" : s->domain;
	v[1] = n[0];
	v[2] = n[1];
	v[3] = s->d.sent ? ratestr : "";
	for (int i = 2; i < 6; i++)
		v[i + 2] = n[i];
	v[8] = top;
	v[9] = stats_health(r, s, rate);
	table_row(&r->tab, v);
}

/* stats_one - one domain-day record, in key order */
static int
stats_one(const char *domain, uint32_t day, const struct store_domain_day *d,
    void *arg)
{
	struct stats_run *r = arg;

	(void)day;
	if (strcmp(domain, r->cur.domain) != 0) {
		if (r->cur.domain[0] != '\0')
			stats_print(r, &r->cur, false);
		memset(&r->cur, 0, sizeof(r->cur));
		bg_strlcpy(r->cur.domain, domain, sizeof(r->cur.domain));
	}
	stats_add(&r->cur, d);
	stats_add(&r->total, d);
	return 0;
}

/* stats_check_options - options that do not go together */
static int
stats_check_options(const struct stats_run *r)
{
	if (r->json && r->prometheus)
		return admin_usage("stats", "--json and --prometheus exclude "
		    "each other");
	if ((r->output != NULL || r->textfile) && !r->prometheus)
		return admin_usage("stats", "--%s needs --prometheus",
		    r->output ? "output" : "textfile");
	if (r->output != NULL && r->textfile)
		return admin_usage("stats", "--output and --textfile exclude "
		    "each other");
	return 0;
}

/* stats_options - --days, --json, --prometheus, --output, --textfile */
static int
stats_options(struct stats_run *r, int argc, char **argv, long long *days)
{
	static const struct option opts[] = {
		{ "days", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "textfile", no_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	char	*end;
	int	 ch, status = 0;

	optind = 0;
	while ((ch = admin_getopt("stats", argc, argv, opts, &status)) >= 0) {
		if (ch == 'j')
			r->json = true;
		else if (ch == 'p')
			r->prometheus = true;
		else if (ch == 'o' && optarg[0] == '\0')
			return admin_usage("stats", "empty --output file name");
		else if (ch == 'o')
			r->output = optarg;
		else if (ch == 't')
			r->textfile = true;
		else if (ch == 'd' && ((*days = strtoll(optarg, &end, 10)) < 1 ||
		    *days > 36500 || *end != '\0' || end == optarg))
			return admin_usage("stats", "bad number of days \"%s\" "
			    "(1 to 36500)", optarg);
	}
	if (ch == -2)
		return status;
	if (optind < argc)
		return admin_usage("stats", "unexpected argument \"%s\"",
		    argv[optind]);
	return stats_check_options(r);
}

/* stats_prom - --prometheus, to standard output or a file */
static int
stats_prom(struct admin *a, const struct stats_run *r, long long days)
{
	char	*path;
	int	 rc;

	if (!r->textfile && r->output == NULL)
		return stats_prometheus(a, stdout, days);
	if (r->output != NULL)
		return stats_prometheus_file(a, r->output, days);
	path = xasprintf("%s/%s", a->cfg->metrics_textfile_dir, STATS_TEXTFILE);
	rc = stats_prometheus_file(a, path, days);
	free(path);
	return rc;
}

/* cmd_stats - per-domain bounce rates */
int
cmd_stats(struct admin *a, int argc, char **argv)
{
	struct stats_run *r = xcalloc(1, sizeof(*r));
	long long days = 7;
	struct store *st;
	uint32_t today = bg_day(time(NULL));
	int	 rc;

	if ((rc = stats_options(r, argc, argv, &days)) != 0 ||
	    r->prometheus) {
		if (rc == 0)
			rc = stats_prom(a, r, days);
		free(r);
		return rc;
	}
	r->warning = a->cfg->health_warning_rate;
	r->critical = a->cfg->health_critical_rate;
	st = admin_store(a);
	table_init(&r->tab, STATS_COLS, admin_tty(), stdout);
	if (!r->json)
		table_row(&r->tab, stats_head);
	rc = store_foreach_domain(st, today >= days ? today - (uint32_t)days +
	    1 : 0, stats_one, r);
	if (rc >= 0) {
		if (r->cur.domain[0] != '\0')
			stats_print(r, &r->cur, false);
		stats_print(r, &r->total, true);
	}
	table_flush(&r->tab);
	free(r);
	return rc < 0 ? admin_fail("stats", "%s", store_error(st)) : 0;
}
