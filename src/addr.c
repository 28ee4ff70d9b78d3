/*
 * Address parsing for the command line: ports, HOST:PORT, [V6]:PORT, the
 * client and server positional forms, Unix paths, @abstract names, CIDR
 * blocks and --allow/--deny lists.  Nothing here resolves a name or opens
 * a socket, so every function is cheap to unit test.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

/* Longest piece of user input quoted in an error message. */
#define ADDR_QUOTE_MAX	64

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) starts with these bytes. */
static const uint8_t addr_v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static void	addr_error(char *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
addr_error(char *err, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err, ADDR_ERR_LEN, fmt, ap);
	va_end(ap);
}

/*
 * Copies user input into buf (ADDR_QUOTE_MAX + 4 bytes) for quoting in an
 * error.  Input comes straight from argv, so control bytes become '?' to
 * keep the message on one line, and long input is cut short with "..." so
 * the explanation after it survives the ADDR_ERR_LEN limit.
 */
static const char *
addr_quote(const char *s, char *buf)
{
	size_t	i;

	for (i = 0; i < ADDR_QUOTE_MAX && s[i] != '\0'; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			buf[i] = '?';
		else
			buf[i] = s[i];
	}
	if (s[i] != '\0') {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return (buf);
}

static int
addr_all_digits(const char *s)
{
	if (*s == '\0')
		return (0);
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return (0);
	}
	return (1);
}

/*
 * A service name for a port, as nc and ncat take it ("http", "ssh"):
 * looked up in the services database (/etc/services), TCP first.
 */
static int
addr_service_port(const char *s, int min, char *err)
{
	char		 q[ADDR_QUOTE_MAX + 4];
	struct servent	*se;
	const char	*p;

	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			break;
	if (*p != '\0' || !isalpha((unsigned char)*s)) {
		addr_error(err, "bad port \"%s\" (expected %d-65535)",
		    addr_quote(s, q), min);
		return (-1);
	}
	if ((se = getservbyname(s, "tcp")) != NULL ||
	    (se = getservbyname(s, "udp")) != NULL)
		return (ntohs((unsigned short)se->s_port));
	addr_error(err, "unknown service \"%s\" (expected a port %d-65535 "
	    "or a name from /etc/services)", addr_quote(s, q), min);
	return (-1);
}

/*
 * Parses a port of at least min: 0 for servers (0 picks a free port), 1
 * for clients (nothing can be reached at port 0, and nc refuses it too),
 * so that the message states the range the caller accepts.
 */
static int
addr_port_from(const char *s, int min, char *err)
{
	char		 q[ADDR_QUOTE_MAX + 4];
	unsigned long	 v;
	char		*end;

	if (*s == '\0') {
		addr_error(err, "missing port (expected %d-65535)", min);
		return (-1);
	}
	/* strtoul alone would accept " 80", "+80" and "-1" (as ULONG_MAX). */
	if (!addr_all_digits(s))
		return (addr_service_port(s, min, err));
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || errno == ERANGE || v > 65535)
		goto bad;
	if (v < (unsigned long)min) {
		/* Port 0 means "any" to bind(2); nothing is reached there. */
		addr_error(err, "port 0 cannot be connected to (expected "
		    "%d-65535)", min);
		return (-1);
	}
	return ((int)v);

bad:
	addr_error(err, "bad port \"%s\" (expected %d-65535)",
	    addr_quote(s, q), min);
	return (-1);
}

int
addr_parse_port(const char *s, char *err)
{
	return (addr_port_from(s, 0, err));
}

/* Longest list -z takes: every port once, and then some. */
#define ADDR_PORTLIST_MAX	(2 * 65536)

int
addr_is_portlist(const char *s)
{
	return (strchr(s, ',') != NULL || (isdigit((unsigned char)*s) &&
	    strchr(s, '-') != NULL));
}

