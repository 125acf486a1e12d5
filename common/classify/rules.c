/*++
 * NAME
 *	rules 3
 * SUMMARY
 *	PCRE2 classification rule files
 * DESCRIPTION
 *	rules_new() returns an empty ruleset; rules_add_text() parses the
 *	text of one rule file into it; rules_load() reads every "*.rules"
 *	file of a list of directories (see rules.h for the order).
 *
 *	A rule line is "REASON [KEY=VALUE ...] /PATTERN/[FLAGS]"; see
 *	bounceguard-rules(5). Patterns are caseless unless flag "c" is
 *	given. Without RULES_LAZY every pattern is compiled at load time,
 *	so a bad pattern is reported there; with it, a pattern is compiled
 *	when a rule whose conditions hold first needs it (the pipe uses
 *	this to start fast).
 *
 *	rules_match() applies the rules in order and reports the first
 *	that matches. A JIT ruleset first runs the literal prefilter of
 *	rules_pre.c over the texts and skips the rules it rules out. Every match runs under the match and depth limits
 *	of rules_set_limits(); a pattern that hits a limit counts as not
 *	matching, and the event is reported in struct rule_match and
 *	counted by rules_limit_hits().
 * DIAGNOSTICS
 *	rules_load() and rules_add_text() return NULL or -1 and append
 *	"file:line: problem" lines to the error buffer. A pattern that
 *	fails to compile lazily is logged once and disabled.
 *--*/
#define PCRE2_CODE_UNIT_WIDTH 8

#include <dirent.h>
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "libbase.h"
#include "libmail.h"
#include "rules.h"
#include "rules_pre.h"

#define RULES_MAX_VALUES	16	/* values of one condition */
#define RULES_MAX_LINE		8192
#define RULES_PRE_MIN_USERS	4	/* rules a part needs to be prefiltered */

enum rule_state { RULE_UNCOMPILED, RULE_READY, RULE_BROKEN };

struct rule_cond {
	size_t	 n;
	char	*v[RULES_MAX_VALUES];
};

struct rule {
	int	 reason;
	const char *file;		/* path, owned by the ruleset */
	unsigned line;
	struct rule_cond status;
	struct rule_cond reply;
	struct rule_cond action;
	struct rule_cond host;		/* provider domains: remote or reporting */
	struct rule_cond stage;		/* SMTP stages the reply answered */
	struct rule_cond refines;	/* specific codes it may overrule */
	unsigned parts;			/* bit per enum rule_part */
	char	*pattern;
	uint32_t options;
	enum rule_state state;
	bool	 jit;			/* JIT-compiled: use the fast path */
	pcre2_code *code;
};

struct ruleset {
	unsigned flags;
	struct rule *v;
	size_t	 n, cap;
	char	**files;		/* interned file names */
	size_t	 nfiles;
	pcre2_match_context *mctx;
	pcre2_match_data *md;
	unsigned long limit_hits;
	struct rules_pre *pre;		/* JIT rulesets: literal prefilter */
	bool	 pre_built;
	bool	 pre_part[RULE_NPARTS];	/* parts worth a prefilter scan */
	bool	 scanned[RULE_NPARTS];	/* parts scanned for this input */
	uint8_t	*cand[RULE_NPARTS];	/* per part: rules that may match */
};

/* rules_new - an empty ruleset */
struct ruleset *
rules_new(unsigned flags)
{
	struct ruleset *rs = xcalloc(1, sizeof(*rs));

	rs->flags = flags;
	rs->mctx = pcre2_match_context_create(NULL);
	rs->md = pcre2_match_data_create(1, NULL);
	if (rs->mctx == NULL || rs->md == NULL)
		fatalx("rules: out of memory");
	rules_set_limits(rs, 100000, 5000);
	return rs;
}

/* rules_set_limits - bound the work of one pattern match */
void
rules_set_limits(struct ruleset *rs, uint32_t match_limit,
    uint32_t depth_limit)
{
	pcre2_set_match_limit(rs->mctx, match_limit);
	pcre2_set_depth_limit(rs->mctx, depth_limit);
}

