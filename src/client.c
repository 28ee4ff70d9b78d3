/*
 * The stream client: one event loop runs the whole session.  It dials
 * the target (or the proxy), retries for --wait-for, talks the proxy's
 * handshake, and then checks (-z), relays a program (--exec), runs the
 * script, or relays stdin/stdout.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "clock.h"
#include "dial.h"
#include "dump.h"
#include "escape.h"
#include "exitcode.h"
#include "log.h"
#include "loop.h"
#include "proxy.h"
#include "relay.h"
#include "script.h"
#include "sig.h"
#include "sock.h"
#include "spawn.h"
#include "stream.h"
#include "tls.h"
#include "tlshs.h"

/*
 * Each read(2) takes up to 1 MiB into a 1 MiB buffer, and each write
 * sends what one read got.  With the client and the peer wherever the
 * scheduler puts them, 1 GiB from a file went out in about half the
 * time of 128 KiB reads, from a pipe in 0.8 of it; pinned to two CPUs,
 * 128 KiB reads were about 10% faster (docs/PERFORMANCE.md).
 */
#define CLIENT_BUFSIZE		(1024 * 1024)
#define CLIENT_READMAX		(1024 * 1024)
/* --wait-for: the pause between two tries. */
#define CLIENT_RETRY_MS		50
/* A proxy or TLS handshake without -w gets this long. */
#define CLIENT_PROXY_MS		10000
#define CLIENT_TLS_MS		10000

/* The pipes of the relay. */
#define CLIENT_PIPE_IN		0	/* net -> stdout (or the program) */
#define CLIENT_PIPE_OUT		1	/* stdin (or the program) -> net */

struct client_session {
	const struct client_opts *o;
	const struct sock_target *t;
	const char		 *name;		/* the target, for messages */
	struct loop		 *loop;
	long long		  started;
	long long		  deadline;	/* --wait-for */
	int			  done;
	int			  rc;

	struct dial		  dial;
	struct loop_timer	  retry_timer;
	int			  last_err;	/* errno of the last try */
	char			  last_why[SOCK_ERR_LEN]; /* resolver's words */

	struct proxy_hs		  proxy;
	struct tls_hs		  tlshs;
	struct stream		  net;
	struct stream		  in, out;	/* stdin, stdout */
	struct relay		  relay;
	struct script		  script;
	int			  stdin_pipe;	/* index, or -1 */
	uint64_t		  dump_off[2];	/* per direction */

	struct stream		  child;	/* --exec: our socketpair end */
	int			  exec;		/* --exec is running */
	pid_t			  pid;
	int			  status;	/* its wait status once reaped */
	int			  sigfd;

	struct loop_timer	  quit_timer;
	struct loop_timer	  progress_timer;
	struct loop_timer	  idle_timer;
};

static void	client_dial(struct client_session *);
static void	client_connected(struct client_session *,
		    const unsigned char *, size_t);
static void	client_secure(struct client_session *,
		    const unsigned char *, size_t);

/* Ends the session with an exit code; the loop returns. */
static void
client_finish(struct client_session *cs, int rc)
{
	if (cs->done)
		return;
	cs->done = 1;
	cs->rc = rc;
	loop_stop(cs->loop);
}

static int
client_retryable(int err)
{
	return (err == ECONNREFUSED || err == ENOENT || err == ETIMEDOUT ||
	    err == EHOSTUNREACH || err == ENETUNREACH || err == EAGAIN);
}

/* The target or, with --proxy, the proxy: what is dialed. */
static void
client_dial_target(const struct client_session *cs, struct sock_target *t)
{
	const struct client_opts *o = cs->o;

	*t = *cs->t;
	if (o->proxy.addr == NULL)
		return;
	t->host = o->proxy.a.host;
	t->port = o->proxy.a.port;
	t->path = NULL;
}

