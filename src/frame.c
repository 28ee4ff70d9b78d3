/*
 * Message framing: spec parsing, encoding and incremental decoding.
 *
 * Everything here works on caller-owned memory and does no I/O, so the
 * same code serves the relay, the handlers and ssh-lite, and the unit
 * tests can drive it byte by byte.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "frame.h"

#define FRAME_QUOTE_LEN	64	/* longest quoted spec in an error message */

/* Every lenN[le] spelling; len8le is a synonym, a byte has no order. */
static const struct frame_len_name {
	const char	*name;
	int		 hdr_len;
	int		 little_endian;
} frame_len_names[] = {
	{ "len8", 1, 0 },
	{ "len16", 2, 0 },
	{ "len32", 4, 0 },
	{ "len64", 8, 0 },
	{ "len8le", 1, 0 },
	{ "len16le", 2, 1 },
	{ "len32le", 4, 1 },
	{ "len64le", 8, 1 },
};

/*
 * Copies s into out with every byte that is not printable ASCII written
 * as \xHH, so that an error quoting user input stays on one line.
 */
static void
frame_quote(const char *s, char *out, size_t size)
{
	const unsigned char	*p;
	size_t			 n = 0;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (n + sizeof("\\xHH") > size)
			break;
		if (*p >= 0x20 && *p < 0x7f)
			out[n++] = (char)*p;
		else
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", *p);
	}
	out[n] = '\0';
}

/*
 * Fills err (if any) for a spec that cannot be used and returns -1.  A
 * NULL reason means the spec names no known kind at all.
 */
static int
frame_fail(char *err, const char *spec, const char *why)
{
	char	q[FRAME_QUOTE_LEN];

	if (err == NULL)
		return (-1);
	frame_quote(spec, q, sizeof(q));
	if (why == NULL)
		(void)snprintf(err, FRAME_ERR_LEN, "unknown frame spec \"%s\" "
		    "(expected raw, line, delim:X, len8|16|32|64[le], fixed:N)",
		    q);
	else
		(void)snprintf(err, FRAME_ERR_LEN, "bad frame spec \"%s\": %s",
		    q, why);
	return (-1);
}

/* Parses one or two hex digits making up all of s. */
static int
frame_parse_hex(const char *s, unsigned char *out)
{
	unsigned int	v = 0;
	int		i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i == 2)
			return (-1);
		if (s[i] >= '0' && s[i] <= '9')
			v = v * 16 + (unsigned int)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			v = v * 16 + (unsigned int)(s[i] - 'a' + 10);
		else if (s[i] >= 'A' && s[i] <= 'F')
			v = v * 16 + (unsigned int)(s[i] - 'A' + 10);
		else
			return (-1);
	}
	if (i == 0)
		return (-1);
	*out = (unsigned char)v;
	return (0);
}

/*
 * Parses the X of delim:X: exactly one byte, or one escape.  A lone
 * backslash is refused rather than guessed at; \\ spells it.
 */
static int
frame_parse_delim(const char *x, unsigned char *out)
{
	if (x[0] != '\\') {
		if (x[0] == '\0' || x[1] != '\0')
			return (-1);
		*out = (unsigned char)x[0];
		return (0);
	}
	if (x[1] == 'x')
		return (frame_parse_hex(x + 2, out));
	if (x[1] == '\0' || x[2] != '\0')
		return (-1);
	switch (x[1]) {
	case '0':
		*out = '\0';
		return (0);
	case 't':
		*out = '\t';
		return (0);
	case 'n':
		*out = '\n';
		return (0);
	case 'r':
		*out = '\r';
		return (0);
	case '\\':
		*out = '\\';
		return (0);
	}
	return (-1);
}

/*
 * Parses the N of fixed:N as plain decimal, refusing signs, blanks and
 * anything that would overflow instead of wrapping as atoi would.
 */
