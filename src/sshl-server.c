/*
 * ssh-lite server: accepts connections, forks a process per session,
 * authenticates, runs the command in its own process group and streams
 * its output back with flow control.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "buf.h"
#include "escape.h"
#include "log.h"
#include "sig.h"
#include "sock.h"
#include "sockit.h"
#include "sshl-chan.h"
#include "sshl-run.h"

/* Output queued for the client before reading the command stops. */
#define SSHL_HIGH_WATER	(256 * 1024)
/* How long and how much a closing session still reads from its client. */
#define SSHL_LINGER_MS		2000
#define SSHL_LINGER_BYTES	(4 * 1024 * 1024)

/* One session's state, in the session's own process. */
struct sshl_sess {
	struct sshl_chan	 chan;
	const char		*peer;
	struct sshl_exec	 exec;
	pid_t			 pid;
	int			 in, out, err;	/* the command's pipes */
	struct buf		 stdin_buf;
	int			 stdin_eof;	/* client sent STDIN_EOF */
	int			 status;
	int			 reaped;
	int			 timed_out;
	int			 client_gone;
	long long		 deadline;	/* --timeout, or 0 */
	long long		 kill_at;	/* SIGKILL after TERM, or 0 */
	long long		 started;
	unsigned long long	 bytes_in, bytes_out;
	int			 sigfd;
};

