/*
 * Send stdin messages (a line each by default) as UDP datagrams and print
 * each reply as a line.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "args.h"
#include "client.h"
#include "clientopt.h"
#include "dgram.h"
#include "exitcode.h"
#include "log.h"
#include "sock.h"
#include "sockit.h"

static int	cmd_udp_client_exec(const struct cmd_entry *, int, char **);
static int	cmd_udp_client_run(const struct cmd_entry *, int, char **,
		    struct client_opts *);

static const struct args_opt cmd_udp_client_options[] = {
	{ "send", 0, ARGS_REQUIRED, CLIENT_OPT_SEND, "TEXT",
	  "send TEXT (escapes decoded) as a datagram instead of stdin" },
	{ "wait-for", 0, ARGS_REQUIRED, CLIENT_OPT_WAIT_FOR, "SEC",
	  "resend the first datagram while the port is unreachable" },
	{ "connect-timeout", 'w', ARGS_REQUIRED, CLIENT_OPT_CONNECT_TIMEOUT,
	  "SEC", "-z: a silent port counts as open after SEC (default 0.5)" },
	{ NULL, 'z', ARGS_NONE, CLIENT_OPT_ZERO, NULL,
	  "only check that the port is not unreachable (ICMP)" },
	DGRAM_CLIENT_OPTIONS,
	FRAMEOPT_DGRAM_OPTIONS,
	{ NULL, 0, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_udp_client_entry = {
	.name = "udp-client",
	.alias = NULL,
	.usage = "[OPTIONS] HOST PORT | HOST:PORT | [V6ADDR]:PORT",
	.summary = "send stdin messages as UDP datagrams, print replies",
	.options = cmd_udp_client_options,
	.exec = cmd_udp_client_exec
};

static int
cmd_udp_client_opt(void *ctx, int id, const char *arg, char **cause)
{
	return (client_opts_set(ctx, id, arg, cause));
}

static int
cmd_udp_client_run(const struct cmd_entry *self, int argc, char **argv,
    struct client_opts *o)
{
	struct addr_inet	a;
	char			err[SOCK_ERR_LEN], target[SOCK_ADDR_LEN];
	int			rc, fd;

	if ((rc = client_parse_inet(self, argc, argv, cmd_udp_client_opt, o,
	    &a, target, sizeof(target))) != -1)
		return (rc);
	if (o->zero_io)
		return (client_scan(o, a.host, a.portnum, SOCK_DGRAM));
	err[0] = '\0';
	/* A connected socket: ICMP port unreachable becomes ECONNREFUSED. */
	if ((fd = sock_connect_inet(a.host, a.port, sockit_config.family,
	    SOCK_DGRAM, 0, err)) == -1) {
		if (err[0] != '\0')
			log_error("connect %s: %s", target, err);
		else
			log_syserr("connect %s", target);
		return (exitcode_for_errno(errno));
	}
	return (dgram_client(o, fd));
}

static int
cmd_udp_client_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct client_opts	o;
	int			rc;

	client_opts_init(&o);
	rc = cmd_udp_client_run(self, argc, argv, &o);
	client_opts_free(&o);
	return (rc);
}
