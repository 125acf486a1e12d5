/*++
 * NAME
 *	test-bounce 1
 * SUMMARY
 *	unit tests for the bounce parser
 * DESCRIPTION
 *	Table-driven: small messages of each kind the parser knows, with
 *	the kind, recipients, codes and mode it must find; the same
 *	messages with CRLF and bare CR line endings; the parser limits;
 *	the scanners for addresses and codes. Classification here uses
 *	the codes alone (no ruleset): the rules have their own tests.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounce.h"
#include "bounce_int.h"
#include "libbase.h"
#include "tap.h"

struct parse_case {
	const char *name;
	const char *msg;
	enum bounce_kind kind;
	size_t	 nrcpt;
	const char *rcpt;		/* first recipient */
	const char *status;
	const char *reply;
	const char *action;
	enum bounce_mode mode;
	const char *reason;
	const char *diag_not;		/* text the diagnostic must not hold */
};

#define DSN_HEAD \
	"From: MAILER-DAEMON@mta.example.com\n" \
	"To: bounces@example.com\n" \
	"Subject: Undelivered Mail Returned to Sender\n" \
	"MIME-Version: 1.0\n" \
	"Content-Type: multipart/report; report-type=delivery-status; " \
	"boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nFailed.\n\n" \
	"--B\nContent-Type: message/delivery-status\n\n"

