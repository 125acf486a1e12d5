/*++
 * NAME
 *	bounce_mime 3
 * SUMMARY
 *	collect the parts of a bounce that matter, with GMime
 * DESCRIPTION
 *	bounce_mime_collect() walks the MIME tree of a parsed message and
 *	fills the texts of struct bounce_msg: text/plain parts outside the
 *	returned message become the human-readable report (text/html is
 *	kept as a fallback), message/delivery-status and its variants the
 *	DSN fields, message/feedback-report the ARF fields, and the headers
 *	of a returned message/rfc822 or text/rfc822-headers part the
 *	original headers. Transfer encodings are decoded and charsets
 *	converted to UTF-8 by GMime.
 *
 *	A report with only an HTML part has its tags removed and its
 *	common entities decoded.
 *
 *	The walk stops at the parser's max_parts and max_depth limits and
 *	then sets the result's truncated flag. Only the first MIME_MAX_TEXT
 *	bytes of each kind of text are decoded: a large part costs no
 *	decoded copy of itself.
 *
 *	bounce_mime_limit() says how much of the raw message GMime is
 *	given before it parses, so that the parts and header fields it
 *	builds stay within those limits whatever the message's size.
 * DIAGNOSTICS
 *	None; unreadable parts are skipped.
 *--*/
#include <gmime/gmime.h>
#include <errno.h>
#include <iconv.h>
#include <string.h>

#include "bounce_format.h"
#include "bounce_int.h"
#include "libbase.h"

#define MIME_MAX_TEXT	(256 * 1024)	/* per collected text */
#define MIME_ICONV_CACHE 8		/* converters kept open */
#define MIME_MAX_HEAD	(64 * 1024)	/* header block of a returned message */

/* Open converters to UTF-8, kept for the life of the process: opening
   one loads a gconv module, which costs more than parsing a message. */
static struct {
	char	 charset[40];
	iconv_t	 cd;
} mime_iconv[MIME_ICONV_CACHE];

/* bounce_mime_decoder - a stream of a part's decoded content */
static GMimeStream *
bounce_mime_decoder(GMimeDataWrapper *dw)
{
	GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(dw);
	GMimeStream *s = g_mime_data_wrapper_get_stream(dw), *f;
	GMimeFilter *dec;

	if (s == NULL || g_mime_stream_reset(s) < 0)
		return NULL;
	f = g_mime_stream_filter_new(s);
	if (enc == GMIME_CONTENT_ENCODING_BASE64 ||
	    enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	    enc == GMIME_CONTENT_ENCODING_UUENCODE) {
		dec = g_mime_filter_basic_new(enc, FALSE);
		g_mime_stream_filter_add(GMIME_STREAM_FILTER(f), dec);
		g_object_unref(dec);
	}
	return f;
}

/* bounce_mime_raw - the decoded bytes of a leaf part, as many as fit
   under MIME_MAX_TEXT: the rest of a large part is never decoded */
static void
bounce_mime_raw(GMimePart *part, struct buf *out)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	GMimeStream *f = dw != NULL ? bounce_mime_decoder(dw) : NULL;
	struct buf raw = BUF_INIT;
	char	 chunk[16384];
	ssize_t	 n;

	if (f == NULL)
		return;
	while (out->len + raw.len < MIME_MAX_TEXT &&
	    (n = g_mime_stream_read(f, chunk, sizeof(chunk))) > 0)
		buf_add(&raw, chunk, (size_t)n);
	g_object_unref(f);
	if (raw.len > 0 && out->len < MIME_MAX_TEXT)
		bounce_scan_append(out, raw.data, MIN(raw.len,
		    MIME_MAX_TEXT - out->len));
	buf_free(&raw);
}

/* bounce_mime_is_utf8 - a charset that needs no conversion */
static bool
bounce_mime_is_utf8(const char *cs)
{
	return strcasecmp(cs, "us-ascii") == 0 || strcasecmp(cs, "utf-8") == 0 ||
	    strcasecmp(cs, "utf8") == 0 || strcasecmp(cs, "ascii") == 0;
}

