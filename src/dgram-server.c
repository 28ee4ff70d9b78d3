/*
 * The datagram server: one unconnected socket serves every sender at
 * once; each datagram is one message and its reply goes to its sender.
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

#include "buf.h"
#include "dgram-batch.h"
#include "dgram-fwd.h"
#include "dgram.h"
#include "exitcode.h"
#include "log.h"
#include "loop.h"
#include "relay.h"
#include "sig.h"
#include "sock.h"
#include "spawn.h"

#define DG_BUFSIZE	(256 * 1024)	/* > any datagram we accept */
#define DG_BATCH	(64 / DGB_SLOTS) /* receive batches per wakeup */
#define DG_BUCKETS	1024
#define DG_PEERS_MAX	65536		/* peers tracked for logging */
#define DG_QUEUE_MAX	(4 * 1024 * 1024)
#define DG_EXEC_TIMEOUT	10000		/* ms, without --idle-timeout */
#define DG_SOCKBUF	(4 * 1024 * 1024)
#define DG_FWD_IDLE_MS	60000		/* --forward sessions */

struct dg_peer {
	struct dg_peer		*next;
	struct sockaddr_storage	 sa;
	socklen_t		 len;
	unsigned long long	 in, out;
	long long		 first, last;
};

/* A reply that could not be sent at once (EAGAIN). */
struct dg_reply {
	struct dg_reply		*next;
	struct sockaddr_storage	 sa;
	socklen_t		 len;
	size_t			 n;
	unsigned char		 data[];
};

/* A datagram waiting for the --exec child of its peer's last one. */
struct dg_wait {
	struct dg_wait		*next;
	size_t			 n;
	unsigned char		 data[];
};

/*
 * An --exec child answering one datagram.  Until it has ended and its
 * reply is sent, it is its peer's job: the peer's next datagrams wait
 * on it, so that the peer gets its replies in the order it sent.
 */
struct dg_job {
	struct dg_job		*next;		/* every job */
	struct dg_job		*pnext;		/* the bucket of its peer */
	struct dg_server	*srv;
	pid_t			 pid;
	int			 out;		/* child's stdout, or -1 */
	int			 reaped;
	struct buf		 reply;
	struct sockaddr_storage	 sa;
	socklen_t		 len;
	struct loop_timer	 timer;
	struct dg_wait		*whead, *wtail;	/* the peer's next ones */
};

struct dg_server {
	const struct server_opts *o;
	const struct handler	 *h;
	struct loop		 *loop;
	int			  fd;
	int			  sigfd;
	int			  stopping;
	int			  failed;	/* stdout failed (--stdio) */
	int			  cut;		/* the drain stopped programs */
	struct dgb		  batch;	/* datagrams in and replies out */
	int			  batching;	/* replies go to the batch */
	struct dg_peer		 *peers[DG_BUCKETS];
	long			  npeers;
	struct loop_timer	  sweep;
	struct loop_timer	  drain;
	struct dg_reply		 *qhead, *qtail;
	size_t			  qbytes;
	struct dg_job		 *jobs;
	long			  njobs;
	struct dg_job		 *peer_jobs[DG_BUCKETS];
	size_t			  wbytes;	/* in dg_wait lists */
	const struct frame_spec	 *local;
	struct sockaddr_storage	  last;
	socklen_t		  lastlen;
	struct buf		  inb;		/* stdin, --stdio */
	int			  stdin_open;	/* --stdio, until stdin EOF */
	struct frame_dec	  dec;
	unsigned long long	  total;
	struct log_xfer		  sum;
	long long		  started;
	struct dgfwd		  fwd;		/* --forward */
};

static void	dg_update_mask(struct dg_server *);
static void	dg_send(struct dg_server *, const struct sockaddr_storage *,
		    socklen_t, const unsigned char *, size_t);

/*
 * Arms t for ms from now (never negative: a bound already reached is 0,
 * at once).  Returns 0, or -1 without memory (logged).
 */
static int
dg_arm(struct dg_server *s, struct loop_timer *t, long long ms)
{
	if (loop_timer_set(s->loop, t, ms > 0 ? ms : 0) == 0)
		return (0);
	log_syserr("timer");
	return (-1);
}

