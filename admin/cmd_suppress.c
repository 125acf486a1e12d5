/*++
 * NAME
 *	cmd_suppress 3
 * SUMMARY
 *	bounceguard suppress and bounceguard unsuppress
 * DESCRIPTION
 *	"suppress ADDRESS|@DOMAIN [--reason TEXT] [--scope SENDER_DOMAIN]
 *	[--expires DURATION|DATE]" adds a manual suppression, or replaces
 *	the one with the same scope. "unsuppress ADDRESS|@DOMAIN [--scope
 *	SENDER_DOMAIN]" lifts every suppression (or the one of a scope) and
 *	forgets the recent soft bounces, so that the next soft bounce does
 *	not suppress the address again at once. It also notes the time of
 *	the unsuppress in the record: a bounce whose VERP was stamped on
 *	that day or before no longer suppresses or counts (see policy.h),
 *	so that replaying an old bounce cannot undo the unsuppress.
 *
 *	Each change is one durable transaction with an event in the
 *	address's history (type "manual"), and one syslog line:
 *
 *	suppress address=<jane@example.org> scope=global reason=... expires=never by=admin
 * DIAGNOSTICS
 *	Bad addresses, scopes, reasons or durations: one line, exit 2.
 *	Nothing to lift, no room for another suppression, or a store
 *	error: one line, exit 1.
 *--*/
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin.h"
#include "libbase.h"
#include "libmail.h"

struct supp_change {
	const char *addr;
	const char *scope;		/* "" for every sender */
	const char *reason;
	bool	 any_scope;		/* unsuppress without --scope */
	time_t	 expires;
	time_t	 now;
	int	 outcome;		/* SUPP_* */
};

enum { SUPP_DONE, SUPP_SAME, SUPP_FULL, SUPP_NONE };

/* supp_event - the history event of a manual change */
static void
supp_event(struct store_event *ev, const struct supp_change *c,
    const char *action)
{
	ev->time = c->now;
	bg_strlcpy(ev->type, "manual", sizeof(ev->type));
	bg_strlcpy(ev->reason, "manual", sizeof(ev->reason));
	bg_strlcpy(ev->action, action, sizeof(ev->action));
	bg_strlcpy(ev->verp, "manual", sizeof(ev->verp));
	bg_strlcpy(ev->scope, c->scope, sizeof(ev->scope));
	bg_strlcpy(ev->diagnostic, c->reason ? c->reason : "",
	    sizeof(ev->diagnostic));
}

/* supp_add - update function: add or replace a manual suppression */
static int
supp_add(struct store_addr *a, bool existed, struct store_event *ev,
    struct store_delta *d, void *arg)
{
	struct supp_change *c = arg;
	struct store_supp *s;
	uint32_t i;

	(void)existed;
	(void)d;
	for (i = 0; i < a->nsupp; i++)
		if (strcasecmp(a->supp[i].scope, c->scope) == 0)
			break;
	s = &a->supp[i];
	if (i < a->nsupp && strcmp(s->reason, c->reason) == 0 &&
	    strcmp(s->source, "manual") == 0 && s->expires == c->expires &&
	    store_supp_active(s, c->now))
		return c->outcome = SUPP_SAME, STORE_NOCHANGE;
	if (i == STORE_MAX_SUPP)
		return c->outcome = SUPP_FULL, STORE_NOCHANGE;
	if (i == a->nsupp)
		a->nsupp++;
	memset(s, 0, sizeof(*s));
	bg_strlcpy(s->scope, c->scope, sizeof(s->scope));
	bg_strlcpy(s->reason, c->reason, sizeof(s->reason));
	bg_strlcpy(s->source, "manual", sizeof(s->source));
	s->since = c->now;
	s->expires = c->expires;
	supp_event(ev, c, "suppressed");
	c->outcome = SUPP_DONE;
	return 0;
}

/* supp_lift - update function: remove suppressions */
static int
supp_lift(struct store_addr *a, bool existed, struct store_event *ev,
    struct store_delta *d, void *arg)
{
	struct supp_change *c = arg;
	uint32_t i, o = 0;

	(void)d;
	if (!existed)
		return c->outcome = SUPP_NONE, STORE_NOCHANGE;
	for (i = 0; i < a->nsupp; i++)
		if (!c->any_scope && strcasecmp(a->supp[i].scope, c->scope) != 0)
			a->supp[o++] = a->supp[i];
	if (o == a->nsupp)
		return c->outcome = SUPP_NONE, STORE_NOCHANGE;
	a->nsupp = o;
	a->nsoft = 0;
	a->unsuppressed = c->now;
	supp_event(ev, c, "unsuppressed");
	c->outcome = SUPP_DONE;
	return 0;
}

