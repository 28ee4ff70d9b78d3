/*
 * C-style escapes: decoding what the user typed for --send, --expect,
 * --banner and delim:X, and encoding arbitrary bytes for log lines.  The
 * encoder only emits escapes the decoder reads back, so a logged payload
 * can be pasted into --send unchanged.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"

/* Longest encoded piece of the input quoted in an error message. */
#define ESCAPE_QUOTE_MAX	40

static void	escape_error(char *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
escape_error(char *err, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err, ESCAPE_ERR_LEN, fmt, ap);
	va_end(ap);
}

/* Returns the value of a hex digit, or -1. */
static int
escape_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* Maps the letter after a backslash to its byte, or -1 if unknown. */
static int
escape_simple(int c)
{
	switch (c) {
	case '0':
		return ('\0');
	case 'a':
		return ('\a');
	case 'b':
		return ('\b');
	case 'e':
		return (0x1b);
	case 'f':
		return ('\f');
	case 'n':
		return ('\n');
	case 'r':
		return ('\r');
	case 't':
		return ('\t');
	case 'v':
		return ('\v');
	case '\\':
	case '"':
	case '\'':
		return (c);
	default:
		return (-1);
	}
}

/*
 * Writes the printable form of byte c into tok (at least 4 bytes) and
 * returns its length.  \0 cannot be misread before a digit because the
 * decoder has no octal escapes.
 */
static size_t
escape_token(unsigned char c, char *tok)
{
	static const char	hex[] = "0123456789abcdef";

	switch (c) {
	case '\0':
		memcpy(tok, "\\0", 2);
		return (2);
	case '\n':
		memcpy(tok, "\\n", 2);
		return (2);
	case '\r':
		memcpy(tok, "\\r", 2);
		return (2);
	case '\t':
		memcpy(tok, "\\t", 2);
		return (2);
	case '\\':
		memcpy(tok, "\\\\", 2);
		return (2);
	}
	if (c >= 0x20 && c <= 0x7e) {
		tok[0] = (char)c;
		return (1);
	}
	tok[0] = '\\';
	tok[1] = 'x';
	tok[2] = hex[c >> 4];
	tok[3] = hex[c & 0x0f];
	return (4);
}

void
escape_encode(const unsigned char *buf, size_t len, char *out, size_t size)
{
	char	tok[4];
	size_t	i, n, used = 0;

	if (size == 0)
		return;
	/* An escape is never cut in half, so a truncated line still decodes. */
	for (i = 0; i < len; i++) {
		n = escape_token(buf[i], tok);
		if (n > size - 1 - used)
			break;
		memcpy(out + used, tok, n);
		used += n;
	}
	out[used] = '\0';
}

/*
 * Quotes the user's text for an error message as typed: a backslash stays
 * single, so the message shows \q just as the user wrote it, and only
 * bytes that would break the line are escaped.  A cut is marked "...".
 */
static const char *
escape_quote(const char *in, char *q)
{
	char	tok[4];
	size_t	i, n, used = 0;

	for (i = 0; in[i] != '\0'; i++) {
		if (in[i] == '\\') {
			tok[0] = '\\';
			n = 1;
		} else
			n = escape_token((unsigned char)in[i], tok);
		if (n > ESCAPE_QUOTE_MAX - used)
			break;
		memcpy(q + used, tok, n);
		used += n;
	}
	if (in[i] != '\0') {
		memcpy(q + used, "...", 3);
		used += 3;
	}
	q[used] = '\0';
	return (q);
}

/*
 * Reports the unknown escape at in[i].  A byte that is not printable is
 * shown by value: "unknown escape \x01" would name a valid escape.
 */
static void
escape_error_unknown(const char *in, size_t i, char *err)
{
	char		q[ESCAPE_QUOTE_MAX + 4];
	unsigned char	c = (unsigned char)in[i];

	if (c >= 0x20 && c <= 0x7e)
		escape_error(err, "unknown escape \\%c at offset %zu in \"%s\"",
		    c, i - 1, escape_quote(in, q));
	else
		escape_error(err, "unknown escape: backslash before byte 0x%02x "
		    "at offset %zu in \"%s\"", c, i - 1, escape_quote(in, q));
}

/*
 * Decodes the escape at in[i] (just after a backslash) into *c.  Returns
 * how many input bytes it used, or 0 with err set.
 */
static size_t
escape_one(const char *in, size_t i, unsigned char *c, char *err)
{
	char	q[ESCAPE_QUOTE_MAX + 4];
	int	v, hi, lo;

	if (in[i] == '\0') {
		escape_error(err, "trailing backslash in \"%s\"",
		    escape_quote(in, q));
		return (0);
	}
	if (in[i] == 'x') {
		if ((hi = escape_hexval((unsigned char)in[i + 1])) == -1) {
			escape_error(err, "\\x without hex digits at offset "
			    "%zu in \"%s\"", i - 1, escape_quote(in, q));
			return (0);
		}
		if ((lo = escape_hexval((unsigned char)in[i + 2])) == -1) {
			*c = (unsigned char)hi;
			return (2);
		}
		*c = (unsigned char)(hi << 4 | lo);
		return (3);
	}
	if ((v = escape_simple((unsigned char)in[i])) == -1) {
		escape_error_unknown(in, i, err);
		return (0);
	}
	*c = (unsigned char)v;
	return (1);
}

int
escape_decode(const char *in, unsigned char *out, size_t *outlen, char *err)
{
	size_t	i = 0, n, o = 0;

	*outlen = 0;
	while (in[i] != '\0') {
		if (in[i] != '\\') {
			out[o++] = (unsigned char)in[i++];
			continue;
		}
		if ((n = escape_one(in, i + 1, &out[o], err)) == 0)
			return (-1);
		o++;
		i += 1 + n;
	}
	*outlen = o;
	return (0);
}
