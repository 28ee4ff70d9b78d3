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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "exitcode.h"
#include "handler.h"
#include "log.h"
#include "loop.h"
#include "server.h"
#include "sig.h"
#include "sock.h"
#include "spawn.h"
#include "stream.h"

/* Connections accepted per wakeup at most (see server_accept_ready). */
#define SERVER_ACCEPT_MAX	65536
/* How long accepting pauses when the process is out of fds. */
#define SERVER_EMFILE_PAUSE_MS	100

static void	server_accept_ready(struct loop *, int, int, void *);
static void	server_set_accepting(struct server *, int);
static void	server_close_listeners(struct server *);

static long
server_count_from(struct server *s, const struct sockaddr_storage *ss)
{
	struct conn	*c;
	long		 n = 0;

	for (c = s->conns; c != NULL; c = c->next)
		if (sock_same_ip(&c->peer_sa.sa, (const struct sockaddr *)ss))
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

void
server_conn_gone(struct server *s, struct conn *c)
{
	if (!s->accepting && !s->draining && !(s->o->once && s->total > 0) &&
	    s->nlfds > 0)
		server_set_accepting(s, 1);
	server_maybe_finish(s);
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
	if ((why = server_check_peer(s, &ss)) != NULL) {
		sock_addr_str((struct sockaddr *)&ss, len, peer, sizeof(peer));
		log_event(LOG_NOTICE, strcmp(why, "denied") == 0 ? "denied" :
		    "refused", peer, NULL, why);
		(void)close(fd);
		return (0);
	}
	conn_open(s, fd, &ss, NULL);
	return (0);
}

static void
server_accept_ready(struct loop *l, int lfd, int mask, void *arg)
{
	struct server	*s = arg;
	int		 i;

	/*
	 * Accept until the queue is empty, as a minimal epoll server does:
	 * with a burst of thousands of clients, a queue left half full
	 * overflows and the kernel drops SYNs, which cost the client a
	 * one-second retransmission.  The cap only bounds one wakeup when
	 * clients keep arriving faster than they can be accepted.
	 */
	for (i = 0; i < SERVER_ACCEPT_MAX && s->accepting; i++) {
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

/* Ends every connection that is left: the drain is over. */
static void
server_cut_all(struct server *s, const char *why)
{
	long	n = s->nconns;

	while (s->conns != NULL)
		conn_cut(s->conns, why);
	if (n > 0)
		log_error("%ld connection%s cut (%s)", n, n == 1 ? "" : "s",
		    why);
	loop_stop(s->loop);
}

static void
server_drain_expired(struct loop *l, struct loop_timer *t, void *arg)
{
	server_cut_all(arg, "drain timeout");
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

/*
 * SIGINT/SIGTERM: stop accepting and let connections finish for up to
 * --drain; a second signal ends them at once.
 */
static void
server_on_stop_signal(struct server *s)
{
	char	msg[128];

	if (s->draining) {
		server_cut_all(s, "second signal");
		return;
	}
	s->draining = 1;
	server_close_listeners(s);
	loop_timer_cancel(s->loop, &s->resume_timer);
	if (s->nconns == 0) {
		loop_stop(s->loop);
		return;
	}
	snprintf(msg, sizeof(msg), "%ld connection%s for up to %.3g s; "
	    "signal again to stop now", s->nconns, s->nconns == 1 ? "" : "s",
	    (double)s->o->drain_ms / 1000);
	log_event(LOG_NOTICE, "draining", NULL, NULL, msg);
	(void)loop_timer_set(s->loop, &s->drain_timer, s->o->drain_ms);
}

/* An exec child ended: tell its connection. */
static void
server_child_ended(pid_t pid, int status, void *arg)
{
	struct server	*s = arg;
	struct conn	*c;

	for (c = s->conns; c != NULL && c->pid != pid; c = c->next)
		;
	if (c != NULL)
		conn_child_ended(c, status);
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
			server_on_stop_signal(s);
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
	stream_stdio_init(&s->in, STDIN_FILENO);
	stream_stdio_init(&s->out, STDOUT_FILENO);
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
	s->fwd_addrs = o->fwd_addrs;
	s->nfwd = o->nfwd;
	server_set_accepting(s, 1);
	return (0);
}

/*
 * The exit code of a finished server: a cut connection (drain timeout,
 * second signal) is never success; --once reports its one connection.
 */
static int
server_exit_code(const struct server *s)
{
	if (s->cut > 0)
		return (SOCKIT_EXIT_RUNTIME);
	return (s->o->once ? s->exit_code : SOCKIT_EXIT_OK);
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
	if (o->stats)
		log_stats(s.total, &s.sum);
	server_free(&s);
	if (rc == -1)
		return (SOCKIT_EXIT_RUNTIME);
	return (server_exit_code(&s));
}

/* The parent of --workers. */
struct server_super {
	struct loop	*loop;
	pid_t		*pids;
	long		 n, alive;
	int		 rc;
};

static void
server_worker_ended(pid_t pid, int status, void *arg)
{
	struct server_super	*sv = arg;
	long			 i;

	for (i = 0; i < sv->n; i++)
		if (sv->pids[i] == pid) {
			sv->pids[i] = 0;
			sv->alive--;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		sv->rc = SOCKIT_EXIT_RUNTIME;
	if (sv->alive == 0)
		loop_stop(sv->loop);
}

/* Forwards SIGINT/SIGTERM (each of them: a second one cuts) to workers. */
static void
server_super_signal(struct loop *l, int fd, int mask, void *arg)
{
	struct server_super	*sv = arg;
	long			 i;
	int			 signo;

	while ((signo = sig_next(fd)) != 0) {
		if (signo == SIGCHLD)
			continue;
		for (i = 0; i < sv->n; i++)
			if (sv->pids[i] > 0)
				(void)kill(sv->pids[i], SIGTERM);
	}
	(void)spawn_reap(server_worker_ended, sv);
}

/* Waits for every worker, on the same event loop as everything else. */
static int
server_supervise(pid_t *pids, long n)
{
	static const int	 sigs[] = { SIGINT, SIGTERM, SIGCHLD, 0 };
	struct server_super	 sv;
	int			 fd;

	memset(&sv, 0, sizeof(sv));
	sv.pids = pids;
	sv.n = sv.alive = n;
	if ((fd = sig_open(sigs)) == -1 || (sv.loop = loop_new()) == NULL)
		return (SOCKIT_EXIT_RUNTIME);
	if (loop_set_fd(sv.loop, fd, LOOP_READABLE, server_super_signal,
	    &sv) == -1) {
		loop_free(sv.loop);
		return (SOCKIT_EXIT_RUNTIME);
	}
	/* A worker that died before the handler was in place. */
	(void)spawn_reap(server_worker_ended, &sv);
	if (sv.alive > 0 && loop_run(sv.loop) == -1)
		sv.rc = SOCKIT_EXIT_RUNTIME;
	loop_free(sv.loop);
	return (sv.rc);
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
	if ((pids = calloc((size_t)n, sizeof(*pids))) == NULL) {
		log_syserr("workers");
		return (SOCKIT_EXIT_RUNTIME);
	}
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
