/*
 * Datagrams in batches: recvmmsg(2) and sendmmsg(2) where the system has
 * them (one system call for many datagrams), recvfrom/sendto otherwise.
 * The datagram server receives a batch, answers each datagram into the
 * send batch, and sends the batch at once.
 */
#ifndef SOCKIT_DGRAM_BATCH_H
#define SOCKIT_DGRAM_BATCH_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <stddef.h>

#define DGB_SLOTS	16		/* datagrams per receive call */
#define DGB_SENDS	(2 * DGB_SLOTS)	/* a reply and a banner each */

struct dgb_msg {
	struct sockaddr_storage	 sa;
	socklen_t		 salen;
	unsigned char		*data;
	size_t			 len;		/* bytes received */
	int			 truncated;	/* longer than the slot */
};

struct dgb_send {
	const struct sockaddr_storage	*sa;
	socklen_t			 salen;
	const unsigned char		*data;
	size_t				 len;
};

struct dgb {
	unsigned char		*buf;		/* DGB_SLOTS slots */
	size_t			 slot;
	struct dgb_msg		 in[DGB_SLOTS];
	struct dgb_send		 out[DGB_SENDS];
	int			 nout;
};

/* Called for each datagram the batch could not send. */
typedef void (*dgb_unsent_cb)(const struct dgb_send *, int, void *);

/* Slots of the given size; returns 0 or -1 (ENOMEM). */
int	dgb_init(struct dgb *, size_t);
void	dgb_free(struct dgb *);

/*
 * Receives what is waiting, at most DGB_SLOTS datagrams, into in[];
 * returns how many, or -1 with errno (EAGAIN: nothing waiting).
 */
int	dgb_recv(struct dgb *, int);

/*
 * Adds a datagram to the send batch.  Its address and data must stay
 * valid until dgb_flush.  Returns 0, or -1 when the batch is full.
 */
int	dgb_add(struct dgb *, const struct sockaddr_storage *, socklen_t,
	    const unsigned char *, size_t);

/*
 * Sends the batch.  A datagram the socket does not take is passed to
 * cb with its errno (EAGAIN, or a per-peer error); the batch is empty
 * afterwards.
 */
void	dgb_flush(struct dgb *, int, dgb_unsent_cb, void *);

#endif
