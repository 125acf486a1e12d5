/*++
 * NAME
 *	milter 3h
 * SUMMARY
 *	bounceguard-milter internals shared by the files of milter/
 * DESCRIPTION
 *	The daemon has a few long-lived parts, each in its own file:
 *
 *	runtime.c	the configuration in force (a reference-counted
 *			snapshot with its VERP keys), replaced on SIGUSR1
 *	mstore.c	the one store handle, shared by every thread, and
 *			reopened after another process recovered the store
 *	sendcount.c	per-domain send counters, batched in a thread
 *	callbacks.c	the libmilter callbacks
 *	negotiate.h	what they ask at option negotiation (shared with
 *			the reference milters of bench/milter.sh)
 *	outbound.c	which mail is outbound
 *	reply.c		the reject reply: checking and formatting
 *	lookup.c	the lookup socket server (an epoll loop, limits)
 *	lookup_proto.c	its two protocols: lines and Postfix socketmap
 *	sockets.c	listening sockets and the pid file, made safely
 *	clients.c	which clients may use the sockets
 *	signals.c	the signal thread (SIGUSR1: reload)
 *	repl.c		replication: the administrator's changes
 *			forwarded from clients, run here on the master
 *	changes.c	replication: this host's pipes' changes, over
 *			bounceguard.repl-socket, applied or passed on
 *	main.c		options and the daemon's life cycle
 *--*/
#ifndef BG_MILTER_H
#define BG_MILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "libbase.h"
#include "libchange.h"
#include "libconf.h"
#include "libstore.h"
#include "libverp.h"

#define MILTER_PROGNAME		"bounceguard-milter"
#define MILTER_ERR_MAX		512

/* The configuration in force, with what is derived from it. */
struct mrt {
	struct config *cfg;
	struct verp_keys *keys;
	struct verp_codec codec;
	unsigned refs;
};

/* runtime.c */
struct mrt *rt_load(const char *, struct buf *);
void	rt_install(struct mrt *);
struct mrt *rt_acquire(void);
void	rt_release(struct mrt *);
int	rt_reload(const char *);

/* repl.c */
void	repl_init(const char *);

/* changes.c */
int	changes_start(const char *);
void	changes_stop(void);

/* mstore.c */
void	mstore_init(const struct config *);
void	mstore_reconfigure(const struct config *);
void	mstore_shutdown(void);
int	mstore_lookup(const char *, const char *, time_t,
	    struct store_verdict *, char *, size_t);
int	mstore_count_sent(const char *const *, size_t, uint32_t, char *,
	    size_t);
int	mstore_serve(const void *, size_t, struct buf *);
void	mstore_change(const void *, size_t, struct buf *);
void	mstore_describe(char *, size_t);
bool	mstore_replicated(void);
int	mstore_token_put(const char *, uint32_t, const char *const *, size_t,
	    char *, size_t);
int	mstore_backoff_get(const char *, struct store_backoff *, char *,
	    size_t);

/* sendcount.c */
void	sendcount_start(void);
void	sendcount_add(const char *);
void	sendcount_stop(void);

/* outbound.c */
struct outbound_facts {
	const struct sockaddr *client;	/* NULL when unknown */
	bool	 local;			/* non-SMTP (sendmail) submission */
	const char *auth_authen;	/* {auth_authen}, NULL or "" if none */
	const char *daemon_name;	/* {daemon_name} */
	const char *sender_domain;	/* "" for the null sender */
};

const char *outbound_reason(const struct config *,
	    const struct outbound_facts *);

/* reply.c */
struct reply {
	char	 rcode[4];
	char	 xcode[16];		/* "" when the reply has none */
	char	 text[512];
};

int	reply_check(const char *, char *, size_t);
int	reply_format(const char *, const char *, const struct store_supp *,
	    struct reply *);
void	reply_escape_percent(const char *, char *, size_t);
void	reply_sanitize(const char *, char *, size_t);

/* lookup_proto.c */
#define LOOKUP_REQUEST_MAX	1024

enum lookup_parse {
	LOOKUP_NEED_MORE,		/* no complete request yet */
	LOOKUP_REQUEST,			/* one request: consumed bytes set */
	LOOKUP_BAD_FRAME,		/* answer written; close the connection */
};

enum lookup_parse lookup_next(const char *, size_t, size_t *, struct buf *);

/* lookup.c */
int	lookup_start(int);
void	lookup_stop(void);

/* sockets.c */
int	sockets_unix_path(const char *, char *, size_t);
int	sockets_spec(const char *, char *, size_t);
int	sockets_check_dir(const char *, char *, size_t);
int	sockets_set_owner(const char *, long long, const char *, char *,
	    size_t);
int	sockets_pidfile(const char *, pid_t, char *, size_t);
int	sockets_listen(const char *, char *, size_t);

/* clients.c */
bool	clients_allowed(const struct cidrlist *, const struct sockaddr *);
void	clients_refused(const char *, const struct sockaddr *, const char *);
const char *clients_format(const struct sockaddr *, char *, size_t);
bool	clients_guard_ok(void);

/* signals.c */
void	signals_block(void);
void	signals_start(const char *);
void	signals_stop(void);

/* callbacks.c */
extern struct smfiDesc milter_desc;

#endif
