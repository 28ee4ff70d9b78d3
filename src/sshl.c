/*
 * ssh-lite: handshake, keys, sealing and the exec request codec.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sshl.h"

#define SSHL_KDF_AUTH	"sklauth_"	/* crypto_kdf contexts: 8 bytes */
#define SSHL_KDF_SESS	"sklsess_"

static void
sshl_err(char *err, const char *msg)
{
	if (err != NULL)
		snprintf(err, SSHL_ERR_LEN, "%s", msg);
}

int
sshl_init(void)
{
	return (sodium_init() < 0 ? -1 : 0);
}

int
sshl_key_parse(const char *hex, unsigned char *key, char *err)
{
	size_t		 len;
	const char	*end;

	while (*hex == ' ' || *hex == '\t' || *hex == '\n' || *hex == '\r')
		hex++;
	len = strcspn(hex, " \t\r\n");
	for (end = hex + len; *end != '\0'; end++)
		if (*end != ' ' && *end != '\t' && *end != '\n' &&
		    *end != '\r') {
			sshl_err(err, "key: more than one word");
			return (-1);
		}
	if (len != 2 * SSHL_KEY_LEN || sodium_hex2bin(key, SSHL_KEY_LEN, hex,
	    len, NULL, NULL, NULL) != 0) {
		sshl_err(err, "key: expected 64 hex digits (256 bits)");
		return (-1);
	}
	return (0);
}

int
sshl_key_load(const char *path, unsigned char *key, char *err)
{
	struct stat	st;
	char		text[256], msg[SSHL_ERR_LEN];
	ssize_t		n;
	int		fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(msg, sizeof(msg), "key file %s: %s", path,
		    strerror(errno));
		sshl_err(err, msg);
		if (fd != -1)
			(void)close(fd);
		return (-1);
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(msg, sizeof(msg), "key file %s is accessible by group "
		    "or others (mode %04o); run: chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path);
		sshl_err(err, msg);
		(void)close(fd);
		return (-1);
	}
	n = read(fd, text, sizeof(text) - 1);
	(void)close(fd);
	if (n < 0) {
		snprintf(msg, sizeof(msg), "key file %s: %s", path,
		    strerror(errno));
		sshl_err(err, msg);
		return (-1);
	}
	text[n] = '\0';
	if (sshl_key_parse(text, key, err) == -1) {
		snprintf(msg, sizeof(msg), "key file %s: expected 64 hex "
		    "digits", path);
		sshl_err(err, msg);
		sodium_memzero(text, sizeof(text));
		return (-1);
	}
	sodium_memzero(text, sizeof(text));
	return (0);
}

void
sshl_hs_init(struct sshl_hs *hs, const unsigned char *psk, int server)
{
	memset(hs, 0, sizeof(*hs));
	hs->server = server;
	crypto_kdf_derive_from_key(hs->auth_key, SSHL_KEY_LEN, 1,
	    SSHL_KDF_AUTH, psk);
	crypto_kdf_derive_from_key(hs->sess_key, SSHL_KEY_LEN, 2,
	    SSHL_KDF_SESS, psk);
}

void
sshl_hs_wipe(struct sshl_hs *hs)
{
	sodium_memzero(hs, sizeof(*hs));
}

static void
sshl_put_magic(unsigned char *p)
{
	memcpy(p, SSHL_MAGIC, 3);
	p[3] = SSHL_VERSION;
}

static int
sshl_check_magic(const unsigned char *p, size_t len, size_t want, char *err)
{
	if (len < 4 || memcmp(p, SSHL_MAGIC, 3) != 0) {
		sshl_err(err, "not an ssh-lite peer");
		return (-1);
	}
	if (p[3] != SSHL_VERSION) {
		sshl_err(err, "unsupported ssh-lite protocol version");
		return (-1);
	}
	if (len != want) {
		sshl_err(err, "malformed handshake message");
		return (-1);
	}
	return (0);
}

