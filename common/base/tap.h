/*++
 * NAME
 *	tap 3h
 * SUMMARY
 *	Test Anything Protocol output for the unit tests
 * DESCRIPTION
 *	Header-only: each test program includes it once. ok() and the is_*
 *	forms print "ok N - name" or "not ok N - name" with a diagnostic;
 *	done_testing() prints the plan and returns the exit status, so a
 *	test program ends with "return done_testing();".
 *--*/
#ifndef BG_TAP_H
#define BG_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

__attribute__((format(printf, 2, 3)))
static int
ok(int cond, const char *fmt, ...)
{
	va_list	 ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

__attribute__((format(printf, 1, 2), unused))
static void
diag(const char *fmt, ...)
{
	va_list	 ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

#define is_int(got, want, ...) do { \
	long long g_ = (got), w_ = (want); \
	if (!ok(g_ == w_, __VA_ARGS__)) \
		diag("got %lld, want %lld", g_, w_); \
} while (0)

#define is_str(got, want, ...) do { \
	const char *g_ = (got), *w_ = (want); \
	int same_ = (g_ == NULL && w_ == NULL) || \
	    (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0); \
	if (!ok(same_, __VA_ARGS__)) \
		diag("got \"%s\", want \"%s\"", g_ ? g_ : "(null)", \
		    w_ ? w_ : "(null)"); \
} while (0)

__attribute__((unused))
static int
done_testing(void)
{
	printf("1..%d\n", tap_count);
	if (tap_failed)
		diag("%d of %d tests failed", tap_failed, tap_count);
	return tap_failed != 0;
}

#endif
