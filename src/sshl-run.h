/*
 * ssh-lite sessions: the server (a process per session) and the exec
 * client.
 */
#ifndef SOCKIT_SSHL_RUN_H
#define SOCKIT_SSHL_RUN_H

#include "addr.h"
#include "sshl.h"

#define SSHL_EXIT_OWN		255	/* ssh-lite's own failures */
#define SSHL_EXIT_TIMEOUT	124	/* --timeout, as timeout(1) */
#define SSHL_AUTH_TIMEOUT_MS	10000
#define SSHL_KILL_GRACE_MS	2000	/* TERM, then KILL after this */

struct sshl_server_opts {
	unsigned char	 key[SSHL_KEY_LEN];
	struct addr_acl	 acl;
	long		 max_sessions;
};

/*
 * Serves sessions on a listening fd until SIGINT/SIGTERM; returns the
 * exit code.  It also returns in every session's process, once the
 * session is over, with *in_session set to 1: the caller then frees
 * what it holds and exits with the code, but leaves the listener's
 * resources (a Unix socket file) alone.
 */
int	sshl_server_run(const struct sshl_server_opts *, int, int *);

/*
 * Runs one remote command over a connected fd: stdin forwarded, stdout
 * and stderr separated, SIGINT/SIGTERM forwarded.  Returns the remote
 * status (128+N for signal N, 124 on --timeout) or 255.
 */
int	sshl_exec_run(const unsigned char *, const struct sshl_exec *, int);

#endif
