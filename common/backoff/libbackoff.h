/*++
 * NAME
 *	libbackoff 3h
 * SUMMARY
 *	adaptive back-off for Postfix: signals, levels, transports
 * DESCRIPTION
 *	A destination domain that answers our mail with rate-limit or
 *	temporary-block deferrals gets a back-off level; Postfix's
 *	transport_maps asks the lookup socket, which names the slower
 *	transport of that level.
 *
 *	backoff.c	a domain's level: raised by signals, decayed by
 *			time and deliveries; the transport of a level
 *	backoff_log.c	Postfix smtp(8) delivery lines of the mail log,
 *			and which deferrals are signals (the classifier)
 *
 *	Uses libconf, libstore (struct store_backoff) and libclassify.
 *--*/
#ifndef BG_LIBBACKOFF_H
#define BG_LIBBACKOFF_H

#include "backoff.h"

#endif
