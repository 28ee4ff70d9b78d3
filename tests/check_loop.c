/*
 * Unit tests for the event loop: fd readiness and masks, the timer heap,
 * dispatch when callbacks change the fd table under the loop's feet, and
 * busy polling.
 * Every fd is one end of a socketpair() or a temporary regular file.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "clock.h"
#include "loop.h"

#define NTIMERS		200	/* timers in the heap stress test */
#define HIGH_FD		300	/* beyond the first fd table allocation */

static struct loop	*l;

/* What fd callbacks saw, for the assertions. */
struct seen {
	int	calls;
	int	fd;
	int	mask;
	void	*arg;
};

static void
setup(void)
{
	l = loop_new();
	ck_assert_ptr_nonnull(l);
}

static void
teardown(void)
{
	loop_free(l);
	l = NULL;
}

/* A non-blocking, close-on-exec socketpair, as the loop's users make. */
static void
pair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, sv), 0);
}

static void
closepair(int sv[2])
{
	(void)close(sv[0]);
	(void)close(sv[1]);
}

static void
put(int fd, const char *s)
{
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* An unlinked temporary regular file: epoll refuses those. */
static int
regular_file(void)
{
	char	path[] = "/tmp/sockit.XXXXXX";
	int	fd;

	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(write(fd, "data", 4), 4);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return (fd);
}

static void
on_fd(struct loop *lp, int fd, int mask, void *arg)
{
	struct seen	*s = arg;

	ck_assert_ptr_eq(lp, l);
	s->calls++;
	s->fd = fd;
	s->mask = mask;
	s->arg = arg;
}

/* Reads what is there so that level-triggered readiness goes away. */
static void
on_fd_drain(struct loop *lp, int fd, int mask, void *arg)
{
	char	buf[64];

	on_fd(lp, fd, mask, arg);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

START_TEST(test_fd_readable)
{
	struct seen	s = { 0 };
	int		sv[2];

	pair(sv);
	ck_assert_int_eq(loop_set_fd(l, sv[1], LOOP_READABLE, on_fd, &s), 0);
	ck_assert_int_eq(loop_get_mask(l, sv[1]), LOOP_READABLE);
	/* Nothing to read yet: no callback. */
	ck_assert_int_eq(loop_process(l, 0), 0);
	ck_assert_int_eq(s.calls, 0);
	put(sv[0], "x");
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.fd, sv[1]);
	ck_assert_int_eq(s.mask, LOOP_READABLE);
	ck_assert_ptr_eq(s.arg, &s);
	closepair(sv);
}
END_TEST

/*
 * loop_forget_fd before close(2): the kernel drops the registration, and
 * a new socket that gets the same fd number is registered afresh.
 */
START_TEST(test_fd_forget_then_reuse)
{
	struct seen	s = { 0 };
	int		sv[2], sv2[2], fd;

	pair(sv);
	fd = sv[1];
	ck_assert_int_eq(loop_set_fd(l, fd, LOOP_READABLE, on_fd, &s), 0);
	put(sv[0], "x");
	loop_forget_fd(l, fd);
	ck_assert_int_eq(loop_get_mask(l, fd), 0);
	/* Forgotten: readable, but no callback. */
	ck_assert_int_eq(loop_process(l, 0), 0);
	ck_assert_int_eq(close(sv[1]), 0);
	ck_assert_int_eq(close(sv[0]), 0);
	pair(sv2);
	ck_assert(sv2[0] == fd || sv2[1] == fd);
	ck_assert_int_eq(loop_set_fd(l, fd, LOOP_READABLE, on_fd, &s), 0);
	put(sv2[0] == fd ? sv2[1] : sv2[0], "y");
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.fd, fd);
	closepair(sv2);
}
END_TEST

/*
 * loop_park_fd: the next owner takes the fd over with its own callback;
 * a parked fd nobody takes is unregistered by its first event.
 */
START_TEST(test_fd_park)
{
	struct seen	s = { 0 }, t = { 0 };
	int		sv[2];

	pair(sv);
	ck_assert_int_eq(loop_set_fd(l, sv[1], LOOP_READABLE, on_fd, &s), 0);
	loop_park_fd(l, sv[1]);
	ck_assert_int_eq(loop_get_mask(l, sv[1]), LOOP_READABLE);
	ck_assert(!loop_fd_is(l, sv[1], on_fd, &s));
	ck_assert_int_eq(loop_set_fd(l, sv[1], LOOP_READABLE, on_fd_drain,
	    &t), 0);
	ck_assert(loop_fd_is(l, sv[1], on_fd_drain, &t));
	put(sv[0], "x");
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(s.calls, 0);
	ck_assert_int_eq(t.calls, 1);
	/* Parked and left: the first event lets it go. */
	loop_park_fd(l, sv[1]);
	put(sv[0], "y");
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(loop_get_mask(l, sv[1]), 0);
	ck_assert_int_eq(loop_process(l, 0), 0);
	ck_assert_int_eq(t.calls, 1);
	closepair(sv);
}
END_TEST