static const struct parse_case parse_cases[] = {
	{ "dsn", DSN_HEAD
	    "Reporting-MTA: dns; mta.example.com\n\n"
	    "Final-Recipient: rfc822; Jane@Example.ORG\n"
	    "Action: failed\nStatus: 5.1.1\n"
	    "Remote-MTA: dns; mx.example.org\n"
	    "Diagnostic-Code: smtp; 550 5.1.1 <jane@example.org>: user\n"
	    "    unknown\n\n--B--\n",
	    BOUNCE_DSN, 1, "jane@example.org", "5.1.1", "550", "failed",
	    BOUNCE_MODE_SYNC, "userunknown", NULL },
	{ "dsn foreign", DSN_HEAD
	    "Reporting-MTA: dns; far.example.net\n\n"
	    "Final-Recipient: rfc822; a@example.org\n"
	    "Action: failed\nStatus: 5.2.2\n"
	    "Remote-MTA: dns; mx.example.org\n"
	    "Diagnostic-Code: smtp; 552 mailbox full\n\n--B--\n",
	    BOUNCE_DSN, 1, "a@example.org", "5.2.2", "552", "failed",
	    BOUNCE_MODE_ASYNC, "mailboxfull", NULL },
	{ "dsn two recipients without blank line", DSN_HEAD
	    "Reporting-MTA: dns; mta.example.com\n\n"
	    "Final-Recipient: rfc822; a@example.org\nAction: failed\n"
	    "Status: 5.1.1\n"
	    "Final-Recipient: rfc822; b@example.org\nAction: delayed\n"
	    "Status: 4.4.7\n\n--B--\n",
	    BOUNCE_DSN, 2, "a@example.org", "5.1.1", NULL, "failed",
	    BOUNCE_MODE_ASYNC, "userunknown", NULL },
	{ "dsn original recipient only", DSN_HEAD
	    "Original-Recipient: rfc822;<o@example.org>\nAction: failed\n"
	    "Status: 5.0.0\nDiagnostic-Code: X-Postfix; mail loops back "
	    "to myself\n\n--B--\n",
	    BOUNCE_DSN, 1, "o@example.org", "5.0.0", NULL, "failed",
	    BOUNCE_MODE_ASYNC, "onhold", NULL },
	{ "address verification: deliverable", DSN_HEAD
	    "Reporting-MTA: dns; verify.example.net\n\n"
	    "Final-Recipient: rfc822; ok@example.org\n"
	    "Action: deliverable\nStatus: 2.1.5\n"
	    "Diagnostic-Code: smtp; 250 2.1.5 Ok\n\n--B--\n",
	    BOUNCE_DSN, 1, "ok@example.org", "2.1.5", "250", "delivered",
	    BOUNCE_MODE_ASYNC, "delivered", NULL },
	{ "address verification: undeliverable", DSN_HEAD
	    "Reporting-MTA: dns; verify.example.net\n\n"
	    "Final-Recipient: rfc822; gone@example.org\n"
	    "Action: Undeliverable\nStatus: 5.1.1\n"
	    "Diagnostic-Code: smtp; 550 5.1.1 no such mailbox\n\n--B--\n",
	    BOUNCE_DSN, 1, "gone@example.org", "5.1.1", "550", "failed",
	    BOUNCE_MODE_ASYNC, "userunknown", NULL },
	{ "action outside the vocabulary gives none", DSN_HEAD
	    "Reporting-MTA: dns; odd.example.net\n\n"
	    "Final-Recipient: rfc822; odd@example.org\n"
	    "Action: bounced\nStatus: 5.1.1\n\n--B--\n",
	    BOUNCE_DSN, 1, "odd@example.org", "5.1.1", NULL, NULL,
	    BOUNCE_MODE_ASYNC, "userunknown", NULL },
	{ "dsn without multipart",
	    "From: postmaster@example.net\nTo: bounces@example.com\n"
	    "Subject: failure\n\nReporting-MTA: dns; example.net\n"
	    "Final-Recipient: rfc822; p@example.net\nAction: failed\n"
	    "Status: 5.1.2\n",
	    BOUNCE_DSN, 1, "p@example.net", "5.1.2", NULL, "failed",
	    BOUNCE_MODE_ASYNC, "hostunknown", NULL },
	{ "exim",
	    "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
	    "To: bounces@example.com\nX-Failed-Recipients: x@example.net\n"
	    "Subject: Mail delivery failed: returning message to sender\n\n"
	    "The following address(es) failed:\n\n  x@example.net\n"
	    "    SMTP error from remote mail server after RCPT TO:"
	    "<x@example.net>:\n    550 5.1.1 unknown user\n\n"
	    "------ This is a copy of the message, including all the "
	    "headers. ------\n\nTo: x@example.net, y@example.net\n",
	    BOUNCE_NDR, 1, "x@example.net", "5.1.1", "550", NULL,
	    BOUNCE_MODE_ASYNC, "userunknown", NULL },
	{ "sendmail transcript: the replies above a summary line",
	    "From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.net>\n"
	    "To: b@example.com\nSubject: Returned mail: User unknown\n\n"
	    "   ----- Transcript of session follows -----\n"
	    "While talking to mx.example.org:\n"
	    ">>> MAIL From:<b@example.com>\n"
	    "<<< 553 <b@example.com>... sender refused\n"
	    "554 <s@example.org>... Remote protocol error\n"
	    "550 example.net (smtp)... 550 Host unknown\n"
	    "554 <t@example.net>... 550 Host unknown\n\n"
	    "   ----- Unsent message follows -----\n"
	    "To: s@example.org, t@example.net\n",
	    BOUNCE_NDR, 2, "s@example.org", NULL, "553", NULL,
	    BOUNCE_MODE_ASYNC, "rejected", "Host unknown" },
	{ "exim delivery to a file: the DSN block names the file",
	    "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
	    "To: bounces@example.com\nX-Failed-Recipients: f@example.net\n"
	    "Subject: Mail delivery failed: returning message to sender\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status; "
	    "boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\n"
	    "The following address(es) failed:\n\n"
	    "  save to /var/mail/f\n    generated by f@example.net\n"
	    "    mailbox is full: retry timeout exceeded\n\n"
	    "--B\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; mx.example.net\n\nAction: failed\n"
	    "Final-Recipient: rfc822;/var/mail/f\nStatus: 5.0.0\n\n--B--\n",
	    BOUNCE_NDR, 1, "f@example.net", "5.0.0", NULL, NULL,
	    BOUNCE_MODE_ASYNC, "onhold", NULL },
	{ "qmail",
	    "From: MAILER-DAEMON@mail.example.org\nTo: b@example.com\n"
	    "Subject: failure notice\n\nHi. This is the qmail-send program."
	    "\n\n<q@example.org>:\nRemote host said: 552 sorry, mailbox "
	    "full (#5.2.2)\n\n--- Below this line is a copy of the message."
	    "\n\nTo: q@example.org\nFrom: b@example.com\n",
	    BOUNCE_NDR, 1, "q@example.org", "5.2.2", "552", NULL,
	    BOUNCE_MODE_ASYNC, "mailboxfull", NULL },
	{ "inline returned message names the only recipient",
	    "From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.net>\n"
	    "To: b@example.com\nSubject: Returned mail: could not send "
	    "for 5 days\n\n"
	    "   ----- Transcript of session follows -----\n"
	    "421 mx.example.org (smtp)... Deferred: connection timed out\n\n"
	    "   ----- Unsent message follows -----\n"
	    "Received: by relay.example.net; Mon, 2 Mar 1998 10:00:00\n"
	    "From: b@example.com\nTo: Only One <only@example.org>\n"
	    "Subject: hello\n\nbody naming nobody@example.net\n",
	    BOUNCE_NDR, 1, "only@example.org", NULL, "421", NULL,
	    BOUNCE_MODE_ASYNC, "onhold", NULL },	/* codes alone: no rules here */
	{ "sentence ending in a colon introduces the returned headers",
	    "From: Postmaster <postmaster@filter.example.net>\n"
	    "To: b@example.com\nSubject: Undeliverable mail\n\n"
	    "Delivery failed for the following recipient:\n\n"
	    "<gone@example.org>: 550 5.1.1 mailbox does not exist\n\n"
	    "Attached is a copy of the message headers:\n"
	    "Received: from out.example.com (envelope-from\n"
	    "  <sender@out.example.com>); Mon, 2 Mar 2026 10:00:00\n"
	    "From: b@example.com\nTo: gone@example.org\n",
	    BOUNCE_NDR, 1, "gone@example.org", "5.1.1", "550", NULL,
	    BOUNCE_MODE_ASYNC, "userunknown", "copy of" },
	{ "returned headers without a marker line end the diagnostic",
	    "From: MAILER-DAEMON@mx.example.net\nTo: b@example.com\n"
	    "Subject: Undelivered mail\n\n"
	    "far@example.org could not be delivered: 552 5.2.2 "
	    "mailbox over quota\n\n"
	    "Received: from out.example.com by mx.example.net;\n"
	    "  Mon, 2 Mar 2026 10:00:00 +0000\n"
	    "From: Sender <b@example.com>\nTo: far@example.org, "
	    "near@example.org\nSubject: hi\n",
	    BOUNCE_NDR, 1, "far@example.org", "5.2.2", "552", NULL,
	    BOUNCE_MODE_ASYNC, "mailboxfull", "Received" },
	{ "boundary parameter on an unindented line",
	    "From: postmaster@gw.example.net\nTo: b@example.com\n"
	    "Subject: Delivery failure\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"OUT\"\n\n--OUT\n"
	    "Content-Type: multipart/alternative;\nboundary=\"IN\"\n\n"
	    "--IN\nContent-Type: text/plain\n\n"
	    "Error: undeliverable\n\n550 5.1.1 no such mailbox\n\n"
	    "Details:\n  To: lost@example.org\n--IN--\n--OUT--\n",
	    BOUNCE_NDR, 1, "lost@example.org", "5.1.1", "550", NULL,
	    BOUNCE_MODE_ASYNC, "userunknown", "Content-Type" },
	{ "report forwarded inside another message",
	    "From: Mail Delivery Subsystem <MAILER-DAEMON@gw.example.jp>\n"
	    "To: b@example.com\nSubject: fwd\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"O\"\n\n--O\n"
	    "Content-Type: text/plain\n\nForwarded.\n--O\n"
	    "Content-Type: message/rfc822\n\n" DSN_HEAD
	    "Final-Recipient: rfc822; in@example.org\nAction: failed\n"
	    "Status: 5.1.1\n\n--B--\n\n--O--\n",
	    BOUNCE_DSN, 1, "in@example.org", "5.1.1", NULL, "failed",
	    BOUNCE_MODE_ASYNC, "userunknown", NULL },
	{ "returned message in base64 names the recipient",
	    "From: MAILER-DAEMON@mx.example.org\nTo: b@example.com\n"
	    "Subject: Undeliverable\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"R\"\n\n--R\n"
	    "Content-Type: text/plain\n\nYour message could not be "
	    "delivered: 550 5.1.1 no such user.\n--R\n"
	    "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
	    "VG86IHRvQGV4YW1wbGUub3JnClN1YmplY3Q6IGhpCgpoZWxsbwo=\n--R--\n",
	    BOUNCE_NDR, 1, "to@example.org", "5.1.1", "550", NULL,
	    BOUNCE_MODE_ASYNC, "userunknown", NULL },
	{ "html only",
	    "From: Postmaster <postmaster@corp.example>\nTo: b@example.com\n"
	    "Subject: Undeliverable: hello\nMIME-Version: 1.0\n"
	    "Content-Type: text/html; charset=utf-8\n\n<html><body><p>"
	    "Delivery has failed to these recipients:</p><p><a href=\"mailto:"
	    "h@example.net\">h@example.net</a></p><p>Remote Server returned "
	    "'550 5.1.1 &lt;h@example.net&gt;: user unknown'</p></body></html>\n",
	    BOUNCE_NDR, 1, "h@example.net", "5.1.1", "550", NULL,
	    BOUNCE_MODE_ASYNC, "userunknown", NULL },
	{ "free-text warning",
	    "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\n"
	    "To: b@example.com\n"
	    "Subject: Warning: could not send message for past 4 hours\n\n"
	    "    **********************************************\n"
	    "    **      THIS IS A WARNING MESSAGE ONLY      **\n"
	    "    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **\n"
	    "    **********************************************\n\n"
	    "The following addresses had transient non-fatal errors --\n"
	    "<w@slow.example.org>\n\n"
	    "Deferred: Connection timed out with mx.slow.example.org.\n",
	    BOUNCE_NDR, 1, "w@slow.example.org", NULL, NULL, "delayed",
	    BOUNCE_MODE_ASYNC, "undefined", NULL },
	{ "free text, quoted local part",
	    "From: MAILER-DAEMON@mail.example.org\nTo: b@example.com\n"
	    "Subject: Undeliverable\n\n<\"odd..name\"@example.org>: 550 "
	    "5.1.1 no such user\n",
	    BOUNCE_NDR, 1, "\"odd..name\"@example.org", "5.1.1", "550", NULL,
	    BOUNCE_MODE_ASYNC, "userunknown", NULL },
	{ "free text from a null sender, plain subject and sender",
	    "Return-Path: <>\nFrom: no-reply@isp.example.jp\n"
	    "To: b@example.com\nSubject: Mail\n\n"
	    "Your mail of yesterday could not be delivered to: "
	    "<full@isp.example.jp>\nbecause the mailbox is over its quota.\n",
	    BOUNCE_NDR, 1, "full@isp.example.jp", NULL, NULL, NULL,
	    BOUNCE_MODE_ASYNC, "undefined", NULL },
	{ "the same from an ordinary sender is not a report",
	    "Return-Path: <shop@example.net>\nFrom: shop@example.net\n"
	    "To: b@example.com\nSubject: Mail\n\n"
	    "Your parcel could not be delivered to: <home@example.jp>\n",
	    BOUNCE_NONE, 0, NULL, NULL, NULL, NULL, BOUNCE_MODE_NONE, NULL, NULL },
	{ "dsn from a local delivery program", DSN_HEAD
	    "Reporting-MTA: dns; mta.example.com\n\n"
	    "Final-Recipient: rfc822; local@example.com\n"
	    "Action: failed\nStatus: 4.3.0\n"
	    "Diagnostic-Code: x-unix; temporary failure\n\n--B--\n",
	    BOUNCE_DSN, 1, "local@example.com", "4.3.0", NULL, "failed",
	    BOUNCE_MODE_ASYNC, "mailererror", NULL },
	{ "arf",
	    "From: fbl@isp.example\nTo: abuse@example.com\nSubject: report\n"
	    "MIME-Version: 1.0\nContent-Type: multipart/report; "
	    "report-type=feedback-report; boundary=\"F\"\n\n--F\n"
	    "Content-Type: text/plain\n\nA complaint.\n--F\n"
	    "Content-Type: message/feedback-report\n\nFeedback-Type: Abuse\n"
	    "Original-Rcpt-To: <Who@Example.NET>\n--F--\n",
	    BOUNCE_ARF, 1, "who@example.net", NULL, NULL, NULL,
	    BOUNCE_MODE_NONE, "feedback", NULL },
	{ "auto-reply",
	    "From: Ann <ann@example.se>\nTo: b@example.com\n"
	    "Subject: Out of office\nAuto-Submitted: auto-replied\n\n"
	    "I am away.\n",
	    BOUNCE_AUTOREPLY, 1, "ann@example.se", NULL, NULL, NULL,
	    BOUNCE_MODE_NONE, "vacation", NULL },
	{ "ordinary mail",
	    "From: someone@example.org\nTo: b@example.com\nSubject: hi\n\n"
	    "Write to me at someone@example.org.\n",
	    BOUNCE_NONE, 0, NULL, NULL, NULL, NULL, BOUNCE_MODE_NONE, NULL, NULL },
	{ "mail from a postmaster that reports nothing",
	    "From: Postmaster <postmaster@example.org>\nTo: b@example.com\n"
	    "Subject: Our new opening hours\n\nWrite to help@example.org "
	    "or sales@example.org.\n",
	    BOUNCE_NONE, 0, NULL, NULL, NULL, NULL, BOUNCE_MODE_NONE, NULL, NULL },
	{ "mbox From line",
	    "From MAILER-DAEMON Tue Nov 24 06:00:00 2026\n"
	    "From: MAILER-DAEMON@mail.example.org\nTo: b@example.com\n"
	    "Subject: failure notice\n\n<m@example.org>:\n"
	    "Sorry, no mailbox here by that name. (#5.1.1)\n",
	    BOUNCE_NDR, 1, "m@example.org", "5.1.1", NULL, NULL,
	    BOUNCE_MODE_ASYNC, "userunknown", NULL },
	{ "empty input", "", BOUNCE_NONE, 0, NULL, NULL, NULL, NULL,
	    BOUNCE_MODE_NONE, NULL, NULL },
	{ "layout: qmail from an ordinary sender",
	    "From: Mail Service <service@example.net>\n"
	    "To: bounces@example.com\nSubject: your mail\n\n"
	    "Hi. This is the qmail-send program at mail.example.net.\n"
	    "I'm afraid I wasn't able to deliver your message to the "
	    "following addresses.\n\n<'Rex@Example.net'>:\n"
	    "Remote host said: 250 2.1.0 ok\n"
	    "Remote host said: 552 mailbox full\n\n"
	    "--- Below this line is a copy of the message.\n\n"
	    "From: bounces@example.com\nTo: rex@example.net\n",
	    BOUNCE_NDR, 1, "rex@example.net", NULL, "552", NULL,
	    BOUNCE_MODE_ASYNC, "mailboxfull", "qmail-send" },
	{ "layout: field labels after an echo of the header fields",
	    "From: postmaster@ms.example.org\nTo: bounces@example.com\n"
	    "Subject: Delivery Notification: Delivery has failed\n\n"
	    "This report relates to a message you sent with the following "
	    "header fields:\n\n  To: sam@example.org, uma@example.org\n\n"
	    "Your message cannot be delivered to the following recipients:"
	    "\n\n  Recipient address: uma@example.org\n"
	    "  Reason: Remote SMTP server has rejected address\n"
	    "  Diagnostic code: smtp; 550 5.1.1 unknown\n",
	    BOUNCE_NDR, 1, "uma@example.org", "5.1.1", "550", NULL,
	    BOUNCE_MODE_ASYNC, "userunknown", "sam@" },
	{ "layout: bare names take the reporting domain",
	    "From: MAILER-DAEMON@aol.example\nTo: bounces@example.com\n"
	    "Subject: Returned mail\n\n"
	    "Your mail to the following recipients could not be delivered "
	    "because they are not accepting mail from bounces@example.com:\n"
	    "\tScreenName\n\nThe end.\n",
	    BOUNCE_NDR, 1, "screenname@aol.example", NULL, NULL, NULL,
	    BOUNCE_MODE_ASYNC, "undefined", NULL },
	{ "layout: a warning is delayed",
	    "From: postmaster@ex.example.org\nTo: bounces@example.com\n"
	    "Subject: Delivery delayed\n\n"
	    "Delivery is delayed to these recipients or groups:\n\n"
	    "kim@example.org\n\nThis message hasn't been delivered yet.\n",
	    BOUNCE_NDR, 1, "kim@example.org", NULL, NULL, "delayed",
	    BOUNCE_MODE_ASYNC, "undefined", NULL },
	{ "transcript: a success code is not the failure's",
	    "From: MAILER-DAEMON@mail.example.com\nTo: bounces@example.com\n"
	    "Subject: Returned mail: User unknown\n\n"
	    "   ----- The following addresses had permanent fatal errors "
	    "-----\n<lee@example.org>\n\n"
	    "   ----- Transcript of session follows -----\n"
	    "<<< 250 2.1.0 Sender ok\n<<< 550 User unknown\n",
	    BOUNCE_NDR, 1, "lee@example.org", NULL, "550", NULL,
	    BOUNCE_MODE_ASYNC, "onhold", NULL },
	{ "dsn: a success status under a failed action is dropped",
	    DSN_HEAD "Reporting-MTA: dns; far.example.net\n\n"
	    "Final-Recipient: rfc822; 'wes@example.org'\n"
	    "Action: failed\nStatus: 2.0.0\n"
	    "Diagnostic-Code: smtp; 250 2.1.5 Ok; then 554 refused\n\n--B--\n",
	    BOUNCE_DSN, 1, "wes@example.org", NULL, "554", "failed",
	    BOUNCE_MODE_ASYNC, "onhold", NULL },
	{ "postmaster of the reporting site is not a recipient",
	    "Return-Path: <>\nFrom: MAILER-DAEMON@mx1.example.net\n"
	    "To: bounces@example.com\nSubject: Undeliverable\n\n"
	    "We could not deliver your message to vera@example.org (550).\n"
	    "Write to postmaster@example.net for help.\n",
	    BOUNCE_NDR, 1, "vera@example.org", NULL, "550", NULL,
	    BOUNCE_MODE_ASYNC, "onhold", NULL },
};

