/*++
 * NAME
 *	change 3
 * SUMMARY
 *	a bounce's changes to the store, as requests: encoding and applying
 * DESCRIPTION
 *	change_request_update() asks for store_update() of an address with
 *	the policy (policy_apply()) and the given input;
 *	change_request_signal() for a back-off signal counted once per
 *	queue id in the domain's record; change_request_token() for a
 *	token's recipients. The policy and the back-off parameters are
 *	those of the configuration of whoever applies the request: every
 *	host of a group has the same.
 *
 *	change_apply() decodes a request, applies it to an open store and
 *	writes the answer; change_answer_read() decodes an answer.
 *	change_answer_error() writes the answer of a request that could
 *	not be applied (no store, no master, no answer in time).
 * DIAGNOSTICS
 *	change_apply() returns the store code it wrote into the answer;
 *	a malformed request is STORE_EFATAL, "malformed change request".
 *	change_answer_read() returns -1 for a malformed answer.
 *--*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "libbackoff.h"
#include "change.h"

#define CHANGE_FIELDS_MAX	64	/* in a request */
#define CHANGE_UPDATE_FIELDS	16
#define CHANGE_SIGNAL_FIELDS	6
#define CHANGE_TOKEN_FIELDS	2
#define CHANGE_MALFORMED	(-100)	/* internal: not a request */

/* change_str - append a field */
static void
change_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s) + 1);
}

/* change_opt - append a field that may be absent */
static void
change_opt(struct buf *b, const char *s)
{
	if (s == NULL) {
		change_str(b, "-");
		return;
	}
	buf_addch(b, '=');
	change_str(b, s);
}

/* change_num - append a number */
static void
change_num(struct buf *b, long long v)
{
	buf_printf(b, "%lld", v);
	buf_add(b, "", 1);
}

/* change_request_update - an address's bounce, under the policy */
void
change_request_update(struct buf *b, const char *addr, const char *dedupe,
    const struct policy_input *in)
{
	buf_reset(b);
	buf_add(b, "U", 2);
	change_str(b, addr);
	change_str(b, dedupe);
	change_str(b, reason_name(in->reason));
	change_num(b, in->hard);
	change_opt(b, in->dsn_action);
	change_opt(b, in->status);
	change_opt(b, in->reply_code);
	change_opt(b, in->diagnostic);
	change_opt(b, in->mode);
	change_opt(b, in->scope);
	change_opt(b, in->queue_id);
	change_opt(b, in->verp);
	change_num(b, (long long)in->now);
	change_num(b, in->stamp_day);
	change_num(b, in->unverified);
}

/* change_request_signal - a back-off signal for a domain */
void
change_request_signal(struct buf *b, const struct change_signal *s)
{
	buf_reset(b);
	buf_add(b, "B", 2);
	change_str(b, s->domain);
	change_str(b, s->qid);
	change_str(b, s->reason);
	change_str(b, s->reply);
	change_num(b, (long long)s->now);
}

/* change_request_token - a token's recipients */
void
change_request_token(struct buf *b, const char *token)
{
	buf_reset(b);
	buf_add(b, "G", 2);
	change_str(b, token);
}

/* change_request_writes - does a request change the store? */
bool
change_request_writes(const void *req, size_t len)
{
	const char *p = req;

	return len >= 1 && (p[0] == CHANGE_UPDATE || p[0] == CHANGE_BACKOFF);
}

/* change_get_opt - a field that may be absent; false if malformed */
static bool
change_get_opt(const char *f, const char **out)
{
	if (strcmp(f, "-") == 0) {
		*out = NULL;
		return true;
	}
	*out = f + 1;
	return f[0] == '=';
}

/* change_get_num - a decimal number within bounds; false if not */
static bool
change_get_num(const char *f, long long min, long long max, long long *out)
{
	char	*end;

	if (f[0] == '\0')
		return false;
	*out = strtoll(f, &end, 10);
	return *end == '\0' && *out >= min && *out <= max;
}

/* change_answer_head - the answer's store code and error */
static void
change_answer_head(struct buf *a, int rc, const char *error)
{
	buf_reset(a);
	change_num(a, rc);
	change_str(a, rc < 0 ? error : "");
}

/* change_answer_error - the answer of a request not applied */
void
change_answer_error(struct buf *a, int rc, const char *error)
{
	change_answer_head(a, rc, error);
}

