/*
 * Allocate or die, for the command-line layer only (tmux xmalloc.c).
 * frame, sock, loop and relay return ENOMEM instead.
 */
#ifndef SOCKIT_XMALLOC_H
#define SOCKIT_XMALLOC_H

#include <stddef.h>

void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);

#endif
