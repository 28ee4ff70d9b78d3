/*
 * Unit tests for the ssh-lite protocol module: the handshake between two
 * in-memory sides (and every way an attacker can alter it), the same
 * handshake driven by the event loop over a socketpair, sealed messages,
 * the exec request codec and key parsing/loading.  Proofs and session
 * keys are also recomputed here from docs/ssh-lite-protocol.md, so that
 * the document and the code cannot drift apart.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "clock.h"
#include "loop.h"
#include "sock.h"
#include "sshl-chan.h"
#include "sshl.h"

static const unsigned char key_a[SSHL_KEY_LEN] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f
};
static const unsigned char key_b[SSHL_KEY_LEN] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1e
};
/* -Wwrite-strings: the codec takes char *, and never writes through it. */
#define S(x)	((char *)(x))

#define KEY_A_HEX \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

/* Both sides of one handshake and every message that crossed the wire. */
struct pair {
	struct sshl_hs		ch, sh;
	struct sshl_session	cs, ss;
	unsigned char		hello[SSHL_HELLO_LEN];
	unsigned char		shello[SSHL_SHELLO_LEN];
	unsigned char		proof[SSHL_PROOF_LEN];
	unsigned char		shdr[SSHL_SHDR_LEN];
	char			err[SSHL_ERR_LEN];
};

/* Runs the whole handshake; ck_asserts that every step succeeds. */
static void
pair_handshake(struct pair *p, const unsigned char *ckey,
    const unsigned char *skey)
{
	memset(p, 0, sizeof(*p));
	sshl_hs_init(&p->ch, ckey, 0);
	sshl_hs_init(&p->sh, skey, 1);
	sshl_hs_client_hello(&p->ch, p->hello);
	ck_assert_int_eq(sshl_hs_server_hello(&p->sh, p->hello,
	    sizeof(p->hello), p->shello, p->err), 0);
	ck_assert_int_eq(sshl_hs_client_proof(&p->ch, p->shello,
	    sizeof(p->shello), &p->cs, p->proof, p->err), 0);
	ck_assert_int_eq(sshl_hs_server_accept(&p->sh, p->proof,
	    sizeof(p->proof), &p->ss, p->shdr, p->err), 0);
	ck_assert_int_eq(sshl_hs_client_finish(&p->ch, p->shdr,
	    sizeof(p->shdr), &p->cs, p->err), 0);
}

/* Seals one message on tx and checks that rx opens it unchanged. */
static int
pass_message(struct sshl_session *tx, struct sshl_session *rx, int type,
    const char *text)
{
	static unsigned char	sealed[SSHL_MSG_MAX + 1 + SSHL_ABYTES];
	static unsigned char	plain[SSHL_MSG_MAX + 1];
	size_t			len = strlen(text), n;
	long			got;
	int			t = -1;

	n = sshl_seal(tx, type, text, len, sealed);
	if (n != 1 + len + SSHL_ABYTES)
		return (0);
	got = sshl_open(rx, sealed, n, plain, &t);
	return (got == (long)len && t == type &&
	    memcmp(plain + 1, text, len) == 0);
}

/* HMAC-SHA256(kdf(psk, 1, "sklauth_"), label | 1 | Nc | Ns), per the doc. */
static void
doc_proof(const unsigned char *psk, char label, const unsigned char *nc,
    const unsigned char *ns, unsigned char *mac)
{
	crypto_auth_hmacsha256_state	st;
	unsigned char			ak[32], head[2] = { 0, 1 };

	head[0] = (unsigned char)label;
	crypto_kdf_derive_from_key(ak, sizeof(ak), 1, "sklauth_", psk);
	crypto_auth_hmacsha256_init(&st, ak, sizeof(ak));
	crypto_auth_hmacsha256_update(&st, head, 2);
	crypto_auth_hmacsha256_update(&st, nc, SSHL_NONCE_LEN);
	crypto_auth_hmacsha256_update(&st, ns, SSHL_NONCE_LEN);
	crypto_auth_hmacsha256_final(&st, mac);
}

/* generichash(key = kdf(psk, 2, "sklsess_"), dir | Nc | Ns), per the doc. */
static void
doc_sess_key(const unsigned char *psk, const char *dir,
    const unsigned char *nc, const unsigned char *ns, unsigned char *out)
{
	unsigned char	sk[32], in[3 + 2 * SSHL_NONCE_LEN];

	crypto_kdf_derive_from_key(sk, sizeof(sk), 2, "sklsess_", psk);
	memcpy(in, dir, 3);
	memcpy(in + 3, nc, SSHL_NONCE_LEN);
	memcpy(in + 3 + SSHL_NONCE_LEN, ns, SSHL_NONCE_LEN);
	crypto_generichash(out, 32, in, sizeof(in), sk, sizeof(sk));
}

/* ---- handshake ---- */

START_TEST(test_hs_ok)
{
	struct pair	p;

	pair_handshake(&p, key_a, key_a);
	ck_assert_mem_eq(p.cs.tx_key, p.ss.rx_key, 32);
	ck_assert_mem_eq(p.cs.rx_key, p.ss.tx_key, 32);
	ck_assert(memcmp(p.cs.tx_key, p.cs.rx_key, 32) != 0);
	ck_assert(pass_message(&p.cs, &p.ss, SSHL_EXEC, "c2s one"));
	ck_assert(pass_message(&p.ss, &p.cs, SSHL_STDOUT, "s2c one"));
	ck_assert(pass_message(&p.cs, &p.ss, SSHL_STDIN, ""));
	ck_assert(pass_message(&p.ss, &p.cs, SSHL_STDERR, "s2c two"));
	ck_assert(pass_message(&p.ss, &p.cs, SSHL_EXIT, "\x00\x07"));
}
END_TEST

START_TEST(test_hs_layout)
{
	struct pair	p;
	unsigned char	mac[SSHL_MAC_LEN], k[32];

	pair_handshake(&p, key_a, key_a);
	/* Hellos: "SKL", version 1, nonce; the server adds its proof. */
	ck_assert_mem_eq(p.hello, "SKL\x01", 4);
	ck_assert_mem_eq(p.shello, "SKL\x01", 4);
	ck_assert_int_eq(SSHL_HELLO_LEN, 36);
	ck_assert_int_eq(SSHL_SHELLO_LEN, 68);
	ck_assert_int_eq(SSHL_PROOF_LEN, 56);
	ck_assert_int_eq(SSHL_SHDR_LEN, 24);
	doc_proof(key_a, 'S', p.hello + 4, p.shello + 4, mac);
	ck_assert_mem_eq(mac, p.shello + 36, SSHL_MAC_LEN);
	doc_proof(key_a, 'C', p.hello + 4, p.shello + 4, mac);
	ck_assert_mem_eq(mac, p.proof, SSHL_MAC_LEN);
	doc_sess_key(key_a, "c2s", p.hello + 4, p.shello + 4, k);
	ck_assert_mem_eq(k, p.cs.tx_key, 32);
	doc_sess_key(key_a, "s2c", p.hello + 4, p.shello + 4, k);
	ck_assert_mem_eq(k, p.ss.tx_key, 32);
}
END_TEST

