/*
 * loadgen: the load generator of scripts/bench.  Not part of sockit;
 * make check builds it so that it keeps compiling, scripts/bench builds
 * it with cc -O2.
 *
 *	loadgen tcp [-C] [-b NSRC] [-c CONNS] [-d SECS] [-m PID] [-p USEC]
 *	    [-r ROUNDS] [-s SIZE] [-t SECS] HOST PORT
 *	loadgen tls [-C] [-b NSRC] [-c CONNS] [-d SECS] [-m PID] [-r ROUNDS]
 *	    [-s SIZE] [-t SECS] HOST PORT
 *	loadgen udp [-g] [-d SECS] [-n COUNT] [-P PEERS] [-s SIZE] [-t MS]
 *	    [-w WINDOW] HOST PORT
 *
 * tcp opens CONNS non-blocking connections at once, then each does ROUNDS
 * round trips of SIZE bytes (send SIZE, wait until SIZE bytes have come
 * back and match, repeat), shuts its write side and waits for the
 * server's EOF.  -b spreads the connections over source addresses
 * 127.0.0.1..127.0.0.NSRC.  -m PID reads the VmRSS of PID before the
 * connections are opened and again while all of them are open and idle
 * (after their first round trip), to report bytes per idle connection.
 * -t bounds the whole run; what is unfinished then counts as an error.
 * -p pauses USEC microseconds (nanosleep) after each round trip before
 * the next: a peer that thinks between messages.  The pause blocks the
 * whole loop, so it is meant for -c 1.
 *
 * With -C (short connections) each of the CONNS slots opens a connection,
 * does its ROUNDS round trips, closes it as above and opens the next one,
 * for -d SECS; conns_per_s counts the connections that ended cleanly.
 *
 * tls is tcp with a TLS 1.3 client (OpenSSL, no certificate check, no
 * session resumption: every connection is a full handshake) between the
 * connect and the first round trip; ROUNDS defaults to 0 there, and the
 * close is close_notify, then the write side's shutdown, then the wait
 * for the server's close.  tls -C -r 0 is a handshake-rate generator;
 * tls -m PID holds every connection after its handshake (and its first
 * round trip, if any) to read the server's RSS.  hs_per_s counts the
 * handshakes completed.  Built without OpenSSL (no HAVE_OPENSSL), tls
 * says so and exits 2.
 *
 * udp runs PEERS sockets that each keep WINDOW datagrams of SIZE bytes in
 * flight for SECS seconds (or COUNT datagrams each), matching replies by
 * a sequence number in the datagram.  A datagram unanswered after -t MS
 * is lost.  A reply longer than SIZE is a merged one (an echo that glued
 * two datagrams together), a shorter one is short; replies and replies/s
 * count exact echoes only.  A peer sends the datagrams that fill its
 * window with one sendmmsg and reads its replies with recvmmsg, so that
 * the generator's own system calls do not limit a fast server.  With -g
 * it sends them with one UDP GSO send (UDP_SEGMENT) instead: the kernel
 * cuts it into the same separate datagrams after the output path, which
 * makes each datagram cheaper for the generator.
 *
 * Everything is one epoll loop in one thread; the result is one line of
 * key=value pairs on stdout.  Exit status: 0 if the run had no errors
 * (tcp) or no loss (udp), 1 otherwise, 2 for usage errors.
 */
#define _GNU_SOURCE	/* recvmmsg, sendmmsg */
#ifdef HAVE_CONFIG_H
#include "config.h"	/* HAVE_OPENSSL under make check */
#endif

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_OPENSSL
#include <openssl/err.h>
#include <openssl/ssl.h>
#endif

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT	24
#endif

#define LG_EVENTS	1024
#define UDP_MAGIC	0x6c67656eU	/* "lgen" */
#define UDP_HDR		12
#define UDP_BATCH	16		/* datagrams per sendmmsg/recvmmsg */
#define UDP_RBUF	65536		/* a whole datagram, merged or not */
#define LAT_CAP		4000000		/* latencies kept by -C runs */

struct opts {
	int		 udp;
	int		 tls;		/* tls mode */
	int		 gso;		/* -g: UDP GSO sends */
	int		 shortc;	/* -C: a new connection per ROUNDS */
	long		 conns, rounds, size, nsrc, pid, pause_us;
	double		 secs, dur;
	long		 peers, window, count, tmo_ms;
	struct sockaddr_storage	 to;
	socklen_t	 tolen;
};

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n, size)) == NULL)
		die("calloc");
	return (p);
}

/* Monotonic time in microseconds. */
static double
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3);
}

/*
 * The generator's own CPU time (user + system) as a share of wall time
 * since start, in percent: near 100, it is the generator that limits.
 */
static double
cpu_pct(double start)
{
	struct rusage	ru;
	double		cpu, wall = (now_us() - start) / 1e6;

	if (getrusage(RUSAGE_SELF, &ru) == -1 || wall <= 0)
		return (-1);
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	return (100 * cpu / wall);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x < y ? -1 : x > y);
}

/* The p-th percentile (0..100) of n sorted samples, nearest rank. */
static uint32_t
pct(const uint32_t *v, size_t n, double p)
{
	size_t	i;

	if (n == 0)
		return (0);
	i = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (i < 1)
		i = 1;
	if (i > n)
		i = n;
	return (v[i - 1]);
}