/* rules_cond_free - release the values of a condition */
static void
rules_cond_free(struct rule_cond *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i]);
	c->n = 0;
}

/* rules_conds_free - release every condition of a rule */
static void
rules_conds_free(struct rule *r)
{
	rules_cond_free(&r->status);
	rules_cond_free(&r->reply);
	rules_cond_free(&r->action);
	rules_cond_free(&r->host);
	rules_cond_free(&r->stage);
	rules_cond_free(&r->refines);
}

/* rules_free - release a ruleset and everything it owns */
void
rules_free(struct ruleset *rs)
{
	if (rs == NULL)
		return;
	for (size_t i = 0; i < rs->n; i++) {
		struct rule *r = &rs->v[i];

		rules_conds_free(r);
		free(r->pattern);
		pcre2_code_free(r->code);
	}
	for (size_t i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	for (int p = 0; p < RULE_NPARTS; p++)
		free(rs->cand[p]);
	rules_pre_free(rs->pre);
	free(rs->files);
	free(rs->v);
	pcre2_match_data_free(rs->md);
	pcre2_match_context_free(rs->mctx);
	free(rs);
}

/* rules_count - the number of rules */
size_t
rules_count(const struct ruleset *rs)
{
	return rs == NULL ? 0 : rs->n;
}

/* rules_limit_hits - how many matches hit the match or depth limit */
unsigned long
rules_limit_hits(const struct ruleset *rs)
{
	return rs == NULL ? 0 : rs->limit_hits;
}

/* rules_intern_file - remember a file name for the rules that cite it */
static const char *
rules_intern_file(struct ruleset *rs, const char *name)
{
	rs->files = xrealloc(rs->files, (rs->nfiles + 1) * sizeof(char *));
	rs->files[rs->nfiles] = xstrdup(name);
	return rs->files[rs->nfiles++];
}

/* rules_compile - compile one pattern; 0 or -1 with a message */
static int
rules_compile(struct ruleset *rs, struct rule *r, struct buf *err)
{
	int	 ec;
	PCRE2_SIZE off;
	PCRE2_UCHAR msg[256];

	r->code = pcre2_compile((PCRE2_SPTR)r->pattern, PCRE2_ZERO_TERMINATED,
	    r->options, &ec, &off, NULL);
	if (r->code == NULL) {
		pcre2_get_error_message(ec, msg, sizeof(msg));
		buf_printf(err, "%s:%u: pattern error at offset %zu: %s\n",
		    r->file, r->line, (size_t)off, (char *)msg);
		r->state = RULE_BROKEN;
		return -1;
	}
	if (rs->flags & RULES_JIT)
		r->jit = pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE) == 0;
	r->state = RULE_READY;
	return 0;
}

/* rules_parse_values - split "a,b,c" into a condition */
static int
rules_parse_values(struct rule_cond *c, const char *val, size_t len)
{
	const char *p = val, *end = val + len;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t	 n = (comma != NULL ? comma : end) - p;

		if (n == 0 || c->n >= RULES_MAX_VALUES)
			return -1;
		c->v[c->n] = xstrndup(p, n);
		bg_lowercase(c->v[c->n++]);
		p += n + (comma != NULL);
		if (comma != NULL && p == end)
			return -1;
	}
	return c->n > 0 ? 0 : -1;
}

/* rules_parse_parts - the part= condition */
static int
rules_parse_parts(struct rule *r, const char *val, size_t len)
{
	struct rule_cond c = { 0, { NULL } };
	int	 rc = 0;

	if (rules_parse_values(&c, val, len) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < c.n; i++) {
		if (strcmp(c.v[i], "diagnostic") == 0)
			r->parts |= 1u << RULE_PART_DIAGNOSTIC;
		else if (strcmp(c.v[i], "subject") == 0)
			r->parts |= 1u << RULE_PART_SUBJECT;
		else if (strcmp(c.v[i], "body") == 0)
			r->parts |= 1u << RULE_PART_BODY;
		else if (strcmp(c.v[i], "any") == 0)
			r->parts |= (1u << RULE_NPARTS) - 1;
		else
			rc = -1;
	}
	rules_cond_free(&c);
	return rc;
}

