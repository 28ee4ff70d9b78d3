/* Declarations for functions that compat/ supplies when libc lacks them. */
#ifndef SOCKIT_COMPAT_H
#define SOCKIT_COMPAT_H

#include <stddef.h>

#ifndef HAVE_STRLCPY
size_t	strlcpy(char *, const char *, size_t);
#endif

#endif
