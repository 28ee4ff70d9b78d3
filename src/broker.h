/*
 * --broker (ncat --broker): every connection's data goes to every other
 * connection of the server.  Each member has an output queue of its
 * own.  When one fills past BROKER_QUEUE_HIGH the broker stops reading
 * from everyone (backpressure to the senders) until it drains; a member
 * that keeps it full for BROKER_STALL_MS is not reading and is dropped
 * with a log line, so it never stalls the others for longer, and memory
 * stays bounded.
 */
#ifndef SOCKIT_BROKER_H
#define SOCKIT_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "loop.h"

struct conn;
struct loop;

/* A member's queue over this pauses reading from everyone. */
#define BROKER_QUEUE_HIGH	(256 * 1024)
/* A member that keeps its queue that full this long is dropped. */
#define BROKER_STALL_MS		1000

/* A connection's part in the broker. */
struct broker_member {
	struct broker_member	*prev, *next;
	struct conn		*c;
	struct buf		 out;		/* for this member, unsent */
	int			 eof;		/* it sent its last byte */
	uint64_t		 in, sent;	/* bytes from it, to it */
	long long		 last_active;
};

/* The members of one server. */
struct broker {
	struct broker_member	*head;
	long			 n;
	int			 paused;	/* a queue is over the mark */
	struct loop_timer	 stall;		/* how long it may stay so */
	int			 timer_ready;
};

/* Adds c (its stream is c->net) and starts reading it.  0 or -1. */
int	broker_join(struct broker *, struct conn *);

/* Takes c out (when it closes); its queue is freed. */
void	broker_leave(struct broker *, struct conn *);

#endif
