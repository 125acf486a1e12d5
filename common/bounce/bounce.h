/*++
 * NAME
 *	bounce 3h
 * SUMMARY
 *	bounce message parser
 * DESCRIPTION
 *	bounce_parse() reads one message (the raw bytes as delivered,
 *	any line endings) and says whether it is a bounce and, for each
 *	recipient it reports, what happened and why.
 *
 *	The parser knows nothing of files or of the configuration: the
 *	caller fills a struct bounce_parser (bounce_parser_init() sets the
 *	defaults) and keeps the ruleset alive while it parses.
 *
 *	Ownership: bounce_parse() fills a caller-provided struct
 *	bounce_result, which then owns every string and the recipient
 *	array; bounce_result_free() releases them. The parser borrows its
 *	ruleset and host name list and never frees them.
 *
 *	The parser keeps per-process caches (charset converters, the host
 *	name, the ruleset's match scratch space): use it from one thread.
 *
 *	Typical use (the pipe; the admin tool passes RULES_JIT instead):
 *
 *	    rs = rules_load(dirs, 2, RULES_LAZY, &err);   NULL: see err
 *	    rules_set_limits(rs, match_limit, depth_limit);
 *	    bounce_parser_init(&bp);
 *	    bp.rules = rs; bp.local_hostnames = ...; bp.max_... = ...;
 *	    if (bounce_parse(&bp, data, len, &res) < 0 || res.kind ==
 *	        BOUNCE_NONE) -> not a bounce, res.why says why
 *	    for each res.rcpt[i]: recipient, reason, hard, mode, ...
 *	    bounce_result_free(&res);
 *--*/
#ifndef BG_BOUNCE_H
#define BG_BOUNCE_H

#include <stdbool.h>
#include <stddef.h>

#include "libclassify.h"
#include "libmail.h"

enum bounce_kind {
	BOUNCE_NONE,			/* not a bounce; see result.why */
	BOUNCE_DSN,			/* RFC 3464 delivery status notice */
	BOUNCE_NDR,			/* free-text non-delivery report */
	BOUNCE_ARF,			/* RFC 5965 complaint report */
	BOUNCE_AUTOREPLY		/* RFC 3834 automatic reply */
};

enum bounce_mode {
	BOUNCE_MODE_NONE,		/* not applicable (ARF, auto-reply) */
	BOUNCE_MODE_SYNC,		/* our MTA was refused during SMTP */
	BOUNCE_MODE_ASYNC		/* a foreign system sent the report */
};

/* One reported recipient. Every string is owned; NULL means absent. */
struct bounce_rcpt {
	char	*recipient;		/* lower-cased address */
	char	*action;		/* failed, delayed, delivered, ... */
	char	*status;		/* RFC 3463 code, "5.1.1" */
	char	*reply_code;		/* SMTP reply code, "550" */
	char	*command;		/* SMTP command refused: RCPT, DATA */
	char	*diagnostic;		/* remote server's text, unfolded */
	char	*reporting_mta;
	char	*remote_mta;
	char	*feedback_type;		/* ARF only */
	char	*rule;			/* "file.rules:12" that decided */
	const char *evidence;		/* static: what decided the reason,
					   classify_evidence_name() */
	enum reason reason;
	bool	 hard;
	enum bounce_mode mode;
	bool	 local_program;		/* x-unix diagnostic: a local program */
	bool	 own_words;		/* DSN without a diagnostic: report text */
};

struct bounce_result {
	enum bounce_kind kind;
	const char *why;		/* static text: why not a bounce */
	struct bounce_rcpt *rcpt;	/* owned array of nrcpt */
	size_t	 nrcpt;
	bool	 truncated;		/* a parse limit cut the message */
	bool	 parts_limit;		/* stopped at max_parts */
	bool	 depth_limit;		/* stopped at max_depth */
	bool	 headers_limit;		/* stopped at max_headers */
	size_t	 rcpt_dropped;		/* recipients beyond max_recipients */
	bool	 limit_hit;		/* a rule hit its match limit */
	char	*queue_id;		/* the reporting MTA's id of the
					   returned message, or NULL */
};

/* Parser options; members are borrowed, never freed by the parser. */
struct bounce_parser {
	const char *const *local_hostnames;	/* our MTAs; none: hostname */
	size_t	 nlocal_hostnames;
	size_t	 max_parts;		/* MIME parts looked at */
	size_t	 max_depth;		/* MIME nesting followed */
	size_t	 max_recipients;	/* recipients reported */
	size_t	 max_headers;		/* header fields read, all parts */
	struct ruleset *rules;		/* NULL: codes alone classify */
};

void	bounce_init(void);
void	bounce_parser_init(struct bounce_parser *);
int	bounce_parse(const struct bounce_parser *, const char *data,
	    size_t len, struct bounce_result *);
void	bounce_result_free(struct bounce_result *);
const char *bounce_kind_name(enum bounce_kind);
const char *bounce_mode_name(enum bounce_mode);
const char *bounce_stage_name(const char *command);

struct buf;
void	bounce_rcpt_json(struct buf *, const char *, long,
	    const struct bounce_rcpt *);

#endif
