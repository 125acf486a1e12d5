/*++
 * NAME
 *	classify 3
 * SUMMARY
 *	bounce reasons from status codes, reply codes and rules
 * DESCRIPTION
 *	classify_status() maps an RFC 3463 enhanced status code to the
 *	reason its subject and detail name; classify_reply_code() does the
 *	same, more coarsely, for an SMTP reply code. classify() combines
 *	them with the text rules: a matching rule overrides the codes,
 *	because the text is usually more precise than the code (a 5.1.1
 *	that says the mailbox is over quota is mailboxfull). The rules see
 *	the diagnostic with every address's local part cut to "x".
 *
 *	Two adjustments follow the rules: a recipient reported as
 *	delivered, relayed or expanded is "delivered", and an unknown-user
 *	answer given after DATA (not at RCPT TO) comes from the
 *	recipient's content filter, so it is "filtered" (unless no remote
 *	server answered at all: a DSN without a diagnostic whose own prose
 *	says the address does not exist); one given to MAIL FROM is about
 *	the sender, so it is "rejected". A failure of a
 *	local delivery program (x-unix diagnostic) that nothing explains
 *	is "mailererror"; another failure that carries a code but that
 *	nothing explains is "onhold".
 * DIAGNOSTICS
 *	None; an unknown code gives "undefined".
 *--*/
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "libbase.h"

/* One RFC 3463 code: class ignored, "subject.detail". */
struct classify_code {
	const char *code;
	enum reason reason;
};

