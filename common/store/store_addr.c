/*++
 * NAME
 *	store_addr 3
 * SUMMARY
 *	address records, their history, and suppression lookups
 * DESCRIPTION
 *	store_update() is the read-modify-write transaction described in
 *	store.h. store_lookup() is the milter's fast path: two point reads
 *	(the address and its "@domain"), no transaction, no write.
 *
 *	History keys are the address, a NUL, and the recording time in
 *	microseconds, big-endian, so one address's events are adjacent and
 *	in time order; the oldest are pruned beyond event_history_max.
 * DIAGNOSTICS
 *	See store.h. A record that does not decode is reported as corrupt,
 *	naming its key, and is never overwritten.
 *--*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "libbase.h"
#include "pack.h"
#include "store_int.h"

/* store_supp_active - the suppression applies at this time */
bool
store_supp_active(const struct store_supp *s, time_t now)
{
	return s->expires == 0 || s->expires > now;
}

/* store_addr_state - "suppressed", "expired" or "active" */
const char *
store_addr_state(const struct store_addr *a, time_t now)
{
	for (uint32_t i = 0; i < a->nsupp; i++)
		if (store_supp_active(&a->supp[i], now))
			return "suppressed";
	return a->nsupp > 0 ? "expired" : "active";
}

/* store_get_rec - read and decode an address record */
int
store_get_rec(struct store *st, DB_TXN *txn, const char *addr,
    struct store_addr *rec, u_int32_t flags)
{
	unsigned char data[STORE_RECORD_MAX];
	DBT	 k, v;
	int	 rc;

	store_dbt(&k, addr, strlen(addr));
	store_dbt_out(&v, data, sizeof(data));
	if ((rc = st->addr->get(st->addr, txn, &k, &v, flags)) != 0) {
		memset(rec, 0, sizeof(*rec));
		return rc == DB_NOTFOUND ? STORE_NOTFOUND :
		    store_fail(st, rc, "read", addr);
	}
	if (store_decode_addr(data, v.size, rec) < 0)
		return store_fail(st, DB_VERIFY_BAD, "corrupt record", addr);
	return STORE_OK;
}

/* store_get - read one address record */
int
store_get(struct store *st, const char *addr, struct store_addr *rec)
{
	return store_get_rec(st, NULL, addr, rec, 0);
}

/* store_put_rec - encode and write an address record */
int
store_put_rec(struct store *st, DB_TXN *txn, const char *addr,
    const struct store_addr *rec)
{
	struct buf b = BUF_INIT;
	DBT	 k, v;
	int	 rc;

	store_encode_addr(rec, &b);
	store_dbt(&k, addr, strlen(addr));
	store_dbt(&v, b.data, b.len);
	rc = st->addr->put(st->addr, txn, &k, &v, 0);
	buf_free(&b);
	return rc ? store_fail(st, rc, "write", addr) : STORE_OK;
}

/* store_event_key - address NUL microseconds */
static size_t
store_event_key(const char *addr, uint64_t us, unsigned char *key, size_t cap)
{
	size_t	 n = strlen(addr);

	if (n + 9 > cap)
		return 0;
	memcpy(key, addr, n + 1);
	pack_be64(key + n + 1, us);
	return n + 9;
}

/* store_seek_events - position a cursor at an address's first event */
static int
store_seek_events(DBC *c, const char *addr, unsigned char *key, size_t cap,
    DBT *k, DBT *v, unsigned char *data, u_int32_t flags)
{
	size_t	 plen = strlen(addr) + 1;

	memcpy(key, addr, plen);
	store_dbt_out(k, key, cap);
	k->size = (u_int32_t)plen;
	store_dbt_out(v, data, STORE_RECORD_MAX);
	return c->get(c, k, v, DB_SET_RANGE | flags);
}

/* store_is_event_of - the cursor's key belongs to the address */
static bool
store_is_event_of(const DBT *k, const char *addr)
{
	size_t	 plen = strlen(addr) + 1;

	return k->size > plen && memcmp(k->data, addr, plen) == 0;
}

/* store_prune_events - keep the newest max events of an address */
static int
store_prune_events(struct store *st, DB_TXN *txn, const char *addr,
    unsigned max)
{
	unsigned char key[STORE_ADDR_MAX + 16], data[STORE_RECORD_MAX];
	unsigned n = 0;
	DBC	*c;
	DBT	 k, v;
	int	 rc;

	if ((rc = st->event->cursor(st->event, txn, &c, 0)) != 0)
		return store_fail(st, rc, "cursor on events of", addr);
	for (rc = store_seek_events(c, addr, key, sizeof(key), &k, &v, data,
	    0); rc == 0 && store_is_event_of(&k, addr);
	    rc = c->get(c, &k, &v, DB_NEXT))
		n++;
	if (n > max && (rc == 0 || rc == DB_NOTFOUND))
		for (rc = store_seek_events(c, addr, key, sizeof(key), &k, &v,
		    data, DB_RMW); rc == 0 && n-- > max &&
		    store_is_event_of(&k, addr) && (rc = c->del(c, 0)) == 0;
		    rc = c->get(c, &k, &v, DB_NEXT | DB_RMW))
			;
	c->close(c);
	if (rc != 0 && rc != DB_NOTFOUND)
		return store_fail(st, rc, "prune events of", addr);
	return STORE_OK;
}