/* The connect could not be made: retry for --wait-for, or say why. */
static void
client_dial_failed(struct client_session *cs, int err)
{
	const char	*why = cs->last_why[0] != '\0' ? cs->last_why :
	    strerror(err);
	const char	*via = cs->o->proxy.addr != NULL ? " via proxy " : "";

	cs->last_err = err;
	if (cs->o->wait_for_ms > 0 && client_retryable(err) &&
	    clock_ms() + CLIENT_RETRY_MS < cs->deadline) {
		(void)loop_timer_set(cs->loop, &cs->retry_timer,
		    CLIENT_RETRY_MS);
		return;
	}
	if (cs->o->wait_for_ms > 0 && client_retryable(err)) {
		log_error("connect %s%s%s: not up after --wait-for %.3g s (%s)",
		    cs->name, via, via[0] != '\0' ? cs->o->proxy.addr : "",
		    (double)cs->o->wait_for_ms / 1000, why);
		client_finish(cs, SOCKIT_EXIT_TIMEOUT);
		return;
	}
	if (cs->last_why[0] != '\0')
		log_error("connect %s%s%s: %s", cs->name, via, via[0] != '\0' ?
		    cs->o->proxy.addr : "", why);
	else {
		/* log_syserr adds the hint for a socket of the other type. */
		errno = err;
		log_syserr("connect %s%s%s", cs->name, via, via[0] != '\0' ?
		    cs->o->proxy.addr : "");
	}
	/* A name that did not resolve is a runtime error (1). */
	client_finish(cs, cs->last_why[0] != '\0' ? SOCKIT_EXIT_RUNTIME :
	    exitcode_for_errno(err));
}

static void
client_retry(struct loop *l, struct loop_timer *t, void *arg)
{
	client_dial(arg);
}

/* The proxy's handshake came out; on success the target is there. */
static void
client_proxy_done(struct proxy_hs *h, void *arg)
{
	struct client_session	*cs = arg;
	int			 rc;

	if (h->result == PROXY_OK) {
		client_secure(cs, BUF_HEAD(&h->in), h->in.len);
		return;
	}
	if (h->result == PROXY_REFUSED && cs->o->wait_for_ms > 0 &&
	    clock_ms() + CLIENT_RETRY_MS < cs->deadline) {
		stream_close(&cs->net);
		(void)loop_timer_set(cs->loop, &cs->retry_timer,
		    CLIENT_RETRY_MS);
		return;
	}
	switch (h->result) {
	case PROXY_AUTH:
		rc = SOCKIT_EXIT_AUTH;
		break;
	case PROXY_REFUSED:
		rc = SOCKIT_EXIT_REFUSED;
		break;
	case PROXY_BAD_REPLY:
		rc = SOCKIT_EXIT_PROTOCOL;
		break;
	case PROXY_TIMEOUT:
		rc = SOCKIT_EXIT_TIMEOUT;
		break;
	default:
		rc = SOCKIT_EXIT_RUNTIME;
	}
	log_error("connect %s via proxy %s: %s", cs->name, cs->o->proxy.addr,
	    h->why);
	client_finish(cs, rc);
}

/* --proxy-dns local: the target's address, resolved here. */
static int
client_proxy_local_dns(struct client_session *cs, struct proxy_conf *pc)
{
	struct sock_addr	*a;
	size_t			 n;
	char			 err[SOCK_ERR_LEN];

	err[0] = '\0';
	if (sock_resolve_target(cs->t, &a, &n, err) == -1 || n == 0) {
		log_error("connect %s: %s", cs->name, err[0] != '\0' ? err :
		    strerror(errno));
		return (-1);
	}
	pc->family = a[0].ss.ss_family;
	if (pc->family == AF_INET)
		memcpy(pc->addr, &((struct sockaddr_in *)&a[0].ss)->sin_addr,
		    4);
	else
		memcpy(pc->addr, &((struct sockaddr_in6 *)&a[0].ss)->sin6_addr,
		    16);
	free(a);
	return (0);
}

static int
client_start_proxy(struct client_session *cs)
{
	const struct client_opts *o = cs->o;
	struct proxy_conf	  pc;

	memset(&pc, 0, sizeof(pc));
	pc.type = o->proxy.type;
	pc.host = cs->t->host;
	pc.port = cs->t->port;
	pc.user = o->proxy.user;
	pc.pass = o->proxy.pass;
	if (o->proxy.dns_local && client_proxy_local_dns(cs, &pc) == -1)
		return (-1);
	proxy_hs_free(&cs->proxy);
	if (proxy_hs_start(&cs->proxy, cs->loop, &cs->net, &pc,
	    o->connect_timeout_ms > 0 ? o->connect_timeout_ms :
	    CLIENT_PROXY_MS, client_proxy_done, cs) == -1) {
		log_syserr("connect %s via proxy %s", cs->name, o->proxy.addr);
		return (-1);
	}
	return (0);
}

