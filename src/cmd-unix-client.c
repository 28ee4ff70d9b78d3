/*
 * Connect to a Unix-domain socket and relay stdin/stdout, or script it;
 * with --dgram, send stdin messages as datagrams and print replies.
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
#include "log.h"
#include "sock.h"
#include "sockit.h"

static int	cmd_unix_client_exec(const struct cmd_entry *, int, char **);
static int	cmd_unix_client_run(const struct cmd_entry *, int, char **,
		    struct client_opts *);

static const struct args_opt cmd_unix_client_options[] = {
	{ "dgram", 0, ARGS_NONE, CLIENT_OPT_DGRAM, NULL,
	  "send datagrams (SOCK_DGRAM) instead of a stream" },
	CLIENT_STREAM_OPTIONS,
	TLSOPT_CLIENT_OPTIONS,
	DGRAM_CLIENT_OPTIONS,
	FRAMEOPT_OPTIONS,
	{ NULL, 0, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_unix_client_entry = {
	.name = "unix-client",
	.alias = NULL,
	.usage = "[OPTIONS] PATH | @NAME",
	.summary = "connect to a Unix-domain socket; relay or script it",
	.options = cmd_unix_client_options,
	.exec = cmd_unix_client_exec
};

static int
cmd_unix_client_opt(void *ctx, int id, const char *arg, char **cause)
{
	return (client_opts_set(ctx, id, arg, cause));
}

static int
cmd_unix_client_run(const struct cmd_entry *self, int argc, char **argv,
    struct client_opts *o)
{
	struct addr_unix	a;
	struct sock_target	t;
	char			err[ADDR_ERR_LEN], *cause = NULL;
	int			first, rc;

	if ((rc = args_parse(self, argc, argv, cmd_unix_client_opt, o,
	    &first)) != ARGS_OK)
		return (rc == ARGS_HELP ? SOCKIT_EXIT_OK : SOCKIT_EXIT_USAGE);
	if (client_opts_finish(o, &cause) == -1) {
		log_error("%s", cause);
		return (SOCKIT_EXIT_USAGE);
	}
	if (argc - first != 1) {
		log_error("expected one PATH or @NAME; see 'sockit help "
		    "unix-client'");
		return (SOCKIT_EXIT_USAGE);
	}
	if (addr_parse_unix(argv[first], &a, err) == -1) {
		log_error("%s", err);
		return (SOCKIT_EXIT_USAGE);
	}
	/* Connecting to a socket of the other type fails with EPROTOTYPE. */
	log_hint(EPROTOTYPE, o->dgram ? "a stream socket? try without --dgram" :
	    "a datagram socket? try --dgram");
	if (o->dgram)
		return (dgram_client_unix(o, &a, argv[first]));
	memset(&t, 0, sizeof(t));
	t.socktype = SOCK_STREAM;
	t.path = &a;
	return (client_main(o, &t, argv[first]));
}

static int
cmd_unix_client_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct client_opts	o;
	int			rc;

	client_opts_init(&o);
	rc = cmd_unix_client_run(self, argc, argv, &o);
	client_opts_free(&o);
	return (rc);
}