/* store_add_event - append one event to an address's history */
static int
store_add_event(struct store *st, DB_TXN *txn, const char *addr,
    const struct store_event *ev)
{
	unsigned char key[STORE_ADDR_MAX + 16];
	struct buf b = BUF_INIT;
	struct timeval tv;
	uint64_t us;
	size_t	 klen;
	DBT	 k, v;
	int	 rc;

	gettimeofday(&tv, NULL);
	us = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
	store_encode_event(ev, &b);
	store_dbt(&v, b.data, b.len);
	do {
		if ((klen = store_event_key(addr, us++, key, sizeof(key))) == 0) {
			buf_free(&b);
			return store_fail(st, EINVAL, "address too long", addr);
		}
		store_dbt(&k, key, klen);
		rc = st->event->put(st->event, txn, &k, &v, DB_NOOVERWRITE);
	} while (rc == DB_KEYEXIST);
	buf_free(&b);
	if (rc != 0)
		return store_fail(st, rc, "write event of", addr);
	return store_prune_events(st, txn, addr, st->opts.event_history_max);
}

/* store_claim_dedupe - mark a change as done; DUPLICATE if it was */
static int
store_claim_dedupe(struct store *st, DB_TXN *txn, const char *dedupe)
{
	unsigned char when[8];
	DBT	 k, v;
	int	 rc;

	pack_be64(when, (uint64_t)time(NULL));
	store_dbt(&k, dedupe, strlen(dedupe));
	store_dbt(&v, when, sizeof(when));
	rc = st->seen->put(st->seen, txn, &k, &v, DB_NOOVERWRITE);
	if (rc == DB_KEYEXIST)
		return STORE_DUPLICATE;
	return rc ? store_fail(st, rc, "write", dedupe) : STORE_OK;
}

/* store_domain_of - the domain part of an address or "@domain" key */
static const char *
store_domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : addr;
}

struct store_change {
	const char *addr;
	const char *dedupe;
	store_update_fn fn;
	void	*arg;
	unsigned flags;
};

/* store_write_change - everything an update writes, inside its txn */
static int
store_write_change(struct store *st, DB_TXN *txn, const struct store_change *c,
    struct store_addr *rec, struct store_event *ev, struct store_delta *d)
{
	uint32_t day;
	int	 rc;

	rec->updated = time(NULL);
	if ((rc = store_put_rec(st, txn, c->addr, rec)) != STORE_OK)
		return rc;
	if (!(c->flags & STORE_NOEVENT) && ev->time != 0 &&
	    (rc = store_add_event(st, txn, c->addr, ev)) != STORE_OK)
		return rc;
	day = bg_day(ev->time ? ev->time : time(NULL));
	/* The complaint's scope is the sender domain it is about. */
	if (d->complaint &&
	    (rc = store_count_complaint(st, txn, ev->scope, day)) != STORE_OK)
		return rc;
	if (d->bounced || d->hard || d->soft || d->block || d->complaint ||
	    d->other || d->unverified)
		return store_domain_apply(st, txn, store_domain_of(c->addr),
		    day, d, 0);
	return STORE_OK;
}

/* store_update_once - one attempt at the read-modify-write transaction */
static int
store_update_once(struct store *st, const struct store_change *c)
{
	struct store_addr rec;
	struct store_event ev;
	struct store_delta d;
	DB_TXN	*txn;
	int	 rc, got;

	if ((rc = store_txn_begin(st, &txn, c->flags)) != STORE_OK)
		return rc;
	if (c->dedupe != NULL &&
	    (rc = store_claim_dedupe(st, txn, c->dedupe)) != STORE_OK)
		goto abort;
	got = store_get_rec(st, txn, c->addr, &rec, DB_RMW);
	if (got < 0) {
		rc = got;
		goto abort;
	}
	memset(&ev, 0, sizeof(ev));
	memset(&d, 0, sizeof(d));
	rc = c->fn(&rec, got == STORE_OK, &ev, &d, c->arg);
	if (rc != 0)
		goto abort;
	if ((rc = store_write_change(st, txn, c, &rec, &ev, &d)) != STORE_OK)
		goto abort;
	return store_txn_commit(st, txn);
abort:
	txn->abort(txn);
	return rc == STORE_NOCHANGE ? STORE_OK : rc;
}

