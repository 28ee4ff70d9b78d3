/*
 * Traffic dumps, as ncat -o/-x and socat -v/-x give them: -o FILE gets
 * a copy of the bytes both ways in the order they moved, -x FILE a hex
 * dump whose records say the direction, the peer and the offset:
 *
 * < 127.0.0.1:9000 0+6
 * 00000000  68 65 6c 6c 6f 0a                                 |hello.|
 * > 127.0.0.1:9000 0+3
 * 00000000  6f 6b 0a                                          |ok.|
 *
 * '<' is data received from the peer, '>' data sent to it; "0+6" is
 * the offset of the record's first byte in that direction and its
 * length; the lines under it are hexdump -C lines, with offsets in the
 * direction's stream.  Writes are whole records, appended.
 */
#ifndef SOCKIT_DUMP_H
#define SOCKIT_DUMP_H

#include <stddef.h>
#include <stdint.h>

#define DUMP_IN		0	/* received from the peer */
#define DUMP_OUT	1	/* sent to the peer */

struct dump {
	int	raw_fd;		/* -o, or -1 */
	int	hex_fd;		/* -x, or -1 */
};

/*
 * Opens path for -o (raw 1) or -x (raw 0): appended to, made if
 * missing, close-on-exec.  Returns 0 or -1 with errno.
 */
int	dump_open(struct dump *, int, const char *);

/* Closes what dump_open opened. */
void	dump_close(struct dump *);

/*
 * Formats one hex record into out (which must hold
 * dump_hex_size(peer, n) bytes) and returns its length.
 */
size_t	dump_hex_format(char *, int, const char *, uint64_t,
	    const unsigned char *, size_t);
size_t	dump_hex_size(const char *, size_t);

/*
 * Records n bytes that moved in direction dir (DUMP_IN/DUMP_OUT) at
 * offset off of that direction, for peer.  Returns 0, or -1 with errno
 * when a dump file could not be written.
 */
int	dump_record(const struct dump *, int, const char *, uint64_t,
	    const unsigned char *, size_t);

#endif
