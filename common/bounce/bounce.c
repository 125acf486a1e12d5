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
 *	LF, so all three give identical results) and NUL bytes (spaces),
 *	drops an mbox "From " line, cuts the message where it would make
 *	GMime build more parts or header fields than the limits allow
 *	(bounce_mime_limit()), marks returned messages (message/rfc822) as
 *	opaque text so GMime does not build their trees (only their
 *	headers are read; a returned message that is itself a report is
 *	parsed then), builds
 *	the MIME tree with GMime, collects the decoded texts
 *	(bounce_mime.c), and hands them to the format modules in order:
 *	ARF complaint reports, RFC 3464 DSNs (also without the multipart
 *	wrapper), the free-text NDRs of a fixed template (bounce_layout.c,
 *	recognised by their own words whatever the headers), other
 *	free-text NDRs, RFC 3834 auto-replies. A recipient that failed or
 *	is delayed takes only failure codes from its diagnostic. It then completes
 *	and classifies each recipient found.
 *
 *	A DSN is "sync" when its Reporting-MTA is one of ours (the local
 *	host names, or this host's name when none are configured) and it
 *	names a Remote-MTA and an smtp diagnostic; any other bounce is
 *	"async". Complaints and auto-replies have no mode.
 *
 *	result.queue_id is the reporting MTA's id of the returned message,
 *	as its log lines name it: Postfix's X-Postfix-Queue-ID field, or
 *	the "id" of the returned headers' topmost Received: field when
 *	Exim wrote it (Exim's DSNs carry no such field). The pipe uses it
 *	to count a back-off signal once (backoff(3)).
 *
 *	The recipient list it fills (bounce_rcpt.c) and the text scanners
 *	(bounce_scan.c) sit below the format modules, which use them and
 *	never call back into this file.
 * DIAGNOSTICS
 *	bounce_parse() returns -1 when GMime cannot read the message at
 *	all, 0 otherwise; a message that is not a bounce gives kind
 *	BOUNCE_NONE and a short reason in result.why.
 *--*/
#include <ctype.h>
#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounce_format.h"
#include "bounce_int.h"
#include "libbase.h"
#include "libclassify.h"

#define BOUNCE_MAX_DIAG	1000		/* bytes of diagnostic kept */

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
	p->max_headers = 10000;
}

/* bounce_kind_name - a word for a kind of bounce */
const char *
bounce_kind_name(enum bounce_kind k)
{
	static const char *const names[] = { "none", "dsn", "ndr", "arf",
	    "autoreply" };

	return (unsigned)k < BG_ARRAY_SIZE(names) ? names[k] : "none";
}

/* bounce_stage_name - the SMTP stage of a refused command, lower case,
   as rules' stage= and parse --json name it; NULL when not known */
const char *
bounce_stage_name(const char *command)
{
	static const char *const stages[][2] = { { "CONNECT", "connect" },
	    { "HELO", "helo" }, { "MAIL", "mail" }, { "RCPT", "rcpt" },
	    { "DATA", "data" } };

	for (size_t i = 0; command != NULL && i < BG_ARRAY_SIZE(stages); i++)
		if (strcmp(command, stages[i][0]) == 0)
			return stages[i][1];
	return NULL;
}

/* bounce_mode_name - "sync", "async" or NULL */
const char *
bounce_mode_name(enum bounce_mode mode)
{
	if (mode == BOUNCE_MODE_SYNC)
		return "sync";
	return mode == BOUNCE_MODE_ASYNC ? "async" : NULL;
}

/* bounce_append_text - append bytes with each NUL made a space */
static void
bounce_append_text(GByteArray *ba, const char *data, size_t len)
{
	guint	 at = ba->len;

	g_byte_array_append(ba, (const guint8 *)data, (guint)len);
	for (guint8 *p = ba->data + at; (p = memchr(p, '\0',
	    (size_t)(ba->data + ba->len - p))) != NULL; p++)
		*p = ' ';
}

/* bounce_normalize - a GLib copy with LF line endings, no mbox line and
   no NUL bytes (they would hide the rest of a line from the string
   functions of the format modules) */
static GByteArray *
bounce_normalize(const char *data, size_t len)
{
	GByteArray *ba = g_byte_array_sized_new((guint)len + 1);
	const char *end;

	if (len > 5 && memcmp(data, "From ", 5) == 0) {
		const char *nl = data;

		while (nl < data + len && *nl != '\n' && *nl != '\r')
			nl++;
		if (nl == data + len)
			nl = NULL;

		if (nl != NULL && nl[0] == '\r' && nl + 1 < data + len &&
		    nl[1] == '\n')
			nl++;

		len = nl != NULL ? len - (size_t)(nl + 1 - data) : 0;
		data = nl != NULL ? nl + 1 : data;
	}
	for (end = data + len; data < end;) {
		const char *cr = memchr(data, '\r', (size_t)(end - data));

		if (cr == NULL)
			cr = end;
		bounce_append_text(ba, data, (size_t)(cr - data));
		if (cr < end && (cr + 1 == end || cr[1] != '\n'))
			g_byte_array_append(ba, (const guint8 *)"\n", 1);
		data = cr + 1;
	}
	return ba;
}

/* bounce_refold - a Content-Type line ending in ";" whose boundary
   parameter its writer forgot to indent on the next line: join them */
static void
bounce_refold(char *nl, const char *end)
{
	if (nl == NULL || (size_t)(end - nl) <= 9 || nl[-1] != ';' ||
	    strncasecmp(nl + 1, "boundary=", 9) != 0)
		return;
	*nl = ' ';
}

/* bounce_retype - make returned messages opaque text for GMime: only
   their headers are read, and building their MIME trees would cost
   about as much as parsing the whole bounce. Also mends a multipart
   boundary written unfolded (bounce_refold). */
static void
bounce_retype(char *data, size_t len)
{
	static const char from[] = "message/rfc822";
	char	*p = data, *end = data + len;

	while (p < end) {
		char	*nl = memchr(p, '\n', (size_t)(end - p));
		char	*v = p + 13;

		if ((size_t)(end - p) > 13 + sizeof(from) &&
		    strncasecmp(p, "Content-Type:", 13) == 0) {
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			if ((size_t)(end - v) >= sizeof(from) - 1 &&
			    strncasecmp(v, from, sizeof(from) - 1) == 0)
				memcpy(v, BOUNCE_RETURNED_TYPE, sizeof(from) - 1);
			bounce_refold(nl, end);
		}
		p = nl != NULL ? nl + 1 : end;
	}
}

/* bounce_decoded - a header value decoded and unfolded, or NULL */
static char *
bounce_decoded(const char *raw)
{
	char	*dec = g_mime_utils_header_decode_text(NULL, raw), *out;

	out = bounce_scan_collapse(dec != NULL ? dec : raw,
	    strlen(dec != NULL ? dec : raw), 4096);
	g_free(dec);
	return out;
}

/* bounce_addr_of - the address of a header value, or NULL */
static char *
bounce_addr_of(const char *raw)
{
	return bounce_scan_addr(raw, strlen(raw));
}

/* bounce_set - keep the first value of a header */
static void
bounce_set(char **slot, char *value)
{
	if (*slot == NULL)
		*slot = value;
	else
		free(value);
}

/* bounce_header - note one top-level header the modules use */
static void
bounce_header(struct bounce_msg *m, const char *name, const char *raw)
{
	if (strcasecmp(name, "From") == 0) {
		bounce_set(&m->from, bounce_addr_of(raw));
		bounce_set(&m->from_raw, bounce_decoded(raw));
	} else if (strcasecmp(name, "To") == 0)
		bounce_set(&m->to, bounce_addr_of(raw));
	else if (strcasecmp(name, "Subject") == 0)
		bounce_set(&m->subject, bounce_decoded(raw));
	else if (strcasecmp(name, "X-Failed-Recipients") == 0)
		bounce_set(&m->failed_rcpts, bounce_decoded(raw));
	else if (strcasecmp(name, "Auto-Submitted") == 0)
		bounce_set(&m->auto_submitted, bounce_decoded(raw));
	else if (strcasecmp(name, "Return-Path") == 0) {
		m->has_return_path = true;
		m->null_sender |= strstr(raw, "<>") != NULL ||
		    bounce_scan_has_word(raw, "mailer-daemon");
	}
	else if (strcasecmp(name, "Content-Type") == 0)
		m->report_dsn = bounce_scan_has_word(raw, "report") &&
		    bounce_scan_has_word(raw, "delivery-status");
	else if (strcasecmp(name, "X-Autoreply") == 0 ||
	    strcasecmp(name, "X-Autorespond") == 0 ||
	    strcasecmp(name, "X-Apple-Action") == 0)
		m->autoreply_header = true;
	else if (strcasecmp(name, "X-Auto-Response-Suppress") == 0 ||
	    strcasecmp(name, "Precedence") == 0)
		m->auto_hint = true;
}

/* bounce_collect_headers - the top-level headers, in one pass */
static void
bounce_collect_headers(struct bounce_msg *m, GMimeMessage *msg)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	int	 n = hl != NULL ? g_mime_header_list_get_count(hl) : 0;

	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *raw = g_mime_header_get_raw_value(h);

		if (raw != NULL)
			bounce_header(m, g_mime_header_get_name(h), raw);
	}
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
	free(m->dsn_unnamed_status);
	free(m->auto_submitted);
	buf_free(&m->body);
	buf_free(&m->dsn);
	buf_free(&m->arf);
	buf_free(&m->orig);
}

