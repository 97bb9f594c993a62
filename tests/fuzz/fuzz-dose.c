/*
 * fuzz-dose.c - libFuzzer target for the dose-distcheck report parser
 * (lib/dose.c, libyaml underneath).  Not built by make yet (until the
 * fuzz framework is on main); build and run it with:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -I BUILDDIR -I lib tests/fuzz/fuzz-dose.c lib/dose.c \
 *       lib/error.c lib/xmalloc.c -lyaml -o fuzz-dose
 *   ./fuzz-dose -max_total_time=60 tests/fuzz/corpus-dose
 *
 * Every input is parsed; a parse that succeeds must give entries with a
 * package name, and a broken entry a reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dose.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dose_report	r;
	struct dp_error		err;
	size_t			i;

	if (dose_parse((const char *)data, size, &r, &err) == 0) {
		for (i = 0; i < r.n; i++) {
			if (r.entries[i].package == NULL ||
			    (r.entries[i].broken && r.entries[i].why == NULL))
				abort();
		}
		dose_report_done(&r);
	}
	return 0;
}
