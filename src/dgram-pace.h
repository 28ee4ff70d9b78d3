/*
 * How far udp-client may send ahead of the replies: at most a window of
 * datagrams that are not answered yet, so that a burst overflows
 * neither the peer's receive queue nor ours.  A peer that stays silent
 * for DGRAM_PACE_STALL_MS gets one more window, and another after the
 * next quiet spell: it is never waited for forever, and a peer that was
 * only slow to start (a loaded machine) never meets the whole input at
 * once.  Pure: the caller passes the clock.
 */
#ifndef SOCKIT_DGRAM_PACE_H
#define SOCKIT_DGRAM_PACE_H

#define DGRAM_PACE_WINDOW	64	/* datagrams ahead of the replies */
#define DGRAM_PACE_STALL_MS	20	/* silence that earns another window */

struct dgram_pace {
	unsigned long long	sent, replies;
	unsigned long long	window;		/* current size, >= 1 */
	unsigned long long	credit;		/* granted during silence */
	long long		last_reply;	/* ms of the last reply */
	long long		last_grant;	/* ms of the last grant */
};

/* Starts pacing at now (ms), with the default window. */
void	dgram_pace_init(struct dgram_pace *, long long);

/*
 * Sets the window: DGRAM_PACE_WINDOW, or fewer when half of rcvbuf
 * (the receive buffer) cannot hold that many replies of largest bytes.
 */
void	dgram_pace_fit(struct dgram_pace *, unsigned long long, unsigned long long);

/* One more datagram sent, one more reply received (at now). */
void	dgram_pace_sent(struct dgram_pace *);
void	dgram_pace_reply(struct dgram_pace *, long long);

/* Whether another datagram may go now; a quiet spell grants a window. */
int	dgram_pace_open(struct dgram_pace *, long long);

#endif
