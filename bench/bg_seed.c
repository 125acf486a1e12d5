/*++
 * NAME
 *	bg_seed 1
 * SUMMARY
 *	put suppressions into a store and read back what the milter wrote
 * DESCRIPTION
 *	bg_seed -c FILE suppress ADDRESS [REASON [SCOPE]]
 *	bg_seed -c FILE seed COUNT FORMAT
 *	bg_seed -c FILE decode VERP-ADDRESS
 *	bg_seed -c FILE encode ADDRESS UNIX-TIME
 *	bg_seed -c FILE token TOKEN
 *	bg_seed -c FILE sent DOMAIN
 *	bg_seed -c FILE count-sent DOMAIN COUNT
 *	bg_seed -c FILE bounce ADDRESS REASON [ACTION [SCOPE [COUNT]]]
 *	bg_seed -c FILE hold ADDRESS
 *
 *	A helper for the milter's tests and benchmark, using the store and
 *	the VERP codec of the configuration FILE through libbg.
 *
 *	suppress adds one suppression (scope "" is global) with a durable
 *	commit. seed adds COUNT suppressed addresses made from FORMAT with
 *	%u replaced by 0 .. COUNT-1, with cheap commits and no history, as
 *	fast as the store allows. decode prints "valid ADDRESS" or "valid
 *	token TOKEN", or the reason a VERP address is refused, and exits 1
 *	for anything but valid. encode prints the VERP address of ADDRESS
 *	as if stamped at UNIX-TIME (tests of expired stamps). token prints the recipients of a token,
 *	one per line. sent prints today's sent counter of a domain.
 *	count-sent counts COUNT sends to DOMAIN today, as the milter does.
 *	bounce records COUNT (default 1) bounces of REASON for ADDRESS
 *	through the real policy, as the pipe does: ACTION is the DSN
 *	action (default "failed"; "delayed" makes a delay notice), SCOPE
 *	the sender domain of a complaint (REASON "feedback"). hold
 *	starts an update of ADDRESS and sleeps inside its transaction, for
 *	a test to kill it there with SIGKILL.
 * DIAGNOSTICS
 *	Exit status 0 on success, 1 on failure, 2 for bad usage.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libbase.h"
#include "libconf.h"
#include "libpolicy.h"
#include "libstore.h"
#include "libverp.h"

struct seed_supp {
	const char *reason;
	const char *scope;
};

/* seed_update - an update function: add one suppression */
static int
seed_update(struct store_addr *a, bool existed, struct store_event *ev,
    struct store_delta *d, void *arg)
{
	const struct seed_supp *s = arg;
	struct store_supp *p;

	(void)existed;
	(void)d;
	if (a->nsupp == STORE_MAX_SUPP)
		return STORE_NOCHANGE;
	p = &a->supp[a->nsupp++];
	memset(p, 0, sizeof(*p));
	bg_strlcpy(p->reason, s->reason, sizeof(p->reason));
	bg_strlcpy(p->scope, s->scope, sizeof(p->scope));
	bg_strlcpy(p->source, "manual", sizeof(p->source));
	p->since = time(NULL);
	ev->time = 0;
	return 0;
}

/* seed_hold - an update function that never returns by itself */
static int
seed_hold(struct store_addr *a, bool existed, struct store_event *ev,
    struct store_delta *d, void *arg)
{
	(void)a;
	(void)existed;
	(void)ev;
	(void)d;
	(void)arg;
	printf("holding\n");
	fflush(stdout);
	sleep(600);
	return STORE_NOCHANGE;
}

/* seed_open - the store of the configuration */
static struct store *
seed_open(const struct config *cfg)
{
	struct store_opts o = { cfg->store_lock_timeout, cfg->store_cache_size,
	    (unsigned)cfg->event_history_max, false };
	struct buf err = BUF_INIT;
	struct store *st;

	if (store_open(&st, cfg->store_dir, &o, &err) != STORE_OK) {
		fprintf(stderr, "bg_seed: %s\n", buf_cstr(&err));
		exit(1);
	}
	buf_free(&err);
	return st;
}

/* seed_many - COUNT suppressed addresses from a format */
static int
seed_many(struct store *st, long n, const char *fmt)
{
	struct seed_supp s = { "userunknown", "" };
	char	 addr[STORE_ADDR_MAX];

	for (long i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), fmt, (unsigned)i);
		if (store_update(st, addr, NULL, seed_update, &s,
		    STORE_NOSYNC | STORE_NOEVENT) != STORE_OK) {
			fprintf(stderr, "bg_seed: %s\n", store_error(st));
			return 1;
		}
	}
	return store_checkpoint(st) == STORE_OK ? 0 : 1;
}

/* seed_decode - check a VERP address */
static int
seed_decode(const struct config *cfg, const char *addr)
{
	struct buf err = BUF_INIT;
	struct verp_keys *k = verp_keys_load(cfg->verp_secret_file, &err);
	struct verp_codec c = { cfg->verp_prefix, cfg->verp_domain, k,
	    cfg->verp_max_age };
	struct verp_decoded d;

	if (k == NULL) {
		fprintf(stderr, "bg_seed: %s", buf_cstr(&err));
		return 1;
	}
	buf_free(&err);
	verp_decode(&c, addr, time(NULL), &d);
	verp_keys_free(k);
	if (d.status != VERP_VALID) {
		printf("%s\n", verp_status_name(d.status));
		return 1;
	}
	if (d.is_token)
		printf("valid token %s\n", d.token);
	else
		printf("valid %s\n", d.recipient);
	return 0;
}

