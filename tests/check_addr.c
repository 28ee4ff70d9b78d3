/*
 * Unit tests for addr.c: ports, HOST:PORT forms, client and server
 * positionals, Unix paths, CIDR parsing and matching, and ACLs.  Most
 * cases are tables run with tcase_add_loop_test, so a failure names the
 * input that broke.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Marks a table row that must fail. */
#define BAD	(-1)

/* Fills ss with a peer address, AF_INET6 when the text has a colon. */
static void
peer(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strchr(s, ':') != NULL) {
		sin6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, s, &sin6->sin6_addr), 1);
	} else {
		sin->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, s, &sin->sin_addr), 1);
	}
}

/* Parses a block that the test expects to be valid. */
static struct addr_cidr
cidr(const char *s)
{
	struct addr_cidr	c;
	char			err[ADDR_ERR_LEN];

	ck_assert_msg(addr_parse_cidr(s, &c, err) == 0, "%s: %s", s, err);
	return (c);
}

/* Checks a failure: -1, a message containing want, and no crash on NULL. */
static void
check_err(const char *input, const char *err, const char *want)
{
	ck_assert_msg(strstr(err, want) != NULL,
	    "\"%s\": error \"%s\" lacks \"%s\"", input, err, want);
	ck_assert_msg(strchr(err, '\n') == NULL, "\"%s\": multi-line error",
	    input);
}

/* Ports. */

static const struct {
	const char	*in;
	int		 want;
} port_cases[] = {
	{ "0", 0 },
	{ "1", 1 },
	{ "80", 80 },
	{ "65535", 65535 },
	{ "00080", 80 },
	{ "65536", BAD },
	{ "-1", BAD },
	{ "8x", BAD },
	{ "", BAD },
	{ " 80", BAD },
	{ "80 ", BAD },
	{ "+80", BAD },
	{ "0x50", BAD },
	{ "99999999999999999999999", BAD },
	{ "http", 80 },		/* service names, as nc takes them */
	{ "ssh", 22 },
	{ "no-such-service", BAD },
};

START_TEST(test_port_table)
{
	char	err[ADDR_ERR_LEN] = "";
	int	got;

	got = addr_parse_port(port_cases[_i].in, err);
	ck_assert_msg(got == port_cases[_i].want, "\"%s\": got %d, want %d",
	    port_cases[_i].in, got, port_cases[_i].want);
	if (got == BAD) {
		check_err(port_cases[_i].in, err, "port");
		ck_assert_int_eq(addr_parse_port(port_cases[_i].in, NULL), -1);
	}
}
END_TEST

START_TEST(test_port_messages)
{
	char	err[ADDR_ERR_LEN];

	ck_assert_int_eq(addr_parse_port("65536", err), -1);
	ck_assert_str_eq(err, "bad port \"65536\" (expected 0-65535)");
	ck_assert_int_eq(addr_parse_port("-1", err), -1);
	ck_assert_str_eq(err, "bad port \"-1\" (expected 0-65535)");
	ck_assert_int_eq(addr_parse_port("8x", err), -1);
	ck_assert_str_eq(err, "bad port \"8x\" (expected 0-65535)");
}
END_TEST

/* HOST:PORT and [V6]:PORT. */

