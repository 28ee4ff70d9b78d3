/*
 * Unit tests for the relay and its buffers.  Each test drives a real
 * loop: the test's own feeder and drainer callbacks sit on the far ends
 * of two socketpairs, so the relay sees the short reads, short writes and
 * EAGAIN of real sockets, and the run is bounded by an iteration count.
 *
 *	feeder -> a[0] ~~ a[1] -> relay -> b[0] ~~ b[1] -> drainer
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "buf.h"
#include "fake_stream.h"
#include "frame.h"
#include "loop.h"
#include "relay.h"
#include "stream.h"

#define BIG_LEN		(4 * 1024 * 1024)	/* the raw bulk copy */
#define BP_LEN		(1024 * 1024)	/* more than socket buffers hold */
#define SMALL_SNDBUF	4096		/* keeps backpressure bounds tight */
#define MAX_ITER	1000000		/* loop_process calls per run */

struct rig {
	struct loop	*l;
	struct relay	 r;
	int		 ndone;		/* done_cb calls */
	int		 a[2];		/* src pair: feeder a[0], relay a[1] */
	int		 b[2];		/* dst pair: relay b[0], drainer b[1] */

	const unsigned char *in;	/* what the feeder sends */
	size_t		 inlen;
	size_t		 fed;
	size_t		 chunk;		/* most bytes per write (0: all) */
	int		 in_close;	/* shut a[0] down when all is fed */
	int		 feeding;

	int		 ack_fd;	/* > 0: a byte here per drained read */

	unsigned char	*out;		/* what the drainer got */
	size_t		 outlen, outcap;
	int		 out_eof;
	int		 draining;
};

static struct rig	rg;

/*
 * The relay moves bytes between streams: S(fd) is the stream over a test
 * fd (a socket stream for sockets, a stdio one for files), one per fd,
 * never closing it (the rig closes its fds itself).
 */
#define NSTREAMS	16
static struct stream	streams[NSTREAMS];
static int		nstreams;

static struct stream *
S(int fd)
{
	struct stat	st;
	int		i;

	for (i = 0; i < nstreams; i++)
		if (streams[i].fd == fd)
			return (&streams[i]);
	ck_assert_int_lt(nstreams, NSTREAMS);
	if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
		stream_socket_init(&streams[nstreams], fd);
	else
		stream_stdio_init(&streams[nstreams], fd);
	streams[nstreams].flags |= STREAM_NOCLOSE;
	return (&streams[nstreams++]);
}

static void
on_done(struct relay *r, void *arg)
{
	struct rig	*g = arg;

	ck_assert_ptr_eq(r, &g->r);
	ck_assert_int_ne(r->status, RELAY_RUNNING);
	g->ndone++;
}

/* For a second relay in the same loop. */
static void
on_done_count(struct relay *r, void *arg)
{
	int	*n = arg;

	ck_assert_int_ne(r->status, RELAY_RUNNING);
	(*n)++;
}

static void
nbpair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, sv), 0);
}

static void
setup(void)
{
	memset(&rg, 0, sizeof(rg));
	nstreams = 0;
	ck_assert_ptr_nonnull(rg.l = loop_new());
	nbpair(rg.a);
	nbpair(rg.b);
	relay_init(&rg.r, rg.l, on_done, &rg);
}

static void
closefd(int *fd)
{
	if (*fd != -1)
		(void)close(*fd);
	*fd = -1;
}

static void
teardown(void)
{
	relay_free(&rg.r);
	closefd(&rg.a[0]);
	closefd(&rg.a[1]);
	closefd(&rg.b[0]);
	closefd(&rg.b[1]);
	loop_free(rg.l);
	free(rg.out);
}

/* A raw pipe a[1] -> b[0] that shuts b[0] down at EOF. */
static struct relay_pipe_conf
conf(size_t bufsize)
{
	struct relay_pipe_conf	c;

	memset(&c, 0, sizeof(c));
	c.src = S(rg.a[1]);
	c.dst = S(rg.b[0]);
	c.bufsize = bufsize;
	c.shutdown_dst = 1;
	return (c);
}

static void
on_feed(struct loop *l, int fd, int mask, void *arg)
{
	struct rig	*g = arg;
	size_t		 n = g->inlen - g->fed;
	ssize_t		 w;

	if (g->chunk > 0 && n > g->chunk)
		n = g->chunk;
	if (n > 0) {
		w = write(fd, g->in + g->fed, n);
		if (w == -1) {
			ck_assert_int_eq(errno, EAGAIN);
			return;
		}
		g->fed += (size_t)w;
	}
	if (g->fed == g->inlen) {
		ck_assert_int_eq(loop_set_fd(l, fd, 0, NULL, NULL), 0);
		g->feeding = 0;
		if (g->in_close)
			ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	}
}

static void
on_drain(struct loop *l, int fd, int mask, void *arg)
{
	struct rig	*g = arg;
	ssize_t		 n;

	if (g->outcap - g->outlen < 65536) {
		g->outcap = g->outcap * 2 + 65536;
		ck_assert_ptr_nonnull(g->out = realloc(g->out, g->outcap));
	}
	n = read(fd, g->out + g->outlen, g->outcap - g->outlen);
	if (n == -1) {
		ck_assert_int_eq(errno, EAGAIN);
		return;
	}
	if (n == 0) {
		g->out_eof = 1;
		g->draining = 0;
		ck_assert_int_eq(loop_set_fd(l, fd, 0, NULL, NULL), 0);
		return;
	}
	g->outlen += (size_t)n;
	if (g->ack_fd > 0)
		ck_assert_int_eq(write(g->ack_fd, "a", 1), 1);
}

/* Feeds in[0..len) into a[0], then shuts a[0] down if in_close. */
static void
feed(const void *in, size_t len, int in_close)
{
	rg.in = in;
	rg.inlen = len;
	rg.fed = 0;
	rg.in_close = in_close;
	rg.feeding = 1;
	ck_assert_int_eq(loop_set_fd(rg.l, rg.a[0], LOOP_WRITABLE, on_feed,
	    &rg), 0);
}

static void
drain(int on)
{
	rg.draining = on;
	ck_assert_int_eq(loop_set_fd(rg.l, rg.b[1], on ? LOOP_READABLE : 0,
	    on ? on_drain : NULL, &rg), 0);
}

static void
start(void)
{
	ck_assert_int_eq(relay_start(&rg.r), 0);
	ck_assert_int_eq(rg.ndone, 0);
	ck_assert_int_eq(rg.r.status, RELAY_RUNNING);
}

/*
 * Runs the loop until the relay is done and the drainer, if on, has seen
 * EOF.  Fails when nothing happens for 5 s (a stall) or after MAX_ITER
 * iterations (a spin), so a broken relay cannot hang the test.
 */
static void
run(void)
{
	long	i;
	int	n;

	for (i = 0; i < MAX_ITER; i++) {
		if (rg.ndone > 0 && !rg.draining)
			break;
		ck_assert_int_ne(n = loop_process(rg.l, 5000), -1);
		ck_assert_msg(n > 0, "loop stalled");
	}
	ck_assert_int_lt(i, MAX_ITER);
	ck_assert_int_eq(rg.ndone, 1);
}