/* VmRSS or VmHWM of pid in KiB, or -1. */
static long
proc_kb(long pid, const char *key)
{
	char	 path[64], line[256];
	FILE	*f;
	long	 kb = -1;
	size_t	 klen = strlen(key);

	if (pid <= 0)
		return (-1);
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ':')
			kb = strtol(line + klen + 1, NULL, 10);
	fclose(f);
	return (kb);
}

static void
fill_pattern(unsigned char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)('a' + (i * 7) % 26);
}

/* ---- TCP and TLS -------------------------------------------------- */

enum tstate { T_CONNECTING, T_HANDSHAKE, T_SENDING, T_RECEIVING, T_HOLD,
    T_SHUTDOWN, T_CLOSING, T_DONE, T_FAILED };

enum terr { E_CONNECT, E_TLS, E_RESET, E_EOF, E_MISMATCH, E_TIMEOUT,
    E_OTHER, E_MAX };
static const char *terr_names[E_MAX] = { "err_connect", "err_tls",
    "err_reset", "err_eof", "err_mismatch", "err_timeout", "err_other" };

struct tconn {
	int		 fd;
	enum tstate	 state;
	uint32_t	 events;	/* registered with epoll */
	long		 rounds;
	size_t		 sent, got;
	double		 t_connect, t_round;
#ifdef HAVE_OPENSSL
	SSL		*ssl;
#endif
};

struct tcp_run {
	const struct opts	*o;
	int			 ep;
	struct tconn		*c;
	unsigned char		*pat, *rbuf;
	uint32_t		*lat, *first, *life, *hs;
	size_t			 nlat, nfirst, nlife, nhs, latcap, firstcap;
	long			 active, held, errs[E_MAX], rst_at_close;
	long			 done, handshakes;
	int			 holding;	/* -m: hold after round 1 */
	int			 opening;	/* -C: open the next connection */
	double			 start, last_rt, last_done, last_hs;
	long			 rss_base, rss_idle;
#ifdef HAVE_OPENSSL
	SSL_CTX			*ctx;
#endif
};

/* Results of one read or write on a connection, TLS or not. */
#define IO_AGAIN	(-1)	/* wait for the events in *want */
#define IO_ERROR	(-2)	/* failed: the class is in *err */

static void
tcp_set_events(struct tcp_run *t, long i, uint32_t ev)
{
	struct epoll_event	e;
	struct tconn		*c = &t->c[i];

	if (c->events == ev)
		return;
	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.u64 = (uint64_t)i;
	if (epoll_ctl(t->ep, EPOLL_CTL_MOD, c->fd, &e) == -1)
		die("epoll_ctl");
	c->events = ev;
}

static void
tcp_end(struct tcp_run *t, long i, enum tstate st, int err)
{
	struct tconn	*c = &t->c[i];
	double		 now;

	if (c->state == T_DONE || c->state == T_FAILED)
		return;
	if (c->state == T_HOLD)
		t->held--;
	if (st == T_FAILED)
		t->errs[err]++;
	if (st == T_DONE) {
		now = now_us();
		t->done++;
		t->last_done = now;
		if (t->nlife < t->firstcap)
			t->life[t->nlife++] = (uint32_t)(now - c->t_connect);
	}
#ifdef HAVE_OPENSSL
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	c->ssl = NULL;
#endif
	if (c->fd != -1)
		(void)close(c->fd);
	c->fd = -1;
	c->state = st;
	t->active--;
}

static int
tcp_errno_class(int e)
{
	if (e == ECONNRESET || e == EPIPE)
		return (E_RESET);
	if (e == ECONNREFUSED || e == ETIMEDOUT || e == EHOSTUNREACH ||
	    e == ENETUNREACH || e == EADDRNOTAVAIL)
		return (E_CONNECT);
	return (E_OTHER);
}

#ifdef HAVE_OPENSSL
/*
 * What an SSL call's failure r means: IO_AGAIN with the events to wait
 * for, 0 for the peer's close (close_notify, or a bare EOF: the context
 * ignores unexpected EOFs), or IO_ERROR with the class.
 */
static ssize_t
tls_result(struct tconn *c, int r, uint32_t *want, int *err)
{
	int	e = SSL_get_error(c->ssl, r);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		*want = EPOLLIN;
		return (IO_AGAIN);
	case SSL_ERROR_WANT_WRITE:
		*want = EPOLLOUT;
		return (IO_AGAIN);
	case SSL_ERROR_ZERO_RETURN:
		return (0);
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (errno == EINTR || errno == EAGAIN) {
			*want = EPOLLIN;
			return (IO_AGAIN);
		}
		*err = errno == 0 ? E_EOF : tcp_errno_class(errno);
		return (IO_ERROR);
	default:
		ERR_clear_error();
		*err = E_TLS;
		return (IO_ERROR);
	}
}
#endif

