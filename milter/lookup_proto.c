/*++
 * NAME
 *	lookup_proto 3
 * SUMMARY
 *	the lookup socket's two protocols
 * DESCRIPTION
 *	lookup_next() takes the bytes a client sent so far, finds the first
 *	complete request, answers it, and says how many bytes it used. The
 *	first byte of each request tells the protocol apart: a digit starts
 *	a Postfix socketmap netstring, anything else a line.
 *
 *	Line protocol, for Exim's ${readsocket} (one request per line,
 *	answers are one line):
 *
 *	check ADDRESS [SENDER]	"ok", "suppressed REASON", or, when the
 *				store cannot be read and on_store_error is
 *				tempfail, "tempfail REASON"
 *	verp ADDRESS		the signed VERP return path for ADDRESS
 *	verify ADDRESS		"ok", or "invalid WHY" for an address at
 *				verp_domain that is not a return path we
 *				signed (unsigned, badly signed, expired);
 *				postmaster and abuse are always "ok"
 *	anything else		"error WHAT"
 *
 *	Socketmap ("LEN:NAME KEY,"; answers are netstrings too):
 *
 *	suppressed ADDRESS	"OK CODE X.Y.Z TEXT" (reject_reply) for a
 *				suppressed address, "NOTFOUND " otherwise,
 *				"TEMP REASON" on a store error with
 *				on_store_error = tempfail
 *	verp ADDRESS		"OK VERP-ADDRESS"
 *	verp_recipient ADDRESS	for check_recipient_access on the MX that
 *				receives bounces: "OK 550 5.1.1 TEXT" for an
 *				address at verp_domain that is not a valid
 *				return path of ours, "NOTFOUND " otherwise
 *	transport DOMAIN	for transport_maps: "OK TRANSPORT:" (the
 *				backoff_transports entry of the domain's
 *				back-off level) for a domain in back-off,
 *				"NOTFOUND " otherwise, and also on a store
 *				error: Postfix then uses its default
 *				transport, so a broken store never defers mail
 *
 *	In monitor mode a suppressed address is logged and answered as not
 *	suppressed. Requests longer than LOOKUP_REQUEST_MAX and broken
 *	netstrings get an error and end the connection.
 * DIAGNOSTICS
 *	Suppressed addresses are logged: "lookup: reject recipient=<ADDR>
 *	reason=R scope=S mode=M"; store errors as warnings.
 *--*/
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "libbackoff.h"
#include "libbase.h"
#include "libmail.h"
#include "milter.h"

enum lk_result { LK_OK, LK_SUPPRESSED, LK_TEMPFAIL, LK_ERROR, LK_INVALID };

struct lk_answer {
	enum lk_result result;
	char	 text[600];		/* reason, reply, VERP or error */
};

/* lk_check - look an address up for a sender domain */
static void
lk_check(const struct mrt *rt, const char *rcpt, const char *sender,
    struct lk_answer *a, struct store_verdict *vp)
{
	char	 addr[ADDR_MAX], snd[ADDR_MAX], err[MILTER_ERR_MAX];
	char	 reason[64], scope[STORE_SCOPE_MAX];
	const char *why, *dom = NULL;
	struct store_verdict v;
	bool	 enforce = rt->cfg->mode == CFG_MODE_ENFORCE;

	if (addr_normalize(rcpt, addr, sizeof(addr), 0, &why) < 0) {
		a->result = LK_ERROR;
		snprintf(a->text, sizeof(a->text), "bad address: %s", why);
		return;
	}
	if (sender != NULL && addr_normalize(sender, snd, sizeof(snd), 0,
	    &why) == 0)
		dom = addr_domain(snd);
	if (mstore_lookup(addr, dom, time(NULL), &v, err, sizeof(err)) < 0) {
		bool	 tf = rt->cfg->on_store_error ==
		    CFG_ON_STORE_ERROR_TEMPFAIL;

		log_warnx("lookup: store error recipient=<%s> action=%s: %s",
		    addr, tf ? "tempfail" : "accept", err);
		a->result = tf ? LK_TEMPFAIL : LK_OK;
		bg_strlcpy(a->text, "store unavailable", sizeof(a->text));
		return;
	}
	if (!v.suppressed) {
		a->result = LK_OK;
		return;
	}
	log_info("lookup: reject recipient=<%s> reason=%s scope=%s mode=%s",
	    addr, log_value(v.supp.reason[0] ? v.supp.reason : "suppressed",
	    reason, sizeof(reason)), log_value(v.supp.scope[0] ?
	    v.supp.scope : "global", scope, sizeof(scope)),
	    enforce ? "enforce" : "monitor");
	a->result = enforce ? LK_SUPPRESSED : LK_OK;
	reply_sanitize(v.supp.reason[0] ? v.supp.reason : "suppressed",
	    a->text, sizeof(a->text));
	if (vp != NULL)
		*vp = v;
}