START_TEST(test_hs_fresh_nonces)
{
	struct pair	p1, p2;

	pair_handshake(&p1, key_a, key_a);
	pair_handshake(&p2, key_a, key_a);
	ck_assert(memcmp(p1.hello + 4, p2.hello + 4, SSHL_NONCE_LEN) != 0);
	ck_assert(memcmp(p1.shello + 4, p2.shello + 4, SSHL_NONCE_LEN) != 0);
	ck_assert(memcmp(p1.cs.tx_key, p2.cs.tx_key, 32) != 0);
}
END_TEST

/* The client refuses a server that does not know the key. */
START_TEST(test_hs_wrong_key_client)
{
	struct sshl_hs		ch, sh;
	struct sshl_session	cs;
	unsigned char		hello[SSHL_HELLO_LEN], shello[SSHL_SHELLO_LEN];
	unsigned char		proof[SSHL_PROOF_LEN];
	char			err[SSHL_ERR_LEN] = "";

	sshl_hs_init(&ch, key_a, 0);
	sshl_hs_init(&sh, key_b, 1);
	sshl_hs_client_hello(&ch, hello);
	ck_assert_int_eq(sshl_hs_server_hello(&sh, hello, sizeof(hello),
	    shello, err), 0);
	ck_assert_int_eq(sshl_hs_client_proof(&ch, shello, sizeof(shello),
	    &cs, proof, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "authentication failed"));
}
END_TEST

/* The server refuses a client proof made with another key. */
START_TEST(test_hs_wrong_key_server)
{
	struct sshl_hs		ch, sh;
	struct sshl_session	ss;
	unsigned char		hello[SSHL_HELLO_LEN], shello[SSHL_SHELLO_LEN];
	unsigned char		proof[SSHL_PROOF_LEN], shdr[SSHL_SHDR_LEN];
	char			err[SSHL_ERR_LEN] = "";

	sshl_hs_init(&ch, key_b, 0);
	sshl_hs_init(&sh, key_a, 1);
	sshl_hs_client_hello(&ch, hello);
	ck_assert_int_eq(sshl_hs_server_hello(&sh, hello, sizeof(hello),
	    shello, err), 0);
	/* A well-formed proof over the right nonces, with the wrong key. */
	doc_proof(key_b, 'C', hello + 4, shello + 4, proof);
	randombytes_buf(proof + SSHL_MAC_LEN, SSHL_HDR_LEN);
	ck_assert_int_eq(sshl_hs_server_accept(&sh, proof, sizeof(proof), &ss,
	    shdr, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "authentication failed"));
	/* The same forgery with the right key is accepted (the doc holds). */
	sshl_hs_init(&sh, key_a, 1);
	ck_assert_int_eq(sshl_hs_server_hello(&sh, hello, sizeof(hello),
	    shello, err), 0);
	doc_proof(key_a, 'C', hello + 4, shello + 4, proof);
	ck_assert_int_eq(sshl_hs_server_accept(&sh, proof, sizeof(proof), &ss,
	    shdr, err), 0);
}
END_TEST

/* The server's own proof sent back as the client's does not pass. */
START_TEST(test_hs_reflect)
{
	struct pair	p;
	unsigned char	proof[SSHL_PROOF_LEN];
	struct sshl_hs	sh;
	struct sshl_session ss;

	pair_handshake(&p, key_a, key_a);
	sshl_hs_init(&sh, key_a, 1);
	ck_assert_int_eq(sshl_hs_server_hello(&sh, p.hello, sizeof(p.hello),
	    p.shello, p.err), 0);
	memcpy(proof, p.shello + 4 + SSHL_NONCE_LEN, SSHL_MAC_LEN);
	memcpy(proof + SSHL_MAC_LEN, p.proof + SSHL_MAC_LEN, SSHL_HDR_LEN);
	ck_assert_int_eq(sshl_hs_server_accept(&sh, proof, sizeof(proof), &ss,
	    p.shdr, p.err), -1);
}
END_TEST

/* A recorded client hello and proof replayed to a new server handshake. */
START_TEST(test_hs_replay)
{
	struct pair		p;
	struct sshl_hs		sh;
	struct sshl_session	ss;
	unsigned char		shello[SSHL_SHELLO_LEN], shdr[SSHL_SHDR_LEN];
	char			err[SSHL_ERR_LEN] = "";

	pair_handshake(&p, key_a, key_a);
	sshl_hs_init(&sh, key_a, 1);
	ck_assert_int_eq(sshl_hs_server_hello(&sh, p.hello, sizeof(p.hello),
	    shello, err), 0);
	ck_assert(memcmp(shello + 4, p.shello + 4, SSHL_NONCE_LEN) != 0);
	ck_assert_int_eq(sshl_hs_server_accept(&sh, p.proof, sizeof(p.proof),
	    &ss, shdr, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "authentication failed"));
}
END_TEST

/* A recorded server hello replayed to a new client handshake. */
START_TEST(test_hs_replay_server)
{
	struct pair		p;
	struct sshl_hs		ch;
	struct sshl_session	cs;
	unsigned char		hello[SSHL_HELLO_LEN], proof[SSHL_PROOF_LEN];
	char			err[SSHL_ERR_LEN] = "";

	pair_handshake(&p, key_a, key_a);
	sshl_hs_init(&ch, key_a, 0);
	sshl_hs_client_hello(&ch, hello);
	ck_assert_int_eq(sshl_hs_client_proof(&ch, p.shello,
	    sizeof(p.shello), &cs, proof, err), -1);
}
END_TEST

/*
 * Flips one bit of one handshake message in transit (_i walks stage and
 * byte); the handshake, or the first message after it, must fail.
 */
#define FLIP_BYTES	(SSHL_HELLO_LEN + SSHL_SHELLO_LEN + SSHL_PROOF_LEN + \
	    SSHL_SHDR_LEN)

