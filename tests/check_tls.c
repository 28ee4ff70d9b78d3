/*
 * Unit tests for the TLS stream.  A client and a server stream sit on
 * the two ends of a loopback TCP connection (one test uses a Unix
 * socketpair) in one process, and the project's loop drives both: the
 * handshakes run non-blockingly, then each end writes what it was given
 * and reads what comes.  Certificates come from tests/tls-fixtures.sh,
 * run once into a private directory; without the openssl CLI the cases
 * that need them say so and pass.
 *
 *	client end  ~~ TCP 127.0.0.1 ~~  server end
 */
#include "config.h"

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#ifdef HAVE_OPENSSL
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#endif

#include "loop.h"
#include "relay.h"
#include "stream.h"
#include "tls.h"

#define BIG_LEN		(8 * 1024 * 1024)
#define RUN_MS		60000		/* a run that takes longer hangs */

static char	fixdir[64];		/* "" without fixtures */

/* The path of fixture file name (a few may be alive at once). */
static const char *
fx(const char *name)
{
	static char	buf[8][128];
	static int	next;
	char		*p = buf[next++ % 8];

	(void)snprintf(p, sizeof(buf[0]), "%s/%s", fixdir, name);
	return (p);
}

#define NEED_FIXTURES() do {						\
	if (fixdir[0] == '\0') {					\
		fprintf(stderr, "%s: skipped (no openssl CLI)\n",	\
		    __func__);						\
		return;							\
	}								\
} while (0)

/* One end: its stream, what it sends, and what it has received. */
struct end {
	struct stream	 s;
	int		 fd;		/* until the stream owns it */
	int		 hs;		/* 0 running, 1 done, -1 failed */
	int		 hs_errno;
	const unsigned char *out;
	size_t		 outlen, outoff;
	int		 shut;		/* 1: shut down after out, 2: done */
	int		 werr;
	int		 reading;
	unsigned char	*in;
	size_t		 inlen, incap;
	size_t		 readsize;	/* per read call (0: 64 KiB) */
	int		 eof;
	int		 rerr;
	int		 relayed;	/* the relay drives it, not the test */
	unsigned long	 hs_writable;	/* handshake waits for WRITABLE */
	unsigned long	 pending_calls;	/* callbacks with LOOP_PENDING */
	unsigned long	 ready_calls;	/* callbacks with fd readiness */
	unsigned long	 held_seen;	/* writes that left records queued */
};

static struct {
	struct loop	*l;
	struct tls_ctx	*sc, *cc;
	struct end	 srv, cli;
} P;

static char	cerr[TLS_ERR_LEN], serr[TLS_ERR_LEN];

static void	end_update(struct end *);

static void
setup(void)
{
	memset(&P, 0, sizeof(P));
	P.srv.fd = P.cli.fd = -1;
	ck_assert_ptr_nonnull(P.l = loop_new());
}

static void
end_free(struct end *e)
{
	if (e->s.ops != NULL) {
		(void)loop_set_fd(P.l, e->s.fd, 0, NULL, NULL);
		(void)loop_set_pending(P.l, e->s.fd, 0);
		stream_close(&e->s);
	}
	if (e->fd != -1)
		(void)close(e->fd);
	e->fd = -1;
	free(e->in);
	e->in = NULL;
}

static void
teardown(void)
{
	end_free(&P.srv);
	end_free(&P.cli);
	tls_ctx_free(P.sc);
	tls_ctx_free(P.cc);
	loop_free(P.l);
	memset(&P, 0, sizeof(P));
}

