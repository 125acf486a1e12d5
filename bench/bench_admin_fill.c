/*++
 * NAME
 *	bench_admin_fill 1
 * SUMMARY
 *	fill a store with domain counters and history for "make bench"
 * DESCRIPTION
 *	bench_admin_fill STORE_DIR NDOMAINS NDAYS ADDRESS NEVENTS
 *
 *	Writes NDOMAINS x NDAYS per-day domain records (sent, bounced,
 *	hard, soft, block, complaint and a few reasons), as the milter and
 *	the pipe would have accumulated them, and NEVENTS history events
 *	for ADDRESS, so that "bounceguard stats" and "bounceguard show"
 *	are measured on realistic data. Run as root, it first becomes the
 *	user named by BG_BENCH_USER, the store's owner. The addresses themselves come from
 *	"bounceguard import", which the benchmark also times.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "libbase.h"
#include "libstore.h"
#include "store_int.h"

/* fill_day - one domain's counters for one day */
static int
fill_day(struct store *st, DB_TXN *txn, const char *domain, uint32_t day,
    unsigned seed)
{
	static const char *const reasons[] = { "userunknown", "mailboxfull",
	    "hostunknown", "blocked", "expired" };
	unsigned char key[STORE_ADDR_MAX + 8];
	struct store_domain_day d;
	struct buf b = BUF_INIT;
	size_t	 klen = store_domain_key(domain, day, key, sizeof(key));
	DBT	 k, v;
	int	 rc;

	memset(&d, 0, sizeof(d));
	d.sent = 1000 + seed % 500;
	d.hard = seed % 13;
	d.soft = seed % 7;
	d.block = seed % 3;
	d.complaint = seed % 2;
	d.bounced = d.hard + d.soft + d.block + d.complaint;
	for (size_t i = 0; i < BG_ARRAY_SIZE(reasons); i++)
		store_domain_add_reason(&d, reasons[(seed + i) % 5],
		    (uint32_t)(1 + (seed >> i) % 9));
	store_encode_domain(&d, &b);
	store_dbt(&k, key, klen);
	store_dbt(&v, b.data, b.len);
	rc = st->domain->put(st->domain, txn, &k, &v, 0);
	buf_free(&b);
	return rc;
}

/* fill_event - update function: one soft bounce with an event */
static int
fill_event(struct store_addr *a, bool existed, struct store_event *ev,
    struct store_delta *d, void *arg)
{
	(void)existed;
	(void)d;
	(void)arg;
	a->soft_count++;
	a->last_bounce = ev->time = time(NULL);
	bg_strlcpy(ev->type, "soft", sizeof(ev->type));
	bg_strlcpy(ev->reason, "mailboxfull", sizeof(ev->reason));
	bg_strlcpy(ev->status, "4.2.2", sizeof(ev->status));
	bg_strlcpy(ev->diagnostic, "552 4.2.2 Mailbox full",
	    sizeof(ev->diagnostic));
	return 0;
}

int
main(int argc, char **argv)
{
	struct store_opts o = { 10, 64 << 20, 50, false, NULL };
	struct buf err = BUF_INIT;
	struct store *st;
	uint32_t today = bg_day(time(NULL));
	char	 domain[64];
	int	 ndom, ndays, nev;
	DB_TXN	*txn;

	log_init("bench_admin_fill", LOG_TO_STDERR);
	if (argc != 6)
		fatalx("usage: bench_admin_fill DIR NDOMAINS NDAYS ADDRESS "
		    "NEVENTS");
	if (geteuid() == 0 && getenv("BG_BENCH_USER") != NULL &&
	    privs_drop(getenv("BG_BENCH_USER"), &err) < 0)
		fatalx("%s", buf_cstr(&err));
	ndom = atoi(argv[2]), ndays = atoi(argv[3]), nev = atoi(argv[5]);
	o.event_history_max = (unsigned)nev;
	if (store_open(&st, argv[1], &o, &err) != STORE_OK)
		fatalx("%s", buf_cstr(&err));
	for (int day = 0; day < ndays; day++) {
		if (store_txn_begin(st, &txn, STORE_NOSYNC) != STORE_OK)
			fatalx("%s", store_error(st));
		for (int i = 0; i < ndom; i++) {
			snprintf(domain, sizeof(domain), "domain%d.example", i);
			if (fill_day(st, txn, domain, today - (uint32_t)day,
			    (unsigned)(i * 31 + day)) != 0)
				fatalx("cannot write domain counters");
		}
		if (store_txn_commit(st, txn) != STORE_OK)
			fatalx("%s", store_error(st));
	}
	for (int i = 0; i < nev; i++)
		if (store_update(st, argv[4], NULL, fill_event, NULL,
		    STORE_NOSYNC) != STORE_OK)
			fatalx("%s", store_error(st));
	store_sync(st);
	store_close(st);
	buf_free(&err);
	return 0;
}
