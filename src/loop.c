/*
 * Event loop core: the fd table, the timer heap and dispatch.  The
 * backend (loop-epoll.c or loop-poll.c) is #included below and supplies
 * the static loop_api_* functions, as redis ae does.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "loop.h"

struct loop_file {
	int		 mask;
	int		 always;	/* refused by the backend: always ready */
	int		 pending;	/* 1 + slot in pending[], or 0 */
	loop_fd_cb	 cb;
	void		*arg;
};

struct loop_fired {
	int	fd;
	int	mask;
};

struct loop {
	struct loop_file	 *files;
	int			  nfiles;	/* size of files[] */
	int			  maxfd;	/* highest fd with a mask, or -1 */
	int			  nalways;
	int			 *pending;	/* fds marked pending */
	int			  npending, pending_cap;
	struct loop_fired	 *fired;
	int			  nfired_max;
	struct loop_timer	**heap;
	size_t			  nheap, heap_cap;
	long long		  now;
	int			  stop;
	long			  busy_us;	/* loop_set_busy_poll() */
	int			  skip_max;	/* auto mode if > 0 */
	int			  spin_skip;	/* auto: waits left to sleep */
	int			  spin_backoff;	/* auto: 0 or the last skip */
	int			  spin_missed;	/* auto: missed since the last catch */
	void			 *api;		/* backend state */
};

long long
loop_now(struct loop *l)
{
	return (l->now);
}

#if defined(HAVE_EPOLL_CREATE1) && defined(HAVE_SYS_EPOLL_H)
#include "loop-epoll.c"
#else
#include "loop-poll.c"
#endif

struct loop *
loop_new(void)
{
	struct loop	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return (NULL);
	l->maxfd = -1;
	l->now = clock_ms();
	if (loop_api_create(l) == -1) {
		free(l);
		return (NULL);
	}
	return (l);
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	loop_api_free(l);
	free(l->files);
	free(l->fired);
	free(l->pending);
	free(l->heap);
	free(l);
}

/* Grows the fd table (and the fired array) to hold fd. */
static int
loop_grow(struct loop *l, int fd)
{
	struct loop_file	*f;
	struct loop_fired	*fi;
	int			 n = l->nfiles > 0 ? l->nfiles : 64;

	while (n <= fd)
		n *= 2;
	if ((f = realloc(l->files, (size_t)n * sizeof(*f))) == NULL)
		return (-1);
	memset(f + l->nfiles, 0, (size_t)(n - l->nfiles) * sizeof(*f));
	l->files = f;
	if ((fi = realloc(l->fired, (size_t)n * sizeof(*fi))) == NULL)
		return (-1);
	l->fired = fi;
	l->nfired_max = n;
	l->nfiles = n;
	return (0);
}

static void
loop_update_maxfd(struct loop *l, int fd, int mask)
{
	if (mask != 0 && fd > l->maxfd)
		l->maxfd = fd;
	else if (mask == 0 && fd == l->maxfd)
		while (l->maxfd >= 0 && l->files[l->maxfd].mask == 0)
			l->maxfd--;
}

/* Backends that refuse an fd (epoll on a regular file: EPERM) mark it. */
static int
loop_set_always(struct loop *l, struct loop_file *f, int mask)
{
	if (mask != 0 && !f->always) {
		f->always = 1;
		l->nalways++;
	} else if (mask == 0 && f->always) {
		f->always = 0;
		l->nalways--;
	}
	return (0);
}

int
loop_set_fd(struct loop *l, int fd, int mask, loop_fd_cb cb, void *arg)
{
	struct loop_file	*f;

	if (fd < 0) {
		errno = EBADF;
		return (-1);
	}
	if (fd >= l->nfiles && (mask == 0 || loop_grow(l, fd) == -1))
		return (mask == 0 ? 0 : -1);
	f = &l->files[fd];
	if (f->always)
		loop_set_always(l, f, mask);
	else if (f->mask != mask &&
	    loop_api_update(l, fd, f->mask, mask) == -1) {
		if (errno != EPERM)
			return (-1);
		loop_set_always(l, f, mask);
	}
	f->mask = mask;
	f->cb = cb;
	f->arg = arg;
	loop_update_maxfd(l, fd, mask);
	/* An fd that is given up has nothing pending any more. */
	if (mask == 0 && f->pending != 0)
		(void)loop_set_pending(l, fd, 0);
	return (0);
}

