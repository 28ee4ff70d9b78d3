/*
 * Socket utilities: listen, connect, accept and blocking whole-buffer I/O.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "sock.h"

/* The kernel clamps the backlog to net.core.somaxconn: ask for the most. */
#define SOCK_BACKLOG_MAX	65535

static void __attribute__((format(printf, 2, 3)))
sock_err(char *err, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err, SOCK_ERR_LEN, fmt, ap);
	va_end(ap);
}

int
sock_set_nonblock(int fd, int on)
{
	int	flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1)
		return (-1);
	/* An accepted socket is non-blocking already: no second call. */
	if (!!(flags & O_NONBLOCK) == !!on)
		return (0);
	flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	return (fcntl(fd, F_SETFL, flags) == -1 ? -1 : 0);
}

int
sock_set_cloexec(int fd)
{
	int	flags;

	if ((flags = fcntl(fd, F_GETFD)) == -1)
		return (-1);
	return (fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1 ? -1 : 0);
}

static int
sock_set_int(int fd, int level, int name, int value)
{
	return (setsockopt(fd, level, name, &value, sizeof(value)));
}

int
sock_set_keepalive(int fd)
{
	return (sock_set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1));
}

int
sock_set_nodelay(int fd)
{
	return (sock_set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1));
}

/* Closes fd keeping errno from the failure that made us give up. */
static int
sock_close_keep_errno(int fd)
{
	int	saved = errno;

	(void)close(fd);
	errno = saved;
	return (-1);
}

/* socket() with CLOEXEC (and NONBLOCK on request) from birth. */
static int
sock_socket(int family, int type, int nonblock)
{
	int	fd;

#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
	fd = socket(family, type | SOCK_CLOEXEC |
	    (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd != -1 || errno != EINVAL)
		return (fd);
#endif
	if ((fd = socket(family, type, 0)) == -1)
		return (-1);
	if (sock_set_cloexec(fd) == -1 ||
	    (nonblock && sock_set_nonblock(fd, 1) == -1))
		return (sock_close_keep_errno(fd));
	return (fd);
}

/* Binds one resolved address and listens when it is a stream. */
static int
sock_bind_one(const struct addrinfo *ai, const struct sock_listen_opts *o)
{
	int	fd, backlog;

	if ((fd = sock_socket(ai->ai_family, ai->ai_socktype, 1)) == -1)
		return (-1);
	if (sock_set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1) == -1)
		return (sock_close_keep_errno(fd));
#ifdef SO_REUSEPORT
	if (o->reuseport &&
	    sock_set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1) == -1)
		return (sock_close_keep_errno(fd));
#endif
	/* "::" means both families; a specific v6 address stays v6. */
	if (ai->ai_family == AF_INET6 &&
	    sock_set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0) == -1)
		return (sock_close_keep_errno(fd));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1)
		return (sock_close_keep_errno(fd));
	backlog = o->backlog > 0 ? o->backlog : SOCK_BACKLOG_MAX;
	if (o->socktype == SOCK_STREAM && listen(fd, backlog) == -1)
		return (sock_close_keep_errno(fd));
	return (fd);
}

static int
sock_resolve(const char *host, const char *port, int family, int socktype,
    int flags, struct addrinfo **res, char *err)
{
	struct addrinfo	hints;
	int		rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = socktype;
	hints.ai_flags = flags;
	if ((rc = getaddrinfo(host, port, &hints, res)) != 0) {
		sock_err(err, "%s: %s", host, rc == EAI_SYSTEM ?
		    strerror(errno) : gai_strerror(rc));
		errno = rc == EAI_SYSTEM ? errno : EHOSTUNREACH;
		return (-1);
	}
	return (0);
}

int
sock_listen_inet(const char *host, const char *port, int family,
    const struct sock_listen_opts *o, char *err)
{
	struct addrinfo	*res, *ai;
	int		 fd = -1;

	if (host == NULL || *host == '\0')
		host = family == AF_INET6 ? "::1" : "127.0.0.1";
	if (sock_resolve(host, port, family, o->socktype,
	    AI_PASSIVE | AI_NUMERICSERV, &res, err) == -1)
		return (-1);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = sock_bind_one(ai, o)) != -1)
			break;
		sock_err(err, "%s port %s", host, port);
	}
	freeaddrinfo(res);
	return (fd);
}