static const struct {
	const char	*in;
	int		 port;		/* BAD: must fail */
	const char	*host;		/* on success: host; else error part */
} hostport_cases[] = {
	{ "localhost:80", 80, "localhost" },
	{ "127.0.0.1:0", 0, "127.0.0.1" },
	{ "example.com:65535", 65535, "example.com" },
	{ "[::1]:80", 80, "::1" },
	{ "[::]:9000", 9000, "::" },
	{ "[fe80::1%eth0]:22", 22, "fe80::1%eth0" },
	{ "[::ffff:10.0.0.1]:7", 7, "::ffff:10.0.0.1" },
	{ "host:080", 80, "host" },
	{ "host:", BAD, "missing port in \"host:\"" },
	{ ":80", BAD, "missing host in \":80\"" },
	{ "::1:80", BAD, "\"::1:80\": IPv6 address needs brackets, "
	    "e.g. [::1]:80" },
	{ "fe80::1", BAD, "needs brackets and a port, e.g. "
	    "[fe80::1]:80" },
	{ "a:b:c", BAD, "needs brackets, e.g. [::1]:80" },
	{ "host", BAD, "missing port in \"host\"" },
	{ "", BAD, "empty address" },
	{ ":", BAD, "missing host" },
	{ "[::1]", BAD, "missing port in \"[::1]\"" },
	{ "[::1]:", BAD, "missing port in \"[::1]:\"" },
	{ "[::1:80", BAD, "missing \"]\"" },
	{ "[]:80", BAD, "missing host in \"[]:80\"" },
	{ "[::1]x80", BAD, "expected \":PORT\"" },
	{ "[::1]80", BAD, "expected \":PORT\"" },
	{ "[localhost]:80", BAD, "only IPv6" },
	{ "[127.0.0.1]:80", BAD, "only IPv6" },
	{ "[fe80::1%]:80", BAD, "only IPv6" },
	{ "[[::1]]:80", BAD, "misplaced" },
	{ "a]b:80", BAD, "misplaced" },
	{ "host:65536", BAD, "bad port \"65536\"" },
	{ "host:-1", BAD, "bad port \"-1\"" },
	{ "host:8x", BAD, "bad port \"8x\"" },
	{ "[::1]:65536", BAD, "bad port \"65536\"" },
	{ "[::1]:80:81", BAD, "bad port" },
};

START_TEST(test_hostport_table)
{
	struct addr_inet	a;
	char			err[ADDR_ERR_LEN] = "";
	const char		*in = hostport_cases[_i].in;
	int			rc;

	rc = addr_parse_hostport(in, &a, err);
	if (hostport_cases[_i].port == BAD) {
		ck_assert_msg(rc == -1, "\"%s\" parsed", in);
		check_err(in, err, hostport_cases[_i].host);
		ck_assert_int_eq(addr_parse_hostport(in, &a, NULL), -1);
		return;
	}
	ck_assert_msg(rc == 0, "\"%s\": %s", in, err);
	ck_assert_str_eq(a.host, hostport_cases[_i].host);
	ck_assert_int_eq(a.portnum, hostport_cases[_i].port);
}
END_TEST

START_TEST(test_hostport_normalizes_port)
{
	struct addr_inet	a;

	ck_assert_int_eq(addr_parse_hostport("h:00443", &a, NULL), 0);
	ck_assert_str_eq(a.port, "443");
	ck_assert_int_eq(addr_parse_hostport("h:65535", &a, NULL), 0);
	ck_assert_str_eq(a.port, "65535");
}
END_TEST

START_TEST(test_hostport_host_length)
{
	struct addr_inet	a;
	char			in[ADDR_HOST_MAX + 8], err[ADDR_ERR_LEN];

	/* ADDR_HOST_MAX - 1 bytes fit, one more does not. */
	memset(in, 'h', ADDR_HOST_MAX - 1);
	strcpy(in + ADDR_HOST_MAX - 1, ":80");
	ck_assert_int_eq(addr_parse_hostport(in, &a, err), 0);
	ck_assert_uint_eq(strlen(a.host), ADDR_HOST_MAX - 1);

	memset(in, 'h', ADDR_HOST_MAX);
	strcpy(in + ADDR_HOST_MAX, ":80");
	ck_assert_int_eq(addr_parse_hostport(in, &a, err), -1);
	check_err("long", err, "too long");
	/* Long input is cut short in the message, which stays one line. */
	ck_assert_ptr_nonnull(strstr(err, "...\""));
}
END_TEST

START_TEST(test_hostport_control_bytes)
{
	struct addr_inet	a;
	char			err[ADDR_ERR_LEN];

	ck_assert_int_eq(addr_parse_hostport("ho\nst", &a, err), -1);
	check_err("ho\\nst", err, "\"ho?st\"");
}
END_TEST

/* Client positionals. */

