/*
 * An ssh-lite channel: length-prefixed messages over a non-blocking fd,
 * plain during the handshake and sealed afterwards, with bounded
 * buffers.  Also the handshake of both sides, run by the event loop.
 */
#ifndef SOCKIT_SSHL_CHAN_H
#define SOCKIT_SSHL_CHAN_H

#include "buf.h"
#include "frame.h"
#include "loop.h"
#include "sshl.h"
#include "stream.h"

#define SSHL_HANDSHAKE_MAX	256	/* largest message before auth */

struct sshl_chan {
	int			 fd;
	struct stream		 net;		/* over fd, which it leaves open */
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

struct sshl_handshake;

/* Called once when a handshake ends: 0 with the channel sealed, or -1. */
typedef void (*sshl_handshake_cb)(struct sshl_handshake *, int, void *);

/* One side's handshake in progress on a channel, run by the event loop. */
struct sshl_handshake {
	struct loop		*loop;
	struct sshl_chan	*chan;
	struct sshl_hs		 hs;
	struct loop_timer	 timer;		/* the deadline */
	int			 server;
	int			 step;		/* messages received so far */
	sshl_handshake_cb	 done;
	void			*arg;
	char			 err[SSHL_ERR_LEN];	/* why it failed */
};

/*
 * Starts the handshake of the client (server 0) or the server (1) on a
 * channel over a connected non-blocking fd.  Until it calls done, the
 * handshake owns the fd's slot in the loop and a timer of timeout_ms;
 * it gives both up before calling done, with 0 once the channel is
 * sealed or -1 with the reason in err, and the caller registers the fd
 * anew.  Returns 0, or -1 with errno (done is then never called).
 */
int	sshl_handshake_start(struct sshl_handshake *, struct loop *,
	    struct sshl_chan *, const unsigned char *, int, int,
	    sshl_handshake_cb, void *);

#endif
