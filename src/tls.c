/*
 * The TLS stream (tls.h) over OpenSSL 3: the per-process context, the
 * made-up server certificate, the stream ops, and the translation of
 * OpenSSL's error queue into one line a user can act on.  Without
 * OpenSSL the same API says ENOTSUP (at the end of the file).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "compat.h"
#include "loop.h"
#include "sock.h"
#include "stream.h"
#include "tls.h"

#define TLS_NO_TLS	"sockit was built without TLS (configure --with-openssl)"

#ifdef HAVE_OPENSSL

#include "tls-lib.h"
#include "tls-wq.h"
#include "tls-lib-calls.h"	/* last: OpenSSL calls go through tls_lib */

/*
 * OpenSSL's typed stack helpers are inline functions that call libcrypto
 * directly; these make the same calls through tls_lib.
 */
#define TLS_SK_NUM(st)		OPENSSL_sk_num((const OPENSSL_STACK *)(st))
#define TLS_SK_VALUE(st, i)	OPENSSL_sk_value((const OPENSSL_STACK *)(st), (i))
#define TLS_SK_PUSH(st, v)	OPENSSL_sk_push((OPENSSL_STACK *)(st), (v))

#define TLS_AUTO_DAYS	5		/* the made-up certificate's life */
#define TLS_AUTO_BACK	3600		/* its notBefore, seconds ago */
#define TLS_ALPN_MAX	512		/* wire-format ALPN list */
#define TLS_NAMES_LEN	128		/* a certificate's names, for messages */

struct tls_ctx {
	SSL_CTX		*ctx;
	int		 server;
	int		 insecure;
	int		 pinned;
	unsigned char	 pin[32];
	char		 pin_str[TLS_SHA256_LEN];
	char		*name;			/* opts.name */
	int		 peer_cert;		/* a server asks for one */
	int		 vmin, vmax;		/* TLS1_2_VERSION, ... */
	unsigned char	 alpn[TLS_ALPN_MAX];	/* wire format */
	size_t		 alpn_len;
	int		 key_encrypted;		/* the password callback ran */
	int		 keep_nodelay;		/* opts.nodelay */
	char		 fingerprint[TLS_SHA256_LEN];
};

/* Read-ahead buffer: four full records per read(2). */
#define TLS_READ_AHEAD	(4 * (16384 + 256))
/* A server's TLS 1.3 cipher suites, most preferred first (--tls-ciphersuites). */
#define TLS_SERVER_SUITES \
	"TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384"

struct tls_conn {
	SSL		*ssl;
	struct tls_ctx	*tc;
	char		*check_name;		/* what the certificate must be for */
	int		 dead;			/* errno after a fatal failure */
	int		 wdead;			/* errno after the socket refused
						   a write (the peer went away):
						   what it sent may still be read */
	int		 later;			/* read: errno, or -1 for EOF, owed
						   after the bytes it returned */
	int		 nodelay;		/* TCP_NODELAY is on; -1: not TCP */
	int		 starved;		/* the last read wanted the socket:
						   what read-ahead holds is not a
						   whole record */
	int		 auth_failed;
	int		 preset;		/* err was set by a callback */
	int		 pin_mismatch;
	int		 cert_requested;	/* client: asked for, had none */
	int		 peer_vmin, peer_vmax;	/* server: from the ClientHello */
	int		 have_peer;		/* sha and names are filled */
	char		 sha[TLS_SHA256_LEN];
	char		 names[TLS_NAMES_LEN];
	char		*subject;
	int		 subject_done;
	char		 alpn[256];
	char		 sni[256];
	char		 err[TLS_ERR_LEN];
	struct tls_wq	 wq;			/* records on their way out */
};

static void
tls_seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static void
tls_hex(char *out, const unsigned char *md, size_t n)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	memcpy(out, "sha256:", 7);
	for (i = 0; i < n; i++) {
		out[7 + 2 * i] = digits[md[i] >> 4];
		out[8 + 2 * i] = digits[md[i] & 15];
	}
	out[7 + 2 * n] = '\0';
}

/* "sha256:HEX" of a certificate's DER form; 0 or -1. */
static int
tls_cert_sha256(X509 *x, char *out)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	n;

	if (x == NULL || !X509_digest(x, EVP_sha256(), md, &n) || n != 32)
		return (-1);
	tls_hex(out, md, n);
	return (0);
}

/*
 * The first error in OpenSSL's queue in words, then clears the queue.
 * A system error (fopen) reads as strerror and sets *sys.
 */
static const char *
tls_queue_reason(int *sys)
{
	unsigned long	 e = ERR_peek_error();
	const char	*r;

	*sys = 0;
	ERR_clear_error();
	if (e == 0)
		return ("unknown error");
	if (ERR_SYSTEM_ERROR(e) || ERR_GET_LIB(e) == ERR_LIB_SYS) {
		*sys = ERR_GET_REASON(e);
		return (strerror(*sys));
	}
	if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
		return ("no PEM data found");
	if ((r = ERR_reason_error_string(e)) == NULL)
		return ("unknown error");
	return (r);
}

/*
 * Fills err from the error queue for option opt (about path, or NULL):
 * "--tls-cert x.pem: no PEM data found".  Returns -1 with errno.
 */
static int
tls_qerr(const char *opt, const char *path, char *err, size_t len)
{
	const char	*why;
	int		 sys;

	why = tls_queue_reason(&sys);
	if (path != NULL)
		tls_seterr(err, len, "%s %s: %s", opt, path, why);
	else
		tls_seterr(err, len, "%s: %s", opt, why);
	errno = sys != 0 ? sys : EINVAL;
	return (-1);
}

/* A file that must be readable and not a directory; 0 or -1 + err. */
static int
tls_check_file(const char *opt, const char *path, int dir_ok, char *err,
    size_t len)
{
	struct stat	st;
	int		fd, saved;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		saved = errno;
		if (fd != -1)
			(void)close(fd);
		tls_seterr(err, len, "%s %s: %s", opt, path, strerror(saved));
		errno = saved;
		return (-1);
	}
	(void)close(fd);
	if (S_ISDIR(st.st_mode) && !dir_ok) {
		tls_seterr(err, len, "%s %s: %s", opt, path, strerror(EISDIR));
		errno = EISDIR;
		return (-1);
	}
	return (0);
}

static int
tls_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* "sha256:HEX", colons between bytes allowed; 0 or -1. */
static int
tls_parse_pin(const char *s, unsigned char *pin)
{
	size_t	n = 0;
	int	hi, lo;

	if (strncasecmp(s, "sha256:", 7) != 0)
		return (-1);
	for (s += 7; *s != '\0' && n < 32; n++) {
		if ((hi = tls_hexval(s[0])) == -1 ||
		    (lo = tls_hexval(s[1])) == -1)
			return (-1);
		pin[n] = (unsigned char)(hi << 4 | lo);
		s += 2;
		if (*s == ':' && s[1] != '\0')
			s++;
	}
	return (n == 32 && *s == '\0' ? 0 : -1);
}

/* "a,b,c" into ALPN wire format; 0 or -1. */
static int
tls_parse_alpn(const char *list, unsigned char *out, size_t cap, size_t *len)
{
	const char	*p = list, *end;
	size_t		 n, off = 0;

	for (;;) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		n = (size_t)(end - p);
		if (n == 0 || n > 255 || off + 1 + n > cap)
			return (-1);
		out[off++] = (unsigned char)n;
		memcpy(out + off, p, n);
		off += n;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	*len = off;
	return (0);
}

