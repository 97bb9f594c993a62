/*
 * fuzz-debfile.c - libFuzzer target for the .deb reader (lib/debfile.c:
 * the ar archive, control.tar.*, data.tar.* listed for Contents, through
 * libarchive) with the file list as Contents-<arch> takes it
 * (snapshotter/index.c), and what `debpipe add` checks of it before
 * touching the pool (pool_deb_check: control paragraph, names, version,
 * architecture, Source field).
 */
#include "autoconfig.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../snapshotter/index.h"
#include "deb822.h"
#include "debfile.h"
#include "fuzz.h"
#include "pool.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		*archs[] = { "amd64", "all", NULL };
	struct conf_dist	 dist;
	struct dp_error		 err;
	struct debfile		 deb;
	struct deb822_para	*para = NULL;
	char			*control;
	struct index_contents	*ic;
	struct buf		 out;
	const char		*path;
	int			 fd;

	path = fuzz_file("fuzz.deb", data, size);
	if ((fd = open(path, O_RDONLY)) == -1)
		abort();
	if (debfile_read_fd(fd, "fuzz.deb", DEBFILE_CONTENTS, NULL, NULL,
	    &deb, &err) == 0) {
		if (deb.control == NULL)
			abort();
		if (deb822_parse_one(deb.control, deb.control_len, "control",
		    0, &para, &err) == 0)
			deb822_para_free(para);
		if (deb.contents != NULL) {
			ic = index_contents_new();
			index_contents_add(ic, "misc/fuzz", deb.contents,
			    deb.contents_len);
			buf_init(&out);
			index_contents_write(ic, &out);
			buf_done(&out);
			index_contents_free(ic);
		}
	}
	debfile_done(&deb);
	close(fd);

	memset(&dist, 0, sizeof(dist));
	dist.name = "bookworm";
	dist.archs = archs;
	if (pool_deb_check(path, &dist, 0, &control, &err) == 0) {
		if (control == NULL || deb822_parse_one(control,
		    strlen(control), "stored", 0, &para, &err) == -1)
			abort();	/* what is stored parses again */
		deb822_para_free(para);
		free(control);
	}
	return 0;
}
