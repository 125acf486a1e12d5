/*
 * test-backoff.c - unit tests for libbackoff: reading Postfix's smtp(8)
 * delivery lines, which deferrals the shipped rules call signals, and
 * how a level rises and decays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libbase.h"
#include "libbackoff.h"
#include "tap.h"

#define HDR	"Nov 24 10:00:00 mta postfix/smtp[1234]: "

/* test_parse - the fields of the delivery lines */
static void
test_parse(void)
{
	static const char deferred[] = HDR "5485BA78397: to=<Jane@Remote."
	    "Example>, relay=mx.remote.example[192.0.2.1]:25, delay=0.1, "
	    "delays=0/0/0/0.1, dsn=4.7.0, status=deferred (host mx.remote."
	    "example[192.0.2.1] said: 421 4.7.0 Rate limit exceeded, slow "
	    "down (in reply to RCPT TO command))\n";
	static const char greeting[] = "2026-11-24T10:00:00.123456+00:00 mta "
	    "postfix-out/bgslow1/smtp[77]: 1A2B3C: to=<a@b.example>, orig_to="
	    "<x@y>, relay=none, delay=3, delays=3/0/0/0, dsn=4.7.0, status="
	    "deferred (host mx.b.example[192.0.2.7] refused to talk to me: "
	    "421 4.7.0 Too many concurrent SMTP connections)";
	static const char suspended[] = HDR "ABC: to=<a@b.example>, relay="
	    "none, delay=1, dsn=4.7.0, status=deferred (delivery temporarily "
	    "suspended: host mx.b.example[192.0.2.7] refused to talk to me: "
	    "421 4.7.0 Too many connections)";
	static const char sent[] = HDR "ABC: to=<a@b.example>, relay=mx.b."
	    "example[192.0.2.7]:25, delay=1, dsn=2.0.0, status=sent (250 ok)";
	static const char *const other[] = {
		"Nov 24 10:00:00 mta postfix/qmgr[1]: ABC: removed",
		"Nov 24 10:00:00 mta postfix/smtpd[1]: connect from x[1.2.3.4]",
		HDR "connect to mx.b.example[192.0.2.7]:25: Connection refused",
		"Nov 24 10:00:00 mta postfix/pipe[9]: ABC: to=<a@b.example>, "
		    "relay=bounceguard, status=sent (delivered)",
		HDR "ABC: to=<nodomain>, relay=x, status=sent (250 ok)",
		"",
	};
	struct backoff_line l;

	is_int(backoff_parse_line(deferred, strlen(deferred), &l),
	    BACKOFF_LINE_DEFERRED, "deferred with a reply");
	is_str(l.queue_id, "5485BA78397", "queue id");
	is_str(l.domain, "remote.example", "domain, lower-cased");
	is_str(l.dsn, "4.7.0", "dsn");
	is_str(l.reply_code, "421", "reply code");
	is_str(l.command, "RCPT", "refused command");
	is_str(l.host, "mx.remote.example", "remote host");
	is_str(l.text, "421 4.7.0 Rate limit exceeded, slow down",
	    "reply text without the command");
	is_int(backoff_parse_line(greeting, strlen(greeting), &l),
	    BACKOFF_LINE_DEFERRED, "refused at the greeting, RFC 3339 time, "
	    "syslog_name with a service");
	is_str(l.command, "CONNECT", "greeting: command CONNECT");
	is_str(l.text, "421 4.7.0 Too many concurrent SMTP connections",
	    "greeting: the reply");
	is_int(backoff_parse_line(suspended, strlen(suspended), &l),
	    BACKOFF_LINE_DEFERRED_OTHER, "a suspended delivery is no new "
	    "reply");
	is_int(backoff_parse_line(sent, strlen(sent), &l), BACKOFF_LINE_SENT,
	    "a delivery");
	is_str(l.domain, "b.example", "delivery: domain");
	for (size_t i = 0; i < BG_ARRAY_SIZE(other); i++)
		is_int(backoff_parse_line(other[i], strlen(other[i]), &l),
		    BACKOFF_LINE_OTHER, "not a delivery line: %.40s", other[i]);
}

struct signal_case {
	const char *host, *dsn, *text, *command;
	bool	 signal;
};

