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

#include "libbase.h"
#include "libmail.h"
#include "rules.h"
#include "tap.h"

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
	{ "blocked host=bad_host.example /a/\n",
	    "t.rules:1: bad or repeated value in \"host=bad_host.example\"" },
	{ "blocked stage=quit /a/\n",
	    "t.rules:1: bad or repeated value in \"stage=quit\"" },
	{ "blocked stage=rcpt stage=data /a/\n",
	    "t.rules:1: bad or repeated value in \"stage=data\"" },
	{ "blocked refines=1.1 /a/\n",
	    "t.rules:1: bad or repeated value in \"refines=1.1\"" },
	{ "blocked refines=5.1.1,any /a/\n",
	    "t.rules:1: bad or repeated value in \"refines=5.1.1,any\"" },
	{ "blocked refines=5..1 /a/\n",
	    "t.rules:1: bad or repeated value in \"refines=5..1\"" },
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
		struct rule_input in = { .status = c->status,
		    .reply_code = c->reply, .action = c->action,
		    .text = { c->diag, c->subject, NULL } };
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

struct evidence_case {
	const char *status, *stage, *remote, *reporting, *diag;
	const char *want;		/* reason name, or NULL: no match */
	unsigned line;
	enum rule_kind kind;
	const char *rcpt_domain;	/* the failed address's domain */
};

/* Rules in the order a site might write them: the phrase rules come
   first in the file, yet a provider rule is tried before them, and a
   specific status code stops every phrase rule that does not refine it. */
static const char evidence_rules[] =
    "blocked      /blocked/\n"
    "mailboxfull  refines=5.1.1  /quota/\n"
    "userunknown  status=5.1.10  /recipientnotfound/\n"
    "speeding     refines=any  /rate limit/\n"
    "blocked      stage=connect,helo  /go away/\n"
    "userunknown  stage=none  /go away/\n"
    "badreputation host=mail.example.net  /blocked/\n"
    "suspend      host=example.org,example.com  /inactive|blocked/\n";

static const struct evidence_case evidence_cases[] = {
	/* a plain phrase decides over a generic code or none */
	{ "5.7.1", NULL, NULL, NULL, "you are blocked", "blocked", 1,
	    RULE_KIND_PHRASE, NULL },
	{ NULL, NULL, NULL, NULL, "you are blocked", "blocked", 1,
	    RULE_KIND_PHRASE, NULL },
	/* not over a specific one, unless it refines it */
	{ "5.1.1", NULL, NULL, NULL, "blocked: user unknown", NULL, 0, 0,
	    NULL },
	{ "5.1.1", NULL, NULL, NULL, "over quota", "mailboxfull", 2,
	    RULE_KIND_REFINES, NULL },
	{ "5.2.2", NULL, NULL, NULL, "blocked, over quota", NULL, 0, 0, NULL },
	{ "5.1.10", NULL, NULL, NULL, "RecipientNotFound", "userunknown", 3,
	    RULE_KIND_REFINES, NULL },
	{ "5.1.1", NULL, NULL, NULL, "rate limit exceeded", "speeding", 4,
	    RULE_KIND_REFINES, NULL },
	/* the stage the reply answered */
	{ NULL, "connect", NULL, NULL, "go away", "blocked", 5,
	    RULE_KIND_PHRASE, NULL },
	{ NULL, "helo", NULL, NULL, "go away", "blocked", 5, RULE_KIND_PHRASE,
	    NULL },
	{ NULL, NULL, NULL, NULL, "go away", "userunknown", 6,
	    RULE_KIND_PHRASE, NULL },
	{ NULL, "rcpt", NULL, NULL, "go away", NULL, 0, 0, NULL },
	/* provider rules first, over any code; the host or a subdomain,
	   the remote host or else the reporting one */
	{ "5.1.1", NULL, "mail.example.net [192.0.2.1]", NULL,
	    "you are blocked", "badreputation", 7, RULE_KIND_PROVIDER, NULL },
	{ NULL, NULL, "mx1.mail.example.net.", NULL, "blocked",
	    "badreputation", 7, RULE_KIND_PROVIDER, NULL },
	{ NULL, NULL, "badmail.example.net", NULL, "blocked", "blocked", 1,
	    RULE_KIND_PHRASE, NULL },
	{ NULL, NULL, NULL, "smtp.example.com", "account inactive",
	    "suspend", 8, RULE_KIND_PROVIDER, NULL },
	{ "5.1.1", NULL, "mx.example.org", "out.example.jp", "blocked",
	    "suspend", 8, RULE_KIND_PROVIDER, NULL },
	/* or, when no host is named, the recipient's own domain */
	{ NULL, NULL, NULL, NULL, "account inactive", "suspend", 8,
	    RULE_KIND_PROVIDER, "sub.example.com" },
	{ NULL, NULL, NULL, NULL, "account inactive", NULL, 0, 0,
	    "notexample.com" },
};

