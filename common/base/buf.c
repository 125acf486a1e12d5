/*++
 * NAME
 *	buf 3
 * SUMMARY
 *	growable byte buffers
 * DESCRIPTION
 *	See buf.h. The buffer doubles when it grows, so appending n bytes
 *	one at a time costs O(n).
 * DIAGNOSTICS
 *	Allocation failure is fatal (see util.c).
 *--*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "util.h"

/* buf_init - an empty buffer */
void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/* buf_free - release the data */
void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

/* buf_reset - empty the buffer, keep the memory */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* buf_reserve - make room for n more bytes and the terminator */
void
buf_reserve(struct buf *b, size_t n)
{
	size_t	 need = b->len + n + 1;

	if (need < b->len)
		fatalx("buf_reserve: size overflow");
	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < need)
		b->cap *= 2;
	b->data = xrealloc(b->data, b->cap);
}

/* buf_add - append bytes */
void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* buf_addstr - append a string */
void
buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* buf_addch - append one byte */
void
buf_addch(struct buf *b, int c)
{
	char	 ch = (char)c;

	buf_add(b, &ch, 1);
}

/* buf_printf - append formatted text */
void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("buf_printf");
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* buf_cstr - the contents as a string, "" when empty */
const char *
buf_cstr(struct buf *b)
{
	if (b->data == NULL)
		buf_reserve(b, 0), b->data[0] = '\0';
	return b->data;
}

/* buf_steal - hand the data to the caller, who frees it */
char *
buf_steal(struct buf *b)
{
	char	*p;

	buf_cstr(b);
	p = b->data;
	buf_init(b);
	return p;
}
