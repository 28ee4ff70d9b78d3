/*
 * Unit tests for datagram batches (dgram-batch.c): which replies are
 * grouped into one UDP GSO send, that a grouped flush still arrives as
 * the same separate datagrams in the same order, and that a socket that
 * refuses GSO gets its datagrams one by one and no more groups; the
 * largest datagram a socket can send (dgb_max), and that it can.
 * UDP on 127.0.0.1 (and ::1) port 0 and Unix socketpairs only.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "dgram-batch.h"
#include "dgram-pace.h"

#define MAX_DGRAM	65536

/* A UDP socket bound to 127.0.0.1 and an ephemeral port. */
static int
udp_lo(struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in	sin;
	int			fd, big = 4 * 1024 * 1024;

	ck_assert_int_ne(fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0),
	    -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	/* Room for every datagram a test sends before it reads. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	*len = sizeof(*ss);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)ss, len), 0);
	return (fd);
}

/* Receives one datagram (2 s at most) and checks its length and bytes. */
static void
expect_dgram(int fd, const unsigned char *want, size_t len)
{
	static unsigned char	got[MAX_DGRAM];
	struct pollfd		pfd = { fd, POLLIN, 0 };
	ssize_t			n;

	ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
	n = recv(fd, got, sizeof(got), MSG_DONTWAIT);
	ck_assert_int_eq(n, (ssize_t)len);
	ck_assert(memcmp(got, want, len) == 0);
}

static void
expect_nothing_more(int fd)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };

	ck_assert_int_eq(poll(&pfd, 1, 50), 0);
}

static int	unsent;

static void
count_unsent(const struct dgb_send *s, int err, void *arg)
{
	(void)s; (void)err; (void)arg;
	unsent++;
}

/* The grouping rule, on a batch that is never sent. */
START_TEST(test_group_rule)
{
	static const unsigned char	data[70000];
	struct sockaddr_storage		a, b;
	struct dgb			bt;
	int				i;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.ss_family = b.ss_family = AF_INET;
	((struct sockaddr_in *)&a)->sin_port = htons(1000);
	((struct sockaddr_in *)&b)->sin_port = htons(1001);
	memset(&bt, 0, sizeof(bt));
	bt.gso = 1;
	/* a:64 a:64 a:64 a:10 | a:64 | b:64 b:64 | a:64 a:100 | a:0 a:0 */
	dgb_add(&bt, &a, sizeof(a), data, 64);
	dgb_add(&bt, &a, sizeof(a), data, 64);
	dgb_add(&bt, &a, sizeof(a), data, 64);
	dgb_add(&bt, &a, sizeof(a), data, 10);
	dgb_add(&bt, &a, sizeof(a), data, 64);
	dgb_add(&bt, &b, sizeof(b), data, 64);
	dgb_add(&bt, &b, sizeof(b), data, 64);
	dgb_add(&bt, &a, sizeof(a), data, 64);
	dgb_add(&bt, &a, sizeof(a), data, 100);
	dgb_add(&bt, &a, sizeof(a), data, 0);
	dgb_add(&bt, &a, sizeof(a), data, 0);
	ck_assert_int_eq(dgb_group_len(&bt, 0), 4);	/* shorter last ends */
	ck_assert_int_eq(dgb_group_len(&bt, 4), 1);	/* next peer differs */
	ck_assert_int_eq(dgb_group_len(&bt, 5), 2);
	ck_assert_int_eq(dgb_group_len(&bt, 7), 1);	/* a longer one */
	ck_assert_int_eq(dgb_group_len(&bt, 9), 1);	/* empty: never */
	bt.gso = 0;
	ck_assert_int_eq(dgb_group_len(&bt, 0), 1);

	/* At most DGB_GSO_BYTES in one group. */
	memset(&bt, 0, sizeof(bt));
	bt.gso = 1;
	for (i = 0; i < 3; i++)
		dgb_add(&bt, &a, sizeof(a), data, 30000);
	ck_assert_int_eq(dgb_group_len(&bt, 0), DGB_GSO_BYTES / 30000);
}
END_TEST

/*
 * A flush of mixed sizes, to two peers, arrives as the same datagrams
 * in the same order, grouped or not.
 */
