/*
 * A small event loop in the manner of redis ae: fd readiness callbacks and
 * timers, one loop per process (or worker).  Backends: epoll, or poll()
 * where epoll is missing, chosen at build time.
 */
#ifndef SOCKIT_LOOP_H
#define SOCKIT_LOOP_H

#include <stddef.h>

#define LOOP_READABLE	1
#define LOOP_WRITABLE	2
/*
 * Given to a callback whose fd was marked with loop_set_pending(): its
 * owner holds data that can be read without waiting for the fd.
 */
#define LOOP_PENDING	4
/*
 * Added to READABLE/WRITABLE when the fd reported an error or a hang-up
 * (EPOLLERR/EPOLLHUP): the next read or write says which.  Without it a
 * writable fd that was connecting has connected.
 */
#define LOOP_ERROR	8

struct loop;
struct loop_timer;

/* Called with the ready subset of the fd's mask. */
typedef void (*loop_fd_cb)(struct loop *, int, int, void *);
typedef void (*loop_timer_cb)(struct loop *, struct loop_timer *, void *);

/*
 * A timer lives in its owner's struct (no allocation); loop_timer_set arms
 * or re-arms it, loop_timer_cancel disarms it.  It fires once per arming.
 */
struct loop_timer {
	long long	 when;	/* loop_now() ms at which it fires */
	size_t		 idx;	/* heap slot; LOOP_TIMER_IDLE when disarmed */
	loop_timer_cb	 cb;
	void		*arg;
};
#define LOOP_TIMER_IDLE	((size_t)-1)

/* Returns a new loop, or NULL with errno. */
struct loop	*loop_new(void);
void		 loop_free(struct loop *);

/*
 * Sets the mask of events wanted on fd (0 removes it) and its callback.
 * Regular files, which epoll refuses, are treated as always ready.
 * Returns 0 or -1 with errno (ENOMEM, or the backend's error).
 */
int	loop_set_fd(struct loop *, int, int, loop_fd_cb, void *);

/*
 * Forgets fd that the caller closes next, without telling the backend:
 * close(2) takes a socket out of epoll, so the epoll_ctl(DEL) that
 * loop_set_fd(fd, 0) makes would be a wasted syscall per connection.
 * Only for fds that no other process or descriptor shares.
 */
void	loop_forget_fd(struct loop *, int);

/*
 * Hands fd over to its next owner: it stays registered, with a callback
 * that unregisters it when it fires, so that the owner's loop_set_fd
 * changes the registration (one epoll_ctl MOD, or none for the same
 * mask) instead of adding it again after a DEL.  An owner that closes
 * fd first calls loop_forget_fd.
 */
void	loop_park_fd(struct loop *, int);

/* Adds or removes mask bits, keeping the callback.  Returns 0 or -1. */
int	loop_add_fd(struct loop *, int, int, loop_fd_cb, void *);
int	loop_del_fd(struct loop *, int, int);
int	loop_get_mask(struct loop *, int);
/* Whether fd is registered with this callback and argument. */
int	loop_fd_is(struct loop *, int, loop_fd_cb, void *);

/*
 * Marks fd as holding buffered input (a TLS record already decrypted):
 * until it is unmarked, the loop does not sleep and calls the fd's
 * callback with LOOP_PENDING every round.  Returns 0 or -1 (ENOMEM).
 */
int	loop_set_pending(struct loop *, int, int);

void	loop_timer_init(struct loop_timer *, loop_timer_cb, void *);
int	loop_timer_set(struct loop *, struct loop_timer *, long long);
void	loop_timer_cancel(struct loop *, struct loop_timer *);
int	loop_timer_armed(const struct loop_timer *);

/*
 * Busy polling: before it would sleep, the loop polls without blocking
 * for up to usec microseconds (0, the default: never), yielding the CPU
 * between polls.  Trades CPU for the wake-up latency of a sleeping
 * process.  LOOP_BUSY_AUTO spins LOOP_AUTO_SPIN_US only while spinning
 * pays: when spins catch nothing it backs off (see loop_set_busy_auto).
 */
#define LOOP_BUSY_AUTO			(-1)
#define LOOP_AUTO_SPIN_US		50
#define LOOP_AUTO_SKIP_MAX		1024
void	loop_set_busy_poll(struct loop *, long);

/*
 * Adaptive busy polling: spin up to spin_us.  A spin that caught nothing
 * is forgiven once; after a second miss before the next catch the next
 * wait sleeps without spinning, after a third the next two, then four,
 * and so on up to skip_max waits.  A spin that catches an event ends the
 * back-off.
 */
struct loop_busy_auto {
	long	spin_us;
	int	skip_max;
};
void	loop_set_busy_auto(struct loop *, const struct loop_busy_auto *);

/*
 * Waits at most timeout_ms (-1: until something happens) and dispatches
 * what is ready, then due timers.  Returns the number of callbacks run,
 * or -1 with errno on a backend failure (EINTR counts as nothing ready).
 */
int	loop_process(struct loop *, int);

/* Runs until loop_stop() or until no fd and no timer is left. */
int	loop_run(struct loop *);
void	loop_stop(struct loop *);

/* Monotonic milliseconds, refreshed once per loop iteration. */
long long	loop_now(struct loop *);

/* Name of the compiled-in backend ("epoll" or "poll"). */
const char	*loop_backend(void);

#endif
