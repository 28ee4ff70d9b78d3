/*
 * The write side of a TLS stream: a BIO over the socket that can collect
 * the records of one large write and send them with a few write(2)s
 * instead of one per 16 KiB record.  Outside a collecting write it
 * passes every record straight to the socket, as OpenSSL's own socket
 * BIO does.  What it still holds after a write is sent by
 * tls_wq_flush(), which the stream's owner calls when the socket is
 * writable (stream_held/stream_flush).
 */
#ifndef SOCKIT_TLS_WQ_H
#define SOCKIT_TLS_WQ_H

#include <stddef.h>

#include <openssl/bio.h>

/*
 * The most it holds: 64 full TLS 1.3 records (16 KiB of data and 22
 * bytes of header, type and tag each), about 1 MiB per write(2).  A
 * 1 GiB upload took 0.72 of the time of one write per record with
 * this, 0.83 with 16 records (docs/PERFORMANCE.md, scenario 10).
 */
#define TLS_WQ_DATA	16384
#define TLS_WQ_RECORD	(TLS_WQ_DATA + 22)
#define TLS_WQ_MAX	(64 * TLS_WQ_RECORD)

struct tls_wq {
	int		 fd;
	int		 collect;	/* records wait here until full */
	size_t		 want;		/* the collecting write's size */
	unsigned char	*buf;		/* cap bytes, while it holds any */
	size_t		 cap;
	size_t		 off, len;	/* what waits: buf[off, off + len) */
	int		 err;		/* errno of a failed send, for good */
};

/*
 * A BIO over q (and fd): NULL when out of memory.  q must outlive it;
 * the BIO does not free q or close fd.
 */
BIO	*tls_wq_bio(struct tls_wq *, int);

/*
 * Starts (n > 0) or ends (n == 0) a write of n bytes of data whose
 * records collect in q: the buffer fits them, up to TLS_WQ_MAX.
 */
void	 tls_wq_collect(struct tls_wq *, size_t);

/* Sends what q holds: 0 when nothing is left, -1 with errno (EAGAIN). */
int	 tls_wq_flush(struct tls_wq *);

/* Frees the buffer (what it holds is lost). */
void	 tls_wq_free(struct tls_wq *);

#endif