/* bounce_dispatch - let the format modules find the recipients */
static void
bounce_dispatch(struct bounce_msg *m)
{
	bool	 layout;

	m->cut = m->body.len > 0 ?
	    (size_t)(bounce_text_cut(m->body.data) - m->body.data) : 0;
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
	layout = m->res->nrcpt == 0 && bounce_layout_looks_like(m);
	if (layout)
		bounce_layout_parse(m);
	if (m->res->nrcpt == 0 && (layout || bounce_text_is_ndr(m)))
		bounce_text_parse(m);
	if (m->res->nrcpt == 0 && bounce_auto_is_autoreply(m))
		bounce_auto_parse(m);
}

/* bounce_is_failing - the recipient failed or is delayed: its action
   says so, or its diagnostic carries a 4xx or 5xx reply */
static bool
bounce_is_failing(const struct bounce_rcpt *r)
{
	char	 code[16];

	if (r->action != NULL)
		return strcmp(r->action, "failed") == 0 ||
		    strcmp(r->action, "delayed") == 0;
	return r->diagnostic != NULL &&
	    bounce_scan_fail_reply(r->diagnostic, code, sizeof(code));
}

/* bounce_codes - status and reply code from the diagnostic if missing;
   a failure takes only failure codes, so that a success reply earlier
   in a transcript never makes it "delivered" */
