/*
 * The --send / --expect scripting steps of the clients (pwntools-style on
 * the command line): sends and waits run in order on a connected socket.
 */
#ifndef SOCKIT_SCRIPT_H
#define SOCKIT_SCRIPT_H

#include <stddef.h>

enum script_op {
	SCRIPT_SEND,
	SCRIPT_EXPECT
};

struct script_step {
	enum script_op	 op;
	unsigned char	*data;
	size_t		 len;
};

/* Results of script_run. */
enum script_result {
	SCRIPT_OK = 0,
	SCRIPT_TIMEOUT,		/* a step took longer than timeout_ms */
	SCRIPT_EOF,		/* the peer closed before an expected text */
	SCRIPT_IO		/* read/write failed: errno is set */
};

/*
 * Runs the steps on fd.  Every byte received is copied to out_fd as it
 * arrives; an expect step consumes input up to the end of its text, and
 * what came after stays for the next step.  Each step may take
 * timeout_ms (<= 0: no limit).  *failed is set to the index of the step
 * that failed.
 */
enum script_result script_run(int, int, const struct script_step *, size_t,
	    long long, size_t *);

/*
 * Returns the offset just past the first occurrence of needle in
 * hay[0..haylen), or 0 when it does not occur (needle is non-empty).
 */
size_t	script_find(const unsigned char *, size_t, const unsigned char *,
	    size_t);

#endif
