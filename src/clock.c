/*
 * Monotonic clock readings.
 */
#include "config.h"

#include <limits.h>
#include <time.h>

#include "clock.h"

long long
clock_us(void)
{
	struct timespec	ts;

	/* CLOCK_MONOTONIC cannot fail on a system that has it. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return (0);
	return ((long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

long long
clock_ms(void)
{
	return (clock_us() / 1000);
}

int
clock_left_ms(long long deadline)
{
	long long	left;

	if (deadline <= 0)
		return (-1);
	left = deadline - clock_ms();
	if (left <= 0)
		return (0);
	return (left > INT_MAX ? INT_MAX : (int)left);
}
