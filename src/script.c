/*
 * --send/--expect steps as a small state machine on the event loop: each
 * step arms the step timer and waits for what the stream wants.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "buf.h"
#include "loop.h"
#include "script.h"
#include "stream.h"

#define SCRIPT_READ_SIZE	65536

/* What a step attempt came to. */
#define SCRIPT_STEP_DONE	1
#define SCRIPT_STEP_WAIT	0
#define SCRIPT_STEP_ENDED	(-1)	/* the script finished (or failed) */

static void	script_on_fd(struct loop *, int, int, void *);

size_t
script_find(const unsigned char *hay, size_t haylen,
    const unsigned char *needle, size_t nlen)
{
	const unsigned char	*p;

	if (nlen == 0 || haylen < nlen)
		return (0);
	p = memmem(hay, haylen, needle, nlen);
	return (p == NULL ? 0 : (size_t)(p - hay) + nlen);
}

/* Ends the script once; done_cb may free it, so nothing follows. */
static void
script_finish(struct script *sc, enum script_result rc, int err)
{
	if (!sc->running)
		return;
	sc->running = 0;
	sc->result = rc;
	sc->err = err;
	loop_timer_cancel(sc->loop, &sc->timer);
	(void)loop_set_fd(sc->loop, sc->net->fd, 0, NULL, NULL);
	sc->done_cb(sc, sc->done_arg);
}

static void
script_timed_out(struct loop *l, struct loop_timer *t, void *arg)
{
	script_finish(arg, SCRIPT_TIMEOUT, ETIMEDOUT);
}

static void
script_arm(struct script *sc)
{
	if (sc->timeout_ms > 0 &&
	    loop_timer_set(sc->loop, &sc->timer, sc->timeout_ms) == -1)
		script_finish(sc, SCRIPT_IO, errno);
}

/* Writes what the stream takes of the send step. */
static int
script_try_send(struct script *sc, const struct script_step *st)
{
	ssize_t	n;

	while (sc->sent < st->len) {
		n = stream_write(sc->net, st->data + sc->sent,
		    st->len - sc->sent);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return (SCRIPT_STEP_WAIT);
		if (n == -1) {
			script_finish(sc, SCRIPT_IO, errno);
			return (SCRIPT_STEP_ENDED);
		}
		if (sc->tap_cb != NULL)
			sc->tap_cb(sc, 1, st->data + sc->sent, (size_t)n,
			    sc->done_arg);
		sc->sent += (size_t)n;
		sc->nwritten += (uint64_t)n;
		sc->last_active = loop_now(sc->loop);
	}
	return (SCRIPT_STEP_DONE);
}

/*
 * n new bytes at the tail of in: copied to out, counted, tapped.
 * Returns like the step calls.
 */
static int
script_received(struct script *sc, size_t n)
{
	if (sc->tap_cb != NULL)
		sc->tap_cb(sc, 0, BUF_TAIL(&sc->in), n, sc->done_arg);
	if (stream_write_all(sc->out, BUF_TAIL(&sc->in), n) == -1) {
		script_finish(sc, SCRIPT_IO, errno);
		return (SCRIPT_STEP_ENDED);
	}
	sc->in.len += n;
	sc->nread += (uint64_t)n;
	sc->last_active = loop_now(sc->loop);
	return (SCRIPT_STEP_DONE);
}

/* Reads one chunk and copies it to out; returns like the step calls. */
static int
script_read_chunk(struct script *sc)
{
	ssize_t	n;

	if (buf_reserve(&sc->in, SCRIPT_READ_SIZE) == -1) {
		script_finish(sc, SCRIPT_IO, errno);
		return (SCRIPT_STEP_ENDED);
	}
	n = stream_read(sc->net, BUF_TAIL(&sc->in), SCRIPT_READ_SIZE);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return (SCRIPT_STEP_WAIT);
	if (n <= 0) {
		script_finish(sc, n == 0 ? SCRIPT_EOF : SCRIPT_IO,
		    n == 0 ? 0 : errno);
		return (SCRIPT_STEP_ENDED);
	}
	return (script_received(sc, (size_t)n));
}

