/*
 * Running --exec / --sh-exec programs with a connection as stdin/stdout.
 */
#ifndef SOCKIT_SPAWN_H
#define SOCKIT_SPAWN_H

#include <sys/types.h>

/* What to run: argv without a shell, or a command line for /bin/sh -c. */
struct spawn_cmd {
	char	**argv;		/* NULL-terminated; NULL with shell */
	char	 *shell;	/* for /bin/sh -c; NULL with argv */
};

/*
 * Splits a command line on blanks into a NULL-terminated argv (no quoting,
 * as ncat --exec does).  Returns NULL when it holds no word; one free()
 * releases the result.
 */
char	**spawn_split(const char *);

#define SPAWN_ERR_LEN	512

/*
 * Checks before any connection that cmd can be executed: argv[0] as
 * execvp would find it (through PATH when it has no slash), or /bin/sh
 * for a shell command.  Returns 0, or -1 with errno (ENOENT, EACCES, ...)
 * and "exec PROG: strerror" in err (len bytes, SPAWN_ERR_LEN will do).
 */
int	spawn_check(const struct spawn_cmd *, char *, size_t);

/*
 * Sets cmd from an --exec argument (shell 0: split on blanks) or an
 * --sh-exec one (shell 1).  Returns 0, or -1 with errno: EINVAL for an
 * empty command, EEXIST when cmd was already set, ENOMEM.
 */
int	spawn_cmd_parse(struct spawn_cmd *, int, const char *);

/*
 * Forks a child with in as its stdin and out as its stdout (the same fd
 * for a connection; stderr stays), the given
 * SOCKIT_PEER and SOCKIT_LOCAL in its environment and default signal
 * dispositions, and execs cmd.  A child that cannot exec logs one line
 * ("sockit: CMD: exec PROG: strerror") and exits 127.  Returns the pid or -1 with errno.
 */
pid_t	spawn_child(const struct spawn_cmd *, int, int, const char *,
	    const char *);

/* The same with more "NAME=value" entries (a NULL-terminated list). */
pid_t	spawn_child_env(const struct spawn_cmd *, int, int, const char *,
	    const char *, const char *const *);

/* Called by spawn_reap with each ended child's pid and wait status. */
typedef void (*spawn_reap_cb)(pid_t, int, void *);

/*
 * Reaps every child that has ended (waitpid WNOHANG, EINTR retried) and
 * calls cb for each.  Returns the number reaped.
 */
int	spawn_reap(spawn_reap_cb, void *);

/*
 * Describes a wait status in buf: "" for exit status 0, "exit status N"
 * or "killed by signal N".  Returns buf.
 */
const char *spawn_status_str(int, char *, size_t);

#endif
