/*
 * The relay: the one place where sockit copies bytes between streams.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "relay.h"
#include "stream.h"

static void	relay_on_fd(struct loop *, int, int, void *);
static void	pipe_flush(struct relay *, struct relay_pipe *);
static void	pipe_fill(struct relay *, struct relay_pipe *);

/*
 * Raw pipes that hold no buffer while idle (free_idle: every server
 * connection) read into this one buffer, shared by the process, and
 * write from it at once.  Only what dst does not take now is copied
 * into the pipe's own buffer, so echo and discard allocate nothing per
 * read.  One event loop per process: nothing else uses it meanwhile.
 */
static unsigned char	*relay_scratch;
static size_t		 relay_scratch_cap;

static unsigned char *
relay_scratch_get(size_t n)
{
	unsigned char	*p;

	if (n <= relay_scratch_cap)
		return (relay_scratch);
	if ((p = realloc(relay_scratch, n)) == NULL)
		return (NULL);
	relay_scratch = p;
	relay_scratch_cap = n;
	return (p);
}

void
relay_upper(unsigned char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (p[i] >= 'a' && p[i] <= 'z')
			p[i] -= 'a' - 'A';
}

void
relay_init(struct relay *r, struct loop *l, relay_done_cb cb, void *arg)
{
	memset(r, 0, sizeof(*r));
	r->loop = l;
	r->done_cb = cb;
	r->done_arg = arg;
	r->last_active = loop_now(l);
}

static void
relay_note_stream(struct relay *r, struct stream *s)
{
	int	i;

	if (s == NULL)
		return;
	for (i = 0; i < r->nstreams; i++)
		if (r->streams[i] == s)
			return;
	r->streams[r->nstreams++] = s;
}

int
relay_add_pipe(struct relay *r, const struct relay_pipe_conf *c)
{
	struct relay_pipe	*p;

	if (r->npipes == RELAY_PIPES_MAX)
		return (-1);
	p = &r->pipes[r->npipes];
	memset(p, 0, sizeof(*p));
	p->c = *c;
	p->kp[0] = p->kp[1] = -1;
	if (p->c.in != NULL && p->c.in->kind == FRAME_RAW)
		p->c.in = NULL;
	if (p->c.out != NULL && p->c.out->kind == FRAME_RAW)
		p->c.out = NULL;
	if (p->c.in != NULL)
		frame_dec_init(&p->dec, p->c.in);
	/* A pipe without a source only ends dst's write side. */
	if (p->c.src == NULL)
		p->eof = 1;
	relay_note_stream(r, c->src);
	relay_note_stream(r, c->dst);
	/* The relay sends what a stream holds back (pipe_flush). */
	if (c->dst != NULL)
		c->dst->flags |= STREAM_OWNER_FLUSHES;
	return (r->npipes++);
}

/* A raw pipe reads straight into its output buffer. */
static int
pipe_is_raw(const struct relay_pipe *p)
{
	return (p->c.in == NULL && p->c.out == NULL && !p->c.crlf);
}

/* Whatever the pipe reads is dropped: --discard, or dst went away. */
static int
pipe_discards(const struct relay_pipe *p)
{
	return (p->c.dst == NULL || p->dst_gone);
}

/* Bytes read from src that dst has not taken (yet). */
static uint64_t
pipe_backlog(const struct relay_pipe *p)
{
	if (pipe_is_raw(p))
		return (p->nread - p->nwritten);
	return ((uint64_t)p->inb.len + p->outb.len);
}

/*
 * Output waits for dst: in the buffer, in the kernel pipe, or in the
 * stream itself (queued TLS records).
 */
static int
pipe_has_output(const struct relay_pipe *p)
{
	return (p->outb.len > 0 || p->kp_len > 0 ||
	    (p->c.dst != NULL && stream_held(p->c.dst) > 0));
}

static int
pipe_wants_read(const struct relay *r, const struct relay_pipe *p)
{
	if (p->eof || r->paused || p->c.src == NULL)
		return (0);
	if (p->kp[0] != -1)
		return (p->kp_len < p->kp_cap);
	if (pipe_is_raw(p))
		return (p->outb.cap == 0 || BUF_SPACE(&p->outb) > 0 ||
		    p->outb.len == 0);
	return (p->outb.len < p->c.bufsize);
}

