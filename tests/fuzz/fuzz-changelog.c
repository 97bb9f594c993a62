/*
 * fuzz-changelog.c - libFuzzer target for what the builder reads from a
 * watched git tree (builder/stamp.c): the top entry of debian/changelog
 * ("source (version) dist; urgency=..."), then the version to build
 * above the versions already in the pool (the input's lines after the
 * first, "+git<timestamp>.<hash>" forms included).  A parsed entry has a
 * valid source name and version; the chosen version is never below any
 * previous one.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "../../builder/builder.h"
#include "fuzz.h"
#include "version.h"

#define HASH	"0123456789abcdef0123456789abcdef01234567"
#define NPREV	8

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_error		 err;
	struct changelog_top	 top;
	char			*s, *prev[NPREV + 1], *line, *next, *v;
	size_t			 n = 0, i;

	s = fuzz_str(data, size);
	if (stamp_changelog_parse(s, &top, &err) == -1) {
		free(s);
		return 0;
	}
	if (version_name_validate(top.source, NULL) == -1 ||
	    version_validate(top.version, NULL) == -1 || top.dist[0] == '\0')
		abort();
	/* Previous versions: the valid ones among the following lines. */
	line = strchr(s, '\n');
	for (line = line != NULL ? line + 1 : NULL; line != NULL && n < NPREV;
	    line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (version_validate(line, NULL) == 0)
			prev[n++] = line;
	}
	prev[n] = NULL;
	v = stamp_version_above(top.version, HASH, prev);
	for (i = 0; i < n; i++)
		if (version_compare(v, prev[i]) < 0)
			abort();
	free(v);
	changelog_top_done(&top);
	free(s);
	return 0;
}
