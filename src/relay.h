/*
 * The relay: buffered copying from one stream to another through the
 * event loop, with backpressure (OpenBSD nc readwrite(), one buffer per
 * direction).  A relay has one or two pipes; each pipe reads from src,
 * optionally decodes frames, transforms them, re-encodes them and writes
 * to dst.  A full output buffer turns off reading from src; an empty one
 * turns off write interest on dst.  End of input ends the write side of
 * dst when asked (a FIN, a TLS close_notify, EOF for a pipe's reader).
 *
 * One stream may be the src of one pipe and the dst of another (a
 * client's socket), or both ends of one pipe (an echo connection).  The
 * relay waits for what each stream says it wants (stream_wants) and
 * reads streams that hold pending input before the loop sleeps.
 */
#ifndef SOCKIT_RELAY_H
#define SOCKIT_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "frame.h"

struct loop;
struct relay;
struct stream;

#define RELAY_PIPES_MAX	2

/* Transforms a message (or a raw chunk) in place. */
typedef void (*relay_transform)(unsigned char *, size_t);

/* What one direction does. */
struct relay_pipe_conf {
	struct stream		*src;
	struct stream		*dst;		/* NULL: discard */
	const struct frame_spec	*in;		/* NULL: raw */
	const struct frame_spec	*out;		/* NULL: raw */
	relay_transform		 transform;	/* NULL: copy */
	size_t			 bufsize;	/* read size and high water */
	size_t			 readmax;	/* cap per read(2), 0: bufsize;
						   smaller reads stay in cache */
	uint64_t		 limit;		/* stop after this many bytes
						   read (0: no limit) */
	unsigned int		 shutdown_dst:1;	/* end dst's write side at EOF */
	unsigned int		 partial_ok:1;	/* a last unterminated message
						   at EOF is a message */
	unsigned int		 free_idle:1;	/* release empty buffers */
	unsigned int		 kernel_drop:1;	/* a raw discard pipe from a
						   socket: recv(MSG_TRUNC) */
	unsigned int		 ends_relay:1;	/* its end ends the relay */
	unsigned int		 crlf:1;		/* raw: LF becomes CRLF, an
						   existing CRLF stays (nc -C) */
	unsigned int		 dst_gone_drains:1; /* dst went away (EPIPE,
						   reset): drop the rest of
						   src instead of failing */
	unsigned int		 zero_copy:1;	/* splice(2) through a kernel
						   pipe when both ends are
						   plain fds and the pipe is
						   raw, from the first read
						   of 16 KiB on (bulk) */
};

/* Why a relay (or pipe) stopped. */
enum relay_status {
	RELAY_RUNNING = 0,
	RELAY_DONE,		/* clean end of every pipe */
	RELAY_ERR_READ,		/* read from src failed (errno in err) */
	RELAY_ERR_WRITE,	/* write to dst failed (errno in err;
				   undelivered says what was lost) */
	RELAY_ERR_FRAME,	/* frame too big or partial at EOF */
	RELAY_ERR_NOMEM
};

struct relay_pipe {
	struct relay_pipe_conf	 c;
	struct frame_dec	 dec;
	struct buf		 inb;	/* undecoded input (framed pipes) */
	struct buf		 outb;	/* output waiting for dst */
	uint64_t		 nread;
	uint64_t		 nwritten;
	unsigned int		 eof:1;	/* src is finished */
	unsigned int		 done:1;	/* eof, flushed and shut down */
	unsigned int		 shut_wait:1; /* dst's shutdown said EAGAIN */
	unsigned int		 dst_gone:1;  /* dst_gone_drains happened */
	unsigned int		 last_cr:1;   /* crlf: last byte out was \r */
	unsigned int		 zc_tried:1;  /* zero copy was set up (or
						 could not be) */
	int			 kp[2];	    /* zero copy: the kernel pipe,
					       or -1 */
	size_t			 kp_len;    /* bytes in it */
	size_t			 kp_cap;
};

typedef void (*relay_done_cb)(struct relay *, void *);
/*
 * Sees every chunk pipe i moves: read from src (wrote == 0) or written
 * to dst (wrote == 1), for traffic dumps.  Zero copy is off with a tap.
 */