/* bounce_mime_iconv - a cached converter from charset to UTF-8 */
static iconv_t
bounce_mime_iconv(const char *charset)
{
	const char *name = g_mime_charset_iconv_name(charset);
	size_t	 i;

	for (i = 0; i < MIME_ICONV_CACHE && mime_iconv[i].charset[0]; i++)
		if (strcasecmp(mime_iconv[i].charset, name) == 0)
			return mime_iconv[i].cd;
	if (i == MIME_ICONV_CACHE || strlen(name) >= sizeof(mime_iconv[i].charset))
		return iconv_open("UTF-8", name);
	mime_iconv[i].cd = iconv_open("UTF-8", name);
	if (mime_iconv[i].cd != (iconv_t)-1 &&
	    bg_strlcpy(mime_iconv[i].charset, name,
	    sizeof(mime_iconv[i].charset)) >= sizeof(mime_iconv[i].charset))
		mime_iconv[i].charset[0] = '\0';	/* cannot happen: checked */
	return mime_iconv[i].cd;
}

/* bounce_mime_is_cached - a converter that stays open */
static bool
bounce_mime_is_cached(iconv_t cd)
{
	for (size_t i = 0; i < MIME_ICONV_CACHE; i++)
		if (mime_iconv[i].charset[0] && mime_iconv[i].cd == cd)
			return true;
	return false;
}

/* bounce_mime_convert - append bytes converted to UTF-8; invalid input
   bytes are skipped */
static void
bounce_mime_convert(iconv_t cd, const char *in, size_t n, struct buf *out)
{
	char	 chunk[4096];

	(void)iconv(cd, NULL, NULL, NULL, NULL);
	while (n > 0) {
		char	*o = chunk;
		size_t	 olen = sizeof(chunk);
		size_t	 rc = iconv(cd, (char **)&in, &n, &o, &olen);

		bounce_scan_append(out, chunk, sizeof(chunk) - olen);
		if (rc == (size_t)-1 && errno != E2BIG) {
			if (n == 0 || errno == EINVAL)
				break;
			in++;
			n--;
		}
	}
		{
		char	*o = chunk;
		size_t	 olen = sizeof(chunk);

		(void)iconv(cd, NULL, NULL, &o, &olen);
		bounce_scan_append(out, chunk, sizeof(chunk) - olen);
	}
}

/* bounce_mime_text - the UTF-8 text of a leaf part */
static void
bounce_mime_text(GMimeObject *obj, struct buf *out)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *cs = ct != NULL ?
	    g_mime_content_type_get_parameter(ct, "charset") : NULL;
	struct buf raw = BUF_INIT;
	iconv_t	 cd;

	if (out->len >= MIME_MAX_TEXT || !GMIME_IS_PART(obj))
		return;
	if (out->len > 0)
		buf_addch(out, '\n');
	if (cs == NULL || bounce_mime_is_utf8(cs) ||
	    (cd = bounce_mime_iconv(cs)) == (iconv_t)-1) {
		bounce_mime_raw(GMIME_PART(obj), out);
		return;
	}
	bounce_mime_raw(GMIME_PART(obj), &raw);
	if (raw.len > 0)
		bounce_mime_convert(cd, raw.data, raw.len, out);
	if (!bounce_mime_is_cached(cd))
		iconv_close(cd);
	buf_free(&raw);
}

/* bounce_mime_headers - the header block of an object as text */
static void
bounce_mime_headers(GMimeObject *obj, struct buf *out)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int	 n = hl != NULL ? g_mime_header_list_get_count(hl) : 0;

	for (int i = 0; i < n && out->len < MIME_MAX_TEXT; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *v = g_mime_header_get_raw_value(h);

		size_t	 vlen = v != NULL ? strlen(v) : 0;

		buf_addstr(out, g_mime_header_get_name(h));
		buf_addch(out, ':');
		buf_add(out, v != NULL ? v : "", vlen);
		if (vlen == 0 || v[vlen - 1] != '\n')
			buf_addch(out, '\n');
	}
}

/* bounce_mime_head - the header block of an unencoded returned message,
   read without copying its body; false when it is encoded */