static void
set_nonblock(int fd)
{
	int	fl;

	ck_assert_int_ne(fl = fcntl(fd, F_GETFL), -1);
	ck_assert_int_eq(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

/* A connected loopback TCP pair, both ends non-blocking. */
static void
tcp_pair(int *c, int *s)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			l;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ne(l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0),
	    -1);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sin, &len), 0);
	ck_assert_int_ne(*c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0),
	    -1);
	ck_assert_int_eq(connect(*c, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	ck_assert_int_ne(*s = accept4(l, NULL, NULL, SOCK_CLOEXEC), -1);
	(void)close(l);
	set_nonblock(*c);
	set_nonblock(*s);
}

/* Makes both contexts; asserts they were made. */
static void
make_ctxs(struct tls_opts *so, struct tls_opts *co)
{
	so->server = 1;
	P.sc = tls_ctx_new(so, serr, sizeof(serr));
	ck_assert_msg(P.sc != NULL, "server ctx: %s", serr);
	P.cc = tls_ctx_new(co, cerr, sizeof(cerr));
	ck_assert_msg(P.cc != NULL, "client ctx: %s", cerr);
}

/* Both streams over fds c and s; the client checks host. */
static void
open_streams(int c, int s, const char *host)
{
	P.cli.fd = c;
	P.srv.fd = s;
	ck_assert_msg(tls_stream_init(&P.srv.s, P.sc, s, NULL, serr,
	    sizeof(serr)) == 0, "server init: %s", serr);
	P.srv.fd = -1;
	ck_assert_msg(tls_stream_init(&P.cli.s, P.cc, c, host, cerr,
	    sizeof(cerr)) == 0, "client init: %s", cerr);
	P.cli.fd = -1;
}

static void
pair_open(struct tls_opts *so, struct tls_opts *co, const char *host)
{
	int	c, s;

	make_ctxs(so, co);
	tcp_pair(&c, &s);
	open_streams(c, s, host);
}

/* A server with a certificate from the fixtures. */
static void
fixture_server(struct tls_opts *so, const char *cert, const char *key)
{
	memset(so, 0, sizeof(*so));
	so->cert = fx(cert);
	so->key = fx(key);
}

static void
end_handshake(struct end *e)
{
	if (tls_handshake(&e->s) == 0) {
		e->hs = 1;
		return;
	}
	if (errno == EAGAIN) {
		/* The contract: rwant and wwant agree while it runs. */
		ck_assert_int_eq(stream_wants(&e->s, 0),
		    stream_wants(&e->s, 1));
		if (stream_wants(&e->s, 0) == LOOP_WRITABLE)
			e->hs_writable++;
		return;
	}
	e->hs = -1;
	e->hs_errno = errno;
}

static void
end_read(struct end *e)
{
	size_t	size = e->readsize ? e->readsize : 65536;
	ssize_t	n;

	if (e->incap - e->inlen < size) {
		e->incap = e->incap * 2 + size;
		ck_assert_ptr_nonnull(e->in = realloc(e->in, e->incap));
	}
	n = stream_read(&e->s, e->in + e->inlen, size);
	if (n > 0)
		e->inlen += (size_t)n;
	else if (n == 0)
		e->eof = 1;
	else if (errno != EAGAIN)
		e->rerr = errno;
}

static void
end_write(struct end *e)
{
	ssize_t	w;

	while (e->outoff < e->outlen) {
		if ((w = stream_write(&e->s, e->out + e->outoff,
		    e->outlen - e->outoff)) == -1) {
			if (errno != EAGAIN)
				e->werr = errno;
			return;
		}
		e->outoff += (size_t)w;
	}
	/* Records the stream queued go out first, as the relay sends them. */
	if (stream_held(&e->s) > 0) {
		e->held_seen++;
		if (stream_flush(&e->s) == -1) {
			if (errno != EAGAIN)
				e->werr = errno;
			return;
		}
	}
	if (e->shut == 1) {
		if (stream_shutdown(&e->s) == 0)
			e->shut = 2;
		else if (errno != EAGAIN)
			e->werr = errno;
	}
}

static int
end_wants_read(const struct end *e)
{
	return (e->hs == 1 && e->reading && !e->eof && !e->rerr);
}

static int
end_wants_write(const struct end *e)
{
	return (e->hs == 1 && !e->werr &&
	    (e->outoff < e->outlen || e->shut == 1 || stream_held(&e->s) > 0));
}

static void
end_cb(struct loop *l, int fd, int mask, void *arg)
{
	struct end	*e = arg;

	if (mask & LOOP_PENDING)
		e->pending_calls++;
	if (mask & (LOOP_READABLE | LOOP_WRITABLE))
		e->ready_calls++;
	if (e->hs == 0)
		end_handshake(e);
	else {
		if (end_wants_write(e) && (mask & stream_wants(&e->s, 1)))
			end_write(e);
		if (end_wants_read(e) &&
		    (mask & (stream_wants(&e->s, 0) | LOOP_PENDING)))
			end_read(e);
	}
	end_update(e);
}

/* Tells the loop what the end waits for, as the relay does. */
static void
end_update(struct end *e)
{
	int	mask = 0;

	if (e->s.ops == NULL || e->s.fd == -1 || e->relayed)
		return;
	if (e->hs == 0)
		mask = stream_wants(&e->s, 0);
	if (end_wants_read(e))
		mask |= stream_wants(&e->s, 0);
	if (end_wants_write(e))
		mask |= stream_wants(&e->s, 1);
	ck_assert_int_eq(loop_set_fd(P.l, e->s.fd, mask, end_cb, e), 0);
	ck_assert_int_eq(loop_set_pending(P.l, e->s.fd,
	    end_wants_read(e) && stream_pending(&e->s) > 0), 0);
}

static long long
now_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Runs the loop until cond holds (asserting that it does in time). */
static void
run_until(int (*cond)(void))
{
	long long	end = now_ms() + RUN_MS;

	end_update(&P.srv);
	end_update(&P.cli);
	while (!cond() && now_ms() < end)
		ck_assert_int_ge(loop_process(P.l, 100), 0);
	ck_assert_msg(cond(), "timed out");
}

static int
hs_settled(void)
{
	return (P.srv.hs != 0 && P.cli.hs != 0);
}

/* Runs both handshakes to their end; returns 1 when both are done. */
static int
handshake(void)
{
	end_handshake(&P.srv);
	end_handshake(&P.cli);
	run_until(hs_settled);
	return (P.srv.hs == 1 && P.cli.hs == 1);
}

static void
handshake_ok(void)
{
	ck_assert_msg(handshake(), "handshake: server %s; client %s",
	    tls_stream_error(&P.srv.s) ? tls_stream_error(&P.srv.s) : "ok",
	    tls_stream_error(&P.cli.s) ? tls_stream_error(&P.cli.s) : "ok");
	ck_assert_ptr_null(tls_stream_error(&P.srv.s));
	ck_assert_ptr_null(tls_stream_error(&P.cli.s));
	ck_assert_int_eq(stream_wants(&P.cli.s, 0), LOOP_READABLE);
	ck_assert_int_eq(stream_wants(&P.cli.s, 1), LOOP_WRITABLE);
}

/* The client failed: its words contain what, and auth says whether. */
static void
client_failed(const char *what, int auth)
{
	const char	*e = tls_stream_error(&P.cli.s);

	ck_assert_int_eq(P.cli.hs, -1);
	ck_assert_ptr_nonnull(e);
	ck_assert_msg(strstr(e, what) != NULL, "client error \"%s\" lacks "
	    "\"%s\"", e, what);
	ck_assert_int_eq(tls_stream_auth_failed(&P.cli.s), auth);
	ck_assert_int_ne(P.cli.hs_errno, EAGAIN);
}

static void
server_failed(const char *what, int auth)
{
	const char	*e = tls_stream_error(&P.srv.s);

	ck_assert_int_eq(P.srv.hs, -1);
	ck_assert_ptr_nonnull(e);
	ck_assert_msg(strstr(e, what) != NULL, "server error \"%s\" lacks "
	    "\"%s\"", e, what);
	ck_assert_int_eq(tls_stream_auth_failed(&P.srv.s), auth);
}

/* Deterministic bytes (xorshift), different per seed. */
static unsigned char *
pattern(size_t n, uint32_t seed)
{
	unsigned char	*p;
	uint32_t	 x = seed | 1;
	size_t		 i;

	ck_assert_ptr_nonnull(p = malloc(n ? n : 1));
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
	return (p);
}

static size_t	want_srv, want_cli;	/* bytes each end must receive */

static int
got_all(void)
{
	return ((P.srv.inlen >= want_srv || P.srv.rerr || P.srv.eof) &&
	    (P.cli.inlen >= want_cli || P.cli.rerr || P.cli.eof) &&
	    P.srv.outoff == P.srv.outlen && P.cli.outoff == P.cli.outlen &&
	    stream_held(&P.srv.s) == 0 && stream_held(&P.cli.s) == 0);
}

static int
cli_done_reading(void)
{
	return (P.cli.eof || P.cli.rerr);
}

static int
srv_done_reading(void)
{
	return (P.srv.eof || P.srv.rerr);
}

/* Sends c2s bytes client → server and s2c back at once; checks them. */
static void
exchange(size_t c2s, size_t s2c)
{
	unsigned char	*a = pattern(c2s, 0x1234), *b = pattern(s2c, 0x9876);

	P.cli.out = a;
	P.cli.outlen = c2s;
	P.cli.outoff = 0;
	P.srv.out = b;
	P.srv.outlen = s2c;
	P.srv.outoff = 0;
	P.srv.reading = P.cli.reading = 1;
	want_srv = P.srv.inlen + c2s;
	want_cli = P.cli.inlen + s2c;
	run_until(got_all);
	ck_assert_int_eq(P.srv.rerr, 0);
	ck_assert_int_eq(P.cli.rerr, 0);
	ck_assert_uint_eq(P.srv.inlen, want_srv);
	ck_assert_uint_eq(P.cli.inlen, want_cli);
	ck_assert(c2s == 0 || memcmp(P.srv.in + want_srv - c2s, a, c2s) == 0);
	ck_assert(s2c == 0 || memcmp(P.cli.in + want_cli - s2c, b, s2c) == 0);
	P.cli.out = P.srv.out = NULL;
	P.cli.outlen = P.cli.outoff = P.srv.outlen = P.srv.outoff = 0;
	free(a);
	free(b);
}

/* Writes a string on a stream that can take it at once. */
static void
put(struct end *e, const char *s)
{
	ck_assert_int_eq(stream_write(&e->s, s, strlen(s)),
	    (ssize_t)strlen(s));
}

static int
is_fingerprint(const char *s)
{
	size_t	i;

	if (s == NULL || strncmp(s, "sha256:", 7) != 0 || strlen(s) != 71)
		return (0);
	for (i = 7; i < 71; i++)
		if (strchr("0123456789abcdef", s[i]) == NULL)
			return (0);
	return (1);
}

/*
 * Handshakes.
 */

/* An auto certificate, and a client that pins it. */
START_TEST(test_handshake_pin_auto)
{
	struct tls_opts	 so, co;

	memset(&so, 0, sizeof(so));
	memset(&co, 0, sizeof(co));
	so.server = 1;
	so.cert_names = "127.0.0.1";
	P.sc = tls_ctx_new(&so, serr, sizeof(serr));
	ck_assert_msg(P.sc != NULL, "%s", serr);
	ck_assert(is_fingerprint(tls_ctx_fingerprint(P.sc)));
	co.pin = tls_ctx_fingerprint(P.sc);
	P.cc = tls_ctx_new(&co, cerr, sizeof(cerr));
	ck_assert_msg(P.cc != NULL, "%s", cerr);
	ck_assert_ptr_null(tls_ctx_fingerprint(P.cc));
	{
		int	c, s;

		tcp_pair(&c, &s);
		open_streams(c, s, "127.0.0.1");
	}
	ck_assert_ptr_null(tls_version(&P.cli.s));
	handshake_ok();
	ck_assert_str_eq(tls_version(&P.cli.s), "TLSv1.3");
	ck_assert_str_eq(tls_version(&P.srv.s), "TLSv1.3");
	ck_assert_str_eq(tls_peer_sha256(&P.cli.s), tls_ctx_fingerprint(P.sc));
	ck_assert_ptr_null(tls_peer_sha256(&P.srv.s));
	ck_assert_ptr_null(tls_peer_subject(&P.srv.s));
	ck_assert_str_eq(tls_peer_subject(&P.cli.s),
	    "O=sockit, CN=sockit self-signed");
	ck_assert_ptr_null(tls_alpn(&P.cli.s));
	ck_assert_ptr_null(tls_sni(&P.srv.s));	/* an IP: no SNI */
	ck_assert_int_eq(tls_handshake(&P.cli.s), 0);	/* again: harmless */
	exchange(5, 7);
}
END_TEST

START_TEST(test_handshake_tls12)
{
	struct tls_opts	 so, co;

	memset(&so, 0, sizeof(so));
	memset(&co, 0, sizeof(co));
	so.max_version = 12;
	co.insecure = 1;
	pair_open(&so, &co, "localhost");
	handshake_ok();
	ck_assert_str_eq(tls_version(&P.cli.s), "TLSv1.2");
	ck_assert_str_eq(tls_version(&P.srv.s), "TLSv1.2");
	exchange(1000, 1000);
}
END_TEST

/* While the peer is silent, the handshake waits for the right event. */
START_TEST(test_handshake_wants)
{
	struct tls_opts	 so, co;

	memset(&so, 0, sizeof(so));
	memset(&co, 0, sizeof(co));
	co.insecure = 1;
	pair_open(&so, &co, "localhost");
	ck_assert_int_eq(tls_handshake(&P.srv.s), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(stream_wants(&P.srv.s, 0), LOOP_READABLE);
	ck_assert_int_eq(stream_wants(&P.srv.s, 1), LOOP_READABLE);
	/* The ClientHello goes out, then the client waits for the reply. */
	ck_assert_int_eq(tls_handshake(&P.cli.s), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(stream_wants(&P.cli.s, 0), LOOP_READABLE);
	ck_assert_int_eq(stream_wants(&P.cli.s, 1), LOOP_READABLE);
	/* Nothing to shut down before the handshake. */
	ck_assert_int_eq(stream_shutdown(&P.cli.s), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	handshake_ok();
}
END_TEST

/*
 * A server whose flight does not fit the socket buffers waits for
 * WRITABLE in its handshake, and gets there.
 */
START_TEST(test_handshake_wants_write)
{
	struct tls_opts	 so, co;
	char		 cmd[512];
	int		 c, s, small = 2048, i;

	NEED_FIXTURES();
	/* A chain of 1 + 40 certificates: some 25 KB to send. */
	(void)snprintf(cmd, sizeof(cmd), "cp %s %s", fx("server.pem"),
	    fx("fat.pem"));
	ck_assert_int_eq(system(cmd), 0);
	for (i = 0; i < 40; i++) {
		(void)snprintf(cmd, sizeof(cmd), "cat %s >> %s", fx("ca.pem"),
		    fx("fat.pem"));
		ck_assert_int_eq(system(cmd), 0);
	}
	fixture_server(&so, "fat.pem", "server.key");
	memset(&co, 0, sizeof(co));
	co.ca = fx("ca.pem");
	make_ctxs(&so, &co);
	(void)unlink(fx("fat.pem"));
	tcp_pair(&c, &s);
	ck_assert_int_eq(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &small,
	    sizeof(small)), 0);
	ck_assert_int_eq(setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small,
	    sizeof(small)), 0);
	open_streams(c, s, "localhost");
	handshake_ok();
	ck_assert_uint_gt(P.srv.hs_writable, 0);
	exchange(100000, 100000);
}
END_TEST

/* A Unix socketpair: no name to check, so a pin (or a name) is needed. */
START_TEST(test_handshake_unix)
{
	struct tls_opts	 so, co;
	int		 sv[2];

	memset(&so, 0, sizeof(so));
	memset(&co, 0, sizeof(co));
	so.server = 1;
	ck_assert_ptr_nonnull(P.sc = tls_ctx_new(&so, serr, sizeof(serr)));
	ck_assert_ptr_nonnull(P.cc = tls_ctx_new(&co, cerr, sizeof(cerr)));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, sv), 0);
	P.cli.fd = sv[0];
	errno = 0;
	ck_assert_int_eq(tls_stream_init(&P.cli.s, P.cc, sv[0], NULL, cerr,
	    sizeof(cerr)), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(cerr, "--tls-name"));
	ck_assert_int_ne(fcntl(sv[0], F_GETFD), -1);	/* still ours */
	tls_ctx_free(P.cc);
	co.pin = tls_ctx_fingerprint(P.sc);
	ck_assert_ptr_nonnull(P.cc = tls_ctx_new(&co, cerr, sizeof(cerr)));
	open_streams(sv[0], sv[1], NULL);
	handshake_ok();
	exchange(100000, 100000);
}
END_TEST