void
loop_forget_fd(struct loop *l, int fd)
{
	struct loop_file	*f;

	if (fd < 0 || fd >= l->nfiles)
		return;
	f = &l->files[fd];
	(void)loop_set_pending(l, fd, 0);
	(void)loop_set_always(l, f, 0);
	f->mask = 0;
	f->cb = NULL;
	f->arg = NULL;
	loop_update_maxfd(l, fd, 0);
}

int
loop_set_pending(struct loop *l, int fd, int on)
{
	struct loop_file	*f;
	int			*p, slot, cap;

	if (fd < 0 || fd >= l->nfiles)
		return (on ? (errno = EBADF, -1) : 0);
	f = &l->files[fd];
	if (on && f->pending == 0) {
		if (l->npending == l->pending_cap) {
			cap = l->pending_cap ? l->pending_cap * 2 : 8;
			if ((p = realloc(l->pending, (size_t)cap *
			    sizeof(*p))) == NULL)
				return (-1);
			l->pending = p;
			l->pending_cap = cap;
		}
		l->pending[l->npending++] = fd;
		f->pending = l->npending;
	} else if (!on && f->pending != 0) {
		slot = f->pending - 1;
		l->pending[slot] = l->pending[--l->npending];
		l->files[l->pending[slot]].pending = slot + 1;
		f->pending = 0;
	}
	return (0);
}

int
loop_add_fd(struct loop *l, int fd, int mask, loop_fd_cb cb, void *arg)
{
	int	old = loop_get_mask(l, fd);

	return (loop_set_fd(l, fd, old | mask, cb, arg));
}

int
loop_del_fd(struct loop *l, int fd, int mask)
{
	struct loop_file	*f;

	if (fd < 0 || fd >= l->nfiles)
		return (0);
	f = &l->files[fd];
	return (loop_set_fd(l, fd, f->mask & ~mask, f->cb, f->arg));
}

static void
loop_parked(struct loop *l, int fd, int mask, void *arg)
{
	(void)loop_set_fd(l, fd, 0, NULL, NULL);
}

void
loop_park_fd(struct loop *l, int fd)
{
	int	mask = loop_get_mask(l, fd);

	(void)loop_set_fd(l, fd, mask, mask != 0 ? loop_parked : NULL, NULL);
}

int
loop_fd_is(struct loop *l, int fd, loop_fd_cb cb, void *arg)
{
	if (fd < 0 || fd >= l->nfiles)
		return (0);
	return (l->files[fd].cb == cb && l->files[fd].arg == arg);
}

int
loop_get_mask(struct loop *l, int fd)
{
	if (fd < 0 || fd >= l->nfiles)
		return (0);
	return (l->files[fd].mask);
}

/* Binary min-heap on when; each timer knows its slot for O(log n) moves. */
static void
loop_heap_swap(struct loop *l, size_t a, size_t b)
{
	struct loop_timer	*t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->idx = a;
	l->heap[b]->idx = b;
}

