/*
 * Socket utilities in the spirit of redis anet: each function returns an
 * fd or 0, or -1 with errno from the call that failed; where errno cannot
 * tell the story (getaddrinfo), a message goes to the optional err buffer
 * of SOCK_ERR_LEN bytes.  Every fd created here is close-on-exec from
 * birth.  Nothing here prints or exits.
 */
#ifndef SOCK_H
#define SOCK_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stddef.h>

#include "addr.h"

#define SOCK_ERR_LEN	256
#define SOCK_ADDR_LEN	(ADDR_HOST_MAX + 16)	/* "[host]:port" and paths */

/* What a listener wants besides the address. */
struct sock_listen_opts {
	int	backlog;	/* <= 0: the system maximum */
	int	reuseport;	/* SO_REUSEPORT */
	int	socktype;	/* SOCK_STREAM or SOCK_DGRAM */
};

int	sock_set_nonblock(int, int);
int	sock_set_cloexec(int);
int	sock_set_keepalive(int);
int	sock_set_nodelay(int);

/*
 * Binds (and for streams listens on) host:port.  An empty host means
 * loopback: 127.0.0.1, or ::1 when family is AF_INET6.  "::" binds
 * dual-stack (IPV6_V6ONLY off).  Every getaddrinfo result is tried in
 * order.  Returns the fd (non-blocking) or -1; err tells which address
 * failed.
 */
int	sock_listen_inet(const char *, const char *, int,
	    const struct sock_listen_opts *, char *);

/* One address to connect to, resolved. */
/* An IP peer's address in the room it needs (not a sockaddr_storage). */
union sock_ip {
	struct sockaddr		sa;
	struct sockaddr_in	in;
	struct sockaddr_in6	in6;
};

/* Copies the IP address of ss into ip; other families keep only theirs. */
void	sock_ip_from(union sock_ip *, const struct sockaddr_storage *);

struct sock_addr {
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			socktype;
};

/* Where to connect: host and port (inet), or a Unix path. */
struct sock_target {
	const char		*host;		/* NULL for a Unix path */
	const char		*port;
	int			 family;	/* AF_UNSPEC, AF_INET, AF_INET6 */
	int			 socktype;
	const struct addr_unix	*path;		/* when host is NULL */
	const char		*src_host;	/* bind to first (-s), or NULL */
	const char		*src_port;	/* ... this port (-p), or NULL */
};

/*
 * Resolves a target into *addrs (*n entries, free() them), in the order
 * to try.  For host:port every getaddrinfo result; a Unix path is one
 * address.  Returns 0, or -1 with errno EHOSTUNREACH and the resolver's
 * own message ("host: Name or service not known") in err.
 */
int	sock_resolve_target(const struct sock_target *, struct sock_addr **,
	    size_t *, char *);

/*
 * Resolves the source address of a target (-s, -p) for binding: every
 * address, to pick one of the family of each destination.  Returns 0
 * (*n is 0 without a source), or -1 with errno and err as above.
 */
int	sock_resolve_source(const struct sock_target *, struct sock_addr **,
	    size_t *, char *);

/*
 * Starts a non-blocking connect to a, bound first to src when not NULL:
 * returns a non-blocking, close-on-exec fd whose connect has finished or
 * is in progress (wait for it to be writable, then call
 * sock_connect_finish), or -1 with errno (EAGAIN: a Unix listener's
 * queue is full, try again later).
 */
int	sock_connect_start(const struct sock_addr *, const struct sock_addr *);

/*
 * Finishes a connect started by sock_connect_start once the fd is
 * writable: 0, or -1 with errno the reason it failed (SO_ERROR).
 */
int	sock_connect_finish(int);

/*
 * 1 when a and b are the same IP address (any two Unix addresses are:
 * the same host), 0 otherwise or for different families.
 */
int	sock_same_ip(const struct sockaddr *, const struct sockaddr *);

/*
 * 1 when a connected TCP socket is connected to itself (a closed local
 * port reached from the same ephemeral port), 0 otherwise.
 */
int	sock_connected_to_self(int, const struct sock_addr *);

/*
 * Connects to host:port, trying every getaddrinfo result in order, each
 * within timeout_ms (<= 0: no timeout).  Returns a blocking fd, or -1
 * with errno from the last attempt (ETIMEDOUT on timeout; EHOSTUNREACH
 * when the name did not resolve, with the resolver's message in err).
 */
int	sock_connect_inet(const char *, const char *, int, int, int, char *);

/*
 * Connects fd to sa within timeout_ms (<= 0: wait as long as the kernel
 * does): non-blocking connect, poll for POLLOUT, then SO_ERROR.  Leaves
 * fd blocking as it found it.  Returns 0 or -1 with errno.
 */
int	sock_connect_timeout(int, const struct sockaddr *, socklen_t, int);

/*
 * Accepts one connection, non-blocking and close-on-exec (accept4, with a
 * fallback).  Returns the fd or -1 with errno; EINTR is retried.
 */
int	sock_accept(int, struct sockaddr_storage *, socklen_t *);

/*
 * Unix sockets.  sock_listen_unix replaces a stale socket file (one
 * nobody answers on), refuses a live one (EADDRINUSE) and never removes
 * a path that is not a socket (EEXIST).  mode applies to the socket
 * file.  Returns a non-blocking fd or -1.
 */
int	sock_listen_unix(const struct addr_unix *, int, int, int, char *);
int	sock_connect_unix(const struct addr_unix *, int, int, char *);

/* Fills a sockaddr_un from a parsed address; returns its length. */
socklen_t sock_unix_sockaddr(const struct addr_unix *, struct sockaddr_storage *);

/*
 * Blocking I/O that finishes the job: retries EINTR, waits out EAGAIN
 * with poll, continues after short transfers.  write_all returns n or -1;
 * read_full returns the bytes read (< n only at EOF) or -1.
 */
ssize_t	sock_write_all(int, const void *, size_t);
ssize_t	sock_read_full(int, void *, size_t);

/*
 * Whether a send failed only because the socket's buffer is full (try
 * again when it is writable): EAGAIN, or ENOBUFS, which a datagram send
 * on Linux can return instead.
 */
int	sock_send_full(int);

/*
 * Formats a socket address as "127.0.0.1:80", "[::1]:80", a Unix path,
 * "@name" (abstract) or "unix" (unnamed).  Always terminates buf.
 */
void	sock_addr_str(const struct sockaddr *, socklen_t, char *, size_t);

/* A hash of the bytes of a socket address, for tables of peers. */
unsigned	sock_addr_hash(const struct sockaddr_storage *, socklen_t);

/* The local and the peer address of fd, formatted as above. */
void	sock_local_str(int, char *, size_t);
void	sock_peer_str(int, char *, size_t);

/* pipe() with both ends close-on-exec; returns 0 or -1 with errno. */
int	sock_pipe(int *);

/* A Unix stream socketpair, both ends close-on-exec; 0 or -1/errno. */
int	sock_socketpair(int *);

/* Returns the local port of fd, or -1. */
int	sock_local_port(int);

#endif
