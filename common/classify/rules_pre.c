/*++
 * NAME
 *	rules_pre 3
 * SUMMARY
 *	literal prefilter for the classification rules
 * DESCRIPTION
 *	Most rules cannot match most diagnostics, but finding that out
 *	with PCRE2 costs a scan per rule. The prefilter finds, for each
 *	pattern, a set of literal strings one of which every match must
 *	contain ("over ?quota" needs "over" or "quota"), and builds one
 *	Aho-Corasick automaton over all of them. One pass over a text then
 *	says which rules may match; the others are skipped. The filter is
 *	a necessary condition only, so the results are exactly those of
 *	trying every rule.
 *
 *	Literals are found by a small walk over the pattern syntax: runs
 *	of ordinary characters, and groups that are not optional, whose
 *	alternatives all have literals. Anything the walk does not
 *	understand (classes, lookaround, extended syntax) only makes a
 *	rule unfiltered. Texts and literals are compared in lower case,
 *	as caseless matching folds ASCII letters.
 *
 *	rules_pre_build() returns NULL when no rule can be filtered.
 * DIAGNOSTICS
 *	None.
 *--*/
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libbase.h"
#include "rules_pre.h"

#define PRE_MAX_LIT	24		/* longer runs are cut: still needed */
#define PRE_MIN_LIT	2		/* shorter literals filter nothing */
#define PRE_MAX_SET	64		/* literals per rule */

/* A set of literals, one of which every match contains. */
struct pre_set {
	size_t	 n;
	char	 v[PRE_MAX_SET][PRE_MAX_LIT + 1];
};

struct rules_pre {
	size_t	 nrules;
	bool	*always;		/* rule has no literal set */
	uint8_t	 cls[256];		/* byte class; 0 means no literal has it */
	size_t	 ncls;
	int32_t	*delta;			/* nodes x ncls transitions */
	int32_t	*out;			/* first rule ending at a node, or -1 */
	int32_t	*dict;			/* next node with output on fail chain */
	int32_t	*out_next;		/* per output: the next one, or -1 */
	int32_t	*out_rule;
	size_t	 nnodes, nouts;
};

static int rules_pre_alts(const char *, const char *, struct pre_set *);

/* rules_pre_set_add - add a literal; false when the set is full */
static bool
rules_pre_set_add(struct pre_set *s, const char *lit, size_t n)
{
	if (s->n >= PRE_MAX_SET)
		return false;
	if (n > PRE_MAX_LIT)
		n = PRE_MAX_LIT;
	for (size_t i = 0; i < n; i++)
		s->v[s->n][i] = (char)tolower((unsigned char)lit[i]);
	s->v[s->n++][n] = '\0';
	return true;
}

/* rules_pre_set_min - the length of the shortest literal */
static size_t
rules_pre_set_min(const struct pre_set *s)
{
	size_t	 m = SIZE_MAX;

	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->v[i]) < m)
			m = strlen(s->v[i]);
	return s->n > 0 ? m : 0;
}

/* rules_pre_better - keep the set with the longest shortest literal */
static void
rules_pre_better(struct pre_set *best, const struct pre_set *cand)
{
	size_t	 c = rules_pre_set_min(cand);

	if (c >= PRE_MIN_LIT && (best->n == 0 || c > rules_pre_set_min(best) ||
	    (c == rules_pre_set_min(best) && cand->n < best->n)))
		*best = *cand;
}

/* rules_pre_close - the end of a group or class starting at p */
static const char *
rules_pre_close(const char *p, const char *end)
{
	int	 depth = 0;

	for (; p < end; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		else if (*p == '[') {
			for (p++; p < end && *p != ']'; p++)
				if (*p == '\\' && p + 1 < end)
					p++;
		} else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p;
	}
	return NULL;
}

/* rules_pre_quant - skip a quantifier; *optional when it allows zero */
static const char *
rules_pre_quant(const char *p, const char *end, bool *optional, bool *any)
{
	*optional = *any = false;
	if (p >= end)
		return p;
	if (*p == '?' || *p == '*')
		*optional = true;
	else if (*p == '{' && p + 1 < end && (p[1] == '0' || p[1] == ','))
		*optional = true;
	if (*p != '?' && *p != '*' && *p != '+' && *p != '{')
		return p;
	*any = true;
	if (*p == '{')
		while (p < end && *p != '}')
			p++;
	p++;
	if (p < end && (*p == '?' || *p == '+'))
		p++;
	return p;
}

/* rules_pre_literal - the character an escape stands for, or 0 */
static int
rules_pre_literal(const char *p)
{
	if (p[0] != '\\')
		return strchr(".^$[(){}|*+?", p[0]) == NULL ? p[0] : 0;
	return p[1] != '\0' && strchr(".-/\\()[]{}|^$*+?#:'\"<>=,@&% ",
	    p[1]) != NULL ? p[1] : 0;
}

