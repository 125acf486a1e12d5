/*++
 * NAME
 *	verp 3
 * SUMMARY
 *	signed VERP return paths
 * DESCRIPTION
 *	See verp.h for the format. The form character after DAY ('-', '.'
 *	or '_') is part of the signed text, so a signature for one form can
 *	never be replayed as another; the fixed widths of SIG and DAY make
 *	parsing unambiguous whatever characters the local part holds.
 * DIAGNOSTICS
 *	Key files: "FILE:LINE: secret shorter than 16 characters", "FILE:
 *	no secret", and a warning (returned in the buffer, the keys still
 *	load) when the file is readable by everyone; the pipe logs it.
 *--*/
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "libbase.h"
#include "libmail.h"
#include "verp.h"

#define VERP_SIG_LEN		8	/* base32 characters: 40 bits */
#define VERP_DAY_LEN		4	/* base32 characters: 2,800 years */
#define VERP_SECRET_MIN		16
#define VERP_MAX_KEYS		16

struct verp_keys {
	size_t	 n;
	char	*secret[VERP_MAX_KEYS];
};

static const char verp_b32[] = "abcdefghijklmnopqrstuvwxyz234567";

/* verp_b32_value - the value of a base32 character, or -1 */
static int
verp_b32_value(int c)
{
	const char *p;

	c = (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
	if (c == '\0' || (p = strchr(verp_b32, c)) == NULL)
		return -1;
	return (int)(p - verp_b32);
}

/* verp_b32_encode - bytes to base32 text without padding */
static void
verp_b32_encode(const unsigned char *in, size_t len, struct buf *out)
{
	unsigned int acc = 0;
	int	 bits = 0;

	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		for (bits += 8; bits >= 5; bits -= 5)
			buf_addch(out, verp_b32[(acc >> (bits - 5)) & 31]);
	}
	if (bits > 0)
		buf_addch(out, verp_b32[(acc << (5 - bits)) & 31]);
}

/* verp_b32_decode - base32 text to bytes; -1 on a bad character */
static int
verp_b32_decode(const char *in, size_t len, struct buf *out)
{
	unsigned int acc = 0;
	int	 bits = 0, v;

	for (size_t i = 0; i < len; i++) {
		if ((v = verp_b32_value((unsigned char)in[i])) < 0)
			return -1;
		acc = (acc << 5) | (unsigned)v;
		if ((bits += 5) >= 8) {
			buf_addch(out, (int)((acc >> (bits - 8)) & 0xff));
			bits -= 8;
		}
	}
	return 0;
}

/* verp_keys_add - one secret */
static int
verp_keys_add(struct verp_keys *k, const char *secret)
{
	if (k->n == VERP_MAX_KEYS)
		return -1;
	k->secret[k->n++] = xstrdup(secret);
	return 0;
}

/* verp_keys_from_string - keys from one secret (tests, tools) */
struct verp_keys *
verp_keys_from_string(const char *secret)
{
	struct verp_keys *k = xcalloc(1, sizeof(*k));

	verp_keys_add(k, secret);
	return k;
}

/* verp_keys_line - check and add one line of the secrets file */
static int
verp_keys_line(struct verp_keys *k, char *line, const char *path, int lineno,
    struct buf *err)
{
	char	*s = bg_trim(line);

	if (*s == '\0' || *s == '#')
		return 0;
	if (strlen(s) < VERP_SECRET_MIN) {
		buf_printf(err, "%s:%d: secret shorter than %d characters\n",
		    path, lineno, VERP_SECRET_MIN);
		return -1;
	}
	if (verp_keys_add(k, s) < 0) {
		buf_printf(err, "%s:%d: more than %d secrets\n", path, lineno,
		    VERP_MAX_KEYS);
		return -1;
	}
	return 0;
}

/* verp_keys_load - secrets, one per line; the first signs */
struct verp_keys *
verp_keys_load(const char *path, struct buf *err)
{
	struct verp_keys *k;
	struct stat sb;
	char	*line = NULL;
	size_t	 cap = 0;
	int	 lineno = 0, bad = 0;
	FILE	*fp;

	if ((fp = fopen(path, "r")) == NULL) {
		buf_printf(err, "%s: cannot open: %s\n", path, strerror(errno));
		return NULL;
	}
	k = xcalloc(1, sizeof(*k));
	while (getline(&line, &cap, fp) >= 0)
		bad |= verp_keys_line(k, line, path, ++lineno, err);
	if (fstat(fileno(fp), &sb) == 0 && (sb.st_mode & S_IROTH))
		buf_printf(err, "%s: readable by everyone; "
		    "chmod o-r it\n", path);
	fclose(fp);
	free(line);
	if (!bad && k->n == 0) {
		buf_printf(err, "%s: no secret in the file\n", path);
		bad = 1;
	}
	if (bad) {
		verp_keys_free(k);
		return NULL;
	}
	return k;
}

