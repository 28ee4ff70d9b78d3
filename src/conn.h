/*
 * One accepted connection of the stream server and the server state its
 * handlers see.  Internal to the service layer: server.c accepts and
 * drains, conn.c runs a connection's life, handler.c starts what each
 * handler does with it.
 */
#ifndef SOCKIT_CONN_H
#define SOCKIT_CONN_H

#include <sys/types.h>
#include <sys/socket.h>

#include "broker.h"
#include "dial.h"
#include "log.h"
#include "loop.h"
#include "relay.h"
#include "sock.h"
#include "stream.h"
#include "tlshs.h"

struct server_opts;

/*
 * A peer's name: "[v6addr]:port" (at most 54 bytes) or a Unix peer's
 * "pid=N,uid=N"; no paths, so less than SOCK_ADDR_LEN will do.
 */
#define CONN_PEER_LEN	64

/* Where a connection is in its life. */
enum conn_phase {
	CONN_STARTING,		/* accepted, handler not started yet */
	CONN_HANDSHAKING,	/* --tls: the client's handshake */
	CONN_CONNECTING,	/* --forward: dialing the backend */
	CONN_RELAYING,		/* the handler's relay runs */
	CONN_LINGERING,		/* relay or program finished; waiting for
				   the other (exec) or for the peer's EOF */
	CONN_CLOSED
};

/* The server as its connections see it. */
struct server {
	const struct server_opts *o;
	struct loop		 *loop;
	int			 *lfds;
	int			  nlfds;
	int			  accepting;	/* listeners registered */
	int			  draining;
	int			  cut;		/* connections ended by drain */
	struct conn		 *conns;
	long			  nconns;
	unsigned long long	  total;	/* connections served */
	struct log_xfer		  sum;
	int			  exit_code;	/* of the last failed conn */
	int			  sigfd;
	struct stream		  in, out;	/* --stdio: stdin, stdout */
	struct broker		  broker;	/* --broker: the members */
	const struct sock_addr	 *fwd_addrs;	/* --forward: resolved once */
	size_t			  nfwd;
	struct loop_timer	  drain_timer;
	struct loop_timer	  resume_timer;
	long long		  started;
};

struct conn {
	struct server		*srv;
	struct conn		*prev, *next;
	enum conn_phase		 phase;
	struct stream		 net;
	/*
	 * The relay's other end: an exec program's socketpair end, or the
	 * --forward backend (one handler runs per server, never both).
	 */
	struct stream		 other;
	union {
		struct dial		 dial;	/* --forward, while connecting */
		struct broker_member	 bm;	/* --broker */
	} u;
	struct tls_hs		*tlshs;		/* --tls, --forward-tls */
	uint64_t		 dump_off[2];	/* -o/-x: per direction */
	int			 in_broker;
	pid_t			 pid;		/* exec child until reaped */
	int			 relay_over;	/* the relay has ended */
	int			 failed;	/* ended by an error */
	union sock_ip		 peer_sa;	/* a Unix peer: family only */
	char			 peer[CONN_PEER_LEN];
	char			*why;		/* how it ended, or NULL */
	long long		 started;
	struct relay		 relay;
	struct loop_timer	 idle;
	struct loop_timer	 linger;
};

/*
 * Creates the record of an accepted fd and starts the server's handler
 * on it.  The connection closes itself when it is done (it may be gone
 * when this returns).
 */
void	conn_open(struct server *, int, const struct sockaddr_storage *,
	    const char *);

/* Logs, closes and frees a connection; why is NULL for a clean end. */
void	conn_close(struct conn *, const char *);

/* Ends a connection that the drain cuts short (kills its program). */
void	conn_cut(struct conn *, const char *);

/* The exec child pid ended with status (from SIGCHLD). */
void	conn_child_ended(struct conn *, int);

/* -o/-x: records n bytes that moved in direction dir (DUMP_IN/OUT). */
void	conn_dump(struct conn *, int, const unsigned char *, size_t);

/* --keepalive, --nodelay on a connection's socket (or a backend's). */
void	conn_set_sockopts(const struct server_opts *, int);

/* The peer as printed: host:port, or pid=N,uid=N for a Unix peer. */
const char *conn_peer(struct conn *);

/* Whether the server relays to a --forward backend (c->other, c->u.dial). */
int	conn_forwards(const struct conn *);

/*
 * The connection's TLS handshake record, allocated on first use: only
 * --tls and --forward-tls connections pay for it.  NULL/ENOMEM.
 */
struct tls_hs *conn_tls_hs(struct conn *);

/* The relay callback every handler uses. */
void	conn_relay_done(struct relay *, void *);

/* Called by server.c when a connection is gone. */
void	server_conn_gone(struct server *, struct conn *);

#endif