/* Reads what b[1] holds now, without waiting for more. */
static void
drain_now(void)
{
	size_t	before;

	do {
		before = rg.outlen;
		on_drain(rg.l, rg.b[1], LOOP_READABLE, &rg);
	} while (!rg.out_eof && rg.outlen > before);
}

static unsigned char *
pattern(size_t len)
{
	unsigned char	*p;
	size_t		 i;

	ck_assert_ptr_nonnull(p = malloc(len));
	/* Not a power-of-two period, so misplaced chunks show. */
	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(i % 251 + i / 65521);
	return (p);
}

static void
assert_out(const void *want, size_t len)
{
	ck_assert_uint_eq(rg.outlen, len);
	if (len > 0)
		ck_assert_mem_eq(rg.out, want, len);
}

static void
assert_done_ok(void)
{
	ck_assert_int_eq(rg.ndone, 1);
	ck_assert_msg(rg.r.status == RELAY_DONE, "status %d err %d",
	    rg.r.status, rg.r.err);
	/* A finished relay leaves nothing registered behind. */
	ck_assert_int_eq(loop_get_mask(rg.l, rg.a[1]), 0);
	ck_assert_int_eq(loop_get_mask(rg.l, rg.b[0]), 0);
}

static struct frame_spec
spec(const char *s)
{
	struct frame_spec	fs;
	char			err[FRAME_ERR_LEN];

	ck_assert_msg(frame_spec_parse(s, &fs, err) == 0, "%s", err);
	return (fs);
}

/* Big-endian 32-bit length header, then payload. */
static size_t
len32(unsigned char *p, const char *s, size_t n)
{
	p[0] = (unsigned char)(n >> 24);
	p[1] = (unsigned char)(n >> 16);
	p[2] = (unsigned char)(n >> 8);
	p[3] = (unsigned char)n;
	memcpy(p + 4, s, n);
	return (4 + n);
}

/* The raw pipe: bytes in, same bytes out. */

START_TEST(test_raw_large)
{
	struct relay_pipe_conf	c = conf(16384);
	unsigned char		*in = pattern(BIG_LEN);

	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed(in, BIG_LEN, 1);
	drain(1);
	run();
	assert_done_ok();
	ck_assert(rg.out_eof);
	assert_out(in, BIG_LEN);
	ck_assert_uint_eq(rg.r.pipes[0].nread, BIG_LEN);
	ck_assert_uint_eq(rg.r.pipes[0].nwritten, BIG_LEN);
	ck_assert_uint_eq(relay_bytes_from(&rg.r, S(rg.a[1])), BIG_LEN);
	ck_assert_uint_eq(relay_bytes_to(&rg.r, S(rg.b[0])), BIG_LEN);
	ck_assert_uint_eq(relay_bytes_to(&rg.r, S(rg.a[1])), 0);
	/* The raw buffer is the read size: it never grew with the data. */
	ck_assert_uint_le(rg.r.pipes[0].outb.cap, 16384);
	free(in);
}
END_TEST

START_TEST(test_raw_upper)
{
	static const char	in[] = "Hello, World! az AZ @[`{ 0123 \xe9";
	static const char	want[] = "HELLO, WORLD! AZ AZ @[`{ 0123 \xe9";
	struct relay_pipe_conf	c = conf(7);

	c.transform = relay_upper;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	/* A tiny buffer: the transform sees many short chunks. */
	feed(in, sizeof(in) - 1, 1);
	drain(1);
	run();
	assert_done_ok();
	assert_out(want, sizeof(want) - 1);
}
END_TEST

START_TEST(test_raw_upper_bytes)
{
	unsigned char	b[256];
	int		i;

	for (i = 0; i < 256; i++)
		b[i] = (unsigned char)i;
	relay_upper(b, sizeof(b));
	for (i = 0; i < 256; i++)
		ck_assert_uint_eq(b[i], i >= 'a' && i <= 'z' ?
		    i - 'a' + 'A' : i);
	relay_upper(b, 0);
}
END_TEST

START_TEST(test_raw_discard)
{
	struct relay_pipe_conf	c = conf(4096);
	unsigned char		*in = pattern(100000);

	c.dst = NULL;
	c.transform = relay_upper;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed(in, 100000, 1);
	/* Nothing reaches b: run until the relay ends, then look. */
	run();
	assert_done_ok();
	ck_assert_uint_eq(rg.r.pipes[0].nread, 100000);
	ck_assert_uint_eq(rg.r.pipes[0].nwritten, 0);
	ck_assert_uint_eq(relay_bytes_from(&rg.r, S(rg.a[1])), 100000);
	ck_assert_uint_eq(rg.r.pipes[0].outb.len, 0);
	drain_now();
	ck_assert_uint_eq(rg.outlen, 0);
	ck_assert(!rg.out_eof);
	free(in);
}
END_TEST

START_TEST(test_raw_echo)
{
	struct relay_pipe_conf	c = conf(4096);
	static const char	in[] = "ping\npong\n";

	/* One fd as both ends of the pipe: an echo connection. */
	c.src = c.dst = S(rg.b[0]);
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	ck_assert_int_eq(write(rg.b[1], in, sizeof(in) - 1),
	    (ssize_t)sizeof(in) - 1);
	ck_assert_int_eq(shutdown(rg.b[1], SHUT_WR), 0);
	drain(1);
	run();
	assert_done_ok();
	ck_assert(rg.out_eof);
	assert_out(in, sizeof(in) - 1);
	ck_assert_uint_eq(relay_bytes_from(&rg.r, S(rg.b[0])), sizeof(in) - 1);
	ck_assert_uint_eq(relay_bytes_to(&rg.r, S(rg.b[0])), sizeof(in) - 1);
}
END_TEST

START_TEST(test_raw_two_pipes)
{
	struct relay_pipe_conf	c0 = conf(4096), c1 = conf(4096);
	static const char	up[] = "from a to b";
	static const char	down[] = "and from b back to a";
	char			got[64];

	/* Each of a[1] and b[0] is the src of one pipe, dst of the other. */
	c1.src = S(rg.b[0]);
	c1.dst = S(rg.a[1]);
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c0), 0);
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c1), 1);
	start();
	ck_assert_int_eq(loop_get_mask(rg.l, rg.a[1]), LOOP_READABLE);
	ck_assert_int_eq(loop_get_mask(rg.l, rg.b[0]), LOOP_READABLE);
	ck_assert_int_eq(write(rg.b[1], down, sizeof(down) - 1),
	    (ssize_t)sizeof(down) - 1);
	ck_assert_int_eq(shutdown(rg.b[1], SHUT_WR), 0);
	feed(up, sizeof(up) - 1, 1);
	drain(1);
	run();
	assert_done_ok();
	assert_out(up, sizeof(up) - 1);
	ck_assert_int_eq(read(rg.a[0], got, sizeof(got)),
	    (ssize_t)sizeof(down) - 1);
	ck_assert_mem_eq(got, down, sizeof(down) - 1);
	ck_assert_int_eq(read(rg.a[0], got, sizeof(got)), 0);
	ck_assert_uint_eq(relay_bytes_from(&rg.r, S(rg.b[0])), sizeof(down) - 1);
	ck_assert_uint_eq(relay_bytes_to(&rg.r, S(rg.a[1])), sizeof(down) - 1);
}
END_TEST

