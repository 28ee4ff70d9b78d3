/*
 * Fuzz target: the frame decoder.  The first byte picks a spec and a
 * chunk size; the rest is fed in chunks as a socket would deliver it,
 * with a small --max-frame so that the limits are reached.  Invariants:
 * every frame lies inside the buffer and within max_len, and the
 * decoder always makes progress.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const fuzz_specs[] = {
	"raw", "line", "delim:,", "delim:\\0", "len8", "len16", "len32",
	"len64", "len16le", "len32le", "len64le", "fixed:3", "fixed:1"
};

static void
fuzz_check(int ok)
{
	if (!ok)
		abort();
}

/* Decodes everything buffered; returns bytes consumed. */
static size_t
fuzz_drain(struct frame_dec *d, const uint8_t *buf, size_t len,
    const struct frame_spec *spec)
{
	struct frame_msg	m;
	enum frame_status	st;
	size_t			used = 0;

	while (used < len) {
		st = frame_decode(d, buf + used, len - used, &m);
		if (st != FRAME_OK)
			break;
		fuzz_check(m.consumed > 0 && m.consumed <= len - used);
		fuzz_check(m.off + m.len <= m.consumed);
		fuzz_check(m.len <= spec->max_len);
		used += m.consumed;
	}
	return (used);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_spec	spec;
	struct frame_dec	dec;
	char			err[FRAME_ERR_LEN];
	uint8_t			*buf;
	size_t			chunk, fed = 0, len = 0, n;

	if (size < 2)
		return (0);
	if (frame_spec_parse(fuzz_specs[data[0] % (sizeof(fuzz_specs) /
	    sizeof(fuzz_specs[0]))], &spec, err) == -1)
		abort();
	spec.max_len = 64;
	spec.crlf = data[1] & 1;
	chunk = (size_t)(data[1] >> 1) + 1;
	data += 2;
	size -= 2;
	frame_dec_init(&dec, &spec);
	if ((buf = malloc(size + 1)) == NULL)
		return (0);
	while (fed < size) {
		n = size - fed < chunk ? size - fed : chunk;
		memcpy(buf + len, data + fed, n);
		len += n;
		fed += n;
		n = fuzz_drain(&dec, buf, len, &spec);
		memmove(buf, buf + n, len - n);
		len -= n;
	}
	(void)frame_decode_eof(&dec, len);
	free(buf);
	return (0);
}