/* lk_verp - the signed return path for an address */
static void
lk_verp(const struct mrt *rt, const char *rcpt, struct lk_answer *a)
{
	char	 token[VERP_TOKEN_LEN + 1], addr[ADDR_MAX];
	char	 err[MILTER_ERR_MAX];
	const char *one = addr, *why;
	time_t	 now = time(NULL);
	int	 rc;

	if (addr_normalize(rcpt, addr, sizeof(addr), 0, &why) < 0) {
		a->result = LK_ERROR;
		snprintf(a->text, sizeof(a->text), "bad address: %s", why);
		return;
	}
	rc = verp_encode(&rt->codec, addr, now, a->text, sizeof(a->text));
	if (rc == VERP_TOO_LONG) {
		verp_new_token(token, sizeof(token));
		if (mstore_token_put(token, bg_day(now), &one, 1, err,
		    sizeof(err)) < 0) {
			log_warnx("lookup: store error recipient=<%s>: %s",
			    addr, err);
			a->result = LK_TEMPFAIL;
			bg_strlcpy(a->text, "store unavailable",
			    sizeof(a->text));
			return;
		}
		rc = verp_encode_token(&rt->codec, token, now, a->text,
		    sizeof(a->text));
	}
	a->result = rc == VERP_OK ? LK_OK : LK_ERROR;
	if (rc != VERP_OK)
		bg_strlcpy(a->text, "bad address", sizeof(a->text));
}

/* lk_verify - whether a recipient at verp_domain is a return path we
   signed and that has not expired, so that the MX can refuse junk at
   RCPT TO instead of the pipe keeping it in quarantine. Addresses of
   other domains, and the role addresses every domain must accept
   (RFC 5321 section 4.5.1, RFC 2142), are not its business. */
static void
lk_verify(const struct mrt *rt, const char *rcpt, struct lk_answer *a)
{
	char	 addr[ADDR_MAX], local[ADDR_MAX];
	const char *why, *dom;
	struct verp_decoded d;

	if (addr_normalize(rcpt, addr, sizeof(addr), 0, &why) < 0) {
		a->result = LK_ERROR;
		snprintf(a->text, sizeof(a->text), "bad address: %s", why);
		return;
	}
	a->result = LK_OK;
	dom = addr_domain(addr);
	if (rt->codec.domain == NULL || rt->codec.domain[0] == '\0' ||
	    dom == NULL || strcasecmp(dom, rt->codec.domain) != 0)
		return;
	bg_strlcpy(local, addr, sizeof(local));
	local[strcspn(local, "@")] = '\0';
	if (strcmp(local, "postmaster") == 0 || strcmp(local, "abuse") == 0)
		return;
	verp_decode(&rt->codec, addr, time(NULL), &d);
	if (d.status == VERP_VALID)
		return;
	a->result = LK_INVALID;
	bg_strlcpy(a->text, d.status == VERP_NOT_OURS ? "unsigned" :
	    verp_status_name(d.status), sizeof(a->text));
	log_info("lookup: refuse recipient=<%s> verp=%s", addr, a->text);
}

/* lk_words - split a request into at most three words */
static int
lk_words(char *s, char **w)
{
	int	 n = 0;
	char	*save = NULL;

	for (char *t = strtok_r(s, " \t", &save); t != NULL;
	    t = strtok_r(NULL, " \t", &save)) {
		if (n == 3)
			return 4;
		w[n++] = t;
	}
	return n;
}

