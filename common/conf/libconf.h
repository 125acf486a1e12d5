/*++
 * NAME
 *	libconf 3h
 * SUMMARY
 *	the bounceguard.conf configuration file
 * DESCRIPTION
 *	config.c reads and checks bounceguard.conf; config_keys.h declares
 *	every key once, with its type, default and bounds, in one table
 *	that the parser, "bounceguard check" and the documentation test
 *	all read. Uses libbase and libmail (reason names in policy keys).
 *--*/
#ifndef BG_LIBCONF_H
#define BG_LIBCONF_H

#include "config.h"

#endif
