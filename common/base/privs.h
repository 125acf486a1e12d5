/*++
 * NAME
 *	privs 3h
 * SUMMARY
 *	dropping root privileges
 * DESCRIPTION
 *	privs_drop() switches to an unprivileged user for good: supplementary
 *	groups, then group, then user (real, effective and saved), and then
 *	checks that root cannot be regained.
 * DIAGNOSTICS
 *	Returns -1 with an explanation in the buffer; callers treat that as
 *	fatal, because carrying on as root would create root-owned files in
 *	the store that the other programs cannot write.
 *--*/
#ifndef BG_PRIVS_H
#define BG_PRIVS_H

#include "buf.h"

int	privs_drop(const char *, struct buf *);

#endif
