/*
 * Datagrams in batches: recvmmsg(2) and sendmmsg(2) where the system has
 * them (one system call for many datagrams), recvfrom/sendto otherwise.
 * The datagram server receives a batch, answers each datagram into the
 * send batch, and sends the batch at once.  On a UDP socket, a run of
 * equal-sized replies to one peer goes out as one UDP GSO send
 * (UDP_SEGMENT): the kernel's output path runs once for the run, and the
 * peer still receives each reply as its own datagram.
 */
#ifndef SOCKIT_DGRAM_BATCH_H
#define SOCKIT_DGRAM_BATCH_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <stddef.h>

#define DGB_SLOTS	16		/* datagrams per receive call */
#define DGB_SENDS	(2 * DGB_SLOTS)	/* a reply and a banner each */
#define DGB_GSO_SEGS	64		/* the kernel's UDP_MAX_SEGMENTS */
#define DGB_GSO_BYTES	65000		/* under the 64 KiB IP datagram */
#define DGB_UDP4_MAX	65507		/* the largest UDP payload over IPv4 */
#define DGB_UDP6_MAX	65527		/* over IPv6 (no jumbograms) */
#define DGB_RECV_MAX	(256 * 1024)	/* the longest datagram received */

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
	int			 gso;		/* group replies (UDP) */
};

union dgb_cmsg {
	char		buf[CMSG_SPACE(sizeof(unsigned short))];
	struct cmsghdr	align;
};

/* Called for each datagram the batch could not send. */
typedef void (*dgb_unsent_cb)(const struct dgb_send *, int, void *);

/*
 * The largest datagram fd can send to the address to (NULL: to the peer
 * of a connected socket, or to any peer): 65507 bytes over IPv4 (also to
 * an IPv4-mapped address), 65527 over IPv6, and for a Unix datagram
 * socket what its send buffer holds (SO_SNDBUF less the kernel's
 * per-datagram overhead), at most DGB_RECV_MAX.  A send of more fails
 * with EMSGSIZE.
 */
size_t	dgb_max(int, const struct sockaddr_storage *);

/* Slots of the given size; returns 0 or -1 (ENOMEM). */
int	dgb_init(struct dgb *, size_t);
void	dgb_free(struct dgb *);

/*
 * On a UDP socket, lets dgb_flush send consecutive replies to one peer
 * as one UDP GSO send (UDP_SEGMENT) where the system has it.
 */
void	dgb_group_replies(struct dgb *, int);

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

/*
 * How many datagrams from out[i] on dgb_flush sends as one UDP GSO send:
 * replies to the same peer, all of the first one's size but a shorter
 * last one, within the kernel's limits.  1 when grouping is off.
 */
int	dgb_group_len(const struct dgb *, int);

#endif
