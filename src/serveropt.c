/*
 * Server options: parsing each one, then checking them together.
 * Command layer.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "args.h"
#include "dgram.h"
#include "log.h"
#include "loop.h"
#include "escape.h"
#include "handler.h"
#include "server.h"
#include "serveropt.h"
#include "sig.h"
#include "sock.h"
#include "sockit.h"
#include "tls.h"
#include "spawn.h"
#include "xmalloc.h"

void
server_opts_init(struct server_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->handler = SERVER_ECHO;
	o->max_conns = 10000;
	o->drain_ms = 5000;
	o->workers = 1;
	o->mode = 0600;
	o->peer_timeout_ms = 60000;
	o->connect_ms = 10000;
	o->busy_us = LOOP_BUSY_AUTO;
	o->dump.raw_fd = o->dump.hex_fd = -1;
	tlsopt_init(&o->tls, 1);
	tlsopt_init(&o->fwd_tls, 0);
	frameopt_init(&o->frames, 0);
}

void
server_opts_free(struct server_opts *o)
{
	free(o->exec.argv);
	free(o->exec.shell);
	free(o->banner);
	free(o->fwd_addrs);
	tlsopt_free(&o->tls);
	tlsopt_free(&o->fwd_tls);
	dump_close(&o->dump);
	free(o->acl.allow);
	free(o->acl.deny);
	memset(o, 0, sizeof(*o));
	o->dump.raw_fd = o->dump.hex_fd = -1;
}

static int
server_set_handler(struct server_opts *o, enum server_handler h,
    char **cause)
{
	if (o->handler_set && o->handler != h) {
		*cause = args_cause("choose one of --echo, --upper, --discard, "
		    "--stdio, --exec, --sh-exec, --forward, --broker");
		return (-1);
	}
	o->handler = h;
	o->handler_set = 1;
	return (0);
}

static int
server_add_cidr(struct addr_cidr **list, size_t *n, const char *arg,
    char **cause)
{
	char	err[ADDR_ERR_LEN];

	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	if (addr_parse_cidr(arg, &(*list)[*n], err) == -1) {
		*cause = args_cause("%s", err);
		return (-1);
	}
	(*n)++;
	return (0);
}

/*
 * --allow-file, --deny-file: one CIDR per line; blanks around it, empty
 * lines and everything from a '#' on are ignored.  A bad line is a
 * usage error that names the file and the line.
 */
static int
server_add_cidr_file(struct addr_cidr **list, size_t *n, const char *path,
    char **cause)
{
	FILE	*f;
	char	 line[512], *p, *end;
	int	 lineno = 0, rc = 0;

	if ((f = fopen(path, "re")) == NULL) {
		*cause = args_cause("%s: %s", path, strerror(errno));
		return (-1);
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			*cause = args_cause("%s:%d: line too long", path, lineno);
			rc = -1;
			break;
		}
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t' ||
		    end[-1] == '\n' || end[-1] == '\r'))
			*--end = '\0';
		if (*p == '\0')
			continue;
		if ((rc = server_add_cidr(list, n, p, cause)) == -1)
			*cause = args_cause("%s:%d: %s", path, lineno, *cause);
	}
	if (rc == 0 && ferror(f)) {
		*cause = args_cause("%s: %s", path, strerror(errno));
		rc = -1;
	}
	(void)fclose(f);
	return (rc);
}

/* -o FILE, -x FILE. */
static int
server_open_dump(struct server_opts *o, int id, const char *arg, char **cause)
{
	if (dump_open(&o->dump, id == SERVER_OPT_OUTPUT, arg) == 0)
		return (0);
	*cause = args_cause("%s: %s", arg, strerror(errno));
	return (-1);
}

static int
server_set_banner(struct server_opts *o, const char *arg, char **cause)
{
	char	err[ESCAPE_ERR_LEN];

	free(o->banner);
	o->banner = xcalloc(strlen(arg) + 1, 1);
	if (escape_decode(arg, o->banner, &o->banner_len, err) == -1) {
		*cause = args_cause("--banner: %s", err);
		return (-1);
	}
	return (0);
}

