/*++
 * NAME
 *	parser_config 3h
 * SUMMARY
 *	the bounce parser as the configuration describes it
 * DESCRIPTION
 *	The one place where configuration keys become parser options:
 *	parser_config_rules() loads the shipped rules, then the site's, with
 *	the configured match and depth limits; parser_config_apply() fills
 *	in a struct bounce_parser (local host names, MIME and recipient
 *	limits). The pipe, the admin tool and the milter all use these, so
 *	that "bounceguard parse" classifies exactly as the pipe does.
 *
 *	Ownership: the ruleset returned belongs to the caller (rules_free());
 *	the parser borrows the configuration's lists, so the configuration
 *	must outlive the parser.
 * DIAGNOSTICS
 *	parser_config_rules() returns NULL with "file:line: problem" lines
 *	in the buffer when a rule file is bad.
 *--*/
#ifndef BG_PARSER_CONFIG_H
#define BG_PARSER_CONFIG_H

#include "bounce.h"
#include "config.h"
#include "rules.h"

struct ruleset *parser_config_rules(const struct config *, unsigned,
	    struct buf *);
void	parser_config_apply(struct bounce_parser *, const struct config *,
	    struct ruleset *);

#endif
