/*
 * --send/--expect steps over a blocking socket with poll timeouts.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "buf.h"
#include "script.h"
#include "sock.h"

#define SCRIPT_READ_SIZE	65536

size_t
script_find(const unsigned char *hay, size_t haylen,
    const unsigned char *needle, size_t nlen)
{
	const unsigned char	*p;

	if (nlen == 0 || haylen < nlen)
		return (0);
	p = memmem(hay, haylen, needle, nlen);
	return (p == NULL ? 0 : (size_t)(p - hay) + nlen);
}

/*
 * Reads one chunk into b within the deadline and copies it to out_fd.
 * Returns bytes read, 0 at EOF, -1 with errno (ETIMEDOUT on timeout).
 */
static ssize_t
script_read(int fd, int out_fd, struct buf *b, long long deadline)
{
	struct pollfd	pfd;
	long long	left;
	ssize_t		n;
	int		rc;

	pfd.fd = fd;
	pfd.events = POLLIN;
	do {
		left = deadline > 0 ? deadline - clock_ms() : -1;
		if (deadline > 0 && left <= 0) {
			errno = ETIMEDOUT;
			return (-1);
		}
		rc = poll(&pfd, 1, deadline > 0 ? (int)left : -1);
	} while (rc == 0 || (rc == -1 && errno == EINTR));
	if (rc == -1 || buf_reserve(b, SCRIPT_READ_SIZE) == -1)
		return (-1);
	do {
		n = read(fd, BUF_TAIL(b), SCRIPT_READ_SIZE);
	} while (n == -1 && errno == EINTR);
	if (n > 0) {
		if (sock_write_all(out_fd, BUF_TAIL(b), (size_t)n) == -1)
			return (-1);
		b->len += (size_t)n;
	}
	return (n);
}

/* Waits until the text has arrived; keeps what follows it in b. */
static enum script_result
script_expect(int fd, int out_fd, struct buf *b, const struct script_step *st,
    long long timeout_ms)
{
	long long	deadline = timeout_ms > 0 ? clock_ms() + timeout_ms : 0;
	size_t		end;
	ssize_t		n;

	if (st->len == 0)
		return (SCRIPT_OK);
	for (;;) {
		if ((end = script_find(BUF_HEAD(b), b->len, st->data,
		    st->len)) > 0) {
			buf_consume(b, end);
			return (SCRIPT_OK);
		}
		/* Only a text-length tail can still be part of a match. */
		if (b->len >= st->len)
			buf_consume(b, b->len - st->len + 1);
		if ((n = script_read(fd, out_fd, b, deadline)) == 0)
			return (SCRIPT_EOF);
		if (n == -1)
			return (errno == ETIMEDOUT ? SCRIPT_TIMEOUT :
			    SCRIPT_IO);
	}
}

static enum script_result
script_send(int fd, const struct script_step *st, long long timeout_ms)
{
	struct pollfd	pfd;
	int		rc;

	/* The send may block on a full window: bound it like any step. */
	pfd.fd = fd;
	pfd.events = POLLOUT;
	do {
		rc = poll(&pfd, 1, timeout_ms > 0 ? (int)timeout_ms : -1);
	} while (rc == -1 && errno == EINTR);
	if (rc == 0)
		return (SCRIPT_TIMEOUT);
	if (rc == -1 || sock_write_all(fd, st->data, st->len) == -1)
		return (SCRIPT_IO);
	return (SCRIPT_OK);
}

enum script_result
script_run(int fd, int out_fd, const struct script_step *steps, size_t n,
    long long timeout_ms, size_t *failed)
{
	struct buf		b;
	enum script_result	rc = SCRIPT_OK;
	size_t			i;
	int			saved;

	memset(&b, 0, sizeof(b));
	for (i = 0; i < n && rc == SCRIPT_OK; i++) {
		*failed = i;
		if (steps[i].op == SCRIPT_SEND)
			rc = script_send(fd, &steps[i], timeout_ms);
		else
			rc = script_expect(fd, out_fd, &b, &steps[i],
			    timeout_ms);
	}
	saved = errno;
	buf_free(&b);
	errno = saved;
	return (rc);
}
