/*++
 * NAME
 *	cmd_dump 3
 * SUMMARY
 *	bounceguard dump and bounceguard export
 * DESCRIPTION
 *	"dump" prints every address record (one row each, with its primary
 *	suppression), filtered by --suppressed, --domain, --since and
 *	--reason; tab-separated with a header line, aligned on a terminal,
 *	or JSON lines with --json.
 *
 *	"export" prints the same columns and four more (see admin_row.c),
 *	always tab-separated, one row per suppression (an address without
 *	any gets one row), which "import" reads back into the same records.
 *
 *	Both walk addresses.db with a read-committed cursor, so they never
 *	block the pipe or the milter for more than one record.
 * DIAGNOSTICS
 *	A store error ends the output with a message on stderr and exit 1;
 *	bad options or a bad date exit 2.
 *--*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin.h"
#include "libbase.h"
#include "libmail.h"

struct dump_run {
	bool	 json;
	bool	 suppressed;
	bool	 export;
	const char *domain;
	const char *reason;
	time_t	 since;
	time_t	 now;
	struct table tab;
	struct buf line;
};

/* dump_reason_match - a suppression or the last bounce has the reason */
static bool
dump_reason_match(const struct store_addr *a, const char *reason)
{
	if (strcasecmp(a->last_reason, reason) == 0)
		return true;
	for (uint32_t i = 0; i < a->nsupp; i++)
		if (strcasecmp(a->supp[i].reason, reason) == 0)
			return true;
	return false;
}

/* dump_since_match - bounced or suppressed at or after the time */
static bool
dump_since_match(const struct store_addr *a, time_t since)
{
	if (a->last_bounce >= since)
		return true;
	for (uint32_t i = 0; i < a->nsupp; i++)
		if (a->supp[i].since >= since)
			return true;
	return false;
}

/* dump_wanted - the address passes every filter */
static bool
dump_wanted(const struct dump_run *d, const char *addr,
    const struct store_addr *a)
{
	if (d->suppressed &&
	    strcmp(store_addr_state(a, d->now), "suppressed") != 0)
		return false;
	if (d->domain != NULL && strcmp(addr_domain(addr), d->domain) != 0)
		return false;
	if (d->since != 0 && !dump_since_match(a, d->since))
		return false;
	return d->reason == NULL || dump_reason_match(a, d->reason);
}

/* dump_one - print one record; called for every address */
static int
dump_one(const char *addr, const struct store_addr *a, void *arg)
{
	struct dump_run *d = arg;
	struct row r;

	if (!dump_wanted(d, addr, a))
		return 0;
	if (d->json) {
		buf_reset(&d->line);
		row_json(&d->line, addr, a, d->now);
		buf_addch(&d->line, '\n');
		fwrite(d->line.data, 1, d->line.len, stdout);
	} else if (d->export && a->nsupp > 0) {
		for (uint32_t i = 0; i < a->nsupp; i++) {
			row_fill(&r, addr, a, &a->supp[i], d->now);
			table_row(&d->tab, r.v);
		}
	} else {
		row_fill(&r, addr, a, row_primary(a, d->now), d->now);
		table_row(&d->tab, r.v);
	}
	return ferror(stdout) || admin_interrupted ? -1 : 0;
}

/* dump_run - walk the store and print */
static int
dump_walk(struct admin *a, struct dump_run *d, const char *cmd)
{
	struct store *st = admin_store(a);
	int	 rc;

	if (!d->json) {
		table_init(&d->tab, d->export ? ROW_NCOLS : ROW_DUMP_NCOLS,
		    !d->export && admin_tty(), stdout);
		table_row(&d->tab, row_names);
	}
	rc = store_foreach_addr(st, dump_one, d);
	if (!d->json)
		table_flush(&d->tab);
	buf_free(&d->line);
	if (fflush(stdout) != 0 || ferror(stdout))
		return errno == EPIPE ? 1 : admin_fail(cmd, "write error on "
		    "standard output: %s", strerror(errno));
	if (admin_interrupted)
		return admin_fail(cmd, "interrupted");
	if (rc < 0)
		return admin_fail(cmd, "%s", store_error(st));
	return 0;
}

/* dump_options - parse the filters */
static int
dump_options(struct dump_run *d, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "suppressed", no_argument, NULL, 's' },
		{ "domain", required_argument, NULL, 'd' },
		{ "since", required_argument, NULL, 't' },
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int	 ch, status = 0;

	optind = 0;
	while ((ch = admin_getopt("dump", argc, argv, opts, &status)) >= 0) {
		if (ch == 'j')
			d->json = true;
		else if (ch == 's')
			d->suppressed = true;
		else if (ch == 'd') {
			d->domain = optarg[0] == '@' ? optarg + 1 : optarg;
			if (!addr_domain_ok(d->domain))
				return admin_usage("dump", "bad domain \"%s\"",
				    optarg);
		} else if (ch == 't') {
			if (bg_parse_time(optarg, &d->since) < 0)
				return admin_usage("dump", "bad date \"%s\" "
				    "(expected YYYY-MM-DD or "
				    "YYYY-MM-DDTHH:MM:SSZ)", optarg);
		} else if (ch == 'r')
			d->reason = optarg;
	}
	if (ch == -2)
		return status;
	if (optind < argc)
		return admin_usage("dump", "unexpected argument \"%s\"",
		    argv[optind]);
	return 0;
}

/* cmd_dump - print the store's addresses */
int
cmd_dump(struct admin *a, int argc, char **argv)
{
	struct dump_run d;
	char	*dom = NULL;
	int	 rc;

	memset(&d, 0, sizeof(d));
	d.now = time(NULL);
	if ((rc = dump_options(&d, argc, argv)) != 0)
		return rc;
	if (d.domain != NULL) {
		dom = xstrdup(d.domain);
		bg_lowercase(dom);
		d.domain = dom;
	}
	rc = dump_walk(a, &d, "dump");
	free(dom);
	return rc;
}

/* cmd_export - every record, in the form import reads back */
int
cmd_export(struct admin *a, int argc, char **argv)
{
	struct dump_run d;

	if (argc > 1)
		return admin_usage("export", "unexpected argument \"%s\"",
		    argv[1]);
	memset(&d, 0, sizeof(d));
	d.now = time(NULL);
	d.export = true;
	return dump_walk(a, &d, "export");
}
