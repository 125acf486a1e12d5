/*++
 * NAME
 *	bounce_json 3
 * SUMMARY
 *	one reported recipient as a "bounceguard parse --json" line
 * DESCRIPTION
 *	bounce_rcpt_json() appends the JSON object of one recipient, with
 *	the members of the parse output contract in their order, and a
 *	newline. msgno, when above 0, is the message's position in an mbox
 *	file. Kept here so that the admin tool and the fuzz harness that
 *	checks the output share one definition of it.
 * DIAGNOSTICS
 *	None.
 *--*/
#include "bounce.h"
#include "libbase.h"
#include "libmail.h"

/* bounce_rcpt_json - append the contract's JSON line for one recipient */
void
bounce_rcpt_json(struct buf *b, const char *file, long msgno,
    const struct bounce_rcpt *r)
{
	struct json j;

	json_begin(&j, b);
	json_member_str(&j, "file", file);
	if (msgno > 0)
		json_member_int(&j, "message", msgno);
	json_member_str(&j, "recipient", r->recipient);
	json_member_str(&j, "action", r->action);
	json_member_str(&j, "status", r->status);
	json_member_str(&j, "reply_code", r->reply_code);
	json_member_str(&j, "reason", reason_name(r->reason));
	json_member_bool(&j, "hard", r->hard);
	json_member_str(&j, "diagnostic", r->diagnostic);
	json_member_str(&j, "reporting_mta", r->reporting_mta);
	json_member_str(&j, "remote_mta", r->remote_mta);
	json_member_str(&j, "mode", bounce_mode_name(r->mode));
	json_member_str(&j, "feedback_type", r->feedback_type);
	json_member_str(&j, "rule", r->rule);
	json_member_str(&j, "evidence", r->evidence);
	json_member_str(&j, "stage", bounce_stage_name(r->command));
	json_end(&j);
	buf_addch(b, '\n');
}