/* rules_valid_values - every value of a condition made only of the
   characters allowed, and in the list of words when one is given */
static bool
rules_valid_values(const struct rule_cond *c, const char *chars,
    const char *const *words)
{
	for (size_t i = 0; i < c->n; i++) {
		bool	 listed = words == NULL;

		if (c->v[i][strspn(c->v[i], chars)] != '\0')
			return false;
		for (size_t w = 0; !listed && words[w] != NULL; w++)
			listed = strcmp(c->v[i], words[w]) == 0;
		if (!listed)
			return false;
	}
	return true;
}

/* rules_parse_checked - a condition whose values are checked */
static int
rules_parse_checked(struct rule_cond *c, const char *val, size_t len,
    const char *chars, const char *const *words)
{
	if (c->n || rules_parse_values(c, val, len) < 0)
		return -1;
	return rules_valid_values(c, chars, words) ? 0 : -1;
}

/* rules_parse_refines - refines=: status prefixes ("5.1.1", "4.4.7"),
   or "any" alone */
static int
rules_parse_refines(struct rule_cond *c, const char *val, size_t len)
{
	static const char *const any[] = { "any", NULL };

	if (c->n || rules_parse_values(c, val, len) < 0)
		return -1;
	if (c->n == 1 && rules_valid_values(c, "any", any))
		return 0;
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i][0] < '2' || c->v[i][0] > '5' ||
		    strstr(c->v[i], "..") != NULL ||
		    c->v[i][strlen(c->v[i]) - 1] == '.')
			return -1;
	return rules_valid_values(c, "0123456789.", NULL) ? 0 : -1;
}

/* rules_parse_new_cond - host=, stage= and refines= */
static int
rules_parse_new_cond(struct rule *r, const char *key, size_t klen,
    const char *val, size_t vlen)
{
	static const char *const stages[] = { "connect", "helo", "mail",
	    "rcpt", "data", "none", NULL };

	if (klen == 4 && strncmp(key, "host", 4) == 0)
		return rules_parse_checked(&r->host, val, vlen,
		    "abcdefghijklmnopqrstuvwxyz0123456789.-", NULL);
	if (klen == 5 && strncmp(key, "stage", 5) == 0)
		return rules_parse_checked(&r->stage, val, vlen,
		    "abcdefghijklmnopqrstuvwxyz", stages);
	if (klen == 7 && strncmp(key, "refines", 7) == 0)
		return rules_parse_refines(&r->refines, val, vlen);
	return -2;
}

/* rules_parse_cond - one KEY=VALUE condition; 0 or -1 with a message */
static int
rules_parse_cond(struct rule *r, const char *tok, size_t len, struct buf *err)
{
	const char *eq = memchr(tok, '=', len);
	size_t	 klen, vlen;
	int	 rc = -1;

	if (eq == NULL) {
		buf_printf(err, "%s:%u: expected KEY=VALUE or /pattern/, "
		    "found \"%.*s\"\n", r->file, r->line, (int)len, tok);
		return -1;
	}
	klen = (size_t)(eq - tok);
	vlen = len - klen - 1;
	if (klen == 6 && strncmp(tok, "status", 6) == 0)
		rc = r->status.n ? -1 : rules_parse_values(&r->status, eq + 1, vlen);
	else if (klen == 5 && strncmp(tok, "reply", 5) == 0)
		rc = r->reply.n ? -1 : rules_parse_values(&r->reply, eq + 1, vlen);
	else if (klen == 6 && strncmp(tok, "action", 6) == 0)
		rc = r->action.n ? -1 : rules_parse_values(&r->action, eq + 1, vlen);
	else if (klen == 4 && strncmp(tok, "part", 4) == 0)
		rc = r->parts ? -1 : rules_parse_parts(r, eq + 1, vlen);
	else if ((rc = rules_parse_new_cond(r, tok, klen, eq + 1, vlen)) == -2) {
		buf_printf(err, "%s:%u: unknown condition \"%.*s\"\n",
		    r->file, r->line, (int)klen, tok);
		return -1;
	}
	if (rc < 0)
		buf_printf(err, "%s:%u: bad or repeated value in \"%.*s\"\n",
		    r->file, r->line, (int)len, tok);
	return rc;
}

