/*
 * TLS as one more stream implementation (SPEC §9): a struct stream whose
 * read, write and shutdown go through OpenSSL on a non-blocking socket,
 * so the relay, the script and the servers drive it like any other
 * stream.  One struct tls_ctx per process holds what the --tls-* options
 * say (certificates, trust, pin, ALPN, versions); each connection is a
 * stream made by tls_stream_init and finished by tls_handshake inside
 * the event loop.
 *
 * Nothing here prints, exits, blocks or polls.  Failures return -1 or
 * NULL with errno; the story is in an err buffer of TLS_ERR_LEN bytes
 * (tls_ctx_new, tls_stream_init) or in tls_stream_error().  Those words
 * come from the connection itself: the OpenSSL error queue is cleared
 * before every call on a stream, so one connection's failure never
 * shows up in another's message.  The process must ignore SIGPIPE (main
 * does): OpenSSL writes to the socket with write(2).
 *
 * A build without OpenSSL has the same functions: tls_available()
 * returns 0 and the rest fail with ENOTSUP and "sockit was built
 * without TLS (configure --with-openssl)".
 */
#ifndef SOCKIT_TLS_H
#define SOCKIT_TLS_H

#include <stddef.h>

struct stream;

#define TLS_ERR_LEN	256
#define TLS_SHA256_LEN	72	/* "sha256:" + 64 hex digits + NUL */

/* What the --tls-* options say.  Zero means the default everywhere. */
struct tls_opts {
	int		 server;	/* 1: the accepting side */
	/*
	 * Client: trust the CAs in this PEM file or hashed directory
	 * instead of the system store.
	 */
	const char	*ca;
	/* Client: the name to check and to send as SNI (not the host). */
	const char	*name;
	/*
	 * "sha256:HEX" (64 hex digits, colons and upper case allowed):
	 * accept exactly the peer certificate with this fingerprint, with
	 * no CA or name check.  On a server it requires a client
	 * certificate and accepts only that one.
	 */
	const char	*pin;
	int		 insecure;	/* client: no verification at all */
	/*
	 * PEM certificate (the file may hold a chain, leaf first) and its
	 * key; without key the key is read from the certificate file.  A
	 * server without either makes a certificate (tls_ctx_new).
	 */
	const char	*cert;
	const char	*key;
	/* Server: require a client certificate signed by a CA in FILE. */
	const char	*client_ca;
	/*
	 * Comma-separated ALPN protocols.  Client: offered in this order.
	 * Server: those it accepts, in preference order; a client that
	 * offers none of them is refused (no_application_protocol alert),
	 * one that offers no ALPN at all is served without.
	 */
	const char	*alpn;
	int		 min_version;	/* 12 or 13 (0: 12) */
	int		 max_version;	/* 12 or 13 (0: the newest); tests */
	const char	*ciphers;	/* TLS 1.2 cipher list */
	const char	*ciphersuites;	/* TLS 1.3 cipher suites */
	/* A TCP EOF without close_notify is EOF, not an error. */
	int		 allow_truncation;
	/*
	 * Server without a certificate: comma-separated names or IP
	 * addresses for the made-up certificate's SAN besides
	 * "localhost" (the bound address; 0.0.0.0 and :: are left out).
	 * May be NULL.
	 */
	const char	*cert_names;
	/* --nodelay: TCP_NODELAY stays on, bulk writes leave it alone. */
	int		 nodelay;
};

struct tls_ctx;

/* Whether this build has TLS (1) or not (0). */
int	tls_available(void);

/*
 * Makes the per-process TLS context: loads the certificate, key and
 * CAs, or, for a server given no --tls-cert, makes a fresh ECDSA P-256
 * certificate in memory (self-signed, SHA-256, valid from an hour ago
 * for five days, SAN: cert_names, "localhost").  A client verifies the
 * peer with the system CA store unless ca, pin or insecure says
 * otherwise.  Servers keep no session cache and send no session
 * tickets: nothing outlives a connection.
 *
 * Returns the context, or NULL with errno (EINVAL for a bad option,
 * ENOENT and friends for files, ENOTSUP without TLS) and a one-line
 * reason in err ("--tls-cert x.pem: No such file or directory",
 * "--tls-key: key does not match the certificate").
 */
struct tls_ctx	*tls_ctx_new(const struct tls_opts *, char *, size_t);

/*
 * The fingerprint of the context's own certificate as "sha256:HEX"
 * (lowercase, no colons: the SHA-256 of its DER form, what --tls-pin
 * takes), or NULL when it has none (a client without --tls-cert).
 */
const char	*tls_ctx_fingerprint(const struct tls_ctx *);

