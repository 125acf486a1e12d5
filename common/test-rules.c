/*++
 * NAME
 *	test-rules 1
 * SUMMARY
 *	unit tests for the rule file loader and matcher
 * DESCRIPTION
 *	Table-driven: every error a rule file can contain and the message
 *	naming its file and line; the conditions and flags; first-match
 *	order; site directories that add and override shipped files; the
 *	match limit that stops a runaway pattern; lazy compilation.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "reason.h"
#include "rules.h"
#include "tap.h"
#include "util.h"

static char tmpdir[] = "/tmp/bg-test-rules-XXXXXX";

struct error_case {
	const char *text;
	const char *want;		/* the whole first error line */
};

static const struct error_case error_cases[] = {
	{ "nosuchreason /x/\n", "t.rules:1: unknown reason \"nosuchreason\"" },
	{ "# c\n\nuserunknown\n", "t.rules:3: rule has no /pattern/" },
	{ "userunknown status=5.1.1\n", "t.rules:1: rule has no /pattern/" },
	{ "userunknown /abc\n", "t.rules:1: pattern has no closing '/'" },
	{ "userunknown //\n", "t.rules:1: empty pattern" },
	{ "userunknown /a/q\n", "t.rules:1: unknown pattern flag 'q'" },
	{ "userunknown /(a/\n", "t.rules:1: pattern error at offset 2: "
	    "missing closing parenthesis" },
	{ "userunknown colour=red /a/\n",
	    "t.rules:1: unknown condition \"colour\"" },
	{ "userunknown status /a/\n",
	    "t.rules:1: expected KEY=VALUE or /pattern/, found \"status\"" },
	{ "userunknown status= /a/\n",
	    "t.rules:1: bad or repeated value in \"status=\"" },
	{ "userunknown status=5,,4 /a/\n",
	    "t.rules:1: bad or repeated value in \"status=5,,4\"" },
	{ "userunknown status=5, /a/\n",
	    "t.rules:1: bad or repeated value in \"status=5,\"" },
	{ "userunknown status=5 status=4 /a/\n",
	    "t.rules:1: bad or repeated value in \"status=4\"" },
	{ "userunknown part=header /a/\n",
	    "t.rules:1: bad or repeated value in \"part=header\"" },
	{ "blocked /ok/\nmailboxfull reply=55 /x/c\nbogus /a/\n",
	    "t.rules:3: unknown reason \"bogus\"" },
};

/* test_errors - each bad rule names its file and line */
static void
test_errors(void)
{
	for (size_t i = 0; i < BG_ARRAY_SIZE(error_cases); i++) {
		struct ruleset *rs = rules_new(0);
		struct buf err = BUF_INIT;
		int	 rc = rules_add_text(rs, "/some/dir/t.rules",
		    error_cases[i].text, &err);
		char	*line = err.data != NULL ? xstrndup(err.data,
		    strcspn(err.data, "\n")) : NULL;
		const char *p = line != NULL ? strstr(line, "t.rules:") : NULL;

		is_int(rc, -1, "error case %zu fails", i);
		is_str(p, error_cases[i].want, "error case %zu message", i);
		free(line);
		buf_free(&err);
		rules_free(rs);
	}
}

struct match_case {
	const char *status, *reply, *action, *diag, *subject;
	const char *want;		/* reason name, or NULL: no match */
	unsigned line;
};

static const char match_rules[] =
    "# test rules\n"
    "mailboxfull  status=5.1.1,4.2.2  /over ?quota/\n"
    "speeding     /too many recipients this hour/\n"
    "userunknown  status=5.1.1  /./\n"
    "blocked      reply=55 part=diagnostic  /block ?list/\n"
    "expired      action=delayed  /./\n"
    "hostunknown  status=none  /no such domain/\n"
    "spamdetected part=subject  /spam/\n"
    "filtered     /CaseSensitive/c\n"
    "policyviolation / polic y # extended syntax /x\n";

static const struct match_case match_cases[] = {
	{ "5.1.1", "550", "failed", "mailbox over quota", NULL, "mailboxfull", 2 },
	{ "4.2.2", NULL, NULL, "overquota", NULL, "mailboxfull", 2 },
	{ "5.2.2", NULL, NULL, "over quota", NULL, NULL, 0 },
	{ "5.1.10", NULL, NULL, "over quota", NULL, NULL, 0 },
	{ "5.1.1", "550", NULL, "sent to too many recipients this hour", NULL,
	    "speeding", 3 },
	{ "5.1.1", "550", NULL, "user unknown", NULL, "userunknown", 4 },
	{ NULL, "554", NULL, "listed on a blocklist", NULL, "blocked", 5 },
	{ NULL, "450", NULL, "listed on a blocklist", NULL, NULL, 0 },
	{ NULL, NULL, "delayed", "anything", NULL, "expired", 6 },
	{ NULL, NULL, NULL, "No Such Domain", NULL, "hostunknown", 7 },
	{ "5.1.2", NULL, NULL, "no such domain", NULL, NULL, 0 },
	{ NULL, NULL, NULL, "nothing", "SPAM warning", "spamdetected", 8 },
	{ NULL, NULL, NULL, "spam", NULL, NULL, 0 },
	{ NULL, NULL, NULL, "CaseSensitive", NULL, "filtered", 9 },
	{ NULL, NULL, NULL, "casesensitive", NULL, NULL, 0 },
	{ NULL, NULL, NULL, "a Policy was hit", NULL, "policyviolation", 10 },
};

