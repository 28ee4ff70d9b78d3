/*
 * The udp-client command (not implemented yet).
 */
#include "config.h"

#include "args.h"
#include "log.h"
#include "sockit.h"

static int	cmd_udp_client_exec(const struct cmd_entry *, int, char **);

static const struct args_opt cmd_udp_client_options[] = {
	{ NULL, 0, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_udp_client_entry = {
	.name = "udp-client",
	.alias = NULL,
	.usage = "[OPTIONS] ...",
	.summary = "send stdin messages as UDP datagrams, print replies",
	.options = cmd_udp_client_options,
	.exec = cmd_udp_client_exec
};

static int
cmd_udp_client_nop(void *ctx, int id, const char *arg, char **cause)
{
	return (0);
}

static int
cmd_udp_client_exec(const struct cmd_entry *self, int argc, char **argv)
{
	int	first, rc;

	if ((rc = args_parse(self, argc, argv, cmd_udp_client_nop, NULL,
	    &first)) != ARGS_OK)
		return (rc == ARGS_HELP ? SOCKIT_EXIT_OK : SOCKIT_EXIT_USAGE);
	log_error("not implemented yet");
	return (SOCKIT_EXIT_RUNTIME);
}
