/*
 * The one place that maps a failure to an exit code of the SPEC table.
 */
#ifndef SOCKIT_EXITCODE_H
#define SOCKIT_EXITCODE_H

/*
 * Returns the exit code for a failed connect/read/write whose errno is
 * err: ECONNREFUSED, ENOENT (Unix path), EHOSTUNREACH... → 3,
 * ETIMEDOUT → 4, anything else → 1.
 */
int	exitcode_for_errno(int);

#endif