const struct frame_spec *
dgram_local_spec(const struct frame_opts *f)
{
	static struct frame_spec	line;
	char				err[FRAME_ERR_LEN];

	if (f->local_set)
		return (&f->local);
	if (frameopt_framed(f))
		return (&f->wire);
	(void)frame_spec_parse("line", &line, err);
	line.max_len = f->max_frame;
	return (&line);
}

static unsigned
dg_hash(const struct sockaddr_storage *sa, socklen_t len)
{
	return (sock_addr_hash(sa, len) % DG_BUCKETS);
}

static void
dg_peer_name(const struct sockaddr_storage *sa, socklen_t len, char *buf,
    size_t size)
{
	sock_addr_str((const struct sockaddr *)sa, len, buf, size);
}

/* Finds or adds the peer; NULL when the table is full. */
static struct dg_peer *
dg_peer_get(struct dg_server *s, const struct sockaddr_storage *sa,
    socklen_t len)
{
	struct dg_peer	*p, **head = &s->peers[dg_hash(sa, len)];
	char		 name[SOCK_ADDR_LEN];

	for (p = *head; p != NULL; p = p->next)
		if (p->len == len && memcmp(&p->sa, sa, len) == 0)
			return (p);
	if (s->npeers >= DG_PEERS_MAX || (p = calloc(1, sizeof(*p))) == NULL)
		return (NULL);
	memcpy(&p->sa, sa, len);
	p->len = len;
	p->first = loop_now(s->loop);
	p->next = *head;
	*head = p;
	s->npeers++;
	s->total++;
	dg_peer_name(sa, len, name, sizeof(name));
	log_event(LOG_VERBOSE, "accepted", name, NULL, NULL);
	/* A banner greets a new sender before its first reply. */
	if (s->o->banner_len > 0 && (s->h->flags & HANDLER_GREETS))
		dg_send(s, sa, len, s->o->banner, s->o->banner_len);
	return (p);
}

static void
dg_peer_close(struct dg_server *s, struct dg_peer *p, const char *why)
{
	struct log_xfer	x;
	char		name[SOCK_ADDR_LEN];

	dg_peer_name(&p->sa, p->len, name, sizeof(name));
	x.in = p->in;
	x.out = p->out;
	x.secs = (double)(p->last - p->first) / 1000.0;
	log_event_kv(why != NULL ? LOG_NOTICE : LOG_VERBOSE, "closed", name, &x,
	    why, "backend",
	    s->o->handler == SERVER_FORWARD ? s->o->forward : NULL);
	s->sum.in += p->in;
	s->sum.out += p->out;
	s->npeers--;
	free(p);
}

/* Forgets peers silent for --peer-timeout. */
static void
dg_sweep(struct loop *l, struct loop_timer *t, void *arg)
{
	struct dg_server	*s = arg;
	struct dg_peer		**pp, *p;
	long long		 cutoff = loop_now(l) - s->o->peer_timeout_ms;
	int			 i;

	for (i = 0; i < DG_BUCKETS; i++) {
		for (pp = &s->peers[i]; (p = *pp) != NULL;) {
			if (p->last > cutoff) {
				pp = &p->next;
				continue;
			}
			*pp = p->next;
			dg_peer_close(s, p, NULL);
		}
	}
	(void)dg_arm(s, t, s->o->peer_timeout_ms / 2 + 1);
}

static int
dg_queue_reply(struct dg_server *s, const struct sockaddr_storage *sa,
    socklen_t len, const unsigned char *data, size_t n)
{
	struct dg_reply	*r;

	if (s->qbytes + n > DG_QUEUE_MAX ||
	    (r = malloc(sizeof(*r) + n)) == NULL)
		return (-1);
	memcpy(&r->sa, sa, len);
	r->len = len;
	r->n = n;
	memcpy(r->data, data, n);
	r->next = NULL;
	if (s->qtail != NULL)
		s->qtail->next = r;
	else
		s->qhead = r;
	s->qtail = r;
	s->qbytes += n;
	return (0);
}

/* A batched reply the socket did not take: queued, or logged. */
static void
dg_unsent(const struct dgb_send *m, int err, void *arg)
{
	struct dg_server	*s = arg;
	char			 name[SOCK_ADDR_LEN];

	if (err == EAGAIN) {
		if (dg_queue_reply(s, m->sa, m->salen, m->data, m->len) == 0)
			return;
		dg_peer_name(m->sa, m->salen, name, sizeof(name));
		log_event(LOG_NOTICE, "dropped", name, NULL,
		    "reply queue full");
		return;
	}
	dg_peer_name(m->sa, m->salen, name, sizeof(name));
	log_event(LOG_NOTICE, "send-error", name, NULL, strerror(err));
}