/* The proof of one side: HMAC(auth key, label | version | Nc | Ns). */
static void
sshl_proof(const struct sshl_hs *hs, char label, unsigned char *mac)
{
	crypto_auth_hmacsha256_state	st;
	unsigned char			head[2];

	head[0] = (unsigned char)label;
	head[1] = SSHL_VERSION;
	crypto_auth_hmacsha256_init(&st, hs->auth_key, SSHL_KEY_LEN);
	crypto_auth_hmacsha256_update(&st, head, sizeof(head));
	crypto_auth_hmacsha256_update(&st, hs->nc, SSHL_NONCE_LEN);
	crypto_auth_hmacsha256_update(&st, hs->ns, SSHL_NONCE_LEN);
	crypto_auth_hmacsha256_final(&st, mac);
}

/* Session keys bound to both nonces: fresh for every connection. */
static void
sshl_session_keys(const struct sshl_hs *hs, struct sshl_session *s)
{
	unsigned char	in[3 + 2 * SSHL_NONCE_LEN], c2s[32], s2c[32];

	memcpy(in + 3, hs->nc, SSHL_NONCE_LEN);
	memcpy(in + 3 + SSHL_NONCE_LEN, hs->ns, SSHL_NONCE_LEN);
	memcpy(in, "c2s", 3);
	crypto_generichash(c2s, sizeof(c2s), in, sizeof(in), hs->sess_key,
	    SSHL_KEY_LEN);
	memcpy(in, "s2c", 3);
	crypto_generichash(s2c, sizeof(s2c), in, sizeof(in), hs->sess_key,
	    SSHL_KEY_LEN);
	memcpy(s->tx_key, hs->server ? s2c : c2s, 32);
	memcpy(s->rx_key, hs->server ? c2s : s2c, 32);
	sodium_memzero(c2s, sizeof(c2s));
	sodium_memzero(s2c, sizeof(s2c));
}

void
sshl_hs_client_hello(struct sshl_hs *hs, unsigned char *out)
{
	randombytes_buf(hs->nc, SSHL_NONCE_LEN);
	sshl_put_magic(out);
	memcpy(out + 4, hs->nc, SSHL_NONCE_LEN);
}

int
sshl_hs_server_hello(struct sshl_hs *hs, const unsigned char *in, size_t len,
    unsigned char *out, char *err)
{
	if (sshl_check_magic(in, len, SSHL_HELLO_LEN, err) == -1)
		return (-1);
	memcpy(hs->nc, in + 4, SSHL_NONCE_LEN);
	randombytes_buf(hs->ns, SSHL_NONCE_LEN);
	sshl_put_magic(out);
	memcpy(out + 4, hs->ns, SSHL_NONCE_LEN);
	sshl_proof(hs, 'S', out + 4 + SSHL_NONCE_LEN);
	return (0);
}

int
sshl_hs_client_proof(struct sshl_hs *hs, const unsigned char *in, size_t len,
    struct sshl_session *s, unsigned char *out, char *err)
{
	unsigned char	mac[SSHL_MAC_LEN];

	if (sshl_check_magic(in, len, SSHL_SHELLO_LEN, err) == -1)
		return (-1);
	memcpy(hs->ns, in + 4, SSHL_NONCE_LEN);
	sshl_proof(hs, 'S', mac);
	if (sodium_memcmp(mac, in + 4 + SSHL_NONCE_LEN, SSHL_MAC_LEN) != 0) {
		sshl_err(err, "authentication failed (server proof does not "
		    "match: wrong key?)");
		return (-1);
	}
	sshl_proof(hs, 'C', out);
	sshl_session_keys(hs, s);
	crypto_secretstream_xchacha20poly1305_init_push(&s->tx,
	    out + SSHL_MAC_LEN, s->tx_key);
	return (0);
}