static void
bounce_codes(struct bounce_rcpt *r)
{
	bool	 failing = bounce_is_failing(r);
	char	 code[16];

	if (failing && r->status != NULL && r->status[0] == '2') {
		free(r->status);
		r->status = NULL;
	}
	if (r->diagnostic == NULL)
		return;
	if ((failing ? bounce_scan_fail_status : bounce_scan_status)(
	    r->diagnostic, code, sizeof(code)) &&
	    (r->status == NULL || strcmp(code + 1, ".0.0") != 0)) {
		free(r->status);
		r->status = xstrdup(code);
	}
	if (r->reply_code == NULL && (failing ? bounce_scan_fail_reply :
	    bounce_scan_reply)(r->diagnostic, code, sizeof(code)))
		r->reply_code = xstrdup(code);
	if (r->command == NULL && bounce_scan_command(r->diagnostic) != NULL)
		r->command = xstrdup(bounce_scan_command(r->diagnostic));
}

/* bounce_command_from_text - the refused command, from the report text */
static bool
bounce_command_from_text(struct bounce_msg *m, struct bounce_rcpt *r)
{
	char	*block = bounce_text_block(m, r->recipient);
	const char *cmd = block != NULL ? bounce_scan_command(block) : NULL;

	if (cmd != NULL)
		r->command = xstrdup(cmd);
	free(block);
	return cmd != NULL;
}

