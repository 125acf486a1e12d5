/*++
 * NAME
 *	cmd_backoff 3
 * SUMMARY
 *	bounceguard backoff: list, set and clear back-off levels
 * DESCRIPTION
 *	bounceguard backoff [list] [--json]
 *	bounceguard backoff set DOMAIN LEVEL
 *	bounceguard backoff clear DOMAIN
 *	bounceguard backoff sync
 *
 *	list prints every domain with a back-off record: the level in
 *	force now (after decay) and its transport, whether it was set by
 *	hand, the signals counted, and the last signal's time, reason and
 *	reply. set fixes a domain's level by hand (0 keeps it on the
 *	default transport whatever it answers) until clear removes the
 *	record, after which the follower raises and lowers it again.
 *
 *	set and clear then write the transport map (backoff_transport_map)
 *	themselves, so that Postfix routes the domain at once, whether or
 *	not the follower runs. sync writes it from the store: before
 *	Postfix's transport_maps names it (Postfix defers mail while a
 *	table it needs is missing), or after restoring a store.
 * DIAGNOSTICS
 *	Exit 1 when clear finds no record, on a store error, or when the
 *	transport map cannot be written (the level is stored all the same;
 *	the follower writes the map at its next tick); 2 for a usage error. set and clear are logged like the follower's changes,
 *	with why=set and why=clear.
 *--*/
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "follow.h"
#include "libbase.h"

struct bo_list {
	const struct config *cfg;
	struct backoff_params p;
	struct table tab;
	bool	 json;
	time_t	 now;
};

static const char *const bo_head[] = {
	"domain", "level", "transport", "set", "signals", "last_signal",
	"reason", "reply"
};

/* bo_json_opt - a string member, null when empty */
static void
bo_json_opt(struct json *j, const char *name, const char *v)
{
	if (v[0] != '\0')
		json_member_str(j, name, v);
	else
		json_member_null(j, name);
}

/* bo_json - one record as a JSON object */
static void
bo_json(struct bo_list *l, const char *domain, const struct store_backoff *r,
    unsigned level)
{
	const char *t = backoff_transport(l->cfg, level);
	char	 when[BG_TIMESTR_SIZE];
	struct json j;
	struct buf b = BUF_INIT;

	json_begin(&j, &b);
	json_member_str(&j, "domain", domain);
	json_member_int(&j, "level", level);
	json_member_str(&j, "transport", t ? t : "default");
	json_member_str(&j, "set", r->manual ? "manual" : "auto");
	json_member_int(&j, "signals", r->signals);
	if (r->last_signal)
		json_member_str(&j, "last_signal", admin_time(r->last_signal,
		    when, sizeof(when)));
	else
		json_member_null(&j, "last_signal");
	bo_json_opt(&j, "reason", r->reason);
	bo_json_opt(&j, "reply", r->reply);
	json_end(&j);
	printf("%s\n", buf_cstr(&b));
	buf_free(&b);
}

/* bo_row - one record of the list */
static int
bo_row(const char *domain, struct store_backoff *r, bool found, void *arg)
{
	struct bo_list *l = arg;
	unsigned level = backoff_level(&l->p, r, l->now);
	const char *t = backoff_transport(l->cfg, level);
	char	 lv[16], sig[16], when[BG_TIMESTR_SIZE];
	const char *row[8];

	(void)found;
	if (l->json) {
		bo_json(l, domain, r, level);
		return 0;
	}
	snprintf(lv, sizeof(lv), "%u", level);
	snprintf(sig, sizeof(sig), "%u", r->signals);
	row[0] = domain;
	row[1] = lv;
	row[2] = t ? t : "default";
	row[3] = r->manual ? "manual" : "auto";
	row[4] = sig;
	row[5] = r->last_signal ? admin_time(r->last_signal, when,
	    sizeof(when)) : "";
	row[6] = r->reason;
	row[7] = r->reply;
	table_row(&l->tab, row);
	return 0;
}

