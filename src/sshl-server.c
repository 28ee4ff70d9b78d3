/*
 * ssh-lite server: accepts connections, forks a process per session,
 * authenticates, runs the command in its own process group and streams
 * its output back with flow control.  The listener and each session run
 * on an event loop of their own (loop.h).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "escape.h"
#include "exitcode.h"
#include "log.h"
#include "loop.h"
#include "sig.h"
#include "sock.h"
#include "spawn.h"
#include "sshl-chan.h"
#include "sshl-run.h"

/* Output queued for the client before reading the command stops. */
#define SSHL_HIGH_WATER	(256 * 1024)
/* How long and how much a closing session still reads from its client. */
#define SSHL_LINGER_MS		2000
#define SSHL_LINGER_BYTES	(4 * 1024 * 1024)
/* How long a client that does not read gets for the exit message. */
#define SSHL_EXIT_FLUSH_MS	5000

/*
 * One session's state, in the session's own process.  A session goes
 * through phases, each with its own callbacks on the client's fd, the
 * signal pipe and the phase timer: the handshake (sshl-chan.c), the exec
 * request, the command's run, the exit message, and the linger before
 * the connection is closed.
 */
struct sshl_sess {
	struct loop		*loop;
	struct sshl_chan	 chan;
	struct sshl_handshake	 hs;
	const char		*peer;
	struct sshl_exec	 exec;
	pid_t			 pid;		/* the command, or 0 */
	int			 in, out, err;	/* the command's pipes */
	struct buf		 stdin_buf;
	int			 stdin_eof;	/* client sent STDIN_EOF */
	int			 status;
	int			 reaped;
	int			 timed_out;
	int			 client_gone;
	struct loop_timer	 phase_timer;	/* the phase's deadline */
	struct loop_timer	 timeout;	/* --timeout: TERM */
	struct loop_timer	 kill_timer;	/* KILL after the TERM grace */
	long long		 started;
	unsigned long long	 bytes_in, bytes_out;
	size_t			 lingered;	/* bytes read while lingering */
	char			 result[64];	/* how it ended (audit) */
	int			 sigfd;
	int			 rc;		/* the session's exit code */
};

static void	sshl_linger_start(struct sshl_sess *);

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

static void
sshl_close_pipes(int p[3][2])
{
	int	i, j, saved = errno;

	for (i = 0; i < 3; i++)
		for (j = 0; j < 2; j++)
			if (p[i][j] != -1)
				(void)close(p[i][j]);
	errno = saved;
}