/* bounce_codes_from_text - a local delivery program's failure ("X-Unix;
   255") is reported in a DSN with a generic status; the report's own
   text says what the MTA made of it ("554 5.3.0 unknown mailer error
   255"), and that is the recipient's code */
static void
bounce_codes_from_text(struct bounce_msg *m, struct bounce_rcpt *r)
{
	char	*block, code[16];

	if (m->res->kind != BOUNCE_DSN || !r->local_program ||
	    (r->status != NULL && strcmp(r->status + 1, ".0.0") != 0) ||
	    (block = bounce_text_block(m, r->recipient)) == NULL)
		return;
	if (bounce_scan_fail_status(block, code, sizeof(code)) &&
	    strcmp(code + 1, ".0.0") != 0 &&
	    (r->status == NULL || r->status[0] == code[0])) {
		free(r->status);
		r->status = xstrdup(code);
	}
	if (r->reply_code == NULL &&
	    bounce_scan_fail_reply(block, code, sizeof(code)))
		r->reply_code = xstrdup(code);
	free(block);
}

/* bounce_complete - fill a recipient's gaps from the report text */
static void
bounce_complete(struct bounce_msg *m, struct bounce_rcpt *r)
{
	if (r->diagnostic == NULL && m->res->kind != BOUNCE_AUTOREPLY &&
	    m->res->kind != BOUNCE_ARF) {
		r->diagnostic = bounce_text_block(m, r->recipient);
		r->own_words = m->res->kind == BOUNCE_DSN;
	}
	if (r->diagnostic != NULL && strlen(r->diagnostic) > BOUNCE_MAX_DIAG)
		r->diagnostic[BOUNCE_MAX_DIAG] = '\0';
	if (r->diagnostic != NULL)
		bounce_scan_unfold_reply(r->diagnostic);
	bounce_codes(r);
	bounce_codes_from_text(m, r);
	if (m->res->kind == BOUNCE_NDR) {
		bounce_text_mtas(m, r);
		bounce_text_action(m, r);
	}
}

/* bounce_classify - reason, hardness and rule of one recipient */
static void
bounce_classify(struct bounce_msg *m, struct bounce_rcpt *r,
    const char *body)
{
	struct classify_input in = { .status = r->status,
	    .reply_code = r->reply_code, .action = r->action,
	    .command = r->command, .remote_host = r->remote_mta,
	    .reporting_host = r->reporting_mta, .diagnostic = r->diagnostic,
	    .subject = m->subject, .body = body,
	    .local_program = r->local_program, .own_words = r->own_words };
	struct classify_result out;
	const char *at = r->recipient != NULL ? strrchr(r->recipient, '@') :
	    NULL;

	in.recipient_domain = at != NULL ? at + 1 : NULL;

	if (m->res->kind == BOUNCE_ARF || m->res->kind == BOUNCE_AUTOREPLY) {
		r->reason = m->res->kind == BOUNCE_ARF ? REASON_FEEDBACK :
		    REASON_VACATION;
		r->evidence = classify_evidence_name(CLASSIFY_EV_REPORT);
		return;
	}
	classify(m->p->rules, &in, &out);
	if (out.needs_command && m->res->kind == BOUNCE_DSN &&
	    bounce_command_from_text(m, r)) {
		in.command = r->command;
		classify_finish(&in, &out);
	}
	r->reason = out.reason;
	r->evidence = classify_evidence_name(out.evidence);
	r->hard = out.hard;
	if (out.rule_file != NULL)
		r->rule = xasprintf("%s:%u", out.rule_file, out.rule_line);
	if (out.limit_hit)
		m->res->limit_hit = true;
}