/* Sends one datagram now, or queues it when the socket is full. */
static void
dg_send(struct dg_server *s, const struct sockaddr_storage *sa,
    socklen_t len, const unsigned char *data, size_t n)
{
	char	name[SOCK_ADDR_LEN];
	ssize_t	w;

	/*
	 * While a received batch is answered, replies join the send batch.
	 * A full batch goes out first; what it could not send is queued,
	 * and then this reply must queue behind it.
	 */
	if (s->batching && s->qhead == NULL && s->batch.nout == DGB_SENDS)
		dgb_flush(&s->batch, s->fd, dg_unsent, s);
	if (s->batching && s->qhead == NULL &&
	    dgb_add(&s->batch, sa, len, data, n) == 0)
		return;
	if (s->qhead == NULL) {
		do {
			w = sendto(s->fd, data, n, 0,
			    (const struct sockaddr *)sa, len);
		} while (w == -1 && errno == EINTR);
		if (w != -1)
			return;
		if (!sock_send_full(errno)) {
			dg_peer_name(sa, len, name, sizeof(name));
			log_event(LOG_NOTICE, "send-error", name, NULL,
			    strerror(errno));
			return;
		}
	}
	if (dg_queue_reply(s, sa, len, data, n) == -1) {
		dg_peer_name(sa, len, name, sizeof(name));
		log_event(LOG_NOTICE, "dropped", name, NULL,
		    "reply queue full");
	}
	/* Called from outside dg_readable too (stdin, --exec): wait. */
	dg_update_mask(s);
}

static void
dg_flush_queue(struct dg_server *s)
{
	struct dg_reply	*r;
	char		 name[SOCK_ADDR_LEN];
	ssize_t		 w;

	while ((r = s->qhead) != NULL) {
		w = sendto(s->fd, r->data, r->n, 0,
		    (const struct sockaddr *)&r->sa, r->len);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && sock_send_full(errno))
			return;
		if (w == -1) {
			dg_peer_name(&r->sa, r->len, name, sizeof(name));
			log_event(LOG_NOTICE, "send-error", name, NULL,
			    strerror(errno));
		}
		/* Sent, or failed for this peer only: next one. */
		s->qhead = r->next;
		if (s->qhead == NULL)
			s->qtail = NULL;
		s->qbytes -= r->n;
		free(r);
	}
}

/* The job of this peer, or NULL when it has none running. */
static struct dg_job *
dg_job_of(struct dg_server *s, const struct sockaddr_storage *sa,
    socklen_t len)
{
	struct dg_job	*j;

	for (j = s->peer_jobs[dg_hash(sa, len)]; j != NULL; j = j->pnext)
		if (j->len == len && memcmp(&j->sa, sa, len) == 0)
			return (j);
	return (NULL);
}

static void
dg_job_unlink(struct dg_server *s, struct dg_job *j)
{
	struct dg_job	**jp;

	for (jp = &s->jobs; *jp != NULL; jp = &(*jp)->next)
		if (*jp == j) {
			*jp = j->next;
			break;
		}
	for (jp = &s->peer_jobs[dg_hash(&j->sa, j->len)]; *jp != NULL;
	    jp = &(*jp)->pnext)
		if (*jp == j) {
			*jp = j->pnext;
			break;
		}
}

static void
dg_job_free(struct dg_server *s, struct dg_job *j)
{
	struct dg_wait	*w;

	dg_job_unlink(s, j);
	while ((w = j->whead) != NULL) {
		j->whead = w->next;
		s->wbytes -= w->n;
		free(w);
	}
	loop_timer_cancel(s->loop, &j->timer);
	buf_free(&j->reply);
	free(j);
	s->njobs--;
}

/* Keeps a datagram until the peer's running job has ended. */
static void
dg_job_wait(struct dg_server *s, struct dg_job *j,
    const unsigned char *data, size_t n)
{
	struct dg_wait	*w;
	char		 peer[SOCK_ADDR_LEN];

	if (s->wbytes + n > DG_QUEUE_MAX ||
	    (w = malloc(sizeof(*w) + n)) == NULL) {
		dg_peer_name(&j->sa, j->len, peer, sizeof(peer));
		log_event(LOG_NOTICE, "dropped", peer, NULL,
		    "--exec queue full");
		return;
	}
	w->next = NULL;
	w->n = n;
	memcpy(w->data, data, n);
	if (j->wtail != NULL)
		j->wtail->next = w;
	else
		j->whead = w;
	j->wtail = w;
	s->wbytes += n;
}

