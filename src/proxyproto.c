/*
 * PROXY protocol v1 (text) and v2 (binary) headers.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "proxyproto.h"

static const unsigned char proxyproto_v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* An address reduced to what the header carries. */
struct proxyproto_addr {
	int		family;		/* AF_INET, AF_INET6, AF_UNIX, 0 */
	unsigned char	ip[16];
	unsigned short	port;		/* host order */
	const char	*path;		/* AF_UNIX */
	size_t		pathlen;
};

static void
proxyproto_addr_of(const struct sockaddr *sa, struct proxyproto_addr *a)
{
	const struct sockaddr_in	*in;
	const struct sockaddr_in6	*in6;
	const struct sockaddr_un	*un;

	memset(a, 0, sizeof(*a));
	switch (sa->sa_family) {
	case AF_INET:
		in = (const struct sockaddr_in *)sa;
		a->family = AF_INET;
		memcpy(a->ip, &in->sin_addr, 4);
		a->port = ntohs(in->sin_port);
		break;
	case AF_INET6:
		in6 = (const struct sockaddr_in6 *)sa;
		a->port = ntohs(in6->sin6_port);
		/* A dual-stack socket's IPv4 peer is an IPv4 peer. */
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			a->family = AF_INET;
			memcpy(a->ip, &in6->sin6_addr.s6_addr[12], 4);
		} else {
			a->family = AF_INET6;
			memcpy(a->ip, &in6->sin6_addr, 16);
		}
		break;
	case AF_UNIX:
		un = (const struct sockaddr_un *)sa;
		a->family = AF_UNIX;
		a->path = un->sun_path;
		a->pathlen = strnlen(un->sun_path, sizeof(un->sun_path));
		break;
	}
}

static int
proxyproto_v1(const struct proxyproto_addr *s, const struct proxyproto_addr *d,
    unsigned char *buf)
{
	char	sh[INET6_ADDRSTRLEN], dh[INET6_ADDRSTRLEN];
	int	n;

	if (s->family != d->family ||
	    (s->family != AF_INET && s->family != AF_INET6))
		return (snprintf((char *)buf, PROXYPROTO_MAX,
		    "PROXY UNKNOWN\r\n"));
	inet_ntop(s->family, s->ip, sh, sizeof(sh));
	inet_ntop(d->family, d->ip, dh, sizeof(dh));
	n = snprintf((char *)buf, PROXYPROTO_MAX, "PROXY %s %s %s %u %u\r\n",
	    s->family == AF_INET ? "TCP4" : "TCP6", sh, dh, s->port, d->port);
	return (n);
}

static void
proxyproto_put16(unsigned char *p, size_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static int
proxyproto_v2(const struct proxyproto_addr *s, const struct proxyproto_addr *d,
    unsigned char *buf)
{
	unsigned char	*p = buf + 16;
	size_t		 iplen;

	memcpy(buf, proxyproto_v2_sig, sizeof(proxyproto_v2_sig));
	buf[12] = 0x21;		/* version 2, PROXY */
	if (s->family != d->family || s->family == 0) {
		buf[12] = 0x20;	/* LOCAL: the backend uses the real peer */
		buf[13] = 0x00;
		proxyproto_put16(buf + 14, 0);
		return (16);
	}
	if (s->family == AF_UNIX) {
		buf[13] = 0x31;	/* AF_UNIX, stream */
		memset(p, 0, 216);
		memcpy(p, s->path, s->pathlen);
		memcpy(p + 108, d->path, d->pathlen);
		proxyproto_put16(buf + 14, 216);
		return (16 + 216);
	}
	iplen = s->family == AF_INET ? 4 : 16;
	buf[13] = s->family == AF_INET ? 0x11 : 0x21;	/* TCP over v4/v6 */
	memcpy(p, s->ip, iplen);
	memcpy(p + iplen, d->ip, iplen);
	proxyproto_put16(p + 2 * iplen, s->port);
	proxyproto_put16(p + 2 * iplen + 2, d->port);
	proxyproto_put16(buf + 14, 2 * iplen + 4);
	return ((int)(16 + 2 * iplen + 4));
}

int
proxyproto_header(int version, const struct sockaddr *src,
    const struct sockaddr *dst, unsigned char *buf)
{
	struct proxyproto_addr	s, d;

	proxyproto_addr_of(src, &s);
	proxyproto_addr_of(dst, &d);
	if (version == 1)
		return (proxyproto_v1(&s, &d, buf));
	if (version == 2)
		return (proxyproto_v2(&s, &d, buf));
	return (-1);
}