/* Sends up to n bytes: n > 0, IO_AGAIN or IO_ERROR. */
static ssize_t
conn_send(struct tconn *c, const void *p, size_t n, uint32_t *want, int *err)
{
	ssize_t	r;

#ifdef HAVE_OPENSSL
	if (c->ssl != NULL) {
		ERR_clear_error();
		r = SSL_write(c->ssl, p, (int)n);
		return (r > 0 ? r : tls_result(c, (int)r, want, err));
	}
#endif
	do
		r = send(c->fd, p, n, MSG_NOSIGNAL);
	while (r == -1 && errno == EINTR);
	if (r == -1 && errno == EAGAIN) {
		*want = EPOLLOUT;
		return (IO_AGAIN);
	}
	if (r == -1) {
		*err = tcp_errno_class(errno);
		return (IO_ERROR);
	}
	return (r);
}

/* Receives up to n bytes: n > 0, 0 at EOF, IO_AGAIN or IO_ERROR. */
static ssize_t
conn_recv(struct tconn *c, void *p, size_t n, uint32_t *want, int *err)
{
	ssize_t	r;

#ifdef HAVE_OPENSSL
	if (c->ssl != NULL) {
		ERR_clear_error();
		r = SSL_read(c->ssl, p, (int)n);
		return (r > 0 ? r : tls_result(c, (int)r, want, err));
	}
#endif
	do
		r = recv(c->fd, p, n, 0);
	while (r == -1 && errno == EINTR);
	if (r == -1 && errno == EAGAIN) {
		*want = EPOLLIN;
		return (IO_AGAIN);
	}
	if (r == -1) {
		*err = tcp_errno_class(errno);
		return (IO_ERROR);
	}
	return (r);
}

static void
tcp_open(struct tcp_run *t, long i)
{
	const struct opts	*o = t->o;
	struct tconn		*c = &t->c[i];
	struct epoll_event	 e;
	struct sockaddr_in	 src;
	int			 one = 1;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->state = T_CONNECTING;
	t->active++;
	c->t_connect = now_us();
	c->fd = socket(o->to.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		tcp_end(t, i, T_FAILED, E_CONNECT);
		return;
	}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (o->nsrc > 1 && o->to.ss_family == AF_INET) {
		/* The port is picked at connect(), per 4-tuple. */
		(void)setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT,
		    &one, sizeof(one));
		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(0x7f000001U + (uint32_t)(i %
		    o->nsrc));
		if (bind(c->fd, (struct sockaddr *)&src, sizeof(src)) == -1) {
			tcp_end(t, i, T_FAILED, E_CONNECT);
			return;
		}
	}
	if (connect(c->fd, (const struct sockaddr *)&o->to, o->tolen) == -1 &&
	    errno != EINPROGRESS) {
		tcp_end(t, i, T_FAILED, tcp_errno_class(errno));
		return;
	}
	c->events = EPOLLOUT;
	memset(&e, 0, sizeof(e));
	e.events = EPOLLOUT;
	e.data.u64 = (uint64_t)i;
	if (epoll_ctl(t->ep, EPOLL_CTL_ADD, c->fd, &e) == -1)
		die("epoll_ctl");
}

/*
 * The connection's active part is over: close it (write side first, then
 * wait for the server's EOF), or hold it while -m measures.
 */
static void
tcp_finish(struct tcp_run *t, long i)
{
	struct tconn	*c = &t->c[i];

	if (t->holding) {
		c->state = T_HOLD;
		tcp_set_events(t, i, 0);
		t->held++;
		return;
	}
	c->state = T_SHUTDOWN;
#ifdef HAVE_OPENSSL
	if (c->ssl != NULL) {
		uint32_t	want = 0;
		int		r, err = E_OTHER;

		/* 0: close_notify sent, the server's not yet seen. */
		ERR_clear_error();
		if ((r = SSL_shutdown(c->ssl)) < 0) {
			if (tls_result(c, r, &want, &err) == IO_AGAIN) {
				tcp_set_events(t, i, want);
				return;
			}
			tcp_end(t, i, T_FAILED, err);
			return;
		}
	}
#endif
	if (shutdown(c->fd, SHUT_WR) == -1) {
		tcp_end(t, i, T_FAILED, E_OTHER);
		return;
	}
	c->state = T_CLOSING;
	tcp_set_events(t, i, EPOLLIN);
}

static void
tcp_send(struct tcp_run *t, long i)
{
	struct tconn	*c = &t->c[i];
	size_t		 size = (size_t)t->o->size;
	ssize_t		 n;
	uint32_t	 want = 0;
	int		 err = E_OTHER;

	while (c->sent < size) {
		n = conn_send(c, t->pat + c->sent, size - c->sent, &want, &err);
		if (n == IO_AGAIN) {
			tcp_set_events(t, i, want);
			return;
		}
		if (n == IO_ERROR) {
			tcp_end(t, i, T_FAILED, err);
			return;
		}
		c->sent += (size_t)n;
	}
	c->state = T_RECEIVING;
	tcp_set_events(t, i, EPOLLIN);
}

static void
tcp_start_round(struct tcp_run *t, long i)
{
	struct tconn	*c = &t->c[i];

	if (c->rounds >= t->o->rounds) {
		tcp_finish(t, i);
		return;
	}
	c->sent = c->got = 0;
	c->t_round = now_us();
	c->state = T_SENDING;
	tcp_send(t, i);
}

