/*
 * The stream server: one event loop per process (or worker) serving every
 * connection with a relay, or a child process per connection for --exec.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "escape.h"
#include "log.h"
#include "loop.h"
#include "relay.h"
#include "server.h"
#include "sig.h"
#include "sock.h"
#include "sockit.h"
#include "xmalloc.h"

/* Per-connection buffer: the read size and the backpressure mark. */
#define SERVER_BUFSIZE		(64 * 1024)
/*
 * Sinks (--discard, and the peer-to-stdout side of --stdio) read 16 KiB
 * at a time: it stays in the L1 cache, and measured fastest.  A
 * busy-polling sink reads whole buffers instead: it meets each segment
 * as it lands, and 64 KiB reads measured steadier there.
 */
#define SERVER_SINK_READ	(16 * 1024)
/* How long accepting pauses when the process is out of fds. */
#define SERVER_EMFILE_PAUSE_MS	100

struct server;

struct conn {
	struct server		*srv;
	struct conn		*prev, *next;
	int			 fd;		/* -1 for an exec child */
	pid_t			 pid;		/* exec child, or 0 */
	struct sockaddr_storage	 peer_sa;
	char			 peer[SOCK_ADDR_LEN];
	long long		 started;
	struct relay		 relay;
	struct loop_timer	 idle;
};

struct server {
	const struct server_opts *o;
	struct loop		 *loop;
	int			 *lfds;
	int			  nlfds;
	int			  accepting;	/* listeners registered */
	int			  draining;
	struct conn		 *conns;
	long			  nconns;
	unsigned long long	  total;	/* connections served */
	struct log_xfer		  sum;
	int			  exit_code;
	int			  sigfd;
	struct loop_timer	  drain_timer;
	struct loop_timer	  resume_timer;
	long long		  started;
};

static void	server_accept_ready(struct loop *, int, int, void *);
static void	server_set_accepting(struct server *, int);
static void	server_close_listeners(struct server *);

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
	frameopt_init(&o->frames, 0);
}

void
server_opts_free(struct server_opts *o)
{
	free(o->exec.argv);
	free(o->exec.shell);
	free(o->banner);
	free(o->acl.allow);
	free(o->acl.deny);
	memset(o, 0, sizeof(*o));
}

static int
server_set_handler(struct server_opts *o, enum server_handler h,
    char **cause)
{
	if (o->handler_set && o->handler != h) {
		*cause = args_cause("choose one of --echo, --upper, --discard, "
		    "--stdio, --exec, --sh-exec");
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
	if (id == SERVER_OPT_SH_EXEC) {
		o->exec.shell = xstrdup(arg);
		return (0);
	}
	if ((o->exec.argv = spawn_split(arg)) == NULL) {
		*cause = args_cause("--exec: empty command");
		return (-1);
	}
	return (0);
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
		v = o->busy_us = (long)args_number(arg, 0, 1000000, cause);
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

	if ((rc = frameopt_set(&o->frames, id, arg, cause)) != 0)
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
	case SERVER_OPT_PORT_FILE:
		o->port_file = arg;
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
	}
	return (server_set_number(o, id, arg, cause));
}

int
server_opts_finish(struct server_opts *o, char **cause)
{
	char	err[SPAWN_ERR_LEN];

	if (frameopt_finish(&o->frames, cause) == -1)
		return (-1);
	if (o->banner != NULL && !o->handler_set)
		o->handler = SERVER_BANNER;
	if (o->handler == SERVER_STDIO)
		o->once = 1;
	if (o->handler == SERVER_EXEC && frameopt_framed(&o->frames)) {
		*cause = args_cause("--frame cannot be combined with --exec or "
		    "--sh-exec: the program gets the raw byte stream");
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

int
server_write_port_file(const char *path, int port)
{
	char	tmp[4096], text[16];
	int	fd, len;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path,
	    (long)getpid()) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	len = snprintf(text, sizeof(text), "%d\n", port);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return (-1);
	if (sock_write_all(fd, text, (size_t)len) == -1 || close(fd) == -1) {
		(void)unlink(tmp);
		return (-1);
	}
	/* rename() makes the whole line appear at once to a poller. */
	if (rename(tmp, path) == -1) {
		(void)unlink(tmp);
		return (-1);
	}
	return (0);
}

/* Formats the peer: host:port, or uid/pid of a Unix peer. */
static void
server_peer_str(int fd, const struct sockaddr_storage *ss, socklen_t len,
    char *buf, size_t size)
{
#ifdef SO_PEERCRED
	struct ucred	cred;
	socklen_t	clen = sizeof(cred);

	if (ss->ss_family == AF_UNIX) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
			snprintf(buf, size, "pid=%ld,uid=%ld", (long)cred.pid,
			    (long)cred.uid);
		else
			snprintf(buf, size, "unix");
		return;
	}
#endif
	sock_addr_str((const struct sockaddr *)ss, len, buf, size);
}

