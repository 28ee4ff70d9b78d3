/*
 * -o / -x traffic dumps.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump.h"
#include "sock.h"

#define DUMP_LINE	78	/* one hexdump -C line with its newline */

int
dump_open(struct dump *d, int raw, const char *path)
{
	int	*fd = raw ? &d->raw_fd : &d->hex_fd;
	int	 nfd;

	if ((nfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0644)) == -1)
		return (-1);
	if (*fd >= 0)
		(void)close(*fd);
	*fd = nfd;
	return (0);
}

void
dump_close(struct dump *d)
{
	if (d->raw_fd >= 0)
		(void)close(d->raw_fd);
	if (d->hex_fd >= 0)
		(void)close(d->hex_fd);
	d->raw_fd = d->hex_fd = -1;
}

size_t
dump_hex_size(const char *peer, size_t n)
{
	/* The header: direction, peer, two 20-digit numbers. */
	return (strlen(peer) + 48 + ((n + 15) / 16) * DUMP_LINE + 1);
}

/* One hexdump -C line: offset, 16 bytes in two groups, |ASCII|. */
static size_t
dump_hex_line(char *out, uint64_t off, const unsigned char *p, size_t n)
{
	static const char	hex[] = "0123456789abcdef";
	char			*o = out;
	size_t			 i;

	o += sprintf(o, "%08llx  ", (unsigned long long)off);
	for (i = 0; i < 16; i++) {
		if (i < n) {
			*o++ = hex[p[i] >> 4];
			*o++ = hex[p[i] & 15];
		} else {
			*o++ = ' ';
			*o++ = ' ';
		}
		*o++ = ' ';
		if (i == 7)
			*o++ = ' ';
	}
	*o++ = ' ';
	*o++ = '|';
	for (i = 0; i < n; i++)
		*o++ = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
	*o++ = '|';
	*o++ = '\n';
	return ((size_t)(o - out));
}

size_t
dump_hex_format(char *out, int dir, const char *peer, uint64_t off,
    const unsigned char *p, size_t n)
{
	size_t	len, i;

	len = (size_t)sprintf(out, "%c %s %llu+%zu\n", dir == DUMP_IN ? '<' :
	    '>', peer, (unsigned long long)off, n);
	for (i = 0; i < n; i += 16)
		len += dump_hex_line(out + len, off + i, p + i,
		    n - i < 16 ? n - i : 16);
	return (len);
}

int
dump_record(const struct dump *d, int dir, const char *peer, uint64_t off,
    const unsigned char *p, size_t n)
{
	char	*text;
	size_t	 len;
	int	 rc = 0;

	if (n == 0)
		return (0);
	if (d->raw_fd >= 0 && sock_write_all(d->raw_fd, p, n) == -1)
		rc = -1;
	if (d->hex_fd < 0)
		return (rc);
	if ((text = malloc(dump_hex_size(peer, n))) == NULL)
		return (-1);
	len = dump_hex_format(text, dir, peer, off, p, n);
	if (sock_write_all(d->hex_fd, text, len) == -1)
		rc = -1;
	free(text);
	return (rc);
}