/* Starts the command with three pipes; returns 0 or -1 with errno. */
static int
sshl_spawn(struct sshl_sess *s)
{
	int	p[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
	int	*in = p[0], *out = p[1], *err = p[2];

	if (sock_pipe(in) == -1 || sock_pipe(out) == -1 ||
	    sock_pipe(err) == -1 || (s->pid = sig_fork()) == -1) {
		s->pid = 0;
		sshl_close_pipes(p);
		return (-1);
	}
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
	if (s->pid == 0 || s->reaped)
		return;
	(void)kill(-s->pid, signo);
	if (signo != SIGTERM || loop_timer_armed(&s->kill_timer))
		return;
	/* Without a timer there is no grace period. */
	if (loop_timer_set(s->loop, &s->kill_timer, SSHL_KILL_GRACE_MS) == -1)
		(void)kill(-s->pid, SIGKILL);
}

/* Closes one of the command's pipes, taking it out of the loop first. */
static void
sshl_close_fd(struct sshl_sess *s, int *fd)
{
	if (*fd != -1) {
		(void)loop_set_fd(s->loop, *fd, 0, NULL, NULL);
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
		sshl_close_fd(s, fd);
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
			sshl_close_fd(s, &s->in);
			break;
		}
		buf_consume(&s->stdin_buf, (size_t)n);
	}
	if (s->in == -1)
		buf_consume(&s->stdin_buf, s->stdin_buf.len);
	if (s->stdin_eof && s->stdin_buf.len == 0)
		sshl_close_fd(s, &s->in);
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

/* (Re)arms the phase timer with the phase's callback. */
static int
sshl_phase_timer(struct sshl_sess *s, loop_timer_cb cb, long long ms)
{
	loop_timer_cancel(s->loop, &s->phase_timer);
	loop_timer_init(&s->phase_timer, cb, s);
	return (loop_timer_set(s->loop, &s->phase_timer, ms));
}

/* Ends the session's loop; sshl_session cleans up. */
static void
sshl_sess_end(struct sshl_sess *s)
{
	loop_timer_cancel(s->loop, &s->phase_timer);
	loop_stop(s->loop);
}

/* After the command: signals change nothing, but are read. */
static void
sshl_late_on_signal(struct loop *l, int fd, int mask, void *arg)
{
	(void)l;
	(void)mask;
	(void)arg;
	while (sig_next(fd) != 0)
		;
}

/* --- The linger -------------------------------------------------- */

static void
sshl_linger_on_timer(struct loop *l, struct loop_timer *t, void *arg)
{
	(void)l;
	(void)t;
	sshl_sess_end(arg);
}

/* Reads and drops what the client still sends, until EOF or the limit. */
static void
sshl_linger_on_fd(struct loop *l, int fd, int mask, void *arg)
{
	struct sshl_sess	*s = arg;
	char			 buf[16384];
	ssize_t			 n;

	(void)l;
	(void)mask;
	while (s->lingered < SSHL_LINGER_BYTES) {
		if ((n = stream_read(&s->chan.net, buf, sizeof(buf))) > 0) {
			s->lingered += (size_t)n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		break;
	}
	sshl_sess_end(s);
}

/*
 * Closing a socket with unread input makes the kernel send RST, which
 * can destroy the exit message still in flight.  So send FIN first and
 * read what the client still sends, for a bounded time and amount.
 */
static void
sshl_linger_start(struct sshl_sess *s)
{
	int	fd = s->chan.fd;

	if (loop_set_fd(s->loop, s->sigfd, LOOP_READABLE, sshl_late_on_signal,
	    s) == -1 || stream_shutdown(&s->chan.net) == -1 ||
	    sshl_phase_timer(s, sshl_linger_on_timer, SSHL_LINGER_MS) == -1 ||
	    loop_set_fd(s->loop, fd, LOOP_READABLE, sshl_linger_on_fd, s) == -1)
		sshl_sess_end(s);
}

/* --- The exit message -------------------------------------------- */

static void
sshl_audit(struct sshl_sess *s)
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
	    s->result, (double)(clock_ms() - s->started) / 1000.0,
	    s->bytes_in, s->bytes_out);
}

/* The exit message is out (or cannot be): audit, then linger. */
static void
sshl_exit_done(struct sshl_sess *s)
{
	loop_timer_cancel(s->loop, &s->phase_timer);
	if (s->client_gone)
		strncat(s->result, " client-gone", sizeof(s->result) -
		    strlen(s->result) - 1);
	sshl_audit(s);
	s->rc = 0;
	sshl_linger_start(s);
}

static void
sshl_exit_on_timer(struct loop *l, struct loop_timer *t, void *arg)
{
	(void)l;
	(void)t;
	sshl_exit_done(arg);
}

static void
sshl_exit_on_fd(struct loop *l, int fd, int mask, void *arg)
{
	struct sshl_sess	*s = arg;

	(void)l;
	(void)fd;
	(void)mask;
	if (sshl_chan_flush(&s->chan) == -1 || s->chan.outb.len == 0)
		sshl_exit_done(s);
}

/*
 * The command ended and its output is queued: sends how it ended.  A
 * client that does not read gets SSHL_EXIT_FLUSH_MS for the rest.
 */
static void
sshl_exit_start(struct sshl_sess *s)
{
	unsigned char	msg[2];

	loop_timer_cancel(s->loop, &s->timeout);
	loop_timer_cancel(s->loop, &s->kill_timer);
	sshl_close_fd(s, &s->in);
	if (s->timed_out) {
		snprintf(s->result, sizeof(s->result), "timeout");
		msg[0] = SSHL_TIMEDOUT;
		msg[1] = 0;
	} else if (WIFSIGNALED(s->status)) {
		snprintf(s->result, sizeof(s->result), "signal=%d",
		    WTERMSIG(s->status));
		msg[0] = SSHL_SIGNALED;
		msg[1] = (unsigned char)WTERMSIG(s->status);
	} else {
		snprintf(s->result, sizeof(s->result), "status=%d",
		    WEXITSTATUS(s->status));
		msg[0] = SSHL_EXITED;
		msg[1] = (unsigned char)WEXITSTATUS(s->status);
	}
	if (loop_set_fd(s->loop, s->sigfd, LOOP_READABLE, sshl_late_on_signal,
	    s) == -1 || s->client_gone ||
	    sshl_chan_send(&s->chan, SSHL_EXIT, msg, 2) == -1 ||
	    sshl_chan_flush(&s->chan) == -1 || s->chan.outb.len == 0 ||
	    sshl_phase_timer(s, sshl_exit_on_timer, SSHL_EXIT_FLUSH_MS) == -1 ||
	    loop_set_fd(s->loop, s->chan.fd, LOOP_WRITABLE, sshl_exit_on_fd,
	    s) == -1)
		sshl_exit_done(s);
}

