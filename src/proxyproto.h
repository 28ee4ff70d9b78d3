/*
 * The PROXY protocol header (haproxy's proxy-protocol.txt, versions 1
 * and 2) that a forwarding server sends first, so that the backend
 * learns the client's real address.  Pure formatting: no I/O.
 */
#ifndef SOCKIT_PROXYPROTO_H
#define SOCKIT_PROXYPROTO_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

/* v1 is at most 107 bytes; v2 with Unix addresses 16 + 216. */
#define PROXYPROTO_MAX	232

/*
 * Writes the header of version (1 or 2) for a connection from src to
 * dst (the client's address and the address it connected to) into buf
 * (PROXYPROTO_MAX bytes).  IPv4 addresses in IPv6 form are sent as IPv4;
 * families the version cannot describe become "UNKNOWN" (v1) or a LOCAL
 * command (v2).  Returns the header's length, or -1 on a bad version.
 */
int	proxyproto_header(int, const struct sockaddr *, const struct sockaddr *,
	    unsigned char *);

#endif
