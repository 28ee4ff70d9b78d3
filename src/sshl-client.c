/*
 * ssh-lite exec client: authenticate, send the command, forward stdin
 * and signals, print stdout and stderr apart, exit with its status; all
 * on one event loop.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "loop.h"
#include "sig.h"
#include "sock.h"
#include "sshl-chan.h"
#include "sshl-run.h"

#define SSHL_CLIENT_HIGH	(256 * 1024)

struct sshl_client {
	struct loop		*loop;
	struct sshl_chan	 chan;
	struct sshl_handshake	 hs;
	const struct sshl_exec	*exec;
	int			 stdin_open;
	int			 done;		/* the exit status came */
	int			 code;
	int			 failed;	/* ended by a failure */
	int			 sigfd;
};

static void	sshl_client_on_server(struct loop *, int, int, void *);
static void	sshl_client_on_stdin(struct loop *, int, int, void *);
static void	sshl_client_on_signal(struct loop *, int, int, void *);

/* Turns the server's exit message into our exit status. */
static int
sshl_exit_code(const unsigned char *p, size_t len)
{
	if (len != 2)
		return (SSHL_EXIT_OWN);
	switch (p[0]) {
	case SSHL_EXITED:
		return (p[1]);
	case SSHL_SIGNALED:
		return (128 + p[1]);
	case SSHL_TIMEDOUT:
		return (SSHL_EXIT_TIMEOUT);
	}
	return (SSHL_EXIT_OWN);
}

static int
sshl_client_message(struct sshl_client *c, int type, const unsigned char *p,
    size_t len)
{
	switch (type) {
	case SSHL_STDOUT:
	case SSHL_STDERR:
		if (sock_write_all(type == SSHL_STDOUT ? STDOUT_FILENO :
		    STDERR_FILENO, p, len) == -1) {
			log_syserr("write %s", type == SSHL_STDOUT ? "stdout" :
			    "stderr");
			return (-1);
		}
		return (0);
	case SSHL_EXIT:
		c->code = sshl_exit_code(p, len);
		c->done = 1;
		return (0);
	case SSHL_ERROR:
		log_error("server: %.*s", (int)(len > 200 ? 200 : len), p);
		return (-1);
	}
	log_error("protocol error: unexpected message type %d", type);
	return (-1);
}

static int
sshl_client_read(struct sshl_client *c)
{
	const unsigned char	*p;
	size_t			 len;
	ssize_t			 n;
	int			 type, rc;

	n = sshl_chan_fill(&c->chan);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return (0);
	if (n <= 0) {
		if (n == 0)
			log_error("connection closed before the exit status");
		else
			log_syserr("read");
		return (-1);
	}
	while (!c->done && (rc = sshl_chan_next(&c->chan, &type, &p,
	    &len)) == 1)
		if (sshl_client_message(c, type, p, len) == -1)
			return (-1);
	if (!c->done && rc == -1) {
		log_error("protocol error: bad or forged message");
		return (-1);
	}
	return (0);
}

/* Sends a chunk of stdin, or the end of it. */
static int
sshl_client_stdin(struct sshl_client *c)
{
	ssize_t	n;

	n = sshl_chan_send_read(&c->chan, SSHL_STDIN, STDIN_FILENO,
	    SSHL_CHUNK);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return (0);
	if (n == -1 && errno == ENOMEM)
		return (-1);
	if (n <= 0) {
		c->stdin_open = 0;
		return (sshl_chan_send(&c->chan, SSHL_STDIN_EOF, "", 0));
	}
	return (0);
}

static int
sshl_client_signals(struct sshl_client *c)
{
	unsigned char	signo;
	int		s;

	while ((s = sig_next(c->sigfd)) != 0) {
		signo = (unsigned char)s;
		if (sshl_chan_send(&c->chan, SSHL_SIGNAL, &signo, 1) == -1)
			return (-1);
	}
	return (0);
}

/* Ends the session: with the exit status received, or as a failure. */
static void
sshl_client_stop(struct sshl_client *c, int failed)
{
	c->failed = failed;
	loop_stop(c->loop);
}

/*
 * Flushes what is queued and registers what to wait for: the server
 * always (and for writing while output is queued), stdin while it is
 * open and the output is below the high-water mark (backpressure), and
 * the signal pipe.
 */
