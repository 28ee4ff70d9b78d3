/*
 * Unit tests for log.c: log_configure alone decides what is printed and
 * how (text or JSON), --quiet hides routine events but not the events
 * that carry an error, and log_hint explains one errno.  Output is read
 * back from a temporary stderr.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* What the logging in between wrote to stderr. */
static FILE	*capture_file;
static int	 capture_saved = -1;
static char	 captured[4096];

static void
capture_begin(void)
{
	capture_file = tmpfile();
	ck_assert_ptr_nonnull(capture_file);
	capture_saved = dup(STDERR_FILENO);
	ck_assert_int_ne(capture_saved, -1);
	ck_assert_int_ne(dup2(fileno(capture_file), STDERR_FILENO), -1);
}

static const char *
capture_end(void)
{
	size_t	n;

	ck_assert_int_ne(dup2(capture_saved, STDERR_FILENO), -1);
	(void)close(capture_saved);
	rewind(capture_file);
	n = fread(captured, 1, sizeof(captured) - 1, capture_file);
	captured[n] = '\0';
	(void)fclose(capture_file);
	return (captured);
}

START_TEST(test_text_default)
{
	log_set_command("tcp-server");
	capture_begin();
	log_error("bad %s", "thing");
	log_info("listening on %s", "127.0.0.1:9");
	log_event(LOG_VERBOSE, "accepted", "127.0.0.1:5", NULL, NULL);
	log_event(LOG_DEBUG, "debug", NULL, NULL, NULL);
	ck_assert_str_eq(capture_end(), "sockit: tcp-server: bad thing\n"
	    "listening on 127.0.0.1:9\n");
}
END_TEST

START_TEST(test_verbose)
{
	struct log_xfer	x = { 3, 4, 0.5 };

	log_configure(1, 0, 0);
	capture_begin();
	log_event(LOG_VERBOSE, "closed", "127.0.0.1:5", &x, NULL);
	log_event(LOG_DEBUG, "debug", NULL, NULL, NULL);
	ck_assert_str_eq(capture_end(),
	    "closed 127.0.0.1:5 in=3 out=4 0.500s\n");
	ck_assert_int_eq(log_enabled(LOG_VERBOSE), 1);
	ck_assert_int_eq(log_enabled(LOG_DEBUG), 0);
}
END_TEST

START_TEST(test_json)
{
	log_set_command("tcp-client");
	log_configure(0, 0, 1);
	capture_begin();
	log_error("connect %s", "h:9");
	ck_assert_ptr_nonnull(strstr(capture_end(), "\"event\":\"error\","
	    "\"command\":\"tcp-client\",\"error\":\"connect h:9\"}\n"));
	ck_assert(strncmp(captured, "{\"ts\":\"", 7) == 0);
}
END_TEST

/* --quiet: errors and error events stay, the rest goes. */
START_TEST(test_quiet)
{
	log_set_command("tcp-server");
	log_configure(2, 1, 0);
	capture_begin();
	log_info("listening on %s", "127.0.0.1:9");
	log_event(LOG_NOTICE, "closed", "127.0.0.1:5", NULL, NULL);
	log_event(LOG_VERBOSE, "accepted", "127.0.0.1:5", NULL, NULL);
	log_event(LOG_VERBOSE, "full", NULL, NULL, "max-conns reached");
	log_event(LOG_NOTICE, "closed", "127.0.0.1:6", NULL,
	    "frame error: frame too big");
	log_event(LOG_NOTICE, "denied", "192.0.2.1:7", NULL, "denied");
	log_error("listen %s: address in use", "/tmp/x");
	ck_assert_str_eq(capture_end(),
	    "closed 127.0.0.1:6: frame error: frame too big\n"
	    "denied 192.0.2.1:7: denied\n"
	    "sockit: tcp-server: listen /tmp/x: address in use\n");
	ck_assert_int_eq(log_enabled(LOG_NOTICE), 0);
}
END_TEST

/* A hint follows strerror for its errno only. */
START_TEST(test_hint)
{
	log_set_command("unix-client");
	log_hint(EPROTOTYPE, "a datagram socket? try --dgram");
	capture_begin();
	errno = EPROTOTYPE;
	log_syserr("connect %s", "/tmp/s");
	errno = ENOENT;
	log_syserr("connect %s", "/tmp/t");
	log_hint(EPROTOTYPE, NULL);
	errno = EPROTOTYPE;
	log_syserr("connect %s", "/tmp/u");
	ck_assert_str_eq(capture_end(),
	    "sockit: unix-client: connect /tmp/s: Protocol wrong type for "
	    "socket (a datagram socket? try --dgram)\n"
	    "sockit: unix-client: connect /tmp/t: No such file or directory\n"
	    "sockit: unix-client: connect /tmp/u: Protocol wrong type for "
	    "socket\n");
}
END_TEST

static Suite *
log_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("log");
	tc = tcase_create("configure");
	tcase_add_test(tc, test_text_default);
	tcase_add_test(tc, test_verbose);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_quiet);
	tcase_add_test(tc, test_hint);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(log_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed ? 1 : 0);
}
