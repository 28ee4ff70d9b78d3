/*
 * sockit: global options, the command table and dispatch.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "log.h"
#include "sockit.h"

static const struct cmd_entry *const cmd_table[] = {
	&cmd_tcp_server_entry,
	&cmd_tcp_client_entry,
	&cmd_udp_server_entry,
	&cmd_udp_client_entry,
	&cmd_unix_server_entry,
	&cmd_unix_client_entry,
	&cmd_ssh_lite_entry,
	NULL
};

/*
 * Finds a command by exact name, alias, then unique prefix.  Returns NULL
 * and prints the reason (unknown, or the ambiguous candidates).
 */
static const struct cmd_entry *
cmd_find(const char *name)
{
	const struct cmd_entry	*found = NULL;
	size_t			 i, len = strlen(name);
	int			 ambiguous = 0;
	char			 list[256] = "";

	for (i = 0; cmd_table[i] != NULL; i++) {
		if (strcmp(cmd_table[i]->name, name) == 0 ||
		    (cmd_table[i]->alias != NULL &&
		    strcmp(cmd_table[i]->alias, name) == 0))
			return (cmd_table[i]);
	}
	for (i = 0; len > 0 && cmd_table[i] != NULL; i++) {
		if (strncmp(cmd_table[i]->name, name, len) != 0)
			continue;
		if (found != NULL)
			ambiguous = 1;
		found = cmd_table[i];
		if (strlen(list) + strlen(found->name) + 2 < sizeof(list)) {
			strcat(list, list[0] != '\0' ? ", " : "");
			strcat(list, found->name);
		}
	}
	if (ambiguous) {
		log_error("ambiguous command \"%s\": %s", name, list);
		return (NULL);
	}
	if (found == NULL)
		log_error("unknown command \"%s\"; see 'sockit --help'", name);
	return (found);
}

/*
 * Opens /dev/null on each of fds 0, 1 and 2 that is closed, so that no
 * socket opened later becomes stdin, stdout or stderr (sockit host port
 * <&- must read an empty stdin, not its own socket).  They stay
 * inheritable: they are the stdio of --exec children.  Returns 0 or -1.
 */
static int
sockit_open_stdio(void)
{
	int	fd;

	for (fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* The lowest free fd is this one: those below are open. */
		if (open("/dev/null", O_RDWR) != fd)
			return (-1);
	}
	return (0);
}

/* "sockit help [COMMAND]". */
static int
cmd_help(int argc, char **argv)
{
	const struct cmd_entry	*entry;
	char			*sub[4], help[] = "--help";
	int			 n = 0;

	if (argc < 2) {
		args_usage_global(stdout, cmd_table);
		return (SOCKIT_EXIT_OK);
	}
	if ((entry = cmd_find(argv[1])) == NULL)
		return (SOCKIT_EXIT_USAGE);
	/*
	 * The command prints its own help, so "help CMD" and "CMD --help"
	 * are one text (and "help ssh-lite exec" reaches the subcommand).
	 */
	sub[n++] = argv[1];
	if (argc > 2)
		sub[n++] = argv[2];
	sub[n++] = help;
	sub[n] = NULL;
	log_set_command(entry->name);
	return (entry->exec(entry, n, sub));
}

int
main(int argc, char **argv)
{
	const struct cmd_entry	*entry;
	int			 first, help, version;

	if (sockit_open_stdio() == -1) {
		log_syserr("open /dev/null");
		return (SOCKIT_EXIT_RUNTIME);
	}
	/* A vanished peer must be an EPIPE error, never a silent death. */
	signal(SIGPIPE, SIG_IGN);

	if (args_parse_global(argc, argv, &first, &help, &version) != ARGS_OK)
		return (SOCKIT_EXIT_USAGE);
	if (version) {
		printf("sockit %s\n", PACKAGE_VERSION);
		return (SOCKIT_EXIT_OK);
	}
	if (help) {
		args_usage_global(stdout, cmd_table);
		return (SOCKIT_EXIT_OK);
	}
	if (first >= argc) {
		args_usage_global(stderr, cmd_table);
		return (SOCKIT_EXIT_USAGE);
	}
	if (strcmp(argv[first], "help") == 0)
		return (cmd_help(argc - first, argv + first));
	if ((entry = cmd_find(argv[first])) == NULL)
		return (SOCKIT_EXIT_USAGE);
	log_set_command(entry->name);
	return (entry->exec(entry, argc - first, argv + first));
}
