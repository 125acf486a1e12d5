/*++
 * NAME
 *	report_svg 3
 * SUMMARY
 *	bounceguard report: charts as inline SVG
 * DESCRIPTION
 *	Three charts, each drawn into a fixed viewBox that the style sheet
 *	scales to its column's width: svg_line_chart() (one line per
 *	series over the days, with a y axis, grid lines, day labels and
 *	optional marks such as the health thresholds), svg_stacked_bars()
 *	(the series stacked per day) and svg_hbars() (one labelled bar per
 *	row, its value written after it).
 *
 *	Every chart carries a <title> and a <desc> (the figures in words),
 *	and every point or bar its own <title> with its day, series and
 *	value, so a screen reader, a mouse pointer or a program reading
 *	the page finds the numbers.
 *
 *	Colours are chosen to survive a greyscale printer: lines differ in
 *	dash pattern and marker shape as well as colour; bar fills differ
 *	in lightness and pattern (solid dark, striped, solid light, dotted).
 *	The patterns live in one hidden <svg> written by svg_defs(), which
 *	every chart on the page refers to.
 *
 *	Strings from the store reach the SVG only through html_text().
 * DIAGNOSTICS
 *	None.
 *--*/
#include <math.h>		/* isnan(), a macro: no libm */
#include <stdio.h>
#include <string.h>

#include "libbase.h"
#include "report.h"

#define SVG_W		480
#define SVG_H		230
#define SVG_LEFT	44
#define SVG_RIGHT	10
#define SVG_TOP		14
#define SVG_BOTTOM	30
#define SVG_FONT	13
#define SVG_TICKS	4
#define SVG_XLABELS	6
#define HB_LABEL	138	/* hbars: room for the row labels */
#define HB_VALUE	96	/* hbars: room for the values */
#define HB_ROW		24

struct svg_line_style {
	const char *color;
	const char *width;
	const char *dash;
	const char *marker;	/* circle square triangle diamond */
};

static const struct svg_line_style svg_lines[] = {
	{ "#111111", "3", "", "circle" },
	{ "#1f5f99", "2.2", "7 4", "square" },
	{ "#b03a2e", "2.2", "2 3", "triangle" },
	{ "#2e7d32", "2.2", "10 3 2 3", "diamond" },
};

static const char *const svg_fills[SVG_NFILLS] = {
	"#0b2545", "url(#bg-p-soft)", "#e8a33d", "url(#bg-p-complaint)",
	"url(#bg-p-other)", "#4a6fa5",
};

struct svg_axis {
	double	 max;		/* top of the y axis */
	double	 step;
	int	 decimals;
};

/* svg_num - a value with the chart's decimals and unit */
static void
svg_num(char *out, size_t size, double v, int decimals, const char *unit)
{
	snprintf(out, size, "%.*f%s", decimals, v, unit);
}

/* svg_magnitude - the power of ten at or below a positive value */
static double
svg_magnitude(double v)
{
	double	 mag = 1;

	while (mag * 10 <= v)
		mag *= 10;
	while (mag > v)
		mag /= 10;
	return mag;
}

/* svg_axis_for - a y axis with round ticks above the largest value */
static struct svg_axis
svg_axis_for(double max, int decimals)
{
	static const double nice[] = { 1, 2, 2.5, 5, 10 };
	struct svg_axis a;
	double	 top = max > 0 ? max : 1, mag = svg_magnitude(top / SVG_TICKS);
	int	 n;

	a.step = mag * 10;
	for (size_t i = 0; i < BG_ARRAY_SIZE(nice); i++)
		if (nice[i] * mag >= top / SVG_TICKS) {
			a.step = nice[i] * mag;
			break;
		}
	if (decimals == 0 && a.step < 1)
		a.step = 1;
	for (n = 1; a.step * n < top - a.step * 1e-9; n++)
		;
	a.max = a.step * n;
	a.decimals = a.step >= 1 ? 0 : a.step >= 0.1 ? 1 : 2;
	if (a.decimals == 0 && a.step != (double)(long long)a.step)
		a.decimals = 1;		/* 2.5 */
	return a;
}

