/*
 * ssh-lite channel: framing, sealing and the handshake over an fd, the
 * handshake as a state machine run by the event loop.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "sshl-chan.h"

static void	sshl_hs_on_fd(struct loop *, int, int, void *);

int
sshl_chan_init(struct sshl_chan *c, int fd)
{
	char	err[FRAME_ERR_LEN];

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	stream_socket_init(&c->net, fd);
	c->net.flags |= STREAM_NOCLOSE;
	(void)frame_spec_parse("len32", &c->spec, err);
	/* Before authentication a peer may make us buffer very little. */
	c->spec.max_len = SSHL_HANDSHAKE_MAX;
	frame_dec_init(&c->dec, &c->spec);
	if ((c->plain = malloc(SSHL_MSG_MAX + 1)) == NULL)
		return (-1);
	return (0);
}

void
sshl_chan_free(struct sshl_chan *c)
{
	buf_free(&c->inb);
	buf_free(&c->outb);
	free(c->plain);
	sodium_memzero(&c->sess, sizeof(c->sess));
	c->plain = NULL;
}

int
sshl_chan_send_plain(struct sshl_chan *c, const void *p, size_t len)
{
	unsigned char	head[FRAME_HDR_MAX];
	int		hl;

	if ((hl = frame_encode_head(&c->spec, len, head)) == -1 ||
	    buf_append(&c->outb, head, (size_t)hl) == -1 ||
	    buf_append(&c->outb, p, len) == -1)
		return (-1);
	return (0);
}

/* Sealed messages are len32-framed: the header is always 4 bytes. */
#define SSHL_LEN_HDR	4

/*
 * Makes room at the end of the output for one sealed message of up to
 * max payload bytes.  Returns where the payload goes (behind the length
 * header, the stream's tag and the type byte), or NULL with errno.
 */
static unsigned char *
sshl_chan_room(struct sshl_chan *c, size_t max)
{
	unsigned char	head[FRAME_HDR_MAX];

	if (frame_encode_head(&c->spec, max + 1 + SSHL_ABYTES, head) == -1) {
		errno = EMSGSIZE;
		return (NULL);
	}
	if (buf_reserve(&c->outb, SSHL_LEN_HDR + max + 1 + SSHL_ABYTES) == -1)
		return (NULL);
	return (BUF_TAIL(&c->outb) + SSHL_LEN_HDR + 2);
}

/* Seals the len payload bytes placed by sshl_chan_room and queues them. */
static void
sshl_chan_commit(struct sshl_chan *c, int type, size_t len)
{
	unsigned char	*p = BUF_TAIL(&c->outb);
	size_t		 sealed;

	sealed = sshl_seal_inplace(&c->sess, type, p + SSHL_LEN_HDR, len);
	(void)frame_encode_head(&c->spec, sealed, p);
	c->outb.len += SSHL_LEN_HDR + sealed;
}

int
sshl_chan_send(struct sshl_chan *c, int type, const void *p, size_t len)
{
	unsigned char	*m;

	if (len > SSHL_MSG_MAX) {
		errno = EMSGSIZE;
		return (-1);
	}
	if ((m = sshl_chan_room(c, len)) == NULL)
		return (-1);
	memcpy(m, p, len);
	sshl_chan_commit(c, type, len);
	return (0);
}

ssize_t
sshl_chan_send_read(struct sshl_chan *c, int type, int fd, size_t max)
{
	unsigned char	*m;
	ssize_t		 n;

	if (max > SSHL_MSG_MAX)
		max = SSHL_MSG_MAX;
	if ((m = sshl_chan_room(c, max)) == NULL)
		return (-1);
	do {
		n = read(fd, m, max);
	} while (n == -1 && errno == EINTR);
	if (n > 0)
		sshl_chan_commit(c, type, (size_t)n);
	return (n);
}

int
sshl_chan_flush(struct sshl_chan *c)
{
	ssize_t	n;

	while (c->outb.len > 0) {
		n = stream_write(&c->net, BUF_HEAD(&c->outb), c->outb.len);
		if (n == -1)
			return (errno == EAGAIN || errno == EWOULDBLOCK ? 0 :
			    -1);
		buf_consume(&c->outb, (size_t)n);
	}
	return (0);
}

