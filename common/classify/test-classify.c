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
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "libbase.h"
#include "tap.h"

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
    "mailboxfull refines=5.1.1 /over ?quota|mailbox (is )?full/\n"
    "speeding    refines=any /too many recipients (this|per) hour/\n"
    "blocked     reply=5 /block ?list/\n"
    "userunknown /user unknown|no such user/\n"
    "notaccept   /null mx/\n";

static const struct classify_case classify_cases[] = {
	/* codes alone */
	{ "5.1.1", "550", "failed", NULL, "", "userunknown", 1, NULL },
	{ "4.4.7", NULL, "failed", NULL, "retried", "expired", 0, NULL },
	/* a rule that refines a specific status overrides it */
	{ "5.1.1", "550", "failed", NULL, "mailbox is full", "mailboxfull", 0,
	    "t.rules:1" },
	{ "5.1.1", "550", NULL, NULL, "sent to too many recipients this hour",
	    "speeding", 0, "t.rules:2" },
	{ NULL, "550", NULL, NULL, "listed on a blocklist", "blocked", 0,
	    "t.rules:3" },
	{ NULL, "450", NULL, NULL, "listed on a blocklist", "onhold", 0, NULL },
	/* a broad phrase does not: the specific status decides */
	{ "5.1.1", "550", NULL, "RCPT", "no such user (your blocklist entry)",
	    "userunknown", 1, NULL },
	/* a refusal of the greeting or EHLO is about our host */
	{ "5.7.1", "554", NULL, "CONNECT", "no such user", "blocked", 0,
	    "t.rules:4" },
	{ NULL, "550", NULL, "HELO", "mailbox is full", "blocked", 0,
	    "t.rules:1" },
	{ "5.1.10", "521", NULL, "CONNECT", "null mx", "notaccept", 1, NULL },
	/* the refused command */
	{ "5.0.0", "550", NULL, "RCPT", "user unknown", "userunknown", 1,
	    "t.rules:4" },
	{ "5.0.0", "550", NULL, "DATA", "user unknown", "filtered", 0,
	    "t.rules:4" },
	{ "5.1.1", "550", NULL, "DATA", "user unknown", "userunknown", 1,
	    NULL },
	{ NULL, "553", NULL, "MAIL", "no such user", "rejected", 0,
	    "t.rules:4" },
	{ NULL, NULL, NULL, NULL, "no such user", "userunknown", 1,
	    "t.rules:4" },
	/* delivery reports */
	{ "2.0.0", "250", "delivered", NULL, "ok", "delivered", 0, NULL },
	{ NULL, NULL, "relayed", NULL, "user unknown", "delivered", 0, NULL },
	/* no failure is ever delivered: a 2xx quoted in a failure report
	   is a transcript line before the refusal */
	{ "2.1.5", "250", "failed", NULL, "no such user", "userunknown", 1,
	    "t.rules:4" },
	{ "2.0.0", "250", NULL, NULL, "something odd", "onhold", 0, NULL },
	/* hardness of notaccept depends on the class */
	{ "5.1.10", "550", NULL, NULL, "null mx", "notaccept", 1, NULL },
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
		    c->command, c->diag, NULL, NULL, false, false, NULL, NULL, NULL };
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

struct phrase_case {
	const char *status, *reply, *diag;
	const char *want;
};