static int
frame_parse_fixed(const char *spec, const char *s, uint64_t *out, char *err)
{
	static const char	*notnum = "fixed:N needs a decimal N >= 1";
	uint64_t		 v = 0, d;

	if (*s == '\0')
		return (frame_fail(err, spec, notnum));
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return (frame_fail(err, spec, notnum));
		d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return (frame_fail(err, spec, "fixed:N is too large"));
		v = v * 10 + d;
	}
	if (v == 0)
		return (frame_fail(err, spec, "fixed:N needs N >= 1"));
	*out = v;
	return (0);
}

static const struct frame_len_name *
frame_find_len(const char *s)
{
	size_t	i;

	for (i = 0; i < sizeof(frame_len_names) / sizeof(*frame_len_names);
	    i++) {
		if (strcmp(s, frame_len_names[i].name) == 0)
			return (&frame_len_names[i]);
	}
	return (NULL);
}

/* Fills fs from s, which is known to be no raw, line or lenN spec. */
static int
frame_parse_arg(const char *s, struct frame_spec *fs, char *err)
{
	if (strncmp(s, "delim:", 6) == 0) {
		fs->kind = FRAME_DELIM;
		if (s[6] == '\0')
			return (frame_fail(err, s, "delim:X needs a byte X"));
		if (frame_parse_delim(s + 6, &fs->delim) == -1)
			return (frame_fail(err, s, "X in delim:X must be one "
			    "byte or one of \\0 \\t \\n \\r \\\\ \\xHH"));
		return (0);
	}
	if (strncmp(s, "fixed:", 6) == 0) {
		fs->kind = FRAME_FIXED;
		return (frame_parse_fixed(s, s + 6, &fs->fixed_len, err));
	}
	return (frame_fail(err, s, NULL));
}

int
frame_spec_parse(const char *s, struct frame_spec *spec, char *err)
{
	struct frame_spec		 fs;
	const struct frame_len_name	*ln;

	if (s == NULL)
		s = "";
	memset(&fs, 0, sizeof(fs));
	fs.max_len = FRAME_DEFAULT_MAX;
	if (strcmp(s, "raw") == 0)
		fs.kind = FRAME_RAW;
	else if (strcmp(s, "line") == 0) {
		fs.kind = FRAME_LINE;
		fs.delim = '\n';
	} else if ((ln = frame_find_len(s)) != NULL) {
		fs.kind = FRAME_LEN;
		fs.hdr_len = ln->hdr_len;
		fs.little_endian = ln->little_endian;
	} else if (frame_parse_arg(s, &fs, err) == -1)
		return (-1);

	/* Only now, so that a bad spec leaves *spec as it was. */
	*spec = fs;
	return (0);
}

/* Names a delimiter so that frame_spec_parse() reads it back. */
static void
frame_delim_name(unsigned char c, char *buf, size_t size)
{
	const char	*esc = NULL;

	switch (c) {
	case '\0':
		esc = "\\0";
		break;
	case '\t':
		esc = "\\t";
		break;
	case '\n':
		esc = "\\n";
		break;
	case '\r':
		esc = "\\r";
		break;
	case '\\':
		esc = "\\\\";
		break;
	default:
		break;
	}
	if (esc != NULL)
		(void)snprintf(buf, size, "delim:%s", esc);
	else if (c > 0x20 && c < 0x7f)
		(void)snprintf(buf, size, "delim:%c", c);
	else
		(void)snprintf(buf, size, "delim:\\x%02x", c);
}

void
frame_spec_name(const struct frame_spec *spec, char *buf, size_t size)
{
	switch (spec->kind) {
	case FRAME_RAW:
		(void)snprintf(buf, size, "raw");
		break;
	case FRAME_LINE:
		(void)snprintf(buf, size, "line");
		break;
	case FRAME_DELIM:
		frame_delim_name(spec->delim, buf, size);
		break;
	case FRAME_LEN:
		(void)snprintf(buf, size, "len%d%s", spec->hdr_len * 8,
		    spec->little_endian && spec->hdr_len > 1 ? "le" : "");
		break;
	case FRAME_FIXED:
		(void)snprintf(buf, size, "fixed:%" PRIu64, spec->fixed_len);
		break;
	default:
		(void)snprintf(buf, size, "?");
		break;
	}
}

void
frame_dec_init(struct frame_dec *dec, const struct frame_spec *spec)
{
	dec->spec = spec;
	dec->scanned = 0;
}