/* bo_list - every record */
static int
bo_list(struct admin *a, int argc, char **argv)
{
	struct bo_list l;
	struct store *st;
	int	 rc;

	memset(&l, 0, sizeof(l));
	l.cfg = a->cfg;
	l.now = time(NULL);
	backoff_params(a->cfg, &l.p);
	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		l.json = true;
	else if (argc != 1)
		return admin_usage("backoff", "unexpected argument \"%s\"",
		    argv[1]);
	st = admin_store(a);
	table_init(&l.tab, BG_ARRAY_SIZE(bo_head), admin_tty(), stdout);
	if (!l.json)
		table_row(&l.tab, bo_head);
	rc = store_foreach_backoff(st, bo_row, &l);
	table_flush(&l.tab);
	return rc < 0 ? admin_fail("backoff", "%s", store_error(st)) : 0;
}

struct bo_set {
	long long level;		/* -1: clear */
	unsigned before;
	bool	 found;
	struct store_backoff rec;
	const struct backoff_params *p;
};

/* bo_set_fn - set or clear one record */
static int
bo_set_fn(const char *domain, struct store_backoff *r, bool found, void *arg)
{
	struct bo_set *s = arg;

	(void)domain;
	s->found = found;
	s->before = found ? backoff_level(s->p, r, time(NULL)) : 0;
	if (s->level < 0)
		return STORE_DELETE;
	r->level = (uint32_t)s->level;
	r->manual = true;
	r->changed = time(NULL);
	r->strikes = 0;
	r->strike_since = 0;
	r->delivered = 0;
	s->rec = *r;
	return STORE_OK;
}

/* bo_sync - write the transport map from the store */
static int
bo_sync(struct admin *a)
{
	struct buf err = BUF_INIT;
	int	 rc = follow_map_sync(admin_store(a), a->cfg, time(NULL), &err);

	if (rc < 0)
		admin_fail("backoff", "cannot write the transport map: %s",
		    buf_cstr(&err));
	buf_free(&err);
	return rc < 0 ? 1 : 0;
}

/* bo_change - set DOMAIN LEVEL, or clear DOMAIN */
static int
bo_change(struct admin *a, const char *domain, long long level)
{
	struct backoff_params p;
	struct bo_set s = { level, 0, false, { 0 }, &p };
	void	*arg = &s;
	struct store *st = admin_store(a);
	int	 rc;

	backoff_params(a->cfg, &p);
	rc = store_backoff_batch(st, 1, &domain, bo_set_fn, &arg, NULL, NULL,
	    0);
	if (rc != STORE_OK)
		return admin_fail("backoff", "%s", store_error(st));
	if (level < 0 && !s.found)
		return admin_fail("backoff", "%s has no back-off record",
		    domain);
	follow_log_change(a->cfg, domain, s.before, level < 0 ? 0 :
	    (unsigned)level, level < 0 ? "clear" : "set", &s.rec);
	return bo_sync(a);
}

/* bo_level_arg - a level from 0 to the number of transports */
static int
bo_level_arg(const struct config *cfg, const char *arg, long long *level)
{
	char	*end;

	*level = strtoll(arg, &end, 10);
	if (end == arg || *end != '\0' || *level < 0 ||
	    *level > (long long)cfg->backoff_transports.n)
		return admin_usage("backoff", "bad level \"%s\" (0 to %zu, the "
		    "number of backoff_transports)", arg,
		    cfg->backoff_transports.n);
	return 0;
}

/* cmd_backoff - list, set or clear back-off levels */
int
cmd_backoff(struct admin *a, int argc, char **argv)
{
	char	 domain[STORE_ADDR_MAX];
	const char *why;
	long long level = -1;
	int	 rc;

	if (argc == 1 || (argc >= 2 && strcmp(argv[1], "--json") == 0))
		return bo_list(a, argc, argv);
	if (strcmp(argv[1], "list") == 0)
		return bo_list(a, argc - 1, argv + 1);
	if (strcmp(argv[1], "sync") == 0)
		return argc == 2 ? bo_sync(a) : admin_usage("backoff",
		    "sync takes no argument");
	if (strcmp(argv[1], "set") != 0 && strcmp(argv[1], "clear") != 0)
		return admin_usage("backoff", "unknown action \"%s\"", argv[1]);
	if (argc != (strcmp(argv[1], "set") == 0 ? 4 : 3))
		return admin_usage("backoff", "wrong number of arguments");
	if (backoff_check_domain(argv[2], domain, sizeof(domain), &why) < 0)
		return admin_usage("backoff", "bad domain \"%s\": %s", argv[2],
		    why);
	if (argc == 4 && (rc = bo_level_arg(a->cfg, argv[3], &level)) != 0)
		return rc;
	return bo_change(a, domain, level);
}
