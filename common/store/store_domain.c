/*++
 * NAME
 *	store_domain 3
 * SUMMARY
 *	per-domain, per-day counters
 * DESCRIPTION
 *	Keys are the recipient domain, a NUL and the day number, big-endian,
 *	so one domain's days are adjacent and in order. The milter counts
 *	sends in batches with cheap (non-synchronous) commits; bounces add
 *	to the same records inside their own durable transaction.
 *
 *	Complaints are also counted per sender domain (the domain whose
 *	mail was reported), in the same database under the key "@" sender
 *	domain (no domain can start with "@"), so that they are written in
 *	the bounce's transaction with no new database file. The "@" keys
 *	sort together; store_foreach_domain() skips them and
 *	store_foreach_sender() reads only them. A complaint whose sender
 *	domain is unknown is counted under "@" alone.
 * DIAGNOSTICS
 *	See store.h.
 *--*/
#include <string.h>

#include "libbase.h"
#include "pack.h"
#include "store_int.h"

/* store_domain_key - domain NUL day; 0 when the domain is too long */
size_t
store_domain_key(const char *domain, uint32_t day, unsigned char *key,
    size_t cap)
{
	size_t	 n = strlen(domain);

	if (n + 5 > cap)
		return 0;
	memcpy(key, domain, n + 1);
	pack_be32(key + n + 1, day);
	return n + 5;
}

/* store_domain_add_reason - count a reason among the day's top reasons */
void
store_domain_add_reason(struct store_domain_day *d, const char *reason,
    uint32_t n)
{
	uint32_t i;

	for (i = 0; i < d->nreasons; i++)
		if (strcmp(d->reasons[i].name, reason) == 0)
			break;
	if (i == d->nreasons) {
		if (d->nreasons == STORE_DOMAIN_REASONS)
			return;		/* rare: more distinct reasons a day */
		bg_strlcpy(d->reasons[i].name, reason,
		    sizeof(d->reasons[i].name));
		d->reasons[i].count = 0;
		d->nreasons++;
	}
	d->reasons[i].count += n;
}

/* store_domain_add - add a delta to a day's counters */
static void
store_domain_add(struct store_domain_day *d, const struct store_delta *delta,
    uint32_t sent)
{
	d->sent += sent;
	if (delta == NULL)
		return;
	d->bounced += delta->bounced ? 1 : 0;
	d->hard += delta->hard;
	d->soft += delta->soft;
	d->block += delta->block;
	d->complaint += delta->complaint;
	d->other += delta->other;
	d->unverified += delta->unverified;
	if (delta->reason != NULL && delta->reason[0] != '\0')
		store_domain_add_reason(d, delta->reason, 1);
}

/* store_domain_apply - read, add to and write one domain-day record */
int
store_domain_apply(struct store *st, DB_TXN *txn, const char *domain,
    uint32_t day, const struct store_delta *delta, uint32_t sent)
{
	unsigned char key[STORE_ADDR_MAX + 8], data[STORE_RECORD_MAX];
	struct store_domain_day d;
	struct buf b = BUF_INIT;
	size_t	 klen;
	DBT	 k, v;
	int	 rc;

	if ((klen = store_domain_key(domain, day, key, sizeof(key))) == 0)
		return STORE_OK;	/* no such domain can be mailed */
	store_dbt(&k, key, klen);
	store_dbt_out(&v, data, sizeof(data));
	rc = st->domain->get(st->domain, txn, &k, &v, DB_RMW);
	if (rc == DB_NOTFOUND)
		memset(&d, 0, sizeof(d));
	else if (rc != 0)
		return store_fail(st, rc, "read counters of", domain);
	else if (store_decode_domain(data, v.size, &d) < 0)
		return store_fail(st, DB_VERIFY_BAD, "corrupt counters of",
		    domain);
	store_domain_add(&d, delta, sent);
	store_encode_domain(&d, &b);
	store_dbt(&v, b.data, b.len);
	rc = st->domain->put(st->domain, txn, &k, &v, 0);
	buf_free(&b);
	return rc ? store_fail(st, rc, "write counters of", domain) : STORE_OK;
}

