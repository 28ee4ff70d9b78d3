/*
 * Non-blocking connects driven by the event loop.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "dial.h"
#include "loop.h"
#include "sock.h"

/* A Unix listener with a full queue: try again this often. */
#define DIAL_RETRY_MS	10

static void	dial_try_next(struct dial *);

/* Ends the dial once; done_cb may free d, so nothing follows it. */
static void
dial_finish(struct dial *d, int fd)
{
	d->running = 0;
	loop_timer_cancel(d->loop, &d->timer);
	free(d->addrs);
	free(d->srcs);
	d->addrs = d->srcs = NULL;
	d->done_cb(d, fd, d->done_arg);
}

/* Gives up the address under way; err says why. */
static void
dial_drop_fd(struct dial *d, int err)
{
	if (d->fd != -1) {
		(void)loop_set_fd(d->loop, d->fd, 0, NULL, NULL);
		(void)close(d->fd);
		d->fd = -1;
	}
	d->err = err;
}

static void
dial_connected(struct dial *d)
{
	int	fd = d->fd;

	/* The owner registers it next (MOD), instead of DEL then ADD. */
	loop_park_fd(d->loop, fd);
	d->fd = -1;
	dial_finish(d, fd);
}

static void
dial_writable(struct loop *l, int fd, int mask, void *arg)
{
	struct dial	*d = arg;

	/* No error or hang-up: connected, SO_ERROR would say 0. */
	if (!(mask & LOOP_ERROR) || sock_connect_finish(fd) == 0) {
		if (!sock_connected_to_self(fd, &d->addrs[d->next - 1])) {
			dial_connected(d);
			return;
		}
		/* Nobody listens there: what connect would have said. */
		errno = ECONNREFUSED;
	}
	dial_drop_fd(d, errno);
	dial_try_next(d);
}

/* The attempt's timeout, a full Unix queue's retry, or a deferred end. */
static void
dial_timer(struct loop *l, struct loop_timer *t, void *arg)
{
	struct dial	*d = arg;

	if (d->fd != -1) {
		dial_drop_fd(d, ETIMEDOUT);
		dial_try_next(d);
		return;
	}
	if (d->next > 0 && d->err == EAGAIN &&
	    (d->deadline == 0 || clock_ms() < d->deadline)) {
		d->next--;	/* the same address again */
		dial_try_next(d);
		return;
	}
	if (d->err == EAGAIN)
		d->err = ETIMEDOUT;
	dial_try_next(d);
}

/* Arms the timer for the attempt under way (or a retry of it). */
static int
dial_arm(struct dial *d, long long ms)
{
	return (loop_timer_set(d->loop, &d->timer, ms < 0 ? 0 : ms));
}

/* The source address (-s/-p) of a's family, or NULL when none is set. */
static const struct sock_addr *
dial_source_for(const struct dial *d, const struct sock_addr *a, int *none)
{
	size_t	i;

	*none = 0;
	if (d->nsrcs == 0)
		return (NULL);
	for (i = 0; i < d->nsrcs; i++)
		if (d->srcs[i].ss.ss_family == a->ss.ss_family)
			return (&d->srcs[i]);
	*none = 1;
	return (NULL);
}

static void
dial_try_next(struct dial *d)
{
	const struct sock_addr	*src;
	int			 fd, none;

	while (d->next < d->naddrs) {
		if (d->err != EAGAIN || d->deadline == 0)
			d->deadline = d->timeout_ms > 0 ?
			    clock_ms() + d->timeout_ms : 0;
		src = dial_source_for(d, &d->addrs[d->next], &none);
		if (none) {
			/* No source address of this family: skip it. */
			d->next++;
			d->err = EAFNOSUPPORT;
			continue;
		}
		fd = sock_connect_start(&d->addrs[d->next++], src);
		if (fd == -1 && errno == EAGAIN) {
			d->err = EAGAIN;
			if (dial_arm(d, DIAL_RETRY_MS) == 0)
				return;
			d->err = errno;
			continue;
		}
		if (fd == -1) {
			d->err = errno;
			d->deadline = 0;
			continue;
		}
		d->fd = fd;
		if (loop_set_fd(d->loop, fd, LOOP_WRITABLE, dial_writable,
		    d) == -1 || (d->timeout_ms > 0 &&
		    dial_arm(d, d->deadline - clock_ms()) == -1)) {
			dial_drop_fd(d, errno);
			continue;
		}
		if (d->timeout_ms <= 0)
			loop_timer_cancel(d->loop, &d->timer);
		return;
	}
	dial_finish(d, -1);
}

static void
dial_init(struct dial *d, struct loop *l, long long timeout_ms,
    dial_done_cb cb, void *arg)
{
	memset(d, 0, sizeof(*d));
	d->loop = l;
	d->fd = -1;
	d->timeout_ms = timeout_ms;
	d->done_cb = cb;
	d->done_arg = arg;
	loop_timer_init(&d->timer, dial_timer, d);
}

/* Starts from the loop, so that done_cb never runs in dial_start. */
static int
dial_go(struct dial *d)
{
	d->running = 1;
	d->err = ECONNREFUSED;	/* what no address at all means */
	if (dial_arm(d, 0) == -1) {
		free(d->addrs);
		free(d->srcs);
		d->addrs = d->srcs = NULL;
		d->running = 0;
		return (-1);
	}
	return (0);
}

int
dial_start(struct dial *d, struct loop *l, const struct sock_target *t,
    long long timeout_ms, dial_done_cb cb, void *arg, char *err)
{
	dial_init(d, l, timeout_ms, cb, arg);
	if (sock_resolve_target(t, &d->addrs, &d->naddrs, err) == -1)
		return (-1);
	if (sock_resolve_source(t, &d->srcs, &d->nsrcs, err) == -1) {
		free(d->addrs);
		d->addrs = NULL;
		return (-1);
	}
	return (dial_go(d));
}

int
dial_start_addrs(struct dial *d, struct loop *l, const struct sock_addr *a,
    size_t n, long long timeout_ms, dial_done_cb cb, void *arg)
{
	dial_init(d, l, timeout_ms, cb, arg);
	if ((d->addrs = calloc(n > 0 ? n : 1, sizeof(*a))) == NULL)
		return (-1);
	memcpy(d->addrs, a, n * sizeof(*a));
	d->naddrs = n;
	return (dial_go(d));
}

void
dial_cancel(struct dial *d)
{
	if (!d->running)
		return;
	d->running = 0;
	loop_timer_cancel(d->loop, &d->timer);
	dial_drop_fd(d, ECANCELED);
	free(d->addrs);
	free(d->srcs);
	d->addrs = d->srcs = NULL;
}
