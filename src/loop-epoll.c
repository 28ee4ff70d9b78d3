/*
 * epoll backend of loop.c (#included there, not compiled on its own).
 */
#include <sys/epoll.h>
#include <unistd.h>

struct loop_epoll {
	int			 epfd;
	struct epoll_event	*events;
	int			 nevents;
};

static int
loop_api_create(struct loop *l)
{
	struct loop_epoll	*e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return (-1);
	if ((e->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		free(e);
		return (-1);
	}
	l->api = e;
	return (0);
}

static void
loop_api_free(struct loop *l)
{
	struct loop_epoll	*e = l->api;

	(void)close(e->epfd);
	free(e->events);
	free(e);
}

static int
loop_api_update(struct loop *l, int fd, int oldmask, int newmask)
{
	struct loop_epoll	*e = l->api;
	struct epoll_event	 ev;
	int			 op;

	memset(&ev, 0, sizeof(ev));
	ev.data.fd = fd;
	if (newmask & LOOP_READABLE)
		ev.events |= EPOLLIN;
	if (newmask & LOOP_WRITABLE)
		ev.events |= EPOLLOUT;
	op = oldmask == 0 ? EPOLL_CTL_ADD :
	    newmask == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
	if (epoll_ctl(e->epfd, op, fd, &ev) == -1) {
		/* The fd was closed behind our back: it is gone already. */
		if (op == EPOLL_CTL_DEL && (errno == EBADF || errno == ENOENT))
			return (0);
		return (-1);
	}
	return (0);
}

static int
loop_api_poll(struct loop *l, int timeout_ms)
{
	struct loop_epoll	*e = l->api;
	struct epoll_event	*ev;
	int			 n, i, mask;

	/* Never report more events than fired[] can hold. */
	if (e->nevents < l->nfired_max) {
		ev = realloc(e->events, (size_t)l->nfired_max * sizeof(*ev));
		if (ev == NULL)
			return (-1);
		e->events = ev;
		e->nevents = l->nfired_max;
	}
	if (e->nevents == 0) {
		/* Only timers so far: nothing can fire but time. */
		struct epoll_event	dummy;

		n = epoll_wait(e->epfd, &dummy, 1, timeout_ms);
		return (n == -1 && errno != EINTR ? -1 : 0);
	}
	n = epoll_wait(e->epfd, e->events, e->nevents, timeout_ms);
	if (n == -1)
		return (errno == EINTR ? 0 : -1);
	for (i = 0; i < n; i++) {
		mask = 0;
		/* Errors and hang-ups are reported as readable/writable:
		 * the next read or write returns the reason. */
		if (e->events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			mask |= LOOP_READABLE;
		if (e->events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			mask |= LOOP_WRITABLE;
		if (e->events[i].events & (EPOLLERR | EPOLLHUP))
			mask |= LOOP_ERROR;
		l->fired[i].fd = e->events[i].data.fd;
		l->fired[i].mask = mask;
	}
	return (n);
}

const char *
loop_backend(void)
{
	return ("epoll");
}