/* -p: sleep between round trips, however often a signal interrupts. */
static void
pause_for(long usec)
{
	struct timespec	ts = { usec / 1000000, (usec % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* A round trip has completed: record it and start the next step. */
static void
tcp_round_done(struct tcp_run *t, long i)
{
	struct tconn	*c = &t->c[i];
	double		 now = now_us();

	if (t->nlat < t->latcap)
		t->lat[t->nlat++] = (uint32_t)(now - c->t_round);
	t->last_rt = now;
	if (++c->rounds == 1 && t->nfirst < t->firstcap)
		t->first[t->nfirst++] = (uint32_t)(now - c->t_connect);
	if (c->rounds == 1 && t->holding) {
		tcp_finish(t, i);
		return;
	}
	if (t->o->pause_us > 0)
		pause_for(t->o->pause_us);
	tcp_start_round(t, i);
}

static void
tcp_recv(struct tcp_run *t, long i)
{
	struct tconn	*c = &t->c[i];
	size_t		 size = (size_t)t->o->size;
	ssize_t		 n;
	uint32_t	 want = 0;
	int		 err = E_OTHER;

	for (;;) {
		n = conn_recv(c, t->rbuf, size - c->got, &want, &err);
		if (n == IO_AGAIN) {
			tcp_set_events(t, i, want);
			return;
		}
		if (n == IO_ERROR) {
			tcp_end(t, i, T_FAILED, err);
			return;
		}
		if (n == 0) {
			tcp_end(t, i, T_FAILED, E_EOF);
			return;
		}
		if (memcmp(t->rbuf, t->pat + c->got, (size_t)n) != 0) {
			tcp_end(t, i, T_FAILED, E_MISMATCH);
			return;
		}
		c->got += (size_t)n;
		if (c->got == size) {
			tcp_round_done(t, i);
			return;
		}
	}
}

static void
tcp_closing(struct tcp_run *t, long i)
{
	struct tconn	*c = &t->c[i];
	ssize_t		 n;
	uint32_t	 want = 0;
	int		 err = E_OTHER;

	n = conn_recv(c, t->rbuf, (size_t)t->o->size, &want, &err);
	if (n == IO_AGAIN) {
		tcp_set_events(t, i, want);
		return;
	}
	if (n == 0) {
		tcp_end(t, i, T_DONE, 0);
		return;
	}
	if (n == IO_ERROR && err == E_RESET) {
		/* Everything came back; the server just closed hard. */
		t->rst_at_close++;
		tcp_end(t, i, T_DONE, 0);
		return;
	}
	if (n == IO_ERROR && err == E_EOF) {
		/* A TLS server that closed without close_notify. */
		tcp_end(t, i, T_DONE, 0);
		return;
	}
	tcp_end(t, i, T_FAILED, n > 0 ? E_MISMATCH : err);
}

#ifdef HAVE_OPENSSL
/* Drives the TLS handshake on; when done, the round trips start. */
static void
tls_handshake(struct tcp_run *t, long i)
{
	struct tconn	*c = &t->c[i];
	uint32_t	 want = 0;
	int		 r, err = E_OTHER;
	double		 now;

	if (c->ssl == NULL) {
		if ((c->ssl = SSL_new(t->ctx)) == NULL ||
		    SSL_set_fd(c->ssl, c->fd) != 1) {
			tcp_end(t, i, T_FAILED, E_TLS);
			return;
		}
		SSL_set_connect_state(c->ssl);
		c->state = T_HANDSHAKE;
	}
	ERR_clear_error();
	if ((r = SSL_connect(c->ssl)) != 1) {
		if (tls_result(c, r, &want, &err) == IO_AGAIN) {
			tcp_set_events(t, i, want);
			return;
		}
		tcp_end(t, i, T_FAILED, err == E_EOF ? E_TLS : err);
		return;
	}
	now = now_us();
	t->handshakes++;
	t->last_hs = now;
	if (t->nhs < t->firstcap)
		t->hs[t->nhs++] = (uint32_t)(now - c->t_connect);
	if (t->o->rounds == 0 && t->holding) {
		tcp_finish(t, i);
		return;
	}
	tcp_start_round(t, i);
}

static void
tls_init(struct tcp_run *t)
{
	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		fprintf(stderr, "loadgen: SSL_CTX_new failed\n");
		exit(2);
	}
	/* TLS 1.3 only, no verification, no session kept: full handshakes. */
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_3_VERSION);
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
}
#endif

static void
tcp_event(struct tcp_run *t, long i, uint32_t ev)
{
	struct tconn	*c = &t->c[i];
	int		 err = 0;
	socklen_t	 len = sizeof(err);

	switch (c->state) {
	case T_CONNECTING:
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err != 0) {
			tcp_end(t, i, T_FAILED, E_CONNECT);
			return;
		}
#ifdef HAVE_OPENSSL
		if (t->o->tls) {
			tls_handshake(t, i);
			break;
		}
#endif
		tcp_start_round(t, i);
		break;
#ifdef HAVE_OPENSSL
	case T_HANDSHAKE:
		tls_handshake(t, i);
		break;
#endif
	case T_SENDING:
		tcp_send(t, i);
		break;
	case T_RECEIVING:
		tcp_recv(t, i);
		break;
	case T_SHUTDOWN:
		tcp_finish(t, i);
		break;
	case T_CLOSING:
		tcp_closing(t, i);
		break;
	case T_HOLD:
		/* Only errors and hang-ups are reported while held. */
		tcp_end(t, i, T_FAILED, (ev & EPOLLERR) ? E_RESET : E_EOF);
		break;
	default:
		break;
	}
}