int
sshl_hs_server_accept(struct sshl_hs *hs, const unsigned char *in,
    size_t len, struct sshl_session *s, unsigned char *out, char *err)
{
	unsigned char	mac[SSHL_MAC_LEN];

	if (len != SSHL_PROOF_LEN) {
		sshl_err(err, "malformed handshake message");
		return (-1);
	}
	sshl_proof(hs, 'C', mac);
	if (sodium_memcmp(mac, in, SSHL_MAC_LEN) != 0) {
		sshl_err(err, "authentication failed");
		return (-1);
	}
	sshl_session_keys(hs, s);
	if (crypto_secretstream_xchacha20poly1305_init_pull(&s->rx,
	    in + SSHL_MAC_LEN, s->rx_key) != 0) {
		sshl_err(err, "bad stream header");
		return (-1);
	}
	crypto_secretstream_xchacha20poly1305_init_push(&s->tx, out,
	    s->tx_key);
	return (0);
}

int
sshl_hs_client_finish(struct sshl_hs *hs, const unsigned char *in,
    size_t len, struct sshl_session *s, char *err)
{
	if (len != SSHL_SHDR_LEN ||
	    crypto_secretstream_xchacha20poly1305_init_pull(&s->rx, in,
	    s->rx_key) != 0) {
		sshl_err(err, "malformed handshake message");
		return (-1);
	}
	return (0);
}

size_t
sshl_seal_inplace(struct sshl_session *s, int type, unsigned char *out,
    size_t len)
{
	unsigned long long	clen;

	if (len > SSHL_MSG_MAX)
		len = SSHL_MSG_MAX;	/* callers chunk below this */
	out[1] = (unsigned char)type;
	/*
	 * secretstream writes its tag byte at out[0] and XORs the message
	 * into out + 1, where the message already is: in place, no copy.
	 */
	crypto_secretstream_xchacha20poly1305_push(&s->tx, out, &clen,
	    out + 1, len + 1, NULL, 0, type == SSHL_EXIT ||
	    type == SSHL_ERROR ? crypto_secretstream_xchacha20poly1305_TAG_FINAL :
	    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
	return ((size_t)clen);
}

size_t
sshl_seal(struct sshl_session *s, int type, const void *p, size_t len,
    unsigned char *out)
{
	if (len > SSHL_MSG_MAX)
		len = SSHL_MSG_MAX;
	memmove(out + 2, p, len);
	return (sshl_seal_inplace(s, type, out, len));
}

long
sshl_open(struct sshl_session *s, const unsigned char *c, size_t len,
    unsigned char *m, int *type)
{
	unsigned long long	mlen;
	unsigned char		tag;

	if (len < SSHL_ABYTES + 1 || len > SSHL_MSG_MAX + 1 + SSHL_ABYTES)
		return (-1);
	if (crypto_secretstream_xchacha20poly1305_pull(&s->rx, m, &mlen,
	    &tag, c, len, NULL, 0) != 0 || mlen < 1)
		return (-1);
	*type = m[0];
	return ((long)mlen - 1);
}

/*
 * Exec request: u8 flags (1 shell, 2 cwd), u32 timeout_ms, u32 argc,
 * argc strings, u32 envc, envc strings, [cwd string]; a string is a u32
 * length and its bytes (no NUL inside).  Integers are big-endian.
 */
#define SSHL_FLAG_SHELL	1
#define SSHL_FLAG_CWD	2
#define SSHL_LIST_MAX	4096

struct sshl_cur {
	const unsigned char	*p;
	size_t			 left;
	int			 bad;
};

static unsigned char *
sshl_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	return (p + 4);
}

static unsigned char *
sshl_put_str(unsigned char *p, const char *s)
{
	size_t	len = strlen(s);

	p = sshl_put32(p, (uint32_t)len);
	memcpy(p, s, len);
	return (p + len);
}

static size_t
sshl_list_size(char **list, size_t *n)
{
	size_t	size = 4;

	for (*n = 0; list != NULL && list[*n] != NULL; (*n)++)
		size += 4 + strlen(list[*n]);
	return (size);
}

