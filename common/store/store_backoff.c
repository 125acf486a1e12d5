/*++
 * NAME
 *	store_backoff 3
 * SUMMARY
 *	per-domain back-off records and the log follower's position
 * DESCRIPTION
 *	backoff.db maps a recipient domain (lower case, as the key) to its
 *	struct store_backoff. What the fields mean, and how a level rises
 *	and decays, is libbackoff's business; the store only reads and
 *	writes records.
 *
 *	store_backoff_batch() applies a function to the records of several
 *	domains and writes one meta.db value in the same transaction: the
 *	log follower saves its position with the signals of the lines
 *	before it, so that a crash or restart can neither lose those
 *	signals nor count them twice. It uses a non-synchronous commit
 *	(signals are cheap to lose on a power cut, and then the position
 *	is lost with them), retried on deadlock like store_update().
 *
 *	store_backoff_get() is the lookup socket's fast path: one point
 *	read, no transaction.
 * DIAGNOSTICS
 *	See store.h. A record that does not decode is reported as corrupt,
 *	naming its domain, and is never overwritten.
 *--*/
#include <errno.h>
#include <string.h>

#include "libbase.h"
#include "store_int.h"

/* store_backoff_read - read and decode one record */
static int
store_backoff_read(struct store *st, DB_TXN *txn, const char *domain,
    struct store_backoff *rec, u_int32_t flags)
{
	unsigned char data[STORE_RECORD_MAX];
	DBT	 k, v;
	int	 rc;

	memset(rec, 0, sizeof(*rec));
	if (strlen(domain) >= STORE_ADDR_MAX)
		return STORE_NOTFOUND;	/* no such domain can be mailed */
	store_dbt(&k, domain, strlen(domain));
	store_dbt_out(&v, data, sizeof(data));
	if ((rc = st->backoff->get(st->backoff, txn, &k, &v, flags)) != 0)
		return rc == DB_NOTFOUND ? STORE_NOTFOUND :
		    store_fail(st, rc, "read back-off of", domain);
	if (store_decode_backoff(data, v.size, rec) < 0)
		return store_fail(st, DB_VERIFY_BAD, "corrupt back-off record",
		    domain);
	return STORE_OK;
}

/* store_backoff_get - the back-off record of a domain */
int
store_backoff_get(struct store *st, const char *domain,
    struct store_backoff *rec)
{
	return store_backoff_read(st, NULL, domain, rec, 0);
}

/* store_backoff_write - write or delete one record */
static int
store_backoff_write(struct store *st, DB_TXN *txn, const char *domain,
    const struct store_backoff *rec, int what)
{
	struct buf b = BUF_INIT;
	DBT	 k, v;
	int	 rc;

	store_dbt(&k, domain, strlen(domain));
	if (what == STORE_DELETE) {
		rc = st->backoff->del(st->backoff, txn, &k, 0);
		if (rc == DB_NOTFOUND)
			rc = 0;
	} else {
		store_encode_backoff(rec, &b);
		store_dbt(&v, b.data, b.len);
		rc = st->backoff->put(st->backoff, txn, &k, &v, 0);
		buf_free(&b);
	}
	return rc ? store_fail(st, rc, "write back-off of", domain) : STORE_OK;
}

/* store_backoff_one - read, change and write one domain in a batch */
static int
store_backoff_one(struct store *st, DB_TXN *txn, const char *domain,
    store_backoff_fn fn, void *arg)
{
	struct store_backoff rec;
	int	 got, rc;

	if (strlen(domain) >= STORE_ADDR_MAX || domain[0] == '\0')
		return store_fail(st, EINVAL, "bad back-off domain", domain);
	if ((got = store_backoff_read(st, txn, domain, &rec, DB_RMW)) < 0)
		return got;
	rc = fn(domain, &rec, got == STORE_OK, arg);
	if (rc < 0)
		return rc;
	if (rc == STORE_NOCHANGE || (rc == STORE_DELETE && got != STORE_OK))
		return STORE_OK;
	return store_backoff_write(st, txn, domain, &rec, rc);
}

