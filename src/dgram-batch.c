/*
 * Datagram batches: recvmmsg/sendmmsg, or one datagram per call.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dgram-batch.h"
#include "sock.h"

/*
 * Linux refuses a Unix datagram longer than the send buffer less 32
 * bytes (af_unix.c: len > sk_sndbuf - 32), and SO_SNDBUF reads back
 * that buffer size.  Elsewhere the buffer size is the closest guess.
 */
#ifdef __linux__
#define DGB_UNIX_OVERHEAD	32
#else
#define DGB_UNIX_OVERHEAD	0
#endif

/* IPv4 limits an IPv4 or IPv4-mapped address, or a dual-stack socket. */
static size_t
dgb_max_inet6(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)ss;
	const struct in6_addr		*a = &sin6->sin6_addr;

	if (IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_UNSPECIFIED(a))
		return (DGB_UDP4_MAX);
	return (DGB_UDP6_MAX);
}

static size_t
dgb_max_unix(int fd)
{
	socklen_t	len = sizeof(int);
	int		sndbuf;

	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) == -1 ||
	    sndbuf <= DGB_UNIX_OVERHEAD)
		return (DGB_UDP4_MAX);
	if ((size_t)(sndbuf - DGB_UNIX_OVERHEAD) > DGB_RECV_MAX)
		return (DGB_RECV_MAX);
	return ((size_t)(sndbuf - DGB_UNIX_OVERHEAD));
}

size_t
dgb_max(int fd, const struct sockaddr_storage *to)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);

	/* Without a destination: the peer, else what the socket is bound to. */
	if (to == NULL) {
		memset(&ss, 0, sizeof(ss));
		if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1) {
			len = sizeof(ss);
			if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
				return (DGB_UDP4_MAX);
		}
		to = &ss;
	}
	switch (to->ss_family) {
	case AF_INET6:
		return (dgb_max_inet6(to));
	case AF_UNIX:
		return (dgb_max_unix(fd));
	case AF_INET:
	default:
		return (DGB_UDP4_MAX);
	}
}

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
dgb_group_replies(struct dgb *b, int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);
	int			zero = 0;

	b->gso = 0;
#if defined(UDP_SEGMENT) && defined(HAVE_SENDMMSG)
	/*
	 * Only UDP has GSO.  Setting the option (to 0: no default size)
	 * fails on a kernel that would not honour the per-send size, where
	 * the grouped datagrams would arrive as one.
	 */
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) &&
	    setsockopt(fd, SOL_UDP, UDP_SEGMENT, &zero, sizeof(zero)) == 0)
		b->gso = 1;
#else
	(void)fd; (void)ss; (void)len; (void)zero;
#endif
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

/*
 * The kernel cuts a GSO send into datagrams after the output path, so
 * they arrive as separate datagrams, and the path runs once for all.
 */
int
dgb_group_len(const struct dgb *b, int i)
{
	const struct dgb_send	*f = &b->out[i], *s;
	size_t			 total = f->len;
	int			 n = 1;

	if (!b->gso || f->len == 0)
		return (1);
	while (i + n < b->nout && n < DGB_GSO_SEGS) {
		s = &b->out[i + n];
		if (s->salen != f->salen || memcmp(s->sa, f->sa, f->salen) != 0 ||
		    s->len == 0 || s->len > f->len ||
		    total + s->len > DGB_GSO_BYTES)
			break;
		total += s->len;
		n++;
		if (s->len < f->len)
			break;
	}
	return (n);
}

/* The socket is full: out[i] and all after it go back to the caller. */
static void
dgb_hand_back(struct dgb *b, int i, dgb_unsent_cb cb, void *arg)
{
	for (; i < b->nout; i++)
		cb(&b->out[i], EAGAIN, arg);
}

/*
 * Sends out[first..first+count) one by one, each with its own result.
 * After a grouped send failed with err: the kernel's GSO-specific
 * refusals (EINVAL for a segment over the path MTU, EIO for a device
 * without checksum offload) also end grouping for this socket.  Returns
 * -1 once the socket is full.
 */
static int
dgb_send_each(struct dgb *b, int fd, int first, int count, int err,
    dgb_unsent_cb cb, void *arg)
{
	const struct dgb_send	*s;
	ssize_t			 w;
	int			 i;

	if (err == EINVAL || err == EIO)
		b->gso = 0;
	for (i = first; i < first + count; i++) {
		s = &b->out[i];
		do {
			w = sendto(fd, s->data, s->len, 0,
			    (const struct sockaddr *)s->sa, s->salen);
		} while (w == -1 && errno == EINTR);
		if (w == -1 && sock_send_full(errno)) {
			dgb_hand_back(b, i, cb, arg);
			return (-1);
		}
		if (w == -1)
			cb(s, errno, arg);
	}
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

static void
dgb_set_segment(struct msghdr *h, union dgb_cmsg *c, size_t size)
{
#ifdef UDP_SEGMENT
	struct cmsghdr	*cm;
	uint16_t	 gso = (uint16_t)size;

	memset(c, 0, sizeof(*c));
	h->msg_control = c->buf;
	h->msg_controllen = sizeof(c->buf);
	cm = CMSG_FIRSTHDR(h);
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(gso));
	memcpy(CMSG_DATA(cm), &gso, sizeof(gso));
#else
	(void)h; (void)c; (void)size;
#endif
}

void
dgb_flush(struct dgb *b, int fd, dgb_unsent_cb cb, void *arg)
{
	struct mmsghdr	m[DGB_SENDS];
	struct iovec	iov[DGB_SENDS];
	union dgb_cmsg	cmsg[DGB_SENDS];
	int		first[DGB_SENDS], count[DGB_SENDS];
	int		i, nmsg = 0, n, done = 0;

	memset(m, 0, sizeof(m));
	for (i = 0; i < b->nout; i++) {
		iov[i].iov_base = (void *)(uintptr_t)b->out[i].data;
		iov[i].iov_len = b->out[i].len;
	}
	for (i = 0; i < b->nout; i += count[nmsg++]) {
		first[nmsg] = i;
		count[nmsg] = dgb_group_len(b, i);
		m[nmsg].msg_hdr.msg_iov = &iov[i];
		m[nmsg].msg_hdr.msg_iovlen = (size_t)count[nmsg];
		m[nmsg].msg_hdr.msg_name = (void *)(uintptr_t)b->out[i].sa;
		m[nmsg].msg_hdr.msg_namelen = b->out[i].salen;
		if (count[nmsg] > 1)
			dgb_set_segment(&m[nmsg].msg_hdr, &cmsg[nmsg],
			    b->out[i].len);
	}
	while (done < nmsg) {
		n = sendmmsg(fd, m + done, (unsigned)(nmsg - done), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && sock_send_full(errno)) {
			dgb_hand_back(b, first[done], cb, arg);
			break;
		}
		if (n == -1 && count[done] > 1) {
			if (dgb_send_each(b, fd, first[done], count[done],
			    errno, cb, arg) == -1)
				break;
			done++;
			continue;
		}
		if (n == -1) {
			/* This datagram failed (its peer); go on after it. */
			cb(&b->out[first[done++]], errno, arg);
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
	(void)dgb_send_each(b, fd, 0, b->nout, 0, cb, arg);
	b->nout = 0;
}

#endif
