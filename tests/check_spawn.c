/*
 * Unit tests for spawn_check: the start-up check that an --exec program
 * (searched in PATH as execvp does) or /bin/sh for --sh-exec can run.
 * Each test works in its own temporary directory.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"

static char	dir[64];

static void
setup(void)
{
	(void)snprintf(dir, sizeof(dir), "/tmp/check_spawn.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return (remove(path));
}

static void
teardown(void)
{
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

/* Creates dir/sub/name with mode; sub may be "". */
static void
make_file(const char *sub, const char *name, mode_t mode)
{
	char	path[PATH_MAX];
	int	fd;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (sub[0] != '\0')
		(void)mkdir(path, 0700);
	(void)snprintf(path, sizeof(path), "%s/%s%s%s", dir, sub,
	    sub[0] != '\0' ? "/" : "", name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, "#!/bin/sh\n", 10), 10);
	(void)close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* Runs spawn_check on argv { name }; returns its result, err and errno. */
static int
check_argv(const char *name, char *err, int *errnum)
{
	struct spawn_cmd	cmd;
	char			*argv[2];
	int			 rc;

	argv[0] = (char *)name;
	argv[1] = NULL;
	cmd.argv = argv;
	cmd.shell = NULL;
	err[0] = '\0';
	errno = 0;
	rc = spawn_check(&cmd, err, SPAWN_ERR_LEN);
	*errnum = errno;
	return (rc);
}

START_TEST(test_found)
{
	char	err[SPAWN_ERR_LEN];
	int	e;

	ck_assert_int_eq(check_argv("/bin/sh", err, &e), 0);
	ck_assert_int_eq(setenv("PATH", "/nonexistent:/bin:/usr/bin", 1), 0);
	ck_assert_int_eq(check_argv("sh", err, &e), 0);
	/* PATH unset: execvp's default path. */
	ck_assert_int_eq(unsetenv("PATH"), 0);
	ck_assert_int_eq(check_argv("sh", err, &e), 0);
}
END_TEST

START_TEST(test_missing)
{
	char	err[SPAWN_ERR_LEN], path[PATH_MAX];
	int	e;

	ck_assert_int_eq(setenv("PATH", dir, 1), 0);
	ck_assert_int_eq(check_argv("no-such-prog", err, &e), -1);
	ck_assert_int_eq(e, ENOENT);
	ck_assert_str_eq(err, "exec no-such-prog: No such file or directory");
	(void)snprintf(path, sizeof(path), "%s/none", dir);
	ck_assert_int_eq(check_argv(path, err, &e), -1);
	ck_assert_int_eq(e, ENOENT);
	ck_assert_ptr_nonnull(strstr(err, ": No such file or directory"));
	ck_assert(strncmp(err, "exec /tmp/", 10) == 0);
}
END_TEST

/* Not executable: a plain file, a directory; the error is EACCES. */
START_TEST(test_denied)
{
	char	err[SPAWN_ERR_LEN], path[PATH_MAX];
	int	e;

	make_file("", "plain", 0644);
	(void)snprintf(path, sizeof(path), "%s/plain", dir);
	ck_assert_int_eq(check_argv(path, err, &e), -1);
	ck_assert_int_eq(e, EACCES);
	ck_assert_ptr_nonnull(strstr(err, "plain: Permission denied"));
	ck_assert_int_eq(check_argv(dir, err, &e), -1);
	ck_assert_int_eq(e, EACCES);
	ck_assert_int_eq(setenv("PATH", dir, 1), 0);
	ck_assert_int_eq(check_argv("plain", err, &e), -1);
	ck_assert_int_eq(e, EACCES);
	ck_assert_str_eq(err, "exec plain: Permission denied");
}
END_TEST

/* The PATH search goes on past a directory whose copy is not executable. */
START_TEST(test_path_order)
{
	char	err[SPAWN_ERR_LEN], path[2 * PATH_MAX + 2];
	int	e;

	make_file("a", "prog", 0644);
	make_file("b", "prog", 0755);
	(void)snprintf(path, sizeof(path), "%s/a:%s/b", dir, dir);
	ck_assert_int_eq(setenv("PATH", path, 1), 0);
	ck_assert_int_eq(check_argv("prog", err, &e), 0);
	(void)snprintf(path, sizeof(path), "%s/a:%s/none", dir, dir);
	ck_assert_int_eq(setenv("PATH", path, 1), 0);
	ck_assert_int_eq(check_argv("prog", err, &e), -1);
	ck_assert_int_eq(e, EACCES);
}
END_TEST

/* An empty PATH entry is the current directory, as for execvp. */
START_TEST(test_path_empty_entry)
{
	char	err[SPAWN_ERR_LEN];
	int	e;

	make_file("", "here", 0755);
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(setenv("PATH", "/nonexistent:", 1), 0);
	ck_assert_int_eq(check_argv("here", err, &e), 0);
	ck_assert_int_eq(setenv("PATH", "/nonexistent", 1), 0);
	ck_assert_int_eq(check_argv("here", err, &e), -1);
	ck_assert_int_eq(check_argv("./here", err, &e), 0);
}
END_TEST

/* --sh-exec needs /bin/sh only; the command line is the shell's business. */
START_TEST(test_shell)
{
	struct spawn_cmd	cmd;
	char			err[SPAWN_ERR_LEN];

	cmd.argv = NULL;
	cmd.shell = (char *)"no-such-prog | also-none";
	ck_assert_int_eq(setenv("PATH", "/nonexistent", 1), 0);
	ck_assert_int_eq(spawn_check(&cmd, err, sizeof(err)), 0);
	ck_assert_int_eq(spawn_check(&cmd, NULL, 0), 0);
}
END_TEST

START_TEST(test_no_err_buffer)
{
	struct spawn_cmd	cmd;
	char			*argv[] = { (char *)"no-such-prog", NULL };

	cmd.argv = argv;
	cmd.shell = NULL;
	ck_assert_int_eq(setenv("PATH", "/nonexistent", 1), 0);
	ck_assert_int_eq(spawn_check(&cmd, NULL, 0), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

static Suite *
spawn_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("spawn");
	tc = tcase_create("check");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_found);
	tcase_add_test(tc, test_missing);
	tcase_add_test(tc, test_denied);
	tcase_add_test(tc, test_path_order);
	tcase_add_test(tc, test_path_empty_entry);
	tcase_add_test(tc, test_shell);
	tcase_add_test(tc, test_no_err_buffer);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(spawn_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed ? 1 : 0);
}
