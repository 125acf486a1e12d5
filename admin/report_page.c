/*++
 * NAME
 *	report_page 3
 * SUMMARY
 *	bounceguard report: the sections of the page
 * DESCRIPTION
 *	report_page() writes the whole document from a gathered report:
 *	the period and totals, then one section each for the bounce rate
 *	per day (overall and for the largest recipient domains, with the
 *	health thresholds drawn across), bounces per day by type, the top
 *	reasons, suppressions added per day, the domains at warning or
 *	critical health, the most recent hard bounces with their
 *	diagnostics, and a table of every day's figures.
 *
 *	Every figure a chart draws is also written as text: in the
 *	chart's legend, in the <title> of its points and bars, and in the
 *	per-day table, so the page reads the same printed in grey, on a
 *	screen reader, or to a program. Elements carry ids (tile-sent,
 *	chart-rate, ...) for such programs.
 * DIAGNOSTICS
 *	None.
 *--*/
#include <math.h>		/* NAN */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "libbase.h"
#include "report.h"

#define DAY_SIZE	11

struct page {
	struct buf *b;
	const struct report *r;
	char	(*day)[DAY_SIZE];	/* "YYYY-MM-DD" of each day */
	const char **xl;		/* pointers into day */
};

/* page_tile - one figure of the totals */
static void
page_tile(struct buf *b, const char *id, const char *value, const char *label)
{
	buf_printf(b, "<li id=\"tile-%s\"><b>%s</b><span>%s</span></li>\n",
	    id, value, label);
}

/* page_tiles - the period's totals */
static void
page_tiles(struct page *p)
{
	const struct report_counts *t = &p->r->total;
	char	 v[16], rate[24];

	html_rate(rate, sizeof(rate), report_rate(t->bounced, t->sent));
	buf_addstr(p->b, "<ul class=\"tiles\">\n");
	snprintf(v, sizeof(v), "%u", t->sent);
	page_tile(p->b, "sent", v, "sent");
	snprintf(v, sizeof(v), "%u", t->bounced);
	page_tile(p->b, "bounced", v, "bounced");
	page_tile(p->b, "rate", t->sent ? rate : "&#8211;", "bounce rate");
	for (int k = 0; k < RT_NTYPES; k++) {
		snprintf(v, sizeof(v), "%u", t->type[k]);
		page_tile(p->b, report_type_names[k], v, report_type_names[k]);
	}
	snprintf(v, sizeof(v), "%u", p->r->supp_total);
	page_tile(p->b, "suppressions", v, "suppressions added");
	buf_addstr(p->b, "</ul>\n");
}

/* page_header - the heading, the period and the totals */
static void
page_header(struct page *p)
{
	const struct report *r = p->r;
	char	 now[BG_TIMESTR_SIZE];

	buf_addstr(p->b, "<header>\n<h1>bounceguard report</h1>\n"
	    "<p class=\"meta\" id=\"period\">");
	buf_printf(p->b, "%s to %s (%u days), ", p->day[0],
	    p->day[r->ndays - 1], r->ndays);
	if (r->domain != NULL) {
		buf_addstr(p->b, "recipient domain <b>");
		html_text(p->b, r->domain);
		buf_addstr(p->b, "</b>");
	} else
		buf_addstr(p->b, "all recipient domains");
	buf_printf(p->b, "; made %s.</p>\n", bg_timestr(r->now, now,
	    sizeof(now)));
	page_tiles(p);
	buf_addstr(p->b, "</header>\n");
}

/* page_series_rate - a per-day bounce rate in percent, NAN without mail */
static double *
page_series_rate(const struct report *r, const struct report_counts *days)
{
	double	*v = xcalloc(r->ndays, sizeof(*v));

	for (uint32_t i = 0; i < r->ndays; i++)
		v[i] = days[i].sent ? (double)report_rate(days[i].bounced,
		    days[i].sent) / 100 : NAN;
	return v;
}