START_TEST(test_hs_bitflip)
{
	struct sshl_hs		ch, sh;
	struct sshl_session	cs, ss;
	unsigned char		hello[SSHL_HELLO_LEN], shello[SSHL_SHELLO_LEN];
	unsigned char		proof[SSHL_PROOF_LEN], shdr[SSHL_SHDR_LEN];
	char			err[SSHL_ERR_LEN];
	int			i = _i / 8, bit = 1 << (_i % 8);

	sshl_hs_init(&ch, key_a, 0);
	sshl_hs_init(&sh, key_a, 1);
	sshl_hs_client_hello(&ch, hello);
	if (i < (int)SSHL_HELLO_LEN)
		hello[i] ^= bit;
	i -= SSHL_HELLO_LEN;
	if (sshl_hs_server_hello(&sh, hello, sizeof(hello), shello, err) == -1)
		return;
	if (i >= 0 && i < (int)SSHL_SHELLO_LEN)
		shello[i] ^= bit;
	i -= SSHL_SHELLO_LEN;
	if (sshl_hs_client_proof(&ch, shello, sizeof(shello), &cs, proof,
	    err) == -1)
		return;
	if (i >= 0 && i < (int)SSHL_PROOF_LEN)
		proof[i] ^= bit;
	i -= SSHL_PROOF_LEN;
	if (sshl_hs_server_accept(&sh, proof, sizeof(proof), &ss, shdr,
	    err) == -1)
		return;
	if (i >= 0)
		shdr[i] ^= bit;
	if (sshl_hs_client_finish(&ch, shdr, sizeof(shdr), &cs, err) == -1)
		return;
	/* Only the stream headers get this far: a stream then breaks. */
	ck_assert(_i / 8 >= (int)(SSHL_HELLO_LEN + SSHL_SHELLO_LEN +
	    SSHL_MAC_LEN));
	ck_assert(!pass_message(&cs, &ss, SSHL_EXEC, "x") ||
	    !pass_message(&ss, &cs, SSHL_STDOUT, "y"));
}
END_TEST

/* Each handshake message one byte short or long is malformed. */
START_TEST(test_hs_truncated)
{
	struct pair	p;
	struct sshl_hs	hs;
	struct sshl_session s;
	unsigned char	out[SSHL_PROOF_LEN + SSHL_SHELLO_LEN];
	unsigned char	big[SSHL_SHELLO_LEN + 1];
	char		err[SSHL_ERR_LEN];
	size_t		d;

	pair_handshake(&p, key_a, key_a);
	for (d = 0; d < 2; d++) {
		memset(big, 0, sizeof(big));
		memcpy(big, p.hello, sizeof(p.hello));
		sshl_hs_init(&hs, key_a, 1);
		ck_assert_int_eq(sshl_hs_server_hello(&hs, big,
		    SSHL_HELLO_LEN - 1 + 2 * d, out, err), -1);
		memcpy(big, p.shello, sizeof(p.shello));
		sshl_hs_init(&hs, key_a, 0);
		memcpy(hs.nc, p.hello + 4, SSHL_NONCE_LEN);
		ck_assert_int_eq(sshl_hs_client_proof(&hs, big,
		    SSHL_SHELLO_LEN - 1 + 2 * d, &s, out, err), -1);
		memcpy(big, p.proof, sizeof(p.proof));
		sshl_hs_init(&hs, key_a, 1);
		memcpy(hs.nc, p.hello + 4, SSHL_NONCE_LEN);
		memcpy(hs.ns, p.shello + 4, SSHL_NONCE_LEN);
		ck_assert_int_eq(sshl_hs_server_accept(&hs, big,
		    SSHL_PROOF_LEN - 1 + 2 * d, &s, out, err), -1);
		memcpy(big, p.shdr, sizeof(p.shdr));
		ck_assert_int_eq(sshl_hs_client_finish(&p.ch, big,
		    SSHL_SHDR_LEN - 1 + 2 * d, &p.cs, err), -1);
	}
	/* Empty and magic-only messages too. */
	sshl_hs_init(&hs, key_a, 1);
	ck_assert_int_eq(sshl_hs_server_hello(&hs, p.hello, 0, out, err), -1);
	ck_assert_int_eq(sshl_hs_server_hello(&hs, p.hello, 4, out, err), -1);
	ck_assert_int_eq(sshl_hs_server_accept(&hs, p.proof, 0, &s, out, err),
	    -1);
}
END_TEST

START_TEST(test_hs_magic_version)
{
	struct sshl_hs	hs;
	struct sshl_session s;
	unsigned char	hello[SSHL_HELLO_LEN], out[SSHL_SHELLO_LEN];
	unsigned char	proof[SSHL_PROOF_LEN];
	char		err[SSHL_ERR_LEN];

	sshl_hs_init(&hs, key_a, 0);
	sshl_hs_client_hello(&hs, hello);
	sshl_hs_init(&hs, key_a, 1);
	hello[0] = 'X';
	err[0] = '\0';
	ck_assert_int_eq(sshl_hs_server_hello(&hs, hello, sizeof(hello), out,
	    err), -1);
	ck_assert_str_eq(err, "not an ssh-lite peer");
	memcpy(hello, "GET ", 4);
	ck_assert_int_eq(sshl_hs_server_hello(&hs, hello, sizeof(hello), out,
	    err), -1);
	memcpy(hello, "SKL\x02", 4);
	err[0] = '\0';
	ck_assert_int_eq(sshl_hs_server_hello(&hs, hello, sizeof(hello), out,
	    err), -1);
	ck_assert_str_eq(err, "unsupported ssh-lite protocol version");
	memcpy(hello, "SKL\x00", 4);
	ck_assert_int_eq(sshl_hs_server_hello(&hs, hello, sizeof(hello), out,
	    err), -1);
	/* The client checks the server hello the same way. */
	memcpy(hello, "SKL\x01", 4);
	ck_assert_int_eq(sshl_hs_server_hello(&hs, hello, sizeof(hello), out,
	    err), 0);
	out[3] = 2;
	sshl_hs_init(&hs, key_a, 0);
	err[0] = '\0';
	ck_assert_int_eq(sshl_hs_client_proof(&hs, out, sizeof(out), &s, proof,
	    err), -1);
	ck_assert_str_eq(err, "unsupported ssh-lite protocol version");
	out[3] = 1;
	out[2] = 'M';
	ck_assert_int_eq(sshl_hs_client_proof(&hs, out, sizeof(out), &s, proof,
	    err), -1);
	ck_assert_str_eq(err, "not an ssh-lite peer");
}
END_TEST

/* ---- seal ---- */

static struct pair	sp;

static void
seal_setup(void)
{
	pair_handshake(&sp, key_a, key_a);
}

