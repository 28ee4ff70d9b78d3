/*
 * The datagram client: stdin messages (or --send texts) out as datagrams
 * on a connected socket, replies printed one message each.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "buf.h"
#include "dgram-batch.h"
#include "dgram-pace.h"
#include "dgram.h"
#include "exitcode.h"
#include "log.h"
#include "loop.h"
#include "sock.h"

#define DC_RECV_MAX	DGB_RECV_MAX
#define DC_PROBE_MS	100	/* --wait-for: silence that means "up" */
#define DC_RETRY_MS	50	/* --wait-for: pause between tries */
#define DC_RCVBUF	(4 * 1024 * 1024) /* room for replies in flight */

struct dc_state {
	const struct client_opts *o;
	const struct frame_spec	 *local;
	struct loop		 *loop;
	int			  fd;
	size_t			  max;		/* the longest datagram */
	size_t			  largest;	/* sent or received so far */
	size_t			  rcvbuf;	/* the socket's SO_RCVBUF */
	struct buf		  inb;
	struct frame_dec	  dec;
	int			  in_eof;	/* no more messages to send */
	size_t			  next_step;	/* --send index */
	unsigned long long	  sent, replies;
	struct log_xfer		  x;
	long long		  last_progress; /* ms: last reply or eof */
	struct dgram_pace	  pace;		/* ahead of the replies */
	int			  stdin_eof;
	int			  blocked;	/* send said EAGAIN */
	int			  done;		/* nothing more to wait for */
	int			  rc;		/* the exit code once done */
	unsigned char		 *rbuf;

	/* --wait-for: the first datagram, sent again until delivered. */
	int			  probing;
	long long		  probe_deadline;
	struct buf		  probe;
	struct loop_timer	  probe_timer;	/* silence: somebody is there */
	struct loop_timer	  retry_timer;	/* the pause before a resend */

	struct loop_timer	  stall_timer;	/* the window is closed */
	struct loop_timer	  reply_timer;	/* --reply-timeout */
};

#define DC_AGAIN	(-1)	/* dc_send: the socket is full, retry */
#define DC_SMALLER	(-2)	/* dc_send: too long after all; d->max cut */

static void	dc_update(struct dc_state *);

/* Ends the run with exit code rc (the first one set wins). */
static void
dc_stop(struct dc_state *d, int rc)
{
	if (d->rc == 0)
		d->rc = rc;
	d->done = 1;
	loop_stop(d->loop);
}

/*
 * Arms t for ms from now; ms is never negative here (a deadline already
 * passed is 0: at once).  Fails only without memory, which ends the run.
 */
static void
dc_arm(struct dc_state *d, struct loop_timer *t, long long ms)
{
	if (loop_timer_set(d->loop, t, ms > 0 ? ms : 0) == -1) {
		log_syserr("event loop");
		dc_stop(d, SOCKIT_EXIT_RUNTIME);
	}
}

/*
 * --wait-for: until the peer's port answers, the first datagram comes
 * back as ICMP port unreachable (ECONNREFUSED), which proves it was not
 * delivered; it is sent again every DC_RETRY_MS until the deadline.  A
 * reply, or silence for DC_PROBE_MS, means somebody is there.  Nothing
 * else is sent meanwhile.
 */
static int
dc_probe_start(struct dc_state *d, const unsigned char *p, size_t n)
{
	if (buf_append(&d->probe, p, n) == -1) {
		log_syserr("--wait-for");
		return (SOCKIT_EXIT_RUNTIME);
	}
	d->probing = 1;
	d->probe_deadline = clock_ms() + d->o->wait_for_ms;
	dc_arm(d, &d->probe_timer, DC_PROBE_MS);
	return (0);
}

static void
dc_probe_done(struct dc_state *d)
{
	d->probing = 0;
	loop_timer_cancel(d->loop, &d->probe_timer);
	loop_timer_cancel(d->loop, &d->retry_timer);
	buf_free(&d->probe);
}