/* A TLS failure in words; the exit code of its class. */
static int
client_tls_failed(struct client_session *cs, const char *what)
{
	const char	*why = tls_stream_error(&cs->net);

	log_error("%s %s: %s", what, cs->name, why != NULL ? why :
	    strerror(errno));
	return (tls_stream_auth_failed(&cs->net) ? SOCKIT_EXIT_AUTH :
	    SOCKIT_EXIT_RUNTIME);
}

static void
client_tls_done(struct tls_hs *h, int ok, void *arg)
{
	struct client_session	*cs = arg;
	char			 what[128];

	if (!ok) {
		if (h->timed_out) {
			log_error("TLS handshake with %s: timed out",
			    cs->name);
			client_finish(cs, SOCKIT_EXIT_TIMEOUT);
		} else
			client_finish(cs, client_tls_failed(cs,
			    "TLS handshake with"));
		return;
	}
	snprintf(what, sizeof(what), "%s %s%s%s", tls_version(&cs->net),
	    tls_peer_sha256(&cs->net) != NULL ? tls_peer_sha256(&cs->net) :
	    "", tls_alpn(&cs->net) != NULL ? " alpn=" : "",
	    tls_alpn(&cs->net) != NULL ? tls_alpn(&cs->net) : "");
	log_event(LOG_VERBOSE, "tls", cs->name, NULL, what);
	client_connected(cs, NULL, 0);
}

/*
 * --tls: the connection (through the proxy, if any) becomes a TLS
 * stream, verified by the handshake.  Whatever a proxy passed on early
 * would be TLS records; a server speaks only after our ClientHello.
 */
static void
client_secure(struct client_session *cs, const unsigned char *leftover,
    size_t n)
{
	const struct client_opts *o = cs->o;
	char			  err[TLS_ERR_LEN];
	int			  fd = cs->net.fd;

	if (!o->tls.on) {
		client_connected(cs, leftover, n);
		return;
	}
	if (tls_stream_init(&cs->net, o->tls.ctx, fd, cs->t->host, err,
	    sizeof(err)) == -1) {
		(void)close(fd);
		cs->net.fd = -1;
		cs->net.ops = NULL;
		if (errno == EINVAL && cs->t->host == NULL)
			log_error("--tls over a Unix socket: give --tls-name "
			    "or --tls-pin to verify the server");
		else
			log_error("TLS %s: %s", cs->name, err);
		client_finish(cs, errno == EINVAL ? SOCKIT_EXIT_USAGE :
		    SOCKIT_EXIT_RUNTIME);
		return;
	}
	if (tls_hs_start(&cs->tlshs, cs->loop, &cs->net,
	    o->connect_timeout_ms > 0 ? o->connect_timeout_ms : CLIENT_TLS_MS,
	    client_tls_done, cs) == -1) {
		log_syserr("TLS %s", cs->name);
		client_finish(cs, SOCKIT_EXIT_RUNTIME);
	}
}

static void
client_dialed(struct dial *d, int fd, void *arg)
{
	struct client_session	*cs = arg;

	if (fd == -1) {
		client_dial_failed(cs, d->err);
		return;
	}
	stream_socket_init(&cs->net, fd);
	cs->net.flags |= STREAM_DIALED;
	/* Options a Unix socket does not have fail harmlessly. */
	if (cs->o->keepalive)
		(void)sock_set_keepalive(fd);
	if (cs->o->nodelay)
		(void)sock_set_nodelay(fd);
	if (cs->o->proxy.addr == NULL) {
		client_secure(cs, NULL, 0);
		return;
	}
	if (client_start_proxy(cs) == -1)
		client_finish(cs, SOCKIT_EXIT_RUNTIME);
}

