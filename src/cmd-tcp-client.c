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
#include "clientopt.h"
#include "log.h"
#include "sock.h"
#include "sockit.h"

static int	cmd_tcp_client_exec(const struct cmd_entry *, int, char **);
static int	cmd_tcp_client_run(const struct cmd_entry *, int, char **,
		    struct client_opts *);

static const struct args_opt cmd_tcp_client_options[] = {
	CLIENT_STREAM_OPTIONS,
	CLIENT_TCP_OPTIONS,
	TLSOPT_CLIENT_OPTIONS,
	CLIENT_PROXY_OPTIONS,
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
cmd_tcp_client_run(const struct cmd_entry *self, int argc, char **argv,
    struct client_opts *o)
{
	struct addr_inet	a;
	struct sock_target	t;
	char			target[SOCK_ADDR_LEN];
	int			rc;

	if ((rc = client_parse_inet(self, argc, argv, cmd_tcp_client_opt, o,
	    &a, target, sizeof(target))) != -1)
		return (rc);
	if (o->nscan > 0)
		return (client_scan(o, a.host, 0, SOCK_STREAM));
	memset(&t, 0, sizeof(t));
	t.host = a.host;
	t.port = a.port;
	t.family = o->family;
	t.socktype = SOCK_STREAM;
	t.src_host = o->source;
	t.src_port = o->source_port;
	return (client_main(o, &t, target));
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