/* All connections are open and idle: measure, then let them go on. */
static void
tcp_release(struct tcp_run *t)
{
	long	i;

	t->holding = 0;
	t->rss_idle = proc_kb(t->o->pid, "VmRSS");
	for (i = 0; i < t->o->conns; i++) {
		if (t->c[i].state != T_HOLD)
			continue;
		t->held--;
		tcp_start_round(t, i);
	}
}

/* -C: every slot whose connection has ended opens the next one. */
static void
tcp_reopen(struct tcp_run *t)
{
	long	i;

	for (i = 0; i < t->o->conns; i++)
		if (t->c[i].state == T_DONE || t->c[i].state == T_FAILED)
			tcp_open(t, i);
}

static void
tcp_report(struct tcp_run *t, double end)
{
	const struct opts	*o = t->o;
	long			 i, errs = 0, slow = 0;
	double			 span, cspan, hspan;

	for (i = 0; i < E_MAX; i++)
		errs += t->errs[i];
	for (i = 0; i < (long)t->nfirst; i++)
		if (t->first[i] > 1000000)
			slow++;
	/* Connections that never got a first reply are slow too. */
	if (!o->shortc && o->rounds > 0)
		slow += o->conns - (long)t->nfirst;
	qsort(t->lat, t->nlat, sizeof(*t->lat), cmp_u32);
	qsort(t->first, t->nfirst, sizeof(*t->first), cmp_u32);
	qsort(t->life, t->nlife, sizeof(*t->life), cmp_u32);
	qsort(t->hs, t->nhs, sizeof(*t->hs), cmp_u32);
	span = (t->nlat > 0 ? t->last_rt - t->start : 0) / 1e6;
	cspan = (t->done > 0 ? t->last_done - t->start : 0) / 1e6;
	hspan = (t->handshakes > 0 ? t->last_hs - t->start : 0) / 1e6;
	printf("conns=%ld rounds=%ld size=%ld ok=%ld errors=%ld rt=%zu "
	    "rt_per_s=%.1f p50_us=%u p99_us=%u max_us=%u first_p50_us=%u "
	    "first_max_us=%u slow1s=%ld elapsed_s=%.3f rst_at_close=%ld",
	    o->conns, o->rounds, o->size, t->done, errs, t->nlat,
	    span > 0 ? (double)t->nlat / span : 0.0,
	    pct(t->lat, t->nlat, 50), pct(t->lat, t->nlat, 99),
	    pct(t->lat, t->nlat, 100), pct(t->first, t->nfirst, 50),
	    o->shortc || t->nfirst == (size_t)o->conns ?
	    pct(t->first, t->nfirst, 100) : UINT32_MAX, slow,
	    (end - t->start) / 1e6, t->rst_at_close);
	if (o->shortc)
		printf(" conns_per_s=%.1f conn_p50_us=%u conn_p99_us=%u",
		    cspan > 0 ? (double)t->done / cspan : 0.0,
		    pct(t->life, t->nlife, 50), pct(t->life, t->nlife, 99));
	if (o->tls)
		printf(" handshakes=%ld hs_per_s=%.1f hs_p50_us=%u "
		    "hs_p99_us=%u", t->handshakes, hspan > 0 ?
		    (double)t->handshakes / hspan : 0.0, pct(t->hs, t->nhs, 50),
		    pct(t->hs, t->nhs, 99));
	for (i = 0; i < E_MAX; i++)
		printf(" %s=%ld", terr_names[i], t->errs[i]);
	printf(" cpu_pct=%.0f", cpu_pct(t->start));
	if (o->pid > 0)
		printf(" rss_base_kb=%ld rss_idle_kb=%ld hwm_kb=%ld "
		    "bytes_per_conn=%.0f", t->rss_base, t->rss_idle,
		    proc_kb(o->pid, "VmHWM"), t->rss_idle >= 0 ?
		    (double)(t->rss_idle - t->rss_base) * 1024.0 /
		    (double)o->conns : -1.0);
	printf("\n");
}