/* supp_value - check and keep one option's value */
static int
supp_value(const char *cmd, struct supp_change *c, int ch, char *arg)
{
	if (ch == 'r') {
		if (!admin_text_ok(arg) || *arg == '\0' ||
		    strlen(arg) >= STORE_TEXT_MAX)
			return admin_usage(cmd, "bad reason: it must be 1 to %d "
			    "characters, without control characters",
			    STORE_TEXT_MAX - 1);
		c->reason = arg;
	} else if (ch == 's') {
		c->scope = arg[0] == '@' ? arg + 1 : arg;
		c->any_scope = false;
		if (!addr_domain_ok(c->scope))
			return admin_usage(cmd, "bad scope \"%s\": expected a "
			    "sender domain", arg);
	} else if (ch == 'e' && admin_parse_when(arg, c->now, &c->expires) < 0)
		return admin_usage(cmd, "bad expiry \"%s\": expected a "
		    "duration (30m, 12h, 30d, 2w) or a future date", arg);
	return 0;
}

/* supp_options - --reason, --scope, --expires */
static int
supp_options(const char *cmd, struct supp_change *c, int argc, char **argv)
{
	static const struct option sopts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "scope", required_argument, NULL, 's' },
		{ "expires", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct option uopts[] = {
		{ "scope", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const struct option *opts = strcmp(cmd, "suppress") == 0 ? sopts :
	    uopts;
	int	 ch, status = 0;

	optind = 0;
	while ((ch = admin_getopt(cmd, argc, argv, opts, &status)) >= 0)
		if ((status = supp_value(cmd, c, ch, optarg)) != 0)
			return status;
	if (ch == -2)
		return status;
	if (optind >= argc)
		return admin_usage(cmd, "no address given");
	if (optind + 1 < argc)
		return admin_usage(cmd, "unexpected argument \"%s\"",
		    argv[optind + 1]);
	return 0;
}

/* supp_log - the syslog line of a change */
static void
supp_log(const char *cmd, const struct supp_change *c)
{
	char	 reason[STORE_TEXT_MAX + 8], t[BG_TIMESTR_SIZE];

	if (strcmp(cmd, "suppress") == 0)
		log_info("%s address=<%s> scope=%s reason=\"%s\" expires=%s "
		    "by=admin", cmd, c->addr, *c->scope ? c->scope : "global",
		    log_value(c->reason, reason, sizeof(reason)),
		    c->expires ? bg_timestr(c->expires, t, sizeof(t)) :
		    "never");
	else
		log_info("%s address=<%s> scope=%s by=admin", cmd, c->addr,
		    c->any_scope ? "all" : *c->scope ? c->scope : "global");
}

/* supp_run - the common body of suppress and unsuppress */
static int
supp_run(struct admin *a, const char *cmd, int argc, char **argv,
    store_update_fn fn)
{
	struct supp_change c = { .scope = "", .reason = "manual",
	    .any_scope = strcmp(cmd, "unsuppress") == 0, .now = time(NULL) };
	char	 addr[STORE_ADDR_MAX], *scope = NULL;
	struct store *st;
	int	 rc;

	if ((rc = supp_options(cmd, &c, argc, argv)) != 0)
		return rc;
	if ((rc = admin_addr_arg(cmd, argv[optind], addr, sizeof(addr),
	    ADDR_DOMAIN_OK)) != 0)
		return rc;
	c.addr = addr;
	c.scope = scope = xstrdup(c.scope);
	bg_lowercase(scope);
	st = admin_store(a);
	rc = store_update(st, addr, NULL, fn, &c, 0);
	if (rc < 0)
		rc = admin_fail(cmd, "%s", store_error(st));
	else if (c.outcome == SUPP_FULL)
		rc = admin_fail(cmd, "%s already has %d suppressions; lift "
		    "one first", addr, STORE_MAX_SUPP);
	else if (c.outcome == SUPP_NONE)
		rc = admin_fail(cmd, "%s is not suppressed%s%s", addr,
		    c.any_scope ? "" : " for ", c.any_scope ? "" :
		    *c.scope ? c.scope : "every sender");
	else if (c.outcome == SUPP_SAME)
		fprintf(stderr, "bounceguard: %s: %s is already suppressed "
		    "that way; nothing changed\n", cmd, addr);
	else
		supp_log(cmd, &c);
	free(scope);
	return rc;
}

/* cmd_suppress - add a manual suppression */
int
cmd_suppress(struct admin *a, int argc, char **argv)
{
	return supp_run(a, "suppress", argc, argv, supp_add);
}

/* cmd_unsuppress - lift suppressions */
int
cmd_unsuppress(struct admin *a, int argc, char **argv)
{
	return supp_run(a, "unsuppress", argc, argv, supp_lift);
}