START_TEST(test_raw_file_src)
{
	char			path[] = "/tmp/sockit.XXXXXX";
	struct relay_pipe_conf	c = conf(4096);
	unsigned char		*in = pattern(300000);
	int			fd;

	/* A regular file is always ready: the loop's fallback path. */
	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(write(fd, in, 300000), 300000);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	c.src = S(fd);
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	drain(1);
	run();
	assert_done_ok();
	ck_assert_int_eq(loop_get_mask(rg.l, fd), 0);
	assert_out(in, 300000);
	(void)close(fd);
	free(in);
}
END_TEST

START_TEST(test_raw_free_idle)
{
	struct relay_pipe_conf	c = conf(4096);
	static const char	in[] = "idle buffers go back";
	long			i;

	c.free_idle = 1;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed(in, sizeof(in) - 1, 0);
	drain(1);
	for (i = 0; i < MAX_ITER && rg.outlen < sizeof(in) - 1; i++)
		ck_assert_int_gt(loop_process(rg.l, 5000), 0);
	assert_out(in, sizeof(in) - 1);
	/* Everything was written: the pipe holds no memory while idle. */
	ck_assert_uint_eq(rg.r.pipes[0].outb.cap, 0);
	ck_assert_ptr_null(rg.r.pipes[0].outb.data);
	ck_assert_int_eq(rg.ndone, 0);
}
END_TEST

/* Framed pipes: decode, transform, re-encode. */

START_TEST(test_framed_len32_to_line)
{
	struct frame_spec	in = spec("len32"), out = spec("line");
	struct relay_pipe_conf	c = conf(4096);
	unsigned char		wire[64];
	size_t			n = 0;

	n += len32(wire + n, "hello", 5);
	n += len32(wire + n, "", 0);
	n += len32(wire + n, "wor ld", 6);
	c.in = &in;
	c.out = &out;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed(wire, n, 1);
	drain(1);
	run();
	assert_done_ok();
	assert_out("hello\n\nwor ld\n", 14);
	ck_assert_uint_eq(rg.r.pipes[0].nread, n);
	ck_assert_uint_eq(rg.r.pipes[0].nwritten, 14);
}
END_TEST

START_TEST(test_framed_line_to_len32)
{
	struct frame_spec	in = spec("line"), out = spec("len32");
	struct relay_pipe_conf	c = conf(4096);
	unsigned char		want[64];
	size_t			n = 0;

	n += len32(want + n, "ONE", 3);
	n += len32(want + n, "", 0);
	n += len32(want + n, "THREE", 5);
	c.in = &in;
	c.out = &out;
	c.transform = relay_upper;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	rg.chunk = 1;	/* every split point, one byte at a time */
	feed("one\n\nthree\n", 11, 1);
	drain(1);
	run();
	assert_done_ok();
	assert_out(want, n);
}
END_TEST

START_TEST(test_framed_bytewise_len32)
{
	struct frame_spec	in = spec("len32"), out = spec("delim:,");
	struct relay_pipe_conf	c = conf(4096);
	unsigned char		wire[64];
	size_t			n = 0;

	n += len32(wire + n, "a\nb", 3);
	n += len32(wire + n, "cd", 2);
	c.in = &in;
	c.out = &out;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	/* Headers split across reads must still decode. */
	rg.chunk = 1;
	feed(wire, n, 1);
	drain(1);
	run();
	assert_done_ok();
	assert_out("a\nb,cd,", 7);
}
END_TEST

START_TEST(test_framed_roundtrip)
{
	struct frame_spec	line = spec("line"), l32 = spec("len32");
	struct relay_pipe_conf	c1 = conf(64), c2;
	struct relay		r2;
	unsigned char		*in;
	size_t			i, n = 0, cap = 200000;
	int			m[2], ndone2 = 0;
	long			it;

	/*
	 * line -> len32 -> line through two relays in one loop: the wire
	 * format in the middle must be exactly undone.  Lines of varied
	 * length span the small buffers.
	 */
	ck_assert_ptr_nonnull(in = malloc(cap));
	for (i = 0; n + 300 < cap; i++) {
		memset(in + n, 'a' + (int)(i % 26), i % 257);
		n += i % 257;
		in[n++] = '\n';
	}
	nbpair(m);
	c1.dst = S(m[0]);
	c1.in = &line;
	c1.out = &l32;
	memset(&c2, 0, sizeof(c2));
	c2.src = S(m[1]);
	c2.dst = S(rg.b[0]);
	c2.in = &l32;
	c2.out = &line;
	c2.bufsize = 100;
	c2.shutdown_dst = 1;
	relay_init(&r2, rg.l, on_done_count, &ndone2);
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c1), 0);
	ck_assert_int_eq(relay_add_pipe(&r2, &c2), 0);
	start();
	ck_assert_int_eq(relay_start(&r2), 0);
	feed(in, n, 1);
	drain(1);
	for (it = 0; it < MAX_ITER && !rg.out_eof; it++)
		ck_assert_int_gt(loop_process(rg.l, 5000), 0);
	ck_assert(rg.out_eof);
	assert_out(in, n);
	ck_assert_int_eq(rg.ndone, 1);
	ck_assert_int_eq(ndone2, 1);
	ck_assert_int_eq(rg.r.status, RELAY_DONE);
	ck_assert_int_eq(r2.status, RELAY_DONE);
	relay_free(&r2);
	closefd(&m[0]);
	closefd(&m[1]);
	free(in);
}
END_TEST

START_TEST(test_framed_too_big_in)
{
	struct frame_spec	in = spec("line"), out = spec("line");
	struct relay_pipe_conf	c = conf(4096);
	char			junk[100];

	in.max_len = 16;
	c.in = &in;
	c.out = &out;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	memset(junk, 'x', sizeof(junk));
	memcpy(junk, "short\n", 6);
	/* No EOF: the error must come from the size alone. */
	feed(junk, sizeof(junk), 0);
	run();
	ck_assert_int_eq(rg.r.status, RELAY_ERR_FRAME);
	ck_assert_int_eq(rg.r.frame_err, FRAME_TOO_BIG);
	ck_assert_int_eq(rg.r.err_pipe, 0);
	ck_assert_int_eq(loop_get_mask(rg.l, rg.a[1]), 0);
}
END_TEST

START_TEST(test_framed_too_big_header)
{
	struct frame_spec	in = spec("len32"), out = spec("line");
	struct relay_pipe_conf	c = conf(4096);
	static const unsigned char hdr[] = { 0x7f, 0xff, 0xff, 0xff, 'x' };

	c.in = &in;
	c.out = &out;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	/* A 2 GiB announcement fails at once, before any payload. */
	feed(hdr, sizeof(hdr), 0);
	run();
	ck_assert_int_eq(rg.r.status, RELAY_ERR_FRAME);
	ck_assert_int_eq(rg.r.frame_err, FRAME_TOO_BIG);
	ck_assert_uint_le(rg.r.pipes[0].inb.cap, 2 * 4096);
}
END_TEST