START_TEST(test_flush_separate)
{
	static unsigned char	data[DGB_SENDS][3000];
	static const size_t	sizes[] = { 64, 64, 64, 64, 10, 64, 64, 3000,
				    3000, 3000, 1, 1, 200, 200, 5, 64 };
	struct sockaddr_storage	self, pa, pb;
	socklen_t		sl, la, lb;
	struct dgb		bt;
	int			fd, ra, rb, i, n = sizeof(sizes) / sizeof(sizes[0]);

	fd = udp_lo(&self, &sl);
	ra = udp_lo(&pa, &la);
	rb = udp_lo(&pb, &lb);
	ck_assert_int_eq(dgb_init(&bt, 1024), 0);
	dgb_group_replies(&bt, fd);
#if defined(UDP_SEGMENT) && defined(HAVE_SENDMMSG)
	ck_assert_msg(bt.gso, "a UDP socket does not group replies");
#endif
	bt.gso = bt.gso && _i;
	for (i = 0; i < n; i++) {
		memset(data[i], 'a' + i, sizeof(data[i]));
		/* Peer b gets the 6th and 7th: it splits a's run. */
		ck_assert_int_eq(dgb_add(&bt, i == 5 || i == 6 ? &pb : &pa,
		    i == 5 || i == 6 ? lb : la, data[i], sizes[i]), 0);
	}
	if (bt.gso)
		ck_assert_int_eq(dgb_group_len(&bt, 0), 5);
	unsent = 0;
	dgb_flush(&bt, fd, count_unsent, NULL);
	ck_assert_int_eq(unsent, 0);
	ck_assert_int_eq(bt.nout, 0);
	for (i = 0; i < n; i++)
		expect_dgram(i == 5 || i == 6 ? rb : ra, data[i], sizes[i]);
	expect_nothing_more(ra);
	expect_nothing_more(rb);
	dgb_free(&bt);
	close(fd);
	close(ra);
	close(rb);
}
END_TEST

/*
 * The kernel refuses a GSO send on a socket without UDP checksums
 * (SO_NO_CHECK).  The group's datagrams still arrive, one by one, and
 * the batch stops grouping.
 */
START_TEST(test_flush_refused_gso)
{
	static unsigned char	data[4][64];
	struct sockaddr_storage	self, peer;
	socklen_t		sl, pl;
	struct dgb		bt;
	int			fd, r, i, one = 1;

	fd = udp_lo(&self, &sl);
	r = udp_lo(&peer, &pl);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &one,
	    sizeof(one)), 0);
	ck_assert_int_eq(dgb_init(&bt, 1024), 0);
	dgb_group_replies(&bt, fd);
	if (!bt.gso) {
		dgb_free(&bt);
		close(fd);
		close(r);
		return;		/* no GSO on this system: nothing to refuse */
	}
	for (i = 0; i < 4; i++) {
		memset(data[i], '0' + i, sizeof(data[i]));
		dgb_add(&bt, &peer, pl, data[i], sizeof(data[i]));
	}
	ck_assert_int_eq(dgb_group_len(&bt, 0), 4);
	unsent = 0;
	dgb_flush(&bt, fd, count_unsent, NULL);
	ck_assert_int_eq(unsent, 0);
	ck_assert_int_eq(bt.gso, 0);
	for (i = 0; i < 4; i++)
		expect_dgram(r, data[i], sizeof(data[i]));
	expect_nothing_more(r);
	dgb_free(&bt);
	close(fd);
	close(r);
}
END_TEST

/* Only UDP sockets group: a Unix datagram socket never does. */
START_TEST(test_unix_never_groups)
{
	struct dgb	bt;
	int		sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	ck_assert_int_eq(dgb_init(&bt, 1024), 0);
	bt.gso = 1;
	dgb_group_replies(&bt, sv[0]);
	ck_assert_int_eq(bt.gso, 0);
	dgb_free(&bt);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* UDP: 65507 bytes over IPv4 and to IPv4-mapped addresses, 65527 over IPv6. */
START_TEST(test_max_udp)
{
	static unsigned char	data[DGB_UDP6_MAX + 1];
	struct sockaddr_storage	ss, to;
	struct sockaddr_in6	sin6;
	socklen_t		len;
	int			fd, r;

	fd = udp_lo(&ss, &len);
	ck_assert_uint_eq(dgb_max(fd, NULL), DGB_UDP4_MAX);
	ck_assert_uint_eq(dgb_max(fd, &ss), DGB_UDP4_MAX);
	ck_assert_int_eq(sendto(fd, data, DGB_UDP4_MAX, 0,
	    (struct sockaddr *)&ss, len), DGB_UDP4_MAX);
	ck_assert_int_eq(sendto(fd, data, DGB_UDP4_MAX + 1, 0,
	    (struct sockaddr *)&ss, len), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	close(fd);

	/* An IPv4-mapped destination is IPv4. */
	memset(&to, 0, sizeof(to));
	to.ss_family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:127.0.0.1",
	    &((struct sockaddr_in6 *)&to)->sin6_addr), 1);
	ck_assert_uint_eq(dgb_max(-1, &to), DGB_UDP4_MAX);

	if ((fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;		/* no IPv6 */
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1) {
		close(fd);
		return;		/* no ::1 */
	}
	len = sizeof(sin6);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin6, &len), 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin6, len), 0);
	ck_assert_uint_eq(dgb_max(fd, NULL), DGB_UDP6_MAX);
	ck_assert_int_eq(send(fd, data, DGB_UDP6_MAX, 0), DGB_UDP6_MAX);
	ck_assert_int_eq(send(fd, data, DGB_UDP6_MAX + 1, 0), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	close(fd);

	/* A dual-stack socket may send to IPv4 peers: the IPv4 limit. */
	r = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(r, -1);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_any;
	ck_assert_int_eq(bind(r, (struct sockaddr *)&sin6, sizeof(sin6)), 0);
	ck_assert_uint_eq(dgb_max(r, NULL), DGB_UDP4_MAX);
	close(r);
}
END_TEST

