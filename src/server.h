/*
 * The stream server shared by tcp-server and unix-server: accept loop,
 * access control, connection limits, the per-connection handlers (echo,
 * upper, discard, stdio, exec, banner), idle timeouts, drain on
 * SIGINT/SIGTERM, worker processes.
 */
#ifndef SOCKIT_SERVER_H
#define SOCKIT_SERVER_H

#include <stddef.h>

#include "addr.h"
#include "dump.h"
#include "frameopt.h"
#include "handler.h"
#include "sock.h"
#include "spawn.h"
#include "tlsopt.h"


struct server_opts {
	enum server_handler	 handler;
	int			 handler_set;	/* chosen explicitly */
	struct spawn_cmd	 exec;
	unsigned char		*banner;
	size_t			 banner_len;
	struct frame_opts	 frames;
	int			 once;
	long			 max_conns;
	int			 on_full_queue;
	long			 max_per_ip;
	long long		 idle_ms;
	long long		 drain_ms;
	long			 busy_us;	/* --busy-poll; LOOP_BUSY_AUTO */
	struct addr_acl		 acl;
	int			 keepalive;
	int			 nodelay;
	int			 backlog;
	int			 reuseport;
	long			 workers;
	const char		*port_file;
	const char		*ready_file;	/* --ready-file */
	const char		*bind;
	long			 mode;		/* unix-server --mode */
	int			 dgram;		/* unix-server --dgram */
	long long		 peer_timeout_ms; /* datagram peers */
	int			 stats;		/* --stats line at exit */
	const char		*forward;	/* --forward TARGET, as given */
	struct sock_target	 fwd;		/* ... parsed */
	struct addr_inet	 fwd_inet;
	struct addr_unix	 fwd_unix;
	struct sock_addr	*fwd_addrs;	/* ... resolved at start */
	size_t			 nfwd;
	long long		 connect_ms;	/* -w: backend connect timeout */
	int			 proxy_protocol; /* 0, 1 or 2 */
	struct dump		 dump;		/* -o, -x */
	struct tlsopt		 tls;		/* --tls: TLS from clients */
	struct tlsopt		 fwd_tls;	/* --forward-tls: to backend */
};

/*
 * Serves on the listening fds until done (--once, a signal and drain).
 * Returns an exit code.  With workers > 1 the caller passes one fd per
 * worker; it then returns in each worker process as well as in the
 * supervising parent, and each caller cleans up and exits with it.
 */
int	server_run(const struct server_opts *, int *, int);

#endif
