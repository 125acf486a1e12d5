/*++
 * NAME
 *	bounce_format 3h
 * SUMMARY
 *	the format modules' entry points, for the dispatcher
 * DESCRIPTION
 *	bounce.c asks each format module in turn whether the message is
 *	of its kind and lets the first that says yes report recipients.
 *	The format modules include this header for their own prototypes
 *	only: none calls another's functions or the dispatcher's, so calls
 *	go one way (tests/layering.t checks it on the object files).
 *--*/
#ifndef BG_BOUNCE_FORMAT_H
#define BG_BOUNCE_FORMAT_H

#include <stdbool.h>

#include "bounce_int.h"

/* bounce_mime.c */
void	bounce_mime_collect(struct bounce_msg *, void *gmime_message);

/* bounce_dsn.c */
bool	bounce_dsn_looks_like(const char *);
void	bounce_dsn_parse(struct bounce_msg *, const char *);

/* bounce_text.c */
void	bounce_text_parse(struct bounce_msg *);
const char *bounce_text_cut(const char *);
bool	bounce_text_is_ndr(const struct bounce_msg *);
char   *bounce_text_block(struct bounce_msg *, const char *addr);
void	bounce_text_mtas(const struct bounce_msg *, struct bounce_rcpt *);
void	bounce_text_action(struct bounce_msg *, struct bounce_rcpt *);

/* bounce_layout.c */
bool	bounce_layout_looks_like(const struct bounce_msg *);
void	bounce_layout_parse(struct bounce_msg *);

/* bounce_arf.c */
bool	bounce_arf_is_jmrp(const struct bounce_msg *);
void	bounce_arf_parse(struct bounce_msg *);

/* bounce_ses.c */
bool	bounce_ses_looks_like(const char *);
void	bounce_ses_parse(struct bounce_msg *);

/* bounce_auto.c */
bool	bounce_auto_is_autoreply(const struct bounce_msg *);
void	bounce_auto_parse(struct bounce_msg *);

#endif
