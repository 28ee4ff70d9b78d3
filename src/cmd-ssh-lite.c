/*
 * Authenticated, encrypted remote command execution for test scripts:
 * ssh-lite keygen, ssh-lite server and ssh-lite exec.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "args.h"
#include "log.h"
#include "serveropt.h"
#include "sig.h"
#include "sock.h"
#include "sockit.h"
#include "sshl-run.h"
#include "xmalloc.h"

static int	cmd_ssh_lite_exec(const struct cmd_entry *, int, char **);
static int	sshl_cmd_keygen(const struct cmd_entry *, int, char **);
static int	sshl_cmd_server(const struct cmd_entry *, int, char **);
static int	sshl_cmd_exec(const struct cmd_entry *, int, char **);

enum {
	SSHL_OPT_OUT = 300,
	SSHL_OPT_FORCE,
	SSHL_OPT_KEY_FILE,
	SSHL_OPT_UNIX,
	SSHL_OPT_MAX_SESSIONS,
	SSHL_OPT_ENV,
	SSHL_OPT_CWD,
	SSHL_OPT_TIMEOUT,
	SSHL_OPT_SHELL,
	SSHL_OPT_CONNECT_TIMEOUT
};

static const struct args_opt sshl_keygen_options[] = {
	{ "output", 'o', ARGS_REQUIRED, SSHL_OPT_OUT, "FILE",
	  "write the key to FILE (mode 0600) instead of stdout" },
	{ "force", 0, ARGS_NONE, SSHL_OPT_FORCE, NULL,
	  "overwrite an existing FILE" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

static const struct args_opt sshl_server_options[] = {
	{ "key-file", 0, ARGS_REQUIRED, SSHL_OPT_KEY_FILE, "FILE",
	  "the pre-shared key (or SOCKIT_KEY in hex)" },
	{ "bind", 'b', ARGS_REQUIRED, SERVER_OPT_BIND, "HOST",
	  "listen on HOST (default 127.0.0.1)" },
	{ "unix", 0, ARGS_REQUIRED, SSHL_OPT_UNIX, "PATH",
	  "listen on a Unix socket instead of TCP" },
	{ "allow", 0, ARGS_REQUIRED, SERVER_OPT_ALLOW, "CIDR",
	  "accept only peers in CIDR (repeatable)" },
	{ "deny", 0, ARGS_REQUIRED, SERVER_OPT_DENY, "CIDR",
	  "refuse peers in CIDR (repeatable; wins over --allow)" },
	{ "port-file", 0, ARGS_REQUIRED, SERVER_OPT_PORT_FILE, "FILE",
	  "write the bound port to FILE once listening" },
	{ "max-sessions", 0, ARGS_REQUIRED, SSHL_OPT_MAX_SESSIONS, "N",
	  "at most N sessions at once (default 64)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

static const struct args_opt sshl_exec_options[] = {
	{ "key-file", 0, ARGS_REQUIRED, SSHL_OPT_KEY_FILE, "FILE",
	  "the pre-shared key (or SOCKIT_KEY in hex)" },
	{ "unix", 0, ARGS_REQUIRED, SSHL_OPT_UNIX, "PATH",
	  "connect to a Unix socket instead of HOST PORT" },
	{ "env", 0, ARGS_REQUIRED, SSHL_OPT_ENV, "K=V",
	  "set K=V in the command's environment (repeatable)" },
	{ "cwd", 0, ARGS_REQUIRED, SSHL_OPT_CWD, "DIR",
	  "run the command in DIR" },
	{ "timeout", 0, ARGS_REQUIRED, SSHL_OPT_TIMEOUT, "SEC",
	  "kill the command after SEC (TERM, then KILL); exit 124; 0: none" },
	{ "shell", 0, ARGS_NONE, SSHL_OPT_SHELL, NULL,
	  "run the words through /bin/sh -c" },
	{ "connect-timeout", 'w', ARGS_REQUIRED, SSHL_OPT_CONNECT_TIMEOUT,
	  "SEC", "give up connecting after SEC" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

static const struct cmd_entry sshl_keygen_entry = {
	.name = "ssh-lite keygen",
	.usage = "[-o FILE] [--force]",
	.summary = "Generate a 256-bit pre-shared key, written in hex.",
	.options = sshl_keygen_options,
	.exec = sshl_cmd_keygen
};

static const struct cmd_entry sshl_server_entry = {
	.name = "ssh-lite server",
	.usage = "[OPTIONS] [HOST] PORT --key-file FILE | --unix PATH",
	.summary = "Run commands for authenticated ssh-lite clients.",
	.options = sshl_server_options,
	.exec = sshl_cmd_server
};

static const struct cmd_entry sshl_exec_entry = {
	.name = "ssh-lite exec",
	.usage = "[OPTIONS] HOST PORT | HOST:PORT | [V6ADDR]:PORT | "
	    "--unix PATH --key-file FILE -- PROG [ARGS...]",
	.summary = "Run PROG on an ssh-lite server; exit with its status.",
	.options = sshl_exec_options,
	.exec = sshl_cmd_exec
};

static const struct cmd_entry *const sshl_subs[] = {
	&sshl_keygen_entry, &sshl_server_entry, &sshl_exec_entry, NULL
};

static const struct args_opt cmd_ssh_lite_options[] = {
	{ NULL, 0, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_ssh_lite_entry = {
	.name = "ssh-lite",
	.alias = NULL,
	.usage = "keygen | server | exec [OPTIONS] ...",
	.summary = "authenticated remote command execution (keygen, server, "
	    "exec)",
	.options = cmd_ssh_lite_options,
	.exec = cmd_ssh_lite_exec
};

/* Options of all three subcommands. */
struct sshl_cli {
	const char		*out;
	int			 force;
	const char		*key_file;
	const char		*unix_path;
	const char		*bind;
	const char		*port_file;
	struct sshl_server_opts	 srv;
	struct sshl_exec	 exec;
	size_t			 nenv;
	long long		 connect_ms;
	struct addr_inet	 addr;		/* exec: the server */
	struct addr_unix	 uaddr;		/* exec --unix */
	char			 target[SOCK_ADDR_LEN];	/* for messages */
};

