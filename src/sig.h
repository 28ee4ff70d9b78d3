/*
 * Signals through a self-pipe (s6 selfpipe): handlers only write the
 * signal number to a pipe that the event loop watches.
 */
#ifndef SOCKIT_SIG_H
#define SOCKIT_SIG_H

#include <sys/types.h>

/*
 * Installs handlers for the given signals (a 0-terminated list) and
 * returns the read end of the self-pipe (non-blocking, close-on-exec), or
 * -1 with errno.  Calling it again adds signals to the same pipe.
 */
int	sig_open(const int *);

/*
 * Catches SIGINT, SIGTERM and SIGCHLD into the self-pipe.  Servers call
 * it before they listen, so a stop request that arrives as soon as the
 * socket (or --port-file) appears waits in the pipe for the event loop
 * instead of killing the process before it can clean up.
 */
int	sig_catch_stop(void);

/* Reads one pending signal number; returns 0 when none is pending. */
int	sig_next(int);

/*
 * fork() with every signal blocked across it, so that a signal meant for
 * the parent never runs the parent's handler in the child (writing to the
 * shared self-pipe).  The parent's mask is restored; the child keeps all
 * signals blocked until it calls sig_reset_child().
 */
pid_t	sig_fork(void);

/*
 * Restores default dispositions and drops the self-pipe, in a child
 * before exec or before a worker sets up its own.
 */
void	sig_reset_child(void);

#endif
