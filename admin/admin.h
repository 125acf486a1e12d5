/*++
 * NAME
 *	admin 3h
 * SUMMARY
 *	the bounceguard administrator's tool, shared declarations
 * DESCRIPTION
 *	Each command lives in its own file as cmd_NAME(), called with the
 *	arguments after the command name (argv[0] is the command name).
 *	It returns the exit status: 0 success, 1 a problem with the data
 *	(an unreadable file, a check that failed), 2 a usage error.
 *--*/
#ifndef BG_ADMIN_H
#define BG_ADMIN_H

#include "config.h"

#define EXIT_USAGE	2

struct store;

struct admin {
	struct config *cfg;
	const char *config_path;
	struct store *store;		/* opened on first use */
};

struct store *admin_store(struct admin *);
int	admin_usage(const char *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

int	cmd_parse(struct admin *, int, char **);

#endif