/* test_matching - conditions, flags and first-match order */
static void
test_matching(unsigned flags)
{
	struct ruleset *rs = rules_new(flags);
	struct buf err = BUF_INIT;

	is_int(rules_add_text(rs, "t.rules", match_rules, &err), 0,
	    "match rules load (flags %u)", flags);
	is_int((long long)rules_count(rs), 9, "nine rules");
	for (size_t i = 0; i < BG_ARRAY_SIZE(match_cases); i++) {
		const struct match_case *c = &match_cases[i];
		struct rule_input in = { c->status, c->reply, c->action,
		    { c->diag, c->subject, NULL } };
		struct rule_match m;
		int	 hit = rules_match(rs, &in, &m);

		is_str(hit ? reason_name((enum reason)m.reason) : NULL, c->want,
		    "match case %zu (flags %u)", i, flags);
		if (hit)
			ok(m.line == c->line && strcmp(m.file, "t.rules") == 0,
			    "match case %zu decided by t.rules:%u", i, c->line);
	}
	buf_free(&err);
	rules_free(rs);
}

/* test_limits - a catastrophic pattern hits the limit, not the CPU */
static void
test_limits(unsigned flags)
{
	struct ruleset *rs = rules_new(flags);
	struct buf err = BUF_INIT;
	char	 text[64];
	struct rule_input in;
	struct rule_match m;

	memset(text, 'a', sizeof(text) - 2);
	text[sizeof(text) - 2] = 'b';
	text[sizeof(text) - 1] = '\0';
	rules_add_text(rs, "t.rules", "blocked /^(a+)+$/\n"
	    "userunknown /b$/\n", &err);
	rules_set_limits(rs, 1000, 100);
	memset(&in, 0, sizeof(in));
	in.text[RULE_PART_DIAGNOSTIC] = text;
	is_int(rules_match(rs, &in, &m), 1, "a later rule still matches "
	    "(flags %u)", flags);
	is_str(reason_name((enum reason)m.reason), "userunknown",
	    "the runaway rule counts as no match");
	ok(m.limit_hit, "the limit hit is reported");
	is_int((long long)rules_limit_hits(rs), 1, "and counted");
	buf_free(&err);
	rules_free(rs);
}

/* write_rules - a rule file in a test directory */
static void
write_rules(const char *dir, const char *name, const char *text)
{
	char	*d = xasprintf("%s/%s", tmpdir, dir);
	char	*path = xasprintf("%s/%s", d, name);
	FILE	*fp;

	(void)mkdir(d, 0700);
	if ((fp = fopen(path, "w")) == NULL || fputs(text, fp) == EOF ||
	    fclose(fp) != 0)
		fatal("write %s", path);
	free(path);
	free(d);
}

/* test_reason_of - the reason the loaded rules give a diagnostic */
static const char *
test_reason_of(struct ruleset *rs, const char *diag, const char **file)
{
	struct rule_input in;
	struct rule_match m;

	memset(&in, 0, sizeof(in));
	in.text[RULE_PART_DIAGNOSTIC] = diag;
	if (!rules_match(rs, &in, &m))
		return NULL;
	*file = m.file;
	return reason_name((enum reason)m.reason);
}

/* test_directories - shipped then site; same-name files replace */
static void
test_directories(void)
{
	char	*shipped = xasprintf("%s/shipped", tmpdir);
	char	*site = xasprintf("%s/site", tmpdir);
	char	*missing = xasprintf("%s/missing", tmpdir);
	const char *dirs[3] = { shipped, site, missing };
	struct buf err = BUF_INIT;
	struct ruleset *rs;
	const char *file = NULL;

	write_rules("shipped", "10-a.rules", "blocked /blocklist/\n");
	write_rules("shipped", "20-b.rules", "mailboxfull /quota/\n");
	write_rules("shipped", "README", "not a rule file\n");
	write_rules("site", "20-b.rules", "# switched off\n");
	write_rules("site", "50-site.rules", "spamdetected /blocklist/\n");
	rs = rules_load(dirs, 3, RULES_LAZY, &err);
	ok(rs != NULL, "directories load; a missing one is empty");
	is_int((long long)rules_count(rs), 2, "replaced file left out");
	is_str(test_reason_of(rs, "on a blocklist", &file), "spamdetected",
	    "site rules are tried first");
	is_str(file, "50-site.rules", "and name their file");
	is_str(test_reason_of(rs, "over quota", &file), NULL,
	    "a same-name site file replaces the shipped one");
	rules_free(rs);
	write_rules("site", "60-bad.rules", "blocked /ok/\n\nbad line\n");
	rs = rules_load(dirs, 3, 0, &err);
	ok(rs == NULL, "a bad site rule fails the load");
	ok(err.data != NULL && strstr(err.data, "/site/60-bad.rules:3: "
	    "unknown reason \"bad\"") != NULL, "naming the path and line");
	buf_free(&err);
	free(shipped);
	free(site);
	free(missing);
}

/* test_lazy - a lazy ruleset reports a bad pattern when it meets it */
static void
test_lazy(void)
{
	struct ruleset *rs = rules_new(RULES_LAZY);
	struct buf err = BUF_INIT;
	const char *file = NULL;

	is_int(rules_add_text(rs, "t.rules", "blocked /(/\nexpired /late/\n",
	    &err), 0, "lazy loading does not compile");
	is_str(test_reason_of(rs, "too late", &file), "expired",
	    "a broken lazy rule is skipped");
	buf_free(&err);
	rules_free(rs);
}

int
main(void)
{
	char	*cmd;

	log_init("test-rules", LOG_TO_STDERR);
	if (mkdtemp(tmpdir) == NULL)
		fatal("mkdtemp");
	test_errors();
	test_matching(0);
	test_matching(RULES_JIT);
	test_matching(RULES_LAZY);
	test_limits(0);
	test_limits(RULES_JIT);
	test_directories();
	test_lazy();
	cmd = xasprintf("rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		diag("could not remove %s", tmpdir);
	free(cmd);
	return done_testing();
}