/* Records the first failure; later ones are consequences. */
static void
relay_fail(struct relay *r, struct relay_pipe *p, enum relay_status st,
    int err)
{
	if (r->status != RELAY_RUNNING)
		return;
	r->status = st;
	r->err = err;
	r->err_pipe = (int)(p - r->pipes);
}

/*
 * nc -C: every LF that does not follow a CR goes out as CRLF.  The CR
 * may have ended the previous read, so the pipe remembers it.
 */
static int
pipe_emit_crlf(struct relay *r, struct relay_pipe *p, const unsigned char *msg,
    size_t len)
{
	unsigned char	*o;
	size_t		 i;

	if (buf_reserve(&p->outb, 2 * len) == -1) {
		relay_fail(r, p, RELAY_ERR_NOMEM, ENOMEM);
		return (-1);
	}
	o = BUF_TAIL(&p->outb);
	for (i = 0; i < len; i++) {
		if (msg[i] == '\n' && !p->last_cr)
			*o++ = '\r';
		*o++ = msg[i];
		p->last_cr = msg[i] == '\r';
	}
	p->outb.len = (size_t)(o - BUF_HEAD(&p->outb));
	return (0);
}

/* Queues one message for dst: header, payload, trailer. */
static int
pipe_emit(struct relay *r, struct relay_pipe *p, unsigned char *msg,
    size_t len)
{
	unsigned char	head[FRAME_HDR_MAX], tail[2];
	int		hl = 0, tl = 0;

	if (p->c.transform != NULL)
		p->c.transform(msg, len);
	if (pipe_discards(p))
		return (0);
	if (p->c.crlf && p->c.out == NULL)
		return (pipe_emit_crlf(r, p, msg, len));
	if (p->c.out != NULL) {
		if ((hl = frame_encode_head(p->c.out, len, head)) == -1 ||
		    (tl = frame_encode_tail(p->c.out, len, tail)) == -1) {
			r->frame_err = FRAME_TOO_BIG;
			relay_fail(r, p, RELAY_ERR_FRAME, EMSGSIZE);
			return (-1);
		}
	}
	if (buf_reserve(&p->outb, (size_t)hl + len + (size_t)tl) == -1) {
		relay_fail(r, p, RELAY_ERR_NOMEM, ENOMEM);
		return (-1);
	}
	buf_append(&p->outb, head, (size_t)hl);
	buf_append(&p->outb, msg, len);
	buf_append(&p->outb, tail, (size_t)tl);
	return (0);
}

/* Decodes every whole message in inb and queues it for dst. */
static int
pipe_decode(struct relay *r, struct relay_pipe *p)
{
	struct frame_msg	m;
	enum frame_status	st;
	size_t			used = 0;

	while (p->inb.len > used) {
		st = p->c.in != NULL ? frame_decode(&p->dec,
		    BUF_HEAD(&p->inb) + used, p->inb.len - used, &m) : FRAME_OK;
		if (p->c.in == NULL) {
			m.off = 0;
			m.len = m.consumed = p->inb.len - used;
		}
		if (st == FRAME_NEED_MORE)
			break;
		if (st != FRAME_OK) {
			r->frame_err = st;
			relay_fail(r, p, RELAY_ERR_FRAME, EMSGSIZE);
			return (-1);
		}
		if (pipe_emit(r, p, BUF_HEAD(&p->inb) + used + m.off,
		    m.len) == -1)
			return (-1);
		used += m.consumed;
	}
	buf_consume(&p->inb, used);
	return (0);
}

/* End of input: a leftover partial message is an error or a message. */
static int
pipe_at_eof(struct relay *r, struct relay_pipe *p)
{
	size_t	len = p->inb.len;

	p->eof = 1;
	if (p->c.in == NULL || len == 0)
		return (0);
	if (p->c.partial_ok && (p->c.in->kind == FRAME_LINE ||
	    p->c.in->kind == FRAME_DELIM)) {
		if (pipe_emit(r, p, BUF_HEAD(&p->inb), len) == -1)
			return (-1);
		buf_consume(&p->inb, len);
		return (0);
	}
	r->frame_err = frame_decode_eof(&p->dec, len);
	relay_fail(r, p, RELAY_ERR_FRAME, EPROTO);
	return (-1);
}

/* How many of size bytes the next read may take (readmax, --recv-bytes). */
static size_t
pipe_read_size(const struct relay_pipe *p, size_t size)
{
	if (p->c.readmax > 0 && size > p->c.readmax)
		size = p->c.readmax;
	if (p->c.limit > 0 && p->c.limit - p->nread < size)
		size = (size_t)(p->c.limit - p->nread);
	return (size);
}