/* test_evidence - provider rules first, codes that phrases must
   refine, SMTP stages */
static void
test_evidence(unsigned flags)
{
	struct ruleset *rs = rules_new(flags);
	struct buf err = BUF_INIT;

	is_int(rules_add_text(rs, "e.rules", evidence_rules, &err), 0,
	    "evidence rules load (flags %u)", flags);
	for (size_t i = 0; i < BG_ARRAY_SIZE(evidence_cases); i++) {
		const struct evidence_case *c = &evidence_cases[i];
		struct rule_input in = { .status = c->status, .stage = c->stage,
		    .remote_host = c->remote, .reporting_host = c->reporting,
		    .recipient_domain = c->rcpt_domain,
		    .specific_status = c->status != NULL &&
		    strcmp(c->status, "5.7.1") != 0,
		    .text = { c->diag, NULL, NULL } };
		struct rule_match m;
		int	 hit = rules_match(rs, &in, &m);

		is_str(hit ? reason_name((enum reason)m.reason) : NULL, c->want,
		    "evidence case %zu (flags %u)", i, flags);
		if (hit)
			ok(m.line == c->line && m.kind == c->kind,
			    "evidence case %zu decided by line %u, kind %d",
			    i, m.line, (int)m.kind);
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

struct pre_case {
	const char *rule;
	const char *text;
	int	 want;
};

static const struct pre_case pre_cases[] = {
	{ "blocked /over ?quota/", "mailbox overquota", 1 },
	{ "blocked /mail(box)? full/", "mail full", 1 },
	{ "blocked /mail(box)+ full/", "mail full", 0 },
	{ "blocked /(?<!sender )address rejected/", "address rejected", 1 },
	{ "blocked /(?<!sender )address rejected/", "sender address rejected", 0 },
	{ "blocked /colou?r/", "color", 1 },
	{ "blocked /a{0,3}bcd/", "bcd", 1 },
	{ "blocked /[xy]yz/", "XYZ", 1 },
	{ "blocked /\\bSPAM\\b/c", "SPAM here", 1 },
	{ "blocked /\\bSPAM\\b/c", "spam here", 0 },
	{ "blocked /x+yz/", "xxxyz", 1 },
	{ "blocked /(foo|bar)baz/", "BarBaz", 1 },
	{ "blocked /(foo|)baz/", "baz", 1 },
	{ "blocked /(?i)QUOTA/c", "quota", 1 },
	{ "blocked /\\d{3} error/", "550 error", 1 },
	{ "blocked /user\\.name/", "user.name", 1 },
	{ "blocked /user\\.name/", "userxname", 0 },
	{ "blocked /(?:ab)+c/", "ababc", 1 },
	{ "blocked /a.b/", "axb", 1 },
	{ "blocked / a b c /x", "abc", 1 },
	{ "blocked /\\Qa.b\\E/", "a.b", 1 },
	{ "blocked /dns(?!;)/", "DNS error", 1 },
	{ "blocked /(account|mail ?box) .{0,9}(disabled|locked)/",
	    "Mailbox is locked", 1 },
};

/* test_prefilter - JIT rulesets skip rules by literals, never wrongly */
static void
test_prefilter(void)
{
	for (size_t i = 0; i < BG_ARRAY_SIZE(pre_cases); i++) {
		struct buf err = BUF_INIT;
		struct ruleset *jit = rules_new(RULES_JIT);
		struct ruleset *plain = rules_new(0);
		char	*text = xasprintf("%s\n", pre_cases[i].rule);
		struct rule_input in;
		struct rule_match m;

		memset(&in, 0, sizeof(in));
		in.text[RULE_PART_DIAGNOSTIC] = pre_cases[i].text;
		if (rules_add_text(jit, "p.rules", text, &err) < 0 ||
		    rules_add_text(plain, "p.rules", text, &err) < 0)
			diag("%s", err.data);
		is_int(rules_match(jit, &in, &m), pre_cases[i].want,
		    "prefilter case %zu: %s on \"%s\"", i, pre_cases[i].rule,
		    pre_cases[i].text);
		is_int(rules_match(plain, &in, &m), pre_cases[i].want,
		    "prefilter case %zu without JIT", i);
		free(text);
		buf_free(&err);
		rules_free(jit);
		rules_free(plain);
	}
}

/* test_shipped - the shipped rules give the same answers with and
   without the prefilter on a range of texts */
static void
test_shipped(void)
{
	static const char *const texts[] = {
		"550 5.1.1 <a@b.example>: Recipient address rejected: User "
		    "unknown in virtual mailbox table",
		"552 5.2.2 Mailbox full, over quota",
		"554 5.7.1 Service unavailable; Client host [192.0.2.1] "
		    "blocked using zen.spamhaus.org",
		"421 4.7.0 Try again later, closing connection. (EHLO) "
		    "rate limited due to IP reputation",
		"550 5.7.26 Unauthenticated email from example.com is not "
		    "accepted due to domain's DMARC policy",
		"Connection timed out", "550 Requested action not taken: "
		    "mailbox unavailable", "553 sorry, that domain isn't in my "
		    "list of allowed rcpthosts (#5.7.1)",
		"The email account that you tried to reach is disabled.",
		"host mx.example.com said: 554 5.7.9 Message not accepted for "
		    "policy reasons", "550 Host unknown",
	};
	const char *src = getenv("BG_SRC");
	char	*dir = xasprintf("%s/rules", src != NULL ? src : ".");
	const char *dirs[1] = { dir };
	struct buf err = BUF_INIT;
	struct ruleset *jit = rules_load(dirs, 1, RULES_JIT, &err);
	struct ruleset *plain = rules_load(dirs, 1, 0, &err);

	ok(jit != NULL && plain != NULL && rules_count(jit) > 0,
	    "the shipped rules load from %s", dir);
	for (size_t i = 0; jit != NULL && plain != NULL &&
	    i < BG_ARRAY_SIZE(texts); i++) {
		struct rule_input in;
		struct rule_match a, b;
		int	 ra, rb;

		memset(&in, 0, sizeof(in));
		in.text[RULE_PART_DIAGNOSTIC] = texts[i];
		in.text[RULE_PART_BODY] = texts[i];
		ra = rules_match(jit, &in, &a);
		rb = rules_match(plain, &in, &b);
		ok(ra == rb && (!ra || (a.line == b.line &&
		    strcmp(a.file, b.file) == 0)), "shipped rules agree on "
		    "text %zu", i);
	}
	rules_free(jit);
	rules_free(plain);
	buf_free(&err);
	free(dir);
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
	test_evidence(0);
	test_evidence(RULES_JIT);
	test_limits(0);
	test_limits(RULES_JIT);
	test_directories();
	test_lazy();
	test_prefilter();
	test_shipped();
	cmd = xasprintf("rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		diag("could not remove %s", tmpdir);
	free(cmd);
	return done_testing();
}
