/*
 * Unit tests for the framing module: spec parsing, encoding, and the
 * incremental decoder fed in every way a socket can deliver bytes.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "frame.h"

#define STREAM_MAX	1024	/* longest encoded test stream */
#define MSGS_MAX	8	/* most messages in one test stream */

#define S10	"0123456789"
#define S50	S10 S10 S10 S10 S10
#define S200	S50 S50 S50 S50

struct msg {
	const char	*p;
	size_t		 len;
};

/* A literal with its real size, so that payloads may hold NUL bytes. */
#define M(s)	{ (s), sizeof(s) - 1 }

/* The same messages for every length-header kind. */
#define LEN_MSGS	4, { M("a"), M(""), M("\0\n\r,\x1e"), M(S200) }

/*
 * One spec per kind with messages it can carry.  Line and delim cases
 * end with a non-empty message so that cutting the last byte off the
 * stream always leaves a partial frame.
 */
static const struct kind_case {
	const char	*spec;
	int		 crlf;
	size_t		 nmsgs;
	struct msg	 msgs[MSGS_MAX];
} kind_cases[] = {
	{ "raw", 0, 2, { M("raw \0bytes"), M("\n\r\n") } },
	{ "line", 0, 4, { M("hello"), M(""), M("two words\0"), M("cr\r") } },
	{ "line", 1, 4, { M("hello"), M(""), M("tab\there"), M("x") } },
	{ "delim:,", 0, 4, { M("a"), M(""), M("b\nc"), M("d") } },
	{ "delim:\\0", 0, 3, { M("a\n"), M(""), M("\x01\xff") } },
	{ "delim:\\x1e", 0, 3, { M("rec\n"), M(""), M("\0,") } },
	{ "len8", 0, LEN_MSGS },
	{ "len16", 0, LEN_MSGS },
	{ "len32", 0, LEN_MSGS },
	{ "len64", 0, LEN_MSGS },
	{ "len16le", 0, LEN_MSGS },
	{ "len32le", 0, LEN_MSGS },
	{ "len64le", 0, LEN_MSGS },
	{ "fixed:3", 0, 3, { M("abc"), M("\0\n\r"), M("xyz") } },
	{ "fixed:1", 0, 3, { M("a"), M("\0"), M("\n") } },
};
#define NKINDS	((int)(sizeof(kind_cases) / sizeof(*kind_cases)))

/*
 * A caller's receive buffer: bytes come in at the end, frames are taken
 * off the front, and every payload seen is kept for checking.
 */
static struct rx {
	struct frame_spec	spec;
	struct frame_dec	dec;
	unsigned char		buf[STREAM_MAX];
	size_t			have;
	unsigned char		out[STREAM_MAX];
	size_t			outlen;
	size_t			nframes;
	size_t			lens[STREAM_MAX];
	enum frame_status	last;
} rx;

static void
setup(void)
{
	memset(&rx, 0, sizeof(rx));
}

static void
teardown(void)
{
}

/* Parses s into rx.spec (or spec) and starts a decoder on rx.spec. */
static void
rx_init(const char *s, int crlf, uint64_t max_len)
{
	char	err[FRAME_ERR_LEN];

	ck_assert_msg(frame_spec_parse(s, &rx.spec, err) == 0, "%s", err);
	rx.spec.crlf = crlf;
	rx.spec.max_len = max_len;
	frame_dec_init(&rx.dec, &rx.spec);
}

/*
 * Runs the decoder on a heap copy of exactly the buffered bytes, so that
 * the sanitizers catch a read past buf[len - 1].
 */
static enum frame_status
rx_decode(struct frame_msg *m)
{
	unsigned char		*copy;
	enum frame_status	 st;

	copy = malloc(rx.have > 0 ? rx.have : 1);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, rx.buf, rx.have);
	st = frame_decode(&rx.dec, copy, rx.have, m);
	free(copy);
	return (st);
}

/* Keeps the payload of frame m and drops the frame from the buffer. */
static void
rx_take(const struct frame_msg *m)
{
	ck_assert_uint_gt(m->consumed, 0);
	ck_assert_uint_le(m->consumed, rx.have);
	ck_assert_uint_le(m->off + m->len, m->consumed);
	ck_assert_uint_le(m->len, rx.spec.max_len);
	ck_assert_uint_eq(rx.dec.scanned, 0);
	ck_assert_uint_le(rx.outlen + m->len, sizeof(rx.out));
	memcpy(rx.out + rx.outlen, rx.buf + m->off, m->len);
	rx.outlen += m->len;
	rx.lens[rx.nframes++] = m->len;
	rx.have -= m->consumed;
	memmove(rx.buf, rx.buf + m->consumed, rx.have);
}

/* Appends n bytes and decodes until the decoder wants more or fails. */
static enum frame_status
rx_feed(const void *p, size_t n)
{
	struct frame_msg	m;

	ck_assert_uint_le(rx.have + n, sizeof(rx.buf));
	memcpy(rx.buf + rx.have, p, n);
	rx.have += n;
	while ((rx.last = rx_decode(&m)) == FRAME_OK)
		rx_take(&m);
	ck_assert_uint_le(rx.dec.scanned, rx.have);
	return (rx.last);
}