/* Waits for a non-blocking connect to finish; returns 0 or -1/errno. */
static int
sock_connect_wait(int fd, int timeout_ms)
{
	struct pollfd	pfd;
	socklen_t	len;
	int		rc, soerr;

	pfd.fd = fd;
	pfd.events = POLLOUT;
	do {
		rc = poll(&pfd, 1, timeout_ms > 0 ? timeout_ms : -1);
	} while (rc == -1 && errno == EINTR);
	if (rc == -1)
		return (-1);
	if (rc == 0) {
		errno = ETIMEDOUT;
		return (-1);
	}
	len = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		return (-1);
	if (soerr != 0) {
		errno = soerr;
		return (-1);
	}
	return (0);
}

/*
 * A Unix listener with a full queue answers EAGAIN: nothing is in
 * progress, so try again until the deadline, as a blocking connect would
 * wait.
 */
static int
sock_connect_retry(int fd, const struct sockaddr *sa, socklen_t len,
    int timeout_ms)
{
	struct timespec	pause = { 0, 10 * 1000 * 1000 };
	int		waited = 0;

	for (;;) {
		if (connect(fd, sa, len) == 0)
			return (0);
		if (errno != EAGAIN && errno != EINTR)
			return (-1);
		if (timeout_ms > 0 && waited >= timeout_ms) {
			errno = ETIMEDOUT;
			return (-1);
		}
		(void)nanosleep(&pause, NULL);
		waited += 10;
	}
}

int
sock_connect_timeout(int fd, const struct sockaddr *sa, socklen_t len,
    int timeout_ms)
{
	if (sock_set_nonblock(fd, 1) == -1)
		return (-1);
	if (connect(fd, sa, len) == -1) {
		if (errno == EAGAIN) {
			if (sock_connect_retry(fd, sa, len, timeout_ms) == -1)
				return (-1);
		} else if (errno != EINPROGRESS && errno != EINTR)
			return (-1);
		else if (sock_connect_wait(fd, timeout_ms) == -1)
			return (-1);
	}
	return (sock_set_nonblock(fd, 0));
}

int
sock_connect_inet(const char *host, const char *port, int family,
    int socktype, int timeout_ms, char *err)
{
	struct addrinfo	*res, *ai;
	int		 fd = -1, saved = ECONNREFUSED;

	if (sock_resolve(host, port, family, socktype, AI_NUMERICSERV, &res,
	    err) == -1)
		return (-1);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = sock_socket(ai->ai_family, ai->ai_socktype, 0)) == -1) {
			saved = errno;
			continue;
		}
		if (sock_connect_timeout(fd, ai->ai_addr, ai->ai_addrlen,
		    timeout_ms) == 0)
			break;
		saved = errno;
		(void)close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		errno = saved;
	return (fd);
}

int
sock_resolve_target(const struct sock_target *t, struct sock_addr **addrs,
    size_t *n, char *err)
{
	struct addrinfo	*res, *ai;
	size_t		 i = 0;

	*n = 0;
	if (t->host == NULL) {
		if ((*addrs = calloc(1, sizeof(**addrs))) == NULL)
			return (-1);
		(*addrs)->len = sock_unix_sockaddr(t->path, &(*addrs)->ss);
		(*addrs)->socktype = t->socktype;
		*n = 1;
		return (0);
	}
	if (sock_resolve(t->host, t->port, t->family, t->socktype,
	    AI_NUMERICSERV, &res, err) == -1)
		return (-1);
	for (ai = res; ai != NULL; ai = ai->ai_next)
		i++;
	if ((*addrs = calloc(i, sizeof(**addrs))) == NULL) {
		freeaddrinfo(res);
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof((*addrs)[*n].ss))
			continue;
		memcpy(&(*addrs)[*n].ss, ai->ai_addr, ai->ai_addrlen);
		(*addrs)[*n].len = ai->ai_addrlen;
		(*addrs)[*n].socktype = ai->ai_socktype;
		(*n)++;
	}
	freeaddrinfo(res);
	return (0);
}