static int
server_set_exec(struct server_opts *o, int id, const char *arg, char **cause)
{
	if (server_set_handler(o, SERVER_EXEC, cause) == -1)
		return (-1);
	if (spawn_cmd_parse(&o->exec, id == SERVER_OPT_SH_EXEC, arg) == 0)
		return (0);
	*cause = args_cause("%s", errno == EEXIST ? "choose one of --exec and "
	    "--sh-exec" : "--exec: empty command");
	return (-1);
}

/* Numeric and timing options. */
static int
server_set_number(struct server_opts *o, int id, const char *arg,
    char **cause)
{
	long long	v = 0;

	switch (id) {
	case SERVER_OPT_MAX_CONNS:
		v = o->max_conns = (long)args_number(arg, 1, 1000000, cause);
		break;
	case SERVER_OPT_MAX_PER_IP:
		v = o->max_per_ip = (long)args_number(arg, 1, 1000000, cause);
		break;
	case SERVER_OPT_IDLE:
		v = o->idle_ms = args_seconds(arg, 86400 * 365, cause);
		break;
	case SERVER_OPT_DRAIN:
		v = o->drain_ms = args_seconds(arg, 86400, cause);
		break;
	case SERVER_OPT_BACKLOG:
		v = o->backlog = (int)args_number(arg, 1, 65535, cause);
		break;
	case SERVER_OPT_PEER_TIMEOUT:
		v = o->peer_timeout_ms = args_seconds(arg, 86400, cause);
		break;
	case SERVER_OPT_WORKERS:
		v = o->workers = (long)args_number(arg, 1, 256, cause);
		break;
	case SERVER_OPT_BUSY_POLL:
		if (strcmp(arg, "auto") == 0)
			o->busy_us = LOOP_BUSY_AUTO;
		else
			v = o->busy_us = (long)args_number(arg, 0, 1000000,
			    cause);
		break;
	case SERVER_OPT_CONNECT_TIMEOUT:
		v = o->connect_ms = args_seconds(arg, 86400, cause);
		break;
	case SERVER_OPT_MODE:
		v = o->mode = strtol(arg, NULL, 8);
		if (arg[0] == '\0' || strspn(arg, "01234567") != strlen(arg) ||
		    v > 07777) {
			*cause = args_cause("--mode: \"%s\" is not an octal "
			    "mode", arg);
			return (-1);
		}
		break;
	}
	return (v < 0 ? -1 : 0);
}

