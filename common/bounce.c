/*++
 * NAME
 *	bounce 3
 * SUMMARY
 *	bounce message parser, top level
 * DESCRIPTION
 *	bounce_init() initialises GMime once per process.
 *	bounce_parser_init() fills parser options with their defaults.
 *
 *	bounce_parse() normalises line endings (CRLF and bare CR become
 *	LF, so all three give identical results), drops an mbox "From "
 *	line, builds the MIME tree with GMime, collects the decoded texts
 *	(bounce_mime.c), and hands them to the format modules in order:
 *	ARF complaint reports, RFC 3464 DSNs (also without the multipart
 *	wrapper), free-text NDRs, RFC 3834 auto-replies. It then completes
 *	and classifies each recipient found.
 *
 *	A DSN is "sync" when its Reporting-MTA is one of ours (the local
 *	host names, or this host's name when none are configured) and it
 *	names a Remote-MTA and an smtp diagnostic; any other bounce is
 *	"async". Complaints and auto-replies have no mode.
 *
 *	bounce_result_free() releases what a result owns.
 * DIAGNOSTICS
 *	bounce_parse() returns -1 when GMime cannot read the message at
 *	all, 0 otherwise; a message that is not a bounce gives kind
 *	BOUNCE_NONE and a short reason in result.why.
 *--*/
#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounce_int.h"
#include "classify.h"
#include "util.h"

#define BOUNCE_MAX_DIAG	2000		/* bytes of diagnostic kept */

/* bounce_init - initialise GMime, once */
void
bounce_init(void)
{
	static bool done;

	if (!done) {
		g_mime_init();
		done = true;
	}
}

/* bounce_parser_init - default options: no rules, generous limits */
void
bounce_parser_init(struct bounce_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->max_parts = 500;
	p->max_depth = 20;
	p->max_recipients = 1000;
}

/* bounce_kind_name - a word for a kind of bounce */
const char *
bounce_kind_name(enum bounce_kind k)
{
	static const char *const names[] = { "none", "dsn", "ndr", "arf",
	    "autoreply" };

	return (unsigned)k < BG_ARRAY_SIZE(names) ? names[k] : "none";
}

/* bounce_mode_name - "sync", "async" or NULL */
const char *
bounce_mode_name(enum bounce_mode mode)
{
	if (mode == BOUNCE_MODE_SYNC)
		return "sync";
	return mode == BOUNCE_MODE_ASYNC ? "async" : NULL;
}

/* bounce_is_local_host - one of our own MTAs */
bool
bounce_is_local_host(const struct bounce_parser *p, const char *host)
{
	static char self[256];

	if (host == NULL)
		return false;
	for (size_t i = 0; i < p->nlocal_hostnames; i++)
		if (strcasecmp(p->local_hostnames[i], host) == 0)
			return true;
	if (p->nlocal_hostnames > 0)
		return false;
	if (self[0] == '\0' && gethostname(self, sizeof(self) - 1) < 0)
		bg_strlcpy(self, "localhost", sizeof(self));
	return strcasecmp(self, host) == 0;
}

/* bounce_rcpt_find - the recipient with this address, or NULL */
struct bounce_rcpt *
bounce_rcpt_find(struct bounce_msg *m, const char *addr)
{
	for (size_t i = 0; i < m->res->nrcpt; i++)
		if (m->res->rcpt[i].recipient != NULL && addr != NULL &&
		    strcmp(m->res->rcpt[i].recipient, addr) == 0)
			return &m->res->rcpt[i];
	return NULL;
}

/* bounce_rcpt_add - a new recipient (address copied), or NULL at limit */
struct bounce_rcpt *
bounce_rcpt_add(struct bounce_msg *m, const char *addr)
{
	struct bounce_result *res = m->res;
	struct bounce_rcpt *r;

	if (res->nrcpt >= m->p->max_recipients) {
		res->truncated = true;
		return NULL;
	}
	res->rcpt = xrealloc(res->rcpt, (res->nrcpt + 1) * sizeof(*r));
	r = &res->rcpt[res->nrcpt++];
	memset(r, 0, sizeof(*r));
	r->recipient = addr != NULL ? xstrdup(addr) : NULL;
	return r;
}

/* bounce_rcpt_free - release what one recipient owns */
static void
bounce_rcpt_free(struct bounce_rcpt *r)
{
	free(r->recipient);
	free(r->action);
	free(r->status);
	free(r->reply_code);
	free(r->command);
	free(r->diagnostic);
	free(r->reporting_mta);
	free(r->remote_mta);
	free(r->feedback_type);
	free(r->rule);
}