/* Encodes the messages of kc back to back into out; returns the size. */
static size_t
kind_encode(const struct kind_case *kc, const struct frame_spec *spec,
    unsigned char *out, size_t cap)
{
	size_t	i, len = 0;
	long	n;

	for (i = 0; i < kc->nmsgs; i++) {
		n = frame_encode(spec, kc->msgs[i].p, kc->msgs[i].len,
		    out + len, cap - len);
		ck_assert_msg(n > 0, "%s: encode failed", kc->spec);
		len += (size_t)n;
	}
	return (len);
}

/* Starts rx on case k and encodes its stream into s; returns the size. */
static size_t
kind_start(int k, unsigned char *s)
{
	rx_init(kind_cases[k].spec, kind_cases[k].crlf, FRAME_DEFAULT_MAX);
	return (kind_encode(&kind_cases[k], &rx.spec, s, STREAM_MAX));
}

/*
 * Checks that rx decoded exactly the messages of case k.  Raw data has no
 * boundaries, so there only the bytes and their order must match.
 */
static void
kind_check(int k)
{
	const struct kind_case	*kc = &kind_cases[k];
	size_t			 i, off = 0;

	ck_assert_int_eq(rx.last, FRAME_NEED_MORE);
	ck_assert_uint_eq(rx.have, 0);
	for (i = 0; i < kc->nmsgs; i++) {
		if (kc->spec[0] != 'r') {
			ck_assert_msg(rx.lens[i] == kc->msgs[i].len,
			    "%s: frame %zu", kc->spec, i);
		}
		ck_assert_mem_eq(rx.out + off, kc->msgs[i].p, kc->msgs[i].len);
		off += kc->msgs[i].len;
	}
	ck_assert_uint_eq(rx.outlen, off);
	if (kc->spec[0] != 'r')
		ck_assert_uint_eq(rx.nframes, kc->nmsgs);
	ck_assert_int_eq(frame_decode_eof(&rx.dec, rx.have), FRAME_OK);
}

/* Compares the fields of two specs (padding bytes may differ). */
static void
spec_check_eq(const struct frame_spec *a, const struct frame_spec *b)
{
	ck_assert_int_eq(a->kind, b->kind);
	ck_assert_int_eq(a->delim, b->delim);
	ck_assert_int_eq(a->crlf, b->crlf);
	ck_assert_int_eq(a->hdr_len, b->hdr_len);
	ck_assert_int_eq(a->little_endian, b->little_endian);
	ck_assert_uint_eq(a->fixed_len, b->fixed_len);
	ck_assert_uint_eq(a->max_len, b->max_len);
}

/* Valid specs, what they parse to, and their canonical names. */
static const struct parse_case {
	const char	*in;
	enum frame_kind	 kind;
	unsigned char	 delim;
	int		 hdr_len;
	int		 little_endian;
	uint64_t	 fixed_len;
	const char	*name;
} parse_valid[] = {
	{ "raw", FRAME_RAW, 0, 0, 0, 0, "raw" },
	{ "line", FRAME_LINE, '\n', 0, 0, 0, "line" },
	{ "delim:,", FRAME_DELIM, ',', 0, 0, 0, "delim:," },
	{ "delim:\\0", FRAME_DELIM, '\0', 0, 0, 0, "delim:\\0" },
	{ "delim:\\t", FRAME_DELIM, '\t', 0, 0, 0, "delim:\\t" },
	{ "delim:\\n", FRAME_DELIM, '\n', 0, 0, 0, "delim:\\n" },
	{ "delim:\\r", FRAME_DELIM, '\r', 0, 0, 0, "delim:\\r" },
	{ "delim:\\\\", FRAME_DELIM, '\\', 0, 0, 0, "delim:\\\\" },
	{ "delim:\\x1e", FRAME_DELIM, 0x1e, 0, 0, 0, "delim:\\x1e" },
	{ "delim:\\x1E", FRAME_DELIM, 0x1e, 0, 0, 0, "delim:\\x1e" },
	{ "delim:\\x7", FRAME_DELIM, 0x07, 0, 0, 0, "delim:\\x07" },
	{ "delim:\\xff", FRAME_DELIM, 0xff, 0, 0, 0, "delim:\\xff" },
	{ "delim:\\x2c", FRAME_DELIM, ',', 0, 0, 0, "delim:," },
	{ "delim:\\x00", FRAME_DELIM, '\0', 0, 0, 0, "delim:\\0" },
	{ "delim:\t", FRAME_DELIM, '\t', 0, 0, 0, "delim:\\t" },
	{ "delim: ", FRAME_DELIM, ' ', 0, 0, 0, "delim:\\x20" },
	{ "delim:x", FRAME_DELIM, 'x', 0, 0, 0, "delim:x" },
	{ "delim::", FRAME_DELIM, ':', 0, 0, 0, "delim::" },
	{ "delim:\xe9", FRAME_DELIM, 0xe9, 0, 0, 0, "delim:\\xe9" },
	{ "len8", FRAME_LEN, 0, 1, 0, 0, "len8" },
	{ "len16", FRAME_LEN, 0, 2, 0, 0, "len16" },
	{ "len32", FRAME_LEN, 0, 4, 0, 0, "len32" },
	{ "len64", FRAME_LEN, 0, 8, 0, 0, "len64" },
	{ "len8le", FRAME_LEN, 0, 1, 0, 0, "len8" },
	{ "len16le", FRAME_LEN, 0, 2, 1, 0, "len16le" },
	{ "len32le", FRAME_LEN, 0, 4, 1, 0, "len32le" },
	{ "len64le", FRAME_LEN, 0, 8, 1, 0, "len64le" },
	{ "fixed:1", FRAME_FIXED, 0, 0, 0, 1, "fixed:1" },
	{ "fixed:512", FRAME_FIXED, 0, 0, 0, 512, "fixed:512" },
	{ "fixed:007", FRAME_FIXED, 0, 0, 0, 7, "fixed:7" },
	{ "fixed:18446744073709551615", FRAME_FIXED, 0, 0, 0, UINT64_MAX,
	    "fixed:18446744073709551615" },
};
#define NVALID	((int)(sizeof(parse_valid) / sizeof(*parse_valid)))