static void
sshl_client_arm(struct sshl_client *c)
{
	if (c->done) {
		sshl_client_stop(c, 0);
		return;
	}
	if (sshl_chan_flush(&c->chan) == -1) {
		log_syserr("write");
		sshl_client_stop(c, 1);
		return;
	}
	if (loop_set_fd(c->loop, c->chan.fd, LOOP_READABLE |
	    (c->chan.outb.len > 0 ? LOOP_WRITABLE : 0), sshl_client_on_server,
	    c) == -1 || (c->chan.fd != STDIN_FILENO &&
	    loop_set_fd(c->loop, STDIN_FILENO, c->stdin_open &&
	    c->chan.outb.len < SSHL_CLIENT_HIGH ? LOOP_READABLE : 0,
	    sshl_client_on_stdin, c) == -1) || loop_set_fd(c->loop, c->sigfd,
	    LOOP_READABLE, sshl_client_on_signal, c) == -1) {
		log_syserr("event loop");
		sshl_client_stop(c, 1);
	}
}

static void
sshl_client_on_server(struct loop *l, int fd, int mask, void *arg)
{
	struct sshl_client	*c = arg;

	(void)l;
	(void)fd;
	if ((mask & LOOP_WRITABLE) && sshl_chan_flush(&c->chan) == -1) {
		log_syserr("write");
		sshl_client_stop(c, 1);
		return;
	}
	if ((mask & LOOP_READABLE) && sshl_client_read(c) == -1) {
		sshl_client_stop(c, 1);
		return;
	}
	sshl_client_arm(c);
}

static void
sshl_client_on_stdin(struct loop *l, int fd, int mask, void *arg)
{
	struct sshl_client	*c = arg;

	(void)l;
	(void)fd;
	(void)mask;
	if (sshl_client_stdin(c) == -1) {
		log_syserr("stdin");
		sshl_client_stop(c, 1);
		return;
	}
	sshl_client_arm(c);
}

static void
sshl_client_on_signal(struct loop *l, int fd, int mask, void *arg)
{
	struct sshl_client	*c = arg;

	(void)l;
	(void)fd;
	(void)mask;
	if (sshl_client_signals(c) == -1) {
		log_syserr("signal");
		sshl_client_stop(c, 1);
		return;
	}
	sshl_client_arm(c);
}

/* Authenticated: send the command, then relay until its exit status. */
static void
sshl_client_authed(struct sshl_handshake *h, int rc, void *arg)
{
	struct sshl_client	*c = arg;
	unsigned char		*req;
	size_t			 len;

	if (rc == -1) {
		log_error("%s", h->err);
		sshl_client_stop(c, 1);
		return;
	}
	if ((req = sshl_exec_encode(c->exec, &len)) == NULL ||
	    len > SSHL_MSG_MAX ||
	    sshl_chan_send(&c->chan, SSHL_EXEC, req, len) == -1 ||
	    (!c->stdin_open && sshl_chan_send(&c->chan, SSHL_STDIN_EOF, "",
	    0) == -1)) {
		log_error("command too long");
		free(req);
		sshl_client_stop(c, 1);
		return;
	}
	free(req);
	sshl_client_arm(c);
}

int
sshl_exec_run(const unsigned char *key, const struct sshl_exec *e, int fd)
{
	static const int	 sigs[] = { SIGINT, SIGTERM, SIGHUP, 0 };
	struct sshl_client	 c;
	int			 rc = SSHL_EXIT_OWN;

	memset(&c, 0, sizeof(c));
	/* A closed stdin made the connection fd 0: read it as /dev/null. */
	c.stdin_open = fd != STDIN_FILENO;
	c.exec = e;
	c.failed = 1;
	/*
	 * Signals are caught from the start but read only once the command
	 * was sent: one that came during the handshake is forwarded then.
	 */
	if (sshl_chan_init(&c.chan, fd) == -1 || sock_set_nonblock(fd, 1) ==
	    -1 || (c.sigfd = sig_open(sigs)) == -1 ||
	    (c.loop = loop_new()) == NULL ||
	    sshl_handshake_start(&c.hs, c.loop, &c.chan, key, 0,
	    SSHL_AUTH_TIMEOUT_MS, sshl_client_authed, &c) == -1) {
		log_syserr("ssh-lite");
		goto out;
	}
	if (loop_run(c.loop) == -1)
		log_syserr("event loop");
	else if (!c.failed)
		rc = c.code;
out:
	loop_free(c.loop);
	sshl_chan_free(&c.chan);
	(void)close(fd);
	return (rc);
}