/* page_legend_item - a legend entry: a sample and escaped text */
static void
page_legend_item(struct buf *b, int style, bool line, const char *name,
    const char *figures)
{
	buf_addstr(b, "<li>");
	svg_swatch(b, style, line);
	buf_addstr(b, "<span>");
	html_text(b, name);
	buf_printf(b, " <b>%s</b></span></li>\n", figures);
}

/* page_rate_figures - "2.35% (12 of 510)" of a sum */
static void
page_rate_figures(char *out, size_t size, const struct report_counts *c)
{
	char	 rate[24];

	html_rate(rate, sizeof(rate), report_rate(c->bounced, c->sent));
	snprintf(out, size, "%s (%u of %u)", c->sent ? rate : "-",
	    c->bounced, c->sent);
}

/* page_rate_desc - the rate chart's figures in words */
static void
page_rate_desc(struct buf *d, const struct report *r, const char *name)
{
	char	 f[64];

	page_rate_figures(f, sizeof(f), &r->total);
	buf_printf(d, "Bounced over sent, per day. %s: %s", name, f);
	for (size_t k = 0; k < r->ntop; k++) {
		page_rate_figures(f, sizeof(f), &r->doms[k].c);
		buf_printf(d, "; %s: %s", r->doms[k].name, f);
	}
	buf_addch(d, '.');
}

/* page_rate - bounce rate per day, overall and for the largest domains */
static void
page_rate(struct page *p)
{
	const struct report *r = p->r;
	const char *all = r->domain ? r->domain : "all domains";
	struct svg_chart c = { .id = "chart-rate", .title = "Bounce rate per "
	    "day", .xlabels = p->xl, .nx = r->ndays, .unit = "%", .decimals = 2 };
	struct buf d = BUF_INIT;
	char	 f[64];

	page_rate_desc(&d, r, all);
	c.desc = d.data;
	c.series[c.nseries++] = (struct svg_series){ all,
	    page_series_rate(r, r->days), 0 };
	for (size_t k = 0; k < r->ntop; k++)
		c.series[c.nseries++] = (struct svg_series){ r->doms[k].name,
		    page_series_rate(r, r->doms[k].days), (int)k + 1 };
	c.marks[0] = (double)r->cfg->health_warning_rate / 100;
	c.marks[1] = (double)r->cfg->health_critical_rate / 100;
	c.mark_names[0] = "warning";
	c.mark_names[1] = "critical";
	c.nmarks = 2;
	buf_addstr(p->b, "<section id=\"rate\">\n<h2>Bounce rate per day</h2>\n");
	svg_line_chart(p->b, &c);
	buf_addstr(p->b, "<ul class=\"legend\">\n");
	for (size_t k = 0; k < c.nseries; k++) {
		page_rate_figures(f, sizeof(f), k ? &r->doms[k - 1].c :
		    &r->total);
		page_legend_item(p->b, (int)k, true, c.series[k].name, f);
		free((void *)c.series[k].v);
	}
	buf_addstr(p->b, "</ul>\n</section>\n");
	buf_free(&d);
}

/* page_types - bounces per day, stacked by type */
static void
page_types(struct page *p)
{
	const struct report *r = p->r;
	struct svg_chart c = { .id = "chart-types", .title = "Bounces per day "
	    "by type", .xlabels = p->xl, .nx = r->ndays, .unit = "" };
	struct buf d = BUF_INIT;
	double	*v[RT_NTYPES];
	char	 f[16];

	buf_addstr(&d, "Bounces per day, stacked by type. Over the period:");
	for (int k = 0; k < RT_NTYPES; k++) {
		v[k] = xcalloc(r->ndays, sizeof(double));
		for (uint32_t i = 0; i < r->ndays; i++)
			v[k][i] = r->days[i].type[k];
		c.series[c.nseries++] = (struct svg_series){
		    report_type_names[k], v[k], SVG_FILL_HARD + k };
		buf_printf(&d, "%s %s %u", k ? "," : "", report_type_names[k],
		    r->total.type[k]);
	}
	buf_addch(&d, '.');
	c.desc = d.data;
	buf_addstr(p->b, "<section id=\"types\">\n"
	    "<h2>Bounces per day by type</h2>\n");
	svg_stacked_bars(p->b, &c);
	buf_addstr(p->b, "<ul class=\"legend\">\n");
	for (int k = 0; k < RT_NTYPES; k++) {
		snprintf(f, sizeof(f), "%u", r->total.type[k]);
		page_legend_item(p->b, SVG_FILL_HARD + k, false,
		    report_type_names[k], f);
		free(v[k]);
	}
	buf_addstr(p->b, "</ul>\n</section>\n");
	buf_free(&d);
}

