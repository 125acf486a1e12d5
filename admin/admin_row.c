/*++
 * NAME
 *	admin_row 3
 * SUMMARY
 *	the columns of "bounceguard dump" and "bounceguard export"
 * DESCRIPTION
 *	One row describes an address and one of its suppressions:
 *
 *	address state reason scope source since expires hard soft block
 *	complaint first_bounce last_bounce last_reason last_status
 *	last_diagnostic
 *
 *	reason, scope, source, since and expires describe the suppression
 *	(all empty when there is none; an empty scope with a source means
 *	every sender); times are ISO 8601 UTC, empty when unset; expires is
 *	empty for a suppression that lasts until lifted. "dump" prints one
 *	row per address with its primary suppression (row_primary()),
 *	"export" one row per suppression, so that "import" restores every
 *	one of them, with four more columns that make the copy exact: other
 *	(delays and auto-replies), last_reply_code, last_mode, and
 *	recent_soft (the times of the soft bounces in the current window,
 *	comma-separated). row_json() is the --json form of a whole record,
 *	which also gives "unverified" (bounces that may be forged, which
 *	changed nothing) and "unsuppressed" (the last unsuppress, or null);
 *	the rows do not carry them.
 *--*/
#include <string.h>
#include <strings.h>

#include "admin.h"
#include "libbase.h"

const char *const row_names[ROW_NCOLS] = {
	"address", "state", "reason", "scope", "source", "since", "expires",
	"hard", "soft", "block", "complaint", "first_bounce", "last_bounce",
	"last_reason", "last_status", "last_diagnostic", "other",
	"last_reply_code", "last_mode", "recent_soft",
};

/* row_column - the column with a header name, or -1 */
int
row_column(const char *name)
{
	for (int i = 0; i < ROW_NCOLS; i++)
		if (strcasecmp(row_names[i], name) == 0)
			return i;
	if (strcasecmp(name, "email") == 0 ||
	    strcasecmp(name, "recipient") == 0)
		return ROW_ADDRESS;
	if (strcasecmp(name, "date") == 0)
		return ROW_SINCE;
	return -1;
}

/* row_primary - the suppression dump shows: active global, active, any */
const struct store_supp *
row_primary(const struct store_addr *a, time_t now)
{
	const struct store_supp *best = NULL;

	for (uint32_t i = 0; i < a->nsupp; i++) {
		const struct store_supp *s = &a->supp[i];

		if (store_supp_active(s, now) && s->scope[0] == '\0')
			return s;
		if (best == NULL || (store_supp_active(s, now) &&
		    !store_supp_active(best, now)))
			best = s;
	}
	return best;
}

/* row_num - a counter as text */
static const char *
row_num(char *buf, size_t size, uint32_t n)
{
	snprintf(buf, size, "%u", n);
	return buf;
}

/* row_soft - the recent soft bounce times, comma-separated */
static const char *
row_soft(const struct store_addr *a, char *buf, size_t size)
{
	char	 t[BG_TIMESTR_SIZE];
	size_t	 len = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < a->nsoft && i < STORE_MAX_SOFT; i++) {
		admin_time(a->soft_times[i], t, sizeof(t));
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0,
		    "%s%s", i ? "," : "", t);
	}
	return buf;
}

