/*
 * Loads OpenSSL on demand (see tls-lib.h).
 */
#include "config.h"

#ifdef HAVE_OPENSSL

#include <dlfcn.h>
#include <stdio.h>

#include "tls-lib.h"

struct tls_lib	tls_lib;

int
tls_lib_load(char *err, size_t len)
{
	static int	 loaded;
	const char	*why;
	void		*crypto, *ssl;

	if (loaded)
		return (0);
	/* libcrypto first: libssl's own references resolve to it. */
	if ((crypto = dlopen(SOCKIT_LIBCRYPTO, RTLD_NOW | RTLD_GLOBAL)) ==
	    NULL || (ssl = dlopen(SOCKIT_LIBSSL, RTLD_NOW | RTLD_GLOBAL)) ==
	    NULL) {
		why = dlerror();
		(void)snprintf(err, len, "TLS needs OpenSSL: %s",
		    why != NULL ? why : "dlopen failed");
		return (-1);
	}
	/* dlsym on libssl searches libcrypto too (a dependency). */
#define TLS_LIB_RESOLVE(f) \
	if ((*(void **)&tls_lib.f = dlsym(ssl, #f)) == NULL) { \
		(void)snprintf(err, len, "TLS needs OpenSSL: %s: no %s", \
		    SOCKIT_LIBSSL, #f); \
		return (-1); \
	}
	TLS_LIB_FUNCTIONS(TLS_LIB_RESOLVE)
#undef TLS_LIB_RESOLVE
	loaded = 1;
	return (0);
}

#endif /* HAVE_OPENSSL */