/* Deferral replies as the providers document them, and some that are
   not about our pace. */
static const struct signal_case signal_cases[] = {
	{ "gmail-smtp-in.l.google.com", "4.7.28", "421-4.7.28 [192.0.2.1] Our system has detected an "
	  "unusual rate of unsolicited mail originating from your IP address. "
	  "To protect our users from spam, mail sent from your IP address has "
	  "been temporarily rate limited.", "DATA", true },
	{ NULL, "4.7.0", "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily "
	  "deferred due to unexpected volume or user complaints - 4.16.55.1; "
	  "see https://postmaster.yahooinc.com/error-codes", "MAIL", true },
	{ NULL, "4.7.650", "451 4.7.650 The mail server [192.0.2.1] has been "
	  "temporarily rate limited due to IP reputation.", "MAIL", true },
	{ NULL, "4.7.0", "421 4.7.0 Too many concurrent SMTP connections from "
	  "this IP address; please try again later.", "CONNECT", true },
	{ NULL, "4.7.0", "421 4.7.0 Rate limit exceeded, slow down", "RCPT", true },
	{ NULL, "4.2.1", "450-4.2.1 The user you are trying to contact is receiving "
	  "mail at a rate that prevents additional messages from being "
	  "delivered.", "RCPT", true },
	{ NULL, "4.2.2", "452 4.2.2 <full@remote.example>: Mailbox full", "RCPT",
	  false },
	{ NULL, "4.1.1", "450 4.1.1 <x@remote.example>: Recipient address rejected: "
	  "unverified address: host not found", "RCPT", false },
	{ NULL, "4.3.0", "451 4.3.0 Temporary local problem, try again", "DATA",
	  false },
};

/* test_signals - the shipped rules tell rate limits from the rest */
static void
test_signals(void)
{
	const char *src = getenv("BG_SRC");
	char	*dir = xasprintf("%s/rules", src != NULL ? src : ".");
	const char *dirs[1] = { dir };
	struct buf err = BUF_INIT;
	struct ruleset *rs = rules_load(dirs, 1, RULES_JIT, &err);
	struct config *cfg = config_default();
	struct backoff_line l;
	enum reason r;

	ok(rs != NULL, "shipped rules load from %s", dir);
	for (size_t i = 0; rs != NULL && i < BG_ARRAY_SIZE(signal_cases);
	    i++) {
		const struct signal_case *c = &signal_cases[i];

		memset(&l, 0, sizeof(l));
		l.kind = BACKOFF_LINE_DEFERRED;
		bg_strlcpy(l.dsn, c->dsn, sizeof(l.dsn));
		bg_strlcpy(l.reply_code, c->text, 4);
		bg_strlcpy(l.command, c->command, sizeof(l.command));
		bg_strlcpy(l.text, c->text, sizeof(l.text));
		bg_strlcpy(l.host, c->host ? c->host : "", sizeof(l.host));
		is_int(backoff_is_signal(cfg, rs, &l, &r), c->signal,
		    "%s a signal (%s): %.50s", c->signal ? "is" : "is not",
		    reason_name(r), c->text);
	}
	rules_free(rs);
	config_free(cfg);
	buf_free(&err);
	free(dir);
}