/* lk_line - answer one line-protocol request */
static void
lk_line(char *line, struct buf *out)
{
	struct lk_answer a = { LK_ERROR, "" };
	struct mrt *rt = rt_acquire();
	char	*w[3];
	int	 n = lk_words(line, w);

	if (rt == NULL)
		snprintf(a.text, sizeof(a.text), "not ready");
	else if (n == 0)
		snprintf(a.text, sizeof(a.text), "empty request");
	else if (strcasecmp(w[0], "check") == 0 && (n == 2 || n == 3))
		lk_check(rt, w[1], n == 3 ? w[2] : NULL, &a, NULL);
	else if (strcasecmp(w[0], "verp") == 0 && n == 2)
		lk_verp(rt, w[1], &a);
	else if (strcasecmp(w[0], "verify") == 0 && n == 2)
		lk_verify(rt, w[1], &a);
	else if (strcasecmp(w[0], "check") == 0 || strcasecmp(w[0],
	    "verp") == 0 || strcasecmp(w[0], "verify") == 0)
		snprintf(a.text, sizeof(a.text), "usage: check ADDRESS "
		    "[SENDER] | verp ADDRESS | verify ADDRESS");
	else
		snprintf(a.text, sizeof(a.text), "unknown command");
	rt_release(rt);
	switch (a.result) {
	case LK_OK:
		buf_printf(out, "%s\n", a.text[0] && strcasecmp(w[0],
		    "verp") == 0 ? a.text : "ok");
		break;
	case LK_SUPPRESSED:
		buf_printf(out, "suppressed %s\n", a.text);
		break;
	case LK_TEMPFAIL:
		buf_printf(out, "tempfail %s\n", a.text);
		break;
	case LK_ERROR:
		buf_printf(out, "error %s\n", a.text);
		break;
	case LK_INVALID:
		buf_printf(out, "invalid %s\n", a.text);
		break;
	}
}

/* lk_netstring - append one netstring */
static void
lk_netstring(struct buf *out, const char *s)
{
	buf_printf(out, "%zu:%s,", strlen(s), s);
}

/* lk_sockmap_suppressed - the "suppressed" table */
static void
lk_sockmap_suppressed(const struct mrt *rt, const char *key,
    struct buf *out)
{
	struct lk_answer a = { LK_ERROR, "" };
	char	 addr[ADDR_MAX], reply[1024];
	struct store_verdict v;
	const char *why;
	struct reply r;

	/* Postfix also asks for "domain" and "user@": answer for addresses */
	if (strchr(key, '@') == NULL || key[strlen(key) - 1] == '@' ||
	    addr_normalize(key, addr, sizeof(addr), 0, &why) < 0) {
		lk_netstring(out, "NOTFOUND ");
		return;
	}
	lk_check(rt, addr, NULL, &a, &v);
	if (a.result == LK_TEMPFAIL) {
		lk_netstring(out, "TEMP store unavailable");
		return;
	}
	if (a.result != LK_SUPPRESSED ||
	    reply_format(rt->cfg->reject_reply, addr, &v.supp, &r) < 0) {
		lk_netstring(out, "NOTFOUND ");
		return;
	}
	snprintf(reply, sizeof(reply), "OK %s%s%s %s", r.rcode,
	    r.xcode[0] ? " " : "", r.xcode, r.text);
	lk_netstring(out, reply);
}

/* lk_sockmap_verp_recipient - the "verp_recipient" table */
static void
lk_sockmap_verp_recipient(const struct mrt *rt, const char *key,
    struct buf *out)
{
	struct lk_answer a = { LK_ERROR, "" };
	char	 reply[ADDR_MAX + sizeof(((struct lk_answer *)0)->text) + 64];

	/* Postfix also asks for "domain" and "user@": answer for addresses */
	if (strchr(key, '@') == NULL || key[strlen(key) - 1] == '@') {
		lk_netstring(out, "NOTFOUND ");
		return;
	}
	lk_verify(rt, key, &a);
	if (a.result != LK_INVALID) {
		lk_netstring(out, "NOTFOUND ");
		return;
	}
	snprintf(reply, sizeof(reply), "OK 550 5.1.1 <%s>: not a bounce "
	    "address of ours (%s)", key, a.text);
	reply_sanitize(reply, reply, sizeof(reply));
	lk_netstring(out, reply);
}

/* lk_sockmap_transport - the "transport" table: back-off transports */
static void
lk_sockmap_transport(const struct mrt *rt, const char *key, struct buf *out)
{
	char	 domain[STORE_ADDR_MAX], err[MILTER_ERR_MAX], ans[64];
	struct store_backoff rec;
	struct backoff_params p;
	const char *why, *t;
	int	 rc;

	/* Postfix also asks for "user@domain" and ".parent": domains only */
	if (backoff_check_domain(key, domain, sizeof(domain), &why) < 0 ||
	    (rc = mstore_backoff_get(domain, &rec, err, sizeof(err))) ==
	    STORE_NOTFOUND) {
		lk_netstring(out, "NOTFOUND ");
		return;
	}
	if (rc != STORE_OK) {
		log_warnx("lookup: store error domain=%s action=default-transport:"
		    " %s", domain, err);
		lk_netstring(out, "NOTFOUND ");
		return;
	}
	backoff_params(rt->cfg, &p);
	if ((t = backoff_transport(rt->cfg, backoff_level(&p, &rec,
	    time(NULL)))) == NULL) {
		lk_netstring(out, "NOTFOUND ");
		return;
	}
	snprintf(ans, sizeof(ans), "OK %s:", t);
	lk_netstring(out, ans);
}