int
server_opts_set(struct server_opts *o, int id, const char *arg, char **cause)
{
	int	rc;

	if ((rc = frameopt_set(&o->frames, id, arg, cause)) != 0 ||
	    (rc = tlsopt_set(&o->tls, &o->fwd_tls, id, arg, cause)) != 0)
		return (rc == 1 ? 0 : -1);
	switch (id) {
	case SERVER_OPT_ECHO:
		return (server_set_handler(o, SERVER_ECHO, cause));
	case SERVER_OPT_UPPER:
		return (server_set_handler(o, SERVER_UPPER, cause));
	case SERVER_OPT_DISCARD:
		return (server_set_handler(o, SERVER_DISCARD, cause));
	case SERVER_OPT_STDIO:
		return (server_set_handler(o, SERVER_STDIO, cause));
	case SERVER_OPT_BROKER:
		return (server_set_handler(o, SERVER_BROKER, cause));
	case SERVER_OPT_OUTPUT:
	case SERVER_OPT_HEX_DUMP:
		return (server_open_dump(o, id, arg, cause));
	case SERVER_OPT_EXEC:
	case SERVER_OPT_SH_EXEC:
		return (server_set_exec(o, id, arg, cause));
	case SERVER_OPT_BANNER:
		return (server_set_banner(o, arg, cause));
	case SERVER_OPT_ONCE:
		o->once = 1;
		return (0);
	case SERVER_OPT_ON_FULL:
		if (strcmp(arg, "refuse") != 0 && strcmp(arg, "queue") != 0) {
			*cause = args_cause("--on-full: \"%s\" is not refuse "
			    "or queue", arg);
			return (-1);
		}
		o->on_full_queue = strcmp(arg, "queue") == 0;
		return (0);
	case SERVER_OPT_ALLOW:
		return (server_add_cidr(&o->acl.allow, &o->acl.nallow, arg,
		    cause));
	case SERVER_OPT_DENY:
		return (server_add_cidr(&o->acl.deny, &o->acl.ndeny, arg,
		    cause));
	case SERVER_OPT_ALLOW_FILE:
		return (server_add_cidr_file(&o->acl.allow, &o->acl.nallow,
		    arg, cause));
	case SERVER_OPT_DENY_FILE:
		return (server_add_cidr_file(&o->acl.deny, &o->acl.ndeny, arg,
		    cause));
	case SERVER_OPT_PORT_FILE:
		o->port_file = arg;
		return (0);
	case SERVER_OPT_READY_FILE:
		o->ready_file = arg;
		return (0);
	case SERVER_OPT_BIND:
		o->bind = arg;
		return (0);
	case SERVER_OPT_KEEPALIVE:
		o->keepalive = 1;
		return (0);
	case SERVER_OPT_NODELAY:
		o->nodelay = 1;
		return (0);
	case SERVER_OPT_REUSEPORT:
		o->reuseport = 1;
		return (0);
	case SERVER_OPT_DGRAM:
		o->dgram = 1;
		return (0);
	case SERVER_OPT_FORWARD:
		if (server_set_handler(o, SERVER_FORWARD, cause) == -1)
			return (-1);
		o->forward = arg;
		return (0);
	case SERVER_OPT_PROXY_PROTOCOL:
		if (strcmp(arg, "v1") != 0 && strcmp(arg, "v2") != 0) {
			*cause = args_cause("--proxy-protocol: \"%s\" is not "
			    "v1 or v2", arg);
			return (-1);
		}
		o->proxy_protocol = arg[1] - '0';
		return (0);
	}
	return (server_set_number(o, id, arg, cause));
}

/*
 * --forward TARGET: a path (starts with / or .) or @name is a Unix
 * socket, anything else HOST:PORT or [V6]:PORT.
 */
static int
server_parse_forward(struct server_opts *o, char **cause)
{
	char	err[ADDR_ERR_LEN];
	char	*argv[1];

	memset(&o->fwd, 0, sizeof(o->fwd));
	o->fwd.socktype = SOCK_STREAM;
	if (o->forward[0] == '/' || o->forward[0] == '.' ||
	    o->forward[0] == '@') {
		if (addr_parse_unix(o->forward, &o->fwd_unix, err) == -1) {
			*cause = args_cause("--forward: %s", err);
			return (-1);
		}
		o->fwd.path = &o->fwd_unix;
		return (0);
	}
	argv[0] = (char *)o->forward;
	if (addr_parse_client(1, argv, &o->fwd_inet, err) == -1) {
		*cause = args_cause("--forward: %s", err);
		return (-1);
	}
	o->fwd.host = o->fwd_inet.host;
	o->fwd.port = o->fwd_inet.port;
	return (0);
}