/* In the command's child: own group, cwd, environment, exec. */
static void
sshl_child(struct sshl_sess *s, int in, int out, int err)
{
	char	*sh[4], *joined, shname[] = "sh", dash_c[] = "-c";
	size_t	 i, len = 1;

	sig_reset_child();
	(void)setpgid(0, 0);
	if (dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(err, 2) == -1)
		_exit(127);
	if (s->exec.cwd != NULL && chdir(s->exec.cwd) == -1) {
		fprintf(stderr, "sockit ssh-lite: cd %s: %s\n", s->exec.cwd,
		    strerror(errno));
		_exit(126);
	}
	for (i = 0; s->exec.env[i] != NULL; i++)
		(void)putenv(s->exec.env[i]);
	if (s->exec.shell) {
		for (i = 0; s->exec.argv[i] != NULL; i++)
			len += strlen(s->exec.argv[i]) + 1;
		if ((joined = calloc(len, 1)) == NULL)
			_exit(126);
		for (i = 0; s->exec.argv[i] != NULL; i++) {
			if (i > 0)
				strcat(joined, " ");
			strcat(joined, s->exec.argv[i]);
		}
		sh[0] = shname;
		sh[1] = dash_c;
		sh[2] = joined;
		sh[3] = NULL;
		execv("/bin/sh", sh);
	} else
		execvp(s->exec.argv[0], s->exec.argv);
	fprintf(stderr, "sockit ssh-lite: %s: %s\n", s->exec.shell ?
	    "/bin/sh" : s->exec.argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

static int
sshl_spawn(struct sshl_sess *s)
{
	int	in[2], out[2], err[2];

	if (sock_pipe(in) == -1 || sock_pipe(out) == -1 ||
	    sock_pipe(err) == -1)
		return (-1);
	if ((s->pid = sig_fork()) == -1)
		return (-1);
	if (s->pid == 0)
		sshl_child(s, in[0], out[1], err[1]);
	/* Set the group here too, so a kill never races the child. */
	(void)setpgid(s->pid, s->pid);
	(void)close(in[0]);
	(void)close(out[1]);
	(void)close(err[1]);
	s->in = in[1];
	s->out = out[0];
	s->err = err[0];
	(void)sock_set_nonblock(s->in, 1);
	(void)sock_set_nonblock(s->out, 1);
	(void)sock_set_nonblock(s->err, 1);
	return (0);
}

/* Signals the whole group; after TERM, KILL follows the grace period. */
static void
sshl_kill_group(struct sshl_sess *s, int signo)
{
	if (s->reaped)
		return;
	(void)kill(-s->pid, signo);
	if (signo == SIGTERM && s->kill_at == 0)
		s->kill_at = clock_ms() + SSHL_KILL_GRACE_MS;
}

static void
sshl_close_fd(int *fd)
{
	if (*fd != -1) {
		(void)close(*fd);
		*fd = -1;
	}
}

/* Reads the command's stdout or stderr into a message for the client. */
static void
sshl_pump_output(struct sshl_sess *s, int *fd, int type)
{
	ssize_t	n;

	n = sshl_chan_send_read(&s->chan, type, *fd, SSHL_CHUNK);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n == -1 && errno == ENOMEM) {
		s->client_gone = 1;
		return;
	}
	if (n <= 0) {
		sshl_close_fd(fd);
		return;
	}
	s->bytes_out += (unsigned long long)n;
}

/* Writes queued stdin to the command; a closed stdin drops the rest. */
static void
sshl_pump_stdin(struct sshl_sess *s)
{
	ssize_t	n;

	while (s->in != -1 && s->stdin_buf.len > 0) {
		n = write(s->in, BUF_HEAD(&s->stdin_buf), s->stdin_buf.len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1) {
			sshl_close_fd(&s->in);
			break;
		}
		buf_consume(&s->stdin_buf, (size_t)n);
	}
	if (s->in == -1)
		buf_consume(&s->stdin_buf, s->stdin_buf.len);
	if (s->stdin_eof && s->stdin_buf.len == 0)
		sshl_close_fd(&s->in);
}

static int
sshl_allowed_signal(int signo)
{
	return (signo == SIGINT || signo == SIGTERM || signo == SIGHUP ||
	    signo == SIGQUIT || signo == SIGKILL || signo == SIGUSR1 ||
	    signo == SIGUSR2);
}

/* Handles one message from the client during the command. */
static int
sshl_on_message(struct sshl_sess *s, int type, const unsigned char *p,
    size_t len)
{
	switch (type) {
	case SSHL_STDIN:
		s->bytes_in += len;
		if (s->in != -1 && buf_append(&s->stdin_buf, p, len) == -1)
			return (-1);
		return (0);
	case SSHL_STDIN_EOF:
		s->stdin_eof = 1;
		return (0);
	case SSHL_SIGNAL:
		if (len == 1 && sshl_allowed_signal(p[0]))
			sshl_kill_group(s, p[0]);
		return (0);
	}
	log_error("%s: unexpected message type %d", s->peer, type);
	return (-1);
}

/* Handles every whole message already buffered from the client. */
static int
sshl_drain_client(struct sshl_sess *s)
{
	const unsigned char	*p;
	size_t			 len;
	int			 type, rc;

	while ((rc = sshl_chan_next(&s->chan, &type, &p, &len)) == 1)
		if (sshl_on_message(s, type, p, len) == -1)
			return (-1);
	if (rc == -1)
		log_error("%s: bad or forged message; closing", s->peer);
	return (rc);
}

/* Reads from the client; returns -1 when it is gone or misbehaved. */
static int
sshl_read_client(struct sshl_sess *s)
{
	ssize_t	n;

	n = sshl_chan_fill(&s->chan);
	if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
		return (-1);
	/* Messages that came with the last read are handled even at EOF. */
	if (sshl_drain_client(s) == -1 || n == 0)
		return (-1);
	return (0);
}

static void
sshl_reap(struct sshl_sess *s)
{
	int	status;
	pid_t	pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (pid == s->pid) {
			s->status = status;
			s->reaped = 1;
		}
}

/* Deadlines: --timeout sends TERM; the grace period ends with KILL. */
static int
sshl_check_timers(struct sshl_sess *s)
{
	long long	now = clock_ms(), next = -1;

	if (s->deadline > 0 && !s->timed_out && now >= s->deadline) {
		s->timed_out = 1;
		sshl_kill_group(s, SIGTERM);
	}
	if (s->kill_at > 0 && now >= s->kill_at && !s->reaped) {
		(void)kill(-s->pid, SIGKILL);
		s->kill_at = 0;
	}
	/* clock_left_ms: never negative, so a passed deadline never waits. */
	if (s->deadline > 0 && !s->timed_out)
		next = clock_left_ms(s->deadline);
	if (s->kill_at > 0 && !s->reaped && (next < 0 ||
	    clock_left_ms(s->kill_at) < next))
		next = clock_left_ms(s->kill_at);
	return ((int)next);
}

/* Builds the poll set; returns the number of entries. */
static int
sshl_poll_set(struct sshl_sess *s, struct pollfd *pfd)
{
	int	n = 0, room = s->chan.outb.len < SSHL_HIGH_WATER;

	pfd[n].fd = s->sigfd;
	pfd[n++].events = POLLIN;
	if (!s->client_gone) {
		pfd[n].fd = s->chan.fd;
		pfd[n].events = (s->stdin_buf.len < SSHL_HIGH_WATER ? POLLIN :
		    0) | (s->chan.outb.len > 0 ? POLLOUT : 0);
		n++;
	}
	if (s->out != -1 && (room || s->client_gone)) {
		pfd[n].fd = s->out;
		pfd[n++].events = POLLIN;
	}
	if (s->err != -1 && (room || s->client_gone)) {
		pfd[n].fd = s->err;
		pfd[n++].events = POLLIN;
	}
	if (s->in != -1 && s->stdin_buf.len > 0) {
		pfd[n].fd = s->in;
		pfd[n++].events = POLLOUT;
	}
	return (n);
}

static void
sshl_dispatch(struct sshl_sess *s, const struct pollfd *pfd, int n)
{
	int	i, signo;

	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (pfd[i].fd == s->sigfd) {
			/* TERM/INT: the server is stopping; so is the command. */
			while ((signo = sig_next(s->sigfd)) != 0)
				if (signo != SIGCHLD)
					s->client_gone = 1;
			sshl_reap(s);
		} else if (pfd[i].fd == s->chan.fd) {
			if ((pfd[i].revents & POLLOUT) &&
			    sshl_chan_flush(&s->chan) == -1)
				s->client_gone = 1;
			if ((pfd[i].revents & ~POLLOUT) &&
			    sshl_read_client(s) == -1)
				s->client_gone = 1;
		} else if (pfd[i].fd == s->out)
			sshl_pump_output(s, &s->out, SSHL_STDOUT);
		else if (pfd[i].fd == s->err)
			sshl_pump_output(s, &s->err, SSHL_STDERR);
		else if (pfd[i].fd == s->in)
			sshl_pump_stdin(s);
	}
	sshl_pump_stdin(s);
	if (s->client_gone) {
		/* Nobody will read the output: drop it, stop the command. */
		buf_consume(&s->chan.outb, s->chan.outb.len);
		sshl_kill_group(s, SIGTERM);
	}
}

