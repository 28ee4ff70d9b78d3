/*
 * Fuzz target: address, Unix path and CIDR parsing, and CIDR matching
 * against a fixed set of peers.  Input is split at the first NUL.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_match(const struct addr_cidr *c)
{
	struct sockaddr_in	in;
	struct sockaddr_in6	in6;

	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_addr.s_addr = htonl(0x7f000001);
	(void)addr_cidr_match(c, (struct sockaddr *)&in);
	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	(void)inet_pton(AF_INET6, "::ffff:10.1.2.3", &in6.sin6_addr);
	(void)addr_cidr_match(c, (struct sockaddr *)&in6);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr_inet	a;
	struct addr_unix	u;
	struct addr_cidr	c;
	char			err[ADDR_ERR_LEN], *s, *args[2];

	if ((s = malloc(size + 2)) == NULL)
		return (0);
	memcpy(s, data, size);
	s[size] = '\0';
	s[size + 1] = '\0';
	args[0] = s;
	args[1] = s + strlen(s) + (strlen(s) < size ? 1 : 0);
	(void)addr_parse_port(s, err);
	(void)addr_parse_hostport(s, &a, err);
	(void)addr_parse_client(1, args, &a, err);
	(void)addr_parse_client(2, args, &a, err);
	(void)addr_parse_server(1, args, NULL, &a, err);
	(void)addr_parse_server(2, args, NULL, &a, err);
	(void)addr_parse_server(1, args, args[1], &a, err);
	if (addr_parse_unix(s, &u, err) == 0 && u.len >= ADDR_PATH_MAX)
		abort();
	if (addr_parse_cidr(s, &c, err) == 0) {
		if ((c.family == AF_INET && c.prefix > 32) || c.prefix > 128)
			abort();
		fuzz_match(&c);
	}
	free(s);
	return (0);
}