/* change_input - a request's policy input; false if malformed */
static bool
change_input(const char **v, struct policy_input *in)
{
	long long n[4];
	int	 reason = reason_lookup(v[3]);

	memset(in, 0, sizeof(*in));
	if (reason < 0 || !change_get_num(v[4], 0, 1, &n[0]) ||
	    !change_get_opt(v[5], &in->dsn_action) ||
	    !change_get_opt(v[6], &in->status) ||
	    !change_get_opt(v[7], &in->reply_code) ||
	    !change_get_opt(v[8], &in->diagnostic) ||
	    !change_get_opt(v[9], &in->mode) ||
	    !change_get_opt(v[10], &in->scope) ||
	    !change_get_opt(v[11], &in->queue_id) ||
	    !change_get_opt(v[12], &in->verp) ||
	    !change_get_num(v[13], 0, INT64_MAX, &n[1]) ||
	    !change_get_num(v[14], 0, UINT32_MAX, &n[2]) ||
	    !change_get_num(v[15], 0, 1, &n[3]))
		return false;
	in->reason = (enum reason)reason;
	in->hard = n[0] != 0;
	in->now = (time_t)n[1];
	in->stamp_day = (uint32_t)n[2];
	in->unverified = n[3] != 0;
	return true;
}

/* change_apply_update - store_update() under the policy */
static int
change_apply_update(struct store *st, const struct config *cfg,
    const char **v, struct buf *a)
{
	struct policy_input in;
	struct policy_result out;
	struct policy p = { cfg, &in, &out };
	int	 rc;

	if (!change_input(v, &in))
		return CHANGE_MALFORMED;
	memset(&out, 0, sizeof(out));
	rc = store_update(st, v[1], v[2], policy_apply, &p, 0);
	change_answer_head(a, rc, store_error(st));
	change_str(a, out.type ? out.type : "");
	change_str(a, out.action ? out.action : "");
	change_num(a, out.soft_in_window);
	change_num(a, out.warn);
	change_num(a, out.unsuppressed);
	return rc;
}

struct change_count {
	struct backoff_params p;
	const struct change_signal *s;
	bool	 seen;
	unsigned before, after;
	uint32_t signals;
};

/* change_count_fn - count the signal in the domain's record, once */
static int
change_count_fn(const char *domain, struct store_backoff *r, bool found,
    void *arg)
{
	struct change_count *c = arg;

	(void)domain;
	(void)found;
	c->before = c->after = r->level;
	c->signals = r->signals;
	if (backoff_qid_seen(r, c->s->qid, BACKOFF_FROM_PIPE)) {
		c->seen = true;
		return STORE_NOCHANGE;
	}
	(void)backoff_signal(&c->p, r, c->s->now, c->s->reason, c->s->reply);
	c->after = r->level;
	c->signals = r->signals;
	return STORE_OK;
}

/* change_apply_signal - count a back-off signal */
static int
change_apply_signal(struct store *st, const struct config *cfg,
    const char **v, struct buf *a)
{
	struct change_signal s;
	struct change_count c;
	void	*arg = &c;
	long long now;
	int	 rc;

	if (!change_get_num(v[5], 0, INT64_MAX, &now))
		return CHANGE_MALFORMED;
	s.domain = v[1];
	s.qid = v[2];
	s.reason = v[3];
	s.reply = v[4];
	s.now = (time_t)now;
	memset(&c, 0, sizeof(c));
	backoff_params(cfg, &c.p);
	c.s = &s;
	rc = store_backoff_batch(st, 1, &s.domain, change_count_fn, &arg, NULL,
	    NULL, 0);
	change_answer_head(a, rc, store_error(st));
	change_num(a, c.seen);
	change_num(a, c.before);
	change_num(a, c.after);
	change_num(a, c.signals);
	return rc;
}

/* change_apply_token - a token's recipients */
static int
change_apply_token(struct store *st, const char **v, struct buf *a)
{
	struct buf list = BUF_INIT;
	uint32_t day = 0;
	int	 rc;

	rc = store_token_get(st, v[1], &day, &list);
	change_answer_head(a, rc, store_error(st));
	change_num(a, rc == STORE_OK ? day : 0);
	if (rc == STORE_OK)
		buf_add(a, list.data, list.len);
	buf_free(&list);
	return rc;
}

/* change_apply - apply a request to an open store, write the answer */
int
change_apply(struct store *st, const struct config *cfg, const void *req,
    size_t len, struct buf *a)
{
	const char *v[CHANGE_FIELDS_MAX];
	ssize_t	 n = bg_nul_fields(req, len, v, CHANGE_FIELDS_MAX);
	int	 rc = CHANGE_MALFORMED;

	if (n >= 1 && v[0][0] != '\0' && v[0][1] == '\0') {
		if (v[0][0] == CHANGE_UPDATE && n == CHANGE_UPDATE_FIELDS)
			rc = change_apply_update(st, cfg, v, a);
		else if (v[0][0] == CHANGE_BACKOFF && n == CHANGE_SIGNAL_FIELDS)
			rc = change_apply_signal(st, cfg, v, a);
		else if (v[0][0] == CHANGE_TOKEN && n == CHANGE_TOKEN_FIELDS)
			rc = change_apply_token(st, v, a);
	}
	if (rc == CHANGE_MALFORMED) {
		rc = STORE_EFATAL;
		change_answer_head(a, rc, "malformed change request");
	}
	return rc;
}