static const char *parse_invalid[] = {
	"", "foo", "RAW", "Line", "raw ", " raw", "lines", "line\n",
	"delim", "delim:", "delim:ab", "delim:\\", "delim:\\q", "delim:\\x",
	"delim:\\xg", "delim:\\x123", "delim:\\x1e1", "delim:\\00",
	"delim:\\nn", "delim:\xc3\xa9",
	"len", "len0", "len1", "len24", "len128", "len32be", "len32LE",
	"len16 ", "len8x", "len64lee",
	"fixed", "fixed:", "fixed:0", "fixed:000", "fixed:-1", "fixed:+1",
	"fixed: 1", "fixed:1 ", "fixed:1x", "fixed:0x10", "fixed:1e3",
	"fixed:18446744073709551616", "fixed:99999999999999999999999",
};
#define NINVALID	((int)(sizeof(parse_invalid) / sizeof(*parse_invalid)))

START_TEST(test_parse_valid)
{
	const struct parse_case	*pc = &parse_valid[_i];
	struct frame_spec	 fs;
	char			 err[FRAME_ERR_LEN];

	memset(&fs, 0xa5, sizeof(fs));
	ck_assert_msg(frame_spec_parse(pc->in, &fs, err) == 0, "%s", err);
	ck_assert_int_eq(fs.kind, pc->kind);
	ck_assert_int_eq(fs.delim, pc->delim);
	ck_assert_int_eq(fs.hdr_len, pc->hdr_len);
	ck_assert_int_eq(fs.little_endian, pc->little_endian);
	ck_assert_uint_eq(fs.fixed_len, pc->fixed_len);
	ck_assert_uint_eq(fs.max_len, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(fs.crlf, 0);
	ck_assert_int_eq(frame_spec_parse(pc->in, &fs, NULL), 0);
}
END_TEST

START_TEST(test_parse_invalid)
{
	struct frame_spec	fs, before;
	char			err[FRAME_ERR_LEN];

	memset(&fs, 0xa5, sizeof(fs));
	memcpy(&before, &fs, sizeof(fs));
	err[0] = '\0';
	ck_assert_int_eq(frame_spec_parse(parse_invalid[_i], &fs, err), -1);
	ck_assert_msg(memcmp(&fs, &before, sizeof(fs)) == 0,
	    "a bad spec changed *spec");
	ck_assert_uint_gt(strlen(err), 10);
	ck_assert_ptr_null(strchr(err, '\n'));
	ck_assert_int_eq(frame_spec_parse(parse_invalid[_i], &fs, NULL), -1);
}
END_TEST

START_TEST(test_parse_messages)
{
	struct frame_spec	fs;
	char			err[FRAME_ERR_LEN];

	ck_assert_int_eq(frame_spec_parse("foo", &fs, err), -1);
	ck_assert_str_eq(err, "unknown frame spec \"foo\" (expected raw, "
	    "line, delim:X, len8|16|32|64[le], fixed:N)");
	ck_assert_int_eq(frame_spec_parse("fixed:0", &fs, err), -1);
	ck_assert_str_eq(err,
	    "bad frame spec \"fixed:0\": fixed:N needs N >= 1");
	ck_assert_int_eq(frame_spec_parse("delim:", &fs, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "needs a byte"));
	ck_assert_int_eq(frame_spec_parse("delim:ab", &fs, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "\"delim:ab\""));

	/* Control bytes in the spec must not break the one-line message. */
	ck_assert_int_eq(frame_spec_parse("a\nb\x1b", &fs, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "\"a\\x0ab\\x1b\""));
	ck_assert_int_eq(frame_spec_parse(NULL, &fs, err), -1);
}
END_TEST

START_TEST(test_parse_name)
{
	const struct parse_case	*pc = &parse_valid[_i];
	struct frame_spec	 fs, again;
	char			 name[64];

	ck_assert_int_eq(frame_spec_parse(pc->in, &fs, NULL), 0);
	frame_spec_name(&fs, name, sizeof(name));
	ck_assert_str_eq(name, pc->name);
	ck_assert_int_eq(frame_spec_parse(name, &again, NULL), 0);
	spec_check_eq(&again, &fs);
}
END_TEST

START_TEST(test_parse_name_every_delim)
{
	struct frame_spec	fs, again;
	char			name[32];
	int			c;

	ck_assert_int_eq(frame_spec_parse("delim:,", &fs, NULL), 0);
	for (c = 0; c < 256; c++) {
		fs.delim = (unsigned char)c;
		frame_spec_name(&fs, name, sizeof(name));
		ck_assert_msg(frame_spec_parse(name, &again, NULL) == 0,
		    "byte %d named \"%s\"", c, name);
		ck_assert_int_eq(again.delim, c);
	}
}
END_TEST

START_TEST(test_parse_name_truncated)
{
	struct frame_spec	fs;
	char			name[5];

	ck_assert_int_eq(frame_spec_parse("len32le", &fs, NULL), 0);
	frame_spec_name(&fs, name, sizeof(name));
	ck_assert_str_eq(name, "len3");
}
END_TEST

START_TEST(test_encode_head)
{
	unsigned char	h[FRAME_HDR_MAX];

	rx_init("len16", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_encode_head(&rx.spec, 300, h), 2);
	ck_assert_mem_eq(h, "\x01\x2c", 2);
	rx_init("len16le", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_encode_head(&rx.spec, 300, h), 2);
	ck_assert_mem_eq(h, "\x2c\x01", 2);
	rx_init("len32", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_encode_head(&rx.spec, 0x10203, h), 4);
	ck_assert_mem_eq(h, "\x00\x01\x02\x03", 4);
	rx_init("len32le", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_encode_head(&rx.spec, 0x10203, h), 4);
	ck_assert_mem_eq(h, "\x03\x02\x01\x00", 4);
	rx_init("len64", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_encode_head(&rx.spec, 0x10203, h), 8);
	ck_assert_mem_eq(h, "\0\0\0\0\0\x01\x02\x03", 8);
	rx_init("len64le", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_encode_head(&rx.spec, 0x10203, h), 8);
	ck_assert_mem_eq(h, "\x03\x02\x01\0\0\0\0\0", 8);
	rx_init("len8", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_encode_head(&rx.spec, 255, h), 1);
	ck_assert_mem_eq(h, "\xff", 1);
}
END_TEST

START_TEST(test_encode_head_none)
{
	static const char	*specs[] = { "raw", "line", "delim:,",
				    "fixed:5" };
	unsigned char		 h[FRAME_HDR_MAX];
	size_t			 i;

	for (i = 0; i < sizeof(specs) / sizeof(*specs); i++) {
		rx_init(specs[i], 1, FRAME_DEFAULT_MAX);
		ck_assert_int_eq(frame_encode_head(&rx.spec, 5, h), 0);
	}
}
END_TEST

START_TEST(test_encode_tail)
{
	unsigned char	t[2];

	rx_init("line", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_encode_tail(&rx.spec, 3, t), 1);
	ck_assert_mem_eq(t, "\n", 1);
	rx_init("line", 1, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_encode_tail(&rx.spec, 3, t), 2);
	ck_assert_mem_eq(t, "\r\n", 2);
	rx_init("delim:\\0", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_encode_tail(&rx.spec, 3, t), 1);
	ck_assert_mem_eq(t, "\0", 1);
	rx_init("delim:\\x1e", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_encode_tail(&rx.spec, 0, t), 1);
	ck_assert_mem_eq(t, "\x1e", 1);
	rx_init("len32", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_encode_tail(&rx.spec, 3, t), 0);
	rx_init("raw", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_encode_tail(&rx.spec, 3, t), 0);
	rx_init("fixed:3", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_encode_tail(&rx.spec, 3, t), 0);
}
END_TEST

START_TEST(test_encode_whole)
{
	unsigned char	out[16];

	rx_init("len32", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_encode(&rx.spec, "hi", 2, out, 6), 6);
	ck_assert_mem_eq(out, "\0\0\0\x02hi", 6);
	rx_init("line", 1, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_encode(&rx.spec, "", 0, out, 2), 2);
	ck_assert_mem_eq(out, "\r\n", 2);
	rx_init("raw", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_encode(&rx.spec, "abc", 3, out, 3), 3);
	ck_assert_mem_eq(out, "abc", 3);
	rx_init("fixed:3", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_encode(&rx.spec, "\0a\n", 3, out, 3), 3);
	ck_assert_mem_eq(out, "\0a\n", 3);
}
END_TEST

START_TEST(test_encode_in_place)
{
	unsigned char	out[16];

	rx_init("len16le", 0, FRAME_DEFAULT_MAX);
	memcpy(out + FRAME_HDR_MAX, "abc", 3);
	ck_assert_int_eq(frame_encode(&rx.spec, out + FRAME_HDR_MAX, 3, out,
	    sizeof(out)), 5);
	ck_assert_mem_eq(out, "\x03\0abc", 5);
}
END_TEST

START_TEST(test_encode_nobufs)
{
	unsigned char	out[16];

	rx_init("len32", 0, FRAME_DEFAULT_MAX);
	errno = 0;
	ck_assert_int_eq(frame_encode(&rx.spec, "hi", 2, out, 5), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	rx_init("line", 1, FRAME_DEFAULT_MAX);
	errno = 0;
	ck_assert_int_eq(frame_encode(&rx.spec, "hi", 2, out, 3), -1);
	ck_assert_int_eq(errno, ENOBUFS);
}
END_TEST

/* Every kind: the whole stream in one chunk, many frames at once. */
START_TEST(test_decode_roundtrip)
{
	unsigned char	s[STREAM_MAX];
	size_t		n;

	n = kind_start(_i, s);
	ck_assert_int_eq(rx_feed(s, n), FRAME_NEED_MORE);
	kind_check(_i);
}
END_TEST

START_TEST(test_decode_bytewise)
{
	unsigned char	s[STREAM_MAX];
	size_t		i, n;

	n = kind_start(_i, s);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(rx_feed(s + i, 1), FRAME_NEED_MORE);
	kind_check(_i);
}
END_TEST

START_TEST(test_decode_crlf)
{
	static const char	in[] = "a\r\nb\n\r\n c\r\r\nd\r";

	rx_init("line", 1, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(rx_feed(in, sizeof(in) - 1), FRAME_NEED_MORE);
	ck_assert_uint_eq(rx.nframes, 4);
	ck_assert_mem_eq(rx.out, "ab c\r", 5);
	ck_assert_uint_eq(rx.lens[2], 0);
	ck_assert_uint_eq(rx.lens[3], 3);
	ck_assert_mem_eq(rx.buf, "d\r", 2);
	ck_assert_int_eq(frame_decode_eof(&rx.dec, rx.have), FRAME_PARTIAL);

	/* Without crlf a \r is payload like any other byte. */
	setup();
	rx_init("line", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(rx_feed("a\r\n", 3), FRAME_NEED_MORE);
	ck_assert_uint_eq(rx.lens[0], 2);
	ck_assert_mem_eq(rx.out, "a\r", 2);
}
END_TEST

START_TEST(test_decode_zero_length)
{
	struct frame_msg	m;

	rx_init("len32", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_decode(&rx.dec, (const unsigned char *)
	    "\0\0\0\0", 4, &m), FRAME_OK);
	ck_assert_uint_eq(m.off, 4);
	ck_assert_uint_eq(m.len, 0);
	ck_assert_uint_eq(m.consumed, 4);
	rx_init("len8", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(rx_feed("\0\0\0", 3), FRAME_NEED_MORE);
	ck_assert_uint_eq(rx.nframes, 3);
	rx_init("line", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_decode(&rx.dec, (const unsigned char *)"\n", 1,
	    &m), FRAME_OK);
	ck_assert_uint_eq(m.len, 0);
	ck_assert_uint_eq(m.consumed, 1);
}
END_TEST

START_TEST(test_decode_delim_nul)
{
	rx_init("delim:\\0", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(rx_feed("ab\0\0c\n\0d", 8), FRAME_NEED_MORE);
	ck_assert_uint_eq(rx.nframes, 3);
	ck_assert_uint_eq(rx.lens[0], 2);
	ck_assert_uint_eq(rx.lens[1], 0);
	ck_assert_uint_eq(rx.lens[2], 2);
	ck_assert_mem_eq(rx.out, "abc\n", 4);
	ck_assert_uint_eq(rx.have, 1);
}
END_TEST

START_TEST(test_decode_delim_rs)
{
	rx_init("delim:\\x1e", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(rx_feed("{\"a\":1}\n\x1e\x1e\0", 11), FRAME_NEED_MORE);
	ck_assert_uint_eq(rx.nframes, 2);
	ck_assert_uint_eq(rx.lens[0], 8);
	ck_assert_mem_eq(rx.out, "{\"a\":1}\n", 8);
	ck_assert_uint_eq(rx.lens[1], 0);
	ck_assert_uint_eq(rx.have, 1);
}
END_TEST

START_TEST(test_decode_little_endian)
{
	rx_init("len16le", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(rx_feed("\x03\0abc", 5), FRAME_NEED_MORE);
	ck_assert_uint_eq(rx.lens[0], 3);
	rx_init("len32le", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(rx_feed("\x02\0\0\0hi", 6), FRAME_NEED_MORE);
	ck_assert_uint_eq(rx.lens[1], 2);
	rx_init("len64le", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(rx_feed("\x01\0\0\0\0\0\0\0x", 9), FRAME_NEED_MORE);
	ck_assert_uint_eq(rx.lens[2], 1);
	ck_assert_mem_eq(rx.out, "abchix", 6);

	/* The same bytes read big-endian announce 768: wait for them. */
	setup();
	rx_init("len16", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(rx_feed("\x03\0abc", 5), FRAME_NEED_MORE);
	ck_assert_uint_eq(rx.nframes, 0);
}
END_TEST

START_TEST(test_decode_scanned)
{
	struct frame_msg	m;
	const unsigned char	*in = (const unsigned char *)"abc\nd";

	rx_init("line", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_decode(&rx.dec, in, 3, &m), FRAME_NEED_MORE);
	ck_assert_uint_eq(rx.dec.scanned, 3);
	ck_assert_int_eq(frame_decode(&rx.dec, in, 5, &m), FRAME_OK);
	ck_assert_uint_eq(rx.dec.scanned, 0);
	ck_assert_uint_eq(m.off, 0);
	ck_assert_uint_eq(m.len, 3);
	ck_assert_uint_eq(m.consumed, 4);
	ck_assert_int_eq(frame_decode(&rx.dec, in + 4, 1, &m),
	    FRAME_NEED_MORE);
	ck_assert_uint_eq(rx.dec.scanned, 1);
}
END_TEST

START_TEST(test_decode_raw)
{
	struct frame_msg	m;

	rx_init("raw", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_decode(&rx.dec, (const unsigned char *)"", 0,
	    &m), FRAME_NEED_MORE);
	ck_assert_int_eq(frame_decode(&rx.dec, (const unsigned char *)"xyz",
	    3, &m), FRAME_OK);
	ck_assert_uint_eq(m.off, 0);
	ck_assert_uint_eq(m.len, 3);
	ck_assert_uint_eq(m.consumed, 3);
}
END_TEST

START_TEST(test_decode_strerror)
{
	ck_assert_str_eq(frame_strerror(FRAME_TOO_BIG), "frame too big");
	ck_assert_str_ne(frame_strerror(FRAME_PARTIAL),
	    frame_strerror(FRAME_NEED_MORE));
	ck_assert_str_ne(frame_strerror(FRAME_OK),
	    frame_strerror(FRAME_TOO_BIG));
}
END_TEST

/*
 * Loop index _i is a byte boundary: every kind's stream arrives in two
 * chunks cut there, which lands the cut inside every header, payload and
 * delimiter (and a \r\n pair) somewhere.
 */
START_TEST(test_split_at)
{
	unsigned char	s[STREAM_MAX];
	size_t		n, cut = (size_t)_i;
	int		k;

	for (k = 0; k < NKINDS; k++) {
		setup();
		n = kind_start(k, s);
		if (cut > n)
			continue;
		rx_feed(s, cut);
		ck_assert_msg(rx.last == FRAME_NEED_MORE, "%s: cut at %zu",
		    kind_cases[k].spec, cut);
		rx_feed(s + cut, n - cut);
		kind_check(k);
	}
}
END_TEST

/*
 * One past the longest test stream (bounded from above, as Check asserts
 * cannot run here), so that the split test tries every cut.
 */
static int
split_max(void)
{
	size_t	i, n, max = 0;
	int	k;

	for (k = 0; k < NKINDS; k++) {
		n = 0;
		for (i = 0; i < kind_cases[k].nmsgs; i++)
			n += kind_cases[k].msgs[i].len + FRAME_OVERHEAD_MAX;
		if (n > max)
			max = n;
	}
	return ((int)max + 1);
}

START_TEST(test_limit_len32_header)
{
	rx_init("len32", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(rx_feed("\xff\xff\xff", 3), FRAME_NEED_MORE);
	ck_assert_int_eq(rx_feed("\xff", 1), FRAME_TOO_BIG);

	/* 16 MiB itself is allowed; one byte more is not. */
	setup();
	rx_init("len32", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(rx_feed("\x01\0\0\0", 4), FRAME_NEED_MORE);
	setup();
	rx_init("len32", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(rx_feed("\x01\0\0\x01", 4), FRAME_TOO_BIG);
	setup();
	rx_init("len32le", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(rx_feed("\x01\0\0\x01", 4), FRAME_TOO_BIG);
}
END_TEST

START_TEST(test_limit_len64_huge)
{
	rx_init("len64", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(rx_feed("\x80\0\0\0\0\0\0", 7), FRAME_NEED_MORE);
	ck_assert_int_eq(rx_feed("\0", 1), FRAME_TOO_BIG);
	setup();
	rx_init("len64le", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(rx_feed("\0\0\0\0\0\0\0\x80", 8), FRAME_TOO_BIG);

	/* With no max at all, a length beyond size_t is still refused. */
	setup();
	rx_init("len64", 0, UINT64_MAX);
	rx_feed("\xff\xff\xff\xff\xff\xff\xff\xff", 8);
	ck_assert_int_eq(rx.last, SIZE_MAX < UINT64_MAX ? FRAME_TOO_BIG :
	    FRAME_NEED_MORE);
}
END_TEST

START_TEST(test_limit_len_small_max)
{
	rx_init("len16le", 0, 4);
	ck_assert_int_eq(rx_feed("\x05", 1), FRAME_NEED_MORE);
	ck_assert_int_eq(rx_feed("\0", 1), FRAME_TOO_BIG);
	setup();
	rx_init("len16le", 0, 4);
	ck_assert_int_eq(rx_feed("\x04\0abcd", 6), FRAME_NEED_MORE);
	ck_assert_uint_eq(rx.nframes, 1);
	ck_assert_mem_eq(rx.out, "abcd", 4);
}
END_TEST

START_TEST(test_limit_line)
{
	rx_init("line", 0, 4);
	ck_assert_int_eq(rx_feed("abcd", 4), FRAME_NEED_MORE);
	ck_assert_int_eq(rx_feed("\n", 1), FRAME_NEED_MORE);
	ck_assert_int_eq(rx_feed("abcd", 4), FRAME_NEED_MORE);
	ck_assert_int_eq(rx_feed("e", 1), FRAME_TOO_BIG);
	ck_assert_uint_eq(rx.nframes, 1);

	/* All in one chunk, past the point where a \n could still help. */
	setup();
	rx_init("line", 0, 4);
	ck_assert_int_eq(rx_feed("abcdefgh\n", 9), FRAME_TOO_BIG);
	setup();
	rx_init("line", 0, 4);
	ck_assert_int_eq(rx_feed("abcd\r\n", 6), FRAME_TOO_BIG);
}
END_TEST

START_TEST(test_limit_line_crlf)
{
	rx_init("line", 1, 4);
	ck_assert_int_eq(rx_feed("abcd\r", 5), FRAME_NEED_MORE);
	ck_assert_int_eq(rx_feed("\n", 1), FRAME_NEED_MORE);
	ck_assert_uint_eq(rx.lens[0], 4);
	ck_assert_int_eq(rx_feed("abcd\r", 5), FRAME_NEED_MORE);
	ck_assert_int_eq(rx_feed("\r", 1), FRAME_TOO_BIG);
	setup();
	rx_init("line", 1, 4);
	ck_assert_int_eq(rx_feed("abcde", 5), FRAME_TOO_BIG);
	setup();
	rx_init("line", 1, 4);
	ck_assert_int_eq(rx_feed("abcde\n", 6), FRAME_TOO_BIG);
}
END_TEST

START_TEST(test_limit_delim)
{
	size_t	i;

	rx_init("delim:,", 0, 3);
	ck_assert_int_eq(rx_feed("abc,", 4), FRAME_NEED_MORE);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(rx_feed("x", 1), FRAME_NEED_MORE);
	ck_assert_int_eq(rx_feed("\r", 1), FRAME_TOO_BIG);
	setup();
	rx_init("delim:\\0", 0, 3);
	ck_assert_int_eq(rx_feed("abcd\0", 5), FRAME_TOO_BIG);
}
END_TEST

START_TEST(test_limit_fixed)
{
	rx_init("fixed:10", 0, 9);
	ck_assert_int_eq(rx_feed("0123456789", 10), FRAME_TOO_BIG);
	setup();
	rx_init("fixed:18446744073709551615", 0, UINT64_MAX);
	ck_assert_int_eq(rx_feed("x", 1), SIZE_MAX < UINT64_MAX ?
	    FRAME_TOO_BIG : FRAME_NEED_MORE);
	setup();
	rx_init("fixed:9", 0, 9);
	ck_assert_int_eq(rx_feed("012345678", 9), FRAME_NEED_MORE);
	ck_assert_uint_eq(rx.nframes, 1);
}
END_TEST

/* With max_len 0 only empty messages pass, and nothing loops forever. */
START_TEST(test_limit_max_zero)
{
	rx_init("len32", 0, 0);
	ck_assert_int_eq(rx_feed("\0\0\0\0", 4), FRAME_NEED_MORE);
	ck_assert_uint_eq(rx.nframes, 1);
	ck_assert_int_eq(rx_feed("\0\0\0\x01", 4), FRAME_TOO_BIG);
	setup();
	rx_init("line", 0, 0);
	ck_assert_int_eq(rx_feed("\n", 1), FRAME_NEED_MORE);
	ck_assert_uint_eq(rx.nframes, 1);
	ck_assert_int_eq(rx_feed("a", 1), FRAME_TOO_BIG);
	setup();
	rx_init("raw", 0, 0);
	ck_assert_int_eq(rx_feed("a", 1), FRAME_TOO_BIG);
}
END_TEST

/* Raw chunks longer than max_len are cut, never refused. */
START_TEST(test_limit_raw)
{
	rx_init("raw", 0, 2);
	ck_assert_int_eq(rx_feed("abcde", 5), FRAME_NEED_MORE);
	ck_assert_uint_eq(rx.nframes, 3);
	ck_assert_uint_eq(rx.lens[0], 2);
	ck_assert_uint_eq(rx.lens[2], 1);
	ck_assert_mem_eq(rx.out, "abcde", 5);
}
END_TEST

START_TEST(test_limit_encode_max)
{
	static const char	*specs[] = { "raw", "line", "delim:,", "len8",
				    "len32", "len64le" };
	unsigned char		 b[FRAME_HDR_MAX + 16];
	size_t			 i;

	for (i = 0; i < sizeof(specs) / sizeof(*specs); i++) {
		rx_init(specs[i], 0, 10);
		ck_assert_int_ge(frame_encode_head(&rx.spec, 10, b), 0);
		errno = 0;
		ck_assert_int_eq(frame_encode_head(&rx.spec, 11, b), -1);
		ck_assert_int_eq(errno, EMSGSIZE);
		errno = 0;
		ck_assert_int_eq(frame_encode_tail(&rx.spec, 11, b), -1);
		ck_assert_int_eq(errno, EMSGSIZE);
		errno = 0;
		ck_assert_int_eq(frame_encode(&rx.spec, S10 "x", 11, b,
		    sizeof(b)), -1);
		ck_assert_int_eq(errno, EMSGSIZE);
	}
}
END_TEST

START_TEST(test_limit_encode_header)
{
	unsigned char	h[FRAME_HDR_MAX];

	rx_init("len8", 0, FRAME_DEFAULT_MAX);
	errno = 0;
	ck_assert_int_eq(frame_encode_head(&rx.spec, 256, h), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	rx_init("len16le", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_encode_head(&rx.spec, 65535, h), 2);
	errno = 0;
	ck_assert_int_eq(frame_encode_head(&rx.spec, 65536, h), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
#if SIZE_MAX > UINT32_MAX
	rx_init("len32", 0, UINT64_MAX);
	errno = 0;
	ck_assert_int_eq(frame_encode_head(&rx.spec, (size_t)1 << 32, h), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	rx_init("len64", 0, UINT64_MAX);
	ck_assert_int_eq(frame_encode_head(&rx.spec, (size_t)1 << 33, h), 8);
	ck_assert_mem_eq(h, "\0\0\0\x02\0\0\0\0", 8);
#endif
}
END_TEST

START_TEST(test_limit_encode_fixed)
{
	unsigned char	b[8];

	rx_init("fixed:3", 0, FRAME_DEFAULT_MAX);
	errno = 0;
	ck_assert_int_eq(frame_encode(&rx.spec, "ab", 2, b, sizeof(b)), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	errno = 0;
	ck_assert_int_eq(frame_encode_head(&rx.spec, 4, b), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
}
END_TEST

/*
 * Every kind: the stream less its last byte ends in a partial frame,
 * except for raw, which has no frames to cut short, and fixed:1, where
 * every byte is a whole frame.
 */
START_TEST(test_eof_partial)
{
	unsigned char	s[STREAM_MAX];
	size_t		n;

	n = kind_start(_i, s);
	ck_assert_int_eq(rx_feed(s, n - 1), FRAME_NEED_MORE);
	if (rx.spec.kind == FRAME_RAW) {
		ck_assert_int_eq(frame_decode_eof(&rx.dec, n - 1), FRAME_OK);
		return;
	}
	if (rx.spec.kind == FRAME_FIXED && rx.spec.fixed_len == 1) {
		ck_assert_uint_eq(rx.have, 0);
		ck_assert_int_eq(frame_decode_eof(&rx.dec, 0), FRAME_OK);
		return;
	}
	ck_assert_uint_gt(rx.have, 0);
	ck_assert_int_eq(frame_decode_eof(&rx.dec, rx.have), FRAME_PARTIAL);
}
END_TEST

START_TEST(test_eof_clean)
{
	unsigned char	s[STREAM_MAX];
	size_t		n;

	n = kind_start(_i, s);
	rx_feed(s, n);
	ck_assert_uint_eq(rx.have, 0);
	ck_assert_int_eq(frame_decode_eof(&rx.dec, 0), FRAME_OK);
}
END_TEST

START_TEST(test_eof_cases)
{
	rx_init("len32", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(rx_feed("\0\0\0\x05" "ab", 6), FRAME_NEED_MORE);
	ck_assert_int_eq(frame_decode_eof(&rx.dec, rx.have), FRAME_PARTIAL);
	ck_assert_int_eq(frame_decode_eof(&rx.dec, 0), FRAME_OK);
	rx_init("line", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_decode_eof(&rx.dec, 1), FRAME_PARTIAL);
	rx_init("raw", 0, FRAME_DEFAULT_MAX);
	ck_assert_int_eq(frame_decode_eof(&rx.dec, 7), FRAME_OK);
}
END_TEST

static TCase *
tcase_new(Suite *s, const char *name)
{
	TCase	*tc;

	tc = tcase_create(name);
	tcase_add_checked_fixture(tc, setup, teardown);
	suite_add_tcase(s, tc);
	return (tc);
}

static void
frame_suite_parse_encode(Suite *s)
{
	TCase	*tc;

	tc = tcase_new(s, "parse");
	tcase_add_loop_test(tc, test_parse_valid, 0, NVALID);
	tcase_add_loop_test(tc, test_parse_invalid, 0, NINVALID);
	tcase_add_test(tc, test_parse_messages);
	tcase_add_loop_test(tc, test_parse_name, 0, NVALID);
	tcase_add_test(tc, test_parse_name_every_delim);
	tcase_add_test(tc, test_parse_name_truncated);

	tc = tcase_new(s, "encode");
	tcase_add_test(tc, test_encode_head);
	tcase_add_test(tc, test_encode_head_none);
	tcase_add_test(tc, test_encode_tail);
	tcase_add_test(tc, test_encode_whole);
	tcase_add_test(tc, test_encode_in_place);
	tcase_add_test(tc, test_encode_nobufs);
}

static void
frame_suite_decode(Suite *s)
{
	TCase	*tc;

	tc = tcase_new(s, "decode");
	tcase_add_loop_test(tc, test_decode_roundtrip, 0, NKINDS);
	tcase_add_loop_test(tc, test_decode_bytewise, 0, NKINDS);
	tcase_add_test(tc, test_decode_crlf);
	tcase_add_test(tc, test_decode_zero_length);
	tcase_add_test(tc, test_decode_delim_nul);
	tcase_add_test(tc, test_decode_delim_rs);
	tcase_add_test(tc, test_decode_little_endian);
	tcase_add_test(tc, test_decode_scanned);
	tcase_add_test(tc, test_decode_raw);
	tcase_add_test(tc, test_decode_strerror);

	tc = tcase_new(s, "decode-split");
	tcase_add_loop_test(tc, test_split_at, 0, split_max());
}

static void
frame_suite_limits_eof(Suite *s)
{
	TCase	*tc;

	tc = tcase_new(s, "limits");
	tcase_add_test(tc, test_limit_len32_header);
	tcase_add_test(tc, test_limit_len64_huge);
	tcase_add_test(tc, test_limit_len_small_max);
	tcase_add_test(tc, test_limit_line);
	tcase_add_test(tc, test_limit_line_crlf);
	tcase_add_test(tc, test_limit_delim);
	tcase_add_test(tc, test_limit_fixed);
	tcase_add_test(tc, test_limit_max_zero);
	tcase_add_test(tc, test_limit_raw);
	tcase_add_test(tc, test_limit_encode_max);
	tcase_add_test(tc, test_limit_encode_header);
	tcase_add_test(tc, test_limit_encode_fixed);

	tc = tcase_new(s, "eof");
	tcase_add_loop_test(tc, test_eof_partial, 0, NKINDS);
	tcase_add_loop_test(tc, test_eof_clean, 0, NKINDS);
	tcase_add_test(tc, test_eof_cases);
}

static Suite *
frame_suite(void)
{
	Suite	*s;

	s = suite_create("frame");
	frame_suite_parse_encode(s);
	frame_suite_decode(s);
	frame_suite_limits_eof(s);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failures;

	sr = srunner_create(frame_suite());
	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failures ? 1 : 0);
}