/* --- The command's run ------------------------------------------- */

static void	sshl_run_on_client(struct loop *, int, int, void *);
static void	sshl_run_on_stdout(struct loop *, int, int, void *);
static void	sshl_run_on_stderr(struct loop *, int, int, void *);
static void	sshl_run_on_stdin(struct loop *, int, int, void *);

/*
 * The loop failed us: kill the command and wait for it, so that the
 * client still learns how it ended.
 */
static void
sshl_run_abort(struct sshl_sess *s)
{
	log_syserr("%s: event loop", s->peer);
	sshl_kill_group(s, SIGKILL);
	while (!s->reaped && waitpid(s->pid, &s->status, 0) == -1 &&
	    errno == EINTR)
		;
	s->reaped = 1;
	sshl_close_fd(s, &s->out);
	sshl_close_fd(s, &s->err);
	sshl_exit_start(s);
}

/*
 * Registers what the run waits for.  Reading the command stops while the
 * output queued for the client is above the high-water mark, and reading
 * the client while the stdin queued for the command is (backpressure
 * both ways).  Returns 0 or -1 with errno.
 */
static int
sshl_run_arm(struct sshl_sess *s)
{
	int	client = 0, output = 0, input = 0;

	if (!s->client_gone)
		client = (s->stdin_buf.len < SSHL_HIGH_WATER ? LOOP_READABLE :
		    0) | (s->chan.outb.len > 0 ? LOOP_WRITABLE : 0);
	if (s->chan.outb.len < SSHL_HIGH_WATER || s->client_gone)
		output = LOOP_READABLE;
	if (s->stdin_buf.len > 0)
		input = LOOP_WRITABLE;
	if (loop_set_fd(s->loop, s->chan.fd, client, sshl_run_on_client,
	    s) == -1)
		return (-1);
	if (s->out != -1 && loop_set_fd(s->loop, s->out, output,
	    sshl_run_on_stdout, s) == -1)
		return (-1);
	if (s->err != -1 && loop_set_fd(s->loop, s->err, output,
	    sshl_run_on_stderr, s) == -1)
		return (-1);
	if (s->in != -1 && loop_set_fd(s->loop, s->in, input,
	    sshl_run_on_stdin, s) == -1)
		return (-1);
	return (0);
}

/*
 * After every event of the run: moves stdin on, stops a command whose
 * client is gone, ends the run once the command was reaped and its
 * output read to the end, and otherwise says what to wait for.
 */
static void
sshl_run_update(struct sshl_sess *s)
{
	sshl_pump_stdin(s);
	if (s->client_gone) {
		/* Nobody will read the output: drop it, stop the command. */
		buf_consume(&s->chan.outb, s->chan.outb.len);
		sshl_kill_group(s, SIGTERM);
	}
	if (s->reaped && s->out == -1 && s->err == -1)
		sshl_exit_start(s);
	else if (sshl_run_arm(s) == -1)
		sshl_run_abort(s);
}

static void
sshl_run_on_client(struct loop *l, int fd, int mask, void *arg)
{
	struct sshl_sess	*s = arg;

	(void)l;
	(void)fd;
	if ((mask & LOOP_WRITABLE) && sshl_chan_flush(&s->chan) == -1)
		s->client_gone = 1;
	if ((mask & LOOP_READABLE) && !s->client_gone &&
	    sshl_read_client(s) == -1)
		s->client_gone = 1;
	sshl_run_update(s);
}

