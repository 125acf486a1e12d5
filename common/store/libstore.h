/*++
 * NAME
 *	libstore 3h
 * SUMMARY
 *	the Berkeley DB store shared by all bounceguard programs
 * DESCRIPTION
 *	The transactional environment in store_dir and its databases.
 *	Uses libbase and libmail.
 *
 *	store.c		opening, recovery and closing of the environment
 *	store_addr.c	address records, their history, suppression lookups
 *	store_domain.c	per-domain, per-day counters
 *	store_token.c	per-message VERP tokens
 *	store_backoff.c	per-domain back-off records, the log follower's place
 *	store_codec.c	the records' encoding, with pack.c's portable
 *			integers and strings
 *	store_maint.c	maintenance for the administrator's tool: batches,
 *			pruning, sync, backup, verify, recovery
 *
 *	store_int.h and pack.h are the modules' shared internals; programs
 *	use store.h and store_maint.h, through this header.
 *--*/
#ifndef BG_LIBSTORE_H
#define BG_LIBSTORE_H

#include "store.h"
#include "store_maint.h"

#endif