/* Appends the addresses of t to *addrs (best effort: 0 or -1). */
static int
sock_resolve_more(const struct sock_target *t, struct sock_addr **addrs,
    size_t *n)
{
	struct sock_addr	*more, *all;
	size_t			 m;

	if (sock_resolve_target(t, &more, &m, NULL) == -1)
		return (-1);
	if ((all = realloc(*addrs, (*n + m) * sizeof(*all))) == NULL) {
		free(more);
		return (-1);
	}
	memcpy(all + *n, more, m * sizeof(*all));
	free(more);
	*addrs = all;
	*n += m;
	return (0);
}

int
sock_resolve_source(const struct sock_target *t, struct sock_addr **addrs,
    size_t *n, char *err)
{
	struct sock_target	src;

	*addrs = NULL;
	*n = 0;
	if (t->src_host == NULL && t->src_port == NULL)
		return (0);
	memset(&src, 0, sizeof(src));
	/* A port alone binds the wildcard address of each family. */
	src.host = t->src_host != NULL ? t->src_host :
	    t->family == AF_INET6 ? "::" : "0.0.0.0";
	src.port = t->src_port != NULL ? t->src_port : "0";
	src.family = t->src_host != NULL ? t->family : AF_UNSPEC;
	src.socktype = t->socktype;
	if (sock_resolve_target(&src, addrs, n, err) == -1)
		return (-1);
	if (t->src_host == NULL && *n > 0) {
		/* Also the other family's wildcard, for either target. */
		src.host = strcmp(src.host, "::") == 0 ? "0.0.0.0" : "::";
		(void)sock_resolve_more(&src, addrs, n);
	}
	return (0);
}

int
sock_connect_start(const struct sock_addr *a, const struct sock_addr *src)
{
	int	fd;

	if ((fd = sock_socket(a->ss.ss_family, a->socktype, 1)) == -1)
		return (-1);
	if (src != NULL && (sock_set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1) ==
	    -1 || bind(fd, (const struct sockaddr *)&src->ss, src->len) == -1))
		return (sock_close_keep_errno(fd));
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) == 0 ||
	    errno == EINPROGRESS || errno == EINTR)
		return (fd);
	return (sock_close_keep_errno(fd));
}

int
sock_connect_finish(int fd)
{
	socklen_t	len;
	int		soerr;

	len = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		return (-1);
	if (soerr != 0) {
		errno = soerr;
		return (-1);
	}
	return (0);
}

/*
 * A TCP connect to a closed port of this host, from an ephemeral port
 * equal to it, "succeeds" by simultaneous open: the socket talks to
 * itself.  Only possible when the local address and port are the
 * target's, so one getsockname() tells.
 */
int
sock_same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return (0);
	if (a->sa_family == AF_INET)
		return (((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr);
	if (a->sa_family == AF_INET6)
		return (memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr)) == 0);
	return (1);	/* Unix peers all come from this host */
}

int
sock_connected_to_self(int fd, const struct sock_addr *to)
{
	union sock_ip	me;
	socklen_t	len = sizeof(me);

	if (to->ss.ss_family != AF_INET && to->ss.ss_family != AF_INET6)
		return (0);
	if (getsockname(fd, &me.sa, &len) == -1 ||
	    !sock_same_ip(&me.sa, (const struct sockaddr *)&to->ss))
		return (0);
	/* The port sits at the same place in both families. */
	return (me.in.sin_port ==
	    ((const struct sockaddr_in *)&to->ss)->sin_port);
}

int
sock_accept(int lfd, struct sockaddr_storage *ss, socklen_t *len)
{
	int	fd;

	for (;;) {
		*len = sizeof(*ss);
#ifdef HAVE_ACCEPT4
		fd = accept4(lfd, (struct sockaddr *)ss, len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1 && errno == ENOSYS)
#endif
		{
			fd = accept(lfd, (struct sockaddr *)ss, len);
			if (fd != -1 && (sock_set_cloexec(fd) == -1 ||
			    sock_set_nonblock(fd, 1) == -1))
				return (sock_close_keep_errno(fd));
		}
		if (fd != -1 || errno != EINTR)
			return (fd);
	}
}

