/*
 * fuzz-version.c - libFuzzer target for version strings, package and
 * architecture names (lib/version.c over libdpkg).  The input is lines:
 * each is parsed, validated as a name and an architecture, and compared
 * with the previous one; comparison must be antisymmetric and a parsed
 * version must compare equal to itself.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "version.h"

static int
sign(int x)
{
	return (x > 0) - (x < 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_error	 err;
	struct version	 v;
	char		*s, *line, *next, *prev = NULL;

	s = fuzz_str(data, size);
	for (line = s; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (version_parse(line, &v, &err) == 0) {
			if (v.upstream == NULL || v.revision == NULL)
				abort();
			if (version_compare(line, line) != 0)
				abort();
			version_done(&v);
		}
		version_validate(line, &err);
		version_name_validate(line, &err);
		version_arch_validate(line, &err);
		if (strlen(version_noepoch(line)) > strlen(line))
			abort();
		if (prev != NULL && sign(version_compare(prev, line)) !=
		    -sign(version_compare(line, prev)))
			abort();
		prev = line;
	}
	free(s);
	return 0;
}
