/*++
 * NAME
 *	store_token 3
 * SUMMARY
 *	per-message VERP tokens
 * DESCRIPTION
 *	A message with several recipients has one envelope sender, so the
 *	milter stamps a token instead of an address and records here which
 *	recipients it stands for. The record is committed durably: a bounce
 *	for a token the store has forgotten can only be quarantined.
 *
 *	Records hold the day of stamping, so that "bounceguard expire" can
 *	drop tokens older than verp_max_age.
 * DIAGNOSTICS
 *	See store.h.
 *--*/
#include <errno.h>
#include <string.h>

#include "pack.h"
#include "store_int.h"

/* store_token_put - remember the recipients of a token */
int
store_token_put(struct store *st, const char *token, uint32_t day,
    const char *const *rcpts, size_t n)
{
	struct buf b = BUF_INIT;
	DBT	 k, v;
	int	 rc;

	pack_u8(&b, 1);
	pack_u32(&b, day);
	pack_u32(&b, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		pack_str(&b, rcpts[i]);
	if (b.len > STORE_RECORD_MAX) {
		buf_free(&b);
		return store_fail(st, EINVAL, "too many recipients for token",
		    token);
	}
	store_dbt(&k, token, strlen(token));
	store_dbt(&v, b.data, b.len);
	rc = st->token->put(st->token, NULL, &k, &v, DB_AUTO_COMMIT);
	buf_free(&b);
	if (rc != 0)
		return store_fail(st, rc, "write token", token);
	st->wrote = true;
	return STORE_OK;
}

/* store_token_get - the recipients of a token, NUL-separated in out */
int
store_token_get(struct store *st, const char *token, uint32_t *day,
    struct buf *out)
{
	unsigned char data[STORE_RECORD_MAX];
	char	 addr[STORE_ADDR_MAX];
	struct unpack u;
	uint32_t n;
	DBT	 k, v;
	int	 rc;

	store_dbt(&k, token, strlen(token));
	store_dbt_out(&v, data, sizeof(data));
	if ((rc = st->token->get(st->token, NULL, &k, &v, 0)) != 0)
		return rc == DB_NOTFOUND ? STORE_NOTFOUND :
		    store_fail(st, rc, "read token", token);
	unpack_init(&u, data, v.size);
	if (unpack_u8(&u) != 1)
		return store_fail(st, DB_VERIFY_BAD, "corrupt token", token);
	*day = unpack_u32(&u);
	n = unpack_u32(&u);
	for (uint32_t i = 0; i < n && !u.err; i++) {
		unpack_str(&u, addr, sizeof(addr));
		buf_add(out, addr, strlen(addr) + 1);
	}
	if (u.err)
		return store_fail(st, DB_VERIFY_BAD, "corrupt token", token);
	return STORE_OK;
}