static bool
bounce_mime_head(GMimePart *part, struct buf *out)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	GMimeContentEncoding enc = dw != NULL ?
	    g_mime_data_wrapper_get_encoding(dw) : GMIME_CONTENT_ENCODING_BASE64;
	GMimeStream *s = dw != NULL ? g_mime_data_wrapper_get_stream(dw) : NULL;
	char	 chunk[4096];
	ssize_t	 n;

	if (s == NULL || (enc != GMIME_CONTENT_ENCODING_DEFAULT &&
	    enc != GMIME_CONTENT_ENCODING_7BIT &&
	    enc != GMIME_CONTENT_ENCODING_8BIT &&
	    enc != GMIME_CONTENT_ENCODING_BINARY) || g_mime_stream_reset(s) < 0)
		return false;
	while (out->len < MIME_MAX_HEAD &&
	    (n = g_mime_stream_read(s, chunk, sizeof(chunk))) > 0) {
		bounce_scan_append(out, chunk, (size_t)n);
		if (strstr(out->data, "\n\n") != NULL)
			break;
	}
	if (out->data == NULL)
		buf_addstr(out, "");
	return true;
}

/* bounce_mime_is_dsn_type - the delivery-status types and misspellings */
static bool
bounce_mime_is_dsn_type(GMimeContentType *ct)
{
	const char *sub = g_mime_content_type_get_media_subtype(ct);

	return sub != NULL && (strcasecmp(sub, "delivery-status") == 0 ||
	    strcasecmp(sub, "global-delivery-status") == 0 ||
	    strcasecmp(sub, "x-delivery-status") == 0);
}

/* bounce_mime_leaf - file one leaf part under what it is */
static void
bounce_mime_leaf(struct bounce_msg *m, GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);

	if (ct == NULL || !GMIME_IS_PART(obj))
		return;
	if (bounce_mime_is_dsn_type(ct)) {
		bounce_mime_text(obj, &m->dsn);
		buf_addstr(&m->dsn, "\n\n");
		m->has_dsn = true;
	} else if (g_mime_content_type_is_type(ct, "message", "feedback-report")) {
		bounce_mime_text(obj, &m->arf);
		m->has_arf = true;
	} else if (g_mime_content_type_is_type(ct, "*", "rfc822-headers") ||
	    g_mime_content_type_is_type(ct, "message", "global-headers")) {
		if (!m->has_orig)
			bounce_mime_text(obj, &m->orig);
		m->has_orig = true;
	} else if (g_mime_content_type_is_type(ct, "text", BOUNCE_RETURNED)) {
		if (!m->has_orig && !bounce_mime_head(GMIME_PART(obj), &m->orig))
			bounce_mime_text(obj, &m->orig);
		m->has_orig = true;
	} else if (g_mime_content_type_is_type(ct, "text", "html")) {
		if (m->html_part == NULL)
			m->html_part = obj;
	} else if (g_mime_content_type_is_type(ct, "text", "*")) {
		bounce_mime_text(obj, &m->body);
	}
}

static void bounce_mime_walk(struct bounce_msg *, GMimeObject *, size_t);

/* bounce_mime_is_report - a returned message that is itself a report */
static bool
bounce_mime_is_report(struct bounce_msg *m, GMimeObject *top)
{
	GMimeContentType *ct = g_mime_object_get_content_type(top);

	return !m->has_dsn && !m->has_arf && ct != NULL &&
	    g_mime_content_type_is_type(ct, "multipart", "report");
}

/* bounce_mime_returned - the headers of a returned message */
static void
bounce_mime_returned(struct bounce_msg *m, GMimeObject *obj, size_t depth)
{
	GMimeMessage *sub = g_mime_message_part_get_message(
	    GMIME_MESSAGE_PART(obj));
	GMimeObject *top = sub != NULL ?
	    g_mime_message_get_mime_part(sub) : NULL;

	if (top != NULL && bounce_mime_is_report(m, top)) {
		buf_reset(&m->body);
		bounce_mime_walk(m, top, depth + 1);
		return;
	}
	if (sub == NULL || m->has_orig)
		return;
	bounce_mime_headers(GMIME_OBJECT(sub), &m->orig);
	m->has_orig = true;
}

