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
 *	parser_config_shipped_dir() is shipped_rules_dir, except for a program
 *	run from its build tree before "make install" while the default
 *	directory does not exist: then the source tree's rules/.
 *
 *	parser_config_limits() says which limits a parse reached, by the
 *	names of their configuration keys ("parse_max_parts=500 reached;
 *	parse_max_recipients=1000 reached, 99000 recipients dropped"), for
 *	the log line or warning that the pipe and the admin tool print.
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

#include <stdbool.h>

#include "bounce.h"
#include "libclassify.h"
#include "libconf.h"

struct ruleset *parser_config_rules(const struct config *, unsigned,
	    struct buf *);
const char *parser_config_shipped_dir(const struct config *);
void	parser_config_apply(struct bounce_parser *, const struct config *,
	    struct ruleset *);
bool	parser_config_limits(const struct bounce_parser *,
	    const struct bounce_result *, struct buf *);

#endif