static const struct classify_code classify_codes[] = {
	{ "1.1", REASON_USERUNKNOWN },	/* bad destination mailbox */
	{ "1.2", REASON_HOSTUNKNOWN },	/* bad destination system */
	{ "1.3", REASON_USERUNKNOWN },	/* bad destination mailbox syntax */
	{ "1.4", REASON_USERUNKNOWN },	/* ambiguous destination */
	{ "1.5", REASON_DELIVERED },	/* destination address valid */
	{ "1.6", REASON_HASMOVED },	/* mailbox has moved */
	{ "1.7", REASON_REJECTED },	/* bad sender mailbox syntax */
	{ "1.8", REASON_REJECTED },	/* bad sender system address */
	{ "1.9", REASON_REJECTED },	/* message relayed to non-compliant */
	{ "1.10", REASON_NOTACCEPT },	/* recipient has a null MX */
	{ "2.1", REASON_SUSPEND },	/* mailbox disabled */
	{ "2.2", REASON_MAILBOXFULL },	/* mailbox full */
	{ "2.3", REASON_EXCEEDLIMIT },	/* message length exceeds limit */
	{ "2.4", REASON_SYSTEMERROR },	/* mailing list expansion problem */
	{ "3.0", REASON_UNDEFINED },	/* other mail system status */
	{ "3.1", REASON_SYSTEMFULL },	/* mail system full */
	{ "3.2", REASON_NOTACCEPT },	/* system not accepting messages */
	{ "3.3", REASON_SYSTEMERROR },	/* feature not supported */
	{ "3.4", REASON_MESGTOOBIG },	/* message too big for system */
	{ "3.5", REASON_SYSTEMERROR },	/* system incorrectly configured */
	{ "4.0", REASON_NETWORKERROR },	/* other network or routing */
	{ "4.1", REASON_NETWORKERROR },	/* no answer from host */
	{ "4.2", REASON_NETWORKERROR },	/* bad connection */
	{ "4.3", REASON_SYSTEMERROR },	/* directory server failure */
	{ "4.4", REASON_HOSTUNKNOWN },	/* unable to route */
	{ "4.5", REASON_SYSTEMFULL },	/* mail system congestion */
	{ "4.6", REASON_NETWORKERROR },	/* routing loop */
	{ "4.7", REASON_EXPIRED },	/* delivery time expired */
	{ "5.0", REASON_UNDEFINED },	/* other protocol status */
	{ "5.1", REASON_SYNTAXERROR },	/* invalid command */
	{ "5.2", REASON_SYNTAXERROR },	/* syntax error */
	{ "5.3", REASON_EXCEEDLIMIT },	/* too many recipients */
	{ "5.4", REASON_SYNTAXERROR },	/* invalid command arguments */
	{ "5.5", REASON_SYNTAXERROR },	/* wrong protocol version */
	{ "5.6", REASON_SYNTAXERROR },	/* message too long for protocol */
	{ "6.0", REASON_CONTENTERROR },	/* other media error */
	{ "6.1", REASON_CONTENTERROR },	/* media not supported */
	{ "6.2", REASON_CONTENTERROR },	/* conversion required */
	{ "6.3", REASON_CONTENTERROR },	/* conversion not supported */
	{ "6.4", REASON_CONTENTERROR },	/* conversion with loss */
	{ "6.5", REASON_CONTENTERROR },	/* conversion failed */
	{ "6.6", REASON_CONTENTERROR },	/* message content not available */
	{ "6.7", REASON_CONTENTERROR },	/* non-ASCII address not allowed */
	{ "6.8", REASON_CONTENTERROR },	/* UTF-8 string reply required */
	{ "6.9", REASON_CONTENTERROR },	/* UTF-8 header not supported */
	{ "7.1", REASON_REJECTED },	/* delivery not authorized */
	{ "7.2", REASON_POLICYVIOLATION },	/* list expansion prohibited */
	{ "7.3", REASON_SECURITYERROR },	/* conversion would be insecure */
	{ "7.4", REASON_SECURITYERROR },	/* security not supported */
	{ "7.5", REASON_SECURITYERROR },	/* cryptographic failure */
	{ "7.6", REASON_SECURITYERROR },	/* algorithm not supported */
	{ "7.7", REASON_SECURITYERROR },	/* message integrity failure */
	{ "7.8", REASON_SECURITYERROR },	/* authentication invalid */
	{ "7.9", REASON_SECURITYERROR },	/* mechanism too weak */
	{ "7.10", REASON_FAILEDSTARTTLS },	/* encryption needed */
	{ "7.11", REASON_FAILEDSTARTTLS },	/* encryption required */
	{ "7.12", REASON_SECURITYERROR },	/* password transition needed */
	{ "7.13", REASON_SUSPEND },	/* user account disabled */
	{ "7.14", REASON_SECURITYERROR },	/* trust relationship required */
	{ "7.15", REASON_SECURITYERROR },	/* priority too low */
	{ "7.16", REASON_MESGTOOBIG },	/* message too big for priority */
	{ "7.17", REASON_HASMOVED },	/* mailbox owner has changed */
	{ "7.18", REASON_HASMOVED },	/* domain owner has changed */
	{ "7.19", REASON_SECURITYERROR },	/* RRVS test cannot be completed */
	{ "7.20", REASON_AUTHFAILURE },	/* no passing DKIM signature */
	{ "7.21", REASON_AUTHFAILURE },	/* no acceptable DKIM signature */
	{ "7.22", REASON_AUTHFAILURE },	/* no author-matched DKIM */
	{ "7.23", REASON_AUTHFAILURE },	/* SPF validation failed */
	{ "7.24", REASON_AUTHFAILURE },	/* SPF validation error */
	{ "7.25", REASON_REQUIREPTR },	/* reverse DNS validation failed */
	{ "7.26", REASON_AUTHFAILURE },	/* multiple authentication failed */
	{ "7.27", REASON_NOTACCEPT },	/* sender address has null MX */
	{ "7.28", REASON_SPAMDETECTED },	/* mail flood detected */
	{ "7.29", REASON_SECURITYERROR },	/* ARC validation failure */
	{ "7.30", REASON_FAILEDSTARTTLS },	/* REQUIRETLS support required */
};

/* classify_status - the reason an RFC 3463 status code names */
enum reason
classify_status(const char *status)
{
	const char *rest;

	if (status == NULL || status[0] < '2' || status[0] > '5' ||
	    status[1] != '.')
		return REASON_UNDEFINED;
	if (status[0] == '2')
		return REASON_DELIVERED;
	rest = status + 2;
	if (status[0] == '5' && (strcmp(rest, "4.1") == 0 ||
	    strcmp(rest, "4.2") == 0))
		return REASON_UNDEFINED;	/* a timeout is never permanent */
	for (size_t i = 0; i < sizeof(classify_codes) /
	    sizeof(classify_codes[0]); i++) {
		size_t	 n = strlen(classify_codes[i].code);

		if (strncmp(rest, classify_codes[i].code, n) == 0 &&
		    rest[n] == '\0')
			return classify_codes[i].reason;
	}
	return REASON_UNDEFINED;
}

/* The codes with one precise meaning (RFC 3463, RFC 7505, RFC 7372,
   RFC 8601's registry entries): "subject.detail", class ignored. A
   broad phrase does not overrule these; a rule must refine them. */
