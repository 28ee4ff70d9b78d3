/*
 * The stream client shared by tcp-client and unix-client: connect with
 * timeout and --wait-for retries, then relay stdin/stdout or run the
 * --send/--expect script.
 */
#ifndef SOCKIT_CLIENT_H
#define SOCKIT_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "args.h"
#include "frameopt.h"
#include "script.h"

struct client_opts {
	struct frame_opts	 frames;
	struct script_step	*steps;
	size_t			 nsteps;
	int			 no_shutdown;
	long long		 quit_after_ms;		/* -1: never */
	long long		 connect_timeout_ms;	/* 0: kernel's */
	long long		 wait_for_ms;		/* 0: try once */
	long long		 step_timeout_ms;	/* --timeout */
	int			 zero_io;		/* -z */
	uint64_t		 recv_bytes;		/* 0: unlimited */
	int			 progress;		/* 0 no, 1 tty, 2 always */
	int			 dgram;			/* --dgram (unix) */
	long long		 reply_timeout_ms;	/* datagram clients */
	long			 expect_replies;	/* -1: not checked */
};

enum {
	CLIENT_OPT_SEND = 200,
	CLIENT_OPT_EXPECT,
	CLIENT_OPT_NO_SHUTDOWN,
	CLIENT_OPT_QUIT_AFTER,
	CLIENT_OPT_CONNECT_TIMEOUT,
	CLIENT_OPT_WAIT_FOR,
	CLIENT_OPT_TIMEOUT,
	CLIENT_OPT_ZERO,
	CLIENT_OPT_RECV_BYTES,
	CLIENT_OPT_PROGRESS,
	CLIENT_OPT_DGRAM,
	CLIENT_OPT_REPLY_TIMEOUT,
	CLIENT_OPT_EXPECT_REPLIES
};

/* The options every stream client has, for its args_opt table. */
#define CLIENT_STREAM_OPTIONS \
	{ "send", 0, ARGS_REQUIRED, CLIENT_OPT_SEND, "TEXT", \
	  "send TEXT (escapes decoded) instead of stdin; repeatable" }, \
	{ "expect", 0, ARGS_REQUIRED, CLIENT_OPT_EXPECT, "TEXT", \
	  "wait until TEXT is received; ordered with --send" }, \
	{ "timeout", 0, ARGS_REQUIRED, CLIENT_OPT_TIMEOUT, "SEC", \
	  "bound each --send/--expect step (exit 4; 0: no limit)" }, \
	{ "recv-bytes", 0, ARGS_REQUIRED, CLIENT_OPT_RECV_BYTES, "N", \
	  "stop after N bytes have been received" }, \
	{ "no-shutdown", 0, ARGS_NONE, CLIENT_OPT_NO_SHUTDOWN, NULL, \
	  "keep the write side open after stdin EOF" }, \
	{ "quit-after", 'q', ARGS_REQUIRED, CLIENT_OPT_QUIT_AFTER, "SEC", \
	  "exit SEC seconds after stdin EOF" }, \
	{ "connect-timeout", 'w', ARGS_REQUIRED, CLIENT_OPT_CONNECT_TIMEOUT, \
	  "SEC", "give up connecting after SEC (exit 4; 0: no limit)" }, \
	{ "wait-for", 0, ARGS_REQUIRED, CLIENT_OPT_WAIT_FOR, "SEC", \
	  "retry connecting until the server is up, at most SEC" }, \
	{ NULL, 'z', ARGS_NONE, CLIENT_OPT_ZERO, NULL, \
	  "only check that the server accepts a connection" }, \
	{ "progress", 0, ARGS_OPTIONAL, CLIENT_OPT_PROGRESS, "always", \
	  "show bytes and rate on stderr (if a terminal)" }

void	client_opts_init(struct client_opts *);
void	client_opts_free(struct client_opts *);
int	client_opts_set(struct client_opts *, int, const char *, char **);
int	client_opts_finish(struct client_opts *, char **);

struct addr_inet;
struct cmd_entry;

/*
 * The start of tcp-client and udp-client: parses the options (through
 * opt) and HOST PORT into a, and writes "host:port" for messages into
 * target.  Returns -1 to go on, or the exit code to stop with.
 */
int	client_parse_inet(const struct cmd_entry *, int, char **, args_cb,
	    struct client_opts *, struct addr_inet *, char *, size_t);

/* Tries to connect once; returns an fd or -1 with errno. */
typedef int (*client_connect_fn)(void *, int, char *);

/*
 * Connects through fn, retrying for --wait-for, and prints the failure.
 * target names the address for messages.  Returns the fd, or -1 with
 * *code set to the exit code.
 */
int	client_connect(const struct client_opts *, client_connect_fn, void *,
	    const char *, int *);

/* Runs the session on a connected fd (closes it); returns an exit code. */
int	client_run(const struct client_opts *, int);

#endif