socklen_t
sock_unix_sockaddr(const struct addr_unix *a, struct sockaddr_storage *ss)
{
	struct sockaddr_un	*sun = (struct sockaddr_un *)ss;

	memset(ss, 0, sizeof(*ss));
	sun->sun_family = AF_UNIX;
	if (a->abstract) {
		/* Abstract names start with a NUL and are not terminated. */
		memcpy(sun->sun_path + 1, a->path, a->len);
		return ((socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    1 + a->len));
	}
	memcpy(sun->sun_path, a->path, a->len);
	return ((socklen_t)(offsetof(struct sockaddr_un, sun_path) + a->len +
	    1));
}

/*
 * A socket file nobody answers on is stale and may go; a live one or a
 * non-socket stays.  Returns 0 when the path is free to bind, or -1 with
 * errno: EADDRINUSE for a live socket, EEXIST for a non-socket.
 */
static int
sock_unix_clear_stale(const struct addr_unix *a, int type)
{
	struct stat	st;
	int		fd;

	if (lstat(a->path, &st) == -1)
		return (errno == ENOENT ? 0 : -1);
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return (-1);
	}
	if ((fd = sock_connect_unix(a, type, 1000, NULL)) != -1) {
		(void)close(fd);
		errno = EADDRINUSE;
		return (-1);
	}
	/*
	 * A full queue (EAGAIN, then ETIMEDOUT) means someone listens, and
	 * EPROTOTYPE that a live socket of the other type (stream or
	 * datagram) is bound there: a stale file answers ECONNREFUSED.
	 */
	if (errno == ETIMEDOUT || errno == EAGAIN || errno == EPROTOTYPE) {
		errno = EADDRINUSE;
		return (-1);
	}
	if (errno != ECONNREFUSED && errno != ENOENT)
		return (-1);
	if (unlink(a->path) == -1 && errno != ENOENT)
		return (-1);
	return (0);
}

int
sock_listen_unix(const struct addr_unix *a, int type, int backlog, int mode,
    char *err)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			fd;

	if (!a->abstract && sock_unix_clear_stale(a, type) == -1) {
		sock_err(err, "%s%s", a->path, errno == EEXIST ?
		    ": exists and is not a socket" : "");
		return (-1);
	}
	if ((fd = sock_socket(AF_UNIX, type, 1)) == -1)
		return (-1);
	len = sock_unix_sockaddr(a, &ss);
	if (bind(fd, (struct sockaddr *)&ss, len) == -1)
		return (sock_close_keep_errno(fd));
	if (!a->abstract && chmod(a->path, (mode_t)mode) == -1) {
		(void)unlink(a->path);
		return (sock_close_keep_errno(fd));
	}
	if (type == SOCK_STREAM && listen(fd, backlog > 0 ? backlog :
	    SOCK_BACKLOG_MAX) == -1) {
		if (!a->abstract)
			(void)unlink(a->path);
		return (sock_close_keep_errno(fd));
	}
	return (fd);
}

int
sock_connect_unix(const struct addr_unix *a, int type, int timeout_ms,
    char *err)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			fd;

	if ((fd = sock_socket(AF_UNIX, type, 0)) == -1)
		return (-1);
	len = sock_unix_sockaddr(a, &ss);
	if (sock_connect_timeout(fd, (struct sockaddr *)&ss, len,
	    timeout_ms) == -1) {
		sock_err(err, "%s%s", a->abstract ? "@" : "", a->path);
		return (sock_close_keep_errno(fd));
	}
	return (fd);
}

/* Waits until fd is ready for events; EINTR just waits again. */
static int
sock_wait(int fd, short events)
{
	struct pollfd	pfd;

	pfd.fd = fd;
	pfd.events = events;
	while (poll(&pfd, 1, -1) == -1)
		if (errno != EINTR)
			return (-1);
	return (0);
}