/* Silence for DC_PROBE_MS after a send: the datagram was delivered. */
static void
dc_probe_quiet(struct loop *l, struct loop_timer *t, void *arg)
{
	struct dc_state	*d = arg;

	dc_probe_done(d);
	dc_update(d);
}

/*
 * The pause after "unreachable" is over: send the first datagram again
 * (a full socket buffer: after another pause).
 */
static void
dc_probe_retry(struct loop *l, struct loop_timer *t, void *arg)
{
	struct dc_state	*d = arg;
	ssize_t		 w;

	do {
		w = send(d->fd, BUF_HEAD(&d->probe), d->probe.len, 0);
	} while (w == -1 && errno == EINTR);
	if (w == -1 && sock_send_full(errno))
		dc_arm(d, &d->retry_timer, DC_RETRY_MS);
	else if (w == -1 && errno != ECONNREFUSED) {
		log_syserr("send");
		dc_stop(d, SOCKIT_EXIT_RUNTIME);
	} else
		dc_arm(d, &d->probe_timer, DC_PROBE_MS);
}

/* The socket is readable while probing: a reply, or "unreachable". */
static void
dc_probe_readable(struct dc_state *d)
{
	unsigned char	b;

	if (recv(d->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) >= 0 ||
	    errno != ECONNREFUSED) {
		/* A reply (read as one next), or no news: it got there. */
		dc_probe_done(d);
		return;
	}
	loop_timer_cancel(d->loop, &d->probe_timer);
	if (clock_ms() + DC_RETRY_MS >= d->probe_deadline) {
		log_error("nobody answered within --wait-for %.3g s",
		    (double)d->o->wait_for_ms / 1000);
		dc_stop(d, SOCKIT_EXIT_TIMEOUT);
		return;
	}
	dc_arm(d, &d->retry_timer, DC_RETRY_MS);
}

/*
 * Sends one message; returns 0, DC_AGAIN when the socket cannot take it
 * now (a Unix datagram queue holds only a few), or an exit code.  A raw
 * stdin chunk (chunk set) that the socket refuses as too long after all
 * (EMSGSIZE: the maximum was a guess) lowers d->max and returns
 * DC_SMALLER: it is sent again as smaller chunks.
 */
static int
dc_send(struct dc_state *d, const unsigned char *p, size_t n, int chunk)
{
	ssize_t	w;

	if (n > d->max) {
		log_error("message of %zu bytes is over the datagram maximum "
		    "of %zu", n, d->max);
		return (SOCKIT_EXIT_RUNTIME);
	}
	do {
		w = send(d->fd, p, n, 0);
	} while (w == -1 && errno == EINTR);
	if (w == -1 && sock_send_full(errno)) {
		d->blocked = 1;
		return (DC_AGAIN);
	}
	if (w == -1 && errno == EMSGSIZE && chunk && n > 1) {
		d->max = n / 2;
		return (DC_SMALLER);
	}
	if (w == -1) {
		log_syserr("send");
		return (exitcode_for_errno(errno));
	}
	d->sent++;
	dgram_pace_sent(&d->pace);
	d->x.out += n;
	if (n > d->largest)
		d->largest = n;
	if (d->sent == 1 && d->o->wait_for_ms > 0)
		return (dc_probe_start(d, p, n));
	return (0);
}

/*
 * The window (dgram-pace.h) keeps a burst from overflowing the peer's
 * receive queue, and the replies from overflowing ours: at most half our
 * receive buffer of replies the size of the longest datagram yet (the
 * kernel also charges its own overhead to the buffer).  With
 * --expect-replies 0 nothing comes back, and nothing is paced.
 */
static int
dc_window_open(struct dc_state *d)
{
	if (d->o->expect_replies == 0)
		return (1);
	dgram_pace_fit(&d->pace, d->rcvbuf, d->largest);
	return (dgram_pace_open(&d->pace, clock_ms()));
}

