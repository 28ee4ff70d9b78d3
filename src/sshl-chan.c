/*
 * ssh-lite channel: framing, sealing and the handshake over an fd.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "sshl-chan.h"

int
sshl_chan_init(struct sshl_chan *c, int fd)
{
	char	err[FRAME_ERR_LEN];

	memset(c, 0, sizeof(*c));
	c->fd = fd;
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
		n = write(c->fd, BUF_HEAD(&c->outb), c->outb.len);
		if (n == -1 && errno == EINTR)
			continue;
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
	do {
		n = read(c->fd, BUF_TAIL(&c->inb), BUF_SPACE(&c->inb));
	} while (n == -1 && errno == EINTR);
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

/* Waits for one plain message or flushes output, within the deadline. */
static int
sshl_wait_plain(struct sshl_chan *c, long long deadline,
    const unsigned char **p, size_t *len, char *err)
{
	struct pollfd	pfd;
	ssize_t		n;
	int		rc, left;

	for (;;) {
		if (sshl_chan_flush(c) == -1) {
			snprintf(err, SSHL_ERR_LEN, "write: %s",
			    strerror(errno));
			return (-1);
		}
		if (p != NULL && (rc = sshl_chan_next_plain(c, p, len)) != 0) {
			if (rc == -1)
				snprintf(err, SSHL_ERR_LEN, "malformed "
				    "handshake message");
			return (rc == 1 ? 0 : -1);
		}
		if (p == NULL && c->outb.len == 0)
			return (0);
		if ((left = clock_left_ms(deadline)) == 0) {
			snprintf(err, SSHL_ERR_LEN, "handshake timed out");
			errno = ETIMEDOUT;
			return (-1);
		}
		pfd.fd = c->fd;
		pfd.events = c->outb.len > 0 ? POLLOUT : POLLIN;
		if (poll(&pfd, 1, left) == -1 && errno != EINTR) {
			snprintf(err, SSHL_ERR_LEN, "poll: %s",
			    strerror(errno));
			return (-1);
		}
		if (c->outb.len > 0 || pfd.revents == 0)
			continue;
		if ((n = sshl_chan_fill(c)) == 0 || (n == -1 &&
		    errno != EAGAIN)) {
			snprintf(err, SSHL_ERR_LEN, "connection closed during "
			    "handshake%s%s", n == -1 ? ": " : "",
			    n == -1 ? strerror(errno) : "");
			return (-1);
		}
	}
}

int
sshl_handshake_client(struct sshl_chan *c, const unsigned char *key,
    int timeout_ms, char *err)
{
	struct sshl_hs		 hs;
	unsigned char		 hello[SSHL_HELLO_LEN], proof[SSHL_PROOF_LEN];
	const unsigned char	*p;
	size_t			 len;
	long long		 deadline = clock_ms() + timeout_ms;
	int			 rc = -1;

	sshl_hs_init(&hs, key, 0);
	sshl_hs_client_hello(&hs, hello);
	if (sshl_chan_send_plain(c, hello, sizeof(hello)) == -1 ||
	    sshl_wait_plain(c, deadline, &p, &len, err) == -1)
		goto out;
	if (sshl_hs_client_proof(&hs, p, len, &c->sess, proof, err) == -1 ||
	    sshl_chan_send_plain(c, proof, sizeof(proof)) == -1 ||
	    sshl_wait_plain(c, deadline, &p, &len, err) == -1)
		goto out;
	if (sshl_hs_client_finish(&hs, p, len, &c->sess, err) == -1)
		goto out;
	sshl_chan_seal(c);
	rc = 0;
out:
	sshl_hs_wipe(&hs);
	return (rc);
}

int
sshl_handshake_server(struct sshl_chan *c, const unsigned char *key,
    int timeout_ms, char *err)
{
	struct sshl_hs		 hs;
	unsigned char		 shello[SSHL_SHELLO_LEN], shdr[SSHL_SHDR_LEN];
	const unsigned char	*p;
	size_t			 len;
	long long		 deadline = clock_ms() + timeout_ms;
	int			 rc = -1;

	sshl_hs_init(&hs, key, 1);
	if (sshl_wait_plain(c, deadline, &p, &len, err) == -1 ||
	    sshl_hs_server_hello(&hs, p, len, shello, err) == -1 ||
	    sshl_chan_send_plain(c, shello, sizeof(shello)) == -1)
		goto out;
	if (sshl_wait_plain(c, deadline, &p, &len, err) == -1) {
		/* A client that rejects our proof hangs up here. */
		snprintf(err, SSHL_ERR_LEN, "authentication failed: client "
		    "gave no proof (wrong key?)");
		goto out;
	}
	if (sshl_hs_server_accept(&hs, p, len, &c->sess, shdr, err) == -1 ||
	    sshl_chan_send_plain(c, shdr, sizeof(shdr)) == -1 ||
	    sshl_wait_plain(c, deadline, NULL, NULL, err) == -1)
		goto out;
	sshl_chan_seal(c);
	rc = 0;
out:
	sshl_hs_wipe(&hs);
	return (rc);
}
