/*++
 * NAME
 *	cmd_parse 3
 * SUMMARY
 *	bounceguard parse: classify bounce files without recording them
 * DESCRIPTION
 *	"bounceguard parse [--json] FILE..." parses each FILE with the
 *	same parser and rules as bounceguard-pipe and prints one line per
 *	reported recipient: JSON objects with --json (the contract in the
 *	product brief), an aligned table otherwise. A FILE may be a
 *	message, an mbox file (every message in it; the JSON gains a
 *	"message" number), a directory (a Maildir's cur/ and new/, or
 *	the files of a plain directory, in name order) or "-" for the
 *	standard input.
 *
 *	Rules come from shipped_rules_dir and then rules_dir; the admin
 *	tool JIT-compiles them. This is the tool for developing rules: the
 *	"rule" key names the file and line that decided each reason, and
 *	"evidence" what kind of evidence it was.
 *
 *	As root, the files are read by this process and parsed by a child
 *	running as the configured user (parse_feed.c): quarantined mail is
 *	hostile, and the parser never runs as root.
 * DIAGNOSTICS
 *	A message that is not a bounce prints nothing on stdout and one
 *	line on stderr saying why; a message that reached a parse limit
 *	(see parser_config_limits()) one more, naming the limit. A file
 *	larger than max_message_size is not parsed and is an error. A bad rule file prints every error with
 *	its file and line and exits 1. The exit status is 0 when every
 *	file could be read, 1 otherwise, 2 on a usage error.
 *--*/
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "libbase.h"
#include "libbounce.h"
#include "parse_feed.h"

/* State of one "parse" run. */
struct parse_run {
	struct bounce_parser bp;
	struct parse_feed *feed;	/* as root: files go to the child */
	bool	 json;
	long long max_size;
	struct buf table;		/* rows of the table, tab-separated */
	int	 status;
};

/* parse_out_json - one JSON line per recipient */
static void
parse_out_json(const char *file, long msgno, const struct bounce_rcpt *r)
{
	struct buf b = BUF_INIT;

	bounce_rcpt_json(&b, file, msgno, r);
	fputs(b.data, stdout);
	buf_free(&b);
}

