/*
 * The stream client shared by tcp-client and unix-client: connect in
 * the event loop (retrying for --wait-for, through a --proxy), then
 * check (-z), run a program on the connection (--exec), run the
 * --send/--expect script, or relay stdin/stdout.  Options come parsed
 * (clientopt.c); this layer only runs them.
 */
#ifndef SOCKIT_CLIENT_H
#define SOCKIT_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "dump.h"
#include "frameopt.h"
#include "proxy.h"
#include "script.h"
#include "sock.h"
#include "spawn.h"
#include "tlsopt.h"

/* --proxy and its options. */
struct client_proxy {
	const char		*addr;		/* --proxy HOST:PORT, or NULL */
	struct addr_inet	 a;
	enum proxy_type		 type;
	char			*user;		/* --proxy-auth / SOCKIT_PROXY_AUTH */
	char			*pass;
	int			 dns_local;	/* --proxy-dns local */
};

struct client_opts {
	struct frame_opts	 frames;
	struct script_step	*steps;
	size_t			 nsteps;
	int			 no_shutdown;
	long long		 quit_after_ms;		/* -1: never */
	long long		 connect_timeout_ms;	/* 0: kernel's */
	long long		 wait_for_ms;		/* 0: try once */
	long long		 step_timeout_ms;	/* --timeout */
	long long		 idle_ms;		/* -i; 0: none */
	int			 zero_io;		/* -z */
	uint64_t		 recv_bytes;		/* 0: unlimited */
	int			 progress;		/* 0 no, 1 tty, 2 always */
	int			 dgram;			/* --dgram (unix) */
	long long		 reply_timeout_ms;	/* datagram clients */
	long			 expect_replies;	/* -1: not checked */
	int			 send_only;		/* ignore what arrives */
	int			 recv_only;		/* never read stdin */
	int			 keepalive;
	int			 nodelay;
	const char		*source;		/* -s ADDR */
	const char		*source_port;		/* -p PORT, as digits */
	char			 source_port_buf[6];
	struct spawn_cmd	 exec;			/* --exec, --sh-exec */
	struct client_proxy	 proxy;
	struct dump		 dump;			/* -o, -x */
	struct tlsopt		 tls;			/* --tls */
	int			*scan_ports;		/* -z HOST LIST */
	size_t			 nscan;
	int			 family;		/* -4, -6 */
	int			 stats;			/* --stats */
};

/*
 * Runs a session against target (name is how messages call it):
 * connects, then does what the options say.  Returns an exit code of
 * the SPEC table.
 */
int	client_main(const struct client_opts *, const struct sock_target *,
	    const char *);

#endif
