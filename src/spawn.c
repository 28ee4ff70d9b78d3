/*
 * fork + exec of per-connection programs.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sig.h"
#include "sock.h"
#include "spawn.h"

char **
spawn_split(const char *line)
{
	char	**argv, *copy, *w, *save = NULL;
	size_t	  n = 0, slots = strlen(line) / 2 + 2;

	/* One block: the pointers, then the copy they point into. */
	if ((argv = calloc(1, slots * sizeof(*argv) + strlen(line) + 1)) ==
	    NULL)
		return (NULL);
	errno = 0;
	copy = (char *)(argv + slots);
	memcpy(copy, line, strlen(line) + 1);
	for (w = strtok_r(copy, " \t\n", &save); w != NULL;
	    w = strtok_r(NULL, " \t\n", &save))
		argv[n++] = w;
	if (n == 0) {
		free(argv);
		return (NULL);
	}
	return (argv);
}

/* The search path of execvp when PATH is unset (glibc's _CS_PATH). */
#define SPAWN_DEFAULT_PATH	"/bin:/usr/bin"

/*
 * Returns 0 when path is a file this process may execute, else -1 with
 * errno as execve(2) would set it (a directory is EACCES).
 */
static int
spawn_executable(const char *path)
{
	struct stat	st;

	if (stat(path, &st) == -1)
		return (-1);
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		return (-1);
	}
	return (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS));
}

/*
 * Looks name up as execvp does: as it is when it holds a slash, else in
 * each directory of PATH (an empty entry is the current directory).
 * Returns 0, or -1 with errno: EACCES when a candidate exists but cannot
 * be executed, ENOENT when there is none.
 */
static int
spawn_search(const char *name)
{
	const char	*dir, *end;
	char		 path[PATH_MAX];
	size_t		 dlen;
	int		 denied = 0;

	if (strchr(name, '/') != NULL)
		return (spawn_executable(name));
	if ((dir = getenv("PATH")) == NULL)
		dir = SPAWN_DEFAULT_PATH;
	for (;; dir = end + 1) {
		if ((end = strchr(dir, ':')) == NULL)
			end = dir + strlen(dir);
		dlen = (size_t)(end - dir);
		if (snprintf(path, sizeof(path), "%.*s%s%s", (int)dlen, dir,
		    dlen > 0 ? "/" : "", name) < (int)sizeof(path)) {
			if (spawn_executable(path) == 0)
				return (0);
			if (errno == EACCES)
				denied = 1;
		}
		if (*end == '\0')
			break;
	}
	errno = denied ? EACCES : ENOENT;
	return (-1);
}

int
spawn_check(const struct spawn_cmd *cmd, char *err, size_t len)
{
	const char	*what;
	int		 rc, saved;

	if (cmd->shell != NULL) {
		what = "/bin/sh";
		rc = spawn_executable(what);
	} else {
		what = cmd->argv[0];
		rc = spawn_search(what);
	}
	if (rc == 0)
		return (0);
	if (err != NULL) {
		saved = errno;
		(void)snprintf(err, len, "exec %s: %s", what, strerror(saved));
		errno = saved;
	}
	return (-1);
}

int
spawn_cmd_parse(struct spawn_cmd *cmd, int shell, const char *arg)
{
	if (cmd->argv != NULL || cmd->shell != NULL) {
		errno = EEXIST;
		return (-1);
	}
	if (shell) {
		if ((cmd->shell = strdup(arg)) == NULL)
			return (-1);
		return (0);
	}
	if ((cmd->argv = spawn_split(arg)) == NULL) {
		if (errno != ENOMEM)
			errno = EINVAL;
		return (-1);
	}
	return (0);
}

/* In the child: wire the fds to stdin/stdout and exec; never returns. */
static void
spawn_exec_child(const struct spawn_cmd *cmd, int in, int out,
    const char *peer, const char *local, const char *const *env)
{
	const char	*what;
	char		 name[64];
	const char	*eq;

	sig_reset_child();
	/* The child gets blocking fds, as any program expects. */
	if (sock_set_nonblock(in, 0) == -1 || sock_set_nonblock(out, 0) == -1)
		_exit(127);
	/* dup2 clears close-on-exec on 0 and 1; the originals keep it. */
	if (dup2(in, 0) == -1 || dup2(out, 1) == -1)
		_exit(127);
	if (setenv("SOCKIT_PEER", peer, 1) == -1 ||
	    setenv("SOCKIT_LOCAL", local, 1) == -1)
		_exit(127);
	for (; env != NULL && *env != NULL; env++) {
		if ((eq = strchr(*env, '=')) == NULL ||
		    (size_t)(eq - *env) >= sizeof(name))
			continue;
		memcpy(name, *env, (size_t)(eq - *env));
		name[eq - *env] = '\0';
		if (setenv(name, eq + 1, 1) == -1)
			_exit(127);
	}
	if (cmd->shell != NULL) {
		execl("/bin/sh", "sh", "-c", cmd->shell, (char *)NULL);
		what = "/bin/sh";
	} else {
		execvp(cmd->argv[0], cmd->argv);
		what = cmd->argv[0];
	}
	/* The parent checked (spawn_check), but files come and go. */
	log_syserr("exec %s", what);
	_exit(127);
}

pid_t
spawn_child(const struct spawn_cmd *cmd, int in, int out, const char *peer,
    const char *local)
{
	return (spawn_child_env(cmd, in, out, peer, local, NULL));
}

pid_t
spawn_child_env(const struct spawn_cmd *cmd, int in, int out,
    const char *peer, const char *local, const char *const *env)
{
	pid_t	pid;

	fflush(stdout);
	fflush(stderr);
	if ((pid = sig_fork()) == -1)
		return (-1);
	if (pid == 0)
		spawn_exec_child(cmd, in, out, peer, local, env);
	return (pid);
}

int
spawn_reap(spawn_reap_cb cb, void *arg)
{
	pid_t	pid;
	int	status, n = 0;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			return (n);
		n++;
		cb(pid, status, arg);
	}
}

const char *
spawn_status_str(int status, char *buf, size_t len)
{
	buf[0] = '\0';
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
	return (buf);
}
