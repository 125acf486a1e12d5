/*++
 * NAME
 *	test-classify 1
 * SUMMARY
 *	unit tests for the classifier
 * DESCRIPTION
 *	Table-driven: status codes and reply codes to reasons, rules that
 *	override them, the adjustments for the refused SMTP command and
 *	for delivery reports, and the hard flag.
 *--*/
#include <stdio.h>
#include <string.h>

#include "classify.h"
#include "log.h"
#include "tap.h"
#include "util.h"

struct code_case {
	const char *code;
	const char *want;
};

static const struct code_case status_cases[] = {
	{ "5.1.1", "userunknown" }, { "4.1.1", "userunknown" },
	{ "5.1.2", "hostunknown" }, { "5.1.6", "hasmoved" },
	{ "5.1.10", "notaccept" }, { "5.2.1", "suspend" },
	{ "5.2.2", "mailboxfull" }, { "4.2.2", "mailboxfull" },
	{ "5.2.3", "exceedlimit" }, { "5.3.4", "mesgtoobig" },
	{ "4.3.1", "systemfull" }, { "4.4.7", "expired" },
	{ "4.4.1", "networkerror" }, { "5.5.2", "syntaxerror" },
	{ "5.6.0", "contenterror" }, { "5.7.1", "rejected" },
	{ "5.7.25", "requireptr" }, { "5.7.26", "authfailure" },
	{ "5.7.10", "failedstarttls" }, { "2.0.0", "delivered" },
	{ "5.0.0", "undefined" }, { "5.9.9", "undefined" },
	{ "", "undefined" }, { "x.1.1", "undefined" }, { "5.1", "undefined" },
	{ NULL, "undefined" },
};

static const struct code_case reply_cases[] = {
	{ "550", "undefined" }, { "552", "mailboxfull" },
	{ "553", "userunknown" }, { "421", "undefined" },
	{ "452", "systemfull" }, { "501", "syntaxerror" },
	{ "521", "notaccept" }, { "250", "delivered" }, { "55", "undefined" },
	{ NULL, "undefined" },
};

/* test_codes - the first answer from the codes alone */
static void
test_codes(void)
{
	for (size_t i = 0; i < BG_ARRAY_SIZE(status_cases); i++)
		is_str(reason_name(classify_status(status_cases[i].code)),
		    status_cases[i].want, "status %s",
		    status_cases[i].code ? status_cases[i].code : "(null)");
	for (size_t i = 0; i < BG_ARRAY_SIZE(reply_cases); i++)
		is_str(reason_name(classify_reply_code(reply_cases[i].code)),
		    reply_cases[i].want, "reply %s",
		    reply_cases[i].code ? reply_cases[i].code : "(null)");
}

struct classify_case {
	const char *status, *reply, *action, *command, *diag;
	const char *want;
	int	 hard;
	const char *rule;		/* "t.rules:N" or NULL */
};

static const char test_rules[] =
    "mailboxfull /over ?quota|mailbox (is )?full/\n"
    "speeding    /too many recipients (this|per) hour/\n"
    "blocked     reply=5 /block ?list/\n"
    "userunknown /user unknown|no such user/\n"
    "notaccept   /null mx/\n";

static const struct classify_case classify_cases[] = {
	/* codes alone */
	{ "5.1.1", "550", "failed", NULL, "", "userunknown", 1, NULL },
	{ "4.4.7", NULL, "failed", NULL, "retried", "expired", 0, NULL },
	/* a rule overrides the status */
	{ "5.1.1", "550", "failed", NULL, "mailbox is full", "mailboxfull", 0,
	    "t.rules:1" },
	{ "5.1.1", "550", NULL, NULL, "sent to too many recipients this hour",
	    "speeding", 0, "t.rules:2" },
	{ NULL, "550", NULL, NULL, "listed on a blocklist", "blocked", 0,
	    "t.rules:3" },
	{ NULL, "450", NULL, NULL, "listed on a blocklist", "onhold", 0, NULL },
	/* the refused command */
	{ "5.0.0", "550", NULL, "RCPT", "user unknown", "userunknown", 1,
	    "t.rules:4" },
	{ "5.0.0", "550", NULL, "DATA", "user unknown", "filtered", 0,
	    "t.rules:4" },
	{ "5.1.1", "550", NULL, "DATA", "user unknown", "userunknown", 1,
	    "t.rules:4" },
	{ NULL, "553", NULL, "MAIL", "no such user", "rejected", 0,
	    "t.rules:4" },
	{ NULL, NULL, NULL, NULL, "no such user", "userunknown", 1,
	    "t.rules:4" },
	/* delivery reports */
	{ "2.0.0", "250", "delivered", NULL, "ok", "delivered", 0, NULL },
	{ NULL, NULL, "relayed", NULL, "user unknown", "delivered", 0, NULL },
	/* hardness of notaccept depends on the class */
	{ "5.1.10", "550", NULL, NULL, "null mx", "notaccept", 1, "t.rules:5" },
	{ "4.4.4", "450", NULL, NULL, "null mx", "notaccept", 0, "t.rules:5" },
	/* nothing known */
	{ NULL, NULL, NULL, NULL, "something odd", "undefined", 0, NULL },
	{ "5.0.0", NULL, NULL, NULL, "something odd", "onhold", 0, NULL },
};

/* test_classify - codes and rules together */
static void
test_classify(void)
{
	struct ruleset *rs = rules_new(RULES_JIT);
	struct buf err = BUF_INIT;

	is_int(rules_add_text(rs, "t.rules", test_rules, &err), 0,
	    "test rules load");
	for (size_t i = 0; i < BG_ARRAY_SIZE(classify_cases); i++) {
		const struct classify_case *c = &classify_cases[i];
		struct classify_input in = { c->status, c->reply, c->action,
		    c->command, c->diag, NULL, NULL };
		struct classify_result out;
		char	 rule[64] = "";

		classify(rs, &in, &out);
		if (out.rule_file != NULL)
			(void)snprintf(rule, sizeof(rule), "%s:%u",
			    out.rule_file, out.rule_line);
		is_str(reason_name(out.reason), c->want, "case %zu reason", i);
		is_int(out.hard, c->hard, "case %zu hard", i);
		is_str(out.rule_file != NULL ? rule : NULL, c->rule,
		    "case %zu rule", i);
	}
	buf_free(&err);
	rules_free(rs);
}

/* test_no_rules - without a ruleset the codes decide */
static void
test_no_rules(void)
{
	struct classify_input in = { "5.2.2", "552", "failed", NULL,
	    "user unknown", NULL, NULL };
	struct classify_result out;

	classify(NULL, &in, &out);
	is_str(reason_name(out.reason), "mailboxfull", "no rules: status");
	ok(out.rule_file == NULL, "no rules: no rule named");
}

int
main(void)
{
	log_init("test-classify", LOG_TO_STDERR);
	test_codes();
	test_classify();
	test_no_rules();
	return done_testing();
}
