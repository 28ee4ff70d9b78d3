/*
 * udp-server --forward HOST:PORT: each client address gets a UDP socket
 * of its own, connected to the backend, so that the backend's replies
 * on it go back to that client alone.  A session that is idle for
 * idle_ms is closed.  The datagram server owns the clients' socket; it
 * passes each client datagram in, and this module hands replies back
 * through reply_cb.
 */
#ifndef SOCKIT_DGRAM_FWD_H
#define SOCKIT_DGRAM_FWD_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

#include "loop.h"
#include "sock.h"

struct dgfwd_session;

/* A backend reply for the client at sa. */
typedef void (*dgfwd_reply_cb)(const struct sockaddr_storage *, socklen_t,
    const unsigned char *, size_t, void *);
/* The session of the client at sa has ended (idle, or an error). */
typedef void (*dgfwd_end_cb)(const struct sockaddr_storage *, socklen_t,
    const char *, void *);

#define DGFWD_BUCKETS	1024

struct dgfwd {
	struct loop		*loop;
	const struct sock_addr	*backend;
	const char		*name;		/* the backend, for logs */
	long long		 idle_ms;
	long			 max;		/* sessions at most */
	struct dgfwd_session	*buckets[DGFWD_BUCKETS];
	struct dgfwd_session	*all;
	long			 n;
	struct loop_timer	 sweep;
	unsigned char		*rbuf;		/* one reply at a time */
	dgfwd_reply_cb		 reply_cb;
	dgfwd_end_cb		 end_cb;
	void			*reply_arg;	/* for both */
};

/*
 * Sets forwarding up to backend (name says it in logs); replies go to
 * reply_cb, the end of each session is told to end_cb (not when
 * dgfwd_free closes them).  Returns 0 or -1 with errno.
 */
int	dgfwd_init(struct dgfwd *, struct loop *, const struct sock_addr *,
	    const char *, long long, long, dgfwd_reply_cb, dgfwd_end_cb,
	    void *);

/* Forwards one datagram of the client at sa (opening its session). */
void	dgfwd_datagram(struct dgfwd *, const struct sockaddr_storage *,
	    socklen_t, const unsigned char *, size_t);

/* Closes every session. */
void	dgfwd_free(struct dgfwd *);

#endif
