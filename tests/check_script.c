/*
 * Unit tests for the --send/--expect script engine, driven over fake
 * streams (tests/fake_stream.h): a peer callback on the far end of a
 * socketpair answers each send, while the fake says "would block" at
 * every other call, hands out input a byte or two at a time from data
 * it holds (only stream_pending() tells), or waits for the opposite
 * readiness.  The script must finish byte-exact and never stall.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "fake_stream.h"
#include "loop.h"
#include "script.h"
#include "stream.h"

struct peer {
	int		 fd;		/* far end of the socketpair */
	char		 got[256];
	size_t		 ngot;
	int		 answered;	/* replies sent so far */
	int		 ack_fd;	/* > 0: a byte here per read */
	int		 silent;	/* never answer */
	int		 hangup;	/* close after the first read */
};

static struct loop		*l;
static struct fake_stream	 net;
static struct stream		 out;
static struct script		 sc;
static struct peer		 pr;
static int			 sv[2], outfd, ndone;

/* Answers "hello\n" with "wo" + "rld\nmore", then "bye\n" with "ok". */
static void
peer_readable(struct loop *lp, int fd, int mask, void *arg)
{
	ssize_t	n;

	n = read(fd, pr.got + pr.ngot, sizeof(pr.got) - 1 - pr.ngot);
	if (n <= 0)
		return;
	pr.ngot += (size_t)n;
	pr.got[pr.ngot] = '\0';
	if (pr.ack_fd > 0)
		ck_assert_int_eq(write(pr.ack_fd, "a", 1), 1);
	if (pr.hangup) {
		ck_assert_int_eq(loop_set_fd(lp, fd, 0, NULL, NULL), 0);
		(void)close(fd);
		pr.fd = -1;
		return;
	}
	if (pr.silent)
		return;
	if (pr.answered == 0 && strstr(pr.got, "hello\n") != NULL) {
		ck_assert_int_eq(write(fd, "wo", 2), 2);
		ck_assert_int_eq(write(fd, "rld\nmore", 8), 8);
		pr.answered = 1;
	}
	if (pr.answered == 1 && strstr(pr.got, "bye\n") != NULL) {
		ck_assert_int_eq(write(fd, "ok", 2), 2);
		pr.answered = 2;
	}
}

static void
on_done(struct script *s, void *arg)
{
	ndone++;
}

static void
setup(void)
{
	char	path[] = "/tmp/sockit-script.XXXXXX";

	ndone = 0;
	memset(&pr, 0, sizeof(pr));
	ck_assert_ptr_nonnull(l = loop_new());
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, sv), 0);
	pr.fd = sv[1];
	ck_assert_int_eq(loop_set_fd(l, pr.fd, LOOP_READABLE, peer_readable,
	    NULL), 0);
	ck_assert_int_ne(outfd = mkstemp(path), -1);
	ck_assert_int_eq(unlink(path), 0);
	stream_stdio_init(&out, outfd);
}

static void
teardown(void)
{
	script_free(&sc);
	if (pr.fd >= 0)
		(void)close(pr.fd);
	(void)close(sv[0]);
	(void)close(outfd);
	loop_free(l);
}

static const struct script_step *
steps(size_t *n)
{
	static struct script_step st[4];

	st[0].op = SCRIPT_SEND;
	st[0].data = (unsigned char *)"hello\n";
	st[0].len = 6;
	st[1].op = SCRIPT_EXPECT;
	st[1].data = (unsigned char *)"world";
	st[1].len = 5;
	st[2].op = SCRIPT_SEND;
	st[2].data = (unsigned char *)"bye\n";
	st[2].len = 4;
	st[3].op = SCRIPT_EXPECT;
	st[3].data = (unsigned char *)"ok";
	st[3].len = 2;
	*n = 4;
	return (st);
}

/* Runs until the script is done; fails on a 5 s stall or a spin. */
static long
run(void)
{
	long	i;

	for (i = 0; i < 100000 && ndone == 0; i++)
		ck_assert_msg(loop_process(l, 5000) > 0, "script stalled in "
		    "step %zu", sc.cur);
	ck_assert_int_eq(ndone, 1);
	return (i);
}

static void
assert_out(const char *want)
{
	char	buf[256];
	ssize_t	n;

	ck_assert_int_eq(lseek(outfd, 0, SEEK_SET), 0);
	ck_assert_int_ge(n = read(outfd, buf, sizeof(buf) - 1), 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, want);
}

