/*
 * ssh-lite exec client: authenticate, send the command, forward stdin
 * and signals, print stdout and stderr apart, exit with its status.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sig.h"
#include "sock.h"
#include "sockit.h"
#include "sshl-chan.h"
#include "sshl-run.h"

#define SSHL_CLIENT_HIGH	(256 * 1024)

struct sshl_client {
	struct sshl_chan	chan;
	int			stdin_open;
	int			done;
	int			code;
	int			sigfd;
};

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

static int
sshl_client_loop(struct sshl_client *c)
{
	struct pollfd	pfd[3];
	int		n;

	while (!c->done) {
		pfd[0].fd = c->chan.fd;
		pfd[0].events = POLLIN | (c->chan.outb.len > 0 ? POLLOUT : 0);
		pfd[1].fd = c->sigfd;
		pfd[1].events = POLLIN;
		n = 2;
		if (c->stdin_open && c->chan.outb.len < SSHL_CLIENT_HIGH) {
			pfd[2].fd = STDIN_FILENO;
			pfd[2].events = POLLIN;
			n = 3;
		}
		if (poll(pfd, (nfds_t)n, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_syserr("poll");
			return (-1);
		}
		if ((pfd[1].revents != 0 && sshl_client_signals(c) == -1) ||
		    (n == 3 && pfd[2].revents != 0 &&
		    sshl_client_stdin(c) == -1) ||
		    ((pfd[0].revents & POLLOUT) &&
		    sshl_chan_flush(&c->chan) == -1) ||
		    ((pfd[0].revents & ~POLLOUT) && sshl_client_read(c) == -1))
			return (-1);
		if (sshl_chan_flush(&c->chan) == -1) {
			log_syserr("write");
			return (-1);
		}
	}
	return (0);
}

int
sshl_exec_run(const unsigned char *key, const struct sshl_exec *e, int fd)
{
	static const int	 sigs[] = { SIGINT, SIGTERM, SIGHUP, 0 };
	struct sshl_client	 c;
	unsigned char		*req;
	size_t			 len;
	char			 err[SSHL_ERR_LEN];
	int			 rc = SSHL_EXIT_OWN;

	memset(&c, 0, sizeof(c));
	c.stdin_open = 1;
	if (sshl_chan_init(&c.chan, fd) == -1 || sock_set_nonblock(fd, 1) ==
	    -1 || (c.sigfd = sig_open(sigs)) == -1) {
		log_syserr("ssh-lite");
		goto out;
	}
	if (sshl_handshake_client(&c.chan, key, SSHL_AUTH_TIMEOUT_MS,
	    err) == -1) {
		log_error("%s", err);
		goto out;
	}
	if ((req = sshl_exec_encode(e, &len)) == NULL || len > SSHL_MSG_MAX ||
	    sshl_chan_send(&c.chan, SSHL_EXEC, req, len) == -1) {
		log_error("command too long");
		free(req);
		goto out;
	}
	free(req);
	if (sshl_client_loop(&c) == 0)
		rc = c.code;
out:
	sshl_chan_free(&c.chan);
	(void)close(fd);
	return (rc);
}
