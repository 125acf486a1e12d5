/*++
 * NAME
 *	test-policy 1
 * SUMMARY
 *	unit tests for the bounce policy
 * DESCRIPTION
 *	Each case is a sequence of bounces for one address, each with the
 *	type and action it must produce, and the state the address must be
 *	in at the end. Applied with policy_apply() to an in-memory record,
 *	exactly as the pipe applies it inside its store transaction.
 *--*/
#include <string.h>

#include "libbase.h"
#include "policy.h"
#include "tap.h"

#define T0	((time_t)1795000000)
#define DAY	86400

struct step {
	enum reason reason;
	bool	 hard;
	const char *dsn_action;
	const char *scope;
	time_t	 at;			/* seconds after T0 */
	const char *type;
	const char *action;
};

struct policy_case {
	const char *name;
	struct step steps[8];
	const char *state;		/* at the end, for any sender */
	const char *state_other;	/* for a sender in shop.example.com */
	time_t	 expires;		/* of the first suppression, 0: never */
};

#define S(r, h, a, t, act) { REASON_##r, h, a, NULL, 0, t, act }
#define SAT(r, at, t, act) { REASON_##r, false, "failed", NULL, at, t, act }

static const struct policy_case cases[] = {
	{ "hard bounce suppresses at once",
	  { S(USERUNKNOWN, true, "failed", "hard", "suppressed") },
	  "suppressed", "suppressed", 0 },
	{ "five soft bounces within the window suppress for the ttl",
	  { SAT(MAILBOXFULL, 0, "soft", "counted"),
	    SAT(MAILBOXFULL, 1 * DAY, "soft", "counted"),
	    SAT(MAILBOXFULL, 2 * DAY, "soft", "counted"),
	    SAT(MAILBOXFULL, 3 * DAY, "soft", "counted"),
	    SAT(MAILBOXFULL, 4 * DAY, "soft", "suppressed") },
	  "suppressed", "suppressed", T0 + 4 * DAY + 30 * DAY },
	{ "soft bounces spread wider than the window never suppress",
	  { SAT(MAILBOXFULL, 0, "soft", "counted"),
	    SAT(MAILBOXFULL, 10 * DAY, "soft", "counted"),
	    SAT(MAILBOXFULL, 20 * DAY, "soft", "counted"),
	    SAT(MAILBOXFULL, 31 * DAY, "soft", "counted"),
	    SAT(MAILBOXFULL, 41 * DAY, "soft", "counted"),
	    SAT(MAILBOXFULL, 62 * DAY, "soft", "counted") },
	  "active", "active", -1 },
	{ "a delivery report resets the soft count",
	  { SAT(MAILBOXFULL, 0, "soft", "counted"),
	    SAT(MAILBOXFULL, 1, "soft", "counted"),
	    SAT(MAILBOXFULL, 2, "soft", "counted"),
	    SAT(MAILBOXFULL, 3, "soft", "counted"),
	    S(DELIVERED, false, "delivered", "delivered", "reset"),
	    SAT(MAILBOXFULL, 5, "soft", "counted") },
	  "active", "active", -1 },
	{ "block bounces are counted, never suppress",
	  { S(BLOCKED, false, "failed", "block", "counted"),
	    S(SPAMDETECTED, false, "failed", "block", "counted"),
	    S(BLOCKED, false, "failed", "block", "counted"),
	    S(BLOCKED, false, "failed", "block", "counted"),
	    S(BLOCKED, false, "failed", "block", "counted"),
	    S(REQUIREPTR, false, "failed", "block", "counted") },
	  "active", "active", -1 },
	{ "retry-able reasons never count",
	  { S(TOOMANYCONN, false, "failed", "retry", "recorded"),
	    S(TOOMANYCONN, false, "failed", "retry", "recorded"),
	    S(SPEEDING, false, "failed", "retry", "recorded"),
	    S(SYSTEMERROR, false, "failed", "retry", "recorded"),
	    S(NETWORKERROR, false, "failed", "retry", "recorded"),
	    S(SYSTEMFULL, false, "failed", "retry", "recorded") },
	  "active", "active", -1 },
	{ "a complaint suppresses for the sender's domain only",
	  { { REASON_FEEDBACK, false, NULL, "news.example.com", 0,
	      "complaint", "suppressed" } },
	  "suppressed", "active", 0 },
	{ "auto-replies and delays are recorded, never counted",
	  { S(VACATION, false, NULL, "vacation", "recorded"),
	    S(EXPIRED, false, "delayed", "delay", "recorded"),
	    S(VACATION, false, NULL, "vacation", "recorded"),
	    S(MAILBOXFULL, false, "delayed", "delay", "recorded"),
	    S(VACATION, false, NULL, "vacation", "recorded"),
	    S(EXPIRED, false, "delayed", "delay", "recorded") },
	  "active", "active", -1 },
	{ "notaccept with a 4xx is soft",
	  { S(NOTACCEPT, false, "failed", "soft", "counted") },
	  "active", "active", -1 },
	{ "a hard bounce makes a soft suppression permanent",
	  { SAT(MAILBOXFULL, 0, "soft", "counted"),
	    SAT(MAILBOXFULL, 1, "soft", "counted"),
	    SAT(MAILBOXFULL, 2, "soft", "counted"),
	    SAT(MAILBOXFULL, 3, "soft", "counted"),
	    SAT(MAILBOXFULL, 4, "soft", "suppressed"),
	    { REASON_USERUNKNOWN, true, "failed", NULL, 5, "hard",
	      "suppressed" } },
	  "suppressed", "suppressed", 0 },
};

