/*++
 * NAME
 *	store_maint 3h
 * SUMMARY
 *	store maintenance: batches, pruning, sync, backup, verify, recovery
 * DESCRIPTION
 *	What the administrator's tool needs beyond store.h.
 *
 *	store_update_many() applies one update function to many addresses
 *	in one transaction with a cheap (non-synchronous) commit, retried
 *	as a whole on deadlock; it writes neither events nor domain
 *	counters. results[i] receives what the function returned for
 *	addrs[i] on the attempt that committed (0 written, STORE_NOCHANGE).
 *	Callers finish a run of batches with store_sync(), which makes
 *	every earlier commit durable.
 *
 *	store_prune_history() deletes history events recorded before a
 *	time, store_prune_tokens() the VERP tokens stamped before a day,
 *	store_prune_seen() the dedupe keys claimed before a time; each
 *	works in small transactions so that the pipe and the milter are
 *	never locked out for long, and counts what it deleted; setting
 *	store_maint_interrupt stops it between batches (STORE_ETEMP).
 *
 *	store_backup() writes a consistent copy of a live store into a
 *	new directory (Berkeley DB's hot backup: a checkpoint, the
 *	database files, then the log files, then recovery in the copy),
 *	which can itself be opened as a store. store_verify_dir() checks
 *	the structure of every database file of a store that no process
 *	is using, such as a backup. store_recover_dir() opens a store
 *	directory as its first user would, with the same settings as
 *	store_open(), running recovery when a process died inside it.
 * DIAGNOSTICS
 *	Return codes as in store.h; errors are described by store_error()
 *	or, for the functions that take a directory, in the buffer.
 *--*/
#ifndef BG_STORE_MAINT_H
#define BG_STORE_MAINT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "libbase.h"
#include "store.h"

/* Set (by a signal handler) to stop pruning between batches. */
extern volatile sig_atomic_t store_maint_interrupt;

/* The database files of a store, NULL-terminated. */
extern const char *const store_files[];

int	store_update_many(struct store *, size_t, const char *const *,
	    store_update_fn, void *const *, int *);
int	store_sync(struct store *);

int	store_prune_history(struct store *, time_t, size_t *);
int	store_prune_tokens(struct store *, uint32_t, size_t *);
int	store_prune_seen(struct store *, time_t, size_t *);

int	store_backup(struct store *, const char *);
int	store_verify_dir(const char *, const char *, struct buf *);
int	store_recover_dir(const char *, const struct store_opts *, bool *,
	    struct buf *);

#endif