/* Appends the ports of one item ("80", "http", "8000-8010"). */
static int
addr_portlist_item(const char *item, int **ports, size_t *n, size_t *cap,
    char *err)
{
	char	 lo[64], *dash;
	int	 a, b, *p;

	if (strlen(item) >= sizeof(lo)) {
		addr_error(err, "bad port list item (too long)");
		return (-1);
	}
	memcpy(lo, item, strlen(item) + 1);
	if ((dash = strchr(lo, '-')) != NULL && isdigit((unsigned char)lo[0]))
		*dash = '\0';
	else
		dash = NULL;
	if ((a = addr_port_from(lo, 1, err)) == -1 ||
	    (b = dash != NULL ? addr_port_from(dash + 1, 1, err) : a) == -1)
		return (-1);
	if (b < a) {
		addr_error(err, "bad port range \"%s\" (the low end first)",
		    item);
		return (-1);
	}
	if (*n + (size_t)(b - a + 1) > ADDR_PORTLIST_MAX) {
		addr_error(err, "port list too long (at most %d ports)",
		    ADDR_PORTLIST_MAX);
		return (-1);
	}
	while (*n + (size_t)(b - a + 1) > *cap) {
		*cap = *cap > 0 ? *cap * 2 : 64;
		if ((p = realloc(*ports, *cap * sizeof(*p))) == NULL) {
			addr_error(err, "out of memory");
			return (-1);
		}
		*ports = p;
	}
	for (; a <= b; a++)
		(*ports)[(*n)++] = a;
	return (0);
}