/* One read from src; returns bytes read, 0 at EOF, -1 on error/EAGAIN. */
static ssize_t
pipe_read_into(struct relay *r, struct relay_pipe *p, unsigned char *dst,
    size_t size)
{
	ssize_t	n;

	/*
	 * A raw discard pipe may let the kernel drop the bytes (TCP
	 * honours MSG_TRUNC; elsewhere dst still has room).
	 */
	if (p->c.kernel_drop && pipe_discards(p) && pipe_is_raw(p))
		n = stream_drop(p->c.src, dst, pipe_read_size(p, size));
	else
		n = stream_read(p->c.src, dst, pipe_read_size(p, size));
	if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
		relay_fail(r, p, RELAY_ERR_READ, errno);
	if (n > 0) {
		p->nread += (uint64_t)n;
		r->last_active = loop_now(r->loop);
		if (r->tap_cb != NULL)
			r->tap_cb(r, (int)(p - r->pipes), 0, dst, (size_t)n,
			    r->done_arg);
	}
	return (n);
}

/* Reads into b (the output buffer of a raw pipe, the input of a framed one). */
static ssize_t
pipe_read(struct relay *r, struct relay_pipe *p, struct buf *b)
{
	size_t	need;

	if (b->len == 0)
		b->off = 0;
	/*
	 * A raw pipe reads into its fixed-size output buffer; a framed one
	 * keeps a partial message and room for a full read after it.
	 */
	need = pipe_is_raw(p) ? (b->cap == 0 ? p->c.bufsize : 0) :
	    p->c.bufsize;
	if (need > 0 && buf_reserve(b, need) == -1) {
		relay_fail(r, p, RELAY_ERR_NOMEM, ENOMEM);
		return (-1);
	}
	return (pipe_read_into(r, p, BUF_TAIL(b), BUF_SPACE(b)));
}

/*
 * A peer that hung up while we were still sending may have said
 * something first (a banner, an error line) that the reset left
 * unread: what its socket still holds goes to the other side before
 * the relay ends.  Bounded: the socket's receive queue, at most
 * RELAY_DRAIN_ROUNDS reads per pipe.
 */
#define RELAY_DRAIN_ROUNDS	64

static void
relay_drain_gone(struct relay *r, const struct relay_pipe *failed)
{
	struct relay_pipe	*q;
	uint64_t		 before;
	int			 i, rounds;

	if (r->draining)
		return;
	r->draining = 1;
	for (i = 0; i < r->npipes; i++) {
		q = &r->pipes[i];
		if (q == failed || q->c.src != failed->c.dst ||
		    pipe_discards(q))
			continue;
		for (rounds = 0; rounds < RELAY_DRAIN_ROUNDS &&
		    pipe_wants_read(r, q); rounds++) {
			before = q->nread;
			pipe_fill(r, q);
			pipe_flush(r, q);
			if (q->nread == before)
				break;
		}
	}
	r->draining = 0;
}

/*
 * dst went away.  Where that is allowed (an exec program that stopped
 * reading), the rest of src is read and dropped, so the peer never sees
 * a reset for input nobody wanted; elsewhere it is a write error that
 * counts what was lost.
 */
static void
pipe_dst_failed(struct relay *r, struct relay_pipe *p, int err)
{
	if (p->c.dst_gone_drains && stream_peer_gone(err)) {
		p->dst_gone = 1;
		buf_consume(&p->outb, p->outb.len);
		return;
	}
	if (r->status == RELAY_RUNNING)
		r->undelivered = relay_undelivered(r, (int)(p - r->pipes));
	relay_fail(r, p, RELAY_ERR_WRITE, err);
	if (stream_peer_gone(err))
		relay_drain_gone(r, p);
}

/* Writes what dst takes now; returns the count, or -1 on error. */
static ssize_t
pipe_write(struct relay *r, struct relay_pipe *p, const unsigned char *data,
    size_t len)
{
	size_t	done = 0;
	ssize_t	n;

	while (done < len) {
		n = stream_write(p->c.dst, data + done, len - done);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			pipe_dst_failed(r, p, errno);
			return (-1);
		}
		if (r->tap_cb != NULL)
			r->tap_cb(r, (int)(p - r->pipes), 1, data + done,
			    (size_t)n, r->done_arg);
		done += (size_t)n;
		p->nwritten += (uint64_t)n;
		r->last_active = loop_now(r->loop);
	}
	return ((ssize_t)done);
}

