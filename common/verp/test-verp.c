/*++
 * NAME
 *	test-verp 1
 * SUMMARY
 *	unit tests for signed VERP and address syntax
 * DESCRIPTION
 *	Round trips for every kind of address, the ways a forged, damaged
 *	or stale address is refused, key rotation, the 64-character limit,
 *	per-message tokens kept in a real store, and the secrets file.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libbase.h"
#include "libmail.h"
#include "libstore.h"
#include "tap.h"
#include "verp.h"

#define NOW	((time_t)1795000000)	/* 2026-11-18 */

static char tmpdir[] = "/tmp/bg-test-verp-XXXXXX";

/* codec - a codec for bounces.example.com with one or two keys */
static struct verp_codec
codec(struct verp_keys *k)
{
	struct verp_codec c = { "b", "bounces.example.com", k, 60 * 86400 };

	return c;
}

/* test_addr - normalisation and its refusals */
static void
test_addr(void)
{
	static const struct {
		const char *in;
		unsigned flags;
		const char *want;	/* NULL: refused */
	} cases[] = {
		{ "<Jane@Example.ORG>", 0, "jane@example.org" },
		{ "  jane+news@example.org ", 0, "jane+news@example.org" },
		{ "\"john doe\"@example.org", 0, "\"john doe\"@example.org" },
		{ "a=b-c@example.org", 0, "a=b-c@example.org" },
		{ "@example.org", ADDR_DOMAIN_OK, "@example.org" },
		{ "@example.org", 0, NULL },
		{ "jane", 0, NULL },
		{ "jane@", 0, NULL },
		{ "ja ne@example.org", 0, NULL },
		{ "jane..x@example.org", 0, NULL },
		{ "jane@exa mple.org", 0, NULL },
		{ "jane@-example.org", 0, NULL },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "@example.org", 0, NULL },
		{ "", 0, NULL },
	};
	char	 out[ADDR_MAX];
	const char *why;

	for (size_t i = 0; i < BG_ARRAY_SIZE(cases); i++) {
		int	 rc = addr_normalize(cases[i].in, out, sizeof(out),
		    cases[i].flags, &why);

		if (cases[i].want == NULL)
			ok(rc < 0 && why != NULL, "refused \"%s\" (%s)",
			    cases[i].in, why ? why : "no reason");
		else
			is_str(rc == 0 ? out : why, cases[i].want,
			    "normalised \"%s\"", cases[i].in);
	}
}

/* test_round_trip - any valid address comes back */
static void
test_round_trip(void)
{
	static const char *const addrs[] = {
		"jane@example.org", "Jane.Doe+news@Example.ORG",
		"a=b=c@example.org", "x-y-z@sub.example.co.uk",
		"\"john doe\"@example.org", "\"we@ird\"@example.org",
		"o'brien@example.ie", "{tag}|x@example.net",
		"jane@b\xc3\xbc" "cher.example", "jane@[192.0.2.1]",
	};
	struct verp_keys *k = verp_keys_from_string("0123456789abcdef0123");
	struct verp_codec c = codec(k);
	char	 v[VERP_MAX], want[ADDR_MAX], upper[VERP_MAX];
	struct verp_decoded d;
	const char *why;

	for (size_t i = 0; i < BG_ARRAY_SIZE(addrs); i++) {
		addr_normalize(addrs[i], want, sizeof(want), 0, &why);
		is_int(verp_encode(&c, addrs[i], NOW, v, sizeof(v)), VERP_OK,
		    "encode %s -> %s", addrs[i], v);
		verp_decode(&c, v, NOW + 86400, &d);
		ok(d.status == VERP_VALID && strcmp(d.recipient, want) == 0,
		    "decode gives %s (%s)", d.recipient,
		    verp_status_name(d.status));
		bg_strlcpy(upper, v, sizeof(upper));
		for (char *p = upper; *p; p++)
			*p = (char)((*p >= 'a' && *p <= 'z') ? *p - 32 : *p);
		verp_decode(&c, upper, NOW, &d);
		ok(d.status == VERP_VALID && strcmp(d.recipient, want) == 0,
		    "survives upper-casing: %s", upper);
	}
	verp_keys_free(k);
}

