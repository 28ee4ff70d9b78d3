/*
 * Shared definitions of the sockit binary: exit codes, the global
 * configuration and the command table entry.
 */
#ifndef SOCKIT_H
#define SOCKIT_H

#include "exitcode.h"

struct args_opt;

/* Global options, accepted before and after the command name. */
struct sockit_config {
	int	verbose;	/* -v count */
	int	quiet;		/* --quiet */
	int	json;		/* --log-format json */
	int	stats;		/* --stats */
	int	family;		/* AF_UNSPEC, AF_INET (-4), AF_INET6 (-6) */
};

extern struct sockit_config sockit_config;

/*
 * One command (the tmux cmd_entry pattern).  exec receives the command's
 * own argv (argv[0] is the command name), parses it with args_parse() and
 * the entry's option table, and returns an exit code.
 */
struct cmd_entry {
	const char		*name;
	const char		*alias;
	const char		*usage;		/* after "sockit NAME " */
	const char		*summary;	/* one line for sockit --help */
	const struct args_opt	*options;	/* terminated by a NULL name */
	int			 (*exec)(const struct cmd_entry *, int, char **);
};

extern const struct cmd_entry cmd_tcp_server_entry;
extern const struct cmd_entry cmd_tcp_client_entry;
extern const struct cmd_entry cmd_udp_server_entry;
extern const struct cmd_entry cmd_udp_client_entry;
extern const struct cmd_entry cmd_unix_server_entry;
extern const struct cmd_entry cmd_unix_client_entry;
extern const struct cmd_entry cmd_ssh_lite_entry;

#endif
