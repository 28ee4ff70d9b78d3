/*
 * C-style escape decoding for --send, --expect, --banner and delim:X.
 */
#ifndef SOCKIT_ESCAPE_H
#define SOCKIT_ESCAPE_H

#include <stddef.h>

#define ESCAPE_ERR_LEN	128

/*
 * Decodes \n \r \t \0 \\ \xHH (one or two hex digits), \a \b \e \f \v and
 * \" \' from in into out, which must hold strlen(in) bytes (decoding never
 * grows text).  The result may contain NUL bytes and is not terminated;
 * its length is stored in *outlen.  Returns 0, or -1 with a message in err
 * (ESCAPE_ERR_LEN bytes, may be NULL) for an unknown escape, a trailing
 * backslash or \x without hex digits.
 */
int	escape_decode(const char *, unsigned char *, size_t *, char *);

/*
 * Writes a printable form of buf[0..len) into out (at most size-1 chars,
 * terminated), escaping bytes that are not printable ASCII as above.
 * Used for log lines and error messages.
 */
void	escape_encode(const unsigned char *, size_t, char *, size_t);

#endif
