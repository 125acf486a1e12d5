/*++
 * NAME
 *	parser_config 3
 * SUMMARY
 *	the bounce parser as the configuration describes it
 * DESCRIPTION
 *	See parser_config.h.
 * DIAGNOSTICS
 *	See parser_config.h.
 *--*/
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "parser_config.h"

/* parser_config_in_build_tree - this program runs from the build tree */
static bool
parser_config_in_build_tree(void)
{
	char	 exe[4096];
	ssize_t	 n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t	 b = strlen(BG_BUILDDIR);

	if (n <= 0)
		return false;
	exe[n] = '\0';
	return strncmp(exe, BG_BUILDDIR, b) == 0 && exe[b] == '/';
}

/* parser_config_shipped_dir - shipped_rules_dir; but a program run from
   its build tree before "make install", with the default directory
   absent, uses the source tree's rules/, so that a new user's first
   "./build/bounceguard parse" classifies as the product does */
const char *
parser_config_shipped_dir(const struct config *cfg)
{
	if (strcmp(cfg->shipped_rules_dir, BG_RULESDIR) != 0 ||
	    access(BG_RULESDIR, F_OK) == 0 || !parser_config_in_build_tree())
		return cfg->shipped_rules_dir;
	return BG_SRCDIR "/rules";
}

/* parser_config_rules - shipped rules, then the site's, with limits */
struct ruleset *
parser_config_rules(const struct config *cfg, unsigned flags, struct buf *err)
{
	const char *dirs[2] = { parser_config_shipped_dir(cfg), cfg->rules_dir };
	struct ruleset *rs = rules_load(dirs, 2, flags, err);

	if (rs != NULL)
		rules_set_limits(rs, (uint32_t)cfg->rule_match_limit,
		    (uint32_t)cfg->rule_depth_limit);
	return rs;
}

/* parser_config_apply - parser options from the configuration */
void
parser_config_apply(struct bounce_parser *bp, const struct config *cfg,
    struct ruleset *rs)
{
	bounce_parser_init(bp);
	bp->local_hostnames = (const char *const *)cfg->local_hostnames.v;
	bp->nlocal_hostnames = cfg->local_hostnames.n;
	bp->max_parts = (size_t)cfg->parse_max_parts;
	bp->max_depth = (size_t)cfg->parse_max_depth;
	bp->max_recipients = (size_t)cfg->parse_max_recipients;
	bp->max_headers = (size_t)cfg->parse_max_headers;
	bp->rules = rs;
}

/* parser_config_limit - one "key=N reached" clause */
static void
parser_config_limit(struct buf *out, const char *key, size_t value)
{
	buf_printf(out, "%s%s=%zu reached", out->len > 0 ? "; " : "", key,
	    value);
}

/* parser_config_limits - the limits a parse reached; false when none */
bool
parser_config_limits(const struct bounce_parser *bp,
    const struct bounce_result *res, struct buf *out)
{
	buf_reset(out);
	if (res->parts_limit)
		parser_config_limit(out, "parse_max_parts", bp->max_parts);
	if (res->depth_limit)
		parser_config_limit(out, "parse_max_depth", bp->max_depth);
	if (res->headers_limit)
		parser_config_limit(out, "parse_max_headers", bp->max_headers);
	if (res->rcpt_dropped > 0) {
		parser_config_limit(out, "parse_max_recipients",
		    bp->max_recipients);
		buf_printf(out, ", at least %zu more recipients ignored",
		    res->rcpt_dropped);
	}
	if (res->limit_hit)
		buf_printf(out, "%sa rule reached rule_match_limit or "
		    "rule_depth_limit and did not match", out->len > 0 ? "; " :
		    "");
	return out->len > 0;
}