static const struct {
	int		 argc;
	const char	*argv[3];
	int		 port;		/* BAD: must fail */
	const char	*host;		/* on success: host; else error part */
} client_cases[] = {
	{ 2, { "localhost", "80" }, 80, "localhost" },
	{ 2, { "192.0.2.1", "1" }, 1, "192.0.2.1" },
	{ 2, { "192.0.2.1", "0" }, BAD, "port 0 cannot be connected to" },
	{ 1, { "host:0" }, BAD, "port 0 cannot be connected to" },
	{ 2, { "::1", "80" }, 80, "::1" },
	{ 2, { "[::1]", "80" }, 80, "::1" },
	{ 2, { "fe80::1%lo", "22" }, 22, "fe80::1%lo" },
	{ 1, { "[::1]:80" }, 80, "::1" },
	{ 1, { "host:80" }, 80, "host" },
	{ 1, { ":80" }, BAD, "missing host in \":80\"" },
	{ 1, { "80" }, BAD, "missing host in \"80\"" },
	{ 1, { "host:" }, BAD, "missing port in \"host:\"" },
	{ 1, { "host" }, BAD, "missing port in \"host\"" },
	{ 1, { "" }, BAD, "empty address" },
	{ 1, { "::1" }, BAD, "needs brackets" },
	{ 1, { "::1:80" }, BAD, "\"::1:80\": IPv6 address needs brackets" },
	{ 2, { "", "80" }, BAD, "missing host" },
	{ 2, { "host", "" }, BAD, "missing port" },
	{ 2, { "host", "65536" }, BAD, "bad port \"65536\"" },
	{ 2, { "host", "-1" }, BAD, "bad port \"-1\"" },
	{ 2, { "host", "8x" }, BAD, "bad port \"8x\"" },
	{ 2, { "host:80", "81" }, BAD, "not both" },
	{ 2, { "[localhost]", "80" }, BAD, "only IPv6" },
	{ 2, { "[::1]:80", "80" }, BAD, "not both" },
	{ 0, { NULL }, BAD, "expected HOST PORT" },
	{ 3, { "a", "1", "2" }, BAD, "expected HOST PORT" },
};

START_TEST(test_client_table)
{
	struct addr_inet	a;
	char			err[ADDR_ERR_LEN] = "";
	const char		*in = client_cases[_i].argv[0];
	int			rc;

	rc = addr_parse_client(client_cases[_i].argc,
	    (char *const *)client_cases[_i].argv, &a, err);
	if (client_cases[_i].port == BAD) {
		ck_assert_msg(rc == -1, "case %d (\"%s\") parsed", _i, in);
		check_err(in != NULL ? in : "(none)", err,
		    client_cases[_i].host);
		return;
	}
	ck_assert_msg(rc == 0, "case %d (\"%s\"): %s", _i, in, err);
	ck_assert_str_eq(a.host, client_cases[_i].host);
	ck_assert_int_eq(a.portnum, client_cases[_i].port);
}
END_TEST

/*
 * Each side states the range it accepts: clients 1-65535 (port 0 reaches
 * nothing), servers 0-65535 (0 picks a free port).
 */
static const struct {
	int		 client;
	int		 argc;
	const char	*argv[2];
	const char	*err;
} range_cases[] = {
	{ 1, 2, { "host", "99999" }, "bad port \"99999\" (expected 1-65535)" },
	{ 1, 2, { "host", "8x" }, "bad port \"8x\" (expected 1-65535)" },
	{ 1, 2, { "host", "" }, "missing port (expected 1-65535)" },
	{ 1, 2, { "host", "0" },
	  "port 0 cannot be connected to (expected 1-65535)" },
	{ 1, 2, { "host", "000" },
	  "port 0 cannot be connected to (expected 1-65535)" },
	{ 1, 1, { "host:0" },
	  "port 0 cannot be connected to (expected 1-65535)" },
	{ 1, 1, { "[::1]:65536" }, "bad port \"65536\" (expected 1-65535)" },
	{ 0, 1, { "99999" }, "bad port \"99999\" (expected 0-65535)" },
	{ 0, 1, { "-1" }, "bad port \"-1\" (expected 0-65535)" },
	{ 0, 1, { "" }, "missing port (expected 0-65535)" },
	{ 0, 1, { "h:65536" }, "bad port \"65536\" (expected 0-65535)" },
	{ 0, 2, { "h", "8x" }, "bad port \"8x\" (expected 0-65535)" },
	{ 0, 2, { "", "65536" }, "bad port \"65536\" (expected 0-65535)" },
};

