/*
 * The stream server's handlers: each sets up the relay of one accepted
 * connection.  echo, upper, discard and banner relay the peer back to
 * itself; stdio relays it to this process's stdin/stdout; exec relays it
 * to a program over a socketpair, so the program never holds the
 * network socket.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "conn.h"
#include "dgram.h"
#include "dial.h"
#include "exitcode.h"
#include "handler.h"
#include "log.h"
#include "proxyproto.h"
#include "relay.h"
#include "server.h"
#include "sock.h"
#include "spawn.h"
#include "stream.h"
#include "tls.h"
#include "tlshs.h"

/* Per-connection buffer: the read size and the backpressure mark. */
#define HANDLER_BUFSIZE		(64 * 1024)
/*
 * Sinks (--discard, and the peer-to-stdout side of --stdio) read 16 KiB
 * at a time when the loop never spins (--busy-poll 0): it stays in the
 * L1 cache, and measured fastest.  A sink whose loop may spin (auto, the
 * default, or a fixed spin) reads whole buffers instead: it meets each
 * segment as it lands, and 64 KiB reads measured steadier there.
 */
#define HANDLER_SINK_READ	(16 * 1024)

static int	handler_start_loopback(struct conn *);
static int	handler_start_stdio(struct conn *);
static int	handler_start_exec(struct conn *);
static int	handler_start_forward(struct conn *);
static int	handler_start_broker(struct conn *);

static const struct handler handler_table[] = {
	{ SERVER_ECHO, "echo", HANDLER_REPLIES | HANDLER_GREETS,
	  handler_start_loopback, dgram_on_echo },
	{ SERVER_UPPER, "upper", HANDLER_REPLIES | HANDLER_GREETS,
	  handler_start_loopback, dgram_on_upper },
	{ SERVER_DISCARD, "discard", HANDLER_GREETS, handler_start_loopback,
	  dgram_on_discard },
	{ SERVER_BANNER, "banner", 0, handler_start_loopback,
	  dgram_on_banner },
	{ SERVER_STDIO, "stdio", HANDLER_ONCE | HANDLER_STDIN | HANDLER_GREETS,
	  handler_start_stdio, dgram_on_stdio },
	{ SERVER_EXEC, "exec", HANDLER_RAW_ONLY | HANDLER_CHILD |
	  HANDLER_GREETS, handler_start_exec, dgram_on_exec },
	{ SERVER_FORWARD, "forward", HANDLER_RAW_ONLY | HANDLER_GREETS,
	  handler_start_forward, dgram_on_forward },
	{ SERVER_BROKER, "broker", HANDLER_RAW_ONLY, handler_start_broker,
	  NULL },
};

const struct handler *
handler_get(enum server_handler id)
{
	size_t	i;

	for (i = 0; i < sizeof(handler_table) / sizeof(handler_table[0]); i++)
		if (handler_table[i].id == id)
			return (&handler_table[i]);
	return (&handler_table[0]);
}

/* Whether the server's loop may spin before it sleeps (--busy-poll). */
static int
handler_loop_spins(const struct server_opts *o)
{
	return (o->busy_us != 0);
}

/* What a sink reads per call (see HANDLER_SINK_READ). */
static size_t
handler_sink_read(const struct server_opts *o)
{
	return (handler_loop_spins(o) ? 0 : HANDLER_SINK_READ);
}

static void
handler_pipe_defaults(struct relay_pipe_conf *pc)
{
	memset(pc, 0, sizeof(*pc));
	pc->bufsize = HANDLER_BUFSIZE;
	pc->shutdown_dst = 1;
	pc->free_idle = 1;
}

/* The banner goes out before anything the handler sends (pipe i). */
static int
handler_start_relay(struct conn *c, int banner_pipe)
{
	const struct server_opts *o = c->srv->o;

	if (o->banner_len > 0 && relay_prepend(&c->relay, banner_pipe,
	    o->banner, o->banner_len) == -1)
		return (-1);
	if (relay_start(&c->relay) == -1)
		return (-1);
	c->phase = CONN_RELAYING;
	return (0);
}