static int
tcp_main(const struct opts *o)
{
	struct tcp_run		 t;
	struct epoll_event	 evs[LG_EVENTS];
	double			 deadline, stop_at, left;
	long			 i;
	int			 n, k;

	memset(&t, 0, sizeof(t));
	t.o = o;
	t.c = xcalloc((size_t)o->conns, sizeof(*t.c));
	t.pat = xcalloc(1, (size_t)o->size);
	t.rbuf = xcalloc(1, (size_t)o->size);
	if (o->shortc) {
		t.latcap = t.firstcap = LAT_CAP;
	} else {
		t.latcap = (size_t)(o->conns * o->rounds);
		t.firstcap = (size_t)o->conns;
	}
	t.lat = xcalloc(t.latcap + 1, sizeof(*t.lat));
	t.first = xcalloc(t.firstcap, sizeof(*t.first));
	t.life = xcalloc(t.firstcap, sizeof(*t.life));
	t.hs = xcalloc(t.firstcap, sizeof(*t.hs));
	fill_pattern(t.pat, (size_t)o->size);
	if ((t.ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1");
#ifdef HAVE_OPENSSL
	if (o->tls)
		tls_init(&t);
#endif
	t.holding = o->pid > 0 && !o->shortc;
	t.opening = o->shortc;
	t.rss_base = t.rss_idle = proc_kb(o->pid, "VmRSS");
	t.start = now_us();
	deadline = t.start + o->secs * 1e6;
	stop_at = t.start + o->dur * 1e6;
	for (i = 0; i < o->conns; i++)
		tcp_open(&t, i);
	while (t.active > 0 || t.opening) {
		if (t.holding && t.held == t.active)
			tcp_release(&t);
		if (t.opening && now_us() >= stop_at)
			t.opening = 0;
		if (t.opening)
			tcp_reopen(&t);
		left = (deadline - now_us()) / 1e3;
		if (left <= 0)
			break;
		if (t.opening && (stop_at - now_us()) / 1e3 < left)
			left = (stop_at - now_us()) / 1e3;
		if (left < 0)
			left = 0;
		n = epoll_wait(t.ep, evs, LG_EVENTS, left > 1000 ? 1000 :
		    (int)left + 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			die("epoll_wait");
		for (k = 0; k < n; k++)
			tcp_event(&t, (long)evs[k].data.u64, evs[k].events);
	}
	for (i = 0; i < o->conns; i++)
		tcp_end(&t, i, T_FAILED, E_TIMEOUT);
	tcp_report(&t, now_us());
	for (i = 0; i < E_MAX; i++)
		if (t.errs[i] > 0)
			return (1);
	return (0);
}

/* ---- UDP ---------------------------------------------------------- */

enum dstate { D_UNSENT, D_OUT, D_REPLIED, D_LOST };

struct upeer {
	int		 fd;
	uint32_t	 next, base;	/* next to send, oldest unresolved */
	long		 inflight;
	double		*sent_at;
	unsigned char	*st;
};

struct udp_run {
	const struct opts	*o;
	struct upeer		*p;
	unsigned char		*dgram, *rbuf;
	uint32_t		*lat;
	size_t			 nlat, latcap;
	long			 sent, replies, lost, late, dup, merged, shrt,
				 corrupt, send_err, inflight, merged_chunks;
	double			 start, last_reply;
	int			 sending;
};

/*
 * Sends want datagrams: one sendmmsg, or with -g one UDP GSO send that
 * the kernel cuts into want datagrams after the output path.
 */
static int
udp_sendv(struct udp_run *u, int fd, struct mmsghdr *m, struct iovec (*iov)[2],
    int want)
{
	struct msghdr	 h;
	struct cmsghdr	*cm;
	union {
		char		buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr	align;
	}		 c;
	uint16_t	 seg = (uint16_t)u->o->size;

	if (!u->o->gso || want == 1)
		return (sendmmsg(fd, m, (unsigned)want, 0));
	memset(&h, 0, sizeof(h));
	memset(&c, 0, sizeof(c));
	h.msg_name = (void *)&u->o->to;
	h.msg_namelen = u->o->tolen;
	h.msg_iov = iov[0];
	h.msg_iovlen = (size_t)want * 2;
	h.msg_control = c.buf;
	h.msg_controllen = sizeof(c.buf);
	cm = CMSG_FIRSTHDR(&h);
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
	return (sendmsg(fd, &h, 0) == -1 ? -1 : want);
}

/*
 * Fills peer i's window.  Datagrams go out in batches (sendmmsg), so
 * that the load generator's system calls do not limit a fast server.
 */
static void
udp_send(struct udp_run *u, long i)
{
	struct upeer	*p = &u->p[i];
	struct mmsghdr	 m[UDP_BATCH];
	struct iovec	 iov[UDP_BATCH][2];
	uint32_t	 h[UDP_BATCH][3];
	double		 t;
	int		 k, n, want;

	while (u->sending && p->inflight < u->o->window &&
	    p->next < (uint32_t)u->o->count) {
		want = (int)(u->o->window - p->inflight);
		if ((long)want > u->o->count - (long)p->next)
			want = (int)(u->o->count - (long)p->next);
		if (want > UDP_BATCH)
			want = UDP_BATCH;
		memset(m, 0, sizeof(m[0]) * (size_t)want);
		for (k = 0; k < want; k++) {
			h[k][0] = UDP_MAGIC;
			h[k][1] = (uint32_t)i;
			h[k][2] = p->next + (uint32_t)k;
			iov[k][0].iov_base = h[k];
			iov[k][0].iov_len = UDP_HDR;
			iov[k][1].iov_base = u->dgram + UDP_HDR;
			iov[k][1].iov_len = (size_t)u->o->size - UDP_HDR;
			m[k].msg_hdr.msg_iov = iov[k];
			m[k].msg_hdr.msg_iovlen = 2;
			m[k].msg_hdr.msg_name = (void *)&u->o->to;
			m[k].msg_hdr.msg_namelen = u->o->tolen;
		}
		n = udp_sendv(u, p->fd, m, iov, want);
		if (n == -1) {
			/* Full send buffer: the timer tick retries. */
			if (errno != EAGAIN && errno != ENOBUFS &&
			    errno != EINTR)
				u->send_err++;
			return;
		}
		t = now_us();
		for (k = 0; k < n; k++) {
			p->sent_at[p->next] = t;
			p->st[p->next++] = D_OUT;
		}
		p->inflight += n;
		u->inflight += n;
		u->sent += n;
		if (n < want)
			return;
	}
}

/*
 * One echoed datagram-sized chunk.  Only an exact echo (one datagram back
 * for one sent) counts as a reply; the chunks of a merged reply leave the
 * window too, but count as merged_chunks.
 */
static void
udp_chunk(struct udp_run *u, long i, const unsigned char *b, int whole)
{
	struct upeer	*p = &u->p[i];
	uint32_t	 h[3];
	double		 now;

	memcpy(h, b, sizeof(h));
	if (h[0] != UDP_MAGIC || h[1] != (uint32_t)i || h[2] >= p->next ||
	    memcmp(b + UDP_HDR, u->dgram + UDP_HDR,
	    (size_t)u->o->size - UDP_HDR) != 0) {
		u->corrupt++;
		return;
	}
	switch (p->st[h[2]]) {
	case D_OUT:
		now = now_us();
		p->st[h[2]] = D_REPLIED;
		p->inflight--;
		u->inflight--;
		if (!whole) {
			u->merged_chunks++;
			break;
		}
		u->replies++;
		u->last_reply = now;
		if (u->nlat < u->latcap)
			u->lat[u->nlat++] = (uint32_t)(now -
			    p->sent_at[h[2]]);
		break;
	case D_LOST:
		u->late++;
		break;
	default:
		u->dup++;
	}
}

/* Reads what peer i has waiting, in batches (recvmmsg). */
static void
udp_recv(struct udp_run *u, long i)
{
	struct mmsghdr	m[UDP_BATCH];
	struct iovec	iov[UDP_BATCH];
	size_t		size = (size_t)u->o->size, off, len;
	int		k, n;

	for (;;) {
		memset(m, 0, sizeof(m));
		for (k = 0; k < UDP_BATCH; k++) {
			iov[k].iov_base = u->rbuf + (size_t)k * UDP_RBUF;
			iov[k].iov_len = UDP_RBUF;
			m[k].msg_hdr.msg_iov = &iov[k];
			m[k].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(u->p[i].fd, m, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (k = 0; k < n; k++) {
			len = m[k].msg_len;
			if (len < size) {
				u->shrt++;
				continue;
			}
			if (len > size)
				u->merged++;
			for (off = 0; off + size <= len; off += size)
				udp_chunk(u, i, u->rbuf + (size_t)k * UDP_RBUF +
				    off, len == size);
			if (off != len)
				u->shrt++;
		}
		if (n < UDP_BATCH)
			return;
	}
}

/* Declares overdue datagrams lost and moves each peer's base on. */
static void
udp_expire(struct udp_run *u)
{
	struct upeer	*p;
	double		 now = now_us(), tmo = (double)u->o->tmo_ms * 1e3;
	uint32_t	 s;
	long		 i;

	for (i = 0; i < u->o->peers; i++) {
		p = &u->p[i];
		for (s = p->base; s < p->next; s++)
			if (p->st[s] == D_OUT && now - p->sent_at[s] > tmo) {
				p->st[s] = D_LOST;
				p->inflight--;
				u->inflight--;
				u->lost++;
			}
		while (p->base < p->next && p->st[p->base] != D_OUT)
			p->base++;
	}
}

static int
udp_main(const struct opts *o)
{
	struct udp_run		 u;
	struct epoll_event	 e, evs[LG_EVENTS];
	struct sockaddr_in	 any;
	double			 end, hard, last_scan = 0, now;
	long			 i;
	int			 ep, n, k;

	memset(&u, 0, sizeof(u));
	u.o = o;
	u.p = xcalloc((size_t)o->peers, sizeof(*u.p));
	u.dgram = xcalloc(1, (size_t)o->size);
	u.rbuf = xcalloc(UDP_BATCH, UDP_RBUF);
	u.latcap = 2000000;
	u.lat = xcalloc(u.latcap, sizeof(*u.lat));
	fill_pattern(u.dgram, (size_t)o->size);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1");
	memset(&any, 0, sizeof(any));
	any.sin_family = AF_INET;
	any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < o->peers; i++) {
		u.p[i].fd = socket(o->to.ss_family, SOCK_DGRAM |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (u.p[i].fd == -1)
			die("socket");
		if (o->to.ss_family == AF_INET && bind(u.p[i].fd,
		    (struct sockaddr *)&any, sizeof(any)) == -1)
			die("bind");
		u.p[i].sent_at = xcalloc((size_t)o->count, sizeof(double));
		u.p[i].st = xcalloc((size_t)o->count, 1);
		memset(&e, 0, sizeof(e));
		e.events = EPOLLIN;
		e.data.u64 = (uint64_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, u.p[i].fd, &e) == -1)
			die("epoll_ctl");
	}
	u.start = now_us();
	end = u.start + o->secs * 1e6;
	hard = end + (double)o->tmo_ms * 1e3 + 1e6;
	u.sending = 1;
	for (i = 0; i < o->peers; i++)
		udp_send(&u, i);
	for (;;) {
		now = now_us();
		if (u.sending && now >= end)
			u.sending = 0;
		if (now - last_scan > 10e3) {
			udp_expire(&u);
			last_scan = now;
			for (i = 0; i < o->peers; i++)
				udp_send(&u, i);
		}
		if ((!u.sending || u.sent == o->count * o->peers) &&
		    u.inflight == 0)
			break;
		if (now > hard)
			break;
		n = epoll_wait(ep, evs, LG_EVENTS, 10);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			die("epoll_wait");
		for (k = 0; k < n; k++) {
			i = (long)evs[k].data.u64;
			udp_recv(&u, i);
			udp_send(&u, i);
		}
	}
	qsort(u.lat, u.nlat, sizeof(*u.lat), cmp_u32);
	now = u.last_reply > u.start ? (u.last_reply - u.start) / 1e6 : 0;
	printf("peers=%ld window=%ld size=%ld sent=%ld replies=%ld "
	    "rps=%.1f lost=%ld late=%ld dup=%ld merged=%ld merged_chunks=%ld "
	    "short=%ld corrupt=%ld send_err=%ld p50_us=%u p99_us=%u elapsed_s=%.3f "
	    "cpu_pct=%.0f\n",
	    o->peers, o->window, o->size, u.sent, u.replies,
	    now > 0 ? (double)u.replies / now : 0.0, u.lost + u.inflight,
	    u.late, u.dup, u.merged, u.merged_chunks, u.shrt, u.corrupt, u.send_err,
	    pct(u.lat, u.nlat, 50), pct(u.lat, u.nlat, 99),
	    (now_us() - u.start) / 1e6, cpu_pct(u.start));
	return (u.lost + u.inflight > 0 ? 1 : 0);
}

/* ---- main --------------------------------------------------------- */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen tcp|tls [-C] [-b NSRC] [-c CONNS] [-d SECS] "
	    "[-m PID] [-p USEC] [-r ROUNDS] [-s SIZE] [-t SECS] HOST PORT\n"
	    "       loadgen udp [-g] [-d SECS] [-n COUNT] [-P PEERS] [-s SIZE] "
	    "[-t MS] [-w WINDOW] HOST PORT\n");
	exit(2);
}

static long
number(const char *s, long lo, long hi)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		usage();
	return (v);
}

static void
resolve(struct opts *o, const char *host, const char *port)
{
	struct addrinfo	 hints, *res;
	int		 rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = o->udp ? SOCK_DGRAM : SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "loadgen: %s %s: %s\n", host, port,
		    gai_strerror(rc));
		exit(2);
	}
	memcpy(&o->to, res->ai_addr, res->ai_addrlen);
	o->tolen = res->ai_addrlen;
	freeaddrinfo(res);
}