/* to_endings - the message with its LFs made CRLF or CR */
static char *
to_endings(const char *s, const char *eol)
{
	struct buf b = BUF_INIT;

	for (; *s != '\0'; s++) {
		if (*s == '\n')
			buf_addstr(&b, eol);
		else
			buf_addch(&b, *s);
	}
	buf_addstr(&b, "");
	return buf_steal(&b);
}

/* check_case - parse one message and compare */
static void
check_case(const struct bounce_parser *bp, const struct parse_case *c,
    const char *msg, const char *how)
{
	struct bounce_result res;
	const struct bounce_rcpt *r;

	(void)bounce_parse(bp, msg, strlen(msg), &res);
	r = res.nrcpt > 0 ? &res.rcpt[0] : NULL;
	is_int(res.kind, c->kind, "%s (%s): kind", c->name, how);
	is_int((long long)res.nrcpt, (long long)c->nrcpt, "%s (%s): recipients",
	    c->name, how);
	if (res.kind == BOUNCE_NONE)
		ok(res.why != NULL, "%s (%s): says why", c->name, how);
	if (r == NULL) {
		bounce_result_free(&res);
		return;
	}
	is_str(r->recipient, c->rcpt, "%s (%s): recipient", c->name, how);
	is_str(r->status, c->status, "%s (%s): status", c->name, how);
	is_str(r->reply_code, c->reply, "%s (%s): reply", c->name, how);
	is_str(r->action, c->action, "%s (%s): action", c->name, how);
	is_int(r->mode, c->mode, "%s (%s): mode", c->name, how);
	is_str(reason_name(r->reason), c->reason, "%s (%s): reason", c->name,
	    how);
	if (c->diag_not != NULL)
		ok(r->diagnostic != NULL &&
		    strstr(r->diagnostic, c->diag_not) == NULL,
		    "%s (%s): diagnostic without \"%s\"", c->name, how,
		    c->diag_not);
	bounce_result_free(&res);
}