/* Typical wording of mail systems, one or more per reason. */
static const struct phrase_case phrase_cases[] = {
	/* a server that found our host to be an open relay */
	{ NULL, "501", "501 <s@b.example>... no access from mail server "
	    "[192.0.2.55] which is an open relay.", "blocked" },
	/* hMailServer's relay refusal */
	{ NULL, "550", "550 Delivery is not allowed to this address.",
	    "norelaying" },
	/* a recipient callout that failed */
	{ NULL, "550", "550 Recipient verify failed", "userunknown" },
	/* Exchange's restricted recipients */
	{ "5.7.129", "550", "550 5.7.129 RESOLVER.RST."
	    "RestrictedToRecipientsPermission; not authorized to send to "
	    "this recipient", "filtered" },
	/* Exim's temporary DNS failure; a server out of memory */
	{ NULL, NULL, "host lookup did not complete", "networkerror" },
	{ NULL, "451", "451 Temporary failure: mail server out of memory",
	    "systemerror" },
	{ "5.1.1", "550", "550 5.1.1 <a@b.example>: Recipient address "
	    "rejected: User unknown in local recipient table", "userunknown" },
	{ NULL, "550", "550 Requested action not taken: mailbox unavailable",
	    "userunknown" },
	{ "5.1.1", "550", "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found",
	    "userunknown" },
	{ NULL, NULL, "Sorry, no mailbox here by that name. (#5.1.1)",
	    "userunknown" },
	{ "5.1.2", "550", "Host or domain name not found. Name service error "
	    "for name=nowhere.example type=A: Host not found", "hostunknown" },
	{ NULL, NULL, "Unrouteable address", "hostunknown" },
	{ "5.1.10", "556", "556 5.1.10 Recipient address has null MX",
	    "notaccept" },
	{ "5.1.1", "550", "550 5.1.1 Mailbox full, over quota",
	    "mailboxfull" },
	{ "4.2.2", "452", "452 4.2.2 The email account that you tried to "
	    "reach is over quota", "mailboxfull" },
	{ "5.2.1", "550", "550 5.2.1 The email account that you tried to "
	    "reach is disabled", "suspend" },
	{ "5.3.4", "552", "552 5.3.4 Message size exceeds fixed maximum "
	    "message size", "mesgtoobig" },
	{ "5.7.1", "554", "554 5.7.1 Service unavailable; Client host "
	    "[192.0.2.1] blocked using zen.spamhaus.org", "blocked" },
	{ "5.7.606", "550", "550 5.7.606 Access denied, banned sending IP "
	    "[192.0.2.1]", "blocked" },
	{ "4.7.0", "421", "421 4.7.0 [TSS04] Messages from 192.0.2.1 "
	    "temporarily deferred due to user complaints", "badreputation" },
	{ "5.7.25", "550", "550 5.7.25 The IP address sending this message "
	    "does not have a PTR record setup", "requireptr" },
	{ "5.7.26", "550", "550 5.7.26 Unauthenticated email from example.com "
	    "is not accepted due to domain's DMARC policy", "authfailure" },
	{ "5.7.1", "550", "550 5.7.1 SPF check failed for example.com",
	    "authfailure" },
	{ "5.7.0", "530", "530 5.7.0 Must issue a STARTTLS command first",
	    "failedstarttls" },
	{ NULL, "530", "530 5.7.1 Client was not authenticated",
	    "securityerror" },
	{ "5.7.1", "554", "554 5.7.1 <a@b.example>: Relay access denied",
	    "norelaying" },
	{ NULL, "553", "553 sorry, that domain isn't in my list of allowed "
	    "rcpthosts (#5.7.1)", "norelaying" },
	{ "5.1.8", "553", "553 5.1.8 <s@x.example>... Domain of sender "
	    "address s@x.example does not exist", "rejected" },
	{ "5.7.1", "554", "554 5.7.1 Message rejected as spam", "spamdetected" },
	{ "5.7.1", "550", "550 5.7.1 Virus found in message", "virusdetected" },
	{ "5.7.1", "550", "550 5.7.1 This message is not RFC 5322 compliant",
	    "notcompliantrfc" },
	{ "5.6.0", "550", "550 5.6.0 Improper use of 8-bit data in message "
	    "header", "contenterror" },
	{ "5.7.1", "550", "550 5.7.1 Message rejected due to local policy",
	    "policyviolation" },
	{ "4.7.0", "421", "421 4.7.0 Too many concurrent SMTP connections",
	    "toomanyconn" },
	{ "4.2.1", "450", "450 4.2.1 The user you are trying to contact is "
	    "receiving mail too quickly", "speeding" },
	{ "4.4.7", NULL, "delivery temporarily suspended: connect to "
	    "mx.example.org[192.0.2.1]:25: Connection timed out", "expired" },
	{ "4.4.3", NULL, "Host or domain name not found. Name service error "
	    "for name=example.org type=MX: Host not found, try again",
	    "networkerror" },
	{ "5.4.6", "554", "554 5.4.6 Hop count exceeded - possible mail loop",
	    "networkerror" },
	{ "5.0.0", "501", "501 5.5.4 Syntax error in parameters", "syntaxerror" },
	{ "5.3.0", NULL, "Command died with status 1: \"/usr/bin/procmail\"",
	    "mailererror" },
	{ NULL, "550", "550 5.6.0 Header field Date appears more than once",
	    "notcompliantrfc" },
	/* a hedge is not a verdict: "may be blacklisted" names no list */
	{ NULL, NULL, "We could not deliver to a@b.example. The account or "
	    "domain may not exist, or it may be blacklisted.", "hostunknown" },
	{ NULL, "554", "554 Your server may be blacklisted; also listed on "
	    "a DNSBL", "blocked" },
	/* a relay that sends only for senders it has verified */
	{ "5.0.0", "554", "554 Message rejected: Email address is not "
	    "verified. The following identities failed the check in region "
	    "EU-WEST-1: news@example.com", "norelaying" },
	/* a mailbox's name is not the mail system's words */
	{ "5.1.1", "550", "550 5.1.1 <policy-team@b.example>: Recipient "
	    "address rejected: User unknown", "userunknown" },
	{ NULL, "550", "550 <blacklist.admin@b.example>... User unknown",
	    "userunknown" },
	/* held back without a reason */
	{ "4.7.1", "450", "450 4.7.1 <a@b.example>: Recipient address "
	    "rejected: On hold for review", "onhold" },
	{ NULL, NULL, "Your message has been placed on hold by the "
	    "recipient's server", "onhold" },
	/* a header refused by the recipient's filter */
	{ "5.7.0", "554", "554 5.7.0 Header error", "filtered" },
	{ "5.6.0", "550", "550 5.6.0 Header syntax not accepted",
	    "contenterror" },
	/* mailboxes closed for inactivity or for a while */
	{ "5.2.1", "550", "550 5.2.1 Mailbox blocked due to inactivity",
	    "suspend" },
	{ NULL, "550", "550 This address no longer accepts e-mail", "suspend" },
	{ NULL, "450", "450 Account is temporarily unavailable", "suspend" },
	/* no SPF or DKIM at all */
	{ "5.7.26", "550", "550 5.7.26 Unauthenticated mail: senders must "
	    "authenticate with SPF or DKIM", "authfailure" },
	/* the sending IP refused */
	{ NULL, "554", "554 Your address is listed on 2 DNSBLs", "blocked" },
	{ "5.7.1", "550", "550 5.7.1 Mail is not accepted from your IP "
	    "address", "blocked" },
	/* attachments and content against the site's policy */
	{ "5.7.1", "552", "552 5.7.1 Executable attachments are not allowed "
	    "here", "policyviolation" },
	{ NULL, "554", "554 Refused due to content restrictions",
	    "policyviolation" },
	/* given up after the retry period */
	{ NULL, NULL, "Retry time not reached for any host after a long "
	    "period of failures", "expired" },
	/* a domain whose MX hosts do not exist */
	{ NULL, NULL, "The MX records point to non-existent hosts",
	    "hostunknown" },
	/* the recipient's own choice, not a bad address */
	{ NULL, "550", "550 The recipient does not accept mail from this "
	    "sender", "filtered" },
	{ NULL, "550", "550 This mailbox only accepts messages from approved "
	    "senders", "filtered" },
	{ NULL, "550", "550 Rejected: the user has blocked your address",
	    "filtered" },
	{ "5.1.10", "556", "556 5.1.10 Domain does not accept mail",
	    "notaccept" },
	/* a sending limit is not a full mailbox */
	{ "5.7.1", "550", "550 5.7.1 Daily sending quota exceeded for this "
	    "account", "speeding" },
	{ "5.2.2", "552", "552 5.2.2 Quota exceeded", "mailboxfull" },
	/* qmail's and others' wording of the session */
	{ NULL, NULL, "Connected to 192.0.2.7 but sender was rejected.",
	    "rejected" },
	{ NULL, NULL, "Connected to 192.0.2.7 but connection died.",
	    "networkerror" },
	{ NULL, NULL, "This message is looping: seen here before.",
	    "networkerror" },
	{ NULL, "550", "550 5.7.1 Client blocked: unregistered sending "
	    "domain", "blocked" },
	{ NULL, NULL, "The message has lines too long for this transport",
	    "contenterror" },
	{ "5.7.1", "550", "550 5.7.1 Our organisation does not allow external "
	    "forwarding", "policyviolation" },
	/* more ways of saying the address is unknown, or the sender */
	{ NULL, "550", "550 The mailbox you named was not found", "userunknown" },
	{ NULL, "550", "550 Recipient invalid", "userunknown" },
	{ NULL, "550", "550 Sender address is not found", "rejected" },
	{ NULL, "554", "554 Unable to route: no mail host for the domain",
	    "hostunknown" },
	{ NULL, "550", "550 Scored too high by the Bayesian classifier",
	    "spamdetected" },
	{ NULL, "554", "554 Refused: message not RFC-compliant",
	    "notcompliantrfc" },
	/* the same in the languages of European and Japanese providers */
	{ NULL, "550", "550 Der Empf\xc3\xa4nger ist unbekannt", "userunknown" },
	{ NULL, "550", "550 Postfach nicht vorhanden", "userunknown" },
	{ NULL, "552", "552 Das Postfach ist voll", "mailboxfull" },
	{ NULL, "550", "550 Utente inesistente", "userunknown" },
	{ NULL, "550", "550 El usuario no existe", "userunknown" },
	{ NULL, "552", "552 Bo\xc3\xaete aux lettres pleine", "mailboxfull" },
	{ NULL, "550", "550 Destinataire invalide", "userunknown" },
	{ NULL, NULL, "\xe3\x81\x94\xe6\x8c\x87\xe5\xae\x9a\xe3\x81\xae"
	    "\xe3\x82\xa2\xe3\x83\x89\xe3\x83\xac\xe3\x82\xb9\xe3\x81\xaf"
	    "\xe5\xad\x98\xe5\x9c\xa8\xe3\x81\x97\xe3\x81\xbe\xe3\x81\x9b"
	    "\xe3\x82\x93", "userunknown" },	/* goshitei no adoresu wa sonzai shimasen */
	{ NULL, "550", "550 Requested action not taken: mailbox name not "
	    "allowed", "userunknown" },
	/* a provider's own code naming its RBL */
	{ "5.1.0", "550", "550 5.1.0 <s@x.example> sender rejected, see the "
	    "list of our reply codes. POL#XQRBL", "blocked" },
	/* given up on after hours of retries */
	{ NULL, NULL, "Delivery to the following recipients was aborted "
	    "after 2.5 hour(s): a@b.example", "expired" },
	/* the evidence order on shipped rules: a broad phrase does not
	   overrule a specific code; words that refine it do */
	{ "5.1.1", "550", "550 5.1.1 User unknown; your message was blocked "
	    "(see our policy)", "userunknown" },
	{ "5.1.1", "550", "550 5.1.1 <x@b.example> listed at zen.spamhaus.org",
	    "blocked" },
	{ "5.1.10", "550", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; "
	    "Recipient not found by SMTP address lookup", "userunknown" },
	{ "5.1.10", "550", "550 5.1.10 Recipient address has null MX",
	    "notaccept" },
	/* less common wordings */
	{ NULL, "550", "550 No account by that name here", "userunknown" },
	{ "5.0.0", "550", "550 5.0.0 Recipient is not valid", "userunknown" },
	{ NULL, "550", "550 Usuário desconhecido", "userunknown" },
	{ NULL, "550", "550 Ontvanger onbekend", "userunknown" },
	{ NULL, "550", "550 Пользователь не найден", "userunknown" },
	{ NULL, "550", "550 收件人不存在", "userunknown" },
	{ "4.4.7", NULL, "Retry limit exceeded for x@b.example", "expired" },
	{ NULL, NULL, "Delivery failed after 5 retries", "expired" },
	{ "5.0.0", "552", "552 Storage limit exceeded for this account",
	    "mailboxfull" },
	{ "5.1.1", "550", "550 5.1.1 The recipient has reached their storage "
	    "capacity", "mailboxfull" },
	{ "5.3.4", "552", "552 5.3.4 Message size limit exceeded",
	    "mesgtoobig" },
	{ "5.7.1", "550", "550 5.7.1 Message has more than one address in the "
	    "From header", "notcompliantrfc" },
	{ "5.7.1", "550", "550 5.7.1 Domain of s@example.net does not "
	    "designate 192.0.2.1 as permitted sender", "authfailure" },
	{ "4.7.0", "421", "421 4.7.0 Sending frequency limit exceeded, try "
	    "later", "speeding" },
	{ "4.4.1", NULL, "All MX hosts for b.example are unreachable",
	    "networkerror" },
};