/* bounce_result_free - release what a result owns */
void
bounce_result_free(struct bounce_result *res)
{
	for (size_t i = 0; i < res->nrcpt; i++)
		bounce_rcpt_free(&res->rcpt[i]);
	free(res->rcpt);
	memset(res, 0, sizeof(*res));
}

/* bounce_normalize - a GLib copy with LF line endings, no mbox line */
static GByteArray *
bounce_normalize(const char *data, size_t len)
{
	struct buf b = BUF_INIT;
	GByteArray *ba;

	if (len > 5 && memcmp(data, "From ", 5) == 0) {
		const char *nl = memchr(data, '\n', len);

		len = nl != NULL ? len - (size_t)(nl + 1 - data) : 0;
		data = nl != NULL ? nl + 1 : data;
	}
	bounce_scan_append(&b, data, len);
	ba = g_byte_array_sized_new((guint)b.len + 1);
	g_byte_array_append(ba, (const guint8 *)b.data, (guint)b.len);
	buf_free(&b);
	return ba;
}

/* bounce_header - a decoded top-level header, copied, or NULL */
static char *
bounce_header(GMimeMessage *msg, const char *name)
{
	const char *v = g_mime_object_get_header(GMIME_OBJECT(msg), name);

	return v != NULL ? bounce_scan_collapse(v, strlen(v), 4096) : NULL;
}

/* bounce_header_addr - the address of an address header, or NULL */
static char *
bounce_header_addr(GMimeMessage *msg, const char *name)
{
	char	*v = bounce_header(msg, name), *a;

	if (v == NULL)
		return NULL;
	a = bounce_scan_addr(v, strlen(v));
	free(v);
	return a;
}

/* bounce_has_header - the message has a header of this name */
static bool
bounce_has_header(GMimeMessage *msg, const char *name)
{
	return g_mime_object_get_header(GMIME_OBJECT(msg), name) != NULL;
}

/* bounce_collect_headers - the top-level headers the modules use */
static void
bounce_collect_headers(struct bounce_msg *m, GMimeMessage *msg)
{
	const char *ct = g_mime_object_get_header(GMIME_OBJECT(msg),
	    "Content-Type");
	char	*rp = bounce_header(msg, "Return-Path");

	m->from = bounce_header_addr(msg, "From");
	m->from_raw = bounce_header(msg, "From");
	m->to = bounce_header_addr(msg, "To");
	m->subject = bounce_header(msg, "Subject");
	m->failed_rcpts = bounce_header(msg, "X-Failed-Recipients");
	m->auto_submitted = bounce_header(msg, "Auto-Submitted");
	m->null_sender = rp != NULL && (strcmp(rp, "<>") == 0 ||
	    bounce_scan_has_word(rp, "mailer-daemon"));
	m->report_dsn = ct != NULL && bounce_scan_has_word(ct, "report") &&
	    bounce_scan_has_word(ct, "delivery-status");
	m->autoreply_header = bounce_has_header(msg, "X-Autoreply") ||
	    bounce_has_header(msg, "X-Autorespond") ||
	    bounce_has_header(msg, "X-Apple-Action");
	m->auto_hint = bounce_has_header(msg, "X-Auto-Response-Suppress") ||
	    bounce_has_header(msg, "Precedence");
	free(rp);
}

/* bounce_msg_free - release the collected texts */
static void
bounce_msg_free(struct bounce_msg *m)
{
	free(m->from);
	free(m->from_raw);
	free(m->to);
	free(m->subject);
	free(m->failed_rcpts);
	free(m->auto_submitted);
	buf_free(&m->body);
	buf_free(&m->html);
	buf_free(&m->dsn);
	buf_free(&m->arf);
	buf_free(&m->orig);
}

/* bounce_dispatch - let the format modules find the recipients */
static void
bounce_dispatch(struct bounce_msg *m)
{
	if (m->body.len == 0 && m->html.len > 0)
		bounce_scan_append(&m->body, m->html.data, m->html.len);
	if (m->has_arf || bounce_arf_is_jmrp(m)) {
		bounce_arf_parse(m);
		return;
	}
	if (!m->has_dsn && bounce_ses_looks_like(m->body.data)) {
		bounce_ses_parse(m);
		return;
	}
	if (m->has_dsn)
		bounce_dsn_parse(m, m->dsn.data);
	if (m->res->nrcpt == 0 && m->body.len > 0 &&
	    bounce_dsn_looks_like(m->body.data))
		bounce_dsn_parse(m, m->body.data);
	if (m->res->nrcpt == 0 && bounce_text_is_ndr(m))
		bounce_text_parse(m);
	if (m->res->nrcpt == 0 && bounce_auto_is_autoreply(m))
		bounce_auto_parse(m);
}

