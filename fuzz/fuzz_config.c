/*++
 * NAME
 *	fuzz_config 3
 * SUMMARY
 *	fuzz the configuration file parser
 * DESCRIPTION
 *	Each input is the text of a bounceguard.conf, parsed by
 *	config_load_buffer(), which reads it exactly as config_load()
 *	reads a file. A refused file must say why; an accepted one is
 *	written out again, every key as config_format_value() shows it
 *	("bounceguard check" prints the same), and that text must parse to
 *	the same values.
 * DIAGNOSTICS
 *	A failed property aborts.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "libbase.h"
#include "libconf.h"

/* LLVMFuzzerInitialize - nothing to set up */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz-config", 0);
	return 0;
}

/* fz_dump - every key as "name = value" lines */
static void
fz_dump(const struct config *cfg, struct buf *out)
{
	for (size_t i = 0; i < config_key_count(); i++) {
		const char *name = config_key_name(i);

		buf_printf(out, "%s = ", name);
		fuzz_assert(config_format_value(cfg, name, out) == 0,
		    "every key can be shown");
		buf_addch(out, '\n');
	}
}

/* fz_round_trip - the shown values parse to the same values */
static void
fz_round_trip(const struct config *cfg)
{
	struct buf text = BUF_INIT, again = BUF_INIT, err = BUF_INIT;
	struct config *c2;

	fz_dump(cfg, &text);
	c2 = config_load_buffer("dump.conf", text.data, text.len, &err);
	if (c2 == NULL)
		fprintf(stderr, "%s---\n%s", text.data, buf_cstr(&err));
	fuzz_assert(c2 != NULL, "shown values parse again");
	fz_dump(c2, &again);
	fuzz_assert(text.len == again.len &&
	    memcmp(text.data, again.data, text.len) == 0,
	    "shown values parse to the same values");
	config_free(c2);
	buf_free(&text);
	buf_free(&again);
	buf_free(&err);
}

/* LLVMFuzzerTestOneInput - parse one configuration text */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT;
	struct config *cfg;

	cfg = config_load_buffer("fuzz.conf", (const char *)data, size, &err);
	if (cfg == NULL)
		fuzz_assert(err.len > 0, "a refused file says why");
	else {
		fz_round_trip(cfg);
		config_free(cfg);
	}
	buf_free(&err);
	return 0;
}