static int
tls_version_code(int v, int dflt)
{
	switch (v) {
	case 0:
		return (dflt);
	case 12:
		return (TLS1_2_VERSION);
	case 13:
		return (TLS1_3_VERSION);
	default:
		return (-1);
	}
}

/* "TLS 1.2" for a protocol version number. */
static const char *
tls_version_name(int v)
{
	switch (v) {
	case SSL3_VERSION:
		return ("SSL 3.0");
	case TLS1_VERSION:
		return ("TLS 1.0");
	case TLS1_1_VERSION:
		return ("TLS 1.1");
	case TLS1_2_VERSION:
		return ("TLS 1.2");
	case TLS1_3_VERSION:
		return ("TLS 1.3");
	default:
		return ("an unknown version");
	}
}

/*
 * Bytes from the peer (certificate names, ALPN, SNI) go into messages
 * and environments: control and non-ASCII bytes become '?'.
 */
static void
tls_printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

static struct tls_conn *
tls_conn_of(SSL *ssl)
{
	return (SSL_get_app_data(ssl));
}

/* Remembers the peer's fingerprint and names (for pins and messages). */
static void
tls_note_peer(struct tls_conn *c, X509 *x)
{
	GENERAL_NAMES	*gens;
	GENERAL_NAME	*g;
	char		 ip[INET6_ADDRSTRLEN];
	const char	*s;
	size_t		 off = 0;
	int		 i, n, af;

	if (x == NULL || tls_cert_sha256(x, c->sha) == -1)
		return;
	c->have_peer = 1;
	c->names[0] = '\0';
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	n = gens != NULL ? TLS_SK_NUM(gens) : 0;
	for (i = 0; i < n && off < sizeof(c->names); i++) {
		g = TLS_SK_VALUE(gens, i);
		s = NULL;
		if (g->type == GEN_DNS)
			s = (const char *)ASN1_STRING_get0_data(g->d.dNSName);
		else if (g->type == GEN_IPADD &&
		    (ASN1_STRING_length(g->d.iPAddress) == 4 ||
		    ASN1_STRING_length(g->d.iPAddress) == 16)) {
			af = ASN1_STRING_length(g->d.iPAddress) == 4 ?
			    AF_INET : AF_INET6;
			if (inet_ntop(af,
			    ASN1_STRING_get0_data(g->d.iPAddress), ip,
			    sizeof(ip)) != NULL)
				s = ip;
		}
		if (s != NULL)
			off += (size_t)snprintf(c->names + off,
			    sizeof(c->names) - off, "%s%s", off ? ", " : "", s);
	}
	GENERAL_NAMES_free(gens);
	if (off == 0 && X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, c->names, sizeof(c->names)) < 0)
		(void)strlcpy(c->names, "no name", sizeof(c->names));
	tls_printable(c->names);
}

/*
 * Checks the peer's chain: notes the leaf first, then either compares
 * it with the pin (no CA or name check: OpenBSD nc -H) or runs the
 * usual verification.  Insecure clients accept anything.
 */
static int
tls_verify_cb(X509_STORE_CTX *xs, void *arg)
{
	struct tls_ctx	*tc = arg;
	struct tls_conn	*c;
	SSL		*ssl;

	ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl == NULL || (c = tls_conn_of(ssl)) == NULL)
		return (0);
	tls_note_peer(c, X509_STORE_CTX_get0_cert(xs));
	if (tc->insecure) {
		X509_STORE_CTX_set_error(xs, X509_V_OK);
		return (1);
	}
	if (!tc->pinned)
		return (X509_verify_cert(xs));
	if (c->have_peer && strcmp(c->sha, tc->pin_str) == 0) {
		X509_STORE_CTX_set_error(xs, X509_V_OK);
		return (1);
	}
	c->pin_mismatch = 1;
	X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
	return (0);
}

/*
 * Server ALPN choice: the first of its own protocols that the client
 * offers.  None in common refuses the connection, as RFC 7301 says.
 */
static int
tls_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	struct tls_ctx		*tc = arg;
	struct tls_conn		*c = tls_conn_of(ssl);
	const unsigned char	*p, *q;
	size_t			 off;
	unsigned int		 i;

	for (p = tc->alpn; p < tc->alpn + tc->alpn_len; p += 1 + p[0]) {
		for (i = 0; i < inlen && i + 1 + in[i] <= inlen;
		    i += 1 + in[i]) {
			q = in + i;
			if (q[0] == p[0] && memcmp(q + 1, p + 1, p[0]) == 0) {
				*out = q + 1;
				*outlen = q[0];
				return (SSL_TLSEXT_ERR_OK);
			}
		}
	}
	if (c != NULL) {
		off = (size_t)snprintf(c->err, sizeof(c->err),
		    "ALPN: no protocol in common (the client offered");
		for (i = 0; i < inlen && i + 1 + in[i] <= inlen &&
		    off < sizeof(c->err); i += 1 + in[i])
			off += (size_t)snprintf(c->err + off,
			    sizeof(c->err) - off, "%s%.*s", i ? ", " : " ",
			    (int)in[i], (const char *)in + i + 1);
		if (off < sizeof(c->err))
			(void)snprintf(c->err + off, sizeof(c->err) - off, ")");
		tls_printable(c->err);
		c->preset = 1;
	}
	return (SSL_TLSEXT_ERR_ALERT_FATAL);
}

/*
 * Server: notes which versions the client supports, so that a version
 * mismatch can say what the peer wanted.
 */
static int
tls_hello_cb(SSL *ssl, int *alert, void *arg)
{
	struct tls_conn		*c = tls_conn_of(ssl);
	const unsigned char	*p;
	size_t			 len, i;
	int			 v;

	if (c == NULL)
		return (SSL_CLIENT_HELLO_SUCCESS);
	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_supported_versions,
	    &p, &len) && len >= 1 && (size_t)p[0] + 1 <= len) {
		for (i = 1; i + 1 < (size_t)p[0] + 1; i += 2) {
			v = p[i] << 8 | p[i + 1];
			if (v < SSL3_VERSION || v > TLS1_3_VERSION)
				continue;	/* GREASE and drafts */
			if (c->peer_vmin == 0 || v < c->peer_vmin)
				c->peer_vmin = v;
			if (v > c->peer_vmax)
				c->peer_vmax = v;
		}
	} else
		c->peer_vmax = (int)SSL_client_hello_get0_legacy_version(ssl);
	return (SSL_CLIENT_HELLO_SUCCESS);
}

/* Client: the server asked for a certificate and we have none. */
static int
tls_client_cert_cb(SSL *ssl, X509 **x, EVP_PKEY **pkey)
{
	struct tls_conn	*c = tls_conn_of(ssl);

	if (c != NULL)
		c->cert_requested = 1;
	return (0);
}

/* Never prompts for a passphrase: an encrypted key is an error. */
static int
tls_passwd_cb(char *buf, int size, int rwflag, void *arg)
{
	struct tls_ctx	*tc = arg;

	tc->key_encrypted = 1;
	return (-1);
}

