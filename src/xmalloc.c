/*
 * Allocate or die.  Running out of memory while parsing options leaves
 * nothing sensible to do but report it and exit 1.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sockit.h"
#include "xmalloc.h"

static void
xmalloc_die(void)
{
	log_error("out of memory");
	exit(SOCKIT_EXIT_RUNTIME);
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if (n == 0 || size == 0)
		n = size = 1;
	if ((p = calloc(n, size)) == NULL)
		xmalloc_die();
	return (p);
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	void	*p;

	if (size != 0 && n > SIZE_MAX / size)
		xmalloc_die();
	if ((p = realloc(old, n * size == 0 ? 1 : n * size)) == NULL)
		xmalloc_die();
	return (p);
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		xmalloc_die();
	return (p);
}
