/*
 * Serve UDP datagrams from every sender at once; each reply goes to the
 * sender of its datagram.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "args.h"
#include "dgram.h"
#include "log.h"
#include "server.h"
#include "serveropt.h"
#include "sig.h"
#include "sock.h"
#include "sockit.h"

static int	cmd_udp_server_exec(const struct cmd_entry *, int, char **);

static const struct args_opt cmd_udp_server_options[] = {
	{ "bind", 'b', ARGS_REQUIRED, SERVER_OPT_BIND, "HOST",
	  "listen on HOST (default 127.0.0.1; 0.0.0.0 or :: for all)" },
	{ "echo", 0, ARGS_NONE, SERVER_OPT_ECHO, NULL,
	  "send each datagram back to its sender (default)" },
	{ "upper", 0, ARGS_NONE, SERVER_OPT_UPPER, NULL,
	  "send each datagram back ASCII upper-cased" },
	{ "discard", 0, ARGS_NONE, SERVER_OPT_DISCARD, NULL,
	  "read and drop every datagram" },
	{ "stdio", 0, ARGS_NONE, SERVER_OPT_STDIO, NULL,
	  "print datagrams on stdout; stdin lines go to the last sender" },
	{ "exec", 'e', ARGS_REQUIRED, SERVER_OPT_EXEC, "PROG",
	  "run PROG [ARGS] per datagram; its output is the reply" },
	{ "sh-exec", 'c', ARGS_REQUIRED, SERVER_OPT_SH_EXEC, "CMD",
	  "run /bin/sh -c CMD per datagram; its output is the reply" },
	{ "forward", 0, ARGS_REQUIRED, SERVER_OPT_FORWARD, "HOST:PORT",
	  "relay each sender's datagrams to HOST:PORT, replies back" },
	{ "banner", 0, ARGS_REQUIRED, SERVER_OPT_BANNER, "TEXT",
	  "send TEXT to each new sender first; alone: as every reply" },
	{ "allow", 0, ARGS_REQUIRED, SERVER_OPT_ALLOW, "CIDR",
	  "answer only senders in CIDR (repeatable)" },
	{ "deny", 0, ARGS_REQUIRED, SERVER_OPT_DENY, "CIDR",
	  "drop datagrams from CIDR (repeatable; wins over --allow)" },
	SERVER_ACL_FILE_OPTIONS,
	{ "peer-timeout", 0, ARGS_REQUIRED, SERVER_OPT_PEER_TIMEOUT, "SEC",
	  "forget a sender silent for SEC (default 60)" },
	{ "idle-timeout", 0, ARGS_REQUIRED, SERVER_OPT_IDLE, "SEC",
	  "kill an --exec child after SEC (default 10); --forward: close "
	  "a session idle for SEC (default 60)" },
	{ "max-conns", 0, ARGS_REQUIRED, SERVER_OPT_MAX_CONNS, "N",
	  "at most N --exec children at once (default 10000)" },
	{ "drain", 0, ARGS_REQUIRED, SERVER_OPT_DRAIN, "SEC",
	  "on SIGINT/SIGTERM wait SEC for --exec children (default 5)" },
	SERVER_PORT_FILE_OPTION,
	SERVER_READY_FILE_OPTION,
	SERVER_BUSY_POLL_OPTION,
	FRAMEOPT_DGRAM_OPTIONS,
	{ NULL, 0, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_udp_server_entry = {
	.name = "udp-server",
	.alias = NULL,
	.usage = "[OPTIONS] [HOST] PORT | HOST:PORT | [V6ADDR]:PORT",
	.summary = "serve UDP datagrams from every sender at once",
	.options = cmd_udp_server_options,
	.exec = cmd_udp_server_exec
};

static int
cmd_udp_server_listen(struct server_opts *o, int argc, char **argv,
    int *lfds, char *where, size_t len, void *state)
{
	struct sock_listen_opts	lo;
	struct addr_inet	a;
	char			err[SOCK_ERR_LEN];

	if (addr_parse_server(argc, argv, o->bind, &a, err) == -1) {
		log_error("%s", err);
		return (SOCKIT_EXIT_USAGE);
	}
	memset(&lo, 0, sizeof(lo));
	lo.socktype = SOCK_DGRAM;
	err[0] = '\0';
	if ((lfds[0] = sock_listen_inet(a.host, a.port, sockit_config.family,
	    &lo, err)) == -1) {
		if (errno == EHOSTUNREACH && err[0] != '\0')
			log_error("bind %s", err);
		else
			log_syserr("bind %s", err[0] != '\0' ? err : a.host);
		return (SOCKIT_EXIT_RUNTIME);
	}
	sock_local_str(lfds[0], where, len);
	return (0);
}

static const struct server_cmd cmd_udp_server_cmd = {
	.listen = cmd_udp_server_listen,
	.cleanup = NULL,
	.dgram = 1,
	.suffix = " (udp)"
};

static int
cmd_udp_server_exec(const struct cmd_entry *self, int argc, char **argv)
{
	return (server_cmd_main(self, argc, argv, &cmd_udp_server_cmd, NULL));
}
