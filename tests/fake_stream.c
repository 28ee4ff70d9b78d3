/*
 * The fake stream of fake_stream.h.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fake_stream.h"
#include "loop.h"

/* FAKE_FLIP: says EAGAIN on every other call. */
static int
fake_flip(struct fake_stream *f)
{
	f->calls++;
	if ((f->mode & FAKE_FLIP) && f->calls % 2 == 1) {
		f->eagain++;
		errno = EAGAIN;
		return (1);
	}
	return (0);
}

static size_t
fake_cap(const struct fake_stream *f, size_t n)
{
	return (f->maxio > 0 && n > f->maxio ? f->maxio : n);
}

static ssize_t
fake_read(struct stream *s, void *p, size_t n)
{
	struct fake_stream	*f = (struct fake_stream *)s;
	ssize_t			 r;

	if (fake_flip(f))
		return (-1);
	if (!(f->mode & FAKE_HOLD))
		return (read(f->data, p, fake_cap(f, n)));
	if (f->hold_len == 0) {
		if ((r = read(f->data, f->hold, sizeof(f->hold))) <= 0)
			return (r);
		f->hold_off = 0;
		f->hold_len = (size_t)r;
	}
	n = fake_cap(f, n < f->hold_len ? n : f->hold_len);
	memcpy(p, f->hold + f->hold_off, n);
	f->hold_off += n;
	f->hold_len -= n;
	return ((ssize_t)n);
}

/*
 * FAKE_INVERT: after each write the next one waits for an
 * acknowledgement byte on the carrier, and says so with wwant.
 */
static int
fake_wait_ack(struct fake_stream *f)
{
	unsigned char	b;

	if (!(f->mode & FAKE_INVERT) || !f->need_ack)
		return (0);
	if (read(f->s.fd, &b, 1) == 1) {
		f->need_ack = 0;
		f->s.wwant = LOOP_WRITABLE;
		return (0);
	}
	f->s.wwant = LOOP_READABLE;
	f->eagain++;
	errno = EAGAIN;
	return (1);
}

static ssize_t
fake_write(struct stream *s, const void *p, size_t n)
{
	struct fake_stream	*f = (struct fake_stream *)s;
	ssize_t			 w;

	if (fake_flip(f) || fake_wait_ack(f))
		return (-1);
	w = write(f->data, p, fake_cap(f, n));
	if (w > 0 && (f->mode & FAKE_INVERT)) {
		f->need_ack = 1;
		f->s.wwant = LOOP_READABLE;
	}
	return (w);
}

static int
fake_shutdown(struct stream *s)
{
	struct fake_stream	*f = (struct fake_stream *)s;

	/* The first try cannot finish yet, as a TLS close_notify may not. */
	if ((f->mode & FAKE_FLIP) && f->shut_tries++ == 0) {
		f->eagain++;
		errno = EAGAIN;
		return (-1);
	}
	return (shutdown(f->data, SHUT_WR));
}

static size_t
fake_pending(const struct stream *s)
{
	const struct fake_stream *f = (const struct fake_stream *)s;

	return (f->hold_len);
}

static const struct stream_ops fake_ops = {
	.name = "fake",
	.read = fake_read,
	.write = fake_write,
	.shutdown = fake_shutdown,
	.pending = fake_pending,
	.drop = NULL,
	.acked = NULL,
	.free = NULL
};

void
fake_stream_init(struct fake_stream *f, int data, int carrier, int mode,
    size_t maxio)
{
	memset(f, 0, sizeof(*f));
	f->s.ops = &fake_ops;
	f->s.fd = carrier >= 0 ? carrier : data;
	f->s.flags = STREAM_NOCLOSE;
	f->s.rwant = (mode & FAKE_INVERT) ? LOOP_WRITABLE : LOOP_READABLE;
	/* An inverted writer starts waiting for its first acknowledgement. */
	f->s.wwant = (mode & FAKE_INVERT) ? LOOP_READABLE : LOOP_WRITABLE;
	f->need_ack = (mode & FAKE_INVERT) != 0;
	f->data = data;
	f->mode = mode;
	f->maxio = maxio;
}