/* One try: each within -w, and within what is left of --wait-for. */
static void
client_dial(struct client_session *cs)
{
	struct sock_target	t;
	long long		timeout = cs->o->connect_timeout_ms, left;

	if (cs->o->wait_for_ms > 0) {
		left = cs->deadline - clock_ms();
		if (timeout <= 0 || timeout > left)
			timeout = left > 0 ? left : 1;
	}
	client_dial_target(cs, &t);
	cs->last_why[0] = '\0';
	if (dial_start(&cs->dial, cs->loop, &t, timeout, client_dialed, cs,
	    cs->last_why) == -1) {
		/* A name that does not resolve (yet): its own words. */
		client_dial_failed(cs, errno);
		return;
	}
	cs->last_why[0] = '\0';
}

/* Bytes and time so far, for --stats and --progress. */
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

static void
client_quit_timer(struct loop *l, struct loop_timer *t, void *arg)
{
	client_finish(arg, SOCKIT_EXIT_OK);
}

/* -i: nothing moved either way for the whole time. */
static void
client_idle_timer(struct loop *l, struct loop_timer *t, void *arg)
{
	struct client_session	*cs = arg;
	long long		 last, quiet;

	/* The script's steps count as traffic too; then the relay's. */
	last = cs->relay.last_active > cs->script.last_active ?
	    cs->relay.last_active : cs->script.last_active;
	quiet = loop_now(l) - last;

	if (quiet < cs->o->idle_ms) {
		(void)loop_timer_set(l, t, cs->o->idle_ms - quiet);
		return;
	}
	log_error("idle for %.3g s (-i)", (double)cs->o->idle_ms / 1000);
	client_finish(cs, SOCKIT_EXIT_TIMEOUT);
}

/* -o/-x: what moved on the connection, as it moved. */
static void
client_tap(struct client_session *cs, int dir, const unsigned char *p,
    size_t n)
{
	if (dump_record(&cs->o->dump, dir, cs->name, cs->dump_off[dir], p,
	    n) == -1)
		log_syserr("dump");
	cs->dump_off[dir] += n;
}

static void
client_relay_tap(struct relay *r, int i, int wrote, const unsigned char *p,
    size_t n, void *arg)
{
	struct client_session	*cs = arg;

	if (!wrote && r->pipes[i].c.src == &cs->net)
		client_tap(cs, DUMP_IN, p, n);
	else if (wrote && r->pipes[i].c.dst == &cs->net)
		client_tap(cs, DUMP_OUT, p, n);
}

static void
client_script_tap(struct script *sc, int wrote, const unsigned char *p,
    size_t n, void *arg)
{
	client_tap(arg, wrote ? DUMP_OUT : DUMP_IN, p, n);
}

