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
#include "serveropt.h"
#include "sig.h"
#include "sock.h"
#include "sockit.h"

static int	cmd_unix_server_exec(const struct cmd_entry *, int, char **);

static const struct args_opt cmd_unix_server_options[] = {
	{ "dgram", 0, ARGS_NONE, SERVER_OPT_DGRAM, NULL,
	  "serve datagrams (SOCK_DGRAM) instead of a stream" },
	{ "mode", 0, ARGS_REQUIRED, SERVER_OPT_MODE, "OCTAL",
	  "permissions of the socket file (default 0600)" },
	SERVER_HANDLER_OPTIONS,
	SERVER_STREAM_OPTIONS,
	SERVER_BROKER_OPTION,
	SERVER_DUMP_OPTIONS,
	SERVER_FORWARD_OPTIONS,
	TLSOPT_SERVER_OPTIONS,
	TLSOPT_FORWARD_OPTIONS,
	SERVER_READY_FILE_OPTION,
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
cmd_unix_server_open(const struct server_opts *o, const struct addr_unix *a,
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

/* The socket file this server made, removed when it ends. */
struct cmd_unix_state {
	struct addr_unix	a;
	int			made;
};

static int
cmd_unix_server_listen(struct server_opts *o, int argc, char **argv,
    int *lfds, char *where, size_t len, void *state)
{
	struct cmd_unix_state	*st = state;
	char			 err[ADDR_ERR_LEN];

	if (argc != 1) {
		log_error("expected one PATH or @NAME; see 'sockit help "
		    "unix-server'");
		return (SOCKIT_EXIT_USAGE);
	}
	if (addr_parse_unix(argv[0], &st->a, err) == -1) {
		log_error("%s", err);
		return (SOCKIT_EXIT_USAGE);
	}
	if ((lfds[0] = cmd_unix_server_open(o, &st->a, argv[0])) == -1)
		return (SOCKIT_EXIT_RUNTIME);
	st->made = !st->a.abstract;
	snprintf(where, len, "%s", argv[0]);
	return (0);
}

/* The socket file goes with the server (clean exit only). */
static void
cmd_unix_server_cleanup(const struct server_opts *o, void *state)
{
	struct cmd_unix_state	*st = state;

	if (st->made && unlink(st->a.path) == -1 && errno != ENOENT)
		log_syserr("remove %s", st->a.path);
}

static const struct server_cmd cmd_unix_server_cmd = {
	.listen = cmd_unix_server_listen,
	.cleanup = cmd_unix_server_cleanup,
	.dgram = 0,
	.suffix = NULL
};

static int
cmd_unix_server_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct cmd_unix_state	st;

	memset(&st, 0, sizeof(st));
	return (server_cmd_main(self, argc, argv, &cmd_unix_server_cmd, &st));
}