static void
sshl_run_on_stdout(struct loop *l, int fd, int mask, void *arg)
{
	struct sshl_sess	*s = arg;

	(void)l;
	(void)fd;
	(void)mask;
	sshl_pump_output(s, &s->out, SSHL_STDOUT);
	sshl_run_update(s);
}

static void
sshl_run_on_stderr(struct loop *l, int fd, int mask, void *arg)
{
	struct sshl_sess	*s = arg;

	(void)l;
	(void)fd;
	(void)mask;
	sshl_pump_output(s, &s->err, SSHL_STDERR);
	sshl_run_update(s);
}

static void
sshl_run_on_stdin(struct loop *l, int fd, int mask, void *arg)
{
	(void)l;
	(void)fd;
	(void)mask;
	sshl_run_update(arg);
}

static void
sshl_reaped(pid_t pid, int status, void *arg)
{
	struct sshl_sess	*s = arg;

	if (pid == s->pid) {
		s->status = status;
		s->reaped = 1;
	}
}

/* SIGCHLD reaps the command; TERM/INT: the server stops, so does it. */
static void
sshl_run_on_signal(struct loop *l, int fd, int mask, void *arg)
{
	struct sshl_sess	*s = arg;
	int			 signo;

	(void)l;
	(void)mask;
	while ((signo = sig_next(fd)) != 0)
		if (signo != SIGCHLD)
			s->client_gone = 1;
	(void)spawn_reap(sshl_reaped, s);
	sshl_run_update(s);
}

/* --timeout: TERM now, KILL after the grace period. */
static void
sshl_run_on_timeout(struct loop *l, struct loop_timer *t, void *arg)
{
	struct sshl_sess	*s = arg;

	(void)l;
	(void)t;
	s->timed_out = 1;
	sshl_kill_group(s, SIGTERM);
	sshl_run_update(s);
}

static void
sshl_run_on_kill(struct loop *l, struct loop_timer *t, void *arg)
{
	struct sshl_sess	*s = arg;

	(void)l;
	(void)t;
	if (!s->reaped)
		(void)kill(-s->pid, SIGKILL);
	sshl_run_update(s);
}

/* Runs the command of a valid request. */
static void
sshl_run_start(struct sshl_sess *s)
{
	char	err[SSHL_ERR_LEN];

	if (sshl_spawn(s) == -1) {
		snprintf(err, sizeof(err), "cannot start: %s", strerror(errno));
		(void)sshl_chan_send(&s->chan, SSHL_ERROR, err, strlen(err));
		(void)sshl_chan_flush(&s->chan);
		sshl_linger_start(s);
		return;
	}
	/* The command's time starts now, not at the handshake. */
	if (s->exec.timeout_ms > 0 && loop_timer_set(s->loop, &s->timeout,
	    s->exec.timeout_ms) == -1) {
		sshl_run_abort(s);
		return;
	}
	if (loop_set_fd(s->loop, s->sigfd, LOOP_READABLE, sshl_run_on_signal,
	    s) == -1) {
		sshl_run_abort(s);
		return;
	}
	/* STDIN and STDIN_EOF may have come in the same read as EXEC. */
	if (sshl_drain_client(s) == -1)
		s->client_gone = 1;
	sshl_run_update(s);
}

/* --- The exec request -------------------------------------------- */

/* Handles the request once it is buffered whole. */
static void
sshl_request_next(struct sshl_sess *s)
{
	const unsigned char	*p;
	size_t			 len;
	char			 err[SSHL_ERR_LEN];
	int			 type, rc;

	if ((rc = sshl_chan_next(&s->chan, &type, &p, &len)) == 0)
		return;
	loop_timer_cancel(s->loop, &s->phase_timer);
	if (rc == -1 || type != SSHL_EXEC ||
	    sshl_exec_decode(p, len, &s->exec, err) == -1) {
		log_event(LOG_NOTICE, "protocol-error", s->peer, NULL,
		    "bad exec request");
		sshl_linger_start(s);
		return;
	}
	sshl_run_start(s);
}

