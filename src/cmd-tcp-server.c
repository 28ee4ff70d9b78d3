/*
 * Serve TCP connections with a handler: echo, upper, discard, stdio,
 * exec or a banner.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "args.h"
#include "log.h"
#include "server.h"
#include "serveropt.h"
#include "sig.h"
#include "sock.h"
#include "sockit.h"
#include "xmalloc.h"

static int	cmd_tcp_server_exec(const struct cmd_entry *, int, char **);

static const struct args_opt cmd_tcp_server_options[] = {
	{ "bind", 'b', ARGS_REQUIRED, SERVER_OPT_BIND, "HOST",
	  "listen on HOST (default 127.0.0.1; 0.0.0.0 or :: for all)" },
	SERVER_HANDLER_OPTIONS,
	SERVER_STREAM_OPTIONS,
	SERVER_BROKER_OPTION,
	SERVER_DUMP_OPTIONS,
	SERVER_FORWARD_OPTIONS,
	TLSOPT_SERVER_OPTIONS,
	TLSOPT_FORWARD_OPTIONS,
	SERVER_INET_OPTIONS,
	SERVER_PORT_FILE_OPTION,
	SERVER_READY_FILE_OPTION,
	SERVER_BUSY_POLL_OPTION,
	FRAMEOPT_OPTIONS,
	{ "keepalive", 0, ARGS_NONE, SERVER_OPT_KEEPALIVE, NULL,
	  "enable TCP keepalive on connections" },
	{ "nodelay", 0, ARGS_NONE, SERVER_OPT_NODELAY, NULL,
	  "disable Nagle's algorithm (TCP_NODELAY)" },
	{ "reuseport", 0, ARGS_NONE, SERVER_OPT_REUSEPORT, NULL,
	  "set SO_REUSEPORT on the listening socket" },
	{ "workers", 0, ARGS_REQUIRED, SERVER_OPT_WORKERS, "N",
	  "N processes sharing the port (SO_REUSEPORT)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_tcp_server_entry = {
	.name = "tcp-server",
	.alias = NULL,
	.usage = "[OPTIONS] [HOST] PORT | HOST:PORT | [V6ADDR]:PORT",
	.summary = "serve TCP connections (echo, upper, discard, stdio, "
	    "exec, banner)",
	.options = cmd_tcp_server_options,
	.exec = cmd_tcp_server_exec
};

/* Opens one listener per worker on the same port. */
static int
cmd_tcp_server_open(const struct server_opts *o, const struct addr_inet *a,
    int *lfds)
{
	struct sock_listen_opts	lo;
	char			err[SOCK_ERR_LEN], port[8];
	long			i;

	memset(&lo, 0, sizeof(lo));
	lo.backlog = o->backlog;
	lo.reuseport = o->reuseport;
	lo.socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%s", a->port);
	for (i = 0; i < o->workers; i++) {
		err[0] = '\0';
		lfds[i] = sock_listen_inet(a->host, port, sockit_config.family,
		    &lo, err);
		if (lfds[i] == -1) {
			/* A name that did not resolve has its own message. */
			if (errno == EHOSTUNREACH && err[0] != '\0')
				log_error("listen %s", err);
			else
				log_syserr("listen %s", err[0] != '\0' ? err :
				    a->host);
			while (--i >= 0)
				(void)close(lfds[i]);
			return (-1);
		}
		/* Later workers must bind the port the first one got. */
		snprintf(port, sizeof(port), "%d", sock_local_port(lfds[0]));
	}
	return (0);
}

static int
cmd_tcp_server_listen(struct server_opts *o, int argc, char **argv,
    int *lfds, char *where, size_t len, void *state)
{
	struct addr_inet	a;
	char			err[ADDR_ERR_LEN];

	if (addr_parse_server(argc, argv, o->bind, &a, err) == -1) {
		log_error("%s", err);
		return (SOCKIT_EXIT_USAGE);
	}
	if (cmd_tcp_server_open(o, &a, lfds) == -1)
		return (SOCKIT_EXIT_RUNTIME);
	sock_local_str(lfds[0], where, len);
	return (0);
}

static const struct server_cmd cmd_tcp_server_cmd = {
	.listen = cmd_tcp_server_listen,
	.cleanup = NULL,
	.dgram = 0,
	.suffix = NULL
};

static int
cmd_tcp_server_exec(const struct cmd_entry *self, int argc, char **argv)
{
	return (server_cmd_main(self, argc, argv, &cmd_tcp_server_cmd, NULL));
}