ssize_t
sshl_chan_fill(struct sshl_chan *c)
{
	ssize_t	n;

	if (buf_reserve(&c->inb, 65536) == -1)
		return (-1);
	n = stream_read(&c->net, BUF_TAIL(&c->inb), BUF_SPACE(&c->inb));
	if (n > 0)
		c->inb.len += (size_t)n;
	return (n);
}

int
sshl_chan_next_plain(struct sshl_chan *c, const unsigned char **p,
    size_t *len)
{
	struct frame_msg	m;
	enum frame_status	st;

	buf_consume(&c->inb, c->consume);
	c->consume = 0;
	st = frame_decode(&c->dec, BUF_HEAD(&c->inb), c->inb.len, &m);
	if (st == FRAME_NEED_MORE)
		return (0);
	if (st != FRAME_OK)
		return (-1);
	*p = BUF_HEAD(&c->inb) + m.off;
	*len = m.len;
	c->consume = m.consumed;
	return (1);
}

int
sshl_chan_next(struct sshl_chan *c, int *type, const unsigned char **p,
    size_t *len)
{
	const unsigned char	*sealed;
	size_t			 slen;
	long			 n;
	int			 rc;

	if ((rc = sshl_chan_next_plain(c, &sealed, &slen)) != 1)
		return (rc);
	if ((n = sshl_open(&c->sess, sealed, slen, c->plain, type)) < 0)
		return (-1);
	*p = c->plain + 1;
	*len = (size_t)n;
	return (1);
}

/* Authenticated: sealed messages may be as large as the protocol allows. */
static void
sshl_chan_seal(struct sshl_chan *c)
{
	c->sealed = 1;
	c->spec.max_len = SSHL_MSG_MAX + 1 + SSHL_ABYTES;
}

/*
 * Ends a handshake: gives the fd's slot and the timer back, then
 * reports.  The caller must not touch h afterwards: done may reuse it.
 */
static void
sshl_hs_end(struct sshl_handshake *h, int rc)
{
	loop_timer_cancel(h->loop, &h->timer);
	(void)loop_set_fd(h->loop, h->chan->fd, 0, NULL, NULL);
	sshl_hs_wipe(&h->hs);
	if (rc == 0)
		sshl_chan_seal(h->chan);
	h->done(h, rc, h->arg);
}

/*
 * Waiting for the peer failed (h->err says how).  A client that rejects
 * the server's proof hangs up instead of answering, so for the server
 * any failure while it waits for the client's proof means that.
 */
static void
sshl_hs_wait_failed(struct sshl_handshake *h)
{
	if (h->server && h->step == 1)
		snprintf(h->err, sizeof(h->err), "authentication failed: "
		    "client gave no proof (wrong key?)");
	sshl_hs_end(h, -1);
}

/*
 * Handles one handshake message and queues the answer.  Returns 1 when
 * the handshake is complete (the client's last step), 0 to go on, or -1
 * with the reason in h->err.
 */
static int
sshl_hs_message(struct sshl_handshake *h, const unsigned char *p,
    size_t len)
{
	struct sshl_chan	*c = h->chan;
	/* Room for any answer: server hello, proof or stream header. */
	unsigned char		 out[SSHL_SHELLO_LEN + SSHL_PROOF_LEN +
				    SSHL_SHDR_LEN];
	size_t			 olen;
	int			 rc;

	if (h->server && h->step == 0) {
		rc = sshl_hs_server_hello(&h->hs, p, len, out, h->err);
		olen = SSHL_SHELLO_LEN;
	} else if (h->server) {
		rc = sshl_hs_server_accept(&h->hs, p, len, &c->sess, out,
		    h->err);
		olen = SSHL_SHDR_LEN;
	} else if (h->step == 0) {
		rc = sshl_hs_client_proof(&h->hs, p, len, &c->sess, out,
		    h->err);
		olen = SSHL_PROOF_LEN;
	} else
		return (sshl_hs_client_finish(&h->hs, p, len, &c->sess,
		    h->err) == -1 ? -1 : 1);
	if (rc == 0) {
		h->step++;
		if ((rc = sshl_chan_send_plain(c, out, olen)) == -1)
			snprintf(h->err, sizeof(h->err), "%s",
			    strerror(errno));
	}
	sodium_memzero(out, sizeof(out));
	return (rc);
}

