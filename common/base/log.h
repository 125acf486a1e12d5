/*++
 * NAME
 *	log 3h
 * SUMMARY
 *	syslog and stderr logging
 * DESCRIPTION
 *	Lines go to syslog (facility mail unless configured otherwise) and,
 *	when running in the foreground or from a terminal, to stderr.
 *	By convention a line about a message starts with the MTA queue id
 *	followed by key=value pairs, as Postfix's own lines do.
 *
 *	log_warn() and fatal() append strerror(errno); log_warnx() and
 *	fatalx() do not.
 *--*/
#ifndef BG_LOG_H
#define BG_LOG_H

#include <stddef.h>

#define LOG_TO_STDERR	(1 << 0)
#define LOG_TO_SYSLOG	(1 << 1)

void	log_init(const char *, int);
int	log_set_facility(const char *);
void	log_set_verbose(int);
void	log_set_fatal_status(int);
int	log_verbose(void);
const char *log_progname(void);

void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/* Copy text for a key=value log field: control characters and spaces
   become safe, and long values are cut with "...". */
const char *log_value(const char *, char *, size_t);

#endif
