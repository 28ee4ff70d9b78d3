/*
 * The ssh-lite command (not implemented yet).
 */
#include "config.h"

#include "args.h"
#include "log.h"
#include "sockit.h"

static int	cmd_ssh_lite_exec(const struct cmd_entry *, int, char **);

static const struct args_opt cmd_ssh_lite_options[] = {
	{ NULL, 0, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_ssh_lite_entry = {
	.name = "ssh-lite",
	.alias = NULL,
	.usage = "[OPTIONS] ...",
	.summary = "authenticated remote command execution (keygen, server, exec)",
	.options = cmd_ssh_lite_options,
	.exec = cmd_ssh_lite_exec
};

static int
cmd_ssh_lite_nop(void *ctx, int id, const char *arg, char **cause)
{
	return (0);
}

static int
cmd_ssh_lite_exec(const struct cmd_entry *self, int argc, char **argv)
{
	int	first, rc;

	if ((rc = args_parse(self, argc, argv, cmd_ssh_lite_nop, NULL,
	    &first)) != ARGS_OK)
		return (rc == ARGS_HELP ? SOCKIT_EXIT_OK : SOCKIT_EXIT_USAGE);
	log_error("not implemented yet");
	return (SOCKIT_EXIT_RUNTIME);
}
