/*
 * errno → exit code, fixed per failure class as s6 does with 100/111.
 */
#include "config.h"

#include <errno.h>

#include "exitcode.h"

int
exitcode_for_errno(int err)
{
	switch (err) {
	case ECONNREFUSED:
	case ENOENT:		/* nobody at that Unix path */
		return (SOCKIT_EXIT_REFUSED);
	case ETIMEDOUT:
		return (SOCKIT_EXIT_TIMEOUT);
	default:
		return (SOCKIT_EXIT_RUNTIME);
	}
}
