/*
 * fuzz-dsc.c - libFuzzer target for .dsc files and their file lists
 * (lib/dsc.c: dsc_parse, the clearsign armour, Files and Checksums-*).
 * A .dsc that parses has a Source, a Version and only safe file names,
 * each with the MD5 of Files.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "dsc.h"
#include "fsutil.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_error	 err;
	struct dsc	 dsc;
	size_t		 i;

	if (dsc_parse((const char *)data, size, "fuzz.dsc", &dsc, &err) == 0) {
		if (dsc.source == NULL || dsc.version == NULL)
			abort();
		for (i = 0; i < dsc.nfiles; i++) {
			if (!fs_name_is_safe(dsc.files[i].name) ||
			    strlen(dsc.files[i].md5) != HASH_MD5_HEXLEN)
				abort();
		}
	}
	dsc_done(&dsc);
	return 0;
}