/* Runs the command until it ended and its output is delivered. */
static void
sshl_session_loop(struct sshl_sess *s)
{
	struct pollfd	pfd[6];
	int		n, timeout;

	while (!(s->reaped && s->out == -1 && s->err == -1)) {
		timeout = sshl_check_timers(s);
		n = sshl_poll_set(s, pfd);
		if (poll(pfd, (nfds_t)n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			log_syserr("poll");
			sshl_kill_group(s, SIGKILL);
			break;
		}
		sshl_dispatch(s, pfd, n);
	}
	while (!s->reaped && waitpid(s->pid, &s->status, 0) == -1 &&
	    errno == EINTR)
		;
	s->reaped = 1;
}

/* Sends the exit message; a client that does not read gets 5 s. */
static void
sshl_send_exit(struct sshl_sess *s, unsigned char how, unsigned char code)
{
	unsigned char	msg[2] = { how, code };
	struct pollfd	pfd;
	long long	deadline = clock_ms() + 5000;

	if (s->client_gone || sshl_chan_send(&s->chan, SSHL_EXIT, msg, 2) == -1)
		return;
	pfd.fd = s->chan.fd;
	pfd.events = POLLOUT;
	while (s->chan.outb.len > 0 && clock_ms() < deadline) {
		if (sshl_chan_flush(&s->chan) == -1)
			break;
		if (s->chan.outb.len > 0 && poll(&pfd, 1,
		    clock_left_ms(deadline)) == -1 && errno != EINTR)
			break;
	}
}

static void
sshl_audit(struct sshl_sess *s, const char *result)
{
	char	argv[512];
	size_t	i, len = 0;

	/* Escaped: a client must not be able to forge audit lines. */
	argv[0] = '\0';
	for (i = 0; s->exec.argv[i] != NULL && len + 1 < sizeof(argv); i++) {
		if (i > 0)
			argv[len++] = ' ';
		escape_encode((const unsigned char *)s->exec.argv[i],
		    strlen(s->exec.argv[i]), argv + len, sizeof(argv) - len);
		len += strlen(argv + len);
	}
	log_info("exec %s argv=[%s] %s %.3fs in=%llu out=%llu", s->peer, argv,
	    result, (double)(clock_ms() - s->started) / 1000.0, s->bytes_in,
	    s->bytes_out);
}

/* Reports how the command ended, to the client and the audit log. */
static void
sshl_finish(struct sshl_sess *s)
{
	char	result[64];

	if (s->timed_out) {
		snprintf(result, sizeof(result), "timeout");
		sshl_send_exit(s, SSHL_TIMEDOUT, 0);
	} else if (WIFSIGNALED(s->status)) {
		snprintf(result, sizeof(result), "signal=%d",
		    WTERMSIG(s->status));
		sshl_send_exit(s, SSHL_SIGNALED,
		    (unsigned char)WTERMSIG(s->status));
	} else {
		snprintf(result, sizeof(result), "status=%d",
		    WEXITSTATUS(s->status));
		sshl_send_exit(s, SSHL_EXITED,
		    (unsigned char)WEXITSTATUS(s->status));
	}
	if (s->client_gone)
		strncat(result, " client-gone", sizeof(result) -
		    strlen(result) - 1);
	sshl_audit(s, result);
}

/* Waits for the exec request after authentication. */
static int
sshl_read_exec(struct sshl_sess *s)
{
	const unsigned char	*p;
	struct pollfd		 pfd;
	long long		 deadline = clock_ms() + SSHL_AUTH_TIMEOUT_MS;
	size_t			 len;
	char			 err[SSHL_ERR_LEN];
	int			 type, rc;
	ssize_t			 n;

	pfd.fd = s->chan.fd;
	pfd.events = POLLIN;
	while ((rc = sshl_chan_next(&s->chan, &type, &p, &len)) == 0) {
		if ((n = poll(&pfd, 1, clock_left_ms(deadline))) == 0 ||
		    (n == -1 && errno != EINTR))
			return (-1);
		n = sshl_chan_fill(&s->chan);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			return (-1);
		if (clock_ms() >= deadline)
			return (-1);
	}
	if (rc == -1 || type != SSHL_EXEC ||
	    sshl_exec_decode(p, len, &s->exec, err) == -1) {
		log_event(LOG_NOTICE, "protocol-error", s->peer, NULL,
		    "bad exec request");
		return (-1);
	}
	return (0);
}

/* Authenticates, reads the command, runs it; returns when it is over. */
static int
sshl_session_run(struct sshl_sess *s, const unsigned char *key)
{
	char	err[SSHL_ERR_LEN];

	if (sshl_handshake_server(&s->chan, key, SSHL_AUTH_TIMEOUT_MS,
	    err) == -1) {
		log_event(LOG_NOTICE, "auth-failed", s->peer, NULL, err);
		return (SSHL_EXIT_OWN);
	}
	log_event(LOG_VERBOSE, "authenticated", s->peer, NULL, NULL);
	if (sshl_read_exec(s) == -1)
		return (SSHL_EXIT_OWN);
	if (sshl_spawn(s) == -1) {
		snprintf(err, sizeof(err), "cannot start: %s", strerror(errno));
		(void)sshl_chan_send(&s->chan, SSHL_ERROR, err, strlen(err));
		(void)sshl_chan_flush(&s->chan);
		return (SSHL_EXIT_OWN);
	}
	/* The command's time starts now, not at the handshake. */
	if (s->exec.timeout_ms > 0)
		s->deadline = clock_ms() + s->exec.timeout_ms;
	/* STDIN and STDIN_EOF may have come in the same read as EXEC. */
	if (sshl_drain_client(s) == -1)
		s->client_gone = 1;
	sshl_pump_stdin(s);
	sshl_session_loop(s);
	sshl_finish(s);
	return (0);
}

/*
 * Closing a socket with unread input makes the kernel send RST, which
 * can destroy the exit message still in flight.  So send FIN first and
 * read what the client still sends, for a bounded time and amount.
 */
static void
sshl_linger(int fd)
{
	char		buf[16384];
	struct pollfd	pfd;
	long long	deadline = clock_ms() + SSHL_LINGER_MS;
	size_t		total = 0;
	ssize_t		n;

	if (shutdown(fd, SHUT_WR) == -1)
		return;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (total < SSHL_LINGER_BYTES && clock_ms() < deadline) {
		if (poll(&pfd, 1, clock_left_ms(deadline)) == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			return;
		if (n > 0)
			total += (size_t)n;
	}
}

/* The whole life of one session, in its own process. */
static int
sshl_session(int fd, const unsigned char *key, const char *peer)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, 0 };
	struct sshl_sess s;
	int		 rc = SSHL_EXIT_OWN;

	memset(&s, 0, sizeof(s));
	s.peer = peer;
	s.in = s.out = s.err = -1;
	s.started = clock_ms();
	/* A command that exits without reading its stdin must not kill us. */
	(void)signal(SIGPIPE, SIG_IGN);
	if (sshl_chan_init(&s.chan, fd) == 0 &&
	    (s.sigfd = sig_open(sigs)) != -1 && sock_set_nonblock(fd, 1) == 0)
		rc = sshl_session_run(&s, key);
	sshl_linger(fd);
	sshl_close_fd(&s.in);
	sshl_close_fd(&s.out);
	sshl_close_fd(&s.err);
	buf_free(&s.stdin_buf);
	sshl_exec_free(&s.exec);
	sshl_chan_free(&s.chan);
	(void)close(fd);
	return (rc);
}

