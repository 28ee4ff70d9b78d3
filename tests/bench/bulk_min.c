/*
 * bulk_min: the smallest reasonable bulk TCP client, a baseline for
 * scripts/bench.  Not part of sockit; make check builds it so that it
 * keeps compiling, scripts/bench builds it with cc -O2.
 *
 *	bulk_min HOST PORT
 *
 * Connects, copies stdin to the socket with blocking 1 MiB reads and
 * writes, then shuts the write side down and reads until the server
 * closes, so that it exits only once the server has everything (as
 * nc -N does).  Exits 0 on success, 1 on any error.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#define BULK_BUF	(1024 * 1024)

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "bulk_min: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int
connect_to(const char *host, const char *port)
{
	struct addrinfo	 hints, *res, *ai;
	int		 fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "bulk_min: %s: %s\n", host, gai_strerror(rc));
		exit(1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		(void)close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		die("connect");
	return (fd);
}

static void
write_all(int fd, const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			die("write");
		p += n;
		len -= (size_t)n;
	}
}

int
main(int argc, char **argv)
{
	char	*buf;
	ssize_t	 n;
	int	 fd;

	if (argc != 3) {
		fprintf(stderr, "usage: bulk_min HOST PORT < data\n");
		return (2);
	}
	signal(SIGPIPE, SIG_IGN);
	if ((buf = malloc(BULK_BUF)) == NULL)
		die("malloc");
	fd = connect_to(argv[1], argv[2]);
	for (;;) {
		n = read(STDIN_FILENO, buf, BULK_BUF);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			die("read stdin");
		if (n == 0)
			break;
		write_all(fd, buf, (size_t)n);
	}
	if (shutdown(fd, SHUT_WR) == -1)
		die("shutdown");
	/* Whatever the server says back is dropped; EOF means it is done. */
	while ((n = read(fd, buf, BULK_BUF)) != 0)
		if (n == -1 && errno != EINTR)
			die("read socket");
	return (0);
}
