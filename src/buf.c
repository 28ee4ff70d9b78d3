/*
 * Byte buffers for the relay: one allocation, a moving window.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

int
buf_reserve(struct buf *b, size_t n)
{
	unsigned char	*p;
	size_t		 cap;

	if (BUF_SPACE(b) >= n)
		return (0);
	if (b->off > 0) {
		memmove(b->data, BUF_HEAD(b), b->len);
		b->off = 0;
		if (BUF_SPACE(b) >= n)
			return (0);
	}
	if (n > ((size_t)-1) / 2 - b->len) {
		errno = ENOMEM;
		return (-1);
	}
	cap = b->cap > 0 ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL)
		return (-1);
	b->data = p;
	b->cap = cap;
	return (0);
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return (0);
	if (buf_reserve(b, n) == -1)
		return (-1);
	memcpy(BUF_TAIL(b), p, n);
	b->len += n;
	return (0);
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->off = 0;
		b->len = 0;
		return;
	}
	b->off += n;
	b->len -= n;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}