START_TEST(test_port_range_messages)
{
	struct addr_inet	a;
	char			err[ADDR_ERR_LEN] = "";
	int			rc;

	if (range_cases[_i].client)
		rc = addr_parse_client(range_cases[_i].argc,
		    (char *const *)range_cases[_i].argv, &a, err);
	else
		rc = addr_parse_server(range_cases[_i].argc,
		    (char *const *)range_cases[_i].argv, NULL, &a, err);
	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(err, range_cases[_i].err);
}
END_TEST

/* Server positionals and -b. */

static const struct {
	int		 argc;
	const char	*argv[3];
	const char	*bind;
	int		 port;		/* BAD: must fail */
	const char	*host;		/* on success: host; else error part */
} server_cases[] = {
	{ 1, { "80" }, NULL, 80, "" },
	{ 1, { "0" }, NULL, 0, "" },
	{ 1, { ":80" }, NULL, 80, "" },
	{ 1, { "127.0.0.1:80" }, NULL, 80, "127.0.0.1" },
	{ 1, { "[::1]:80" }, NULL, 80, "::1" },
	{ 1, { "[::]:0" }, NULL, 0, "::" },
	{ 2, { "::1", "80" }, NULL, 80, "::1" },
	{ 2, { "::", "80" }, NULL, 80, "::" },
	{ 2, { "[::1]", "80" }, NULL, 80, "::1" },
	{ 2, { "localhost", "8080" }, NULL, 8080, "localhost" },
	{ 2, { "", "80" }, NULL, 80, "" },
	{ 1, { "80" }, "0.0.0.0", 80, "0.0.0.0" },
	{ 1, { ":80" }, "::", 80, "::" },
	{ 1, { "80" }, "[::1]", 80, "::1" },
	{ 2, { "", "80" }, "localhost", 80, "localhost" },
	{ 2, { "127.0.0.1", "80" }, "0.0.0.0", BAD, "host given twice" },
	{ 1, { "127.0.0.1:80" }, "::", BAD, "host given twice" },
	{ 1, { "80" }, "", BAD, "empty -b" },
	{ 1, { "80" }, "1.2.3.4:80", BAD, "not both" },
	{ 1, { "80" }, "[localhost]", BAD, "only IPv6" },
	{ 1, { "65536" }, NULL, BAD, "bad port \"65536\"" },
	{ 1, { "-1" }, NULL, BAD, "bad port \"-1\"" },
	{ 1, { "8x" }, NULL, BAD, "bad port \"8x\"" },
	{ 1, { "" }, NULL, BAD, "missing port" },
	{ 1, { "localhost" }, NULL, BAD, "missing port in \"localhost\"" },
	{ 1, { "host:" }, NULL, BAD, "missing port in \"host:\"" },
	{ 1, { ":" }, NULL, BAD, "missing port" },
	{ 1, { "::1:80" }, NULL, BAD, "needs brackets" },
	{ 1, { "[::1]" }, NULL, BAD, "missing port" },
	{ 2, { "host", "http" }, NULL, 80, "host" },
	{ 2, { "host", "nosuchsvc" }, NULL, BAD, "unknown service \"nosuchsvc\"" },
	{ 0, { NULL }, NULL, BAD, "expected [HOST] PORT" },
	{ 3, { "a", "1", "2" }, NULL, BAD, "expected [HOST] PORT" },
};

