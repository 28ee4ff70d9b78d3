/*
 * The life of one stream-server connection: started by its handler,
 * watched by the idle timer, ended by its relay (and, for --exec, by its
 * program's exit), then logged and freed.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "dump.h"
#include "exitcode.h"
#include "handler.h"
#include "log.h"
#include "loop.h"
#include "relay.h"
#include "server.h"
#include "sock.h"
#include "spawn.h"
#include "stream.h"
#include "tls.h"
#include "tlshs.h"

/*
 * After an exec program has exited and all its output has gone out
 * (with a FIN), the peer gets this long to finish sending; its input is
 * dropped meanwhile, so closing never meets unread data and resets.
 */
#define CONN_LINGER_MS	5000

static void	conn_idle_check(struct loop *, struct loop_timer *, void *);
static void	conn_linger_over(struct loop *, struct loop_timer *, void *);
static void	conn_pipe_done(struct relay *, int, void *);

/* The exec pipe that carries the program's output to the peer. */
#define CONN_EXEC_OUTPUT	1

int
conn_forwards(const struct conn *c)
{
	return (c->srv->o->handler == SERVER_FORWARD);
}

struct tls_hs *
conn_tls_hs(struct conn *c)
{
	if (c->tlshs == NULL)
		c->tlshs = calloc(1, sizeof(*c->tlshs));
	return (c->tlshs);
}

/* A Unix peer is its process's credentials, read while it is connected. */
static void
conn_unix_peer_str(int fd, char *buf, size_t size)
{
#ifdef SO_PEERCRED
	struct ucred	cred;
	socklen_t	clen = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) {
		snprintf(buf, size, "pid=%ld,uid=%ld", (long)cred.pid,
		    (long)cred.uid);
		return;
	}
#endif
	snprintf(buf, size, "unix");
}

/*
 * An IP peer is formatted when something first prints it: a server that
 * logs nothing per connection spends no snprintf on it.
 */
const char *
conn_peer(struct conn *c)
{
	if (c->peer[0] == '\0')
		sock_addr_str(&c->peer_sa.sa, sizeof(c->peer_sa), c->peer,
		    sizeof(c->peer));
	return (c->peer);
}

void
conn_set_sockopts(const struct server_opts *o, int fd)
{
	/* Options on a Unix socket fail with EOPNOTSUPP: that is fine. */
	if (o->keepalive)
		(void)sock_set_keepalive(fd);
	if (o->nodelay)
		(void)sock_set_nodelay(fd);
}

static void
conn_link(struct server *s, struct conn *c)
{
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	s->total++;
}

static void
conn_unlink(struct server *s, struct conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->nconns--;
}

/* The client's TLS handshake is over: the handler starts, or not. */
static void
conn_tls_done(struct tls_hs *hs, int ok, void *arg)
{
	struct conn		*c = arg;
	const struct handler	*h = handler_get(c->srv->o->handler);
	const char		*err = tls_stream_error(&c->net);
	char			 what[256];

	if (!ok) {
		c->failed = 1;
		c->srv->exit_code = tls_stream_auth_failed(&c->net) ?
		    SOCKIT_EXIT_AUTH : hs->timed_out ? SOCKIT_EXIT_TIMEOUT :
		    SOCKIT_EXIT_PROTOCOL;
		snprintf(what, sizeof(what), "TLS handshake: %s", hs->timed_out ?
		    "timed out (--tls-handshake-timeout)" : err != NULL ? err :
		    strerror(errno));
		conn_close(c, what);
		return;
	}
	snprintf(what, sizeof(what), "%s%s%s%s%s%s%s",
	    tls_version(&c->net), tls_peer_sha256(&c->net) != NULL ?
	    " peer=" : "", tls_peer_sha256(&c->net) != NULL ?
	    tls_peer_sha256(&c->net) : "", tls_alpn(&c->net) != NULL ?
	    " alpn=" : "", tls_alpn(&c->net) != NULL ? tls_alpn(&c->net) : "",
	    tls_sni(&c->net) != NULL ? " sni=" : "", tls_sni(&c->net) != NULL ?
	    tls_sni(&c->net) : "");
	if (log_wanted(LOG_VERBOSE, NULL))
		log_event_kv(LOG_VERBOSE, "tls", conn_peer(c), NULL, NULL,
		    "version", what);
	c->phase = CONN_STARTING;
	if (h->start(c) == -1)
		conn_close(c, strerror(errno));
}