START_TEST(test_fd_ready_subset)
{
	struct seen	s = { 0 };
	int		sv[2];

	pair(sv);
	ck_assert_int_eq(loop_set_fd(l, sv[1], LOOP_READABLE | LOOP_WRITABLE,
	    on_fd_drain, &s), 0);
	/* An idle socket is writable only: the callback gets that subset. */
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(s.mask, LOOP_WRITABLE);
	put(sv[0], "x");
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(s.mask, LOOP_READABLE | LOOP_WRITABLE);
	closepair(sv);
}
END_TEST

START_TEST(test_fd_add_del)
{
	struct seen	s = { 0 };
	int		sv[2];

	pair(sv);
	ck_assert_int_eq(loop_add_fd(l, sv[1], LOOP_READABLE, on_fd_drain, &s),
	    0);
	ck_assert_int_eq(loop_add_fd(l, sv[1], LOOP_WRITABLE, on_fd_drain, &s),
	    0);
	ck_assert_int_eq(loop_get_mask(l, sv[1]),
	    LOOP_READABLE | LOOP_WRITABLE);
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(s.mask, LOOP_WRITABLE);

	/* del keeps the callback and the remaining bit. */
	ck_assert_int_eq(loop_del_fd(l, sv[1], LOOP_WRITABLE), 0);
	ck_assert_int_eq(loop_get_mask(l, sv[1]), LOOP_READABLE);
	ck_assert_int_eq(loop_process(l, 0), 0);
	put(sv[0], "x");
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(s.calls, 2);
	ck_assert_int_eq(s.mask, LOOP_READABLE);

	/* Deleting the last bit removes the fd: nothing is left to wait on. */
	ck_assert_int_eq(loop_del_fd(l, sv[1], LOOP_READABLE), 0);
	ck_assert_int_eq(loop_get_mask(l, sv[1]), 0);
	put(sv[0], "y");
	ck_assert_int_eq(loop_process(l, -1), 0);
	ck_assert_int_eq(loop_run(l), 0);
	ck_assert_int_eq(s.calls, 2);
	closepair(sv);
}
END_TEST

START_TEST(test_fd_replace)
{
	struct seen	s1 = { 0 }, s2 = { 0 };
	int		sv[2];

	pair(sv);
	ck_assert_int_eq(loop_set_fd(l, sv[1], LOOP_WRITABLE, on_fd, &s1), 0);
	ck_assert_int_eq(loop_set_fd(l, sv[1], LOOP_WRITABLE, on_fd, &s2), 0);
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(s1.calls, 0);
	ck_assert_int_eq(s2.calls, 1);
	closepair(sv);
}
END_TEST

START_TEST(test_fd_bad_args)
{
	errno = 0;
	ck_assert_int_eq(loop_set_fd(l, -1, LOOP_READABLE, on_fd, NULL), -1);
	ck_assert_int_eq(errno, EBADF);
	/* Unknown fds have no mask, and removing them is not an error. */
	ck_assert_int_eq(loop_get_mask(l, -1), 0);
	ck_assert_int_eq(loop_get_mask(l, 100000), 0);
	ck_assert_int_eq(loop_set_fd(l, 100000, 0, NULL, NULL), 0);
	ck_assert_int_eq(loop_del_fd(l, 100000, LOOP_READABLE), 0);
	ck_assert_int_eq(loop_del_fd(l, -1, LOOP_READABLE), 0);
	/* An empty loop has nothing to wait for and must not block. */
	ck_assert_int_eq(loop_process(l, -1), 0);
	ck_assert_int_eq(loop_run(l), 0);
}
END_TEST

START_TEST(test_fd_high)
{
	struct seen	s = { 0 };
	int		sv[2], hi;

	pair(sv);
	ck_assert_int_ge(hi = fcntl(sv[1], F_DUPFD_CLOEXEC, HIGH_FD), HIGH_FD);
	ck_assert_int_eq(loop_set_fd(l, hi, LOOP_READABLE, on_fd_drain, &s),
	    0);
	put(sv[0], "x");
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(s.fd, hi);
	ck_assert_int_eq(loop_set_fd(l, hi, 0, NULL, NULL), 0);
	(void)close(hi);
	closepair(sv);
}
END_TEST

START_TEST(test_fd_regular_file)
{
	struct seen	s = { 0 };
	int		fd, sv[2];

	fd = regular_file();
	pair(sv);
	/* The backend refuses the file; the loop takes it anyway. */
	ck_assert_int_eq(loop_set_fd(l, fd, LOOP_READABLE, on_fd, &s), 0);
	ck_assert_int_eq(loop_get_mask(l, fd), LOOP_READABLE);
	/*
	 * Always ready: a blocking wait returns at once even with a socket
	 * that never becomes ready (a hang here is the tcase timeout).
	 */
	ck_assert_int_eq(loop_set_fd(l, sv[1], LOOP_READABLE, on_fd, NULL), 0);
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(s.calls, 2);
	ck_assert_int_eq(s.fd, fd);
	ck_assert_int_eq(s.mask, LOOP_READABLE);

	/* A mask change keeps it always ready; removal stops it. */
	ck_assert_int_eq(loop_add_fd(l, fd, LOOP_WRITABLE, on_fd, &s), 0);
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(s.mask, LOOP_READABLE | LOOP_WRITABLE);
	ck_assert_int_eq(loop_set_fd(l, fd, 0, NULL, NULL), 0);
	ck_assert_int_eq(loop_get_mask(l, fd), 0);
	ck_assert_int_eq(loop_process(l, 0), 0);
	ck_assert_int_eq(s.calls, 3);

	/* And it can come back. */
	ck_assert_int_eq(loop_set_fd(l, fd, LOOP_WRITABLE, on_fd, &s), 0);
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(s.mask, LOOP_WRITABLE);
	ck_assert_int_eq(loop_set_fd(l, fd, 0, NULL, NULL), 0);
	ck_assert_int_eq(loop_set_fd(l, sv[1], 0, NULL, NULL), 0);
	(void)close(fd);
	closepair(sv);
}
END_TEST

