/*
 * Serve a Unix-domain socket (a path or an @abstract name), stream by
 * default or datagrams with --dgram, with the handlers of tcp-server.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "args.h"
#include "dgram.h"
#include "log.h"
#include "server.h"
#include "sig.h"
#include "sock.h"
#include "sockit.h"

static int	cmd_unix_server_exec(const struct cmd_entry *, int, char **);
static int	cmd_unix_server_run(const struct cmd_entry *, int, char **,
		    struct server_opts *);

static const struct args_opt cmd_unix_server_options[] = {
	{ "dgram", 0, ARGS_NONE, SERVER_OPT_DGRAM, NULL,
	  "serve datagrams (SOCK_DGRAM) instead of a stream" },
	{ "mode", 0, ARGS_REQUIRED, SERVER_OPT_MODE, "OCTAL",
	  "permissions of the socket file (default 0600)" },
	SERVER_HANDLER_OPTIONS,
	SERVER_STREAM_OPTIONS,
	SERVER_FORWARD_OPTIONS,
	SERVER_BUSY_POLL_OPTION,
	FRAMEOPT_OPTIONS,
	{ NULL, 0, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_unix_server_entry = {
	.name = "unix-server",
	.alias = NULL,
	.usage = "[OPTIONS] PATH | @NAME",
	.summary = "serve a Unix-domain socket (stream or --dgram)",
	.options = cmd_unix_server_options,
	.exec = cmd_unix_server_exec
};

static int
cmd_unix_server_opt(void *ctx, int id, const char *arg, char **cause)
{
	return (server_opts_set(ctx, id, arg, cause));
}

static int
cmd_unix_server_listen(const struct server_opts *o, const struct addr_unix *a,
    const char *name)
{
	char	err[SOCK_ERR_LEN] = "";
	int	fd;

	fd = sock_listen_unix(a, o->dgram ? SOCK_DGRAM : SOCK_STREAM,
	    o->backlog, (int)o->mode, err);
	if (fd != -1)
		return (fd);
	if (errno == EADDRINUSE)
		log_error("listen %s: address in use (a server is running "
		    "there)", name);
	else if (errno == EEXIST)
		log_error("listen %s: exists and is not a socket; not removed",
		    name);
	else
		log_syserr("listen %s", name);
	return (-1);
}

static int
cmd_unix_server_run(const struct cmd_entry *self, int argc, char **argv,
    struct server_opts *o)
{
	struct addr_unix	a;
	char			err[ADDR_ERR_LEN], *cause = NULL;
	int			first, rc, fd;

	if ((rc = args_parse(self, argc, argv, cmd_unix_server_opt, o,
	    &first)) != ARGS_OK)
		return (rc == ARGS_HELP ? SOCKIT_EXIT_OK : SOCKIT_EXIT_USAGE);
	if (server_opts_finish(o, &cause) == -1) {
		log_error("%s", cause);
		return (SOCKIT_EXIT_USAGE);
	}
	o->stats = sockit_config.stats;
	o->fwd.family = sockit_config.family;
	if (argc - first != 1) {
		log_error("expected one PATH or @NAME; see 'sockit help "
		    "unix-server'");
		return (SOCKIT_EXIT_USAGE);
	}
	if (addr_parse_unix(argv[first], &a, err) == -1) {
		log_error("%s", err);
		return (SOCKIT_EXIT_USAGE);
	}
	if (sig_catch_stop() == -1) {
		log_syserr("signals");
		return (SOCKIT_EXIT_RUNTIME);
	}
	if ((fd = cmd_unix_server_listen(o, &a, argv[first])) == -1)
		return (SOCKIT_EXIT_RUNTIME);
	log_info("listening on %s", argv[first]);
	rc = o->dgram ? dgram_serve(o, fd) : server_run(o, &fd, 1);
	/* The socket file goes with the server (clean exit only). */
	if (!a.abstract && unlink(a.path) == -1 && errno != ENOENT)
		log_syserr("remove %s", a.path);
	return (rc);
}

static int
cmd_unix_server_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct server_opts	o;
	int			rc;

	server_opts_init(&o);
	rc = cmd_unix_server_run(self, argc, argv, &o);
	server_opts_free(&o);
	return (rc);
}