/* --tls: the socket becomes a TLS stream; the handshake runs first. */
static int
conn_start_tls(struct conn *c)
{
	const struct server_opts *o = c->srv->o;
	char			  err[TLS_ERR_LEN];
	int			  fd = c->net.fd;

	if (tls_stream_init(&c->net, o->tls.ctx, fd, NULL, err,
	    sizeof(err)) == -1) {
		/* The fd is still ours: a plain stream closes it. */
		stream_socket_init(&c->net, fd);
		return (-1);
	}
	c->phase = CONN_HANDSHAKING;
	if (conn_tls_hs(c) == NULL)
		return (-1);
	return (tls_hs_start(c->tlshs, c->srv->loop, &c->net,
	    o->tls.handshake_ms, conn_tls_done, c));
}

void
conn_dump(struct conn *c, int dir, const unsigned char *p, size_t n)
{
	if (dump_record(&c->srv->o->dump, dir, conn_peer(c), c->dump_off[dir], p,
	    n) == -1)
		log_syserr("dump");
	c->dump_off[dir] += n;
}

/* -o/-x: what the peer sent (read from it) and what it was sent. */
static void
conn_relay_tap(struct relay *r, int i, int wrote, const unsigned char *p,
    size_t n, void *arg)
{
	struct conn	*c = arg;

	if (!wrote && r->pipes[i].c.src == &c->net)
		conn_dump(c, DUMP_IN, p, n);
	else if (wrote && r->pipes[i].c.dst == &c->net)
		conn_dump(c, DUMP_OUT, p, n);
}

void
conn_open(struct server *s, int fd, const struct sockaddr_storage *ss,
    const char *peer)
{
	const struct handler	*h = handler_get(s->o->handler);
	struct conn		*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_event(LOG_NOTICE, "refused", peer, NULL, "out of memory");
		(void)close(fd);
		return;
	}
	c->srv = s;
	c->phase = CONN_STARTING;
	stream_socket_init(&c->net, fd);
	c->other.fd = -1;
	sock_ip_from(&c->peer_sa, ss);
	if (peer != NULL)
		snprintf(c->peer, sizeof(c->peer), "%s", peer);
	else if (ss->ss_family == AF_UNIX)
		conn_unix_peer_str(fd, c->peer, sizeof(c->peer));
	c->started = loop_now(s->loop);
	loop_timer_init(&c->idle, conn_idle_check, c);
	loop_timer_init(&c->linger, conn_linger_over, c);
	relay_init(&c->relay, s->loop, conn_relay_done, c);
	c->relay.pipe_done_cb = conn_pipe_done;
	/* conn_relay_done closes the streams at once, in every case. */
	c->relay.owner_closes = 1;
	if (s->o->dump.raw_fd >= 0 || s->o->dump.hex_fd >= 0)
		c->relay.tap_cb = conn_relay_tap;
	conn_link(s, c);
	if (log_wanted(LOG_VERBOSE, NULL))
		log_event(LOG_VERBOSE, "accepted", conn_peer(c), NULL, NULL);
	conn_set_sockopts(s->o, fd);
	if (s->o->idle_ms > 0)
		(void)loop_timer_set(s->loop, &c->idle, s->o->idle_ms);
	/* Starting may already end (and free) the connection: last step. */
	if (s->o->tls.on) {
		if (conn_start_tls(c) == -1)
			conn_close(c, strerror(errno));
		return;
	}
	if (h->start(c) == -1)
		conn_close(c, strerror(errno));
}

/* Closes the streams; the record may stay for the program's exit. */
static void
conn_release_streams(struct conn *c)
{
	/*
	 * A relay that ended cleanly has half-closed the peer, unless the
	 * handler never writes to it (--discard): a TLS peer still gets its
	 * close_notify, or it would see a truncation.
	 */
	if (c->srv->o->tls.on && c->relay_over && !c->failed &&
	    c->net.fd >= 0)
		(void)stream_shutdown(&c->net);
	relay_free(&c->relay);
	if (c->tlshs != NULL) {
		tls_hs_cancel(c->tlshs);
		free(c->tlshs);
		c->tlshs = NULL;
	}
	if (conn_forwards(c))
		dial_cancel(&c->u.dial);
	/*
	 * Whoever registered them last (a handshake hands its fd over), the
	 * loop forgets both before they close and their numbers come back.
	 */
	if (c->net.fd >= 0)
		loop_forget_fd(c->srv->loop, c->net.fd);
	if (c->other.fd >= 0)
		loop_forget_fd(c->srv->loop, c->other.fd);
	stream_close(&c->net);
	stream_close(&c->other);
}

