/*
 * Unit tests for the socket utilities: TCP on 127.0.0.1 port 0, Unix
 * sockets under a private mktemp -d directory, whole-buffer I/O over
 * socketpairs, and address formatting.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "addr.h"
#include "sock.h"

#define IO_LEN		(8 * 1024 * 1024)	/* beyond any socket buffer */
#define FILL_MAX	64	/* connects tried to fill a backlog */

static char	err[SOCK_ERR_LEN];

static void
assert_flags(int fd, int nonblock)
{
	int	fl, fdfl;

	ck_assert_int_ne(fl = fcntl(fd, F_GETFL), -1);
	ck_assert_int_ne(fdfl = fcntl(fd, F_GETFD), -1);
	/* Every fd sock.c makes is close-on-exec from birth. */
	ck_assert_msg(fdfl & FD_CLOEXEC, "fd %d lacks FD_CLOEXEC", fd);
	if (nonblock)
		ck_assert_msg(fl & O_NONBLOCK, "fd %d is blocking", fd);
	else
		ck_assert_msg(!(fl & O_NONBLOCK), "fd %d is non-blocking", fd);
}

static const struct sock_listen_opts	tcp_opts = { 0, 0, SOCK_STREAM };

/* A TCP listener on 127.0.0.1 and an ephemeral port. */
static int
listen_lo(const struct sock_listen_opts *o, char port[8])
{
	int	fd;

	fd = sock_listen_inet("127.0.0.1", "0", AF_INET, o, err);
	ck_assert_msg(fd != -1, "listen: %s: %s", err, strerror(errno));
	ck_assert_int_gt(sock_local_port(fd), 0);
	snprintf(port, 8, "%d", sock_local_port(fd));
	return (fd);
}

/* SOCK_STREAM or SOCK_DGRAM, as the kernel sees fd. */
static int
socktype(int fd)
{
	int		v;
	socklen_t	len = sizeof(v);

	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len), 0);
	return (v);
}

/* listen */

START_TEST(test_listen_port0)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	char			port[8], want[32], got[SOCK_ADDR_LEN];
	int			fd;

	fd = listen_lo(&tcp_opts, port);
	assert_flags(fd, 1);
	ck_assert_int_eq(socktype(fd), SOCK_STREAM);
	snprintf(want, sizeof(want), "127.0.0.1:%s", port);
	sock_local_str(fd, got, sizeof(got));
	ck_assert_str_eq(got, want);
	/* Nothing pending: a non-blocking accept says so. */
	errno = 0;
	ck_assert_int_eq(sock_accept(fd, &ss, &len), -1);
	ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);
	(void)close(fd);
}
END_TEST

START_TEST(test_listen_default_host)
{
	char	got[SOCK_ADDR_LEN];
	int	fd;

	/* An empty host is loopback, never the wildcard. */
	fd = sock_listen_inet("", "0", AF_INET, &tcp_opts, err);
	ck_assert_int_ne(fd, -1);
	sock_local_str(fd, got, sizeof(got));
	ck_assert_msg(strncmp(got, "127.0.0.1:", 10) == 0, "%s", got);
	(void)close(fd);
	fd = sock_listen_inet(NULL, "0", AF_INET, &tcp_opts, err);
	ck_assert_int_ne(fd, -1);
	sock_local_str(fd, got, sizeof(got));
	ck_assert_msg(strncmp(got, "127.0.0.1:", 10) == 0, "%s", got);
	(void)close(fd);
}
END_TEST

START_TEST(test_listen_dgram)
{
	struct sock_listen_opts	o = { 0, 0, SOCK_DGRAM };
	char			port[8];
	int			fd;

	fd = listen_lo(&o, port);
	ck_assert_int_eq(socktype(fd), SOCK_DGRAM);
	assert_flags(fd, 1);
	(void)close(fd);
}
END_TEST

START_TEST(test_listen_in_use)
{
	char	port[8];
	int	fd, fd2;

	fd = listen_lo(&tcp_opts, port);
	/* SO_REUSEADDR does not let two listeners share a port. */
	errno = 0;
	err[0] = '\0';
	fd2 = sock_listen_inet("127.0.0.1", port, AF_INET, &tcp_opts, err);
	ck_assert_int_eq(fd2, -1);
	ck_assert_int_eq(errno, EADDRINUSE);
	ck_assert_msg(strstr(err, port) != NULL, "err: %s", err);
	(void)close(fd);
}
END_TEST

