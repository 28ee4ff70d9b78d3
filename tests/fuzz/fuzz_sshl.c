/*
 * Fuzz target: the ssh-lite decoders an unauthenticated or authenticated
 * peer can reach: handshake messages on both sides, sealed messages, and
 * the exec request codec.  None may crash or accept forged input.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sshl.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const unsigned char fuzz_key[SSHL_KEY_LEN] = { 1, 2, 3 };

static void
fuzz_handshake(const uint8_t *data, size_t size)
{
	struct sshl_hs		hs;
	struct sshl_session	sess;
	unsigned char		out[SSHL_SHELLO_LEN + SSHL_PROOF_LEN];
	char			err[SSHL_ERR_LEN];

	sshl_hs_init(&hs, fuzz_key, 1);
	(void)sshl_hs_server_hello(&hs, data, size, out, err);
	/* A random proof must never be accepted. */
	if (sshl_hs_server_accept(&hs, data, size, &sess, out, err) == 0 &&
	    size == SSHL_PROOF_LEN)
		abort();
	sshl_hs_init(&hs, fuzz_key, 0);
	sshl_hs_client_hello(&hs, out);
	if (sshl_hs_client_proof(&hs, data, size, &sess, out, err) == 0)
		abort();
}

static void
fuzz_sealed(const uint8_t *data, size_t size)
{
	struct sshl_session	sess;
	unsigned char		hdr[SSHL_HDR_LEN], *m;
	int			type;

	memset(&sess, 0, sizeof(sess));
	crypto_secretstream_xchacha20poly1305_init_push(&sess.tx, hdr,
	    fuzz_key);
	(void)crypto_secretstream_xchacha20poly1305_init_pull(&sess.rx, hdr,
	    fuzz_key);
	if ((m = malloc(SSHL_MSG_MAX + 1)) == NULL)
		return;
	if (sshl_open(&sess, data, size, m, &type) >= 0)
		abort();
	free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sshl_exec	 e;
	unsigned char		*enc;
	char			 err[SSHL_ERR_LEN];
	size_t			 len;

	if (sshl_init() == -1)
		abort();
	fuzz_handshake(data, size);
	fuzz_sealed(data, size);
	if (sshl_exec_decode(data, size, &e, err) == 0) {
		/* Whatever decodes re-encodes to the same bytes. */
		if ((enc = sshl_exec_encode(&e, &len)) == NULL ||
		    len != size || memcmp(enc, data, size) != 0)
			abort();
		free(enc);
		sshl_exec_free(&e);
	}
	return (0);
}