START_TEST(test_seal_layout)
{
	unsigned char	c[64], m[64], tag;
	unsigned long long mlen;
	crypto_secretstream_xchacha20poly1305_state st;
	size_t		n;
	int		type;

	/* STDOUT: type byte + payload, TAG_MESSAGE. */
	n = sshl_seal(&sp.ss, SSHL_STDOUT, "hi", 2, c);
	ck_assert_uint_eq(n, 1 + 2 + SSHL_ABYTES);
	st = sp.cs.rx;
	ck_assert_int_eq(crypto_secretstream_xchacha20poly1305_pull(&st, m,
	    &mlen, &tag, c, n, NULL, 0), 0);
	ck_assert_uint_eq(mlen, 3);
	ck_assert_mem_eq(m, "\x05hi", 3);
	ck_assert_uint_eq(tag,
	    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
	ck_assert_int_eq(sshl_open(&sp.cs, c, n, m, &type), 2);
	ck_assert_int_eq(type, SSHL_STDOUT);
	/* EXIT: TAG_FINAL. */
	n = sshl_seal(&sp.ss, SSHL_EXIT, "\x01\x0f", 2, c);
	st = sp.cs.rx;
	ck_assert_int_eq(crypto_secretstream_xchacha20poly1305_pull(&st, m,
	    &mlen, &tag, c, n, NULL, 0), 0);
	ck_assert_mem_eq(m, "\x07\x01\x0f", 3);
	ck_assert_uint_eq(tag, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
	ck_assert_int_eq(sshl_open(&sp.cs, c, n, m, &type), 2);
	ck_assert_int_eq(type, SSHL_EXIT);
	/* ERROR: TAG_FINAL too. */
	n = sshl_seal(&sp.cs, SSHL_ERROR, "no", 2, c);
	st = sp.ss.rx;
	ck_assert_int_eq(crypto_secretstream_xchacha20poly1305_pull(&st, m,
	    &mlen, &tag, c, n, NULL, 0), 0);
	ck_assert_uint_eq(tag, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
}
END_TEST

START_TEST(test_seal_big)
{
	static unsigned char	p[SSHL_MSG_MAX], c[SSHL_MSG_MAX + 1 +
	    SSHL_ABYTES], m[SSHL_MSG_MAX + 1];
	size_t			n;
	int			type;

	randombytes_buf(p, sizeof(p));
	n = sshl_seal(&sp.cs, SSHL_STDIN, p, sizeof(p), c);
	ck_assert_uint_eq(n, sizeof(c));
	ck_assert_int_eq(sshl_open(&sp.ss, c, n, m, &type), SSHL_MSG_MAX);
	ck_assert_int_eq(type, SSHL_STDIN);
	ck_assert_mem_eq(m + 1, p, sizeof(p));
	/* Longer than the protocol allows: refused before decrypting. */
	ck_assert_int_eq(sshl_open(&sp.ss, c, SSHL_MSG_MAX + 2 + SSHL_ABYTES,
	    m, &type), -1);
}
END_TEST

/* Sealing in place gives the same bytes as sealing a copy. */
START_TEST(test_seal_inplace)
{
	unsigned char		a[64], b[64], m[64];
	struct sshl_session	twin = sp.ss;
	size_t			na, nb;
	int			type;

	na = sshl_seal(&sp.ss, SSHL_STDOUT, "in place", 8, a);
	memcpy(b + 2, "in place", 8);
	nb = sshl_seal_inplace(&twin, SSHL_STDOUT, b, 8);
	ck_assert_uint_eq(na, 1 + 8 + SSHL_ABYTES);
	ck_assert_uint_eq(nb, na);
	ck_assert_mem_eq(a, b, na);
	ck_assert_int_eq(sshl_open(&sp.cs, b, nb, m, &type), 8);
	ck_assert_int_eq(type, SSHL_STDOUT);
	ck_assert_mem_eq(m + 1, "in place", 8);
}
END_TEST

/* A read straight into the channel becomes one framed, sealed message. */
START_TEST(test_chan_send_read)
{
	struct sshl_chan	ch;
	unsigned char		m[64], *h;
	size_t			len;
	int			pfd[2], type;

	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(write(pfd[1], "streamed", 8), 8);
	ck_assert_int_eq(close(pfd[1]), 0);
	ck_assert_int_eq(sshl_chan_init(&ch, -1), 0);
	/* As the handshake leaves it (sshl_chan_seal). */
	ch.sess = sp.ss;
	ch.sealed = 1;
	ch.spec.max_len = SSHL_MSG_MAX + 1 + SSHL_ABYTES;
	ck_assert_int_eq(sshl_chan_send_read(&ch, SSHL_STDERR, pfd[0], 1024),
	    8);
	h = BUF_HEAD(&ch.outb);
	len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 |
	    h[3];
	ck_assert_uint_eq(len, 1 + 8 + SSHL_ABYTES);
	ck_assert_uint_eq(ch.outb.len, 4 + len);
	ck_assert_int_eq(sshl_open(&sp.cs, h + 4, len, m, &type), 8);
	ck_assert_int_eq(type, SSHL_STDERR);
	ck_assert_mem_eq(m + 1, "streamed", 8);
	/* End of input queues nothing. */
	ck_assert_int_eq(sshl_chan_send_read(&ch, SSHL_STDERR, pfd[0], 1024),
	    0);
	ck_assert_uint_eq(ch.outb.len, 4 + len);
	sshl_chan_free(&ch);
	(void)close(pfd[0]);
}
END_TEST

START_TEST(test_seal_bitflip)
{
	unsigned char	c[64], m[64], x[64];
	size_t		n, i;
	int		type;

	n = sshl_seal(&sp.cs, SSHL_STDIN, "payload", 7, c);
	for (i = 0; i < n * 8; i++) {
		memcpy(x, c, n);
		x[i / 8] ^= (unsigned char)(1 << (i % 8));
		ck_assert_int_eq(sshl_open(&sp.ss, x, n, m, &type), -1);
	}
	/* Failed opens leave the stream usable: the original still opens. */
	ck_assert_int_eq(sshl_open(&sp.ss, c, n, m, &type), 7);
}
END_TEST

START_TEST(test_seal_truncated)
{
	unsigned char	c[64], m[64];
	size_t		n, i;
	int		type;

	n = sshl_seal(&sp.cs, SSHL_STDIN, "payload", 7, c);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(sshl_open(&sp.ss, c, i, m, &type), -1);
	c[n] = 0;
	ck_assert_int_eq(sshl_open(&sp.ss, c, n + 1, m, &type), -1);
	ck_assert_int_eq(sshl_open(&sp.ss, c, n, m, &type), 7);
}
END_TEST

START_TEST(test_seal_replay)
{
	unsigned char	c1[64], m[64];
	size_t		n1;
	int		type;

	n1 = sshl_seal(&sp.cs, SSHL_STDIN, "one", 3, c1);
	ck_assert_int_eq(sshl_open(&sp.ss, c1, n1, m, &type), 3);
	ck_assert_int_eq(sshl_open(&sp.ss, c1, n1, m, &type), -1);
}
END_TEST

START_TEST(test_seal_reorder)
{
	unsigned char	c1[64], c2[64], m[64];
	size_t		n1, n2;
	int		type;

	n1 = sshl_seal(&sp.cs, SSHL_STDIN, "one", 3, c1);
	n2 = sshl_seal(&sp.cs, SSHL_STDIN, "two!", 4, c2);
	ck_assert_int_eq(sshl_open(&sp.ss, c2, n2, m, &type), -1);
	ck_assert_int_eq(sshl_open(&sp.ss, c1, n1, m, &type), 3);
	ck_assert_int_eq(sshl_open(&sp.ss, c2, n2, m, &type), 4);
	ck_assert_mem_eq(m + 1, "two!", 4);
}
END_TEST

/* Messages of one session or direction do not open in another. */
START_TEST(test_seal_cross)
{
	struct pair	other;
	unsigned char	c[64], m[64];
	size_t		n;
	int		type;

	pair_handshake(&other, key_a, key_a);
	n = sshl_seal(&sp.cs, SSHL_STDIN, "one", 3, c);
	ck_assert_int_eq(sshl_open(&other.ss, c, n, m, &type), -1);
	/* Reflected back to the sender's own receiving stream. */
	ck_assert_int_eq(sshl_open(&sp.cs, c, n, m, &type), -1);
	ck_assert_int_eq(sshl_open(&sp.ss, c, n, m, &type), 3);
}
END_TEST

/* ---- codec ---- */

static unsigned char *
encode_sample(size_t *len, int with_cwd)
{
	static char	*argv[] = { S("printf"), S("%s\\n"), S("two words"),
	    S(""), NULL };
	static char	*env[] = { S("A=1"), S("EMPTY="), S("X=y=z"), NULL };
	struct sshl_exec e;

	memset(&e, 0, sizeof(e));
	e.argv = argv;
	e.env = env;
	e.cwd = with_cwd ? S("/tmp/some dir") : NULL;
	e.timeout_ms = 123456;
	e.shell = 1;
	return (sshl_exec_encode(&e, len));
}

START_TEST(test_codec_roundtrip)
{
	struct sshl_exec e;
	unsigned char	*b;
	size_t		 len;
	char		 err[SSHL_ERR_LEN];

	b = encode_sample(&len, 1);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(sshl_exec_decode(b, len, &e, err), 0);
	ck_assert_str_eq(e.argv[0], "printf");
	ck_assert_str_eq(e.argv[1], "%s\\n");
	ck_assert_str_eq(e.argv[2], "two words");
	ck_assert_str_eq(e.argv[3], "");
	ck_assert_ptr_null(e.argv[4]);
	ck_assert_str_eq(e.env[0], "A=1");
	ck_assert_str_eq(e.env[1], "EMPTY=");
	ck_assert_str_eq(e.env[2], "X=y=z");
	ck_assert_ptr_null(e.env[3]);
	ck_assert_str_eq(e.cwd, "/tmp/some dir");
	ck_assert_uint_eq(e.timeout_ms, 123456);
	ck_assert_int_eq(e.shell, 1);
	sshl_exec_free(&e);
	free(b);
}
END_TEST

/* The minimal request, byte by byte as the doc describes it. */
START_TEST(test_codec_bytes)
{
	static char	*argv[] = { S("ls"), NULL };
	static const unsigned char want[] = {
		0x00, 0x00, 0x00, 0x00, 0x00,	/* flags, timeout */
		0x00, 0x00, 0x00, 0x01,		/* argc */
		0x00, 0x00, 0x00, 0x02, 'l', 's',
		0x00, 0x00, 0x00, 0x00		/* envc */
	};
	static const unsigned char want_cwd[] = {
		0x03, 0x00, 0x00, 0x03, 0xe8,	/* shell|cwd, 1000 ms */
		0x00, 0x00, 0x00, 0x01,
		0x00, 0x00, 0x00, 0x02, 'l', 's',
		0x00, 0x00, 0x00, 0x01,
		0x00, 0x00, 0x00, 0x03, 'K', '=', 'V',
		0x00, 0x00, 0x00, 0x01, '/'
	};
	static char	*env[] = { S("K=V"), NULL };
	struct sshl_exec e;
	unsigned char	*b;
	size_t		 len;
	char		 err[SSHL_ERR_LEN];

	memset(&e, 0, sizeof(e));
	e.argv = argv;
	b = sshl_exec_encode(&e, &len);
	ck_assert_uint_eq(len, sizeof(want));
	ck_assert_mem_eq(b, want, sizeof(want));
	free(b);
	ck_assert_int_eq(sshl_exec_decode(want, sizeof(want), &e, err), 0);
	ck_assert_str_eq(e.argv[0], "ls");
	ck_assert_ptr_nonnull(e.env);
	ck_assert_ptr_null(e.env[0]);
	ck_assert_ptr_null(e.cwd);
	ck_assert_int_eq(e.shell, 0);
	ck_assert_uint_eq(e.timeout_ms, 0);
	sshl_exec_free(&e);

	e.argv = argv;
	e.env = env;
	e.cwd = S("/");
	e.shell = 1;
	e.timeout_ms = 1000;
	b = sshl_exec_encode(&e, &len);
	ck_assert_uint_eq(len, sizeof(want_cwd));
	ck_assert_mem_eq(b, want_cwd, sizeof(want_cwd));
	free(b);
}
END_TEST

/* Every proper prefix of a valid request is refused. */
START_TEST(test_codec_truncated)
{
	struct sshl_exec e;
	unsigned char	*b;
	size_t		 len, i;
	char		 err[SSHL_ERR_LEN];
	int		 cwd;

	for (cwd = 0; cwd < 2; cwd++) {
		b = encode_sample(&len, cwd);
		for (i = 0; i < len; i++) {
			err[0] = '\0';
			ck_assert_msg(sshl_exec_decode(b, i, &e, err) == -1,
			    "prefix of %zu bytes accepted", i);
			ck_assert(err[0] != '\0');
			ck_assert_ptr_null(e.argv);
		}
		free(b);
	}
}
END_TEST

START_TEST(test_codec_trailing)
{
	struct sshl_exec e;
	unsigned char	*b, *t;
	size_t		 len;
	char		 err[SSHL_ERR_LEN];
	int		 cwd;

	for (cwd = 0; cwd < 2; cwd++) {
		b = encode_sample(&len, cwd);
		t = malloc(len + 1);
		memcpy(t, b, len);
		t[len] = 0;
		ck_assert_int_eq(sshl_exec_decode(t, len + 1, &e, err), -1);
		ck_assert_str_eq(err, "malformed exec request");
		free(t);
		free(b);
	}
}
END_TEST

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

START_TEST(test_codec_huge_argc)
{
	static const uint32_t	counts[] = { 0xffffffffu, 0x40000000u,
	    0x10000u, 4097, 3, 0 };
	unsigned char		b[64];
	struct sshl_exec	e;
	size_t			i;
	char			err[SSHL_ERR_LEN];

	/* Only 2 strings follow, whatever argc says; argc 0 is no command. */
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		memset(b, 0, sizeof(b));
		put32(b + 5, counts[i]);
		put32(b + 9, 1);
		b[13] = 'a';
		put32(b + 14, 1);
		b[18] = 'b';
		/* envc = 0 at b + 19 */
		ck_assert_int_eq(sshl_exec_decode(b, 23, &e, err), -1);
	}
	/* The same bytes with argc 2 decode. */
	put32(b + 5, 2);
	ck_assert_int_eq(sshl_exec_decode(b, 23, &e, err), 0);
	ck_assert_str_eq(e.argv[1], "b");
	sshl_exec_free(&e);
	/* A huge envc is refused as well. */
	put32(b + 19, 0xffffffffu);
	ck_assert_int_eq(sshl_exec_decode(b, 23, &e, err), -1);
}
END_TEST

/* 4096 entries are allowed, 4097 are not, even with the bytes present. */
START_TEST(test_codec_list_max)
{
	static unsigned char	b[5 + 4 + 4097 * 4 + 4];
	struct sshl_exec	e;
	char			err[SSHL_ERR_LEN];

	memset(b, 0, sizeof(b));
	put32(b + 5, 4096);
	ck_assert_int_eq(sshl_exec_decode(b, 5 + 4 + 4096 * 4 + 4, &e, err),
	    0);
	ck_assert_ptr_nonnull(e.argv[4095]);
	ck_assert_ptr_null(e.argv[4096]);
	sshl_exec_free(&e);
	put32(b + 5, 4097);
	ck_assert_int_eq(sshl_exec_decode(b, sizeof(b), &e, err), -1);
}
END_TEST

START_TEST(test_codec_nul)
{
	static char	*argv[] = { S("echo"), S("abc"), NULL };
	static char	*env[] = { S("K=V"), NULL };
	struct sshl_exec e, d;
	unsigned char	*b;
	size_t		 len, i;
	char		 err[SSHL_ERR_LEN];

	memset(&e, 0, sizeof(e));
	e.argv = argv;
	e.env = env;
	e.cwd = S("/d");
	b = sshl_exec_encode(&e, &len);
	/* Each string byte in turn becomes NUL: argv, env and cwd. */
	for (i = 0; i < len; i++) {
		unsigned char	 save = b[i];
		const char	*all = "echoabcK=V/d";

		if (strchr(all, save) == NULL || save == '\0' || i < 13)
			continue;
		b[i] = '\0';
		ck_assert_msg(sshl_exec_decode(b, len, &e, err) == -1,
		    "NUL at %zu accepted", i);
		b[i] = save;
	}
	ck_assert_int_eq(sshl_exec_decode(b, len, &d, err), 0);
	sshl_exec_free(&d);
	free(b);
}
END_TEST

START_TEST(test_codec_flags)
{
	struct sshl_exec e;
	unsigned char	*b;
	size_t		 len;
	char		 err[SSHL_ERR_LEN];
	unsigned	 f;

	b = encode_sample(&len, 0);
	for (f = 4; f < 256; f++) {
		b[0] = (unsigned char)(f | 1);
		ck_assert_msg(sshl_exec_decode(b, len, &e, err) == -1,
		    "flags %#x accepted", f | 1);
	}
	/* Claiming a cwd that is not there: truncated. */
	b[0] = 3;
	ck_assert_int_eq(sshl_exec_decode(b, len, &e, err), -1);
	b[0] = 0;
	ck_assert_int_eq(sshl_exec_decode(b, len, &e, err), 0);
	ck_assert_int_eq(e.shell, 0);
	sshl_exec_free(&e);
	free(b);
}
END_TEST

START_TEST(test_codec_string_len)
{
	static char	*argv[] = { S("abc"), NULL };
	struct sshl_exec e;
	unsigned char	*b;
	size_t		 len;
	char		 err[SSHL_ERR_LEN];

	memset(&e, 0, sizeof(e));
	e.argv = argv;
	b = sshl_exec_encode(&e, &len);
	/* The string length points past the end. */
	put32(b + 9, 0xffffffffu);
	ck_assert_int_eq(sshl_exec_decode(b, len, &e, err), -1);
	put32(b + 9, 8);
	ck_assert_int_eq(sshl_exec_decode(b, len, &e, err), -1);
	free(b);
}
END_TEST

/* ---- keys ---- */

START_TEST(test_key_parse)
{
	unsigned char	k[SSHL_KEY_LEN];
	char		err[SSHL_ERR_LEN], buf[160];

	ck_assert_int_eq(sshl_key_parse(KEY_A_HEX, k, err), 0);
	ck_assert_mem_eq(k, key_a, SSHL_KEY_LEN);
	memset(k, 0, sizeof(k));
	ck_assert_int_eq(sshl_key_parse(" \t\n" KEY_A_HEX "\r\n \n", k, err),
	    0);
	ck_assert_mem_eq(k, key_a, SSHL_KEY_LEN);
	ck_assert_int_eq(sshl_key_parse(
	    "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
	    k, err), 0);
	ck_assert_mem_eq(k, key_a, SSHL_KEY_LEN);
	/* 63 and 65 digits. */
	snprintf(buf, sizeof(buf), "%.63s", KEY_A_HEX);
	ck_assert_int_eq(sshl_key_parse(buf, k, err), -1);
	snprintf(buf, sizeof(buf), "%s0", KEY_A_HEX);
	ck_assert_int_eq(sshl_key_parse(buf, k, err), -1);
	snprintf(buf, sizeof(buf), "%s00", KEY_A_HEX);
	ck_assert_int_eq(sshl_key_parse(buf, k, err), -1);
	/* Non-hex digits, inner blanks, a second word, nothing. */
	snprintf(buf, sizeof(buf), "%.63sg", KEY_A_HEX);
	ck_assert_int_eq(sshl_key_parse(buf, k, err), -1);
	snprintf(buf, sizeof(buf), "x%.63s", KEY_A_HEX);
	ck_assert_int_eq(sshl_key_parse(buf, k, err), -1);
	snprintf(buf, sizeof(buf), "%.32s %.32s", KEY_A_HEX, KEY_A_HEX + 32);
	ck_assert_int_eq(sshl_key_parse(buf, k, err), -1);
	snprintf(buf, sizeof(buf), "%s extra", KEY_A_HEX);
	ck_assert_int_eq(sshl_key_parse(buf, k, err), -1);
	snprintf(buf, sizeof(buf), "0x%.62s", KEY_A_HEX);
	ck_assert_int_eq(sshl_key_parse(buf, k, err), -1);
	ck_assert_int_eq(sshl_key_parse("", k, err), -1);
	ck_assert_int_eq(sshl_key_parse(" \n", k, err), -1);
}
END_TEST

static char	key_dir[64];
static char	key_path[96];

static void
key_setup(void)
{
	int	fd;

	snprintf(key_dir, sizeof(key_dir), "/tmp/check_sshl.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(key_dir));
	snprintf(key_path, sizeof(key_path), "%s/key.XXXXXX", key_dir);
	ck_assert_int_ne(fd = mkstemp(key_path), -1);
	ck_assert_int_eq(write(fd, KEY_A_HEX "\n", 65), 65);
	ck_assert_int_eq(close(fd), 0);
}

static void
key_teardown(void)
{
	(void)unlink(key_path);
	(void)rmdir(key_dir);
}

START_TEST(test_key_load)
{
	unsigned char	k[SSHL_KEY_LEN];
	char		err[SSHL_ERR_LEN], missing[128];

	ck_assert_int_eq(chmod(key_path, 0644), 0);
	err[0] = '\0';
	ck_assert_int_eq(sshl_key_load(key_path, k, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "group or others"));
	ck_assert_ptr_nonnull(strstr(err, "0644"));
	ck_assert_int_eq(chmod(key_path, 0640), 0);
	ck_assert_int_eq(sshl_key_load(key_path, k, err), -1);
	ck_assert_int_eq(chmod(key_path, 0604), 0);
	ck_assert_int_eq(sshl_key_load(key_path, k, err), -1);
	ck_assert_int_eq(chmod(key_path, 0600), 0);
	memset(k, 0, sizeof(k));
	ck_assert_int_eq(sshl_key_load(key_path, k, err), 0);
	ck_assert_mem_eq(k, key_a, SSHL_KEY_LEN);
	ck_assert_int_eq(chmod(key_path, 0400), 0);
	ck_assert_int_eq(sshl_key_load(key_path, k, err), 0);
	snprintf(missing, sizeof(missing), "%s/none", key_dir);
	err[0] = '\0';
	ck_assert_int_eq(sshl_key_load(missing, k, err), -1);
	ck_assert_ptr_nonnull(strstr(err, missing));
}
END_TEST

START_TEST(test_key_load_bad)
{
	unsigned char	k[SSHL_KEY_LEN];
	char		err[SSHL_ERR_LEN];
	FILE		*f;

	ck_assert_ptr_nonnull(f = fopen(key_path, "w"));
	fputs("not a key\n", f);
	fclose(f);
	ck_assert_int_eq(chmod(key_path, 0600), 0);
	ck_assert_int_eq(sshl_key_load(key_path, k, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "64 hex"));
}
END_TEST

/*
 * The handshake drivers of sshl-chan.c, both sides on one event loop
 * over a socketpair.
 */
struct hs_side {
	struct sshl_chan	chan;
	struct sshl_handshake	hs;
	int			rc;		/* 2 until done is called */
	char			err[SSHL_ERR_LEN];
};

static void
hs_done(struct sshl_handshake *h, int rc, void *arg)
{
	struct hs_side	*side = arg;

	side->rc = rc;
	snprintf(side->err, sizeof(side->err), "%s", rc == -1 ? h->err : "");
	/* The handshake gave the fd back. */
	ck_assert_int_eq(loop_get_mask(h->loop, h->chan->fd), 0);
	ck_assert(!loop_timer_armed(&h->timer));
}

/*
 * Runs a client with ckey (none with no_client) against a server with
 * skey, at most 20 loop rounds.
 */
static void
hs_run(struct hs_side *c, struct hs_side *sv, const unsigned char *ckey,
    const unsigned char *skey, int timeout_ms, int no_client)
{
	struct loop	*l;
	int		 fds[2], i;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	ck_assert_int_eq(sock_set_nonblock(fds[0], 1), 0);
	ck_assert_int_eq(sock_set_nonblock(fds[1], 1), 0);
	ck_assert_ptr_nonnull(l = loop_new());
	memset(c, 0, sizeof(*c));
	memset(sv, 0, sizeof(*sv));
	c->rc = sv->rc = 2;
	ck_assert_int_eq(sshl_chan_init(&c->chan, fds[0]), 0);
	ck_assert_int_eq(sshl_chan_init(&sv->chan, fds[1]), 0);
	if (!no_client)
		ck_assert_int_eq(sshl_handshake_start(&c->hs, l, &c->chan,
		    ckey, 0, timeout_ms, hs_done, c), 0);
	ck_assert_int_eq(sshl_handshake_start(&sv->hs, l, &sv->chan, skey, 1,
	    timeout_ms, hs_done, sv), 0);
	for (i = 0; i < 20 && (sv->rc == 2 || (!no_client && c->rc == 2));
	    i++) {
		ck_assert_int_ge(loop_process(l, timeout_ms + 1000), 0);
		/* A client that failed hangs up, as sshl-client.c does. */
		if (c->rc == -1 && c->chan.fd != -1) {
			ck_assert_int_eq(close(c->chan.fd), 0);
			c->chan.fd = -1;
		}
	}
	ck_assert_int_ne(sv->rc, 2);
	if (c->chan.fd != -1)
		(void)close(c->chan.fd);
	(void)close(sv->chan.fd);
	loop_free(l);
}

static void
hs_free(struct hs_side *c, struct hs_side *sv)
{
	sshl_chan_free(&c->chan);
	sshl_chan_free(&sv->chan);
}

START_TEST(test_drive_ok)
{
	struct hs_side	c, sv;
	unsigned char	m[64];
	int		type;
	size_t		n;

	hs_run(&c, &sv, key_a, key_a, 5000, 0);
	ck_assert_int_eq(c.rc, 0);
	ck_assert_int_eq(sv.rc, 0);
	ck_assert(c.chan.sealed && sv.chan.sealed);
	/* The sessions match: a sealed message crosses. */
	ck_assert_int_eq(sshl_chan_send(&c.chan, SSHL_STDIN, "hi", 2), 0);
	n = c.chan.outb.len;
	ck_assert_int_eq(sshl_open(&sv.chan.sess, BUF_HEAD(&c.chan.outb) + 4,
	    n - 4, m, &type), 2);
	ck_assert_int_eq(type, SSHL_STDIN);
	ck_assert_mem_eq(m + 1, "hi", 2);
	hs_free(&c, &sv);
}
END_TEST

START_TEST(test_drive_wrong_key)
{
	struct hs_side	c, sv;

	hs_run(&c, &sv, key_b, key_a, 5000, 0);
	ck_assert_int_eq(c.rc, -1);
	ck_assert_ptr_nonnull(strstr(c.err, "wrong key"));
	ck_assert_int_eq(sv.rc, -1);
	ck_assert_str_eq(sv.err,
	    "authentication failed: client gave no proof (wrong key?)");
	ck_assert(!sv.chan.sealed);
	hs_free(&c, &sv);
}
END_TEST

/* A silent peer: the server's deadline ends it, on time. */
START_TEST(test_drive_timeout)
{
	struct hs_side	c, sv;
	long long	t0 = clock_ms(), took;

	hs_run(&c, &sv, key_a, key_a, 100, 1);
	took = clock_ms() - t0;
	ck_assert_int_eq(sv.rc, -1);
	ck_assert_str_eq(sv.err, "handshake timed out");
	ck_assert_int_ge(took, 90);
	ck_assert_int_lt(took, 2000);
	hs_free(&c, &sv);
}
END_TEST

/* Garbage instead of a hello: refused at the frame header. */
START_TEST(test_drive_garbage)
{
	struct hs_side	c, sv;
	struct loop	*l;
	int		 fds[2], i;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	ck_assert_int_eq(sock_set_nonblock(fds[1], 1), 0);
	ck_assert_ptr_nonnull(l = loop_new());
	memset(&c, 0, sizeof(c));
	memset(&sv, 0, sizeof(sv));
	sv.rc = 2;
	ck_assert_int_eq(sshl_chan_init(&c.chan, -1), 0);
	ck_assert_int_eq(sshl_chan_init(&sv.chan, fds[1]), 0);
	ck_assert_int_eq(sshl_handshake_start(&sv.hs, l, &sv.chan, key_a, 1,
	    5000, hs_done, &sv), 0);
	ck_assert_int_eq(write(fds[0], "\xff\xff\xff\xffGET /", 9), 9);
	for (i = 0; i < 10 && sv.rc == 2; i++)
		ck_assert_int_ge(loop_process(l, 1000), 0);
	ck_assert_int_eq(sv.rc, -1);
	ck_assert_str_eq(sv.err, "malformed handshake message");
	/* And a peer that hangs up. */
	sv.rc = 2;
	sshl_chan_free(&sv.chan);
	ck_assert_int_eq(sshl_chan_init(&sv.chan, fds[1]), 0);
	ck_assert_int_eq(sshl_handshake_start(&sv.hs, l, &sv.chan, key_a, 1,
	    5000, hs_done, &sv), 0);
	ck_assert_int_eq(close(fds[0]), 0);
	for (i = 0; i < 10 && sv.rc == 2; i++)
		ck_assert_int_ge(loop_process(l, 1000), 0);
	ck_assert_int_eq(sv.rc, -1);
	ck_assert_str_eq(sv.err, "connection closed during handshake");
	(void)close(fds[1]);
	loop_free(l);
	hs_free(&c, &sv);
}
END_TEST

static Suite *
sshl_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("sshl");

	tc = tcase_create("handshake");
	tcase_add_test(tc, test_hs_ok);
	tcase_add_test(tc, test_hs_layout);
	tcase_add_test(tc, test_hs_fresh_nonces);
	tcase_add_test(tc, test_hs_wrong_key_client);
	tcase_add_test(tc, test_hs_wrong_key_server);
	tcase_add_test(tc, test_hs_reflect);
	tcase_add_test(tc, test_hs_replay);
	tcase_add_test(tc, test_hs_replay_server);
	tcase_add_loop_test(tc, test_hs_bitflip, 0, FLIP_BYTES * 8);
	tcase_add_test(tc, test_hs_truncated);
	tcase_add_test(tc, test_hs_magic_version);
	suite_add_tcase(s, tc);

	tc = tcase_create("handshake-loop");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_drive_ok);
	tcase_add_test(tc, test_drive_wrong_key);
	tcase_add_test(tc, test_drive_timeout);
	tcase_add_test(tc, test_drive_garbage);
	suite_add_tcase(s, tc);

	tc = tcase_create("seal");
	tcase_add_checked_fixture(tc, seal_setup, NULL);
	tcase_add_test(tc, test_seal_layout);
	tcase_add_test(tc, test_seal_big);
	tcase_add_test(tc, test_seal_inplace);
	tcase_add_test(tc, test_chan_send_read);
	tcase_add_test(tc, test_seal_bitflip);
	tcase_add_test(tc, test_seal_truncated);
	tcase_add_test(tc, test_seal_replay);
	tcase_add_test(tc, test_seal_reorder);
	tcase_add_test(tc, test_seal_cross);
	suite_add_tcase(s, tc);

	tc = tcase_create("codec");
	tcase_add_test(tc, test_codec_roundtrip);
	tcase_add_test(tc, test_codec_bytes);
	tcase_add_test(tc, test_codec_truncated);
	tcase_add_test(tc, test_codec_trailing);
	tcase_add_test(tc, test_codec_huge_argc);
	tcase_add_test(tc, test_codec_list_max);
	tcase_add_test(tc, test_codec_nul);
	tcase_add_test(tc, test_codec_flags);
	tcase_add_test(tc, test_codec_string_len);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys");
	tcase_add_checked_fixture(tc, key_setup, key_teardown);
	tcase_add_test(tc, test_key_parse);
	tcase_add_test(tc, test_key_load);
	tcase_add_test(tc, test_key_load_bad);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failures;

	if (sshl_init() == -1)
		return (1);
	sr = srunner_create(sshl_suite());
	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failures ? 1 : 0);
}
