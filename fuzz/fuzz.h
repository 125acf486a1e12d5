/*++
 * NAME
 *	fuzz 3h
 * SUMMARY
 *	what the fuzzing harnesses share
 * DESCRIPTION
 *	Each fuzz/fuzz_TARGET.c defines the two libFuzzer entry points.
 *	"make fuzz" links them with libFuzzer (clang, ASan, UBSan) into
 *	build/fuzz/; the ordinary build links them with replay.c, a small
 *	main() that runs the target over files, so that "make check"
 *	replays the regression inputs in fuzz/regress/TARGET/ without
 *	libFuzzer.
 *
 *	fuzz_cstr() returns a NUL-terminated copy of an input;
 *	fuzz_srcdir() the source tree (BG_SRC in the environment, else the
 *	directory the harness was built from); fuzz_assert() aborts with a
 *	message when a property the harness checks does not hold, which
 *	libFuzzer then reports as a crash.
 * DIAGNOSTICS
 *	fuzz_assert() prints "fuzz: property failed: WHAT" and aborts.
 *--*/
#ifndef BG_FUZZ_H
#define BG_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

char	*fuzz_cstr(const uint8_t *, size_t);
const char *fuzz_srcdir(void);
void	fuzz_assert(bool, const char *);

#endif
