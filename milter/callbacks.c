/*++
 * NAME
 *	callbacks 3
 * SUMMARY
 *	the libmilter callbacks: refuse at RCPT TO, stamp at end of message
 * DESCRIPTION
 *	One context per MTA connection, made at connect and freed at close,
 *	holds what is known about the client; the per-message part of it
 *	(sender, accepted recipients, a reference to the configuration in
 *	force) is set at MAIL FROM and reset at end of message and at abort.
 *	Every callback starts by fetching the context and copes with its
 *	absence; none ever exits the process.
 *
 *	MAIL FROM decides whether the message is outbound; inbound mail
 *	and the null sender are accepted, so the MTA does not call us
 *	again for that message. A sender that is one of our VERP
 *	addresses with a valid signature (mail that passes the MTA a
 *	second time) is not stamped again, but its recipients are still
 *	looked up: any recipient of our mail can read a signed VERP
 *	address, so it must not open a way around suppression; an
 *	unsigned or badly signed address in the VERP domain counts for
 *	nothing and the message is stamped like any other. When the MTA offers it (Postfix does), MAIL FROM is
 *	negotiated without a reply (SMFIP_NR_MAIL), which spares the MTA a
 *	round trip per message: such mail is then accepted at its first
 *	RCPT TO instead. RCPT TO looks each recipient up in the store and
 *	refuses a suppressed one with reject_reply (mode = monitor logs and
 *	accepts). End of message changes the envelope sender to the signed
 *	VERP address of the single recipient, or to a per-message token
 *	whose recipients are written durably to the store, adds the
 *	original sender in original_sender_header, and counts one send per
 *	recipient domain.
 * DIAGNOSTICS
 *	Log lines start with the queue id ({i}, or NOQUEUE before Postfix
 *	has one) and continue with key=value pairs:
 *	"reject recipient=<ADDR> reason=R scope=S mode=M",
 *	"stamp sender=<S> verp=<V> recipients=N", and warnings for store
 *	errors with the action taken (on_store_error).
 *--*/
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmilter/mfapi.h>

#include "libbase.h"
#include "libmail.h"
#include "milter.h"
#include "negotiate.h"

#define MCTX_DAEMON_MAX		64
#define MCTX_TEMPFAIL_TEXT	"bounceguard: store unavailable, try again later"

struct mctx {
	struct sockaddr_storage addr;
	bool	 have_addr;
	bool	 local;
	bool	 noreply_connect;	/* SMFIP_NR_CONN was negotiated */
	bool	 noreply_mail;		/* SMFIP_NR_MAIL was negotiated */
	char	 daemon[MCTX_DAEMON_MAX];
	char	 qid[STORE_QID_MAX];
	struct mrt *rt;			/* set while in an outbound message */
	const char *why;		/* which criterion made it outbound */
	bool	 stamp;			/* false: the sender is a signed VERP */
	char	 sender[ADDR_MAX];
	char	**rcpt;
	size_t	 nrcpt, caprcpt;
};

/* mctx_reset - forget the message */
static void
mctx_reset(struct mctx *m)
{
	for (size_t i = 0; i < m->nrcpt; i++)
		free(m->rcpt[i]);
	free(m->rcpt);
	m->rcpt = NULL;
	m->nrcpt = m->caprcpt = 0;
	rt_release(m->rt);
	m->rt = NULL;
	m->sender[0] = '\0';
	m->qid[0] = '\0';
}

/* mctx_qid - the queue id for log lines */
static const char *
mctx_qid(SMFICTX *ctx, struct mctx *m)
{
	const char *v = smfi_getsymval(ctx, (char *)"i");

	if (v != NULL && v[0] != '\0')
		bg_strlcpy(m->qid, v, sizeof(m->qid));
	return m->qid[0] ? m->qid : "NOQUEUE";
}

/* mctx_add_rcpt - remember an accepted recipient; -1 without memory */
static int
mctx_add_rcpt(struct mctx *m, const char *addr)
{
	char	**v, *copy;

	if (m->nrcpt == m->caprcpt) {
		size_t	 cap = m->caprcpt ? m->caprcpt * 2 : 4;

		if ((v = realloc(m->rcpt, cap * sizeof(*v))) == NULL)
			return -1;
		m->rcpt = v;
		m->caprcpt = cap;
	}
	if ((copy = strdup(addr)) == NULL)
		return -1;
	m->rcpt[m->nrcpt++] = copy;
	return 0;
}

