/*
 * -z over a list of ports (tcp-client -z HOST 22,80,8000-8010,
 * udp-client -z): every port checked, a bounded number at once, in one
 * event loop.  TCP: a connect that is accepted.  UDP: an empty datagram
 * that does not come back as ICMP port unreachable (nc -u -z's rule:
 * silence counts as open).
 */
#ifndef SOCKIT_SCAN_H
#define SOCKIT_SCAN_H

#include <stddef.h>

/* What became of one port. */
enum scan_state {
	SCAN_PENDING = 0,
	SCAN_OPEN,
	SCAN_REFUSED,
	SCAN_TIMEOUT,
	SCAN_ERROR
};

struct scan_opts {
	const char	*host;
	const int	*ports;
	size_t		 nports;
	int		 family;
	int		 socktype;	/* SOCK_STREAM or SOCK_DGRAM */
	long long	 timeout_ms;	/* per try; <= 0: the kernel's (TCP) */
	long long	 wait_for_ms;	/* > 0: retry until every port is open */
	size_t		 concurrency;	/* tries at once */
};

/* Told about each open port, in the order of the list. */
typedef void (*scan_open_cb)(int, void *);

/*
 * Checks every port; states[i] gets port i's result.  Returns 0 when
 * the scan ran (read states), or -1 with errno and err (SOCK_ERR_LEN
 * bytes) when the host did not resolve or memory ran out.
 */
int	scan_run(const struct scan_opts *, enum scan_state *, scan_open_cb,
	    void *, char *);

#endif
