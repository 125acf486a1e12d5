/*++
 * NAME
 *	clients 3
 * SUMMARY
 *	which clients may use the milter and lookup sockets
 * DESCRIPTION
 *	An inet socket serves only the networks of its allow-list
 *	(milter_clients, lookup_clients; loopback by default); a unix
 *	socket is guarded by its mode and group instead, and every client
 *	of one is let in. clients_allowed() tells, clients_refused() logs
 *	a refusal ("NAME: refused client=ADDR reason=WHY"), at most
 *	CLIENTS_LOG_RATE lines a second, and then how many it left out.
 *
 *	libmilter accepts the MTA's connections itself and offers no hook
 *	between accept() and its first callback; xxfi_connect() is given
 *	the SMTP client's address, not the MTA's. So this file defines
 *	accept(): the executable's definition comes before the C
 *	library's for libmilter.so, whose listener calls accept() and
 *	skips a connection when it fails with ECONNABORTED. The MTA's
 *	address is checked there, with the allow-list in force (a reload
 *	changes it). clients_guard_ok() makes sure at start-up that
 *	libmilter's accept() really is this one (a statically linked or
 *	rebuilt libmilter that bypassed it would otherwise leave the
 *	socket open to all without a word). The lookup server uses
 *	accept4(), which this does not touch.
 * DIAGNOSTICS
 *	Refusals are logged as above; a milter client is refused, too,
 *	when no configuration is in force yet.
 *--*/
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "libbase.h"
#include "milter.h"

#define CLIENTS_LOG_RATE	10	/* refusal lines a second, at most */

static pthread_mutex_t cl_mtx = PTHREAD_MUTEX_INITIALIZER;
static time_t cl_second;
static unsigned cl_logged, cl_unlogged;

/* clients_format - an address as text, IPv4-mapped IPv6 as IPv4 */
const char *
clients_format(const struct sockaddr *sa, char *out, size_t size)
{
	const struct sockaddr_in6 *s6 = (const void *)sa;
	const void *a;
	int	 af = sa->sa_family;

	if (af == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (af == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		a = s6->sin6_addr.s6_addr + 12;
		af = AF_INET;
	} else if (af == AF_INET6)
		a = &s6->sin6_addr;
	else
		return bg_strlcpy(out, "local", size) < size ? out : "?";
	return inet_ntop(af, a, out, (socklen_t)size) ? out : "?";
}

/* clients_allowed - a client may use a socket with this allow-list */
bool
clients_allowed(const struct cidrlist *allow, const struct sockaddr *sa)
{
	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return true;		/* unix: the socket's mode decides */
	return cidrlist_match(allow, sa);
}

/* clients_refused - log a refusal, unless too many this second */
void
clients_refused(const char *who, const struct sockaddr *sa,
    const char *reason)
{
	char	 addr[INET6_ADDRSTRLEN];
	time_t	 now = time(NULL);
	unsigned skipped = 0;
	bool	 log = false;

	pthread_mutex_lock(&cl_mtx);
	if (now != cl_second) {
		skipped = cl_unlogged;
		cl_second = now;
		cl_logged = cl_unlogged = 0;
	}
	if (cl_logged < CLIENTS_LOG_RATE) {
		cl_logged++;
		log = true;
	} else
		cl_unlogged++;
	pthread_mutex_unlock(&cl_mtx);
	if (skipped > 0)
		log_warnx("%s: refused clients_not_logged=%u (more than %d a "
		    "second)", who, skipped, CLIENTS_LOG_RATE);
	if (log)
		log_warnx("%s: refused client=%s reason=%s", who,
		    clients_format(sa, addr, sizeof(addr)), reason);
}

/* clients_milter_ok - the MTA at this address may use the milter socket */
static bool
clients_milter_ok(const struct sockaddr *sa)
{
	struct mrt *rt;
	bool	 ok;

	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return true;
	if ((rt = rt_acquire()) == NULL) {
		clients_refused("milter", sa, "not_ready");
		return false;
	}
	ok = cidrlist_match(&rt->cfg->milter_clients, sa);
	rt_release(rt);
	if (!ok)
		clients_refused("milter", sa, "not_in_milter_clients");
	return ok;
}

/* accept - libmilter's accept(), with the milter_clients check */
int
accept(int fd, __SOCKADDR_ARG addr, socklen_t *restrict len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int	 c;

	if ((c = accept4(fd, (struct sockaddr *)&ss, &sl, 0)) < 0)
		return -1;
	if (!clients_milter_ok((struct sockaddr *)&ss)) {
		close(c);
		errno = ECONNABORTED;	/* libmilter: skip, and go on */
		return -1;
	}
	if (addr.__sockaddr__ != NULL && len != NULL) {
		memcpy(addr.__sockaddr__, &ss, *len < sl ? *len : sl);
		*len = sl;
	}
	return c;
}

/* clients_guard_ok - libmilter's accept() is the one above */
bool
clients_guard_ok(void)
{
	void	*seen = dlsym(RTLD_DEFAULT, "accept");

	return seen == (void *)accept;
}