/* cb_negotiate - the steps and actions we need, and our macros */
static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct mctx *m = smfi_getpriv(ctx);

	(void)f2;
	(void)f3;
	if (!(f0 & SMFIF_CHGFROM))
		log_warnx("the MTA cannot change the envelope sender "
		    "(milter protocol too old): mail will not be stamped");
	if (m == NULL && (m = calloc(1, sizeof(*m))) != NULL)
		smfi_setpriv(ctx, m);
	*pf0 = f0 & NEGOTIATE_ACTIONS;
	*pf1 = f1 & NEGOTIATE_STEPS;
	if (m == NULL)
		*pf1 &= ~(SMFIP_NR_CONN | SMFIP_NR_MAIL);
	else {
		m->noreply_connect = (*pf1 & SMFIP_NR_CONN) != 0;
		m->noreply_mail = (*pf1 & SMFIP_NR_MAIL) != 0;
	}
	*pf2 = *pf3 = 0;
	if (f0 & SMFIF_SETSYMLIST) {
#define CB_SYMLIST(stage, list) \
		(void)smfi_setsymlist(ctx, (stage), (char *)(list));
		NEGOTIATE_MACROS(CB_SYMLIST)
#undef CB_SYMLIST
	}
	return SMFIS_CONTINUE;
}

/* cb_is_local - Postfix's simulated connection for sendmail(1) mail */
static bool
cb_is_local(const char *host, const struct sockaddr *sa)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)
	    (const void *)sa;

	if (sa == NULL)
		return true;
	return host != NULL && strcmp(host, "localhost") == 0 &&
	    sa->sa_family == AF_INET && sin->sin_port == 0 &&
	    ntohl(sin->sin_addr.s_addr) == INADDR_LOOPBACK;
}