/* test_parse - every case with LF, CRLF and CR line endings */
static void
test_parse(void)
{
	static const char *const local[] = { "MTA.example.com" };
	struct bounce_parser bp;

	bounce_parser_init(&bp);
	bp.local_hostnames = local;
	bp.nlocal_hostnames = 1;
	for (size_t i = 0; i < BG_ARRAY_SIZE(parse_cases); i++) {
		char	*crlf = to_endings(parse_cases[i].msg, "\r\n");
		char	*cr = to_endings(parse_cases[i].msg, "\r");

		check_case(&bp, &parse_cases[i], parse_cases[i].msg, "LF");
		check_case(&bp, &parse_cases[i], crlf, "CRLF");
		check_case(&bp, &parse_cases[i], cr, "CR");
		free(crlf);
		free(cr);
	}
}

/* test_limits - recipients and MIME parts are bounded */
static void
test_limits(void)
{
	struct bounce_parser bp;
	struct bounce_result res;
	struct buf msg = BUF_INIT;

	bounce_parser_init(&bp);
	bp.max_recipients = 3;
	buf_addstr(&msg, DSN_HEAD);
	for (int i = 0; i < 10; i++)
		buf_printf(&msg, "Final-Recipient: rfc822; r%d@example.org\n"
		    "Action: failed\nStatus: 5.1.1\n\n", i);
	buf_addstr(&msg, "--B--\n");
	(void)bounce_parse(&bp, msg.data, msg.len, &res);
	is_int((long long)res.nrcpt, 3, "max_recipients caps the recipients");
	ok(res.truncated, "and says the result is truncated");
	bounce_result_free(&res);
	bounce_parser_init(&bp);
	bp.max_parts = 1;
	(void)bounce_parse(&bp, msg.data, msg.len, &res);
	ok(res.truncated && res.kind == BOUNCE_NONE,
	    "max_parts stops the walk");
	bounce_result_free(&res);
	buf_free(&msg);
}