static void
loop_heap_up(struct loop *l, size_t i)
{
	while (i > 0 && l->heap[(i - 1) / 2]->when > l->heap[i]->when) {
		loop_heap_swap(l, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
loop_heap_down(struct loop *l, size_t i)
{
	size_t	c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && l->heap[c + 1]->when < l->heap[c]->when)
			c++;
		if (l->heap[i]->when <= l->heap[c]->when)
			break;
		loop_heap_swap(l, i, c);
		i = c;
	}
}

void
loop_timer_init(struct loop_timer *t, loop_timer_cb cb, void *arg)
{
	t->when = 0;
	t->idx = LOOP_TIMER_IDLE;
	t->cb = cb;
	t->arg = arg;
}

int
loop_timer_armed(const struct loop_timer *t)
{
	return (t->idx != LOOP_TIMER_IDLE);
}

int
loop_timer_set(struct loop *l, struct loop_timer *t, long long ms)
{
	struct loop_timer	**h;
	size_t			  cap;

	if (t->idx != LOOP_TIMER_IDLE)
		loop_timer_cancel(l, t);
	if (l->nheap == l->heap_cap) {
		cap = l->heap_cap ? l->heap_cap * 2 : 16;
		if ((h = realloc(l->heap, cap * sizeof(*h))) == NULL)
			return (-1);
		l->heap = h;
		l->heap_cap = cap;
	}
	t->when = clock_ms() + ms;
	t->idx = l->nheap;
	l->heap[l->nheap++] = t;
	loop_heap_up(l, t->idx);
	return (0);
}

void
loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	size_t	i = t->idx;

	if (i == LOOP_TIMER_IDLE)
		return;
	t->idx = LOOP_TIMER_IDLE;
	if (i != --l->nheap) {
		l->heap[i] = l->heap[l->nheap];
		l->heap[i]->idx = i;
		loop_heap_down(l, i);
		loop_heap_up(l, i);
	}
}

static int
loop_run_timers(struct loop *l)
{
	struct loop_timer	*t;
	int			 n = 0;

	l->now = clock_ms();
	while (l->nheap > 0 && l->heap[0]->when <= l->now) {
		t = l->heap[0];
		loop_timer_cancel(l, t);
		t->cb(l, t, t->arg);
		n++;
	}
	return (n);
}

/* Adds every always-ready fd to the fired list after the backend's. */
static int
loop_fire_always(struct loop *l, int n)
{
	int	fd;

	for (fd = 0; fd <= l->maxfd && n < l->nfired_max; fd++) {
		if (!l->files[fd].always || l->files[fd].mask == 0)
			continue;
		l->fired[n].fd = fd;
		l->fired[n].mask = l->files[fd].mask;
		n++;
	}
	return (n);
}

/*
 * Adds the fds with pending input.  fired[] holds one slot per fd, and
 * the backend reports an fd at most once, so a pending fd that is also
 * ready gets its bit added to that entry instead of a second one.
 */
static int
loop_fire_pending(struct loop *l, int n)
{
	int	i, j, fd;

	for (i = 0; i < l->npending; i++) {
		fd = l->pending[i];
		for (j = 0; j < n && l->fired[j].fd != fd; j++)
			;
		if (j == n) {
			if (n == l->nfired_max)
				break;
			l->fired[n].fd = fd;
			l->fired[n++].mask = 0;
		}
		l->fired[j].mask |= LOOP_PENDING;
	}
	return (n);
}

static int
loop_wait_ms(struct loop *l, int timeout_ms)
{
	long long	left;

	/*
	 * Not l->stop: loop_run checks it between rounds, and a flag left
	 * set by a caller that drives loop_process itself must not turn
	 * every later wait into a spin.
	 */
	if (l->nalways > 0 || l->npending > 0)
		return (0);
	if (l->nheap == 0)
		return (timeout_ms);
	left = l->heap[0]->when - clock_ms();
	if (left < 0)
		left = 0;
	if (timeout_ms >= 0 && timeout_ms < left)
		return (timeout_ms);
	return (left > 1000000 ? 1000000 : (int)left);
}

void
loop_set_busy_poll(struct loop *l, long usec)
{
	struct loop_busy_auto	a = { LOOP_AUTO_SPIN_US, LOOP_AUTO_SKIP_MAX };

	if (usec == LOOP_BUSY_AUTO) {
		loop_set_busy_auto(l, &a);
		return;
	}
	l->skip_max = l->spin_skip = 0;
	l->busy_us = usec > 0 ? usec : 0;
}

void
loop_set_busy_auto(struct loop *l, const struct loop_busy_auto *a)
{
	l->skip_max = a->skip_max > 0 ? a->skip_max : 1;
	l->busy_us = a->spin_us;
	l->spin_skip = 0;
	l->spin_backoff = 0;
	l->spin_missed = 0;
}

/* How long this wait may spin: nothing while auto mode backs off. */
static long long
loop_spin_budget(struct loop *l)
{
	if (l->spin_skip > 0) {
		l->spin_skip--;
		return (0);
	}
	return (l->busy_us);
}