START_TEST(test_fd_regular_file_and_socket)
{
	struct seen	sf = { 0 }, ss = { 0 };
	int		fd, sv[2];

	fd = regular_file();
	pair(sv);
	ck_assert_int_eq(loop_set_fd(l, fd, LOOP_READABLE, on_fd, &sf), 0);
	ck_assert_int_eq(loop_set_fd(l, sv[1], LOOP_READABLE, on_fd_drain,
	    &ss), 0);
	put(sv[0], "x");
	/* The backend's events and the always-ready file in one batch. */
	ck_assert_int_eq(loop_process(l, -1), 2);
	ck_assert_int_eq(sf.calls, 1);
	ck_assert_int_eq(ss.calls, 1);
	ck_assert_int_eq(ss.fd, sv[1]);
	(void)close(fd);
	closepair(sv);
}
END_TEST

START_TEST(test_fd_hangup)
{
	struct seen	s = { 0 };
	int		sv[2];

	pair(sv);
	ck_assert_int_eq(loop_set_fd(l, sv[1], LOOP_READABLE, on_fd, &s), 0);
	(void)close(sv[0]);
	/* A hang-up is reported as readable: read() then says EOF. */
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(s.mask, LOOP_READABLE | LOOP_ERROR);
	ck_assert_int_eq(read(sv[1], &s, 1), 0);
	(void)close(sv[1]);
}
END_TEST

/* connect_to PORT: a non-blocking TCP connect to 127.0.0.1:port. */
static int
connect_to(struct sockaddr_in *sin)
{
	int	fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert(connect(fd, (struct sockaddr *)sin, sizeof(*sin)) == 0 ||
	    errno == EINPROGRESS);
	return (fd);
}

/*
 * A connect that finished is writable; a refused one is writable with
 * LOOP_ERROR too, so a dial asks SO_ERROR only then.
 */
START_TEST(test_fd_connect_error)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	struct seen		s = { 0 };
	int			lfd, fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	fd = connect_to(&sin);
	ck_assert_int_eq(loop_set_fd(l, fd, LOOP_WRITABLE, on_fd, &s), 0);
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(s.mask, LOOP_WRITABLE);
	ck_assert_int_eq(loop_set_fd(l, fd, 0, NULL, NULL), 0);
	(void)close(fd);
	(void)close(lfd);
	/* A port held bound but not listening: refused, and no one else
	 * (nor an ephemeral port of ours) can take it meanwhile. */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(lfd, 0);
	sin.sin_port = 0;
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	len = sizeof(sin);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	fd = connect_to(&sin);
	ck_assert_int_eq(loop_set_fd(l, fd, LOOP_WRITABLE, on_fd, &s), 0);
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(s.mask, LOOP_WRITABLE | LOOP_ERROR);
	ck_assert_int_eq(loop_set_fd(l, fd, 0, NULL, NULL), 0);
	(void)close(fd);
	(void)close(lfd);
}
END_TEST

START_TEST(test_fd_backend)
{
	const char	*b = loop_backend();

	ck_assert(strcmp(b, "epoll") == 0 || strcmp(b, "poll") == 0);
}
END_TEST

/* Timers record the order in which they fire. */
static int	order[NTIMERS];
static int	norder;

struct tt {
	struct loop_timer	 t;
	int			 id;
	int			 rearm;		/* times left to re-arm */
	struct tt		*victim;	/* cancelled when this fires */
	long long		 when;		/* t.when at arming */
};

static void
on_timer(struct loop *lp, struct loop_timer *t, void *arg)
{
	struct tt	*x = arg;

	ck_assert_ptr_eq(t, &x->t);
	/* Fired once per arming, never early, and disarmed on entry. */
	ck_assert(!loop_timer_armed(t));
	ck_assert_int_le(t->when, loop_now(lp));
	ck_assert_int_lt(norder, NTIMERS);
	order[norder++] = x->id;
	if (x->victim != NULL)
		loop_timer_cancel(lp, &x->victim->t);
	if (x->rearm > 0) {
		x->rearm--;
		ck_assert_int_eq(loop_timer_set(lp, t, 1), 0);
	}
}

static void
timers_setup(void)
{
	setup();
	norder = 0;
}

static void
arm(struct tt *x, int id, long long ms)
{
	if (x->t.cb == NULL)
		loop_timer_init(&x->t, on_timer, x);
	x->id = id;
	ck_assert_int_eq(loop_timer_set(l, &x->t, ms), 0);
	ck_assert(loop_timer_armed(&x->t));
	x->when = x->t.when;
}

