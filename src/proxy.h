/*
 * Connecting through a proxy: the SOCKS5 (RFC 1928, with RFC 1929
 * username/password) and HTTP CONNECT handshakes of tcp-client
 * --proxy.  The codec is pure (requests built into a buffer, replies
 * parsed from one); proxy_hs runs it on a connected stream in the event
 * loop.  Bytes the target sends right after the proxy's reply (a banner)
 * are kept for the caller, never lost.
 */
#ifndef SOCKIT_PROXY_H
#define SOCKIT_PROXY_H

#include <stddef.h>

#include "buf.h"
#include "loop.h"

struct stream;

enum proxy_type {
	PROXY_SOCKS5,
	PROXY_HTTP
};

/* How a handshake (or one reply) came out. */
enum proxy_result {
	PROXY_OK = 0,
	PROXY_NEED_MORE,	/* parse: the reply is not complete yet */
	PROXY_AUTH,		/* the proxy refused our credentials (exit 7) */
	PROXY_REFUSED,		/* the proxy refused or failed the target (3) */
	PROXY_BAD_REPLY,	/* not the protocol (exit 5) */
	PROXY_TIMEOUT,		/* the handshake took too long (4) */
	PROXY_IO		/* read/write failed, or EOF: err says */
};

struct proxy_conf {
	enum proxy_type	 type;
	const char	*host;		/* the target, as the user named it */
	const char	*port;		/* decimal */
	const char	*user;		/* NULL: no authentication */
	const char	*pass;
	/*
	 * SOCKS5: the target's address resolved here (family AF_INET or
	 * AF_INET6, 4 or 16 bytes in addr), or family 0 to let the proxy
	 * resolve the name (remote DNS, the default).
	 */
	int		 family;
	unsigned char	 addr[16];
};

#define PROXY_MSG_MAX	1024	/* longest request or SOCKS reply */
#define PROXY_HTTP_MAX	16384	/* longest HTTP reply head accepted */

/*
 * Requests.  Each writes into buf (PROXY_MSG_MAX bytes) and returns the
 * length, or -1 when a field does not fit the protocol (a name or a
 * password longer than 255 bytes).
 */
int	proxy_socks5_greeting(const struct proxy_conf *, unsigned char *);
int	proxy_socks5_auth(const struct proxy_conf *, unsigned char *);
int	proxy_socks5_connect(const struct proxy_conf *, unsigned char *);
int	proxy_http_connect(const struct proxy_conf *, unsigned char *);

/*
 * Replies.  Each looks at p[0..len): PROXY_NEED_MORE until the reply is
 * whole, then its verdict with *used set to the reply's length (what
 * follows belongs to the target).  why gets a short reason for failures
 * (PROXY_MSG_MAX bytes is plenty).
 */
enum proxy_result proxy_socks5_method(const struct proxy_conf *,
	    const unsigned char *, size_t, size_t *, int *, char *);
enum proxy_result proxy_socks5_auth_reply(const unsigned char *, size_t,
	    size_t *, char *);
enum proxy_result proxy_socks5_reply(const unsigned char *, size_t,
	    size_t *, char *);
enum proxy_result proxy_http_reply(const unsigned char *, size_t, size_t *,
	    char *);

/* The handshake on a stream. */
struct proxy_hs;
typedef void (*proxy_done_cb)(struct proxy_hs *, void *);

struct proxy_hs {
	struct loop		*loop;
	struct stream		*s;
	struct proxy_conf	 conf;
	int			 step;		/* where the handshake is */
	unsigned char		 out[PROXY_MSG_MAX];
	size_t			 outlen, outoff;
	struct buf		 in;		/* reply bytes, then leftover */
	struct loop_timer	 timer;
	enum proxy_result	 result;
	int			 err;		/* errno for PROXY_IO */
	char			 why[256];
	int			 running;
	proxy_done_cb		 done_cb;
	void			*done_arg;
};

/*
 * Starts the handshake on the connected stream s, bounded by timeout_ms
 * (<= 0: none).  done_cb runs once, from the loop: result and why say
 * how it went; on PROXY_OK, in holds what the target already sent.
 * Returns 0 or -1 with errno.
 */
int	proxy_hs_start(struct proxy_hs *, struct loop *, struct stream *,
	    const struct proxy_conf *, long long, proxy_done_cb, void *);

/* Unregisters and frees (not the stream). */
void	proxy_hs_free(struct proxy_hs *);

/* Base64 of n bytes into out (4 * ((n + 2) / 3) + 1 bytes); its length. */
size_t	proxy_base64(const unsigned char *, size_t, char *);

#endif
