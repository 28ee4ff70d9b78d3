/*
 * Connect to a TCP server and relay stdin/stdout, or run --send/--expect.
 */
#include "config.h"

#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "args.h"
#include "client.h"
#include "log.h"
#include "sock.h"
#include "sockit.h"

static int	cmd_tcp_client_exec(const struct cmd_entry *, int, char **);
static int	cmd_tcp_client_run(const struct cmd_entry *, int, char **,
		    struct client_opts *);

static const struct args_opt cmd_tcp_client_options[] = {
	CLIENT_STREAM_OPTIONS,
	FRAMEOPT_OPTIONS,
	{ NULL, 0, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_tcp_client_entry = {
	.name = "tcp-client",
	.alias = NULL,
	.usage = "[OPTIONS] HOST PORT | HOST:PORT | [V6ADDR]:PORT",
	.summary = "connect to a TCP server; relay stdin/stdout or script it",
	.options = cmd_tcp_client_options,
	.exec = cmd_tcp_client_exec
};

static int
cmd_tcp_client_opt(void *ctx, int id, const char *arg, char **cause)
{
	return (client_opts_set(ctx, id, arg, cause));
}

static int
cmd_tcp_client_connect(void *arg, int timeout_ms, char *err)
{
	const struct addr_inet	*a = arg;

	return (sock_connect_inet(a->host, a->port, sockit_config.family,
	    SOCK_STREAM, timeout_ms, err));
}

static int
cmd_tcp_client_run(const struct cmd_entry *self, int argc, char **argv,
    struct client_opts *o)
{
	struct addr_inet	a;
	char			target[SOCK_ADDR_LEN];
	int			rc, fd;

	if ((rc = client_parse_inet(self, argc, argv, cmd_tcp_client_opt, o,
	    &a, target, sizeof(target))) != -1)
		return (rc);
	if ((fd = client_connect(o, cmd_tcp_client_connect, &a, target,
	    &rc)) == -1)
		return (rc);
	log_event(LOG_VERBOSE, "connected", target, NULL, NULL);
	return (client_run(o, fd));
}

static int
cmd_tcp_client_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct client_opts	o;
	int			rc;

	client_opts_init(&o);
	rc = cmd_tcp_client_run(self, argc, argv, &o);
	client_opts_free(&o);
	return (rc);
}
