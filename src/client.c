/*
 * The stream client: connect, then relay or script.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "addr.h"
#include "args.h"
#include "client.h"
#include "escape.h"
#include "exitcode.h"
#include "log.h"
#include "loop.h"
#include "relay.h"
#include "script.h"
#include "sock.h"
#include "sockit.h"
#include "stream.h"
#include "xmalloc.h"

/*
 * Each read(2) takes at most 128 KiB, which is still in the CPU cache
 * when it is written out; the 256 KiB buffer holds two such reads while
 * the peer is slow.  On loopback this measured about 10% faster than
 * 1 MiB reads into a 1 MiB buffer (docs/PERFORMANCE.md).
 */
#define CLIENT_BUFSIZE		(256 * 1024)
#define CLIENT_READMAX		(128 * 1024)
#define CLIENT_RETRY_MS		50

/* What a running session needs in its callbacks. */
struct client_session {
	const struct client_opts *o;
	struct loop		 *loop;
	struct relay		  relay;
	struct script		  script;
	struct stream		  net;
	struct stream		  in;		/* stdin */
	struct stream		  out;		/* stdout */
	int			  done;
	int			  stdin_pipe;	/* index, or -1 */
	struct loop_timer	  quit_timer;
	struct loop_timer	  progress_timer;
	long long		  started;
};

void
client_opts_init(struct client_opts *o)
{
	memset(o, 0, sizeof(*o));
	frameopt_init(&o->frames, 0);
	o->quit_after_ms = -1;
	o->reply_timeout_ms = 1000;
	o->expect_replies = -1;
}