/* verp_keys_free - forget the secrets */
void
verp_keys_free(struct verp_keys *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < k->n; i++) {
		explicit_bzero(k->secret[i], strlen(k->secret[i]));
		free(k->secret[i]);
	}
	free(k);
}

/* verp_sign - SIG for a form, day and subject with one secret */
static void
verp_sign(const char *secret, char form, uint32_t day, const char *subject,
    char sig[VERP_SIG_LEN + 1])
{
	guint8	 digest[32];
	gsize	 dlen = sizeof(digest);
	struct buf b = BUF_INIT;
	GHmac	*h;

	h = g_hmac_new(G_CHECKSUM_SHA256, (const guchar *)secret,
	    strlen(secret));
	buf_printf(&b, "%c:%u:%s", form, day, subject);
	g_hmac_update(h, (const guchar *)b.data, (gssize)b.len);
	g_hmac_get_digest(h, digest, &dlen);
	g_hmac_unref(h);
	buf_reset(&b);
	verp_b32_encode(digest, 5, &b);
	memcpy(sig, b.data, VERP_SIG_LEN);
	sig[VERP_SIG_LEN] = '\0';
	buf_free(&b);
}

/* verp_day_text - the day in four base32 characters */
static void
verp_day_text(uint32_t day, char out[VERP_DAY_LEN + 1])
{
	for (int i = VERP_DAY_LEN - 1; i >= 0; i--, day >>= 5)
		out[i] = verp_b32[day & 31];
	out[VERP_DAY_LEN] = '\0';
}

/* verp_compose - PREFIX-SIG-DAY<form>BODY@DOMAIN, checked for length */
static int
verp_compose(const struct verp_codec *c, char form, const char *subject,
    const char *body, time_t now, char *out, size_t size)
{
	char	 sig[VERP_SIG_LEN + 1], day[VERP_DAY_LEN + 1];
	uint32_t d = bg_day(now);
	int	 n;

	verp_sign(c->keys->secret[0], form, d, subject, sig);
	verp_day_text(d, day);
	n = snprintf(out, size, "%s-%s-%s%c%s", c->prefix, sig, day, form,
	    body);
	if (n < 0 || n > VERP_LOCAL_MAX)
		return VERP_TOO_LONG;
	n = snprintf(out + n, size - (size_t)n, "@%s", c->domain);
	if (n < 0 || (size_t)n >= size)
		return VERP_TOO_LONG;
	return VERP_OK;
}

/* verp_encode - the signed return path for one recipient */
int
verp_encode(const struct verp_codec *c, const char *rcpt, time_t now,
    char *out, size_t size)
{
	char	 addr[ADDR_MAX];
	const char *why, *at;
	struct buf body = BUF_INIT;
	int	 rc;

	if (addr_normalize(rcpt, addr, sizeof(addr), 0, &why) < 0)
		return VERP_BAD_ADDRESS;
	at = strrchr(addr, '@');
	buf_add(&body, addr, (size_t)(at - addr));
	buf_printf(&body, "=%s", at + 1);
	/* Readable only when "local=domain" is itself a dot-atom: a UTF-8
	   domain or a domain literal must not reach the VERP local part. */
	if (addr_is_dot_atom(body.data, body.len))
		rc = verp_compose(c, '-', addr, body.data, now, out, size);
	else {
		buf_reset(&body);
		verp_b32_encode((const unsigned char *)addr, strlen(addr), &body);
		rc = verp_compose(c, '.', addr, buf_cstr(&body), now, out, size);
	}
	buf_free(&body);
	return rc;
}

/* verp_encode_token - the signed return path for a per-message token */
int
verp_encode_token(const struct verp_codec *c, const char *token, time_t now,
    char *out, size_t size)
{
	return verp_compose(c, '_', token, token, now, out, size);
}

/* verp_new_token - a random token in base32 */
void
verp_new_token(char *out, size_t size)
{
	unsigned char raw[8];
	struct buf b = BUF_INIT;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		for (size_t i = 0; i < sizeof(raw); i++)
			raw[i] = (unsigned char)random();
	verp_b32_encode(raw, sizeof(raw), &b);
	bg_strlcpy(out, b.data, size < VERP_TOKEN_LEN + 1 ? size :
	    VERP_TOKEN_LEN + 1);
	buf_free(&b);
}

/* verp_is_ours - the address is in our VERP domain with our prefix */
bool
verp_is_ours(const struct verp_codec *c, const char *addr)
{
	size_t	 plen = strlen(c->prefix);
	const char *at = strrchr(addr, '@');

	if (addr[0] == '<')
		addr++;
	return at != NULL && strncasecmp(addr, c->prefix, plen) == 0 &&
	    addr[plen] == '-' && strncasecmp(at + 1, c->domain,
	    strlen(c->domain)) == 0 && (at[1 + strlen(c->domain)] == '\0' ||
	    at[1 + strlen(c->domain)] == '>');
}

