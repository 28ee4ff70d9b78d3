/*
 * Checking many ports at once in one event loop: a fixed number of
 * slots, each dialing (TCP) or probing (UDP) one port at a time.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "dial.h"
#include "loop.h"
#include "scan.h"
#include "sock.h"

/* A UDP port that stays silent this long (without -w) counts as open. */
#define SCAN_UDP_WAIT_MS	500
/* --wait-for: the pause before the ports not open yet are tried again. */
#define SCAN_RETRY_MS		50

struct scan;

struct scan_slot {
	struct scan		*sc;
	size_t			 i;		/* the port's index */
	int			 busy;
	struct dial		 dial;		/* TCP */
	int			 fd;		/* UDP probe, or -1 */
	struct loop_timer	 timer;		/* UDP probe */
};

struct scan {
	const struct scan_opts	*o;
	struct loop		*loop;
	struct sock_addr	*addrs;		/* the host, port 0 */
	size_t			 naddrs;
	enum scan_state		*st;
	size_t			 next;		/* next index to try */
	size_t			 reported;	/* told in order so far */
	size_t			 active;
	struct scan_slot	*slots;
	size_t			 nslots;
	long long		 deadline;	/* --wait-for */
	struct loop_timer	 retry;
	scan_open_cb		 cb;
	void			*arg;
	int			 done;
};

static void	scan_fill(struct scan *);

/* The host's addresses with the port of index i. */
static void
scan_addrs_for(const struct scan *sc, size_t i, struct sock_addr *out)
{
	size_t		j;
	uint16_t	port = htons((uint16_t)sc->o->ports[i]);

	for (j = 0; j < sc->naddrs; j++) {
		out[j] = sc->addrs[j];
		if (out[j].ss.ss_family == AF_INET)
			((struct sockaddr_in *)&out[j].ss)->sin_port = port;
		else if (out[j].ss.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&out[j].ss)->sin6_port = port;
	}
}

/* Tells the open ports whose turn has come (in list order). */
static void
scan_report(struct scan *sc)
{
	while (sc->reported < sc->o->nports &&
	    sc->st[sc->reported] != SCAN_PENDING) {
		if (sc->st[sc->reported] == SCAN_OPEN)
			sc->cb(sc->o->ports[sc->reported], sc->arg);
		sc->reported++;
	}
}

static int
scan_all_open(const struct scan *sc)
{
	size_t	i;

	for (i = 0; i < sc->o->nports; i++)
		if (sc->st[i] != SCAN_OPEN)
			return (0);
	return (1);
}

/* A pass is over: done, or (--wait-for) try the closed ports again. */
static void
scan_pass_over(struct scan *sc)
{
	size_t	i;

	if (sc->o->wait_for_ms > 0 && !scan_all_open(sc) &&
	    clock_ms() + SCAN_RETRY_MS < sc->deadline) {
		for (i = 0; i < sc->o->nports; i++)
			if (sc->st[i] != SCAN_OPEN)
				sc->st[i] = SCAN_PENDING;
		sc->next = 0;
		(void)loop_timer_set(sc->loop, &sc->retry, SCAN_RETRY_MS);
		return;
	}
	if (sc->o->wait_for_ms > 0)
		scan_report(sc);
	sc->done = 1;
	loop_stop(sc->loop);
}

static void
scan_slot_done(struct scan_slot *sl, enum scan_state st)
{
	struct scan	*sc = sl->sc;

	sc->st[sl->i] = st;
	sl->busy = 0;
	sc->active--;
	if (sc->o->wait_for_ms <= 0)
		scan_report(sc);
	scan_fill(sc);
	if (sc->active == 0 && sc->next >= sc->o->nports)
		scan_pass_over(sc);
}

static enum scan_state
scan_state_of(int err)
{
	if (err == ECONNREFUSED)
		return (SCAN_REFUSED);
	if (err == ETIMEDOUT)
		return (SCAN_TIMEOUT);
	return (SCAN_ERROR);
}

static void
scan_dialed(struct dial *d, int fd, void *arg)
{
	struct scan_slot	*sl = arg;

	if (fd != -1) {
		loop_forget_fd(d->loop, fd);
		(void)close(fd);
		scan_slot_done(sl, SCAN_OPEN);
		return;
	}
	scan_slot_done(sl, scan_state_of(d->err));
}

/* UDP: an ICMP port unreachable comes back as ECONNREFUSED. */
static void
scan_udp_end(struct scan_slot *sl, enum scan_state st)
{
	loop_timer_cancel(sl->sc->loop, &sl->timer);
	(void)loop_set_fd(sl->sc->loop, sl->fd, 0, NULL, NULL);
	(void)close(sl->fd);
	sl->fd = -1;
	scan_slot_done(sl, st);
}

static void
scan_udp_readable(struct loop *l, int fd, int mask, void *arg)
{
	unsigned char	b;
	ssize_t		n;

	do {
		n = recv(fd, &b, 1, 0);
	} while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	scan_udp_end(arg, n >= 0 ? SCAN_OPEN : scan_state_of(errno));
}

