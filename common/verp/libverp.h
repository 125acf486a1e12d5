/*++
 * NAME
 *	libverp 3h
 * SUMMARY
 *	signed VERP return paths
 * DESCRIPTION
 *	verp.c encodes a recipient (or a per-message token) and a day into
 *	a return path signed with HMAC-SHA256, and decodes and verifies
 *	one against every configured secret. Uses libbase and libmail;
 *	its unit tests also use libstore for per-message tokens.
 *--*/
#ifndef BG_LIBVERP_H
#define BG_LIBVERP_H

#include "verp.h"

#endif