struct body_case {
	const char *status, *reply, *diag, *body;
	const char *want;
};

/* Reports whose own text says more than the remote server's answer. */
static const struct body_case body_cases[] = {
	{ "5.7.0", "554", "554 5.7.0 Reject, id=4711-02 - SPAM",
	    "The message was refused.\nDuplicate header field: \"Subject\"\n",
	    "notcompliantrfc" },
	{ "5.7.0", "554", "554 5.7.0 Reject, id=4711-02 - SPAM",
	    "The message was refused as unsolicited bulk mail.\n",
	    "spamdetected" },
};

/* test_shipped_phrases - the shipped rules know the common wording */
static void
test_shipped_phrases(void)
{
	const char *src = getenv("BG_SRC");
	char	*dir = xasprintf("%s/rules", src != NULL ? src : ".");
	const char *dirs[1] = { dir };
	struct buf err = BUF_INIT;
	struct ruleset *rs = rules_load(dirs, 1, RULES_JIT, &err);

	ok(rs != NULL && rules_count(rs) > 0, "shipped rules load from %s",
	    dir);
	for (size_t i = 0; rs != NULL && i < BG_ARRAY_SIZE(phrase_cases); i++) {
		const struct phrase_case *c = &phrase_cases[i];
		struct classify_input in = { c->status, c->reply, "failed",
		    "RCPT", c->diag, NULL, NULL, false, false, NULL, NULL, NULL };
		struct classify_result out;

		classify(rs, &in, &out);
		is_str(reason_name(out.reason), c->want, "phrase %zu: %.50s",
		    i, c->diag);
	}
	for (size_t i = 0; rs != NULL && i < BG_ARRAY_SIZE(body_cases); i++) {
		const struct body_case *c = &body_cases[i];
		struct classify_input in = { c->status, c->reply, "failed",
		    "DATA", c->diag, NULL, c->body, false, false, NULL, NULL, NULL };
		struct classify_result out;

		classify(rs, &in, &out);
		is_str(reason_name(out.reason), c->want, "report text %zu", i);
	}
	rules_free(rs);
	buf_free(&err);
	free(dir);
}