/* test_own_hostname - without local_hostnames, this host is ours */
static void
test_own_hostname(void)
{
	char	 host[256];
	char	*msg;
	struct bounce_parser bp;
	struct bounce_result res;

	if (gethostname(host, sizeof(host)) < 0 || strchr(host, ' ') != NULL) {
		diag("no host name: skipped");
		return;
	}
	msg = xasprintf(DSN_HEAD "Reporting-MTA: dns; %s\n\n"
	    "Final-Recipient: rfc822; h@example.org\nAction: failed\n"
	    "Status: 5.1.1\nRemote-MTA: dns; mx.example.org\n"
	    "Diagnostic-Code: smtp; 550 5.1.1 unknown\n\n--B--\n", host);
	bounce_parser_init(&bp);
	(void)bounce_parse(&bp, msg, strlen(msg), &res);
	is_int(res.nrcpt ? (long long)res.rcpt[0].mode : -1, BOUNCE_MODE_SYNC,
	    "a report by this host (%s) is sync without local_hostnames", host);
	bounce_result_free(&res);
	free(msg);
}

/* test_charsets - text parts are converted to UTF-8 */
static void
test_charsets(void)
{
	static const char msg[] =
	    "From: MAILER-DAEMON@mx.example.fr\nTo: b@example.com\n"
	    "Subject: =?ISO-8859-1?Q?Non_remis_=E0?= destinataire\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=ISO-8859-1\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "<zoe@example.fr>: 550 5.1.1 adresse inconnue, d=E9sol=E9\n";
	struct bounce_parser bp;
	struct bounce_result res;

	bounce_parser_init(&bp);
	(void)bounce_parse(&bp, msg, sizeof(msg) - 1, &res);
	is_int((long long)res.nrcpt, 1, "latin-1 report: one recipient");
	ok(res.nrcpt == 1 && res.rcpt[0].diagnostic != NULL &&
	    strstr(res.rcpt[0].diagnostic, "d\xc3\xa9sol\xc3\xa9") != NULL,
	    "quoted-printable latin-1 becomes UTF-8");
	bounce_result_free(&res);
}

