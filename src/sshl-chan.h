/*
 * An ssh-lite channel: length-prefixed messages over a non-blocking fd,
 * plain during the handshake and sealed afterwards, with bounded
 * buffers.  Also the blocking handshake drivers for both sides.
 */
#ifndef SOCKIT_SSHL_CHAN_H
#define SOCKIT_SSHL_CHAN_H

#include "buf.h"
#include "frame.h"
#include "sshl.h"

#define SSHL_HANDSHAKE_MAX	256	/* largest message before auth */

struct sshl_chan {
	int			 fd;
	struct frame_spec	 spec;		/* len32, bounded */
	struct frame_dec	 dec;
	struct buf		 inb;
	struct buf		 outb;
	size_t			 consume;	/* bytes of the last message */
	struct sshl_session	 sess;
	int			 sealed;	/* handshake done */
	unsigned char		*plain;		/* SSHL_MSG_MAX + 1 */
};

/* Returns 0 or -1 (ENOMEM). */
int	sshl_chan_init(struct sshl_chan *, int);
void	sshl_chan_free(struct sshl_chan *);

/* Queues a message (sealed once the handshake is done); 0 or -1. */
int	sshl_chan_send_plain(struct sshl_chan *, const void *, size_t);
int	sshl_chan_send(struct sshl_chan *, int, const void *, size_t);

/*
 * Reads at most max bytes from fd straight into the output buffer and
 * seals them there as one message of the given type.  Returns what
 * read(2) returned: bytes, 0 at EOF (nothing queued), -1 with errno.
 */
ssize_t	sshl_chan_send_read(struct sshl_chan *, int, int, size_t);

/* Writes what it can; returns 0 or -1 with errno (EAGAIN is 0). */
int	sshl_chan_flush(struct sshl_chan *);

/* Reads once; returns bytes read, 0 at EOF, -1 with errno. */
ssize_t	sshl_chan_fill(struct sshl_chan *);

/*
 * The next whole message: 1 with the payload in p and len (and for
 * sealed messages its type), valid until the next call; 0 when more bytes
 * are needed; -1 for a message too big, forged or malformed.
 */
int	sshl_chan_next_plain(struct sshl_chan *, const unsigned char **,
	    size_t *);
int	sshl_chan_next(struct sshl_chan *, int *, const unsigned char **,
	    size_t *);

/*
 * Runs the handshake on a connected fd within timeout_ms.  Returns 0
 * with the channel sealed, or -1 with a message in err.
 */
int	sshl_handshake_client(struct sshl_chan *, const unsigned char *, int,
	    char *);
int	sshl_handshake_server(struct sshl_chan *, const unsigned char *, int,
	    char *);

#endif
