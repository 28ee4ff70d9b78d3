/*
 * --tls-* and --forward-tls-* options.
 */
#include "config.h"

#include <string.h>

#include "args.h"
#include "tls.h"
#include "tlsopt.h"

/* Default bound of a server's TLS handshake. */
#define TLSOPT_HANDSHAKE_MS	10000

void
tlsopt_init(struct tlsopt *o, int server)
{
	memset(o, 0, sizeof(*o));
	o->t.server = server;
	o->handshake_ms = TLSOPT_HANDSHAKE_MS;
}

static int
tlsopt_set_min(struct tlsopt *o, const char *arg, char **cause)
{
	if (strcmp(arg, "1.2") == 0)
		o->t.min_version = 12;
	else if (strcmp(arg, "1.3") == 0)
		o->t.min_version = 13;
	else {
		*cause = args_cause("--tls-min: \"%s\" is not 1.2 or 1.3", arg);
		return (-1);
	}
	return (1);
}

/* --forward-tls-*: the backend side, a client. */
static int
tlsopt_set_forward(struct tlsopt *f, int id, const char *arg)
{
	switch (id) {
	case TLSOPT_FWD_TLS:
		f->on = 1;
		break;
	case TLSOPT_FWD_CA:
		f->t.ca = arg;
		break;
	case TLSOPT_FWD_NAME:
		f->t.name = arg;
		break;
	case TLSOPT_FWD_PIN:
		f->t.pin = arg;
		break;
	case TLSOPT_FWD_INSECURE:
		f->t.insecure = 1;
		break;
	default:
		return (0);
	}
	return (1);
}

int
tlsopt_set(struct tlsopt *o, struct tlsopt *fwd, int id, const char *arg,
    char **cause)
{
	long long	ms;

	if (fwd != NULL && tlsopt_set_forward(fwd, id, arg))
		return (1);
	switch (id) {
	case TLSOPT_TLS:
		o->on = 1;
		break;
	case TLSOPT_CA:
		o->t.ca = arg;
		break;
	case TLSOPT_NAME:
		o->t.name = arg;
		break;
	case TLSOPT_PIN:
		o->t.pin = arg;
		break;
	case TLSOPT_INSECURE:
		o->t.insecure = 1;
		break;
	case TLSOPT_CERT:
		o->t.cert = arg;
		break;
	case TLSOPT_KEY:
		o->t.key = arg;
		break;
	case TLSOPT_CLIENT_CA:
		o->t.client_ca = arg;
		break;
	case TLSOPT_ALPN:
		o->t.alpn = arg;
		break;
	case TLSOPT_MIN:
		return (tlsopt_set_min(o, arg, cause));
	case TLSOPT_CIPHERS:
		o->t.ciphers = arg;
		break;
	case TLSOPT_CIPHERSUITES:
		o->t.ciphersuites = arg;
		break;
	case TLSOPT_TRUNCATION:
		o->t.allow_truncation = 1;
		break;
	case TLSOPT_HANDSHAKE_TIMEOUT:
		if ((ms = args_seconds(arg, 86400, cause)) == -1)
			return (-1);
		o->handshake_ms = ms;
		o->handshake_set = 1;
		break;
	case TLSOPT_PIN_FILE:
		o->pin_file = arg;
		break;
	default:
		return (0);
	}
	return (1);
}

/* Whether any option beyond --tls itself was given. */
static int
tlsopt_any(const struct tlsopt *o)
{
	const struct tls_opts	*t = &o->t;

	return (t->ca != NULL || t->name != NULL || t->pin != NULL ||
	    t->insecure || t->cert != NULL || t->key != NULL ||
	    t->client_ca != NULL || t->alpn != NULL || t->min_version != 0 ||
	    t->ciphers != NULL || t->ciphersuites != NULL ||
	    t->allow_truncation || o->pin_file != NULL || o->handshake_set);
}

int
tlsopt_finish(struct tlsopt *o, const char *what, char **cause)
{
	if (!o->on && tlsopt_any(o)) {
		*cause = args_cause("the %s-* options need %s", what, what);
		return (-1);
	}
	if (o->on && !tls_available()) {
		*cause = args_cause("%s: sockit was built without TLS "
		    "(configure --with-openssl)", what);
		return (-1);
	}
	if (o->on && o->t.pin != NULL && o->t.insecure) {
		*cause = args_cause("choose one of %s-pin and %s-insecure",
		    what, what);
		return (-1);
	}
	return (0);
}

int
tlsopt_start(struct tlsopt *o, const char *names, char *err)
{
	if (!o->on)
		return (0);
	o->t.cert_names = names;
	if ((o->ctx = tls_ctx_new(&o->t, err, TLS_ERR_LEN)) == NULL)
		return (-1);
	return (0);
}

void
tlsopt_free(struct tlsopt *o)
{
	if (o->ctx != NULL)
		tls_ctx_free(o->ctx);
	o->ctx = NULL;
}