static void
start(int mode, size_t maxio, int carrier, long long timeout_ms)
{
	const struct script_step	*st;
	size_t				 n;

	fake_stream_init(&net, sv[0], carrier, mode, maxio);
	st = steps(&n);
	ck_assert_int_eq(script_start(&sc, l, &net.s, &out, st, n, timeout_ms,
	    NULL, 0, NULL, on_done, NULL), 0);
}

START_TEST(test_would_block)
{
	long	rounds;

	/* Every other call says EAGAIN; one or two bytes per call. */
	start(FAKE_FLIP, 2, -1, 5000);
	rounds = run();
	ck_assert_int_eq(sc.result, SCRIPT_OK);
	ck_assert_str_eq(pr.got, "hello\nbye\n");
	assert_out("world\nmoreok");
	ck_assert_uint_gt(net.eagain, 0);
	ck_assert_int_lt(rounds, 4 * (long)net.calls + 100);
}
END_TEST

START_TEST(test_pending)
{
	/* Input held by the fake, one byte per read, the fd quiet. */
	start(FAKE_HOLD | FAKE_FLIP, 1, -1, 5000);
	(void)run();
	ck_assert_int_eq(sc.result, SCRIPT_OK);
	assert_out("world\nmoreok");
}
END_TEST

START_TEST(test_inverted_send)
{
	const struct script_step	*st;
	struct script_step		 two[2];
	size_t				 n;
	int				 car[2];

	/*
	 * Sends wait for the carrier to be readable (an acknowledgement
	 * from the peer per read); the carrier is never writable.  Two
	 * sends in a row: the second has to wait for the first's ack.
	 */
	ck_assert_int_eq(pipe2(car, O_NONBLOCK | O_CLOEXEC), 0);
	pr.ack_fd = car[1];
	ck_assert_int_eq(write(car[1], "a", 1), 1);
	fake_stream_init(&net, sv[0], car[0], FAKE_INVERT, 0);
	st = steps(&n);
	two[0] = st[0];
	two[1] = st[2];
	ck_assert_int_eq(script_start(&sc, l, &net.s, &out, two, 2, 5000,
	    NULL, 0, NULL, on_done, NULL), 0);
	(void)run();
	ck_assert_int_eq(sc.result, SCRIPT_OK);
	/* The peer reads what the last send wrote. */
	while (pr.ngot < 10 && loop_process(l, 5000) > 0)
		;
	ck_assert_str_eq(pr.got, "hello\nbye\n");
	ck_assert_int_eq(loop_get_mask(l, car[0]), 0);
	(void)close(car[0]);
	(void)close(car[1]);
}
END_TEST

START_TEST(test_timeout)
{
	pr.silent = 1;
	start(FAKE_FLIP, 0, -1, 100);
	(void)run();
	ck_assert_int_eq(sc.result, SCRIPT_TIMEOUT);
	ck_assert_uint_eq(sc.cur, 1);
	ck_assert_int_eq(loop_get_mask(l, sv[0]), 0);
}
END_TEST

START_TEST(test_eof)
{
	pr.hangup = 1;
	start(FAKE_FLIP, 0, -1, 5000);
	(void)run();
	ck_assert_int_eq(sc.result, SCRIPT_EOF);
	ck_assert_uint_eq(sc.cur, 1);
}
END_TEST

START_TEST(test_find)
{
	ck_assert_uint_eq(script_find((const unsigned char *)"abcabd", 6,
	    (const unsigned char *)"abd", 3), 6);
	ck_assert_uint_eq(script_find((const unsigned char *)"ab", 2,
	    (const unsigned char *)"abd", 3), 0);
	ck_assert_uint_eq(script_find((const unsigned char *)"xab", 3,
	    (const unsigned char *)"ab", 2), 3);
}
END_TEST

static Suite *
script_suite(void)
{
	Suite	*s = suite_create("script");
	TCase	*tc = tcase_create("fake-stream");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_would_block);
	tcase_add_test(tc, test_pending);
	tcase_add_test(tc, test_inverted_send);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_eof);
	suite_add_tcase(s, tc);
	tc = tcase_create("find");
	tcase_add_test(tc, test_find);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(script_suite());
	int	 failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