/* test_local_program - a local delivery program's failure that
   nothing explains is a mailer error; a rule still overrides it */
static void
test_local_program(void)
{
	struct ruleset *rs = rules_new(0);
	struct buf err = BUF_INIT;
	struct classify_input in = { "4.3.0", NULL, "failed", NULL,
	    "temporary failure", NULL, NULL, true, false, NULL, NULL, NULL };
	struct classify_result out;

	is_int(rules_add_text(rs, "t.rules", "mailboxfull /quota/\n", &err),
	    0, "local program: rules load");
	classify(rs, &in, &out);
	is_str(reason_name(out.reason), "mailererror", "local program: "
	    "unexplained failure");
	in.diagnostic = "Quota exceeded, delivery failed";
	classify(rs, &in, &out);
	is_str(reason_name(out.reason), "mailboxfull", "local program: "
	    "a rule decides");
	in.diagnostic = "temporary failure";
	in.local_program = false;
	classify(rs, &in, &out);
	is_str(reason_name(out.reason), "onhold", "remote: unexplained "
	    "failure with a code");
	rules_free(rs);
	buf_free(&err);
}

/* test_own_words - an unknown user in a DSN's own prose, with no
   remote answer quoted, is not turned into a filter's verdict */
static void
test_own_words(void)
{
	struct ruleset *rs = rules_new(0);
	struct buf err = BUF_INIT;
	struct classify_input in = { "5.0.0", NULL, "failed", NULL,
	    "We could not deliver your message: the address was not found.",
	    NULL, NULL, false, true, NULL, NULL, NULL };
	struct classify_result out;

	is_int(rules_add_text(rs, "t.rules", "userunknown /address was not "
	    "found/\n", &err), 0, "own words: rules load");
	classify(rs, &in, &out);
	is_str(reason_name(out.reason), "userunknown", "own words: the "
	    "report's verdict");
	ok(out.hard, "own words: hard");
	in.own_words = false;
	classify(rs, &in, &out);
	is_str(reason_name(out.reason), "filtered", "a remote answer at an "
	    "unknown stage: filtered");
	in.own_words = true;
	in.reply_code = "550";
	classify(rs, &in, &out);
	is_str(reason_name(out.reason), "filtered", "own words quoting a "
	    "reply code: filtered");
	rules_free(rs);
	buf_free(&err);
}

