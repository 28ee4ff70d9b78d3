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
#include "sig.h"
#include "sock.h"
#include "sockit.h"
#include "xmalloc.h"

static int	cmd_tcp_server_exec(const struct cmd_entry *, int, char **);
static int	cmd_tcp_server_run(const struct cmd_entry *, int, char **,
		    struct server_opts *);

static const struct args_opt cmd_tcp_server_options[] = {
	{ "bind", 'b', ARGS_REQUIRED, SERVER_OPT_BIND, "HOST",
	  "listen on HOST (default 127.0.0.1; 0.0.0.0 or :: for all)" },
	SERVER_HANDLER_OPTIONS,
	SERVER_STREAM_OPTIONS,
	SERVER_FORWARD_OPTIONS,
	SERVER_INET_OPTIONS,
	SERVER_PORT_FILE_OPTION,
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

static int
cmd_tcp_server_opt(void *ctx, int id, const char *arg, char **cause)
{
	return (server_opts_set(ctx, id, arg, cause));
}

/* Opens one listener per worker on the same port. */
static int
cmd_tcp_server_listen(const struct server_opts *o, const struct addr_inet *a,
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
cmd_tcp_server_run(const struct cmd_entry *self, int argc, char **argv,
    struct server_opts *o)
{
	struct addr_inet	a;
	char			err[ADDR_ERR_LEN], *cause = NULL;
	char			where[SOCK_ADDR_LEN];
	int			first, rc, *lfds;

	if ((rc = args_parse(self, argc, argv, cmd_tcp_server_opt, o,
	    &first)) != ARGS_OK)
		return (rc == ARGS_HELP ? SOCKIT_EXIT_OK : SOCKIT_EXIT_USAGE);
	if (server_opts_finish(o, &cause) == -1) {
		log_error("%s", cause);
		return (SOCKIT_EXIT_USAGE);
	}
	o->stats = sockit_config.stats;
	o->fwd.family = sockit_config.family;
	if (addr_parse_server(argc - first, argv + first, o->bind, &a,
	    err) == -1) {
		log_error("%s", err);
		return (SOCKIT_EXIT_USAGE);
	}
	if (sig_catch_stop() == -1) {
		log_syserr("signals");
		return (SOCKIT_EXIT_RUNTIME);
	}
	lfds = xcalloc((size_t)o->workers, sizeof(*lfds));
	if (cmd_tcp_server_listen(o, &a, lfds) == -1) {
		free(lfds);
		return (SOCKIT_EXIT_RUNTIME);
	}
	sock_local_str(lfds[0], where, sizeof(where));
	log_info("listening on %s", where);
	if (o->port_file != NULL &&
	    server_write_port_file(o->port_file, sock_local_port(lfds[0])) == -1) {
		log_syserr("--port-file %s", o->port_file);
		free(lfds);
		return (SOCKIT_EXIT_RUNTIME);
	}
	rc = server_run(o, lfds, (int)o->workers);
	free(lfds);
	return (rc);
}

static int
cmd_tcp_server_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct server_opts	o;
	int			rc;

	server_opts_init(&o);
	rc = cmd_tcp_server_run(self, argc, argv, &o);
	server_opts_free(&o);
	return (rc);
}
