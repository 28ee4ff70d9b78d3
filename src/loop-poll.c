/*
 * poll() backend of loop.c (#included there, not compiled on its own),
 * for systems without epoll.  It rebuilds the pollfd array from the fd
 * table on every iteration: O(maxfd), fine for the fallback.
 */
#include <poll.h>

struct loop_poll {
	struct pollfd	*pfds;
	int		 npfds;
};

static int
loop_api_create(struct loop *l)
{
	if ((l->api = calloc(1, sizeof(struct loop_poll))) == NULL)
		return (-1);
	return (0);
}

static void
loop_api_free(struct loop *l)
{
	struct loop_poll	*p = l->api;

	free(p->pfds);
	free(p);
}

static int
loop_api_update(struct loop *l, int fd, int oldmask, int newmask)
{
	return (0);
}

static int
loop_api_poll(struct loop *l, int timeout_ms)
{
	struct loop_poll	*p = l->api;
	struct pollfd		*pf;
	int			 fd, n = 0, i, nready;

	if (p->npfds < l->maxfd + 1) {
		pf = realloc(p->pfds, (size_t)(l->maxfd + 1) * sizeof(*pf));
		if (pf == NULL)
			return (-1);
		p->pfds = pf;
		p->npfds = l->maxfd + 1;
	}
	for (fd = 0; fd <= l->maxfd; fd++) {
		if (l->files[fd].mask == 0 || l->files[fd].always)
			continue;
		p->pfds[n].fd = fd;
		p->pfds[n].events = 0;
		if (l->files[fd].mask & LOOP_READABLE)
			p->pfds[n].events |= POLLIN;
		if (l->files[fd].mask & LOOP_WRITABLE)
			p->pfds[n].events |= POLLOUT;
		n++;
	}
	if ((nready = poll(p->pfds, (nfds_t)n, timeout_ms)) == -1)
		return (errno == EINTR ? 0 : -1);
	for (i = 0, nready = 0; i < n; i++) {
		short re = p->pfds[i].revents;
		int mask = 0;

		if (re & (POLLIN | POLLERR | POLLHUP | POLLNVAL))
			mask |= LOOP_READABLE;
		if (re & (POLLOUT | POLLERR | POLLHUP | POLLNVAL))
			mask |= LOOP_WRITABLE;
		if (re & (POLLERR | POLLHUP | POLLNVAL))
			mask |= LOOP_ERROR;
		if (mask == 0)
			continue;
		l->fired[nready].fd = p->pfds[i].fd;
		l->fired[nready].mask = mask;
		nready++;
	}
	return (nready);
}

const char *
loop_backend(void)
{
	return ("poll");
}