/* test_hostile - huge reports end at the limits, without quadratic work */
static void
test_hostile(void)
{
	static const char *const local[] = { "x.example" };
	struct bounce_parser bp;
	struct bounce_result res;
	struct buf msg = BUF_INIT;
	struct ruleset *rs = rules_new(RULES_JIT);
	struct buf err = BUF_INIT;

	(void)rules_add_text(rs, "t.rules", "userunknown /no mailbox/\n"
	    "rejected part=body /groups/\n", &err);
	bounce_parser_init(&bp);
	bp.rules = rs;
	bp.local_hostnames = local;
	bp.nlocal_hostnames = 1;
	buf_addstr(&msg, "From: MAILER-DAEMON@x.example\nTo: b@example.com\n"
	    "Subject: failure notice\n\n");
	for (int i = 0; i < 20000; i++)
		buf_printf(&msg, "<u%d@example.org>:\nSorry, no mailbox here by "
		    "that name. (#5.1.1)\n\n", i);
	(void)bounce_parse(&bp, msg.data, msg.len, &res);
	is_int((long long)res.nrcpt, 1000, "20000 failed addresses: 1000 kept");
	ok(res.truncated, "and the result says it was cut");
	is_str(res.nrcpt ? reason_name(res.rcpt[999].reason) : NULL,
	    "userunknown", "the last one kept is classified");
	bounce_result_free(&res);
	buf_reset(&msg);
	buf_addstr(&msg, DSN_HEAD "Reporting-MTA: dns; x.example\n\n");
	for (int i = 0; i < 20000; i++)
		buf_printf(&msg, "Final-Recipient: rfc822; u%d@example.org\n"
		    "Action: failed\nStatus: 5.1.1\n\n", i);
	(void)bounce_parse(&bp, msg.data, msg.len, &res);
	is_int((long long)res.nrcpt, 1000, "20000 DSN recipients: 1000 kept");
	bounce_result_free(&res);
	buf_free(&msg);
	buf_free(&err);
	rules_free(rs);
}

