/*
 * ssh-lite protocol: the handshake (mutual challenge-response over a
 * pre-shared key), session keys, message sealing with libsodium
 * secretstream, and the codec of the typed messages.  Pure: no I/O.
 * The wire format is documented in docs/ssh-lite-protocol.md.
 */
#ifndef SOCKIT_SSHL_H
#define SOCKIT_SSHL_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define SSHL_VERSION		1
#define SSHL_MAGIC		"SKL"		/* 3 bytes, then version */
#define SSHL_KEY_LEN		32
#define SSHL_NONCE_LEN		32
#define SSHL_MAC_LEN		crypto_auth_hmacsha256_BYTES
#define SSHL_HDR_LEN	crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define SSHL_ABYTES		crypto_secretstream_xchacha20poly1305_ABYTES
#define SSHL_MSG_MAX		(1024 * 1024)	/* largest plaintext */
#define SSHL_CHUNK		(64 * 1024)	/* stdout/stdin pieces */
#define SSHL_ERR_LEN		256

/* Handshake message sizes (bodies of length-prefixed frames). */
#define SSHL_HELLO_LEN		(4 + SSHL_NONCE_LEN)
#define SSHL_SHELLO_LEN		(4 + SSHL_NONCE_LEN + SSHL_MAC_LEN)
#define SSHL_PROOF_LEN		(SSHL_MAC_LEN + SSHL_HDR_LEN)
#define SSHL_SHDR_LEN		SSHL_HDR_LEN

/* Message types after authentication. */
enum sshl_type {
	SSHL_EXEC = 1,		/* c→s: the command */
	SSHL_STDIN = 2,		/* c→s: bytes for the command's stdin */
	SSHL_STDIN_EOF = 3,	/* c→s: stdin ended */
	SSHL_SIGNAL = 4,	/* c→s: u8 signal for the process group */
	SSHL_STDOUT = 5,	/* s→c */
	SSHL_STDERR = 6,	/* s→c */
	SSHL_EXIT = 7,		/* s→c: u8 how, u8 code */
	SSHL_ERROR = 8		/* either way: text, then close */
};

/* How the remote command ended (SSHL_EXIT). */
enum sshl_exit_how {
	SSHL_EXITED = 0,	/* code = exit status */
	SSHL_SIGNALED = 1,	/* code = signal number */
	SSHL_TIMEDOUT = 2,	/* killed after --timeout */
	SSHL_FAILED = 3		/* could not start: code 127/126 */
};

/* Handshake state, one per side. */
struct sshl_hs {
	int		server;
	unsigned char	auth_key[SSHL_KEY_LEN];
	unsigned char	sess_key[SSHL_KEY_LEN];
	unsigned char	nc[SSHL_NONCE_LEN];
	unsigned char	ns[SSHL_NONCE_LEN];
};

/* An authenticated session: one secretstream per direction. */
struct sshl_session {
	crypto_secretstream_xchacha20poly1305_state	tx;
	crypto_secretstream_xchacha20poly1305_state	rx;
	unsigned char					tx_key[32];
	unsigned char					rx_key[32];
};

/* The command a client asks for. */
struct sshl_exec {
	char		**argv;		/* NULL-terminated */
	char		**env;		/* "K=V", NULL-terminated */
	char		 *cwd;		/* NULL: the server's */
	uint32_t	  timeout_ms;	/* 0: none */
	int		  shell;	/* run argv joined by /bin/sh -c */
};

/* Initialises libsodium once; returns 0 or -1. */
int	sshl_init(void);

/* Parses 64 hex digits (surrounding blanks allowed) into key. */
int	sshl_key_parse(const char *, unsigned char *, char *);

/*
 * Reads a key file; refuses one readable by group or others, as ssh
 * refuses private keys.  Returns 0 or -1 with a message in err.
 */
int	sshl_key_load(const char *, unsigned char *, char *);

/* Handshake, in order.  Each returns 0, or -1 when authentication fails
 * or the message is malformed (err says which). */
void	sshl_hs_init(struct sshl_hs *, const unsigned char *, int);
void	sshl_hs_client_hello(struct sshl_hs *, unsigned char *);
int	sshl_hs_server_hello(struct sshl_hs *, const unsigned char *, size_t,
	    unsigned char *, char *);
int	sshl_hs_client_proof(struct sshl_hs *, const unsigned char *, size_t,
	    struct sshl_session *, unsigned char *, char *);
int	sshl_hs_server_accept(struct sshl_hs *, const unsigned char *, size_t,
	    struct sshl_session *, unsigned char *, char *);
int	sshl_hs_client_finish(struct sshl_hs *, const unsigned char *, size_t,
	    struct sshl_session *, char *);
void	sshl_hs_wipe(struct sshl_hs *);

/*
 * Seals a message (type + payload of at most SSHL_MSG_MAX bytes) into out,
 * which must hold 1 + len + SSHL_ABYTES bytes; returns the sealed length.
 * sshl_open decrypts a sealed message into m (SSHL_MSG_MAX + 1 bytes):
 * the type goes to *type, the payload starts at m + 1, and the payload
 * length is returned; -1 when the message was forged, replayed,
 * reordered or truncated.
 */
size_t	sshl_seal(struct sshl_session *, int, const void *, size_t,
	    unsigned char *);
/*
 * The same, for a payload already placed at out + 2 (out[0] and out[1]
 * are for the stream's tag and the type): saves copying bulk data.
 */
size_t	sshl_seal_inplace(struct sshl_session *, int, unsigned char *,
	    size_t);
long	sshl_open(struct sshl_session *, const unsigned char *, size_t,
	    unsigned char *, int *);

/* Exec request codec.  encode returns a malloc'd buffer (len in *len);
 * decode fills *e with malloc'd strings (free with sshl_exec_free) and
 * returns 0, or -1 with a message in err for malformed input. */
unsigned char *sshl_exec_encode(const struct sshl_exec *, size_t *);
int	sshl_exec_decode(const unsigned char *, size_t, struct sshl_exec *,
	    char *);
void	sshl_exec_free(struct sshl_exec *);

#endif