/* verp_equal_ct - compare two signatures in constant time */
static bool
verp_equal_ct(const char *a, const char *b, size_t len)
{
	unsigned char diff = 0;

	for (size_t i = 0; i < len; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

/* verp_parse_day - four base32 characters; -1 when malformed */
static int
verp_parse_day(const char *s, uint32_t *day)
{
	int	 v;

	*day = 0;
	for (int i = 0; i < VERP_DAY_LEN; i++) {
		if ((v = verp_b32_value((unsigned char)s[i])) < 0)
			return -1;
		*day = (*day << 5) | (uint32_t)v;
	}
	return 0;
}

/* verp_parse_body - the recipient or token after DAY and the form */
static int
verp_parse_body(char form, const char *body, size_t len,
    struct verp_decoded *d)
{
	char	 addr[ADDR_MAX];
	struct buf b = BUF_INIT;
	const char *why;
	char	*eq;
	int	 rc = -1;

	if (form == '_') {
		if (len == 0 || len > VERP_TOKEN_LEN ||
		    verp_b32_decode(body, len, &b) < 0)
			goto out;
		memcpy(d->token, body, len);
		d->token[len] = '\0';
		d->is_token = true;
		rc = 0;
		goto out;
	}
	if (form == '-') {
		buf_add(&b, body, len);
		if ((eq = strrchr(b.data, '=')) == NULL)
			goto out;
		*eq = '@';
	} else if (verp_b32_decode(body, len, &b) < 0 || b.len == 0 ||
	    memchr(b.data, '\0', b.len) != NULL)
		goto out;
	if (addr_normalize(buf_cstr(&b), addr, sizeof(addr), 0, &why) == 0) {
		bg_strlcpy(d->recipient, addr, sizeof(d->recipient));
		rc = 0;
	}
out:
	buf_free(&b);
	return rc;
}

/* verp_check_sig - does any secret give this signature? */
static bool
verp_check_sig(const struct verp_codec *c, char form, uint32_t day,
    const char *subject, const char *sig)
{
	char	 want[VERP_SIG_LEN + 1];
	bool	 good = false;

	for (size_t i = 0; i < c->keys->n; i++) {
		verp_sign(c->keys->secret[i], form, day, subject, want);
		good |= verp_equal_ct(want, sig, VERP_SIG_LEN);
	}
	return good;
}

/* verp_split - the local part after "PREFIX-", lower-cased, or NULL */
static const char *
verp_split(const struct verp_codec *c, const char *in, char *local,
    size_t size)
{
	const char *why, *at;
	size_t	 plen = strlen(c->prefix);

	if (addr_normalize(in, local, size, 0, &why) < 0 ||
	    (at = strrchr(local, '@')) == NULL ||
	    strcasecmp(at + 1, c->domain) != 0 ||
	    strncmp(local, c->prefix, plen) != 0 || local[plen] != '-')
		return NULL;
	local[at - local] = '\0';
	return local + plen + 1;
}

/* verp_decode - recover and check a signed VERP address */
void
verp_decode(const struct verp_codec *c, const char *in, time_t now,
    struct verp_decoded *d)
{
	char	 local[ADDR_MAX];
	const char *p, *subject;
	uint32_t today = bg_day(now);

	memset(d, 0, sizeof(*d));
	if ((p = verp_split(c, in, local, sizeof(local))) == NULL) {
		d->status = VERP_NOT_OURS;
		return;
	}
	d->status = VERP_MALFORMED;
	if (strlen(p) < VERP_SIG_LEN + 1 + VERP_DAY_LEN + 2 ||
	    p[VERP_SIG_LEN] != '-' ||
	    verp_parse_day(p + VERP_SIG_LEN + 1, &d->day) < 0)
		return;
	p += VERP_SIG_LEN + 1 + VERP_DAY_LEN;
	if (strchr("-._", *p) == NULL ||
	    verp_parse_body(*p, p + 1, strlen(p + 1), d) < 0)
		return;
	subject = d->is_token ? d->token : d->recipient;
	if (!verp_check_sig(c, *p, d->day, subject,
	    p - VERP_DAY_LEN - 1 - VERP_SIG_LEN))
		d->status = VERP_BAD_SIGNATURE;
	else if (d->day > today + 1)
		d->status = VERP_FUTURE;
	else if ((long long)(today - (d->day > today ? today : d->day)) *
	    86400 > c->max_age)
		d->status = VERP_EXPIRED;
	else
		d->status = VERP_VALID;
}

/* verp_status_name - a word for logs and "bounceguard verp decode" */
const char *
verp_status_name(enum verp_status s)
{
	static const char *const names[] = {
		"valid", "not-ours", "malformed", "bad-signature", "expired",
		"future"
	};

	return (unsigned)s < BG_ARRAY_SIZE(names) ? names[s] : "invalid";
}
