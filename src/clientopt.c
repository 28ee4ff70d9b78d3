/*
 * Client options: parsing each one, then checking them together.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "args.h"
#include "clientopt.h"
#include "clock.h"
#include "escape.h"
#include "log.h"
#include "scan.h"
#include "sockit.h"
#include "spawn.h"
#include "xmalloc.h"

void
client_opts_init(struct client_opts *o)
{
	memset(o, 0, sizeof(*o));
	frameopt_init(&o->frames, 0);
	o->quit_after_ms = -1;
	o->reply_timeout_ms = 1000;
	o->expect_replies = -1;
	o->dump.raw_fd = o->dump.hex_fd = -1;
	tlsopt_init(&o->tls, 0);
}

void
client_opts_free(struct client_opts *o)
{
	size_t	i;

	for (i = 0; i < o->nsteps; i++)
		free(o->steps[i].data);
	free(o->steps);
	free(o->exec.argv);
	free(o->exec.shell);
	free(o->proxy.user);
	free(o->scan_ports);
	tlsopt_free(&o->tls);
	dump_close(&o->dump);
	memset(o, 0, sizeof(*o));
	o->dump.raw_fd = o->dump.hex_fd = -1;
}

static int
client_add_step(struct client_opts *o, enum script_op op, const char *arg,
    char **cause)
{
	struct script_step	*st;
	char			 err[ESCAPE_ERR_LEN];

	o->steps = xreallocarray(o->steps, o->nsteps + 1, sizeof(*o->steps));
	st = &o->steps[o->nsteps];
	st->op = op;
	st->data = xcalloc(strlen(arg) + 1, 1);
	if (escape_decode(arg, st->data, &st->len, err) == -1) {
		*cause = args_cause("%s: %s", op == SCRIPT_SEND ? "--send" :
		    "--expect", err);
		return (-1);
	}
	o->nsteps++;
	return (0);
}

/* args_parse names the option in the message, as the user spelled it. */
static int
client_set_time(long long *dst, const char *arg, char **cause)
{
	if ((*dst = args_seconds(arg, 86400 * 365, cause)) == -1)
		return (-1);
	return (0);
}

/* -p PORT: a number or a service name, checked now, bound as digits. */
static int
client_set_source_port(struct client_opts *o, const char *arg, char **cause)
{
	char	err[ADDR_ERR_LEN];
	int	port;

	if ((port = addr_parse_port(arg, err)) == -1) {
		*cause = args_cause("-p: %s", err);
		return (-1);
	}
	snprintf(o->source_port_buf, sizeof(o->source_port_buf), "%d", port);
	o->source_port = o->source_port_buf;
	return (0);
}

/* USER:PASS, from --proxy-auth or SOCKIT_PROXY_AUTH. */
static int
client_set_proxy_auth(struct client_opts *o, const char *arg, char **cause)
{
	char	*colon;

	free(o->proxy.user);
	o->proxy.user = xstrdup(arg);
	if ((colon = strchr(o->proxy.user, ':')) == NULL ||
	    colon == o->proxy.user) {
		*cause = args_cause("--proxy-auth: expected USER:PASS");
		return (-1);
	}
	*colon = '\0';
	o->proxy.pass = colon + 1;
	return (0);
}

static int
client_set_exec(struct client_opts *o, int id, const char *arg, char **cause)
{
	if (spawn_cmd_parse(&o->exec, id == CLIENT_OPT_SH_EXEC, arg) == 0)
		return (0);
	*cause = args_cause("%s", errno == EEXIST ? "choose one of --exec and "
	    "--sh-exec" : "--exec: empty command");
	return (-1);
}

/* -o FILE, -x FILE. */
static int
client_open_dump(struct client_opts *o, int id, const char *arg,
    char **cause)
{
	if (dump_open(&o->dump, id == CLIENT_OPT_OUTPUT, arg) == 0)
		return (0);
	*cause = args_cause("%s: %s", arg, strerror(errno));
	return (-1);
}