/* Appends a DNS or IP SAN for name to gens; 0, 1 (skipped) or -1. */
static int
tls_san_add(GENERAL_NAMES *gens, const char *name, char *err, size_t len)
{
	static const unsigned char	 any[16];
	GENERAL_NAME			*g;
	ASN1_OCTET_STRING		*ip;
	ASN1_IA5STRING			*dns;
	unsigned char			 buf[16];
	const char			*p;
	int				 n = 0;

	if (inet_pton(AF_INET, name, buf) == 1)
		n = 4;
	else if (inet_pton(AF_INET6, name, buf) == 1)
		n = 16;
	if (n > 0) {
		/* 0.0.0.0 and :: are where a server listens, never a name. */
		if (memcmp(buf, any, (size_t)n) == 0)
			return (1);
		if ((ip = a2i_IPADDRESS(name)) == NULL)
			return (-1);
		if ((g = GENERAL_NAME_new()) == NULL) {
			ASN1_OCTET_STRING_free(ip);
			return (-1);
		}
		GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
	} else {
		for (p = name; *p != '\0'; p++)
			if (strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_", *p) ==
			    NULL)
				break;
		if (*name == '\0' || *p != '\0' || p - name > 253) {
			tls_seterr(err, len, "certificate name %s: not a host "
			    "name or IP address", name);
			errno = EINVAL;
			return (-1);
		}
		if ((dns = ASN1_IA5STRING_new()) == NULL)
			return (-1);
		if (!ASN1_STRING_set(dns, name, (int)strlen(name)) ||
		    (g = GENERAL_NAME_new()) == NULL) {
			ASN1_IA5STRING_free(dns);
			return (-1);
		}
		GENERAL_NAME_set0_value(g, GEN_DNS, dns);
	}
	if (!TLS_SK_PUSH(gens, g)) {
		GENERAL_NAME_free(g);
		return (-1);
	}
	return (0);
}

/* The SANs of the made-up certificate: names (a,b,[v6]) + localhost. */
static GENERAL_NAMES *
tls_auto_sans(const char *names, char *err, size_t len)
{
	GENERAL_NAMES	*gens;
	char		*copy = NULL, *tok, *last;
	size_t		 n;
	int		 localhost = 0;

	if ((gens = (GENERAL_NAMES *)OPENSSL_sk_new_null()) == NULL)
		return (NULL);
	if (names != NULL && (copy = strdup(names)) == NULL)
		goto fail;
	for (tok = copy != NULL ? strtok_r(copy, ", ", &last) : NULL;
	    tok != NULL; tok = strtok_r(NULL, ", ", &last)) {
		n = strlen(tok);
		if (tok[0] == '[' && n > 2 && tok[n - 1] == ']') {
			tok[n - 1] = '\0';
			tok++;
		}
		if (strcasecmp(tok, "localhost") == 0)
			localhost = 1;
		if (tls_san_add(gens, tok, err, len) == -1)
			goto fail;
	}
	if (!localhost && tls_san_add(gens, "localhost", err, len) == -1)
		goto fail;
	free(copy);
	return (gens);
fail:
	free(copy);
	GENERAL_NAMES_free(gens);
	return (NULL);
}

static int
tls_add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX	 v3;
	X509_EXTENSION	*ext;
	int		 ok;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL)
		return (0);
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return (ok);
}

/* Serial, dates, names and extensions of the made-up certificate. */
static int
tls_auto_fill(X509 *x, EVP_PKEY *pk, GENERAL_NAMES *gens)
{
	X509_NAME	*nm;
	BIGNUM		*bn;
	unsigned char	 rnd[16];
	int		 ok;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return (0);
	rnd[0] &= 0x7f;		/* positive */
	rnd[0] |= 0x40;		/* and 16 bytes long */
	if ((bn = BN_bin2bn(rnd, sizeof(rnd), NULL)) == NULL)
		return (0);
	ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	nm = X509_get_subject_name(x);
	return (ok && X509_set_version(x, X509_VERSION_3) &&
	    X509_gmtime_adj(X509_getm_notBefore(x), -TLS_AUTO_BACK) &&
	    X509_gmtime_adj(X509_getm_notAfter(x),
	    (long)TLS_AUTO_DAYS * 86400) &&
	    X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC,
	    (const unsigned char *)"sockit", -1, -1, 0) &&
	    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)"sockit self-signed", -1, -1, 0) &&
	    X509_set_issuer_name(x, nm) && X509_set_pubkey(x, pk) &&
	    tls_add_ext(x, NID_basic_constraints, "critical,CA:FALSE") &&
	    tls_add_ext(x, NID_key_usage, "critical,digitalSignature") &&
	    tls_add_ext(x, NID_ext_key_usage, "serverAuth") &&
	    tls_add_ext(x, NID_subject_key_identifier, "hash") &&
	    X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
	    X509V3_ADD_DEFAULT) == 1 &&
	    X509_sign(x, pk, EVP_sha256()) > 0);
}

/* A fresh ECDSA P-256 self-signed certificate for a server; 0 or -1. */
static int
tls_auto_cert(struct tls_ctx *tc, const char *names, char *err, size_t len)
{
	GENERAL_NAMES	*gens;
	EVP_PKEY	*pk = NULL;
	X509		*x = NULL;
	int		 ok = 0;

	err[0] = '\0';
	if ((gens = tls_auto_sans(names, err, len)) == NULL) {
		if (err[0] != '\0')
			return (-1);
		goto done;
	}
	if ((pk = EVP_EC_gen("P-256")) != NULL && (x = X509_new()) != NULL &&
	    tls_auto_fill(x, pk, gens) &&
	    SSL_CTX_use_certificate(tc->ctx, x) == 1 &&
	    SSL_CTX_use_PrivateKey(tc->ctx, pk) == 1)
		ok = 1;
done:
	GENERAL_NAMES_free(gens);
	X509_free(x);
	EVP_PKEY_free(pk);
	if (!ok)
		return (tls_qerr("making a certificate", NULL, err, len));
	return (0);
}