START_TEST(test_listen_reuseport)
{
	struct sock_listen_opts	o = { 16, 1, SOCK_STREAM };
	char			port[8];
	int			fd, fd2;

	fd = listen_lo(&o, port);
	fd2 = sock_listen_inet("127.0.0.1", port, AF_INET, &o, err);
	ck_assert_msg(fd2 != -1, "%s: %s", err, strerror(errno));
	ck_assert_int_eq(sock_local_port(fd2), atoi(port));
	(void)close(fd2);
	(void)close(fd);
}
END_TEST

START_TEST(test_listen_options)
{
	socklen_t	len;
	int		sv[2], v;


	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(sock_set_nonblock(sv[0], 1), 0);
	ck_assert_int_eq(sock_set_cloexec(sv[0]), 0);
	assert_flags(sv[0], 1);
	ck_assert_int_eq(sock_set_nonblock(sv[0], 0), 0);
	assert_flags(sv[0], 0);
	ck_assert_int_eq(sock_set_keepalive(sv[0]), 0);
	len = sizeof(v);
	ck_assert_int_eq(getsockopt(sv[0], SOL_SOCKET, SO_KEEPALIVE, &v,
	    &len), 0);
	ck_assert_int_ne(v, 0);
	/* TCP_NODELAY on a Unix socket is an error, reported as such. */
	ck_assert_int_eq(sock_set_nodelay(sv[0]), -1);
	(void)close(sv[0]);
	(void)close(sv[1]);
	errno = 0;
	ck_assert_int_eq(sock_set_nonblock(sv[0], 1), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(sock_set_cloexec(sv[0]), -1);
}
END_TEST

/* connect and accept */

START_TEST(test_connect_ok)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	char			port[8], a[SOCK_ADDR_LEN], b[SOCK_ADDR_LEN];
	int			lfd, cfd, afd, v = 0;

	lfd = listen_lo(&tcp_opts, port);
	cfd = sock_connect_inet("127.0.0.1", port, AF_INET, SOCK_STREAM,
	    _i == 0 ? 2000 : 0, err);
	ck_assert_msg(cfd != -1, "%s: %s", err, strerror(errno));
	/* A connected fd comes back blocking, but still close-on-exec. */
	assert_flags(cfd, 0);
	sock_peer_str(cfd, a, sizeof(a));
	sock_local_str(lfd, b, sizeof(b));
	ck_assert_str_eq(a, b);

	/* Accepted fds are non-blocking and close-on-exec (accept4). */
	afd = sock_accept(lfd, &ss, &len);
	ck_assert_int_ne(afd, -1);
	assert_flags(afd, 1);
	ck_assert_int_eq(ss.ss_family, AF_INET);
	ck_assert_uint_eq(len, sizeof(struct sockaddr_in));
	sock_addr_str((struct sockaddr *)&ss, len, a, sizeof(a));
	sock_local_str(cfd, b, sizeof(b));
	ck_assert_str_eq(a, b);
	sock_peer_str(afd, a, sizeof(a));
	ck_assert_str_eq(a, b);

	ck_assert_int_eq(sock_write_all(cfd, "hi", 2), 2);
	ck_assert_int_eq(sock_read_full(afd, &v, 2), 2);
	ck_assert_mem_eq(&v, "hi", 2);
	(void)close(afd);
	(void)close(cfd);
	(void)close(lfd);
}
END_TEST

START_TEST(test_connect_refused)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	char			port[8];
	int			fd;

	/*
	 * A bound socket that never listens holds the port, so the refusal
	 * cannot race with another program taking it.
	 */
	ck_assert_int_ne(fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0),
	    -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(port, sizeof(port), "%u", ntohs(sin.sin_port));
	errno = 0;
	ck_assert_int_eq(sock_connect_inet("127.0.0.1", port, AF_INET,
	    SOCK_STREAM, _i == 0 ? 2000 : 0, err), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	(void)close(fd);
}
END_TEST

START_TEST(test_connect_timeout)
{
	struct sock_listen_opts	o = { 1, 0, SOCK_STREAM };
	char			port[8];
	int			lfd, fds[FILL_MAX], i, n;

	/*
	 * Nobody accepts and the backlog is tiny: once the accept queue is
	 * full, Linux drops further SYNs and a connect can only time out.
	 */
	lfd = listen_lo(&o, port);
	for (n = 0; n < FILL_MAX; n++) {
		errno = 0;
		fds[n] = sock_connect_inet("127.0.0.1", port, AF_INET,
		    SOCK_STREAM, 100, err);
		if (fds[n] == -1)
			break;
	}
	ck_assert_int_lt(n, FILL_MAX);
	ck_assert_int_eq(errno, ETIMEDOUT);
	for (i = 0; i < n; i++)
		(void)close(fds[i]);
	(void)close(lfd);
}
END_TEST

