/*
 * The unix-server command (not implemented yet).
 */
#include "config.h"

#include "args.h"
#include "log.h"
#include "sockit.h"

static int	cmd_unix_server_exec(const struct cmd_entry *, int, char **);

static const struct args_opt cmd_unix_server_options[] = {
	{ NULL, 0, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_unix_server_entry = {
	.name = "unix-server",
	.alias = NULL,
	.usage = "[OPTIONS] ...",
	.summary = "serve a Unix-domain socket (stream or --dgram)",
	.options = cmd_unix_server_options,
	.exec = cmd_unix_server_exec
};

static int
cmd_unix_server_nop(void *ctx, int id, const char *arg, char **cause)
{
	return (0);
}

static int
cmd_unix_server_exec(const struct cmd_entry *self, int argc, char **argv)
{
	int	first, rc;

	if ((rc = args_parse(self, argc, argv, cmd_unix_server_nop, NULL,
	    &first)) != ARGS_OK)
		return (rc == ARGS_HELP ? SOCKIT_EXIT_OK : SOCKIT_EXIT_USAGE);
	log_error("not implemented yet");
	return (SOCKIT_EXIT_RUNTIME);
}
