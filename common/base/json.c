/*++
 * NAME
 *	json 3
 * SUMMARY
 *	writing JSON lines
 * DESCRIPTION
 *	See json.h. Strings are escaped per RFC 8259; bytes that are not
 *	valid UTF-8 become U+FFFD, so a hostile diagnostic can never break
 *	the line-per-object format that scripts read.
 *--*/
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "util.h"

/* json_escape_char - append one ASCII character, escaped if needed */
static void
json_escape_char(struct buf *out, unsigned char c)
{
	switch (c) {
	case '"':
		buf_addstr(out, "\\\"");
		break;
	case '\\':
		buf_addstr(out, "\\\\");
		break;
	case '\n':
		buf_addstr(out, "\\n");
		break;
	case '\r':
		buf_addstr(out, "\\r");
		break;
	case '\t':
		buf_addstr(out, "\\t");
		break;
	default:
		if (c < 0x20 || c == 0x7f)
			buf_printf(out, "\\u%04x", c);
		else
			buf_addch(out, c);
	}
}

/* json_str - append a quoted string, or null */
void
json_str(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t	 n;

	if (s == NULL) {
		buf_addstr(out, "null");
		return;
	}
	buf_addch(out, '"');
	while (*p) {
		if ((n = bg_utf8_len(p)) == 0) {
			buf_addstr(out, "\\ufffd");
			p++;
		} else if (n == 1) {
			json_escape_char(out, *p++);
		} else {
			buf_add(out, p, n);
			p += n;
		}
	}
	buf_addch(out, '"');
}

/* json_begin - start an object */
void
json_begin(struct json *j, struct buf *out)
{
	j->out = out;
	j->n = 0;
	buf_addch(out, '{');
}

/* json_end - close the object */
void
json_end(struct json *j)
{
	buf_addch(j->out, '}');
}

/* json_key - the separator and the key */
static void
json_key(struct json *j, const char *key)
{
	if (j->n++)
		buf_addch(j->out, ',');
	json_str(j->out, key);
	buf_addch(j->out, ':');
}

/* json_member_str - "key":"value" or "key":null */
void
json_member_str(struct json *j, const char *key, const char *value)
{
	json_key(j, key);
	json_str(j->out, value);
}

/* json_member_int - "key":123 */
void
json_member_int(struct json *j, const char *key, long long value)
{
	json_key(j, key);
	buf_printf(j->out, "%lld", value);
}

/* json_member_bool - "key":true */
void
json_member_bool(struct json *j, const char *key, bool value)
{
	json_key(j, key);
	buf_addstr(j->out, value ? "true" : "false");
}

/* json_member_null - "key":null */
void
json_member_null(struct json *j, const char *key)
{
	json_key(j, key);
	buf_addstr(j->out, "null");
}

/* json_member_raw - "key":<already JSON> */
void
json_member_raw(struct json *j, const char *key, const char *raw)
{
	json_key(j, key);
	buf_addstr(j->out, raw);
}