/*
 * A raw, idle, unbuffered pipe: through the shared scratch buffer.
 * Returns what the read returned, or -1 when the pipe failed.
 */
static ssize_t
pipe_fill_direct(struct relay *r, struct relay_pipe *p)
{
	size_t		 size = p->c.bufsize;
	unsigned char	*scratch;
	ssize_t		 n, w;

	if ((scratch = relay_scratch_get(size)) == NULL) {
		relay_fail(r, p, RELAY_ERR_NOMEM, ENOMEM);
		return (-1);
	}
	if ((n = pipe_read_into(r, p, scratch, size)) <= 0 || pipe_discards(p))
		return (n);
	if (p->c.transform != NULL)
		p->c.transform(scratch, (size_t)n);
	if ((w = pipe_write(r, p, scratch, (size_t)n)) == -1)
		return (p->dst_gone ? n : -1);
	/* The rest waits in the pipe's buffer, and reading stops. */
	if (buf_append(&p->outb, scratch + w, (size_t)(n - w)) == -1) {
		relay_fail(r, p, RELAY_ERR_NOMEM, ENOMEM);
		return (-1);
	}
	return (n);
}

/*
 * Reads into the pipe's own buffer: the output of a raw pipe, the input
 * of a framed one (decoded at once).  Returns like pipe_fill_direct.
 */
static ssize_t
pipe_fill_buffered(struct relay *r, struct relay_pipe *p)
{
	struct buf	*b = pipe_is_raw(p) ? &p->outb : &p->inb;
	ssize_t		 n;

	if ((n = pipe_read(r, p, b)) <= 0)
		return (n);
	b->len += (size_t)n;
	if (pipe_is_raw(p)) {
		if (p->c.transform != NULL)
			p->c.transform(BUF_TAIL(b) - n, (size_t)n);
		if (pipe_discards(p))
			buf_consume(b, b->len);
	} else if (pipe_decode(r, p) == -1)
		return (-1);
	return (n);
}

/*
 * Zero copy (splice(2)): src -> kernel pipe -> dst, the pages moved,
 * never copied into this process.  Through a pipe of our own even when
 * src or dst is a pipe itself, so that EAGAIN always says which side
 * must wait: the read side only splices when the kernel pipe has room,
 * the write side only when it holds data.
 */
#ifdef HAVE_SPLICE
#define RELAY_SPLICE_FLAGS	(SPLICE_F_MOVE | SPLICE_F_NONBLOCK)
/*
 * The kernel pipe's size: each splice moves up to this much, so a
 * larger pipe means fewer calls and wakeups per byte (a 1 GiB forward
 * took half the CPU with 1 MiB than with 64 KiB, docs/PERFORMANCE.md).
 * Its pages are allocated only as data fills it.  A pipe the kernel
 * will not make at least RELAY_ZC_MIN (an unprivileged user past
 * pipe-user-pages-soft gets one page) is not worth splicing through:
 * the pipe copies instead.
 */
#define RELAY_ZC_PIPE	(1024 * 1024)
#define RELAY_ZC_MIN	(64 * 1024)

static int
pipe_zc_eligible(const struct relay *r, const struct relay_pipe *p)
{
	return (p->c.zero_copy && r->tap_cb == NULL && p->c.src != NULL &&
	    p->c.dst != NULL &&
	    (p->c.src->flags & STREAM_PLAIN) &&
	    (p->c.dst->flags & STREAM_PLAIN) && pipe_is_raw(p) &&
	    p->c.transform == NULL && p->c.limit == 0 &&
	    !p->c.dst_gone_drains && !p->c.kernel_drop);
}

static void	pipe_zc_close(struct relay_pipe *);

/* Opens the kernel pipe; without one the pipe copies as usual. */
static void
pipe_zc_open(struct relay *r, struct relay_pipe *p)
{
	int	sz;

	if (!pipe_zc_eligible(r, p) || pipe2(p->kp, O_NONBLOCK | O_CLOEXEC) == -1) {
		p->kp[0] = p->kp[1] = -1;
		return;
	}
	/* Refused (pipe-max-size): the default size, if that is enough. */
	if ((sz = fcntl(p->kp[1], F_SETPIPE_SZ, RELAY_ZC_PIPE)) == -1)
		sz = fcntl(p->kp[1], F_GETPIPE_SZ);
	if (sz < RELAY_ZC_MIN) {
		pipe_zc_close(p);
		return;
	}
	p->kp_cap = (size_t)sz;
}