/* svg_open - the chart's <svg>, <title> and <desc> */
static void
svg_open(struct buf *b, const struct svg_chart *c, int h)
{
	buf_printf(b, "<svg class=\"chart\" id=\"%s\" viewBox=\"0 0 %d %d\" "
	    "role=\"img\" aria-labelledby=\"%s-t %s-d\" font-size=\"%d\">\n"
	    "<title id=\"%s-t\">", c->id, SVG_W, h, c->id, c->id, SVG_FONT,
	    c->id);
	html_text(b, c->title);
	buf_printf(b, "</title>\n<desc id=\"%s-d\">", c->id);
	html_text(b, c->desc);
	buf_addstr(b, "</desc>\n");
}

/* svg_y - the y coordinate of a value */
static double
svg_y(const struct svg_axis *a, double v)
{
	return SVG_TOP + (SVG_H - SVG_TOP - SVG_BOTTOM) * (1 - v / a->max);
}

/* svg_y_axis - grid lines and their labels */
static void
svg_y_axis(struct buf *b, const struct svg_axis *a, const char *unit)
{
	char	 t[32];

	buf_addstr(b, "<g class=\"y-axis\" fill=\"#333\" text-anchor=\"end\">\n");
	for (double v = 0; v <= a->max + a->step / 2; v += a->step) {
		double	 y = svg_y(a, v);

		svg_num(t, sizeof(t), v, a->decimals, unit);
		buf_printf(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"%s\" stroke-width=\"1\"/>"
		    "<text x=\"%d\" y=\"%.1f\">%s</text>\n", SVG_LEFT,
		    SVG_W - SVG_RIGHT, y, y, v == 0 ? "#555" : "#d4d4d4",
		    SVG_LEFT - 5, y + 4, t);
	}
	buf_addstr(b, "</g>\n");
}

/* svg_x_labels - a few day labels under the x axis, the last one always */
static void
svg_x_labels(struct buf *b, const struct svg_chart *c, double (*x)(const
    struct svg_chart *, size_t))
{
	size_t	 every = (c->nx + SVG_XLABELS - 1) / SVG_XLABELS;

	if (every == 0)
		every = 1;
	buf_addstr(b, "<g class=\"x-axis\" fill=\"#333\" "
	    "text-anchor=\"middle\">\n");
	for (size_t i = 0; i < c->nx; i++) {
		const char *l = c->xlabels[i];

		if ((c->nx - 1 - i) % every != 0)
			continue;
		if (i + 1 == c->nx && c->nx > 1)	/* keep it inside */
			buf_printf(b, "<text x=\"%.1f\" y=\"%d\" "
			    "text-anchor=\"end\">", x(c, i) + 8,
			    SVG_H - SVG_BOTTOM + 18);
		else
			buf_printf(b, "<text x=\"%.1f\" y=\"%d\">", x(c, i),
			    SVG_H - SVG_BOTTOM + 18);
		html_text(b, strlen(l) == 10 ? l + 5 : l);	/* MM-DD */
		buf_addstr(b, "</text>\n");
	}
	buf_addstr(b, "</g>\n");
}

/* svg_line_x - the x of a day in a line chart */
static double
svg_line_x(const struct svg_chart *c, size_t i)
{
	double	 w = SVG_W - SVG_LEFT - SVG_RIGHT - 8;

	return SVG_LEFT + 4 + (c->nx > 1 ? w * (double)i / (double)(c->nx - 1) :
	    w / 2);
}

/* svg_bar_x - the left edge of a day's slot in a bar chart */
static double
svg_bar_x(const struct svg_chart *c, size_t i)
{
	return SVG_LEFT + (SVG_W - SVG_LEFT - SVG_RIGHT) * (double)i /
	    (double)(c->nx ? c->nx : 1);
}

/* svg_bar_mid - the middle of a day's slot */
static double
svg_bar_mid(const struct svg_chart *c, size_t i)
{
	return svg_bar_x(c, i) + (svg_bar_x(c, 1) - svg_bar_x(c, 0)) / 2;
}