static struct dg_job	*dg_exec_start(struct dg_server *,
			    const struct sockaddr_storage *, socklen_t,
			    const unsigned char *, size_t);

/*
 * The child has ended and its reply is sent: the peer's next datagram
 * gets its own child, which inherits the ones still waiting.  One that
 * cannot be started (logged) is dropped for the next.
 */
static void
dg_job_finish(struct dg_server *s, struct dg_job *j)
{
	struct sockaddr_storage	 sa = j->sa;
	socklen_t		 len = j->len;
	struct dg_wait		*w = j->whead, *tail = j->wtail, *rest;
	struct dg_job		*next;

	j->whead = j->wtail = NULL;
	dg_job_free(s, j);
	for (; w != NULL; w = rest) {
		rest = w->next;
		s->wbytes -= w->n;
		next = dg_exec_start(s, &sa, len, w->data, w->n);
		free(w);
		if (next != NULL) {
			next->whead = rest;
			next->wtail = rest != NULL ? tail : NULL;
			break;
		}
	}
}

/* The child's stdout ended: its output is the reply. */
static void
dg_job_output_done(struct dg_server *s, struct dg_job *j)
{
	(void)loop_set_fd(s->loop, j->out, 0, NULL, NULL);
	(void)close(j->out);
	j->out = -1;
	/* Like $(cmd): the line end a program prints is not data. */
	if (j->reply.len > 0 && BUF_HEAD(&j->reply)[j->reply.len - 1] == '\n')
		j->reply.len--;
	if (j->reply.len > 0)
		dg_send(s, &j->sa, j->len, BUF_HEAD(&j->reply), j->reply.len);
	if (j->reaped)
		dg_job_finish(s, j);
}

static void
dg_job_readable(struct loop *l, int fd, int mask, void *arg)
{
	struct dg_job	*j = arg;
	struct dg_server *s = j->srv;
	ssize_t		 n;

	if (buf_reserve(&j->reply, 16384) == -1) {
		dg_job_output_done(s, j);
		return;
	}
	do {
		n = read(fd, BUF_TAIL(&j->reply), BUF_SPACE(&j->reply));
	} while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n > 0) {
		j->reply.len += (size_t)n;
		if (j->reply.len <= DGRAM_UDP_MAX)
			return;
		log_error("--exec reply over %d bytes: not sent",
		    DGRAM_UDP_MAX);
		buf_consume(&j->reply, j->reply.len);
		(void)kill(j->pid, SIGKILL);
	}
	dg_job_output_done(s, j);
}

static void
dg_job_expired(struct loop *l, struct loop_timer *t, void *arg)
{
	struct dg_job	*j = arg;

	log_error("--exec child %ld timed out; killed", (long)j->pid);
	(void)kill(j->pid, SIGKILL);
}

/*
 * Runs the program with the datagram on its stdin; returns its job, or
 * NULL (logged) when it could not be started.
 */