START_TEST(test_server_table)
{
	struct addr_inet	a;
	char			err[ADDR_ERR_LEN] = "";
	const char		*in = server_cases[_i].argv[0];
	int			rc;

	rc = addr_parse_server(server_cases[_i].argc,
	    (char *const *)server_cases[_i].argv, server_cases[_i].bind, &a,
	    err);
	if (server_cases[_i].port == BAD) {
		ck_assert_msg(rc == -1, "case %d (\"%s\") parsed", _i, in);
		check_err(in != NULL ? in : "(none)", err,
		    server_cases[_i].host);
		return;
	}
	ck_assert_msg(rc == 0, "case %d (\"%s\"): %s", _i, in, err);
	ck_assert_str_eq(a.host, server_cases[_i].host);
	ck_assert_int_eq(a.portnum, server_cases[_i].port);
}
END_TEST

/* Unix paths and abstract names. */

START_TEST(test_unix_path)
{
	struct addr_unix	u;

	ck_assert_int_eq(addr_parse_unix("/tmp/sockit.sock", &u, NULL), 0);
	ck_assert_int_eq(u.abstract, 0);
	ck_assert_uint_eq(u.len, strlen("/tmp/sockit.sock"));
	ck_assert_str_eq(u.path, "/tmp/sockit.sock");

	ck_assert_int_eq(addr_parse_unix("rel.sock", &u, NULL), 0);
	ck_assert_str_eq(u.path, "rel.sock");
}
END_TEST

START_TEST(test_unix_abstract)
{
	struct addr_unix	u;
	char			err[ADDR_ERR_LEN];

	ck_assert_int_eq(addr_parse_unix("@name", &u, err), 0);
	ck_assert_int_eq(u.abstract, 1);
	ck_assert_uint_eq(u.len, 4);
	ck_assert_mem_eq(u.path, "name", 4);

	ck_assert_int_eq(addr_parse_unix("@", &u, err), -1);
	check_err("@", err, "\"@\"");
	ck_assert_int_eq(addr_parse_unix("", &u, err), -1);
	check_err("", err, "empty");
}
END_TEST

/* _i is the extra length over the limit: 0 fits, 1 does not. */
START_TEST(test_unix_length)
{
	struct addr_unix	u;
	char			in[ADDR_PATH_MAX + 2], err[ADDR_ERR_LEN];
	size_t			len = ADDR_PATH_MAX - 1 + (size_t)_i;
	int			rc;

	memset(in, 'p', len);
	in[0] = '/';
	in[len] = '\0';
	rc = addr_parse_unix(in, &u, err);
	if (_i == 0) {
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_eq(u.len, 107);
		ck_assert_uint_eq(strlen(u.path), 107);
	} else {
		ck_assert_int_eq(rc, -1);
		check_err("long path", err,
		    "Unix socket path too long (max 107 bytes)");
	}

	/* An abstract name gets the same 107 bytes after the "@". */
	in[0] = '@';
	memset(in + 1, 'a', len);
	in[len + 1] = '\0';
	rc = addr_parse_unix(in, &u, err);
	ck_assert_int_eq(rc, _i == 0 ? 0 : -1);
	if (_i == 0)
		ck_assert_uint_eq(u.len, 107);
}
END_TEST

/* CIDR parsing. */