/* A message built from a head, n copies of a repeated piece, a tail; the
   piece is a format, given k and k + 1 for the kth copy. */
struct limit_case {
	const char *name;
	const char *head, *piece, *tail;
	int	 n;
	size_t	 nrcpt;			/* recipients kept */
	size_t	 dropped;		/* rcpt_dropped */
	bool	 parts, depth, headers;	/* which limit flags are set */
};

#define LIMIT_RCPT "Final-Recipient: rfc822; r@example.org\n" \
	"Action: failed\nStatus: 5.1.1\n\n--B--\n"

static const struct limit_case limit_cases[] = {
	{ "parts after the report", DSN_HEAD LIMIT_RCPT,
	    "--B\nContent-Type: text/plain\n\nx\n", "--B--\n", 10000,
	    1, 0, true, false, false },
	{ "a million tiny parts before it", "From: a@example.com\n"
	    "Content-Type: multipart/mixed; boundary=\"B\"\n\n", "--B\n\nx\n",
	    "--B\n" LIMIT_RCPT, 1000000, 0, 0, true, false, false },
	{ "nested 1000 deep", "From: a@example.com\nContent-Type: "
	    "multipart/mixed; boundary=\"B0\"\n\n", "--B%d\nContent-Type: "
	    "multipart/mixed; boundary=\"B%d\"\n\n", "", 1000, 0, 0, false,
	    true, false },
	{ "two million header fields", "From: a@example.com\n", "X: y\n",
	    "\n" LIMIT_RCPT, 2000000, 0, 0, false, false, true },
	{ "recipients beyond the limit", DSN_HEAD, "Final-Recipient: rfc822; "
	    "u%d@example.org\nAction: failed\nStatus: 5.1.1\n\n", "--B--\n",
	    1500, 1000, 500, false, false, false },
};

/* NUL bytes in the fields before a recipient must not hide it. */
static const char limit_nul[] = DSN_HEAD "Reporting-MTA: dns; x\0y\n\n"
	"Final-Recipient: rfc822; r@example.org\0\nAction: failed\n"
	"Status: 5.1.1\n\n--B--\n";

/* test_limit_cases - each hostile shape ends at its limit */
static void
test_limit_cases(void)
{
	struct bounce_parser bp;
	struct bounce_result res;
	struct buf msg = BUF_INIT;

	bounce_parser_init(&bp);
	for (size_t i = 0; i < BG_ARRAY_SIZE(limit_cases); i++) {
		const struct limit_case *c = &limit_cases[i];

		buf_reset(&msg);
		buf_addstr(&msg, c->head);
		for (int k = 0; k < c->n; k++)
			buf_printf(&msg, c->piece, k, k + 1);
		buf_addstr(&msg, c->tail);
		(void)bounce_parse(&bp, msg.data, msg.len, &res);
		is_int((long long)res.nrcpt, (long long)c->nrcpt, "%s: %zu "
		    "recipients", c->name, c->nrcpt);
		is_int((long long)res.rcpt_dropped, (long long)c->dropped,
		    "%s: %zu dropped", c->name, c->dropped);
		ok(res.parts_limit == c->parts && res.depth_limit == c->depth &&
		    res.headers_limit == c->headers, "%s: limit flags", c->name);
		bounce_result_free(&res);
	}
	buf_free(&msg);
	(void)bounce_parse(&bp, limit_nul, sizeof(limit_nul) - 1, &res);
	is_str(res.nrcpt == 1 ? res.rcpt[0].recipient : NULL, "r@example.org",
	    "NUL bytes: the recipient after them is found");
	is_str(res.nrcpt == 1 ? res.rcpt[0].reporting_mta : NULL, "x y",
	    "NUL bytes: read as spaces");
	bounce_result_free(&res);
}