/* seed_encode - the VERP address of an address, stamped at a given time */
static int
seed_encode(const struct config *cfg, const char *addr, const char *when)
{
	struct buf err = BUF_INIT;
	struct verp_keys *k = verp_keys_load(cfg->verp_secret_file, &err);
	struct verp_codec c = { cfg->verp_prefix, cfg->verp_domain, k,
	    cfg->verp_max_age };
	char	 out[VERP_MAX];
	int	 rc;

	if (k == NULL) {
		fprintf(stderr, "bg_seed: %s", buf_cstr(&err));
		return 1;
	}
	buf_free(&err);
	rc = verp_encode(&c, addr, (time_t)atoll(when), out, sizeof(out));
	verp_keys_free(k);
	if (rc != VERP_OK) {
		fprintf(stderr, "bg_seed: cannot encode %s\n", addr);
		return 1;
	}
	printf("%s\n", out);
	return 0;
}

/* seed_token - the recipients of a token */
static int
seed_token(struct store *st, const char *token)
{
	struct buf out = BUF_INIT;
	uint32_t day;
	int	 rc = store_token_get(st, token, &day, &out);

	for (size_t i = 0; rc == STORE_OK && i < out.len;
	    i += strlen(out.data + i) + 1)
		printf("%s\n", out.data + i);
	if (rc != STORE_OK)
		fprintf(stderr, "bg_seed: token %s: %s\n", token,
		    rc == STORE_NOTFOUND ? "not found" : store_error(st));
	buf_free(&out);
	return rc == STORE_OK ? 0 : 1;
}

struct seed_sent {
	const char *domain;
	uint32_t day, sent;
};

/* seed_sent_fn - the counters of the wanted domain and day */
static int
seed_sent_fn(const char *domain, uint32_t day,
    const struct store_domain_day *d, void *arg)
{
	struct seed_sent *s = arg;

	if (day == s->day && strcmp(domain, s->domain) == 0)
		s->sent = d->sent;
	return 0;
}

/* seed_count_sent - COUNT sends to a domain today */
static int
seed_count_sent(struct store *st, const char *domain, long n)
{
	const char *const one[] = { domain };

	for (long i = 0; i < n; i++)
		if (store_count_sent(st, one, 1, bg_day(time(NULL))) !=
		    STORE_OK) {
			fprintf(stderr, "bg_seed: %s\n", store_error(st));
			return 1;
		}
	return 0;
}

/* seed_bounce - COUNT bounces of a reason through the policy */
static int
seed_bounce(struct store *st, const struct config *cfg, int argc,
    char **argv)
{
	int	 reason = reason_lookup(argv[5]);
	long	 n = argc > 8 ? atol(argv[8]) : 1;
	struct policy_input in;
	struct policy_result out;
	struct policy p = { cfg, &in, &out };

	if (reason < 0) {
		fprintf(stderr, "bg_seed: unknown reason %s\n", argv[5]);
		return 2;
	}
	memset(&in, 0, sizeof(in));
	in.reason = (enum reason)reason;
	in.hard = true;
	in.dsn_action = argc > 6 ? argv[6] : "failed";
	in.scope = argc > 7 ? argv[7] : NULL;
	in.verp = "valid";
	for (long i = 0; i < n; i++) {
		in.now = time(NULL);
		if (store_update(st, argv[4], NULL, policy_apply, &p, 0) !=
		    STORE_OK) {
			fprintf(stderr, "bg_seed: %s\n", store_error(st));
			return 1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct buf err = BUF_INIT;
	struct config *cfg;
	struct store *st;
	int	 rc = 2;

	if (argc < 5 || strcmp(argv[1], "-c") != 0) {
		fprintf(stderr, "usage: bg_seed -c FILE suppress|seed|decode|encode|"
		    "token|sent|count-sent|bounce|hold ARGS...\n");
		return 2;
	}
	if ((cfg = config_load(argv[2], &err)) == NULL) {
		fprintf(stderr, "%s", buf_cstr(&err));
		return 1;
	}
	buf_free(&err);
	if (strcmp(argv[3], "decode") == 0 || (strcmp(argv[3], "encode") == 0 &&
	    argc == 6)) {
		rc = argv[3][0] == 'd' ? seed_decode(cfg, argv[4]) :
		    seed_encode(cfg, argv[4], argv[5]);
		config_free(cfg);
		return rc;
	}
	st = seed_open(cfg);
	if (strcmp(argv[3], "suppress") == 0) {
		struct seed_supp s = { argc > 5 ? argv[5] : "userunknown",
		    argc > 6 ? argv[6] : "" };

		rc = store_update(st, argv[4], NULL, seed_update, &s, 0) ==
		    STORE_OK ? 0 : 1;
		if (rc)
			fprintf(stderr, "bg_seed: %s\n", store_error(st));
	} else if (strcmp(argv[3], "seed") == 0 && argc == 6)
		rc = seed_many(st, atol(argv[4]), argv[5]);
	else if (strcmp(argv[3], "hold") == 0)
		rc = store_update(st, argv[4], NULL, seed_hold, NULL, 0) ==
		    STORE_OK ? 0 : 1;
	else if (strcmp(argv[3], "token") == 0)
		rc = seed_token(st, argv[4]);
	else if (strcmp(argv[3], "count-sent") == 0 && argc == 6)
		rc = seed_count_sent(st, argv[4], atol(argv[5]));
	else if (strcmp(argv[3], "bounce") == 0 && argc >= 6)
		rc = seed_bounce(st, cfg, argc, argv);
	else if (strcmp(argv[3], "sent") == 0) {
		struct seed_sent s = { argv[4], bg_day(time(NULL)), 0 };

		rc = store_foreach_domain(st, s.day, seed_sent_fn, &s) ==
		    STORE_OK ? 0 : 1;
		printf("%u\n", s.sent);
	}
	store_close(st);
	config_free(cfg);
	return rc;
}
