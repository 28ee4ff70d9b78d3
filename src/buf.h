/*
 * A byte buffer with a read offset: data[off .. off+len) is pending.
 * Allocated lazily, grown on request, released when asked; allocation
 * failures return -1 with errno ENOMEM instead of dying.
 */
#ifndef SOCKIT_BUF_H
#define SOCKIT_BUF_H

#include <stddef.h>

struct buf {
	unsigned char	*data;
	size_t		 off;	/* first pending byte */
	size_t		 len;	/* pending bytes */
	size_t		 cap;	/* allocated bytes */
};

/* Pending bytes start here. */
#define BUF_HEAD(b)	((b)->data + (b)->off)
/* Free space after the pending bytes starts here. */
#define BUF_TAIL(b)	((b)->data + (b)->off + (b)->len)
#define BUF_SPACE(b)	((b)->cap - (b)->off - (b)->len)

/*
 * Makes room for at least n more bytes after the pending ones, moving
 * them to the front first and growing the allocation only when that is
 * not enough.  Returns 0 or -1 (ENOMEM).
 */
int	buf_reserve(struct buf *, size_t);

/* Appends n bytes (reserving room first).  Returns 0 or -1 (ENOMEM). */
int	buf_append(struct buf *, const void *, size_t);

/* Drops n pending bytes from the front. */
void	buf_consume(struct buf *, size_t);

/* Frees the storage; the buffer is empty and reusable afterwards. */
void	buf_free(struct buf *);

#endif