/* Loads the certificate chain and its key; 0 or -1 with err. */
static int
tls_load_cert(struct tls_ctx *tc, const struct tls_opts *o, char *err,
    size_t len)
{
	const char	*key = o->key != NULL ? o->key : o->cert;
	unsigned long	 e;

	if (o->cert == NULL) {
		tls_seterr(err, len, "--tls-key needs --tls-cert");
		errno = EINVAL;
		return (-1);
	}
	if (tls_check_file("--tls-cert", o->cert, 0, err, len) == -1)
		return (-1);
	if (SSL_CTX_use_certificate_chain_file(tc->ctx, o->cert) != 1)
		return (tls_qerr("--tls-cert", o->cert, err, len));
	if (tls_check_file("--tls-key", key, 0, err, len) == -1)
		return (-1);
	if (SSL_CTX_use_PrivateKey_file(tc->ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(tc->ctx) != 1) {
		e = ERR_peek_error();
		(void)tls_qerr("--tls-key", key, err, len);
		if (tc->key_encrypted)
			tls_seterr(err, len, "--tls-key %s: the key is "
			    "encrypted (sockit reads unencrypted keys)", key);
		else if (o->key == NULL)
			tls_seterr(err, len, "--tls-cert %s: no private key "
			    "in the file (give it with --tls-key)", key);
		else if (e == 0 || (ERR_GET_LIB(e) == ERR_LIB_X509 &&
		    (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH ||
		    ERR_GET_REASON(e) == X509_R_KEY_TYPE_MISMATCH)) ||
		    (ERR_GET_LIB(e) == ERR_LIB_SSL &&
		    ERR_GET_REASON(e) == SSL_R_PRIVATE_KEY_MISMATCH))
			tls_seterr(err, len, "--tls-key %s: key does not "
			    "match the certificate", key);
		return (-1);
	}
	return (0);
}

/* Trust anchors: a client's --tls-ca or the system's; 0 or -1. */
static int
tls_load_trust(struct tls_ctx *tc, const char *ca, const char *opt,
    char *err, size_t len)
{
	struct stat	st;
	int		ok;

	if (ca == NULL) {
		if (SSL_CTX_set_default_verify_paths(tc->ctx) != 1)
			return (tls_qerr("system CA store", NULL, err, len));
		return (0);
	}
	if (tls_check_file(opt, ca, 1, err, len) == -1 ||
	    stat(ca, &st) == -1)
		return (-1);
	if (S_ISDIR(st.st_mode))
		ok = SSL_CTX_load_verify_dir(tc->ctx, ca);
	else
		ok = SSL_CTX_load_verify_file(tc->ctx, ca);
	if (ok != 1)
		return (tls_qerr(opt, ca, err, len));
	return (0);
}

/* A server's --tls-client-ca: trust and the CA names it sends. */
static int
tls_load_client_ca(struct tls_ctx *tc, const char *file, char *err,
    size_t len)
{
	STACK_OF(X509_NAME)	*names;

	if (tls_load_trust(tc, file, "--tls-client-ca", err, len) == -1)
		return (-1);
	if ((names = SSL_load_client_CA_file(file)) == NULL)
		return (tls_qerr("--tls-client-ca", file, err, len));
	SSL_CTX_set_client_CA_list(tc->ctx, names);
	return (0);
}

/* Versions, ciphers, ALPN, pin: the options that need no file. */
static int
tls_ctx_settings(struct tls_ctx *tc, const struct tls_opts *o, char *err,
    size_t len)
{
	tc->vmin = tls_version_code(o->min_version, TLS1_2_VERSION);
	tc->vmax = tls_version_code(o->max_version, TLS1_3_VERSION);
	if (tc->vmin == -1 || tc->vmax == -1 || tc->vmin > tc->vmax) {
		tls_seterr(err, len, "--tls-min: 1.2 or 1.3");
		errno = EINVAL;
		return (-1);
	}
	if (!SSL_CTX_set_min_proto_version(tc->ctx, tc->vmin) ||
	    !SSL_CTX_set_max_proto_version(tc->ctx, tc->vmax))
		return (tls_qerr("--tls-min", NULL, err, len));
	if (o->ciphers != NULL &&
	    SSL_CTX_set_cipher_list(tc->ctx, o->ciphers) != 1) {
		ERR_clear_error();
		tls_seterr(err, len, "--tls-ciphers %s: no cipher matches",
		    o->ciphers);
		errno = EINVAL;
		return (-1);
	}
	/*
	 * A server's default order puts AES-128-GCM first, as Go's and
	 * BoringSSL's do: with AES and SHA instructions its key schedule
	 * (SHA-256) and records cost less than AES-256-GCM's (SHA-384),
	 * for the same safety; a client that lists ChaCha20 first (no AES
	 * instructions) still gets it (SSL_OP_PRIORITIZE_CHACHA).
	 */
	if (o->ciphersuites == NULL && o->server &&
	    SSL_CTX_set_ciphersuites(tc->ctx, TLS_SERVER_SUITES) != 1)
		return (tls_qerr("cipher suites", NULL, err, len));
	if (o->ciphersuites != NULL &&
	    SSL_CTX_set_ciphersuites(tc->ctx, o->ciphersuites) != 1) {
		ERR_clear_error();
		tls_seterr(err, len, "--tls-ciphersuites %s: no cipher suite "
		    "matches", o->ciphersuites);
		errno = EINVAL;
		return (-1);
	}
	if (o->alpn != NULL && tls_parse_alpn(o->alpn, tc->alpn,
	    sizeof(tc->alpn), &tc->alpn_len) == -1) {
		tls_seterr(err, len, "--tls-alpn %s: a comma-separated list "
		    "of protocol names (1 to 255 bytes each)", o->alpn);
		errno = EINVAL;
		return (-1);
	}
	if (o->pin != NULL) {
		if (tls_parse_pin(o->pin, tc->pin) == -1) {
			tls_seterr(err, len, "--tls-pin %s: expected sha256: "
			    "and 64 hex digits", o->pin);
			errno = EINVAL;
			return (-1);
		}
		tc->pinned = 1;
		tls_hex(tc->pin_str, tc->pin, sizeof(tc->pin));
	}
	if (o->name != NULL && (tc->name = strdup(o->name)) == NULL) {
		tls_seterr(err, len, "%s", strerror(ENOMEM));
		errno = ENOMEM;
		return (-1);
	}
	return (0);
}

/* How the peer is checked, and the callbacks that explain failures. */
static int
tls_ctx_verify(struct tls_ctx *tc, const struct tls_opts *o, char *err,
    size_t len)
{
	int	mode = SSL_VERIFY_PEER;

	if (tc->server) {
		if (o->client_ca != NULL &&
		    tls_load_client_ca(tc, o->client_ca, err, len) == -1)
			return (-1);
		tc->peer_cert = o->client_ca != NULL || tc->pinned;
		mode = tc->peer_cert ? SSL_VERIFY_PEER |
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_NONE;
		SSL_CTX_set_client_hello_cb(tc->ctx, tls_hello_cb, tc);
		if (tc->alpn_len > 0)
			SSL_CTX_set_alpn_select_cb(tc->ctx, tls_alpn_cb, tc);
	} else {
		tc->insecure = o->insecure;
		if (!tc->insecure && !tc->pinned &&
		    tls_load_trust(tc, o->ca, "--tls-ca", err, len) == -1)
			return (-1);
		if (tc->insecure)
			mode = SSL_VERIFY_NONE;
		SSL_CTX_set_client_cert_cb(tc->ctx, tls_client_cert_cb);
		if (tc->alpn_len > 0 && SSL_CTX_set_alpn_protos(tc->ctx,
		    tc->alpn, (unsigned int)tc->alpn_len) != 0)
			return (tls_qerr("--tls-alpn", NULL, err, len));
	}
	SSL_CTX_set_verify(tc->ctx, mode, NULL);
	SSL_CTX_set_cert_verify_callback(tc->ctx, tls_verify_cb, tc);
	return (0);
}

int
tls_available(void)
{
	return (1);
}

struct tls_ctx *
tls_ctx_new(const struct tls_opts *o, char *err, size_t len)
{
	struct tls_ctx	*tc;
	char		 dummy[TLS_ERR_LEN];
	int		 saved;

	if (err == NULL || len == 0) {
		err = dummy;
		len = sizeof(dummy);
	}
	err[0] = '\0';
	if (tls_lib_load(err, len) == -1) {
		errno = ENOENT;
		return (NULL);
	}
	ERR_clear_error();
	if ((tc = calloc(1, sizeof(*tc))) == NULL) {
		tls_seterr(err, len, "%s", strerror(errno));
		return (NULL);
	}
	tc->server = o->server;
	tc->keep_nodelay = o->nodelay;
	tc->ctx = SSL_CTX_new(o->server ? TLS_server_method() :
	    TLS_client_method());
	if (tc->ctx == NULL) {
		(void)tls_qerr("TLS", NULL, err, len);
		errno = ENOMEM;
		goto fail;
	}
	SSL_CTX_set_mode(tc->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	/*
	 * Read ahead: one read(2) takes several records, where without it
	 * each record costs a read of its 5-byte header, one of its body
	 * and a wakeup.  The buffer goes when empty (RELEASE_BUFFERS), so
	 * an idle connection does not keep it.
	 */
	SSL_CTX_set_read_ahead(tc->ctx, 1);
	SSL_CTX_set_default_read_buffer_len(tc->ctx, TLS_READ_AHEAD);
	SSL_CTX_set_options(tc->ctx, SSL_OP_NO_RENEGOTIATION |
	    (o->server ? SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_PRIORITIZE_CHACHA | SSL_OP_NO_TICKET :
	    0) | (o->allow_truncation ? SSL_OP_IGNORE_UNEXPECTED_EOF : 0));
	SSL_CTX_set_default_passwd_cb(tc->ctx, tls_passwd_cb);
	SSL_CTX_set_default_passwd_cb_userdata(tc->ctx, tc);
	if (o->server) {
		/* Nothing outlives a connection: no cache, no tickets. */
		SSL_CTX_set_session_cache_mode(tc->ctx, SSL_SESS_CACHE_OFF);
		(void)SSL_CTX_set_num_tickets(tc->ctx, 0);
	}
	if (tls_ctx_settings(tc, o, err, len) == -1 ||
	    tls_ctx_verify(tc, o, err, len) == -1)
		goto fail;
	if (o->cert != NULL || o->key != NULL) {
		if (tls_load_cert(tc, o, err, len) == -1)
			goto fail;
	} else if (o->server && tls_auto_cert(tc, o->cert_names, err,
	    len) == -1)
		goto fail;
	if (tls_cert_sha256(SSL_CTX_get0_certificate(tc->ctx),
	    tc->fingerprint) == -1)
		tc->fingerprint[0] = '\0';
	ERR_clear_error();
	return (tc);
fail:
	saved = errno;
	tls_ctx_free(tc);
	ERR_clear_error();
	errno = saved;
	return (NULL);
}

const char *
tls_ctx_fingerprint(const struct tls_ctx *tc)
{
	return (tc->fingerprint[0] != '\0' ? tc->fingerprint : NULL);
}

void
tls_ctx_free(struct tls_ctx *tc)
{
	if (tc == NULL)
		return;
	SSL_CTX_free(tc->ctx);
	free(tc->name);
	free(tc);
}

/*
 * The stream.
 */

static struct tls_conn *
tls_conn(const struct stream *s)
{
	return (s->impl);
}

/* Names of the alerts a user may meet, in words. */
static const char *
tls_alert_name(int desc)
{
	switch (desc) {
	case SSL_AD_CERTIFICATE_REQUIRED:
		return ("certificate required");
	case SSL_AD_MISSING_EXTENSION:
		return ("missing extension");
	case SSL_AD_INAPPROPRIATE_FALLBACK:
		return ("inappropriate fallback");
	default:
		return (SSL_alert_desc_string_long(desc));
	}
}

/* Whether a received alert says the peer refused a certificate. */
static int
tls_alert_is_auth(int desc)
{
	switch (desc) {
	case SSL_AD_BAD_CERTIFICATE:
	case SSL_AD_UNSUPPORTED_CERTIFICATE:
	case SSL_AD_CERTIFICATE_REVOKED:
	case SSL_AD_CERTIFICATE_EXPIRED:
	case SSL_AD_CERTIFICATE_UNKNOWN:
	case SSL_AD_UNKNOWN_CA:
	case SSL_AD_ACCESS_DENIED:
	case SSL_AD_CERTIFICATE_REQUIRED:
		return (1);
	default:
		return (0);
	}
}

/* Our version range in words: "TLS 1.3" or "TLS 1.2 to 1.3". */
static void
tls_explain_version(struct tls_conn *c)
{
	const struct tls_ctx	*tc = c->tc;
	char			 range[32];

	if (tc->vmin == tc->vmax)
		(void)snprintf(range, sizeof(range), "%s",
		    tls_version_name(tc->vmin));
	else
		(void)snprintf(range, sizeof(range), "%s to %s",
		    tls_version_name(tc->vmin), tls_version_name(tc->vmax) + 4);
	if (c->peer_vmax != 0 && c->peer_vmax < tc->vmin)
		tls_seterr(c->err, sizeof(c->err), "protocol version: peer "
		    "supports only %s%s (minimum here: %s)",
		    c->peer_vmin == c->peer_vmax ? "" : "up to ",
		    tls_version_name(c->peer_vmax), tls_version_name(tc->vmin));
	else if (c->peer_vmin != 0 && c->peer_vmin > tc->vmax)
		tls_seterr(c->err, sizeof(c->err), "protocol version: peer "
		    "requires %s or newer (maximum here: %s)",
		    tls_version_name(c->peer_vmin), tls_version_name(tc->vmax));
	else
		tls_seterr(c->err, sizeof(c->err), "protocol version: peer "
		    "does not support %s", range);
}

/* A verification failure: which check, and about what. */
static void
tls_explain_verify(struct tls_conn *c)
{
	const char	*who = c->tc->server ? "client" : "server";
	long		 v = SSL_get_verify_result(c->ssl);

	c->auth_failed = 1;
	if (c->pin_mismatch)
		tls_seterr(c->err, sizeof(c->err), "pin mismatch: the %s's "
		    "certificate is %s, not %s", who, c->sha, c->tc->pin_str);
	else if (v == X509_V_ERR_HOSTNAME_MISMATCH ||
	    v == X509_V_ERR_IP_ADDRESS_MISMATCH)
		tls_seterr(c->err, sizeof(c->err), "certificate verify "
		    "failed: %s (certificate is for %s, not %s)",
		    v == X509_V_ERR_HOSTNAME_MISMATCH ? "hostname mismatch" :
		    "IP address mismatch", c->names,
		    c->check_name != NULL ? c->check_name : "?");
	else
		tls_seterr(c->err, sizeof(c->err), "%scertificate verify "
		    "failed: %s", c->tc->server ? "client " : "",
		    X509_verify_cert_error_string(v));
}

/* An alert the peer sent. */
static int
tls_explain_alert(struct tls_conn *c, int desc)
{
	const char	*name = tls_alert_name(desc);

	if (desc == SSL_AD_PROTOCOL_VERSION) {
		tls_explain_version(c);
		return (EPROTO);
	}
	if (desc == SSL_AD_NO_APPLICATION_PROTOCOL) {
		tls_seterr(c->err, sizeof(c->err), "ALPN: the server accepts "
		    "none of the protocols offered (alert: %s)", name);
		return (EPROTO);
	}
	if (c->cert_requested && (desc == SSL_AD_HANDSHAKE_FAILURE ||
	    tls_alert_is_auth(desc))) {
		c->auth_failed = 1;
		tls_seterr(c->err, sizeof(c->err), "the server requires a "
		    "client certificate (alert: %s)", name);
		return (EPROTO);
	}
	if (tls_alert_is_auth(desc)) {
		c->auth_failed = 1;
		tls_seterr(c->err, sizeof(c->err), "the %s refused %s "
		    "(alert: %s)", c->tc->server ? "client" : "server",
		    desc == SSL_AD_CERTIFICATE_REQUIRED ? "to go on without a "
		    "certificate" : "our certificate", name);
		return (EPROTO);
	}
	if (desc == SSL_AD_UNRECOGNIZED_NAME)
		tls_seterr(c->err, sizeof(c->err), "the server does not know "
		    "the name %s (alert: %s)",
		    c->check_name != NULL ? c->check_name : "sent", name);
	else
		tls_seterr(c->err, sizeof(c->err), "the peer sent an alert: "
		    "%s", name);
	return (EPROTO);
}

/* An error queued by the SSL library; returns the errno to report. */
static int
tls_explain_ssl(struct tls_conn *c, unsigned long e)
{
	int	r = ERR_GET_REASON(e);

	switch (r) {
	case SSL_R_CERTIFICATE_VERIFY_FAILED:
		tls_explain_verify(c);
		return (EPROTO);
	case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
		c->auth_failed = 1;
		tls_seterr(c->err, sizeof(c->err),
		    "peer did not send a certificate");
		return (EPROTO);
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_UNSUPPORTED_SSL_VERSION:
	case SSL_R_VERSION_TOO_LOW:
	case SSL_R_VERSION_TOO_HIGH:
	case SSL_R_NO_PROTOCOLS_AVAILABLE:
		tls_explain_version(c);
		return (EPROTO);
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_HTTP_REQUEST:
	case SSL_R_HTTPS_PROXY_REQUEST:
	case SSL_R_PACKET_LENGTH_TOO_LONG:
		tls_seterr(c->err, sizeof(c->err), "not TLS: the peer sent "
		    "something else (%s)", ERR_reason_error_string(e));
		return (EPROTO);
	case SSL_R_NO_SHARED_CIPHER:
		tls_seterr(c->err, sizeof(c->err),
		    "no cipher in common with the peer");
		return (EPROTO);
	case SSL_R_NO_SUITABLE_KEY_SHARE:
		tls_seterr(c->err, sizeof(c->err),
		    "no key exchange group in common with the peer");
		return (EPROTO);
	}
	if (r > SSL_AD_REASON_OFFSET && r < SSL_AD_REASON_OFFSET + 256)
		return (tls_explain_alert(c, r - SSL_AD_REASON_OFFSET));
	tls_seterr(c->err, sizeof(c->err), "TLS error: %s",
	    ERR_reason_error_string(e) != NULL ? ERR_reason_error_string(e) :
	    "unknown");
	return (EPROTO);
}

/*
 * A call on the connection failed for good: the words go to c->err and
 * the errno is returned (and kept for every later call).  sys is errno
 * right after the call; op says what a TCP EOF means: a handshake cut
 * short, a truncation, or a peer gone.
 */
enum tls_op { TLS_OP_HANDSHAKE, TLS_OP_READ, TLS_OP_WRITE };

static int
tls_fail(struct tls_conn *c, int sslerr, int sys, enum tls_op op)
{
	unsigned long	 e = ERR_peek_error();
	int		 err, eof = 0, sysfail;
	char		 kept[TLS_ERR_LEN] = "";

	if (c->wdead != 0)
		(void)snprintf(kept, sizeof(kept), "%s", c->err);

	sysfail = e == 0 || ERR_GET_LIB(e) == ERR_LIB_SYS ||
	    ERR_SYSTEM_ERROR(e);
	if (sslerr == SSL_ERROR_ZERO_RETURN ||
	    (sslerr == SSL_ERROR_SYSCALL && e == 0 && sys == 0))
		eof = 1;
	if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
		eof = 1;
	if (c->preset)
		err = EPROTO;
	else if (eof && op == TLS_OP_HANDSHAKE) {
		tls_seterr(c->err, sizeof(c->err),
		    "connection closed during the TLS handshake");
		err = ECONNRESET;
	} else if (eof && op == TLS_OP_READ) {
		tls_seterr(c->err, sizeof(c->err),
		    "truncated: connection closed without close_notify");
		err = EPROTO;
	} else if (eof) {
		tls_seterr(c->err, sizeof(c->err), "%s", strerror(EPIPE));
		err = EPIPE;
	} else if (sysfail) {
		err = e != 0 ? ERR_GET_REASON(e) : sys;
		if (err != 0)
			tls_seterr(c->err, sizeof(c->err), "%s", strerror(err));
		else {
			tls_seterr(c->err, sizeof(c->err), "TLS error: the %s "
			    "failed without a reason", op == TLS_OP_HANDSHAKE ?
			    "handshake" : op == TLS_OP_READ ? "read" : "write");
			err = EPROTO;
		}
	} else if (ERR_GET_LIB(e) == ERR_LIB_SSL)
		err = tls_explain_ssl(c, e);
	else {
		tls_seterr(c->err, sizeof(c->err), "TLS error: %s",
		    ERR_reason_error_string(e) != NULL ?
		    ERR_reason_error_string(e) : "unknown");
		err = EPROTO;
	}
	ERR_clear_error();
	/* After a refused write, reads go on; that failure stays the cause. */
	if (kept[0] != '\0')
		(void)snprintf(c->err, sizeof(c->err), "%s", kept);
	if (op == TLS_OP_WRITE && sysfail && !eof && stream_peer_gone(err))
		c->wdead = err;
	else
		c->dead = err;
	return (err);
}

/*
 * After a call that did not succeed: EAGAIN with the want in *want, or
 * the failure.  Returns 0 for a read that met close_notify, else -1
 * with errno.
 */
static int
tls_io_fail(struct tls_conn *c, int ret, int sys, enum tls_op op, int *want)
{
	int	e = SSL_get_error(c->ssl, ret);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		*want = LOOP_READABLE;
		ERR_clear_error();
		errno = EAGAIN;
		return (-1);
	case SSL_ERROR_WANT_WRITE:
		*want = LOOP_WRITABLE;
		ERR_clear_error();
		errno = EAGAIN;
		return (-1);
	case SSL_ERROR_ZERO_RETURN:
		if (op == TLS_OP_READ) {
			ERR_clear_error();
			return (0);
		}
		break;
	}
	errno = tls_fail(c, e, sys, op);
	return (-1);
}

static ssize_t
tls_read(struct stream *s, void *p, size_t n)
{
	struct tls_conn	*c = tls_conn(s);
	unsigned char	*b = p;
	size_t		 got = 0, k;
	int		 r, sys, later;

	if (c->later != 0) {
		later = c->later;
		c->later = 0;
		if (later == -1)
			return (0);
		errno = later;
		return (-1);
	}
	if (c->dead) {
		errno = c->dead;
		return (-1);
	}
	s->rwant = LOOP_READABLE;
	c->starved = 0;
	/* As many records as are there and fit: fewer loop rounds. */
	while (got < n) {
		ERR_clear_error();
		if (SSL_read_ex(c->ssl, b + got, n - got, &k) == 1) {
			got += k;
			continue;
		}
		sys = errno;
		r = tls_io_fail(c, 0, sys, TLS_OP_READ, &s->rwant);
		if (r == -1 && errno == EAGAIN)
			c->starved = 1;
		if (got == 0)
			return (r);
		if (r == 0)
			c->later = -1;
		else if (errno != EAGAIN)
			c->later = errno;
		break;
	}
	return ((ssize_t)got);
}

/* The socket refused queued records: writes are over, reads go on. */
static void
tls_write_failed(struct tls_conn *c, int err)
{
	if (c->wdead != 0 || c->dead != 0)
		return;
	c->wdead = err;
	tls_seterr(c->err, sizeof(c->err), "%s", strerror(err));
	errno = err;
}

/* Whether writes have failed for good; errno says why. */
static int
tls_write_dead(const struct tls_conn *c)
{
	if (c->dead == 0 && c->wdead == 0)
		return (0);
	errno = c->dead != 0 ? c->dead : c->wdead;
	return (1);
}

/*
 * A write of a record or more is bulk: with Nagle the kernel joins its
 * records into full segments (measured: a 1 GiB upload took 15% less
 * CPU than with TCP_NODELAY).  A smaller write is interactive and goes
 * out at once; turning TCP_NODELAY on also pushes what Nagle held.
 */
#define TLS_BULK_WRITE	16384

static void
tls_set_nodelay(struct tls_conn *c, int fd, int on)
{
	if (c->nodelay == -1 || c->nodelay == on)
		return;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == 0)
		c->nodelay = on;
	else
		c->nodelay = -1;
}

