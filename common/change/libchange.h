/*++
 * NAME
 *	libchange 3h
 * SUMMARY
 *	a bounce's changes to the store, made here or by another process
 * DESCRIPTION
 *	The pipe's writes (a bounce for an address, a back-off signal) and
 *	the one read it needs (a token's recipients) as self-contained
 *	requests: applied to an open store by whoever holds one. Without
 *	replication the pipe applies them itself; with replication it
 *	sends them to its host's replication process (the milter), which
 *	applies them, or passes them to the master's.
 *
 *	change.c	requests and answers: encoding, decoding, applying
 *	change_sock.c	the local socket between the pipes and the milter
 *
 *	Uses libbase, libmail, libconf, libstore, libpolicy and libbackoff.
 *--*/
#ifndef BG_LIBCHANGE_H
#define BG_LIBCHANGE_H

#include "change.h"

#endif
