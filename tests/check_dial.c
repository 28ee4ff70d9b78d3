/*
 * Unit tests for dialing in the event loop: connected, refused, timed
 * out (a listener whose backlog is full drops SYNs), a name that does not
 * resolve, every address of a name tried in turn, Unix paths with a full
 * queue, and cancelling.  A timer in the same loop proves that a dial
 * never blocks the loop.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "addr.h"
#include "dial.h"
#include "loop.h"
#include "sock.h"

#define FILL_MAX	64

static struct loop	*l;
static struct dial	 d;
static int		 ndone, got_fd, ticks;
static char		 err[SOCK_ERR_LEN];

static void
on_dial(struct dial *dd, int fd, void *arg)
{
	ck_assert_ptr_eq(dd, &d);
	ndone++;
	got_fd = fd;
}

static void
on_tick(struct loop *lp, struct loop_timer *t, void *arg)
{
	ticks++;
	(void)loop_timer_set(lp, t, 20);
}

static void
setup(void)
{
	ck_assert_ptr_nonnull(l = loop_new());
	ndone = ticks = 0;
	got_fd = -2;
	err[0] = '\0';
}

static void
teardown(void)
{
	dial_cancel(&d);
	if (got_fd >= 0)
		(void)close(got_fd);
	loop_free(l);
}

static int
listen_lo(int backlog, char port[8])
{
	struct sock_listen_opts	o = { backlog, 0, SOCK_STREAM };
	int			fd;

	fd = sock_listen_inet("127.0.0.1", "0", AF_INET, &o, err);
	ck_assert_msg(fd != -1, "listen: %s", err);
	snprintf(port, 8, "%d", sock_local_port(fd));
	return (fd);
}

static struct sock_target
inet(const char *host, const char *port)
{
	struct sock_target	t;

	memset(&t, 0, sizeof(t));
	t.host = host;
	t.port = port;
	t.family = AF_UNSPEC;
	t.socktype = SOCK_STREAM;
	return (t);
}

/* Runs the loop until the dial is done, with a 20 ms ticker beside it. */
static void
run(void)
{
	struct loop_timer	tick;
	int			i;

	loop_timer_init(&tick, on_tick, NULL);
	ck_assert_int_eq(loop_timer_set(l, &tick, 20), 0);
	for (i = 0; i < 10000 && ndone == 0; i++)
		ck_assert_int_ne(loop_process(l, 5000), -1);
	loop_timer_cancel(l, &tick);
	ck_assert_int_eq(ndone, 1);
}

START_TEST(test_dial_ok)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);
	struct sock_target	t;
	char			port[8];
	int			lfd, fl;

	lfd = listen_lo(0, port);
	t = inet("127.0.0.1", port);
	ck_assert_int_eq(dial_start(&d, l, &t, 1000, on_dial, NULL, err), 0);
	/* Never done from inside dial_start. */
	ck_assert_int_eq(ndone, 0);
	run();
	ck_assert_int_ge(got_fd, 0);
	ck_assert_int_eq(getpeername(got_fd, (struct sockaddr *)&ss, &len), 0);
	ck_assert_int_ne(fl = fcntl(got_fd, F_GETFL), -1);
	ck_assert(fl & O_NONBLOCK);
	ck_assert(fcntl(got_fd, F_GETFD) & FD_CLOEXEC);
	(void)close(lfd);
}
END_TEST

START_TEST(test_dial_refused)
{
	struct sock_target	t;
	char			port[8];
	int			lfd;

	lfd = listen_lo(0, port);
	(void)close(lfd);
	t = inet("127.0.0.1", port);
	ck_assert_int_eq(dial_start(&d, l, &t, 1000, on_dial, NULL, err), 0);
	run();
	ck_assert_int_eq(got_fd, -1);
	ck_assert_int_eq(d.err, ECONNREFUSED);
}
END_TEST

START_TEST(test_dial_timeout)
{
	struct sock_target	t;
	char			port[8];
	int			lfd, fds[FILL_MAX], i, n;

	/* Fill the backlog of a listener nobody accepts on. */
	lfd = listen_lo(1, port);
	for (n = 0; n < FILL_MAX; n++) {
		fds[n] = sock_connect_inet("127.0.0.1", port, AF_INET,
		    SOCK_STREAM, 100, err);
		if (fds[n] == -1)
			break;
	}
	ck_assert_int_lt(n, FILL_MAX);
	t = inet("127.0.0.1", port);
	ck_assert_int_eq(dial_start(&d, l, &t, 300, on_dial, NULL, err), 0);
	run();
	ck_assert_int_eq(got_fd, -1);
	ck_assert_int_eq(d.err, ETIMEDOUT);
	/* The loop went on meanwhile: the 20 ms ticker ran. */
	ck_assert_int_ge(ticks, 5);
	for (i = 0; i < n; i++)
		(void)close(fds[i]);
	(void)close(lfd);
}
END_TEST