/*
 * Moves the handshake on as far as it goes: flushes the output, handles
 * each whole message (reading once when mask says the fd is readable
 * and the output is out), then waits for the fd again.  As a driver
 * that waits on one thing at a time, it reads only with nothing left to
 * write.
 */
static void
sshl_hs_drive(struct sshl_handshake *h, int mask)
{
	struct sshl_chan	*c = h->chan;
	const unsigned char	*p;
	size_t			 len;
	ssize_t			 n;
	int			 rc;

	for (;;) {
		if (sshl_chan_flush(c) == -1) {
			snprintf(h->err, sizeof(h->err), "write: %s",
			    strerror(errno));
			sshl_hs_wait_failed(h);
			return;
		}
		/* The server is done once its stream header is out. */
		if (h->server && h->step == 2) {
			if (c->outb.len == 0) {
				sshl_hs_end(h, 0);
				return;
			}
			break;
		}
		if ((rc = sshl_chan_next_plain(c, &p, &len)) == 1) {
			if ((rc = sshl_hs_message(h, p, len)) != 0) {
				sshl_hs_end(h, rc == 1 ? 0 : -1);
				return;
			}
			continue;
		}
		if (rc == -1) {
			snprintf(h->err, sizeof(h->err), "malformed handshake "
			    "message");
			sshl_hs_wait_failed(h);
			return;
		}
		if (c->outb.len > 0 || !(mask & LOOP_READABLE))
			break;
		mask &= ~LOOP_READABLE;
		if ((n = sshl_chan_fill(c)) == -1 && (errno == EAGAIN ||
		    errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			snprintf(h->err, sizeof(h->err), "connection closed "
			    "during handshake%s%s", n == -1 ? ": " : "",
			    n == -1 ? strerror(errno) : "");
			sshl_hs_wait_failed(h);
			return;
		}
	}
	if (loop_set_fd(h->loop, c->fd, c->outb.len > 0 ? LOOP_WRITABLE :
	    LOOP_READABLE, sshl_hs_on_fd, h) == -1) {
		snprintf(h->err, sizeof(h->err), "event loop: %s",
		    strerror(errno));
		sshl_hs_end(h, -1);
	}
}

static void
sshl_hs_on_fd(struct loop *l, int fd, int mask, void *arg)
{
	(void)l;
	(void)fd;
	sshl_hs_drive(arg, mask);
}

static void
sshl_hs_on_timer(struct loop *l, struct loop_timer *t, void *arg)
{
	struct sshl_handshake	*h = arg;

	(void)l;
	(void)t;
	snprintf(h->err, sizeof(h->err), "handshake timed out");
	sshl_hs_wait_failed(h);
}

int
sshl_handshake_start(struct sshl_handshake *h, struct loop *l,
    struct sshl_chan *c, const unsigned char *key, int server,
    int timeout_ms, sshl_handshake_cb done, void *arg)
{
	unsigned char	hello[SSHL_HELLO_LEN];
	int		saved;

	memset(h, 0, sizeof(*h));
	h->loop = l;
	h->chan = c;
	h->server = server;
	h->done = done;
	h->arg = arg;
	loop_timer_init(&h->timer, sshl_hs_on_timer, h);
	sshl_hs_init(&h->hs, key, server);
	if (!server) {
		sshl_hs_client_hello(&h->hs, hello);
		if (sshl_chan_send_plain(c, hello, sizeof(hello)) == -1)
			goto fail;
	}
	if (loop_timer_set(l, &h->timer, timeout_ms) == -1)
		goto fail;
	if (loop_set_fd(l, c->fd, c->outb.len > 0 ? LOOP_WRITABLE :
	    LOOP_READABLE, sshl_hs_on_fd, h) == -1)
		goto fail;
	return (0);
fail:
	saved = errno;
	loop_timer_cancel(l, &h->timer);
	sshl_hs_wipe(&h->hs);
	errno = saved;
	return (-1);
}
