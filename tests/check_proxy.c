/*
 * Unit tests for the proxy codec: SOCKS5 (RFC 1928/1929) and HTTP
 * CONNECT requests byte for byte, and replies fed whole, split at every
 * byte (need more until the last), with the target's first bytes right
 * behind them (never taken as part of the reply).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "proxy.h"

static struct proxy_conf
conf(enum proxy_type t, const char *host, const char *user)
{
	struct proxy_conf	c;

	memset(&c, 0, sizeof(c));
	c.type = t;
	c.host = host;
	c.port = "8080";
	c.user = user;
	c.pass = user != NULL ? "pass" : NULL;
	return (c);
}

START_TEST(test_socks5_requests)
{
	static const unsigned char greet[] = { 5, 1, 0 };
	static const unsigned char greet_auth[] = { 5, 2, 0, 2 };
	static const unsigned char auth[] = { 1, 4, 'u', 's', 'e', 'r', 4,
	    'p', 'a', 's', 's' };
	static const unsigned char byname[] = { 5, 1, 0, 3, 11, 'e', 'x', 'a',
	    'm', 'p', 'l', 'e', '.', 'o', 'r', 'g', 0x1f, 0x90 };
	static const unsigned char byv4[] = { 5, 1, 0, 1, 127, 0, 0, 1, 0x1f,
	    0x90 };
	struct proxy_conf	c = conf(PROXY_SOCKS5, "example.org", NULL);
	unsigned char		b[PROXY_MSG_MAX];

	ck_assert_int_eq(proxy_socks5_greeting(&c, b), sizeof(greet));
	ck_assert_mem_eq(b, greet, sizeof(greet));
	ck_assert_int_eq(proxy_socks5_connect(&c, b), sizeof(byname));
	ck_assert_mem_eq(b, byname, sizeof(byname));
	c = conf(PROXY_SOCKS5, "127.0.0.1", "user");
	ck_assert_int_eq(proxy_socks5_greeting(&c, b), sizeof(greet_auth));
	ck_assert_mem_eq(b, greet_auth, sizeof(greet_auth));
	ck_assert_int_eq(proxy_socks5_auth(&c, b), sizeof(auth));
	ck_assert_mem_eq(b, auth, sizeof(auth));
	ck_assert_int_eq(proxy_socks5_connect(&c, b), sizeof(byv4));
	ck_assert_mem_eq(b, byv4, sizeof(byv4));
	c = conf(PROXY_SOCKS5, "::1", NULL);
	ck_assert_int_eq(proxy_socks5_connect(&c, b), 4 + 16 + 2);
	ck_assert_uint_eq(b[3], 4);
	ck_assert_uint_eq(b[19], 1);
	/* --proxy-dns local: the address resolved here goes out. */
	c = conf(PROXY_SOCKS5, "example.org", NULL);
	c.family = AF_INET;
	memcpy(c.addr, "\x0a\x00\x00\x07", 4);
	ck_assert_int_eq(proxy_socks5_connect(&c, b), 10);
	ck_assert_mem_eq(b + 4, "\x0a\x00\x00\x07", 4);
}
END_TEST

START_TEST(test_socks5_limits)
{
	char			name[300];
	struct proxy_conf	c;
	unsigned char		b[PROXY_MSG_MAX];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	c = conf(PROXY_SOCKS5, name, NULL);
	ck_assert_int_eq(proxy_socks5_connect(&c, b), -1);
	c = conf(PROXY_SOCKS5, "h", name);
	ck_assert_int_eq(proxy_socks5_auth(&c, b), -1);
}
END_TEST

START_TEST(test_socks5_replies)
{
	/* A reply with an IPv4 bound address, then the target's banner. */
	static const unsigned char ok[] = { 5, 0, 0, 1, 10, 0, 0, 1, 0, 80,
	    'S', 'S', 'H', '-' };
	static const unsigned char okname[] = { 5, 0, 0, 3, 3, 'a', 'b', 'c',
	    0, 80, 'x' };
	static const unsigned char refused[] = { 5, 5, 0, 1, 0, 0, 0, 0, 0, 0 };
	struct proxy_conf	c = conf(PROXY_SOCKS5, "h", "user");
	char			why[PROXY_MSG_MAX];
	size_t			i, used;
	int			m;

	for (i = 0; i < 10; i++)
		ck_assert_int_eq(proxy_socks5_reply(ok, i, &used, why),
		    PROXY_NEED_MORE);
	ck_assert_int_eq(proxy_socks5_reply(ok, sizeof(ok), &used, why),
	    PROXY_OK);
	ck_assert_uint_eq(used, 10);
	ck_assert_int_eq(proxy_socks5_reply(okname, 9, &used, why),
	    PROXY_NEED_MORE);
	ck_assert_int_eq(proxy_socks5_reply(okname, sizeof(okname), &used,
	    why), PROXY_OK);
	ck_assert_uint_eq(used, 10);
	ck_assert_int_eq(proxy_socks5_reply(refused, 2, &used, why),
	    PROXY_REFUSED);
	ck_assert_ptr_nonnull(strstr(why, "connection refused"));
	ck_assert_int_eq(proxy_socks5_reply((const unsigned char *)"HTTP", 4,
	    &used, why), PROXY_BAD_REPLY);
	/* Methods and authentication. */
	ck_assert_int_eq(proxy_socks5_method(&c, (const unsigned char *)
	    "\x05\x02", 2, &used, &m, why), PROXY_OK);
	ck_assert_int_eq(m, 2);
	ck_assert_int_eq(proxy_socks5_method(&c, (const unsigned char *)
	    "\x05\xff", 2, &used, &m, why), PROXY_AUTH);
	c.user = NULL;
	ck_assert_int_eq(proxy_socks5_method(&c, (const unsigned char *)
	    "\x05\x02", 2, &used, &m, why), PROXY_BAD_REPLY);
	ck_assert_int_eq(proxy_socks5_method(&c, (const unsigned char *)
	    "\x05\xff", 2, &used, &m, why), PROXY_AUTH);
	ck_assert_ptr_nonnull(strstr(why, "--proxy-auth"));
	ck_assert_int_eq(proxy_socks5_auth_reply((const unsigned char *)
	    "\x01\x00", 2, &used, why), PROXY_OK);
	ck_assert_int_eq(proxy_socks5_auth_reply((const unsigned char *)
	    "\x01\x01", 2, &used, why), PROXY_AUTH);
	ck_assert_int_eq(proxy_socks5_auth_reply((const unsigned char *)
	    "\x01", 1, &used, why), PROXY_NEED_MORE);
}
END_TEST