/* Describes a whole frame and starts the next search from scratch. */
static enum frame_status
frame_found(struct frame_dec *dec, struct frame_msg *msg, size_t off,
    size_t len, size_t consumed)
{
	msg->off = off;
	msg->len = len;
	msg->consumed = consumed;
	dec->scanned = 0;
	return (FRAME_OK);
}

/*
 * Raw data has no boundaries, so a chunk longer than max_len can simply
 * be cut; every frame any decoder returns then fits max_len.
 */
static enum frame_status
frame_decode_raw(struct frame_dec *dec, size_t len, struct frame_msg *msg)
{
	uint64_t	max = dec->spec->max_len;

	if (len == 0)
		return (FRAME_NEED_MORE);
	if (max == 0)
		return (FRAME_TOO_BIG);
	if (len > max)
		len = (size_t)max;
	return (frame_found(dec, msg, 0, len, len));
}

/*
 * Decides about len bytes holding no delimiter.  Once more than max_len
 * of them are in, the payload cannot fit, except in crlf mode where byte
 * max_len may be the \r of a \r\n that is stripped.
 */
static enum frame_status
frame_no_delim(const struct frame_spec *spec, int crlf,
    const unsigned char *buf, size_t len)
{
	uint64_t	max = spec->max_len;

	if (len <= max)
		return (FRAME_NEED_MORE);
	if (crlf && len - 1 == max && buf[max] == '\r')
		return (FRAME_NEED_MORE);
	return (FRAME_TOO_BIG);
}

static enum frame_status
frame_decode_delim(struct frame_dec *dec, const unsigned char *buf,
    size_t len, struct frame_msg *msg)
{
	const struct frame_spec	*spec = dec->spec;
	const unsigned char	*p = NULL;
	unsigned char		 delim = spec->delim;
	int			 crlf = 0;
	size_t			 end = len, plen;

	if (spec->kind == FRAME_LINE) {
		delim = '\n';
		crlf = spec->crlf != 0;
	}
	/* A delimiter past max_len (+ \r) could only end a too-big frame. */
	if (spec->max_len < UINT64_MAX - 2 && spec->max_len + crlf + 1 < end)
		end = (size_t)spec->max_len + crlf + 1;
	if (dec->scanned < end)
		p = memchr(buf + dec->scanned, delim, end - dec->scanned);
	if (p == NULL) {
		dec->scanned = end;
		return (frame_no_delim(spec, crlf, buf, len));
	}
	plen = (size_t)(p - buf);
	if (crlf && plen > 0 && buf[plen - 1] == '\r')
		plen--;
	if (plen > spec->max_len)
		return (FRAME_TOO_BIG);
	return (frame_found(dec, msg, 0, plen, (size_t)(p - buf) + 1));
}

static uint64_t
frame_get_len(const unsigned char *p, int n, int little_endian)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[little_endian ? n - 1 - i : i];
	return (v);
}

/*
 * The announced length is judged as soon as the header is in: waiting
 * for a 4 GiB payload before refusing it is what a hostile peer wants.
 */
static enum frame_status
frame_decode_len(struct frame_dec *dec, const unsigned char *buf, size_t len,
    struct frame_msg *msg)
{
	const struct frame_spec	*spec = dec->spec;
	size_t			 hdr = (size_t)spec->hdr_len;
	uint64_t		 n;

	if (len < hdr)
		return (FRAME_NEED_MORE);
	n = frame_get_len(buf, spec->hdr_len, spec->little_endian);
	if (n > spec->max_len || (uint64_t)(size_t)n != n)
		return (FRAME_TOO_BIG);
	if (len - hdr < n)
		return (FRAME_NEED_MORE);
	return (frame_found(dec, msg, hdr, (size_t)n, hdr + (size_t)n));
}

static enum frame_status
frame_decode_fixed(struct frame_dec *dec, size_t len, struct frame_msg *msg)
{
	uint64_t	n = dec->spec->fixed_len;

	if (n > dec->spec->max_len || (uint64_t)(size_t)n != n)
		return (FRAME_TOO_BIG);
	if (len < n)
		return (FRAME_NEED_MORE);
	return (frame_found(dec, msg, 0, (size_t)n, (size_t)n));
}

