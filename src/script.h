/*
 * The --send / --expect scripting steps of the clients (pwntools-style on
 * the command line): sends and waits run in order on a connected stream,
 * driven by the event loop.
 */
#ifndef SOCKIT_SCRIPT_H
#define SOCKIT_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "loop.h"

struct stream;

enum script_op {
	SCRIPT_SEND,
	SCRIPT_EXPECT
};

struct script_step {
	enum script_op	 op;
	unsigned char	*data;
	size_t		 len;
};

/* How a script ended. */
enum script_result {
	SCRIPT_OK = 0,
	SCRIPT_TIMEOUT,		/* a step took longer than timeout_ms */
	SCRIPT_EOF,		/* the peer closed before an expected text */
	SCRIPT_IO		/* read/write failed: err holds errno */
};

struct script;
typedef void (*script_done_cb)(struct script *, void *);
/* Sees every chunk received (wrote == 0) or sent (wrote == 1): dumps. */
typedef void (*script_tap_cb)(struct script *, int, const unsigned char *,
    size_t, void *);

struct script {
	struct loop			*loop;
	struct stream			*net;
	struct stream			*out;
	const struct script_step	*steps;
	size_t				 nsteps;
	size_t				 cur;		/* step under way */
	size_t				 sent;		/* of a send step */
	long long			 timeout_ms;	/* per step; <= 0 none */
	struct buf			 in;		/* unmatched input */
	struct loop_timer		 timer;
	enum script_result		 result;
	int				 err;
	int				 running;
	uint64_t			 nread, nwritten;
	long long			 last_active;	/* loop_now() of last
							   I/O, for -i */
	script_tap_cb			 tap_cb;
	script_done_cb			 done_cb;
	void				*done_arg;	/* for both */
};

/*
 * Starts the steps on net.  Every byte received is copied to out as it
 * arrives (out is written in full, waiting if it must); an expect step
 * consumes input up to the end of its text, and what came after stays
 * for the next step.  Each step may take timeout_ms (<= 0: no limit).
 * The n bytes at early (may be NULL) arrived before the script started
 * (behind a proxy's reply): they count as received first.  tap (may be
 * NULL) sees the traffic.  done_cb runs once, from the loop, at the
 * end: result says how, cur is the step that failed.  Returns 0, or -1
 * with errno.
 */
int	script_start(struct script *, struct loop *, struct stream *,
	    struct stream *, const struct script_step *, size_t, long long,
	    const unsigned char *, size_t, script_tap_cb, script_done_cb,
	    void *);

/* Unregisters and frees what the script holds (not the streams). */
void	script_free(struct script *);

/*
 * Returns the offset just past the first occurrence of needle in
 * hay[0..haylen), or 0 when it does not occur (needle is non-empty).
 */
size_t	script_find(const unsigned char *, size_t, const unsigned char *,
	    size_t);

#endif
