/*++
 * NAME
 *	bounce_int 3h
 * SUMMARY
 *	bounce parser internals, shared by the bounce*.c files
 * DESCRIPTION
 *	bounce.c turns the message into a struct bounce_msg: the decoded
 *	top-level headers and the texts of the parts that matter (the
 *	human-readable report, the delivery-status fields, the feedback
 *	report, the headers of the returned message), all UTF-8 with LF
 *	line endings. The format modules then add recipients to the result
 *	with bounce_rcpt_add(); bounce.c classifies them at the end.
 *
 *	This header is what the format modules may use: the message, the
 *	recipient list (bounce_rcpt.c) and the text scanners
 *	(bounce_scan.c). The format modules' own entry points are in
 *	bounce_format.h, for the dispatcher alone, so that calls go one
 *	way: dispatcher, then format modules, then these helpers.
 *--*/
#ifndef BG_BOUNCE_INT_H
#define BG_BOUNCE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "bounce.h"
#include "libbase.h"

/* What the format modules look at; every member is owned. */
struct bounce_msg {
	const struct bounce_parser *p;
	struct bounce_result *res;
	char	*from;			/* address of From:, lower-cased */
	char	*from_raw;		/* the whole From: header */
	char	*to;			/* address of To:, lower-cased */
	char	*subject;
	char	*failed_rcpts;		/* X-Failed-Recipients: */
	char	*auto_submitted;
	bool	 autoreply_header;	/* X-Autoreply and friends */
	bool	 auto_hint;		/* Precedence:, X-Auto-Response-... */
	bool	 null_sender;		/* Return-Path: <> */
	bool	 has_return_path;	/* a Return-Path: header at all */
	bool	 report_dsn;		/* multipart/report delivery-status */
	struct buf body;		/* human-readable text */
	size_t	 cut;			/* where the returned copy starts */
	size_t	 hint;			/* where the last recipient was found */
	int	 warning;		/* 0 unknown, 1 a delay warning, -1 not */
	void	*html_part;		/* first text/html part, a fallback */
	struct buf dsn;			/* delivery-status fields */
	bool	 has_dsn;
	unsigned dsn_unnamed;		/* DSN blocks naming no address */
	char	*dsn_unnamed_status;	/* the first such block's Status */
	struct buf arf;			/* feedback-report fields */
	bool	 has_arf;
	struct buf orig;		/* returned message's headers */
	bool	 has_orig;
	size_t	 nparts;
};

/* The content type returned messages are given before GMime parses the
   bounce (bounce.c), so that it does not build their MIME trees. */
#define BOUNCE_RETURNED		"x-rfc-822"
#define BOUNCE_RETURNED_TYPE	"text/x-rfc-822"

/* bounce_scan.c: text helpers */
char   *bounce_scan_addr(const char *, size_t);
const char *bounce_scan_next_addr(const char *, const char *, size_t *);
bool	bounce_scan_status(const char *, char *, size_t);
bool	bounce_scan_fail_status(const char *, char *, size_t);
bool	bounce_scan_reply(const char *, char *, size_t);
bool	bounce_scan_fail_reply(const char *, char *, size_t);
const char *bounce_scan_command(const char *);
char   *bounce_scan_collapse(const char *, size_t, size_t);
void	bounce_scan_unfold_reply(char *);
char   *bounce_scan_header(const char *, const char *);
bool	bounce_scan_has_word(const char *, const char *);
void	bounce_scan_append(struct buf *, const char *, size_t);
void	bounce_scan_html(struct buf *, const char *);

/* bounce_mime.c: how much of a message GMime is given */
size_t	bounce_mime_limit(struct bounce_msg *, const char *, size_t);

/* bounce_rcpt.c: the recipient list being built */
struct bounce_rcpt *bounce_rcpt_add(struct bounce_msg *, const char *addr);
struct bounce_rcpt *bounce_rcpt_find(struct bounce_msg *, const char *addr);
bool	bounce_rcpt_is_reporter(const struct bounce_msg *, const char *addr);
bool	bounce_is_local_host(const struct bounce_parser *, const char *);

#endif