/* parse_dash - the value or "-" for the table */
static const char *
parse_dash(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

/* parse_out_row - one table row, kept until the widths are known */
static void
parse_out_row(struct parse_run *run, const char *file, long msgno,
    const struct bounce_rcpt *r)
{
	char	 where[64] = "";
	char	 diag[61];

	if (msgno > 0 && snprintf(where, sizeof(where), "#%ld", msgno) >=
	    (int)sizeof(where))
		where[0] = '\0';
	if (bg_strlcpy(diag, parse_dash(r->diagnostic), sizeof(diag)) >=
	    sizeof(diag))
		memcpy(diag + sizeof(diag) - 4, "...", 4);
	for (char *p = diag; *p != '\0'; p++)
		if (*p == '\t')
			*p = ' ';
	buf_printf(&run->table, "%s%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
	    file, where, parse_dash(r->recipient), parse_dash(r->status),
	    reason_name(r->reason), r->hard ? "hard" : "soft",
	    parse_dash(bounce_mode_name(r->mode)), parse_dash(r->evidence),
	    parse_dash(r->rule), diag);
}

/* parse_message - parse and print one message */
static void
parse_message(struct parse_run *run, const char *file, long msgno,
    const char *data, size_t len)
{
	struct bounce_result res;
	struct buf why = BUF_INIT;

	if (bounce_parse(&run->bp, data, len, &res) < 0 ||
	    res.kind == BOUNCE_NONE) {
		if (msgno > 0)
			fprintf(stderr, "%s: message %ld: not a bounce: %s\n",
			    file, msgno, res.why);
		else
			fprintf(stderr, "%s: not a bounce: %s\n", file, res.why);
	}
	for (size_t i = 0; i < res.nrcpt; i++) {
		if (run->json)
			parse_out_json(file, msgno, &res.rcpt[i]);
		else
			parse_out_row(run, file, msgno, &res.rcpt[i]);
	}
	if (parser_config_limits(&run->bp, &res, &why))
		fprintf(stderr, "%s: warning: parse limit: %s\n", file, why.data);
	buf_free(&why);
	bounce_result_free(&res);
}

/* parse_eol_before - the length of the line ending (LF, CRLF or CR)
   that ends just before p, or 0 */
static size_t
parse_eol_before(const char *start, const char *p)
{
	if (p - start >= 2 && p[-1] == '\n' && p[-2] == '\r')
		return 2;
	return p > start && (p[-1] == '\n' || p[-1] == '\r') ? 1 : 0;
}

/* parse_is_mbox_sep - an mbox "From " separator at p: the start of the
   file, or a line after a blank line, whatever the line endings */
static bool
parse_is_mbox_sep(const char *start, const char *p)
{
	size_t	 n;

	if (strncmp(p, "From ", 5) != 0)
		return false;
	if (p == start)
		return true;
	if ((n = parse_eol_before(start, p)) == 0)
		return false;
	return parse_eol_before(start, p - n) > 0;
}

/* parse_next_sep - the next mbox separator from p, or end */
static const char *
parse_next_sep(const char *start, const char *p, const char *end)
{
	while (p < end && !parse_is_mbox_sep(start, p))
		p++;
	return p;
}

/* parse_mbox - every message of an mbox file */
static void
parse_mbox(struct parse_run *run, const char *file, const char *data,
    size_t len)
{
	const char *p = data, *end = data + len;
	long	 n = 0;

	while (p < end) {
		const char *q = parse_next_sep(data, p + 1, end);

		parse_message(run, file, ++n, p, (size_t)(q - p));
		p = q;
	}
}

/* parse_read - the contents of a file, or NULL with a message */
static char *
parse_read(struct parse_run *run, const char *path, size_t *len)
{
	bool	 is_stdin = strcmp(path, "-") == 0;
	FILE	*fp = is_stdin ? stdin : fopen(path, "rb");
	struct buf b = BUF_INIT;
	char	 chunk[65536];
	size_t	 n;

	if (fp == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0 &&
	    (long long)b.len <= run->max_size)
		buf_add(&b, chunk, n);
	if (ferror(fp) || (long long)b.len > run->max_size) {
		if (ferror(fp))
			fprintf(stderr, "%s: read error\n", path);
		else
			fprintf(stderr, "%s: larger than max_message_size=%lld: "
			    "not parsed\n", path, run->max_size);
		if (!is_stdin)
			fclose(fp);
		buf_free(&b);
		return NULL;
	}
	if (!is_stdin)
		fclose(fp);
	*len = b.len;
	buf_addstr(&b, "");
	return buf_steal(&b);
}

/* parse_data - parse the bytes of one message or mbox file */
static void
parse_data(struct parse_run *run, const char *path, const char *data,
    size_t len)
{
	if (len > 5 && memcmp(data, "From ", 5) == 0 &&
	    parse_next_sep(data, data + 1, data + len) < data + len)
		parse_mbox(run, path, data, len);
	else
		parse_message(run, path, 0, data, len);
}

/* parse_file - read one message or mbox file, and parse it here or
   send it to the parsing child */
static void
parse_file(struct parse_run *run, const char *path)
{
	size_t	 len = 0;
	char	*data = parse_read(run, path, &len);

	if (data == NULL) {
		run->status = 1;
		return;
	}
	if (run->feed == NULL)
		parse_data(run, path, data, len);
	else if (parse_feed_send(run->feed, path, data, len) < 0)
		run->status = 1;
	free(data);
}

/* parse_is_entry - a directory entry worth parsing */
static int
parse_is_entry(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* parse_dir_files - the regular files of one directory, in name order */
static void
parse_dir_files(struct parse_run *run, const char *dir)
{
	struct dirent **list;
	int	 n = scandir(dir, &list, parse_is_entry, alphasort);

	if (n < 0) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		run->status = 1;
		return;
	}
	for (int i = 0; i < n; i++) {
		char	*path = xasprintf("%s/%s", dir, list[i]->d_name);
		struct stat st;

		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			parse_file(run, path);
		free(path);
		free(list[i]);
	}
	free(list);
}

/* parse_dir - a Maildir (cur/ and new/) or a plain directory */
static void
parse_dir(struct parse_run *run, const char *dir)
{
	static const char *const subs[] = { "cur", "new" };
	bool	 maildir = false;

	for (size_t i = 0; i < BG_ARRAY_SIZE(subs); i++) {
		char	*sub = xasprintf("%s/%s", dir, subs[i]);
		struct stat st;

		if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
			parse_dir_files(run, sub);
			maildir = true;
		}
		free(sub);
	}
	if (!maildir)
		parse_dir_files(run, dir);
}

/* parse_path - a file or a directory */
static void
parse_path(struct parse_run *run, const char *path)
{
	struct stat st;

	if (strcmp(path, "-") == 0)
		parse_file(run, path);
	else if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		run->status = 1;
	} else if (S_ISDIR(st.st_mode))
		parse_dir(run, path);
	else
		parse_file(run, path);
}