void
conn_close(struct conn *c, const char *why)
{
	struct server	*s = c->srv;
	struct log_xfer	 x;
	int		 level;

	if (why == NULL && c->why != NULL)
		why = c->why;
	x.in = c->in_broker ? c->u.bm.in : relay_bytes_from(&c->relay,
	    &c->net);
	x.out = c->in_broker ? c->u.bm.sent : relay_bytes_to(&c->relay,
	    &c->net);
	broker_leave(&s->broker, c);
	x.secs = (double)(loop_now(s->loop) - c->started) / 1000.0;
	level = why != NULL ? LOG_NOTICE : LOG_VERBOSE;
	if (log_wanted(level, why))
		log_event_kv(level, "closed", conn_peer(c), &x, why, "backend",
		    conn_forwards(c) ? s->o->forward : NULL);
	s->sum.in += x.in;
	s->sum.out += x.out;
	loop_timer_cancel(s->loop, &c->idle);
	loop_timer_cancel(s->loop, &c->linger);
	/* A program still running loses its connection: tell it so. */
	if (c->pid > 0)
		(void)kill(c->pid, SIGTERM);
	conn_release_streams(c);
	c->phase = CONN_CLOSED;
	conn_unlink(s, c);
	free(c->why);
	free(c);
	server_conn_gone(s, NULL);
}

void
conn_cut(struct conn *c, const char *why)
{
	c->srv->cut++;
	c->failed = 1;
	conn_close(c, why);
}

/* Records the first failure; its exit code counts for --once. */
static void
conn_fail(struct conn *c, int code, const char *why)
{
	if (c->failed)
		return;
	c->failed = 1;
	c->srv->exit_code = code;
	free(c->why);
	c->why = strdup(why);
}

/*
 * --stdio: a connection that fails before stdin was all sent says how
 * much of it the peer got, and how much was read but lost on the way.
 */
static void
conn_add_undelivered(struct conn *c, struct relay *r, char *why, size_t len)
{
	struct relay_pipe	*p;
	uint64_t		 n;
	size_t			 used = strlen(why);
	int			 i;

	for (i = 0; i < r->npipes; i++) {
		p = &r->pipes[i];
		if (p->c.src != &c->srv->in || p->done)
			continue;
		n = r->status == RELAY_ERR_WRITE && r->err_pipe == i ?
		    r->undelivered : relay_undelivered(r, i);
		snprintf(why + used, len - used, ": stdin not sent in full: "
		    "%llu bytes %s, %llu read but not %s",
		    (unsigned long long)relay_delivered(r, i),
		    relay_delivered_word(r, i), (unsigned long long)n,
		    relay_delivered_word(r, i));
	}
}

/*
 * A TLS stream says why it failed in its own words; a refused client
 * certificate (TLS 1.3 judges it after the handshake) is exit 7.
 */
static int
conn_tls_error(struct conn *c, const struct stream *s, char *why, size_t len,
    int *code)
{
	const char	*err;

	if (s == NULL || s->fd < 0 || (s != &c->net && s != &c->other) ||
	    (s == &c->net && !c->srv->o->tls.on) ||
	    (s == &c->other && !(conn_forwards(c) &&
	    c->srv->o->fwd_tls.on)) || (err = tls_stream_error(s)) == NULL)
		return (0);
	snprintf(why, len, "%sTLS: %s", s == &c->other ? "backend " : "",
	    err);
	if (tls_stream_auth_failed(s))
		*code = SOCKIT_EXIT_AUTH;
	return (1);
}

