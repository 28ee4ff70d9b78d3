/*
 * Pacing udp-client's datagrams to the replies.
 */
#include "config.h"

#include <string.h>

#include "dgram-pace.h"

void
dgram_pace_init(struct dgram_pace *p, long long now)
{
	memset(p, 0, sizeof(*p));
	p->window = DGRAM_PACE_WINDOW;
	p->last_reply = now;
}

void
dgram_pace_fit(struct dgram_pace *p, unsigned long long rcvbuf,
    unsigned long long largest)
{
	p->window = DGRAM_PACE_WINDOW;
	if (largest > 0 && rcvbuf / 2 / largest < p->window)
		p->window = rcvbuf / 2 / largest;
	if (p->window == 0)
		p->window = 1;
}

void
dgram_pace_sent(struct dgram_pace *p)
{
	p->sent++;
}

void
dgram_pace_reply(struct dgram_pace *p, long long now)
{
	p->replies++;
	p->credit = 0;
	p->last_reply = now;
}

int
dgram_pace_open(struct dgram_pace *p, long long now)
{
	long long	since;

	if (p->sent - p->replies < p->window + p->credit)
		return (1);
	since = p->last_reply > p->last_grant ? p->last_reply : p->last_grant;
	if (now - since < DGRAM_PACE_STALL_MS)
		return (0);
	p->credit += p->window;
	p->last_grant = now;
	return (1);
}
