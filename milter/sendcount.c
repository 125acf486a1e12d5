/*++
 * NAME
 *	sendcount 3
 * SUMMARY
 *	per-domain send counters, batched
 * DESCRIPTION
 *	The milter counts one send per recipient domain per day. A callback
 *	only appends the domain to a list in memory; a thread writes the
 *	list to the store in one cheap (non-synchronous) transaction every
 *	second, or sooner when it grows long, and once more at shutdown.
 *	The counters are statistics: a batch the store refuses is logged
 *	and dropped rather than allowed to grow without bound.
 * DIAGNOSTICS
 *	A warning with the store's reason when a batch is dropped.
 *--*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "libbase.h"
#include "milter.h"

#define SENDCOUNT_BATCH		1024	/* flush at once beyond this */
#define SENDCOUNT_MAX		100000	/* drop beyond this (store stuck) */
#define SENDCOUNT_PERIOD_MS	1000

struct sc_entry {
	char	*domain;
	uint32_t day;
};

static pthread_mutex_t sc_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sc_cond = PTHREAD_COND_INITIALIZER;
static struct sc_entry *sc_v;
static size_t sc_n, sc_cap;
static bool sc_stop, sc_running;
static pthread_t sc_thread;

/* sendcount_add - count one send to a domain today */
void
sendcount_add(const char *domain)
{
	struct sc_entry *v;
	char	*d;

	if ((d = strdup(domain)) == NULL)
		return;
	pthread_mutex_lock(&sc_mtx);
	if (sc_n == sc_cap && sc_cap < SENDCOUNT_MAX) {
		size_t	 cap = sc_cap ? sc_cap * 2 : 256;

		if ((v = realloc(sc_v, cap * sizeof(*v))) != NULL) {
			sc_v = v;
			sc_cap = cap;
		}
	}
	if (sc_n < sc_cap) {
		sc_v[sc_n].domain = d;
		sc_v[sc_n++].day = bg_day(time(NULL));
		d = NULL;
		if (sc_n >= SENDCOUNT_BATCH)
			pthread_cond_signal(&sc_cond);
	}
	pthread_mutex_unlock(&sc_mtx);
	free(d);
}

/* sendcount_write - write a batch, one transaction per day it spans */
static void
sendcount_write(struct sc_entry *v, size_t n)
{
	char	 err[MILTER_ERR_MAX];
	const char **names = xcalloc(n ? n : 1, sizeof(*names));
	size_t	 i = 0, j, k;

	while (i < n) {
		for (j = i, k = 0; j < n && v[j].day == v[i].day; j++)
			names[k++] = v[j].domain;
		if (mstore_count_sent(names, k, v[i].day, err,
		    sizeof(err)) < 0)
			log_warnx("send counters: %zu sends not counted: %s",
			    k, err);
		i = j;
	}
	for (i = 0; i < n; i++)
		free(v[i].domain);
	free(names);
	free(v);
}

/* sendcount_take - the pending list, emptied */
static struct sc_entry *
sendcount_take(size_t *n)
{
	struct sc_entry *v = sc_v;

	*n = sc_n;
	sc_v = NULL;
	sc_n = sc_cap = 0;
	return v;
}

/* sendcount_main - the flushing thread */
static void *
sendcount_main(void *arg)
{
	struct sc_entry *v;
	struct timespec ts;
	size_t	 n;
	bool	 stop;

	(void)arg;
	do {
		pthread_mutex_lock(&sc_mtx);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += SENDCOUNT_PERIOD_MS / 1000;
		while (!sc_stop && sc_n < SENDCOUNT_BATCH &&
		    pthread_cond_timedwait(&sc_cond, &sc_mtx, &ts) == 0)
			;
		stop = sc_stop;
		v = sendcount_take(&n);
		pthread_mutex_unlock(&sc_mtx);
		if (n > 0)
			sendcount_write(v, n);
		else
			free(v);
	} while (!stop);
	return NULL;
}

/* sendcount_start - start the flushing thread */
void
sendcount_start(void)
{
	if (pthread_create(&sc_thread, NULL, sendcount_main, NULL) != 0)
		fatalx("cannot start the send-counter thread");
	sc_running = true;
}

/* sendcount_stop - write what is pending and stop the thread */
void
sendcount_stop(void)
{
	struct sc_entry *v;
	size_t	 n;

	if (!sc_running)
		return;
	pthread_mutex_lock(&sc_mtx);
	sc_stop = true;
	pthread_cond_signal(&sc_cond);
	pthread_mutex_unlock(&sc_mtx);
	pthread_join(sc_thread, NULL);
	sc_running = false;
	pthread_mutex_lock(&sc_mtx);
	v = sendcount_take(&n);		/* added while stopping: too late */
	pthread_mutex_unlock(&sc_mtx);
	for (size_t i = 0; i < n; i++)
		free(v[i].domain);
	free(v);
}