START_TEST(test_connect_timeout_fd)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);
	char			port[8];
	int			lfd, fd;

	lfd = listen_lo(&tcp_opts, port);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
	ck_assert_int_ne(fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0),
	    -1);
	ck_assert_int_eq(sock_connect_timeout(fd, (struct sockaddr *)&ss, len,
	    1000), 0);
	/* Found blocking, left blocking. */
	assert_flags(fd, 0);
	ck_assert_int_eq(sock_local_port(fd) > 0, 1);
	(void)close(fd);
	(void)close(lfd);
}
END_TEST

/* io */

struct io_job {
	int		 fd;
	const char	*buf;
	size_t		 len;
	ssize_t		 ret;
	int		 err;
};

static void *
writer(void *arg)
{
	struct io_job	*j = arg;

	j->ret = sock_write_all(j->fd, j->buf, j->len);
	j->err = errno;
	/* The reader's last read_full must see EOF, not wait forever. */
	(void)shutdown(j->fd, SHUT_WR);
	return (NULL);
}

static char *
pattern(size_t len)
{
	char	*p;
	size_t	 i;

	ck_assert_ptr_nonnull(p = malloc(len));
	for (i = 0; i < len; i++)
		p[i] = (char)(i % 253 ^ i >> 12);
	return (p);
}

/*
 * Moves IO_LEN bytes through a socketpair with a writer thread: every
 * write is short and every read is short, so both loops must continue.
 * _i == 1 makes both ends non-blocking, so both wait out EAGAIN in poll.
 */
START_TEST(test_io_thread)
{
	struct io_job	 j;
	pthread_t	 t;
	char		*in = pattern(IO_LEN), *out;
	size_t		 got = 0, step = 1;
	ssize_t		 n;
	int		 sv[2];

	ck_assert_ptr_nonnull(out = malloc(IO_LEN + 1));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    (_i ? SOCK_NONBLOCK : 0), 0, sv), 0);
	j.fd = sv[0];
	j.buf = in;
	j.len = IO_LEN;
	ck_assert_int_eq(pthread_create(&t, NULL, writer, &j), 0);
	/* Odd read sizes, growing: many calls straddle writer chunks. */
	while (got < IO_LEN) {
		step = step * 3 + 1;
		if (step > IO_LEN - got)
			step = IO_LEN - got;
		n = sock_read_full(sv[1], out + got, step);
		ck_assert_int_eq(n, (ssize_t)step);
		got += (size_t)n;
	}
	/* At EOF read_full returns what there is: nothing. */
	ck_assert_int_eq(sock_read_full(sv[1], out + got, 1), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(j.ret, IO_LEN);
	ck_assert_int_eq(memcmp(in, out, IO_LEN), 0);
	(void)close(sv[0]);
	(void)close(sv[1]);
	free(in);
	free(out);
}
END_TEST

/*
 * A thread that blocks in sock_read_full or sock_write_all; tid lets the
 * main thread see, in /proc, that it is waiting in poll().
 */
struct waiter {
	int		 fd;
	int		 writes;
	char		*buf;
	size_t		 len;
	ssize_t		 ret;
	long		 tid;
};

