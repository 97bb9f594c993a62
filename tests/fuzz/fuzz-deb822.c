/*
 * fuzz-deb822.c - libFuzzer target for the deb822 parser and the
 * configuration loader.  Not built by make; build and run it with:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -I BUILDDIR -I lib -DFUZZ_CONFIG \
 *       tests/fuzz/fuzz-deb822.c lib/deb822.c lib/config.c \
 *       lib/config-watch.c lib/error.c lib/xmalloc.c -o fuzz-deb822
 *   mkdir corpus && cp etc/debpipe.conf etc/watch.d/hello.watch corpus/
 *   ./fuzz-deb822 -max_total_time=60 corpus
 *
 * (BUILDDIR is a configured build tree, for autoconfig.h.)  Every input
 * goes through deb822_parse with each flag combination, through
 * deb822_parse_one, and, with FUZZ_CONFIG, is written to a temporary
 * debpipe.conf and loaded.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "deb822.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
para_cb(const struct deb822_para *para, void *arg, struct dp_error *err)
{
	size_t i, *n = arg;

	(void)err;
	for (i = 0; i < para->nfields; i++) {
		if (para->fields[i].name[0] == '\0')
			abort();
		*n += strlen(para->fields[i].value);
		if (deb822_find(para, para->fields[i].name) == NULL)
			abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_error		 err;
	struct deb822_para	*p = NULL;
	size_t			 n = 0;
	int			 flags;

	for (flags = 0; flags < 4; flags++)
		deb822_parse((const char *)data, size, "fuzz", flags, para_cb,
		    &n, &err);
	if (deb822_parse_one((const char *)data, size, "fuzz", DEB822_PGP,
	    &p, &err) == 0)
		deb822_para_free(p);
#ifdef FUZZ_CONFIG
	{
		static char	 dir[64];
		char		 path[96];
		struct config	*cfg;
		FILE		*fp;

		if (dir[0] == '\0') {
			strcpy(dir, "/tmp/fuzz-config.XXXXXX");
			if (mkdtemp(dir) == NULL)
				abort();
		}
		snprintf(path, sizeof(path), "%s/debpipe.conf", dir);
		if ((fp = fopen(path, "w")) == NULL)
			abort();
		fwrite(data, 1, size, fp);
		fclose(fp);
		if (config_load(path, &cfg, &err) == 0)
			config_free(cfg);
		else if (strncmp(err.msg, path, strlen(path)) != 0)
			abort();	/* every message names the file */
	}
#endif
	return 0;
}
