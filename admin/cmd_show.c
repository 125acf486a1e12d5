/*++
 * NAME
 *	cmd_show 3
 * SUMMARY
 *	bounceguard show: everything known about one address
 * DESCRIPTION
 *	"show ADDRESS|@DOMAIN" prints "name: value" lines (the address,
 *	its state, each suppression, the domain's suppression if any, the
 *	counters and the last bounce), then the event history, oldest
 *	first, as a table: time, type, reason, action, status, reply code,
 *	mode, VERP validity, queue id, scope, diagnostic. The table is
 *	aligned on a terminal and tab-separated otherwise.
 * DIAGNOSTICS
 *	Exit 1 with a message when the store knows nothing about the
 *	address or its domain, 2 for a malformed address.
 *--*/
#include <string.h>

#include "addr.h"
#include "admin.h"
#include "util.h"

#define SHOW_COLS	11

static const char *const show_head[SHOW_COLS] = {
	"time", "type", "reason", "action", "status", "reply_code", "mode",
	"verp", "queue_id", "scope", "diagnostic",
};

/* show_supp - one suppression line */
static void
show_supp(const char *label, const struct store_supp *s, time_t now)
{
	char	 t1[BG_TIMESTR_SIZE], t2[BG_TIMESTR_SIZE];

	printf("%s: scope=%s reason=\"%s\" source=%s since=%s expires=%s%s\n",
	    label, s->scope[0] ? s->scope : "global", s->reason, s->source,
	    admin_time(s->since, t1, sizeof(t1)),
	    s->expires ? admin_time(s->expires, t2, sizeof(t2)) : "never",
	    store_supp_active(s, now) ? "" : " (expired)");
}

/* show_record - the address record's lines */
static void
show_record(const char *addr, const struct store_addr *a, time_t now)
{
	char	 t[BG_TIMESTR_SIZE];

	printf("address: %s\nstate: %s\n", addr, store_addr_state(a, now));
	for (uint32_t i = 0; i < a->nsupp; i++)
		show_supp("suppression", &a->supp[i], now);
	printf("counts: hard=%u soft=%u block=%u complaint=%u other=%u "
	    "recent_soft=%u\n", a->hard_count, a->soft_count, a->block_count,
	    a->complaint_count, a->other_count, a->nsoft);
	printf("first_bounce: %s\n", admin_time(a->first_bounce, t,
	    sizeof(t)));
	printf("last_bounce: %s\n", admin_time(a->last_bounce, t, sizeof(t)));
	printf("last: reason=%s status=%s reply_code=%s mode=%s\n",
	    a->last_reason[0] ? a->last_reason : "-",
	    a->last_status[0] ? a->last_status : "-",
	    a->last_reply_code[0] ? a->last_reply_code : "-",
	    a->last_mode[0] ? a->last_mode : "-");
	printf("last_diagnostic: %s\n", a->last_diagnostic);
}

/* show_event - one history row */
static int
show_event(const char *addr, const struct store_event *e, void *arg)
{
	struct table *t = arg;
	char	 when[BG_TIMESTR_SIZE];
	const char *v[SHOW_COLS] = {
		admin_time(e->time, when, sizeof(when)), e->type, e->reason,
		e->action, e->status, e->reply_code, e->mode, e->verp,
		e->queue_id, e->scope, e->diagnostic,
	};

	(void)addr;
	table_row(t, v);
	return 0;
}

/* show_domain - the suppressions of the address's domain, if any */
static int
show_domain(struct store *st, const char *addr, time_t now, bool header)
{
	char	 key[STORE_ADDR_MAX];
	struct store_addr d;
	int	 rc;

	if (addr[0] == '@' || snprintf(key, sizeof(key), "@%s",
	    addr_domain(addr)) >= (int)sizeof(key))
		return STORE_NOTFOUND;
	if ((rc = store_get(st, key, &d)) != STORE_OK)
		return rc;
	if (header)
		printf("address: %s\nstate: unknown\n", addr);
	for (uint32_t i = 0; i < d.nsupp; i++)
		show_supp(key, &d.supp[i], now);
	return STORE_OK;
}

/* cmd_show - state and history of one address */
int
cmd_show(struct admin *a, int argc, char **argv)
{
	char	 addr[STORE_ADDR_MAX];
	struct store_addr rec;
	struct store *st;
	struct table t;
	time_t	 now = time(NULL);
	int	 rc, drc;

	if (argc != 2 || argv[1][0] == '-')
		return admin_usage("show", argc < 2 ? "no address given" :
		    argc > 2 ? "too many arguments" : "unknown option");
	if ((rc = admin_addr_arg("show", argv[1], addr, sizeof(addr),
	    ADDR_DOMAIN_OK)) != 0)
		return rc;
	st = admin_store(a);
	if ((rc = store_get(st, addr, &rec)) < 0)
		return admin_fail("show", "%s", store_error(st));
	if (rc == STORE_NOTFOUND) {
		if ((drc = show_domain(st, addr, now, true)) < 0)
			return admin_fail("show", "%s", store_error(st));
		return drc == STORE_OK ? 0 : admin_fail("show", "%s: not in "
		    "the store", addr);
	}
	show_record(addr, &rec, now);
	if (show_domain(st, addr, now, false) < 0)
		return admin_fail("show", "%s", store_error(st));
	printf("\n");
	table_init(&t, SHOW_COLS, admin_tty(), stdout);
	table_row(&t, show_head);
	rc = store_foreach_event(st, addr, show_event, &t);
	table_flush(&t);
	if (rc < 0)
		return admin_fail("show", "%s", store_error(st));
	return 0;
}