/* test_levels - raising, settling, decaying, manual levels */
static void
test_levels(void)
{
	struct config *cfg = config_default();
	struct backoff_params p;
	struct store_backoff r;
	time_t	 t = 1000000;

	backoff_params(cfg, &p);
	is_int(p.levels, 3, "three transports by default");
	memset(&r, 0, sizeof(r));
	ok(!backoff_signal(&p, &r, t, "speeding", "421") &&
	    !backoff_signal(&p, &r, t + 1, "speeding", "421"),
	    "two signals raise nothing");
	ok(backoff_signal(&p, &r, t + 2, "speeding", "421") && r.level == 1,
	    "the third within the window raises to 1");
	is_str(backoff_transport(cfg, 1), "bgslow1", "level 1 is bgslow1");
	ok(backoff_transport(cfg, 0) == NULL, "level 0 is the default");
	for (int i = 0; i < 10; i++)
		backoff_signal(&p, &r, t + 3 + i, "speeding", "421");
	is_int(r.level, 1, "signals within backoff_settle_time after a raise "
	    "do not count");
	backoff_signal(&p, &r, t + 70, "speeding", "421");
	backoff_signal(&p, &r, t + 71, "speeding", "421");
	ok(backoff_signal(&p, &r, t + 72, "speeding", "421") && r.level == 2,
	    "three more after it raise to 2");
	is_int(backoff_level(&p, &r, t + 72 + 1799), 2, "no decay before "
	    "backoff_decay_time");
	is_int(backoff_level(&p, &r, t + 72 + 1800), 1, "one level per "
	    "backoff_decay_time without a signal");
	is_int(backoff_level(&p, &r, t + 72 + 3600), 0, "back to the default");
	ok(backoff_settle(&p, &r, t + 72 + 1800) && r.level == 1,
	    "settle stores the decay");
	for (unsigned i = 0; i < 199; i++)
		backoff_delivery(&p, &r, t + 1900);
	is_int(r.level, 1, "199 deliveries do not lower");
	ok(backoff_delivery(&p, &r, t + 1900) && r.level == 0,
	    "the 200th lowers by one");
	memset(&r, 0, sizeof(r));
	r.level = 3;
	r.manual = true;
	backoff_signal(&p, &r, t, "speeding", "421");
	is_int(backoff_level(&p, &r, t + 86400 * 30), 3, "a manual level "
	    "neither decays nor rises");
	r.level = 9;
	is_int(backoff_level(&p, &r, t), 3, "a level beyond the transports "
	    "is the last transport");
	memset(&r, 0, sizeof(r));
	r.last_signal = r.changed = t;
	ok(!backoff_forgettable(&p, &r, t + 86400) &&
	    backoff_forgettable(&p, &r, t + BACKOFF_FORGET),
	    "a calm record is forgotten after a week");
	config_free(cfg);
}

/* test_domain - domain arguments */
static void
test_domain(void)
{
	char	 d[STORE_ADDR_MAX];
	const char *why;

	ok(backoff_check_domain("Mail.Example.COM", d, sizeof(d), &why) == 0 &&
	    strcmp(d, "mail.example.com") == 0, "a domain, lower-cased");
	ok(backoff_check_domain("a@b.example", d, sizeof(d), &why) < 0,
	    "an address is not a domain");
	ok(backoff_check_domain(".example.com", d, sizeof(d), &why) < 0,
	    "a parent-domain pattern is not a domain");
}

/* test_qids - one deferral counts once, whoever sees it first */
static void
test_qids(void)
{
	struct store_backoff r;
	char	 id[16];

	memset(&r, 0, sizeof(r));
	ok(!backoff_qid_seen(&r, "AAA", BACKOFF_FROM_LOG),
	    "the log's first deferral of a message counts");
	ok(backoff_qid_seen(&r, "AAA", BACKOFF_FROM_PIPE),
	    "the pipe's report of it does not");
	ok(!backoff_qid_seen(&r, "AAA", BACKOFF_FROM_LOG),
	    "a later deferral of it in the log is a new attempt");
	ok(!backoff_qid_seen(&r, "BBB", BACKOFF_FROM_PIPE),
	    "a report of a message the log has not shown counts");
	ok(backoff_qid_seen(&r, "BBB", BACKOFF_FROM_LOG),
	    "the log's line of that deferral then does not");
	ok(!backoff_qid_seen(&r, "BBB", BACKOFF_FROM_LOG),
	    "  only once");
	ok(!backoff_qid_seen(&r, "", BACKOFF_FROM_PIPE) &&
	    !backoff_qid_seen(&r, "", BACKOFF_FROM_PIPE),
	    "without a queue id every signal counts");
	for (int i = 0; i < STORE_BACKOFF_QIDS; i++) {
		snprintf(id, sizeof(id), "Q%d", i);
		(void)backoff_qid_seen(&r, id, BACKOFF_FROM_LOG);
	}
	ok(r.nqids == STORE_BACKOFF_QIDS && !backoff_qid_seen(&r, "AAA",
	    BACKOFF_FROM_PIPE), "the oldest queue ids are forgotten");
}

int
main(void)
{
	test_parse();
	test_signals();
	test_levels();
	test_domain();
	test_qids();
	return done_testing();
}