START_TEST(test_framed_too_big_out)
{
	struct frame_spec	in = spec("line"), out = spec("len8");
	struct relay_pipe_conf	c = conf(4096);
	char			line[301];

	/* 300 bytes do not fit a one-byte length header. */
	memset(line, 'y', 300);
	line[300] = '\n';
	c.in = &in;
	c.out = &out;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed(line, sizeof(line), 1);
	run();
	ck_assert_int_eq(rg.r.status, RELAY_ERR_FRAME);
	ck_assert_int_eq(rg.r.frame_err, FRAME_TOO_BIG);
	ck_assert_int_eq(rg.r.err, EMSGSIZE);
}
END_TEST

/*
 * Backpressure: the drainer is off, so b fills up and stays full.  The
 * relay must stop reading a[1], and the feeder then blocks on a full a.
 * Runs until nothing is ready (a stall is the expected outcome here),
 * checking memory after every iteration.
 */
static void
run_until_stalled(size_t max_outb, size_t max_inb)
{
	struct relay_pipe	*p = &rg.r.pipes[0];
	long			 i;

	for (i = 0; i < MAX_ITER; i++) {
		ck_assert_uint_le(p->outb.cap, max_outb);
		ck_assert_uint_le(p->inb.cap, max_inb);
		if (loop_process(rg.l, 0) == 0)
			break;
	}
	ck_assert_msg(i < MAX_ITER, "the relay never stopped reading");
	ck_assert_int_eq(rg.ndone, 0);
	ck_assert(rg.feeding);
}

/* Data in flight in b can be bounded by its send buffer. */
static int
small_sndbuf(void)
{
	int		v = SMALL_SNDBUF;
	socklen_t	len = sizeof(v);

	ck_assert_int_eq(setsockopt(rg.b[0], SOL_SOCKET, SO_SNDBUF, &v,
	    sizeof(v)), 0);
	ck_assert_int_eq(getsockopt(rg.b[0], SOL_SOCKET, SO_SNDBUF, &v,
	    &len), 0);
	return (v);
}

START_TEST(test_bp_raw)
{
	struct relay_pipe	*p = &rg.r.pipes[0];
	struct relay_pipe_conf	 c = conf(8192);
	unsigned char		*in = pattern(BP_LEN);
	int			 sndbuf = small_sndbuf();

	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed(in, BP_LEN, 1);
	run_until_stalled(8192, 0);
	/* The feeder is stuck with data the relay has not taken. */
	ck_assert_uint_lt(rg.fed, BP_LEN);
	ck_assert_uint_lt(p->nread, rg.fed);
	/* What was read is in outb or in b's buffers, nowhere else. */
	ck_assert_uint_eq(p->nread - p->nwritten, p->outb.len);
	ck_assert_uint_le(p->nwritten, 2 * (size_t)sndbuf);
	ck_assert_uint_le(p->nread, 8192 + 2 * (size_t)sndbuf);
	/* A full buffer: no read interest on src, write interest on dst. */
	ck_assert_int_eq(loop_get_mask(rg.l, rg.a[1]), 0);
	ck_assert_int_eq(loop_get_mask(rg.l, rg.b[0]), LOOP_WRITABLE);

	/* Release: everything arrives, in order. */
	drain(1);
	run();
	assert_done_ok();
	assert_out(in, BP_LEN);
	free(in);
}
END_TEST

START_TEST(test_bp_framed)
{
	struct relay_pipe	*p = &rg.r.pipes[0];
	struct frame_spec	 in = spec("line"), out = spec("len32");
	struct relay_pipe_conf	 c = conf(4096);
	unsigned char		*lines, *want;
	size_t			 i, n = 0, nlines = BP_LEN / 2;
	int			 sndbuf = small_sndbuf();

	/*
	 * "x\n" becomes 5 bytes of len32: the worst growth per read, so
	 * outb holds under bufsize + 2.5 * bufsize.
	 */
	ck_assert_ptr_nonnull(lines = malloc(2 * nlines));
	ck_assert_ptr_nonnull(want = malloc(5 * nlines));
	for (i = 0; i < nlines; i++) {
		lines[2 * i] = (unsigned char)('a' + i % 26);
		lines[2 * i + 1] = '\n';
		n += len32(want + n, (const char *)lines + 2 * i, 1);
	}
	c.in = &in;
	c.out = &out;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed(lines, 2 * nlines, 1);
	run_until_stalled(4 * 4096, 2 * 4096);
	ck_assert_uint_lt(rg.fed, 2 * nlines);
	ck_assert_uint_lt(p->nread, rg.fed);
	ck_assert_uint_le(p->nwritten, 2 * (size_t)sndbuf);
	ck_assert_int_eq(loop_get_mask(rg.l, rg.a[1]), 0);
	ck_assert_int_eq(loop_get_mask(rg.l, rg.b[0]), LOOP_WRITABLE);

	drain(1);
	run();
	assert_done_ok();
	assert_out(want, n);
	free(lines);
	free(want);
}
END_TEST

START_TEST(test_bp_idle_masks)
{
	struct relay_pipe_conf	c = conf(4096);

	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	/* Nothing to write: no write interest, or the loop would spin. */
	ck_assert_int_eq(loop_get_mask(rg.l, rg.a[1]), LOOP_READABLE);
	ck_assert_int_eq(loop_get_mask(rg.l, rg.b[0]), 0);
	ck_assert_int_eq(loop_process(rg.l, 0), 0);
}
END_TEST

START_TEST(test_bp_pause)
{
	struct relay_pipe_conf	c = conf(4096);
	static const char	in[] = "held back";

	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	relay_pause(&rg.r, 1);
	ck_assert_int_eq(loop_get_mask(rg.l, rg.a[1]), 0);
	ck_assert_int_eq(write(rg.a[0], in, sizeof(in) - 1),
	    (ssize_t)sizeof(in) - 1);
	ck_assert_int_eq(loop_process(rg.l, 0), 0);
	ck_assert_uint_eq(rg.r.pipes[0].nread, 0);

	relay_pause(&rg.r, 0);
	ck_assert_int_eq(loop_get_mask(rg.l, rg.a[1]), LOOP_READABLE);
	ck_assert_int_eq(shutdown(rg.a[0], SHUT_WR), 0);
	drain(1);
	run();
	assert_done_ok();
	assert_out(in, sizeof(in) - 1);
}
END_TEST

/* End of input: shutdown, limits, partial frames. */

START_TEST(test_eof_shutdown)
{
	struct relay_pipe_conf	c = conf(4096);
	char			buf[64];

	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed("last words", 10, 1);
	run();
	assert_done_ok();
	ck_assert_int_eq(rg.r.pipes[0].done, 1);
	/* b[0] is still open: the EOF at b[1] comes from SHUT_WR alone. */
	ck_assert_int_eq(read(rg.b[1], buf, sizeof(buf)), 10);
	ck_assert_mem_eq(buf, "last words", 10);
	ck_assert_int_eq(read(rg.b[1], buf, sizeof(buf)), 0);
}
END_TEST

/*
 * owner_closes: an echo connection read to its end sends its FIN with the
 * owner's close(2), not with a shutdown(2) of its own.
 */
