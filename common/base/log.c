/*++
 * NAME
 *	log 3
 * SUMMARY
 *	syslog and stderr logging
 * DESCRIPTION
 *	log_init() names the program and chooses the destinations; stderr
 *	is added automatically when it is a terminal. Lines carry Postfix's
 *	severity prefixes ("warning: ", "fatal: ") so that operators can
 *	grep for them the way they do for Postfix.
 *
 *	fatal() and fatalx() exit with the status set by
 *	log_set_fatal_status() (default 1): the pipe program sets 75 so
 *	that the MTA keeps the message when something goes wrong.
 * DIAGNOSTICS
 *	log_set_facility() returns -1 for an unknown facility name.
 *--*/
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static const char *log_name = "bounceguard";
static int log_dest = LOG_TO_STDERR;
static int log_facility = LOG_MAIL;
static int log_verbose_level;
static int log_fatal_status = 1;

static const struct {
	const char *name;
	int	 value;
} log_facilities[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

/* log_init - name the program and choose where lines go */
void
log_init(const char *progname, int dest)
{
	const char *slash = strrchr(progname, '/');

	log_name = slash ? slash + 1 : progname;
	log_dest = dest;
	if (isatty(STDERR_FILENO))
		log_dest |= LOG_TO_STDERR;
	if (log_dest & LOG_TO_SYSLOG)
		openlog(log_name, LOG_PID | LOG_NDELAY, log_facility);
}

/* log_set_facility - use a syslog facility by name */
int
log_set_facility(const char *name)
{
	for (size_t i = 0; i < sizeof(log_facilities) /
	    sizeof(log_facilities[0]); i++) {
		if (strcmp(log_facilities[i].name, name) != 0)
			continue;
		log_facility = log_facilities[i].value;
		if (log_dest & LOG_TO_SYSLOG) {
			closelog();
			openlog(log_name, LOG_PID | LOG_NDELAY, log_facility);
		}
		return 0;
	}
	return -1;
}

/* log_set_verbose - enable log_debug() lines */
void
log_set_verbose(int level)
{
	log_verbose_level = level;
}

/* log_verbose - the verbosity level */
int
log_verbose(void)
{
	return log_verbose_level;
}

/* log_set_fatal_status - the exit status of fatal() and fatalx() */
void
log_set_fatal_status(int status)
{
	log_fatal_status = status;
}

/* log_progname - the name lines are logged under */
const char *
log_progname(void)
{
	return log_name;
}

/* log_emit - write one line to every destination */
static void
log_emit(int pri, const char *prefix, const char *fmt, va_list ap,
    const char *suffix)
{
	char	 line[4096];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_dest & LOG_TO_SYSLOG)
		syslog(pri, "%s%s%s%s", prefix, line, suffix ? ": " : "",
		    suffix ? suffix : "");
	if (log_dest & LOG_TO_STDERR)
		fprintf(stderr, "%s: %s%s%s%s\n", log_name, prefix, line,
		    suffix ? ": " : "", suffix ? suffix : "");
}

#define LOG_BODY(pri, prefix, suffix) do { \
	va_list ap; \
	va_start(ap, fmt); \
	log_emit(pri, prefix, fmt, ap, suffix); \
	va_end(ap); \
} while (0)

/* log_info - an ordinary event */
void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_INFO, "", NULL);
}

/* log_notice - an event an operator should notice */
void
log_notice(const char *fmt, ...)
{
	LOG_BODY(LOG_NOTICE, "", NULL);
}

/* log_warn - a problem, with strerror(errno) */
void
log_warn(const char *fmt, ...)
{
	const char *err = strerror(errno);

	LOG_BODY(LOG_WARNING, "warning: ", err);
}

/* log_warnx - a problem */
void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, "warning: ", NULL);
}

/* log_debug - detail, only when verbose */
void
log_debug(const char *fmt, ...)
{
	if (log_verbose_level == 0)
		return;
	LOG_BODY(LOG_DEBUG, "", NULL);
}

/* fatal - log with strerror(errno) and exit */
void
fatal(const char *fmt, ...)
{
	const char *err = strerror(errno);

	LOG_BODY(LOG_CRIT, "fatal: ", err);
	exit(log_fatal_status);
}

/* fatalx - log and exit */
void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, "fatal: ", NULL);
	exit(log_fatal_status);
}

/* log_value - make a value safe for a key=value field */
const char *
log_value(const char *s, char *out, size_t size)
{
	size_t	 o = 0;

	if (size == 0)
		return "";
	for (; s != NULL && *s != '\0' && o + 1 < size; s++) {
		unsigned char c = (unsigned char)*s;

		out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[o] = '\0';
	if (s != NULL && *s != '\0' && size > 4)
		memcpy(out + size - 4, "...", 4);
	return out;
}