/* store_count_sent_once - one attempt at counting a batch of sends */
static int
store_count_sent_once(struct store *st, const char *const *domains, size_t n,
    uint32_t day)
{
	DB_TXN	*txn;
	int	 rc;

	if ((rc = store_txn_begin(st, &txn, STORE_NOSYNC)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if ((rc = store_domain_apply(st, txn, domains[i], day, NULL,
		    1)) != STORE_OK) {
			txn->abort(txn);
			return rc;
		}
	}
	return store_txn_commit(st, txn);
}

/* store_count_sent - count one send per listed domain (repeats allowed) */
int
store_count_sent(struct store *st, const char *const *domains, size_t n,
    uint32_t day)
{
	long long start = store_now_ms();
	int	 rc, attempt = 0;

	do {
		st->last_dbrc = 0;
		rc = store_count_sent_once(st, domains, n, day);
	} while (store_retry(st, rc, attempt++, start));
	return rc;
}

/* store_count_complaint - count a complaint for its sender domain */
int
store_count_complaint(struct store *st, DB_TXN *txn, const char *sender,
    uint32_t day)
{
	static const struct store_delta one = { .complaint = 1 };
	char	 key[STORE_SCOPE_MAX + 1];

	key[0] = '@';
	if (bg_strlcpy(key + 1, sender, sizeof(key) - 1) >= sizeof(key) - 1)
		return STORE_OK;	/* cannot be a domain */
	return store_domain_apply(st, txn, key, day, &one, 0);
}

/* store_domain_walk - domain-day records of one kind, from a day on */
static int
store_domain_walk(struct store *st, uint32_t since, bool senders,
    store_domain_fn fn, void *arg)
{
	unsigned char key[STORE_ADDR_MAX + 8], data[STORE_RECORD_MAX];
	struct store_domain_day d;
	DBC	*c;
	DBT	 k, v;
	int	 rc, stop = 0;
	u_int32_t how = senders ? DB_SET_RANGE : DB_NEXT;

	if ((rc = st->domain->cursor(st->domain, NULL, &c,
	    DB_READ_COMMITTED)) != 0)
		return store_fail(st, rc, "cursor on", "domains.db");
	store_dbt_out(&k, key, sizeof(key));
	store_dbt_out(&v, data, sizeof(data));
	key[0] = '@';
	k.size = 1;	/* DB_SET_RANGE: the first key from "@" on */
	while (stop == 0 && (rc = c->get(c, &k, &v, how)) == 0) {
		size_t	 dlen = strnlen((char *)key, k.size);
		uint32_t day;

		how = DB_NEXT;
		if (dlen + 5 != k.size || store_decode_domain(data, v.size,
		    &d) < 0) {
			rc = DB_VERIFY_BAD;
			break;
		}
		if ((key[0] == '@') != senders) {
			if (senders)
				break;	/* past the "@" keys */
			continue;
		}
		day = pack_get_be32(key + dlen + 1);
		if (day >= since)
			stop = fn((char *)key + senders, day, &d, arg);
	}
	c->close(c);
	if (rc == DB_VERIFY_BAD)
		return store_fail(st, rc, "corrupt record in", "domains.db");
	if (rc != 0 && rc != DB_NOTFOUND)
		return store_fail(st, rc, "read", "domains.db");
	return stop < 0 ? stop : STORE_OK;
}

/* store_foreach_domain - every recipient domain-day record from a day on */
int
store_foreach_domain(struct store *st, uint32_t since, store_domain_fn fn,
    void *arg)
{
	return store_domain_walk(st, since, false, fn, arg);
}

/* store_foreach_sender - every sender domain's complaints per day, from a
   day on ("" for complaints whose sender domain was not found) */
int
store_foreach_sender(struct store *st, uint32_t since, store_domain_fn fn,
    void *arg)
{
	return store_domain_walk(st, since, true, fn, arg);
}