/*
 * A write of several records, for an owner that flushes (the relay):
 * OpenSSL makes a record per SSL_write_ex call (partial writes are on),
 * and the write queue sends them in writes of up to TLS_WQ_MAX instead
 * of one write(2) each.  A 1 GiB upload made 65,540 writes of 16 KiB
 * before (docs/PERFORMANCE.md, scenario 10).  What the socket cannot
 * take now stays queued: stream_held() says so, and stream_flush()
 * sends it when the socket is writable.
 */
#define TLS_COLLECT_WRITE	(2 * TLS_WQ_DATA)

static ssize_t
tls_write_collected(struct stream *s, const unsigned char *p, size_t n)
{
	struct tls_conn	*c = tls_conn(s);
	size_t		 done = 0, k;
	int		 sys = 0, failed = 0;

	tls_wq_collect(&c->wq, n);
	while (done < n) {
		ERR_clear_error();
		if (SSL_write_ex(c->ssl, p + done, n - done, &k) != 1) {
			sys = errno;
			failed = 1;
			break;
		}
		done += k;
	}
	tls_wq_collect(&c->wq, 0);
	if (done == 0)
		return (tls_io_fail(c, 0, sys, TLS_OP_WRITE, &s->wwant));
	/* Records made but not sent wait for stream_flush(). */
	if (failed)
		(void)tls_io_fail(c, 0, sys, TLS_OP_WRITE, &s->wwant);
	if (tls_wq_flush(&c->wq) == -1 && errno != EAGAIN &&
	    errno != EWOULDBLOCK)
		tls_write_failed(c, errno);
	s->wwant = LOOP_WRITABLE;
	return ((ssize_t)done);
}