/*
 * A deadline already passed (a negative delay, as a caller computing
 * "deadline - now" late gets) fires at once: the wait is clamped to 0,
 * never passed on negative, which epoll_wait and poll take as "forever".
 */
START_TEST(test_timer_past_deadline)
{
	struct tt	x;
	long long	start = clock_ms();

	memset(&x, 0, sizeof(x));
	arm(&x, 7, -5000);
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(norder, 1);
	ck_assert_int_eq(order[0], 7);
	ck_assert_int_lt(clock_ms() - start, 1000);
}
END_TEST

START_TEST(test_timer_order)
{
	struct tt	x[4];
	long long	start = loop_now(l);

	memset(x, 0, sizeof(x));
	arm(&x[0], 30, 30);
	arm(&x[1], 10, 10);
	arm(&x[2], 0, 0);
	arm(&x[3], 20, 20);
	/* loop_run returns once the last timer has fired. */
	ck_assert_int_eq(loop_run(l), 0);
	ck_assert_int_eq(norder, 4);
	ck_assert_int_eq(order[0], 0);
	ck_assert_int_eq(order[1], 10);
	ck_assert_int_eq(order[2], 20);
	ck_assert_int_eq(order[3], 30);
	ck_assert_int_ge(loop_now(l) - start, 30);
}
END_TEST

START_TEST(test_timer_init)
{
	struct loop_timer	t;
	int			arg;

	loop_timer_init(&t, NULL, &arg);
	ck_assert(!loop_timer_armed(&t));
	ck_assert_uint_eq(t.idx, LOOP_TIMER_IDLE);
	ck_assert_ptr_eq(t.arg, &arg);
	/* Cancelling an idle timer is harmless. */
	loop_timer_cancel(l, &t);
	ck_assert(!loop_timer_armed(&t));
}
END_TEST

START_TEST(test_timer_cancel)
{
	struct tt	x[3];

	memset(x, 0, sizeof(x));
	arm(&x[0], 1, 5);
	arm(&x[1], 2, 0);
	arm(&x[2], 3, 10);
	loop_timer_cancel(l, &x[1].t);
	ck_assert(!loop_timer_armed(&x[1].t));
	loop_timer_cancel(l, &x[1].t);
	ck_assert_int_eq(loop_run(l), 0);
	ck_assert_int_eq(norder, 2);
	ck_assert_int_eq(order[0], 1);
	ck_assert_int_eq(order[1], 3);
	ck_assert(!loop_timer_armed(&x[0].t));
}
END_TEST

START_TEST(test_timer_rearm)
{
	struct tt	x[2];

	memset(x, 0, sizeof(x));
	/* Setting an armed timer moves it rather than adding it twice. */
	arm(&x[0], 1, 5);
	arm(&x[1], 2, 10);
	/* Far later than x[1]'s re-arms, even on a loaded machine. */
	arm(&x[0], 1, 500);
	/* A callback may re-arm its own timer: once per arming. */
	x[1].rearm = 3;
	ck_assert_int_eq(loop_run(l), 0);
	ck_assert_int_eq(norder, 5);
	ck_assert_int_eq(order[0], 2);
	ck_assert_int_eq(order[3], 2);
	ck_assert_int_eq(order[4], 1);
}
END_TEST

START_TEST(test_timer_cancel_from_cb)
{
	struct tt	x[2];

	memset(x, 0, sizeof(x));
	arm(&x[0], 1, 0);
	arm(&x[1], 2, 0);
	x[0].victim = &x[1];
	x[1].victim = &x[0];
	/* Both are due in one pass: whichever runs first cancels the other. */
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(norder, 1);
	ck_assert(!loop_timer_armed(&x[0].t));
	ck_assert(!loop_timer_armed(&x[1].t));
	ck_assert_int_eq(loop_process(l, -1), 0);
}
END_TEST

START_TEST(test_timer_heap)
{
	static struct tt	x[NTIMERS];
	long long		last = 0;
	int			i, fired[NTIMERS];
	unsigned		seed = 12345;

	memset(x, 0, sizeof(x));
	memset(fired, 0, sizeof(fired));
	for (i = 0; i < NTIMERS; i++) {
		seed = seed * 1103515245 + 12345;
		arm(&x[i], i, (seed >> 16) % 40);
	}
	/* Cancel from the middle of the heap, and re-arm some. */
	for (i = 0; i < NTIMERS; i += 3)
		loop_timer_cancel(l, &x[i].t);
	for (i = 1; i < NTIMERS; i += 7)
		if (i % 3 != 0)
			arm(&x[i], i, 40 - i % 40);
	ck_assert_int_eq(loop_run(l), 0);
	for (i = 0; i < norder; i++) {
		ck_assert_int_eq(fired[order[i]]++, 0);
		ck_assert_int_ne(order[i] % 3, 0);
		/* The heap pops in deadline order. */
		ck_assert_int_ge(x[order[i]].when, last);
		last = x[order[i]].when;
	}
	ck_assert_int_eq(norder, NTIMERS - (NTIMERS + 2) / 3);
}
END_TEST