void
client_opts_free(struct client_opts *o)
{
	size_t	i;

	for (i = 0; i < o->nsteps; i++)
		free(o->steps[i].data);
	free(o->steps);
	o->steps = NULL;
	o->nsteps = 0;
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

static int
client_set_time(long long *dst, const char *name, const char *arg,
    char **cause)
{
	if ((*dst = args_seconds(arg, 86400 * 365, cause)) == -1) {
		*cause = args_cause("%s: %s", name, *cause);
		return (-1);
	}
	return (0);
}

int
client_opts_set(struct client_opts *o, int id, const char *arg, char **cause)
{
	long long	n;
	int		rc;

	if ((rc = frameopt_set(&o->frames, id, arg, cause)) != 0)
		return (rc == 1 ? 0 : -1);
	switch (id) {
	case CLIENT_OPT_SEND:
		return (client_add_step(o, SCRIPT_SEND, arg, cause));
	case CLIENT_OPT_EXPECT:
		return (client_add_step(o, SCRIPT_EXPECT, arg, cause));
	case CLIENT_OPT_NO_SHUTDOWN:
		o->no_shutdown = 1;
		return (0);
	case CLIENT_OPT_QUIT_AFTER:
		return (client_set_time(&o->quit_after_ms, "-q", arg, cause));
	case CLIENT_OPT_CONNECT_TIMEOUT:
		return (client_set_time(&o->connect_timeout_ms, "-w", arg,
		    cause));
	case CLIENT_OPT_WAIT_FOR:
		return (client_set_time(&o->wait_for_ms, "--wait-for", arg,
		    cause));
	case CLIENT_OPT_TIMEOUT:
		return (client_set_time(&o->step_timeout_ms, "--timeout", arg,
		    cause));
	case CLIENT_OPT_ZERO:
		o->zero_io = 1;
		return (0);
	case CLIENT_OPT_RECV_BYTES:
		if ((n = args_number(arg, 1, INT64_MAX, cause)) == -1)
			return (-1);
		o->recv_bytes = (uint64_t)n;
		return (0);
	case CLIENT_OPT_DGRAM:
		o->dgram = 1;
		return (0);
	case CLIENT_OPT_REPLY_TIMEOUT:
		return (client_set_time(&o->reply_timeout_ms,
		    "--reply-timeout", arg, cause));
	case CLIENT_OPT_EXPECT_REPLIES:
		if ((n = args_number(arg, 0, 100000000, cause)) == -1)
			return (-1);
		o->expect_replies = (long)n;
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

int
client_opts_finish(struct client_opts *o, char **cause)
{
	return (frameopt_finish(&o->frames, cause));
}

static int
client_retryable(int err)
{
	return (err == ECONNREFUSED || err == ENOENT || err == ETIMEDOUT ||
	    err == EHOSTUNREACH || err == ENETUNREACH || err == EAGAIN);
}

static void
client_pause_ms(long long ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
client_parse_inet(const struct cmd_entry *self, int argc, char **argv,
    args_cb opt, struct client_opts *o, struct addr_inet *a, char *target,
    size_t len)
{
	char	err[ADDR_ERR_LEN], *cause = NULL;
	int	first, rc;

	if ((rc = args_parse(self, argc, argv, opt, o, &first)) != ARGS_OK)
		return (rc == ARGS_HELP ? SOCKIT_EXIT_OK : SOCKIT_EXIT_USAGE);
	if (client_opts_finish(o, &cause) == -1) {
		log_error("%s", cause);
		return (SOCKIT_EXIT_USAGE);
	}
	if (addr_parse_client(argc - first, argv + first, a, err) == -1) {
		log_error("%s", err);
		return (SOCKIT_EXIT_USAGE);
	}
	snprintf(target, len, strchr(a->host, ':') != NULL ? "[%s]:%s" :
	    "%s:%s", a->host, a->port);
	return (-1);
}

int
client_connect(const struct client_opts *o, client_connect_fn fn, void *arg,
    const char *target, int *code)
{
	long long	deadline = clock_ms() + o->wait_for_ms, left;
	char		err[SOCK_ERR_LEN];
	int		fd, timeout;

	for (;;) {
		err[0] = '\0';
		timeout = (int)o->connect_timeout_ms;
		left = deadline - clock_ms();
		if (o->wait_for_ms > 0 && (timeout <= 0 || timeout > left))
			timeout = left > 0 ? (int)left : 1;
		if ((fd = fn(arg, timeout, err)) != -1)
			return (fd);
		if (o->wait_for_ms <= 0 || !client_retryable(errno) ||
		    clock_ms() + CLIENT_RETRY_MS >= deadline)
			break;
		client_pause_ms(CLIENT_RETRY_MS);
	}
	if (o->wait_for_ms > 0 && client_retryable(errno)) {
		log_error("connect %s: not up after --wait-for %.3g s (%s)",
		    target, (double)o->wait_for_ms / 1000, strerror(errno));
		*code = SOCKIT_EXIT_TIMEOUT;
		return (-1);
	}
	if (err[0] != '\0' && errno == EHOSTUNREACH)
		log_error("connect %s: %s", target, err);
	else
		log_syserr("connect %s", target);
	*code = exitcode_for_errno(errno);
	return (-1);
}

static void
client_session_done(struct relay *r, void *arg)
{
	struct client_session	*cs = arg;

	cs->done = 1;
	loop_stop(cs->loop);
}

static void
client_quit_timer(struct loop *l, struct loop_timer *t, void *arg)
{
	struct client_session	*cs = arg;

	cs->done = 1;
	loop_stop(l);
}

static void
client_xfer(struct client_session *cs, struct log_xfer *x)
{
	x->in = relay_bytes_from(&cs->relay, &cs->net) + cs->script.nread;
	x->out = relay_bytes_to(&cs->relay, &cs->net) + cs->script.nwritten;
	x->secs = (double)(loop_now(cs->loop) - cs->started) / 1000.0;
}

static void
client_progress_timer(struct loop *l, struct loop_timer *t, void *arg)
{
	struct client_session	*cs = arg;
	struct log_xfer		 x;

	client_xfer(cs, &x);
	log_progress(&x, 0);
	(void)loop_timer_set(l, t, 1000);
}

/*
 * Adds socket→stdout and stdin→socket pipes.  Without stdin (after a
 * script) the second pipe has no source: it only ends the write side.
 * The peer's end of stream closes stdout at once, so a reader down a
 * pipe sees EOF when the data ends; stdin is still sent until its EOF.
 */
static void
client_add_pipes(struct client_session *cs, int with_stdin)
{
	const struct client_opts *o = cs->o;
	struct relay_pipe_conf	  pc;

	memset(&pc, 0, sizeof(pc));
	pc.bufsize = CLIENT_BUFSIZE;
	pc.readmax = CLIENT_READMAX;
	pc.src = &cs->net;
	pc.dst = &cs->out;
	pc.in = &o->frames.wire;
	pc.out = &o->frames.local;
	pc.limit = o->recv_bytes;
	pc.shutdown_dst = 1;
	pc.ends_relay = o->recv_bytes > 0;
	relay_add_pipe(&cs->relay, &pc);
	pc.src = with_stdin ? &cs->in : NULL;
	pc.dst = &cs->net;
	pc.in = &o->frames.local;
	pc.out = &o->frames.wire;
	pc.limit = 0;
	pc.ends_relay = 0;
	pc.shutdown_dst = !o->no_shutdown;
	pc.partial_ok = 1;
	pc.crlf = o->frames.crlf_raw;
	cs->stdin_pipe = relay_add_pipe(&cs->relay, &pc);
}

/*
 * The peer went away (what failed: "read from peer", "write to peer")
 * before stdin was all sent: say how much it got, and how much was read
 * but lost on the way.
 */
static int
client_undelivered(struct client_session *cs, const char *what)
{
	struct relay	*r = &cs->relay;
	uint64_t	 n;

	n = r->status == RELAY_ERR_WRITE && r->err_pipe == cs->stdin_pipe ?
	    r->undelivered : relay_undelivered(r, cs->stdin_pipe);
	log_error("%s: %s: stdin not sent in full: %llu bytes delivered, "
	    "%llu read but not delivered", what, strerror(r->err),
	    (unsigned long long)relay_delivered(r, cs->stdin_pipe),
	    (unsigned long long)n);
	return (SOCKIT_EXIT_RUNTIME);
}

/* Whether stdin still had data on its way when the relay failed. */
static int
client_stdin_unfinished(const struct client_session *cs)
{
	return (cs->stdin_pipe >= 0 && cs->relay.pipes[cs->stdin_pipe].c.src ==
	    &cs->in && !cs->relay.pipes[cs->stdin_pipe].done);
}

/* Maps how the relay ended to a message and an exit code. */
static int
client_relay_result(struct client_session *cs)
{
	struct relay	*r = &cs->relay;
	int		 from_peer = r->pipes[r->err_pipe].c.src == &cs->net;

	switch (r->status) {
	case RELAY_RUNNING:
	case RELAY_DONE:
		return (SOCKIT_EXIT_OK);
	case RELAY_ERR_FRAME:
		log_error("frame error %s: %s", from_peer ? "from peer" :
		    "on stdin", frame_strerror(r->frame_err));
		return (SOCKIT_EXIT_PROTOCOL);
	case RELAY_ERR_NOMEM:
		log_error("out of memory");
		return (SOCKIT_EXIT_RUNTIME);
	case RELAY_ERR_READ:
		if (from_peer && client_stdin_unfinished(cs))
			return (client_undelivered(cs, "read from peer"));
		errno = r->err;
		log_syserr("read %s", from_peer ? "from peer" : "stdin");
		return (exitcode_for_errno(r->err) == SOCKIT_EXIT_TIMEOUT ?
		    SOCKIT_EXIT_TIMEOUT : SOCKIT_EXIT_RUNTIME);
	case RELAY_ERR_WRITE:
		if (!from_peer)
			return (client_undelivered(cs, "write to peer"));
		errno = r->err;
		log_syserr("write stdout");
		return (SOCKIT_EXIT_RUNTIME);
	}
	return (SOCKIT_EXIT_RUNTIME);
}

/* Arms -q once stdin has ended and everything was sent. */
static void
client_check_quit(struct client_session *cs)
{
	if (cs->o->quit_after_ms < 0 || cs->stdin_pipe < 0 ||
	    loop_timer_armed(&cs->quit_timer) ||
	    !cs->relay.pipes[cs->stdin_pipe].done)
		return;
	(void)loop_timer_set(cs->loop, &cs->quit_timer, cs->o->quit_after_ms);
}

/* Runs the loop until the session is done; returns 0 or -1. */
static int
client_wait_done(struct client_session *cs)
{
	while (!cs->done) {
		if (loop_process(cs->loop, -1) == -1) {
			log_syserr("event loop");
			return (-1);
		}
		client_check_quit(cs);
	}
	return (0);
}

static int
client_relay(struct client_session *cs, int with_stdin)
{
	relay_init(&cs->relay, cs->loop, client_session_done, cs);
	client_add_pipes(cs, with_stdin);
	if (cs->o->progress == 2 || (cs->o->progress == 1 && isatty(2)))
		(void)loop_timer_set(cs->loop, &cs->progress_timer, 1000);
	if (relay_start(&cs->relay) == -1) {
		log_syserr("relay");
		return (SOCKIT_EXIT_RUNTIME);
	}
	if (client_wait_done(cs) == -1)
		return (SOCKIT_EXIT_RUNTIME);
	if (loop_timer_armed(&cs->progress_timer)) {
		struct log_xfer	x;

		client_xfer(cs, &x);
		log_progress(&x, 1);
	}
	return (client_relay_result(cs));
}

static void
client_script_done(struct script *sc, void *arg)
{
	struct client_session	*cs = arg;

	cs->done = 1;
	loop_stop(cs->loop);
}

/* Says why a --send/--expect step failed; returns the exit code. */
static int
client_script_failed(struct client_session *cs)
{
	const struct client_opts *o = cs->o;
	const struct script_step *st = &o->steps[cs->script.cur];
	const char		 *what = st->op == SCRIPT_SEND ? "--send" :
	    "--expect";
	char			  text[64];

	escape_encode(st->data, st->len, text, sizeof(text));
	switch (cs->script.result) {
	case SCRIPT_TIMEOUT:
		log_error("%s \"%s\": timed out after %.3g s", what, text,
		    (double)o->step_timeout_ms / 1000);
		return (SOCKIT_EXIT_TIMEOUT);
	case SCRIPT_EOF:
		log_error("--expect \"%s\": connection closed first", text);
		return (SOCKIT_EXIT_EXPECT);
	default:
		errno = cs->script.err;
		log_syserr("%s \"%s\"", what, text);
		return (SOCKIT_EXIT_RUNTIME);
	}
}

/* --send/--expect steps, then the rest of the reply until EOF. */
static int
client_script(struct client_session *cs)
{
	const struct client_opts *o = cs->o;

	if (script_start(&cs->script, cs->loop, &cs->net, &cs->out, o->steps,
	    o->nsteps, o->step_timeout_ms, client_script_done, cs) == -1) {
		log_syserr("script");
		return (SOCKIT_EXIT_RUNTIME);
	}
	if (client_wait_done(cs) == -1)
		return (SOCKIT_EXIT_RUNTIME);
	if (cs->script.result != SCRIPT_OK)
		return (client_script_failed(cs));
	cs->done = 0;
	/* -q counts from the end of the script: it stands for stdin EOF. */
	if (o->quit_after_ms >= 0)
		(void)loop_timer_set(cs->loop, &cs->quit_timer,
		    o->quit_after_ms);
	return (client_relay(cs, 0));
}

static void
client_stats(struct client_session *cs)
{
	struct log_xfer	x;

	client_xfer(cs, &x);
	log_stats(1, &x);
}

int
client_run(const struct client_opts *o, int fd)
{
	struct client_session	cs;
	int			rc;

	if (o->zero_io) {
		(void)close(fd);
		return (SOCKIT_EXIT_OK);
	}
	memset(&cs, 0, sizeof(cs));
	cs.o = o;
	stream_socket_init(&cs.net, fd);
	stream_stdio_init(&cs.in, STDIN_FILENO);
	stream_stdio_init(&cs.out, STDOUT_FILENO);
	if ((cs.loop = loop_new()) == NULL) {
		log_syserr("event loop");
		stream_close(&cs.net);
		return (SOCKIT_EXIT_RUNTIME);
	}
	cs.started = loop_now(cs.loop);
	loop_timer_init(&cs.quit_timer, client_quit_timer, &cs);
	loop_timer_init(&cs.progress_timer, client_progress_timer, &cs);
	if (sock_set_nonblock(fd, 1) == -1) {
		log_syserr("socket");
		rc = SOCKIT_EXIT_RUNTIME;
	} else if (o->nsteps > 0)
		rc = client_script(&cs);
	else
		rc = client_relay(&cs, 1);
	if (sockit_config.stats)
		client_stats(&cs);
	script_free(&cs.script);
	relay_free(&cs.relay);
	loop_timer_cancel(cs.loop, &cs.quit_timer);
	loop_timer_cancel(cs.loop, &cs.progress_timer);
	loop_free(cs.loop);
	stream_close(&cs.net);
	return (rc);
}
