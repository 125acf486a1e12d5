/*++
 * NAME
 *	libbase 3h
 * SUMMARY
 *	the bottom library: memory, strings, buffers, logging, JSON, privileges
 * DESCRIPTION
 *	Everything else in bounceguard builds on this library, and it
 *	uses nothing of bounceguard's own. Its modules depend on one
 *	another in this order only:
 *
 *	log.c	syslog and stderr logging, fatal() and fatalx()
 *	util.c	allocation that never fails, bounded string copies,
 *		day numbers and time stamps (fatal() on exhaustion)
 *	buf.c	growable byte buffers
 *	json.c	writing JSON strings and lines into a buffer
 *	privs.c	dropping root privileges to the configured user
 *
 *	tap.h, the Test Anything Protocol helper of every library's unit
 *	tests (test-*.c), lives here too, so that all of them can use it;
 *	programs never include it.
 *--*/
#ifndef BG_LIBBASE_H
#define BG_LIBBASE_H

#include "buf.h"
#include "json.h"
#include "log.h"
#include "privs.h"
#include "util.h"

#endif