/* cb_connect - a new MTA connection: remember the client */
static sfsistat
cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct mctx *m = smfi_getpriv(ctx);
	const char *d;

	if (m == NULL && (m = calloc(1, sizeof(*m))) == NULL) {
		log_warnx("out of memory: mail of this connection passes "
		    "unchecked");
		return SMFIS_ACCEPT;
	}
	smfi_setpriv(ctx, m);
	m->local = cb_is_local(host, sa);
	m->have_addr = sa != NULL && (sa->sa_family == AF_INET ||
	    sa->sa_family == AF_INET6);
	if (m->have_addr)
		memcpy(&m->addr, sa, sa->sa_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	d = smfi_getsymval(ctx, (char *)"{daemon_name}");
	bg_strlcpy(m->daemon, d ? d : "", sizeof(m->daemon));
	return m->noreply_connect ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* cb_outbound - is the message outbound under the snapshot in force? */
static const char *
cb_outbound(SMFICTX *ctx, struct mctx *m, const struct mrt *rt)
{
	struct outbound_facts f;

	memset(&f, 0, sizeof(f));
	f.client = m->have_addr ? (const struct sockaddr *)&m->addr : NULL;
	f.local = m->local;
	f.auth_authen = smfi_getsymval(ctx, (char *)"{auth_authen}");
	f.daemon_name = smfi_getsymval(ctx, (char *)"{daemon_name}");
	if (f.daemon_name == NULL)
		f.daemon_name = m->daemon;
	f.sender_domain = addr_domain(m->sender);
	return outbound_reason(rt->cfg, &f);
}

/* cb_signed_verp - the sender is a VERP address we signed, still valid */
static bool
cb_signed_verp(const struct mrt *rt, const char *sender)
{
	struct verp_decoded d;

	if (!verp_is_ours(&rt->codec, sender))
		return false;		/* the common case: no HMAC to compute */
	verp_decode(&rt->codec, sender, time(NULL), &d);
	return d.status == VERP_VALID;
}

/* cb_envfrom_watch - MAIL FROM: is this a message to watch? */
static bool
cb_envfrom_watch(SMFICTX *ctx, struct mctx *m, char **argv)
{
	const char *why;
	struct mrt *rt;

	mctx_reset(m);
	(void)mctx_qid(ctx, m);
	if (argv == NULL || argv[0] == NULL || addr_normalize(argv[0],
	    m->sender, sizeof(m->sender), 0, &why) < 0)
		return false;	/* the null sender, or no address */
	if ((rt = rt_acquire()) == NULL)
		return false;
	if ((m->why = cb_outbound(ctx, m, rt)) == NULL) {
		rt_release(rt);
		return false;
	}
	m->rt = rt;
	m->stamp = !cb_signed_verp(rt, m->sender);
	return true;
}

/* cb_envfrom - MAIL FROM: accept what we do not watch (at RCPT if no reply) */
static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct mctx *m = smfi_getpriv(ctx);

	if (m == NULL)
		return SMFIS_ACCEPT;
	if (!cb_envfrom_watch(ctx, m, argv) && !m->noreply_mail)
		return SMFIS_ACCEPT;
	return m->noreply_mail ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* cb_store_error - follow on_store_error for one recipient */
static sfsistat
cb_store_error(SMFICTX *ctx, struct mctx *m, const char *qid,
    const char *addr, const char *err)
{
	bool	 tempfail = m->rt->cfg->on_store_error ==
	    CFG_ON_STORE_ERROR_TEMPFAIL;

	log_warnx("%s: store error recipient=<%s> action=%s: %s", qid, addr,
	    tempfail ? "tempfail" : "accept", err);
	if (tempfail) {
		(void)smfi_setreply(ctx, (char *)"451", (char *)"4.3.0",
		    (char *)MCTX_TEMPFAIL_TEXT);
		return SMFIS_TEMPFAIL;
	}
	return mctx_add_rcpt(m, addr) < 0 ? SMFIS_TEMPFAIL : SMFIS_CONTINUE;
}

/* cb_refuse - a suppressed recipient: refuse it, or log it in monitor mode */
static sfsistat
cb_refuse(SMFICTX *ctx, struct mctx *m, const char *qid, const char *addr,
    const struct store_verdict *v)
{
	bool	 enforce = m->rt->cfg->mode == CFG_MODE_ENFORCE;
	char	 reason[64], scope[STORE_SCOPE_MAX], text[1024];
	struct reply r;

	log_value(v->supp.reason[0] ? v->supp.reason : "suppressed", reason,
	    sizeof(reason));
	log_value(v->supp.scope[0] ? v->supp.scope : "global", scope,
	    sizeof(scope));
	log_info("%s: reject recipient=<%s> reason=%s scope=%s%s%s mode=%s",
	    qid, addr, reason, scope, v->key[0] == '@' ? " match=" : "",
	    v->key[0] == '@' ? v->key : "", enforce ? "enforce" : "monitor");
	if (!enforce)
		return mctx_add_rcpt(m, addr) < 0 ? SMFIS_TEMPFAIL :
		    SMFIS_CONTINUE;
	if (reply_format(m->rt->cfg->reject_reply, addr, &v->supp, &r) < 0)
		return SMFIS_REJECT;
	reply_escape_percent(r.text, text, sizeof(text));
	(void)smfi_setreply(ctx, r.rcode, r.xcode[0] ? r.xcode : NULL, text);
	return r.rcode[0] == '4' ? SMFIS_TEMPFAIL : SMFIS_REJECT;
}

/* cb_raw_addr - an address addr_normalize() refused, printable, lower case */
static void
cb_raw_addr(const char *in, char *out, size_t size)
{
	size_t	 len;

	reply_sanitize(in, out, size);
	bg_lowercase(out);
	if ((len = strlen(out)) >= 2 && out[0] == '<' && out[len - 1] == '>') {
		memmove(out, out + 1, len - 2);
		out[len - 2] = '\0';
	}
}

/* cb_envrcpt - RCPT TO: refuse a suppressed recipient */
static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct mctx *m = smfi_getpriv(ctx);
	char	 addr[ADDR_MAX], err[MILTER_ERR_MAX];
	struct store_verdict v;
	const char *qid, *why;
	int	 rc;

	if (m == NULL || argv == NULL || argv[0] == NULL)
		return SMFIS_CONTINUE;
	if (m->rt == NULL)		/* not watched: see cb_envfrom() */
		return SMFIS_ACCEPT;
	qid = mctx_qid(ctx, m);
	if (addr_normalize(argv[0], addr, sizeof(addr), 0, &why) < 0) {
		/* Not a form the store keys, but still looked up as written:
		   no spelling of an address skips the lookup. */
		cb_raw_addr(argv[0], addr, sizeof(addr));
	}
	rc = mstore_lookup(addr, addr_domain(m->sender), time(NULL), &v, err,
	    sizeof(err));
	if (rc < 0)
		return cb_store_error(ctx, m, qid, addr, err);
	if (v.suppressed)
		return cb_refuse(ctx, m, qid, addr, &v);
	return mctx_add_rcpt(m, addr) < 0 ? SMFIS_TEMPFAIL : SMFIS_CONTINUE;
}