/* svg_marker - a point's marker shape, centred on x, y */
static void
svg_marker(struct buf *b, const char *shape, double x, double y, double r)
{
	if (strcmp(shape, "square") == 0)
		buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\"/>", x - r, y - r, 2 * r, 2 * r);
	else if (strcmp(shape, "triangle") == 0)
		buf_printf(b, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\"/>",
		    x, y - r * 1.3, x + r * 1.2, y + r, x - r * 1.2, y + r);
	else if (strcmp(shape, "diamond") == 0)
		buf_printf(b, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f "
		    "%.1fZ\"/>", x, y - r * 1.3, x + r * 1.3, y, x, y + r * 1.3,
		    x - r * 1.3, y);
	else
		buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"/>",
		    x, y, r);
}

/* svg_line_path - one series' line; days without a value break it */
static void
svg_line_path(struct buf *b, const struct svg_chart *c,
    const struct svg_series *s, const struct svg_axis *a)
{
	const struct svg_line_style *ls = &svg_lines[s->style %
	    BG_ARRAY_SIZE(svg_lines)];
	bool	 pen = false;

	buf_printf(b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" "
	    "stroke-linejoin=\"round\"%s%s%s d=\"", ls->color, ls->width,
	    *ls->dash ? " stroke-dasharray=\"" : "", ls->dash,
	    *ls->dash ? "\"" : "");
	for (size_t i = 0; i < c->nx; i++) {
		if (isnan(s->v[i])) {
			pen = false;
			continue;
		}
		buf_printf(b, "%c%.1f %.1f", pen ? 'L' : 'M', svg_line_x(c, i),
		    svg_y(a, s->v[i]));
		pen = true;
	}
	buf_addstr(b, "\"/>\n");
}

/* svg_line_points - one series' markers, each with its figure */
static void
svg_line_points(struct buf *b, const struct svg_chart *c,
    const struct svg_series *s, const struct svg_axis *a)
{
	const struct svg_line_style *ls = &svg_lines[s->style %
	    BG_ARRAY_SIZE(svg_lines)];
	char	 t[32];

	buf_printf(b, "<g class=\"points\" fill=\"%s\">\n", ls->color);
	for (size_t i = 0; i < c->nx; i++) {
		if (isnan(s->v[i]))
			continue;
		svg_num(t, sizeof(t), s->v[i], c->decimals, c->unit);
		buf_addstr(b, "<g><title>");
		html_text(b, c->xlabels[i]);
		buf_addch(b, ' ');
		html_text(b, s->name);
		buf_printf(b, ": %s</title>", t);
		svg_marker(b, ls->marker, svg_line_x(c, i), svg_y(a, s->v[i]),
		    s->style == 0 ? 3 : 2.6);
		buf_addstr(b, "</g>\n");
	}
	buf_addstr(b, "</g>\n");
}

/* svg_series_max - the largest value of every series, stacked or not */
static double
svg_series_max(const struct svg_chart *c, bool stacked)
{
	double	 max = 0;

	for (size_t i = 0; i < c->nx; i++) {
		double	 sum = 0;

		for (size_t k = 0; k < c->nseries; k++) {
			double	 v = c->series[k].v[i];

			if (isnan(v))
				continue;
			sum = stacked ? sum + v : v;
			if (sum > max)
				max = sum;
		}
	}
	return max;
}

/* svg_marks - labelled dashed lines across the plot, such as thresholds */
static void
svg_marks(struct buf *b, const struct svg_chart *c, const struct svg_axis *a)
{
	char	 t[32];

	for (size_t i = 0; i < c->nmarks; i++) {
		double	 y = svg_y(a, c->marks[i]);

		if (c->marks[i] > a->max)
			continue;
		svg_num(t, sizeof(t), c->marks[i], c->decimals, c->unit);
		buf_printf(b, "<g class=\"mark\"><line x1=\"%d\" x2=\"%d\" "
		    "y1=\"%.1f\" y2=\"%.1f\" stroke=\"#666\" stroke-width=\"1.2\" "
		    "stroke-dasharray=\"4 3\"/><text x=\"%d\" y=\"%.1f\" "
		    "text-anchor=\"end\" fill=\"#444\" font-size=\"11\">",
		    SVG_LEFT, SVG_W - SVG_RIGHT, y, y, SVG_W - SVG_RIGHT - 2,
		    y - 3);
		html_text(b, c->mark_names[i]);
		buf_printf(b, " %s</text></g>\n", t);
	}
}