struct scan_case {
	const char *text;
	const char *addr, *status, *reply, *command;
};

static const struct scan_case scan_cases[] = {
	{ "550 5.1.1 <Kim@Example.org>... User unknown", "Kim@Example.org",
	    "5.1.1", "550", NULL },
	{ "host 192.0.2.1 said: 550-5.7.26 DMARC (in reply to end of DATA "
	    "command)", NULL, "5.7.26", "550", "DATA" },
	{ "Postfix 2.10.1 said 451 4.3.0 error after RCPT TO:<a@b.example>",
	    "a@b.example", "4.3.0", "451", "RCPT" },
	{ "In: RCPT TO 250 2.1.5 Ok In: DATA 451 4.3.0 Error", NULL, "4.3.0",
	    "451", "DATA" },
	{ "Remote-MTA: 10.4.5.6 mail.example", NULL, NULL, NULL, NULL },
	{ "SMTP error from remote mail server after MAIL FROM:<s@x.example>:"
	    " 553 5.1.8 sender rejected", "s@x.example", "5.1.8", "553",
	    "MAIL" },
	{ "550 no such mailbox here. Details: MAIL FROM: s@x.example "
	    "RCPT TO: r@y.example", "s@x.example", NULL, "550", NULL },
};

/* Texts of failures: the failure codes, never a success code. */
static const struct {
	const char *text;
	const char *status, *reply;
} fail_cases[] = {
	{ "<<< 250 2.1.0 Sender ok <<< 550 User unknown", NULL, "550" },
	{ "250 2.1.5 Ok; then 554 5.7.1 refused", "5.7.1", "554" },
	{ "421 4.4.2 timeout after 250 2.0.0", "4.4.2", "421" },
	{ "250 2.0.0 Ok: queued", NULL, NULL },
};

/* Addresses as reports write them, and the mailbox in them. */
static const struct {
	const char *text, *addr;
} trim_cases[] = {
	{ "'eve@example.org' on 4/29/2004", "eve@example.org" },
	{ "SMTP=fay@example.org; on Thu", "fay@example.org" },
	{ "smtp=Fay@Example.org", "Fay@Example.org" },
	{ "rfc822;ruth@example.org", "ruth@example.org" },
	{ "<mailto:sara@example.org>", "sara@example.org" },
	{ "\"pat@example.org\" on", "pat@example.org" },
	{ "o'brien@example.org", "o'brien@example.org" },
	{ "\"john smith\"@example.org", "\"john smith\"@example.org" },
};

/* test_scan_failure - failure codes only, and addresses trimmed */
static void
test_scan_failure(void)
{
	for (size_t i = 0; i < BG_ARRAY_SIZE(fail_cases); i++) {
		char	 code[16];
		bool	 st;

		st = bounce_scan_fail_status(fail_cases[i].text, code,
		    sizeof(code));
		is_str(st ? code : NULL, fail_cases[i].status,
		    "failure %zu: status", i);
		st = bounce_scan_fail_reply(fail_cases[i].text, code,
		    sizeof(code));
		is_str(st ? code : NULL, fail_cases[i].reply,
		    "failure %zu: reply", i);
	}
	for (size_t i = 0; i < BG_ARRAY_SIZE(trim_cases); i++) {
		const char *t = trim_cases[i].text, *a;
		size_t	 len = 0;
		char	 addr[64] = "";

		a = bounce_scan_next_addr(t, t + strlen(t), &len);
		if (a != NULL && len < sizeof(addr))
			memcpy(addr, a, len), addr[len] = '\0';
		is_str(a != NULL ? addr : NULL, trim_cases[i].addr,
		    "address %zu: the mailbox alone", i);
	}
}

/* test_scan - the address, code and command scanners */
static void
test_scan(void)
{
	for (size_t i = 0; i < BG_ARRAY_SIZE(scan_cases); i++) {
		const struct scan_case *c = &scan_cases[i];
		const char *a;
		size_t	 len = 0;
		char	 code[16], addr[64] = "";
		bool	 st;

		a = bounce_scan_next_addr(c->text, c->text + strlen(c->text),
		    &len);
		if (a != NULL && len < sizeof(addr))
			memcpy(addr, a, len), addr[len] = '\0';
		is_str(a != NULL ? addr : NULL, c->addr, "scan %zu: address", i);
		st = bounce_scan_status(c->text, code, sizeof(code));
		is_str(st ? code : NULL, c->status, "scan %zu: status", i);
		st = bounce_scan_reply(c->text, code, sizeof(code));
		is_str(st ? code : NULL, c->reply, "scan %zu: reply", i);
		is_str(bounce_scan_command(c->text), c->command,
		    "scan %zu: command", i);
	}
}

int
main(void)
{
	log_init("test-bounce", LOG_TO_STDERR);
	bounce_init();
	test_parse();
	test_limits();
	test_hostile();
	test_limit_cases();
	test_charsets();
	test_own_hostname();
	test_scan();
	test_scan_failure();
	return done_testing();
}