/* cb_token - a per-message token for the recipients; -1 on store error */
static int
cb_token(struct mctx *m, const char *qid, time_t now, char *verp,
    size_t size, char *token, size_t tsize)
{
	char	 err[MILTER_ERR_MAX];

	verp_new_token(token, tsize);
	if (mstore_token_put(token, bg_day(now), (const char *const *)m->rcpt,
	    m->nrcpt, err, sizeof(err)) < 0) {
		log_warnx("%s: store error token=%s recipients=%zu action=%s: "
		    "%s", qid, token, m->nrcpt, m->rt->cfg->on_store_error ==
		    CFG_ON_STORE_ERROR_TEMPFAIL ? "tempfail" : "unstamped", err);
		return -1;
	}
	return verp_encode_token(&m->rt->codec, token, now, verp, size) ==
	    VERP_OK ? 0 : -1;
}

/* cb_headers - keep the original sender in a header */
static void
cb_headers(SMFICTX *ctx, struct mctx *m)
{
	const char *name = m->rt->cfg->original_sender_header;
	char	 value[ADDR_MAX + 3];

	if (name == NULL || name[0] == '\0')
		return;
	snprintf(value, sizeof(value), "<%s>", m->sender);
	if (smfi_addheader(ctx, (char *)name, value) != MI_SUCCESS)
		log_warnx("%s: cannot add header %s (the MTA refused it)",
		    m->qid[0] ? m->qid : "NOQUEUE", name);
}

/* cb_count - one send per recipient domain */
static void
cb_count(const struct mctx *m)
{
	for (size_t i = 0; i < m->nrcpt; i++) {
		const char *d = addr_domain(m->rcpt[i]);

		if (d != NULL && d[0] != '\0')
			sendcount_add(d);
	}
}

/* cb_stamp - change the envelope sender to a signed VERP address */
static sfsistat
cb_stamp(SMFICTX *ctx, struct mctx *m, const char *qid)
{
	char	 verp[VERP_MAX], bracketed[VERP_MAX + 2];
	char	 token[VERP_TOKEN_LEN + 1] = "";
	time_t	 now = time(NULL);

	if (m->nrcpt == 0)
		return SMFIS_CONTINUE;
	if ((m->nrcpt > 1 || verp_encode(&m->rt->codec, m->rcpt[0], now, verp,
	    sizeof(verp)) != VERP_OK) && cb_token(m, qid, now, verp,
	    sizeof(verp), token, sizeof(token)) < 0) {
		if (m->rt->cfg->on_store_error != CFG_ON_STORE_ERROR_TEMPFAIL)
			return SMFIS_CONTINUE;
		(void)smfi_setreply(ctx, (char *)"451", (char *)"4.3.0",
		    (char *)MCTX_TEMPFAIL_TEXT);
		return SMFIS_TEMPFAIL;
	}
	snprintf(bracketed, sizeof(bracketed), "<%s>", verp);
	if (smfi_chgfrom(ctx, bracketed, NULL) != MI_SUCCESS) {
		log_warnx("%s: cannot change the envelope sender (the MTA "
		    "refused it)", qid);
		return SMFIS_CONTINUE;
	}
	cb_headers(ctx, m);
	log_info("%s: stamp sender=<%s> verp=<%s> recipients=%zu%s%s", qid,
	    m->sender, verp, m->nrcpt, token[0] ? " token=" : "", token);
	cb_count(m);
	return SMFIS_CONTINUE;
}

/* cb_eom - end of message: stamp it */
static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct mctx *m = smfi_getpriv(ctx);
	sfsistat rc;

	if (m == NULL || m->rt == NULL)
		return SMFIS_CONTINUE;
	rc = m->stamp ? cb_stamp(ctx, m, mctx_qid(ctx, m)) : SMFIS_CONTINUE;
	mctx_reset(m);
	return rc;
}

/* cb_abort - the message was abandoned */
static sfsistat
cb_abort(SMFICTX *ctx)
{
	struct mctx *m = smfi_getpriv(ctx);

	if (m != NULL)
		mctx_reset(m);
	return SMFIS_CONTINUE;
}

/* cb_close - the connection ended */
static sfsistat
cb_close(SMFICTX *ctx)
{
	struct mctx *m = smfi_getpriv(ctx);

	if (m != NULL) {
		mctx_reset(m);
		free(m);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc milter_desc = {
	.xxfi_name = (char *)MILTER_PROGNAME,
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_CHGFROM | SMFIF_ADDHDRS | SMFIF_SETSYMLIST,
	.xxfi_connect = cb_connect,
	.xxfi_envfrom = cb_envfrom,
	.xxfi_envrcpt = cb_envrcpt,
	.xxfi_eom = cb_eom,
	.xxfi_abort = cb_abort,
	.xxfi_close = cb_close,
	.xxfi_negotiate = cb_negotiate,
};