/* Sends the whole messages already read; returns 0 or an exit code. */
static int
dc_send_buffered(struct dc_state *d)
{
	struct frame_msg	m;
	enum frame_status	st;
	int			rc;

	while (!d->blocked && !d->probing && dc_window_open(d)) {
		if (d->next_step < d->o->nsteps) {
			rc = dc_send(d, d->o->steps[d->next_step].data,
			    d->o->steps[d->next_step].len, 0);
			if (rc == DC_AGAIN)
				return (0);
			d->next_step++;
			if (rc != 0)
				return (rc);
			continue;
		}
		if (d->o->nsteps > 0) {
			if (!d->in_eof)
				d->last_progress = clock_ms();
			d->in_eof = 1;
			return (0);
		}
		st = frame_decode(&d->dec, BUF_HEAD(&d->inb), d->inb.len, &m);
		if (st == FRAME_TOO_BIG) {
			log_error("stdin: message over the --max-frame of %llu "
			    "bytes", (unsigned long long)d->local->max_len);
			return (SOCKIT_EXIT_RUNTIME);
		}
		if (st == FRAME_NEED_MORE && d->stdin_eof && d->inb.len > 0) {
			/* An unterminated last line is still a message. */
			if (d->local->kind != FRAME_LINE &&
			    d->local->kind != FRAME_DELIM) {
				log_error("stdin: %s",
				    frame_strerror(FRAME_PARTIAL));
				return (SOCKIT_EXIT_PROTOCOL);
			}
			m.off = 0;
			m.len = m.consumed = d->inb.len;
			st = FRAME_OK;
		}
		if (st != FRAME_OK)
			break;
		/* Raw stdin goes out in chunks of at most a datagram. */
		if (d->local->kind == FRAME_RAW && m.len > d->max)
			m.len = m.consumed = d->max;
		rc = dc_send(d, BUF_HEAD(&d->inb) + m.off, m.len,
		    d->local->kind == FRAME_RAW);
		if (rc == DC_AGAIN)
			return (0);
		if (rc == DC_SMALLER)
			continue;
		buf_consume(&d->inb, m.consumed);
		if (rc != 0)
			return (rc);
	}
	if (d->stdin_eof && d->inb.len == 0 && !d->blocked)
		d->in_eof = 1;
	return (0);
}

/*
 * Reads a chunk of stdin; at EOF a last unterminated line is a message.
 * Raw stdin is read at most a datagram at a time, so that each read
 * becomes one datagram, as with nc -u.
 */
static int
dc_read_stdin(struct dc_state *d)
{
	size_t	room;
	ssize_t	n;

	if (buf_reserve(&d->inb, 65536) == -1) {
		log_syserr("stdin");
		return (SOCKIT_EXIT_RUNTIME);
	}
	room = BUF_SPACE(&d->inb);
	if (d->local->kind == FRAME_RAW && room > d->max)
		room = d->max;
	do {
		n = read(STDIN_FILENO, BUF_TAIL(&d->inb), room);
	} while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return (0);
	if (n == -1) {
		log_syserr("read stdin");
		return (SOCKIT_EXIT_RUNTIME);
	}
	d->inb.len += (size_t)n;
	if (n == 0) {
		d->stdin_eof = 1;
		d->last_progress = clock_ms();
	}
	return (dc_send_buffered(d));
}

/* Prints one reply as a local message; returns 0 or an exit code. */
static int
dc_recv(struct dc_state *d)
{
	unsigned char	head[FRAME_HDR_MAX], tail[2];
	ssize_t		n;
	int		hl, tl;

	do {
		n = recv(d->fd, d->rbuf, DC_RECV_MAX, 0);
	} while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return (0);
	if (n == -1) {
		log_syserr("recv");
		return (exitcode_for_errno(errno));
	}
	d->replies++;
	dgram_pace_reply(&d->pace, clock_ms());
	d->x.in += (unsigned long long)n;
	if ((size_t)n > d->largest)
		d->largest = (size_t)n;
	d->last_progress = clock_ms();
	hl = frame_encode_head(d->local, (size_t)n, head);
	tl = frame_encode_tail(d->local, (size_t)n, tail);
	if (hl == -1 || tl == -1) {
		log_error("reply of %zd bytes does not fit the local framing",
		    n);
		return (SOCKIT_EXIT_PROTOCOL);
	}
	if (sock_write_all(STDOUT_FILENO, head, (size_t)hl) == -1 ||
	    sock_write_all(STDOUT_FILENO, d->rbuf, (size_t)n) == -1 ||
	    sock_write_all(STDOUT_FILENO, tail, (size_t)tl) == -1) {
		log_syserr("write stdout");
		return (SOCKIT_EXIT_RUNTIME);
	}
	return (0);
}

