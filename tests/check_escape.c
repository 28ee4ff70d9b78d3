/*
 * Unit tests for escape.c: every escape the decoder knows, embedded NULs,
 * the errors, and escape_encode's rendering, truncation and round trip.
 * Decoding writes into a heap buffer of exactly strlen(in) bytes, so a
 * sanitized build catches a decoder that grows text.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Decodes in into a fresh buffer of strlen(in) bytes; returns it. */
static unsigned char *
decode(const char *in, int *rc, size_t *len, char *err)
{
	unsigned char	*out;

	/* malloc(0) may return NULL; one spare byte is never used. */
	out = malloc(strlen(in) + 1);
	ck_assert_ptr_nonnull(out);
	*rc = escape_decode(in, out, len, err);
	return (out);
}

/* Decoding: every escape, alone and in context. */

static const struct {
	const char	*in;
	const char	*want;
	size_t		 len;
} decode_cases[] = {
	{ "", "", 0 },
	{ "plain text", "plain text", 10 },
	{ "\\n", "\n", 1 },
	{ "\\r", "\r", 1 },
	{ "\\t", "\t", 1 },
	{ "\\0", "\0", 1 },
	{ "\\\\", "\\", 1 },
	{ "\\a", "\a", 1 },
	{ "\\b", "\b", 1 },
	{ "\\e", "\033", 1 },
	{ "\\f", "\f", 1 },
	{ "\\v", "\v", 1 },
	{ "\\\"", "\"", 1 },
	{ "\\'", "'", 1 },
	{ "\\x41", "A", 1 },
	{ "\\x4", "\004", 1 },
	{ "\\xA", "\n", 1 },
	{ "\\xff", "\377", 1 },
	{ "\\xFf", "\377", 1 },
	{ "\\x00", "\0", 1 },
	{ "\\x414", "A4", 2 },
	{ "\\x4g", "\004g", 2 },
	{ "\\x0a\\x0D", "\n\r", 2 },
	{ "a\\0b", "a\0b", 3 },
	{ "\\0\\0\\0", "\0\0\0", 3 },
	{ "\\01", "\0" "1", 2 },
	{ "GET / HTTP/1.0\\r\\n\\r\\n", "GET / HTTP/1.0\r\n\r\n", 18 },
	{ "\\\\n", "\\n", 2 },
	{ "\\\\\\\\", "\\\\", 2 },
	{ "caf\303\251", "caf\303\251", 5 },
	{ "\"quoted\"", "\"quoted\"", 8 },
};

START_TEST(test_decode_table)
{
	unsigned char	*out;
	char		 err[ESCAPE_ERR_LEN] = "";
	size_t		 len = 12345;
	int		 rc;

	out = decode(decode_cases[_i].in, &rc, &len, err);
	ck_assert_msg(rc == 0, "\"%s\": %s", decode_cases[_i].in, err);
	ck_assert_msg(len == decode_cases[_i].len, "\"%s\": length %zu, want "
	    "%zu", decode_cases[_i].in, len, decode_cases[_i].len);
	if (len > 0)
		ck_assert_mem_eq(out, decode_cases[_i].want, len);
	free(out);
}
END_TEST

START_TEST(test_decode_embedded_nul)
{
	unsigned char	*out;
	size_t		 len;
	int		 rc;

	/* The result is not a C string: length, not strlen, counts. */
	out = decode("ab\\0cd\\x00", &rc, &len, NULL);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(len, 6);
	ck_assert_mem_eq(out, "ab\0cd\0", 6);
	free(out);
}
END_TEST

/* Decoding errors. */

static const struct {
	const char	*in;
	const char	*msg;		/* part of the expected message */
} error_cases[] = {
	{ "\\q", "unknown escape \\q at offset 0 in \"\\q\"" },
	{ "abc\\qdef", "unknown escape \\q at offset 3" },
	{ "\\8", "unknown escape \\8" },
	{ "\\u0041", "unknown escape \\u" },
	{ "\\X41", "unknown escape \\X" },
	{ "\\ ", "unknown escape \\ " },
	{ "\\\001", "backslash before byte 0x01" },
	{ "\\\377", "backslash before byte 0xff" },
	{ "\\", "trailing backslash in \"\\\"" },
	{ "abc\\", "trailing backslash in \"abc\\\"" },
	{ "\\\\\\", "trailing backslash" },
	{ "\\x", "\\x without hex digits at offset 0" },
	{ "ab\\xg", "\\x without hex digits at offset 2" },
	{ "\\x\\x41", "\\x without hex digits" },
	{ "ok\\n\\z", "unknown escape \\z at offset 4" },
};

START_TEST(test_decode_errors)
{
	unsigned char	*out;
	char		 err[ESCAPE_ERR_LEN] = "";
	size_t		 len = 12345;
	int		 rc;

	out = decode(error_cases[_i].in, &rc, &len, err);
	ck_assert_msg(rc == -1, "\"%s\" decoded", error_cases[_i].in);
	ck_assert_msg(strstr(err, error_cases[_i].msg) != NULL,
	    "error \"%s\" lacks \"%s\"", err, error_cases[_i].msg);
	ck_assert_ptr_null(strchr(err, '\n'));
	ck_assert_uint_eq(len, 0);
	free(out);

	/* err is optional. */
	out = decode(error_cases[_i].in, &rc, &len, NULL);
	ck_assert_int_eq(rc, -1);
	free(out);
}
END_TEST