static void
sshl_request_on_fd(struct loop *l, int fd, int mask, void *arg)
{
	struct sshl_sess	*s = arg;
	ssize_t			 n;

	(void)l;
	(void)fd;
	(void)mask;
	if ((n = sshl_chan_fill(&s->chan)) == -1 && (errno == EAGAIN ||
	    errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		loop_timer_cancel(s->loop, &s->phase_timer);
		sshl_linger_start(s);
		return;
	}
	sshl_request_next(s);
}

/* A client that authenticated but sends no request in time is dropped. */
static void
sshl_request_on_timer(struct loop *l, struct loop_timer *t, void *arg)
{
	(void)l;
	(void)t;
	sshl_linger_start(arg);
}

/* Before the command runs, TERM/INT (the server stops) end the session. */
static void
sshl_early_on_signal(struct loop *l, int fd, int mask, void *arg)
{
	int	signo, stop = 0;

	(void)l;
	(void)mask;
	while ((signo = sig_next(fd)) != 0)
		if (signo != SIGCHLD)
			stop = 1;
	if (stop)
		sshl_sess_end(arg);
}

static void
sshl_auth_done(struct sshl_handshake *h, int rc, void *arg)
{
	struct sshl_sess	*s = arg;

	if (rc == -1) {
		log_event(LOG_NOTICE, "auth-failed", s->peer, NULL, h->err);
		sshl_linger_start(s);
		return;
	}
	log_event(LOG_VERBOSE, "authenticated", s->peer, NULL, NULL);
	if (sshl_phase_timer(s, sshl_request_on_timer, SSHL_AUTH_TIMEOUT_MS) ==
	    -1 || loop_set_fd(s->loop, s->chan.fd, LOOP_READABLE,
	    sshl_request_on_fd, s) == -1) {
		log_syserr("%s: event loop", s->peer);
		sshl_linger_start(s);
		return;
	}
	/* The request may have come with the last handshake message. */
	sshl_request_next(s);
}

/* The whole life of one session, in its own process; its exit code. */
static int
sshl_session(int fd, const unsigned char *key, const char *peer)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, 0 };
	struct sshl_sess s;

	memset(&s, 0, sizeof(s));
	s.peer = peer;
	s.in = s.out = s.err = s.sigfd = -1;
	s.rc = SSHL_EXIT_OWN;
	s.started = clock_ms();
	loop_timer_init(&s.phase_timer, NULL, &s);
	loop_timer_init(&s.timeout, sshl_run_on_timeout, &s);
	loop_timer_init(&s.kill_timer, sshl_run_on_kill, &s);
	/* A command that exits without reading its stdin must not kill us. */
	(void)signal(SIGPIPE, SIG_IGN);
	if (sshl_chan_init(&s.chan, fd) == -1 ||
	    (s.sigfd = sig_open(sigs)) == -1 ||
	    sock_set_nonblock(fd, 1) == -1 || (s.loop = loop_new()) == NULL ||
	    loop_set_fd(s.loop, s.sigfd, LOOP_READABLE, sshl_early_on_signal,
	    &s) == -1 ||
	    sshl_handshake_start(&s.hs, s.loop, &s.chan, key, 1,
	    SSHL_AUTH_TIMEOUT_MS, sshl_auth_done, &s) == -1)
		log_syserr("%s: session", peer);
	else if (loop_run(s.loop) == -1)
		log_syserr("%s: event loop", peer);
	/* Only a failed loop leaves a command behind. */
	if (s.pid != 0 && !s.reaped) {
		(void)kill(-s.pid, SIGKILL);
		while (waitpid(s.pid, &s.status, 0) == -1 && errno == EINTR)
			;
	}
	if (s.loop != NULL) {
		sshl_close_fd(&s, &s.in);
		sshl_close_fd(&s, &s.out);
		sshl_close_fd(&s, &s.err);
	}
	buf_free(&s.stdin_buf);
	sshl_exec_free(&s.exec);
	sshl_chan_free(&s.chan);
	loop_free(s.loop);
	(void)close(fd);
	return (s.rc);
}

/* --- The listener ------------------------------------------------ */

/* The listening parent: a process per session, bounded in number. */
struct sshl_listener {
	const struct sshl_server_opts	*o;
	struct loop			*loop;
	pid_t				*pids;
	long				 nsessions;
	int				 lfd;
	int				 stopping;
	/* In a session's process: its connection and peer; else -1. */
	int				 conn;
	char				 peer[SOCK_ADDR_LEN];
};

