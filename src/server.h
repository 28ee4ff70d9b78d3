/*
 * The stream server shared by tcp-server and unix-server: accept loop,
 * access control, connection limits, the per-connection handlers (echo,
 * upper, discard, stdio, exec, banner), idle timeouts, drain on
 * SIGINT/SIGTERM, worker processes.
 */
#ifndef SOCKIT_SERVER_H
#define SOCKIT_SERVER_H

#include <stddef.h>

#include "addr.h"
#include "frameopt.h"
#include "handler.h"
#include "sock.h"
#include "spawn.h"


struct server_opts {
	enum server_handler	 handler;
	int			 handler_set;	/* chosen explicitly */
	struct spawn_cmd	 exec;
	unsigned char		*banner;
	size_t			 banner_len;
	struct frame_opts	 frames;
	int			 once;
	long			 max_conns;
	int			 on_full_queue;
	long			 max_per_ip;
	long long		 idle_ms;
	long long		 drain_ms;
	long			 busy_us;	/* --busy-poll */
	struct addr_acl		 acl;
	int			 keepalive;
	int			 nodelay;
	int			 backlog;
	int			 reuseport;
	long			 workers;
	const char		*port_file;
	const char		*bind;
	long			 mode;		/* unix-server --mode */
	int			 dgram;		/* unix-server --dgram */
	long long		 peer_timeout_ms; /* datagram peers */
	int			 stats;		/* --stats line at exit */
	const char		*forward;	/* --forward TARGET, as given */
	struct sock_target	 fwd;		/* ... parsed */
	struct addr_inet	 fwd_inet;
	struct addr_unix	 fwd_unix;
	long long		 connect_ms;	/* -w: backend connect timeout */
	int			 proxy_protocol; /* 0, 1 or 2 */
};

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
	SERVER_OPT_PROXY_PROTOCOL
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
	  "refuse peers in CIDR (repeatable; wins over --allow)" }

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
	{ "busy-poll", 0, ARGS_REQUIRED, SERVER_OPT_BUSY_POLL, "USEC", \
	  "poll for up to USEC microseconds before sleeping" }

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
 * Serves on the listening fds until done (--once, a signal and drain).
 * Returns an exit code.  With workers > 1 the caller passes one fd per
 * worker; it then returns in each worker process as well as in the
 * supervising parent, and each caller cleans up and exits with it.
 */
int	server_run(const struct server_opts *, int *, int);

/* Writes the port to file atomically (temp file + rename). */
int	server_write_port_file(const char *, int);

#endif
