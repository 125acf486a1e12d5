/*++
 * NAME
 *	classify 3h
 * SUMMARY
 *	bounce reasons from status codes, reply codes and rules
 * DESCRIPTION
 *	classify() gives a failed recipient its reason, weighing the
 *	evidence from the most to the least specific (bounceguard-rules(5)
 *	documents the order): the kind of report (a delivered DSN action);
 *	provider rules (host=); a specific enhanced status code
 *	(classify_status_is_specific()), which only a rule that refines it
 *	may overrule; phrase rules; the status code's general meaning; the
 *	reply code alone. Then the SMTP stage: a reply to the greeting or
 *	EHLO speaks about our host, one to MAIL FROM about our sender, so a
 *	recipient's reason becomes "blocked" or "rejected" there. The
 *	result says which evidence and which rule decided; its strings
 *	point into the ruleset.
 *
 *	The refused SMTP command can change the reason (an unknown user
 *	at DATA is a filter). Finding it may cost a scan of the whole
 *	report, so a caller that did not look may check needs_command,
 *	set the command in the input and call classify_finish() again.
 *
 *	A DSN that quotes no answer of a remote server (no
 *	Diagnostic-Code; the diagnostic is the report's own prose) gives
 *	its own verdict: an unknown user there is never a filter's.
 *
 *	A failure of a local delivery program (a DSN whose diagnostic
 *	type is x-unix) that neither codes nor rules explain is
 *	"mailererror".
 *--*/
#ifndef BG_CLASSIFY_H
#define BG_CLASSIFY_H

#include <stdbool.h>

#include "libmail.h"
#include "rules.h"

/* What is known about one recipient; NULL members are absent. */
struct classify_input {
	const char *status;		/* "5.1.1" */
	const char *reply_code;		/* "550" */
	const char *action;		/* "failed", "delayed", ... */
	const char *command;		/* SMTP command that failed: "RCPT";
					   CONNECT and HELO for the greeting
					   and EHLO/HELO stages */
	const char *diagnostic;		/* the remote server's text */
	const char *subject;		/* the bounce's Subject: */
	const char *body;		/* the human-readable NDR text */
	bool	 local_program;		/* a local delivery program failed */
	bool	 own_words;		/* a DSN quoting no remote answer */
	const char *remote_host;	/* Remote-MTA, or "host X said" */
	const char *reporting_host;	/* Reporting-MTA */
	const char *recipient_domain;	/* the failed address's domain */
};

/* What decided, from the most to the least specific evidence. */
enum classify_evidence {
	CLASSIFY_EV_NONE,		/* nothing: onhold or undefined */
	CLASSIFY_EV_REPORT,		/* the kind of report, a DSN action */
	CLASSIFY_EV_PROVIDER,		/* a provider rule (host=) */
	CLASSIFY_EV_STATUS,		/* the enhanced status code */
	CLASSIFY_EV_REFINES,		/* a rule that refines a specific code */
	CLASSIFY_EV_PHRASE,		/* a phrase rule */
	CLASSIFY_EV_REPLY,		/* the SMTP reply code alone */
	CLASSIFY_EV_STAGE		/* the SMTP stage the reply answered */
};

struct classify_result {
	enum reason reason;
	enum classify_evidence evidence;
	enum reason base;		/* before the refused command is known */
	enum classify_evidence base_evidence;
	bool	 needs_command;		/* the command would change the reason */
	bool	 hard;
	const char *rule_file;		/* NULL when no rule decided */
	unsigned rule_line;
	bool	 limit_hit;		/* a rule hit its match limit */
};

enum reason classify_status(const char *status);
bool	classify_status_is_specific(const char *status);
const char *classify_evidence_name(enum classify_evidence);
enum reason classify_reply_code(const char *reply_code);
void	classify(struct ruleset *, const struct classify_input *,
	    struct classify_result *);
void	classify_finish(const struct classify_input *,
	    struct classify_result *);

#endif