/* page_reason_style - the bar fill of a reason's type */
static int
page_reason_style(const char *type)
{
	for (int k = 0; k < RT_NTYPES; k++)
		if (strcmp(type, report_type_names[k]) == 0)
			return SVG_FILL_HARD + k;
	return SVG_FILL_OTHER;			/* retry */
}

/* page_reasons - the commonest reasons, one bar each */
static void
page_reasons(struct page *p)
{
	const struct report *r = p->r;
	size_t	 n = r->nreasons < REPORT_TOP_REASONS ? r->nreasons :
	    REPORT_TOP_REASONS;
	const char *names[REPORT_TOP_REASONS], *notes[REPORT_TOP_REASONS];
	char	 note[REPORT_TOP_REASONS][48];
	int	 styles[REPORT_TOP_REASONS];
	double	 v[REPORT_TOP_REASONS];
	struct svg_chart c = { .id = "chart-reasons", .title = "Top reasons",
	    .xlabels = names, .nx = n, .unit = "" };
	struct buf d = BUF_INIT;

	buf_addstr(&d, "Bounces and complaints by reason over the period:");
	for (size_t i = 0; i < n; i++) {
		const char *type = report_reason_type(r->cfg,
		    r->reasons[i].name);

		names[i] = r->reasons[i].name;
		v[i] = (double)r->reasons[i].count;
		styles[i] = page_reason_style(type);
		snprintf(note[i], sizeof(note[i]), "%llu (%s)",
		    r->reasons[i].count, type);
		notes[i] = note[i];
		buf_printf(&d, "%s %s %s", i ? "," : "", names[i], note[i]);
	}
	buf_addch(&d, '.');
	c.desc = d.data;
	c.series[c.nseries++] = (struct svg_series){ "count", v, 0 };
	c.notes = notes;
	c.styles = styles;
	buf_addstr(p->b, "<section id=\"reasons\">\n<h2>Top reasons</h2>\n");
	if (n == 0)
		buf_addstr(p->b, "<p class=\"none\">No bounce in the period."
		    "</p>\n");
	else
		svg_hbars(p->b, &c);
	buf_addstr(p->b, "</section>\n");
	buf_free(&d);
}

/* page_supp - suppressions added per day */
static void
page_supp(struct page *p)
{
	const struct report *r = p->r;
	struct svg_chart c = { .id = "chart-suppressions", .title =
	    "Suppressions added per day", .xlabels = p->xl, .nx = r->ndays,
	    .unit = "" };
	double	*v = xcalloc(r->ndays, sizeof(*v));
	struct buf d = BUF_INIT;

	for (uint32_t i = 0; i < r->ndays; i++)
		v[i] = r->supp_days[i];
	buf_printf(&d, "Suppressions added per day, by the day each began: "
	    "%u over the period.", r->supp_total);
	c.desc = d.data;
	c.series[c.nseries++] = (struct svg_series){ "suppressions", v,
	    SVG_FILL_PLAIN };
	c.label_totals = true;
	buf_addstr(p->b, "<section id=\"suppressions\">\n"
	    "<h2>Suppressions added per day</h2>\n");
	svg_stacked_bars(p->b, &c);
	buf_printf(p->b, "<p class=\"meta\"><b>%u</b> suppressions added in "
	    "the period, counted by the day each began among those still in "
	    "the store (lifted ones are gone).</p>\n</section>\n",
	    r->supp_total);
	free(v);
	buf_free(&d);
}