/* The options that take a word from a short list. */
static int
client_set_choice(struct client_opts *o, int id, const char *arg,
    char **cause)
{
	switch (id) {
	case CLIENT_OPT_PROXY_TYPE:
		if (strcmp(arg, "socks5") == 0)
			o->proxy.type = PROXY_SOCKS5;
		else if (strcmp(arg, "http") == 0)
			o->proxy.type = PROXY_HTTP;
		else {
			*cause = args_cause("--proxy-type: \"%s\" is not "
			    "socks5 or http", arg);
			return (-1);
		}
		return (0);
	case CLIENT_OPT_PROXY_DNS:
		if (strcmp(arg, "remote") != 0 && strcmp(arg, "local") != 0) {
			*cause = args_cause("--proxy-dns: \"%s\" is not "
			    "remote or local", arg);
			return (-1);
		}
		o->proxy.dns_local = strcmp(arg, "local") == 0;
		return (0);
	case CLIENT_OPT_PROGRESS:
		if (arg != NULL && strcmp(arg, "always") != 0) {
			*cause = args_cause("--progress takes only =always");
			return (-1);
		}
		o->progress = arg != NULL ? 2 : 1;
		return (0);
	}
	return (0);
}

/* Options that only switch something on. */
static int
client_set_flag(struct client_opts *o, int id)
{
	switch (id) {
	case CLIENT_OPT_NO_SHUTDOWN:
		o->no_shutdown = 1;
		break;
	case CLIENT_OPT_ZERO:
		o->zero_io = 1;
		break;
	case CLIENT_OPT_DGRAM:
		o->dgram = 1;
		break;
	case CLIENT_OPT_SEND_ONLY:
		o->send_only = 1;
		break;
	case CLIENT_OPT_RECV_ONLY:
		o->recv_only = 1;
		break;
	case CLIENT_OPT_KEEPALIVE:
		o->keepalive = 1;
		break;
	case CLIENT_OPT_NODELAY:
		o->nodelay = 1;
		break;
	default:
		return (0);
	}
	return (1);
}

static int
client_set_number(struct client_opts *o, int id, const char *arg,
    char **cause)
{
	long long	n;

	switch (id) {
	case CLIENT_OPT_RECV_BYTES:
		if ((n = args_number(arg, 1, INT64_MAX, cause)) == -1)
			return (-1);
		o->recv_bytes = (uint64_t)n;
		return (0);
	case CLIENT_OPT_EXPECT_REPLIES:
		if ((n = args_number(arg, 0, 100000000, cause)) == -1)
			return (-1);
		o->expect_replies = (long)n;
		return (0);
	case CLIENT_OPT_QUIT_AFTER:
		return (client_set_time(&o->quit_after_ms, arg, cause));
	case CLIENT_OPT_CONNECT_TIMEOUT:
		return (client_set_time(&o->connect_timeout_ms, arg, cause));
	case CLIENT_OPT_WAIT_FOR:
		return (client_set_time(&o->wait_for_ms, arg, cause));
	case CLIENT_OPT_TIMEOUT:
		return (client_set_time(&o->step_timeout_ms, arg, cause));
	case CLIENT_OPT_IDLE:
		return (client_set_time(&o->idle_ms, arg, cause));
	case CLIENT_OPT_REPLY_TIMEOUT:
		return (client_set_time(&o->reply_timeout_ms, arg, cause));
	}
	return (0);
}

