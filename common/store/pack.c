/*++
 * NAME
 *	pack 3
 * SUMMARY
 *	portable encoding of database records
 * DESCRIPTION
 *	See pack.h.
 * DIAGNOSTICS
 *	Decoding errors are sticky in struct unpack; the store reports a
 *	record that fails to decode as corrupt, naming its key.
 *--*/
#include <string.h>

#include "pack.h"

/* pack_be32 - store a 32-bit big-endian integer */
void
pack_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* pack_get_be32 - load a 32-bit big-endian integer */
uint32_t
pack_get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* pack_be64 - store a 64-bit big-endian integer */
void
pack_be64(unsigned char *p, uint64_t v)
{
	pack_be32(p, (uint32_t)(v >> 32));
	pack_be32(p + 4, (uint32_t)v);
}

/* pack_get_be64 - load a 64-bit big-endian integer */
uint64_t
pack_get_be64(const unsigned char *p)
{
	return (uint64_t)pack_get_be32(p) << 32 | pack_get_be32(p + 4);
}

/* pack_u8 - append one byte */
void
pack_u8(struct buf *b, uint8_t v)
{
	buf_add(b, &v, 1);
}

/* pack_u32 - append a 32-bit integer */
void
pack_u32(struct buf *b, uint32_t v)
{
	unsigned char p[4];

	pack_be32(p, v);
	buf_add(b, p, sizeof(p));
}

/* pack_u64 - append a 64-bit integer */
void
pack_u64(struct buf *b, uint64_t v)
{
	unsigned char p[8];

	pack_be64(p, v);
	buf_add(b, p, sizeof(p));
}

/* pack_str - append a length-prefixed string, cut at 65535 bytes */
void
pack_str(struct buf *b, const char *s)
{
	size_t	 n = strlen(s);
	unsigned char len[2];

	if (n > 0xffff)
		n = 0xffff;
	len[0] = (unsigned char)(n >> 8);
	len[1] = (unsigned char)n;
	buf_add(b, len, 2);
	buf_add(b, s, n);
}

/* unpack_init - start reading a record */
void
unpack_init(struct unpack *u, const void *p, size_t len)
{
	u->p = p;
	u->len = len;
	u->off = 0;
	u->err = false;
}

/* unpack_take - the next n bytes, or NULL after setting the error */
static const unsigned char *
unpack_take(struct unpack *u, size_t n)
{
	const unsigned char *p;

	if (u->err || u->len - u->off < n) {
		u->err = true;
		return NULL;
	}
	p = u->p + u->off;
	u->off += n;
	return p;
}

/* unpack_u8 - read one byte */
uint8_t
unpack_u8(struct unpack *u)
{
	const unsigned char *p = unpack_take(u, 1);

	return p ? p[0] : 0;
}

/* unpack_u32 - read a 32-bit integer */
uint32_t
unpack_u32(struct unpack *u)
{
	const unsigned char *p = unpack_take(u, 4);

	return p ? pack_get_be32(p) : 0;
}

/* unpack_u64 - read a 64-bit integer */
uint64_t
unpack_u64(struct unpack *u)
{
	const unsigned char *p = unpack_take(u, 8);

	return p ? pack_get_be64(p) : 0;
}

/* unpack_str - read a string into a buffer that must hold it */
void
unpack_str(struct unpack *u, char *dst, size_t size)
{
	const unsigned char *lenp = unpack_take(u, 2), *p;
	size_t	 n;

	dst[0] = '\0';
	if (lenp == NULL)
		return;
	n = (size_t)lenp[0] << 8 | lenp[1];
	if (n >= size || (p = unpack_take(u, n)) == NULL) {
		u->err = true;
		return;
	}
	memcpy(dst, p, n);
	dst[n] = '\0';
}