START_TEST(test_eof_fin_at_close)
{
	struct relay_pipe_conf	c = conf(4096);
	char			buf[64];

	c.src = c.dst = S(rg.b[0]);
	/* The owner's fd: not one the rig keeps open (STREAM_NOCLOSE). */
	S(rg.b[0])->flags &= ~STREAM_NOCLOSE;
	rg.r.owner_closes = 1;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	ck_assert_int_eq(write(rg.b[1], "ping", 4), 4);
	ck_assert_int_eq(shutdown(rg.b[1], SHUT_WR), 0);
	run();
	assert_done_ok();
	ck_assert_int_eq(read(rg.b[1], buf, sizeof(buf)), 4);
	ck_assert_mem_eq(buf, "ping", 4);
	/* No shutdown: the FIN waits for the owner's close. */
	ck_assert_int_eq(read(rg.b[1], buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(close(rg.b[0]), 0);
	rg.b[0] = -1;
	ck_assert_int_eq(read(rg.b[1], buf, sizeof(buf)), 0);
}
END_TEST

/* A socket whose input nobody read to its end still gets its shutdown. */
START_TEST(test_eof_fin_unread_input)
{
	struct relay_pipe_conf	c = conf(4096);
	char			buf[64];

	S(rg.b[0])->flags &= ~STREAM_NOCLOSE;
	rg.r.owner_closes = 1;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed("last words", 10, 1);
	run();
	assert_done_ok();
	ck_assert_int_eq(read(rg.b[1], buf, sizeof(buf)), 10);
	ck_assert_int_eq(read(rg.b[1], buf, sizeof(buf)), 0);
}
END_TEST

START_TEST(test_eof_no_shutdown)
{
	struct relay_pipe_conf	c = conf(4096);
	char			buf[64];

	c.shutdown_dst = 0;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed("stay open", 9, 1);
	run();
	assert_done_ok();
	ck_assert_int_eq(read(rg.b[1], buf, sizeof(buf)), 9);
	errno = 0;
	ck_assert_int_eq(read(rg.b[1], buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EAGAIN);
}
END_TEST

START_TEST(test_eof_limit)
{
	struct relay_pipe_conf	c = conf(300);
	unsigned char		*in = pattern(10000);

	c.limit = 1000;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	/* The feeder never ends its input: the limit ends the pipe. */
	feed(in, 10000, 0);
	drain(1);
	run();
	assert_done_ok();
	ck_assert(rg.out_eof);
	assert_out(in, 1000);
	ck_assert_uint_eq(rg.r.pipes[0].nread, 1000);
	free(in);
}
END_TEST

START_TEST(test_eof_limit_framed)
{
	struct frame_spec	in = spec("line"), out = spec("line");
	struct relay_pipe_conf	c = conf(4096);
	static const char	lines[] = "abc\ndef\nghi\n";

	c.in = &in;
	c.out = &out;
	c.transform = relay_upper;
	c.limit = 8;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed(lines, sizeof(lines) - 1, 0);
	drain(1);
	run();
	assert_done_ok();
	assert_out("ABC\nDEF\n", 8);
}
END_TEST

START_TEST(test_eof_partial_len32)
{
	struct frame_spec	in = spec("len32"), out = spec("line");
	struct relay_pipe_conf	c = conf(4096);
	static const unsigned char wire[] = { 0, 0, 0, 10, 'h', 'a', 'l', 'f' };

	c.in = &in;
	c.out = &out;
	c.partial_ok = 1;	/* only for lines and delimiters */
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed(wire, sizeof(wire), 1);
	run();
	ck_assert_int_eq(rg.r.status, RELAY_ERR_FRAME);
	ck_assert_int_eq(rg.r.frame_err, FRAME_PARTIAL);
	ck_assert_int_eq(rg.r.err_pipe, 0);
}
END_TEST

START_TEST(test_eof_partial_line)
{
	struct frame_spec	in = spec("line"), out = spec("len32");
	struct relay_pipe_conf	c = conf(4096);

	c.in = &in;
	c.out = &out;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed("whole\nunterminated", 18, 1);
	run();
	ck_assert_int_eq(rg.r.status, RELAY_ERR_FRAME);
	ck_assert_int_eq(rg.r.frame_err, FRAME_PARTIAL);
}
END_TEST

START_TEST(test_eof_partial_ok)
{
	struct frame_spec	in = spec("line"), out = spec("line");
	struct relay_pipe_conf	c = conf(4096);

	out.crlf = 1;
	c.in = &in;
	c.out = &out;
	c.partial_ok = 1;
	c.transform = relay_upper;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed("one\ntwo", 7, 1);
	drain(1);
	run();
	assert_done_ok();
	/* The unterminated tail is a message, framed like the others. */
	assert_out("ONE\r\nTWO\r\n", 10);
}
END_TEST

START_TEST(test_eof_end_input)
{
	struct relay_pipe_conf	c = conf(4096);
	long			i;

	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed("quit after this", 15, 0);
	for (i = 0; i < MAX_ITER && rg.r.pipes[0].nread < 15; i++)
		ck_assert_int_gt(loop_process(rg.l, 5000), 0);
	/* The owner stops reading; what was read is still delivered. */
	relay_end_input(&rg.r, 0);
	ck_assert_int_eq(loop_get_mask(rg.l, rg.a[1]), 0);
	drain(1);
	run();
	assert_done_ok();
	ck_assert(rg.out_eof);
	assert_out("quit after this", 15);
	/* Out-of-range pipes and finished relays are ignored. */
	relay_end_input(&rg.r, 5);
	relay_end_input(&rg.r, 0);
	ck_assert_int_eq(rg.ndone, 1);
}
END_TEST

START_TEST(test_eof_ends_relay)
{
	struct relay_pipe_conf	c0 = conf(4096), c1 = conf(4096);

	/* Pipe 1 (b -> a) stays open, but pipe 0's end ends the relay. */
	c0.ends_relay = 1;
	c1.src = S(rg.b[0]);
	c1.dst = S(rg.a[1]);
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c0), 0);
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c1), 1);
	start();
	feed("bye", 3, 1);
	run();
	assert_done_ok();
	ck_assert_int_eq(rg.r.pipes[0].done, 1);
	ck_assert_int_eq(rg.r.pipes[1].done, 0);
}
END_TEST

START_TEST(test_eof_write_error)
{
	struct relay_pipe_conf	c = conf(4096);

	/* SIGPIPE is ignored in main(), as sockit's main() does. */
	closefd(&rg.b[1]);
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed("nobody listens", 14, 0);
	run();
	ck_assert_int_eq(rg.r.status, RELAY_ERR_WRITE);
	ck_assert_int_eq(rg.r.err, EPIPE);
	ck_assert_int_eq(rg.r.err_pipe, 0);
}
END_TEST

/*
 * The peer said something and hung up while the relay was still
 * sending: the write fails, and what the peer said is still delivered.
 * The relay's input is ready before the peer's words arrive, so that
 * the write comes first (epoll reports fds in the order they became
 * ready).
 */