/*
 * Looks for the text in what has arrived, reading one chunk when it is
 * not there yet (the loop calls again while more is ready).
 */
static int
script_try_expect(struct script *sc, const struct script_step *st)
{
	size_t	end;
	int	rc;

	if (st->len == 0)
		return (SCRIPT_STEP_DONE);
	for (;;) {
		if ((end = script_find(BUF_HEAD(&sc->in), sc->in.len,
		    st->data, st->len)) > 0) {
			buf_consume(&sc->in, end);
			return (SCRIPT_STEP_DONE);
		}
		/* Only a text-length tail can still be part of a match. */
		if (sc->in.len >= st->len)
			buf_consume(&sc->in, sc->in.len - st->len + 1);
		if ((rc = script_read_chunk(sc)) != SCRIPT_STEP_DONE)
			return (rc);
		/* Let other fds and timers run between chunks. */
		if (script_find(BUF_HEAD(&sc->in), sc->in.len, st->data,
		    st->len) == 0)
			return (SCRIPT_STEP_WAIT);
	}
}

/* Registers what the current step waits for. */
static void
script_wait(struct script *sc, int sending)
{
	int	fd = sc->net->fd;
	int	pending = !sending && stream_pending(sc->net) > 0;

	if (loop_set_fd(sc->loop, fd, stream_wants(sc->net, sending),
	    script_on_fd, sc) == -1 ||
	    loop_set_pending(sc->loop, fd, pending) == -1)
		script_finish(sc, SCRIPT_IO, errno);
}

/* Runs steps until one has to wait or the script ends. */
static void
script_advance(struct script *sc)
{
	const struct script_step	*st;
	int				 rc;

	while (sc->running) {
		if (sc->cur == sc->nsteps) {
			script_finish(sc, SCRIPT_OK, 0);
			return;
		}
		st = &sc->steps[sc->cur];
		rc = st->op == SCRIPT_SEND ? script_try_send(sc, st) :
		    script_try_expect(sc, st);
		if (rc == SCRIPT_STEP_ENDED)
			return;
		if (rc == SCRIPT_STEP_WAIT) {
			script_wait(sc, st->op == SCRIPT_SEND);
			return;
		}
		sc->cur++;
		sc->sent = 0;
		script_arm(sc);
	}
}

static void
script_on_fd(struct loop *l, int fd, int mask, void *arg)
{
	script_advance(arg);
}

/* Starts from the loop, so that done_cb never runs in script_start. */
static void
script_kick(struct loop *l, struct loop_timer *t, void *arg)
{
	struct script	*sc = arg;

	loop_timer_init(&sc->timer, script_timed_out, sc);
	script_arm(sc);
	script_advance(sc);
}

int
script_start(struct script *sc, struct loop *l, struct stream *net,
    struct stream *out, const struct script_step *steps, size_t n,
    long long timeout_ms, const unsigned char *early, size_t nearly,
    script_tap_cb tap, script_done_cb cb, void *arg)
{
	memset(sc, 0, sizeof(*sc));
	sc->loop = l;
	sc->net = net;
	sc->out = out;
	sc->steps = steps;
	sc->nsteps = n;
	sc->timeout_ms = timeout_ms;
	sc->tap_cb = tap;
	sc->done_cb = cb;
	sc->done_arg = arg;
	sc->last_active = loop_now(l);
	if (nearly > 0) {
		if (buf_reserve(&sc->in, nearly) == -1)
			return (-1);
		memcpy(BUF_TAIL(&sc->in), early, nearly);
		/* Nothing can end here: the script is not running yet. */
		if (script_received(sc, nearly) != SCRIPT_STEP_DONE)
			return (-1);
	}
	sc->running = 1;
	loop_timer_init(&sc->timer, script_kick, sc);
	return (loop_timer_set(l, &sc->timer, 0));
}

void
script_free(struct script *sc)
{
	if (sc->loop == NULL)
		return;
	loop_timer_cancel(sc->loop, &sc->timer);
	if (sc->running && sc->net->fd >= 0)
		(void)loop_set_fd(sc->loop, sc->net->fd, 0, NULL, NULL);
	sc->running = 0;
	buf_free(&sc->in);
}