static void *
waiter_run(void *arg)
{
	struct waiter	*w = arg;

	__atomic_store_n(&w->tid, syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	w->ret = w->writes ? sock_write_all(w->fd, w->buf, w->len) :
	    sock_read_full(w->fd, w->buf, w->len);
	return (NULL);
}

/*
 * Spins until the waiter sleeps in poll: its EAGAIN has happened.  No
 * sleep involved; without /proc (or its syscall file) it returns at
 * once and the test only loses that guarantee.
 */
static void
wait_in_poll(struct waiter *w)
{
	char	file[64];
	long	nr;
	FILE	*f;
	int	n;

	while (__atomic_load_n(&w->tid, __ATOMIC_SEQ_CST) == 0)
		sched_yield();
	snprintf(file, sizeof(file), "/proc/self/task/%ld/syscall", w->tid);
	for (;;) {
		if ((f = fopen(file, "re")) == NULL)
			return;
		n = fscanf(f, "%ld", &nr);
		(void)fclose(f);
		if (n != 1)
			return;
#ifdef SYS_poll
		if (nr == SYS_poll)
			return;
#endif
#ifdef SYS_ppoll
		if (nr == SYS_ppoll)
			return;
#endif
		sched_yield();
	}
}

/*
 * Both ends non-blocking.  _i == 0: the reader finds nothing, waits in
 * poll, then gets its bytes in two writes.  _i == 1: the writer finds a
 * full buffer, waits in poll, and finishes once the reader drains it.
 */
START_TEST(test_io_eagain)
{
	struct waiter	w;
	pthread_t	t;
	char		*fill, *back;
	size_t		full = 0;
	ssize_t		n;
	int		sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, sv), 0);
	memset(&w, 0, sizeof(w));
	w.writes = _i;
	w.len = 1000;
	ck_assert_ptr_nonnull(w.buf = pattern(w.len));
	ck_assert_ptr_nonnull(fill = malloc(65536));
	memset(fill, 'f', 65536);
	if (w.writes) {
		w.fd = sv[0];
		while ((n = write(sv[0], fill, 65536)) > 0)
			full += (size_t)n;
		ck_assert_int_eq(errno, EAGAIN);
	} else
		w.fd = sv[1];
	ck_assert_int_eq(pthread_create(&t, NULL, waiter_run, &w), 0);
	wait_in_poll(&w);
	if (w.writes) {
		ck_assert_ptr_nonnull(back = malloc(full + w.len));
		ck_assert_int_eq(sock_read_full(sv[1], back, full + w.len),
		    (ssize_t)(full + w.len));
		ck_assert_int_eq(pthread_join(t, NULL), 0);
		ck_assert_int_eq(w.ret, (ssize_t)w.len);
		ck_assert_mem_eq(back + full, w.buf, w.len);
		free(back);
	} else {
		ck_assert_int_eq(write(sv[0], "0123456789", 10), 10);
		ck_assert_int_eq(write(sv[0], fill, w.len - 10),
		    (ssize_t)w.len - 10);
		ck_assert_int_eq(pthread_join(t, NULL), 0);
		ck_assert_int_eq(w.ret, (ssize_t)w.len);
		ck_assert_mem_eq(w.buf, "0123456789", 10);
	}
	(void)close(sv[0]);
	(void)close(sv[1]);
	free(w.buf);
	free(fill);
}
END_TEST

START_TEST(test_io_short_eof)
{
	char	buf[100];
	int	sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(sock_write_all(sv[0], "0123456789", 10), 10);
	ck_assert_int_eq(sock_write_all(sv[0], "", 0), 0);
	ck_assert_int_eq(shutdown(sv[0], SHUT_WR), 0);
	/* Fewer bytes than asked only at EOF. */
	ck_assert_int_eq(sock_read_full(sv[1], buf, sizeof(buf)), 10);
	ck_assert_mem_eq(buf, "0123456789", 10);
	ck_assert_int_eq(sock_read_full(sv[1], buf, sizeof(buf)), 0);
	ck_assert_int_eq(sock_read_full(sv[1], buf, 0), 0);
	(void)close(sv[0]);
	(void)close(sv[1]);
}
END_TEST

