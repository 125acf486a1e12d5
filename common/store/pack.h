/*++
 * NAME
 *	pack 3h
 * SUMMARY
 *	portable encoding of database records
 * DESCRIPTION
 *	Integers are written big-endian so that records (and keys) mean
 *	the same on every machine and sort numerically in a btree.
 *	Strings are a 16-bit length and the bytes, without terminator.
 *
 *	Reading never overruns: the first short read or over-long string
 *	sets u->err, and every later read returns zero or "".
 *--*/
#ifndef BG_PACK_H
#define BG_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libbase.h"

struct unpack {
	const unsigned char *p;
	size_t	 len;
	size_t	 off;
	bool	 err;
};

void	pack_u8(struct buf *, uint8_t);
void	pack_u32(struct buf *, uint32_t);
void	pack_u64(struct buf *, uint64_t);
void	pack_str(struct buf *, const char *);

void	unpack_init(struct unpack *, const void *, size_t);
uint8_t	unpack_u8(struct unpack *);
uint32_t unpack_u32(struct unpack *);
uint64_t unpack_u64(struct unpack *);
void	unpack_str(struct unpack *, char *, size_t);

void	pack_be32(unsigned char *, uint32_t);
uint32_t pack_get_be32(const unsigned char *);
void	pack_be64(unsigned char *, uint64_t);
uint64_t pack_get_be64(const unsigned char *);

#endif
