/*
 * A test double of the stream: it moves real bytes through a real fd,
 * but answers "would block" at every other call, can demand the
 * opposite readiness for its calls (a write that waits for the fd to be
 * readable, as TLS may), and can hold data it has already read so that
 * only stream_pending() says it is there.
 */
#ifndef FAKE_STREAM_H
#define FAKE_STREAM_H

#include <stddef.h>

#include "stream.h"

#define FAKE_FLIP	0x01	/* every other call says EAGAIN */
#define FAKE_INVERT	0x02	/* reads wait for WRITABLE, writes for
				   READABLE (on the carrier fd) */
#define FAKE_HOLD	0x04	/* reads slurp the fd, hand out maxio */

struct fake_stream {
	struct stream	 s;		/* what the code under test sees */
	int		 data;		/* the fd the bytes really go through */
	int		 mode;
	size_t		 maxio;		/* most bytes per call (0: any) */
	unsigned long	 calls;
	unsigned long	 eagain;	/* EAGAINs made up by the fake */
	int		 shut_tries;
	int		 need_ack;	/* FAKE_INVERT write: wait for a byte */
	unsigned char	 hold[65536];
	size_t		 hold_off, hold_len;
};

/*
 * Sets f up over data.  The stream's fd (what the loop watches) is
 * carrier, or data when carrier is -1.  With FAKE_INVERT a reading fake
 * needs a carrier that is only ever writable (a pipe's write end) and a
 * writing fake one that is only readable when its peer acknowledged a
 * write (a pipe's read end that gets a byte per ack): a code that waits
 * for the usual readiness then never wakes up.  An inverted writer
 * waits for an acknowledgement before its first write too: the test
 * writes one byte to the carrier to start it.
 */
void	fake_stream_init(struct fake_stream *, int, int, int, size_t);

#endif
