/*
 * Self-pipe signal delivery.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "sig.h"
#include "sock.h"

static int	sig_pipe[2] = { -1, -1 };

static void
sig_handler(int signo)
{
	unsigned char	b = (unsigned char)signo;
	int		saved = errno;

	/* A full pipe already holds a wake-up: dropping this one is fine. */
	(void)!write(sig_pipe[1], &b, 1);
	errno = saved;
}

static int
sig_make_pipe(void)
{
#ifdef HAVE_PIPE2
	return (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC));
#else
	if (pipe(sig_pipe) == -1)
		return (-1);
	if (sock_set_cloexec(sig_pipe[0]) == -1 ||
	    sock_set_cloexec(sig_pipe[1]) == -1 ||
	    sock_set_nonblock(sig_pipe[0], 1) == -1 ||
	    sock_set_nonblock(sig_pipe[1], 1) == -1)
		return (-1);
	return (0);
#endif
}

int
sig_open(const int *signals)
{
	struct sigaction	sa;

	if (sig_pipe[0] == -1 && sig_make_pipe() == -1)
		return (-1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (; *signals != 0; signals++)
		if (sigaction(*signals, &sa, NULL) == -1)
			return (-1);
	return (sig_pipe[0]);
}

int
sig_catch_stop(void)
{
	static const int	sigs[] = { SIGINT, SIGTERM, SIGCHLD, 0 };

	return (sig_open(sigs));
}

int
sig_next(int fd)
{
	unsigned char	b;
	ssize_t		n;

	do {
		n = read(fd, &b, 1);
	} while (n == -1 && errno == EINTR);
	return (n == 1 ? b : 0);
}

pid_t
sig_fork(void)
{
	sigset_t	all, old;
	pid_t		pid;
	int		saved;

	sigfillset(&all);
	if (sigprocmask(SIG_BLOCK, &all, &old) == -1)
		return (-1);
	pid = fork();
	saved = errno;
	if (pid != 0)
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return (pid);
}

void
sig_reset_child(void)
{
	static const int	sigs[] = { SIGPIPE, SIGINT, SIGTERM, SIGCHLD,
	    SIGHUP, 0 };
	sigset_t		set;
	int			i;

	for (i = 0; sigs[i] != 0; i++)
		(void)signal(sigs[i], SIG_DFL);
	sigemptyset(&set);
	(void)sigprocmask(SIG_SETMASK, &set, NULL);
	if (sig_pipe[0] != -1) {
		(void)close(sig_pipe[0]);
		(void)close(sig_pipe[1]);
		sig_pipe[0] = sig_pipe[1] = -1;
	}
}