static const struct {
	const char	*in;
	int		 family;	/* 0: must fail */
	unsigned	 prefix;
	const char	*net;
} cidr_cases[] = {
	{ "10.0.0.0/8", AF_INET, 8, "10.0.0.0" },
	{ "10.1.2.3/8", AF_INET, 8, "10.0.0.0" },
	{ "10.200.0.0/9", AF_INET, 9, "10.128.0.0" },
	{ "192.168.1.255/25", AF_INET, 25, "192.168.1.128" },
	{ "192.0.2.7", AF_INET, 32, "192.0.2.7" },
	{ "192.0.2.7/32", AF_INET, 32, "192.0.2.7" },
	{ "0.0.0.0/0", AF_INET, 0, "0.0.0.0" },
	{ "10.255.255.255/0", AF_INET, 0, "0.0.0.0" },
	{ "10.0.0.0/08", AF_INET, 8, "10.0.0.0" },
	{ "::1/128", AF_INET6, 128, "::1" },
	{ "::1", AF_INET6, 128, "::1" },
	{ "::/0", AF_INET6, 0, "::" },
	{ "ffff::1/0", AF_INET6, 0, "::" },
	{ "2001:db8::1/32", AF_INET6, 32, "2001:db8::" },
	{ "fe80::1/10", AF_INET6, 10, "fe80::" },
	{ "febf:ffff::/10", AF_INET6, 10, "fe80::" },
	{ "::ffff:10.1.2.3/104", AF_INET6, 104, "::ffff:10.0.0.0" },
	{ "10.0.0.0/33", 0, 0, "bad prefix length" },
	{ "::/129", 0, 0, "expected 0-128" },
	{ "10.0.0.0/", 0, 0, "bad prefix length" },
	{ "10.0.0.0/-1", 0, 0, "bad prefix length" },
	{ "10.0.0.0/+8", 0, 0, "bad prefix length" },
	{ "10.0.0.0/8x", 0, 0, "bad prefix length" },
	{ "10.0.0.0/ 8", 0, 0, "bad prefix length" },
	{ "10.0.0.0/8/8", 0, 0, "bad prefix length" },
	{ "10.0.0.0/99999999999999999999", 0, 0, "bad prefix length" },
	{ "garbage", 0, 0, "bad network \"garbage\"" },
	{ "", 0, 0, "bad network" },
	{ "/8", 0, 0, "bad network" },
	{ "10.0.0/8", 0, 0, "bad network" },
	{ "10/8", 0, 0, "bad network" },
	{ "256.0.0.0/8", 0, 0, "bad network" },
	{ " 10.0.0.0/8", 0, 0, "bad network" },
	{ "fe80::1%eth0/64", 0, 0, "bad network" },
	{ "1:2:3:4:5:6:7:8:9/64", 0, 0, "bad network" },
};

START_TEST(test_cidr_parse_table)
{
	struct addr_cidr	c;
	char			err[ADDR_ERR_LEN] = "", net[INET6_ADDRSTRLEN];
	const char		*in = cidr_cases[_i].in;

	if (cidr_cases[_i].family == 0) {
		ck_assert_msg(addr_parse_cidr(in, &c, err) == -1,
		    "\"%s\" parsed", in);
		check_err(in, err, cidr_cases[_i].net);
		ck_assert_int_eq(addr_parse_cidr(in, &c, NULL), -1);
		return;
	}
	ck_assert_msg(addr_parse_cidr(in, &c, err) == 0, "\"%s\": %s", in,
	    err);
	ck_assert_int_eq(c.family, cidr_cases[_i].family);
	ck_assert_uint_eq(c.prefix, cidr_cases[_i].prefix);
	ck_assert_ptr_nonnull(inet_ntop(c.family, c.net, net, sizeof(net)));
	ck_assert_msg(strcmp(net, cidr_cases[_i].net) == 0,
	    "\"%s\": network %s, want %s", in, net, cidr_cases[_i].net);
}
END_TEST

/* CIDR matching. */