int
addr_parse_portlist(const char *s, int **ports, size_t *n, char *err)
{
	char	item[64];
	size_t	cap = 0, len;
	const char *p = s, *comma;

	*ports = NULL;
	*n = 0;
	do {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (len == 0 || len >= sizeof(item)) {
			addr_error(err, "bad port list \"%s\" (expected "
			    "PORT,LOW-HIGH,...)", s);
			goto fail;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		if (addr_portlist_item(item, ports, n, &cap, err) == -1)
			goto fail;
		p = comma + 1;
	} while (comma != NULL);
	return (0);
fail:
	free(*ports);
	*ports = NULL;
	*n = 0;
	return (-1);
}

/* Stores a parsed port in both the numeric and the normalized text form. */
static int
addr_set_port(struct addr_inet *out, const char *s, int min, char *err)
{
	int	port;

	if ((port = addr_port_from(s, min, err)) == -1)
		return (-1);
	out->portnum = port;
	snprintf(out->port, sizeof(out->port), "%d", port);
	return (0);
}

/*
 * Checks that s (len bytes, not terminated) is an IPv6 literal.  A zone
 * ("fe80::1%eth0") is allowed: getaddrinfo understands it, inet_pton does
 * not, so only the part before '%' is checked.
 */
static int
addr_is_v6(const char *s, size_t len)
{
	char		buf[INET6_ADDRSTRLEN];
	struct in6_addr	in6;
	const char	*pct;

	if ((pct = memchr(s, '%', len)) != NULL) {
		if ((size_t)(pct - s) + 1 == len)
			return (0);
		len = (size_t)(pct - s);
	}
	if (len == 0 || len >= sizeof(buf))
		return (0);
	memcpy(buf, s, len);
	buf[len] = '\0';
	return (inet_pton(AF_INET6, buf, &in6) == 1);
}

/*
 * Copies host (len bytes) into out->host.  Brackets have already been
 * stripped; they are not allowed inside a host.
 */
static int
addr_copy_host(struct addr_inet *out, const char *host, size_t len,
    const char *input, char *err)
{
	char	q[ADDR_QUOTE_MAX + 4];

	if (len > ADDR_HOST_MAX - 1) {
		addr_error(err, "host name too long (max %d bytes) in \"%s\"",
		    ADDR_HOST_MAX - 1, addr_quote(input, q));
		return (-1);
	}
	if (memchr(host, '[', len) != NULL || memchr(host, ']', len) != NULL) {
		addr_error(err, "\"%s\": misplaced \"[\" or \"]\" (write an "
		    "IPv6 address as [::1]:80)", addr_quote(input, q));
		return (-1);
	}
	memcpy(out->host, host, len);
	out->host[len] = '\0';
	return (0);
}

/*
 * Parses "[V6]" followed by ":PORT" from s.  Returns a pointer to the
 * port text, or NULL with err set.  The host must be an IPv6 literal:
 * brackets around a name or IPv4 address are almost certainly a typo.
 */
static const char *
addr_parse_bracket(const char *s, struct addr_inet *out, char *err)
{
	char		 q[ADDR_QUOTE_MAX + 4];
	const char	*close;
	size_t		 len;

	if ((close = strchr(s, ']')) == NULL) {
		addr_error(err, "missing \"]\" in \"%s\"", addr_quote(s, q));
		return (NULL);
	}
	len = (size_t)(close - s - 1);
	if (len == 0) {
		addr_error(err, "missing host in \"%s\"", addr_quote(s, q));
		return (NULL);
	}
	if (addr_copy_host(out, s + 1, len, s, err) == -1)
		return (NULL);
	if (close[1] != ':') {
		addr_error(err, close[1] == '\0' ? "missing port in \"%s\"" :
		    "\"%s\": expected \":PORT\" after \"]\"", addr_quote(s, q));
		return (NULL);
	}
	if (!addr_is_v6(s + 1, len)) {
		addr_error(err, "\"%s\": only IPv6 addresses go in brackets",
		    addr_quote(s, q));
		return (NULL);
	}
	return (close + 2);
}

/*
 * Explains why "::1:80" is refused: it is itself a valid IPv6 address, so
 * we cannot know where the address ends.  When the last colon splits it
 * into an address and a port, the message shows the bracketed form.
 */
static void
addr_error_v6_brackets(const char *s, char *err)
{
	char		 q[ADDR_QUOTE_MAX + 4];
	const char	*colon = strrchr(s, ':');

	addr_quote(s, q);
	if (colon > s && addr_is_v6(s, (size_t)(colon - s)) &&
	    addr_all_digits(colon + 1) && strlen(s) <= ADDR_QUOTE_MAX)
		addr_error(err, "\"%s\": IPv6 address needs brackets, e.g. "
		    "[%.*s]:%s", q, (int)(colon - s), s, colon + 1);
	else if (addr_is_v6(s, strlen(s)) && strlen(s) <= ADDR_QUOTE_MAX)
		addr_error(err, "\"%s\": IPv6 address needs brackets and a "
		    "port, e.g. [%s]:80", q, s);
	else
		addr_error(err, "\"%s\": IPv6 address needs brackets, e.g. "
		    "[::1]:80", q);
}

/*
 * The HOST:PORT parser behind addr_parse_hostport, the one-argument client
 * form and the one-argument server form.  empty_host says whether ":PORT"
 * (no host) is allowed, minport is the lowest port accepted.
 */
static int
addr_split_hostport(const char *s, struct addr_inet *out, int empty_host,
    int minport, char *err)
{
	char		 q[ADDR_QUOTE_MAX + 4];
	const char	*colon, *port;

	memset(out, 0, sizeof(*out));
	if (*s == '\0') {
		addr_error(err, "empty address (expected HOST:PORT)");
		return (-1);
	}
	if (*s == '[') {
		if ((port = addr_parse_bracket(s, out, err)) == NULL)
			return (-1);
	} else {
		if ((colon = strchr(s, ':')) == NULL) {
			addr_error(err, "missing port in \"%s\" (expected "
			    "HOST:PORT)", addr_quote(s, q));
			return (-1);
		}
		if (strchr(colon + 1, ':') != NULL) {
			addr_error_v6_brackets(s, err);
			return (-1);
		}
		if (colon == s && !empty_host) {
			addr_error(err, "missing host in \"%s\"",
			    addr_quote(s, q));
			return (-1);
		}
		if (addr_copy_host(out, s, (size_t)(colon - s), s, err) == -1)
			return (-1);
		port = colon + 1;
	}
	if (*port == '\0') {
		addr_error(err, "missing port in \"%s\"", addr_quote(s, q));
		return (-1);
	}
	return (addr_set_port(out, port, minport, err));
}

int
addr_parse_hostport(const char *s, struct addr_inet *out, char *err)
{
	return (addr_split_hostport(s, out, 0, 0, err));
}

/*
 * Sets out->host from a HOST given as its own argument (or by -b).  Here
 * an IPv6 literal is unambiguous, so brackets are optional; a colon in
 * anything else means a HOST:PORT was given where only HOST belongs.
 */
static int
addr_set_host(struct addr_inet *out, const char *host, char *err)
{
	char	q[ADDR_QUOTE_MAX + 4];
	size_t	len = strlen(host);

	if (len == 0) {
		addr_error(err, "missing host (empty HOST argument)");
		return (-1);
	}
	if (host[0] == '[' && len >= 2 && host[len - 1] == ']') {
		host++;
		len -= 2;
		if (!addr_is_v6(host, len)) {
			addr_error(err, "\"%s\": only IPv6 addresses go in "
			    "brackets", addr_quote(host - 1, q));
			return (-1);
		}
	} else if (memchr(host, ':', len) != NULL && !addr_is_v6(host, len)) {
		addr_error(err, "\"%s\": not a host name or address (give "
		    "HOST PORT or HOST:PORT, not both)", addr_quote(host, q));
		return (-1);
	}
	return (addr_copy_host(out, host, len, host, err));
}

/* The two-argument form shared by clients and servers: {"HOST", "PORT"}. */
static int
addr_parse_pair(char *const *argv, struct addr_inet *out, int minport,
    char *err)
{
	memset(out, 0, sizeof(*out));
	if (addr_set_host(out, argv[0], err) == -1)
		return (-1);
	return (addr_set_port(out, argv[1], minport, err));
}

int
addr_parse_client(int argc, char *const *argv, struct addr_inet *out,
    char *err)
{
	char	q[ADDR_QUOTE_MAX + 4];

	if (argc == 2)
		return (addr_parse_pair(argv, out, 1, err));
	if (argc != 1) {
		addr_error(err, "expected HOST PORT or HOST:PORT");
		return (-1);
	}
	if (addr_all_digits(argv[0])) {
		/* "sockit tcp-client 80" forgot the host, not the port. */
		addr_error(err, "missing host in \"%s\" (expected HOST PORT "
		    "or HOST:PORT)", addr_quote(argv[0], q));
		return (-1);
	}
	return (addr_split_hostport(argv[0], out, 0, 1, err));
}

/*
 * One server positional.  Without ':' or '[' it can only be a PORT, so a
 * bad one ("8x", "-1") is reported as a bad port.  ":PORT" means "no host
 * given", exactly like a bare PORT: the server binds the default address
 * (loopback, or -b HOST).  It does not mean every interface, as it would
 * in Go or nginx, because SPEC §2 wants binding all interfaces to be
 * explicit (-b 0.0.0.0 or -b ::); a typo must not expose a server.
 */
static int
addr_parse_server1(const char *s, struct addr_inet *out, char *err)
{
	char	q[ADDR_QUOTE_MAX + 4];

	if (strchr(s, ':') != NULL || s[0] == '[')
		return (addr_split_hostport(s, out, 1, 0, err));
	memset(out, 0, sizeof(*out));
	if (s[0] == '\0' || (s[0] >= '0' && s[0] <= '9') || s[0] == '-' ||
	    s[0] == '+')
		return (addr_set_port(out, s, 0, err));
	addr_error(err, "missing port in \"%s\" (expected [HOST] PORT or "
	    "HOST:PORT)", addr_quote(s, q));
	return (-1);
}

int
addr_parse_server(int argc, char *const *argv, const char *bind,
    struct addr_inet *out, char *err)
{
	char	q[ADDR_QUOTE_MAX + 4], qb[ADDR_QUOTE_MAX + 4];

	if (argc == 1) {
		if (addr_parse_server1(argv[0], out, err) == -1)
			return (-1);
	} else if (argc == 2) {
		/* An empty HOST argument ("$HOST" unset) is "no host". */
		if (argv[0][0] == '\0') {
			memset(out, 0, sizeof(*out));
			if (addr_set_port(out, argv[1], 0, err) == -1)
				return (-1);
		} else if (addr_parse_pair(argv, out, 0, err) == -1)
			return (-1);
	} else {
		addr_error(err, "expected [HOST] PORT or HOST:PORT");
		return (-1);
	}
	if (bind == NULL)
		return (0);
	if (bind[0] == '\0') {
		addr_error(err, "empty -b/--bind address");
		return (-1);
	}
	if (out->host[0] != '\0') {
		addr_error(err, "host given twice: -b \"%s\" and \"%s\"",
		    addr_quote(bind, qb), addr_quote(out->host, q));
		return (-1);
	}
	return (addr_set_host(out, bind, err));
}

int
addr_parse_unix(const char *s, struct addr_unix *out, char *err)
{
	char	q[ADDR_QUOTE_MAX + 4];
	size_t	len;

	memset(out, 0, sizeof(*out));
	if (*s == '\0') {
		addr_error(err, "empty Unix socket path");
		return (-1);
	}
	if (*s == '@') {
		if (*++s == '\0') {
			addr_error(err, "\"@\": abstract socket name is empty "
			    "(expected @NAME)");
			return (-1);
		}
		out->abstract = 1;
	}
	/*
	 * A file path needs a NUL in sun_path and an abstract name needs a
	 * leading NUL, so either way only ADDR_PATH_MAX - 1 bytes are ours.
	 */
	len = strlen(s);
	if (len > ADDR_PATH_MAX - 1) {
		addr_error(err, "Unix socket path too long (max %d bytes): "
		    "\"%s\"", ADDR_PATH_MAX - 1, addr_quote(s, q));
		return (-1);
	}
	memcpy(out->path, s, len + 1);
	out->len = len;
	return (0);
}

/* Clears the bits of net below prefix. */
static void
addr_cidr_mask(uint8_t *net, size_t nbytes, unsigned prefix)
{
	size_t	i;

	for (i = 0; i < nbytes; i++) {
		if (prefix >= 8)
			prefix -= 8;
		else {
			net[i] &= (uint8_t)(0xff << (8 - prefix));
			prefix = 0;
		}
	}
}

/* Parses the address part of a CIDR block (len bytes of s). */
static int
addr_cidr_addr(const char *s, size_t len, struct addr_cidr *out)
{
	char	buf[INET6_ADDRSTRLEN];

	if (len == 0 || len >= sizeof(buf))
		return (-1);
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, out->net) == 1) {
		out->family = AF_INET;
		return (0);
	}
	if (inet_pton(AF_INET6, buf, out->net) == 1) {
		out->family = AF_INET6;
		return (0);
	}
	return (-1);
}

