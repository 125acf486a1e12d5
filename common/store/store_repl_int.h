/*++
 * NAME
 *	store_repl_int 3h
 * SUMMARY
 *	what the replication modules of the store share
 * DESCRIPTION
 *	store_repl.c (configuration, roles, commits, forwarding) calls
 *	store_repl_peers.c (the peers' state, db status, unknown sites),
 *	and both call store_repl_chan.c (signed message-channel requests);
 *	never the other way round, so that no circle of calls forms.
 *--*/
#ifndef STORE_REPL_INT_H
#define STORE_REPL_INT_H

#include <pthread.h>
#include <time.h>

#include "store_int.h"

#define REPL_MAC_LEN		32
#define REPL_MAX_SITES		32
#define REPL_STATUS_REQ		"S"	/* a peer's status, asked by a peer */

struct store_repl_site {
	char	 host[256];
	unsigned port;
	int	 eid;
	bool	 connected;		/* last connection event seen */
	/* As the replication process last polled it (store_repl_peers). */
	bool	 polled;		/* the peer answered */
	bool	 ready;		/* a ready main connection */
	char	 role[8];		/* master, client, none */
	unsigned lsn_file, lsn_off;	/* its next log record */
	unsigned gen;			/* its election generation */
	time_t	 checked;
};

struct store_repl_state {
	struct store_repl_site sites[REPL_MAX_SITES];	/* [0]: local */
	size_t	 nsites;
	int	 lockfd;		/* bounceguard.repl */
	volatile int startup_done;
	volatile int role_master;
	volatile int unknown_site;	/* a site was added: check it */
	pthread_t poller;		/* the replication process's */
	pthread_mutex_t poll_mtx;
	pthread_cond_t poll_cond;
	bool	 polling;
	bool	 poll_stop;
};

/* Signed requests over message channels (store_repl_chan.c). */
long long store_repl_now_ms(void);
void	store_repl_chan_mac(const struct store_repl *, const void *, size_t,
	    unsigned char[REPL_MAC_LEN]);
bool	store_repl_chan_mac_ok(const struct store_repl *, const void *, size_t,
	    const unsigned char *);
void	store_repl_chan_respond(DB_CHANNEL *, int, const struct buf *);
int	store_repl_chan_request(DB_ENV *, const struct store_repl_state *,
	    const struct store_repl *, int, const void *, size_t, long long,
	    int *, struct buf *);
void	store_repl_chan_nodelay(const struct store_repl_state *);

/* The peers (store_repl_peers.c). */
const char *store_repl_site_name(const struct store_repl_state *, int,
	    char *, size_t);
int	store_repl_peers_start(struct store *);
void	store_repl_peers_stop(struct store *);
void	store_repl_peers_serve(struct store *, struct buf *);
void	store_repl_peers_msg(struct store *, const char *);
void	store_repl_peers_wake(struct store *);
bool	store_repl_peers_lost(struct store *, const char *);
int	store_repl_peers_status(struct store *, const DB_REP_STAT *, bool,
	    struct buf *);

#endif
