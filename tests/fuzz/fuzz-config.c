/*
 * fuzz-config.c - libFuzzer target for the configuration loader
 * (lib/config.c, lib/config-watch.c, lib/config-publish.c): the input up
 * to a line "--- watch" is written as debpipe.conf, the rest as
 * watch.d/fuzz.watch beside it, and config_load() reads both.  A load
 * that fails must say which file and line ("path:N: ...").
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_error	 err;
	struct config	*cfg;
	char		*conf, *watch, wdir[128], path[256];
	size_t		 clen, wlen;

	fuzz_split(data, size, "--- watch", &conf, &clen, &watch, &wlen);
	snprintf(wdir, sizeof(wdir), "%s/watch.d", fuzz_dir());
	mkdir(wdir, 0700);
	snprintf(path, sizeof(path), "%s/fuzz.watch", wdir);
	if (wlen > 0)
		fuzz_file("watch.d/fuzz.watch", watch, wlen);
	else
		unlink(path);
	snprintf(path, sizeof(path), "%s", fuzz_file("debpipe.conf", conf,
	    clen));
	memset(&err, 0, sizeof(err));
	if (config_load(path, &cfg, &err) == 0)
		config_free(cfg);
	else if (strstr(err.msg, fuzz_dir()) == NULL &&
	    strstr(err.msg, ".conf") == NULL && strstr(err.msg, ".watch") == NULL)
		abort();	/* every message names the file */
	free(conf);
	free(watch);
	return 0;
}