static int
sshl_cli_opt(void *ctx, int id, const char *arg, char **cause)
{
	struct sshl_cli	*c = ctx;
	struct addr_cidr **list;
	size_t		*n;
	long long	 v;
	char		 err[ADDR_ERR_LEN];

	switch (id) {
	case SSHL_OPT_OUT:
		c->out = arg;
		return (0);
	case SSHL_OPT_FORCE:
		c->force = 1;
		return (0);
	case SSHL_OPT_KEY_FILE:
		c->key_file = arg;
		return (0);
	case SSHL_OPT_UNIX:
		c->unix_path = arg;
		return (0);
	case SERVER_OPT_BIND:
		c->bind = arg;
		return (0);
	case SERVER_OPT_PORT_FILE:
		c->port_file = arg;
		return (0);
	case SSHL_OPT_SHELL:
		c->exec.shell = 1;
		return (0);
	case SSHL_OPT_CWD:
		c->exec.cwd = xstrdup(arg);
		return (0);
	case SSHL_OPT_ENV:
		if (strchr(arg, '=') == NULL || arg[0] == '=') {
			*cause = args_cause("--env: \"%s\" is not K=V", arg);
			return (-1);
		}
		c->exec.env = xreallocarray(c->exec.env, c->nenv + 2,
		    sizeof(char *));
		c->exec.env[c->nenv++] = xstrdup(arg);
		c->exec.env[c->nenv] = NULL;
		return (0);
	case SSHL_OPT_TIMEOUT:
		if ((v = args_seconds(arg, 86400 * 30, cause)) == -1)
			return (-1);
		/* 0 means no limit, as with timeout(1). */
		c->exec.timeout_ms = (uint32_t)v;
		return (0);
	case SSHL_OPT_CONNECT_TIMEOUT:
		if ((c->connect_ms = args_seconds(arg, 86400, cause)) == -1)
			return (-1);
		return (0);
	case SSHL_OPT_MAX_SESSIONS:
		if ((c->srv.max_sessions = (long)args_number(arg, 1, 100000,
		    cause)) == -1)
			return (-1);
		return (0);
	case SERVER_OPT_ALLOW:
	case SERVER_OPT_DENY:
		list = id == SERVER_OPT_ALLOW ? &c->srv.acl.allow :
		    &c->srv.acl.deny;
		n = id == SERVER_OPT_ALLOW ? &c->srv.acl.nallow :
		    &c->srv.acl.ndeny;
		*list = xreallocarray(*list, *n + 1, sizeof(**list));
		if (addr_parse_cidr(arg, &(*list)[*n], err) == -1) {
			*cause = args_cause("%s", err);
			return (-1);
		}
		(*n)++;
		return (0);
	}
	return (0);
}

