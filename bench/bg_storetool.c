/*++
 * NAME
 *	bg_storetool 1
 * SUMMARY
 *	test and benchmark helper for the store and VERP
 * DESCRIPTION
 *	bg_storetool verp CONFIG ADDRESS [DAYS]
 *		print the signed VERP address for ADDRESS, stamped DAYS days
 *		from now (negative: in the past), to forge stale stamps
 *	bg_storetool verp CONFIG -
 *		the same for every address read from standard input, one
 *		a line, for tests that need thousands
 *	bg_storetool token CONFIG ADDRESS...
 *		store a per-message token for the addresses, print its VERP
 *	bg_storetool get CONFIG ADDRESS
 *		print the address record as key=value lines, and its events
 *	bg_storetool hold CONFIG ADDRESS SECONDS
 *		hold the address's write lock that long (prints "held")
 *	bg_storetool holdbackoff CONFIG DOMAIN SECONDS
 *		hold the write lock of the domain's back-off record that
 *		long (prints "held")
 *
 *	Not installed: the administrator's tool is bounceguard(8).
 * DIAGNOSTICS
 *	Exit 0 on success, 1 on any error (printed on stderr).
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libbase.h"
#include "libconf.h"
#include "libstore.h"
#include "libverp.h"

/* tool_config - the configuration or exit */
static struct config *
tool_config(const char *path)
{
	struct buf err = BUF_INIT;
	struct config *cfg = config_load(path, &err);

	if (cfg == NULL)
		fatalx("%s", buf_cstr(&err));
	buf_free(&err);
	return cfg;
}

/* tool_codec - the VERP codec of a configuration */
static struct verp_codec
tool_codec(const struct config *cfg)
{
	struct buf err = BUF_INIT;
	struct verp_codec c;

	c.prefix = cfg->verp_prefix;
	c.domain = cfg->verp_domain;
	c.max_age = cfg->verp_max_age;
	if ((c.keys = verp_keys_load(cfg->verp_secret_file, &err)) == NULL)
		fatalx("%s", buf_cstr(&err));
	buf_free(&err);
	return c;
}

/* tool_store - open the store of a configuration */
static struct store *
tool_store(const struct config *cfg)
{
	struct store_opts o = { cfg->store_lock_timeout, cfg->store_cache_size,
	    (unsigned)cfg->event_history_max, false, NULL };
	struct buf err = BUF_INIT;
	struct store *st;

	if (store_open(&st, cfg->store_dir, &o, &err) != STORE_OK)
		fatalx("%s", buf_cstr(&err));
	buf_free(&err);
	return st;
}

/* tool_event - print one event */
static int
tool_event(const char *addr, const struct store_event *ev, void *arg)
{
	(void)addr;
	(void)arg;
	printf("event type=%s reason=%s action=%s status=%s mode=%s "
	    "queue_id=%s scope=%s\n", ev->type, ev->reason, ev->action,
	    ev->status, ev->mode, ev->queue_id, ev->scope);
	return 0;
}

/* tool_get - print a record */
static int
tool_get(const struct config *cfg, const char *addr)
{
	struct store *st = tool_store(cfg);
	struct store_addr a;
	int	 rc = store_get(st, addr, &a);

	if (rc == STORE_NOTFOUND) {
		printf("state=none\n");
	} else if (rc == STORE_OK) {
		printf("state=%s hard=%u soft=%u block=%u complaint=%u "
		    "other=%u recent_soft=%u reason=%s\n",
		    store_addr_state(&a, time(NULL)), a.hard_count,
		    a.soft_count, a.block_count, a.complaint_count,
		    a.other_count, a.nsoft, a.last_reason);
		for (uint32_t i = 0; i < a.nsupp; i++)
			printf("supp scope=%s reason=%s source=%s expires=%lld\n",
			    a.supp[i].scope[0] ? a.supp[i].scope : "global",
			    a.supp[i].reason, a.supp[i].source,
			    (long long)a.supp[i].expires);
		store_foreach_event(st, addr, tool_event, NULL);
	} else
		fatalx("%s", store_error(st));
	store_close(st);
	return 0;
}

/* tool_hold_fn - an update that sleeps holding the lock */
static int
tool_hold_fn(struct store_addr *a, bool existed, struct store_event *ev,
    struct store_delta *d, void *arg)
{
	(void)existed;
	(void)ev;
	(void)d;
	(void)a;
	printf("held\n");
	fflush(stdout);
	sleep(*(unsigned *)arg);
	return STORE_NOCHANGE;
}

