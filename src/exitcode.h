/*
 * The one place that maps a failure to an exit code of the SPEC table.
 */
#ifndef SOCKIT_EXITCODE_H
#define SOCKIT_EXITCODE_H

/*
 * Exit codes: the table of SPEC section 2, printed by --help.  Every
 * layer may name them (a server reports how its one --once connection
 * ended); only the command layer exits with one.
 */
enum sockit_exit {
	SOCKIT_EXIT_OK = 0,
	SOCKIT_EXIT_RUNTIME = 1,	/* I/O, reset, DNS, resources */
	SOCKIT_EXIT_USAGE = 2,		/* bad option, address, spec, key */
	SOCKIT_EXIT_REFUSED = 3,	/* nobody listening */
	SOCKIT_EXIT_TIMEOUT = 4,	/* connect, wait-for, idle, expect */
	SOCKIT_EXIT_PROTOCOL = 5,	/* framing or ssh-lite protocol */
	SOCKIT_EXIT_EXPECT = 6,		/* expectation not met */
	SOCKIT_EXIT_AUTH = 7		/* TLS or proxy authentication */
};

/*
 * Returns the exit code for a failed connect/read/write whose errno is
 * err: ECONNREFUSED, ENOENT (Unix path), EHOSTUNREACH... → 3,
 * ETIMEDOUT → 4, anything else → 1.
 */
int	exitcode_for_errno(int);

#endif