static void
dc_socket_ready(struct loop *l, int fd, int mask, void *arg)
{
	struct dc_state	*d = arg;
	int		 rc = 0;

	if (mask & LOOP_WRITABLE)
		d->blocked = 0;
	if ((mask & LOOP_READABLE) && d->probing)
		dc_probe_readable(d);
	if ((mask & LOOP_READABLE) && !d->probing && !d->done)
		rc = dc_recv(d);
	if (rc != 0)
		dc_stop(d, rc);
	dc_update(d);
}

static void
dc_stdin_ready(struct loop *l, int fd, int mask, void *arg)
{
	struct dc_state	*d = arg;
	int		 rc;

	if ((rc = dc_read_stdin(d)) != 0)
		dc_stop(d, rc);
	dc_update(d);
}

/* The stall and reply timers only make dc_update look again. */
static void
dc_timer_fired(struct loop *l, struct loop_timer *t, void *arg)
{
	dc_update(arg);
}

/* The replies to wait for: --expect-replies N, or one per datagram. */
static unsigned long long
dc_expected(const struct dc_state *d)
{
	if (d->o->expect_replies >= 0)
		return ((unsigned long long)d->o->expect_replies);
	return (d->sent);
}

/*
 * Returns 1 once nothing more is to be waited for: every expected reply
 * is in, or none came for --reply-timeout after the end of input.
 */
static int
dc_finished(struct dc_state *d)
{
	if (d->probing || !d->in_eof)
		return (0);
	if (d->replies >= dc_expected(d))
		return (1);
	return (d->last_progress + d->o->reply_timeout_ms - clock_ms() <= 0);
}

/* Sets fd's mask when it changed; returns 0 or -1 with errno. */
static int
dc_watch(struct dc_state *d, int fd, int mask, loop_fd_cb cb)
{
	if (mask == loop_get_mask(d->loop, fd))
		return (0);
	return (loop_set_fd(d->loop, fd, mask, cb, d));
}

/*
 * After every event: sends what it can, then says what to wait for
 * next.  stdin is read only while its messages can be sent at once, so
 * the socket's backpressure reaches the producer.
 */
static void
dc_update(struct dc_state *d)
{
	long long	left;
	int		rc, want_stdin;

	if (!d->done && !d->in_eof && !d->probing &&
	    (rc = dc_send_buffered(d)) != 0)
		dc_stop(d, rc);
	if (!d->done && dc_finished(d))
		dc_stop(d, 0);
	if (d->done)
		return;
	want_stdin = !d->stdin_eof && d->o->nsteps == 0 && !d->blocked &&
	    !d->probing && dc_window_open(d);
	if (dc_watch(d, d->fd, LOOP_READABLE |
	    (d->blocked ? LOOP_WRITABLE : 0), dc_socket_ready) == -1 ||
	    dc_watch(d, STDIN_FILENO, want_stdin ? LOOP_READABLE : 0,
	    dc_stdin_ready) == -1) {
		log_syserr("event loop");
		dc_stop(d, SOCKIT_EXIT_RUNTIME);
		return;
	}
	/* A closed window opens when a reply comes or the peer stays mute. */
	if (!d->in_eof && !d->probing && !d->blocked && !dc_window_open(d)) {
		if (!loop_timer_armed(&d->stall_timer))
			dc_arm(d, &d->stall_timer, DGRAM_PACE_STALL_MS);
	} else
		loop_timer_cancel(d->loop, &d->stall_timer);
	/* What is left of --reply-timeout since the last reply (or EOF). */
	if (d->in_eof && !d->probing) {
		left = d->last_progress + d->o->reply_timeout_ms - clock_ms();
		dc_arm(d, &d->reply_timer, left);
	}
}

