/*
 * Unit tests for the PROXY protocol headers, byte for byte against the
 * examples of haproxy's proxy-protocol.txt.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "proxyproto.h"

static struct sockaddr_storage
v4(const char *ip, unsigned short port)
{
	struct sockaddr_storage	ss;
	struct sockaddr_in	*in = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, ip, &in->sin_addr), 1);
	return (ss);
}

static struct sockaddr_storage
v6(const char *ip, unsigned short port)
{
	struct sockaddr_storage	ss;
	struct sockaddr_in6	*in6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
	return (ss);
}

static struct sockaddr_storage
unixsa(const char *path)
{
	struct sockaddr_storage	ss;
	struct sockaddr_un	*un = (struct sockaddr_un *)&ss;

	memset(&ss, 0, sizeof(ss));
	un->sun_family = AF_UNIX;
	strcpy(un->sun_path, path);
	return (ss);
}

#define SA(x)	((const struct sockaddr *)&(x))

START_TEST(test_v1_inet)
{
	struct sockaddr_storage	s = v4("192.168.0.1", 56324);
	struct sockaddr_storage	d = v4("192.168.0.11", 443);
	struct sockaddr_storage	s6 = v6("ffff:f::1", 4000);
	struct sockaddr_storage	d6 = v6("::1", 80);
	unsigned char		b[PROXYPROTO_MAX + 1];
	int			n;

	n = proxyproto_header(1, SA(s), SA(d), b);
	b[n] = '\0';
	ck_assert_str_eq((char *)b,
	    "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
	n = proxyproto_header(1, SA(s6), SA(d6), b);
	b[n] = '\0';
	ck_assert_str_eq((char *)b, "PROXY TCP6 ffff:f::1 ::1 4000 80\r\n");
}
END_TEST

START_TEST(test_v1_mapped_and_unknown)
{
	struct sockaddr_storage	s = v6("::ffff:10.0.0.7", 1234);
	struct sockaddr_storage	d = v6("::ffff:127.0.0.1", 9000);
	struct sockaddr_storage	u = unixsa("/tmp/x");
	unsigned char		b[PROXYPROTO_MAX + 1];
	int			n;

	n = proxyproto_header(1, SA(s), SA(d), b);
	b[n] = '\0';
	ck_assert_str_eq((char *)b, "PROXY TCP4 10.0.0.7 127.0.0.1 1234 9000\r\n");
	n = proxyproto_header(1, SA(u), SA(u), b);
	b[n] = '\0';
	ck_assert_str_eq((char *)b, "PROXY UNKNOWN\r\n");
	/* The longest v1 header fits. */
	s = v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
	n = proxyproto_header(1, SA(s), SA(s), b);
	ck_assert_int_eq(n, 104);
	ck_assert_int_le(n, 107);
}
END_TEST

START_TEST(test_v2_inet)
{
	static const unsigned char want[] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49,
		0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c,
		192, 168, 0, 1, 192, 168, 0, 11, 0xdc, 0x04, 0x01, 0xbb
	};
	struct sockaddr_storage	s = v4("192.168.0.1", 56324);
	struct sockaddr_storage	d = v4("192.168.0.11", 443);
	struct sockaddr_storage	s6 = v6("2001:db8::1", 1);
	struct sockaddr_storage	d6 = v6("2001:db8::2", 2);
	unsigned char		b[PROXYPROTO_MAX];

	ck_assert_int_eq(proxyproto_header(2, SA(s), SA(d), b), sizeof(want));
	ck_assert_mem_eq(b, want, sizeof(want));
	ck_assert_int_eq(proxyproto_header(2, SA(s6), SA(d6), b), 16 + 36);
	ck_assert_uint_eq(b[13], 0x21);
	ck_assert_uint_eq(b[14] << 8 | b[15], 36);
	ck_assert_uint_eq(b[16 + 15], 1);
	ck_assert_uint_eq(b[16 + 31], 2);
	ck_assert_uint_eq(b[16 + 32] << 8 | b[16 + 33], 1);
	ck_assert_uint_eq(b[16 + 34] << 8 | b[16 + 35], 2);
}
END_TEST

START_TEST(test_v2_unix_and_local)
{
	struct sockaddr_storage	u = unixsa("/run/a"), w = unixsa("/run/b");
	struct sockaddr_storage	s = v4("10.0.0.1", 1);
	unsigned char		b[PROXYPROTO_MAX];

	ck_assert_int_eq(proxyproto_header(2, SA(u), SA(w), b), 16 + 216);
	ck_assert_uint_eq(b[12], 0x21);
	ck_assert_uint_eq(b[13], 0x31);
	ck_assert_str_eq((char *)b + 16, "/run/a");
	ck_assert_str_eq((char *)b + 16 + 108, "/run/b");
	/* Families that differ cannot be described: LOCAL, no address. */
	ck_assert_int_eq(proxyproto_header(2, SA(s), SA(u), b), 16);
	ck_assert_uint_eq(b[12], 0x20);
	ck_assert_uint_eq(b[13], 0x00);
	ck_assert_int_eq(proxyproto_header(3, SA(s), SA(s), b), -1);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("proxyproto");
	TCase	*tc = tcase_create("headers");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_v1_inet);
	tcase_add_test(tc, test_v1_mapped_and_unknown);
	tcase_add_test(tc, test_v2_inet);
	tcase_add_test(tc, test_v2_unix_and_local);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