static void
pipe_zc_close(struct relay_pipe *p)
{
	if (p->kp[0] == -1)
		return;
	(void)close(p->kp[0]);
	(void)close(p->kp[1]);
	p->kp[0] = p->kp[1] = -1;
	p->kp_len = 0;
}

/*
 * An fd splice does not take (a terminal, some files: EINVAL): back to
 * copying.  What is in the kernel pipe comes back into the buffer.
 */
static int
pipe_zc_fall_back(struct relay *r, struct relay_pipe *p)
{
	ssize_t	n;

	if (buf_reserve(&p->outb, p->kp_len) == -1) {
		relay_fail(r, p, RELAY_ERR_NOMEM, ENOMEM);
		return (-1);
	}
	while (p->kp_len > 0) {
		n = read(p->kp[0], BUF_TAIL(&p->outb), p->kp_len);
		if (n <= 0) {
			relay_fail(r, p, RELAY_ERR_READ, n == 0 ? EIO : errno);
			return (-1);
		}
		p->outb.len += (size_t)n;
		p->kp_len -= (size_t)n;
	}
	pipe_zc_close(p);
	return (0);
}

/* Moves what src has into the kernel pipe; returns like a read. */
static ssize_t
pipe_zc_fill(struct relay *r, struct relay_pipe *p)
{
	ssize_t	n;

	do {
		n = splice(p->c.src->fd, NULL, p->kp[1], NULL,
		    p->kp_cap - p->kp_len, RELAY_SPLICE_FLAGS);
	} while (n == -1 && errno == EINTR);
	if (n > 0) {
		p->kp_len += (size_t)n;
		p->nread += (uint64_t)n;
		r->last_active = loop_now(r->loop);
	} else if (n == -1 && errno == EINVAL && p->kp_len == 0) {
		pipe_zc_close(p);
		return (pipe_fill_direct(r, p));
	} else if (n == -1 && errno != EAGAIN)
		relay_fail(r, p, RELAY_ERR_READ, errno);
	return (n);
}

/* Moves what the kernel pipe holds on to dst. */
static void
pipe_zc_flush(struct relay *r, struct relay_pipe *p)
{
	ssize_t	n;

	while (p->kp_len > 0) {
		do {
			n = splice(p->kp[0], NULL, p->c.dst->fd, NULL,
			    p->kp_len, RELAY_SPLICE_FLAGS);
		} while (n == -1 && errno == EINTR);
		if (n == -1 && errno == EINVAL) {
			if (pipe_zc_fall_back(r, p) == 0)
				pipe_flush(r, p);
			return;
		}
		if (n == -1) {
			if (errno != EAGAIN)
				pipe_dst_failed(r, p, errno);
			return;
		}
		p->kp_len -= (size_t)n;
		p->nwritten += (uint64_t)n;
		r->last_active = loop_now(r->loop);
	}
}
#else
static void
pipe_zc_open(struct relay *r, struct relay_pipe *p)
{
}

static void
pipe_zc_close(struct relay_pipe *p)
{
}

static ssize_t
pipe_zc_fill(struct relay *r, struct relay_pipe *p)
{
	return (pipe_fill_direct(r, p));
}

static void
pipe_zc_flush(struct relay *r, struct relay_pipe *p)
{
}
#endif

/*
 * A read at least this large says bulk: only then is the kernel pipe of
 * zero copy made.  A short exchange (a request, a reply) then costs no
 * pipe2/fcntl/close, which as many syscalls as it moves bytes with.
 */
#define RELAY_ZC_BULK	(16 * 1024)

static void
pipe_fill(struct relay *r, struct relay_pipe *p)
{
	ssize_t	n;

	if (!pipe_wants_read(r, p))
		return;
	if (p->kp[0] != -1)
		n = pipe_zc_fill(r, p);
	else if (pipe_is_raw(p) && (p->c.free_idle || pipe_discards(p)) &&
	    p->outb.len == 0)
		n = pipe_fill_direct(r, p);
	else
		n = pipe_fill_buffered(r, p);
	if (n >= RELAY_ZC_BULK && p->c.zero_copy && !p->zc_tried &&
	    r->status == RELAY_RUNNING) {
		p->zc_tried = 1;
		pipe_zc_open(r, p);
	}
	if (n == 0 || (n > 0 && p->c.limit > 0 && p->nread >= p->c.limit))
		(void)pipe_at_eof(r, p);
}