static void
sshl_cli_free(struct sshl_cli *c)
{
	size_t	i;

	for (i = 0; i < c->nenv; i++)
		free(c->exec.env[i]);
	if (c->nenv > 0)
		free(c->exec.env);
	free(c->exec.cwd);
	free(c->srv.acl.allow);
	free(c->srv.acl.deny);
	sodium_memzero(c->srv.key, sizeof(c->srv.key));
}

/* The key from --key-file, else SOCKIT_KEY; prints why not. */
static int
sshl_cli_key(const struct sshl_cli *c, unsigned char *key)
{
	char		 err[SSHL_ERR_LEN];
	const char	*env = getenv("SOCKIT_KEY");

	if (c->key_file != NULL) {
		if (sshl_key_load(c->key_file, key, err) == 0)
			return (0);
	} else if (env != NULL) {
		if (sshl_key_parse(env, key, err) == 0)
			return (0);
		snprintf(err, sizeof(err), "SOCKIT_KEY: expected 64 hex digits");
	} else
		snprintf(err, sizeof(err), "no key: give --key-file FILE or set "
		    "SOCKIT_KEY");
	log_error("%s", err);
	return (-1);
}

static int
sshl_cmd_keygen(const struct cmd_entry *self, int argc, char **argv)
{
	struct sshl_cli	c;
	unsigned char	key[SSHL_KEY_LEN];
	char		hex[2 * SSHL_KEY_LEN + 2];
	int		first, rc, fd;

	memset(&c, 0, sizeof(c));
	if ((rc = args_parse(self, argc, argv, sshl_cli_opt, &c, &first)) !=
	    ARGS_OK)
		return (rc == ARGS_HELP ? SOCKIT_EXIT_OK : SOCKIT_EXIT_USAGE);
	if (first != argc) {
		log_error("keygen takes no arguments");
		return (SOCKIT_EXIT_USAGE);
	}
	randombytes_buf(key, sizeof(key));
	sodium_bin2hex(hex, sizeof(hex) - 1, key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	strcat(hex, "\n");
	if (c.out == NULL)
		fd = STDOUT_FILENO;
	else if ((fd = open(c.out, O_WRONLY | O_CREAT | O_CLOEXEC | (c.force ?
	    O_TRUNC : O_EXCL), 0600)) == -1) {
		log_syserr("%s%s", c.out, errno == EEXIST ?
		    " (use --force to overwrite)" : "");
		return (SOCKIT_EXIT_RUNTIME);
	}
	/* --force may reuse a file with looser permissions: tighten them. */
	rc = (c.out != NULL && fchmod(fd, 0600) == -1) ||
	    sock_write_all(fd, hex, strlen(hex)) == -1;
	sodium_memzero(hex, sizeof(hex));
	if (rc || (c.out != NULL && close(fd) == -1)) {
		log_syserr("write %s", c.out != NULL ? c.out : "stdout");
		return (SOCKIT_EXIT_RUNTIME);
	}
	return (SOCKIT_EXIT_OK);
}

static int
sshl_listen(const struct sshl_cli *c, int argc, char **argv)
{
	struct sock_listen_opts	lo;
	struct addr_inet	a;
	struct addr_unix	u;
	char			err[SOCK_ERR_LEN] = "", where[SOCK_ADDR_LEN];
	int			fd;

	memset(&lo, 0, sizeof(lo));
	lo.socktype = SOCK_STREAM;
	if (c->unix_path != NULL) {
		if (argc != 0 || addr_parse_unix(c->unix_path, &u, err) == -1) {
			log_error("%s", argc != 0 ? "--unix takes no HOST PORT"
			    : err);
			return (-2);
		}
		fd = sock_listen_unix(&u, SOCK_STREAM, 0, 0600, err);
	} else {
		if (addr_parse_server(argc, argv, c->bind, &a, err) == -1) {
			log_error("%s", err);
			return (-2);
		}
		fd = sock_listen_inet(a.host, a.port, sockit_config.family,
		    &lo, err);
	}
	if (fd == -1) {
		log_syserr("listen %s", err[0] != '\0' ? err : "");
		return (-1);
	}
	sock_local_str(fd, where, sizeof(where));
	log_info("listening on %s (ssh-lite)", where);
	return (fd);
}

static int
sshl_server_main(const struct cmd_entry *self, int argc, char **argv,
    struct sshl_cli *c)
{
	int	first, rc, fd, in_session;

	c->srv.max_sessions = 64;
	if ((rc = args_parse(self, argc, argv, sshl_cli_opt, c, &first)) !=
	    ARGS_OK)
		return (rc == ARGS_HELP ? SOCKIT_EXIT_OK : SOCKIT_EXIT_USAGE);
	if (sshl_init() == -1) {
		log_error("libsodium cannot be initialised");
		return (SOCKIT_EXIT_RUNTIME);
	}
	if (sshl_cli_key(c, c->srv.key) == -1)
		return (SOCKIT_EXIT_USAGE);
	if (sig_catch_stop() == -1) {
		log_syserr("signals");
		return (SOCKIT_EXIT_RUNTIME);
	}
	if ((fd = sshl_listen(c, argc - first, argv + first)) < 0)
		return (fd == -2 ? SOCKIT_EXIT_USAGE : SOCKIT_EXIT_RUNTIME);
	if (c->port_file != NULL && c->unix_path == NULL &&
	    server_write_port_file(c->port_file, sock_local_port(fd)) == -1) {
		log_syserr("--port-file %s", c->port_file);
		(void)close(fd);
		return (SOCKIT_EXIT_RUNTIME);
	}
	rc = sshl_server_run(&c->srv, fd, &in_session);
	/* A session's process returns here too; the socket is not its. */
	if (!in_session && c->unix_path != NULL && c->unix_path[0] != '@')
		(void)unlink(c->unix_path);
	return (rc);
}

static int
sshl_cmd_server(const struct cmd_entry *self, int argc, char **argv)
{
	struct sshl_cli	c;
	int		rc;

	memset(&c, 0, sizeof(c));
	rc = sshl_server_main(self, argc, argv, &c);
	sshl_cli_free(&c);
	return (rc);
}

/*
 * How many of the positionals name the server when no "--" says so:
 * one when the first is HOST:PORT or [V6ADDR]:PORT, else two (HOST PORT).
 */
static int
sshl_addr_words(char **pos, int npos)
{
	struct addr_inet	a;

	if (npos >= 1 && addr_parse_client(1, pos, &a, NULL) == 0)
		return (1);
	return (npos < 2 ? npos : 2);
}

/*
 * Parses where exec connects to: --unix PATH, or naddr positionals
 * (HOST PORT, HOST:PORT or [V6ADDR]:PORT).  Returns 0, or -1 after
 * printing why (a usage error).
 */
static int
sshl_exec_addr(struct sshl_cli *c, char **pos, int naddr)
{
	char	err[ADDR_ERR_LEN];

	if (c->unix_path != NULL) {
		if (naddr != 0) {
			log_error("--unix takes no HOST PORT");
			return (-1);
		}
		if (addr_parse_unix(c->unix_path, &c->uaddr, err) == -1) {
			log_error("%s", err);
			return (-1);
		}
		snprintf(c->target, sizeof(c->target), "%s", c->unix_path);
		return (0);
	}
	if (naddr == 0) {
		log_error("expected HOST PORT or HOST:PORT before the command");
		return (-1);
	}
	if (addr_parse_client(naddr, pos, &c->addr, err) == -1) {
		log_error("%s", err);
		return (-1);
	}
	snprintf(c->target, sizeof(c->target), strchr(c->addr.host, ':') !=
	    NULL ? "[%s]:%s" : "%s:%s", c->addr.host, c->addr.port);
	return (0);
}

/* Connects for exec; returns the fd or -1 after printing why. */
static int
sshl_connect(const struct sshl_cli *c)
{
	char	err[SOCK_ERR_LEN] = "";
	int	fd;

	if (c->unix_path != NULL)
		fd = sock_connect_unix(&c->uaddr, SOCK_STREAM,
		    (int)c->connect_ms, err);
	else
		fd = sock_connect_inet(c->addr.host, c->addr.port,
		    sockit_config.family, SOCK_STREAM, (int)c->connect_ms, err);
	if (fd == -1 && errno == EHOSTUNREACH && err[0] != '\0')
		log_error("connect %s", err);
	else if (fd == -1)
		log_syserr("connect %s", c->target);
	return (fd);
}

/*
 * Parses exec's command line into c: the options, the server and the
 * command (c->exec.argv).  getopt_long moves positionals behind the
 * options and drops the "--" that ends them, so only the words in front
 * of the first "--" are parsed as options and address; every word after
 * it belongs to the command.  Without "--" the command is what follows
 * the address.  Returns an exit code, or -1 to go on.
 */
static int
sshl_exec_args(const struct cmd_entry *self, int argc, char **argv,
    struct sshl_cli *c)
{
	int	dd, first, rc, naddr, npos;
	char	**cmd;

	for (dd = 1; dd < argc && strcmp(argv[dd], "--") != 0; dd++)
		;
	if ((rc = args_parse(self, dd, argv, sshl_cli_opt, c, &first)) !=
	    ARGS_OK)
		return (rc == ARGS_HELP ? SOCKIT_EXIT_OK : SOCKIT_EXIT_USAGE);
	npos = dd - first;
	if (dd < argc) {
		naddr = npos;
		cmd = argv + dd + 1;
	} else {
		naddr = c->unix_path != NULL ? 0 :
		    sshl_addr_words(argv + first, npos);
		cmd = argv + first + naddr;
	}
	if (sshl_exec_addr(c, argv + first, naddr) == -1)
		return (SOCKIT_EXIT_USAGE);
	if (cmd[0] == NULL) {
		log_error("no command given; see 'sockit ssh-lite exec "
		    "--help'");
		return (SOCKIT_EXIT_USAGE);
	}
	c->exec.argv = cmd;
	return (-1);
}

static int
sshl_exec_main(const struct cmd_entry *self, int argc, char **argv,
    struct sshl_cli *c)
{
	unsigned char	 key[SSHL_KEY_LEN];
	char		*empty[] = { NULL }, **env;
	int		 rc, fd;

	if ((rc = sshl_exec_args(self, argc, argv, c)) != -1)
		return (rc);
	if (sshl_init() == -1) {
		log_error("libsodium cannot be initialised");
		return (SSHL_EXIT_OWN);
	}
	if (sshl_cli_key(c, key) == -1)
		return (SOCKIT_EXIT_USAGE);
	if ((fd = sshl_connect(c)) == -1) {
		sodium_memzero(key, sizeof(key));
		return (SSHL_EXIT_OWN);
	}
	env = c->exec.env;
	if (env == NULL)
		c->exec.env = empty;
	rc = sshl_exec_run(key, &c->exec, fd);
	c->exec.env = env;
	sodium_memzero(key, sizeof(key));
	return (rc);
}

static int
sshl_cmd_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct sshl_cli	c;
	int		rc;

	memset(&c, 0, sizeof(c));
	rc = sshl_exec_main(self, argc, argv, &c);
	sshl_cli_free(&c);
	return (rc);
}

static int
cmd_ssh_lite_exec(const struct cmd_entry *self, int argc, char **argv)
{
	size_t	i;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		args_usage(argc < 2 ? stderr : stdout, self);
		for (i = 0; sshl_subs[i] != NULL; i++)
			fprintf(argc < 2 ? stderr : stdout, "\n  sockit %s %s\n"
			    "    %s\n", sshl_subs[i]->name, sshl_subs[i]->usage,
			    sshl_subs[i]->summary);
		return (argc < 2 ? SOCKIT_EXIT_USAGE : SOCKIT_EXIT_OK);
	}
	for (i = 0; sshl_subs[i] != NULL; i++)
		if (strcmp(sshl_subs[i]->name + strlen("ssh-lite "),
		    argv[1]) == 0) {
			log_set_command(sshl_subs[i]->name);
			return (sshl_subs[i]->exec(sshl_subs[i], argc - 1,
			    argv + 1));
		}
	log_error("unknown subcommand \"%s\" (keygen, server, exec)", argv[1]);
	return (SOCKIT_EXIT_USAGE);
}