/* Says why the relay failed, in the words of the pipe that failed. */
static void
conn_relay_failed(struct conn *c, struct relay *r)
{
	const struct relay_pipe	*p = &r->pipes[r->err_pipe];
	const char		*err = strerror(r->err);
	char			 why[128];
	int			 code = SOCKIT_EXIT_RUNTIME;

	switch (r->status) {
	case RELAY_ERR_FRAME:
		snprintf(why, sizeof(why), "frame error: %s",
		    frame_strerror(r->frame_err));
		code = SOCKIT_EXIT_PROTOCOL;
		break;
	case RELAY_ERR_NOMEM:
		snprintf(why, sizeof(why), "out of memory");
		break;
	case RELAY_ERR_WRITE:
		/* A TLS stream that failed reading (a truncation) says why. */
		if (conn_tls_error(c, p->c.dst, why, sizeof(why), &code)) {
			if (p->c.src == &c->srv->in)
				conn_add_undelivered(c, r, why, sizeof(why));
			break;
		}
		if (p->c.src == &c->srv->in) {
			snprintf(why, sizeof(why), "write: %s", err);
			conn_add_undelivered(c, r, why, sizeof(why));
		} else
			snprintf(why, sizeof(why), "write%s: %s", p->c.dst ==
			    &c->srv->out ? " stdout" : "", err);
		break;
	default:
		if (!conn_tls_error(c, p->c.src, why, sizeof(why), &code)) {
			snprintf(why, sizeof(why), "read%s: %s", p->c.src ==
			    &c->srv->in ? " stdin" : "", err);
			if (exitcode_for_errno(r->err) == SOCKIT_EXIT_TIMEOUT)
				code = SOCKIT_EXIT_TIMEOUT;
		}
		conn_add_undelivered(c, r, why, sizeof(why));
	}
	conn_fail(c, code, why);
}

/*
 * --forward: a reset from one side is passed on as a reset of the
 * other, so neither end mistakes it for a clean end of stream.
 */
static void
conn_pass_reset(struct conn *c, struct relay *r)
{
	const struct relay_pipe	*p = &r->pipes[r->err_pipe];

	if (!conn_forwards(c) || c->other.fd < 0 ||
	    r->status != RELAY_ERR_READ || r->err != ECONNRESET)
		return;
	if (p->c.src == &c->net)
		stream_abort(&c->other);
	else
		stream_abort(&c->net);
}

void
conn_relay_done(struct relay *r, void *arg)
{
	struct conn	*c = arg;

	if (r->status != RELAY_DONE) {
		conn_relay_failed(c, r);
		conn_pass_reset(c, r);
	}
	c->relay_over = 1;
	if (c->pid <= 0) {
		conn_close(c, NULL);
		return;
	}
	/*
	 * The program still runs: the peer is done with, and closing our
	 * end of the socketpair tells the program so.  The record stays
	 * until the program exits, to report its status.
	 */
	c->phase = CONN_LINGERING;
	loop_timer_cancel(c->srv->loop, &c->idle);
	conn_release_streams(c);
}

/* The program's output has all gone to the peer. */
static int
conn_output_done(const struct conn *c)
{
	return (c->relay.npipes > CONN_EXEC_OUTPUT &&
	    c->relay.pipes[CONN_EXEC_OUTPUT].done);
}

static void
conn_start_linger(struct conn *c)
{
	c->phase = CONN_LINGERING;
	if (!loop_timer_armed(&c->linger))
		(void)loop_timer_set(c->srv->loop, &c->linger, CONN_LINGER_MS);
}

void
conn_child_ended(struct conn *c, int status)
{
	char	what[64];

	c->pid = 0;
	if (spawn_status_str(status, what, sizeof(what))[0] != '\0' &&
	    !c->failed) {
		free(c->why);
		c->why = strdup(what);
	}
	if (c->relay_over) {
		conn_close(c, NULL);
		return;
	}
	if (conn_output_done(c))
		conn_start_linger(c);
}

static void
conn_pipe_done(struct relay *r, int i, void *arg)
{
	struct conn	*c = arg;

	if (i == CONN_EXEC_OUTPUT && c->pid == 0 && c->other.fd >= 0 &&
	    !conn_forwards(c))
		conn_start_linger(c);
}

static void
conn_linger_over(struct loop *l, struct loop_timer *t, void *arg)
{
	conn_close(arg, NULL);
}

static void
conn_idle_check(struct loop *l, struct loop_timer *t, void *arg)
{
	struct conn	*c = arg;
	long long	 quiet = loop_now(l) - c->relay.last_active;

	if (quiet >= c->srv->o->idle_ms) {
		c->srv->exit_code = SOCKIT_EXIT_TIMEOUT;
		c->failed = 1;
		conn_close(c, "idle timeout");
		return;
	}
	(void)loop_timer_set(l, t, c->srv->o->idle_ms - quiet);
}