/* store_meta_put - one bookkeeping value, inside a transaction */
static int
store_meta_put(struct store *st, DB_TXN *txn, const char *key,
    const void *val, size_t len)
{
	DBT	 k, v;
	int	 rc;

	store_dbt(&k, key, strlen(key));
	store_dbt(&v, val, len);
	rc = st->meta->put(st->meta, txn, &k, &v, 0);
	return rc ? store_fail(st, rc, "write", key) : STORE_OK;
}

/* store_backoff_batch_once - one attempt at a whole batch */
static int
store_backoff_batch_once(struct store *st, size_t n,
    const char *const *domains, store_backoff_fn fn, void *const *args,
    const char *mkey, const void *mval, size_t mlen)
{
	DB_TXN	*txn;
	int	 rc = STORE_OK;

	if ((rc = store_txn_begin(st, &txn, STORE_NOSYNC)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n && rc == STORE_OK; i++)
		rc = store_backoff_one(st, txn, domains[i], fn, args[i]);
	if (rc == STORE_OK && mkey != NULL)
		rc = store_meta_put(st, txn, mkey, mval, mlen);
	if (rc != STORE_OK) {
		txn->abort(txn);
		return rc;
	}
	return store_txn_commit(st, txn);
}

/* store_backoff_batch - change several domains and one meta value at once */
int
store_backoff_batch(struct store *st, size_t n, const char *const *domains,
    store_backoff_fn fn, void *const *args, const char *mkey,
    const void *mval, size_t mlen)
{
	long long start = store_now_ms();
	int	 rc, attempt = 0;

	do {
		st->last_dbrc = 0;
		rc = store_backoff_batch_once(st, n, domains, fn, args, mkey,
		    mval, mlen);
	} while (store_retry(st, rc, attempt++, start));
	return rc;
}

/* store_foreach_backoff - every back-off record, in domain order */
int
store_foreach_backoff(struct store *st, store_backoff_fn fn, void *arg)
{
	unsigned char key[STORE_ADDR_MAX], data[STORE_RECORD_MAX];
	struct store_backoff rec;
	char	 domain[STORE_ADDR_MAX];
	DBC	*c;
	DBT	 k, v;
	int	 rc, stop = 0;

	if ((rc = st->backoff->cursor(st->backoff, NULL, &c,
	    DB_READ_COMMITTED)) != 0)
		return store_fail(st, rc, "cursor on", "backoff.db");
	store_dbt_out(&k, key, sizeof(key) - 1);
	store_dbt_out(&v, data, sizeof(data));
	while (stop == 0 && (rc = c->get(c, &k, &v, DB_NEXT)) == 0) {
		memcpy(domain, key, k.size);
		domain[k.size] = '\0';
		if (store_decode_backoff(data, v.size, &rec) < 0) {
			rc = DB_VERIFY_BAD;
			break;
		}
		stop = fn(domain, &rec, true, arg);
	}
	c->close(c);
	if (rc == DB_VERIFY_BAD)
		return store_fail(st, rc, "corrupt record in", "backoff.db");
	if (rc != 0 && rc != DB_NOTFOUND)
		return store_fail(st, rc, "read", "backoff.db");
	return stop < 0 ? stop : STORE_OK;
}

/* store_meta_get - one bookkeeping value; STORE_NOTFOUND when absent */
int
store_meta_get(struct store *st, const char *key, void *val, size_t cap,
    size_t *len)
{
	DBT	 k, v;
	int	 rc;

	store_dbt(&k, key, strlen(key));
	store_dbt_out(&v, val, cap);
	if ((rc = st->meta->get(st->meta, NULL, &k, &v, 0)) != 0)
		return rc == DB_NOTFOUND ? STORE_NOTFOUND :
		    store_fail(st, rc, "read", key);
	*len = v.size;
	return STORE_OK;
}