static ssize_t
tls_write(struct stream *s, const void *p, size_t n)
{
	struct tls_conn	*c = tls_conn(s);
	size_t		 k;
	int		 sys;

	if (tls_write_dead(c))
		return (-1);
	if (n == 0)
		return (0);
	/* After our close_notify OpenSSL would fail for good: reads too. */
	if (SSL_get_shutdown(c->ssl) & SSL_SENT_SHUTDOWN) {
		errno = EPIPE;
		return (-1);
	}
	tls_set_nodelay(c, s->fd, n < TLS_BULK_WRITE);
	if ((s->flags & STREAM_OWNER_FLUSHES) && n >= TLS_COLLECT_WRITE)
		return (tls_write_collected(s, p, n));
	ERR_clear_error();
	if (SSL_write_ex(c->ssl, p, n, &k) == 1) {
		s->wwant = LOOP_WRITABLE;
		return ((ssize_t)k);
	}
	sys = errno;
	return (tls_io_fail(c, 0, sys, TLS_OP_WRITE, &s->wwant));
}

/* Sends close_notify and keeps reading: a one-way half-close. */
static int
tls_shutdown(struct stream *s)
{
	struct tls_conn	*c = tls_conn(s);
	int		 r, sys;

	if (tls_write_dead(c))
		return (-1);
	if (!SSL_is_init_finished(c->ssl)) {
		errno = ENOTCONN;
		return (-1);
	}
	ERR_clear_error();
	if ((r = SSL_shutdown(c->ssl)) >= 0) {
		s->wwant = LOOP_WRITABLE;
		return (0);
	}
	sys = errno;
	return (tls_io_fail(c, r, sys, TLS_OP_WRITE, &s->wwant));
}