START_TEST(test_dial_unresolved)
{
	struct sock_target	t = inet("no-such-host.invalid", "80");

	errno = 0;
	ck_assert_int_eq(dial_start(&d, l, &t, 1000, on_dial, NULL, err), -1);
	ck_assert_int_eq(errno, EHOSTUNREACH);
	/* The resolver's own words, not "No route to host". */
	ck_assert_ptr_nonnull(strstr(err, "no-such-host.invalid"));
	ck_assert_ptr_null(strstr(err, "No route to host"));
	ck_assert_int_eq(ndone, 0);
}
END_TEST

START_TEST(test_dial_every_address)
{
	struct sock_target	t;
	char			port[8];
	int			lfd;

	/*
	 * "localhost" resolves to ::1 and 127.0.0.1 here; only the IPv4
	 * address listens.  Whatever the order, the dial gets through.
	 */
	lfd = listen_lo(0, port);
	t = inet("localhost", port);
	ck_assert_int_eq(dial_start(&d, l, &t, 1000, on_dial, NULL, err), 0);
	run();
	ck_assert_msg(got_fd >= 0, "dial localhost: %s", strerror(d.err));
	(void)close(lfd);
}
END_TEST

START_TEST(test_dial_unix_full)
{
	struct addr_unix	ua;
	struct sockaddr_storage	ss;
	struct sock_target	t;
	char			dir[] = "/tmp/sockit-dial.XXXXXX", path[64];
	socklen_t		len;
	int			lfd, fds[FILL_MAX], i, n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	ck_assert_int_eq(addr_parse_unix(path, &ua, err), 0);
	lfd = sock_listen_unix(&ua, SOCK_STREAM, 1, 0600, err);
	ck_assert_int_ne(lfd, -1);
	len = sock_unix_sockaddr(&ua, &ss);
	for (n = 0; n < FILL_MAX; n++) {
		ck_assert_int_ne(fds[n] = socket(AF_UNIX, SOCK_STREAM |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, 0), -1);
		if (connect(fds[n], (struct sockaddr *)&ss, len) == -1) {
			(void)close(fds[n]);
			break;
		}
	}
	ck_assert_int_lt(n, FILL_MAX);
	memset(&t, 0, sizeof(t));
	t.socktype = SOCK_STREAM;
	t.path = &ua;
	/* EAGAIN from a full queue is retried until the timeout. */
	ck_assert_int_eq(dial_start(&d, l, &t, 200, on_dial, NULL, err), 0);
	run();
	ck_assert_int_eq(got_fd, -1);
	ck_assert_int_eq(d.err, ETIMEDOUT);
	/* And it connects once the queue has room again. */
	for (i = 0; i < n; i++)
		(void)close(fds[i]);
	(void)close(lfd);
	lfd = sock_listen_unix(&ua, SOCK_STREAM, 16, 0600, err);
	ck_assert_int_ne(lfd, -1);
	ndone = 0;
	ck_assert_int_eq(dial_start(&d, l, &t, 200, on_dial, NULL, err), 0);
	run();
	ck_assert_int_ge(got_fd, 0);
	(void)close(lfd);
	(void)unlink(path);
	(void)rmdir(dir);
}
END_TEST

START_TEST(test_dial_cancel)
{
	struct sock_target	t;
	char			port[8];
	int			lfd, i;

	lfd = listen_lo(0, port);
	t = inet("127.0.0.1", port);
	ck_assert_int_eq(dial_start(&d, l, &t, 1000, on_dial, NULL, err), 0);
	dial_cancel(&d);
	for (i = 0; i < 5; i++)
		(void)loop_process(l, 10);
	ck_assert_int_eq(ndone, 0);
	(void)close(lfd);
}
END_TEST

static Suite *
dial_suite(void)
{
	Suite	*s = suite_create("dial");
	TCase	*tc = tcase_create("dial");

	tcase_set_timeout(tc, 20);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dial_ok);
	tcase_add_test(tc, test_dial_refused);
	tcase_add_test(tc, test_dial_timeout);
	tcase_add_test(tc, test_dial_unresolved);
	tcase_add_test(tc, test_dial_every_address);
	tcase_add_test(tc, test_dial_unix_full);
	tcase_add_test(tc, test_dial_cancel);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(dial_suite());
	int	 failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