/* svg_line_chart - one line per series over the days */
void
svg_line_chart(struct buf *b, const struct svg_chart *c)
{
	double	 max = svg_series_max(c, false);
	struct svg_axis a;

	for (size_t i = 0; i < c->nmarks; i++)
		if (c->marks[i] > max && c->marks[i] < max * 1.6)
			max = c->marks[i];	/* show a threshold close by */
	a = svg_axis_for(max, c->decimals);
	svg_open(b, c, SVG_H);
	svg_y_axis(b, &a, c->unit);
	svg_marks(b, c, &a);
	svg_x_labels(b, c, svg_line_x);
	for (size_t k = c->nseries; k-- > 0; ) {	/* the total on top */
		svg_line_path(b, c, &c->series[k], &a);
		svg_line_points(b, c, &c->series[k], &a);
	}
	buf_addstr(b, "</svg>\n");
}

/* svg_bar - one rectangle with its figure */
static void
svg_bar(struct buf *b, const struct svg_chart *c, size_t i,
    const struct svg_series *s, double y0, double y1)
{
	double	 slot = svg_bar_x(c, 1) - svg_bar_x(c, 0);
	char	 t[32];

	svg_num(t, sizeof(t), s->v[i], c->decimals, c->unit);
	buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
	    "height=\"%.1f\" fill=\"%s\" stroke=\"#222\" stroke-width=\"0.6\">"
	    "<title>", svg_bar_x(c, i) + slot * 0.14, y1, slot * 0.72, y0 - y1,
	    svg_fills[s->style % SVG_NFILLS]);
	html_text(b, c->xlabels[i]);
	buf_addch(b, ' ');
	html_text(b, s->name);
	buf_printf(b, ": %s</title></rect>\n", t);
}

/* svg_bar_total - a day's total written above its bar */
static void
svg_bar_total(struct buf *b, const struct svg_chart *c, size_t i,
    double total, double y)
{
	char	 t[32];

	svg_num(t, sizeof(t), total, c->decimals, "");
	buf_printf(b, "<text class=\"value\" x=\"%.1f\" y=\"%.1f\" "
	    "text-anchor=\"middle\" font-size=\"%d\" fill=\"#222\">%s</text>\n",
	    svg_bar_mid(c, i), y - 3, c->nx > 16 ? 9 : 11, t);
}

/* svg_stacked_bars - the series stacked, one bar per day */
void
svg_stacked_bars(struct buf *b, const struct svg_chart *c)
{
	struct svg_axis a = svg_axis_for(svg_series_max(c, true) * 1.08, 0);

	svg_open(b, c, SVG_H);
	svg_y_axis(b, &a, c->unit);
	svg_x_labels(b, c, svg_bar_mid);
	buf_addstr(b, "<g class=\"bars\">\n");
	for (size_t i = 0; i < c->nx; i++) {
		double	 sum = 0;

		for (size_t k = 0; k < c->nseries; k++) {
			const struct svg_series *s = &c->series[k];

			if (isnan(s->v[i]) || s->v[i] <= 0)
				continue;
			svg_bar(b, c, i, s, svg_y(&a, sum), svg_y(&a,
			    sum + s->v[i]));
			sum += s->v[i];
		}
		if (c->label_totals && sum > 0)
			svg_bar_total(b, c, i, sum, svg_y(&a, sum));
	}
	buf_addstr(b, "</g>\n</svg>\n");
}