static size_t
tls_pending(const struct stream *s)
{
	const struct tls_conn	*c = tls_conn(s);
	int			 n;

	/* An EOF or error owed after the last bytes counts as input. */
	if (c->later != 0)
		return (1);
	if (c->dead)
		return (0);
	if ((n = SSL_pending(c->ssl)) > 0)
		return ((size_t)n);
	/*
	 * Records read ahead but not yet decrypted count too, unless the
	 * last read said they are not a whole record: then only the socket
	 * can help, and the loop must sleep on it instead of spinning.
	 */
	return (!c->starved && SSL_has_pending(c->ssl) ? 1 : 0);
}

static size_t
tls_held(const struct stream *s)
{
	return (tls_conn(s)->wq.len);
}

static int
tls_flush(struct stream *s)
{
	struct tls_conn	*c = tls_conn(s);

	if (tls_write_dead(c))
		return (-1);
	if (tls_wq_flush(&c->wq) == 0)
		return (0);
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		s->wwant = LOOP_WRITABLE;
	else
		tls_write_failed(c, errno);
	return (-1);
}

static void
tls_free(struct stream *s)
{
	struct tls_conn	*c = tls_conn(s);

	if (c == NULL)
		return;
	/* A last try for records still queued: the socket may take them. */
	if (c->wq.len > 0)
		(void)tls_wq_flush(&c->wq);
	SSL_free(c->ssl);
	tls_wq_free(&c->wq);
	free(c->check_name);
	free(c->subject);
	free(c);
	s->impl = NULL;
}

static const struct stream_ops tls_stream_ops = {
	.name = "tls",
	.read = tls_read,
	.write = tls_write,
	.shutdown = tls_shutdown,
	.pending = tls_pending,
	.drop = NULL,
	.acked = NULL,
	.held = tls_held,
	.flush = tls_flush,
	.free = tls_free
};

/* The name a client checks: "[::1]" and "fe80::1%eth0" lose decoration. */
static char *
tls_check_name(const char *host)
{
	char	*name, *pct;
	size_t	 n = strlen(host);

	if (host[0] == '[' && n > 2 && host[n - 1] == ']')
		name = strndup(host + 1, n - 2);
	else
		name = strdup(host);
	if (name != NULL && strchr(name, ':') != NULL &&
	    (pct = strchr(name, '%')) != NULL)
		*pct = '\0';
	return (name);
}

static int
tls_is_ip(const char *name)
{
	unsigned char	buf[16];

	return (inet_pton(AF_INET, name, buf) == 1 ||
	    inet_pton(AF_INET6, name, buf) == 1);
}

/* Client: the name to verify and the SNI to send; 0 or -1 + err. */
static int
tls_client_name(struct tls_conn *c, const char *host, char *err, size_t len)
{
	const struct tls_ctx	*tc = c->tc;
	const char		*want = tc->name != NULL ? tc->name : host;
	int			 verify = !tc->insecure && !tc->pinned;
	int			 ip;

	if (want == NULL) {
		if (!verify)
			return (0);
		tls_seterr(err, len, "no name to check the server's "
		    "certificate against (give --tls-name or --tls-pin)");
		errno = EINVAL;
		return (-1);
	}
	if ((c->check_name = tls_check_name(want)) == NULL) {
		tls_seterr(err, len, "%s", strerror(errno));
		return (-1);
	}
	ip = tls_is_ip(c->check_name);
	if (!ip && SSL_set_tlsext_host_name(c->ssl, c->check_name) != 1) {
		tls_seterr(err, len, "--tls-name %s: not a name to send as "
		    "SNI", c->check_name);
		errno = EINVAL;
		return (-1);
	}
	if (!verify)
		return (0);
	if (ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
	    c->check_name) != 1 : SSL_set1_host(c->ssl, c->check_name) != 1) {
		tls_seterr(err, len, "%s: not a name to check", c->check_name);
		errno = EINVAL;
		return (-1);
	}
	SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return (0);
}