static struct dg_job *
dg_exec_start(struct dg_server *s, const struct sockaddr_storage *sa,
    socklen_t len, const unsigned char *data, size_t n)
{
	struct dg_job	*j;
	char		 peer[SOCK_ADDR_LEN], local[SOCK_ADDR_LEN];
	int		 in[2], out[2];

	if (s->njobs >= s->o->max_conns || (j = calloc(1, sizeof(*j))) ==
	    NULL) {
		dg_peer_name(sa, len, peer, sizeof(peer));
		log_event(LOG_NOTICE, "dropped", peer, NULL, "too many "
		    "--exec children");
		return (NULL);
	}
	dg_peer_name(sa, len, peer, sizeof(peer));
	sock_local_str(s->fd, local, sizeof(local));
	if (sock_pipe(in) == -1) {
		log_syserr("pipe");
		free(j);
		return (NULL);
	}
	if (sock_pipe(out) == -1) {
		log_syserr("pipe");
		(void)close(in[0]);
		(void)close(in[1]);
		free(j);
		return (NULL);
	}
	j->pid = spawn_child(&s->o->exec, in[0], out[1], peer, local);
	(void)close(in[0]);
	(void)close(out[1]);
	/* A datagram fits the empty pipe's 64 KiB: this cannot block. */
	if (j->pid == -1 || sock_write_all(in[1], data, n) == -1)
		log_syserr("--exec");
	(void)close(in[1]);
	if (j->pid == -1) {
		(void)close(out[0]);
		free(j);
		return (NULL);
	}
	j->srv = s;
	j->out = out[0];
	memcpy(&j->sa, sa, len);
	j->len = len;
	loop_timer_init(&j->timer, dg_job_expired, j);
	(void)dg_arm(s, &j->timer, s->o->idle_ms > 0 ? s->o->idle_ms :
	    DG_EXEC_TIMEOUT);
	(void)sock_set_nonblock(j->out, 1);
	(void)loop_set_fd(s->loop, j->out, LOOP_READABLE, dg_job_readable, j);
	j->next = s->jobs;
	s->jobs = j;
	j->pnext = s->peer_jobs[dg_hash(sa, len)];
	s->peer_jobs[dg_hash(sa, len)] = j;
	s->njobs++;
	return (j);
}

/*
 * --exec: a peer's datagram gets a child of its own at once, unless the
 * child for the peer's previous one still runs; then it waits its turn.
 * Different peers are answered concurrently.
 */
static void
dg_exec(struct dg_server *s, const struct sockaddr_storage *sa,
    socklen_t len, const unsigned char *data, size_t n)
{
	struct dg_job	*j;

	if ((j = dg_job_of(s, sa, len)) != NULL)
		dg_job_wait(s, j, data, n);
	else
		(void)dg_exec_start(s, sa, len, data, n);
}

/* A child ended: its job is done once its output is in too. */
static void
dg_reaped(pid_t pid, int status, void *arg)
{
	struct dg_server	*s = arg;
	struct dg_job		*j;
	char			 why[64], peer[SOCK_ADDR_LEN];

	for (j = s->jobs; j != NULL && j->pid != pid; j = j->next)
		;
	if (j == NULL)
		return;
	if (spawn_status_str(status, why, sizeof(why))[0] != '\0') {
		dg_peer_name(&j->sa, j->len, peer, sizeof(peer));
		log_event(LOG_VERBOSE, "exited", peer, NULL, why);
	}
	j->reaped = 1;
	if (j->out == -1)
		dg_job_finish(s, j);
}

static void
dg_reap(struct dg_server *s)
{
	(void)spawn_reap(dg_reaped, s);
	if (s->stopping && s->njobs == 0)
		loop_stop(s->loop);
}

/* --stdio: one datagram becomes one local message on stdout. */
static void
dg_to_stdout(struct dg_server *s, const unsigned char *data, size_t n)
{
	unsigned char	head[FRAME_HDR_MAX], tail[2];
	int		hl, tl;

	/* The rest of a received batch after stdout failed. */
	if (s->failed)
		return;
	hl = frame_encode_head(s->local, n, head);
	tl = frame_encode_tail(s->local, n, tail);
	if (hl == -1 || tl == -1) {
		log_error("datagram of %zu bytes does not fit --stdio-frame",
		    n);
		return;
	}
	if (sock_write_all(STDOUT_FILENO, head, (size_t)hl) == -1 ||
	    sock_write_all(STDOUT_FILENO, data, n) == -1 ||
	    sock_write_all(STDOUT_FILENO, tail, (size_t)tl) == -1) {
		/* As with tcp-server --stdio: an error, exit 1. */
		log_syserr("write stdout");
		s->failed = 1;
		s->stopping = 1;
		loop_stop(s->loop);
	}
}

/* --forward: a backend's reply goes to its session's client. */
static void
dg_fwd_reply(const struct sockaddr_storage *sa, socklen_t len,
    const unsigned char *p, size_t n, void *arg)
{
	struct dg_server	*s = arg;
	struct dg_peer		*peer;

	if ((peer = dg_peer_get(s, sa, len)) != NULL) {
		peer->out += (unsigned long long)n;
		peer->last = loop_now(s->loop);
	}
	dg_send(s, sa, len, p, n);
}

