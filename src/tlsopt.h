/*
 * The --tls-* options of clients and servers and --forward-tls-* of
 * forwarding servers: their tables and parsing into struct tlsopt.
 * Command layer.
 */
#ifndef SOCKIT_TLSOPT_H
#define SOCKIT_TLSOPT_H

#include "tls.h"

/* What the options say, and the context made from them at start. */
struct tlsopt {
	int		 on;		/* --tls (or --forward-tls) */
	struct tls_opts	 t;
	long long	 handshake_ms;	/* --tls-handshake-timeout */
	int		 handshake_set;	/* ... was given */
	const char	*pin_file;	/* --tls-pin-file */
	struct tls_ctx	*ctx;		/* made by tlsopt_start */
};

enum {
	TLSOPT_TLS = 400,
	TLSOPT_CA,
	TLSOPT_NAME,
	TLSOPT_PIN,
	TLSOPT_INSECURE,
	TLSOPT_CERT,
	TLSOPT_KEY,
	TLSOPT_CLIENT_CA,
	TLSOPT_ALPN,
	TLSOPT_MIN,
	TLSOPT_CIPHERS,
	TLSOPT_CIPHERSUITES,
	TLSOPT_TRUNCATION,
	TLSOPT_HANDSHAKE_TIMEOUT,
	TLSOPT_PIN_FILE,
	TLSOPT_FWD_TLS,
	TLSOPT_FWD_CA,
	TLSOPT_FWD_NAME,
	TLSOPT_FWD_PIN,
	TLSOPT_FWD_INSECURE
};

#define TLSOPT_COMMON_OPTIONS \
	{ "tls", 0, ARGS_NONE, TLSOPT_TLS, NULL, \
	  "speak TLS on the connection (OpenSSL)" }, \
	{ "tls-cert", 0, ARGS_REQUIRED, TLSOPT_CERT, "FILE", \
	  "TLS: our certificate (PEM, may hold a chain)" }, \
	{ "tls-key", 0, ARGS_REQUIRED, TLSOPT_KEY, "FILE", \
	  "TLS: its private key (PEM; default: in the --tls-cert file)" }, \
	{ "tls-alpn", 0, ARGS_REQUIRED, TLSOPT_ALPN, "LIST", \
	  "TLS: ALPN protocols, comma-separated, in preference order" }, \
	{ "tls-min", 0, ARGS_REQUIRED, TLSOPT_MIN, "1.2|1.3", \
	  "TLS: the oldest version accepted (default 1.2)" }, \
	{ "tls-ciphers", 0, ARGS_REQUIRED, TLSOPT_CIPHERS, "LIST", \
	  "TLS 1.2 cipher list (OpenSSL syntax)" }, \
	{ "tls-ciphersuites", 0, ARGS_REQUIRED, TLSOPT_CIPHERSUITES, "LIST", \
	  "TLS 1.3 cipher suites (OpenSSL syntax)" }, \
	{ "tls-allow-truncation", 0, ARGS_NONE, TLSOPT_TRUNCATION, NULL, \
	  "TLS: a close without close_notify is a normal end" }

/* Clients: how the server is verified. */
#define TLSOPT_CLIENT_OPTIONS \
	TLSOPT_COMMON_OPTIONS, \
	{ "tls-ca", 0, ARGS_REQUIRED, TLSOPT_CA, "FILE|DIR", \
	  "TLS: trust these CAs instead of the system's" }, \
	{ "tls-name", 0, ARGS_REQUIRED, TLSOPT_NAME, "NAME", \
	  "TLS: check and send (SNI) NAME instead of the host" }, \
	{ "tls-pin", 0, ARGS_REQUIRED, TLSOPT_PIN, "sha256:HEX", \
	  "TLS: accept exactly the certificate with this fingerprint" }, \
	{ "tls-insecure", 0, ARGS_NONE, TLSOPT_INSECURE, NULL, \
	  "TLS: do not verify the server (a warning says so)" }

/* Servers: our certificate, and the clients'. */
#define TLSOPT_SERVER_OPTIONS \
	TLSOPT_COMMON_OPTIONS, \
	{ "tls-client-ca", 0, ARGS_REQUIRED, TLSOPT_CLIENT_CA, "FILE", \
	  "TLS: require a client certificate signed by these CAs" }, \
	{ "tls-handshake-timeout", 0, ARGS_REQUIRED, \
	  TLSOPT_HANDSHAKE_TIMEOUT, "SEC", \
	  "TLS: drop a client whose handshake takes longer (default 10)" }, \
	{ "tls-pin-file", 0, ARGS_REQUIRED, TLSOPT_PIN_FILE, "FILE", \
	  "TLS: write our certificate's sha256:HEX to FILE at start" }

/* --forward: TLS to the backend, verified like a client. */
#define TLSOPT_FORWARD_OPTIONS \
	{ "forward-tls", 0, ARGS_NONE, TLSOPT_FWD_TLS, NULL, \
	  "--forward: speak TLS to the backend" }, \
	{ "forward-tls-ca", 0, ARGS_REQUIRED, TLSOPT_FWD_CA, "FILE|DIR", \
	  "--forward-tls: trust these CAs for the backend" }, \
	{ "forward-tls-name", 0, ARGS_REQUIRED, TLSOPT_FWD_NAME, "NAME", \
	  "--forward-tls: the backend's name to check and send" }, \
	{ "forward-tls-pin", 0, ARGS_REQUIRED, TLSOPT_FWD_PIN, "sha256:HEX", \
	  "--forward-tls: accept exactly this backend certificate" }, \
	{ "forward-tls-insecure", 0, ARGS_NONE, TLSOPT_FWD_INSECURE, NULL, \
	  "--forward-tls: do not verify the backend" }

/* Defaults: off, 10 s handshakes; server says which side. */
void	tlsopt_init(struct tlsopt *, int);

/*
 * Applies option id to t (the --tls-* ones) or to fwd (the
 * --forward-tls-* ones; fwd may be NULL).  Returns 1 when it took the
 * id, 0 when the id is not a TLS option, -1 with *cause on a bad value.
 */
int	tlsopt_set(struct tlsopt *, struct tlsopt *, int, const char *,
	    char **);

/*
 * Checks the options after parsing (a --tls-* option without --tls, a
 * build without TLS: *cause, -1).
 */
int	tlsopt_finish(struct tlsopt *, const char *, char **);

/*
 * Makes the TLS context when --tls is on (a server's own certificate:
 * for names, the address it is bound to).  Returns 0, or -1 with the
 * reason in err (TLS_ERR_LEN bytes).
 */
int	tlsopt_start(struct tlsopt *, const char *, char *);

/* Frees the context. */
void	tlsopt_free(struct tlsopt *);

#endif