static int
client_dumping(const struct client_opts *o)
{
	return (o->dump.raw_fd >= 0 || o->dump.hex_fd >= 0);
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
	const char	*tls_why = cs->o->tls.on ? tls_stream_error(&cs->net) :
			    NULL;
	uint64_t	 n;

	n = r->status == RELAY_ERR_WRITE && r->err_pipe == cs->stdin_pipe ?
	    r->undelivered : relay_undelivered(r, cs->stdin_pipe);
	/* Under TLS the stream says why (a truncation, an alert). */
	log_error("%s: %s: stdin not sent in full: %llu bytes %s, "
	    "%llu read but not %s", what, tls_why != NULL ? tls_why :
	    strerror(r->err),
	    (unsigned long long)relay_delivered(r, cs->stdin_pipe),
	    relay_delivered_word(r, cs->stdin_pipe), (unsigned long long)n,
	    relay_delivered_word(r, cs->stdin_pipe));
	return (tls_why != NULL && tls_stream_auth_failed(&cs->net) ?
	    SOCKIT_EXIT_AUTH : SOCKIT_EXIT_RUNTIME);
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
		if (from_peer && cs->o->tls.on &&
		    tls_stream_error(&cs->net) != NULL)
			return (client_tls_failed(cs, "read from"));
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

/* The exit status of an --exec program, as a shell gives it. */
static int
client_child_code(int status)
{
	if (WIFEXITED(status))
		return (WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return (128 + WTERMSIG(status));
	return (SOCKIT_EXIT_RUNTIME);
}

/* With --exec the session ends when the relay and the program have. */
static void
client_maybe_done_exec(struct client_session *cs)
{
	if (cs->pid != 0 || cs->relay.status == RELAY_RUNNING)
		return;
	client_finish(cs, client_child_code(cs->status));
}

static void
client_relay_done(struct relay *r, void *arg)
{
	struct client_session	*cs = arg;

	if (!cs->exec) {
		client_finish(cs, client_relay_result(cs));
		return;
	}
	/* The program hears end of file; its exit ends the session. */
	stream_close(&cs->child);
	client_maybe_done_exec(cs);
}

static void
client_child_ended(pid_t pid, int status, void *arg)
{
	struct client_session	*cs = arg;

	if (pid != cs->pid)
		return;
	cs->pid = 0;
	cs->status = status;
	client_maybe_done_exec(cs);
}

static void
client_signal(struct loop *l, int fd, int mask, void *arg)
{
	while (sig_next(fd) != 0)
		;
	(void)spawn_reap(client_child_ended, arg);
}

/*
 * The relay's pipes: socket -> stdout and stdin -> socket, or the same
 * with a program's socketpair end for both.  Without stdin (after a
 * script, or --recv-only) the second pipe has no source: it only ends
 * the write side.  The peer's end of stream closes stdout at once, so a
 * reader down a pipe sees EOF when the data ends; stdin is still sent
 * until its EOF.
 */
static void
client_add_pipes(struct client_session *cs, struct stream *local_in,
    struct stream *local_out)
{
	const struct client_opts *o = cs->o;
	struct relay_pipe_conf	  pc;

	memset(&pc, 0, sizeof(pc));
	pc.bufsize = CLIENT_BUFSIZE;
	pc.readmax = CLIENT_READMAX;
	pc.src = &cs->net;
	pc.dst = o->send_only ? NULL : local_out;
	pc.in = &o->frames.wire;
	pc.out = &o->frames.local;
	pc.limit = o->recv_bytes;
	pc.shutdown_dst = 1;
	pc.ends_relay = o->recv_bytes > 0;
	pc.dst_gone_drains = local_out == &cs->child;
	relay_add_pipe(&cs->relay, &pc);
	pc.src = o->recv_only ? NULL : local_in;
	pc.dst = &cs->net;
	pc.in = &o->frames.local;
	pc.out = &o->frames.wire;
	pc.limit = 0;
	pc.dst_gone_drains = 0;
	/* --send-only ends at stdin's end, as ncat does. */
	pc.ends_relay = o->send_only;
	pc.shutdown_dst = !o->no_shutdown && !o->recv_only;
	pc.partial_ok = 1;
	pc.crlf = o->frames.crlf_raw;
	cs->stdin_pipe = relay_add_pipe(&cs->relay, &pc);
}

/* Arms -q once stdin has ended and everything was sent. */
static void
client_check_quit(struct client_session *cs)
{
	if (cs->o->quit_after_ms < 0 || cs->stdin_pipe < 0 ||
	    loop_timer_armed(&cs->quit_timer) ||
	    cs->relay.npipes <= cs->stdin_pipe ||
	    !cs->relay.pipes[cs->stdin_pipe].done)
		return;
	(void)loop_timer_set(cs->loop, &cs->quit_timer, cs->o->quit_after_ms);
}

static void
client_pipe_done(struct relay *r, int i, void *arg)
{
	client_check_quit(arg);
}

/* Starts the relay; leftover is what the target sent before it. */
static int
client_start_relay(struct client_session *cs, struct stream *lin,
    struct stream *lout, const unsigned char *leftover, size_t n)
{
	relay_init(&cs->relay, cs->loop, client_relay_done, cs);
	cs->relay.pipe_done_cb = client_pipe_done;
	if (client_dumping(cs->o))
		cs->relay.tap_cb = client_relay_tap;
	client_add_pipes(cs, lin, lout);
	if (n > 0 && relay_inject(&cs->relay, CLIENT_PIPE_IN, leftover,
	    n) == -1)
		return (-1);
	if (cs->o->idle_ms > 0)
		(void)loop_timer_set(cs->loop, &cs->idle_timer, cs->o->idle_ms);
	if (relay_start(&cs->relay) == -1)
		return (-1);
	client_check_quit(cs);
	return (0);
}

/* --exec: the program's stdin/stdout is a socketpair relayed to net. */
static int
client_start_exec(struct client_session *cs, const unsigned char *leftover,
    size_t n)
{
	static const int	sigs[] = { SIGCHLD, 0 };
	char			local[SOCK_ADDR_LEN], peer[SOCK_ADDR_LEN];
	int			sv[2];

	if ((cs->sigfd = sig_open(sigs)) == -1 ||
	    loop_set_fd(cs->loop, cs->sigfd, LOOP_READABLE, client_signal,
	    cs) == -1 || sock_socketpair(sv) == -1)
		return (-1);
	sock_local_str(cs->net.fd, local, sizeof(local));
	/* Through a proxy the program's peer is the target, not the proxy. */
	if (cs->o->proxy.addr != NULL)
		snprintf(peer, sizeof(peer), "%s", cs->name);
	else
		sock_peer_str(cs->net.fd, peer, sizeof(peer));
	if (sock_set_nonblock(sv[0], 1) == -1 ||
	    (cs->pid = spawn_child(&cs->o->exec, sv[1], sv[1], peer,
	    local)) == -1) {
		cs->pid = 0;
		(void)close(sv[0]);
		(void)close(sv[1]);
		return (-1);
	}
	(void)close(sv[1]);
	cs->exec = 1;
	stream_socket_init(&cs->child, sv[0]);
	cs->child.flags |= STREAM_RESET_IS_EOF;
	return (client_start_relay(cs, &cs->child, &cs->child, leftover, n));
}

static void
client_script_done(struct script *sc, void *arg)
{
	struct client_session	*cs = arg;
	const struct script_step *st;
	const char		 *what;
	char			  text[64];

	if (sc->result == SCRIPT_OK) {
		/* -q counts from the end of the script: its stdin EOF. */
		if (cs->o->quit_after_ms >= 0)
			(void)loop_timer_set(cs->loop, &cs->quit_timer,
			    cs->o->quit_after_ms);
		if (client_start_relay(cs, NULL, &cs->out, NULL, 0) == -1) {
			log_syserr("relay");
			client_finish(cs, SOCKIT_EXIT_RUNTIME);
		}
		return;
	}
	/* Only a failed script stopped at a step: cur == nsteps on success. */
	st = &cs->o->steps[sc->cur];
	what = st->op == SCRIPT_SEND ? "--send" : "--expect";
	escape_encode(st->data, st->len, text, sizeof(text));
	switch (sc->result) {
	case SCRIPT_TIMEOUT:
		log_error("%s \"%s\": timed out after %.3g s", what, text,
		    (double)cs->o->step_timeout_ms / 1000);
		client_finish(cs, SOCKIT_EXIT_TIMEOUT);
		break;
	case SCRIPT_EOF:
		log_error("--expect \"%s\": connection closed first", text);
		client_finish(cs, SOCKIT_EXIT_EXPECT);
		break;
	default:
		if (cs->o->tls.on && tls_stream_error(&cs->net) != NULL) {
			client_finish(cs, client_tls_failed(cs, "read from"));
			break;
		}
		errno = sc->err;
		log_syserr("%s \"%s\"", what, text);
		client_finish(cs, SOCKIT_EXIT_RUNTIME);
	}
}

static int
client_start_script(struct client_session *cs, const unsigned char *leftover,
    size_t n)
{
	const struct client_opts *o = cs->o;

	if (o->idle_ms > 0)
		(void)loop_timer_set(cs->loop, &cs->idle_timer, o->idle_ms);
	return (script_start(&cs->script, cs->loop, &cs->net, &cs->out,
	    o->steps, o->nsteps, o->step_timeout_ms, leftover, n,
	    client_dumping(o) ? client_script_tap : NULL, client_script_done,
	    cs));
}

/* Connected (through the proxy, if any): do what the options say. */
static void
client_connected(struct client_session *cs, const unsigned char *leftover,
    size_t n)
{
	const struct client_opts *o = cs->o;
	int			  rc;

	log_event(LOG_VERBOSE, "connected", cs->name, NULL, NULL);
	if (o->zero_io) {
		/* A TLS peer gets its close_notify: -z is no truncation. */
		if (o->tls.on)
			(void)stream_shutdown(&cs->net);
		client_finish(cs, SOCKIT_EXIT_OK);
		return;
	}
	if (o->progress == 2 || (o->progress == 1 && isatty(2)))
		(void)loop_timer_set(cs->loop, &cs->progress_timer, 1000);
	if (o->exec.argv != NULL || o->exec.shell != NULL)
		rc = client_start_exec(cs, leftover, n);
	else if (o->nsteps > 0)
		rc = client_start_script(cs, leftover, n);
	else
		rc = client_start_relay(cs, &cs->in, &cs->out, leftover, n);
	if (rc == -1) {
		log_syserr("%s", o->exec.argv != NULL || o->exec.shell !=
		    NULL ? "exec" : "relay");
		client_finish(cs, SOCKIT_EXIT_RUNTIME);
	}
}

static int
client_setup(struct client_session *cs, const struct client_opts *o,
    const struct sock_target *t, const char *name)
{
	memset(cs, 0, sizeof(*cs));
	cs->o = o;
	cs->t = t;
	cs->name = name;
	cs->net.fd = cs->child.fd = -1;
	cs->sigfd = -1;
	cs->stdin_pipe = -1;
	stream_stdio_init(&cs->in, STDIN_FILENO);
	stream_stdio_init(&cs->out, STDOUT_FILENO);
	if ((cs->loop = loop_new()) == NULL) {
		log_syserr("event loop");
		return (-1);
	}
	cs->started = loop_now(cs->loop);
	cs->deadline = clock_ms() + o->wait_for_ms;
	relay_init(&cs->relay, cs->loop, client_relay_done, cs);
	loop_timer_init(&cs->retry_timer, client_retry, cs);
	loop_timer_init(&cs->quit_timer, client_quit_timer, cs);
	loop_timer_init(&cs->progress_timer, client_progress_timer, cs);
	loop_timer_init(&cs->idle_timer, client_idle_timer, cs);
	return (0);
}

static void
client_teardown(struct client_session *cs)
{
	struct log_xfer	x;

	if (loop_timer_armed(&cs->progress_timer)) {
		client_xfer(cs, &x);
		log_progress(&x, 1);
	}
	if (cs->o->stats) {
		client_xfer(cs, &x);
		log_stats(1, &x);
	}
	dial_cancel(&cs->dial);
	tls_hs_cancel(&cs->tlshs);
	proxy_hs_free(&cs->proxy);
	script_free(&cs->script);
	relay_free(&cs->relay);
	loop_timer_cancel(cs->loop, &cs->retry_timer);
	loop_timer_cancel(cs->loop, &cs->quit_timer);
	loop_timer_cancel(cs->loop, &cs->progress_timer);
	loop_timer_cancel(cs->loop, &cs->idle_timer);
	if (cs->sigfd != -1)
		(void)loop_set_fd(cs->loop, cs->sigfd, 0, NULL, NULL);
	loop_free(cs->loop);
	stream_close(&cs->child);
	stream_close(&cs->net);
	/* The client gave up (-i, -w, an error): the program goes too. */
	if (cs->pid > 0)
		(void)kill(cs->pid, SIGTERM);
}

int
client_main(const struct client_opts *o, const struct sock_target *t,
    const char *name)
{
	struct client_session	cs;

	if (client_setup(&cs, o, t, name) == -1)
		return (SOCKIT_EXIT_RUNTIME);
	if (o->tls.on && o->tls.t.insecure)
		log_error("warning: --tls-insecure: the server's certificate "
		    "is not verified");
	client_dial(&cs);
	while (!cs.done)
		if (loop_process(cs.loop, -1) == -1) {
			log_syserr("event loop");
			client_finish(&cs, SOCKIT_EXIT_RUNTIME);
		}
	client_teardown(&cs);
	return (cs.rc);
}
