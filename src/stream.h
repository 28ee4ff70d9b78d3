/*
 * A stream is one end of a connection: a socket, a stdio fd (pipe,
 * file, terminal), or a layer over a socket such as TLS.  The relay, the
 * --send/--expect script and the servers and clients move bytes only
 * through streams, so a new transport is one more stream_ops table
 * (redis ConnectionType, nginx c->recv/c->send).
 *
 * Reads and writes never block on a non-blocking fd: -1 with EAGAIN
 * means "not now", and stream_wants() tells which readiness of the fd
 * the stream waits for before the call can go on.  That is usually the
 * obvious one, but a TLS read may need the fd writable (a renegotiation
 * or a key update to send) and a TLS write may need it readable, as
 * OpenBSD nc's TLS_WANT_POLLIN/POLLOUT say.  A stream may also hold
 * bytes already read from the fd (decrypted TLS records): while
 * stream_pending() is non-zero the owner must read again without waiting
 * for the fd.
 */
#ifndef SOCKIT_STREAM_H
#define SOCKIT_STREAM_H

#include <sys/types.h>

#include <stddef.h>

struct stream;

/* What a transport implements. */
struct stream_ops {
	const char	*name;
	/* Returns bytes read, 0 at end of stream, -1 with errno. */
	ssize_t		(*read)(struct stream *, void *, size_t);
	/* Returns bytes written (maybe fewer), -1 with errno. */
	ssize_t		(*write)(struct stream *, const void *, size_t);
	/* Ends the write side; 0, or -1 with errno (EAGAIN: call again). */
	int		(*shutdown)(struct stream *);
	/* Bytes readable now without waiting for the fd (may be NULL). */
	size_t		(*pending)(const struct stream *);
	/*
	 * Reads and drops up to n bytes, inside the kernel where it can
	 * (TCP honours MSG_TRUNC).  NULL: the caller reads and drops.
	 */
	ssize_t		(*drop)(struct stream *, void *, size_t);
	/*
	 * Bytes of what was written that the peer has acknowledged, or -1
	 * when the transport cannot tell (may be NULL).
	 */
	long long	(*acked)(const struct stream *);
	/*
	 * Bytes a write took that the transport still holds on their way
	 * to the fd (a TLS stream's queued records; may be NULL: none),
	 * and the call that sends them: 0 when nothing is left, -1 with
	 * errno (EAGAIN: when the fd is writable).  Only a stream marked
	 * STREAM_OWNER_FLUSHES ever holds any.
	 */
	size_t		(*held)(const struct stream *);
	int		(*flush)(struct stream *);
	/* Releases what the transport holds; the fd is closed after it. */
	void		(*free)(struct stream *);
};

/* stream.flags */
#define STREAM_SOCKET		0x01	/* a socket: shutdown(SHUT_WR) */
#define STREAM_NOCLOSE		0x02	/* stream_close leaves the fd open */
#define STREAM_SHUT		0x04	/* the write side has been ended */
#define STREAM_RESET_IS_EOF	0x08	/* ECONNRESET on read means EOF */
#define STREAM_PLAIN		0x10	/* the fd carries the bytes as they
					   are: splice(2) may move them */
#define STREAM_DIALED		0x20	/* this end connected: TCP counts its
					   SYN among the bytes acknowledged */
#define STREAM_OWNER_FLUSHES	0x40	/* the owner calls stream_flush()
					   while stream_held() says so: the
					   transport may hold bytes back */

struct stream {
	const struct stream_ops	*ops;
	int			 fd;
	int			 flags;
	int			 rwant;	/* loop mask a read waits for */
	int			 wwant;	/* loop mask a write waits for */
	void			*impl;	/* the transport's state */
};

/*
 * Makes s a plain socket stream over fd (non-blocking, owned: closed by
 * stream_close).
 */
void	stream_socket_init(struct stream *, int);

/*
 * Makes s a stream over a stdio fd (0 or 1) or any other non-socket fd.
 * The fd is left blocking as the process found it (its file description
 * may be shared with a shell).  Ending the write side of fd 1 points it
 * at /dev/null, so whoever reads the other end of a pipe sees EOF while
 * fd 1 stays a valid descriptor.  Not closed by stream_close.
 */
void	stream_stdio_init(struct stream *, int);

/*
 * The calls.  A transport whose read needs the fd writable (or whose
 * write needs it readable) sets rwant/wwant when it says EAGAIN.
 */
ssize_t	stream_read(struct stream *, void *, size_t);
ssize_t	stream_write(struct stream *, const void *, size_t);
int	stream_shutdown(struct stream *);
ssize_t	stream_drop(struct stream *, void *, size_t);
size_t	stream_pending(const struct stream *);
long long stream_acked(const struct stream *);
size_t	stream_held(const struct stream *);
int	stream_flush(struct stream *);

/*
 * The loop mask (LOOP_READABLE/LOOP_WRITABLE) that a read (write == 0)
 * or a write (write == 1) waits for now.
 */
int	stream_wants(const struct stream *, int);

/*
 * Writes all n bytes, waiting for the fd (poll) whenever the stream says
 * EAGAIN: for outputs written as a blocking program would (the script's
 * copy to stdout).  Returns n or -1 with errno.
 */
ssize_t	stream_write_all(struct stream *, const void *, size_t);

/*
 * Closes like stream_close, but a socket is reset (SO_LINGER 0) instead
 * of ended with a FIN: passes a peer's reset on to the other side.
 */
void	stream_abort(struct stream *);

/* Frees the transport and closes the fd (unless STREAM_NOCLOSE). */
void	stream_close(struct stream *);

/*
 * send(2) on a socket fd without SIGPIPE, retried on EINTR: for a
 * transport that writes its own bytes under a stream (TLS records).
 */
ssize_t	stream_fd_send(int, const void *, size_t);

/* Whether errno from a write means the reader went away. */
int	stream_peer_gone(int);

#endif