/* Writes what is pending; EAGAIN leaves the rest for later. */
static void
pipe_flush(struct relay *r, struct relay_pipe *p)
{
	ssize_t	n;

	/*
	 * A zero-copy pipe may hold bytes in its buffer too: what the owner
	 * put before the stream's own (a banner, a PROXY header) goes
	 * first, then what the kernel pipe holds.
	 */
	if (p->kp[0] != -1 && p->outb.len == 0) {
		pipe_zc_flush(r, p);
		return;
	}
	if (p->outb.len > 0 && !pipe_discards(p)) {
		if ((n = pipe_write(r, p, BUF_HEAD(&p->outb),
		    p->outb.len)) == -1)
			return;
		buf_consume(&p->outb, (size_t)n);
	}
	if (p->outb.len == 0 && !pipe_discards(p) &&
	    stream_held(p->c.dst) > 0 && stream_flush(p->c.dst) == -1 &&
	    errno != EAGAIN && errno != EWOULDBLOCK) {
		pipe_dst_failed(r, p, errno);
		return;
	}
	if (p->c.free_idle && p->outb.len == 0) {
		buf_free(&p->outb);
		if (p->inb.len == 0)
			buf_free(&p->inb);
	}
	if (p->kp[0] != -1 && p->outb.len == 0 && r->status == RELAY_RUNNING)
		pipe_zc_flush(r, p);
}

/* A socket that the owner closes when the relay ends. */
static int
relay_owner_closes(const struct relay *r, const struct stream *s)
{
	return (r->owner_closes && (s->flags & STREAM_SOCKET) &&
	    !(s->flags & STREAM_NOCLOSE));
}

/*
 * Whether the pipe's end of stream may ride on the owner's close(2)
 * instead of a shutdown(2) of its own (a syscall per connection saved):
 * only for a plain socket, when this pipe is the last one open, and
 * when the socket's input was read to its end, so that closing it sends
 * a FIN and not a reset.
 */
static int
pipe_fin_at_close(const struct relay *r, const struct relay_pipe *p)
{
	const struct stream	*dst = p->c.dst;
	int			 i, drained = 0;

	if (!relay_owner_closes(r, dst) || !(dst->flags & STREAM_PLAIN))
		return (0);
	for (i = 0; i < r->npipes; i++) {
		if (&r->pipes[i] == p)
			continue;
		if (!r->pipes[i].done)
			return (0);
	}
	for (i = 0; i < r->npipes; i++)
		if (r->pipes[i].c.src == dst && r->pipes[i].eof &&
		    r->pipes[i].inb.len == 0)
			drained = 1;
	return (drained);
}

/*
 * After EOF and a full flush, the pipe ends dst's write side and is
 * done.  A transport that cannot end it yet (TLS with a full socket)
 * says EAGAIN, and the pipe tries again when dst is writable.
 */
static void
pipe_maybe_done(struct relay *r, struct relay_pipe *p)
{
	if (p->done || !p->eof || pipe_has_output(p))
		return;
	p->shut_wait = 0;
	if (p->c.shutdown_dst && !pipe_discards(p) &&
	    !pipe_fin_at_close(r, p) && stream_shutdown(p->c.dst) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			p->shut_wait = 1;
			return;
		}
		if (!stream_peer_gone(errno)) {
			pipe_dst_failed(r, p, errno);
			return;
		}
	}
	p->done = 1;
}

/* Computes the loop mask a stream's fd needs now. */
static int
relay_mask_for(const struct relay *r, const struct stream *s, int *pending)
{
	const struct relay_pipe	*p;
	int			 i, mask = 0;

	*pending = 0;
	for (i = 0; i < r->npipes; i++) {
		p = &r->pipes[i];
		if (p->c.src == s && pipe_wants_read(r, p)) {
			mask |= stream_wants(s, 0);
			if (stream_pending(s) > 0)
				*pending = 1;
		}
		if (p->c.dst == s && !pipe_discards(p) &&
		    (pipe_has_output(p) || p->shut_wait))
			mask |= stream_wants(s, 1);
	}
	return (mask);
}

static void
relay_unregister(struct relay *r)
{
	int	i;

	for (i = 0; i < r->nstreams; i++) {
		if (relay_owner_closes(r, r->streams[i]))
			loop_forget_fd(r->loop, r->streams[i]->fd);
		else
			(void)loop_set_fd(r->loop, r->streams[i]->fd, 0, NULL,
			    NULL);
	}
}

