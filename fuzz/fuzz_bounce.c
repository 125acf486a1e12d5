/*++
 * NAME
 *	fuzz_bounce 3
 * SUMMARY
 *	fuzz the bounce parser and classifier with the shipped rules
 * DESCRIPTION
 *	Each input is one message, given to bounce_parse() exactly as the
 *	pipe and "bounceguard parse" give it: the parser set up by
 *	parser_config_apply() from the default configuration (with two
 *	local host names, so that synchronous bounces are told apart), and
 *	the rules of the source tree's rules/ directory, loaded by
 *	parser_config_rules() as the pipe loads them (lazily compiled).
 *	The input is not NUL-terminated: the parser must respect its
 *	length.
 *
 *	Every result is then printed as "bounceguard parse --json" would
 *	print it, and these properties are checked: the kind, mode and
 *	reason are in range; a result that is not a bounce says why; no
 *	more recipients than parse_max_recipients; every recipient is
 *	lower-cased; the JSON line holds no raw control character.
 * DIAGNOSTICS
 *	Exits when the rules cannot be loaded; a failed property aborts.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "libbase.h"
#include "libbounce.h"
#include "libconf.h"

static struct config *fz_cfg;
static struct bounce_parser fz_bp;

/* LLVMFuzzerInitialize - the parser and rules, once */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct buf err = BUF_INIT;
	static const char conf[] = "local_hostnames = out1.example.com, "
	    "smtp.example.co.uk\n";
	struct ruleset *rs;

	(void)argc;
	(void)argv;
	log_init("fuzz-bounce", 0);
	if ((fz_cfg = config_load_buffer("fuzz.conf", conf, sizeof(conf) - 1,
	    &err)) == NULL) {
		fprintf(stderr, "%s", buf_cstr(&err));
		exit(2);
	}
	free(fz_cfg->shipped_rules_dir);
	fz_cfg->shipped_rules_dir = xasprintf("%s/rules", fuzz_srcdir());
	free(fz_cfg->rules_dir);
	fz_cfg->rules_dir = xstrdup("");
	if ((rs = parser_config_rules(fz_cfg, RULES_LAZY, &err)) == NULL ||
	    rules_count(rs) == 0) {
		fprintf(stderr, "fuzz-bounce: no rules in %s\n%s",
		    fz_cfg->shipped_rules_dir, buf_cstr(&err));
		exit(2);
	}
	buf_free(&err);
	bounce_init();
	parser_config_apply(&fz_bp, fz_cfg, rs);
	return 0;
}

/* fz_json - the "parse --json" line of one recipient, checked */
static void
fz_json(const struct bounce_rcpt *r)
{
	struct buf b = BUF_INIT;

	bounce_rcpt_json(&b, "fuzz", 0, r);
	for (size_t i = 0; i + 1 < b.len; i++)
		fuzz_assert((unsigned char)b.data[i] >= 0x20,
		    "JSON line without raw control characters");
	fuzz_assert(b.len > 0 && b.data[b.len - 1] == '\n',
	    "JSON line ends with one newline");
	buf_free(&b);
}

/* fz_check_rcpt - the properties of one reported recipient */
static void
fz_check_rcpt(const struct bounce_rcpt *r)
{
	fuzz_assert((unsigned)r->reason < REASON_COUNT, "reason in range");
	fuzz_assert(r->mode == BOUNCE_MODE_NONE || r->mode ==
	    BOUNCE_MODE_SYNC || r->mode == BOUNCE_MODE_ASYNC, "mode in range");
	if (r->recipient != NULL)
		for (const char *p = r->recipient; *p != '\0'; p++)
			fuzz_assert(*p < 'A' || *p > 'Z',
			    "recipient lower-cased");
	fz_json(r);
}

/* LLVMFuzzerTestOneInput - parse one message */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bounce_result res;

	memset(&res, 0, sizeof(res));
	bounce_parse(&fz_bp, (const char *)data, size, &res);
	fuzz_assert(res.kind >= BOUNCE_NONE && res.kind <= BOUNCE_AUTOREPLY,
	    "kind in range");
	fuzz_assert(res.kind != BOUNCE_NONE || res.why != NULL,
	    "not a bounce, with a reason why");
	fuzz_assert(res.nrcpt <= fz_bp.max_recipients,
	    "at most parse_max_recipients recipients");
	for (size_t i = 0; i < res.nrcpt; i++)
		fz_check_rcpt(&res.rcpt[i]);
	bounce_result_free(&res);
	return 0;
}