START_TEST(test_timer_wakes_wait)
{
	struct tt	x;
	struct seen	s = { 0 };
	int		sv[2];

	pair(sv);
	memset(&x, 0, sizeof(x));
	/* The socket never gets ready: only the timer can end the wait. */
	ck_assert_int_eq(loop_set_fd(l, sv[1], LOOP_READABLE, on_fd, &s), 0);
	arm(&x, 7, 15);
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(norder, 1);
	ck_assert_int_eq(s.calls, 0);
	/* A bounded wait with nothing due returns nothing. */
	ck_assert_int_eq(loop_process(l, 1), 0);
	closepair(sv);
}
END_TEST

START_TEST(test_timer_loop_free_armed)
{
	struct tt	x;

	memset(&x, 0, sizeof(x));
	/* Freeing a loop with armed timers and fds must not leak. */
	arm(&x, 1, 100000);
	ck_assert_int_eq(loop_process(l, 0), 0);
	ck_assert_int_eq(norder, 0);
}
END_TEST

/* Two fds whose callbacks each remove and close the other. */
struct killer {
	int		 fd;
	struct killer	*other;
	int		 calls;
};

static void
on_kill_other(struct loop *lp, int fd, int mask, void *arg)
{
	struct killer	*k = arg;

	k->calls++;
	ck_assert_int_eq(fd, k->fd);
	ck_assert_int_ne(k->other->fd, -1);
	ck_assert_int_eq(loop_set_fd(lp, k->other->fd, 0, NULL, NULL), 0);
	(void)close(k->other->fd);
	k->other->fd = -1;
}

START_TEST(test_dispatch_remove_other)
{
	struct killer	k[2];
	int		a[2], b[2];

	pair(a);
	pair(b);
	k[0].fd = a[1];
	k[0].other = &k[1];
	k[0].calls = 0;
	k[1].fd = b[1];
	k[1].other = &k[0];
	k[1].calls = 0;
	ck_assert_int_eq(loop_set_fd(l, a[1], LOOP_READABLE, on_kill_other,
	    &k[0]), 0);
	ck_assert_int_eq(loop_set_fd(l, b[1], LOOP_READABLE, on_kill_other,
	    &k[1]), 0);
	put(a[0], "x");
	put(b[0], "x");
	/*
	 * Both are ready in one batch; the first callback removes the
	 * second fd, which must then not be dispatched.
	 */
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(k[0].calls + k[1].calls, 1);
	(void)close(k[0].fd == -1 ? k[1].fd : k[0].fd);
	(void)close(a[0]);
	(void)close(b[0]);
}
END_TEST

/* Removes its own fd and clears the bit of another in the same batch. */
struct remover {
	int	calls;
	int	mask;
	int	other;
	int	other_bits;
};

static void
on_remove_self(struct loop *lp, int fd, int mask, void *arg)
{
	struct remover	*r = arg;

	r->calls++;
	r->mask = mask;
	ck_assert_int_eq(loop_set_fd(lp, fd, 0, NULL, NULL), 0);
	if (r->other != -1)
		ck_assert_int_eq(loop_del_fd(lp, r->other, r->other_bits), 0);
}

START_TEST(test_dispatch_remove_self)
{
	struct remover	r = { 0, 0, -1, 0 };
	int		sv[2];

	pair(sv);
	ck_assert_int_eq(loop_set_fd(l, sv[1], LOOP_WRITABLE, on_remove_self,
	    &r), 0);
	ck_assert_int_eq(loop_process(l, -1), 1);
	ck_assert_int_eq(loop_process(l, 0), 0);
	ck_assert_int_eq(r.calls, 1);
	/* With the only fd gone, loop_run has nothing to do. */
	ck_assert_int_eq(loop_run(l), 0);
	closepair(sv);
}
END_TEST

START_TEST(test_dispatch_narrowed_mask)
{
	struct remover	r[2];
	int		a[2], b[2];

	pair(a);
	pair(b);
	/*
	 * Both fds fire R|W.  Whichever runs first drops the other's
	 * WRITABLE bit; the second must then see only READABLE.
	 */
	memset(r, 0, sizeof(r));
	r[0].other = b[1];
	r[0].other_bits = LOOP_WRITABLE;
	r[1].other = a[1];
	r[1].other_bits = LOOP_WRITABLE;
	put(a[0], "x");
	put(b[0], "x");
	ck_assert_int_eq(loop_set_fd(l, a[1], LOOP_READABLE | LOOP_WRITABLE,
	    on_remove_self, &r[0]), 0);
	ck_assert_int_eq(loop_set_fd(l, b[1], LOOP_READABLE | LOOP_WRITABLE,
	    on_remove_self, &r[1]), 0);
	ck_assert_int_eq(loop_process(l, -1), 2);
	ck_assert_int_eq(r[0].calls, 1);
	ck_assert_int_eq(r[1].calls, 1);
	ck_assert_int_eq(r[0].mask | r[1].mask, LOOP_READABLE | LOOP_WRITABLE);
	ck_assert_int_ne(r[0].mask, r[1].mask);
	closepair(a);
	closepair(b);
}
END_TEST

static int	grown_fd = -1;

