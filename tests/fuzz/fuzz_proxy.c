/*
 * Fuzz target: the proxy reply parsers (SOCKS5 method, authentication
 * and connect replies, HTTP CONNECT reply heads), fed bytes a hostile
 * proxy could send.  Every verdict must stay within the input, and a
 * reply that is whole must say how long it was.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_check(enum proxy_result rc, size_t used, size_t size)
{
	if (rc == PROXY_OK && (used == 0 || used > size))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_conf	c;
	char			why[PROXY_MSG_MAX];
	enum proxy_result	rc;
	size_t			used;
	int			method;

	memset(&c, 0, sizeof(c));
	c.host = "example.org";
	c.port = "80";
	used = 0;
	rc = proxy_socks5_method(&c, data, size, &used, &method, why);
	fuzz_check(rc, used, size);
	c.user = "u";
	c.pass = "p";
	used = 0;
	rc = proxy_socks5_method(&c, data, size, &used, &method, why);
	fuzz_check(rc, used, size);
	used = 0;
	rc = proxy_socks5_auth_reply(data, size, &used, why);
	fuzz_check(rc, used, size);
	used = 0;
	rc = proxy_socks5_reply(data, size, &used, why);
	fuzz_check(rc, used, size);
	used = 0;
	rc = proxy_http_reply(data, size, &used, why);
	fuzz_check(rc, used, size);
	return (0);
}
