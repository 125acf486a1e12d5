/*++
 * NAME
 *	report_html 3
 * SUMMARY
 *	bounceguard report: escaping, the page's head and style sheet
 * DESCRIPTION
 *	html_text() and html_attr() append text from the store to the
 *	page: the five characters HTML gives a meaning to become entities,
 *	control characters become spaces, and bytes that are not valid
 *	UTF-8 become U+FFFD, so that a diagnostic written by a remote
 *	server can neither add markup nor break the page's encoding.
 *
 *	html_head() writes everything up to <body>: the charset, the
 *	viewport for phones, the title and the one inline style sheet.
 *	The page loads nothing: no script, no font, no image; the system's
 *	own sans-serif font is used.
 *
 *	The style sheet lays the sections out in as many columns as fit
 *	(one on a phone, two on a wide screen); charts are SVG scaled to
 *	their column's width; tables too wide for a phone scroll inside
 *	their section. For print, backgrounds go white, sections are not
 *	split across pages.
 * DIAGNOSTICS
 *	None.
 *--*/
#include <stdio.h>
#include <string.h>

#include "libbase.h"
#include "report.h"

const char *const report_type_names[RT_NTYPES] = {
	"hard", "soft", "block", "complaint",
};

static const char report_css[] =
":root{color-scheme:light}\n"
"*{box-sizing:border-box}\n"
"body{margin:0;background:#f3f3f1;color:#1b1b1b;font:15px/1.45 system-ui,"
"-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",\"Noto Sans\","
"\"Liberation Sans\",\"DejaVu Sans\",Arial,sans-serif}\n"
"header,main{max-width:1400px;margin:0 auto;padding:12px 14px}\n"
"header{padding-bottom:0}\n"
"h1{font-size:1.45em;margin:.2em 0}\n"
"h2{font-size:1.1em;margin:0 0 .5em}\n"
"p.meta{margin:.2em 0;color:#444}\n"
".tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(7.2em,1fr));"
"gap:8px;margin:10px 0 0;padding:0;list-style:none}\n"
".tiles li{background:#fff;border:1px solid #c9c9c9;border-radius:6px;"
"padding:6px 10px}\n"
".tiles b{display:block;font-size:1.35em;font-variant-numeric:tabular-nums}\n"
".tiles span{font-size:.85em;color:#444}\n"
".grid{display:grid;grid-template-columns:repeat(auto-fit,"
"minmax(min(100%,34em),1fr));gap:14px}\n"
"section{background:#fff;border:1px solid #c9c9c9;border-radius:6px;"
"padding:12px 14px;min-width:0}\n"
"section.wide{grid-column:1/-1}\n"
"svg.chart{display:block;width:100%;height:auto;max-height:26em}\n"
"svg.chart text{font-family:inherit}\n"
".legend{display:flex;flex-wrap:wrap;gap:4px 16px;margin:6px 0 0;"
"padding:0;list-style:none;font-size:.9em}\n"
".legend li{display:flex;align-items:center;gap:6px}\n"
".legend svg{width:28px;height:14px;flex:none}\n"
".scroll{overflow-x:auto}\n"
"table{border-collapse:collapse;width:100%;font-size:.9em;"
"font-variant-numeric:tabular-nums}\n"
"th,td{text-align:left;padding:3px 8px 3px 0;border-bottom:1px solid #ddd;"
"vertical-align:top}\n"
"td.n,th.n{text-align:right}\n"

".badge{display:inline-block;padding:0 .45em;border-radius:3px;"
"font-weight:600;border:2px solid #222}\n"
".badge.critical{background:#222;color:#fff}\n"
".badge.warning{background:#fff;color:#222;border-style:dashed}\n"
"ol.events{list-style:none;margin:0;padding:0;column-width:36em;"
"column-gap:28px}\n"
"ol.events li{border-bottom:1px solid #ddd;padding:6px 0;"
"break-inside:avoid}\n"
"ol.events .who{font-weight:600;overflow-wrap:anywhere}\n"
"ol.events .what{color:#333;font-size:.9em}\n"
"ol.events code{display:block;white-space:pre-wrap;overflow-wrap:anywhere;"
"font:.85em/1.35 ui-monospace,\"DejaVu Sans Mono\",monospace;"
"background:#f4f4f4;border-left:3px solid #888;padding:3px 6px;"
"margin-top:3px}\n"
"p.none{color:#444;font-style:italic}\n"
"footer{max-width:1400px;margin:0 auto;padding:4px 14px 16px;"
"font-size:.85em;color:#555}\n"
"@media (max-width:480px){body{font-size:14px}"
"header,main{padding:8px}section{padding:10px}}\n"
"@media print{body{background:#fff;font-size:11pt}"
".grid{display:block}section{border:1px solid #777;margin:0 0 10px;"
"break-inside:avoid;page-break-inside:avoid}"
".tiles li{border-color:#777}ol.events{columns:auto}}\n";

/* html_ascii - append one ASCII character, as an entity if it must be */
static void
html_ascii(struct buf *b, unsigned char c)
{
	switch (c) {
	case '&':
		buf_addstr(b, "&amp;");
		break;
	case '<':
		buf_addstr(b, "&lt;");
		break;
	case '>':
		buf_addstr(b, "&gt;");
		break;
	case '"':
		buf_addstr(b, "&quot;");
		break;
	case '\'':
		buf_addstr(b, "&#39;");
		break;
	default:
		buf_addch(b, c < 0x20 || c == 0x7f ? ' ' : c);
	}
}

/* html_text - append text from the store, escaped for HTML */
void
html_text(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t	 n;

	while (*p != '\0') {
		if (*p < 0x80) {
			html_ascii(b, *p++);
		} else if ((n = bg_utf8_len(p)) > 0) {
			buf_add(b, p, n);
			p += n;
		} else {
			buf_addstr(b, "\xef\xbf\xbd");
			p++;
		}
	}
}

/* html_attr - append an attribute value (quoted by the caller) */
void
html_attr(struct buf *b, const char *s)
{
	html_text(b, s);	/* quotes are escaped too */
}

/* html_rate - "2.35%" from hundredths of a percent */
void
html_rate(char *out, size_t size, long long rate)
{
	snprintf(out, size, "%lld.%02lld%%", rate / 100, rate % 100);
}

/* html_day - "2026-11-24" of a day number */
const char *
html_day(uint32_t day, char *out, size_t size)
{
	char	 t[BG_TIMESTR_SIZE];

	bg_timestr(bg_day_start(day), t, sizeof(t));
	snprintf(out, size, "%.10s", t);
	return out;
}

/* html_head - the document up to and including <body> */
void
html_head(struct buf *b, const char *title)
{
	buf_addstr(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n"
	    "<meta name=\"generator\" content=\"bounceguard " BG_VERSION
	    "\">\n<title>");
	html_text(b, title);
	buf_addstr(b, "</title>\n<style>\n");
	buf_addstr(b, report_css);
	buf_addstr(b, "</style>\n</head>\n<body>\n");
}