/*
 * Auto mode learns from each spin.  One that caught an event (traffic
 * comes back faster than a wake-up) ends any back-off.  One that caught
 * nothing means the peer was slower than the spin this time: a lone miss
 * is forgiven (a busy host delays a fast peer now and then), but a
 * second one before the next catch makes the next wait sleep without
 * spinning, and each further miss doubles the waits that sleep, up to
 * skip_max.  Counting waits, not time, lets a bulk flow that misses now
 * and then go back to spinning within a few events, while sparse traffic
 * soon spins once in skip_max waits.  Wasted spins are thus about one
 * per catch (each of which saved a wake-up) plus one per doubling.
 */
static void
loop_spin_learn(struct loop *l, int caught)
{
	if (l->skip_max == 0)
		return;
	if (caught) {
		l->spin_backoff = 0;
		l->spin_missed = 0;
		return;
	}
	if (!l->spin_missed) {
		l->spin_missed = 1;
		return;
	}
	if (l->spin_backoff == 0)
		l->spin_backoff = 1;
	else if ((l->spin_backoff *= 2) > l->skip_max)
		l->spin_backoff = l->skip_max;
	l->spin_skip = l->spin_backoff;
}

/*
 * Polls without blocking for up to the spin budget before sleeping.  An
 * event that arrives meanwhile finds the process awake: the peer that
 * causes it does not have to wake a sleeping process (on another CPU: an
 * interrupt and a reschedule), and this one does not have to be woken.
 * sched_yield() between polls lets a peer on the same CPU run.  An event
 * already there at the first poll says nothing about the peer's pace, so
 * only a later catch counts for auto mode.
 */
static int
loop_wait(struct loop *l, int timeout_ms)
{
	long long	start, spin, spun;
	int		n, polls = 0;

	if (l->busy_us == 0 || timeout_ms == 0 ||
	    (spin = loop_spin_budget(l)) == 0)
		return (loop_api_poll(l, timeout_ms));
	start = clock_us();
	/* A timer due sooner ends the spin too. */
	if (timeout_ms > 0 && spin > (long long)timeout_ms * 1000)
		spin = (long long)timeout_ms * 1000;
	do {
		if ((n = loop_api_poll(l, 0)) != 0) {
			if (n > 0 && polls > 0)
				loop_spin_learn(l, 1);
			return (n);
		}
		polls++;
		(void)sched_yield();
	} while ((spun = clock_us() - start) < spin);
	loop_spin_learn(l, 0);
	if (timeout_ms > 0)
		timeout_ms = spun / 1000 >= timeout_ms ? 0 :
		    timeout_ms - (int)(spun / 1000);
	return (loop_api_poll(l, timeout_ms));
}

int
loop_process(struct loop *l, int timeout_ms)
{
	struct loop_file	*f;
	int			 n, i, fd, mask, ran = 0;

	if (l->maxfd < 0 && l->nheap == 0)
		return (0);
	if ((n = loop_wait(l, loop_wait_ms(l, timeout_ms))) == -1)
		return (-1);
	if (l->nalways > 0)
		n = loop_fire_always(l, n);
	if (l->npending > 0)
		n = loop_fire_pending(l, n);
	l->now = clock_ms();
	for (i = 0; i < n; i++) {
		fd = l->fired[i].fd;
		/*
		 * Re-check the mask: an earlier callback in this batch may
		 * have removed or closed this fd.
		 */
		if (fd >= l->nfiles)
			continue;
		f = &l->files[fd];
		mask = f->mask & l->fired[i].mask;
		if (f->pending != 0)
			mask |= l->fired[i].mask & LOOP_PENDING;
		if (mask == 0)
			continue;
		mask |= l->fired[i].mask & LOOP_ERROR;
		f->cb(l, fd, mask, f->arg);
		ran++;
	}
	return (ran + loop_run_timers(l));
}

int
loop_run(struct loop *l)
{
	l->stop = 0;
	while (!l->stop && (l->maxfd >= 0 || l->nheap > 0))
		if (loop_process(l, -1) == -1)
			return (-1);
	return (0);
}

void
loop_stop(struct loop *l)
{
	l->stop = 1;
}