START_TEST(test_io_errors)
{
	char	buf[4] = "abc";
	int	sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	(void)close(sv[1]);
	/* SIGPIPE is ignored in main(): a dead peer is EPIPE. */
	errno = 0;
	ck_assert_int_eq(sock_write_all(sv[0], "x", 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	(void)close(sv[0]);
	errno = 0;
	ck_assert_int_eq(sock_read_full(sv[0], buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EBADF);
	errno = 0;
	ck_assert_int_eq(sock_write_all(sv[0], buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

/* format */

static void
fmt(const struct sockaddr *sa, socklen_t len, const char *want)
{
	char	buf[SOCK_ADDR_LEN];

	memset(buf, 'X', sizeof(buf));
	sock_addr_str(sa, len, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
}

static void
fmt4(const char *ip, unsigned port, const char *want)
{
	struct sockaddr_in	sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	fmt((struct sockaddr *)&sin, sizeof(sin), want);
}

static void
fmt6(const char *ip, unsigned port, const char *want)
{
	struct sockaddr_in6	sin6;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET6, ip, &sin6.sin6_addr), 1);
	fmt((struct sockaddr *)&sin6, sizeof(sin6), want);
}

START_TEST(test_format_inet)
{
	fmt4("127.0.0.1", 80, "127.0.0.1:80");
	fmt4("0.0.0.0", 0, "0.0.0.0:0");
	fmt4("255.255.255.255", 65535, "255.255.255.255:65535");
	fmt6("::1", 80, "[::1]:80");
	fmt6("::", 0, "[::]:0");
	fmt6("2001:db8::42", 443, "[2001:db8::42]:443");
	/* A dual-stack socket's IPv4 peer reads as IPv4. */
	fmt6("::ffff:127.0.0.1", 8080, "127.0.0.1:8080");
	fmt6("fe80:1:2:3:4:5:6:7", 65535, "[fe80:1:2:3:4:5:6:7]:65535");
}
END_TEST

START_TEST(test_format_unix)
{
	struct sockaddr_un	sun;
	socklen_t		base = offsetof(struct sockaddr_un, sun_path);
	char			longp[sizeof(sun.sun_path) + 1];

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, "/tmp/x.sock");
	/* With and without the NUL counted, as kernels differ. */
	fmt((struct sockaddr *)&sun, base + 12, "/tmp/x.sock");
	fmt((struct sockaddr *)&sun, base + 11, "/tmp/x.sock");
	fmt((struct sockaddr *)&sun, sizeof(sun), "/tmp/x.sock");
	/* Unnamed: a socketpair end, or an unbound client. */
	fmt((struct sockaddr *)&sun, base, "unix");
	fmt((struct sockaddr *)&sun, sizeof(sa_family_t), "unix");

	/* Abstract: a leading NUL, the name not terminated. */
	memset(sun.sun_path, 0, sizeof(sun.sun_path));
	memcpy(sun.sun_path + 1, "name", 4);
	fmt((struct sockaddr *)&sun, base + 5, "@name");
	fmt((struct sockaddr *)&sun, base + 3, "@na");

	/* A path filling sun_path with no NUL at all stays in bounds. */
	memset(sun.sun_path, 'p', sizeof(sun.sun_path));
	memset(longp, 'p', sizeof(sun.sun_path));
	longp[sizeof(sun.sun_path)] = '\0';
	fmt((struct sockaddr *)&sun, sizeof(sun), longp);
}
END_TEST

START_TEST(test_format_truncate)
{
	struct sockaddr_in	sin;
	struct sockaddr		sa;
	char			buf[16];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(80);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(buf, 'X', sizeof(buf));
	sock_addr_str((struct sockaddr *)&sin, sizeof(sin), buf, 6);
	/* Terminated inside the given size, nothing written past it. */
	ck_assert_str_eq(buf, "127.0");
	ck_assert_int_eq(buf[6], 'X');
	sock_addr_str((struct sockaddr *)&sin, sizeof(sin), buf, 1);
	ck_assert_str_eq(buf, "");

	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNSPEC;
	fmt(&sa, sizeof(sa), "?");
}
END_TEST

START_TEST(test_format_fds)
{
	char	buf[SOCK_ADDR_LEN];
	int	sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	sock_local_str(sv[0], buf, sizeof(buf));
	ck_assert_str_eq(buf, "unix");
	sock_peer_str(sv[0], buf, sizeof(buf));
	ck_assert_str_eq(buf, "unix");
	/* Only inet sockets have ports. */
	ck_assert_int_eq(sock_local_port(sv[0]), -1);
	(void)close(sv[0]);
	(void)close(sv[1]);
	sock_local_str(sv[0], buf, sizeof(buf));
	ck_assert_str_eq(buf, "?");
	sock_peer_str(sv[0], buf, sizeof(buf));
	ck_assert_str_eq(buf, "?");
	ck_assert_int_eq(sock_local_port(sv[0]), -1);
}
END_TEST

/*
 * unix: every test uses one path in a mktemp -d directory.  The
 * directory is made and removed outside the forked tests (an unchecked
 * fixture), so it goes away even when a test fails half-way; each test
 * starts and ends with the path cleared.
 */

static char	dirbuf[] = "/tmp/sockit.XXXXXX";
static char	path[64];
static struct addr_unix	ua;

static void
unix_clear(void)
{
	struct stat	st;

	/* A directory at path is one test's doing; so is a file. */
	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
		(void)rmdir(path);
	else
		(void)unlink(path);
}

static void
unix_dir_setup(void)
{
	char	aerr[ADDR_ERR_LEN];

	ck_assert_ptr_nonnull(mkdtemp(dirbuf));
	snprintf(path, sizeof(path), "%s/s", dirbuf);
	ck_assert_msg(addr_parse_unix(path, &ua, aerr) == 0, "%s", aerr);
}

static void
unix_dir_teardown(void)
{
	unix_clear();
	ck_assert_int_eq(rmdir(dirbuf), 0);
}

static int
ulisten(int mode)
{
	int	fd;

	fd = sock_listen_unix(&ua, SOCK_STREAM, 0, mode, err);
	ck_assert_msg(fd != -1, "listen %s: %s: %s", path, err,
	    strerror(errno));
	return (fd);
}

/* Leaves a socket file behind that nobody listens on. */
static void
make_stale(void)
{
	int	fd;

	fd = ulisten(0600);
	(void)close(fd);
}

/*
 * A socket bound to 127.0.0.1:P that connects to 127.0.0.1:P reaches
 * itself (TCP simultaneous open); a connect to a real listener does not.
 */
START_TEST(test_connected_to_self)
{
	struct sock_addr	a;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&a.ss;
	int			fd, lfd, c;

	memset(&a, 0, sizeof(a));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.len = sizeof(*sin);
	a.socktype = SOCK_STREAM;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a.ss, a.len), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a.ss, &a.len), 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a.ss, a.len), 0);
	ck_assert_int_eq(sock_connected_to_self(fd, &a), 1);
	(void)close(fd);

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(lfd, 0);
	sin->sin_port = 0;
	a.len = sizeof(*sin);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a.ss, a.len), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&a.ss, &a.len), 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(c, 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&a.ss, a.len), 0);
	ck_assert_int_eq(sock_connected_to_self(c, &a), 0);
	(void)close(c);
	(void)close(lfd);
}
END_TEST

