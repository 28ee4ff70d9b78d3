/*
 * Unit tests for the pure parts of args.c: args_cause formatting from its
 * own previous result, args_opt_cause naming an option exactly once, and
 * the messages of args_number and args_seconds.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Callers prefix the previous cause: the result must not eat itself. */
START_TEST(test_cause_self)
{
	char	*cause;

	cause = args_cause("\"%s\" is not a number of seconds", "abc");
	cause = args_cause("%s: %s", "-w", cause);
	ck_assert_str_eq(cause, "-w: \"abc\" is not a number of seconds");
	cause = args_cause("%s: %s", "--max-frame", cause);
	ck_assert_str_eq(cause,
	    "--max-frame: -w: \"abc\" is not a number of seconds");
}
END_TEST

START_TEST(test_cause_truncate)
{
	char	 big[2 * ARGS_CAUSE_LEN], *cause;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cause = args_cause("%s", big);
	ck_assert_uint_eq(strlen(cause), ARGS_CAUSE_LEN - 1);
	cause = args_cause("--a: %s", cause);
	ck_assert_uint_eq(strlen(cause), ARGS_CAUSE_LEN - 1);
	ck_assert(strncmp(cause, "--a: xxx", 8) == 0);
}
END_TEST

static const struct args_opt opt_w = { "connect-timeout", 'w', ARGS_REQUIRED,
    1, "SEC", "" };
static const struct args_opt opt_mf = { "max-frame", 0, ARGS_REQUIRED, 2,
    "BYTES", "" };
static const struct args_opt opt_z = { NULL, 'z', ARGS_NONE, 3, NULL, "" };

static const struct {
	const struct args_opt	*o;
	int			 shortform;
	const char		*cause;
	const char		*want;
} named_cases[] = {
	/* Not named yet: named as the user spelled it. */
	{ &opt_w, 1, "\"x\" is not a number of seconds",
	  "-w: \"x\" is not a number of seconds" },
	{ &opt_w, 0, "\"x\" is not a number of seconds",
	  "--connect-timeout: \"x\" is not a number of seconds" },
	{ &opt_mf, 0, "0 is out of range (1-9)",
	  "--max-frame: 0 is out of range (1-9)" },
	{ &opt_z, 1, "bad", "-z: bad" },
	/* Named by the callback already, in either form: left alone. */
	{ &opt_w, 0, "-w: \"x\" is not a number of seconds",
	  "-w: \"x\" is not a number of seconds" },
	{ &opt_w, 1, "--connect-timeout: too long",
	  "--connect-timeout: too long" },
	{ &opt_mf, 0, "--max-frame: 0 is out of range (1-9)",
	  "--max-frame: 0 is out of range (1-9)" },
	{ &opt_mf, 0, "--max-frame takes bytes", "--max-frame takes bytes" },
	/* A longer option with the same start is another option. */
	{ &opt_mf, 0, "--max-frames: x", "--max-frame: --max-frames: x" },
	{ &opt_w, 1, "-wx: y", "-w: -wx: y" }
};

START_TEST(test_opt_cause)
{
	const char	*got;

	got = args_opt_cause(named_cases[_i].o, named_cases[_i].shortform,
	    named_cases[_i].cause);
	ck_assert_str_eq(got, named_cases[_i].want);
}
END_TEST

/* The real sequence: args_seconds, then the caller's prefix, then ours. */
START_TEST(test_opt_cause_chain)
{
	char	*cause = NULL;

	ck_assert_int_eq(args_seconds("abc", 10, &cause), -1);
	cause = args_cause("%s: %s", "-w", cause);
	ck_assert_str_eq(args_opt_cause(&opt_w, 1, cause),
	    "-w: \"abc\" is not a number of seconds");
	ck_assert_int_eq(args_number("0", 1, 9, &cause), -1);
	ck_assert_str_eq(args_opt_cause(&opt_mf, 0, cause),
	    "--max-frame: 0 is out of range (1-9)");
}
END_TEST

static const struct {
	const char	*in;
	long long	 want;		/* milliseconds, or -1 */
	const char	*cause;
} seconds_cases[] = {
	{ "0", 0, NULL },
	{ "1", 1000, NULL },
	{ "0.5", 500, NULL },
	{ ".25", 250, NULL },
	{ "10", 10000, NULL },
	{ "abc", -1, "\"abc\" is not a number of seconds" },
	{ "", -1, "\"\" is not a number of seconds" },
	{ "-1", -1, "\"-1\" is not a number of seconds" },
	{ "1x", -1, "\"1x\" is not a number of seconds" },
	{ "11", -1, "11 seconds is too long (max 10)" }
};

START_TEST(test_seconds)
{
	char		*cause = NULL;
	long long	 got;

	got = args_seconds(seconds_cases[_i].in, 10, &cause);
	ck_assert_int_eq(got, seconds_cases[_i].want);
	if (seconds_cases[_i].cause != NULL)
		ck_assert_str_eq(cause, seconds_cases[_i].cause);
}
END_TEST

static Suite *
args_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("args");

	tc = tcase_create("cause");
	tcase_add_test(tc, test_cause_self);
	tcase_add_test(tc, test_cause_truncate);
	suite_add_tcase(s, tc);

	tc = tcase_create("opt-cause");
	tcase_add_loop_test(tc, test_opt_cause, 0, NELEM(named_cases));
	tcase_add_test(tc, test_opt_cause_chain);
	suite_add_tcase(s, tc);

	tc = tcase_create("seconds");
	tcase_add_loop_test(tc, test_seconds, 0, NELEM(seconds_cases));
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(args_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed ? 1 : 0);
}