int
addr_parse_cidr(const char *s, struct addr_cidr *out, char *err)
{
	char		 q[ADDR_QUOTE_MAX + 4];
	const char	*slash;
	unsigned long	 v;
	unsigned	 bits;
	char		*end;

	memset(out, 0, sizeof(*out));
	slash = strchr(s, '/');
	if (addr_cidr_addr(s, slash != NULL ? (size_t)(slash - s) : strlen(s),
	    out) == -1) {
		addr_error(err, "bad network \"%s\" (expected ADDRESS[/PREFIX],"
		    " e.g. 10.0.0.0/8)", addr_quote(s, q));
		return (-1);
	}
	bits = out->family == AF_INET ? 32 : 128;
	out->prefix = bits;
	if (slash == NULL)
		return (0);
	errno = 0;
	v = strtoul(slash + 1, &end, 10);
	if (!addr_all_digits(slash + 1) || *end != '\0' || errno == ERANGE ||
	    v > bits) {
		addr_error(err, "bad prefix length in \"%s\" (expected 0-%u)",
		    addr_quote(s, q), bits);
		return (-1);
	}
	out->prefix = (unsigned)v;
	addr_cidr_mask(out->net, bits / 8, out->prefix);
	return (0);
}

/*
 * Copies the peer's address into bytes as the block's family sees it.
 * Returns 0, or -1 when the peer cannot be expressed in that family.
 */