/* change_next - the next NUL-ended field of an answer, or NULL */
static const char *
change_next(const struct buf *raw, size_t *off)
{
	const char *f = raw->data + *off, *nul;

	if (*off >= raw->len ||
	    (nul = memchr(f, '\0', raw->len - *off)) == NULL)
		return NULL;
	*off = (size_t)(nul - raw->data) + 1;
	return f;
}

/* change_next_num - the next field as a number within bounds */
static bool
change_next_num(const struct buf *raw, size_t *off, long long min,
    long long max, long long *out)
{
	const char *f = change_next(raw, off);

	return f != NULL && change_get_num(f, min, max, out);
}

/* change_answer_update - an update's results */
static bool
change_answer_update(struct change_answer *ans, size_t *off)
{
	const char *type = change_next(&ans->raw, off);
	const char *action = change_next(&ans->raw, off);
	long long k[3];

	if (type == NULL || action == NULL ||
	    !change_next_num(&ans->raw, off, 0, UINT32_MAX, &k[0]) ||
	    !change_next_num(&ans->raw, off, 0, 1, &k[1]) ||
	    !change_next_num(&ans->raw, off, INT64_MIN, INT64_MAX, &k[2]))
		return false;
	ans->result.type = type[0] ? type : NULL;
	ans->result.action = action[0] ? action : NULL;
	ans->result.soft_in_window = (unsigned)k[0];
	ans->result.warn = k[1] != 0;
	ans->result.unsuppressed = k[2];
	return true;
}

/* change_answer_signal - a back-off signal's results */
static bool
change_answer_signal(struct change_answer *ans, size_t *off)
{
	long long k[4];

	if (!change_next_num(&ans->raw, off, 0, 1, &k[0]) ||
	    !change_next_num(&ans->raw, off, 0, UINT32_MAX, &k[1]) ||
	    !change_next_num(&ans->raw, off, 0, UINT32_MAX, &k[2]) ||
	    !change_next_num(&ans->raw, off, 0, UINT32_MAX, &k[3]))
		return false;
	ans->seen = k[0] != 0;
	ans->before = (unsigned)k[1];
	ans->after = (unsigned)k[2];
	ans->signals = (uint32_t)k[3];
	return true;
}

/* change_answer_token - a token's day and recipients */
static bool
change_answer_token(struct change_answer *ans, size_t *off)
{
	long long day;

	if (!change_next_num(&ans->raw, off, 0, UINT32_MAX, &day))
		return false;
	ans->day = (uint32_t)day;
	/* The recipients, each NUL-ended, as store_token_get() gives them. */
	if (*off < ans->raw.len && ans->raw.data[ans->raw.len - 1] != '\0')
		return false;
	buf_add(&ans->list, ans->raw.data + *off, ans->raw.len - *off);
	return true;
}

/* change_answer_results - the results of the kind asked for */
static bool
change_answer_results(char kind, struct change_answer *ans, size_t *off)
{
	switch (kind) {
	case CHANGE_UPDATE:
		return change_answer_update(ans, off);
	case CHANGE_BACKOFF:
		return change_answer_signal(ans, off);
	case CHANGE_TOKEN:
		return change_answer_token(ans, off);
	default:
		return false;
	}
}

/*
 * change_answer_read - decode the answer to a request of a kind.
 *
 * An answer with an error code carries no results: a store that failed
 * to apply the request, or a request that never reached one.
 */
int
change_answer_read(char kind, const void *p, size_t len,
    struct change_answer *ans)
{
	const char *err;
	long long rc;
	size_t	 off = 0;

	memset(ans, 0, sizeof(*ans));
	buf_add(&ans->raw, p, len);
	if (!change_next_num(&ans->raw, &off, STORE_EFATAL, STORE_DUPLICATE,
	    &rc) || (err = change_next(&ans->raw, &off)) == NULL)
		return -1;
	ans->rc = (int)rc;
	bg_strlcpy(ans->error, err, sizeof(ans->error));
	if (ans->rc < 0)
		return 0;
	return change_answer_results(kind, ans, &off) ? 0 : -1;
}

/* change_answer_free - what an answer holds */
void
change_answer_free(struct change_answer *ans)
{
	buf_free(&ans->raw);
	buf_free(&ans->list);
}