int
server_opts_finish(struct server_opts *o, char **cause)
{
	char	err[SPAWN_ERR_LEN];

	if (frameopt_finish(&o->frames, cause) == -1)
		return (-1);
	if (o->banner != NULL && !o->handler_set)
		o->handler = SERVER_BANNER;
	if (handler_get(o->handler)->flags & HANDLER_ONCE)
		o->once = 1;
	if ((handler_get(o->handler)->flags & HANDLER_RAW_ONLY) &&
	    frameopt_framed(&o->frames)) {
		*cause = args_cause("--frame cannot be combined with --exec, "
		    "--sh-exec or --forward: they relay the raw byte stream");
		return (-1);
	}
	if (o->handler == SERVER_FORWARD && server_parse_forward(o, cause) == -1)
		return (-1);
	o->tls.t.nodelay = o->fwd_tls.t.nodelay = o->nodelay;
	if (tlsopt_finish(&o->tls, "--tls", cause) == -1 ||
	    tlsopt_finish(&o->fwd_tls, "--forward-tls", cause) == -1)
		return (-1);
	if (o->fwd_tls.on && o->handler != SERVER_FORWARD) {
		*cause = args_cause("--forward-tls needs --forward");
		return (-1);
	}
	if (o->proxy_protocol != 0 && o->handler != SERVER_FORWARD) {
		*cause = args_cause("--proxy-protocol needs --forward");
		return (-1);
	}
		if (o->workers > 1 && (o->once || o->handler == SERVER_STDIO)) {
		*cause = args_cause("--workers cannot be combined with --once "
		    "or --stdio");
		return (-1);
	}
	/* A missing program is a usage error now, not at the first client. */
	if (o->handler == SERVER_EXEC && spawn_check(&o->exec, err,
	    sizeof(err)) == -1) {
		*cause = args_cause("%s", err);
		return (-1);
	}
	if (o->workers > 1)
		o->reuseport = 1;
	return (0);
}

/*
 * Writes text to path atomically: a temporary file in the same
 * directory, renamed, so a poller never sees it half written.
 */
int
server_write_file(const char *path, const char *text)
{
	char	tmp[4096];
	int	fd, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path,
	    (long)getpid()) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return (-1);
	if (sock_write_all(fd, text, strlen(text)) == -1 || close(fd) == -1 ||
	    rename(tmp, path) == -1) {
		saved = errno;
		(void)unlink(tmp);
		errno = saved;
		return (-1);
	}
	return (0);
}

int
server_write_port_file(const char *path, int port)
{
	char	text[16];

	snprintf(text, sizeof(text), "%d\n", port);
	return (server_write_file(path, text));
}

/* The listening line, --port-file and --ready-file. */
static int
server_cmd_announce(const struct server_opts *o, const struct server_cmd *cmd,
    int lfd, const char *where)
{
	char	text[SOCK_ADDR_LEN + TLS_SHA256_LEN];

	log_listening(where, cmd->suffix, o->tls.ctx != NULL ?
	    tls_ctx_fingerprint(o->tls.ctx) : NULL);
	if (o->tls.pin_file != NULL && o->tls.ctx != NULL) {
		snprintf(text, sizeof(text), "%s\n",
		    tls_ctx_fingerprint(o->tls.ctx));
		if (server_write_file(o->tls.pin_file, text) == -1) {
			log_syserr("--tls-pin-file %s", o->tls.pin_file);
			return (-1);
		}
	}
	if (o->port_file != NULL) {
		if (server_write_port_file(o->port_file,
		    sock_local_port(lfd)) == -1) {
			log_syserr("--port-file %s", o->port_file);
			return (-1);
		}
	}
	if (o->ready_file != NULL) {
		snprintf(text, sizeof(text), "%s\n", where);
		if (server_write_file(o->ready_file, text) == -1) {
			log_syserr("--ready-file %s", o->ready_file);
			return (-1);
		}
	}
	return (0);
}

/*
 * --forward: the backend's addresses, resolved once, before the server
 * listens (a name that does not resolve is an error at start, not a
 * server that takes connections it cannot forward).
 */
static int
server_cmd_resolve_backend(struct server_opts *o)
{
	char	err[SOCK_ERR_LEN];

	err[0] = '\0';
	if (sock_resolve_target(&o->fwd, &o->fwd_addrs, &o->nfwd, err) == 0)
		return (0);
	if (err[0] != '\0')
		log_error("--forward %s", err);
	else
		log_syserr("--forward %s", o->forward);
	return (-1);
}

