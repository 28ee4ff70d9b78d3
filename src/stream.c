/*
 * The plain transports: sockets and stdio fds.  The only place besides
 * other stream implementations where sockit reads or writes a
 * connection's fd.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_STRUCT_TCP_INFO_TCPI_BYTES_ACKED
#include <linux/tcp.h>
#endif

#include "loop.h"
#include "stream.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL	0	/* SIGPIPE is ignored in main() anyway */
#endif

static ssize_t
stream_sock_read(struct stream *s, void *p, size_t n)
{
	ssize_t	r;

	do {
		r = recv(s->fd, p, n, 0);
	} while (r == -1 && errno == EINTR);
	/*
	 * A program that exits without reading all its input resets its
	 * end of an exec socketpair: for the server that is its EOF.
	 */
	if (r == -1 && errno == ECONNRESET && (s->flags & STREAM_RESET_IS_EOF))
		return (0);
	return (r);
}

ssize_t
stream_fd_send(int fd, const void *p, size_t n)
{
	ssize_t	r;

	do {
		r = send(fd, p, n, MSG_NOSIGNAL);
	} while (r == -1 && errno == EINTR);
	return (r);
}

static ssize_t
stream_sock_write(struct stream *s, const void *p, size_t n)
{
	return (stream_fd_send(s->fd, p, n));
}

static int
stream_sock_shutdown(struct stream *s)
{
	/* A peer that is gone already needs no FIN: not an error. */
	if (shutdown(s->fd, SHUT_WR) == -1 && errno != ENOTCONN)
		return (-1);
	return (0);
}

static ssize_t
stream_sock_drop(struct stream *s, void *p, size_t n)
{
	ssize_t	r;

	do {
		r = recv(s->fd, p, n, MSG_TRUNC);
	} while (r == -1 && errno == EINTR);
	return (r);
}

/* TCP knows what the peer acknowledged, even after a reset. */
static long long
stream_sock_acked(const struct stream *s)
{
#ifdef HAVE_STRUCT_TCP_INFO_TCPI_BYTES_ACKED
	struct tcp_info	ti;
	socklen_t	len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(s->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	    len >= offsetof(struct tcp_info, tcpi_bytes_acked) +
	    sizeof(ti.tcpi_bytes_acked)) {
		if ((s->flags & STREAM_DIALED) && ti.tcpi_bytes_acked > 0)
			return ((long long)ti.tcpi_bytes_acked - 1);
		return ((long long)ti.tcpi_bytes_acked);
	}
#endif
	return (-1);
}

static const struct stream_ops stream_sock_ops = {
	.name = "socket",
	.read = stream_sock_read,
	.write = stream_sock_write,
	.shutdown = stream_sock_shutdown,
	.pending = NULL,
	.drop = stream_sock_drop,
	.acked = stream_sock_acked,
	.free = NULL
};

static ssize_t
stream_stdio_read(struct stream *s, void *p, size_t n)
{
	ssize_t	r;

	do {
		r = read(s->fd, p, n);
	} while (r == -1 && errno == EINTR);
	return (r);
}

static ssize_t
stream_stdio_write(struct stream *s, const void *p, size_t n)
{
	ssize_t	r;

	do {
		r = write(s->fd, p, n);
	} while (r == -1 && errno == EINTR);
	return (r);
}

/*
 * Points the fd at /dev/null: the file description behind it (a pipe's
 * write end) is released, so its reader sees EOF, and the number stays
 * taken, so no later socket becomes "stdout".
 */
static int
stream_stdio_shutdown(struct stream *s)
{
	int	null, saved;

	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		return (-1);
	if (dup2(null, s->fd) == -1) {
		saved = errno;
		(void)close(null);
		errno = saved;
		return (-1);
	}
	return (close(null));
}

static const struct stream_ops stream_stdio_ops = {
	.name = "stdio",
	.read = stream_stdio_read,
	.write = stream_stdio_write,
	.shutdown = stream_stdio_shutdown,
	.pending = NULL,
	.drop = NULL,
	.acked = NULL,
	.free = NULL
};