/*
 * Data.
 */

static void
versions(int i, struct tls_opts *so, struct tls_opts *co)
{
	memset(so, 0, sizeof(*so));
	memset(co, 0, sizeof(*co));
	so->max_version = i == 0 ? 13 : 12;
	co->insecure = 1;
}

START_TEST(test_data_small)
{
	struct tls_opts	 so, co;

	versions(_i, &so, &co);
	pair_open(&so, &co, "localhost");
	handshake_ok();
	exchange(1, 0);
	exchange(0, 1);
	exchange(16384, 16385);
	exchange(3, 100000);
}
END_TEST

/* 8 MiB each way at once: partial writes, EAGAIN, byte-exact. */
START_TEST(test_data_big)
{
	struct tls_opts	 so, co;

	versions(_i, &so, &co);
	pair_open(&so, &co, "localhost");
	handshake_ok();
	exchange(BIG_LEN, BIG_LEN);
}
END_TEST

/*
 * Large writes for an owner that flushes (the relay) go out as a few
 * big write(2)s of many records, not one per 16 KiB record: the test
 * binary is linked with --wrap=send to count the client's sends.  A
 * small send buffer makes the socket full often, so records stay
 * queued (stream_held) and stream_flush sends them; every byte arrives
 * in order.  Without STREAM_OWNER_FLUSHES nothing is ever held.
 */
static int		counted_fd = -1;
static unsigned long	counted_sends;

ssize_t	__real_send(int, const void *, size_t, int);
ssize_t	__wrap_send(int, const void *, size_t, int);

ssize_t
__wrap_send(int fd, const void *p, size_t n, int flags)
{
	if (fd == counted_fd)
		counted_sends++;
	return (__real_send(fd, p, n, flags));
}

static unsigned long
sends_of_upload(int owner_flushes, int sndbuf)
{
	struct tls_opts	 so, co;

	versions(0, &so, &co);
	pair_open(&so, &co, "localhost");
	handshake_ok();
	if (owner_flushes)
		P.cli.s.flags |= STREAM_OWNER_FLUSHES;
	if (sndbuf > 0)
		ck_assert_int_eq(setsockopt(P.cli.s.fd, SOL_SOCKET, SO_SNDBUF,
		    &sndbuf, sizeof(sndbuf)), 0);
	counted_fd = P.cli.s.fd;
	counted_sends = 0;
	exchange(BIG_LEN, 0);
	counted_fd = -1;
	return (counted_sends);
}

START_TEST(test_write_collect)
{
	unsigned long	records = BIG_LEN / 16384, n;

	n = sends_of_upload(1, 0);
	ck_assert_msg(n <= records / 8, "%lu sends for %lu records", n,
	    records);
	ck_assert_uint_eq(stream_held(&P.cli.s), 0);
}
END_TEST

START_TEST(test_write_collect_full_socket)
{
	(void)sends_of_upload(1, 16384);
	ck_assert_uint_gt(P.cli.held_seen, 0);
}
END_TEST

START_TEST(test_write_no_collect)
{
	unsigned long	records = BIG_LEN / 16384, n;

	n = sends_of_upload(0, 16384);
	ck_assert_uint_eq(P.cli.held_seen, 0);
	ck_assert_uint_ge(n, records);
}
END_TEST

/*
 * A write that said EAGAIN may be retried from another buffer with
 * more bytes (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER): fill the socket,
 * then go on from a copy.
 */
START_TEST(test_data_moving_buffer)
{
	struct tls_opts	 so, co;
	unsigned char	*a = pattern(BIG_LEN, 7), *copy;
	size_t		 off = 0;
	ssize_t		 w;
	int		 eagain = 0;

	versions(0, &so, &co);
	pair_open(&so, &co, "localhost");
	handshake_ok();
	while (!eagain) {
		w = stream_write(&P.cli.s, a + off, 65536);
		if (w == -1) {
			ck_assert_int_eq(errno, EAGAIN);
			eagain = 1;
		} else
			off += (size_t)w;
		ck_assert_uint_lt(off + 65536 * 2, BIG_LEN);
	}
	ck_assert_ptr_nonnull(copy = malloc(BIG_LEN));
	memcpy(copy, a, BIG_LEN);
	P.cli.out = copy;
	P.cli.outlen = BIG_LEN;
	P.cli.outoff = off;
	P.srv.reading = 1;
	want_srv = BIG_LEN - 0;
	want_cli = 0;
	run_until(got_all);
	ck_assert_uint_eq(P.srv.inlen, BIG_LEN);
	ck_assert(memcmp(P.srv.in, a, BIG_LEN) == 0);
	free(a);
	free(copy);
}
END_TEST

/*
 * Half-close: the client's close_notify is the server's EOF, and the
 * server can still answer; then the other way round.
 */