unsigned char *
sshl_exec_encode(const struct sshl_exec *e, size_t *len)
{
	unsigned char	*buf, *p;
	size_t		 size, argc, envc, i;

	size = 1 + 4 + sshl_list_size(e->argv, &argc) +
	    sshl_list_size(e->env, &envc);
	if (e->cwd != NULL)
		size += 4 + strlen(e->cwd);
	if ((buf = malloc(size)) == NULL)
		return (NULL);
	p = buf;
	*p++ = (unsigned char)((e->shell ? SSHL_FLAG_SHELL : 0) |
	    (e->cwd != NULL ? SSHL_FLAG_CWD : 0));
	p = sshl_put32(p, e->timeout_ms);
	p = sshl_put32(p, (uint32_t)argc);
	for (i = 0; i < argc; i++)
		p = sshl_put_str(p, e->argv[i]);
	p = sshl_put32(p, (uint32_t)envc);
	for (i = 0; i < envc; i++)
		p = sshl_put_str(p, e->env[i]);
	if (e->cwd != NULL)
		p = sshl_put_str(p, e->cwd);
	*len = (size_t)(p - buf);
	return (buf);
}

static uint32_t
sshl_get32(struct sshl_cur *c)
{
	uint32_t	v;

	if (c->left < 4) {
		c->bad = 1;
		return (0);
	}
	v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
	    (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	c->left -= 4;
	return (v);
}

/* Returns a malloc'd string, or NULL (c->bad set) when malformed. */
static char *
sshl_get_str(struct sshl_cur *c)
{
	uint32_t	 len = sshl_get32(c);
	char		*s;

	if (c->bad || len > c->left || memchr(c->p, '\0', len) != NULL ||
	    (s = malloc((size_t)len + 1)) == NULL) {
		c->bad = 1;
		return (NULL);
	}
	memcpy(s, c->p, len);
	s[len] = '\0';
	c->p += len;
	c->left -= len;
	return (s);
}

static char **
sshl_get_list(struct sshl_cur *c, int min)
{
	uint32_t	  n = sshl_get32(c), i;
	char		**list;

	/* Every entry takes at least 4 bytes: bounds n before calloc. */
	if (c->bad || n < (uint32_t)min || n > SSHL_LIST_MAX ||
	    (size_t)n * 4 > c->left ||
	    (list = calloc((size_t)n + 1, sizeof(*list))) == NULL) {
		c->bad = 1;
		return (NULL);
	}
	for (i = 0; i < n && !c->bad; i++)
		list[i] = sshl_get_str(c);
	return (list);
}

void
sshl_exec_free(struct sshl_exec *e)
{
	size_t	i;

	for (i = 0; e->argv != NULL && e->argv[i] != NULL; i++)
		free(e->argv[i]);
	for (i = 0; e->env != NULL && e->env[i] != NULL; i++)
		free(e->env[i]);
	free(e->argv);
	free(e->env);
	free(e->cwd);
	memset(e, 0, sizeof(*e));
}

int
sshl_exec_decode(const unsigned char *p, size_t len, struct sshl_exec *e,
    char *err)
{
	struct sshl_cur	c = { p, len, 0 };
	unsigned	flags;

	memset(e, 0, sizeof(*e));
	if (len < 1) {
		sshl_err(err, "empty exec request");
		return (-1);
	}
	flags = *c.p++;
	c.left--;
	e->shell = (flags & SSHL_FLAG_SHELL) != 0;
	e->timeout_ms = sshl_get32(&c);
	e->argv = sshl_get_list(&c, 1);
	if (!c.bad)
		e->env = sshl_get_list(&c, 0);
	if (!c.bad && (flags & SSHL_FLAG_CWD))
		e->cwd = sshl_get_str(&c);
	if (c.bad || c.left != 0 || (flags & ~3u) != 0) {
		sshl_exec_free(e);
		sshl_err(err, "malformed exec request");
		return (-1);
	}
	return (0);
}