static int
server_same_host(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return (0);
	if (a->ss_family == AF_INET)
		return (((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr);
	if (a->ss_family == AF_INET6)
		return (memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr)) == 0);
	return (1);	/* Unix peers all come from this host */
}

static long
server_count_from(struct server *s, const struct sockaddr_storage *ss)
{
	struct conn	*c;
	long		 n = 0;

	for (c = s->conns; c != NULL; c = c->next)
		if (server_same_host(&c->peer_sa, ss))
			n++;
	return (n);
}

static void
server_maybe_finish(struct server *s)
{
	if (s->nconns > 0)
		return;
	if (s->draining || (s->o->once && s->total > 0))
		loop_stop(s->loop);
}

/* Logs, closes and frees a connection; reopens accepting if it was full. */
static void
conn_close(struct conn *c, const char *reason)
{
	struct server	*s = c->srv;
	struct log_xfer	 x;

	x.in = c->fd >= 0 ? relay_bytes_from(&c->relay, c->fd) : 0;
	x.out = c->fd >= 0 ? relay_bytes_to(&c->relay, c->fd) : 0;
	x.secs = (double)(loop_now(s->loop) - c->started) / 1000.0;
	log_event(reason != NULL ? LOG_NOTICE : LOG_VERBOSE, "closed",
	    c->peer, &x, reason);
	s->sum.in += x.in;
	s->sum.out += x.out;
	loop_timer_cancel(s->loop, &c->idle);
	if (c->fd >= 0) {
		relay_free(&c->relay);
		(void)close(c->fd);
	}
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->nconns--;
	free(c);
	if (!s->accepting && !s->draining && !(s->o->once && s->total > 0))
		server_set_accepting(s, 1);
	server_maybe_finish(s);
}

static void
conn_relay_done(struct relay *r, void *arg)
{
	struct conn	*c = arg;
	char		 why[128];

	switch (r->status) {
	case RELAY_DONE:
		conn_close(c, NULL);
		return;
	case RELAY_ERR_FRAME:
		snprintf(why, sizeof(why), "frame error: %s",
		    frame_strerror(r->frame_err));
		c->srv->exit_code = SOCKIT_EXIT_PROTOCOL;
		break;
	case RELAY_ERR_NOMEM:
		snprintf(why, sizeof(why), "out of memory");
		c->srv->exit_code = SOCKIT_EXIT_RUNTIME;
		break;
	default:
		snprintf(why, sizeof(why), "%s: %s",
		    r->status == RELAY_ERR_READ ? "read" : "write",
		    strerror(r->err));
		c->srv->exit_code = SOCKIT_EXIT_RUNTIME;
	}
	conn_close(c, why);
}

static void
conn_idle_check(struct loop *l, struct loop_timer *t, void *arg)
{
	struct conn	*c = arg;
	long long	 quiet = loop_now(l) - c->relay.last_active;

	if (quiet >= c->srv->o->idle_ms) {
		c->srv->exit_code = SOCKIT_EXIT_TIMEOUT;
		conn_close(c, "idle timeout");
		return;
	}
	(void)loop_timer_set(l, t, c->srv->o->idle_ms - quiet);
}

/* What a sink (--discard, --stdio's peer-to-stdout side) reads per call. */
static size_t
server_sink_read(const struct server_opts *o)
{
	return (o->busy_us > 0 ? 0 : SERVER_SINK_READ);
}

/* Echo, upper, discard, banner: one pipe from the peer back to it. */
static void
conn_setup_loopback(struct conn *c, struct relay_pipe_conf *pc)
{
	const struct server_opts *o = c->srv->o;

	pc->src = c->fd;
	pc->dst = o->handler == SERVER_DISCARD ? -1 : c->fd;
	pc->in = &o->frames.wire;
	pc->out = &o->frames.wire;
	pc->transform = o->handler == SERVER_UPPER ? relay_upper : NULL;
	pc->readmax = o->handler == SERVER_DISCARD ? server_sink_read(o) : 0;
	/*
	 * Dropping in the kernel saves the copy, but then the reader is so
	 * quick that it sleeps between segments and the sender pays for
	 * waking it: measured slower, unless the loop busy-polls.
	 */
	pc->kernel_drop = o->handler == SERVER_DISCARD && o->busy_us > 0;
	pc->shutdown_dst = 1;
	pc->free_idle = 1;
	relay_add_pipe(&c->relay, pc);
}

