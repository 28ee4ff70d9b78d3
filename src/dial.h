/*
 * Outgoing connections inside the event loop: resolve a target, then
 * try each of its addresses with a non-blocking connect bounded by a
 * timeout, without blocking anything else the loop serves (nc's
 * timeout_connect(), turned into a state machine).  Clients and
 * forwarding servers both dial this way.
 */
#ifndef SOCKIT_DIAL_H
#define SOCKIT_DIAL_H

#include <stddef.h>

#include "loop.h"
#include "sock.h"

struct dial;

/*
 * Called once: fd is the connected, non-blocking socket (the callee owns
 * it; it is parked in the loop, see loop_park_fd), or -1 with the reason
 * in dial.err (an errno value).
 */
typedef void (*dial_done_cb)(struct dial *, int, void *);

struct dial {
	struct loop		*loop;
	struct sock_addr	*addrs;
	size_t			 naddrs;
	struct sock_addr	*srcs;		/* -s/-p: to bind first */
	size_t			 nsrcs;
	size_t			 next;		/* address to try next */
	int			 fd;		/* connect in progress, or -1 */
	long long		 timeout_ms;	/* per address; <= 0: none */
	long long		 deadline;	/* of the current address */
	struct loop_timer	 timer;
	int			 err;		/* errno of the last failure */
	int			 running;
	dial_done_cb		 done_cb;
	void			*done_arg;
};

/*
 * Resolves target and starts connecting to its first address; done_cb
 * runs later, from the loop, never from inside dial_start.  Returns 0,
 * or -1 when the name did not resolve (errno EHOSTUNREACH, the
 * resolver's message in err, SOCK_ERR_LEN bytes) or on ENOMEM.
 */
int	dial_start(struct dial *, struct loop *, const struct sock_target *,
	    long long, dial_done_cb, void *, char *);

/*
 * The same with addresses resolved beforehand (a server that forwards
 * resolves its backend once, at start): the n entries are copied.
 * Returns 0, or -1 with errno ENOMEM.
 */
int	dial_start_addrs(struct dial *, struct loop *, const struct sock_addr *,
	    size_t, long long, dial_done_cb, void *);

/* Stops a dial in progress (closes its fd); done_cb is not called. */
void	dial_cancel(struct dial *);

#endif