/* Frees the context; every stream made with it must be closed first. */
void		 tls_ctx_free(struct tls_ctx *);

/*
 * Makes s a TLS stream over fd, a connected socket (TCP or Unix),
 * which s then owns: stream_close closes it.  fd must be non-blocking
 * (accept4 and sock_connect_start make it so).  The handshake has not
 * started: run tls_handshake next.
 *
 * host (client side) is the host the user named, used unless opts.name
 * overrides it: an IP address ("127.0.0.1", "::1", "[::1]") is checked
 * against the certificate's IP SANs and not sent as SNI; a DNS name is
 * checked and sent as SNI.  A client that verifies (no pin, not
 * insecure) needs a name: with host and name both NULL (a Unix socket)
 * this fails with EINVAL.  A server ignores host.
 *
 * Returns 0, or -1 with errno and a reason in err; on failure fd is
 * left open and s is not a stream.
 */
int	tls_stream_init(struct stream *, struct tls_ctx *, int, const char *,
	    char *, size_t);

/*
 * Runs the handshake as far as it goes without blocking.  Returns 0
 * when it is done (calling it again is harmless).  Returns -1 with
 * errno EAGAIN when it must wait: wait until s->fd is ready for
 * stream_wants(s, 0), LOOP_READABLE or LOOP_WRITABLE, then call it
 * again.  While the handshake runs, s->rwant and s->wwant hold the same
 * mask, so a caller that watches either one waits for the right event;
 * after it, they are back to LOOP_READABLE and LOOP_WRITABLE.  Put a
 * timer on it (--tls-handshake-timeout): a silent peer makes it wait
 * forever.
 *
 * Returns -1 with another errno on failure, and tls_stream_error() says
 * why: EPROTO for TLS failures (verification among them: see
 * tls_stream_auth_failed), ECONNRESET when the peer reset or closed
 * the connection during the handshake, or the socket's errno.  After a
 * failure every call on s fails the same way; close it.
 */
int	tls_handshake(struct stream *);

/*
 * The last failure on s in words ("certificate verify failed: certificate
 * has expired", "pin mismatch: ...", "truncated: connection closed
 * without close_notify"), or NULL when nothing has failed.
 */
const char	*tls_stream_error(const struct stream *);

/*
 * 1 when the failure was peer authentication: the peer's certificate
 * failed verification, the name or pin check, or was not sent when
 * required, or the peer refused ours.  The caller then exits 7.  Ask
 * after a failed read too: a TLS 1.3 client finishes its handshake
 * before the server has judged its certificate, so a refused client
 * certificate shows up as the first read failing with EPROTO.
 */
int		 tls_stream_auth_failed(const struct stream *);

/*
 * What the handshake settled, each NULL when there is none (or before
 * the handshake is done): the peer certificate's fingerprint
 * ("sha256:HEX"), its subject on one line ("O=sockit test,
 * CN=localhost"; only when it was verified by a CA or a pin), the
 * negotiated ALPN protocol, the protocol version ("TLSv1.3"), and on a
 * server the name the client sent as SNI.  Bytes the peer chose
 * (ALPN, SNI, names) come with control and non-ASCII bytes as '?'.
 * The strings live as long as the stream.
 */
const char	*tls_peer_sha256(const struct stream *);
const char	*tls_peer_subject(const struct stream *);
const char	*tls_alpn(const struct stream *);
const char	*tls_version(const struct stream *);
const char	*tls_sni(const struct stream *);

/*
 * The stream ops of a TLS stream, for the record:
 *
 * read: returns decrypted bytes (several records per call when they are
 * there), 0 for the peer's close_notify, or -1 with EAGAIN and rwant set
 * to the readiness OpenSSL waits for (LOOP_WRITABLE when it must send
 * first).  A TCP EOF without close_notify is -1 with EPROTO
 * ("truncated: ...") unless allow_truncation makes it 0.  A reset is
 * ECONNRESET, a protocol error EPROTO.
 *
 * write: partial writes (one record at a time); a retry after EAGAIN may
 * come with another pointer and a longer length.  wwant as for read.
 *
 * shutdown: sends close_notify once (-1 with EAGAIN and wwant until it
 * is out) and does not wait for the peer's: reads go on, the peer may
 * still send.  Fails with ENOTCONN before the handshake is done.
 *
 * pending: the bytes decrypted and held inside OpenSSL, which the owner
 * must read before waiting for the fd.
 *
 * acked is NULL: the TCP count includes TLS framing, so it cannot say
 * how many payload bytes the peer received.  free releases the SSL
 * object without any I/O; stream_close then closes the fd.  Idle
 * connections hold no record buffers (SSL_MODE_RELEASE_BUFFERS).
 */

#endif
