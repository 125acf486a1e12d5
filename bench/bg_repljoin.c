/*++
 * NAME
 *	bg_repljoin 1
 * SUMMARY
 *	test helper: a site that asks a replication group to add it
 * DESCRIPTION
 *	bg_repljoin DIR HOST:PORT HELPER-HOST:PORT SECONDS
 *
 *	Opens (and creates) a Berkeley DB environment in DIR as a new
 *	replication site at HOST:PORT that is not a member of any group,
 *	with HELPER as its bootstrap helper, and starts the Replication
 *	Manager as a client: Berkeley DB 5.3 then sends the group's master
 *	a join request, which the master grants to any site that asks
 *	(DB_EVENT_REP_SITE_ADDED). bounceguard's replication process must
 *	remove such a site when it is not in repl_peers; tests/repl-partition.t
 *	checks that with this helper. Stays SECONDS seconds, then leaves.
 *
 *	Not installed.
 * DIAGNOSTICS
 *	Exit 0 when the environment was opened and started, 1 otherwise.
 *--*/
#include <db.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libbase.h"
#include "libconf.h"
#include "libstore.h"

/* join_site - configure one site: the local one, or the helper */
static void
join_site(DB_ENV *env, const char *addr, u_int32_t which)
{
	char	 host[256];
	unsigned port;
	DB_SITE	*site;
	int	 rc;

	if (store_repl_parse_addr(addr, host, sizeof(host), &port) < 0)
		fatalx("bad address %s", addr);
	if ((rc = env->repmgr_site(env, host, port, &site, 0)) != 0 ||
	    (rc = site->set_config(site, which, 1)) != 0)
		fatalx("site %s: %s", addr, db_strerror(rc));
	site->close(site);
}

int
main(int argc, char **argv)
{
	DB_ENV	*env;
	int	 rc;

	log_init("bg_repljoin", LOG_TO_STDERR);
	if (argc != 5)
		fatalx("usage: bg_repljoin DIR HOST:PORT HELPER-HOST:PORT SECONDS");
	if ((rc = db_env_create(&env, 0)) != 0)
		fatalx("db_env_create: %s", db_strerror(rc));
	join_site(env, argv[2], DB_LOCAL_SITE);
	join_site(env, argv[3], DB_BOOTSTRAP_HELPER);
	if ((rc = env->open(env, argv[1], DB_CREATE | DB_INIT_TXN |
	    DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL | DB_THREAD |
	    DB_INIT_REP | DB_RECOVER, 0600)) != 0)
		fatalx("open %s: %s", argv[1], db_strerror(rc));
	if ((rc = env->repmgr_start(env, 1, DB_REP_CLIENT)) != 0)
		fatalx("repmgr_start: %s", db_strerror(rc));
	sleep((unsigned)atoi(argv[4]));
	env->close(env, 0);
	return 0;
}