START_TEST(test_eof_write_error_drains_peer)
{
	struct relay_pipe_conf	c;
	int			in[2];

	nbpair(in);
	ck_assert_int_eq(write(in[0], "more input", 10), 10);
	ck_assert_int_eq(write(rg.a[0], "bye\n", 4), 4);
	closefd(&rg.a[0]);
	memset(&c, 0, sizeof(c));
	c.bufsize = 4096;
	c.src = S(in[1]);
	c.dst = S(rg.a[1]);
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	c.src = S(rg.a[1]);
	c.dst = S(rg.b[0]);
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 1);
	start();
	run();
	ck_assert_int_eq(rg.r.status, RELAY_ERR_WRITE);
	ck_assert_int_eq(rg.r.err, EPIPE);
	ck_assert_int_eq(rg.r.err_pipe, 0);
	drain_now();
	assert_out("bye\n", 4);
	(void)close(in[0]);
	(void)close(in[1]);
}
END_TEST

START_TEST(test_eof_read_error)
{
	struct relay_pipe_conf	c = conf(4096);
	int			dir;

	/* read() on a directory fails with EISDIR: a read error. */
	ck_assert_int_ne(dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC),
	    -1);
	c.src = S(dir);
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	run();
	ck_assert_int_eq(rg.r.status, RELAY_ERR_READ);
	ck_assert_int_eq(rg.r.err, EISDIR);
	ck_assert_int_eq(loop_get_mask(rg.l, dir), 0);
	(void)close(dir);
}
END_TEST

START_TEST(test_eof_start_bad_fd)
{
	struct relay_pipe_conf	c = conf(4096);
	int			bad;

	/*
	 * relay.h: relay_start "Returns 0 or -1 with errno", and done_cb
	 * runs "when the relay ends", which the owner learns from the
	 * loop.  An fd epoll refuses must make relay_start fail; poll only
	 * finds out later (POLLNVAL, then read fails).  Either way done_cb
	 * must not run inside a relay_start that returns 0: server.c calls
	 * relay_end_input on the connection right after.
	 */
	ck_assert_int_ne(bad = dup(rg.a[1]), -1);
	(void)close(bad);
	c.src = S(bad);
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	errno = 0;
	if (relay_start(&rg.r) == -1) {
		ck_assert_int_eq(errno, EBADF);
		ck_assert_int_eq(rg.ndone, 0);
		return;
	}
	ck_assert_msg(rg.ndone == 0, "relay_start returned 0 after calling "
	    "done_cb (status %d, err %d)", rg.r.status, rg.r.err);
	run();
	ck_assert_int_eq(rg.r.status, RELAY_ERR_READ);
	ck_assert_int_eq(rg.r.err, EBADF);
}
END_TEST

START_TEST(test_eof_add_pipe_full)
{
	struct relay_pipe_conf	c = conf(4096);
	int			i;

	for (i = 0; i < RELAY_PIPES_MAX; i++)
		ck_assert_int_eq(relay_add_pipe(&rg.r, &c), i);
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), -1);
	/* Shared streams are registered once. */
	ck_assert_int_eq(rg.r.nstreams, 2);
}
END_TEST

/*
 * The relay over streams that are not plain sockets: fakes that say
 * "would block" at every other call, demand the opposite readiness, or
 * hold data that only stream_pending() reveals.  Each must come through
 * byte-exact, without stalling (run() fails after 5 s of nothing) and
 * within a bounded number of loop rounds.
 */

/* Runs like run() and returns how many loop rounds it took. */
static long
run_rounds(void)
{
	long	i;
	int	n;

	for (i = 0; i < MAX_ITER; i++) {
		if (rg.ndone > 0 && !rg.draining)
			break;
		ck_assert_int_ne(n = loop_process(rg.l, 5000), -1);
		ck_assert_msg(n > 0, "loop stalled after %ld rounds", i);
	}
	ck_assert_int_lt(i, MAX_ITER);
	ck_assert_int_eq(rg.ndone, 1);
	return (i);
}

/*
 * What TCP says was acknowledged counts data only: the connecting end's
 * SYN, which TCP counts too, is not a byte the peer got.
 */
static long long
acked_when(struct stream *st, long long want)
{
	long long	got = -1;
	int		i;

	/* ACKs on loopback come at once; bounded: 2000 polls of 1 ms. */
	for (i = 0; i < 2000; i++) {
		if ((got = stream_acked(st)) == want || got == -1)
			break;
		(void)poll(NULL, 0, 1);
	}
	return (got);
}

START_TEST(test_stream_acked_dialed)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	struct stream		cli, srv;
	int			l, c, a;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ne(l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0),
	    -1);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sin, len), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sin, &len), 0);
	ck_assert_int_ne(c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0),
	    -1);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&sin, len), 0);
	ck_assert_int_ne(a = accept(l, NULL, NULL), -1);
	stream_socket_init(&cli, c);
	cli.flags |= STREAM_DIALED;
	stream_socket_init(&srv, a);
	if (stream_acked(&cli) == -1) {
		/* A kernel without tcpi_bytes_acked: nothing to count. */
		stream_close(&cli);
		stream_close(&srv);
		(void)close(l);
		return;
	}
	ck_assert_int_eq(acked_when(&cli, 0), 0);
	ck_assert_int_eq(acked_when(&srv, 0), 0);
	ck_assert_int_eq(stream_write(&cli, "hello", 5), 5);
	ck_assert_int_eq(stream_write(&srv, "hi", 2), 2);
	ck_assert_int_eq(acked_when(&cli, 5), 5);
	ck_assert_int_eq(acked_when(&srv, 2), 2);
	stream_close(&cli);
	stream_close(&srv);
	(void)close(l);
}
END_TEST

START_TEST(test_stream_would_block)
{
	static struct fake_stream src, dst;
	struct relay_pipe_conf	c = conf(4096);
	unsigned char		*in = pattern(BP_LEN);
	long			rounds;

	fake_stream_init(&src, rg.a[1], -1, FAKE_FLIP, 1000);
	fake_stream_init(&dst, rg.b[0], -1, FAKE_FLIP, 700);
	c.src = &src.s;
	c.dst = &dst.s;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed(in, BP_LEN, 1);
	drain(1);
	rounds = run_rounds();
	ck_assert_msg(rg.r.status == RELAY_DONE, "status %d err %d",
	    rg.r.status, rg.r.err);
	assert_out(in, BP_LEN);
	ck_assert_uint_gt(src.eagain, 0);
	ck_assert_uint_gt(dst.eagain, 1);	/* the shutdown's too */
	/* A spin would take far more rounds than calls that moved data. */
	ck_assert_int_lt(rounds, 4 * (long)(src.calls + dst.calls) + 100);
	free(in);
}
END_TEST