static const struct {
	const char	*block;
	const char	*peer;
	int		 want;
} match_cases[] = {
	/* IPv4 blocks, IPv4 peers. */
	{ "10.0.0.0/8", "10.1.2.3", 1 },
	{ "10.0.0.0/8", "10.255.255.255", 1 },
	{ "10.0.0.0/8", "11.0.0.1", 0 },
	{ "10.0.0.0/8", "9.255.255.255", 0 },
	{ "192.168.1.0/25", "192.168.1.127", 1 },
	{ "192.168.1.0/25", "192.168.1.128", 0 },
	{ "10.128.0.0/9", "10.200.1.1", 1 },
	{ "10.128.0.0/9", "10.127.1.1", 0 },
	{ "192.0.2.7/32", "192.0.2.7", 1 },
	{ "192.0.2.7/32", "192.0.2.6", 0 },
	{ "192.0.2.7", "192.0.2.7", 1 },
	{ "0.0.0.0/0", "203.0.113.9", 1 },
	{ "0.0.0.0/0", "255.255.255.255", 1 },
	/* IPv4 blocks, IPv4-mapped IPv6 peers match as IPv4. */
	{ "10.0.0.0/8", "::ffff:10.1.2.3", 1 },
	{ "10.0.0.0/8", "::ffff:11.1.2.3", 0 },
	{ "192.0.2.7/32", "::ffff:192.0.2.7", 1 },
	{ "0.0.0.0/0", "::ffff:1.2.3.4", 1 },
	/* IPv4 blocks never match other IPv6 peers. */
	{ "10.0.0.0/8", "::10.1.2.3", 0 },
	{ "10.0.0.0/8", "2001:db8::a01:203", 0 },
	{ "0.0.0.0/0", "::1", 0 },
	{ "0.0.0.0/0", "::", 0 },
	{ "127.0.0.1/32", "::1", 0 },
	/* IPv6 blocks, IPv6 peers. */
	{ "::1/128", "::1", 1 },
	{ "::1/128", "::2", 0 },
	{ "::1", "::1", 1 },
	{ "::/0", "::1", 1 },
	{ "::/0", "2001:db8::1", 1 },
	{ "2001:db8::/32", "2001:db8:ffff::1", 1 },
	{ "2001:db8::/32", "2001:db9::1", 0 },
	{ "fe80::/10", "fe80::1", 1 },
	{ "fe80::/10", "febf::1", 1 },
	{ "fe80::/10", "fec0::1", 0 },
	{ "2001:db8::1/127", "2001:db8::", 1 },
	{ "2001:db8::1/127", "2001:db8::2", 0 },
	/* IPv6 blocks, IPv4 peers match as ::ffff:a.b.c.d. */
	{ "::ffff:0:0/96", "10.1.2.3", 1 },
	{ "::ffff:0:0/96", "::ffff:10.1.2.3", 1 },
	{ "::ffff:0:0/96", "::1", 0 },
	{ "::ffff:10.0.0.0/104", "10.1.2.3", 1 },
	{ "::ffff:10.0.0.0/104", "11.1.2.3", 0 },
	{ "::ffff:192.0.2.7/128", "192.0.2.7", 1 },
	{ "::/0", "10.0.0.1", 1 },
	{ "::1/128", "127.0.0.1", 0 },
	{ "2001:db8::/32", "10.0.0.1", 0 },
	{ "::/96", "10.0.0.1", 0 },
};

START_TEST(test_cidr_match_table)
{
	struct addr_cidr	c = cidr(match_cases[_i].block);
	struct sockaddr_storage	ss;

	peer(match_cases[_i].peer, &ss);
	ck_assert_msg(addr_cidr_match(&c, (struct sockaddr *)&ss) ==
	    match_cases[_i].want, "%s in %s: want %d", match_cases[_i].peer,
	    match_cases[_i].block, match_cases[_i].want);
}
END_TEST

START_TEST(test_cidr_match_other_family)
{
	struct addr_cidr	c4 = cidr("0.0.0.0/0"), c6 = cidr("::/0");
	struct sockaddr_un	sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_int_eq(addr_cidr_match(&c4, (struct sockaddr *)&sun), 0);
	ck_assert_int_eq(addr_cidr_match(&c6, (struct sockaddr *)&sun), 0);
	ck_assert_int_eq(addr_cidr_match(&c4, NULL), 0);
}
END_TEST

/* ACLs. */

static int
permits(const struct addr_acl *acl, const char *s)
{
	struct sockaddr_storage	ss;

	peer(s, &ss);
	return (addr_acl_permits(acl, (struct sockaddr *)&ss));
}

START_TEST(test_acl_empty)
{
	struct addr_acl	acl = { NULL, 0, NULL, 0 };

	ck_assert_int_eq(permits(&acl, "192.0.2.1"), 1);
	ck_assert_int_eq(permits(&acl, "2001:db8::1"), 1);
	ck_assert_int_eq(permits(NULL, "192.0.2.1"), 1);
}
END_TEST

