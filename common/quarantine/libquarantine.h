/*++
 * NAME
 *	libquarantine 3h
 * SUMMARY
 *	the quarantine directory's size and age budget
 * DESCRIPTION
 *	quarantine.c keeps the running size of quarantine_dir and prunes
 *	it (oldest first, then by age), for bounceguard-pipe when it keeps
 *	a message and for "bounceguard expire". Uses libbase only; the
 *	writing of quarantined messages stays in the pipe.
 *--*/
#ifndef BG_LIBQUARANTINE_H
#define BG_LIBQUARANTINE_H

#include "quarantine.h"

#endif