/* bounce_unnamed_status - Exim reports a delivery to a file or pipe
   with the file or command as Final-Recipient ("save to /var/mail/x
   generated by user@example.org" in its text): such a DSN block names no
   address, and the report's one failed address, found in its text,
   takes the block's status */
static void
bounce_unnamed_status(struct bounce_msg *m)
{
	struct bounce_rcpt *r;

	if (m->res->nrcpt != 1 || m->dsn_unnamed != 1 ||
	    m->res->kind == BOUNCE_DSN || m->res->rcpt[0].status != NULL)
		return;
	r = &m->res->rcpt[0];
	r->status = m->dsn_unnamed_status;
	m->dsn_unnamed_status = NULL;
}

/* bounce_id_ok - a queue id: letters, digits and '-', not too long */
static bool
bounce_id_ok(const char *s, size_t n)
{
	if (n == 0 || n >= 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

/* bounce_exim_id - the id Exim gave the returned message: the
   "id X" of the topmost Received: header, when Exim wrote it */
static char *
bounce_exim_id(const char *headers)
{
	char	*rcvd = bounce_scan_header(headers, "Received"), *id, *res = NULL;
	size_t	 n;

	if (rcvd != NULL && strstr(rcvd, "(Exim ") != NULL &&
	    (id = strstr(rcvd, " id ")) != NULL) {
		id += 4;
		n = strcspn(id, " ;\t");
		if (bounce_id_ok(id, n))
			res = xstrndup(id, n);
	}
	free(rcvd);
	return res;
}

/* bounce_queue_id - the reporting MTA's queue id of the returned
   message: Postfix's X-Postfix-Queue-ID field of the DSN, or Exim's
   message id; it is what the MTA's log lines name */
static void
bounce_queue_id(struct bounce_msg *m)
{
	const char *dsn = m->has_dsn ? m->dsn.data : m->body.data;
	char	*id = dsn != NULL ? bounce_scan_header(dsn,
	    "X-Postfix-Queue-ID") : NULL;

	if (id != NULL && bounce_id_ok(bg_trim(id), strlen(bg_trim(id))))
		m->res->queue_id = xstrdup(bg_trim(id));
	free(id);
	if (m->res->queue_id == NULL && m->has_orig && m->orig.data != NULL)
		m->res->queue_id = bounce_exim_id(m->orig.data);
}

/* bounce_finish - complete and classify every recipient */
static void
bounce_finish(struct bounce_msg *m)
{
	const char *body = m->body.len > 0 ? m->body.data : NULL;
	char	*cut = body != NULL ? xstrndup(body, m->cut) : NULL;

	bounce_unnamed_status(m);
	for (size_t i = 0; i < m->res->nrcpt; i++) {
		bounce_complete(m, &m->res->rcpt[i]);
		bounce_classify(m, &m->res->rcpt[i], cut);
	}
	free(cut);
	if (m->res->nrcpt > 0)
		bounce_queue_id(m);
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
	GByteArray *ba;

	memset(res, 0, sizeof(*res));
	memset(&m, 0, sizeof(m));
	m.p = p;
	m.res = res;
	bounce_init();
	ba = bounce_normalize(data, len);
	g_byte_array_set_size(ba, (guint)bounce_mime_limit(&m,
	    (const char *)ba->data, ba->len));
	bounce_retype((char *)ba->data, ba->len);
	stream = g_mime_stream_mem_new_with_byte_array(ba);
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