static const char *const classify_specific[] = {
	"1.1", "1.2", "1.6", "1.10", "2.2", "3.4", "4.7", "7.20", "7.21",
	"7.22", "7.23", "7.24", "7.25", "7.26", "7.27",
};

/* classify_status_is_specific - a failure code with one precise meaning */
bool
classify_status_is_specific(const char *status)
{
	if (status == NULL || (status[0] != '4' && status[0] != '5') ||
	    status[1] != '.')
		return false;
	for (size_t i = 0; i < BG_ARRAY_SIZE(classify_specific); i++)
		if (strcmp(status + 2, classify_specific[i]) == 0)
			return true;
	return false;
}

/* classify_evidence_name - the evidence's name in parse --json */
const char *
classify_evidence_name(enum classify_evidence e)
{
	static const char *const names[] = { "none", "report", "provider",
	    "status", "refines", "phrase", "reply", "stage" };

	return (size_t)e < BG_ARRAY_SIZE(names) ? names[e] : "none";
}

/* classify_reply_code - the reason an SMTP reply code suggests */
enum reason
classify_reply_code(const char *code)
{
	if (code == NULL || strlen(code) != 3)
		return REASON_UNDEFINED;
	if (code[0] == '2')
		return REASON_DELIVERED;
	switch (atoi(code)) {
	case 452: return REASON_SYSTEMFULL;
	case 500: case 501: case 502: case 503: case 504:
		return REASON_SYNTAXERROR;
	case 521: case 556: return REASON_NOTACCEPT;
	case 551: return REASON_HASMOVED;
	case 552: return REASON_MAILBOXFULL;
	case 553: return REASON_USERUNKNOWN;
	default: return REASON_UNDEFINED;
	}
}

/* classify_is_delivery - the report says the message got through: only
   a DSN action says so. A 2xx reply or 2.x.x code quoted in a failure
   report is a transcript line before the refusal, never a success. */
static bool
classify_is_delivery(const struct classify_input *in)
{
	return in->action != NULL && (strcmp(in->action, "delivered") == 0 ||
	    strcmp(in->action, "relayed") == 0 ||
	    strcmp(in->action, "expanded") == 0);
}

/* classify_by_codes - the first answer, from the codes alone */
static enum reason
classify_by_codes(const struct classify_input *in,
    enum classify_evidence *ev)
{
	enum reason r = classify_status(in->status);

	*ev = CLASSIFY_EV_STATUS;
	if (r == REASON_UNDEFINED || r == REASON_DELIVERED) {
		r = classify_reply_code(in->reply_code);
		*ev = CLASSIFY_EV_REPLY;
	}
	if (r == REASON_UNDEFINED || r == REASON_DELIVERED) {
		r = REASON_UNDEFINED;
		*ev = CLASSIFY_EV_NONE;
	}
	return r;
}

/* classify_is_final - a 554 "transaction failed" or a protocol-level
   status: the server's last word on the recipient, not a filter's */
static bool
classify_is_final(const struct classify_input *in)
{
	return (in->reply_code != NULL && strcmp(in->reply_code, "554") == 0) ||
	    (in->status != NULL && strncmp(in->status + 1, ".5.", 3) == 0);
}

/* classify_is_recipient_reason - a reason that blames the mailbox */
static bool
classify_is_recipient_reason(enum reason r)
{
	return r == REASON_USERUNKNOWN || r == REASON_HOSTUNKNOWN ||
	    r == REASON_MAILBOXFULL || r == REASON_SUSPEND ||
	    r == REASON_HASMOVED || r == REASON_FILTERED;
}

/* classify_by_command - a refusal of the greeting or EHLO is about our
   host (but a host that takes no mail at all says so then: notaccept);
   an unknown-user answer to MAIL FROM is about our sender, and one to
   anything but RCPT TO comes from a filter, unless a provider rule
   knows the provider's unknown-user answer apart from its filter's */
static enum reason
classify_by_command(enum reason r, enum classify_evidence ev,
    const struct classify_input *in)
{
	bool	 addr_status = in->status != NULL &&
	    strncmp(in->status + 1, ".1.", 3) == 0;

	if (in->command != NULL && (strcmp(in->command, "CONNECT") == 0 ||
	    strcmp(in->command, "HELO") == 0) &&
	    classify_is_recipient_reason(r))
		return REASON_BLOCKED;
	if (in->command != NULL && strcmp(in->command, "MAIL") == 0 &&
	    (r == REASON_USERUNKNOWN || r == REASON_HOSTUNKNOWN))
		return REASON_REJECTED;
	if (r != REASON_USERUNKNOWN || (in->own_words && in->reply_code == NULL))
		return r;
	if (ev == CLASSIFY_EV_PROVIDER && in->command == NULL)
		return r;
	if (!addr_status && !classify_is_final(in) &&
	    (in->status != NULL || in->reply_code != NULL) &&
	    (in->command == NULL || strcmp(in->command, "RCPT") != 0))
		return REASON_FILTERED;
	return r;
}