/* --stdio: the peer to stdout, stdin to the peer (nc -l). */
static void
conn_setup_stdio(struct conn *c, struct relay_pipe_conf *pc)
{
	const struct server_opts *o = c->srv->o;

	pc->src = c->fd;
	pc->dst = STDOUT_FILENO;
	pc->in = &o->frames.wire;
	pc->out = &o->frames.local;
	pc->ends_relay = 1;	/* the peer hung up: done, as nc -l */
	pc->readmax = server_sink_read(o);
	relay_add_pipe(&c->relay, pc);
	pc->readmax = 0;
	pc->src = STDIN_FILENO;
	pc->dst = c->fd;
	pc->in = &o->frames.local;
	pc->out = &o->frames.wire;
	pc->ends_relay = 0;
	pc->shutdown_dst = 1;
	pc->partial_ok = 1;
	relay_add_pipe(&c->relay, pc);
}

static int
conn_start_relay(struct conn *c)
{
	const struct server_opts *o = c->srv->o;
	struct relay_pipe_conf	  pc;
	struct relay_pipe	 *first;

	memset(&pc, 0, sizeof(pc));
	pc.bufsize = SERVER_BUFSIZE;
	relay_init(&c->relay, c->srv->loop, conn_relay_done, c);
	if (o->handler == SERVER_STDIO)
		conn_setup_stdio(c, &pc);
	else
		conn_setup_loopback(c, &pc);
	/* The banner goes out before anything the handler sends. */
	first = &c->relay.pipes[o->handler == SERVER_STDIO ? 1 : 0];
	if (o->banner_len > 0 &&
	    buf_append(&first->outb, o->banner, o->banner_len) == -1)
		return (-1);
	if (relay_start(&c->relay) == -1)
		return (-1);
	if (o->handler == SERVER_BANNER)
		relay_end_input(&c->relay, 0);
	return (0);
}

/* --exec: the child owns the socket; we keep only its pid. */
static int
conn_start_exec(struct conn *c)
{
	const struct server_opts *o = c->srv->o;
	char			  local[SOCK_ADDR_LEN];

	sock_local_str(c->fd, local, sizeof(local));
	if (o->banner_len > 0 &&
	    sock_write_all(c->fd, o->banner, o->banner_len) == -1)
		return (-1);
	if ((c->pid = spawn_child(&o->exec, c->fd, c->fd, c->peer, local)) == -1)
		return (-1);
	(void)close(c->fd);
	c->fd = -1;
	return (0);
}

static void
conn_set_sockopts(const struct server_opts *o, int fd)
{
	/* Options on a Unix socket fail with EOPNOTSUPP: that is fine. */
	if (o->keepalive)
		(void)sock_set_keepalive(fd);
	if (o->nodelay)
		(void)sock_set_nodelay(fd);
}

static void
server_new_conn(struct server *s, int fd, const struct sockaddr_storage *ss,
    const char *peer)
{
	struct conn	*c;
	int		 rc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_event(LOG_NOTICE, "refused", peer, NULL, "out of memory");
		(void)close(fd);
		return;
	}
	c->srv = s;
	c->fd = fd;
	c->peer_sa = *ss;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->started = loop_now(s->loop);
	loop_timer_init(&c->idle, conn_idle_check, c);
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	s->total++;
	log_event(LOG_VERBOSE, "accepted", peer, NULL, NULL);
	conn_set_sockopts(s->o, fd);
	/* An exec child owns its socket: no idle timer for it. */
	if (s->o->idle_ms > 0 && s->o->handler != SERVER_EXEC)
		(void)loop_timer_set(s->loop, &c->idle, s->o->idle_ms);
	/* Starting may already end (and free) the connection: last step. */
	rc = s->o->handler == SERVER_EXEC ? conn_start_exec(c) :
	    conn_start_relay(c);
	if (rc == -1)
		conn_close(c, strerror(errno));
}

/*
 * Applies --allow/--deny, --max-conns and --max-per-ip to a new peer.
 * Returns NULL when it may stay, else the reason to close it.
 */