START_TEST(test_unix_listen_connect)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	struct stat		st;
	char			buf[SOCK_ADDR_LEN];
	int			lfd, cfd, afd;

	lfd = ulisten(0600);
	assert_flags(lfd, 1);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	sock_local_str(lfd, buf, sizeof(buf));
	ck_assert_str_eq(buf, path);

	cfd = sock_connect_unix(&ua, SOCK_STREAM, 1000, err);
	ck_assert_msg(cfd != -1, "%s: %s", err, strerror(errno));
	assert_flags(cfd, 0);
	sock_peer_str(cfd, buf, sizeof(buf));
	ck_assert_str_eq(buf, path);
	afd = sock_accept(lfd, &ss, &len);
	ck_assert_int_ne(afd, -1);
	assert_flags(afd, 1);
	sock_addr_str((struct sockaddr *)&ss, len, buf, sizeof(buf));
	ck_assert_str_eq(buf, "unix");
	ck_assert_int_eq(sock_write_all(afd, "yo", 2), 2);
	ck_assert_int_eq(sock_read_full(cfd, buf, 2), 2);
	ck_assert_mem_eq(buf, "yo", 2);
	(void)close(afd);
	(void)close(cfd);
	(void)close(lfd);
}
END_TEST

static const int	modes[] = { 0600, 0660, 0777, 0700 };

START_TEST(test_unix_mode)
{
	struct stat	st;
	mode_t		old;
	int		fd;

	/* The mode is applied as given, whatever the umask says. */
	old = umask(077);
	fd = ulisten(modes[_i]);
	(void)umask(old);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, modes[_i]);
	(void)close(fd);
}
END_TEST

START_TEST(test_unix_stale)
{
	struct stat	st;
	int		fd, cfd;

	make_stale();
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	/* Nobody answers there: ECONNREFUSED, and the file may go. */
	errno = 0;
	ck_assert_int_eq(sock_connect_unix(&ua, SOCK_STREAM, 1000, err), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	ck_assert_msg(strstr(err, path) != NULL, "err: %s", err);
	fd = ulisten(0600);
	cfd = sock_connect_unix(&ua, SOCK_STREAM, 1000, err);
	ck_assert_int_ne(cfd, -1);
	(void)close(cfd);
	(void)close(fd);
}
END_TEST

START_TEST(test_unix_live)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			fd, cfd, afd;

	fd = ulisten(0600);
	errno = 0;
	ck_assert_int_eq(sock_listen_unix(&ua, SOCK_STREAM, 0, 0600, err), -1);
	ck_assert_int_eq(errno, EADDRINUSE);
	/*
	 * The live listener kept its file; the probe connection is in its
	 * queue and closed, which is all it costs.
	 */
	cfd = sock_connect_unix(&ua, SOCK_STREAM, 1000, err);
	ck_assert_int_ne(cfd, -1);
	ck_assert_int_ne(afd = sock_accept(fd, &ss, &len), -1);
	(void)close(afd);
	(void)close(cfd);
	(void)close(fd);
}
END_TEST

