/*
 * UDP forwarding sessions.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dgram-fwd.h"
#include "log.h"
#include "loop.h"
#include "sock.h"

#define DGFWD_RECV_MAX	65536

struct dgfwd_session {
	struct dgfwd_session	*next;		/* in its bucket */
	struct dgfwd_session	*anext, *aprev;	/* in every session */
	struct dgfwd		*f;
	struct sockaddr_storage	 sa;		/* the client */
	socklen_t		 len;
	int			 fd;		/* connected to the backend */
	long long		 last;		/* loop_now() of the last datagram */
	unsigned long long	 in, out;
};

static unsigned
dgfwd_hash(const struct sockaddr_storage *sa, socklen_t len)
{
	return (sock_addr_hash(sa, len) % DGFWD_BUCKETS);
}

static void
dgfwd_name(const struct dgfwd_session *se, char *buf, size_t len)
{
	sock_addr_str((const struct sockaddr *)&se->sa, se->len, buf, len);
}

static void
dgfwd_close(struct dgfwd *f, struct dgfwd_session *se, const char *why,
    int tell)
{
	struct dgfwd_session	**pp;

	for (pp = &f->buckets[dgfwd_hash(&se->sa, se->len)]; *pp != se;
	    pp = &(*pp)->next)
		;
	*pp = se->next;
	if (se->aprev != NULL)
		se->aprev->anext = se->anext;
	else
		f->all = se->anext;
	if (se->anext != NULL)
		se->anext->aprev = se->aprev;
	(void)loop_set_fd(f->loop, se->fd, 0, NULL, NULL);
	(void)close(se->fd);
	f->n--;
	/* The server's record of the peer logs the end, with the reason. */
	if (tell)
		f->end_cb(&se->sa, se->len, why, f->reply_arg);
	free(se);
}

/* The backend's replies on a session's socket go to its client. */
static void
dgfwd_readable(struct loop *l, int fd, int mask, void *arg)
{
	struct dgfwd_session	*se = arg;
	struct dgfwd		*f = se->f;
	ssize_t			 n;
	int			 i;
	char			 why[128];

	/* A bounded batch per wakeup keeps the other sessions served. */
	for (i = 0; i < 64; i++) {
		do {
			n = recv(fd, f->rbuf, DGFWD_RECV_MAX, 0);
		} while (n == -1 && errno == EINTR);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1) {
			/* ICMP port unreachable: the backend is not there. */
			snprintf(why, sizeof(why), "backend %s: %s", f->name,
			    strerror(errno));
			dgfwd_close(f, se, why, 1);
			return;
		}
		se->out += (unsigned long long)n;
		se->last = loop_now(l);
		f->reply_cb(&se->sa, se->len, f->rbuf, (size_t)n, f->reply_arg);
	}
}

static struct dgfwd_session *
dgfwd_open(struct dgfwd *f, const struct sockaddr_storage *sa, socklen_t len)
{
	struct dgfwd_session	*se;
	unsigned		 h = dgfwd_hash(sa, len);
	char			 name[SOCK_ADDR_LEN];

	if (f->n >= f->max || (se = calloc(1, sizeof(*se))) == NULL) {
		sock_addr_str((const struct sockaddr *)sa, len, name,
		    sizeof(name));
		log_event(LOG_NOTICE, "dropped", name, NULL, f->n >= f->max ?
		    "too many forwarding sessions" : "out of memory");
		return (NULL);
	}
	se->f = f;
	memcpy(&se->sa, sa, len);
	se->len = len;
	if ((se->fd = sock_connect_start(f->backend, NULL)) == -1 ||
	    loop_set_fd(f->loop, se->fd, LOOP_READABLE, dgfwd_readable,
	    se) == -1) {
		sock_addr_str((const struct sockaddr *)sa, len, name,
		    sizeof(name));
		log_event(LOG_NOTICE, "dropped", name, NULL, strerror(errno));
		if (se->fd != -1)
			(void)close(se->fd);
		free(se);
		return (NULL);
	}
	se->next = f->buckets[h];
	f->buckets[h] = se;
	se->anext = f->all;
	if (f->all != NULL)
		f->all->aprev = se;
	f->all = se;
	f->n++;
	dgfwd_name(se, name, sizeof(name));
	log_event_kv(LOG_VERBOSE, "forwarding", name, NULL, NULL, "backend",
	    f->name);
	return (se);
}

void
dgfwd_datagram(struct dgfwd *f, const struct sockaddr_storage *sa,
    socklen_t len, const unsigned char *p, size_t n)
{
	struct dgfwd_session	*se;
	char			 name[SOCK_ADDR_LEN];
	ssize_t			 w;

	for (se = f->buckets[dgfwd_hash(sa, len)]; se != NULL; se = se->next)
		if (se->len == len && memcmp(&se->sa, sa, len) == 0)
			break;
	if (se == NULL && (se = dgfwd_open(f, sa, len)) == NULL)
		return;
	se->in += (unsigned long long)n;
	se->last = loop_now(f->loop);
	do {
		w = send(se->fd, p, n, 0);
	} while (w == -1 && errno == EINTR);
	if (w == -1) {
		/* UDP: a full socket drops, as the network would; say so. */
		dgfwd_name(se, name, sizeof(name));
		log_event(LOG_NOTICE, "send-error", name, NULL,
		    strerror(errno));
	}
}

static void
dgfwd_sweep(struct loop *l, struct loop_timer *t, void *arg)
{
	struct dgfwd		*f = arg;
	struct dgfwd_session	*se, *next;
	long long		 now = loop_now(l);

	for (se = f->all; se != NULL; se = next) {
		next = se->anext;
		if (now - se->last >= f->idle_ms)
			dgfwd_close(f, se, NULL, 1);
	}
	(void)loop_timer_set(l, t, f->idle_ms / 4 + 1);
}

int
dgfwd_init(struct dgfwd *f, struct loop *l, const struct sock_addr *backend,
    const char *name, long long idle_ms, long max, dgfwd_reply_cb cb,
    dgfwd_end_cb end, void *arg)
{
	memset(f, 0, sizeof(*f));
	f->loop = l;
	f->backend = backend;
	f->name = name;
	f->idle_ms = idle_ms;
	f->max = max;
	f->reply_cb = cb;
	f->end_cb = end;
	f->reply_arg = arg;
	if ((f->rbuf = malloc(DGFWD_RECV_MAX)) == NULL)
		return (-1);
	loop_timer_init(&f->sweep, dgfwd_sweep, f);
	return (loop_timer_set(l, &f->sweep, idle_ms / 4 + 1));
}

void
dgfwd_free(struct dgfwd *f)
{
	if (f->loop == NULL)
		return;
	while (f->all != NULL)
		dgfwd_close(f, f->all, NULL, 0);
	loop_timer_cancel(f->loop, &f->sweep);
	free(f->rbuf);
	f->rbuf = NULL;
}