static const char *
server_check_peer(struct server *s, const struct sockaddr_storage *ss)
{
	static char	why[64];

	if ((ss->ss_family == AF_INET || ss->ss_family == AF_INET6) &&
	    !addr_acl_permits(&s->o->acl, (const struct sockaddr *)ss))
		return ("denied");
	if (s->nconns >= s->o->max_conns) {
		snprintf(why, sizeof(why), "max-conns %ld reached",
		    s->o->max_conns);
		return (why);
	}
	if (s->o->max_per_ip > 0 &&
	    server_count_from(s, ss) >= s->o->max_per_ip) {
		snprintf(why, sizeof(why), "max-per-ip %ld reached",
		    s->o->max_per_ip);
		return (why);
	}
	return (NULL);
}

static void
server_resume_accepting(struct loop *l, struct loop_timer *t, void *arg)
{
	struct server	*s = arg;

	if (!s->draining && s->nconns < s->o->max_conns)
		server_set_accepting(s, 1);
}

/* Out of fds: stop accepting for a moment instead of spinning. */
static void
server_accept_failed(struct server *s)
{
	if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
	    errno == ENOMEM) {
		log_syserr("accept (pausing for %d ms)",
		    SERVER_EMFILE_PAUSE_MS);
		server_set_accepting(s, 0);
		(void)loop_timer_set(s->loop, &s->resume_timer,
		    SERVER_EMFILE_PAUSE_MS);
	} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != ECONNABORTED && errno != EPROTO)
		log_syserr("accept");
}

/* Accepts one connection; returns 0 to go on, -1 when none is left. */
static int
server_accept_one(struct server *s, int lfd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	char			 peer[SOCK_ADDR_LEN];
	const char		*why;
	int			 fd;

	if ((fd = sock_accept(lfd, &ss, &len)) == -1) {
		server_accept_failed(s);
		return (-1);
	}
	server_peer_str(fd, &ss, len, peer, sizeof(peer));
	if ((why = server_check_peer(s, &ss)) != NULL) {
		log_event(LOG_NOTICE, strcmp(why, "denied") == 0 ? "denied" :
		    "refused", peer, NULL, why);
		(void)close(fd);
		return (0);
	}
	server_new_conn(s, fd, &ss, peer);
	return (0);
}

static void
server_accept_ready(struct loop *l, int lfd, int mask, void *arg)
{
	struct server	*s = arg;
	int		 i;

	/* A bounded batch per wakeup keeps existing connections served. */
	for (i = 0; i < 256 && s->accepting; i++) {
		if (server_accept_one(s, lfd) == -1)
			break;
		if (s->o->once) {
			/* As nc -l: later clients are refused, not queued. */
			server_close_listeners(s);
			break;
		}
		if (s->o->on_full_queue && s->nconns >= s->o->max_conns) {
			log_event(LOG_VERBOSE, "full", NULL, NULL,
			    "max-conns reached; queueing new connections");
			server_set_accepting(s, 0);
		}
	}
}

static void
server_set_accepting(struct server *s, int on)
{
	int	i;

	if (s->accepting == on)
		return;
	for (i = 0; i < s->nlfds; i++)
		(void)loop_set_fd(s->loop, s->lfds[i], on ? LOOP_READABLE : 0,
		    server_accept_ready, s);
	s->accepting = on;
}

static void
server_drain_expired(struct loop *l, struct loop_timer *t, void *arg)
{
	struct server	*s = arg;

	while (s->conns != NULL)
		conn_close(s->conns, "drain timeout");
	loop_stop(l);
}

static void
server_close_listeners(struct server *s)
{
	int	i;

	server_set_accepting(s, 0);
	for (i = 0; i < s->nlfds; i++) {
		(void)close(s->lfds[i]);
		s->lfds[i] = -1;
	}
	s->nlfds = 0;
}

/* SIGINT/SIGTERM: stop accepting, let connections finish, then exit. */
static void
server_start_drain(struct server *s)
{
	if (s->draining)
		return;
	s->draining = 1;
	log_event(LOG_VERBOSE, "draining", NULL, NULL, NULL);
	server_close_listeners(s);
	loop_timer_cancel(s->loop, &s->resume_timer);
	if (s->nconns == 0) {
		loop_stop(s->loop);
		return;
	}
	(void)loop_timer_set(s->loop, &s->drain_timer, s->o->drain_ms);
}

/* An exec child ended: close its connection record. */
static void
server_child_ended(pid_t pid, int status, void *arg)
{
	struct server	*s = arg;
	struct conn	*c;
	char		 why[64];

	for (c = s->conns; c != NULL && c->pid != pid; c = c->next)
		;
	if (c == NULL)
		return;
	spawn_status_str(status, why, sizeof(why));
	conn_close(c, why[0] != '\0' ? why : NULL);
}