START_TEST(test_stream_inverted_wants)
{
	static struct fake_stream src, dst;
	struct relay_pipe_conf	c = conf(4096);
	unsigned char		*in = pattern(300000);
	int			rcar[2], wcar[2];

	/*
	 * The reader's carrier is a pipe's write end, only ever writable;
	 * the writer's is a pipe's read end, readable when the drainer has
	 * acknowledged a read.  Waiting for the usual readiness stalls.
	 */
	ck_assert_int_eq(pipe2(rcar, O_NONBLOCK | O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(wcar, O_NONBLOCK | O_CLOEXEC), 0);
	fake_stream_init(&src, rg.a[1], rcar[1], FAKE_INVERT, 3000);
	fake_stream_init(&dst, rg.b[0], wcar[0], FAKE_INVERT, 0);
	rg.ack_fd = wcar[1];
	ck_assert_int_eq(write(wcar[1], "a", 1), 1);
	c.src = &src.s;
	c.dst = &dst.s;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	ck_assert_int_eq(loop_get_mask(rg.l, rcar[1]), LOOP_WRITABLE);
	feed(in, 300000, 1);
	drain(1);
	(void)run_rounds();
	ck_assert_msg(rg.r.status == RELAY_DONE, "status %d err %d",
	    rg.r.status, rg.r.err);
	assert_out(in, 300000);
	ck_assert_uint_gt(dst.eagain, 0);
	ck_assert_int_eq(loop_get_mask(rg.l, rcar[1]), 0);
	ck_assert_int_eq(loop_get_mask(rg.l, wcar[0]), 0);
	(void)close(rcar[0]);
	(void)close(rcar[1]);
	(void)close(wcar[0]);
	(void)close(wcar[1]);
	free(in);
}
END_TEST

START_TEST(test_stream_pending)
{
	static struct fake_stream src;
	struct relay_pipe_conf	c = conf(4096);
	unsigned char		*in = pattern(60000);
	long			i;

	/*
	 * All of the input fits one read of the fake, which then hands out
	 * 7 bytes per call: after the first read the fd is no longer
	 * readable, and only stream_pending() says the rest is there.  The
	 * feeder does not close yet, so no EOF wakes the relay either.
	 */
	fake_stream_init(&src, rg.a[1], -1, FAKE_HOLD, 7);
	c.src = &src.s;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed(in, 60000, 0);
	drain(1);
	for (i = 0; i < MAX_ITER && rg.outlen < 60000; i++)
		ck_assert_msg(loop_process(rg.l, 5000) > 0, "stalled with "
		    "%zu bytes pending, %zu delivered", src.hold_len,
		    rg.outlen);
	ck_assert_int_lt(i, 2 * (long)src.calls + 100);
	/*
	 * Held bytes are read several times per wakeup (up to 8), not once
	 * per trip through the loop: far fewer iterations than reads.
	 */
	ck_assert_msg(i < (long)src.calls / 4 + 100, "%ld loop iterations "
	    "for %zu reads", i, (size_t)src.calls);
	ck_assert_int_eq(shutdown(rg.a[0], SHUT_WR), 0);
	(void)run_rounds();
	assert_done_ok();
	assert_out(in, 60000);
	ck_assert_uint_eq(src.hold_len, 0);
	free(in);
}
END_TEST

START_TEST(test_stream_pending_backpressure)
{
	static struct fake_stream src;
	struct relay_pipe_conf	c = conf(1024);
	unsigned char		*in = pattern(100000);
	long			i;
	int			v = SMALL_SNDBUF;

	/*
	 * Pending input while the output is full must not keep the loop
	 * awake: with the drainer off, the relay stops and the loop sleeps.
	 */
	ck_assert_int_eq(setsockopt(rg.b[0], SOL_SOCKET, SO_SNDBUF, &v,
	    sizeof(v)), 0);
	fake_stream_init(&src, rg.a[1], -1, FAKE_HOLD, 0);
	c.src = &src.s;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed(in, 100000, 1);
	for (i = 0; i < 1000 && loop_process(rg.l, 100) > 0; i++)
		;
	ck_assert_int_lt(i, 1000);
	ck_assert_uint_gt(src.hold_len, 0);
	drain(1);
	(void)run_rounds();
	assert_done_ok();
	assert_out(in, 100000);
	free(in);
}
END_TEST

/* Zero copy: splice(2) through a kernel pipe between plain fds. */

START_TEST(test_zero_copy)
{
	struct relay_pipe_conf	c = conf(65536);
	unsigned char		*in = pattern(BIG_LEN);
	int			v = SMALL_SNDBUF;

	/* A small socket buffer: the kernel pipe fills and must wait. */
	ck_assert_int_eq(setsockopt(rg.b[0], SOL_SOCKET, SO_SNDBUF, &v,
	    sizeof(v)), 0);
	c.zero_copy = 1;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	/* No kernel pipe until a read shows bulk. */
	ck_assert_int_eq(rg.r.pipes[0].kp[0], -1);
	feed(in, BIG_LEN, 1);
	drain(1);
	run();
	assert_done_ok();
#ifdef HAVE_SPLICE
	ck_assert_int_ne(rg.r.pipes[0].kp[0], -1);
	/*
	 * A large pipe (1 MiB: fewer splices per byte), or at least 64 KiB
	 * where an unprivileged user may not have that much.
	 */
	ck_assert_uint_ge(rg.r.pipes[0].kp_cap, geteuid() == 0 ?
	    1024 * 1024 : 65536);
#endif
	assert_out(in, BIG_LEN);
	ck_assert_uint_eq(relay_bytes_to(&rg.r, S(rg.b[0])), BIG_LEN);
	/* The kernel pipe never held more than its size. */
	ck_assert_uint_le(rg.r.pipes[0].kp_len, rg.r.pipes[0].kp_cap);
	free(in);
}
END_TEST

/* A short exchange never makes the kernel pipe. */
START_TEST(test_zero_copy_short)
{
	struct relay_pipe_conf	c = conf(65536);

	c.zero_copy = 1;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed("GET / HTTP/1.0\r\n\r\n", 18, 1);
	drain(1);
	run();
	assert_done_ok();
	assert_out("GET / HTTP/1.0\r\n\r\n", 18);
	ck_assert_int_eq(rg.r.pipes[0].kp[0], -1);
}
END_TEST

START_TEST(test_zero_copy_framed)
{
	static const char	in[] = "a\nbb\n";
	struct frame_spec	line = spec("line"), l32 = spec("len32");
	struct relay_pipe_conf	c = conf(4096);

	/* A pipe that frames cannot splice: it copies as before. */
	c.zero_copy = 1;
	c.in = &line;
	c.out = &l32;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	ck_assert_int_eq(rg.r.pipes[0].kp[0], -1);
	feed(in, sizeof(in) - 1, 1);
	drain(1);
	run();
	assert_done_ok();
	ck_assert_uint_eq(rg.outlen, 4 + 1 + 4 + 2);
}
END_TEST

/* --crlf on raw bytes (nc -C): LF becomes CRLF, CRLF stays CRLF. */

START_TEST(test_crlf_raw)
{
	static const char	in[] = "a\r\nb\nc\r\r\n\n\rd";
	static const char	want[] = "a\r\nb\r\nc\r\r\n\r\n\rd";
	struct relay_pipe_conf	c = conf(4096);

	c.crlf = 1;
	/* One byte per read: a CR and its LF arrive in different reads. */
	c.readmax = 1;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed(in, sizeof(in) - 1, 1);
	drain(1);
	run();
	assert_done_ok();
	assert_out(want, sizeof(want) - 1);
}
END_TEST

START_TEST(test_crlf_binary)
{
	struct relay_pipe_conf	c = conf(4096);
	unsigned char		*in = pattern(300000), *want;
	size_t			i, n = 0;
	int			cr = 0;

	ck_assert_ptr_nonnull(want = malloc(600000));
	for (i = 0; i < 300000; i++) {
		if (in[i] == '\n' && !cr)
			want[n++] = '\r';
		want[n++] = in[i];
		cr = in[i] == '\r';
	}
	c.crlf = 1;
	ck_assert_int_eq(relay_add_pipe(&rg.r, &c), 0);
	start();
	feed(in, 300000, 1);
	drain(1);
	run();
	assert_done_ok();
	/* Nothing lost at the end of a last line without a newline. */
	assert_out(want, n);
	free(in);
	free(want);
}
END_TEST

/* The buffer under the relay. */

START_TEST(test_buf_append_consume)
{
	struct buf	b = { 0 };

	ck_assert_int_eq(buf_append(&b, "hello", 5), 0);
	ck_assert_int_eq(buf_append(&b, "", 0), 0);
	ck_assert_uint_eq(b.len, 5);
	ck_assert_uint_ge(b.cap, 5);
	ck_assert_mem_eq(BUF_HEAD(&b), "hello", 5);
	buf_consume(&b, 2);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_mem_eq(BUF_HEAD(&b), "llo", 3);
	ck_assert_ptr_eq(BUF_TAIL(&b), BUF_HEAD(&b) + 3);
	ck_assert_uint_eq(BUF_SPACE(&b), b.cap - b.off - 3);
	/* Consuming everything (or more) rewinds. */
	buf_consume(&b, 100);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.off, 0);
	buf_free(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.cap, 0);
	/* A freed buffer is reusable. */
	ck_assert_int_eq(buf_append(&b, "x", 1), 0);
	ck_assert_mem_eq(BUF_HEAD(&b), "x", 1);
	buf_free(&b);
	buf_free(&b);
}
END_TEST

