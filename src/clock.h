/*
 * The one monotonic clock of sockit: every deadline, timer and duration
 * is measured with it.
 */
#ifndef SOCKIT_CLOCK_H
#define SOCKIT_CLOCK_H

/* Monotonic time in milliseconds / microseconds since an arbitrary start. */
long long	clock_ms(void);
long long	clock_us(void);

/*
 * Milliseconds left until deadline (a clock_ms() value), as a poll()
 * timeout: never negative, at most INT_MAX; a deadline <= 0 means none
 * and gives -1 (wait without limit).
 */
int		clock_left_ms(long long);

#endif
