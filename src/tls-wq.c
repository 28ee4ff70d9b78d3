/*
 * The write queue of a TLS stream (tls-wq.h): a BIO method of our own
 * under OpenSSL's record layer.
 */
#include "config.h"

#ifdef HAVE_OPENSSL

#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tls-lib.h"
#include "stream.h"
#include "tls-wq.h"
#include "tls-lib-calls.h"

int
tls_wq_flush(struct tls_wq *q)
{
	ssize_t	n;

	if (q->err != 0) {
		errno = q->err;
		return (-1);
	}
	while (q->len > 0) {
		if ((n = stream_fd_send(q->fd, q->buf + q->off, q->len)) == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				q->err = errno;
			return (-1);
		}
		q->off += (size_t)n;
		q->len -= (size_t)n;
	}
	/* Idle connections hold no buffer (1000 of them: 1000 buffers). */
	tls_wq_free(q);
	return (0);
}

void
tls_wq_free(struct tls_wq *q)
{
	free(q->buf);
	q->buf = NULL;
	q->cap = q->off = q->len = 0;
}

void
tls_wq_collect(struct tls_wq *q, size_t n)
{
	size_t	records = n / TLS_WQ_DATA + 1;

	q->collect = n > 0;
	q->want = records >= TLS_WQ_MAX / TLS_WQ_RECORD ? TLS_WQ_MAX :
	    records * TLS_WQ_RECORD;
}

/* The room a collecting write has: the buffer's, or the one it makes. */
static size_t
tls_wq_room(const struct tls_wq *q)
{
	return (q->buf != NULL ? q->cap : q->want);
}

/* Copies a record in; 0, or -1 when out of memory. */
static int
tls_wq_append(struct tls_wq *q, const void *p, size_t n)
{
	if (q->buf == NULL) {
		if ((q->buf = malloc(q->want)) == NULL)
			return (-1);
		q->cap = q->want;
	}
	memcpy(q->buf + q->off + q->len, p, n);
	q->len += n;
	return (0);
}

/*
 * OpenSSL writes a record (or the rest of one).  A collecting write adds
 * it to the queue, sending the queue first when the record would not
 * fit; otherwise the queue goes first and the record after it.  "Not
 * now" (the socket is full) keeps what is queued and asks OpenSSL to
 * retry the record: the order on the wire stays the order written.
 */
static int
tls_wq_write(BIO *b, const char *p, int len)
{
	struct tls_wq	*q = BIO_get_data(b);
	size_t		 n = (size_t)len;
	ssize_t		 r;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return (0);
	if (q->len > 0 && (!q->collect || q->off + q->len + n > q->cap) &&
	    tls_wq_flush(q) == -1)
		goto fail;
	if (q->collect && n <= tls_wq_room(q) - (q->off + q->len)) {
		if (tls_wq_append(q, p, n) == -1)
			return (-1);
		return (len);
	}
	if ((r = stream_fd_send(q->fd, p, n)) == -1)
		goto fail;
	return ((int)r);
fail:
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		BIO_set_retry_write(b);
	return (-1);
}

static long
tls_wq_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct tls_wq	*q = BIO_get_data(b);

	(void)num;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		BIO_clear_retry_flags(b);
		if (tls_wq_flush(q) == 0)
			return (1);
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			BIO_set_retry_write(b);
		return (-1);
	case BIO_CTRL_WPENDING:
		return ((long)q->len);
	case BIO_C_GET_FD:
		if (ptr != NULL)
			*(int *)ptr = q->fd;
		return (q->fd);
	case BIO_CTRL_GET_CLOSE:
		return (BIO_NOCLOSE);
	case BIO_CTRL_SET_CLOSE:
		return (1);
	default:
		return (0);
	}
}

static int
tls_wq_create(BIO *b)
{
	BIO_set_init(b, 1);
	return (1);
}

/* The method: made once per process and kept. */
static BIO_METHOD *
tls_wq_method(void)
{
	static BIO_METHOD	*m;
	int			 type;

	if (m != NULL)
		return (m);
	if ((type = BIO_get_new_index()) == -1 ||
	    (m = BIO_meth_new(type | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
	    "sockit write queue")) == NULL)
		return (NULL);
	if (BIO_meth_set_write(m, tls_wq_write) != 1 ||
	    BIO_meth_set_ctrl(m, tls_wq_ctrl) != 1 ||
	    BIO_meth_set_create(m, tls_wq_create) != 1) {
		BIO_meth_free(m);
		m = NULL;
	}
	return (m);
}

BIO *
tls_wq_bio(struct tls_wq *q, int fd)
{
	BIO_METHOD	*m;
	BIO		*b;

	if ((m = tls_wq_method()) == NULL || (b = BIO_new(m)) == NULL)
		return (NULL);
	q->fd = fd;
	BIO_set_data(b, q);
	return (b);
}

#endif /* HAVE_OPENSSL */