/* page_health_row - one domain of the health table */
static void
page_health_row(struct buf *b, const struct report_dom *d, const char *h)
{
	char	 rate[24];

	html_rate(rate, sizeof(rate), report_rate(d->c.bounced, d->c.sent));
	buf_addstr(b, "<tr><td>");
	html_text(b, d->name);
	buf_printf(b, "</td><td><span class=\"badge %s\">%s</span></td>"
	    "<td class=\"n\">%s</td><td class=\"n\">%u</td><td class=\"n\">%u"
	    "</td><td class=\"n\">%u</td><td class=\"n\">%u</td>"
	    "<td class=\"n\">%u</td><td class=\"n\">%u</td></tr>\n", h, h,
	    rate, d->c.sent, d->c.bounced, d->c.type[RT_HARD],
	    d->c.type[RT_SOFT], d->c.type[RT_BLOCK], d->c.type[RT_COMPLAINT]);
}

/* page_health_rows - the domains at one level; how many */
static size_t
page_health_rows(struct buf *b, const struct report *r, const char *level)
{
	size_t	 n = 0;

	for (size_t i = 0; i < r->ndoms; i++)
		if (strcmp(report_health(r, &r->doms[i].c), level) == 0) {
			if (b != NULL)
				page_health_row(b, &r->doms[i], level);
			n++;
		}
	return n;
}

/* page_health - the domains at critical, then warning, health */
static void
page_health(struct page *p)
{
	const struct report *r = p->r;
	char	 w[24], c[24];

	html_rate(w, sizeof(w), r->cfg->health_warning_rate);
	html_rate(c, sizeof(c), r->cfg->health_critical_rate);
	buf_printf(p->b, "<section id=\"health\">\n<h2>Domains at warning or "
	    "critical health</h2>\n<p class=\"meta\">Over the period: warning "
	    "from %s, critical above %s (health_warning_rate, "
	    "health_critical_rate).</p>\n", w, c);
	if (page_health_rows(NULL, r, "critical") +
	    page_health_rows(NULL, r, "warning") == 0) {
		buf_addstr(p->b, "<p class=\"none\">No domain is at warning or "
		    "critical health.</p>\n</section>\n");
		return;
	}
	buf_addstr(p->b, "<div class=\"scroll\"><table>\n"
	    "<thead><tr><th>domain</th><th>health</th><th class=\"n\">rate</th>"
	    "<th class=\"n\">sent</th><th class=\"n\">bounced</th>"
	    "<th class=\"n\">hard</th><th class=\"n\">soft</th>"
	    "<th class=\"n\">block</th><th class=\"n\">complaint</th>"
	    "</tr></thead>\n<tbody>\n");
	page_health_rows(p->b, r, "critical");
	page_health_rows(p->b, r, "warning");
	buf_addstr(p->b, "</tbody></table></div>\n</section>\n");
}

/* page_hard_item - one hard bounce with its diagnostic */
static void
page_hard_item(struct buf *b, const struct report_hard *h)
{
	char	 t[BG_TIMESTR_SIZE];

	buf_printf(b, "<li><div class=\"who\">");
	html_text(b, h->addr);
	buf_printf(b, "</div><div class=\"what\"><time>%s</time> &#183; ",
	    bg_timestr((time_t)h->time, t, sizeof(t)));
	html_text(b, h->reason);
	if (h->status[0] != '\0') {
		buf_addstr(b, " &#183; ");
		html_text(b, h->status);
	}
	if (h->mode[0] != '\0') {
		buf_addstr(b, " &#183; ");
		html_text(b, h->mode);
	}
	buf_addstr(b, "</div><code>");
	html_text(b, h->diagnostic[0] ? h->diagnostic : "(no diagnostic)");
	buf_addstr(b, "</code></li>\n");
}