int
main(int argc, char **argv)
{
	struct opts	o;
	struct rlimit	rl;
	int		ch;

	if (argc < 2)
		usage();
	memset(&o, 0, sizeof(o));
	o.udp = strcmp(argv[1], "udp") == 0;
	o.tls = strcmp(argv[1], "tls") == 0;
	if (!o.udp && !o.tls && strcmp(argv[1], "tcp") != 0)
		usage();
#ifndef HAVE_OPENSSL
	if (o.tls) {
		fprintf(stderr, "loadgen: built without OpenSSL: no tls mode\n");
		exit(2);
	}
#endif
	o.conns = 1;
	o.rounds = o.tls ? 0 : 1000;
	o.dur = 1;
	o.size = 64;
	o.nsrc = 1;
	o.secs = o.udp ? 2 : 60;
	o.peers = 1;
	o.window = 1;
	o.count = 1000000;
	o.tmo_ms = 1000;
	optind = 2;
	while ((ch = getopt(argc, argv, "Cb:c:d:gm:n:p:P:r:s:t:w:")) != -1) {
		switch (ch) {
		case 'C':
			o.shortc = 1;
			break;
		case 'b':
			o.nsrc = number(optarg, 1, 250);
			break;
		case 'c':
			o.conns = number(optarg, 1, 1000000);
			break;
		case 'd':
			if (o.udp)
				o.secs = (double)number(optarg, 1, 3600);
			else
				o.dur = (double)number(optarg, 1, 3600);
			break;
		case 'g':
			o.gso = 1;
			break;
		case 'm':
			o.pid = number(optarg, 1, 1L << 30);
			break;
		case 'n':
			o.count = number(optarg, 1, 10000000);
			break;
		case 'p':
			o.pause_us = number(optarg, 0, 10000000);
			break;
		case 'P':
			o.peers = number(optarg, 1, 1000);
			break;
		case 'r':
			o.rounds = number(optarg, o.udp ? 1 : 0, 100000000);
			break;
		case 's':
			o.size = number(optarg, UDP_HDR, 65000);
			break;
		case 't':
			if (o.udp)
				o.tmo_ms = number(optarg, 1, 600000);
			else
				o.secs = (double)number(optarg, 1, 3600);
			break;
		case 'w':
			o.window = number(optarg, 1, 100000);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	resolve(&o, argv[optind], argv[optind + 1]);
	signal(SIGPIPE, SIG_IGN);
	/* Every connection is an fd: take all the hard limit allows. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	return (o.udp ? udp_main(&o) : tcp_main(&o));
}