/* The listening parent: a process per session, bounded in number. */
struct sshl_listener {
	const struct sshl_server_opts	*o;
	pid_t				*pids;
	long				 nsessions;
	int				 stopping;
};

static void
sshl_forget(struct sshl_listener *l, pid_t pid)
{
	long	i;

	for (i = 0; i < l->o->max_sessions; i++)
		if (l->pids[i] == pid) {
			l->pids[i] = 0;
			l->nsessions--;
		}
}

static void
sshl_start_session(struct sshl_listener *l, int lfd, int fd,
    const char *peer)
{
	long	i;
	pid_t	pid;

	for (i = 0; i < l->o->max_sessions && l->pids[i] != 0; i++)
		;
	if ((pid = sig_fork()) == -1) {
		log_syserr("fork");
		return;
	}
	if (pid == 0) {
		(void)close(lfd);
		sig_reset_child();
		exit(sshl_session(fd, l->o->key, peer));
	}
	l->pids[i] = pid;
	l->nsessions++;
}

static void
sshl_accept(struct sshl_listener *l, int lfd)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	char			peer[SOCK_ADDR_LEN];
	int			fd;

	if ((fd = sock_accept(lfd, &ss, &len)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_syserr("accept");
		return;
	}
	sock_addr_str((struct sockaddr *)&ss, len, peer, sizeof(peer));
	if (ss.ss_family != AF_UNIX &&
	    !addr_acl_permits(&l->o->acl, (struct sockaddr *)&ss))
		log_event(LOG_NOTICE, "denied", peer, NULL, "denied");
	else if (l->nsessions >= l->o->max_sessions)
		log_event(LOG_NOTICE, "refused", peer, NULL,
		    "max-sessions reached");
	else {
		log_event(LOG_VERBOSE, "accepted", peer, NULL, NULL);
		sshl_start_session(l, lfd, fd, peer);
	}
	(void)close(fd);
}