/* bounce_codes - status and reply code from the diagnostic if missing */
static void
bounce_codes(struct bounce_rcpt *r)
{
	char	 code[16];

	if (r->diagnostic == NULL)
		return;
	if (bounce_scan_status(r->diagnostic, code, sizeof(code)) &&
	    (r->status == NULL || strcmp(code + 1, ".0.0") != 0)) {
		free(r->status);
		r->status = xstrdup(code);
	}
	if (r->reply_code == NULL &&
	    bounce_scan_reply(r->diagnostic, code, sizeof(code)))
		r->reply_code = xstrdup(code);
	if (r->command == NULL && bounce_scan_command(r->diagnostic) != NULL)
		r->command = xstrdup(bounce_scan_command(r->diagnostic));
}

/* bounce_command_from_text - the refused command, from the report text */
static void
bounce_command_from_text(struct bounce_msg *m, struct bounce_rcpt *r)
{
	char	*block = bounce_text_block(m, r->recipient);
	const char *cmd = block != NULL ? bounce_scan_command(block) : NULL;

	if (cmd != NULL)
		r->command = xstrdup(cmd);
	free(block);
}

/* bounce_complete - fill a recipient's gaps from the report text */
static void
bounce_complete(struct bounce_msg *m, struct bounce_rcpt *r)
{
	if (r->diagnostic == NULL && m->res->kind != BOUNCE_AUTOREPLY &&
	    m->res->kind != BOUNCE_ARF)
		r->diagnostic = bounce_text_block(m, r->recipient);
	if (r->diagnostic != NULL && strlen(r->diagnostic) > BOUNCE_MAX_DIAG)
		r->diagnostic[BOUNCE_MAX_DIAG] = '\0';
	if (r->diagnostic != NULL)
		bounce_scan_unfold_reply(r->diagnostic);
	bounce_codes(r);
	if (r->command == NULL && m->res->kind == BOUNCE_DSN)
		bounce_command_from_text(m, r);
}

/* bounce_classify - reason, hardness and rule of one recipient */
static void
bounce_classify(struct bounce_msg *m, struct bounce_rcpt *r,
    const char *body)
{
	struct classify_input in = { r->status, r->reply_code, r->action,
	    r->command, r->diagnostic, m->subject, body };
	struct classify_result out;

	if (m->res->kind == BOUNCE_ARF || m->res->kind == BOUNCE_AUTOREPLY) {
		r->reason = m->res->kind == BOUNCE_ARF ? REASON_FEEDBACK :
		    REASON_VACATION;
		return;
	}
	classify(m->p->rules, &in, &out);
	r->reason = out.reason;
	r->hard = out.hard;
	if (out.rule_file != NULL)
		r->rule = xasprintf("%s:%u", out.rule_file, out.rule_line);
	if (out.limit_hit)
		m->res->limit_hit = true;
}

/* bounce_finish - complete and classify every recipient */
static void
bounce_finish(struct bounce_msg *m)
{
	const char *body = m->body.len > 0 ? m->body.data : NULL;
	char	*cut = body != NULL ? xstrndup(body,
	    (size_t)(bounce_text_cut(body) - body)) : NULL;

	for (size_t i = 0; i < m->res->nrcpt; i++) {
		bounce_complete(m, &m->res->rcpt[i]);
		bounce_classify(m, &m->res->rcpt[i], cut);
	}
	free(cut);
	if (m->res->nrcpt == 0) {
		m->res->kind = BOUNCE_NONE;
		if (m->res->why == NULL)
			m->res->why = "no bounce report and no failed recipient found";
	}
}

/* bounce_parse - parse one message into a result the caller frees */
int
bounce_parse(const struct bounce_parser *p, const char *data, size_t len,
    struct bounce_result *res)
{
	struct bounce_msg m;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;

	memset(res, 0, sizeof(*res));
	memset(&m, 0, sizeof(m));
	m.p = p;
	m.res = res;
	bounce_init();
	stream = g_mime_stream_mem_new_with_byte_array(bounce_normalize(data, len));
	parser = g_mime_parser_new_with_stream(stream);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	if (msg == NULL) {
		res->why = "not a mail message";
		return -1;
	}
	bounce_collect_headers(&m, msg);
	bounce_mime_collect(&m, msg);
	bounce_dispatch(&m);
	bounce_finish(&m);
	g_object_unref(msg);
	bounce_msg_free(&m);
	return 0;
}