/* Echo, upper, discard, banner: one pipe from the peer back to it. */
static int
handler_start_loopback(struct conn *c)
{
	const struct server_opts *o = c->srv->o;
	struct relay_pipe_conf	  pc;

	handler_pipe_defaults(&pc);
	pc.src = &c->net;
	pc.dst = o->handler == SERVER_DISCARD ? NULL : &c->net;
	pc.in = &o->frames.wire;
	pc.out = &o->frames.wire;
	pc.transform = o->handler == SERVER_UPPER ? relay_upper : NULL;
	pc.readmax = o->handler == SERVER_DISCARD ? handler_sink_read(o) : 0;
	/*
	 * Dropping in the kernel saves the copy, but then the reader is so
	 * quick that it sleeps between segments and the sender pays for
	 * waking it: measured slower, unless the loop may spin (auto spins
	 * exactly while segments keep coming).
	 */
	pc.kernel_drop = o->handler == SERVER_DISCARD && handler_loop_spins(o);
	relay_add_pipe(&c->relay, &pc);
	if (handler_start_relay(c, 0) == -1)
		return (-1);
	/* --banner alone: send it and close, whatever the peer sends. */
	if (o->handler == SERVER_BANNER)
		relay_end_input(&c->relay, 0);
	return (0);
}

/*
 * --stdio: the peer to stdout, stdin to the peer (nc -l).  Each
 * direction ends on its own: the peer's EOF closes stdout, stdin's EOF
 * half-closes the peer, and the connection is over when both are.
 */
static int
handler_start_stdio(struct conn *c)
{
	const struct server_opts *o = c->srv->o;
	struct relay_pipe_conf	  pc;

	handler_pipe_defaults(&pc);
	pc.free_idle = 0;
	pc.src = &c->net;
	pc.dst = &c->srv->out;
	pc.in = &o->frames.wire;
	pc.out = &o->frames.local;
	pc.readmax = handler_sink_read(o);
	relay_add_pipe(&c->relay, &pc);
	pc.readmax = 0;
	pc.src = &c->srv->in;
	pc.dst = &c->net;
	pc.in = &o->frames.local;
	pc.out = &o->frames.wire;
	pc.partial_ok = 1;
	pc.crlf = o->frames.crlf_raw;
	relay_add_pipe(&c->relay, &pc);
	return (handler_start_relay(c, 1));
}

/* One SOCKIT_TLS_* variable: "NAME=value". */
#define HANDLER_ENV_LEN	512

/*
 * --tls: the program learns what the handshake settled: the client's
 * certificate (its fingerprint, and its subject when it was verified)
 * and the ALPN protocol, each only when there is one.
 */
static void
handler_tls_env(struct conn *c, char **env, char buf[][HANDLER_ENV_LEN])
{
	const char	*v;
	int		 n = 0;

	if (c->srv->o->tls.on) {
		if ((v = tls_peer_sha256(&c->net)) != NULL)
			snprintf(env[n] = buf[n], HANDLER_ENV_LEN,
			    "SOCKIT_TLS_PEER_SHA256=%s", v), n++;
		if ((v = tls_peer_subject(&c->net)) != NULL)
			snprintf(env[n] = buf[n], HANDLER_ENV_LEN,
			    "SOCKIT_TLS_PEER_SUBJECT=%s", v), n++;
		if ((v = tls_alpn(&c->net)) != NULL)
			snprintf(env[n] = buf[n], HANDLER_ENV_LEN,
			    "SOCKIT_TLS_ALPN=%s", v), n++;
	}
	env[n] = NULL;
}

/*
 * --exec: the program gets one end of a socketpair as stdin/stdout and
 * the server relays the other end to the peer, as socat does.  A
 * program that exits without reading all its input resets its end; the
 * server then reads and drops the rest of the peer's input, so the peer
 * gets all of the output and a clean FIN, never a reset.
 */
static int
handler_start_exec(struct conn *c)
{
	const struct server_opts *o = c->srv->o;
	struct relay_pipe_conf	  pc;
	char			  local[SOCK_ADDR_LEN];
	char			 *env[4], envbuf[3][HANDLER_ENV_LEN];
	int			  sv[2], saved;

	if (sock_socketpair(sv) == -1)
		return (-1);
	if (sock_set_nonblock(sv[0], 1) == -1)
		goto fail;
	sock_local_str(c->net.fd, local, sizeof(local));
	handler_tls_env(c, env, envbuf);
	if ((c->pid = spawn_child_env(&o->exec, sv[1], sv[1], conn_peer(c),
	    local, (const char *const *)env)) == -1)
		goto fail;
	(void)close(sv[1]);
	stream_socket_init(&c->other, sv[0]);
	c->other.flags |= STREAM_RESET_IS_EOF;
	handler_pipe_defaults(&pc);
	pc.src = &c->net;
	pc.dst = &c->other;
	pc.dst_gone_drains = 1;
	relay_add_pipe(&c->relay, &pc);
	pc.src = &c->other;
	pc.dst = &c->net;
	pc.dst_gone_drains = 0;
	relay_add_pipe(&c->relay, &pc);
	return (handler_start_relay(c, 1));
fail:
	saved = errno;
	(void)close(sv[0]);
	(void)close(sv[1]);
	c->pid = 0;
	errno = saved;
	return (-1);
}