START_TEST(test_unix_not_socket)
{
	struct stat	st;
	char		buf[16];
	int		fd;

	/* _i == 0: a regular file with data; _i == 1: a directory. */
	if (_i == 0) {
		ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC, 0640), -1);
		ck_assert_int_eq(write(fd, "keep me", 7), 7);
		(void)close(fd);
	} else
		ck_assert_int_eq(mkdir(path, 0700), 0);
	errno = 0;
	err[0] = '\0';
	ck_assert_int_eq(sock_listen_unix(&ua, SOCK_STREAM, 0, 0600, err), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_msg(strstr(err, path) != NULL, "err: %s", err);
	/* Untouched: same type, mode and contents. */
	ck_assert_int_eq(lstat(path, &st), 0);
	if (_i == 0) {
		ck_assert(S_ISREG(st.st_mode));
		ck_assert_int_eq(st.st_mode & 07777, 0640);
		ck_assert_int_ne(fd = open(path, O_RDONLY | O_CLOEXEC), -1);
		ck_assert_int_eq(read(fd, buf, sizeof(buf)), 7);
		ck_assert_mem_eq(buf, "keep me", 7);
		(void)close(fd);
	} else {
		ck_assert(S_ISDIR(st.st_mode));
		ck_assert_int_eq(st.st_mode & 07777, 0700);
	}
}
END_TEST

