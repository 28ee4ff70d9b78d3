/*
 * echo_min: the smallest reasonable epoll echo server, a baseline for
 * scripts/bench.  Not part of sockit; make check builds it so that it
 * keeps compiling, scripts/bench builds it with cc -O2.
 *
 *	echo_min tcp|discard|udp PORTFILE
 *
 * Listens on 127.0.0.1 port 0 and writes the port to PORTFILE (through a
 * rename, so a poller never sees half a line).  tcp echoes every
 * connection, discard reads and drops, udp echoes every datagram to its
 * sender.  Level-triggered epoll, non-blocking sockets, one read per
 * readiness event; a short write keeps the rest and stops reading until
 * it is flushed.  It runs until killed.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ECHO_BUF	(64 * 1024)
#define DISCARD_BUF	(1024 * 1024)
#define UDP_BATCH	64

struct pend {
	char	*data;
	size_t	 off, len;
};

static struct pend	*pends;		/* indexed by fd */
static size_t		 npends;
static int		 epfd;
static char		*buf;
static size_t		 bufsize;

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "echo_min: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
write_port(const char *path, int fd)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	char			tmp[4096];
	FILE			*f;

	if (getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		die("getsockname");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		die(tmp);
	fprintf(f, "%u\n", ntohs(sin.sin_port));
	if (fclose(f) == EOF || rename(tmp, path) == -1)
		die(path);
}

static int
open_socket(int type)
{
	struct sockaddr_in	sin;
	int			fd, one = 1;

	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		die("socket");
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("bind");
	if (type == SOCK_STREAM && listen(fd, 65535) == -1)
		die("listen");
	return (fd);
}

static void
set_events(int fd, int op, unsigned int events)
{
	struct epoll_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.fd = fd;
	if (epoll_ctl(epfd, op, fd, &ev) == -1)
		die("epoll_ctl");
}

static void
conn_close(int fd)
{
	free(pends[fd].data);
	memset(&pends[fd], 0, sizeof(pends[fd]));
	(void)close(fd);	/* also removes it from the epoll set */
}

static void
accept_all(int lfd)
{
	int	fd;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;		/* EAGAIN, or out of fds: try later */
		}
		if ((size_t)fd >= npends) {
			(void)close(fd);
			continue;
		}
		set_events(fd, EPOLL_CTL_ADD, EPOLLIN);
	}
}

/* Writes what is pending; returns -1 when the connection is dead. */
static int
conn_flush(int fd)
{
	struct pend	*p = &pends[fd];
	ssize_t		 n;

	while (p->len > p->off) {
		n = write(fd, p->data + p->off, p->len - p->off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return (0);
		if (n == -1)
			return (-1);
		p->off += (size_t)n;
	}
	free(p->data);
	memset(p, 0, sizeof(*p));
	set_events(fd, EPOLL_CTL_MOD, EPOLLIN);
	return (0);
}

static void
conn_readable(int fd, int discard)
{
	struct pend	*p = &pends[fd];
	ssize_t		 n, w;

	n = read(fd, buf, bufsize);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(fd);
		return;
	}
	if (discard)
		return;
	w = write(fd, buf, (size_t)n);
	if (w == -1 && errno != EAGAIN && errno != EINTR) {
		conn_close(fd);
		return;
	}
	if (w < 0)
		w = 0;
	if (w == n)
		return;
	if ((p->data = malloc((size_t)(n - w))) == NULL)
		die("malloc");
	memcpy(p->data, buf + w, (size_t)(n - w));
	p->off = 0;
	p->len = (size_t)(n - w);
	set_events(fd, EPOLL_CTL_MOD, EPOLLOUT);
}

static void
serve_udp(int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	ssize_t			n;
	int			i;

	for (i = 0; i < UDP_BATCH; i++) {
		len = sizeof(ss);
		n = recvfrom(fd, buf, bufsize, 0, (struct sockaddr *)&ss, &len);
		if (n == -1)
			return;
		/* A full send buffer drops the reply, as UDP may. */
		(void)sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&ss,
		    len);
	}
}

int
main(int argc, char **argv)
{
	struct epoll_event	 evs[256];
	struct rlimit		 rl;
	int			 lfd, n, i, fd, udp, discard;

	if (argc != 3 || (strcmp(argv[1], "tcp") != 0 &&
	    strcmp(argv[1], "udp") != 0 && strcmp(argv[1], "discard") != 0)) {
		fprintf(stderr, "usage: echo_min tcp|discard|udp PORTFILE\n");
		return (2);
	}
	signal(SIGPIPE, SIG_IGN);
	udp = strcmp(argv[1], "udp") == 0;
	discard = strcmp(argv[1], "discard") == 0;
	bufsize = discard ? DISCARD_BUF : ECHO_BUF;
	if ((buf = malloc(bufsize)) == NULL)
		die("malloc");
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		die("getrlimit");
	npends = rl.rlim_cur == RLIM_INFINITY ? 1048576 : (size_t)rl.rlim_cur;
	if ((pends = calloc(npends, sizeof(*pends))) == NULL)
		die("calloc");
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1");
	lfd = open_socket(udp ? SOCK_DGRAM : SOCK_STREAM);
	set_events(lfd, EPOLL_CTL_ADD, EPOLLIN);
	write_port(argv[2], lfd);
	for (;;) {
		n = epoll_wait(epfd, evs, 256, -1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == lfd && udp)
				serve_udp(fd);
			else if (fd == lfd)
				accept_all(fd);
			else if (evs[i].events & EPOLLOUT) {
				if (conn_flush(fd) == -1)
					conn_close(fd);
			} else
				conn_readable(fd, discard);
		}
	}
}
