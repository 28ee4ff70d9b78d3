/*
 * Runs every file of a fuzz corpus through a fuzz target, so that inputs
 * found once (and the seeds) stay regression tests in make check without
 * clang.  Usage: replay DIR...; exits 0 when no input crashed.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
replay_file(const char *path)
{
	FILE	*f;
	uint8_t	*buf;
	long	 len;

	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) == -1 ||
	    (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) == -1) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return (-1);
	}
	if ((buf = malloc((size_t)len + 1)) == NULL ||
	    fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "replay: %s: read failed\n", path);
		free(buf);
		fclose(f);
		return (-1);
	}
	fclose(f);
	(void)LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return (0);
}

/* Without arguments: the target's corpus in the source tree. */
static const char *
replay_default_dir(char *buf, size_t size)
{
	const char	*top = getenv("SOCKIT_SRCDIR");

	snprintf(buf, size, "%s/tests/fuzz/corpus/%s", top != NULL ? top : ".",
	    FUZZ_NAME);
	return (buf);
}

int
main(int argc, char **argv)
{
	struct dirent	*de;
	DIR		*d;
	char		 path[4096], def[4096];
	const char	*dir;
	int		 i, n = 0, bad = 0;

	for (i = argc > 1 ? 1 : 0; i < argc; i++) {
		dir = argc > 1 ? argv[i] : replay_default_dir(def, sizeof(def));
		if ((d = opendir(dir)) == NULL) {
			fprintf(stderr, "replay: %s: %s\n", dir,
			    strerror(errno));
			return (1);
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
			    de->d_name) >= sizeof(path) ||
			    replay_file(path) == -1)
				bad++;
			n++;
		}
		closedir(d);
	}
	printf("replay: %d inputs, %d unreadable\n", n, bad);
	return (bad > 0 || n == 0 ? 1 : 0);
}