static int
addr_peer_bytes(const struct sockaddr *sa, int family, uint8_t *bytes)
{
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;

	/* memcpy: the caller's storage need not be aligned for either. */
	if (sa->sa_family == AF_INET) {
		memcpy(&sin, sa, sizeof(sin));
		if (family == AF_INET) {
			memcpy(bytes, &sin.sin_addr, 4);
			return (0);
		}
		memcpy(bytes, addr_v4mapped_prefix, 12);
		memcpy(bytes + 12, &sin.sin_addr, 4);
		return (0);
	}
	if (sa->sa_family != AF_INET6)
		return (-1);
	memcpy(&sin6, sa, sizeof(sin6));
	if (family == AF_INET6) {
		memcpy(bytes, &sin6.sin6_addr, 16);
		return (0);
	}
	if (memcmp(&sin6.sin6_addr, addr_v4mapped_prefix, 12) != 0)
		return (-1);
	memcpy(bytes, (const uint8_t *)&sin6.sin6_addr + 12, 4);
	return (0);
}

int
addr_cidr_match(const struct addr_cidr *c, const struct sockaddr *sa)
{
	uint8_t		bytes[16];
	size_t		full;
	unsigned	rest;

	if (sa == NULL || addr_peer_bytes(sa, c->family, bytes) == -1)
		return (0);
	full = c->prefix / 8;
	rest = c->prefix % 8;
	if (memcmp(bytes, c->net, full) != 0)
		return (0);
	if (rest == 0)
		return (1);
	return (((bytes[full] ^ c->net[full]) &
	    (uint8_t)(0xff << (8 - rest))) == 0);
}

int
addr_acl_permits(const struct addr_acl *acl, const struct sockaddr *sa)
{
	size_t	i;

	if (acl == NULL)
		return (1);
	for (i = 0; i < acl->ndeny; i++) {
		if (addr_cidr_match(&acl->deny[i], sa))
			return (0);
	}
	if (acl->nallow == 0)
		return (1);
	for (i = 0; i < acl->nallow; i++) {
		if (addr_cidr_match(&acl->allow[i], sa))
			return (1);
	}
	return (0);
}