/* test_refusals - forged, damaged, stale and foreign addresses */
static void
test_refusals(void)
{
	struct verp_keys *k = verp_keys_from_string("0123456789abcdef0123");
	struct verp_keys *other = verp_keys_from_string("another secret value");
	struct verp_codec c = codec(k), c2 = codec(other);
	char	 v[VERP_MAX], forged[VERP_MAX];
	struct verp_decoded d;

	verp_encode(&c, "jane@example.org", NOW, v, sizeof(v));
	verp_decode(&c2, v, NOW, &d);
	is_str(verp_status_name(d.status), "bad-signature", "other key refused");
	bg_strlcpy(forged, v, sizeof(forged));
	forged[2] = forged[2] == 'a' ? 'b' : 'a';
	verp_decode(&c, forged, NOW, &d);
	is_str(verp_status_name(d.status), "bad-signature", "one changed "
	    "signature character refused");
	bg_strlcpy(forged, v, sizeof(forged));
	*strchr(forged, '=') = '+';
	*strstr(forged, "+example") = '=';
	memcpy(strstr(forged, "-jane"), "-john", 5);
	verp_decode(&c, forged, NOW, &d);
	is_str(verp_status_name(d.status), "bad-signature",
	    "signature does not carry over to another recipient");
	verp_decode(&c, v, NOW + 61 * 86400, &d);
	is_str(verp_status_name(d.status), "expired", "older than verp_max_age");
	verp_decode(&c, v, NOW + 59 * 86400, &d);
	is_str(verp_status_name(d.status), "valid", "younger than verp_max_age");
	verp_decode(&c, v, NOW - 3 * 86400, &d);
	is_str(verp_status_name(d.status), "future", "stamped in the future");
	verp_decode(&c, "jane@example.org", NOW, &d);
	is_str(verp_status_name(d.status), "not-ours", "plain address");
	verp_decode(&c, "b-aaaaaaaa-aaaa-x=y.org@elsewhere.example", NOW, &d);
	is_str(verp_status_name(d.status), "not-ours", "other domain");
	verp_decode(&c, "b-short@bounces.example.com", NOW, &d);
	is_str(verp_status_name(d.status), "malformed", "truncated");
	verp_decode(&c, "b-aaaaaaaa-aa!a-x=y.org@bounces.example.com", NOW, &d);
	is_str(verp_status_name(d.status), "malformed", "bad day");
	verp_decode(&c, "b-aaaaaaaa-aaaa-nodomain@bounces.example.com", NOW, &d);
	is_str(verp_status_name(d.status), "malformed", "no = in recipient");
	verp_keys_free(k);
	verp_keys_free(other);
}

/* test_rotation - the first key signs, all verify */
static void
test_rotation(void)
{
	char	*path = xasprintf("%s/secrets", tmpdir);
	struct verp_keys *old = verp_keys_from_string("old secret 0123456789");
	struct verp_codec c = codec(old);
	struct buf err = BUF_INIT;
	struct verp_decoded d;
	struct verp_keys *both;
	char	 v[VERP_MAX], v2[VERP_MAX];
	FILE	*fp;

	verp_encode(&c, "jane@example.org", NOW, v, sizeof(v));
	fp = fopen(path, "w");
	fprintf(fp, "# new key first\nnew secret 0123456789\n\nold secret 0123456789\n");
	fclose(fp);
	chmod(path, 0640);
	both = verp_keys_load(path, &err);
	ok(both != NULL && err.len == 0, "secrets file loads: %s", buf_cstr(&err));
	c.keys = both;
	verp_decode(&c, v, NOW, &d);
	is_str(verp_status_name(d.status), "valid", "old stamps still verify");
	verp_encode(&c, "jane@example.org", NOW, v2, sizeof(v2));
	ok(strcmp(v, v2) != 0, "new stamps use the new key");
	c.keys = old;
	verp_decode(&c, v2, NOW, &d);
	is_str(verp_status_name(d.status), "bad-signature",
	    "the old key alone does not verify new stamps");
	verp_keys_free(both);
	verp_keys_free(old);
	buf_free(&err);
	free(path);
}