/*
 * Unix: as long as the send buffer allows, which is exactly what the
 * kernel takes (one byte more is EMSGSIZE), at most DGB_RECV_MAX.
 */
START_TEST(test_max_unix)
{
	static const int	sizes[] = { 0, 4096, 65536, 1 << 20 };
	static unsigned char	data[DGB_RECV_MAX + 1];
	size_t			max;
	int			sv[2], size = sizes[_i];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	if (size > 0)
		ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF,
		    &size, sizeof(size)), 0);
	max = dgb_max(sv[0], NULL);
	ck_assert_uint_gt(max, 1024);
	ck_assert_uint_le(max, DGB_RECV_MAX);
	ck_assert_int_eq(send(sv[0], data, max, MSG_DONTWAIT), (ssize_t)max);
	ck_assert_int_eq(recv(sv[1], data, sizeof(data), MSG_DONTWAIT),
	    (ssize_t)max);
	if (max < DGB_RECV_MAX) {
		ck_assert_int_eq(send(sv[0], data, max + 1, MSG_DONTWAIT), -1);
		ck_assert_int_eq(errno, EMSGSIZE);
	}
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* Pacing: a window of datagrams ahead of the replies. */

START_TEST(test_pace_window)
{
	struct dgram_pace	p;
	int			i;

	dgram_pace_init(&p, 1000);
	for (i = 0; i < DGRAM_PACE_WINDOW; i++) {
		ck_assert(dgram_pace_open(&p, 1000));
		dgram_pace_sent(&p);
	}
	ck_assert(!dgram_pace_open(&p, 1005));
	/* A reply opens room for one more. */
	dgram_pace_reply(&p, 1006);
	ck_assert(dgram_pace_open(&p, 1006));
	dgram_pace_sent(&p);
	ck_assert(!dgram_pace_open(&p, 1006));
	/* A small receive buffer makes the window smaller, never 0. */
	dgram_pace_fit(&p, 10000, 1000);
	ck_assert_uint_eq(p.window, 5);
	dgram_pace_fit(&p, 100, 1000);
	ck_assert_uint_eq(p.window, 1);
}
END_TEST

START_TEST(test_pace_silent_peer)
{
	struct dgram_pace	p;
	long long		now = 5000;
	int			i, round, sent;

	/*
	 * A peer that says nothing: each quiet spell of DGRAM_PACE_STALL_MS
	 * grants one more window, never the rest of the input at once (a
	 * peer that was only slow to start would drown in replies).
	 */
	dgram_pace_init(&p, now);
	for (round = 0; round < 4; round++) {
		for (sent = 0; sent < 1000 && dgram_pace_open(&p, now); sent++)
			dgram_pace_sent(&p);
		ck_assert_int_eq(sent, DGRAM_PACE_WINDOW);
		ck_assert(!dgram_pace_open(&p, now + DGRAM_PACE_STALL_MS - 1));
		now += DGRAM_PACE_STALL_MS;
	}
	/* Once it answers, the window counts from the replies again. */
	for (i = 0; i < 4 * DGRAM_PACE_WINDOW; i++)
		dgram_pace_reply(&p, now);
	ck_assert_uint_eq(p.credit, 0);
	for (sent = 0; sent < 1000 && dgram_pace_open(&p, now); sent++)
		dgram_pace_sent(&p);
	ck_assert_int_eq(sent, DGRAM_PACE_WINDOW);
}
END_TEST

static Suite *
dgram_suite(void)
{
	Suite	*s = suite_create("dgram");
	TCase	*tc;

	tc = tcase_create("batch");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_group_rule);
	/* _i = 1: grouped where the system has GSO; _i = 0: not grouped. */
	tcase_add_loop_test(tc, test_flush_separate, 0, 2);
	tcase_add_test(tc, test_flush_refused_gso);
	tcase_add_test(tc, test_unix_never_groups);
	suite_add_tcase(s, tc);

	tc = tcase_create("max");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_max_udp);
	/* _i: the send buffer asked for (0: the system's default). */
	tcase_add_loop_test(tc, test_max_unix, 0, 4);
	suite_add_tcase(s, tc);

	tc = tcase_create("pace");
	tcase_add_test(tc, test_pace_window);
	tcase_add_test(tc, test_pace_silent_peer);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failures;

	(void)signal(SIGPIPE, SIG_IGN);
	sr = srunner_create(dgram_suite());
	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failures ? 1 : 0);
}
