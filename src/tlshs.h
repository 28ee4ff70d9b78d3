/*
 * Drives a TLS stream's handshake in the event loop (tls_handshake as
 * far as it goes, then wait for what the stream wants), bounded by a
 * timeout, so that a slow or silent peer never delays anything else.
 */
#ifndef SOCKIT_TLSHS_H
#define SOCKIT_TLSHS_H

#include "loop.h"

struct stream;
struct tls_hs;

/* Called once: ok 1, or 0 (timed_out says whether it was the clock). */
typedef void (*tls_hs_cb)(struct tls_hs *, int, void *);

struct tls_hs {
	struct loop		*loop;
	struct stream		*s;
	struct loop_timer	 timer;		/* the start, then the bound */
	long long		 deadline;	/* clock_ms(), 0: none */
	int			 running;
	int			 timed_out;
	tls_hs_cb		 done_cb;
	void			*done_arg;
};

/*
 * Starts the handshake of s (made by tls_stream_init); done_cb runs
 * from the loop, never from in here.  Returns 0 or -1 with errno.
 * After a handshake that succeeded the fd is parked (loop_park_fd) for
 * its owner.
 */
int	tls_hs_start(struct tls_hs *, struct loop *, struct stream *,
	    long long, tls_hs_cb, void *);

/* Stops a handshake in progress; done_cb is not called. */
void	tls_hs_cancel(struct tls_hs *);

#endif