static void
sshl_on_signal(struct sshl_listener *l, int sigfd)
{
	int	signo, status;
	long	i;
	pid_t	pid;

	while ((signo = sig_next(sigfd)) != 0) {
		if (signo != SIGCHLD && !l->stopping) {
			/* Sessions stop their commands on TERM. */
			l->stopping = 1;
			for (i = 0; i < l->o->max_sessions; i++)
				if (l->pids[i] != 0)
					(void)kill(l->pids[i], SIGTERM);
		}
	}
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		sshl_forget(l, pid);
}

int
sshl_server_run(const struct sshl_server_opts *o, int lfd)
{
	static const int	sigs[] = { SIGINT, SIGTERM, SIGCHLD, 0 };
	struct sshl_listener	l;
	struct pollfd		pfd[2];
	int			n;

	memset(&l, 0, sizeof(l));
	l.o = o;
	l.pids = calloc((size_t)o->max_sessions, sizeof(*l.pids));
	if (l.pids == NULL || (pfd[0].fd = sig_open(sigs)) == -1) {
		log_syserr("ssh-lite server");
		return (SOCKIT_EXIT_RUNTIME);
	}
	pfd[0].events = POLLIN;
	pfd[1].fd = lfd;
	pfd[1].events = POLLIN;
	while (!l.stopping || l.nsessions > 0) {
		n = l.stopping ? 1 : 2;
		if (poll(pfd, (nfds_t)n, -1) == -1 && errno != EINTR) {
			log_syserr("poll");
			break;
		}
		if (pfd[0].revents != 0)
			sshl_on_signal(&l, pfd[0].fd);
		if (n == 2 && !l.stopping && pfd[1].revents != 0)
			sshl_accept(&l, lfd);
	}
	(void)close(lfd);
	free(l.pids);
	return (SOCKIT_EXIT_OK);
}
