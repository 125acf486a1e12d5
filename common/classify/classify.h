/*++
 * NAME
 *	classify 3h
 * SUMMARY
 *	bounce reasons from status codes, reply codes and rules
 * DESCRIPTION
 *	classify() gives a failed recipient its reason: the RFC 3463
 *	status code and the SMTP reply code give a first answer, then the
 *	text rules (rules.h) refine or override it. The result says which
 *	rule decided, if any; its strings point into the ruleset.
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
	const char *command;		/* SMTP command that failed: "RCPT" */
	const char *diagnostic;		/* the remote server's text */
	const char *subject;		/* the bounce's Subject: */
	const char *body;		/* the human-readable NDR text */
	bool	 local_program;		/* a local delivery program failed */
	bool	 own_words;		/* a DSN quoting no remote answer */
};

struct classify_result {
	enum reason reason;
	enum reason base;		/* before the refused command is known */
	bool	 needs_command;		/* the command would change the reason */
	bool	 hard;
	const char *rule_file;		/* NULL when no rule decided */
	unsigned rule_line;
	bool	 limit_hit;		/* a rule hit its match limit */
};

enum reason classify_status(const char *status);
enum reason classify_reply_code(const char *reply_code);
void	classify(struct ruleset *, const struct classify_input *,
	    struct classify_result *);
void	classify_finish(const struct classify_input *,
	    struct classify_result *);

#endif
