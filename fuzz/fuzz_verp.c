/*++
 * NAME
 *	fuzz_verp 3
 * SUMMARY
 *	fuzz the VERP decoder, and the encoder against it
 * DESCRIPTION
 *	Each input, up to its first NUL, is an address given to
 *	verp_is_ours() and verp_decode() as the pipe gives it the envelope
 *	recipient of a bounce. A valid decoding must name a well-formed,
 *	lower-cased recipient (or a token).
 *
 *	The input is also tried as a recipient to stamp: when
 *	verp_encode() accepts it, the address it returns must be ours,
 *	decode as valid to the normalized recipient, decode as expired
 *	after verp_max_age and as from the future the day before it was
 *	stamped, and stop being valid when one character of its signature
 *	changes. A 12-character base32 input is tried as a token the same
 *	way.
 * DIAGNOSTICS
 *	A failed property aborts.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "libbase.h"
#include "libmail.h"
#include "libverp.h"

#define FZ_NOW		((time_t)1790000000)
#define FZ_MAX_AGE	(30LL * 86400)

static struct verp_codec fz_codec;

/* LLVMFuzzerInitialize - one codec with one secret */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz-verp", 0);
	fz_codec.prefix = "b";
	fz_codec.domain = "bounces.example.com";
	fz_codec.keys = verp_keys_from_string("fuzzing-secret-0123456789");
	fz_codec.max_age = FZ_MAX_AGE;
	return 0;
}

/* fz_check_decoded - a valid decoding names something well-formed */
static void
fz_check_decoded(const struct verp_decoded *d)
{
	char	 norm[ADDR_MAX];
	const char *why;

	fuzz_assert((unsigned)d->status <= VERP_FUTURE, "status in range");
	if (d->status != VERP_VALID)
		return;
	if (d->is_token) {
		fuzz_assert(strlen(d->token) == VERP_TOKEN_LEN,
		    "a valid token has its full length");
		return;
	}
	fuzz_assert(addr_normalize(d->recipient, norm, sizeof(norm), 0,
	    &why) == 0, "a valid recipient is a good address");
	fuzz_assert(strcmp(norm, d->recipient) == 0,
	    "a valid recipient is normalized");
}

/* fz_tamper - change one signature character; decoding must fail */
static void
fz_tamper(const char *stamped, time_t now)
{
	char	 bad[VERP_MAX];
	struct verp_decoded d;
	size_t	 at = strlen(fz_codec.prefix) + 1;	/* first SIG char */

	bg_strlcpy(bad, stamped, sizeof(bad));
	bad[at] = bad[at] == 'a' ? 'b' : 'a';
	verp_decode(&fz_codec, bad, now, &d);
	fuzz_assert(d.status != VERP_VALID, "a changed signature is refused");
}

/* fz_round_trip - a stamped address decodes to what was stamped */
static void
fz_round_trip(const char *stamped, const char *want, bool token)
{
	struct verp_decoded d;

	fuzz_assert(verp_is_ours(&fz_codec, stamped), "stamped is ours");
	verp_decode(&fz_codec, stamped, FZ_NOW, &d);
	fuzz_assert(d.status == VERP_VALID, "stamped decodes as valid");
	fuzz_assert(d.is_token == token, "stamped keeps its form");
	fuzz_assert(strcmp(token ? d.token : d.recipient, want) == 0,
	    "stamped decodes to the same recipient");
	verp_decode(&fz_codec, stamped, FZ_NOW + FZ_MAX_AGE + 2 * 86400, &d);
	fuzz_assert(d.status == VERP_EXPIRED, "old stamp is expired");
	verp_decode(&fz_codec, stamped, FZ_NOW - 2 * 86400, &d);
	fuzz_assert(d.status == VERP_FUTURE, "early stamp is from the future");
	fz_tamper(stamped, FZ_NOW);
}

/* fz_encode - stamp the input as a recipient and as a token */
static void
fz_encode(const char *s)
{
	char	 out[VERP_MAX], norm[ADDR_MAX];
	const char *why;

	if (verp_encode(&fz_codec, s, FZ_NOW, out, sizeof(out)) == VERP_OK) {
		fuzz_assert(addr_normalize(s, norm, sizeof(norm), 0, &why) == 0,
		    "only good addresses are stamped");
		fz_round_trip(out, norm, false);
	}
	if (strlen(s) == VERP_TOKEN_LEN &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz234567") == VERP_TOKEN_LEN &&
	    verp_encode_token(&fz_codec, s, FZ_NOW, out, sizeof(out)) ==
	    VERP_OK)
		fz_round_trip(out, s, true);
}

/* LLVMFuzzerTestOneInput - decode, then encode, one address */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s = fuzz_cstr(data, size);
	struct verp_decoded d;

	(void)verp_is_ours(&fz_codec, s);
	verp_decode(&fz_codec, s, FZ_NOW, &d);
	fz_check_decoded(&d);
	fz_encode(s);
	free(s);
	return 0;
}