static void
server_signal_ready(struct loop *l, int fd, int mask, void *arg)
{
	struct server	*s = arg;
	int		 signo;

	while ((signo = sig_next(fd)) != 0) {
		if (signo == SIGCHLD)
			(void)spawn_reap(server_child_ended, s);
		else
			server_start_drain(s);
	}
}

static void
server_free(struct server *s)
{
	s->draining = 1;
	while (s->conns != NULL)
		conn_close(s->conns, NULL);
	server_close_listeners(s);
	if (s->sigfd != -1)
		(void)loop_set_fd(s->loop, s->sigfd, 0, NULL, NULL);
	loop_free(s->loop);
}

static int
server_setup(struct server *s, const struct server_opts *o, int *lfds,
    int n)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGCHLD, 0 };

	memset(s, 0, sizeof(*s));
	s->o = o;
	s->lfds = lfds;
	s->nlfds = n;
	s->sigfd = -1;
	if ((s->loop = loop_new()) == NULL) {
		log_syserr("event loop");
		return (-1);
	}
	loop_set_busy_poll(s->loop, o->busy_us);
	s->started = loop_now(s->loop);
	loop_timer_init(&s->drain_timer, server_drain_expired, s);
	loop_timer_init(&s->resume_timer, server_resume_accepting, s);
	if ((s->sigfd = sig_open(sigs)) == -1 ||
	    loop_set_fd(s->loop, s->sigfd, LOOP_READABLE, server_signal_ready,
	    s) == -1) {
		log_syserr("signals");
		return (-1);
	}
	server_set_accepting(s, 1);
	return (0);
}

/* One process's loop over its listeners. */
static int
server_serve(const struct server_opts *o, int *lfds, int n)
{
	struct server	s;
	int		rc;

	if (server_setup(&s, o, lfds, n) == -1)
		return (SOCKIT_EXIT_RUNTIME);
	/* The loop also holds the signal fd, so only loop_stop ends it. */
	rc = loop_run(s.loop);
	if (rc == -1)
		log_syserr("event loop");
	s.sum.secs = (double)(loop_now(s.loop) - s.started) / 1000.0;
	if (sockit_config.stats)
		log_stats(s.total, &s.sum);
	server_free(&s);
	if (rc == -1)
		return (SOCKIT_EXIT_RUNTIME);
	return (o->once ? s.exit_code : SOCKIT_EXIT_OK);
}

/* The parent of --workers: forwards SIGINT/SIGTERM, waits for all. */
static int
server_supervise(pid_t *pids, long n)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGCHLD, 0 };
	struct pollfd	 pfd;
	long		 alive = n, i;
	int		 signo, status, rc = SOCKIT_EXIT_OK;
	pid_t		 pid;

	if ((pfd.fd = sig_open(sigs)) == -1)
		return (SOCKIT_EXIT_RUNTIME);
	pfd.events = POLLIN;
	while (alive > 0) {
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			return (SOCKIT_EXIT_RUNTIME);
		while ((signo = sig_next(pfd.fd)) != 0) {
			if (signo == SIGCHLD)
				continue;
			for (i = 0; i < n; i++)
				if (pids[i] > 0)
					(void)kill(pids[i], SIGTERM);
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (i = 0; i < n; i++)
				if (pids[i] == pid) {
					pids[i] = 0;
					alive--;
				}
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				rc = SOCKIT_EXIT_RUNTIME;
		}
	}
	return (rc);
}

int
server_run(const struct server_opts *o, int *lfds, int n)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGCHLD, 0 };
	pid_t	*pids;
	long	 i, j;
	int	 rc;

	if (o->workers <= 1 || n <= 1)
		return (server_serve(o, lfds, n));
	/* Catch signals before forking, so none is lost in between. */
	if (sig_open(sigs) == -1) {
		log_syserr("signals");
		return (SOCKIT_EXIT_RUNTIME);
	}
	pids = xcalloc((size_t)n, sizeof(*pids));
	for (i = 0; i < n; i++) {
		if ((pids[i] = sig_fork()) == -1) {
			log_syserr("fork worker");
			break;
		}
		if (pids[i] == 0) {
			/*
			 * Each worker keeps only its own listener, and returns
			 * through its caller, which frees what it allocated.
			 */
			sig_reset_child();
			free(pids);
			for (j = 0; j < n; j++)
				if (j != i)
					(void)close(lfds[j]);
			return (server_serve(o, &lfds[i], 1));
		}
	}
	for (j = 0; j < n; j++)
		(void)close(lfds[j]);
	rc = server_supervise(pids, i);
	free(pids);
	return (rc);
}