/* classify_is_atext - a character of an address's local part */
static bool
classify_is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != 0 && strchr(".!#$%&'*+-/=?^_`{|}~",
	    c) != NULL);
}

/* classify_mask_local_parts - the text with every address's local part
   cut to "x", or NULL when out of memory (caller frees). A mailbox
   named "policyviolation" or "mailbox-full" is somebody's name, not the
   mail system's words, and must not decide the reason. */
static char *
classify_mask_local_parts(const char *text)
{
	size_t	 n = 0, run = 0;
	char	*out;

	if ((out = malloc(strlen(text) + 1)) == NULL)
		return NULL;
	for (; *text != '\0'; text++) {
		if (*text == '@' && run > 0 &&
		    classify_is_atext((unsigned char)text[1])) {
			n -= run - 1;
			out[n - 1] = 'x';
		}
		run = classify_is_atext((unsigned char)*text) ? run + 1 : 0;
		out[n++] = *text;
	}
	out[n] = '\0';
	return out;
}

/* classify_evidence_of - the evidence a matching rule gives */
static enum classify_evidence
classify_evidence_of(const struct rule_match *m)
{
	switch (m->kind) {
	case RULE_KIND_PROVIDER: return CLASSIFY_EV_PROVIDER;
	case RULE_KIND_REFINES: return CLASSIFY_EV_REFINES;
	default: return CLASSIFY_EV_PHRASE;
	}
}

/* classify_rule_input - what the rules see of a recipient */
static void
classify_rule_input(const struct classify_input *in, const char *masked,
    struct rule_input *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->status = in->status;
	ri->reply_code = in->reply_code;
	ri->action = in->action;
	ri->stage = in->command;
	ri->remote_host = in->remote_host;
	ri->reporting_host = in->reporting_host;
	ri->recipient_domain = in->recipient_domain;
	ri->specific_status = classify_status_is_specific(in->status);
	ri->text[RULE_PART_DIAGNOSTIC] = masked ? masked : in->diagnostic;
	ri->text[RULE_PART_SUBJECT] = in->subject;
	ri->text[RULE_PART_BODY] = in->body;
}

/* classify - the reason, hardness and deciding rule of a recipient */
void
classify(struct ruleset *rs, const struct classify_input *in,
    struct classify_result *out)
{
	struct rule_input ri;
	struct rule_match m;
	char	*masked;

	memset(out, 0, sizeof(*out));
	if (classify_is_delivery(in)) {
		out->reason = out->base = REASON_DELIVERED;
		out->evidence = CLASSIFY_EV_REPORT;
		return;
	}
	out->reason = classify_by_codes(in, &out->evidence);
	masked = in->diagnostic ? classify_mask_local_parts(in->diagnostic) :
	    NULL;
	classify_rule_input(in, masked, &ri);
	if (rules_match(rs, &ri, &m)) {
		out->reason = (enum reason)m.reason;
		out->evidence = classify_evidence_of(&m);
		out->rule_file = m.file;
		out->rule_line = m.line;
	}
	free(masked);
	out->limit_hit = m.limit_hit;
	out->base = out->reason;
	out->base_evidence = out->evidence;
	classify_finish(in, out);
}

/* classify_finish - the reason from the base reason and the command */
void
classify_finish(const struct classify_input *in, struct classify_result *out)
{
	out->reason = classify_by_command(out->base, out->base_evidence, in);
	out->evidence = out->reason != out->base ? CLASSIFY_EV_STAGE :
	    out->base_evidence;
	out->needs_command = in->command == NULL &&
	    (out->base == REASON_USERUNKNOWN || out->base == REASON_HOSTUNKNOWN);
	if (out->reason == REASON_UNDEFINED && in->local_program)
		out->reason = REASON_MAILERERROR;
	if (out->reason == REASON_UNDEFINED &&
	    (in->status != NULL || in->reply_code != NULL))
		out->reason = REASON_ONHOLD;
	out->hard = reason_is_hard(out->reason, in->status, in->reply_code);
}