/* Registers a high fd mid-dispatch: the fd and fired tables move. */
static void
on_grow(struct loop *lp, int fd, int mask, void *arg)
{
	int	*calls = arg;

	(*calls)++;
	if (grown_fd == -1) {
		ck_assert_int_ge(grown_fd = fcntl(fd, F_DUPFD_CLOEXEC,
		    4 * HIGH_FD), 4 * HIGH_FD);
		ck_assert_int_eq(loop_set_fd(lp, grown_fd, LOOP_WRITABLE,
		    on_grow, calls), 0);
	}
}

START_TEST(test_dispatch_grow)
{
	int	a[2], b[2], calls = 0;

	pair(a);
	pair(b);
	grown_fd = -1;
	ck_assert_int_eq(loop_set_fd(l, a[1], LOOP_WRITABLE, on_grow, &calls),
	    0);
	ck_assert_int_eq(loop_set_fd(l, b[1], LOOP_WRITABLE, on_grow, &calls),
	    0);
	ck_assert_int_eq(loop_process(l, -1), 2);
	ck_assert_int_eq(calls, 2);
	ck_assert_int_eq(loop_process(l, -1), 3);
	ck_assert_int_eq(calls, 5);
	(void)close(grown_fd);
	closepair(a);
	closepair(b);
}
END_TEST

static void
on_stop_at(struct loop *lp, int fd, int mask, void *arg)
{
	int	*calls = arg;

	if (++*calls % 5 == 0)
		loop_stop(lp);
}

START_TEST(test_dispatch_run_stop)
{
	int	sv[2], calls = 0;

	pair(sv);
	/* Always writable: only loop_stop can end loop_run. */
	ck_assert_int_eq(loop_set_fd(l, sv[1], LOOP_WRITABLE, on_stop_at,
	    &calls), 0);
	ck_assert_int_eq(loop_run(l), 0);
	ck_assert_int_eq(calls, 5);
	/* loop_run clears the stop request of the previous run. */
	ck_assert_int_eq(loop_run(l), 0);
	ck_assert_int_eq(calls, 10);
	closepair(sv);
}
END_TEST

static void
on_timer_stop(struct loop *lp, struct loop_timer *t, void *arg)
{
	int	*fired = arg;

	(*fired)++;
	loop_stop(lp);
}

START_TEST(test_dispatch_timer_stop)
{
	struct loop_timer	t;
	struct seen		s = { 0 };
	int			sv[2], fired = 0;

	pair(sv);
	/* An idle fd stays registered; the timer is what stops the run. */
	ck_assert_int_eq(loop_set_fd(l, sv[1], LOOP_READABLE, on_fd, &s), 0);
	loop_timer_init(&t, on_timer_stop, &fired);
	ck_assert_int_eq(loop_timer_set(l, &t, 5), 0);
	ck_assert_int_eq(loop_run(l), 0);
	ck_assert_int_eq(fired, 1);
	ck_assert_int_eq(s.calls, 0);
	closepair(sv);
}
END_TEST

START_TEST(test_dispatch_stop_then_process)
{
	struct loop_timer	t;
	int			fired = 0, n = 0;

	/*
	 * A caller that drives loop_process itself may have called
	 * loop_stop earlier: later waits must still sleep until something
	 * happens, not return at once round after round (a spin).
	 */
	loop_stop(l);
	loop_timer_init(&t, on_timer_stop, &fired);
	ck_assert_int_eq(loop_timer_set(l, &t, 50), 0);
	while (fired == 0 && n < 1000) {
		(void)loop_process(l, -1);
		n++;
	}
	ck_assert_int_eq(fired, 1);
	ck_assert_int_le(n, 3);
}
END_TEST

START_TEST(test_dispatch_pending)
{
	struct seen	s = { 0 };
	int		sv[2];

	pair(sv);
	/* Nothing to read, but the owner says it holds data. */
	ck_assert_int_eq(loop_set_fd(l, sv[1], LOOP_READABLE, on_fd, &s), 0);
	ck_assert_int_eq(loop_set_pending(l, sv[1], 1), 0);
	ck_assert_int_eq(loop_process(l, 5000), 1);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.mask, LOOP_PENDING);
	/* Ready and pending: one call with both bits. */
	ck_assert_int_eq(write(sv[0], "x", 1), 1);
	ck_assert_int_eq(loop_process(l, 5000), 1);
	ck_assert_int_eq(s.mask, LOOP_READABLE | LOOP_PENDING);
	/* Unmarked: the next wait sleeps until readiness or its timeout. */
	ck_assert_int_eq(loop_set_pending(l, sv[1], 0), 0);
	ck_assert_int_eq(loop_process(l, 5000), 1);
	ck_assert_int_eq(s.mask, LOOP_READABLE);
	/* Giving the fd up drops the mark too. */
	ck_assert_int_eq(loop_set_pending(l, sv[1], 1), 0);
	ck_assert_int_eq(loop_set_fd(l, sv[1], 0, NULL, NULL), 0);
	ck_assert_int_eq(loop_set_fd(l, sv[1], LOOP_WRITABLE, on_fd, &s), 0);
	ck_assert_int_eq(loop_process(l, 5000), 1);
	ck_assert_int_eq(s.mask, LOOP_WRITABLE);
	closepair(sv);
}
END_TEST

