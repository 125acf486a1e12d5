/*++
 * NAME
 *	util 3h
 * SUMMARY
 *	memory, string and time helpers
 * DESCRIPTION
 *	Allocation wrappers that never return NULL (they call fatal()),
 *	bounded string copies whose callers must check for truncation,
 *	small parsing helpers, and a write that finishes, shared by every
 *	program.
 *--*/
#ifndef BG_UTIL_H
#define BG_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <time.h>
#include <sys/types.h>

#define BG_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

void   *xmalloc(size_t);
void   *xcalloc(size_t, size_t);
void   *xrealloc(void *, size_t);
char   *xstrdup(const char *);
char   *xstrndup(const char *, size_t);
char   *xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/* OpenBSD semantics: return strlen(src); truncated when >= size. */
size_t	bg_strlcpy(char *, const char *, size_t);
size_t	bg_strlcat(char *, const char *, size_t);

char   *bg_trim(char *);
void	bg_lowercase(char *);
bool	bg_streq_nocase(const char *, const char *);

/* Day numbers count days since 1970-01-01 UTC. */
uint32_t bg_day(time_t);
time_t	bg_day_start(uint32_t);

/* "2026-11-24T05:03:25Z"; buffer of BG_TIMESTR_SIZE. */
#define BG_TIMESTR_SIZE	24
const char *bg_timestr(time_t, char *, size_t);
int	bg_parse_time(const char *, time_t *);

/* Bytes of the valid UTF-8 sequence at a string, 1 for ASCII, 0 if invalid. */
size_t	bg_utf8_len(const unsigned char *);

/* Every byte, retrying after EINTR and short writes; 0, or -1 with errno. */
int	bg_write_all(int, const void *, size_t);

/* The NUL-ended fields of a message, at most max; -1 if malformed. */
ssize_t	bg_nul_fields(const char *, size_t, const char **, size_t);

#endif