/* rules_parse_pattern - "/PATTERN/FLAGS" up to the end of the line */
static int
rules_parse_pattern(struct rule *r, const char *p, struct buf *err)
{
	const char *close = strrchr(p, '/');

	if (close == NULL || close == p) {
		buf_printf(err, "%s:%u: pattern has no closing '/'\n",
		    r->file, r->line);
		return -1;
	}
	if (close == p + 1) {
		buf_printf(err, "%s:%u: empty pattern\n", r->file, r->line);
		return -1;
	}
	r->options = PCRE2_CASELESS;
	for (const char *f = close + 1; *f != '\0'; f++) {
		if (*f == 'c')
			r->options &= ~PCRE2_CASELESS;
		else if (*f == 'x')
			r->options |= PCRE2_EXTENDED;
		else {
			buf_printf(err, "%s:%u: unknown pattern flag '%c'\n",
			    r->file, r->line, *f);
			return -1;
		}
	}
	r->pattern = xstrndup(p + 1, (size_t)(close - p - 1));
	return 0;
}

/* rules_parse_reason - the first word of a rule line */
static const char *
rules_parse_reason(struct rule *r, const char *p, struct buf *err)
{
	size_t	 n = strcspn(p, " \t");
	char	 name[32];

	if (n >= sizeof(name)) {
		buf_printf(err, "%s:%u: unknown reason \"%.*s\"\n",
		    r->file, r->line, (int)n, p);
		return NULL;
	}
	memcpy(name, p, n);
	name[n] = '\0';
	if ((r->reason = reason_lookup(name)) < 0) {
		buf_printf(err, "%s:%u: unknown reason \"%s\"\n",
		    r->file, r->line, name);
		return NULL;
	}
	return p + n;
}

/* rules_parse_line - a rule from one trimmed, non-comment line */
static int
rules_parse_line(struct rule *r, const char *line, struct buf *err)
{
	const char *p = rules_parse_reason(r, line, err);

	while (p != NULL) {
		size_t	 n;

		p += strspn(p, " \t");
		if (*p == '/')
			return rules_parse_pattern(r, p, err);
		if (*p == '\0') {
			buf_printf(err, "%s:%u: rule has no /pattern/\n",
			    r->file, r->line);
			return -1;
		}
		n = strcspn(p, " \t");
		if (rules_parse_cond(r, p, n, err) < 0)
			return -1;
		p += n;
	}
	return -1;
}

/* rules_discard - forget a half-parsed rule */
static void
rules_discard(struct rule *r)
{
	rules_conds_free(r);
	free(r->pattern);
	pcre2_code_free(r->code);
	memset(r, 0, sizeof(*r));
}

/* rules_add_line - parse, compile and append one line's rule */
static int
rules_add_line(struct ruleset *rs, const char *file, unsigned lineno,
    char *line, struct buf *err)
{
	struct rule r;

	line = bg_trim(line);
	if (*line == '\0' || *line == '#')
		return 0;
	memset(&r, 0, sizeof(r));
	r.file = file;
	r.line = lineno;
	if (rules_parse_line(&r, line, err) < 0 ||
	    (!(rs->flags & RULES_LAZY) && rules_compile(rs, &r, err) < 0)) {
		rules_discard(&r);
		return -1;
	}
	if (r.parts == 0)
		r.parts = 1u << RULE_PART_DIAGNOSTIC;
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 64;
		rs->v = xrealloc(rs->v, rs->cap * sizeof(*rs->v));
	}
	rs->v[rs->n++] = r;
	rs->pre_built = false;
	return 0;
}