typedef void (*relay_tap_cb)(struct relay *, int, int, const unsigned char *,
    size_t, void *);
/* Told when pipe i has finished while the relay goes on; frees nothing. */
typedef void (*relay_pipe_done_cb)(struct relay *, int, void *);

struct relay {
	struct loop		*loop;
	struct relay_pipe	 pipes[RELAY_PIPES_MAX];
	int			 npipes;
	enum relay_status	 status;
	int			 err;		/* errno for ERR_READ/WRITE */
	int			 err_pipe;	/* pipe that failed */
	enum frame_status	 frame_err;	/* for ERR_FRAME */
	long long		 last_active;	/* loop_now() of last I/O */
	int			 paused;	/* reading suspended by owner */
	int			 owner_closes;	/* the owner closes its sockets
						   as soon as the relay ends */
	int			 kick;		/* settle at the next turn:
						   relay_inject ended or failed
						   a pipe before the start */
	uint64_t		 undelivered;	/* ERR_WRITE: bytes read from
						   src that dst never took */
	int			 draining;	/* reading what a peer that
						   went away left unread */
	relay_done_cb		 done_cb;
	relay_pipe_done_cb	 pipe_done_cb;	/* optional, set by owner */
	relay_tap_cb		 tap_cb;	/* optional, set by owner */
	void			*done_arg;	/* for both callbacks */
	struct stream		*streams[2 * RELAY_PIPES_MAX];
	int			 nstreams;
};

/* Prepares a relay; add pipes next, then relay_start. */
void	relay_init(struct relay *, struct loop *, relay_done_cb, void *);

/* Adds a pipe; returns its index or -1 when full. */
int	relay_add_pipe(struct relay *, const struct relay_pipe_conf *);

/*
 * Registers the streams' fds with the loop and starts copying.  done_cb
 * runs once when the relay ends (status tells how); the owner then calls
 * relay_free and closes its streams.  Returns 0 or -1 with errno.
 */
int	relay_start(struct relay *);

/*
 * Marks src of pipe i as finished (the owner decided to stop reading,
 * e.g. --quit-after); pending output is still flushed.
 */
void	relay_end_input(struct relay *, int);

/* Stops reading on every pipe (drain) or resumes. */
void	relay_pause(struct relay *, int);

/*
 * Unregisters the fds and frees the buffers (does not close streams);
 * relay_bytes_from/to still count what moved.
 */
void	relay_free(struct relay *);

/* Total bytes read from the given stream / written to it over all pipes. */
uint64_t relay_bytes_from(const struct relay *, const struct stream *);
uint64_t relay_bytes_to(const struct relay *, const struct stream *);

/*
 * Bytes pipe i read from src that never reached dst's peer: what waits
 * in the pipe, plus what dst took but its peer did not acknowledge (TCP
 * tells; elsewhere that part counts as delivered).  For a pipe that
 * failed or was cut short.
 */
uint64_t relay_undelivered(const struct relay *, int);

/* Bytes of pipe i that reached dst's peer (acknowledged, where known). */
uint64_t relay_delivered(const struct relay *, int);

/*
 * The words for relay_delivered's count: "delivered" where dst's
 * transport knows what the peer acknowledged (TCP), "sent" where it
 * cannot tell (TLS): then the count is what was written to it.
 */
const char *relay_delivered_word(const struct relay *, int);

/* Queues bytes for dst of pipe i ahead of anything the pipe reads. */
int	relay_prepend(struct relay *, int, const void *, size_t);

/*
 * Bytes src of pipe i gave before the relay started (they came with a
 * proxy's reply, or after a script's last step): they go through the
 * pipe as if read first, so framing, --recv-bytes, the counts and the
 * tap see them.  Call between relay_add_pipe and relay_start; a frame
 * error in them ends the relay just after it starts.  0 or -1/ENOMEM.
 */
int	relay_inject(struct relay *, int, const void *, size_t);

/* Upper-cases ASCII letters in place (the --upper handler). */
void	relay_upper(unsigned char *, size_t);

#endif