int
tls_stream_init(struct stream *s, struct tls_ctx *tc, int fd,
    const char *host, char *err, size_t len)
{
	struct tls_conn	*c;
	BIO		*wbio;
	char		 dummy[TLS_ERR_LEN];
	int		 saved;

	if (err == NULL || len == 0) {
		err = dummy;
		len = sizeof(dummy);
	}
	err[0] = '\0';
	ERR_clear_error();
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		tls_seterr(err, len, "%s", strerror(errno));
		return (-1);
	}
	/*
	 * Nagle off for the handshake and small records: with it, the
	 * first small record after the client's last handshake flight
	 * waits for the server's delayed ACK (40 ms).  Bulk writes turn
	 * it back on (tls_write).  Not for Unix sockets (the call fails),
	 * nor where --nodelay already turned it on: that stays.
	 */
	if (tc->keep_nodelay)
		c->nodelay = -1;
	else
		c->nodelay = sock_set_nodelay(fd) == 0 ? 1 : -1;
	c->tc = tc;
	if ((c->ssl = SSL_new(tc->ctx)) == NULL ||
	    SSL_set_fd(c->ssl, fd) != 1 ||
	    (wbio = tls_wq_bio(&c->wq, fd)) == NULL) {
		(void)tls_queue_reason(&saved);
		tls_seterr(err, len, "TLS: %s", strerror(ENOMEM));
		errno = ENOMEM;
		goto fail;
	}
	/* Reads stay on OpenSSL's socket BIO; writes go through the queue. */
	SSL_set0_wbio(c->ssl, wbio);
	SSL_set_app_data(c->ssl, c);
	if (tc->server)
		SSL_set_accept_state(c->ssl);
	else {
		SSL_set_connect_state(c->ssl);
		if (tls_client_name(c, host, err, len) == -1)
			goto fail;
	}
	s->ops = &tls_stream_ops;
	s->fd = fd;
	s->flags = 0;
	s->rwant = LOOP_READABLE;
	s->wwant = LOOP_WRITABLE;
	s->impl = c;
	return (0);
fail:
	saved = errno;
	SSL_free(c->ssl);
	free(c->check_name);
	free(c);
	ERR_clear_error();
	errno = saved;
	return (-1);
}

int
tls_handshake(struct stream *s)
{
	struct tls_conn	*c = tls_conn(s);
	int		 r, sys, want;

	if (c->dead) {
		errno = c->dead;
		return (-1);
	}
	if (SSL_is_init_finished(c->ssl))
		return (0);
	ERR_clear_error();
	if ((r = SSL_do_handshake(c->ssl)) == 1) {
		s->rwant = LOOP_READABLE;
		s->wwant = LOOP_WRITABLE;
		return (0);
	}
	sys = errno;
	if (tls_io_fail(c, r, sys, TLS_OP_HANDSHAKE, &want) == -1 &&
	    errno == EAGAIN) {
		s->rwant = s->wwant = want;
		return (-1);
	}
	return (-1);
}

const char *
tls_stream_error(const struct stream *s)
{
	const struct tls_conn	*c = tls_conn(s);

	return (c != NULL && c->err[0] != '\0' ? c->err : NULL);
}

int
tls_stream_auth_failed(const struct stream *s)
{
	const struct tls_conn	*c = tls_conn(s);

	return (c != NULL && c->auth_failed);
}

const char *
tls_peer_sha256(const struct stream *s)
{
	struct tls_conn	*c = tls_conn(s);

	if (c == NULL)
		return (NULL);
	if (!c->have_peer)
		tls_note_peer(c, SSL_get0_peer_certificate(c->ssl));
	return (c->have_peer ? c->sha : NULL);
}

/* Whether the peer's certificate was checked (by a CA or the pin). */
static int
tls_peer_verified(const struct tls_conn *c)
{
	if (c->tc->server ? !c->tc->peer_cert : c->tc->insecure)
		return (0);
	return (SSL_is_init_finished(c->ssl) &&
	    SSL_get_verify_result(c->ssl) == X509_V_OK);
}

const char *
tls_peer_subject(const struct stream *s)
{
	struct tls_conn	*c = tls_conn(s);
	X509		*x;
	BIO		*b;
	BUF_MEM		*m;

	if (c == NULL || !tls_peer_verified(c))
		return (NULL);
	if (c->subject_done)
		return (c->subject);
	c->subject_done = 1;
	if ((x = SSL_get0_peer_certificate(c->ssl)) == NULL ||
	    (b = BIO_new(BIO_s_mem())) == NULL)
		return (NULL);
	if (X509_NAME_print_ex(b, X509_get_subject_name(x), 0,
	    XN_FLAG_ONELINE & ~XN_FLAG_SPC_EQ) >= 0 &&
	    BIO_get_mem_ptr(b, &m) == 1 && m != NULL)
		c->subject = strndup(m->data, m->length);
	BIO_free(b);
	ERR_clear_error();
	return (c->subject);
}

const char *
tls_alpn(const struct stream *s)
{
	struct tls_conn		*c = tls_conn(s);
	const unsigned char	*p;
	unsigned int		 n;

	if (c == NULL)
		return (NULL);
	SSL_get0_alpn_selected(c->ssl, &p, &n);
	if (p == NULL || n == 0)
		return (NULL);
	memcpy(c->alpn, p, n);
	c->alpn[n] = '\0';
	tls_printable(c->alpn);
	return (c->alpn);
}

const char *
tls_version(const struct stream *s)
{
	const struct tls_conn	*c = tls_conn(s);

	if (c == NULL || !SSL_is_init_finished(c->ssl))
		return (NULL);
	return (SSL_get_version(c->ssl));
}

const char *
tls_sni(const struct stream *s)
{
	struct tls_conn	*c = tls_conn(s);
	const char	*name;

	if (c == NULL || !c->tc->server ||
	    (name = SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name)) ==
	    NULL)
		return (NULL);
	(void)strlcpy(c->sni, name, sizeof(c->sni));
	tls_printable(c->sni);
	return (c->sni);
}

#else /* !HAVE_OPENSSL */

/*
 * Without OpenSSL: the same API, refusing.
 */

static void
tls_refuse(char *err, size_t len)
{
	if (err != NULL && len > 0)
		(void)snprintf(err, len, "%s", TLS_NO_TLS);
	errno = ENOTSUP;
}

int
tls_available(void)
{
	return (0);
}

struct tls_ctx *
tls_ctx_new(const struct tls_opts *o, char *err, size_t len)
{
	tls_refuse(err, len);
	return (NULL);
}

const char *
tls_ctx_fingerprint(const struct tls_ctx *tc)
{
	return (NULL);
}

void
tls_ctx_free(struct tls_ctx *tc)
{
}

int
tls_stream_init(struct stream *s, struct tls_ctx *tc, int fd,
    const char *host, char *err, size_t len)
{
	tls_refuse(err, len);
	return (-1);
}

int
tls_handshake(struct stream *s)
{
	errno = ENOTSUP;
	return (-1);
}

const char *
tls_stream_error(const struct stream *s)
{
	return (TLS_NO_TLS);
}

int
tls_stream_auth_failed(const struct stream *s)
{
	return (0);
}

const char *
tls_peer_sha256(const struct stream *s)
{
	return (NULL);
}

const char *
tls_peer_subject(const struct stream *s)
{
	return (NULL);
}

const char *
tls_alpn(const struct stream *s)
{
	return (NULL);
}

const char *
tls_version(const struct stream *s)
{
	return (NULL);
}

const char *
tls_sni(const struct stream *s)
{
	return (NULL);
}

#endif /* HAVE_OPENSSL */
