/*
 * TLS handshakes on the loop.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "clock.h"
#include "loop.h"
#include "stream.h"
#include "tls.h"
#include "tlshs.h"

static void	tls_hs_step(struct tls_hs *);

static void
tls_hs_finish(struct tls_hs *h, int ok)
{
	h->running = 0;
	loop_timer_cancel(h->loop, &h->timer);
	/* After a handshake the owner reads the stream next: hand it over. */
	if (ok)
		loop_park_fd(h->loop, h->s->fd);
	else
		(void)loop_set_fd(h->loop, h->s->fd, 0, NULL, NULL);
	h->done_cb(h, ok, h->done_arg);
}

static void
tls_hs_on_fd(struct loop *l, int fd, int mask, void *arg)
{
	tls_hs_step(arg);
}

/* The start (deferred out of tls_hs_start) or the deadline. */
static void
tls_hs_on_timer(struct loop *l, struct loop_timer *t, void *arg)
{
	struct tls_hs	*h = arg;

	if (h->deadline > 0 && clock_ms() >= h->deadline) {
		h->timed_out = 1;
		tls_hs_finish(h, 0);
		return;
	}
	if (h->deadline > 0)
		(void)loop_timer_set(l, t, h->deadline - clock_ms());
	tls_hs_step(h);
}

static void
tls_hs_step(struct tls_hs *h)
{
	if (!h->running)
		return;
	if (tls_handshake(h->s) == 0) {
		tls_hs_finish(h, 1);
		return;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK) {
		tls_hs_finish(h, 0);
		return;
	}
	if (loop_set_fd(h->loop, h->s->fd, stream_wants(h->s, 0),
	    tls_hs_on_fd, h) == -1)
		tls_hs_finish(h, 0);
}

int
tls_hs_start(struct tls_hs *h, struct loop *l, struct stream *s,
    long long timeout_ms, tls_hs_cb cb, void *arg)
{
	memset(h, 0, sizeof(*h));
	h->loop = l;
	h->s = s;
	h->done_cb = cb;
	h->done_arg = arg;
	h->deadline = timeout_ms > 0 ? clock_ms() + timeout_ms : 0;
	loop_timer_init(&h->timer, tls_hs_on_timer, h);
	if (loop_timer_set(l, &h->timer, 0) == -1)
		return (-1);
	h->running = 1;
	return (0);
}

void
tls_hs_cancel(struct tls_hs *h)
{
	if (!h->running)
		return;
	h->running = 0;
	loop_timer_cancel(h->loop, &h->timer);
	(void)loop_set_fd(h->loop, h->s->fd, 0, NULL, NULL);
}
