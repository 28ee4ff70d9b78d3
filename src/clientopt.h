/*
 * The options of the clients (tcp-client, unix-client, udp-client):
 * their tables, parsing and checks.  Command layer.
 */
#ifndef SOCKIT_CLIENTOPT_H
#define SOCKIT_CLIENTOPT_H

#include "args.h"
#include "client.h"

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
	CLIENT_OPT_EXPECT_REPLIES,
	CLIENT_OPT_IDLE,
	CLIENT_OPT_SEND_ONLY,
	CLIENT_OPT_RECV_ONLY,
	CLIENT_OPT_KEEPALIVE,
	CLIENT_OPT_NODELAY,
	CLIENT_OPT_SOURCE,
	CLIENT_OPT_SOURCE_PORT,
	CLIENT_OPT_EXEC,
	CLIENT_OPT_SH_EXEC,
	CLIENT_OPT_PROXY,
	CLIENT_OPT_PROXY_TYPE,
	CLIENT_OPT_PROXY_AUTH,
	CLIENT_OPT_PROXY_DNS,
	CLIENT_OPT_OUTPUT,
	CLIENT_OPT_HEX_DUMP
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
	{ "idle-timeout", 'i', ARGS_REQUIRED, CLIENT_OPT_IDLE, "SEC", \
	  "exit 4 when nothing moved either way for SEC" }, \
	{ NULL, 'z', ARGS_NONE, CLIENT_OPT_ZERO, NULL, \
	  "only check that the server accepts a connection" }, \
	{ "exec", 'e', ARGS_REQUIRED, CLIENT_OPT_EXEC, "PROG", \
	  "run PROG [ARGS] (split on blanks) on the connection" }, \
	{ "sh-exec", 'c', ARGS_REQUIRED, CLIENT_OPT_SH_EXEC, "CMD", \
	  "run /bin/sh -c CMD on the connection" }, \
	{ "send-only", 0, ARGS_NONE, CLIENT_OPT_SEND_ONLY, NULL, \
	  "only send stdin; ignore what arrives, exit at stdin EOF" }, \
	{ "recv-only", 0, ARGS_NONE, CLIENT_OPT_RECV_ONLY, NULL, \
	  "only print what arrives; never read stdin" }, \
	{ "output", 'o', ARGS_REQUIRED, CLIENT_OPT_OUTPUT, "FILE", \
	  "append a copy of all data, both ways, to FILE" }, \
	{ "hex-dump", 'x', ARGS_REQUIRED, CLIENT_OPT_HEX_DUMP, "FILE", \
	  "append a hex dump of all data, both ways, to FILE" }, \
	{ "progress", 0, ARGS_OPTIONAL, CLIENT_OPT_PROGRESS, "always", \
	  "show bytes and rate on stderr (if a terminal)" }

/* tcp-client: the TCP side of the connection. */
#define CLIENT_TCP_OPTIONS \
	{ "source", 's', ARGS_REQUIRED, CLIENT_OPT_SOURCE, "ADDR", \
	  "connect from the local address ADDR" }, \
	{ "source-port", 'p', ARGS_REQUIRED, CLIENT_OPT_SOURCE_PORT, "PORT", \
	  "connect from the local port PORT" }, \
	{ "keepalive", 0, ARGS_NONE, CLIENT_OPT_KEEPALIVE, NULL, \
	  "enable TCP keepalive" }, \
	{ "nodelay", 0, ARGS_NONE, CLIENT_OPT_NODELAY, NULL, \
	  "disable Nagle's algorithm (TCP_NODELAY)" }

/* tcp-client: through a proxy. */
#define CLIENT_PROXY_OPTIONS \
	{ "proxy", 0, ARGS_REQUIRED, CLIENT_OPT_PROXY, "HOST:PORT", \
	  "connect through the proxy at HOST:PORT" }, \
	{ "proxy-type", 0, ARGS_REQUIRED, CLIENT_OPT_PROXY_TYPE, \
	  "socks5|http", "the proxy's protocol (default socks5)" }, \
	{ "proxy-auth", 0, ARGS_REQUIRED, CLIENT_OPT_PROXY_AUTH, "USER:PASS", \
	  "authenticate to the proxy (or SOCKIT_PROXY_AUTH)" }, \
	{ "proxy-dns", 0, ARGS_REQUIRED, CLIENT_OPT_PROXY_DNS, "remote|local", \
	  "who resolves the target's name (default remote)" }

/*
 * The reply options of datagram clients (udp-client, unix-client
 * --dgram), parsed by client_opts_set().
 */
#define DGRAM_CLIENT_OPTIONS \
	{ "reply-timeout", 0, ARGS_REQUIRED, CLIENT_OPT_REPLY_TIMEOUT, "SEC", \
	  "after stdin EOF stop when no reply came for SEC (default 1)" }, \
	{ "expect-replies", 0, ARGS_REQUIRED, CLIENT_OPT_EXPECT_REPLIES, "N", \
	  "expect N replies, not one per datagram (fewer: exit 6)" }

void	client_opts_init(struct client_opts *);
void	client_opts_free(struct client_opts *);
int	client_opts_set(struct client_opts *, int, const char *, char **);

/*
 * Checks the combination of options after parsing, opens the dump
 * files, takes the global options.  Returns 0 or -1 with *cause set.
 */
int	client_opts_finish(struct client_opts *, char **);

struct cmd_entry;

/*
 * The start of tcp-client and udp-client: parses the options (through
 * opt) and HOST PORT into a, and writes "host:port" for messages into
 * target.  Returns -1 to go on, or the exit code to stop with.
 */
int	client_parse_inet(const struct cmd_entry *, int, char **, args_cb,
	    struct client_opts *, struct addr_inet *, char *, size_t);

/*
 * -z over the port list of o (or one port: port) on host: prints
 * "HOST PORT open" for each open port when it is a list, and returns the
 * exit code: 0 when any port accepted (nc's rule; with --wait-for, when
 * every one did), else 4 if any timed out, else 3.
 */
int	client_scan(const struct client_opts *, const char *, int, int);

#endif