/* rules_add_text - add the rules of one file's text; 0 or -1 */
int
rules_add_text(struct ruleset *rs, const char *name, const char *text,
    struct buf *err)
{
	const char *file = rules_intern_file(rs, name);
	const char *p = text;
	unsigned lineno = 0;
	int	 rc = 0;
	char	 line[RULES_MAX_LINE];

	while (*p != '\0') {
		size_t	 n = strcspn(p, "\n");

		lineno++;
		if (n >= sizeof(line)) {
			buf_printf(err, "%s:%u: line too long\n", file, lineno);
			rc = -1;
		} else {
			memcpy(line, p, n);
			line[n] = '\0';
			if (rules_add_line(rs, file, lineno, line, err) < 0)
				rc = -1;
		}
		p += n + (p[n] == '\n');
	}
	return rc;
}

/* rules_read_file - the whole of a small file, or NULL */
static char *
rules_read_file(const char *path, struct buf *err)
{
	FILE	*fp = fopen(path, "r");
	struct buf b = BUF_INIT;
	char	 chunk[8192];
	size_t	 n;

	if (fp == NULL) {
		buf_printf(err, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_add(&b, chunk, n);
	if (ferror(fp)) {
		buf_printf(err, "%s: read error\n", path);
		fclose(fp);
		buf_free(&b);
		return NULL;
	}
	fclose(fp);
	buf_addstr(&b, "");
	return buf_steal(&b);
}

/* rules_is_rule_file - a "*.rules" name that is not hidden */
static int
rules_is_rule_file(const struct dirent *d)
{
	size_t	 n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 6 &&
	    strcmp(d->d_name + n - 6, ".rules") == 0;
}

/* rules_replaced - a later directory has a file of this name */
static bool
rules_replaced(const char *const dirs[], size_t ndirs, size_t d,
    const char *name)
{
	for (size_t later = d + 1; later < ndirs; later++) {
		char	*path = xasprintf("%s/%s", dirs[later], name);
		FILE	*fp = fopen(path, "r");

		free(path);
		if (fp != NULL) {
			fclose(fp);
			return true;
		}
	}
	return false;
}

/* rules_load_dir - add every rule file of one directory */
static int
rules_load_dir(struct ruleset *rs, const char *const dirs[], size_t ndirs,
    size_t d, struct buf *err)
{
	struct dirent **list;
	int	 n, rc = 0;

	n = scandir(dirs[d], &list, rules_is_rule_file, alphasort);
	if (n < 0) {
		if (errno == ENOENT)
			return 0;
		buf_printf(err, "%s: %s\n", dirs[d], strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char	*path = xasprintf("%s/%s", dirs[d], list[i]->d_name);
		char	*text = NULL;

		if (!rules_replaced(dirs, ndirs, d, list[i]->d_name) &&
		    ((text = rules_read_file(path, err)) == NULL ||
		    rules_add_text(rs, path, text, err) < 0))
			rc = -1;
		free(text);
		free(path);
		free(list[i]);
	}
	free(list);
	return rc;
}

/* rules_load - the rules of several directories, later ones first */
struct ruleset *
rules_load(const char *const dirs[], size_t ndirs, unsigned flags,
    struct buf *err)
{
	struct ruleset *rs = rules_new(flags);
	int	 rc = 0;

	for (size_t d = ndirs; d-- > 0;)
		if (dirs[d] != NULL && *dirs[d] != '\0' &&
		    rules_load_dir(rs, dirs, ndirs, d, err) < 0)
			rc = -1;
	if (rc < 0) {
		rules_free(rs);
		return NULL;
	}
	return rs;
}

/* rules_cond_status - a status condition: prefixes at a dot boundary */
static bool
rules_cond_status(const struct rule_cond *c, const char *status)
{
	if (c->n == 0)
		return true;
	for (size_t i = 0; i < c->n; i++) {
		size_t	 n = strlen(c->v[i]);

		if (strcmp(c->v[i], "none") == 0 ? status == NULL :
		    status != NULL && strncmp(status, c->v[i], n) == 0 &&
		    (status[n] == '\0' || status[n] == '.'))
			return true;
	}
	return false;
}

/* rules_cond_prefix - a reply or action condition: plain prefixes */
static bool
rules_cond_prefix(const struct rule_cond *c, const char *value)
{
	if (c->n == 0)
		return true;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i], "none") == 0 ? value == NULL :
		    value != NULL &&
		    strncmp(value, c->v[i], strlen(c->v[i])) == 0)
			return true;
	return false;
}