static void
scan_udp_silent(struct loop *l, struct loop_timer *t, void *arg)
{
	scan_udp_end(arg, SCAN_OPEN);
}

static int
scan_start_udp(struct scan_slot *sl, const struct sock_addr *a)
{
	struct scan	*sc = sl->sc;
	long long	 wait = sc->o->timeout_ms > 0 ? sc->o->timeout_ms :
	    SCAN_UDP_WAIT_MS;

	if ((sl->fd = sock_connect_start(a, NULL)) == -1)
		return (-1);
	if (send(sl->fd, "", 0, 0) == -1 && errno != ECONNREFUSED) {
		(void)close(sl->fd);
		sl->fd = -1;
		return (-1);
	}
	loop_timer_init(&sl->timer, scan_udp_silent, sl);
	if (loop_set_fd(sc->loop, sl->fd, LOOP_READABLE, scan_udp_readable,
	    sl) == -1 || loop_timer_set(sc->loop, &sl->timer, wait) == -1) {
		(void)loop_set_fd(sc->loop, sl->fd, 0, NULL, NULL);
		(void)close(sl->fd);
		sl->fd = -1;
		return (-1);
	}
	return (0);
}

static int
scan_start(struct scan_slot *sl, size_t i)
{
	struct scan		*sc = sl->sc;
	struct sock_addr	*a;
	int			 rc;

	if ((a = calloc(sc->naddrs, sizeof(*a))) == NULL)
		return (-1);
	scan_addrs_for(sc, i, a);
	sl->i = i;
	if (sc->o->socktype == SOCK_DGRAM)
		rc = scan_start_udp(sl, &a[0]);
	else
		rc = dial_start_addrs(&sl->dial, sc->loop, a, sc->naddrs,
		    sc->o->timeout_ms, scan_dialed, sl);
	free(a);
	if (rc == 0) {
		sl->busy = 1;
		sc->active++;
	}
	return (rc);
}

/* Starts ports in the free slots. */
static void
scan_fill(struct scan *sc)
{
	size_t	s;

	for (s = 0; s < sc->nslots && sc->next < sc->o->nports; s++) {
		if (sc->slots[s].busy)
			continue;
		while (sc->next < sc->o->nports &&
		    sc->st[sc->next] == SCAN_OPEN)
			sc->next++;
		if (sc->next == sc->o->nports)
			break;
		if (scan_start(&sc->slots[s], sc->next) == -1)
			sc->st[sc->next] = SCAN_ERROR;
		sc->next++;
	}
}

static void
scan_retry(struct loop *l, struct loop_timer *t, void *arg)
{
	struct scan	*sc = arg;

	scan_fill(sc);
	if (sc->active == 0)
		scan_pass_over(sc);
}

static int
scan_setup(struct scan *sc, const struct scan_opts *o, enum scan_state *st,
    char *err)
{
	struct sock_target	t;
	size_t			i;

	memset(&t, 0, sizeof(t));
	t.host = o->host;
	t.port = "0";
	t.family = o->family;
	t.socktype = o->socktype;
	if (sock_resolve_target(&t, &sc->addrs, &sc->naddrs, err) == -1)
		return (-1);
	if (sc->naddrs == 0) {
		errno = EHOSTUNREACH;
		return (-1);
	}
	sc->nslots = o->concurrency > 0 ? o->concurrency : 1;
	if ((sc->slots = calloc(sc->nslots, sizeof(*sc->slots))) == NULL ||
	    (sc->loop = loop_new()) == NULL)
		return (-1);
	for (i = 0; i < sc->nslots; i++) {
		sc->slots[i].sc = sc;
		sc->slots[i].fd = -1;
	}
	for (i = 0; i < o->nports; i++)
		st[i] = SCAN_PENDING;
	loop_timer_init(&sc->retry, scan_retry, sc);
	sc->deadline = clock_ms() + o->wait_for_ms;
	return (0);
}

int
scan_run(const struct scan_opts *o, enum scan_state *st, scan_open_cb cb,
    void *arg, char *err)
{
	struct scan	sc;
	size_t		i;
	int		rc = 0, saved;

	memset(&sc, 0, sizeof(sc));
	sc.o = o;
	sc.st = st;
	sc.cb = cb;
	sc.arg = arg;
	if (scan_setup(&sc, o, st, err) == -1)
		rc = -1;
	else {
		scan_fill(&sc);
		if (sc.active == 0)
			scan_pass_over(&sc);
		while (!sc.done)
			if (loop_process(sc.loop, -1) == -1) {
				rc = -1;
				break;
			}
	}
	saved = errno;
	for (i = 0; sc.slots != NULL && i < sc.nslots; i++) {
		dial_cancel(&sc.slots[i].dial);
		if (sc.slots[i].fd != -1) {
			loop_timer_cancel(sc.loop, &sc.slots[i].timer);
			(void)close(sc.slots[i].fd);
		}
	}
	if (sc.loop != NULL) {
		loop_timer_cancel(sc.loop, &sc.retry);
		loop_free(sc.loop);
	}
	free(sc.slots);
	free(sc.addrs);
	errno = saved;
	return (rc);
}