/* Grows the receive buffer where allowed; returns its size. */
static size_t
dc_grow_rcvbuf(int fd)
{
	socklen_t	len = sizeof(int);
	int		size = DC_RCVBUF;

	/* Best effort: the system caps it (net.core.rmem_max). */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &len) == -1 ||
	    size <= 0)
		return (0);
	return ((size_t)size);
}

static int
dc_init(struct dc_state *d, const struct client_opts *o, int fd)
{
	static unsigned char	rbuf[DC_RECV_MAX];

	memset(d, 0, sizeof(*d));
	d->o = o;
	d->fd = fd;
	d->max = dgb_max(fd, NULL);
	d->rbuf = rbuf;
	d->local = dgram_local_spec(&o->frames);
	d->last_progress = clock_ms();
	dgram_pace_init(&d->pace, d->last_progress);
	frame_dec_init(&d->dec, d->local);
	if ((d->loop = loop_new()) == NULL) {
		log_syserr("event loop");
		return (-1);
	}
	loop_timer_init(&d->probe_timer, dc_probe_quiet, d);
	loop_timer_init(&d->retry_timer, dc_probe_retry, d);
	loop_timer_init(&d->stall_timer, dc_timer_fired, d);
	loop_timer_init(&d->reply_timer, dc_timer_fired, d);
	if (sock_set_nonblock(fd, 1) == -1) {
		log_syserr("socket");
		return (-1);
	}
	d->rcvbuf = dc_grow_rcvbuf(fd);
	return (0);
}

/*
 * Fewer replies than expected when --reply-timeout ran out is exit 6,
 * expectation not met, whether the expectation was --expect-replies N
 * or the default one reply per datagram.
 */
static int
dc_result(struct dc_state *d)
{
	const struct client_opts *o = d->o;

	if (d->rc != 0 || d->replies >= dc_expected(d))
		return (d->rc);
	if (o->expect_replies >= 0)
		log_error("--expect-replies %ld: got %llu", o->expect_replies,
		    d->replies);
	else
		log_error("%llu of %llu datagrams answered within "
		    "--reply-timeout %.3g s (--expect-replies 0: expect none)",
		    d->replies, d->sent, (double)o->reply_timeout_ms / 1000);
	return (SOCKIT_EXIT_EXPECT);
}

int
dgram_client(const struct client_opts *o, int fd)
{
	struct dc_state	d;
	long long	started = clock_ms();
	int		rc;

	if (dc_init(&d, o, fd) == -1)
		rc = SOCKIT_EXIT_RUNTIME;
	else {
		dc_update(&d);
		while (!d.done)
			if (loop_process(d.loop, -1) == -1) {
				log_syserr("event loop");
				dc_stop(&d, SOCKIT_EXIT_RUNTIME);
			}
		rc = dc_result(&d);
	}
	d.x.secs = (double)(clock_ms() - started) / 1000.0;
	if (o->stats)
		log_stats(1, &d.x);
	buf_free(&d.inb);
	buf_free(&d.probe);
	loop_free(d.loop);
	(void)close(fd);
	return (rc);
}

int
dgram_client_unix(const struct client_opts *o, const struct addr_unix *a,
    const char *name)
{
	struct sockaddr_storage	ss;
	struct sockaddr_un	self;
	socklen_t		len;
	int			fd;

	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		log_syserr("socket");
		return (SOCKIT_EXIT_RUNTIME);
	}
	/* Autobind an abstract name so that the server can answer. */
	memset(&self, 0, sizeof(self));
	self.sun_family = AF_UNIX;
	len = sock_unix_sockaddr(a, &ss);
	if (bind(fd, (struct sockaddr *)&self, sizeof(sa_family_t)) == -1 ||
	    connect(fd, (struct sockaddr *)&ss, len) == -1) {
		log_syserr("connect %s", name);
		(void)close(fd);
		return (exitcode_for_errno(errno));
	}
	return (dgram_client(o, fd));
}
