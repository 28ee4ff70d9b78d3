/*
 * Datagram batches: recvmmsg/sendmmsg, or one datagram per call.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dgram-batch.h"

int
dgb_init(struct dgb *b, size_t slot)
{
	int	i;

	memset(b, 0, sizeof(*b));
	/* Large, but only the pages datagrams land on become resident. */
	if ((b->buf = malloc(DGB_SLOTS * slot)) == NULL)
		return (-1);
	b->slot = slot;
	for (i = 0; i < DGB_SLOTS; i++)
		b->in[i].data = b->buf + (size_t)i * slot;
	return (0);
}

void
dgb_free(struct dgb *b)
{
	free(b->buf);
	b->buf = NULL;
}

int
dgb_add(struct dgb *b, const struct sockaddr_storage *sa, socklen_t salen,
    const unsigned char *data, size_t len)
{
	struct dgb_send	*s;

	if (b->nout >= DGB_SENDS)
		return (-1);
	s = &b->out[b->nout++];
	s->sa = sa;
	s->salen = salen;
	s->data = data;
	s->len = len;
	return (0);
}

#if defined(HAVE_RECVMMSG) && defined(HAVE_SENDMMSG)

int
dgb_recv(struct dgb *b, int fd)
{
	struct mmsghdr	m[DGB_SLOTS];
	struct iovec	iov[DGB_SLOTS];
	int		i, n;

	memset(m, 0, sizeof(m));
	for (i = 0; i < DGB_SLOTS; i++) {
		iov[i].iov_base = b->in[i].data;
		iov[i].iov_len = b->slot;
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
		m[i].msg_hdr.msg_name = &b->in[i].sa;
		m[i].msg_hdr.msg_namelen = sizeof(b->in[i].sa);
	}
	do {
		n = recvmmsg(fd, m, DGB_SLOTS, MSG_DONTWAIT, NULL);
	} while (n == -1 && errno == EINTR);
	for (i = 0; i < n; i++) {
		b->in[i].salen = m[i].msg_hdr.msg_namelen;
		b->in[i].len = m[i].msg_len;
		b->in[i].truncated = (m[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
	}
	return (n);
}

void
dgb_flush(struct dgb *b, int fd, dgb_unsent_cb cb, void *arg)
{
	struct mmsghdr	m[DGB_SENDS];
	struct iovec	iov[DGB_SENDS];
	int		i, n, done = 0;

	memset(m, 0, sizeof(m));
	for (i = 0; i < b->nout; i++) {
		iov[i].iov_base = (void *)(uintptr_t)b->out[i].data;
		iov[i].iov_len = b->out[i].len;
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
		m[i].msg_hdr.msg_name = (void *)(uintptr_t)b->out[i].sa;
		m[i].msg_hdr.msg_namelen = b->out[i].salen;
	}
	while (done < b->nout) {
		n = sendmmsg(fd, m + done, (unsigned)(b->nout - done), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS)) {
			/* The socket is full: the rest is for the caller. */
			for (; done < b->nout; done++)
				cb(&b->out[done], EAGAIN, arg);
			break;
		}
		if (n == -1) {
			/* This datagram failed (its peer); go on after it. */
			cb(&b->out[done++], errno, arg);
			continue;
		}
		done += n;
	}
	b->nout = 0;
}

#else

/* One call per datagram, until the socket is empty or the slots full. */
int
dgb_recv(struct dgb *b, int fd)
{
	struct dgb_msg	*m;
	ssize_t		 n;
	int		 i;

	for (i = 0; i < DGB_SLOTS; i++) {
		m = &b->in[i];
		m->salen = sizeof(m->sa);
		do {
			n = recvfrom(fd, m->data, b->slot, MSG_TRUNC |
			    MSG_DONTWAIT, (struct sockaddr *)&m->sa,
			    &m->salen);
		} while (n == -1 && errno == EINTR);
		if (n == -1)
			return (i > 0 ? i : -1);
		m->truncated = (size_t)n > b->slot;
		m->len = m->truncated ? b->slot : (size_t)n;
	}
	return (i);
}

void
dgb_flush(struct dgb *b, int fd, dgb_unsent_cb cb, void *arg)
{
	struct dgb_send	*s;
	int		 i, blocked = 0;
	ssize_t		 w;

	for (i = 0; i < b->nout; i++) {
		s = &b->out[i];
		if (blocked) {
			cb(s, EAGAIN, arg);
			continue;
		}
		do {
			w = sendto(fd, s->data, s->len, 0,
			    (const struct sockaddr *)s->sa, s->salen);
		} while (w == -1 && errno == EINTR);
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS)) {
			blocked = 1;
			cb(s, EAGAIN, arg);
		} else if (w == -1)
			cb(s, errno, arg);
	}
	b->nout = 0;
}

#endif