START_TEST(test_halfclose_client)
{
	struct tls_opts	 so, co;

	versions(_i, &so, &co);
	pair_open(&so, &co, "localhost");
	handshake_ok();
	P.cli.out = (const unsigned char *)"question";
	P.cli.outlen = 8;
	P.cli.shut = 1;
	P.srv.reading = P.cli.reading = 1;
	run_until(srv_done_reading);
	ck_assert_int_eq(P.srv.eof, 1);
	ck_assert_int_eq(P.srv.rerr, 0);
	ck_assert_int_eq(P.cli.shut, 2);
	ck_assert_uint_eq(P.srv.inlen, 8);
	ck_assert(memcmp(P.srv.in, "question", 8) == 0);
	/* EOF stays EOF. */
	ck_assert_int_eq(stream_read(&P.srv.s, serr, sizeof(serr)), 0);
	/* The server still sends, and the client still reads. */
	ck_assert_int_eq(P.cli.inlen, 0);
	P.srv.out = (const unsigned char *)"answer after EOF";
	P.srv.outlen = 16;
	P.srv.shut = 1;
	run_until(cli_done_reading);
	ck_assert_int_eq(P.cli.eof, 1);
	ck_assert_uint_eq(P.cli.inlen, 16);
	ck_assert(memcmp(P.cli.in, "answer after EOF", 16) == 0);
	/* Writing after our own close_notify is refused, reads stay EOF. */
	ck_assert_int_eq(stream_write(&P.cli.s, "x", 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(stream_read(&P.cli.s, cerr, sizeof(cerr)), 0);
}
END_TEST

START_TEST(test_halfclose_server)
{
	struct tls_opts	 so, co;
	unsigned char	*big;

	versions(_i, &so, &co);
	pair_open(&so, &co, "localhost");
	handshake_ok();
	P.srv.out = (const unsigned char *)"banner";
	P.srv.outlen = 6;
	P.srv.shut = 1;
	P.srv.reading = P.cli.reading = 1;
	run_until(cli_done_reading);
	ck_assert_int_eq(P.cli.eof, 1);
	ck_assert_uint_eq(P.cli.inlen, 6);
	/* A megabyte after the server's close_notify still arrives. */
	big = pattern(1 << 20, 3);
	P.cli.out = big;
	P.cli.outlen = 1 << 20;
	P.cli.shut = 1;
	run_until(srv_done_reading);
	ck_assert_int_eq(P.srv.eof, 1);
	ck_assert_uint_eq(P.srv.inlen, 1 << 20);
	ck_assert(memcmp(P.srv.in, big, 1 << 20) == 0);
	free(big);
}
END_TEST

/*
 * The relay drives a TLS stream like any other: an echo server (one
 * stream both source and sink) answers 4 MiB and ends with close_notify
 * after the client's.
 */
static int	relay_ended;

static void
relay_done(struct relay *r, void *arg)
{
	relay_ended = 1;
}

static int
echo_done(void)
{
	return (relay_ended && (P.cli.eof || P.cli.rerr));
}

START_TEST(test_relay_echo)
{
	struct tls_opts		 so, co;
	struct relay		 r;
	struct relay_pipe_conf	 pc;
	unsigned char		*a = pattern(4 << 20, 11);

	versions(_i, &so, &co);
	pair_open(&so, &co, "localhost");
	handshake_ok();
	relay_ended = 0;
	relay_init(&r, P.l, relay_done, NULL);
	memset(&pc, 0, sizeof(pc));
	pc.src = pc.dst = &P.srv.s;
	pc.bufsize = 65536;
	pc.shutdown_dst = 1;
	ck_assert_int_eq(relay_add_pipe(&r, &pc), 0);
	ck_assert_int_eq(relay_start(&r), 0);
	P.srv.relayed = 1;
	P.cli.out = a;
	P.cli.outlen = 4 << 20;
	P.cli.shut = 1;
	P.cli.reading = 1;
	run_until(echo_done);
	ck_assert_int_eq(r.status, RELAY_DONE);
	ck_assert_int_eq(P.cli.rerr, 0);
	ck_assert_uint_eq(P.cli.inlen, 4 << 20);
	ck_assert(memcmp(P.cli.in, a, 4 << 20) == 0);
	relay_free(&r);
	P.srv.relayed = 0;
	free(a);
}
END_TEST

/*
 * Truncation: a TCP EOF without close_notify.
 */

/* Closes the server's socket under its TLS stream. */
static void
server_drop_fd(int how)
{
	(void)loop_set_fd(P.l, P.srv.s.fd, 0, NULL, NULL);
	if (how == SHUT_RDWR) {
		ck_assert_int_eq(close(P.srv.s.fd), 0);
		P.srv.s.fd = -1;
	} else
		ck_assert_int_eq(shutdown(P.srv.s.fd, how), 0);
}

START_TEST(test_truncated)
{
	struct tls_opts	 so, co;

	versions(_i, &so, &co);
	pair_open(&so, &co, "localhost");
	handshake_ok();
	put(&P.srv, "last words");
	server_drop_fd(SHUT_RDWR);
	P.cli.reading = 1;
	run_until(cli_done_reading);
	ck_assert_uint_eq(P.cli.inlen, 10);
	ck_assert(memcmp(P.cli.in, "last words", 10) == 0);
	ck_assert_int_eq(P.cli.eof, 0);
	ck_assert_int_eq(P.cli.rerr, EPROTO);
	ck_assert_str_eq(tls_stream_error(&P.cli.s),
	    "truncated: connection closed without close_notify");
	ck_assert_int_eq(tls_stream_auth_failed(&P.cli.s), 0);
	/* It stays failed. */
	ck_assert_int_eq(stream_read(&P.cli.s, cerr, sizeof(cerr)), -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_int_eq(stream_write(&P.cli.s, "x", 1), -1);
}
END_TEST

/* Allowed, it is EOF, and the connection still works the other way. */
START_TEST(test_truncation_allowed)
{
	struct tls_opts	 so, co;

	versions(_i, &so, &co);
	co.allow_truncation = 1;
	pair_open(&so, &co, "localhost");
	handshake_ok();
	put(&P.srv, "last words");
	server_drop_fd(SHUT_WR);
	P.cli.reading = 1;
	run_until(cli_done_reading);
	ck_assert_int_eq(P.cli.rerr, 0);
	ck_assert_int_eq(P.cli.eof, 1);
	ck_assert_uint_eq(P.cli.inlen, 10);
	ck_assert_ptr_null(tls_stream_error(&P.cli.s));
	P.srv.reading = 1;
	P.cli.out = (const unsigned char *)"still here";
	P.cli.outlen = 10;
	P.cli.shut = 1;
	run_until(srv_done_reading);
	ck_assert_int_eq(P.srv.eof, 1);
	ck_assert_uint_eq(P.srv.inlen, 10);
	ck_assert(memcmp(P.srv.in, "still here", 10) == 0);
}
END_TEST

/* A reset is ECONNRESET, in words. */
START_TEST(test_reset)
{
	struct tls_opts	 so, co;
	struct linger	 lg = { 1, 0 };

	versions(_i, &so, &co);
	pair_open(&so, &co, "localhost");
	handshake_ok();
	ck_assert_int_eq(setsockopt(P.srv.s.fd, SOL_SOCKET, SO_LINGER, &lg,
	    sizeof(lg)), 0);
	server_drop_fd(SHUT_RDWR);
	P.cli.reading = 1;
	run_until(cli_done_reading);
	ck_assert_int_eq(P.cli.rerr, ECONNRESET);
	ck_assert_str_eq(tls_stream_error(&P.cli.s), strerror(ECONNRESET));
	ck_assert_int_eq(tls_stream_auth_failed(&P.cli.s), 0);
}
END_TEST

/*
 * Pending: bytes decrypted inside OpenSSL come out without the fd.
 */

/*
 * Waits until everything the server wrote sits in the client's socket:
 * loopback TCP has nothing unacknowledged left on the server's side.
 */
static void
wait_delivered(void)
{
	long long	end = now_ms() + RUN_MS;
	int		q = -1;

	while (now_ms() < end &&
	    (ioctl(P.srv.s.fd, TIOCOUTQ, &q) == -1 || q != 0))
		(void)poll(NULL, 0, 1);
	ck_assert_int_eq(q, 0);
}

/* Reads n bytes from a stream whose data is all there. */
static void
get(struct end *e, unsigned char *p, size_t n)
{
	ck_assert_int_eq(stream_read(&e->s, p, n), (ssize_t)n);
}

START_TEST(test_pending_record)
{
	struct tls_opts	 so, co;
	struct pollfd	 pfd;
	unsigned char	*a = pattern(3000, 5), b[10];

	versions(_i, &so, &co);
	pair_open(&so, &co, "localhost");
	handshake_ok();
	/* One record of 3000 bytes. */
	ck_assert_int_eq(stream_write(&P.srv.s, a, 3000), 3000);
	wait_delivered();
	get(&P.cli, b, sizeof(b));
	ck_assert(memcmp(a, b, sizeof(b)) == 0);
	ck_assert_uint_eq(stream_pending(&P.cli.s), 2990);
	/* The socket is empty: only the pending mark can wake the reader. */
	pfd.fd = P.cli.s.fd;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	P.cli.reading = 1;
	P.cli.readsize = 100;
	P.cli.pending_calls = P.cli.ready_calls = 0;
	want_cli = 2990;
	want_srv = 0;
	run_until(got_all);
	ck_assert_uint_eq(P.cli.inlen, 2990);
	ck_assert(memcmp(P.cli.in, a + 10, 2990) == 0);
	ck_assert_uint_ge(P.cli.pending_calls, 29);
	ck_assert_uint_eq(P.cli.ready_calls, 0);
	ck_assert_uint_eq(stream_pending(&P.cli.s), 0);
	free(a);
}
END_TEST

/* Several records: a small read leaves some pending, a big one takes all. */
START_TEST(test_pending_records)
{
	struct tls_opts	 so, co;
	unsigned char	*a = pattern(5000, 6), b[8000];
	int		 i;

	versions(_i, &so, &co);
	pair_open(&so, &co, "localhost");
	handshake_ok();
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(stream_write(&P.srv.s, a + i * 1000, 1000),
		    1000);
	wait_delivered();
	get(&P.cli, b, 10);
	ck_assert_uint_gt(stream_pending(&P.cli.s), 0);
	ck_assert_uint_eq(stream_pending(&P.cli.s), 990);
	/* One read returns every record that is there. */
	ck_assert_int_eq(stream_read(&P.cli.s, b + 10, sizeof(b) - 10), 4990);
	ck_assert(memcmp(a, b, 5000) == 0);
	ck_assert_uint_eq(stream_pending(&P.cli.s), 0);
	ck_assert_int_eq(stream_read(&P.cli.s, b, sizeof(b)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(stream_wants(&P.cli.s, 0), LOOP_READABLE);
	free(a);
}
END_TEST

/*
 * Read-ahead: records that came in one read(2) but are not decrypted yet
 * count as pending, since the socket they came from is empty now.
 */
START_TEST(test_pending_read_ahead)
{
	struct tls_opts	 so, co;
	struct pollfd	 pfd;
	unsigned char	*a = pattern(5000, 7), b[5000];
	int		 i;

	versions(_i, &so, &co);
	pair_open(&so, &co, "localhost");
	handshake_ok();
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(stream_write(&P.srv.s, a + i * 1000, 1000),
		    1000);
	wait_delivered();
	/* Exactly one record's worth: the read stops without EAGAIN. */
	get(&P.cli, b, 1000);
	pfd.fd = P.cli.s.fd;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	ck_assert_uint_gt(stream_pending(&P.cli.s), 0);
	ck_assert_int_eq(stream_read(&P.cli.s, b + 1000, 4000), 4000);
	ck_assert(memcmp(a, b, 5000) == 0);
	/* All read, the last read said EAGAIN: nothing pending, no spin. */
	ck_assert_int_eq(stream_read(&P.cli.s, b, sizeof(b)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_uint_eq(stream_pending(&P.cli.s), 0);
	free(a);
}
END_TEST

/* Data and close_notify in one go: the data first, then EOF. */
START_TEST(test_pending_eof_after_data)
{
	struct tls_opts	 so, co;
	unsigned char	 b[100];

	versions(_i, &so, &co);
	pair_open(&so, &co, "localhost");
	handshake_ok();
	put(&P.srv, "bye");
	ck_assert_int_eq(stream_shutdown(&P.srv.s), 0);
	wait_delivered();
	ck_assert_int_eq(stream_read(&P.cli.s, b, sizeof(b)), 3);
	ck_assert_uint_gt(stream_pending(&P.cli.s), 0);
	ck_assert_int_eq(stream_read(&P.cli.s, b, sizeof(b)), 0);
}
END_TEST

/*
 * Nagle: off (TCP_NODELAY on) for the handshake and small records, on
 * again for a bulk write; left on throughout when the owner asked for
 * --nodelay (opts.nodelay, _i == 1), which set it beforehand.
 */
static int
nodelay_of(int fd)
{
	int		on = -1;
	socklen_t	len = sizeof(on);

	ck_assert_int_eq(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &len),
	    0);
	return (on);
}

START_TEST(test_nagle)
{
	struct tls_opts	 so, co;
	unsigned char	*a = pattern(20000, 3), b[20000];
	int		 c, sfd, one = 1;
	ssize_t		 n;

	versions(0, &so, &co);
	so.nodelay = co.nodelay = _i;
	make_ctxs(&so, &co);
	tcp_pair(&c, &sfd);
	if (_i == 1) {
		ck_assert_int_eq(setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY,
		    &one, sizeof(one)), 0);
		ck_assert_int_eq(setsockopt(c, IPPROTO_TCP, TCP_NODELAY,
		    &one, sizeof(one)), 0);
	}
	open_streams(c, sfd, "localhost");
	ck_assert_int_eq(nodelay_of(sfd), 1);
	handshake_ok();
	n = stream_write(&P.srv.s, a, sizeof(b));
	ck_assert_int_ge(n, 16384);
	ck_assert_int_eq(nodelay_of(sfd), _i == 1 ? 1 : 0);
	wait_delivered();
	get(&P.cli, b, 16384);
	ck_assert(memcmp(a, b, 16384) == 0);
	put(&P.srv, "small");
	ck_assert_int_eq(nodelay_of(sfd), 1);
	free(a);
}
END_TEST

/*
 * Memory: an idle connection holds no record buffers.
 */

#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
#define HAVE_MALLINFO2	1

/* Heap bytes one end of an idle connection holds after some traffic. */
static size_t
idle_cost(void)
{
	size_t	before, after;
	int	c, s;

	before = mallinfo2().uordblks;
	tcp_pair(&c, &s);
	open_streams(c, s, "localhost");
	handshake_ok();
	exchange(200000, 200000);
	/* The test's own receive buffers do not count. */
	end_free(&P.cli);
	free(P.srv.in);
	P.srv.in = NULL;
	P.srv.inlen = P.srv.incap = 0;
	after = mallinfo2().uordblks;
	end_free(&P.srv);
	memset(&P.cli, 0, sizeof(P.cli));
	memset(&P.srv, 0, sizeof(P.srv));
	P.cli.fd = P.srv.fd = -1;
	return (after > before ? after - before : 0);
}
#endif

START_TEST(test_memory_idle)
{
#ifdef HAVE_MALLINFO2
	struct tls_opts	 so, co;
	size_t		 cost;

	versions(_i, &so, &co);
	make_ctxs(&so, &co);
	/* The first connection fills OpenSSL's process-wide caches. */
	(void)idle_cost();
	if ((cost = idle_cost()) == 0) {
		fprintf(stderr, "%s: skipped (malloc is not glibc's)\n",
		    __func__);
		return;
	}
	/* About 13 KiB with SSL_MODE_RELEASE_BUFFERS, 46 KiB without. */
	ck_assert_uint_lt(cost, 24 * 1024);
#endif
}
END_TEST

/*
 * Verification.
 */

/* The client trusts ca.pem; returns after the handshakes ended. */
static int
verify_against(const char *cert, const char *key, const char *host,
    const char *name)
{
	struct tls_opts	 so, co;

	fixture_server(&so, cert, key);
	memset(&co, 0, sizeof(co));
	co.ca = fx("ca.pem");
	co.name = name;
	pair_open(&so, &co, host);
	return (handshake());
}

START_TEST(test_verify_ok)
{
	NEED_FIXTURES();
	ck_assert(verify_against("server.pem", "server.key", "localhost",
	    NULL));
	ck_assert_ptr_null(tls_stream_error(&P.cli.s));
	ck_assert_str_eq(tls_peer_subject(&P.cli.s),
	    "O=sockit test, CN=localhost");
	ck_assert(is_fingerprint(tls_peer_sha256(&P.cli.s)));
	ck_assert_str_eq(tls_peer_sha256(&P.cli.s), tls_ctx_fingerprint(P.sc));
	ck_assert_str_eq(tls_sni(&P.srv.s), "localhost");
	exchange(10, 10);
}
END_TEST

/* The cert file may hold the chain. */
START_TEST(test_verify_chain_file)
{
	NEED_FIXTURES();
	ck_assert(verify_against("server-chain.pem", "server.key",
	    "localhost", NULL));
}
END_TEST

START_TEST(test_verify_self_signed)
{
	struct tls_opts	 so, co;

	memset(&so, 0, sizeof(so));
	memset(&co, 0, sizeof(co));		/* the system store */
	pair_open(&so, &co, "localhost");
	ck_assert(!handshake());
	client_failed("certificate verify failed: self-signed certificate",
	    1);
	ck_assert_int_eq(P.cli.hs_errno, EPROTO);
	/* The server hears why from the client's alert. */
	server_failed("refused our certificate", 1);
}
END_TEST

START_TEST(test_verify_name)
{
	NEED_FIXTURES();
	ck_assert(!verify_against("server.pem", "server.key", "example.org",
	    NULL));
	client_failed("certificate verify failed: hostname mismatch "
	    "(certificate is for localhost, 127.0.0.1, ::1, not example.org)",
	    1);
}
END_TEST

START_TEST(test_verify_expired)
{
	NEED_FIXTURES();
	ck_assert(!verify_against("expired.pem", "expired.key", "localhost",
	    NULL));
	client_failed("certificate verify failed: certificate has expired", 1);
}
END_TEST

START_TEST(test_verify_other_ca)
{
	NEED_FIXTURES();
	ck_assert(!verify_against("other.pem", "other.key", "localhost",
	    NULL));
	client_failed("certificate verify failed: unable to get local issuer",
	    1);
}
END_TEST

/* An IP target is checked against the IP SANs, and sends no SNI. */
START_TEST(test_verify_ip)
{
	NEED_FIXTURES();
	ck_assert(verify_against("server.pem", "server.key", "127.0.0.1",
	    NULL));
	ck_assert_ptr_null(tls_sni(&P.srv.s));
}
END_TEST

START_TEST(test_verify_ip6)
{
	NEED_FIXTURES();
	ck_assert(verify_against("server.pem", "server.key", "[::1]", NULL));
	ck_assert_ptr_null(tls_sni(&P.srv.s));
}
END_TEST

START_TEST(test_verify_ip_mismatch)
{
	NEED_FIXTURES();
	ck_assert(!verify_against("server.pem", "server.key", "10.1.2.3",
	    NULL));
	client_failed("IP address mismatch (certificate is for localhost, "
	    "127.0.0.1, ::1, not 10.1.2.3)", 1);
}
END_TEST

/* --tls-name: checked and sent instead of the host. */
START_TEST(test_verify_name_option)
{
	NEED_FIXTURES();
	ck_assert(verify_against("server.pem", "server.key", "127.0.0.1",
	    "localhost"));
	ck_assert_str_eq(tls_sni(&P.srv.s), "localhost");
}
END_TEST

START_TEST(test_verify_name_option_wrong)
{
	NEED_FIXTURES();
	ck_assert(!verify_against("server.pem", "server.key", "localhost",
	    "example.com"));
	client_failed("hostname mismatch", 1);
	/* The server saw the name that was checked. */
	ck_assert_str_eq(tls_sni(&P.srv.s), "example.com");
}
END_TEST

/*
 * Pins and --tls-insecure.
 */

START_TEST(test_pin_ok)
{
	struct tls_opts	 so, co;
	char		 pin[128];
	const char	*fp;
	size_t		 i, o;

	NEED_FIXTURES();
	fixture_server(&so, "expired.pem", "expired.key");
	so.server = 1;
	ck_assert_ptr_nonnull(P.sc = tls_ctx_new(&so, serr, sizeof(serr)));
	/* Upper case with colons means the same. */
	fp = tls_ctx_fingerprint(P.sc);
	o = (size_t)snprintf(pin, sizeof(pin), "SHA256:");
	for (i = 7; fp[i] != '\0'; i += 2)
		o += (size_t)snprintf(pin + o, sizeof(pin) - o, "%s%c%c",
		    i > 7 ? ":" : "", fp[i] - (fp[i] > '9' ? 32 : 0),
		    fp[i + 1] - (fp[i + 1] > '9' ? 32 : 0));
	memset(&co, 0, sizeof(co));
	co.pin = pin;
	ck_assert_ptr_nonnull(P.cc = tls_ctx_new(&co, cerr, sizeof(cerr)));
	{
		int	c, s;

		tcp_pair(&c, &s);
		/* No CA or name check: expired and the wrong name pass. */
		open_streams(c, s, "example.org");
	}
	handshake_ok();
	ck_assert_str_eq(tls_peer_sha256(&P.cli.s), fp);
	ck_assert_ptr_nonnull(tls_peer_subject(&P.cli.s));
}
END_TEST

START_TEST(test_pin_wrong)
{
	struct tls_opts	 so, co;
	const char	*bad = "sha256:"
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	char		 want[256];

	memset(&so, 0, sizeof(so));
	memset(&co, 0, sizeof(co));
	co.pin = bad;
	pair_open(&so, &co, "localhost");
	ck_assert(!handshake());
	(void)snprintf(want, sizeof(want), "pin mismatch: the server's "
	    "certificate is %s, not %s", tls_ctx_fingerprint(P.sc), bad);
	client_failed(want, 1);
	ck_assert_str_eq(tls_peer_sha256(&P.cli.s), tls_ctx_fingerprint(P.sc));
}
END_TEST

START_TEST(test_insecure)
{
	struct tls_opts	 so, co;

	NEED_FIXTURES();
	fixture_server(&so, "expired.pem", "expired.key");
	memset(&co, 0, sizeof(co));
	co.insecure = 1;
	pair_open(&so, &co, "example.org");
	handshake_ok();
	ck_assert_ptr_null(tls_peer_subject(&P.cli.s));	/* not verified */
	ck_assert_str_eq(tls_peer_sha256(&P.cli.s), tls_ctx_fingerprint(P.sc));
	ck_assert_str_eq(tls_sni(&P.srv.s), "example.org");
	exchange(100, 100);
}
END_TEST

/*
 * Client certificates.
 */

static int
mtls(const char *cert, const char *key, int max_version)
{
	struct tls_opts	 so, co;

	fixture_server(&so, "server.pem", "server.key");
	so.client_ca = fx("ca.pem");
	so.max_version = max_version;
	memset(&co, 0, sizeof(co));
	co.ca = fx("ca.pem");
	co.cert = cert != NULL ? fx(cert) : NULL;
	co.key = key != NULL ? fx(key) : NULL;
	pair_open(&so, &co, "localhost");
	return (handshake());
}

/*
 * TLS 1.3 clients finish before the server has judged their
 * certificate: the refusal arrives on their first read.
 */
static void
client_refused(const char *what)
{
	const char	*e;

	if (P.cli.hs == 1) {
		P.cli.reading = 1;
		run_until(cli_done_reading);
		ck_assert_int_eq(P.cli.rerr, EPROTO);
	}
	e = tls_stream_error(&P.cli.s);
	ck_assert_ptr_nonnull(e);
	ck_assert_msg(strstr(e, what) != NULL, "client error \"%s\" lacks "
	    "\"%s\"", e, what);
	ck_assert_int_eq(tls_stream_auth_failed(&P.cli.s), 1);
}

START_TEST(test_mtls_missing)
{
	NEED_FIXTURES();
	ck_assert(!mtls(NULL, NULL, _i == 0 ? 13 : 12));
	server_failed("peer did not send a certificate", 1);
	client_refused("the server requires a client certificate");
}
END_TEST

START_TEST(test_mtls_other_ca)
{
	NEED_FIXTURES();
	ck_assert(!mtls("other-client.pem", "other-client.key",
	    _i == 0 ? 13 : 12));
	server_failed("client certificate verify failed: unable to get "
	    "local issuer certificate", 1);
	client_refused("the server refused our certificate");
}
END_TEST

START_TEST(test_mtls_ok)
{
	NEED_FIXTURES();
	ck_assert(mtls("client.pem", "client.key", _i == 0 ? 13 : 12));
	ck_assert_str_eq(tls_peer_subject(&P.srv.s),
	    "O=sockit test, CN=sockit client");
	ck_assert_str_eq(tls_peer_sha256(&P.srv.s), tls_ctx_fingerprint(P.cc));
	ck_assert_str_eq(tls_peer_subject(&P.cli.s),
	    "O=sockit test, CN=localhost");
	exchange(1000, 1000);
}
END_TEST

/* A server pin asks for a client certificate and takes only that one. */
START_TEST(test_mtls_pin)
{
	struct tls_opts	 so, co;
	struct tls_ctx	*probe;

	NEED_FIXTURES();
	memset(&co, 0, sizeof(co));
	co.insecure = 1;
	co.cert = fx("other-client.pem");
	co.key = fx("other-client.key");
	ck_assert_ptr_nonnull(probe = tls_ctx_new(&co, cerr, sizeof(cerr)));
	memset(&so, 0, sizeof(so));
	so.pin = tls_ctx_fingerprint(probe);
	pair_open(&so, &co, "localhost");
	tls_ctx_free(probe);
	handshake_ok();
	ck_assert_str_eq(tls_peer_sha256(&P.srv.s), tls_ctx_fingerprint(P.cc));
	ck_assert_str_eq(tls_peer_subject(&P.srv.s),
	    "O=sockit other, CN=sockit other client");
}
END_TEST

/*
 * ALPN, versions, SNI.
 */

static int
alpn(const char *server, const char *client)
{
	struct tls_opts	 so, co;

	memset(&so, 0, sizeof(so));
	memset(&co, 0, sizeof(co));
	so.alpn = server;
	co.alpn = client;
	co.insecure = 1;
	pair_open(&so, &co, "localhost");
	return (handshake());
}

START_TEST(test_alpn_match)
{
	ck_assert(alpn("h2,http/1.1", "http/1.1"));
	ck_assert_str_eq(tls_alpn(&P.cli.s), "http/1.1");
	ck_assert_str_eq(tls_alpn(&P.srv.s), "http/1.1");
}
END_TEST

/* The server's preference wins. */
START_TEST(test_alpn_server_order)
{
	ck_assert(alpn("h2,http/1.1", "http/1.1,h2"));
	ck_assert_str_eq(tls_alpn(&P.cli.s), "h2");
}
END_TEST

START_TEST(test_alpn_none_in_common)
{
	ck_assert(!alpn("h2,http/1.1", "spdy/3,x"));
	server_failed("ALPN: no protocol in common (the client offered "
	    "spdy/3, x)", 0);
	client_failed("ALPN: the server accepts none of the protocols", 0);
}
END_TEST

/* Only one side speaks ALPN: no protocol, no failure. */
START_TEST(test_alpn_one_side)
{
	ck_assert(alpn(NULL, "h2"));
	ck_assert_ptr_null(tls_alpn(&P.cli.s));
	teardown();
	setup();
	ck_assert(alpn("h2", NULL));
	ck_assert_ptr_null(tls_alpn(&P.srv.s));
}
END_TEST

START_TEST(test_version_client_min13)
{
	struct tls_opts	 so, co;

	memset(&so, 0, sizeof(so));
	memset(&co, 0, sizeof(co));
	so.max_version = 12;
	co.min_version = 13;
	co.insecure = 1;
	pair_open(&so, &co, "localhost");
	ck_assert(!handshake());
	client_failed("protocol version: peer does not support TLS 1.3", 0);
	server_failed("protocol version: peer requires TLS 1.3 or newer "
	    "(maximum here: TLS 1.2)", 0);
}
END_TEST

START_TEST(test_version_server_min13)
{
	struct tls_opts	 so, co;

	memset(&so, 0, sizeof(so));
	memset(&co, 0, sizeof(co));
	so.min_version = 13;
	co.max_version = 12;
	co.insecure = 1;
	pair_open(&so, &co, "localhost");
	ck_assert(!handshake());
	server_failed("protocol version: peer supports only up to TLS 1.2 "
	    "(minimum here: TLS 1.3)", 0);
	client_failed("protocol version", 0);
}
END_TEST

START_TEST(test_sni)
{
	struct tls_opts	 so, co;

	memset(&so, 0, sizeof(so));
	memset(&co, 0, sizeof(co));
	co.insecure = 1;
	pair_open(&so, &co, "Host.Example");
	handshake_ok();
	ck_assert_str_eq(tls_sni(&P.srv.s), "Host.Example");
	ck_assert_ptr_null(tls_sni(&P.cli.s));	/* a server's question */
}
END_TEST

/*
 * The made-up certificate, inspected with OpenSSL itself.
 */

#ifdef HAVE_OPENSSL
/* Runs a bare OpenSSL client against the server end; returns its cert. */
static X509 *
raw_server_cert(void)
{
	SSL_CTX		*ctx;
	SSL		*ssl;
	X509		*x;
	struct pollfd	 pfd;
	int		 c, s, r, i;

	tcp_pair(&c, &s);
	P.srv.fd = s;
	ck_assert_int_eq(tls_stream_init(&P.srv.s, P.sc, s, NULL, serr,
	    sizeof(serr)), 0);
	P.srv.fd = -1;
	ck_assert_ptr_nonnull(ctx = SSL_CTX_new(TLS_client_method()));
	ck_assert_ptr_nonnull(ssl = SSL_new(ctx));
	ck_assert_int_eq(SSL_set_fd(ssl, c), 1);
	for (i = 0; i < 1000; i++) {
		r = SSL_connect(ssl);
		if (P.srv.hs == 0)
			end_handshake(&P.srv);
		if (r == 1 && P.srv.hs != 0)
			break;
		pfd.fd = c;
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, 10);
	}
	ck_assert_int_eq(r, 1);
	ck_assert_int_eq(P.srv.hs, 1);
	ck_assert_ptr_nonnull(x = SSL_get1_peer_certificate(ssl));
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	(void)close(c);
	return (x);
}

static int
has_san(X509 *x, int type, const char *value)
{
	GENERAL_NAMES	*gens;
	GENERAL_NAME	*g;
	ASN1_OCTET_STRING *ip = NULL;
	int		 i, found = 0;

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (type == GEN_IPADD)
		ck_assert_ptr_nonnull(ip = a2i_IPADDRESS(value));
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != type)
			continue;
		if (type == GEN_DNS && strcmp((const char *)
		    ASN1_STRING_get0_data(g->d.dNSName), value) == 0)
			found = 1;
		if (type == GEN_IPADD &&
		    ASN1_OCTET_STRING_cmp(g->d.iPAddress, ip) == 0)
			found = 1;
	}
	ASN1_OCTET_STRING_free(ip);
	GENERAL_NAMES_free(gens);
	return (found);
}
#endif

START_TEST(test_autocert)
{
#ifdef HAVE_OPENSSL
	struct tls_opts	 so;
	X509		*x;
	EVP_PKEY	*pk;
	unsigned char	 md[32];
	unsigned int	 n;
	char		 hex[TLS_SHA256_LEN];
	int		 days, secs;
	size_t		 i;

	memset(&so, 0, sizeof(so));
	so.server = 1;
	so.cert_names = "127.0.0.1,::,my-host.example,[::1],0.0.0.0";
	ck_assert_ptr_nonnull(P.sc = tls_ctx_new(&so, serr, sizeof(serr)));
	x = raw_server_cert();
	ck_assert(has_san(x, GEN_DNS, "localhost"));
	ck_assert(has_san(x, GEN_DNS, "my-host.example"));
	ck_assert(has_san(x, GEN_IPADD, "127.0.0.1"));
	ck_assert(has_san(x, GEN_IPADD, "::1"));
	ck_assert(!has_san(x, GEN_IPADD, "0.0.0.0"));
	ck_assert(!has_san(x, GEN_IPADD, "::"));
	ck_assert_int_eq(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	ck_assert_ptr_nonnull(pk = X509_get0_pubkey(x));
	ck_assert(EVP_PKEY_is_a(pk, "EC"));
	ck_assert_int_eq(EVP_PKEY_get_bits(pk), 256);
	/* Valid since a little while ago, for a few days. */
	ck_assert_int_lt(X509_cmp_current_time(X509_get0_notBefore(x)), 0);
	ck_assert_int_eq(ASN1_TIME_diff(&days, &secs, NULL,
	    X509_get0_notAfter(x)), 1);
	ck_assert_int_ge(days, 4);
	ck_assert_int_le(days, 7);
	ck_assert_int_eq(X509_check_ca(x), 0);
	/* The fingerprint is the SHA-256 of the DER certificate. */
	ck_assert_int_eq(X509_digest(x, EVP_sha256(), md, &n), 1);
	(void)snprintf(hex, sizeof(hex), "sha256:");
	for (i = 0; i < n; i++)
		(void)snprintf(hex + 7 + 2 * i, 3, "%02x", md[i]);
	ck_assert_str_eq(tls_ctx_fingerprint(P.sc), hex);
	X509_free(x);
#endif
}
END_TEST

/* Two servers, two certificates. */
START_TEST(test_autocert_fresh)
{
	struct tls_opts	 so;
	struct tls_ctx	*a, *b;

	memset(&so, 0, sizeof(so));
	so.server = 1;
	ck_assert_ptr_nonnull(a = tls_ctx_new(&so, serr, sizeof(serr)));
	ck_assert_ptr_nonnull(b = tls_ctx_new(&so, serr, sizeof(serr)));
	ck_assert(is_fingerprint(tls_ctx_fingerprint(a)));
	ck_assert_str_ne(tls_ctx_fingerprint(a), tls_ctx_fingerprint(b));
	tls_ctx_free(a);
	tls_ctx_free(b);
	so.cert_names = "ok, a/b";
	errno = 0;
	ck_assert_ptr_null(tls_ctx_new(&so, serr, sizeof(serr)));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(serr, "certificate name a/b: not a host name or IP "
	    "address");
}
END_TEST

/*
 * Context errors: one line that names the option and the reason.
 */

static void
ctx_fails(struct tls_opts *o, int err, const char *want)
{
	struct tls_ctx	*tc;
	char		 buf[TLS_ERR_LEN];

	errno = 0;
	tc = tls_ctx_new(o, buf, sizeof(buf));
	ck_assert_ptr_null(tc);
	ck_assert_int_eq(errno, err);
	ck_assert_msg(strcmp(buf, want) == 0, "\"%s\" is not \"%s\"", buf,
	    want);
#ifdef HAVE_OPENSSL
	ck_assert_uint_eq(ERR_peek_error(), 0);	/* nothing left queued */
#endif
}

START_TEST(test_ctx_errors)
{
	struct tls_opts	 o;
	char		 want[512];

	memset(&o, 0, sizeof(o));
	o.server = 1;
	o.cert = "/nonexistent/x.pem";
	ctx_fails(&o, ENOENT,
	    "--tls-cert /nonexistent/x.pem: No such file or directory");
	o.cert = "/";
	ctx_fails(&o, EISDIR, "--tls-cert /: Is a directory");
	o.cert = "/dev/null";
	ctx_fails(&o, EINVAL, "--tls-cert /dev/null: no PEM data found");
	memset(&o, 0, sizeof(o));
	o.key = "k.pem";
	ctx_fails(&o, EINVAL, "--tls-key needs --tls-cert");
	memset(&o, 0, sizeof(o));
	o.pin = "sha256:abc";
	ctx_fails(&o, EINVAL,
	    "--tls-pin sha256:abc: expected sha256: and 64 hex digits");
	memset(&o, 0, sizeof(o));
	o.alpn = "h2,,x";
	ctx_fails(&o, EINVAL, "--tls-alpn h2,,x: a comma-separated list of "
	    "protocol names (1 to 255 bytes each)");
	memset(&o, 0, sizeof(o));
	o.min_version = 11;
	ctx_fails(&o, EINVAL, "--tls-min: 1.2 or 1.3");
	memset(&o, 0, sizeof(o));
	o.ciphers = "NOPE";
	ctx_fails(&o, EINVAL, "--tls-ciphers NOPE: no cipher matches");
	memset(&o, 0, sizeof(o));
	o.ciphersuites = "NOPE";
	ctx_fails(&o, EINVAL,
	    "--tls-ciphersuites NOPE: no cipher suite matches");
	memset(&o, 0, sizeof(o));
	o.ca = "/nonexistent";
	ctx_fails(&o, ENOENT, "--tls-ca /nonexistent: No such file or "
	    "directory");
	o.ca = "/dev/null";
	ctx_fails(&o, EINVAL, "--tls-ca /dev/null: no certificate or crl "
	    "found");
	if (fixdir[0] == '\0')
		return;
	memset(&o, 0, sizeof(o));
	o.server = 1;
	o.cert = fx("server.pem");
	o.key = fx("client.key");
	(void)snprintf(want, sizeof(want), "--tls-key %s: key does not match "
	    "the certificate", fx("client.key"));
	ctx_fails(&o, EINVAL, want);
	/* An encrypted key never prompts. */
	(void)snprintf(want, sizeof(want), "openssl pkey -in %s -aes128 "
	    "-passout pass:x -out %s", fx("server.key"), fx("enc.key"));
	ck_assert_int_eq(system(want), 0);
	o.key = fx("enc.key");
	(void)snprintf(want, sizeof(want), "--tls-key %s: the key is "
	    "encrypted (sockit reads unencrypted keys)", fx("enc.key"));
	ctx_fails(&o, EINVAL, want);
	(void)unlink(fx("enc.key"));
	/* A key in the certificate file. */
	(void)snprintf(want, sizeof(want), "cat %s %s > %s", fx("server.pem"),
	    fx("server.key"), fx("both.pem"));
	ck_assert_int_eq(system(want), 0);
	o.cert = fx("both.pem");
	o.key = NULL;
	ck_assert_ptr_nonnull(P.sc = tls_ctx_new(&o, serr, sizeof(serr)));
	(void)unlink(fx("both.pem"));
	memset(&o, 0, sizeof(o));
	o.server = 1;
	o.client_ca = "/nonexistent";
	ctx_fails(&o, ENOENT, "--tls-client-ca /nonexistent: No such file or "
	    "directory");
}
END_TEST

/* A failure on one connection says nothing about another. */
START_TEST(test_errors_isolated)
{
	struct tls_opts	 so, co;
	struct tls_ctx	*bad;
	struct end	 other;
	int		 c, s;

	memset(&so, 0, sizeof(so));
	memset(&co, 0, sizeof(co));
	co.pin = "sha256:"
	    "0000000000000000000000000000000000000000000000000000000000000000";
	pair_open(&so, &co, "localhost");
	ck_assert(!handshake());
	ck_assert_ptr_nonnull(tls_stream_error(&P.cli.s));
	/* A good client in the same process, on the same server context. */
	end_free(&P.cli);
	end_free(&P.srv);
	memset(&P.cli, 0, sizeof(P.cli));
	memset(&P.srv, 0, sizeof(P.srv));
	P.cli.fd = P.srv.fd = -1;
	bad = P.cc;
	co.pin = tls_ctx_fingerprint(P.sc);
	ck_assert_ptr_nonnull(P.cc = tls_ctx_new(&co, cerr, sizeof(cerr)));
	/* A stream on the failed context that never runs. */
	memset(&other, 0, sizeof(other));
	tcp_pair(&c, &s);
	(void)close(s);
	ck_assert_int_eq(tls_stream_init(&other.s, bad, c, "localhost", cerr,
	    sizeof(cerr)), 0);
	tcp_pair(&c, &s);
	open_streams(c, s, "localhost");
	handshake_ok();
	exchange(10, 10);
	ck_assert_ptr_null(tls_stream_error(&other.s));
	ck_assert_int_eq(tls_stream_auth_failed(&other.s), 0);
	stream_close(&other.s);
	tls_ctx_free(bad);
}
END_TEST

/*
 * Not TLS at all on the other end.
 */

START_TEST(test_not_tls_server)
{
	struct tls_opts	 so, co;
	int		 c, s;
	const char	*reply = "HTTP/1.0 400 Bad Request\r\n\r\n";

	memset(&so, 0, sizeof(so));
	memset(&co, 0, sizeof(co));
	co.insecure = 1;
	make_ctxs(&so, &co);
	tcp_pair(&c, &s);
	P.srv.fd = s;
	P.cli.fd = c;
	ck_assert_int_eq(tls_stream_init(&P.cli.s, P.cc, c, "localhost", cerr,
	    sizeof(cerr)), 0);
	P.cli.fd = -1;
	ck_assert_int_eq(write(s, reply, strlen(reply)),
	    (ssize_t)strlen(reply));
	P.srv.hs = 1;		/* a plain socket: nothing to run */
	end_handshake(&P.cli);
	while (P.cli.hs == 0) {
		struct pollfd	pfd = { c, POLLIN, 0 };

		ck_assert_int_eq(poll(&pfd, 1, RUN_MS), 1);
		end_handshake(&P.cli);
	}
	client_failed("not TLS: the peer sent something else", 0);
	ck_assert_int_eq(P.cli.hs_errno, EPROTO);
}
END_TEST

START_TEST(test_not_tls_client)
{
	struct tls_opts	 so, co;
	int		 c, s;
	const char	*req = "GET / HTTP/1.0\r\n\r\n";

	memset(&so, 0, sizeof(so));
	memset(&co, 0, sizeof(co));
	co.insecure = 1;
	make_ctxs(&so, &co);
	tcp_pair(&c, &s);
	P.cli.fd = c;
	P.srv.fd = s;
	ck_assert_int_eq(tls_stream_init(&P.srv.s, P.sc, s, NULL, serr,
	    sizeof(serr)), 0);
	P.srv.fd = -1;
	ck_assert_int_eq(write(c, req, strlen(req)), (ssize_t)strlen(req));
	P.cli.hs = 1;
	end_handshake(&P.srv);
	run_until(hs_settled);
	server_failed("not TLS: the peer sent something else (http request)",
	    0);
}
END_TEST

/* A peer that closes during the handshake. */
START_TEST(test_closed_in_handshake)
{
	struct tls_opts	 so, co;
	int		 c, s;

	memset(&so, 0, sizeof(so));
	memset(&co, 0, sizeof(co));
	co.insecure = 1;
	make_ctxs(&so, &co);
	tcp_pair(&c, &s);
	P.cli.fd = c;
	ck_assert_int_eq(tls_stream_init(&P.cli.s, P.cc, c, "localhost", cerr,
	    sizeof(cerr)), 0);
	P.cli.fd = -1;
	ck_assert_int_eq(shutdown(s, SHUT_WR), 0);
	P.srv.fd = s;
	P.srv.hs = 1;
	end_handshake(&P.cli);
	run_until(hs_settled);
	client_failed("connection closed during the TLS handshake", 0);
	ck_assert_int_eq(P.cli.hs_errno, ECONNRESET);
}
END_TEST

/* A build without OpenSSL refuses clearly. */
START_TEST(test_unavailable)
{
	struct tls_opts	 o;
	struct stream	 s;
	char		 buf[TLS_ERR_LEN];

	ck_assert_int_eq(tls_available(), 0);
	memset(&o, 0, sizeof(o));
	errno = 0;
	ck_assert_ptr_null(tls_ctx_new(&o, buf, sizeof(buf)));
	ck_assert_int_eq(errno, ENOTSUP);
	ck_assert_str_eq(buf,
	    "sockit was built without TLS (configure --with-openssl)");
	memset(&s, 0, sizeof(s));
	errno = 0;
	ck_assert_int_eq(tls_stream_init(&s, NULL, -1, "x", buf, sizeof(buf)),
	    -1);
	ck_assert_int_eq(errno, ENOTSUP);
	ck_assert_int_eq(tls_handshake(&s), -1);
	ck_assert_int_eq(errno, ENOTSUP);
	ck_assert_ptr_null(tls_ctx_fingerprint(NULL));
	tls_ctx_free(NULL);
}
END_TEST

static void
rmtree(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		 p[512];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		(void)snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		(void)unlink(p);
	}
	(void)closedir(d);
	(void)rmdir(dir);
}

/* Makes the certificates once for every test; "" when it cannot. */
static void
fixtures_make(void)
{
	char	cmd[512];

	fixdir[0] = '\0';
	if (system("command -v openssl >/dev/null 2>&1") != 0) {
		fprintf(stderr, "check_tls: no openssl CLI: skipping the "
		    "certificate cases\n");
		return;
	}
	(void)strcpy(fixdir, "/tmp/sockit-tls.XXXXXX");
	if (mkdtemp(fixdir) == NULL) {
		perror("check_tls: mkdtemp");
		exit(1);
	}
	(void)snprintf(cmd, sizeof(cmd), "sh '%s' '%s'", TLS_FIXTURES,
	    fixdir);
	if (system(cmd) != 0) {
		fprintf(stderr, "check_tls: %s failed\n", cmd);
		rmtree(fixdir);
		exit(1);
	}
}

static TCase *
tcase(Suite *s, const char *name)
{
	TCase	*tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return (tc);
}

static Suite *
tls_suite(void)
{
	Suite	*s = suite_create("tls");
	TCase	*tc;

	if (!tls_available()) {
		tc = tcase(s, "unavailable");
		tcase_add_test(tc, test_unavailable);
		return (s);
	}
	tc = tcase(s, "handshake");
	tcase_add_test(tc, test_handshake_pin_auto);
	tcase_add_test(tc, test_handshake_tls12);
	tcase_add_test(tc, test_handshake_wants);
	tcase_add_test(tc, test_handshake_wants_write);
	tcase_add_test(tc, test_handshake_unix);
	tcase_add_test(tc, test_closed_in_handshake);
	tcase_add_test(tc, test_not_tls_server);
	tcase_add_test(tc, test_not_tls_client);

	/* Loop tests: 0 is TLS 1.3, 1 is TLS 1.2. */
	tc = tcase(s, "data");
	tcase_add_loop_test(tc, test_data_small, 0, 2);
	tcase_add_loop_test(tc, test_data_big, 0, 2);
	tcase_add_test(tc, test_write_collect);
	tcase_add_test(tc, test_write_collect_full_socket);
	tcase_add_test(tc, test_write_no_collect);
	tcase_add_test(tc, test_data_moving_buffer);

	tc = tcase(s, "halfclose");
	tcase_add_loop_test(tc, test_halfclose_client, 0, 2);
	tcase_add_loop_test(tc, test_halfclose_server, 0, 2);

	tc = tcase(s, "relay");
	tcase_add_loop_test(tc, test_relay_echo, 0, 2);

	tc = tcase(s, "truncation");
	tcase_add_loop_test(tc, test_truncated, 0, 2);
	tcase_add_loop_test(tc, test_truncation_allowed, 0, 2);
	tcase_add_loop_test(tc, test_reset, 0, 2);

	tc = tcase(s, "pending");
	tcase_add_loop_test(tc, test_pending_record, 0, 2);
	tcase_add_loop_test(tc, test_pending_records, 0, 2);
	tcase_add_loop_test(tc, test_pending_read_ahead, 0, 2);
	tcase_add_loop_test(tc, test_nagle, 0, 2);
	tcase_add_loop_test(tc, test_pending_eof_after_data, 0, 2);

	tc = tcase(s, "memory");
	tcase_add_loop_test(tc, test_memory_idle, 0, 2);

	tc = tcase(s, "verify");
	tcase_add_test(tc, test_verify_ok);
	tcase_add_test(tc, test_verify_chain_file);
	tcase_add_test(tc, test_verify_self_signed);
	tcase_add_test(tc, test_verify_name);
	tcase_add_test(tc, test_verify_expired);
	tcase_add_test(tc, test_verify_other_ca);
	tcase_add_test(tc, test_verify_ip);
	tcase_add_test(tc, test_verify_ip6);
	tcase_add_test(tc, test_verify_ip_mismatch);
	tcase_add_test(tc, test_verify_name_option);
	tcase_add_test(tc, test_verify_name_option_wrong);

	tc = tcase(s, "pin");
	tcase_add_test(tc, test_pin_ok);
	tcase_add_test(tc, test_pin_wrong);
	tcase_add_test(tc, test_insecure);

	tc = tcase(s, "mtls");
	tcase_add_loop_test(tc, test_mtls_missing, 0, 2);
	tcase_add_loop_test(tc, test_mtls_other_ca, 0, 2);
	tcase_add_loop_test(tc, test_mtls_ok, 0, 2);
	tcase_add_test(tc, test_mtls_pin);

	tc = tcase(s, "alpn");
	tcase_add_test(tc, test_alpn_match);
	tcase_add_test(tc, test_alpn_server_order);
	tcase_add_test(tc, test_alpn_none_in_common);
	tcase_add_test(tc, test_alpn_one_side);

	tc = tcase(s, "version");
	tcase_add_test(tc, test_version_client_min13);
	tcase_add_test(tc, test_version_server_min13);

	tc = tcase(s, "sni");
	tcase_add_test(tc, test_sni);

	tc = tcase(s, "autocert");
	tcase_add_test(tc, test_autocert);
	tcase_add_test(tc, test_autocert_fresh);

	tc = tcase(s, "errors");
	tcase_add_test(tc, test_ctx_errors);
	tcase_add_test(tc, test_errors_isolated);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	(void)signal(SIGPIPE, SIG_IGN);
	if (tls_available())
		fixtures_make();
	sr = srunner_create(tls_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (fixdir[0] != '\0')
		rmtree(fixdir);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