/* A session process ended; one that crashed is worth a line. */
static void
sshl_forget(pid_t pid, int status, void *arg)
{
	struct sshl_listener	*l = arg;
	char			 how[64];
	long			 i;

	for (i = 0; i < l->o->max_sessions; i++)
		if (l->pids[i] == pid) {
			l->pids[i] = 0;
			l->nsessions--;
		}
	if ((WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
	    WEXITSTATUS(status) != SSHL_EXIT_OWN) || (WIFSIGNALED(status) &&
	    !(l->stopping && WTERMSIG(status) == SIGTERM)))
		log_error("session process %ld: %s", (long)pid,
		    spawn_status_str(status, how, sizeof(how)));
}

/*
 * Forks the session's process.  In the child, the listener's loop is
 * stopped and its fds closed; sshl_server_run then runs the session
 * and returns its exit code through the callers, which free what they
 * hold, as a --workers worker of server_run does.
 */
static void
sshl_start_session(struct sshl_listener *l, int fd, const char *peer)
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
		sig_reset_child();
		(void)close(l->lfd);
		l->conn = fd;
		snprintf(l->peer, sizeof(l->peer), "%s", peer);
		loop_stop(l->loop);
		return;
	}
	l->pids[i] = pid;
	l->nsessions++;
}

static void
sshl_accept(struct sshl_listener *l)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	char			peer[SOCK_ADDR_LEN];
	int			fd;

	if ((fd = sock_accept(l->lfd, &ss, &len)) == -1) {
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
		sshl_start_session(l, fd, peer);
	}
	/* The parent's copy; the session's process keeps its own. */
	if (l->conn != fd)
		(void)close(fd);
}

static void
sshl_listener_on_accept(struct loop *lp, int fd, int mask, void *arg)
{
	struct sshl_listener	*l = arg;

	(void)lp;
	(void)fd;
	(void)mask;
	/* In a new session's process the listener has nothing left to do. */
	if (l->conn == -1)
		sshl_accept(l);
}

static void
sshl_listener_on_signal(struct loop *lp, int fd, int mask, void *arg)
{
	struct sshl_listener	*l = arg;
	int			 signo;
	long			 i;

	(void)mask;
	if (l->conn != -1)
		return;
	while ((signo = sig_next(fd)) != 0) {
		if (signo != SIGCHLD && !l->stopping) {
			/* Sessions stop their commands on TERM. */
			l->stopping = 1;
			(void)loop_set_fd(lp, l->lfd, 0, NULL, NULL);
			for (i = 0; i < l->o->max_sessions; i++)
				if (l->pids[i] != 0)
					(void)kill(l->pids[i], SIGTERM);
		}
	}
	(void)spawn_reap(sshl_forget, l);
	if (l->stopping && l->nsessions == 0)
		loop_stop(lp);
}

int
sshl_server_run(const struct sshl_server_opts *o, int lfd, int *in_session)
{
	static const int	sigs[] = { SIGINT, SIGTERM, SIGCHLD, 0 };
	struct sshl_listener	l;
	int			sigfd, rc = SOCKIT_EXIT_OK;

	memset(&l, 0, sizeof(l));
	l.o = o;
	l.lfd = lfd;
	l.conn = -1;
	*in_session = 0;
	if ((l.pids = calloc((size_t)o->max_sessions, sizeof(*l.pids))) ==
	    NULL || (sigfd = sig_open(sigs)) == -1 ||
	    (l.loop = loop_new()) == NULL ||
	    loop_set_fd(l.loop, lfd, LOOP_READABLE, sshl_listener_on_accept,
	    &l) == -1 ||
	    loop_set_fd(l.loop, sigfd, LOOP_READABLE, sshl_listener_on_signal,
	    &l) == -1) {
		log_syserr("ssh-lite server");
		rc = SOCKIT_EXIT_RUNTIME;
	} else if (loop_run(l.loop) == -1) {
		log_syserr("event loop");
		rc = SOCKIT_EXIT_RUNTIME;
	}
	/*
	 * In a session's process the listener's loop is freed without
	 * touching its registrations: with epoll they are shared with the
	 * listener, whose loop must not lose them.
	 */
	loop_free(l.loop);
	free(l.pids);
	if (l.conn != -1) {
		*in_session = 1;
		return (sshl_session(l.conn, o->key, l.peer));
	}
	(void)close(lfd);
	return (rc);
}