/*
 * --tls: the certificates, or one made for the address the server is
 * bound to; --forward-tls: the backend's trust.  Bad files are usage
 * errors, as for a key file.
 */
static int
server_cmd_start_tls(struct server_opts *o, int lfd)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);
	char			host[SOCK_ADDR_LEN], err[TLS_ERR_LEN], *p;

	host[0] = '\0';
	if (o->tls.on && getsockname(lfd, (struct sockaddr *)&ss, &len) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)) {
		sock_addr_str((struct sockaddr *)&ss, len, host, sizeof(host));
		/* "[::1]:80" or "127.0.0.1:80": the address alone. */
		if ((p = strrchr(host, ':')) != NULL)
			*p = '\0';
		if (host[0] == '[') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = '\0';
		}
	}
	if (tlsopt_start(&o->tls, host[0] != '\0' ? host : NULL, err) == -1 ||
	    tlsopt_start(&o->fwd_tls, NULL, err) == -1) {
		log_error("%s", err);
		return (SOCKIT_EXIT_USAGE);
	}
	return (0);
}

static int
server_cmd_opt(void *ctx, int id, const char *arg, char **cause)
{
	return (server_opts_set(ctx, id, arg, cause));
}

static int
server_cmd_serve(struct server_opts *o, const struct cmd_entry *self,
    int argc, char **argv, const struct server_cmd *cmd, void *state)
{
	char	*cause = NULL, where[SOCK_ADDR_LEN];
	int	 first, rc, *lfds;

	if ((rc = args_parse(self, argc, argv, server_cmd_opt, o,
	    &first)) != ARGS_OK)
		return (rc == ARGS_HELP ? SOCKIT_EXIT_OK : SOCKIT_EXIT_USAGE);
	if (server_opts_finish(o, &cause) == -1) {
		log_error("%s", cause);
		return (SOCKIT_EXIT_USAGE);
	}
	o->stats = sockit_config.stats;
	o->fwd.family = sockit_config.family;
	if (o->handler == SERVER_FORWARD && (cmd->dgram || o->dgram)) {
		/* A datagram server forwards datagrams, to HOST:PORT. */
		if (o->dgram || o->fwd.path != NULL) {
			log_error("--forward of datagrams takes HOST:PORT, on "
			    "udp-server");
			return (SOCKIT_EXIT_USAGE);
		}
		o->fwd.socktype = SOCK_DGRAM;
	}
	if (o->handler == SERVER_FORWARD && server_cmd_resolve_backend(o) == -1)
		return (SOCKIT_EXIT_RUNTIME);
	/* Before the socket exists: a stop request then waits for us. */
	if (sig_catch_stop() == -1) {
		log_syserr("signals");
		return (SOCKIT_EXIT_RUNTIME);
	}
	lfds = xcalloc((size_t)o->workers, sizeof(*lfds));
	if ((rc = cmd->listen(o, argc - first, argv + first, lfds, where,
	    sizeof(where), state)) != 0) {
		free(lfds);
		return (rc);
	}
	if ((rc = server_cmd_start_tls(o, lfds[0])) != 0)
		;
	else if (server_cmd_announce(o, cmd, lfds[0], where) == -1)
		rc = SOCKIT_EXIT_RUNTIME;
	else if (cmd->dgram || o->dgram)
		rc = dgram_serve(o, lfds[0]);
	else
		rc = server_run(o, lfds, (int)o->workers);
	free(lfds);
	return (rc);
}

int
server_cmd_main(const struct cmd_entry *self, int argc, char **argv,
    const struct server_cmd *cmd, void *state)
{
	struct server_opts	o;
	int			rc;

	server_opts_init(&o);
	rc = server_cmd_serve(&o, self, argc, argv, cmd, state);
	if (cmd->cleanup != NULL)
		cmd->cleanup(&o, state);
	server_opts_free(&o);
	return (rc);
}