/* parse_table_widths - the width of each tab-separated column */
static void
parse_table_widths(const char *t, size_t w[], size_t ncol)
{
	size_t	 col = 0, cur = 0;

	for (; *t != '\0'; t++) {
		if (*t == '\t' || *t == '\n') {
			if (col < ncol && cur > w[col])
				w[col] = cur;
			col = *t == '\n' ? 0 : col + 1;
			cur = 0;
		} else if (((unsigned char)*t & 0xC0) != 0x80)
			cur++;
	}
}

/* parse_table_print - print the rows with aligned columns */
static void
parse_table_print(const char *t)
{
	static const char *const head = "FILE\tRECIPIENT\tSTATUS\tREASON\t"
	    "TYPE\tMODE\tEVIDENCE\tRULE\tDIAGNOSTIC\n";
	size_t	 w[9] = { 0 }, col = 0, cur = 0;
	char	*all = xasprintf("%s%s", head, t);

	parse_table_widths(all, w, BG_ARRAY_SIZE(w));
	for (const char *p = all; *p != '\0'; p++) {
		if (*p == '\t') {
			for (; cur < w[col] + 2; cur++)
				putchar(' ');
			col++;
			cur = 0;
			continue;
		}
		putchar(*p);
		if (*p == '\n')
			col = cur = 0;
		else if (((unsigned char)*p & 0xC0) != 0x80)
			cur++;
	}
	free(all);
}

/* parse_rules - load the shipped and site rules; NULL on error */
static struct ruleset *
parse_rules(const struct config *cfg)
{
	struct buf err = BUF_INIT;
	struct ruleset *rs = parser_config_rules(cfg, RULES_JIT, &err);

	if (rs == NULL)
		fprintf(stderr, "%s", err.data != NULL ? err.data : "rules: error\n");
	else if (rules_count(rs) == 0)
		fprintf(stderr, "warning: no rules in %s or %s: classifying by "
		    "status codes alone\n", parser_config_shipped_dir(cfg),
		    cfg->rules_dir);
	buf_free(&err);
	return rs;
}

/* parse_setup - parser options from the configuration */
static void
parse_setup(struct parse_run *run, const struct config *cfg)
{
	memset(run, 0, sizeof(*run));
	parser_config_apply(&run->bp, cfg, NULL);
	run->max_size = cfg->max_message_size;
}

/* parse_child - the parsing child: every file the parent sends */
static int
parse_child(struct parse_run *run)
{
	char	*path, *data;
	size_t	 len;
	int	 rc;

	while ((rc = parse_feed_recv(run->feed, &path, &data, &len)) > 0) {
		parse_data(run, path, data, len);
		free(path);
		free(data);
	}
	if (rc < 0) {
		fprintf(stderr, "bounceguard: parse: broken message from the "
		    "reading process\n");
		run->status = 1;
	}
	return run->status;
}

/* parse_all - parse every path: here, or, as root, in a child that runs
   as the configured user while this process reads the files */
static void
parse_all(struct parse_run *run, struct admin *adm, char **paths, int n)
{
	struct parse_feed feed;
	int	 rc = geteuid() == 0 ? parse_feed_start(adm, &feed) : -2;

	if (rc == -1) {
		fprintf(stderr, "bounceguard: parse: fork: %s\n",
		    strerror(errno));
		run->status = 1;
		return;
	}
	if (rc >= 0)
		run->feed = &feed;
	if (rc == 0) {
		parse_child(run);
		return;
	}
	for (int i = 0; i < n; i++)
		parse_path(run, paths[i]);
	if (rc == 1 && parse_feed_finish(&feed) != 0)
		run->status = 1;
	run->feed = NULL;
}

/* cmd_parse - bounceguard parse [--json] FILE... */
int
cmd_parse(struct admin *adm, int argc, char **argv)
{
	struct parse_run run;
	int	 i = 1;

	parse_setup(&run, adm->cfg);
	if (i < argc && strcmp(argv[i], "--json") == 0) {
		run.json = true;
		i++;
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc)
		return admin_usage("parse", "no FILE given");
	if (argv[i][0] == '-' && argv[i][1] != '\0')
		return admin_usage("parse", "unknown option \"%s\"", argv[i]);
	if ((run.bp.rules = parse_rules(adm->cfg)) == NULL)
		return 1;
	parse_all(&run, adm, argv + i, argc - i);
	if (!run.json && run.table.len > 0)
		parse_table_print(run.table.data);
	fflush(stdout);
	buf_free(&run.table);
	rules_free(run.bp.rules);
	return run.status;
}