/* svg_hbar_row - one labelled horizontal bar and its value */
static void
svg_hbar_row(struct buf *b, const struct svg_chart *c, size_t i, double max)
{
	double	 w = (SVG_W - HB_LABEL - HB_VALUE) * c->series[0].v[i] / max;
	int	 y = 6 + (int)i * HB_ROW;

	buf_printf(b, "<g class=\"row\"><title>");
	html_text(b, c->xlabels[i]);
	buf_printf(b, ": %s</title><text x=\"%d\" y=\"%d\" "
	    "text-anchor=\"end\" fill=\"#222\">", c->notes[i], HB_LABEL - 6,
	    y + 15);
	html_text(b, c->xlabels[i]);
	buf_printf(b, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" "
	    "height=\"%d\" fill=\"%s\" stroke=\"#222\" stroke-width=\"0.6\"/>"
	    "<text x=\"%.1f\" y=\"%d\" fill=\"#222\">%s</text></g>\n",
	    HB_LABEL, y + 3, w < 1 ? 1 : w, HB_ROW - 8,
	    svg_fills[(c->styles ? c->styles[i] : SVG_FILL_PLAIN) % SVG_NFILLS],
	    HB_LABEL + (w < 1 ? 1 : w) + 5, y + 15, c->notes[i]);
}

/* svg_hbars - one bar per row (series 0), labelled on the left */
void
svg_hbars(struct buf *b, const struct svg_chart *c)
{
	double	 max = svg_series_max(c, false);

	svg_open(b, c, 12 + (int)c->nx * HB_ROW);
	for (size_t i = 0; i < c->nx; i++)
		svg_hbar_row(b, c, i, max > 0 ? max : 1);
	buf_addstr(b, "</svg>\n");
}

/* svg_swatch - a legend's sample: a bar fill, or a line style */
void
svg_swatch(struct buf *b, int style, bool line)
{
	const struct svg_line_style *ls = &svg_lines[style %
	    BG_ARRAY_SIZE(svg_lines)];

	buf_addstr(b, "<svg viewBox=\"0 0 28 14\" aria-hidden=\"true\">");
	if (!line)
		buf_printf(b, "<rect x=\"1\" y=\"1\" width=\"26\" height=\"12\" "
		    "fill=\"%s\" stroke=\"#222\" stroke-width=\"0.8\"/>",
		    svg_fills[style % SVG_NFILLS]);
	else {
		buf_printf(b, "<line x1=\"1\" x2=\"27\" y1=\"7\" y2=\"7\" "
		    "stroke=\"%s\" stroke-width=\"%s\"%s%s%s/><g fill=\"%s\">",
		    ls->color, ls->width, *ls->dash ? " stroke-dasharray=\"" :
		    "", ls->dash, *ls->dash ? "\"" : "", ls->color);
		svg_marker(b, ls->marker, 14, 7, 3.2);
		buf_addstr(b, "</g>");
	}
	buf_addstr(b, "</svg>");
}

/* svg_defs - the fill patterns, in a hidden svg that every chart uses */
void
svg_defs(struct buf *b)
{
	buf_addstr(b, "<svg width=\"0\" height=\"0\" aria-hidden=\"true\" "
	    "style=\"position:absolute\"><defs>\n"
	    "<pattern id=\"bg-p-soft\" width=\"6\" height=\"6\" "
	    "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
	    "<rect width=\"6\" height=\"6\" fill=\"#9cc3e6\"/>"
	    "<rect width=\"2.6\" height=\"6\" fill=\"#1f5f99\"/></pattern>\n"
	    "<pattern id=\"bg-p-complaint\" width=\"5\" height=\"5\" "
	    "patternUnits=\"userSpaceOnUse\">"
	    "<rect width=\"5\" height=\"5\" fill=\"#fbe6cf\"/>"
	    "<circle cx=\"2.5\" cy=\"2.5\" r=\"1.2\" fill=\"#7a3300\"/>"
	    "</pattern>\n"
	    "<pattern id=\"bg-p-other\" width=\"6\" height=\"6\" "
	    "patternUnits=\"userSpaceOnUse\">"
	    "<rect width=\"6\" height=\"6\" fill=\"#e4e4e4\"/>"
	    "<path d=\"M0 3H6M3 0V6\" stroke=\"#777\" stroke-width=\"0.8\"/>"
	    "</pattern>\n</defs></svg>\n");
}
