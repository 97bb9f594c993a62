/*
 * fuzz-apt.c - libFuzzer target for what a Type: apt / apt-source watch
 * reads from an upstream repository (lib/upstream.c, builder/watch-apt.c,
 * builder/watch-apt-source.c, lib/compress.c): the input, and what it
 * decompresses to as .xz and .gz (Packages.xz ...), is parsed as a
 * verified Release (Date, Valid-Until, SHA256 list), as a Packages index
 * (selection by name pattern and architecture, newest version) and as a
 * Sources index (the newest "hello" and its file list).  The input as it
 * is is also read as a Build-Mirror Packages file by the checks
 * (lib/check-pkgs.c: dependency names, Provides, the dose stanzas).
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "check-int.h"
#include "compress.h"
#include "config.h"
#include "fuzz.h"
#include "upstream.h"

#include "../../builder/builder.h"

static void
parse_all(const char *buf, size_t len)
{
	static char		*archs[] = { "amd64", "arm64", NULL };
	static char		*pats[] = { "hello*", "lib*", "*-dev", NULL };
	struct conf_watch	 w;
	struct release		 r;
	struct dp_error		 err;
	size_t			 n, i;
	char			*ver;

	memset(&r, 0, sizeof(r));
	if (upstream_release_parse(buf, len, "Release", &r, &err) == 0 &&
	    r.seen) {
		for (i = 0; i < r.nfiles; i++)
			if (r.files[i].name == NULL ||
			    strlen(r.files[i].sha256) != 64)
				abort();
	}
	upstream_release_done(&r);

	memset(&w, 0, sizeof(w));
	w.name = "fuzz";
	aptw_packages_parse(&w, archs, buf, len, "Packages", &n, &err);
	w.packages = pats;
	aptw_packages_parse(&w, archs, buf, len, "Packages", &n, &err);

	if (aptsrc_sources_parse("hello", buf, len, "Sources", &ver,
	    &err) == 0)
		free(ver);
	else if (ver != NULL)
		free(ver);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_error	 err;
	struct buf	 out;
	struct cpkgs	 l;
	size_t		 lo, hi;
	int		 kind;

	parse_all((const char *)data, size);
	memset(&l, 0, sizeof(l));
	if (cpkgs_load(&l, fuzz_file("Packages", data, size), 0, &err) == 0) {
		cpkgs_index(&l);
		cpkgs_find(l.prov, l.nprov, "hello", &lo, &hi);
		if (lo > hi || hi > l.nprov)
			abort();
	}
	cpkgs_done(&l);
	for (kind = COMPRESS_GZIP; kind <= COMPRESS_XZ; kind++) {
		buf_init(&out);
		if (decompress_buf(kind, data, size, 1 << 20, &out, &err) == 0)
			parse_all(out.data != NULL ? out.data : "", out.len);
		buf_done(&out);
	}
	return 0;
}