/* A --forward session ended: so does the record of its peer. */
static void
dg_fwd_end(const struct sockaddr_storage *sa, socklen_t len, const char *why,
    void *arg)
{
	struct dg_server	*s = arg;
	struct dg_peer		**pp, *p;

	for (pp = &s->peers[dg_hash(sa, len)]; (p = *pp) != NULL;
	    pp = &p->next)
		if (p->len == len && memcmp(&p->sa, sa, len) == 0) {
			*pp = p->next;
			dg_peer_close(s, p, why);
			return;
		}
}

/* The handler table's datagram entries (src/handler.c). */

void
dgram_on_echo(struct dg_server *s, const struct sockaddr_storage *sa,
    socklen_t len, unsigned char *data, size_t n)
{
	dg_send(s, sa, len, data, n);
}

void
dgram_on_upper(struct dg_server *s, const struct sockaddr_storage *sa,
    socklen_t len, unsigned char *data, size_t n)
{
	relay_upper(data, n);
	dg_send(s, sa, len, data, n);
}

void
dgram_on_discard(struct dg_server *s, const struct sockaddr_storage *sa,
    socklen_t len, unsigned char *data, size_t n)
{
}

void
dgram_on_stdio(struct dg_server *s, const struct sockaddr_storage *sa,
    socklen_t len, unsigned char *data, size_t n)
{
	memcpy(&s->last, sa, len);
	s->lastlen = len;
	dg_to_stdout(s, data, n);
}

void
dgram_on_exec(struct dg_server *s, const struct sockaddr_storage *sa,
    socklen_t len, unsigned char *data, size_t n)
{
	dg_exec(s, sa, len, data, n);
}

void
dgram_on_banner(struct dg_server *s, const struct sockaddr_storage *sa,
    socklen_t len, unsigned char *data, size_t n)
{
	dg_send(s, sa, len, s->o->banner, s->o->banner_len);
}

void
dgram_on_forward(struct dg_server *s, const struct sockaddr_storage *sa,
    socklen_t len, unsigned char *data, size_t n)
{
	dgfwd_datagram(&s->fwd, sa, len, data, n);
}

/* One received datagram: access control, bookkeeping, the handler. */
static void
dg_deliver(struct dg_server *s, struct dgb_msg *m)
{
	struct dg_peer	*p;
	char		 name[SOCK_ADDR_LEN];

	/* The peer's name is formatted only for a log line: it is costly. */
	if ((m->sa.ss_family == AF_INET || m->sa.ss_family == AF_INET6) &&
	    !addr_acl_permits(&s->o->acl, (struct sockaddr *)&m->sa)) {
		dg_peer_name(&m->sa, m->salen, name, sizeof(name));
		log_event(LOG_NOTICE, "denied", name, NULL, "denied");
		return;
	}
	if (m->truncated) {
		dg_peer_name(&m->sa, m->salen, name, sizeof(name));
		log_event(LOG_NOTICE, "dropped", name, NULL,
		    "datagram too large");
		return;
	}
	if ((p = dg_peer_get(s, &m->sa, m->salen)) != NULL) {
		p->in += (unsigned long long)m->len;
		p->last = loop_now(s->loop);
		if (s->h->flags & HANDLER_REPLIES)
			p->out += (unsigned long long)m->len;
	}
	s->h->dgram(s, &m->sa, m->salen, m->data, m->len);
}

/*
 * Receives a batch, answers it into the send batch, sends that.  Returns
 * 0 to go on, -1 when the socket has nothing more now.
 */
