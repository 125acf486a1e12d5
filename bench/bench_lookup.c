/*++
 * NAME
 *	bench_lookup 1
 * SUMMARY
 *	time suppression lookups in a large store
 * DESCRIPTION
 *	bench_lookup STORE_DIR CACHE_BYTES COUNT FORMAT LOOKUPS
 *
 *	Opens the store in STORE_DIR read-only, with CACHE_BYTES of Berkeley
 *	DB cache, as the milter opens it, and makes LOOKUPS calls of
 *	store_lookup(), the call the milter makes at RCPT TO. The addresses
 *	come from FORMAT with %u replaced by a pseudo-random number below
 *	2 * COUNT: the store is expected to hold the first COUNT of them
 *	(bounceguard import of the same FORMAT), so about half the lookups
 *	find a suppression and half find nothing, as for a list where most
 *	recipients are fine. A first pass of LOOKUPS / 10 warms the cache.
 *
 *	Prints one line: the median, 90th and 99th percentile of a single
 *	lookup in microseconds, the lookups per second of the whole pass,
 *	and how many were found suppressed.
 * DIAGNOSTICS
 *	Exit status 0, or 1 when the store cannot be opened or a lookup
 *	fails, or when no lookup found a suppression (a store that does not
 *	hold the addresses would make the figures meaningless).
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libbase.h"
#include "libstore.h"

/* lookup_now_us - a monotonic clock in microseconds */
static double
lookup_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* lookup_cmp - qsort comparison of doubles */
static int
lookup_cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* lookup_next - a xorshift pseudo-random number, the same on every run */
static unsigned long long
lookup_next(unsigned long long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* lookup_pass - N timed lookups; the latencies go into lat if not NULL */
static int
lookup_pass(struct store *st, const char *fmt, unsigned long count, size_t n,
    double *lat, size_t *found)
{
	unsigned long long seed = 88172645463325252ULL;
	struct store_verdict v;
	char	 addr[STORE_ADDR_MAX];
	time_t	 now = time(NULL);

	*found = 0;
	for (size_t i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), fmt,
		    (unsigned)(lookup_next(&seed) % (2 * count)));
		double	 t0 = lookup_now_us();

		if (store_lookup(st, addr, "example.com", now, &v) != STORE_OK) {
			fprintf(stderr, "bench_lookup: %s: %s\n", addr,
			    store_error(st));
			return -1;
		}
		if (lat != NULL)
			lat[i] = lookup_now_us() - t0;
		*found += v.suppressed;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct store_opts o = { 10, 0, 50, true, NULL };
	struct buf err = BUF_INIT;
	struct store *st;
	double	*lat, t0, total;
	size_t	 n, found;
	unsigned long count;

	if (argc != 6) {
		fprintf(stderr, "usage: bench_lookup STORE_DIR CACHE_BYTES "
		    "COUNT FORMAT LOOKUPS\n");
		return 2;
	}
	o.cache_size = atoll(argv[2]);
	count = strtoul(argv[3], NULL, 10);
	n = strtoul(argv[5], NULL, 10);
	if (count == 0 || n < 100)
		fatalx("bench_lookup: COUNT must be > 0 and LOOKUPS >= 100");
	if (store_open(&st, argv[1], &o, &err) != STORE_OK)
		fatalx("bench_lookup: %s", buf_cstr(&err));
	lat = xcalloc(n, sizeof(*lat));
	if (lookup_pass(st, argv[4], count, n / 10, NULL, &found) < 0)
		return 1;
	t0 = lookup_now_us();
	if (lookup_pass(st, argv[4], count, n, lat, &found) < 0)
		return 1;
	total = lookup_now_us() - t0;
	qsort(lat, n, sizeof(*lat), lookup_cmp);
	printf("lookup: %lu addresses: median %.1f us, p90 %.1f us, p99 %.1f "
	    "us, %.0f lookups/s (%zu of %zu found suppressed)\n", count,
	    lat[n / 2], lat[n * 9 / 10], lat[n * 99 / 100],
	    (double)n / (total / 1e6), found, n);
	free(lat);
	store_close(st);
	buf_free(&err);
	return found == 0;
}
