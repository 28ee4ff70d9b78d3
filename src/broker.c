/*
 * The broker handler: fan-out of each member's data to the others.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "conn.h"
#include "dump.h"
#include "log.h"
#include "loop.h"
#include "stream.h"

/* One read from a member. */
#define BROKER_READ	(64 * 1024)

static void	broker_on_fd(struct loop *, int, int, void *);
static void	broker_check_pause(struct broker *);

/* What the member's fd must be watched for now. */
static int
broker_update(struct broker_member *m)
{
	struct conn	*c = m->c;
	struct loop	*l = c->srv->loop;
	int		 mask = 0;

	if (!m->eof && !c->srv->broker.paused)
		mask |= stream_wants(&c->net, 0);
	if (m->out.len > 0)
		mask |= stream_wants(&c->net, 1);
	if (loop_set_fd(l, c->net.fd, mask, broker_on_fd, m) == -1 ||
	    loop_set_pending(l, c->net.fd, !m->eof && !c->srv->broker.paused &&
	    stream_pending(&c->net) > 0) == -1)
		return (-1);
	return (0);
}

/* Writes what the member takes now; -1 when it failed (and is closed). */
static int
broker_flush(struct broker_member *m)
{
	struct conn	*c = m->c;
	ssize_t		 n;
	char		 why[128];

	while (m->out.len > 0) {
		n = stream_write(&c->net, BUF_HEAD(&m->out), m->out.len);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n == -1) {
			snprintf(why, sizeof(why), "write: %s", strerror(errno));
			conn_close(c, why);
			return (-1);
		}
		if (c->relay.tap_cb != NULL)
			conn_dump(c, DUMP_OUT, BUF_HEAD(&m->out), (size_t)n);
		buf_consume(&m->out, (size_t)n);
		m->sent += (uint64_t)n;
		c->relay.last_active = loop_now(c->srv->loop);
	}
	if (m->out.len == 0)
		buf_free(&m->out);
	/* A member that has said all it had to say goes once served. */
	if (m->eof && m->out.len == 0) {
		conn_close(c, NULL);
		return (-1);
	}
	return (0);
}

/* Drops a member that does not read. */
static void
broker_drop(struct broker_member *m)
{
	char	why[128];

	snprintf(why, sizeof(why), "broker: not reading (%zu bytes queued)",
	    m->out.len);
	m->c->failed = 1;
	conn_close(m->c, why);
}

/*
 * Queues n bytes from `from` for every other member.  Queues stay below
 * the mark plus one read: past it, reading stops (broker_check_pause).
 */
static void
broker_fan_out(struct broker *b, struct broker_member *from,
    const unsigned char *p, size_t n)
{
	struct broker_member	*m, *next;

	for (m = b->head; m != NULL; m = next) {
		next = m->next;
		if (m == from)
			continue;
		if (buf_append(&m->out, p, n) == -1) {
			broker_drop(m);
			continue;
		}
		/* Write at once: most members take it without waiting. */
		if (broker_flush(m) == 0)
			(void)broker_update(m);
	}
	broker_check_pause(b);
}

/* The stall timer: whoever still holds a full queue is not reading. */
static void
broker_stalled(struct loop *l, struct loop_timer *t, void *arg)
{
	struct broker		*b = arg;
	struct broker_member	*m, *next;

	for (m = b->head; m != NULL; m = next) {
		next = m->next;
		if (m->out.len > BROKER_QUEUE_HIGH)
			broker_drop(m);
	}
	broker_check_pause(b);
}

/* Pauses reading while any queue is over the mark, resumes after. */
static void
broker_check_pause(struct broker *b)
{
	struct broker_member	*m, *next;
	int			 full = 0;

	for (m = b->head; m != NULL; m = m->next)
		if (m->out.len > BROKER_QUEUE_HIGH)
			full = 1;
	if (full == b->paused || b->head == NULL) {
		if (b->head == NULL)
			b->paused = 0;
		return;
	}
	b->paused = full;
	if (full)
		(void)loop_timer_set(b->head->c->srv->loop, &b->stall,
		    BROKER_STALL_MS);
	else
		loop_timer_cancel(b->head->c->srv->loop, &b->stall);
	for (m = b->head; m != NULL; m = next) {
		next = m->next;
		if (broker_update(m) == -1)
			conn_close(m->c, strerror(errno));
	}
}

/* Reads one chunk from the member; -1 when it was closed. */
static int
broker_read(struct broker *b, struct broker_member *m)
{
	static unsigned char	 chunk[BROKER_READ];
	struct conn		*c = m->c;
	ssize_t			 n;
	char			 why[128];

	n = stream_read(&c->net, chunk, sizeof(chunk));
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return (0);
	if (n == -1) {
		snprintf(why, sizeof(why), "read: %s", strerror(errno));
		c->failed = 1;
		conn_close(c, why);
		return (-1);
	}
	if (n == 0) {
		/* It is done talking; it leaves once its queue is sent. */
		m->eof = 1;
		if (m->out.len > 0)
			return (0);
		conn_close(c, NULL);
		return (-1);
	}
	m->in += (uint64_t)n;
	c->relay.last_active = loop_now(c->srv->loop);
	if (c->relay.tap_cb != NULL)
		conn_dump(c, DUMP_IN, chunk, (size_t)n);
	broker_fan_out(b, m, chunk, (size_t)n);
	return (0);
}

static void
broker_on_fd(struct loop *l, int fd, int mask, void *arg)
{
	struct broker_member	*m = arg;
	struct conn		*c = m->c;
	struct broker		*b = &c->srv->broker;

	if ((mask & stream_wants(&c->net, 1)) && m->out.len > 0) {
		if (broker_flush(m) == -1) {
			broker_check_pause(b);
			return;
		}
		if (b->paused)
			broker_check_pause(b);
	}
	if (!m->eof && ((mask & stream_wants(&c->net, 0)) ||
	    (mask & LOOP_PENDING)) && broker_read(b, m) == -1)
		return;
	if (broker_update(m) == -1)
		conn_close(c, strerror(errno));
}

int
broker_join(struct broker *b, struct conn *c)
{
	struct broker_member	*m = &c->u.bm;

	if (!b->timer_ready) {
		loop_timer_init(&b->stall, broker_stalled, b);
		b->timer_ready = 1;
	}
	memset(m, 0, sizeof(*m));
	m->c = c;
	m->next = b->head;
	if (b->head != NULL)
		b->head->prev = m;
	b->head = m;
	b->n++;
	c->phase = CONN_RELAYING;
	c->in_broker = 1;
	return (broker_update(m));
}

void
broker_leave(struct broker *b, struct conn *c)
{
	struct broker_member	*m = &c->u.bm;

	if (!c->in_broker)
		return;
	c->in_broker = 0;
	if (c->net.fd >= 0)
		(void)loop_set_fd(c->srv->loop, c->net.fd, 0, NULL, NULL);
	if (m->prev != NULL)
		m->prev->next = m->next;
	else
		b->head = m->next;
	if (m->next != NULL)
		m->next->prev = m->prev;
	b->n--;
	buf_free(&m->out);
	if (b->head == NULL && b->timer_ready) {
		loop_timer_cancel(c->srv->loop, &b->stall);
		b->paused = 0;
	}
}