int
client_opts_set(struct client_opts *o, int id, const char *arg, char **cause)
{
	int	rc;

	if ((rc = frameopt_set(&o->frames, id, arg, cause)) != 0 ||
	    (rc = tlsopt_set(&o->tls, NULL, id, arg, cause)) != 0)
		return (rc == 1 ? 0 : -1);
	if (client_set_flag(o, id))
		return (0);
	switch (id) {
	case CLIENT_OPT_SEND:
		return (client_add_step(o, SCRIPT_SEND, arg, cause));
	case CLIENT_OPT_EXPECT:
		return (client_add_step(o, SCRIPT_EXPECT, arg, cause));
	case CLIENT_OPT_EXEC:
	case CLIENT_OPT_SH_EXEC:
		return (client_set_exec(o, id, arg, cause));
	case CLIENT_OPT_SOURCE:
		o->source = arg;
		return (0);
	case CLIENT_OPT_SOURCE_PORT:
		return (client_set_source_port(o, arg, cause));
	case CLIENT_OPT_PROXY:
		o->proxy.addr = arg;
		return (0);
	case CLIENT_OPT_PROXY_AUTH:
		return (client_set_proxy_auth(o, arg, cause));
	case CLIENT_OPT_OUTPUT:
	case CLIENT_OPT_HEX_DUMP:
		return (client_open_dump(o, id, arg, cause));
	case CLIENT_OPT_PROXY_TYPE:
	case CLIENT_OPT_PROXY_DNS:
	case CLIENT_OPT_PROGRESS:
		return (client_set_choice(o, id, arg, cause));
	}
	return (client_set_number(o, id, arg, cause));
}

/* Options that make no sense together. */
static int
client_check_combos(const struct client_opts *o, char **cause)
{
	int	exec = o->exec.argv != NULL || o->exec.shell != NULL;

	if (exec && (o->nsteps > 0 || o->zero_io)) {
		*cause = args_cause("--exec/--sh-exec cannot be combined with "
		    "--send, --expect or -z");
		return (-1);
	}
	if (exec && frameopt_framed(&o->frames)) {
		*cause = args_cause("--frame cannot be combined with --exec or "
		    "--sh-exec: the program gets the raw byte stream");
		return (-1);
	}
	if (o->send_only && o->recv_only) {
		*cause = args_cause("choose one of --send-only and --recv-only");
		return (-1);
	}
	if (o->proxy.addr == NULL && (o->proxy.user != NULL ||
	    o->proxy.dns_local || o->proxy.type != PROXY_SOCKS5)) {
		*cause = args_cause("--proxy-type, --proxy-auth and "
		    "--proxy-dns need --proxy");
		return (-1);
	}
	return (0);
}

/* --proxy HOST:PORT, credentials from SOCKIT_PROXY_AUTH if not given. */
static int
client_finish_proxy(struct client_opts *o, char **cause)
{
	char		 err[ADDR_ERR_LEN];
	char		*argv[1];
	const char	*env;

	if (o->proxy.addr == NULL)
		return (0);
	argv[0] = (char *)o->proxy.addr;
	if (addr_parse_client(1, argv, &o->proxy.a, err) == -1) {
		*cause = args_cause("--proxy: %s", err);
		return (-1);
	}
	if (o->proxy.user == NULL && (env = getenv("SOCKIT_PROXY_AUTH")) !=
	    NULL && *env != '\0' &&
	    client_set_proxy_auth(o, env, cause) == -1) {
		*cause = args_cause("SOCKIT_PROXY_AUTH: expected USER:PASS");
		return (-1);
	}
	return (0);
}

int
client_opts_finish(struct client_opts *o, char **cause)
{
	char	err[256], tlserr[TLS_ERR_LEN];

	if (frameopt_finish(&o->frames, cause) == -1 ||
	    client_check_combos(o, cause) == -1 ||
	    client_finish_proxy(o, cause) == -1)
		return (-1);
	if ((o->exec.argv != NULL || o->exec.shell != NULL) &&
	    spawn_check(&o->exec, err, sizeof(err)) == -1) {
		*cause = args_cause("%s", err);
		return (-1);
	}
	o->tls.t.nodelay = o->nodelay;
	if (tlsopt_finish(&o->tls, "--tls", cause) == -1)
		return (-1);
	/* Certificates and keys are read now: a bad one is a usage error. */
	if (tlsopt_start(&o->tls, NULL, tlserr) == -1) {
		*cause = args_cause("%s", tlserr);
		return (-1);
	}
	o->family = sockit_config.family;
	o->stats = sockit_config.stats;
	return (0);
}