/*
 * --forward, once the backend answered: a pipe each way between two
 * sockets, spliced in the kernel; each direction's end is passed on as
 * a half-close of the other side.  The PROXY header goes first.
 */
static int
handler_forward_relay(struct conn *c)
{
	const struct server_opts *o = c->srv->o;
	struct relay_pipe_conf	  pc;
	struct sockaddr_storage	  local;
	socklen_t		  len = sizeof(local);
	unsigned char		  hdr[PROXYPROTO_MAX];
	int			  n;

	handler_pipe_defaults(&pc);
	pc.zero_copy = 1;
	pc.src = &c->net;
	pc.dst = &c->other;
	relay_add_pipe(&c->relay, &pc);
	pc.src = &c->other;
	pc.dst = &c->net;
	relay_add_pipe(&c->relay, &pc);
	if (o->proxy_protocol != 0) {
		if (getsockname(c->net.fd, (struct sockaddr *)&local,
		    &len) == -1)
			return (-1);
		n = proxyproto_header(o->proxy_protocol,
		    &c->peer_sa.sa, (struct sockaddr *)&local,
		    hdr);
		if (n < 0 || relay_prepend(&c->relay, 0, hdr, (size_t)n) == -1)
			return (-1);
	}
	return (handler_start_relay(c, 1));
}

static void
handler_backend_tls_done(struct tls_hs *hs, int ok, void *arg)
{
	struct conn	*c = arg;
	const char	*err = tls_stream_error(&c->other);
	char		 why[256];

	if (!ok) {
		c->failed = 1;
		c->srv->exit_code = tls_stream_auth_failed(&c->other) ?
		    SOCKIT_EXIT_AUTH : hs->timed_out ? SOCKIT_EXIT_TIMEOUT :
		    SOCKIT_EXIT_PROTOCOL;
		snprintf(why, sizeof(why), "backend %s: TLS handshake: %s",
		    c->srv->o->forward, hs->timed_out ? "timed out" :
		    err != NULL ? err : strerror(errno));
		conn_close(c, why);
		return;
	}
	if (handler_forward_relay(c) == -1)
		conn_close(c, strerror(errno));
}

/* --forward-tls: the backend connection becomes a verified TLS client. */
static int
handler_backend_tls(struct conn *c)
{
	const struct server_opts *o = c->srv->o;
	char			  err[TLS_ERR_LEN];
	int			  fd = c->other.fd;

	if (tls_stream_init(&c->other, o->fwd_tls.ctx, fd,
	    o->fwd.host, err, sizeof(err)) == -1) {
		stream_socket_init(&c->other, fd);
		return (-1);
	}
	if (conn_tls_hs(c) == NULL)
		return (-1);
	return (tls_hs_start(c->tlshs, c->srv->loop, &c->other,
	    o->connect_ms > 0 ? o->connect_ms : 10000,
	    handler_backend_tls_done, c));
}

static void
handler_backend_ready(struct dial *d, int fd, void *arg)
{
	struct conn	*c = arg;
	char		 why[128];

	if (fd == -1) {
		snprintf(why, sizeof(why), "backend %s: %s",
		    c->srv->o->forward, strerror(d->err));
		c->failed = 1;
		/* --once: refused is 3, a timeout 4, as a client's would. */
		c->srv->exit_code = exitcode_for_errno(d->err);
		conn_close(c, why);
		return;
	}
	stream_socket_init(&c->other, fd);
	c->other.flags |= STREAM_DIALED;
	conn_set_sockopts(c->srv->o, fd);
	if (log_wanted(LOG_VERBOSE, NULL))
		log_event_kv(LOG_VERBOSE, "forwarding", conn_peer(c), NULL,
		    NULL, "backend", c->srv->o->forward);
	if (c->srv->o->fwd_tls.on) {
		if (handler_backend_tls(c) == -1)
			conn_close(c, strerror(errno));
		return;
	}
	if (handler_forward_relay(c) == -1)
		conn_close(c, strerror(errno));
}

/* --forward: dial the backend first; the relay starts when it answers. */
static int
handler_start_forward(struct conn *c)
{
	struct server	*s = c->srv;

	c->phase = CONN_CONNECTING;
	return (dial_start_addrs(&c->u.dial, s->loop, s->fwd_addrs, s->nfwd,
	    s->o->connect_ms, handler_backend_ready, c));
}

/* --broker: the connection joins the others; see broker.c. */
static int
handler_start_broker(struct conn *c)
{
	return (broker_join(&c->srv->broker, c));
}