/* rules_pre_flush - end a run of literal characters */
static void
rules_pre_flush(char *run, size_t *n, struct pre_set *best)
{
	struct pre_set s = { 0 };

	if (*n > 0 && rules_pre_set_add(&s, run, *n))
		rules_pre_better(best, &s);
	*n = 0;
}

/* rules_pre_group - a required group's literal set, into best */
static const char *
rules_pre_group(const char *p, const char *end, struct pre_set *best,
    bool *stop)
{
	const char *close = rules_pre_close(p, end);
	bool	 optional, any;
	struct pre_set s = { 0 };
	const char *in = p + 1, *after;

	if (close == NULL) {
		*stop = true;
		return end;
	}
	after = rules_pre_quant(close + 1, end, &optional, &any);
	if (in < close && *in == '?') {
		if (close - in < 2 || in[1] != ':')
			return after;		/* lookaround or options */
		in += 2;
	}
	if (!optional && rules_pre_alts(in, close, &s) == 0)
		rules_pre_better(best, &s);
	return after;
}

/* rules_pre_branch - the best literal set of one alternative */
static int
rules_pre_branch(const char *p, const char *end, struct pre_set *best)
{
	char	 run[PRE_MAX_LIT + 1];
	size_t	 n = 0;
	bool	 stop = false, optional, any;

	memset(best, 0, sizeof(*best));
	while (p < end && !stop) {
		int	 c = rules_pre_literal(p);

		if (*p == '(') {
			rules_pre_flush(run, &n, best);
			p = rules_pre_group(p, end, best, &stop);
			continue;
		}
		if (*p == '[') {
			const char *q = p + 1;

			while (q < end && *q != ']')
				q += (*q == '\\') ? 2 : 1;
			p = q + 1;
			c = 0;
		} else
			p += (*p == '\\' && p + 1 < end) ? 2 : 1;
		p = rules_pre_quant(p, end, &optional, &any);
		if (c == 0 || optional) {
			rules_pre_flush(run, &n, best);
			continue;
		}
		if (n < PRE_MAX_LIT)
			run[n++] = (char)c;
		if (any)
			rules_pre_flush(run, &n, best);
	}
	rules_pre_flush(run, &n, best);
	return best->n > 0 ? 0 : -1;
}

/* rules_pre_alts - the union of the alternatives' sets, or -1 */
static int
rules_pre_alts(const char *p, const char *end, struct pre_set *out)
{
	memset(out, 0, sizeof(*out));
	while (p <= end) {
		const char *q = p;
		struct pre_set s;

		while (q < end && *q != '|') {
			if (*q == '(' || *q == '[') {
				const char *c = *q == '(' ?
				    rules_pre_close(q, end) : q;

				if (*q == '[')
					while (c < end && *c != ']')
						c += (*c == '\\') ? 2 : 1;
				if (c == NULL || c >= end)
					return -1;
				q = c + 1;
			} else
				q += (*q == '\\' && q + 1 < end) ? 2 : 1;
		}
		if (rules_pre_branch(p, q, &s) < 0)
			return -1;
		for (size_t i = 0; i < s.n; i++)
			if (!rules_pre_set_add(out, s.v[i], strlen(s.v[i])))
				return -1;
		p = q + 1;
	}
	return 0;
}

/* rules_pre_classes - give each byte used by a literal a class */
static void
rules_pre_classes(struct rules_pre *pre, struct pre_set *sets, size_t n)
{
	pre->ncls = 1;
	for (size_t r = 0; r < n; r++)
		for (size_t i = 0; i < sets[r].n; i++)
			for (const char *c = sets[r].v[i]; *c != '\0'; c++)
				if (pre->cls[(unsigned char)*c] == 0)
					pre->cls[(unsigned char)*c] =
					    (uint8_t)pre->ncls++;
	for (int c = 'A'; c <= 'Z'; c++)
		pre->cls[c] = pre->cls[tolower(c)];
}

/* rules_pre_node - a new trie node */
static int32_t
rules_pre_node(struct rules_pre *pre, size_t cap)
{
	int32_t	 id = (int32_t)pre->nnodes++;

	if (pre->nnodes > cap)
		return -1;
	for (size_t c = 0; c < pre->ncls; c++)
		pre->delta[(size_t)id * pre->ncls + c] = -1;
	pre->out[id] = -1;
	return id;
}

/* rules_pre_insert - add one literal of rule r to the trie */
static void
rules_pre_insert(struct rules_pre *pre, const char *lit, size_t r,
    size_t cap)
{
	int32_t	 s = 0;

	for (; *lit != '\0'; lit++) {
		int32_t	*t = &pre->delta[(size_t)s * pre->ncls +
		    pre->cls[(unsigned char)*lit]];

		if (*t < 0)
			*t = rules_pre_node(pre, cap);
		s = *t;
	}
	pre->out_rule[pre->nouts] = (int32_t)r;
	pre->out_next[pre->nouts] = pre->out[s];
	pre->out[s] = (int32_t)pre->nouts++;
}