/* test_keys_file_errors - every complaint about the secrets file */
static void
test_keys_file_errors(void)
{
	static const struct {
		const char *text;
		int	 mode;
		const char *want;
		int	 loads;
	} cases[] = {
		{ "short\n", 0640, ":1: secret shorter than 16 characters", 0 },
		{ "# only a comment\n\n", 0640, ": no secret in the file", 0 },
		{ "a long enough secret\n", 0644, ": readable by everyone", 1 },
	};
	char	*path = xasprintf("%s/keys", tmpdir);
	struct buf err = BUF_INIT;
	struct verp_keys *k;

	for (size_t i = 0; i < BG_ARRAY_SIZE(cases); i++) {
		FILE	*fp = fopen(path, "w");

		fputs(cases[i].text, fp);
		fclose(fp);
		chmod(path, (mode_t)cases[i].mode);
		buf_reset(&err);
		k = verp_keys_load(path, &err);
		ok((k != NULL) == cases[i].loads &&
		    strstr(buf_cstr(&err), cases[i].want) != NULL,
		    "secrets file: %s", cases[i].want);
		verp_keys_free(k);
	}
	unlink(path);
	buf_reset(&err);
	ok(verp_keys_load(path, &err) == NULL &&
	    strstr(buf_cstr(&err), "cannot open"), "missing secrets file named");
	buf_free(&err);
	free(path);
}

/* test_long_and_tokens - over 64 characters: a token in the store */
static void
test_long_and_tokens(void)
{
	static const char *const rcpts[] = { "a@example.org", "b@example.net" };
	struct verp_keys *k = verp_keys_from_string("0123456789abcdef0123");
	struct verp_codec c = codec(k);
	struct store_opts o = { 5, 1 << 20, 10, false, NULL };
	char	 v[VERP_MAX], token[VERP_TOKEN_LEN + 1];
	struct buf err = BUF_INIT, list = BUF_INIT;
	struct verp_decoded d;
	struct store *st;
	uint32_t day;

	is_int(verp_encode(&c, "a.very.long.local.part.indeed.for.this"
	    "@a-long-subdomain.example.org", NOW, v, sizeof(v)), VERP_TOO_LONG,
	    "local part over 64 characters: VERP_TOO_LONG");
	verp_new_token(token, sizeof(token));
	is_int(strlen(token), VERP_TOKEN_LEN, "token length");
	is_int(verp_encode_token(&c, token, NOW, v, sizeof(v)), VERP_OK,
	    "token stamp %s", v);
	verp_decode(&c, v, NOW, &d);
	ok(d.status == VERP_VALID && d.is_token && strcmp(d.token, token) == 0,
	    "token decodes");
	if (store_open(&st, tmpdir, &o, &err) != STORE_OK)
		fatalx("%s", buf_cstr(&err));
	is_int(store_token_put(st, token, d.day, rcpts, 2), STORE_OK,
	    "token recipients stored");
	is_int(store_token_get(st, token, &day, &list), STORE_OK, "token read");
	ok(list.len == 28 && strcmp(list.data, "a@example.org") == 0 &&
	    strcmp(list.data + 14, "b@example.net") == 0 && day == d.day,
	    "token recipients and day come back");
	is_int(store_token_get(st, "nosuchtoken", &day, &list), STORE_NOTFOUND,
	    "unknown token");
	store_close(st);
	verp_keys_free(k);
	buf_free(&err);
	buf_free(&list);
}

int
main(void)
{
	char	*cmd;

	log_init("test-verp", LOG_TO_STDERR);
	if (mkdtemp(tmpdir) == NULL)
		fatal("mkdtemp");
	test_addr();
	test_round_trip();
	test_refusals();
	test_rotation();
	test_keys_file_errors();
	test_long_and_tokens();
	cmd = xasprintf("rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		diag("could not remove %s", tmpdir);
	free(cmd);
	return done_testing();
}
