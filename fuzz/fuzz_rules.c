/*++
 * NAME
 *	fuzz_rules 3
 * SUMMARY
 *	fuzz the rule-file parser, and the prefilter against plain matching
 * DESCRIPTION
 *	An input is the text of a rule file, optionally followed by a NUL
 *	byte and a text to classify (without one, the rule text itself is
 *	classified, which makes its own literals match). The rules are
 *	parsed by rules_add_text() twice: into a JIT ruleset, which runs
 *	the literal prefilter of rules_pre.c before the patterns, and into
 *	a plain one, which runs every pattern. A refused rule file must
 *	say why. An accepted one is matched as a diagnostic, subject and
 *	body under two sets of status, reply code and action, and both
 *	rulesets must decide alike (unless a match limit was hit): the
 *	prefilter may only skip rules that cannot match.
 * DIAGNOSTICS
 *	A failed property aborts.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "libbase.h"
#include "libclassify.h"
#include "libmail.h"

#define FZ_MATCH_LIMIT	20000
#define FZ_DEPTH_LIMIT	2000

/* LLVMFuzzerInitialize - nothing to set up */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz-rules", 0);
	return 0;
}

/* fz_load - a ruleset from the text, or NULL */
static struct ruleset *
fz_load(const char *text, unsigned flags)
{
	struct ruleset *rs = rules_new(flags);
	struct buf err = BUF_INIT;

	if (rules_add_text(rs, "fuzz.rules", text, &err) < 0) {
		fuzz_assert(err.len > 0, "a refused rule file says why");
		rules_free(rs);
		rs = NULL;
	} else
		rules_set_limits(rs, FZ_MATCH_LIMIT, FZ_DEPTH_LIMIT);
	buf_free(&err);
	return rs;
}

/* fz_compare - both rulesets decide alike on one input */
static void
fz_compare(struct ruleset *jit, struct ruleset *plain,
    const struct rule_input *in)
{
	struct rule_match a, b;
	int	 ra = rules_match(jit, in, &a);
	int	 rb = rules_match(plain, in, &b);

	fuzz_assert(ra == 0 || ((unsigned)a.reason < REASON_COUNT &&
	    a.file != NULL && a.line > 0), "a match names its rule");
	if (a.limit_hit || b.limit_hit)
		return;
	fuzz_assert(ra == rb, "prefilter: same verdict as plain matching");
	fuzz_assert(ra == 0 || (a.line == b.line && a.reason == b.reason),
	    "prefilter: same rule as plain matching");
}

/* LLVMFuzzerTestOneInput - parse one rule file and classify with it */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*text = fuzz_cstr(data, size);
	size_t	 rlen = strlen(text);
	const char *subject = rlen < size ? text + rlen + 1 : text;
	struct ruleset *jit = fz_load(text, RULES_JIT);
	struct ruleset *plain = fz_load(text, 0);
	struct rule_input in;

	fuzz_assert((jit == NULL) == (plain == NULL),
	    "JIT and plain rulesets accept the same files");
	if (jit != NULL) {
		memset(&in, 0, sizeof(in));
		in.status = "5.1.1";
		in.reply_code = "550";
		in.action = "failed";
		for (int p = 0; p < RULE_NPARTS; p++)
			in.text[p] = subject;
		fz_compare(jit, plain, &in);
		in.status = "4.2.2";
		in.reply_code = "452";
		in.action = "delayed";
		in.text[RULE_PART_SUBJECT] = NULL;
		fz_compare(jit, plain, &in);
	}
	rules_free(jit);
	rules_free(plain);
	free(text);
	return 0;
}
