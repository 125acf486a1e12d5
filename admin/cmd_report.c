/*++
 * NAME
 *	cmd_report 3
 * SUMMARY
 *	bounceguard report: an HTML page with charts
 * DESCRIPTION
 *	"report --html FILE [--days N] [--domain DOMAIN]" writes one
 *	self-contained HTML file (inline CSS and SVG, no script, nothing
 *	loaded from the network) about the last N days (today included;
 *	default 30), for every recipient domain or only DOMAIN. FILE "-"
 *	is standard output.
 *
 *	The file is opened before the store, because a tool run as root
 *	reads the store as the configured user, who may not be allowed to
 *	create FILE; it is written only once the whole page is made, and
 *	removed (or, when that is no longer allowed, emptied) when the
 *	store cannot be read.
 * DIAGNOSTICS
 *	Exit 1 when FILE cannot be written or the store cannot be read,
 *	2 for bad options.
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "libbase.h"
#include "libmail.h"
#include "report.h"

#define REPORT_DAYS_DEFAULT	30
#define REPORT_DAYS_MAX		3660

struct report_opts {
	const char *html;
	long long days;
	char	 domain[STORE_ADDR_MAX];
};

/* report_options - --html, --days, --domain */
static int
report_options(struct report_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "html", required_argument, NULL, 'h' },
		{ "days", required_argument, NULL, 'd' },
		{ "domain", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dom;
	char	*end;
	int	 ch, status = 0;

	optind = 0;
	while ((ch = admin_getopt("report", argc, argv, opts, &status)) >= 0) {
		if (ch == 'h')
			o->html = optarg;
		else if (ch == 'd' && ((o->days = strtoll(optarg, &end, 10)) <
		    1 || o->days > REPORT_DAYS_MAX || *end != '\0' ||
		    end == optarg))
			return admin_usage("report", "bad number of days \"%s\" "
			    "(1 to %d)", optarg, REPORT_DAYS_MAX);
		else if (ch == 'D') {
			dom = optarg[0] == '@' ? optarg + 1 : optarg;
			if (!addr_domain_ok(dom) || bg_strlcpy(o->domain, dom,
			    sizeof(o->domain)) >= sizeof(o->domain))
				return admin_usage("report", "bad domain \"%s\"",
				    optarg);
			bg_lowercase(o->domain);
		}
	}
	if (ch == -2)
		return status;
	if (optind < argc)
		return admin_usage("report", "unexpected argument \"%s\"",
		    argv[optind]);
	if (o->html == NULL)
		return admin_usage("report", "no output file given (--html "
		    "FILE)");
	return 0;
}

/* report_write_all - write a buffer to a descriptor */
static int
report_write_all(int fd, const char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* report_discard - remove a file that was not written, or empty it */
static void
report_discard(int fd, const char *path)
{
	if (fd == STDOUT_FILENO)
		return;
	if (unlink(path) < 0 && ftruncate(fd, 0) < 0)
		log_warn("%s: cannot remove or empty: %s", path,
		    strerror(errno));
	close(fd);
}

/* report_make - gather the figures and make the page */
static int
report_make(struct admin *a, const struct report_opts *o, struct buf *page)
{
	struct buf err = BUF_INIT;
	struct report r;
	struct store *st;
	uint32_t today;
	int	 rc;

	memset(&r, 0, sizeof(r));
	r.cfg = a->cfg;
	r.domain = o->domain[0] ? o->domain : NULL;
	r.now = time(NULL);
	today = bg_day(r.now);
	r.ndays = (uint32_t)o->days;
	r.first_day = today >= r.ndays - 1 ? today - (r.ndays - 1) : 0;
	r.ndays = today - r.first_day + 1;
	if ((st = admin_store_try(a, &err)) == NULL) {
		rc = admin_fail("report", "%s", buf_cstr(&err));
		buf_free(&err);
		return rc;
	}
	if ((rc = report_gather(&r, st)) < 0)
		rc = admin_interrupted ? admin_fail("report", "interrupted") :
		    admin_fail("report", "%s", store_error(st));
	else
		report_page(page, &r);
	report_free(&r);
	return rc;
}

/* cmd_report - write the HTML report */
int
cmd_report(struct admin *a, int argc, char **argv)
{
	struct report_opts o = { NULL, REPORT_DAYS_DEFAULT, "" };
	struct buf page = BUF_INIT;
	int	 fd, rc;

	if ((rc = report_options(&o, argc, argv)) != 0)
		return rc;
	if (strcmp(o.html, "-") == 0)
		fd = STDOUT_FILENO;
	else if ((fd = open(o.html, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0)
		return admin_fail("report", "cannot create %s: %s", o.html,
		    strerror(errno));
	if ((rc = report_make(a, &o, &page)) != 0) {
		report_discard(fd, o.html);
		buf_free(&page);
		return rc;
	}
	if (report_write_all(fd, page.data, page.len) < 0) {
		rc = admin_fail("report", "cannot write %s: %s", o.html,
		    strerror(errno));
		report_discard(fd, o.html);
	} else if (fd != STDOUT_FILENO && close(fd) < 0) {
		rc = admin_fail("report", "cannot write %s: %s", o.html,
		    strerror(errno));
		unlink(o.html);
	}
	buf_free(&page);
	return rc;
}