/* tool_hold_backoff_fn - a back-off change that sleeps holding the lock */
static int
tool_hold_backoff_fn(const char *domain, struct store_backoff *r,
    bool found, void *arg)
{
	(void)domain;
	(void)r;
	(void)found;
	printf("held\n");
	fflush(stdout);
	sleep(*(unsigned *)arg);
	return STORE_NOCHANGE;
}

/* tool_token - store a token for addresses and print its VERP */
static int
tool_token(const struct config *cfg, char **addrs, int n)
{
	struct verp_codec c = tool_codec(cfg);
	struct store *st = tool_store(cfg);
	char	 token[VERP_TOKEN_LEN + 1], v[VERP_MAX];

	verp_new_token(token, sizeof(token));
	if (store_token_put(st, token, bg_day(time(NULL)),
	    (const char *const *)addrs, (size_t)n) != STORE_OK)
		fatalx("%s", store_error(st));
	verp_encode_token(&c, token, time(NULL), v, sizeof(v));
	printf("%s\n", v);
	store_close(st);
	verp_keys_free((struct verp_keys *)c.keys);
	return 0;
}

/* tool_verp - print a VERP address stamped some days from now */
static int
tool_verp(const struct config *cfg, const char *addr, long days)
{
	struct verp_codec c = tool_codec(cfg);
	char	 v[VERP_MAX];
	int	 rc;

	rc = verp_encode(&c, addr, time(NULL) + days * 86400, v, sizeof(v));
	if (rc == VERP_OK)
		printf("%s\n", v);
	else
		fprintf(stderr, "bg_storetool: cannot encode %s\n", addr);
	verp_keys_free((struct verp_keys *)c.keys);
	return rc == VERP_OK ? 0 : 1;
}

/* tool_verp_list - a VERP address per line of standard input */
static int
tool_verp_list(const struct config *cfg)
{
	struct verp_codec c = tool_codec(cfg);
	char	 line[1024], v[VERP_MAX];
	int	 rc = 0;

	while (rc == 0 && fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if ((rc = verp_encode(&c, line, time(NULL), v, sizeof(v))) ==
		    VERP_OK)
			printf("%s\n", v);
		else
			fprintf(stderr, "bg_storetool: cannot encode %s\n", line);
	}
	verp_keys_free((struct verp_keys *)c.keys);
	return rc == VERP_OK ? 0 : 1;
}

/* tool_hold - hold an address's write lock */
static int
tool_hold(const struct config *cfg, const char *addr, unsigned secs)
{
	struct store *st = tool_store(cfg);

	store_update(st, addr, NULL, tool_hold_fn, &secs, 0);
	store_close(st);
	return 0;
}

/* tool_hold_backoff - hold a domain's back-off record's write lock */
static int
tool_hold_backoff(const struct config *cfg, const char *domain,
    unsigned secs)
{
	struct store *st = tool_store(cfg);
	void	*arg = &secs;

	store_backoff_batch(st, 1, &domain, tool_hold_backoff_fn, &arg, NULL,
	    NULL, 0);
	store_close(st);
	return 0;
}

int
main(int argc, char **argv)
{
	struct config *cfg;
	int	 rc = 1;

	log_init("bg_storetool", LOG_TO_STDERR);
	if (argc < 4)
		fatalx("usage: bg_storetool verp|token|get|hold|holdbackoff CONFIG ARGS...");
	cfg = tool_config(argv[2]);
	if (strcmp(argv[1], "get") == 0)
		rc = tool_get(cfg, argv[3]);
	else if (strcmp(argv[1], "token") == 0)
		rc = tool_token(cfg, argv + 3, argc - 3);
	else if (strcmp(argv[1], "hold") == 0 && argc == 5)
		rc = tool_hold(cfg, argv[3], (unsigned)atoi(argv[4]));
	else if (strcmp(argv[1], "holdbackoff") == 0 && argc == 5)
		rc = tool_hold_backoff(cfg, argv[3], (unsigned)atoi(argv[4]));
	else if (strcmp(argv[1], "verp") == 0 && strcmp(argv[3], "-") == 0)
		rc = tool_verp_list(cfg);
	else if (strcmp(argv[1], "verp") == 0)
		rc = tool_verp(cfg, argv[3], argc > 4 ? atol(argv[4]) : 0);
	else
		fprintf(stderr, "bg_storetool: unknown command %s\n", argv[1]);
	config_free(cfg);
	return rc;
}
