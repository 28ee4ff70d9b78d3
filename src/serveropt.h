/*
 * The options of the servers (tcp-server, unix-server, udp-server):
 * their tables, parsing and checks, and the start every server command
 * shares.  Command layer.
 */
#ifndef SOCKIT_SERVEROPT_H
#define SOCKIT_SERVEROPT_H

#include <stddef.h>

#include "args.h"
#include "server.h"

/* Option ids shared by the stream servers (see SERVER_OPTIONS). */
enum {
	SERVER_OPT_ECHO = 100,
	SERVER_OPT_UPPER,
	SERVER_OPT_DISCARD,
	SERVER_OPT_STDIO,
	SERVER_OPT_EXEC,
	SERVER_OPT_SH_EXEC,
	SERVER_OPT_BANNER,
	SERVER_OPT_ONCE,
	SERVER_OPT_MAX_CONNS,
	SERVER_OPT_ON_FULL,
	SERVER_OPT_MAX_PER_IP,
	SERVER_OPT_IDLE,
	SERVER_OPT_ALLOW,
	SERVER_OPT_DENY,
	SERVER_OPT_BACKLOG,
	SERVER_OPT_PORT_FILE,
	SERVER_OPT_DRAIN,
	SERVER_OPT_BIND,
	SERVER_OPT_KEEPALIVE,
	SERVER_OPT_NODELAY,
	SERVER_OPT_REUSEPORT,
	SERVER_OPT_WORKERS,
	SERVER_OPT_MODE,
	SERVER_OPT_DGRAM,
	SERVER_OPT_PEER_TIMEOUT,
	SERVER_OPT_BUSY_POLL,
	SERVER_OPT_FORWARD,
	SERVER_OPT_CONNECT_TIMEOUT,
	SERVER_OPT_PROXY_PROTOCOL,
	SERVER_OPT_READY_FILE,
	SERVER_OPT_ALLOW_FILE,
	SERVER_OPT_DENY_FILE,
	SERVER_OPT_BROKER,
	SERVER_OPT_OUTPUT,
	SERVER_OPT_HEX_DUMP
};

/* The handler options every server has, for its args_opt table. */
#define SERVER_HANDLER_OPTIONS \
	{ "echo", 0, ARGS_NONE, SERVER_OPT_ECHO, NULL, \
	  "send back what was received (default)" }, \
	{ "upper", 0, ARGS_NONE, SERVER_OPT_UPPER, NULL, \
	  "send back ASCII upper-cased" }, \
	{ "discard", 0, ARGS_NONE, SERVER_OPT_DISCARD, NULL, \
	  "read and drop everything" }, \
	{ "stdio", 0, ARGS_NONE, SERVER_OPT_STDIO, NULL, \
	  "relay one client to stdin/stdout (implies --once)" }, \
	{ "exec", 'e', ARGS_REQUIRED, SERVER_OPT_EXEC, "PROG", \
	  "run PROG [ARGS] (split on blanks) per client" }, \
	{ "sh-exec", 'c', ARGS_REQUIRED, SERVER_OPT_SH_EXEC, "CMD", \
	  "run /bin/sh -c CMD per client" }, \
	{ "banner", 0, ARGS_REQUIRED, SERVER_OPT_BANNER, "TEXT", \
	  "send TEXT (escapes decoded) first; alone: send and close" }

/* Stream server options. */
#define SERVER_STREAM_OPTIONS \
	{ "once", 0, ARGS_NONE, SERVER_OPT_ONCE, NULL, \
	  "serve one connection, then exit" }, \
	{ "max-conns", 0, ARGS_REQUIRED, SERVER_OPT_MAX_CONNS, "N", \
	  "at most N connections at once (default 10000)" }, \
	{ "on-full", 0, ARGS_REQUIRED, SERVER_OPT_ON_FULL, "refuse|queue", \
	  "what to do with connections over --max-conns" }, \
	{ "idle-timeout", 0, ARGS_REQUIRED, SERVER_OPT_IDLE, "SEC", \
	  "close a connection idle for SEC seconds" }, \
	{ "backlog", 0, ARGS_REQUIRED, SERVER_OPT_BACKLOG, "N", \
	  "listen backlog (default: the system maximum)" }, \
	{ "drain", 0, ARGS_REQUIRED, SERVER_OPT_DRAIN, "SEC", \
	  "on SIGINT/SIGTERM finish connections for SEC (default 5); " \
	  "a second signal stops at once" }