/* rules_host_is - a host name ("mx.google.com [192.0.2.1]") is the
   domain or a subdomain of it */
static bool
rules_host_is(const char *host, const char *domain)
{
	size_t	 n = strcspn(host, " \t[(;"), d = strlen(domain);

	if (n > 0 && host[n - 1] == '.')
		n--;
	if (n < d || strncasecmp(host + n - d, domain, d) != 0)
		return false;
	return n == d || host[n - d - 1] == '.';
}

/* rules_cond_host - a host condition: the remote or reporting host, or
   the recipient's domain (a provider's reply quoted in a report that
   names no host still concerns the provider's own addresses) */
static bool
rules_cond_host(const struct rule_cond *c, const struct rule_input *in)
{
	if (c->n == 0)
		return true;
	for (size_t i = 0; i < c->n; i++)
		if ((in->remote_host != NULL &&
		    rules_host_is(in->remote_host, c->v[i])) ||
		    (in->reporting_host != NULL &&
		    rules_host_is(in->reporting_host, c->v[i])) ||
		    (in->recipient_domain != NULL &&
		    rules_host_is(in->recipient_domain, c->v[i])))
			return true;
	return false;
}

/* rules_cond_stage - a stage condition: one of the words, or none */
static bool
rules_cond_stage(const struct rule_cond *c, const char *stage)
{
	if (c->n == 0)
		return true;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i], "none") == 0 ? stage == NULL :
		    stage != NULL && strcasecmp(stage, c->v[i]) == 0)
			return true;
	return false;
}

/* rules_may_overrule - a rule may decide over the input's status: the
   status says little, or the rule names the whole code in status=, or
   lists it (or "any") in refines= */
static bool
rules_may_overrule(const struct rule *r, const struct rule_input *in)
{
	if (!in->specific_status || r->host.n > 0)
		return true;
	for (size_t i = 0; i < r->status.n; i++)
		if (strcmp(r->status.v[i], in->status) == 0)
			return true;
	for (size_t i = 0; i < r->refines.n; i++)
		if (strcmp(r->refines.v[i], "any") == 0)
			return true;
	return r->refines.n > 0 && rules_cond_status(&r->refines, in->status);
}

/* rules_exec - run one compiled pattern over one text */
static int
rules_exec(struct ruleset *rs, const struct rule *r, const char *text)
{
	int	 rc;

	if (r->jit)
		rc = pcre2_jit_match(r->code, (PCRE2_SPTR)text, strlen(text), 0,
		    0, rs->md, rs->mctx);
	else
		rc = pcre2_match(r->code, (PCRE2_SPTR)text, strlen(text), 0, 0,
		    rs->md, rs->mctx);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT) {
		rs->limit_hits++;
		return -1;
	}
	return 0;
}

/* rules_ready - compile a lazy rule on first use */
static bool
rules_ready(struct ruleset *rs, struct rule *r)
{
	struct buf err = BUF_INIT;

	if (r->state == RULE_UNCOMPILED && rules_compile(rs, r, &err) < 0)
		log_warnx("rules: %s", bg_trim(err.data));
	buf_free(&err);
	return r->state == RULE_READY;
}