static void
stream_init(struct stream *s, const struct stream_ops *ops, int fd, int flags)
{
	s->ops = ops;
	s->fd = fd;
	s->flags = flags;
	s->rwant = LOOP_READABLE;
	s->wwant = LOOP_WRITABLE;
	s->impl = NULL;
}

void
stream_socket_init(struct stream *s, int fd)
{
	stream_init(s, &stream_sock_ops, fd, STREAM_SOCKET | STREAM_PLAIN);
}

/*
 * A pipe on stdin or stdout is made to hold 1 MiB (where the system
 * allows; it is only a hint): the program at the other end then runs
 * longer between our reads or writes.  With both on one CPU, piped bulk
 * measured about 10% faster and 15% cheaper in CPU time
 * (docs/PERFORMANCE.md, scenario 1).
 */
#define STREAM_PIPE_SIZE	(1 << 20)

void
stream_stdio_init(struct stream *s, int fd)
{
	struct stat	st;

	stream_init(s, &stream_stdio_ops, fd, STREAM_NOCLOSE | STREAM_PLAIN);
#ifdef F_SETPIPE_SZ
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fcntl(fd, F_SETPIPE_SZ, STREAM_PIPE_SIZE);
#endif
}

ssize_t
stream_read(struct stream *s, void *p, size_t n)
{
	return (s->ops->read(s, p, n));
}

ssize_t
stream_write(struct stream *s, const void *p, size_t n)
{
	return (s->ops->write(s, p, n));
}

int
stream_shutdown(struct stream *s)
{
	if (s->flags & STREAM_SHUT)
		return (0);
	if (s->ops->shutdown(s) == -1)
		return (-1);
	s->flags |= STREAM_SHUT;
	return (0);
}

ssize_t
stream_drop(struct stream *s, void *p, size_t n)
{
	if (s->ops->drop != NULL)
		return (s->ops->drop(s, p, n));
	return (s->ops->read(s, p, n));
}

size_t
stream_pending(const struct stream *s)
{
	return (s->ops->pending != NULL ? s->ops->pending(s) : 0);
}

size_t
stream_held(const struct stream *s)
{
	return (s->ops->held != NULL ? s->ops->held(s) : 0);
}

int
stream_flush(struct stream *s)
{
	return (s->ops->flush != NULL ? s->ops->flush(s) : 0);
}

long long
stream_acked(const struct stream *s)
{
	return (s->ops->acked != NULL ? s->ops->acked(s) : -1);
}

int
stream_wants(const struct stream *s, int write)
{
	return (write ? s->wwant : s->rwant);
}

ssize_t
stream_write_all(struct stream *s, const void *p, size_t n)
{
	const unsigned char	*b = p;
	struct pollfd		 pfd;
	size_t			 done = 0;
	ssize_t			 w;

	while (done < n) {
		if ((w = stream_write(s, b + done, n - done)) >= 0) {
			done += (size_t)w;
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return (-1);
		pfd.fd = s->fd;
		pfd.events = (s->wwant & LOOP_READABLE ? POLLIN : 0) |
		    (s->wwant & LOOP_WRITABLE ? POLLOUT : 0);
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			return (-1);
	}
	return ((ssize_t)n);
}

void
stream_close(struct stream *s)
{
	if (s->ops == NULL)
		return;
	if (s->ops->free != NULL)
		s->ops->free(s);
	if (!(s->flags & STREAM_NOCLOSE) && s->fd >= 0)
		(void)close(s->fd);
	s->fd = -1;
	s->ops = NULL;
}

void
stream_abort(struct stream *s)
{
	struct linger	lg;

	if (s->ops != NULL && (s->flags & STREAM_SOCKET) && s->fd >= 0) {
		lg.l_onoff = 1;
		lg.l_linger = 0;
		/* Only a plain close is left if this fails: fine. */
		(void)setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg,
		    sizeof(lg));
	}
	stream_close(s);
}

int
stream_peer_gone(int err)
{
	return (err == EPIPE || err == ECONNRESET || err == ENOTCONN);
}