START_TEST(test_decode_error_long_input)
{
	char		 in[400];
	unsigned char	*out;
	char		 err[ESCAPE_ERR_LEN];
	size_t		 len;
	int		 rc;

	memset(in, 'a', sizeof(in) - 3);
	memcpy(in + sizeof(in) - 3, "\\q", 3);
	out = decode(in, &rc, &len, err);
	ck_assert_int_eq(rc, -1);
	/* The explanation and offset come first and survive the cut. */
	ck_assert_ptr_nonnull(strstr(err, "unknown escape \\q at offset 397"));
	ck_assert_ptr_nonnull(strstr(err, "...\""));
	ck_assert_uint_lt(strlen(err), ESCAPE_ERR_LEN);
	free(out);
}
END_TEST

/* Encoding. */

START_TEST(test_encode_bytes)
{
	static const unsigned char	in[] = {
		'h', 'i', ' ', '~', '\0', '\n', '\r', '\t', '\\', '"', '\'',
		0x07, 0x1b, 0x7f, 0x80, 0xff
	};
	char				out[128];

	escape_encode(in, sizeof(in), out, sizeof(out));
	ck_assert_str_eq(out,
	    "hi ~\\0\\n\\r\\t\\\\\"'\\x07\\x1b\\x7f\\x80\\xff");
	escape_encode(in, 0, out, sizeof(out));
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_encode_truncate)
{
	static const unsigned char	ab[] = { 'a', 0xff, 'b' };
	char				out[16];

	memset(out, '#', sizeof(out));
	escape_encode((const unsigned char *)"abcdef", 6, out, 4);
	ck_assert_str_eq(out, "abc");
	ck_assert_int_eq(out[4], '#');

	/* An escape that does not fit is left out whole. */
	escape_encode(ab, sizeof(ab), out, 5);
	ck_assert_str_eq(out, "a");
	escape_encode(ab, sizeof(ab), out, 6);
	ck_assert_str_eq(out, "a\\xff");
	escape_encode((const unsigned char *)"\n", 1, out, 2);
	ck_assert_str_eq(out, "");

	escape_encode(ab, sizeof(ab), out, 1);
	ck_assert_str_eq(out, "");

	/* With no room for even the NUL, nothing is written. */
	memset(out, '#', sizeof(out));
	escape_encode(ab, sizeof(ab), out, 0);
	ck_assert_int_eq(out[0], '#');
}
END_TEST

/*
 * Encodes every byte value, then decodes the result: the encoder must
 * only emit escapes the decoder reads back as the same bytes.
 */
START_TEST(test_encode_round_trip)
{
	unsigned char	in[256], back[256 * 4];
	char		enc[256 * 4 + 1];
	size_t		len;
	int		i;

	for (i = 0; i < 256; i++)
		in[i] = (unsigned char)i;
	escape_encode(in, sizeof(in), enc, sizeof(enc));
	ck_assert_int_eq(escape_decode(enc, back, &len, NULL), 0);
	ck_assert_uint_eq(len, sizeof(in));
	ck_assert_mem_eq(back, in, sizeof(in));
}
END_TEST

/*
 * _i is the output size.  Every size gives a terminated prefix of the
 * full encoding that still decodes to a prefix of the input.
 */
static const unsigned char every_in[] = { 'x', '\0', '1', 0xfe, '\\', 'y',
    '\n' };
static const char every_full[] = "x\\01\\xfe\\\\y\\n";

START_TEST(test_encode_every_size)
{
	const unsigned char	*in = every_in;
	const char		*full = every_full;
	char			 out[sizeof(every_full) + 1];
	unsigned char		 back[sizeof(every_full)];
	size_t			 size = (size_t)_i, len;

	memset(out, '#', sizeof(out));
	escape_encode(in, sizeof(every_in), out, size);
	ck_assert_uint_lt(strlen(out), size);
	ck_assert_int_eq(strncmp(out, full, strlen(out)), 0);
	if (size == sizeof(every_full))
		ck_assert_str_eq(out, full);
	ck_assert_int_eq(escape_decode(out, back, &len, NULL), 0);
	ck_assert_uint_le(len, sizeof(every_in));
	if (len > 0)
		ck_assert_mem_eq(back, in, len);
}
END_TEST

static Suite *
escape_suite(void)
{
	Suite	*s = suite_create("escape");
	TCase	*tc;

	tc = tcase_create("decode");
	tcase_add_loop_test(tc, test_decode_table, 0, NELEM(decode_cases));
	tcase_add_test(tc, test_decode_embedded_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("decode-errors");
	tcase_add_loop_test(tc, test_decode_errors, 0, NELEM(error_cases));
	tcase_add_test(tc, test_decode_error_long_input);
	suite_add_tcase(s, tc);

	tc = tcase_create("encode");
	tcase_add_test(tc, test_encode_bytes);
	tcase_add_test(tc, test_encode_truncate);
	tcase_add_test(tc, test_encode_round_trip);
	/* From room for the NUL alone to room for all of it. */
	tcase_add_loop_test(tc, test_encode_every_size, 1,
	    (int)sizeof(every_full) + 1);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(escape_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed ? 1 : 0);
}
