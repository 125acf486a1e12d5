/*++
 * NAME
 *	cmd_verp 3
 * SUMMARY
 *	bounceguard verp encode and verp decode
 * DESCRIPTION
 *	"verp encode ADDRESS" prints the signed VERP address the milter
 *	would stamp today for a recipient. "verp decode VERP_ADDRESS"
 *	checks one and prints key=value pairs on one line: status (valid,
 *	not-ours, malformed, bad-signature, expired, future), the
 *	recipient or the token, and the day of stamping; for a valid token
 *	it also looks up the token's recipients in the store.
 *
 *	Both need verp_domain and the secrets in verp_secret_file.
 * DIAGNOSTICS
 *	Exit 0 for an address encoded or a valid one decoded, 1 otherwise
 *	(unset verp_domain, unreadable secrets, an invalid VERP address),
 *	2 for a usage error or a malformed recipient.
 *--*/
#include <string.h>

#include "admin.h"
#include "libbase.h"
#include "libmail.h"
#include "libstore.h"
#include "libverp.h"

/* verp_codec_load - the codec the configuration describes */
static struct verp_keys *
verp_codec_load(const struct admin *a, struct verp_codec *c)
{
	struct buf err = BUF_INIT;
	struct verp_keys *keys;

	if (a->cfg->verp_domain[0] == '\0') {
		admin_fail("verp", "verp_domain is not set in %s",
		    a->cfg->path ? a->cfg->path : "the configuration");
		return NULL;
	}
	if ((keys = verp_keys_load(a->cfg->verp_secret_file, &err)) == NULL)
		admin_fail("verp", "%s", buf_cstr(&err));
	buf_free(&err);
	c->prefix = a->cfg->verp_prefix;
	c->domain = a->cfg->verp_domain;
	c->keys = keys;
	c->max_age = a->cfg->verp_max_age;
	return keys;
}

/* verp_token_rcpts - the recipients of a token, from the store */
static void
verp_token_rcpts(struct admin *a, const char *token)
{
	struct buf out = BUF_INIT, err = BUF_INIT;
	struct store *st = admin_store_try(a, &err);
	uint32_t day;

	printf(" recipients=");
	if (st == NULL || store_token_get(st, token, &day, &out) < 0)
		printf("unknown");
	else if (out.len == 0)
		printf("none");
	for (size_t i = 0; i < out.len; i += strlen(out.data + i) + 1)
		printf("%s%s", i ? "," : "", out.data + i);
	buf_free(&out);
	buf_free(&err);
}

/* verp_decode_cmd - decode and check one VERP address */
static int
verp_decode_cmd(struct admin *a, const struct verp_codec *c, const char *in)
{
	struct verp_decoded d;
	char	 t[BG_TIMESTR_SIZE];

	verp_decode(c, in, time(NULL), &d);
	printf("status=%s", verp_status_name(d.status));
	if (d.status != VERP_NOT_OURS && d.status != VERP_MALFORMED) {
		if (d.is_token)
			printf(" token=%s", d.token);
		else
			printf(" recipient=%s", d.recipient);
		bg_timestr(bg_day_start(d.day), t, sizeof(t));
		printf(" stamped=%.10s", t);
		if (d.is_token && d.status == VERP_VALID)
			verp_token_rcpts(a, d.token);
	}
	printf("\n");
	return d.status == VERP_VALID ? 0 : 1;
}

/* verp_encode_cmd - print the VERP address of a recipient */
static int
verp_encode_cmd(const struct verp_codec *c, const char *in)
{
	char	 addr[STORE_ADDR_MAX], out[VERP_MAX];
	int	 rc;

	if ((rc = admin_addr_arg("verp", in, addr, sizeof(addr), 0)) != 0)
		return rc;
	rc = verp_encode(c, addr, time(NULL), out, sizeof(out));
	if (rc == VERP_TOO_LONG)
		return admin_fail("verp", "%s: the VERP address would be too "
		    "long; the milter stamps a per-message token instead",
		    addr);
	if (rc != VERP_OK)
		return admin_fail("verp", "%s: cannot encode", addr);
	printf("%s\n", out);
	return 0;
}

/* cmd_verp - encode or decode */
int
cmd_verp(struct admin *a, int argc, char **argv)
{
	struct verp_codec c;
	struct verp_keys *keys;
	int	 rc;

	if (argc < 2)
		return admin_usage("verp", "no subcommand given");
	if (strcmp(argv[1], "encode") != 0 && strcmp(argv[1], "decode") != 0)
		return admin_usage("verp", "unknown subcommand \"%s\"",
		    argv[1]);
	if (argc != 3)
		return admin_usage("verp", "expected one address");
	if ((keys = verp_codec_load(a, &c)) == NULL)
		return 1;
	if (strcmp(argv[1], "encode") == 0)
		rc = verp_encode_cmd(&c, argv[2]);
	else
		rc = verp_decode_cmd(a, &c, argv[2]);
	verp_keys_free(keys);
	return rc;
}
