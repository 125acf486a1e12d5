/*++
 * NAME
 *	fuzz_util 3
 * SUMMARY
 *	helpers shared by the fuzzing harnesses
 * DESCRIPTION
 *	See fuzz.h.
 * DIAGNOSTICS
 *	fuzz_assert() prints "fuzz: property failed: WHAT" and aborts.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "libbase.h"

#ifndef FUZZ_SRCDIR
#define FUZZ_SRCDIR	"."
#endif

/* fuzz_cstr - a NUL-terminated copy of the input */
char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char	*s = xmalloc(size + 1);

	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* fuzz_srcdir - the source tree, for rule files and the like */
const char *
fuzz_srcdir(void)
{
	const char *s = getenv("BG_SRC");

	return s != NULL && *s != '\0' ? s : FUZZ_SRCDIR;
}

/* fuzz_assert - abort when a checked property does not hold */
void
fuzz_assert(bool ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz: property failed: %s\n", what);
	abort();
}
