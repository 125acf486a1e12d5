/*++
 * NAME
 *	parse_feed 3h
 * SUMMARY
 *	bounceguard parse as root: read as root, parse as the user
 * DESCRIPTION
 *	See parse_feed.c.
 *--*/
#ifndef BG_PARSE_FEED_H
#define BG_PARSE_FEED_H

#include <stddef.h>
#include <sys/types.h>

struct admin;

struct parse_feed {
	int	 fd;			/* write end (parent), read end (child) */
	pid_t	 pid;			/* the child's; 0 in the child */
};

int	parse_feed_start(struct admin *, struct parse_feed *);
int	parse_feed_send(struct parse_feed *, const char *, const char *,
	    size_t);
int	parse_feed_recv(struct parse_feed *, char **, char **, size_t *);
int	parse_feed_finish(struct parse_feed *);

#endif
