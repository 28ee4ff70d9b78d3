/*
 * SOCKS5 and HTTP CONNECT proxy handshakes.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "loop.h"
#include "proxy.h"
#include "stream.h"

#define SOCKS5_VERSION		5
#define SOCKS5_NO_AUTH		0x00
#define SOCKS5_USERPASS		0x02
#define SOCKS5_NO_METHOD	0xff
#define SOCKS5_CMD_CONNECT	1
#define SOCKS5_ATYP_IPV4	1
#define SOCKS5_ATYP_NAME	3
#define SOCKS5_ATYP_IPV6	4

/* Where a handshake is: what it sent last and waits the answer to. */
enum {
	PROXY_STEP_GREETING,
	PROXY_STEP_AUTH,
	PROXY_STEP_CONNECT,
	PROXY_STEP_HTTP,
	PROXY_STEP_DONE
};

static void	proxy_hs_on_fd(struct loop *, int, int, void *);

size_t
proxy_base64(const unsigned char *p, size_t n, char *out)
{
	static const char	abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t			i, o = 0;
	unsigned long		v;

	for (i = 0; i < n; i += 3) {
		v = (unsigned long)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = abc[(v >> 18) & 63];
		out[o++] = abc[(v >> 12) & 63];
		out[o++] = i + 1 < n ? abc[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? abc[v & 63] : '=';
	}
	out[o] = '\0';
	return (o);
}

int
proxy_socks5_greeting(const struct proxy_conf *c, unsigned char *buf)
{
	buf[0] = SOCKS5_VERSION;
	if (c->user == NULL) {
		buf[1] = 1;
		buf[2] = SOCKS5_NO_AUTH;
		return (3);
	}
	buf[1] = 2;
	buf[2] = SOCKS5_NO_AUTH;
	buf[3] = SOCKS5_USERPASS;
	return (4);
}

int
proxy_socks5_auth(const struct proxy_conf *c, unsigned char *buf)
{
	size_t	ul = strlen(c->user), pl = strlen(c->pass);

	if (ul == 0 || ul > 255 || pl > 255)
		return (-1);
	buf[0] = 1;	/* the version of the username/password method */
	buf[1] = (unsigned char)ul;
	memcpy(buf + 2, c->user, ul);
	buf[2 + ul] = (unsigned char)pl;
	memcpy(buf + 3 + ul, c->pass, pl);
	return ((int)(3 + ul + pl));
}

int
proxy_socks5_connect(const struct proxy_conf *c, unsigned char *buf)
{
	unsigned char	ip[16];
	size_t		len = 4, hl = strlen(c->host);
	long		port = strtol(c->port, NULL, 10);

	buf[0] = SOCKS5_VERSION;
	buf[1] = SOCKS5_CMD_CONNECT;
	buf[2] = 0;
	if (c->family == AF_INET || inet_pton(AF_INET, c->host, ip) == 1) {
		buf[3] = SOCKS5_ATYP_IPV4;
		memcpy(buf + 4, c->family == AF_INET ? c->addr : ip, 4);
		len += 4;
	} else if (c->family == AF_INET6 ||
	    inet_pton(AF_INET6, c->host, ip) == 1) {
		buf[3] = SOCKS5_ATYP_IPV6;
		memcpy(buf + 4, c->family == AF_INET6 ? c->addr : ip, 16);
		len += 16;
	} else {
		/* The proxy resolves the name (remote DNS). */
		if (hl == 0 || hl > 255)
			return (-1);
		buf[3] = SOCKS5_ATYP_NAME;
		buf[4] = (unsigned char)hl;
		memcpy(buf + 5, c->host, hl);
		len += 1 + hl;
	}
	buf[len++] = (unsigned char)(port >> 8);
	buf[len++] = (unsigned char)port;
	return ((int)len);
}

int
proxy_http_connect(const struct proxy_conf *c, unsigned char *buf)
{
	char	cred[2 * 256 + 2], b64[4 * ((sizeof(cred) + 2) / 3) + 1];
	char	target[300];
	int	n;

	if (strlen(c->host) > 255)
		return (-1);
	snprintf(target, sizeof(target), strchr(c->host, ':') != NULL ?
	    "[%s]:%s" : "%s:%s", c->host, c->port);
	if (c->user == NULL)
		n = snprintf((char *)buf, PROXY_MSG_MAX, "CONNECT %s HTTP/1.1\r\n"
		    "Host: %s\r\n\r\n", target, target);
	else {
		if (strlen(c->user) > 255 || strlen(c->pass) > 255)
			return (-1);
		n = snprintf(cred, sizeof(cred), "%s:%s", c->user, c->pass);
		proxy_base64((unsigned char *)cred, (size_t)n, b64);
		n = snprintf((char *)buf, PROXY_MSG_MAX, "CONNECT %s HTTP/1.1\r\n"
		    "Host: %s\r\nProxy-Authorization: Basic %s\r\n\r\n",
		    target, target, b64);
	}
	return (n < 0 || n >= PROXY_MSG_MAX ? -1 : n);
}

enum proxy_result
proxy_socks5_method(const struct proxy_conf *c, const unsigned char *p,
    size_t len, size_t *used, int *method, char *why)
{
	if (len < 2)
		return (PROXY_NEED_MORE);
	*used = 2;
	if (p[0] != SOCKS5_VERSION) {
		snprintf(why, PROXY_MSG_MAX, "not a SOCKS5 reply (version %u)",
		    p[0]);
		return (PROXY_BAD_REPLY);
	}
	*method = p[1];
	if (p[1] == SOCKS5_NO_AUTH ||
	    (p[1] == SOCKS5_USERPASS && c->user != NULL))
		return (PROXY_OK);
	if (p[1] == SOCKS5_NO_METHOD) {
		snprintf(why, PROXY_MSG_MAX, c->user != NULL ?
		    "the proxy accepts neither no authentication nor a "
		    "username and password" : "the proxy requires "
		    "authentication (--proxy-auth)");
		return (PROXY_AUTH);
	}
	snprintf(why, PROXY_MSG_MAX, "the proxy chose method %u, which was "
	    "not offered", p[1]);
	return (PROXY_BAD_REPLY);
}

enum proxy_result
proxy_socks5_auth_reply(const unsigned char *p, size_t len, size_t *used,
    char *why)
{
	if (len < 2)
		return (PROXY_NEED_MORE);
	*used = 2;
	if (p[0] != 1) {
		snprintf(why, PROXY_MSG_MAX, "bad authentication reply "
		    "(version %u)", p[0]);
		return (PROXY_BAD_REPLY);
	}
	if (p[1] != 0) {
		snprintf(why, PROXY_MSG_MAX, "the proxy refused the username "
		    "or password");
		return (PROXY_AUTH);
	}
	return (PROXY_OK);
}

static const char *
proxy_socks5_reason(unsigned rep)
{
	static const char *const reasons[] = {
		"succeeded", "general failure", "not allowed by the proxy's "
		"rules", "network unreachable", "host unreachable",
		"connection refused", "TTL expired", "command not supported",
		"address type not supported"
	};

	return (rep < sizeof(reasons) / sizeof(reasons[0]) ? reasons[rep] :
	    "unknown error");
}

enum proxy_result
proxy_socks5_reply(const unsigned char *p, size_t len, size_t *used,
    char *why)
{
	size_t	need;

	if (len >= 1 && p[0] != SOCKS5_VERSION) {
		snprintf(why, PROXY_MSG_MAX, "not a SOCKS5 reply (version %u)",
		    p[0]);
		return (PROXY_BAD_REPLY);
	}
	/* A failure is known from its second byte; the proxy then closes. */
	if (len >= 2 && p[1] != 0) {
		*used = len;
		snprintf(why, PROXY_MSG_MAX, "the proxy could not connect to "
		    "the target: %s", proxy_socks5_reason(p[1]));
		return (PROXY_REFUSED);
	}
	if (len < 5)
		return (PROXY_NEED_MORE);
	switch (p[3]) {
	case SOCKS5_ATYP_IPV4:
		need = 4 + 4 + 2;
		break;
	case SOCKS5_ATYP_IPV6:
		need = 4 + 16 + 2;
		break;
	case SOCKS5_ATYP_NAME:
		need = 4 + 1 + (size_t)p[4] + 2;
		break;
	default:
		snprintf(why, PROXY_MSG_MAX, "bad address type %u in the "
		    "proxy's reply", p[3]);
		return (PROXY_BAD_REPLY);
	}
	if (len < need)
		return (PROXY_NEED_MORE);
	*used = need;
	return (PROXY_OK);
}

enum proxy_result
proxy_http_reply(const unsigned char *p, size_t len, size_t *used, char *why)
{
	const unsigned char	*end;
	size_t			 line;
	int			 status;

	/* memmem on an empty buffer: p may be NULL. */
	if (len < 4 || (end = memmem(p, len, "\r\n\r\n", 4)) == NULL) {
		if (len >= PROXY_HTTP_MAX) {
			snprintf(why, PROXY_MSG_MAX, "the proxy's reply head "
			    "is over %d bytes", PROXY_HTTP_MAX);
			return (PROXY_BAD_REPLY);
		}
		return (PROXY_NEED_MORE);
	}
	*used = (size_t)(end - p) + 4;
	line = (size_t)((const unsigned char *)memchr(p, '\r', *used) - p);
	/* The head is not NUL-terminated: read the three digits in place. */
	if (line < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ' ||
	    !isdigit(p[9]) || !isdigit(p[10]) || !isdigit(p[11])) {
		snprintf(why, PROXY_MSG_MAX, "not an HTTP reply: \"%.*s\"",
		    (int)(line > 60 ? 60 : line), (const char *)p);
		return (PROXY_BAD_REPLY);
	}
	status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (status >= 200 && status < 300)
		return (PROXY_OK);
	snprintf(why, PROXY_MSG_MAX, "the proxy said \"%.*s\"",
	    (int)(line > 120 ? 120 : line), (const char *)p);
	/* 407 asks for credentials; some proxies refuse bad ones with 401. */
	return (status == 407 || status == 401 ? PROXY_AUTH : PROXY_REFUSED);
}

/* The handshake on a stream: send a request, read its reply, repeat. */

static void
proxy_hs_finish(struct proxy_hs *h, enum proxy_result rc, int err)
{
	if (!h->running)
		return;
	h->running = 0;
	h->result = rc;
	h->err = err;
	loop_timer_cancel(h->loop, &h->timer);
	(void)loop_set_fd(h->loop, h->s->fd, 0, NULL, NULL);
	(void)loop_set_pending(h->loop, h->s->fd, 0);
	h->done_cb(h, h->done_arg);
}

static void
proxy_hs_timed_out(struct loop *l, struct loop_timer *t, void *arg)
{
	struct proxy_hs	*h = arg;

	snprintf(h->why, sizeof(h->why), "the proxy did not answer in time");
	proxy_hs_finish(h, PROXY_TIMEOUT, ETIMEDOUT);
}

/* Builds the request of the current step; -1 when it cannot be sent. */
static int
proxy_hs_request(struct proxy_hs *h)
{
	int	n = -1;

	switch (h->step) {
	case PROXY_STEP_GREETING:
		n = proxy_socks5_greeting(&h->conf, h->out);
		break;
	case PROXY_STEP_AUTH:
		n = proxy_socks5_auth(&h->conf, h->out);
		break;
	case PROXY_STEP_CONNECT:
		n = proxy_socks5_connect(&h->conf, h->out);
		break;
	case PROXY_STEP_HTTP:
		n = proxy_http_connect(&h->conf, h->out);
		break;
	}
	if (n < 0) {
		snprintf(h->why, sizeof(h->why), "the target name or the "
		    "credentials are too long for the proxy protocol");
		return (-1);
	}
	h->outlen = (size_t)n;
	h->outoff = 0;
	return (0);
}

/* Parses the reply of the current step; moves to the next one. */
static enum proxy_result
proxy_hs_parse(struct proxy_hs *h)
{
	enum proxy_result	rc;
	size_t			used = 0;
	int			method = 0;

	switch (h->step) {
	case PROXY_STEP_GREETING:
		rc = proxy_socks5_method(&h->conf, BUF_HEAD(&h->in),
		    h->in.len, &used, &method, h->why);
		break;
	case PROXY_STEP_AUTH:
		rc = proxy_socks5_auth_reply(BUF_HEAD(&h->in), h->in.len,
		    &used, h->why);
		break;
	case PROXY_STEP_CONNECT:
		rc = proxy_socks5_reply(BUF_HEAD(&h->in), h->in.len, &used,
		    h->why);
		break;
	default:
		rc = proxy_http_reply(BUF_HEAD(&h->in), h->in.len, &used,
		    h->why);
	}
	if (rc != PROXY_OK)
		return (rc);
	buf_consume(&h->in, used);
	if (h->step == PROXY_STEP_GREETING)
		h->step = method == SOCKS5_USERPASS ? PROXY_STEP_AUTH :
		    PROXY_STEP_CONNECT;
	else if (h->step == PROXY_STEP_AUTH)
		h->step = PROXY_STEP_CONNECT;
	else
		h->step = PROXY_STEP_DONE;
	return (PROXY_OK);
}

/* Sends what is left of the request; 1 when all is out, 0 to wait. */
static int
proxy_hs_send(struct proxy_hs *h)
{
	ssize_t	n;

	while (h->outoff < h->outlen) {
		n = stream_write(h->s, h->out + h->outoff,
		    h->outlen - h->outoff);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return (0);
		if (n == -1) {
			snprintf(h->why, sizeof(h->why), "write to the proxy: "
			    "%s", strerror(errno));
			proxy_hs_finish(h, PROXY_IO, errno);
			return (-1);
		}
		h->outoff += (size_t)n;
	}
	return (1);
}

/* Reads a little of the reply; 1 with new bytes, 0 to wait, -1 ended. */
static int
proxy_hs_recv(struct proxy_hs *h)
{
	ssize_t	n;

	if (buf_reserve(&h->in, 4096) == -1) {
		proxy_hs_finish(h, PROXY_IO, ENOMEM);
		return (-1);
	}
	n = stream_read(h->s, BUF_TAIL(&h->in), BUF_SPACE(&h->in));
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return (0);
	if (n <= 0) {
		snprintf(h->why, sizeof(h->why), "%s", n == 0 ? "the proxy "
		    "closed the connection during the handshake" :
		    strerror(errno));
		proxy_hs_finish(h, PROXY_IO, n == 0 ? ECONNRESET : errno);
		return (-1);
	}
	h->in.len += (size_t)n;
	return (1);
}

/* Runs the steps until one must wait for the stream, or the end. */
static void
proxy_hs_advance(struct proxy_hs *h)
{
	enum proxy_result	rc;
	int			sending = 0, r;

	while (h->running && h->step != PROXY_STEP_DONE) {
		if (h->outoff < h->outlen) {
			if ((r = proxy_hs_send(h)) <= 0) {
				sending = 1;
				if (r < 0)
					return;
				break;
			}
		}
		if ((rc = proxy_hs_parse(h)) == PROXY_OK) {
			if (h->step != PROXY_STEP_DONE &&
			    proxy_hs_request(h) == -1) {
				proxy_hs_finish(h, PROXY_BAD_REPLY, EINVAL);
				return;
			}
			continue;
		}
		if (rc != PROXY_NEED_MORE) {
			proxy_hs_finish(h, rc, EPROTO);
			return;
		}
		if ((r = proxy_hs_recv(h)) <= 0) {
			if (r < 0)
				return;
			break;
		}
	}
	if (!h->running)
		return;
	if (h->step == PROXY_STEP_DONE) {
		proxy_hs_finish(h, PROXY_OK, 0);
		return;
	}
	if (loop_set_fd(h->loop, h->s->fd, stream_wants(h->s, sending),
	    proxy_hs_on_fd, h) == -1 || loop_set_pending(h->loop, h->s->fd,
	    !sending && stream_pending(h->s) > 0) == -1)
		proxy_hs_finish(h, PROXY_IO, errno);
}

static void
proxy_hs_on_fd(struct loop *l, int fd, int mask, void *arg)
{
	proxy_hs_advance(arg);
}

int
proxy_hs_start(struct proxy_hs *h, struct loop *l, struct stream *s,
    const struct proxy_conf *c, long long timeout_ms, proxy_done_cb cb,
    void *arg)
{
	memset(h, 0, sizeof(*h));
	h->loop = l;
	h->s = s;
	h->conf = *c;
	h->done_cb = cb;
	h->done_arg = arg;
	h->step = c->type == PROXY_HTTP ? PROXY_STEP_HTTP :
	    PROXY_STEP_GREETING;
	loop_timer_init(&h->timer, proxy_hs_timed_out, h);
	if (proxy_hs_request(h) == -1) {
		errno = EINVAL;
		return (-1);
	}
	if (timeout_ms > 0 && loop_timer_set(l, &h->timer, timeout_ms) == -1)
		return (-1);
	h->running = 1;
	/* Wait for writability first, so done_cb never runs in here. */
	if (loop_set_fd(l, s->fd, stream_wants(s, 1), proxy_hs_on_fd, h) ==
	    -1) {
		loop_timer_cancel(l, &h->timer);
		h->running = 0;
		return (-1);
	}
	return (0);
}

void
proxy_hs_free(struct proxy_hs *h)
{
	if (h->loop == NULL)
		return;
	if (h->running) {
		loop_timer_cancel(h->loop, &h->timer);
		(void)loop_set_fd(h->loop, h->s->fd, 0, NULL, NULL);
		h->running = 0;
	}
	buf_free(&h->in);
}
