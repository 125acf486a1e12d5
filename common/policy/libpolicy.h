/*++
 * NAME
 *	libpolicy 3h
 * SUMMARY
 *	what a classified bounce does to an address
 * DESCRIPTION
 *	policy.c applies the configured policy (libconf) to an address's
 *	record (libstore), as a store_update() callback: a hard bounce
 *	suppresses, soft bounces count within a window, blocks count for
 *	the domain only, complaints suppress for the sender's domain.
 *	The top library; only programs use it.
 *--*/
#ifndef BG_LIBPOLICY_H
#define BG_LIBPOLICY_H

#include "policy.h"

#endif