/* row_fill - the columns of an address with one suppression (or NULL) */
void
row_fill(struct row *r, const char *addr, const struct store_addr *a,
    const struct store_supp *s, time_t now)
{
	r->v[ROW_ADDRESS] = addr;
	r->v[ROW_STATE] = store_addr_state(a, now);
	r->v[ROW_REASON] = s ? s->reason : "";
	r->v[ROW_SCOPE] = s ? s->scope : "";
	r->v[ROW_SOURCE] = s ? s->source : "";
	r->v[ROW_SINCE] = s ? admin_time(s->since, r->time[0],
	    sizeof(r->time[0])) : "";
	r->v[ROW_EXPIRES] = s ? admin_time(s->expires, r->time[1],
	    sizeof(r->time[1])) : "";
	r->v[ROW_HARD] = row_num(r->num[0], sizeof(r->num[0]), a->hard_count);
	r->v[ROW_SOFT] = row_num(r->num[1], sizeof(r->num[1]), a->soft_count);
	r->v[ROW_BLOCK] = row_num(r->num[2], sizeof(r->num[2]),
	    a->block_count);
	r->v[ROW_COMPLAINT] = row_num(r->num[3], sizeof(r->num[3]),
	    a->complaint_count);
	r->v[ROW_FIRST_BOUNCE] = admin_time(a->first_bounce, r->time[2],
	    sizeof(r->time[2]));
	r->v[ROW_LAST_BOUNCE] = admin_time(a->last_bounce, r->time[3],
	    sizeof(r->time[3]));
	r->v[ROW_LAST_REASON] = a->last_reason;
	r->v[ROW_LAST_STATUS] = a->last_status;
	r->v[ROW_LAST_DIAGNOSTIC] = a->last_diagnostic;
	r->v[ROW_OTHER] = row_num(r->num[4], sizeof(r->num[4]), a->other_count);
	r->v[ROW_LAST_REPLY_CODE] = a->last_reply_code;
	r->v[ROW_LAST_MODE] = a->last_mode;
	r->v[ROW_RECENT_SOFT] = row_soft(a, r->soft, sizeof(r->soft));
}

/* row_json_str - a string member, null when empty */
static void
row_json_str(struct json *j, const char *key, const char *v)
{
	if (v == NULL || *v == '\0')
		json_member_null(j, key);
	else
		json_member_str(j, key, v);
}

/* row_json_supps - an array of suppressions, under a key */
void
row_json_supps(struct json *j, const char *key, const struct store_addr *a,
    time_t now)
{
	struct buf arr = BUF_INIT;
	char	 t[BG_TIMESTR_SIZE];

	buf_addch(&arr, '[');
	for (uint32_t i = 0; i < a->nsupp; i++) {
		const struct store_supp *s = &a->supp[i];
		struct json o;

		if (i > 0)
			buf_addch(&arr, ',');
		json_begin(&o, &arr);
		json_member_str(&o, "scope", s->scope);
		row_json_str(&o, "reason", s->reason);
		row_json_str(&o, "source", s->source);
		row_json_str(&o, "since", admin_time(s->since, t, sizeof(t)));
		row_json_str(&o, "expires", admin_time(s->expires, t,
		    sizeof(t)));
		json_member_bool(&o, "active", store_supp_active(s, now));
		json_end(&o);
	}
	buf_addch(&arr, ']');
	json_member_raw(j, key, arr.data);
	buf_free(&arr);
}

/* row_json_members - the members describing an address */
void
row_json_members(struct json *j, const char *addr, const struct store_addr *a,
    time_t now)
{
	const struct store_supp *s = row_primary(a, now);
	struct row r;

	row_fill(&r, addr, a, s, now);
	for (int i = 0; i < ROW_RECENT_SOFT; i++) {
		if ((i >= ROW_HARD && i <= ROW_COMPLAINT) || i == ROW_OTHER)
			json_member_raw(j, row_names[i], r.v[i]);
		else if (i == ROW_ADDRESS || i == ROW_STATE ||
		    (i == ROW_SCOPE && s != NULL))
			json_member_str(j, row_names[i], r.v[i]);
		else
			row_json_str(j, row_names[i], r.v[i]);
	}
	row_json_supps(j, "suppressions", a, now);
	json_member_raw(j, "unverified", row_num(r.num[0], sizeof(r.num[0]),
	    a->unverified_count));
	row_json_str(j, "unsuppressed", admin_time(a->unsuppressed, r.time[0],
	    sizeof(r.time[0])));
}

/* row_json - one JSON object for an address, without a newline */
void
row_json(struct buf *b, const char *addr, const struct store_addr *a,
    time_t now)
{
	struct json j;

	json_begin(&j, b);
	row_json_members(&j, addr, a, now);
	json_end(&j);
}