/* page_hard - the most recent hard bounces */
static void
page_hard(struct page *p)
{
	const struct report *r = p->r;

	buf_addstr(p->b, "<section id=\"hard\" class=\"wide\">\n"
	    "<h2>Most recent hard bounces</h2>\n");
	if (r->nhard == 0)
		buf_addstr(p->b, "<p class=\"none\">No hard bounce in the "
		    "period.</p>\n");
	else {
		buf_addstr(p->b, "<ol class=\"events\">\n");
		for (size_t i = 0; i < r->nhard; i++)
			page_hard_item(p->b, &r->hard[i]);
		buf_addstr(p->b, "</ol>\n");
	}
	buf_addstr(p->b, "</section>\n");
}

/* page_day_row - one day of the figures table */
static void
page_day_row(struct page *p, uint32_t i)
{
	const struct report *r = p->r;
	const struct report_counts *c = &r->days[i];
	char	 rate[24];

	html_rate(rate, sizeof(rate), report_rate(c->bounced, c->sent));
	buf_printf(p->b, "<tr><td>%s</td><td class=\"n\">%u</td>"
	    "<td class=\"n\">%u</td><td class=\"n\">%s</td>", p->day[i],
	    c->sent, c->bounced, c->sent ? rate : "-");
	for (int k = 0; k < RT_NTYPES; k++)
		buf_printf(p->b, "<td class=\"n\">%u</td>", c->type[k]);
	buf_printf(p->b, "<td class=\"n\">%u</td>", r->supp_days[i]);
	for (size_t k = 0; k < r->ntop; k++) {
		c = &r->doms[k].days[i];
		html_rate(rate, sizeof(rate), report_rate(c->bounced, c->sent));
		buf_printf(p->b, "<td class=\"n\">%s</td>", c->sent ? rate :
		    "-");
	}
	buf_addstr(p->b, "</tr>\n");
}

/* page_days - every day's figures as a table */
static void
page_days(struct page *p)
{
	const struct report *r = p->r;

	buf_addstr(p->b, "<section id=\"days\" class=\"wide\">\n"
	    "<h2>Figures per day</h2>\n<div class=\"scroll\"><table>\n"
	    "<thead><tr><th>day</th><th class=\"n\">sent</th>"
	    "<th class=\"n\">bounced</th><th class=\"n\">rate</th>");
	for (int k = 0; k < RT_NTYPES; k++)
		buf_printf(p->b, "<th class=\"n\">%s</th>",
		    report_type_names[k]);
	buf_addstr(p->b, "<th class=\"n\">suppressions</th>");
	for (size_t k = 0; k < r->ntop; k++) {
		buf_addstr(p->b, "<th class=\"n\">rate ");
		html_text(p->b, r->doms[k].name);
		buf_addstr(p->b, "</th>");
	}
	buf_addstr(p->b, "</tr></thead>\n<tbody>\n");
	for (uint32_t i = r->ndays; i-- > 0; )		/* newest first */
		page_day_row(p, i);
	buf_addstr(p->b, "</tbody></table></div>\n</section>\n");
}

/* report_page - the whole document */
void
report_page(struct buf *b, const struct report *r)
{
	struct page p = { b, r, xcalloc(r->ndays, DAY_SIZE),
	    xcalloc(r->ndays, sizeof(char *)) };
	struct buf title = BUF_INIT;

	for (uint32_t i = 0; i < r->ndays; i++)
		p.xl[i] = html_day(r->first_day + i, p.day[i], DAY_SIZE);
	buf_printf(&title, "bounceguard report %s to %s", p.day[0],
	    p.day[r->ndays - 1]);
	if (r->domain != NULL)
		buf_printf(&title, ", %s", r->domain);
	html_head(b, title.data);
	svg_defs(b);
	page_header(&p);
	buf_addstr(b, "<main class=\"grid\">\n");
	page_rate(&p);
	page_types(&p);
	page_reasons(&p);
	page_supp(&p);
	page_health(&p);
	page_hard(&p);
	page_days(&p);
	buf_addstr(b, "</main>\n<footer>Made by bounceguard " BG_VERSION
	    " from its store. The page is self-contained: it loads no script, "
	    "font or image.</footer>\n</body>\n</html>\n");
	buf_free(&title);
	free(p.day);
	free(p.xl);
}
