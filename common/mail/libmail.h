/*++
 * NAME
 *	libmail 3h
 * SUMMARY
 *	mail vocabulary: address syntax and bounce reasons
 * DESCRIPTION
 *	The words every other library speaks about mail, on top of
 *	libbase only:
 *
 *	addr.c	mail address syntax: checking, splitting and lower-casing
 *	reason.c the bounce reason vocabulary (userunknown, mailboxfull,
 *		blocked, ...), stored in the database by name
 *--*/
#ifndef BG_LIBMAIL_H
#define BG_LIBMAIL_H

#include "addr.h"
#include "reason.h"

#endif