ssize_t
sock_write_all(int fd, const void *buf, size_t n)
{
	const char	*p = buf;
	size_t		 done = 0;
	ssize_t		 w;

	while (done < n) {
		w = write(fd, p + done, n - done);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (sock_wait(fd, POLLOUT) == -1)
				return (-1);
			continue;
		}
		if (w == -1)
			return (-1);
		done += (size_t)w;
	}
	return ((ssize_t)done);
}

int
sock_send_full(int err)
{
	return (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS);
}

ssize_t
sock_read_full(int fd, void *buf, size_t n)
{
	char	*p = buf;
	size_t	 done = 0;
	ssize_t	 r;

	while (done < n) {
		r = read(fd, p + done, n - done);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (sock_wait(fd, POLLIN) == -1)
				return (-1);
			continue;
		}
		if (r == -1)
			return (-1);
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return ((ssize_t)done);
}

static void
sock_unix_str(const struct sockaddr_un *sun, socklen_t len, char *buf,
    size_t size)
{
	size_t	plen;

	if (len <= offsetof(struct sockaddr_un, sun_path)) {
		snprintf(buf, size, "unix");
		return;
	}
	plen = len - offsetof(struct sockaddr_un, sun_path);
	if (sun->sun_path[0] == '\0')
		snprintf(buf, size, "@%.*s", (int)(plen - 1),
		    sun->sun_path + 1);
	else
		snprintf(buf, size, "%.*s", (int)strnlen(sun->sun_path, plen),
		    sun->sun_path);
}

void
sock_addr_str(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t size)
{
	char	host[INET6_ADDRSTRLEN];

	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(in->sin_port));
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)sa;

		/* An IPv4 peer of a dual-stack socket reads as IPv4. */
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], host,
			    sizeof(host));
			snprintf(buf, size, "%s:%u", host,
			    ntohs(in6->sin6_port));
			break;
		}
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(in6->sin6_port));
		break;
	}
	case AF_UNIX:
		sock_unix_str((const struct sockaddr_un *)sa, len, buf, size);
		break;
	default:
		snprintf(buf, size, "?");
	}
}

unsigned
sock_addr_hash(const struct sockaddr_storage *sa, socklen_t len)
{
	const unsigned char	*p = (const unsigned char *)sa;
	unsigned		 h = 2166136261u;	/* FNV-1a */
	socklen_t		 i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return (h);
}

void
sock_local_str(int fd, char *buf, size_t size)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		snprintf(buf, size, "?");
	else
		sock_addr_str((struct sockaddr *)&ss, len, buf, size);
}

void
sock_peer_str(int fd, char *buf, size_t size)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1)
		snprintf(buf, size, "?");
	else
		sock_addr_str((struct sockaddr *)&ss, len, buf, size);
}

int
sock_local_port(int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return (-1);
	if (ss.ss_family == AF_INET)
		return (ntohs(((struct sockaddr_in *)&ss)->sin_port));
	if (ss.ss_family == AF_INET6)
		return (ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	return (-1);
}

int
sock_pipe(int *fds)
{
#ifdef HAVE_PIPE2
	return (pipe2(fds, O_CLOEXEC));
#else
	if (pipe(fds) == -1)
		return (-1);
	if (sock_set_cloexec(fds[0]) == -1 || sock_set_cloexec(fds[1]) == -1) {
		(void)close(fds[0]);
		(void)close(fds[1]);
		return (-1);
	}
	return (0);
#endif
}

int
sock_socketpair(int *fds)
{
#ifdef SOCK_CLOEXEC
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0)
		return (0);
	if (errno != EINVAL)
		return (-1);
#endif
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == -1)
		return (-1);
	if (sock_set_cloexec(fds[0]) == -1 || sock_set_cloexec(fds[1]) == -1) {
		(void)close(fds[0]);
		(void)close(fds[1]);
		return (-1);
	}
	return (0);
}

void
sock_ip_from(union sock_ip *ip, const struct sockaddr_storage *ss)
{
	memset(ip, 0, sizeof(*ip));
	if (ss->ss_family == AF_INET)
		memcpy(&ip->in, ss, sizeof(ip->in));
	else if (ss->ss_family == AF_INET6)
		memcpy(&ip->in6, ss, sizeof(ip->in6));
	else
		ip->sa.sa_family = ss->ss_family;
}