/* Options that need an IP peer address. */
#define SERVER_INET_OPTIONS \
	{ "max-per-ip", 0, ARGS_REQUIRED, SERVER_OPT_MAX_PER_IP, "N", \
	  "at most N connections from one peer address" }, \
	{ "allow", 0, ARGS_REQUIRED, SERVER_OPT_ALLOW, "CIDR", \
	  "accept only peers in CIDR (repeatable)" }, \
	{ "deny", 0, ARGS_REQUIRED, SERVER_OPT_DENY, "CIDR", \
	  "refuse peers in CIDR (repeatable; wins over --allow)" }, \
	SERVER_ACL_FILE_OPTIONS

/* --allow/--deny lists read from files. */
#define SERVER_ACL_FILE_OPTIONS \
	{ "allow-file", 0, ARGS_REQUIRED, SERVER_OPT_ALLOW_FILE, "FILE", \
	  "--allow each CIDR in FILE (one per line, # comments)" }, \
	{ "deny-file", 0, ARGS_REQUIRED, SERVER_OPT_DENY_FILE, "FILE", \
	  "--deny each CIDR in FILE (one per line, # comments)" }

/* Stream servers: traffic dumps, each record with its peer. */
#define SERVER_DUMP_OPTIONS \
	{ "output", 'o', ARGS_REQUIRED, SERVER_OPT_OUTPUT, "FILE", \
	  "append a copy of all data, both ways, to FILE" }, \
	{ "hex-dump", 'x', ARGS_REQUIRED, SERVER_OPT_HEX_DUMP, "FILE", \
	  "append a hex dump of all data (with the peer) to FILE" }

/* Stream servers: clients talk to each other. */
#define SERVER_BROKER_OPTION \
	{ "broker", 0, ARGS_NONE, SERVER_OPT_BROKER, NULL, \
	  "send each client's data to every other client (ncat --broker)" }

/* Stream servers: relay each connection to a backend. */
#define SERVER_FORWARD_OPTIONS \
	{ "forward", 0, ARGS_REQUIRED, SERVER_OPT_FORWARD, "TARGET", \
	  "relay each connection to TARGET: HOST:PORT, /path or @name" }, \
	{ "connect-timeout", 'w', ARGS_REQUIRED, SERVER_OPT_CONNECT_TIMEOUT, \
	  "SEC", "--forward: give up on the backend after SEC (default 10)" }, \
	{ "proxy-protocol", 0, ARGS_REQUIRED, SERVER_OPT_PROXY_PROTOCOL, \
	  "v1|v2", "--forward: send a PROXY protocol header first" }

/* Every server: spin before sleeping. */
#define SERVER_BUSY_POLL_OPTION \
	{ "busy-poll", 0, ARGS_REQUIRED, SERVER_OPT_BUSY_POLL, \
	  "auto|USEC", "spin before sleeping: auto (default), or USEC us" }

/* Every server: tell scripts it is ready, and where. */
#define SERVER_READY_FILE_OPTION \
	{ "ready-file", 0, ARGS_REQUIRED, SERVER_OPT_READY_FILE, "FILE", \
	  "write the listening address to FILE once serving" }

/* Servers bound to a port report it to scripts. */
#define SERVER_PORT_FILE_OPTION \
	{ "port-file", 0, ARGS_REQUIRED, SERVER_OPT_PORT_FILE, "FILE", \
	  "write the bound port to FILE once listening" }

/* Sets the defaults: echo, raw framing, 10000 conns, 5 s drain. */
void	server_opts_init(struct server_opts *);

/* Frees what options allocated. */
void	server_opts_free(struct server_opts *);

/* Applies one option; returns 0 or -1 with *cause set. */
int	server_opts_set(struct server_opts *, int, const char *, char **);

/*
 * Checks the combination of options after parsing (e.g. --exec with
 * --frame) and finishes defaults.  Returns 0 or -1 with *cause set.
 */
int	server_opts_finish(struct server_opts *, char **);

/*
 * What differs between the server commands, for server_cmd_main.
 * listen parses the positional address (argc, argv after the options)
 * and opens the listeners (one per worker) into lfds; it writes the
 * address for the listening line into where and returns 0, or logs and
 * returns an exit code.  cleanup (may be NULL) runs once the server is
 * done (a Unix server removes its socket file).
 */
struct server_cmd {
	int	(*listen)(struct server_opts *, int, char **, int *, char *,
		    size_t, void *);
	void	(*cleanup)(const struct server_opts *, void *);
	int	  dgram;		/* served by dgram_serve */
	const char *suffix;		/* after the listening address */
};

/*
 * The whole of a server command: options, signals caught before the
 * socket exists, listeners, the listening line, --port-file and
 * --ready-file, then serving.  Returns the exit code.
 */
int	server_cmd_main(const struct cmd_entry *, int, char **,
	    const struct server_cmd *, void *);

/* Writes text to path atomically (temp file + rename); 0 or -1/errno. */
int	server_write_file(const char *, const char *);

/* --port-file: the port, digits and a newline, written atomically. */
int	server_write_port_file(const char *, int);

#endif
