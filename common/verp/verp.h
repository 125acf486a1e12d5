/*++
 * NAME
 *	verp 3h
 * SUMMARY
 *	signed VERP return paths
 * DESCRIPTION
 *	A signed VERP address has one of three forms, all lower case so
 *	that they survive systems that change case:
 *
 *	PREFIX-SIG-DAY-LOCAL=DOMAIN@VERP_DOMAIN	one recipient, in clear
 *	PREFIX-SIG-DAY.BASE32@VERP_DOMAIN	one recipient for which
 *						"LOCAL=DOMAIN" is not a
 *						dot-atom ("john doe", a UTF-8
 *						domain, a domain literal)
 *	PREFIX-SIG-DAY_TOKEN@VERP_DOMAIN	a per-message token; its
 *						recipients are in the store
 *
 *	DAY is the day of stamping (days since 1970) in four base32
 *	characters; SIG is the first 40 bits of HMAC-SHA256, in eight base32
 *	characters, over the form, the day and the lower-cased recipient or
 *	token. The first secret in verp_secret_file signs; every secret
 *	verifies, so keys can be rotated. Comparison is constant-time.
 *
 *	When the local part would exceed 64 characters (RFC 5321's limit),
 *	verp_encode() returns VERP_TOO_LONG: the caller then stamps a token.
 * DIAGNOSTICS
 *	verp_keys_load() names the file and line of a bad secret.
 *	verp_decode() reports why an address is refused (verp_status_name()).
 *--*/
#ifndef BG_VERP_H
#define BG_VERP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "libbase.h"

#define VERP_MAX		320
#define VERP_TOKEN_LEN		12
#define VERP_LOCAL_MAX		64

enum verp_status {
	VERP_VALID,
	VERP_NOT_OURS,		/* another domain or prefix: not a VERP of ours */
	VERP_MALFORMED,
	VERP_BAD_SIGNATURE,
	VERP_EXPIRED,		/* older than verp_max_age */
	VERP_FUTURE,		/* stamped after tomorrow: forged or clock skew */
};

enum verp_rc {
	VERP_OK = 0,
	VERP_TOO_LONG = -1,
	VERP_BAD_ADDRESS = -2,
};

struct verp_keys;

struct verp_codec {
	const char *prefix;
	const char *domain;
	const struct verp_keys *keys;
	long long max_age;		/* seconds */
};

struct verp_decoded {
	enum verp_status status;
	bool	 is_token;
	char	 recipient[VERP_MAX];	/* lower-cased; "" for a token */
	char	 token[VERP_TOKEN_LEN + 1];
	uint32_t day;
};

struct verp_keys *verp_keys_load(const char *, struct buf *);
struct verp_keys *verp_keys_from_string(const char *);
void	verp_keys_free(struct verp_keys *);

int	verp_encode(const struct verp_codec *, const char *, time_t, char *,
	    size_t);
int	verp_encode_token(const struct verp_codec *, const char *, time_t,
	    char *, size_t);
void	verp_decode(const struct verp_codec *, const char *, time_t,
	    struct verp_decoded *);
bool	verp_is_ours(const struct verp_codec *, const char *);
void	verp_new_token(char *, size_t);
const char *verp_status_name(enum verp_status);

#endif
