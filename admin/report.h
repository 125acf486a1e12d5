/*++
 * NAME
 *	report 3h
 * SUMMARY
 *	bounceguard report: the data, the page and the charts
 * DESCRIPTION
 *	cmd_report.c reads the options and writes the file; report_data.c
 *	gathers what the page shows from the store into a struct report;
 *	report_page.c writes the HTML sections; report_html.c has the
 *	escaping and the page's head and style; report_svg.c draws the
 *	charts as inline SVG.
 *
 *	Everything that comes from the store (addresses, domains, reasons,
 *	diagnostics: text a remote server chose) goes through html_text()
 *	or html_attr() before it reaches the page.
 *--*/
#ifndef BG_REPORT_H
#define BG_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "libbase.h"
#include "libconf.h"
#include "libstore.h"

#define REPORT_TOP_DOMAINS	3	/* lines in the bounce-rate chart */
#define REPORT_REASONS		64
#define REPORT_TOP_REASONS	10
#define REPORT_HARD		15	/* most recent hard bounces shown */
#define REPORT_HARD_CANDIDATES	256	/* addresses whose history is read */

/* The bounce types of the per-day chart, in stacking order. */
enum report_type {
	RT_HARD, RT_SOFT, RT_BLOCK, RT_COMPLAINT, RT_NTYPES
};

struct report_counts {
	uint32_t sent, bounced;
	uint32_t type[RT_NTYPES];
};

struct report_dom {
	char	*name;
	struct report_counts c;
	struct report_counts *days;	/* only for the top domains */
};

struct report_reason {
	char	 name[STORE_NAME_MAX];
	unsigned long long count;
};

struct report_hard {
	int64_t	 time;
	char	 addr[STORE_ADDR_MAX];
	char	 reason[STORE_NAME_MAX];
	char	 status[STORE_STATUS_MAX];
	char	 reply_code[STORE_CODE_MAX];
	char	 mode[STORE_NAME_MAX];
	char	 diagnostic[STORE_DIAG_MAX];
};

struct report {
	const struct config *cfg;
	const char *domain;		/* --domain, or NULL */
	uint32_t first_day, ndays;
	time_t	 now;
	struct report_counts total;
	struct report_counts *days;	/* ndays */
	uint32_t *supp_days;		/* suppressions added per day */
	uint32_t supp_total;
	struct report_dom *doms;	/* sorted by sent, largest first */
	size_t	 ndoms, capdoms;
	size_t	 ntop;			/* doms[0 .. ntop-1] have days */
	struct report_reason reasons[REPORT_REASONS];
	size_t	 nreasons;		/* sorted by count after gathering */
	struct report_hard hard[REPORT_HARD];
	size_t	 nhard;
};

/* report_data.c */
int	report_gather(struct report *, struct store *);
void	report_free(struct report *);
long long report_rate(uint32_t, uint32_t);
const char *report_health(const struct report *, const struct report_counts *);
const char *report_reason_type(const struct config *, const char *);

/* report_html.c */
void	html_text(struct buf *, const char *);
void	html_attr(struct buf *, const char *);
void	html_head(struct buf *, const char *);
void	html_rate(char *, size_t, long long);
const char *html_day(uint32_t, char *, size_t);
extern const char *const report_type_names[RT_NTYPES];

/* report_page.c */
void	report_page(struct buf *, const struct report *);

/* report_svg.c: charts drawn into a viewBox, scaled to the page width */
#define SVG_MAX_SERIES	8

struct svg_series {
	const char *name;
	const double *v;		/* one value per x */
	int	 style;			/* index into the chart's styles */
};

struct svg_chart {
	const char *id;			/* unique on the page */
	const char *title;		/* the svg's <title> */
	const char *desc;		/* the svg's <desc>: the figures */
	const char *const *xlabels;	/* one per x */
	size_t	 nx;
	const char *unit;		/* "%" or "" after y values */
	int	 decimals;		/* of y values */
	struct svg_series series[SVG_MAX_SERIES];
	size_t	 nseries;
	double	 marks[2];		/* line chart: dashed lines across */
	const char *mark_names[2];
	size_t	 nmarks;
	bool	 label_totals;		/* bars: each day's total above it */
	const char *const *notes;	/* hbars: the value shown per row */
	const int *styles;		/* hbars: the fill per row */
};

void	svg_defs(struct buf *);
void	svg_line_chart(struct buf *, const struct svg_chart *);
void	svg_stacked_bars(struct buf *, const struct svg_chart *);
void	svg_hbars(struct buf *, const struct svg_chart *);
void	svg_swatch(struct buf *, int, bool);

/* Fill styles for bars (greyscale-safe: lightness and pattern differ). */
enum svg_fill {
	SVG_FILL_HARD, SVG_FILL_SOFT, SVG_FILL_BLOCK, SVG_FILL_COMPLAINT,
	SVG_FILL_OTHER, SVG_FILL_PLAIN, SVG_NFILLS
};

#endif