/* rules_pre_links - fail links folded into a DFA, breadth first */
static void
rules_pre_links(struct rules_pre *pre)
{
	int32_t	*fail = xcalloc(pre->nnodes, sizeof(int32_t));
	int32_t	*queue = xcalloc(pre->nnodes, sizeof(int32_t));
	size_t	 head = 0, tail = 0;

	for (size_t c = 0; c < pre->ncls; c++) {
		int32_t	*t = &pre->delta[c];

		if (*t < 0)
			*t = 0;
		else if (*t > 0)
			queue[tail++] = *t;
	}
	while (head < tail) {
		int32_t	 s = queue[head++];

		pre->dict[s] = pre->out[fail[s]] >= 0 ? fail[s] : pre->dict[fail[s]];
		for (size_t c = 0; c < pre->ncls; c++) {
			int32_t	*t = &pre->delta[(size_t)s * pre->ncls + c];
			int32_t	 f = pre->delta[(size_t)fail[s] * pre->ncls + c];

			if (*t < 0)
				*t = f;
			else {
				fail[*t] = f;
				queue[tail++] = *t;
			}
		}
	}
	free(fail);
	free(queue);
}

/* rules_pre_automaton - the trie and DFA over all literal sets */
static void
rules_pre_automaton(struct rules_pre *pre, struct pre_set *sets, size_t n)
{
	size_t	 cap = 1, nlit = 0;

	for (size_t r = 0; r < n; r++)
		for (size_t i = 0; i < sets[r].n; i++, nlit++)
			cap += strlen(sets[r].v[i]);
	pre->delta = xcalloc(cap * pre->ncls, sizeof(int32_t));
	pre->out = xcalloc(cap, sizeof(int32_t));
	pre->dict = xcalloc(cap, sizeof(int32_t));
	pre->out_next = xcalloc(nlit + 1, sizeof(int32_t));
	pre->out_rule = xcalloc(nlit + 1, sizeof(int32_t));
	(void)rules_pre_node(pre, cap);
	for (size_t r = 0; r < n; r++)
		for (size_t i = 0; i < sets[r].n; i++)
			rules_pre_insert(pre, sets[r].v[i], r, cap);
	for (size_t s = 0; s < pre->nnodes; s++)
		pre->dict[s] = -1;
	rules_pre_links(pre);
}

/* rules_pre_opaque - inline options or quoting the walk cannot follow */
static bool
rules_pre_opaque(const char *p)
{
	for (const char *q = strstr(p, "(?"); q != NULL; q = strstr(q + 1, "(?"))
		if (isalpha((unsigned char)q[2]) || q[2] == '-' || q[2] == '^')
			return true;
	return strstr(p, "\\Q") != NULL;
}

/* rules_pre_build - the prefilter of n patterns, or NULL */
struct rules_pre *
rules_pre_build(const char *const *patterns, const uint32_t *options,
    size_t n)
{
	struct rules_pre *pre = xcalloc(1, sizeof(*pre));
	struct pre_set *sets = xcalloc(n ? n : 1, sizeof(*sets));
	size_t	 filtered = 0;

	pre->nrules = n;
	pre->always = xcalloc(n ? n : 1, sizeof(bool));
	for (size_t r = 0; r < n; r++) {
		const char *p = patterns[r];

		if ((options[r] & PCRE2_EXTENDED) || rules_pre_opaque(p) ||
		    rules_pre_alts(p, p + strlen(p), &sets[r]) < 0 ||
		    rules_pre_set_min(&sets[r]) < PRE_MIN_LIT) {
			sets[r].n = 0;
			pre->always[r] = true;
		} else
			filtered++;
	}
	if (filtered == 0) {
		free(sets);
		rules_pre_free(pre);
		return NULL;
	}
	rules_pre_classes(pre, sets, n);
	rules_pre_automaton(pre, sets, n);
	free(sets);
	return pre;
}

/* rules_pre_scan - mark in cand[] the rules whose literals occur */
void
rules_pre_scan(const struct rules_pre *pre, const char *text, uint8_t *cand)
{
	int32_t	 s = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		s = pre->delta[(size_t)s * pre->ncls + pre->cls[*p]];
		for (int32_t t = pre->out[s] >= 0 ? s : pre->dict[s]; t >= 0;
		    t = pre->dict[t])
			for (int32_t o = pre->out[t]; o >= 0; o = pre->out_next[o])
				cand[pre->out_rule[o]] = 1;
	}
}

/* rules_pre_always - rule i has no literals and must always be tried */
bool
rules_pre_always(const struct rules_pre *pre, size_t i)
{
	return pre == NULL || i >= pre->nrules || pre->always[i];
}

/* rules_pre_free - release a prefilter */
void
rules_pre_free(struct rules_pre *pre)
{
	if (pre == NULL)
		return;
	free(pre->always);
	free(pre->delta);
	free(pre->out);
	free(pre->dict);
	free(pre->out_next);
	free(pre->out_rule);
	free(pre);
}