START_TEST(test_unix_missing)
{
	errno = 0;
	err[0] = '\0';
	ck_assert_int_eq(sock_connect_unix(&ua, SOCK_STREAM, 1000, err), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_msg(strstr(err, path) != NULL, "err: %s", err);
}
END_TEST

START_TEST(test_unix_abstract)
{
	struct addr_unix	aa;
	struct stat		st;
	char			name[64], buf[SOCK_ADDR_LEN];
	char			aerr[ADDR_ERR_LEN];
	int			fd, cfd;

	/* The namespace is shared: make the name as unique as the dir. */
	snprintf(name, sizeof(name), "@sockit-check-%ld-%s", (long)getpid(),
	    dirbuf + strlen("/tmp/sockit."));
	ck_assert_msg(addr_parse_unix(name, &aa, aerr) == 0, "%s", aerr);
	ck_assert(aa.abstract);
	fd = sock_listen_unix(&aa, SOCK_STREAM, 0, 0600, err);
	ck_assert_msg(fd != -1, "%s: %s", err, strerror(errno));
	sock_local_str(fd, buf, sizeof(buf));
	ck_assert_str_eq(buf, name);
	/* No file appears anywhere, so no stale check either. */
	ck_assert_int_eq(lstat(name + 1, &st), -1);
	cfd = sock_connect_unix(&aa, SOCK_STREAM, 1000, err);
	ck_assert_int_ne(cfd, -1);
	sock_peer_str(cfd, buf, sizeof(buf));
	ck_assert_str_eq(buf, name);
	/* Abstract names are not files: a second bind is EADDRINUSE. */
	errno = 0;
	ck_assert_int_eq(sock_listen_unix(&aa, SOCK_STREAM, 0, 0600, err), -1);
	ck_assert_int_eq(errno, EADDRINUSE);
	(void)close(cfd);
	(void)close(fd);
}
END_TEST

START_TEST(test_unix_sockaddr)
{
	struct sockaddr_storage	ss;
	struct addr_unix	aa;
	char			buf[SOCK_ADDR_LEN], aerr[ADDR_ERR_LEN];
	char			longp[ADDR_PATH_MAX];
	socklen_t		len;
	socklen_t		base = offsetof(struct sockaddr_un, sun_path);

	len = sock_unix_sockaddr(&ua, &ss);
	ck_assert_uint_eq(len, base + strlen(path) + 1);
	sock_addr_str((struct sockaddr *)&ss, len, buf, sizeof(buf));
	ck_assert_str_eq(buf, path);

	ck_assert_int_eq(addr_parse_unix("@x\ty", &aa, aerr), 0);
	len = sock_unix_sockaddr(&aa, &ss);
	ck_assert_uint_eq(len, base + 1 + 3);
	sock_addr_str((struct sockaddr *)&ss, len, buf, sizeof(buf));
	ck_assert_str_eq(buf, "@x\ty");

	/* The longest path that fits sun_path with its NUL. */
	memset(longp, 'q', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	ck_assert_int_eq(addr_parse_unix(longp, &aa, aerr), 0);
	len = sock_unix_sockaddr(&aa, &ss);
	ck_assert_uint_eq(len, sizeof(struct sockaddr_un));
	sock_addr_str((struct sockaddr *)&ss, len, buf, sizeof(buf));
	ck_assert_str_eq(buf, longp);
}
END_TEST

START_TEST(test_unix_dgram)
{
	char	buf[4];
	int	fd, cfd;

	fd = sock_listen_unix(&ua, SOCK_DGRAM, 0, 0600, err);
	ck_assert_msg(fd != -1, "%s: %s", err, strerror(errno));
	ck_assert_int_eq(socktype(fd), SOCK_DGRAM);
	cfd = sock_connect_unix(&ua, SOCK_DGRAM, 1000, err);
	ck_assert_int_ne(cfd, -1);
	ck_assert_int_eq(write(cfd, "dg", 2), 2);
	ck_assert_int_eq(sock_read_full(fd, buf, 2), 2);
	ck_assert_mem_eq(buf, "dg", 2);
	(void)close(cfd);
	(void)close(fd);
}
END_TEST

START_TEST(test_unix_backlog_full)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			lfd, fd, fds[FILL_MAX], i, n;

	/*
	 * With the listener's queue full, a Unix connect() says EAGAIN:
	 * nothing is in progress.  A connect that then reports success
	 * must hand back a connected socket, not an unconnected one.
	 */
	lfd = sock_listen_unix(&ua, SOCK_STREAM, 1, 0600, err);
	ck_assert_int_ne(lfd, -1);
	len = sock_unix_sockaddr(&ua, &ss);
	for (n = 0; n < FILL_MAX; n++) {
		ck_assert_int_ne(fds[n] = socket(AF_UNIX, SOCK_STREAM |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, 0), -1);
		if (connect(fds[n], (struct sockaddr *)&ss, len) == -1) {
			ck_assert_int_eq(errno, EAGAIN);
			(void)close(fds[n]);
			break;
		}
	}
	ck_assert_int_lt(n, FILL_MAX);
	fd = sock_connect_unix(&ua, SOCK_STREAM, 100, err);
	if (fd != -1) {
		len = sizeof(ss);
		ck_assert_msg(getpeername(fd, (struct sockaddr *)&ss,
		    &len) == 0, "sock_connect_unix returned an unconnected "
		    "fd: getpeername: %s", strerror(errno));
		(void)close(fd);
	} else
		ck_assert(errno == ETIMEDOUT || errno == EAGAIN);
	for (i = 0; i < n; i++)
		(void)close(fds[i]);
	(void)close(lfd);
}
END_TEST

static Suite *
sock_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("sock");

	tc = tcase_create("listen");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_listen_port0);
	tcase_add_test(tc, test_listen_default_host);
	tcase_add_test(tc, test_listen_dgram);
	tcase_add_test(tc, test_listen_in_use);
	tcase_add_test(tc, test_listen_reuseport);
	tcase_add_test(tc, test_listen_options);
	suite_add_tcase(s, tc);

	tc = tcase_create("connect");
	tcase_set_timeout(tc, 20);
	/* _i == 0 with a timeout, _i == 1 without. */
	tcase_add_loop_test(tc, test_connect_ok, 0, 2);
	tcase_add_loop_test(tc, test_connect_refused, 0, 2);
	tcase_add_test(tc, test_connect_timeout);
	tcase_add_test(tc, test_connect_timeout_fd);
	suite_add_tcase(s, tc);

	tc = tcase_create("io");
	tcase_set_timeout(tc, 30);
	/* _i == 0 blocking, _i == 1 non-blocking socketpair. */
	tcase_add_loop_test(tc, test_io_thread, 0, 2);
	tcase_add_loop_test(tc, test_io_eagain, 0, 2);
	tcase_add_test(tc, test_io_short_eof);
	tcase_add_test(tc, test_io_errors);
	tcase_add_test(tc, test_connected_to_self);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_format_inet);
	tcase_add_test(tc, test_format_unix);
	tcase_add_test(tc, test_format_truncate);
	tcase_add_test(tc, test_format_fds);
	suite_add_tcase(s, tc);

	tc = tcase_create("unix");
	tcase_set_timeout(tc, 10);
	tcase_add_unchecked_fixture(tc, unix_dir_setup, unix_dir_teardown);
	tcase_add_checked_fixture(tc, unix_clear, unix_clear);
	tcase_add_test(tc, test_unix_listen_connect);
	tcase_add_loop_test(tc, test_unix_mode, 0,
	    (int)(sizeof(modes) / sizeof(modes[0])));
	tcase_add_test(tc, test_unix_stale);
	tcase_add_test(tc, test_unix_live);
	tcase_add_loop_test(tc, test_unix_not_socket, 0, 2);
	tcase_add_test(tc, test_unix_missing);
	tcase_add_test(tc, test_unix_abstract);
	tcase_add_test(tc, test_unix_sockaddr);
	tcase_add_test(tc, test_unix_dgram);
	tcase_add_test(tc, test_unix_backlog_full);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failures;

	/* As sockit's main() does: a dead peer is EPIPE, not a signal. */
	(void)signal(SIGPIPE, SIG_IGN);
	sr = srunner_create(sock_suite());
	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failures ? 1 : 0);
}