/* bounce_mime_prologue - the text of a multipart without parts */
static void
bounce_mime_prologue(struct bounce_msg *m, GMimeMultipart *mp)
{
	const char *pro = g_mime_multipart_get_prologue(mp);

	if (pro != NULL)
		bounce_scan_append(&m->body, pro, strlen(pro));
}

/* bounce_mime_walk - visit a part and its children */
static void
bounce_mime_walk(struct bounce_msg *m, GMimeObject *obj, size_t depth)
{
	if (obj == NULL)
		return;
	if (++m->nparts > m->p->max_parts || depth > m->p->max_depth) {
		m->res->truncated = true;
		if (m->nparts > m->p->max_parts)
			m->res->parts_limit = true;
		else
			m->res->depth_limit = true;
		return;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int	 n = g_mime_multipart_get_count(mp);

		for (int i = 0; i < n; i++)
			bounce_mime_walk(m, g_mime_multipart_get_part(mp, i),
			    depth + 1);
		if (n == 0)
			bounce_mime_prologue(m, mp);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		bounce_mime_returned(m, obj, depth);
	} else {
		bounce_mime_leaf(m, obj);
	}
}

/* bounce_mime_orig_is_report - the returned message is itself a report */
static bool
bounce_mime_orig_is_report(const struct bounce_msg *m)
{
	char	*ct = m->has_orig ? bounce_scan_header(m->orig.data,
	    "Content-Type") : NULL;
	bool	 yes = ct != NULL && bounce_scan_has_word(ct, "multipart/report");

	free(ct);
	return yes;
}

/* bounce_mime_nested - walk a report returned inside another message
   (a forwarded bounce): its parts replace the outer ones */
static void
bounce_mime_nested(struct bounce_msg *m)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(m->orig.data,
	    bounce_mime_limit(m, m->orig.data, m->orig.len));
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);

	g_object_unref(parser);
	g_object_unref(stream);
	if (msg == NULL)
		return;
	buf_reset(&m->body);
	buf_reset(&m->orig);
	m->has_orig = false;
	m->html_part = NULL;
	bounce_mime_walk(m, g_mime_message_get_mime_part(msg), 1);
	if (m->body.len == 0 && m->html_part != NULL)
		bounce_mime_text(m->html_part, &m->body);
	m->html_part = NULL;
	g_object_unref(msg);
}

/* bounce_mime_collect - fill the texts of a bounce_msg */
void
bounce_mime_collect(struct bounce_msg *m, void *gmime_message)
{
	GMimeMessage *msg = gmime_message;

	bounce_mime_walk(m, g_mime_message_get_mime_part(msg), 0);
	if (!m->has_dsn && !m->has_arf && bounce_mime_orig_is_report(m))
		bounce_mime_nested(m);
	if (m->body.len == 0 && m->html_part != NULL) {
		struct buf html = BUF_INIT;

		bounce_mime_text(m->html_part, &html);
		if (html.data != NULL)
			bounce_scan_html(&m->body, html.data);
		buf_free(&html);
	}
}

/* bounce_mime_limit - how much of a message GMime is given, so that
   the objects it builds stay few whatever the message's size: all of it
   up to its (max_parts * 2 + 2)th line that starts with "--", or up to
   its max_headers'th header field. Every MIME part but the first
   follows such a boundary line, so the first cut bounds the parts (and
   the nesting); a bounce rarely has that many lines that begin with
   "--", and its report comes before its returned message. Header
   fields are counted from the top and after each "--" line up to the
   next empty line, an overestimate that needs no MIME parsing. */
size_t
bounce_mime_limit(struct bounce_msg *m, const char *data, size_t len)
{
	const char *p = data, *end = data + len, *nl;
	size_t	 dashes = 0, fields = 0, max = m->p->max_parts * 2 + 2;
	bool	 head = true;

	for (; p < end; p = nl != NULL ? nl + 1 : end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
			head = true;
			if (++dashes >= max) {
				m->res->parts_limit = true;
				break;
			}
		} else if (p[0] == '\n')
			head = false;
		else if (head && p[0] != ' ' && p[0] != '\t' &&
		    ++fields >= m->p->max_headers) {
			m->res->headers_limit = true;
			break;
		}
	}
	if (p >= end)
		return len;
	m->res->truncated = true;
	return (size_t)(p - data);
}
