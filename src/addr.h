/*
 * Address parsing: HOST PORT, HOST:PORT, [V6]:PORT, bare PORT, Unix paths,
 * @abstract names, and CIDR blocks.  Pure parsing and matching: nothing
 * here resolves names or touches a socket.
 */
#ifndef SOCKIT_ADDR_H
#define SOCKIT_ADDR_H

#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>
#include <stdint.h>

#define ADDR_ERR_LEN	256
#define ADDR_HOST_MAX	256	/* longest host name or literal we accept */
#define ADDR_PATH_MAX	108	/* sizeof(sun_path) on Linux */

/* A host and port as typed by the user; host may be empty (= default). */
struct addr_inet {
	char	host[ADDR_HOST_MAX];	/* no brackets; "" when not given */
	char	port[6];		/* decimal, "0".."65535" */
	int	portnum;
};

struct addr_unix {
	int	abstract;		/* @name: Linux abstract namespace */
	size_t	len;			/* bytes of path used (no NUL) */
	char	path[ADDR_PATH_MAX];	/* NUL-terminated for files */
};

/*
 * Parses a port number "0".."65535" (decimal digits only).  Returns the
 * port, or -1 with a message in err (ADDR_ERR_LEN bytes, may be NULL).
 */
int	addr_parse_port(const char *, char *);

/*
 * Parses "HOST:PORT" or "[V6ADDR]:PORT" into *out.  A bare IPv6 literal
 * without brackets ("::1:80") is rejected as ambiguous.  Returns 0 or -1
 * with a message in err.
 */
int	addr_parse_hostport(const char *, struct addr_inet *, char *);

/*
 * Parses the positional address of a client: {"HOST", "PORT"} or
 * {"HOST:PORT"} / {"[V6]:PORT"} (argc is 1 or 2).  HOST may be an IPv6
 * literal when it comes as its own argument ("::1" "80"), with or without
 * brackets.  PORT is 1-65535: port 0 cannot be connected to.  Returns 0
 * or -1 with a message in err.
 */
int	addr_parse_client(int, char *const *, struct addr_inet *, char *);

/*
 * Parses the positional address of a server: {"PORT"}, {"HOST", "PORT"},
 * {"HOST:PORT"}, {"[V6]:PORT"} (argc 1 or 2).  bind (from -b/--bind, may
 * be NULL) gives the host when the positionals do not; giving both is an
 * error.  host stays "" when neither gives one.  Returns 0 or -1 with a
 * message in err.
 */
int	addr_parse_server(int, char *const *, const char *, struct addr_inet *,
	    char *);

/*
 * Parses a list of ports for -z: items separated by commas, each a port,
 * a service name or a range LOW-HIGH ("22,http,8000-8010").  *ports
 * (free() it) gets *n ports in the order given.  Returns 0 or -1 with a
 * message in err.  addr_is_portlist says whether s is more than one
 * port (a comma or a range).
 */
int	addr_parse_portlist(const char *, int **, size_t *, char *);
int	addr_is_portlist(const char *);

/*
 * Parses a Unix socket address: a filesystem path, or "@name" for the
 * abstract namespace ("@" alone is an error).  A path that does not fit
 * sun_path fails with a message naming the limit.  Returns 0 or -1.
 */
int	addr_parse_unix(const char *, struct addr_unix *, char *);

/* An IPv4 or IPv6 network: "10.0.0.0/8", "::1/128", "192.0.2.7" (= /32). */
struct addr_cidr {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned	prefix;		/* 0..32 or 0..128 */
	uint8_t		net[16];	/* network bytes, host bits cleared */
};

/*
 * Parses a CIDR block.  Host bits set below the prefix ("10.1.2.3/8") are
 * accepted and cleared, as iptables does.  Returns 0 or -1 with a message
 * in err.
 */
int	addr_parse_cidr(const char *, struct addr_cidr *, char *);

/*
 * Returns 1 when the socket address (AF_INET or AF_INET6) lies in the
 * block, else 0.  An IPv4-mapped IPv6 peer (::ffff:a.b.c.d) matches IPv4
 * blocks as the IPv4 address it carries, and an IPv4 peer matches
 * ::ffff:0:0/96-style IPv6 blocks likewise.
 */
int	addr_cidr_match(const struct addr_cidr *, const struct sockaddr *);

/* An ordered --allow / --deny list. */
struct addr_acl {
	struct addr_cidr	*allow;
	size_t			 nallow;
	struct addr_cidr	*deny;
	size_t			 ndeny;
};

/*
 * Returns 1 when the peer may connect: it matches no --deny block and,
 * when there is any --allow block, it matches one (deny wins).
 */
int	addr_acl_permits(const struct addr_acl *, const struct sockaddr *);

#endif