START_TEST(test_buf_reserve_compacts)
{
	struct buf	 b = { 0 };
	unsigned char	*p = pattern(8192);
	size_t		 cap;

	ck_assert_int_eq(buf_append(&b, p, 3000), 0);
	cap = b.cap;
	buf_consume(&b, 2000);
	/*
	 * 1000 pending at offset 2000: room for cap - 1000 exists once
	 * moved to the front, so no reallocation.
	 */
	ck_assert_int_eq(buf_reserve(&b, cap - 1000), 0);
	ck_assert_uint_eq(b.cap, cap);
	ck_assert_uint_eq(b.off, 0);
	ck_assert_mem_eq(BUF_HEAD(&b), p + 2000, 1000);
	ck_assert_uint_ge(BUF_SPACE(&b), cap - 1000);
	/* One more byte than that has to grow, keeping the data. */
	ck_assert_int_eq(buf_reserve(&b, cap - 999), 0);
	ck_assert_uint_gt(b.cap, cap);
	ck_assert_mem_eq(BUF_HEAD(&b), p + 2000, 1000);
	ck_assert_int_eq(buf_append(&b, p, 8192), 0);
	ck_assert_mem_eq(BUF_HEAD(&b) + 1000, p, 8192);
	buf_free(&b);
	free(p);
}
END_TEST

START_TEST(test_buf_reserve_overflow)
{
	struct buf	b = { 0 };

	ck_assert_int_eq(buf_append(&b, "abc", 3), 0);
	errno = 0;
	ck_assert_int_eq(buf_reserve(&b, (size_t)-1), -1);
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_int_eq(buf_reserve(&b, (size_t)-1 / 2), -1);
	ck_assert_int_eq(errno, ENOMEM);
	/* A failed reserve leaves the buffer as it was. */
	ck_assert_uint_eq(b.len, 3);
	ck_assert_mem_eq(BUF_HEAD(&b), "abc", 3);
	buf_free(&b);
}
END_TEST

static Suite *
relay_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("relay");

	tc = tcase_create("raw");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_raw_large);
	tcase_add_test(tc, test_raw_upper);
	tcase_add_test(tc, test_raw_upper_bytes);
	tcase_add_test(tc, test_raw_discard);
	tcase_add_test(tc, test_raw_echo);
	tcase_add_test(tc, test_raw_two_pipes);
	tcase_add_test(tc, test_raw_file_src);
	tcase_add_test(tc, test_raw_free_idle);
	suite_add_tcase(s, tc);

	tc = tcase_create("framed");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_framed_len32_to_line);
	tcase_add_test(tc, test_framed_line_to_len32);
	tcase_add_test(tc, test_framed_bytewise_len32);
	tcase_add_test(tc, test_framed_roundtrip);
	tcase_add_test(tc, test_framed_too_big_in);
	tcase_add_test(tc, test_framed_too_big_header);
	tcase_add_test(tc, test_framed_too_big_out);
	suite_add_tcase(s, tc);

	tc = tcase_create("backpressure");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bp_raw);
	tcase_add_test(tc, test_bp_framed);
	tcase_add_test(tc, test_bp_idle_masks);
	tcase_add_test(tc, test_bp_pause);
	suite_add_tcase(s, tc);

	tc = tcase_create("eof");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_eof_shutdown);
	tcase_add_test(tc, test_eof_fin_at_close);
	tcase_add_test(tc, test_eof_fin_unread_input);
	tcase_add_test(tc, test_eof_no_shutdown);
	tcase_add_test(tc, test_eof_limit);
	tcase_add_test(tc, test_eof_limit_framed);
	tcase_add_test(tc, test_eof_partial_len32);
	tcase_add_test(tc, test_eof_partial_line);
	tcase_add_test(tc, test_eof_partial_ok);
	tcase_add_test(tc, test_eof_end_input);
	tcase_add_test(tc, test_eof_ends_relay);
	tcase_add_test(tc, test_eof_write_error);
	tcase_add_test(tc, test_eof_write_error_drains_peer);
	tcase_add_test(tc, test_eof_read_error);
	tcase_add_test(tc, test_eof_start_bad_fd);
	tcase_add_test(tc, test_eof_add_pipe_full);
	suite_add_tcase(s, tc);

	tc = tcase_create("stream");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_stream_acked_dialed);
	tcase_add_test(tc, test_stream_would_block);
	tcase_add_test(tc, test_stream_inverted_wants);
	tcase_add_test(tc, test_stream_pending);
	tcase_add_test(tc, test_stream_pending_backpressure);
	suite_add_tcase(s, tc);

	tc = tcase_create("zero-copy");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_zero_copy);
	tcase_add_test(tc, test_zero_copy_short);
	tcase_add_test(tc, test_zero_copy_framed);
	suite_add_tcase(s, tc);

	tc = tcase_create("crlf");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_crlf_raw);
	tcase_add_test(tc, test_crlf_binary);
	suite_add_tcase(s, tc);

	tc = tcase_create("buf");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_buf_append_consume);
	tcase_add_test(tc, test_buf_reserve_compacts);
	tcase_add_test(tc, test_buf_reserve_overflow);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failures;

	/* Writes to a closed peer must fail with EPIPE, not kill us. */
	(void)signal(SIGPIPE, SIG_IGN);
	sr = srunner_create(relay_suite());
	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failures ? 1 : 0);
}