START_TEST(test_http_request)
{
	struct proxy_conf	c = conf(PROXY_HTTP, "example.org", NULL);
	unsigned char		b[PROXY_MSG_MAX + 1];
	int			n;

	n = proxy_http_connect(&c, b);
	b[n] = '\0';
	ck_assert_str_eq((char *)b, "CONNECT example.org:8080 HTTP/1.1\r\n"
	    "Host: example.org:8080\r\n\r\n");
	c = conf(PROXY_HTTP, "::1", "user");
	n = proxy_http_connect(&c, b);
	b[n] = '\0';
	ck_assert_str_eq((char *)b, "CONNECT [::1]:8080 HTTP/1.1\r\n"
	    "Host: [::1]:8080\r\nProxy-Authorization: Basic dXNlcjpwYXNz\r\n"
	    "\r\n");
}
END_TEST

START_TEST(test_http_replies)
{
	static const char	ok[] = "HTTP/1.1 200 Connection established\r\n"
	    "Proxy-Agent: x\r\n\r\nBANNER";
	char			why[PROXY_MSG_MAX];
	size_t			i, used, head = sizeof(ok) - 1 - 6;

	for (i = 0; i < head; i++)
		ck_assert_int_eq(proxy_http_reply((const unsigned char *)ok, i,
		    &used, why), PROXY_NEED_MORE);
	ck_assert_int_eq(proxy_http_reply((const unsigned char *)ok,
	    sizeof(ok) - 1, &used, why), PROXY_OK);
	ck_assert_uint_eq(used, head);
	ck_assert_int_eq(proxy_http_reply((const unsigned char *)
	    "HTTP/1.0 407 Proxy Authentication Required\r\n\r\n", 46, &used,
	    why), PROXY_AUTH);
	ck_assert_int_eq(proxy_http_reply((const unsigned char *)
	    "HTTP/1.0 401 Unauthorized\r\n\r\n", 29, &used, why), PROXY_AUTH);
	ck_assert_int_eq(proxy_http_reply((const unsigned char *)
	    "HTTP/1.0 502 Bad Gateway\r\n\r\n", 28, &used, why),
	    PROXY_REFUSED);
	ck_assert_ptr_nonnull(strstr(why, "502 Bad Gateway"));
	ck_assert_int_eq(proxy_http_reply((const unsigned char *)
	    "SSH-2.0-x\r\n\r\n", 13, &used, why), PROXY_BAD_REPLY);
	/* Nothing read yet: the buffer may not even be allocated. */
	ck_assert_int_eq(proxy_http_reply(NULL, 0, &used, why),
	    PROXY_NEED_MORE);
	/* The status is three digits inside the line, not read past it. */
	ck_assert_int_eq(proxy_http_reply((const unsigned char *)
	    "HTTP/1.  T\n\x18\r\n\r\n", 16, &used, why), PROXY_BAD_REPLY);
}
END_TEST

START_TEST(test_base64)
{
	char	out[16];

	ck_assert_uint_eq(proxy_base64((const unsigned char *)"", 0, out), 0);
	proxy_base64((const unsigned char *)"f", 1, out);
	ck_assert_str_eq(out, "Zg==");
	proxy_base64((const unsigned char *)"fo", 2, out);
	ck_assert_str_eq(out, "Zm8=");
	proxy_base64((const unsigned char *)"foobar", 6, out);
	ck_assert_str_eq(out, "Zm9vYmFy");
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("proxy");
	TCase	*tc = tcase_create("codec");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_socks5_requests);
	tcase_add_test(tc, test_socks5_limits);
	tcase_add_test(tc, test_socks5_replies);
	tcase_add_test(tc, test_http_request);
	tcase_add_test(tc, test_http_replies);
	tcase_add_test(tc, test_base64);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