/* scope_state - the state as seen by a sender domain */
static const char *
scope_state(const struct store_addr *rec, const char *scope, time_t now)
{
	for (uint32_t i = 0; i < rec->nsupp; i++) {
		const struct store_supp *s = &rec->supp[i];

		if (store_supp_active(s, now) &&
		    (s->scope[0] == '\0' || strcmp(s->scope, scope) == 0))
			return "suppressed";
	}
	return "active";
}

/* run_case - apply the steps, check each and the end state */
static void
run_case(const struct config *cfg, const struct policy_case *c)
{
	struct store_addr rec;
	time_t	 last = T0;

	memset(&rec, 0, sizeof(rec));
	for (size_t i = 0; i < BG_ARRAY_SIZE(c->steps) && c->steps[i].type;
	    i++) {
		const struct step *s = &c->steps[i];
		struct policy_input in = { s->reason, s->hard, s->dsn_action,
		    "5.0.0", "550", "text", "async",
		    s->scope ? s->scope : "sender.example.com", "Q1", "valid",
		    T0 + s->at, 0, false };
		struct policy_result out;
		struct policy p = { cfg, &in, &out };
		struct store_event ev;
		struct store_delta d;

		memset(&ev, 0, sizeof(ev));
		memset(&d, 0, sizeof(d));
		policy_apply(&rec, i > 0, &ev, &d, &p);
		if (strcmp(s->type, "complaint") != 0)
			is_str(ev.scope, "", "%s: step %zu: the sender's domain is "
			    "no scope outside complaints", c->name, i + 1);
		ok(strcmp(out.type, s->type) == 0 &&
		    strcmp(out.action, s->action) == 0, "%s: step %zu is %s, %s",
		    c->name, i + 1, s->type, s->action);
		if (strcmp(out.type, s->type) || strcmp(out.action, s->action))
			diag("got %s, %s", out.type, out.action);
		last = in.now;
	}
	is_str(scope_state(&rec, "news.example.com", last), c->state,
	    "%s: state for news.example.com", c->name);
	is_str(scope_state(&rec, "shop.example.com", last), c->state_other,
	    "%s: state for shop.example.com", c->name);
	if (c->expires >= 0)
		is_int(rec.nsupp ? rec.supp[0].expires : -1, c->expires,
		    "%s: expiry", c->name);
}

/* gate_apply - one hard bounce with a stamp day and trust, its action */
static const char *
gate_apply(const struct config *cfg, struct store_addr *rec, enum reason r,
    time_t now, uint32_t stamp_day, bool unverified, struct store_delta *d)
{
	static struct policy_result out;
	struct policy_input in = { r, true, "failed", "5.1.1", "550", "text",
	    "async", "", "Q1", "token", now, stamp_day, unverified };
	struct policy p = { cfg, &in, &out };
	struct store_event ev;

	memset(&ev, 0, sizeof(ev));
	memset(d, 0, sizeof(*d));
	policy_apply(rec, true, &ev, d, &p);
	return out.action;
}

/* test_gates - unverified bounces and bounces older than an unsuppress */
static void
test_gates(const struct config *cfg)
{
	struct store_addr rec;
	struct store_delta d;
	time_t	 lifted = T0 + 5 * 86400 + 3600;

	memset(&rec, 0, sizeof(rec));
	is_str(gate_apply(cfg, &rec, REASON_USERUNKNOWN, T0, bg_day(T0), true,
	    &d), "unverified", "unverified hard bounce: action unverified");
	ok(rec.nsupp == 0 && rec.hard_count == 0 && rec.unverified_count == 1 &&
	    d.unverified == 1 && !d.bounced && d.hard == 0,
	    "unverified: counted as unverified only, nothing suppressed");
	for (int i = 0; i < 6; i++)
		(void)gate_apply(cfg, &rec, REASON_MAILBOXFULL, T0 + i, bg_day(T0),
		    true, &d);
	ok(rec.nsupp == 0 && rec.nsoft == 0 && rec.unverified_count == 7,
	    "unverified soft bounces never count towards soft suppression");
	rec.unsuppressed = lifted;
	is_str(gate_apply(cfg, &rec, REASON_USERUNKNOWN, lifted + 60,
	    bg_day(lifted) - 1, false, &d), "stale",
	    "stamped the day before the unsuppress: stale");
	is_str(gate_apply(cfg, &rec, REASON_USERUNKNOWN, lifted + 60,
	    bg_day(lifted), false, &d), "stale",
	    "stamped the day of the unsuppress: stale (day granularity)");
	ok(rec.nsupp == 0 && rec.hard_count == 0 && rec.other_count == 2,
	    "stale bounces are counted as other and suppress nothing");
	is_str(gate_apply(cfg, &rec, REASON_USERUNKNOWN, lifted + 86400,
	    bg_day(lifted) + 1, false, &d), "suppressed",
	    "stamped the day after the unsuppress: suppresses");
	memset(&rec, 0, sizeof(rec));
	is_str(gate_apply(cfg, &rec, REASON_USERUNKNOWN, T0, bg_day(T0), false,
	    &d), "suppressed", "never unsuppressed: a trusted hard bounce "
	    "suppresses as before");
}

int
main(void)
{
	struct config *cfg = config_default();

	for (size_t i = 0; i < BG_ARRAY_SIZE(cases); i++)
		run_case(cfg, &cases[i]);
	test_gates(cfg);
	config_free(cfg);
	return done_testing();
}