enum frame_status
frame_decode(struct frame_dec *dec, const unsigned char *buf, size_t len,
    struct frame_msg *msg)
{
	/* A buffer shorter than last time is a new one: search it all. */
	if (dec->scanned > len)
		dec->scanned = 0;
	switch (dec->spec->kind) {
	case FRAME_LINE:
	case FRAME_DELIM:
		return (frame_decode_delim(dec, buf, len, msg));
	case FRAME_LEN:
		return (frame_decode_len(dec, buf, len, msg));
	case FRAME_FIXED:
		return (frame_decode_fixed(dec, len, msg));
	case FRAME_RAW:
	default:
		return (frame_decode_raw(dec, len, msg));
	}
}

enum frame_status
frame_decode_eof(struct frame_dec *dec, size_t len)
{
	if (len == 0 || dec->spec->kind == FRAME_RAW)
		return (FRAME_OK);
	return (FRAME_PARTIAL);
}

/* The checks frame_encode_head() and frame_encode_tail() share. */
static int
frame_encode_check(const struct frame_spec *spec, size_t len)
{
	int	bits = spec->hdr_len * 8;

	if ((uint64_t)len > spec->max_len)
		goto toobig;
	if (spec->kind == FRAME_FIXED && (uint64_t)len != spec->fixed_len)
		goto toobig;
	if (spec->kind == FRAME_LEN && bits < 64 && (uint64_t)len >> bits != 0)
		goto toobig;
	return (0);

toobig:
	errno = EMSGSIZE;
	return (-1);
}

int
frame_encode_head(const struct frame_spec *spec, size_t len,
    unsigned char *head)
{
	uint64_t	v = len;
	int		i, n = spec->hdr_len;

	if (frame_encode_check(spec, len) == -1)
		return (-1);
	if (spec->kind != FRAME_LEN)
		return (0);
	for (i = 0; i < n; i++) {
		head[spec->little_endian ? i : n - 1 - i] =
		    (unsigned char)(v & 0xff);
		v >>= 8;
	}
	return (n);
}

int
frame_encode_tail(const struct frame_spec *spec, size_t len,
    unsigned char *tail)
{
	if (frame_encode_check(spec, len) == -1)
		return (-1);
	switch (spec->kind) {
	case FRAME_LINE:
		if (!spec->crlf) {
			tail[0] = '\n';
			return (1);
		}
		tail[0] = '\r';
		tail[1] = '\n';
		return (2);
	case FRAME_DELIM:
		tail[0] = spec->delim;
		return (1);
	default:
		return (0);
	}
}

/*
 * The payload is moved before the head is written, so it may already sit
 * inside out (at out + FRAME_HDR_MAX, say) and be framed in place.
 */
long
frame_encode(const struct frame_spec *spec, const void *payload, size_t len,
    void *out, size_t cap)
{
	unsigned char	 head[FRAME_HDR_MAX], tail[2], *o = out;
	int		 h, t;

	if ((h = frame_encode_head(spec, len, head)) == -1 ||
	    (t = frame_encode_tail(spec, len, tail)) == -1)
		return (-1);
	if (len > (size_t)LONG_MAX - (size_t)(h + t)) {
		errno = EMSGSIZE;
		return (-1);
	}
	if (cap < (size_t)h + len + (size_t)t) {
		errno = ENOBUFS;
		return (-1);
	}
	if (len > 0)
		memmove(o + h, payload, len);
	memcpy(o, head, (size_t)h);
	memcpy(o + h + len, tail, (size_t)t);
	return ((long)((size_t)h + len + (size_t)t));
}

const char *
frame_strerror(enum frame_status st)
{
	switch (st) {
	case FRAME_OK:
		return ("ok");
	case FRAME_NEED_MORE:
		return ("incomplete frame");
	case FRAME_TOO_BIG:
		return ("frame too big");
	case FRAME_PARTIAL:
		return ("partial frame at end of stream");
	}
	return ("unknown frame status");
}
