/*
 * Unit tests for the -x hex dump format, byte for byte, and for -o.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "dump.h"

START_TEST(test_hex_short)
{
	char	out[512];
	size_t	n;

	n = dump_hex_format(out, DUMP_IN, "127.0.0.1:9000", 0,
	    (const unsigned char *)"hello\n", 6);
	out[n] = '\0';
	ck_assert_str_eq(out,
	    "< 127.0.0.1:9000 0+6\n"
	    "00000000  68 65 6c 6c 6f 0a                               "
	    "  |hello.|\n");
	ck_assert_uint_le(n, dump_hex_size("127.0.0.1:9000", 6));
}
END_TEST

START_TEST(test_hex_lines)
{
	unsigned char	b[20];
	char		out[512];
	size_t		i, n;

	for (i = 0; i < sizeof(b); i++)
		b[i] = (unsigned char)(0x7c + i);
	n = dump_hex_format(out, DUMP_OUT, "[::1]:80", 4096, b, sizeof(b));
	out[n] = '\0';
	ck_assert_str_eq(out,
	    "> [::1]:80 4096+20\n"
	    "00001000  7c 7d 7e 7f 80 81 82 83  84 85 86 87 88 89 8a 8b  "
	    "||}~.............|\n"
	    "00001010  8c 8d 8e 8f                                       "
	    "|....|\n");
	ck_assert_uint_le(n, dump_hex_size("[::1]:80", sizeof(b)));
}
END_TEST

START_TEST(test_record_files)
{
	char		rawp[] = "/tmp/sockit-dump.XXXXXX";
	char		hexp[] = "/tmp/sockit-dump.XXXXXX";
	struct dump	d;
	char		buf[256];
	ssize_t		n;

	ck_assert_int_ne(d.raw_fd = mkstemp(rawp), -1);
	ck_assert_int_ne(d.hex_fd = mkstemp(hexp), -1);
	(void)unlink(rawp);
	(void)unlink(hexp);
	ck_assert_int_eq(dump_record(&d, DUMP_OUT, "p", 0,
	    (const unsigned char *)"ab", 2), 0);
	ck_assert_int_eq(dump_record(&d, DUMP_IN, "p", 0,
	    (const unsigned char *)"c", 1), 0);
	ck_assert_int_eq(dump_record(&d, DUMP_IN, "p", 1,
	    (const unsigned char *)"", 0), 0);
	ck_assert_int_eq(lseek(d.raw_fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(n = read(d.raw_fd, buf, sizeof(buf)), 3);
	ck_assert_mem_eq(buf, "abc", 3);
	ck_assert_int_eq(lseek(d.hex_fd, 0, SEEK_SET), 0);
	ck_assert_int_gt(n = read(d.hex_fd, buf, sizeof(buf) - 1), 0);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "> p 0+2\n00000000  61 62 "));
	ck_assert_ptr_nonnull(strstr(buf, "< p 0+1\n00000000  63 "));
	(void)close(d.raw_fd);
	(void)close(d.hex_fd);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("dump");
	TCase	*tc = tcase_create("format");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_hex_short);
	tcase_add_test(tc, test_hex_lines);
	tcase_add_test(tc, test_record_files);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