/* Tells the loop what each stream waits for; returns 0 or -1/errno. */
static int
relay_register(struct relay *r)
{
	struct stream	*s;
	int		 i, mask, pending;

	for (i = 0; i < r->nstreams; i++) {
		s = r->streams[i];
		mask = relay_mask_for(r, s, &pending);
		if ((mask != loop_get_mask(r->loop, s->fd) ||
		    !loop_fd_is(r->loop, s->fd, relay_on_fd, r)) &&
		    loop_set_fd(r->loop, s->fd, mask, relay_on_fd, r) == -1)
			return (-1);
		/*
		 * A kick makes the loop call back at once through the first
		 * stream, so that what relay_inject ended or failed settles.
		 */
		if (i == 0 && r->kick) {
			pending = 1;
			if (loop_set_fd(r->loop, s->fd, mask, relay_on_fd,
			    r) == -1)
				return (-1);
		}
		if (loop_set_pending(r->loop, s->fd, pending) == -1)
			return (-1);
	}
	return (0);
}

/* Returns 1 when the relay has ended (and done_cb has been called). */
static int
relay_settle(struct relay *r)
{
	int	i, was, all = 1, ended = 0, newly = -1;

	for (i = 0; i < r->npipes && r->status == RELAY_RUNNING; i++) {
		was = r->pipes[i].done;
		pipe_maybe_done(r, &r->pipes[i]);
		if (!r->pipes[i].done)
			all = 0;
		else if (r->pipes[i].c.ends_relay)
			ended = 1;
		if (!was && r->pipes[i].done)
			newly = i;
	}
	if (r->status == RELAY_RUNNING && (all || ended))
		r->status = RELAY_DONE;
	if (r->status == RELAY_RUNNING && relay_register(r) == -1)
		relay_fail(r, &r->pipes[0], RELAY_ERR_NOMEM, errno);
	if (r->status == RELAY_RUNNING && newly >= 0 && r->pipe_done_cb != NULL)
		r->pipe_done_cb(r, newly, r->done_arg);
	if (r->status == RELAY_RUNNING)
		return (0);
	relay_unregister(r);
	/* The callback may free r: touch nothing after it. */
	r->done_cb(r, r->done_arg);
	return (1);
}

/* Whether mask from the loop lets the pipe's read or write go on. */
static int
pipe_can_read(const struct relay_pipe *p, int fd, int mask)
{
	return (p->c.src != NULL && p->c.src->fd == fd &&
	    ((mask & stream_wants(p->c.src, 0)) ||
	    (mask & LOOP_PENDING)));
}

static int
pipe_can_write(const struct relay_pipe *p, int fd, int mask)
{
	return (p->c.dst != NULL && p->c.dst->fd == fd &&
	    (mask & stream_wants(p->c.dst, 1)));
}

/*
 * Reads, and writes at once (a wakeup saved per message).  Bytes the
 * source already holds (TLS records read ahead) are taken in the same
 * call rather than after another trip through the loop, an epoll_wait
 * per record saved; at most RELAY_PENDING_ROUNDS reads, so that other
 * connections wait little.
 */
#define RELAY_PENDING_ROUNDS	8

static void
pipe_fill_pending(struct relay *r, struct relay_pipe *p)
{
	int	rounds = 0;

	do {
		pipe_fill(r, p);
		if (r->status == RELAY_RUNNING)
			pipe_flush(r, p);
	} while (++rounds < RELAY_PENDING_ROUNDS &&
	    r->status == RELAY_RUNNING && pipe_wants_read(r, p) &&
	    stream_pending(p->c.src) > 0);
}

static void
relay_on_fd(struct loop *l, int fd, int mask, void *arg)
{
	struct relay		*r = arg;
	struct relay_pipe	*p;
	int			 i;

	r->kick = 0;
	for (i = 0; i < r->npipes && r->status == RELAY_RUNNING; i++) {
		p = &r->pipes[i];
		if (pipe_can_write(p, fd, mask))
			pipe_flush(r, p);
		if (pipe_can_read(p, fd, mask))
			pipe_fill_pending(r, p);
	}
	(void)relay_settle(r);
}