struct evidence_case {
	const char *status, *reply, *action, *command, *diag;
	const char *want;		/* evidence name */
};

static const struct evidence_case evidence_cases[] = {
	{ "2.0.0", "250", "delivered", NULL, "ok", "report" },
	{ "5.1.1", "550", NULL, "RCPT", "mailbox is full", "refines" },
	{ "5.1.1", "550", NULL, "RCPT", "no such user", "status" },
	{ "5.0.0", "550", NULL, "RCPT", "no such user", "phrase" },
	{ "5.0.0", "550", NULL, "DATA", "no such user", "stage" },
	{ NULL, "552", NULL, NULL, "something odd", "reply" },
	{ "5.0.0", NULL, NULL, NULL, "something odd", "none" },
};

/* test_evidence - which evidence decided, as parse --json shows it */
static void
test_evidence(void)
{
	struct ruleset *rs = rules_new(0);
	struct buf err = BUF_INIT;

	is_int(rules_add_text(rs, "t.rules", test_rules, &err), 0,
	    "evidence: rules load");
	for (size_t i = 0; i < BG_ARRAY_SIZE(evidence_cases); i++) {
		const struct evidence_case *c = &evidence_cases[i];
		struct classify_input in = { c->status, c->reply, c->action,
		    c->command, c->diag, NULL, NULL, false, false, NULL, NULL, NULL };
		struct classify_result out;

		classify(rs, &in, &out);
		is_str(classify_evidence_name(out.evidence), c->want,
		    "evidence case %zu", i);
	}
	ok(classify_status_is_specific("5.1.1") &&
	    classify_status_is_specific("4.4.7") &&
	    classify_status_is_specific("5.7.26") &&
	    !classify_status_is_specific("5.7.1") &&
	    !classify_status_is_specific("5.0.0") &&
	    !classify_status_is_specific("2.1.5") &&
	    !classify_status_is_specific(NULL), "specific codes");
	rules_free(rs);
	buf_free(&err);
}

/* test_no_rules - without a ruleset the codes decide */
static void
test_no_rules(void)
{
	struct classify_input in = { "5.2.2", "552", "failed", NULL,
	    "user unknown", NULL, NULL, false, false, NULL, NULL, NULL };
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
	test_local_program();
	test_own_words();
	test_evidence();
	test_shipped_phrases();
	return done_testing();
}