static void
on_alarm(int sig)
{
	(void)sig;
}

START_TEST(test_dispatch_eintr)
{
	struct sigaction	sa, osa;
	struct itimerval	it;
	struct seen		s = { 0 };
	int			sv[2];

	pair(sv);
	ck_assert_int_eq(loop_set_fd(l, sv[1], LOOP_READABLE, on_fd, &s), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: the wait sees EINTR */
	ck_assert_int_eq(sigaction(SIGALRM, &sa, &osa), 0);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = 10000;
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	/* The signal interrupts the wait: that is zero events, not -1. */
	ck_assert_int_eq(loop_process(l, 5000), 0);
	memset(&it, 0, sizeof(it));
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	ck_assert_int_eq(sigaction(SIGALRM, &osa, NULL), 0);
	ck_assert_int_eq(s.calls, 0);
	closepair(sv);
}
END_TEST


/* ---- busy polling ---------------------------------------------------- */

static long long
mono_us(void)
{
	struct timespec	ts;

	ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return ((long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

static long long
cpu_us(void)
{
	struct rusage	ru;

	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return ((long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static long
sleeps(void)
{
	struct rusage	ru;

	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return (ru.ru_nvcsw);
}

/* A child that writes one byte to fd after ms milliseconds. */
static pid_t
write_later(int fd, int ms)
{
	pid_t	pid;

	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		(void)usleep((useconds_t)ms * 1000);
		_exit(write(fd, "x", 1) == 1 ? 0 : 1);
	}
	return (pid);
}

static void
reap(pid_t pid)
{
	int	status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/*
 * An event that comes while the loop spins is handled without the loop
 * ever going to sleep (no voluntary context switch); without busy
 * polling the same wait sleeps.
 */
START_TEST(test_busy_catches_event)
{
	struct seen	s = { 0 };
	int		sv[2];
	long		before;
	pid_t		pid;

	pair(sv);
	ck_assert_int_eq(loop_set_fd(l, sv[1], LOOP_READABLE, on_fd_drain,
	    &s), 0);
	/* Spin up to 4 s: the child gets to run even on a loaded machine. */
	loop_set_busy_poll(l, _i ? 4000000 : 0);
	pid = write_later(sv[0], 20);
	before = sleeps();
	ck_assert_int_eq(loop_process(l, 5000), 1);
	if (_i)
		ck_assert_int_eq(sleeps() - before, 0);
	else
		ck_assert_int_gt(sleeps() - before, 0);
	ck_assert_int_eq(s.calls, 1);
	reap(pid);
	closepair(sv);
}
END_TEST

/*
 * With nothing to do, the loop spins for at most the busy-poll time and
 * then sleeps: a 300 ms wait costs about 20 ms of CPU, not 300.  The wait
 * still ends on time.
 */
START_TEST(test_busy_then_sleeps)
{
	struct seen	s = { 0 };
	int		sv[2];
	long long	t0, c0, wall, cpu;

	pair(sv);
	ck_assert_int_eq(loop_set_fd(l, sv[1], LOOP_READABLE, on_fd, &s), 0);
	loop_set_busy_poll(l, 20000);
	t0 = mono_us();
	c0 = cpu_us();
	ck_assert_int_eq(loop_process(l, 300), 0);
	cpu = cpu_us() - c0;
	wall = mono_us() - t0;
	ck_assert_msg(cpu < 150000, "a 300 ms wait used %lld us of CPU", cpu);
	ck_assert_msg(wall >= 250000, "a 300 ms wait ended after %lld us",
	    wall);
	ck_assert_int_eq(s.calls, 0);
	closepair(sv);
}
END_TEST

/* A timer due before the busy-poll time is up ends the spin. */
START_TEST(test_busy_timer_ends_spin)
{
	struct tt	x;
	long long	t0, wall;

	memset(&x, 0, sizeof(x));
	loop_set_busy_poll(l, 1000000);
	arm(&x, 1, 10);
	t0 = mono_us();
	ck_assert_int_eq(loop_process(l, -1), 1);
	wall = mono_us() - t0;
	ck_assert_int_eq(norder, 1);
	/* Without the cap the spin alone lasts 1 s. */
	ck_assert_msg(wall < 900000, "a 10 ms timer fired after %lld us", wall);
}
END_TEST

/*
 * Auto mode.  Waits for one byte that a child writes after 20 ms and
 * says whether the wait slept (a voluntary context switch).
 */
static int
wait_slept(int sv[2])
{
	long	before, slept;
	pid_t	pid;

	pid = write_later(sv[0], 20);
	before = sleeps();
	ck_assert_int_eq(loop_process(l, 5000), 1);
	slept = sleeps() - before;
	reap(pid);	/* waitpid sleeps too: after the count */
	return (slept > 0);
}

/* A wait whose spin (here 50 ms, capped by the timeout) catches nothing. */
static void
wait_misses(void)
{
	ck_assert_int_eq(loop_process(l, 50), 0);
}

/* n waits in a row sleep without spinning. */
static void
waits_sleep(int sv[2], int n, const char *why)
{
	int	i;

	for (i = 0; i < n; i++)
		ck_assert_msg(wait_slept(sv), "wait %d of %d spun: %s", i + 1,
		    n, why);
}

static void
auto_setup(int sv[2], struct seen *s)
{
	/* Spin up to 2 s: a child's write 20 ms later is always caught. */
	struct loop_busy_auto	a = { 2000000, 4 };

	pair(sv);
	ck_assert_int_eq(loop_set_fd(l, sv[1], LOOP_READABLE, on_fd_drain,
	    s), 0);
	loop_set_busy_auto(l, &a);
}

/* Auto mode spins from the start, and goes on while spins catch. */
START_TEST(test_busy_auto_catches)
{
	struct seen	s = { 0 };
	int		sv[2];

	auto_setup(sv, &s);
	ck_assert_msg(!wait_slept(sv), "the first auto wait slept");
	ck_assert_msg(!wait_slept(sv), "a caught spin stopped the next one");
	closepair(sv);
}
END_TEST

/*
 * A lone miss is forgiven; a second one before the next catch makes the
 * next wait sleep, and then it spins again.  Further misses double the
 * waits that sleep (2, 4, capped at 4 here), and a catch starts over; an
 * event that was already there when the wait began is not a catch.
 */
START_TEST(test_busy_auto_backs_off)
{
	struct seen	s = { 0 };
	int		sv[2];

	auto_setup(sv, &s);
	wait_misses();
	ck_assert_msg(!wait_slept(sv), "a lone miss stopped the spin");
	wait_misses();
	wait_misses();
	waits_sleep(sv, 1, "after two misses");
	wait_misses();
	waits_sleep(sv, 2, "after three misses");
	wait_misses();
	waits_sleep(sv, 4, "after four misses");
	wait_misses();
	waits_sleep(sv, 4, "after five misses");
	ck_assert_msg(!wait_slept(sv), "the back-off grew past its cap");
	/* That catch reset it. */
	wait_misses();
	wait_misses();
	waits_sleep(sv, 1, "after a catch and two misses");
	ck_assert_msg(!wait_slept(sv), "a catch did not reset the back-off");
	/* An event already there at the first poll is no catch. */
	wait_misses();
	ck_assert_int_eq(write(sv[0], "x", 1), 1);
	ck_assert_int_eq(loop_process(l, 5000), 1);
	wait_misses();
	waits_sleep(sv, 1, "an event already there counted as a catch");
	closepair(sv);
}
END_TEST

static Suite *
loop_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("loop");

	tc = tcase_create("fd");
	tcase_set_timeout(tc, 10);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fd_readable);
	tcase_add_test(tc, test_fd_forget_then_reuse);
	tcase_add_test(tc, test_fd_park);
	tcase_add_test(tc, test_fd_ready_subset);
	tcase_add_test(tc, test_fd_add_del);
	tcase_add_test(tc, test_fd_replace);
	tcase_add_test(tc, test_fd_bad_args);
	tcase_add_test(tc, test_fd_high);
	tcase_add_test(tc, test_fd_regular_file);
	tcase_add_test(tc, test_fd_regular_file_and_socket);
	tcase_add_test(tc, test_fd_hangup);
	tcase_add_test(tc, test_fd_connect_error);
	tcase_add_test(tc, test_fd_backend);
	suite_add_tcase(s, tc);

	tc = tcase_create("timers");
	tcase_set_timeout(tc, 10);
	tcase_add_checked_fixture(tc, timers_setup, teardown);
	tcase_add_test(tc, test_timer_order);
	tcase_add_test(tc, test_timer_past_deadline);
	tcase_add_test(tc, test_timer_init);
	tcase_add_test(tc, test_timer_cancel);
	tcase_add_test(tc, test_timer_rearm);
	tcase_add_test(tc, test_timer_cancel_from_cb);
	tcase_add_test(tc, test_timer_heap);
	tcase_add_test(tc, test_timer_wakes_wait);
	tcase_add_test(tc, test_timer_loop_free_armed);
	suite_add_tcase(s, tc);

	tc = tcase_create("dispatch");
	tcase_set_timeout(tc, 10);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dispatch_remove_other);
	tcase_add_test(tc, test_dispatch_remove_self);
	tcase_add_test(tc, test_dispatch_narrowed_mask);
	tcase_add_test(tc, test_dispatch_grow);
	tcase_add_test(tc, test_dispatch_run_stop);
	tcase_add_test(tc, test_dispatch_timer_stop);
	tcase_add_test(tc, test_dispatch_stop_then_process);
	tcase_add_test(tc, test_dispatch_pending);
	tcase_add_test(tc, test_dispatch_eintr);
	suite_add_tcase(s, tc);

	tc = tcase_create("busy");
	tcase_set_timeout(tc, 10);
	tcase_add_checked_fixture(tc, timers_setup, teardown);
	/* _i = 1: busy polling on; _i = 0: off, the wait sleeps. */
	tcase_add_loop_test(tc, test_busy_catches_event, 0, 2);
	tcase_add_test(tc, test_busy_then_sleeps);
	tcase_add_test(tc, test_busy_timer_ends_spin);
	tcase_add_test(tc, test_busy_auto_catches);
	tcase_add_test(tc, test_busy_auto_backs_off);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failures;

	sr = srunner_create(loop_suite());
	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failures ? 1 : 0);
}