int
relay_start(struct relay *r)
{
	int	i, saved;

	r->last_active = loop_now(r->loop);
	/*
	 * Register here rather than in relay_settle, so that a failure is
	 * returned to the caller instead of ending the relay through
	 * done_cb before the caller has finished setting up.  A pipe
	 * without a source ends dst's write side now.
	 */
	for (i = 0; i < r->npipes; i++) {
		if (r->pipes[i].c.src == NULL)
			pipe_maybe_done(r, &r->pipes[i]);
	}
	if (relay_register(r) == -1) {
		saved = errno;
		relay_unregister(r);
		errno = saved;
		return (-1);
	}
	return (0);
}

uint64_t
relay_undelivered(const struct relay *r, int i)
{
	const struct relay_pipe	*p = &r->pipes[i];
	long long		 acked;
	uint64_t		 n = pipe_backlog(p);

	if (p->c.dst != NULL && (acked = stream_acked(p->c.dst)) >= 0 &&
	    (uint64_t)acked <= p->nwritten)
		n += p->nwritten - (uint64_t)acked;
	return (n);
}

const char *
relay_delivered_word(const struct relay *r, int i)
{
	const struct relay_pipe	*p = &r->pipes[i];

	return (p->c.dst != NULL && stream_acked(p->c.dst) == -1 ? "sent" :
	    "delivered");
}

uint64_t
relay_delivered(const struct relay *r, int i)
{
	const struct relay_pipe	*p = &r->pipes[i];
	long long		 acked;

	if (p->c.dst != NULL && (acked = stream_acked(p->c.dst)) >= 0 &&
	    (uint64_t)acked <= p->nwritten)
		return ((uint64_t)acked);
	return (p->nwritten);
}

int
relay_prepend(struct relay *r, int i, const void *p, size_t len)
{
	if (i < 0 || i >= r->npipes)
		return (-1);
	return (buf_append(&r->pipes[i].outb, p, len));
}

int
relay_inject(struct relay *r, int i, const void *data, size_t len)
{
	struct relay_pipe	*p;
	struct buf		*b;

	if (i < 0 || i >= r->npipes) {
		errno = EINVAL;
		return (-1);
	}
	p = &r->pipes[i];
	/* A read never takes more than --recv-bytes; the rest is dropped. */
	if (p->c.limit > 0 && p->c.limit - p->nread < len)
		len = (size_t)(p->c.limit - p->nread);
	if (len == 0 || r->status != RELAY_RUNNING)
		return (0);
	p->nread += len;
	if (r->tap_cb != NULL)
		r->tap_cb(r, i, 0, data, len, r->done_arg);
	b = pipe_is_raw(p) ? &p->outb : &p->inb;
	if (!(pipe_is_raw(p) && pipe_discards(p))) {
		if (buf_append(b, data, len) == -1)
			return (-1);
		if (pipe_is_raw(p) && p->c.transform != NULL)
			p->c.transform(BUF_TAIL(b) - len, len);
		if (!pipe_is_raw(p))
			(void)pipe_decode(r, p);
	}
	if (p->c.limit > 0 && p->nread >= p->c.limit)
		(void)pipe_at_eof(r, p);
	r->kick = 1;
	return (0);
}

void
relay_end_input(struct relay *r, int i)
{
	if (i < 0 || i >= r->npipes || r->status != RELAY_RUNNING)
		return;
	if (!r->pipes[i].eof)
		(void)pipe_at_eof(r, &r->pipes[i]);
	(void)relay_settle(r);
}

void
relay_pause(struct relay *r, int on)
{
	r->paused = on;
	if (r->status == RELAY_RUNNING)
		(void)relay_settle(r);
}

void
relay_free(struct relay *r)
{
	int	i;

	relay_unregister(r);
	for (i = 0; i < r->npipes; i++) {
		buf_free(&r->pipes[i].inb);
		buf_free(&r->pipes[i].outb);
		pipe_zc_close(&r->pipes[i]);
	}
	/* The pipes stay, for their counts: the closed event is logged later. */
	r->nstreams = 0;
}

uint64_t
relay_bytes_from(const struct relay *r, const struct stream *s)
{
	uint64_t	n = 0;
	int		i;

	for (i = 0; i < r->npipes; i++)
		if (r->pipes[i].c.src == s)
			n += r->pipes[i].nread;
	return (n);
}

uint64_t
relay_bytes_to(const struct relay *r, const struct stream *s)
{
	uint64_t	n = 0;
	int		i;

	for (i = 0; i < r->npipes; i++)
		if (s != NULL && r->pipes[i].c.dst == s)
			n += r->pipes[i].nwritten;
	return (n);
}
