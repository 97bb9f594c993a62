/*
 * fuzz-dose.c - libFuzzer target for the dose-distcheck report parser
 * (lib/dose.c, libyaml underneath).  Every input is parsed; a parse that
 * succeeds must give entries with a package name, and a broken entry a
 * reason.
 */
#include "autoconfig.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dose.h"
#include "fuzz.h"

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