static int
dg_recv_batch(struct dg_server *s)
{
	int	i, n;

	if ((n = dgb_recv(&s->batch, s->fd)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_syserr("recvfrom");
		return (-1);
	}
	s->batching = 1;
	for (i = 0; i < n; i++)
		dg_deliver(s, &s->batch.in[i]);
	s->batching = 0;
	dgb_flush(&s->batch, s->fd, dg_unsent, s);
	return (n < DGB_SLOTS ? -1 : 0);
}

/*
 * --stdio: one stdin message to the last peer heard from.  Raw stdin has
 * no messages: it goes out in chunks of at most a datagram.  What cannot
 * be sent is said, never dropped in silence.
 */
static void
dg_send_stdin(struct dg_server *s, const unsigned char *p, size_t n)
{
	size_t	max, chunk;

	if (s->lastlen == 0) {
		log_error("stdin message of %zu bytes dropped: no peer yet", n);
		return;
	}
	max = dgb_max(s->fd, &s->last);
	if (s->local->kind != FRAME_RAW && n > max) {
		log_error("stdin message of %zu bytes is over the datagram "
		    "maximum of %zu: not sent", n, max);
		return;
	}
	do {
		chunk = n < max ? n : max;
		dg_send(s, &s->last, s->lastlen, p, chunk);
		p += chunk;
		n -= chunk;
	} while (n > 0);
}

static void
dg_stdin_readable(struct loop *l, int fd, int mask, void *arg)
{
	struct dg_server	*s = arg;
	struct frame_msg	 m;
	enum frame_status	 st;
	ssize_t			 n;

	if (buf_reserve(&s->inb, 65536) == -1)
		return;
	do {
		n = read(fd, BUF_TAIL(&s->inb), BUF_SPACE(&s->inb));
	} while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		if (n == -1)
			log_syserr("read stdin");
		s->stdin_open = 0;
		if (s->inb.len > 0)
			dg_send_stdin(s, BUF_HEAD(&s->inb), s->inb.len);
		buf_free(&s->inb);
		dg_update_mask(s);
		return;
	}
	s->inb.len += (size_t)n;
	while ((st = frame_decode(&s->dec, BUF_HEAD(&s->inb), s->inb.len,
	    &m)) == FRAME_OK) {
		dg_send_stdin(s, BUF_HEAD(&s->inb) + m.off, m.len);
		buf_consume(&s->inb, m.consumed);
	}
	if (st == FRAME_TOO_BIG) {
		log_error("stdin: %s", frame_strerror(st));
		buf_consume(&s->inb, s->inb.len);
	}
}

static void
dg_readable(struct loop *l, int fd, int mask, void *arg)
{
	struct dg_server	*s = arg;
	int			 i;

	if (mask & LOOP_WRITABLE)
		dg_flush_queue(s);
	for (i = 0; (mask & LOOP_READABLE) && i < DG_BATCH &&
	    s->qhead == NULL && !s->stopping; i++)
		if (dg_recv_batch(s) == -1)
			break;
	dg_update_mask(s);
}

/*
 * Reading stops while replies are queued: that is the backpressure, on
 * the socket and on stdin (--stdio) alike.
 */
static void
dg_update_mask(struct dg_server *s)
{
	int	mask = 0;

	if (s->qhead != NULL)
		mask |= LOOP_WRITABLE;
	else if (!s->stopping)
		mask |= LOOP_READABLE;
	if (mask != loop_get_mask(s->loop, s->fd))
		(void)loop_set_fd(s->loop, s->fd, mask, dg_readable, s);
	mask = s->stdin_open && s->qhead == NULL ? LOOP_READABLE : 0;
	if (mask != loop_get_mask(s->loop, STDIN_FILENO))
		(void)loop_set_fd(s->loop, STDIN_FILENO, mask,
		    dg_stdin_readable, s);
}

/*
 * The drain is over with --exec programs still running (its timeout, or
 * a second signal): they are stopped, and the server's exit says so.
 */
static void
dg_cut_jobs(struct dg_server *s, const char *why)
{
	struct dg_job	*j;
	long		 n = 0;

	for (j = s->jobs; j != NULL; j = j->next)
		if (!j->reaped && j->pid > 0) {
			(void)kill(j->pid, SIGTERM);
			n++;
		}
	if (n > 0) {
		log_error("%ld program%s cut (%s)", n, n == 1 ? "" : "s", why);
		s->cut = 1;
	}
	loop_stop(s->loop);
}

static void
dg_drain_expired(struct loop *l, struct loop_timer *t, void *arg)
{
	dg_cut_jobs(arg, "drain timeout");
}

/* SIGINT/SIGTERM: let running programs finish; a second signal cuts. */
static void
dg_stop_signal(struct dg_server *s)
{
	char	msg[128];

	if (s->stopping) {
		dg_cut_jobs(s, "second signal");
		return;
	}
	s->stopping = 1;
	/* No timer for the drain: no drain. */
	if (s->njobs == 0 || dg_arm(s, &s->drain, s->o->drain_ms) == -1) {
		loop_stop(s->loop);
		return;
	}
	snprintf(msg, sizeof(msg), "%ld program%s for up to %.3g s; signal "
	    "again to stop now", (long)s->njobs, s->njobs == 1 ? "" : "s",
	    (double)s->o->drain_ms / 1000);
	log_event(LOG_NOTICE, "draining", NULL, NULL, msg);
}