START_TEST(test_acl_allow)
{
	struct addr_cidr	allow[2];
	struct addr_acl		acl = { allow, 2, NULL, 0 };

	allow[0] = cidr("10.0.0.0/8");
	allow[1] = cidr("2001:db8::/32");
	ck_assert_int_eq(permits(&acl, "10.1.2.3"), 1);
	ck_assert_int_eq(permits(&acl, "::ffff:10.1.2.3"), 1);
	ck_assert_int_eq(permits(&acl, "2001:db8::7"), 1);
	/* Any allow entry makes everything else a deny. */
	ck_assert_int_eq(permits(&acl, "192.0.2.1"), 0);
	ck_assert_int_eq(permits(&acl, "::1"), 0);
}
END_TEST

START_TEST(test_acl_deny)
{
	struct addr_cidr	deny[1];
	struct addr_acl		acl = { NULL, 0, deny, 1 };

	deny[0] = cidr("192.0.2.0/24");
	ck_assert_int_eq(permits(&acl, "192.0.2.9"), 0);
	ck_assert_int_eq(permits(&acl, "::ffff:192.0.2.9"), 0);
	ck_assert_int_eq(permits(&acl, "198.51.100.1"), 1);
	ck_assert_int_eq(permits(&acl, "::1"), 1);
}
END_TEST

START_TEST(test_acl_deny_wins)
{
	struct addr_cidr	allow[1], deny[2];
	struct addr_acl		acl = { allow, 1, deny, 2 };

	allow[0] = cidr("10.0.0.0/8");
	deny[0] = cidr("10.9.0.0/16");
	deny[1] = cidr("10.1.2.3");
	ck_assert_int_eq(permits(&acl, "10.1.1.1"), 1);
	ck_assert_int_eq(permits(&acl, "10.9.1.1"), 0);
	ck_assert_int_eq(permits(&acl, "10.1.2.3"), 0);
	ck_assert_int_eq(permits(&acl, "::ffff:10.9.1.1"), 0);
	ck_assert_int_eq(permits(&acl, "172.16.0.1"), 0);

	/* The same block allowed and denied is denied. */
	deny[0] = cidr("10.0.0.0/8");
	acl.ndeny = 1;
	ck_assert_int_eq(permits(&acl, "10.1.1.1"), 0);
}
END_TEST

static Suite *
addr_suite(void)
{
	Suite	*s = suite_create("addr");
	TCase	*tc;

	tc = tcase_create("port");
	tcase_add_loop_test(tc, test_port_table, 0, NELEM(port_cases));
	tcase_add_test(tc, test_port_messages);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostport");
	tcase_add_loop_test(tc, test_hostport_table, 0,
	    NELEM(hostport_cases));
	tcase_add_test(tc, test_hostport_normalizes_port);
	tcase_add_test(tc, test_hostport_host_length);
	tcase_add_test(tc, test_hostport_control_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("client-positionals");
	tcase_add_loop_test(tc, test_client_table, 0, NELEM(client_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("server-positionals");
	tcase_add_loop_test(tc, test_server_table, 0, NELEM(server_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("port-ranges");
	tcase_add_loop_test(tc, test_port_range_messages, 0,
	    NELEM(range_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("unix");
	tcase_add_test(tc, test_unix_path);
	tcase_add_test(tc, test_unix_abstract);
	tcase_add_loop_test(tc, test_unix_length, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("cidr-parse");
	tcase_add_loop_test(tc, test_cidr_parse_table, 0, NELEM(cidr_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("cidr-match");
	tcase_add_loop_test(tc, test_cidr_match_table, 0, NELEM(match_cases));
	tcase_add_test(tc, test_cidr_match_other_family);
	suite_add_tcase(s, tc);

	tc = tcase_create("acl");
	tcase_add_test(tc, test_acl_empty);
	tcase_add_test(tc, test_acl_allow);
	tcase_add_test(tc, test_acl_deny);
	tcase_add_test(tc, test_acl_deny_wins);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(addr_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed ? 1 : 0);
}