/* store_update - change an address atomically, retrying on deadlock */
int
store_update(struct store *st, const char *addr, const char *dedupe,
    store_update_fn fn, void *arg, unsigned flags)
{
	struct store_change c = { addr, dedupe, fn, arg, flags };
	long long start = store_now_ms();
	int	 rc, attempt = 0;

	if (strlen(addr) >= STORE_ADDR_MAX)
		return store_fail(st, EINVAL, "address too long", addr);
	do {
		st->last_dbrc = 0;
		rc = store_update_once(st, &c);
	} while (store_retry(st, rc, attempt++, start));
	return rc;
}

/* store_match - the first active suppression of a record for a scope */
static const struct store_supp *
store_match(const struct store_addr *rec, const char *scope, time_t now)
{
	for (uint32_t i = 0; i < rec->nsupp; i++) {
		const struct store_supp *s = &rec->supp[i];

		if (!store_supp_active(s, now))
			continue;
		if (s->scope[0] == '\0' ||
		    (scope != NULL && strcasecmp(s->scope, scope) == 0))
			return s;
	}
	return NULL;
}

/* store_lookup - is an address suppressed for a sender domain? */
int
store_lookup(struct store *st, const char *addr, const char *scope,
    time_t now, struct store_verdict *v)
{
	char	 key[STORE_ADDR_MAX];
	const struct store_supp *s;
	struct store_addr rec;
	const char *keys[2];
	int	 rc;

	memset(v, 0, sizeof(*v));
	if (snprintf(key, sizeof(key), "@%s", store_domain_of(addr)) >=
	    (int)sizeof(key))
		return STORE_OK;
	keys[0] = addr;
	keys[1] = key;
	for (size_t i = 0; i < 2; i++) {
		if ((rc = store_get_rec(st, NULL, keys[i], &rec, 0)) < 0)
			return rc;
		if (rc == STORE_OK && (s = store_match(&rec, scope, now))) {
			v->suppressed = true;
			v->supp = *s;
			bg_strlcpy(v->key, keys[i], sizeof(v->key));
			return STORE_OK;
		}
	}
	return STORE_OK;
}

/* store_foreach_addr - every address record, in key order */
int
store_foreach_addr(struct store *st, store_addr_fn fn, void *arg)
{
	unsigned char data[STORE_RECORD_MAX];
	char	 key[STORE_ADDR_MAX];
	struct store_addr rec;
	DBC	*c;
	DBT	 k, v;
	int	 rc, stop = 0;

	if ((rc = st->addr->cursor(st->addr, NULL, &c, DB_READ_COMMITTED)) != 0)
		return store_fail(st, rc, "cursor on", "addresses.db");
	store_dbt_out(&k, key, sizeof(key) - 1);
	store_dbt_out(&v, data, sizeof(data));
	while (stop == 0 && (rc = c->get(c, &k, &v, DB_NEXT)) == 0) {
		key[k.size] = '\0';
		if (store_decode_addr(data, v.size, &rec) < 0) {
			rc = DB_VERIFY_BAD;
			break;
		}
		stop = fn(key, &rec, arg);
	}
	c->close(c);
	if (rc == DB_VERIFY_BAD)
		return store_fail(st, rc, "corrupt record", key);
	if (rc != 0 && rc != DB_NOTFOUND)
		return store_fail(st, rc, "read", "addresses.db");
	return stop < 0 ? stop : STORE_OK;
}

/* store_foreach_event - one address's history, oldest first */
int
store_foreach_event(struct store *st, const char *addr, store_event_fn fn,
    void *arg)
{
	unsigned char key[STORE_ADDR_MAX + 16], data[STORE_RECORD_MAX];
	struct store_event ev;
	DBC	*c;
	DBT	 k, v;
	int	 rc, stop = 0;

	if (strlen(addr) >= STORE_ADDR_MAX)
		return STORE_NOTFOUND;
	if ((rc = st->event->cursor(st->event, NULL, &c, DB_READ_COMMITTED)) != 0)
		return store_fail(st, rc, "cursor on", "events.db");
	for (rc = store_seek_events(c, addr, key, sizeof(key), &k, &v, data, 0);
	    rc == 0 && stop == 0 && store_is_event_of(&k, addr);
	    rc = c->get(c, &k, &v, DB_NEXT)) {
		if (store_decode_event(data, v.size, &ev) < 0) {
			rc = DB_VERIFY_BAD;
			break;
		}
		stop = fn(addr, &ev, arg);
	}
	c->close(c);
	if (rc == DB_VERIFY_BAD)
		return store_fail(st, rc, "corrupt event of", addr);
	if (rc != 0 && rc != DB_NOTFOUND)
		return store_fail(st, rc, "read events of", addr);
	return stop < 0 ? stop : STORE_OK;
}