/* rules_prefilter - build the prefilter of a JIT ruleset once */
static void
rules_prefilter(struct ruleset *rs)
{
	const char **pats = xcalloc(rs->n + 1, sizeof(char *));
	uint32_t *opts = xcalloc(rs->n + 1, sizeof(uint32_t));

	for (size_t i = 0; i < rs->n; i++) {
		pats[i] = rs->v[i].pattern;
		opts[i] = rs->v[i].options;
	}
	rules_pre_free(rs->pre);
	rs->pre = rules_pre_build(pats, opts, rs->n);
	for (int p = 0; p < RULE_NPARTS; p++) {
		size_t	 users = 0;

		for (size_t i = 0; i < rs->n; i++)
			users += (rs->v[i].parts & (1u << p)) != 0;
		rs->pre_part[p] = users >= RULES_PRE_MIN_USERS;
		rs->cand[p] = xrealloc(rs->cand[p], rs->n + 1);
	}
	rs->pre_built = true;
	free(pats);
	free(opts);
}

/* rules_candidates - which rules may match each part of the input */
static void
rules_candidates(struct ruleset *rs, const struct rule_input *in)
{
	if (!(rs->flags & RULES_JIT))
		return;
	if (!rs->pre_built)
		rules_prefilter(rs);
	for (int p = 0; rs->pre != NULL && p < RULE_NPARTS; p++) {
		rs->scanned[p] = rs->pre_part[p];
		if (!rs->scanned[p])
			continue;
		memset(rs->cand[p], 0, rs->n);
		if (in->text[p] != NULL)
			rules_pre_scan(rs->pre, in->text[p], rs->cand[p]);
	}
}

/* rules_may_match - the prefilter does not rule out rule i */
static bool
rules_may_match(const struct ruleset *rs, size_t i)
{
	if (rs->pre == NULL || rules_pre_always(rs->pre, i))
		return true;
	for (int p = 0; p < RULE_NPARTS; p++)
		if ((rs->v[i].parts & (1u << p)) &&
		    (!rs->scanned[p] || rs->cand[p][i]))
			return true;
	return false;
}

/* rules_try - whether one rule matches the input */
static int
rules_try(struct ruleset *rs, struct rule *r, const struct rule_input *in,
    bool *limit_hit)
{
	if (!rules_may_match(rs, (size_t)(r - rs->v)) ||
	    !rules_cond_status(&r->status, in->status) ||
	    !rules_cond_prefix(&r->reply, in->reply_code) ||
	    !rules_cond_prefix(&r->action, in->action) ||
	    !rules_cond_stage(&r->stage, in->stage) ||
	    !rules_cond_host(&r->host, in) || !rules_may_overrule(r, in) ||
	    !rules_ready(rs, r))
		return 0;
	for (int p = 0; p < RULE_NPARTS; p++) {
		int	 rc;

		if (!(r->parts & (1u << p)) || in->text[p] == NULL)
			continue;
		if ((rc = rules_exec(rs, r, in->text[p])) > 0)
			return 1;
		if (rc < 0)
			*limit_hit = true;
	}
	return 0;
}

/* rules_found - report the rule that decided */
static int
rules_found(const struct rule *r, const struct rule_input *in,
    struct rule_match *m)
{
	m->reason = r->reason;
	m->file = strrchr(r->file, '/') != NULL ? strrchr(r->file, '/') + 1 :
	    r->file;
	m->line = r->line;
	m->kind = r->host.n > 0 ? RULE_KIND_PROVIDER : in->specific_status ?
	    RULE_KIND_REFINES : RULE_KIND_PHRASE;
	return 1;
}

/* rules_match - the deciding rule: the first provider rule that
   matches, else the first other rule that matches and may overrule the
   status; 1 found, 0 none */
int
rules_match(struct ruleset *rs, const struct rule_input *in,
    struct rule_match *m)
{
	memset(m, 0, sizeof(*m));
	if (rs == NULL)
		return 0;
	rules_candidates(rs, in);
	for (int provider = 1; provider >= 0; provider--) {
		for (size_t i = 0; i < rs->n; i++) {
			struct rule *r = &rs->v[i];

			if ((r->host.n > 0) == provider &&
			    rules_try(rs, r, in, &m->limit_hit))
				return rules_found(r, in, m);
		}
	}
	return 0;
}
