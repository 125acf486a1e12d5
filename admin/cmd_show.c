/*++
 * NAME
 *	cmd_show 3
 * SUMMARY
 *	bounceguard show: everything known about one address
 * DESCRIPTION
 *	"show [--json] ADDRESS|@DOMAIN" prints "name: value" lines (the address,
 *	its state, each suppression, the domain's suppression if any, the
 *	counters, the unverified count and the time of the last unsuppress
 *	when there are any, and the last bounce), then the event history, oldest
 *	first, as a table: time, type, reason, action, status, reply code,
 *	mode, VERP validity, queue id, scope, diagnostic. The table is
 *	aligned on a terminal and tab-separated otherwise. With --json, one
 *	JSON object: the keys of "dump --json", "domain_suppressions" and
 *	"events", an array of objects with the history's columns.
 * DIAGNOSTICS
 *	Exit 1 with a message when the store knows nothing about the
 *	address or its domain, 2 for a malformed address.
 *--*/
#include <string.h>

#include "admin.h"
#include "libbase.h"
#include "libmail.h"

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
	/* Shown only when set, so that ordinary records read as before. */
	if (a->unverified_count != 0)
		printf("unverified: %u (bounces that may be forged; they "
		    "changed nothing)\n", a->unverified_count);
	if (a->unsuppressed != 0)
		printf("unsuppressed: %s\n", admin_time(a->unsuppressed, t,
		    sizeof(t)));
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

/* show_count_event - count one history event */
static int
show_count_event(const char *addr, const struct store_event *e, void *arg)
{
	(void)addr;
	(void)e;
	(*(size_t *)arg)++;
	return 0;
}

/* show_event_json - one history event as a JSON array element */
static int
show_event_json(const char *addr, const struct store_event *e, void *arg)
{
	struct buf *arr = arg;
	char	 when[BG_TIMESTR_SIZE];
	const char *v[] = {
		admin_time(e->time, when, sizeof(when)), e->type, e->reason,
		e->action, e->dsn_action, e->status, e->reply_code, e->mode,
		e->verp, e->queue_id, e->scope, e->diagnostic,
	};
	static const char *const keys[] = {
		"time", "type", "reason", "action", "dsn_action", "status",
		"reply_code", "mode", "verp", "queue_id", "scope", "diagnostic",
	};
	struct json o;

	(void)addr;
	if (arr->len > 1)
		buf_addch(arr, ',');
	json_begin(&o, arr);
	for (size_t i = 0; i < BG_ARRAY_SIZE(keys); i++)
		if (*v[i] == '\0')
			json_member_null(&o, keys[i]);
		else
			json_member_str(&o, keys[i], v[i]);
	json_end(&o);
	return 0;
}

/* show_domain_key - "@domain" of an address; false for "@domain" itself */
static bool
show_domain_key(const char *addr, char *key, size_t size)
{
	return addr[0] != '@' && snprintf(key, size, "@%s",
	    addr_domain(addr)) < (int)size;
}

/* show_text - the "name: value" lines and the history table */
static int
show_text(struct store *st, const char *addr, const struct store_addr *rec,
    const char *dkey, const struct store_addr *dom, time_t now)
{
	struct table t;
	size_t	 n = 0;
	int	 rc;

	if (rec != NULL)
		show_record(addr, rec, now);
	else
		printf("address: %s\nstate: unknown\n", addr);
	for (uint32_t i = 0; dom != NULL && i < dom->nsupp; i++)
		show_supp(dkey, &dom->supp[i], now);
	if (rec == NULL)
		return 0;
	printf("\n");
	if ((rc = store_foreach_event(st, addr, show_count_event, &n)) < 0)
		return admin_fail("show", "%s", store_error(st));
	if (n == 0) {
		printf("no events\n");
		return 0;
	}
	table_init(&t, SHOW_COLS, admin_tty(), stdout);
	table_row(&t, show_head);
	rc = store_foreach_event(st, addr, show_event, &t);
	table_flush(&t);
	return rc < 0 ? admin_fail("show", "%s", store_error(st)) : 0;
}

/* show_json - one JSON object: the record, the domain's suppressions, history */
static int
show_json(struct store *st, const char *addr, const struct store_addr *rec,
    const struct store_addr *dom, time_t now)
{
	static const struct store_addr none;
	struct buf out = BUF_INIT, arr = BUF_INIT;
	struct json j;
	int	 rc = 0;

	buf_addch(&arr, '[');
	if (rec != NULL)
		rc = store_foreach_event(st, addr, show_event_json, &arr);
	buf_addch(&arr, ']');
	json_begin(&j, &out);
	if (rec != NULL)
		row_json_members(&j, addr, rec, now);
	else {
		json_member_str(&j, "address", addr);
		json_member_str(&j, "state", "unknown");
	}
	row_json_supps(&j, "domain_suppressions", dom ? dom : &none, now);
	json_member_raw(&j, "events", arr.data);
	json_end(&j);
	if (rc >= 0)
		printf("%s\n", out.data);
	buf_free(&out);
	buf_free(&arr);
	return rc < 0 ? admin_fail("show", "%s", store_error(st)) : 0;
}

/* show_options - [--json] ADDRESS */
static int
show_options(int argc, char **argv, bool *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int	 ch, status = 0;

	optind = 0;
	while ((ch = admin_getopt("show", argc, argv, opts, &status)) >= 0)
		*json = true;
	if (ch == -2)
		return status;
	if (optind >= argc)
		return admin_usage("show", "no address given");
	if (optind + 1 < argc)
		return admin_usage("show", "too many arguments");
	return 0;
}

/* cmd_show - state and history of one address */
int
cmd_show(struct admin *a, int argc, char **argv)
{
	char	 addr[STORE_ADDR_MAX], dkey[STORE_ADDR_MAX];
	struct store_addr rec, dom;
	struct store *st;
	time_t	 now = time(NULL);
	bool	 json = false;
	int	 rc, drc = STORE_NOTFOUND;

	if ((rc = show_options(argc, argv, &json)) != 0 ||
	    (rc = admin_addr_arg("show", argv[optind], addr, sizeof(addr),
	    ADDR_DOMAIN_OK)) != 0)
		return rc;
	st = admin_store(a);
	if ((rc = store_get(st, addr, &rec)) < 0 ||
	    (show_domain_key(addr, dkey, sizeof(dkey)) &&
	    (drc = store_get(st, dkey, &dom)) < 0))
		return admin_fail("show", "%s", store_error(st));
	if (rc == STORE_NOTFOUND && drc == STORE_NOTFOUND)
		return admin_fail("show", "%s: not in the store", addr);
	if (json)
		return show_json(st, addr, rc == STORE_OK ? &rec : NULL,
		    drc == STORE_OK ? &dom : NULL, now);
	return show_text(st, addr, rc == STORE_OK ? &rec : NULL, dkey,
	    drc == STORE_OK ? &dom : NULL, now);
}