/* lk_sockmap - answer one socketmap request "NAME KEY" */
static void
lk_sockmap(const char *req, size_t len, struct buf *out)
{
	struct mrt *rt = rt_acquire();
	char	 text[LOOKUP_REQUEST_MAX + 1], ans[700];
	struct lk_answer a = { LK_ERROR, "" };
	char	*key;

	memcpy(text, req, len);
	text[len] = '\0';
	if (rt == NULL || (key = strchr(text, ' ')) == NULL ||
	    memchr(text, '\0', len) != NULL) {
		lk_netstring(out, rt == NULL ? "TEMP not ready" :
		    "PERM malformed request: expected \"NAME KEY\"");
		rt_release(rt);
		return;
	}
	*key++ = '\0';
	if (strcmp(text, "suppressed") == 0)
		lk_sockmap_suppressed(rt, key, out);
	else if (strcmp(text, "verp") == 0) {
		lk_verp(rt, key, &a);
		snprintf(ans, sizeof(ans), "%s %s", a.result == LK_OK ? "OK" :
		    a.result == LK_TEMPFAIL ? "TEMP" : "PERM", a.text);
		lk_netstring(out, a.result == LK_ERROR &&
		    strchr(key, '@') == NULL ? "NOTFOUND " : ans);
	} else if (strcmp(text, "verp_recipient") == 0)
		lk_sockmap_verp_recipient(rt, key, out);
	else if (strcmp(text, "transport") == 0)
		lk_sockmap_transport(rt, key, out);
	else
		lk_netstring(out, "PERM unknown table name (use suppressed, "
		    "verp, verp_recipient or transport)");
	rt_release(rt);
}

/* lk_netstring_frame - a complete netstring at the start of buf? */
static enum lookup_parse
lk_netstring_frame(const char *p, size_t n, size_t *used, struct buf *out)
{
	size_t	 i, len = 0;

	for (i = 0; i < n && isdigit((unsigned char)p[i]); i++) {
		len = len * 10 + (size_t)(p[i] - '0');
		if (i >= 5 || len > LOOKUP_REQUEST_MAX) {
			lk_netstring(out, "PERM request too long");
			return LOOKUP_BAD_FRAME;
		}
	}
	if (i == n)
		return LOOKUP_NEED_MORE;
	if (p[i] != ':') {
		lk_netstring(out, "PERM malformed netstring");
		return LOOKUP_BAD_FRAME;
	}
	if (n < i + 1 + len + 1)
		return LOOKUP_NEED_MORE;
	if (p[i + 1 + len] != ',') {
		lk_netstring(out, "PERM malformed netstring");
		return LOOKUP_BAD_FRAME;
	}
	lk_sockmap(p + i + 1, len, out);
	*used = i + 1 + len + 1;
	return LOOKUP_REQUEST;
}

/* lookup_next - answer the first complete request in the bytes read */
enum lookup_parse
lookup_next(const char *p, size_t n, size_t *used, struct buf *out)
{
	char	 line[LOOKUP_REQUEST_MAX + 1];
	const char *nl;
	size_t	 len;

	*used = 0;
	if (n == 0)
		return LOOKUP_NEED_MORE;
	if (isdigit((unsigned char)p[0]))
		return lk_netstring_frame(p, n, used, out);
	if ((nl = memchr(p, '\n', n)) == NULL) {
		if (n <= LOOKUP_REQUEST_MAX)
			return LOOKUP_NEED_MORE;
		buf_addstr(out, "error request too long\n");
		return LOOKUP_BAD_FRAME;
	}
	len = (size_t)(nl - p);
	*used = len + 1;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (len > LOOKUP_REQUEST_MAX || memchr(p, '\0', len) != NULL) {
		buf_addstr(out, len > LOOKUP_REQUEST_MAX ?
		    "error request too long\n" : "error NUL in request\n");
		return LOOKUP_BAD_FRAME;
	}
	memcpy(line, p, len);
	line[len] = '\0';
	lk_line(line, out);
	return LOOKUP_REQUEST;
}
