/*
 * Fuzz target: escape decoding and encoding.  Decoding never grows the
 * text; whatever escape_encode prints decodes back to the same bytes.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*in, *enc, err[ESCAPE_ERR_LEN];
	unsigned char	*out, *back;
	size_t		 len, blen, esize = 4 * size + 1;

	in = malloc(size + 1);
	out = malloc(size + 1);
	enc = malloc(esize);
	back = malloc(esize);
	if (in == NULL || out == NULL || enc == NULL || back == NULL)
		goto done;
	memcpy(in, data, size);
	in[size] = '\0';
	if (escape_decode(in, out, &len, err) == 0 && len > strlen(in))
		abort();
	/* Round trip raw bytes through the printable form. */
	escape_encode(data, size, enc, esize);
	if (escape_decode(enc, back, &blen, err) != 0 || blen != size ||
	    memcmp(back, data, size) != 0)
		abort();
done:
	free(in);
	free(out);
	free(enc);
	free(back);
	return (0);
}
