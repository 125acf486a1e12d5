/*++
 * NAME
 *	rules 3h
 * SUMMARY
 *	PCRE2 classification rule files
 * DESCRIPTION
 *	A ruleset is an ordered list of rules read from one or more
 *	directories of "*.rules" files (format: bounceguard-rules(5)).
 *	Files are read in file-name order; a file in a later directory
 *	replaces a file of the same name in an earlier one, and the rules
 *	of later directories are tried first, so a site directory can both
 *	add and override rules.
 *
 *	rules_match() tries the provider rules (those with a host=
 *	condition) first, then the others, and the first rule whose
 *	conditions hold and whose pattern matches decides, except that
 *	when the input's status code is specific only a rule that refines
 *	it (its status= names the whole code, or its refines= lists it)
 *	may overrule it.
 *
 *	Ownership: rules_load() and rules_new() return a ruleset the caller
 *	releases with rules_free(). Strings in a struct rule_match point
 *	into the ruleset and live as long as it does.
 *
 *	A ruleset keeps per-process match scratch space, so rules_match()
 *	takes a non-const pointer; it is not safe for concurrent use.
 *--*/
#ifndef BG_RULES_H
#define BG_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libbase.h"

/* rules_load() and rules_new() flags. */
#define RULES_JIT	(1u << 0)	/* JIT-compile patterns (long runners) */
#define RULES_LAZY	(1u << 1)	/* compile a pattern on its first use */

/* Where the text given to a rule comes from (rule condition part=). */
enum rule_part {
	RULE_PART_DIAGNOSTIC,		/* the recipient's diagnostic text */
	RULE_PART_SUBJECT,		/* the bounce's Subject: header */
	RULE_PART_BODY,			/* the human-readable NDR text */
	RULE_NPARTS
};

/* What a rule is matched against; NULL members are absent. */
struct rule_input {
	const char *status;		/* "5.1.1" */
	const char *reply_code;		/* "550" */
	const char *action;		/* "failed", "delayed", ... */
	const char *stage;		/* "connect", "helo", "mail", "rcpt",
					   "data"; NULL: not known */
	const char *remote_host;	/* the host that answered */
	const char *reporting_host;	/* the host that wrote the report */
	const char *recipient_domain;	/* the failed address's domain */
	bool	 specific_status;	/* status has one precise meaning:
					   only rules that refine it apply */
	const char *text[RULE_NPARTS];
};

/* Which kind of rule decided (bounceguard-rules(5), evidence order). */
enum rule_kind {
	RULE_KIND_PROVIDER,		/* a host= rule: tried first */
	RULE_KIND_REFINES,		/* overrules the specific status */
	RULE_KIND_PHRASE		/* a plain phrase rule */
};

/* The rule that decided. */
struct rule_match {
	int	 reason;		/* enum reason */
	const char *file;		/* base name of the rule file */
	unsigned line;
	enum rule_kind kind;
	bool	 limit_hit;		/* some pattern hit a match/depth limit */
};

struct ruleset;

struct ruleset *rules_new(unsigned flags);
struct ruleset *rules_load(const char *const dirs[], size_t ndirs,
	    unsigned flags, struct buf *err);
int	rules_add_text(struct ruleset *, const char *name, const char *text,
	    struct buf *err);
void	rules_set_limits(struct ruleset *, uint32_t match_limit,
	    uint32_t depth_limit);
int	rules_match(struct ruleset *, const struct rule_input *,
	    struct rule_match *);
size_t	rules_count(const struct ruleset *);
unsigned long rules_limit_hits(const struct ruleset *);
void	rules_free(struct ruleset *);

#endif