int
client_parse_inet(const struct cmd_entry *self, int argc, char **argv,
    args_cb opt, struct client_opts *o, struct addr_inet *a, char *target,
    size_t len)
{
	char	err[ADDR_ERR_LEN], *cause = NULL, one[] = "1", *hostport[2];
	int	first, rc;

	if ((rc = args_parse(self, argc, argv, opt, o, &first)) != ARGS_OK)
		return (rc == ARGS_HELP ? SOCKIT_EXIT_OK : SOCKIT_EXIT_USAGE);
	if (client_opts_finish(o, &cause) == -1) {
		log_error("%s", cause);
		return (SOCKIT_EXIT_USAGE);
	}
	/* -z HOST 22,80,8000-8010: a list instead of one port. */
	if (o->zero_io && argc - first == 2 &&
	    addr_is_portlist(argv[first + 1])) {
		/* The scan makes plain connects, many at once. */
		if (o->proxy.addr != NULL || o->tls.on) {
			log_error("-z with a list of ports checks plain TCP "
			    "connects: %s takes one port", o->proxy.addr !=
			    NULL ? "--proxy" : "--tls");
			return (SOCKIT_EXIT_USAGE);
		}
		hostport[0] = argv[first];
		hostport[1] = one;
		if (addr_parse_portlist(argv[first + 1], &o->scan_ports,
		    &o->nscan, err) == -1 ||
		    addr_parse_client(2, hostport, a, err) == -1) {
			log_error("%s", err);
			return (SOCKIT_EXIT_USAGE);
		}
		snprintf(target, len, "%s", a->host);
		return (-1);
	}
	if (addr_parse_client(argc - first, argv + first, a, err) == -1) {
		log_error("%s", err);
		return (SOCKIT_EXIT_USAGE);
	}
	snprintf(target, len, strchr(a->host, ':') != NULL ? "[%s]:%s" :
	    "%s:%s", a->host, a->port);
	return (-1);
}

/* Ports checked at once by -z. */
#define CLIENT_SCAN_CONCURRENCY	64

/* One port: as nc -z, the exit status says it all. */
static void
client_scan_quiet(int port, void *arg)
{
}

static void
client_scan_open(int port, void *arg)
{
	const char	*host = arg;

	printf("%s %d open\n", host, port);
	(void)fflush(stdout);
}

int
client_scan(const struct client_opts *o, const char *host, int port,
    int socktype)
{
	struct scan_opts	 so;
	enum scan_state		*st;
	char			 err[SOCK_ERR_LEN];
	size_t			 i, open = 0, timeout = 0;
	long long		 t0 = clock_ms();

	memset(&so, 0, sizeof(so));
	so.host = host;
	so.ports = o->nscan > 0 ? o->scan_ports : &port;
	so.nports = o->nscan > 0 ? o->nscan : 1;
	so.family = o->family;
	so.socktype = socktype;
	so.timeout_ms = o->connect_timeout_ms;
	so.wait_for_ms = o->wait_for_ms;
	so.concurrency = CLIENT_SCAN_CONCURRENCY;
	st = xcalloc(so.nports, sizeof(*st));
	err[0] = '\0';
	if (scan_run(&so, st, o->nscan > 0 ? client_scan_open :
	    client_scan_quiet, (void *)host, err) == -1) {
		if (err[0] != '\0')
			log_error("-z %s: %s", host, err);
		else
			log_syserr("-z %s", host);
		free(st);
		return (SOCKIT_EXIT_RUNTIME);
	}
	for (i = 0; i < so.nports; i++) {
		open += st[i] == SCAN_OPEN;
		timeout += st[i] == SCAN_TIMEOUT;
	}
	free(st);
	log_event(LOG_VERBOSE, "scanned", host, NULL, NULL);
	if (o->nscan > 0)
		log_info("-z %s: %zu of %zu ports open (%.3f s)", host, open,
		    so.nports, (double)(clock_ms() - t0) / 1000);
	if (o->wait_for_ms > 0)
		return (open == so.nports ? SOCKIT_EXIT_OK :
		    SOCKIT_EXIT_TIMEOUT);
	if (open > 0)
		return (SOCKIT_EXIT_OK);
	return (timeout > 0 ? SOCKIT_EXIT_TIMEOUT : SOCKIT_EXIT_REFUSED);
}
