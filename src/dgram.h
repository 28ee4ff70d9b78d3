/*
 * Datagram server and client, shared by udp-server/udp-client and the
 * --dgram mode of unix-server/unix-client.  Each datagram is one
 * message; the local side (stdin/stdout) is line-framed unless
 * --frame/--stdio-frame says otherwise.
 */
#ifndef SOCKIT_DGRAM_H
#define SOCKIT_DGRAM_H

#include "addr.h"
#include "client.h"
#include "server.h"

/* The largest UDP payload over IPv4. */
#define DGRAM_UDP_MAX	65507

/* Serves datagrams on a bound socket until SIGINT/SIGTERM; exit code. */
int	dgram_serve(const struct server_opts *, int);

/*
 * Sends stdin messages (or --send texts) on a connected datagram socket
 * and prints replies.  A message may be as long as the socket allows
 * (65507 bytes over IPv4); raw stdin is sent in chunks of at most that.
 * Returns an exit code (3 when the peer's port is unreachable, 6 when
 * fewer replies than expected arrived).
 */
int	dgram_client(const struct client_opts *, int);

/* unix-client --dgram: binds an autobound name, connects, runs. */
int	dgram_client_unix(const struct client_opts *, const struct addr_unix *,
	    const char *);

/* The local framing of a datagram command. */
const struct frame_spec *dgram_local_spec(const struct frame_opts *);

struct dg_server;

/*
 * What each handler does with one datagram (the handler table's dgram
 * entries, src/handler.c): echo, upper, discard, stdio, exec, banner,
 * forward.  data may be changed in place.
 */
void	dgram_on_echo(struct dg_server *, const struct sockaddr_storage *,
	    socklen_t, unsigned char *, size_t);
void	dgram_on_upper(struct dg_server *, const struct sockaddr_storage *,
	    socklen_t, unsigned char *, size_t);
void	dgram_on_discard(struct dg_server *, const struct sockaddr_storage *,
	    socklen_t, unsigned char *, size_t);
void	dgram_on_stdio(struct dg_server *, const struct sockaddr_storage *,
	    socklen_t, unsigned char *, size_t);
void	dgram_on_exec(struct dg_server *, const struct sockaddr_storage *,
	    socklen_t, unsigned char *, size_t);
void	dgram_on_banner(struct dg_server *, const struct sockaddr_storage *,
	    socklen_t, unsigned char *, size_t);
void	dgram_on_forward(struct dg_server *, const struct sockaddr_storage *,
	    socklen_t, unsigned char *, size_t);

#endif