static void
dg_signal(struct loop *l, int fd, int mask, void *arg)
{
	struct dg_server	*s = arg;
	int			 signo;

	while ((signo = sig_next(fd)) != 0) {
		if (signo == SIGCHLD)
			dg_reap(s);
		else
			dg_stop_signal(s);
	}
}

/* Larger socket buffers absorb bursts (root may exceed rmem_max). */
static void
dg_grow_buffers(int fd)
{
	int	size = DG_SOCKBUF;

#ifdef SO_RCVBUFFORCE
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) ==
	    -1)
#endif
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
#ifdef SO_SNDBUFFORCE
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) ==
	    -1)
#endif
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

static int
dg_setup(struct dg_server *s, const struct server_opts *o, int fd)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGCHLD, 0 };

	memset(s, 0, sizeof(*s));
	s->o = o;
	s->fd = fd;
	s->local = dgram_local_spec(&o->frames);
	s->h = handler_get(o->handler);
	s->stdin_open = (s->h->flags & HANDLER_STDIN) != 0;
	frame_dec_init(&s->dec, s->local);
	if (dgb_init(&s->batch, DG_BUFSIZE) == -1 ||
	    (s->loop = loop_new()) == NULL) {
		log_syserr("datagram server");
		return (-1);
	}
	dgb_group_replies(&s->batch, fd);
	loop_set_busy_poll(s->loop, o->busy_us);
	s->started = loop_now(s->loop);
	loop_timer_init(&s->sweep, dg_sweep, s);
	loop_timer_init(&s->drain, dg_drain_expired, s);
	(void)dg_arm(s, &s->sweep, o->peer_timeout_ms / 2 + 1);
	dg_grow_buffers(fd);
	if ((s->sigfd = sig_open(sigs)) == -1 ||
	    loop_set_fd(s->loop, s->sigfd, LOOP_READABLE, dg_signal, s) == -1 ||
	    (s->stdin_open && loop_set_fd(s->loop, STDIN_FILENO,
	    LOOP_READABLE, dg_stdin_readable, s) == -1)) {
		log_syserr("datagram server");
		return (-1);
	}
	/* UDP sessions live 60 s without traffic unless told otherwise. */
	if (o->handler == SERVER_FORWARD && dgfwd_init(&s->fwd, s->loop,
	    &o->fwd_addrs[0], o->forward, o->idle_ms > 0 ? o->idle_ms :
	    DG_FWD_IDLE_MS, o->max_conns, dg_fwd_reply, dg_fwd_end, s) == -1) {
		log_syserr("--forward");
		return (-1);
	}
	dg_update_mask(s);
	return (0);
}

static void
dg_teardown(struct dg_server *s)
{
	struct dg_peer	*p;
	struct dg_reply	*r;
	int		 i;

	for (i = 0; i < DG_BUCKETS; i++)
		while ((p = s->peers[i]) != NULL) {
			s->peers[i] = p->next;
			dg_peer_close(s, p, NULL);
		}
	while ((r = s->qhead) != NULL) {
		s->qhead = r->next;
		free(r);
	}
	while (s->jobs != NULL) {
		if (s->jobs->out != -1)
			(void)close(s->jobs->out);
		dg_job_free(s, s->jobs);
	}
	dgfwd_free(&s->fwd);
	buf_free(&s->inb);
	dgb_free(&s->batch);
	loop_free(s->loop);
}

int
dgram_serve(const struct server_opts *o, int fd)
{
	struct dg_server	s;
	int			rc = SOCKIT_EXIT_OK;

	if (dg_setup(&s, o, fd) == -1)
		rc = SOCKIT_EXIT_RUNTIME;
	else if (loop_run(s.loop) == -1) {
		log_syserr("event loop");
		rc = SOCKIT_EXIT_RUNTIME;
	}
	if (rc == SOCKIT_EXIT_OK && (s.failed || s.cut))
		rc = SOCKIT_EXIT_RUNTIME;
	if (s.loop != NULL) {
		s.sum.secs = (double)(loop_now(s.loop) - s.started) / 1000.0;
		dg_teardown(&s);
		if (o->stats)
			log_stats(s.total, &s.sum);
	}
	(void)close(fd);
	return (rc);
}
