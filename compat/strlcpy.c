/*
 * strlcpy for C libraries that lack it: copy at most size-1 bytes and
 * always terminate; return strlen(src) so callers can detect truncation.
 */
#include "config.h"

#include <string.h>

#include "compat.h"

size_t
strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size != 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return (len);
}
