/*++
 * NAME
 *	buf 3h
 * SUMMARY
 *	growable byte buffers
 * DESCRIPTION
 *	A buf owns its data; buf_free() releases it. The data is always
 *	NUL-terminated so it can be used as a C string.
 *--*/
#ifndef BG_BUF_H
#define BG_BUF_H

#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

#define BUF_INIT	{ NULL, 0, 0 }

void	buf_init(struct buf *);
void	buf_free(struct buf *);
void	buf_reset(struct buf *);
void	buf_reserve(struct buf *, size_t);
void	buf_add(struct buf *, const void *, size_t);
void	buf_addstr(struct buf *, const char *);
void	buf_addch(struct buf *, int);
void	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
const char *buf_cstr(struct buf *);
char   *buf_steal(struct buf *);

#endif
