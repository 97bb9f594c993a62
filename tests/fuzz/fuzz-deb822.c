/*
 * fuzz-deb822.c - libFuzzer target for the deb822 parser (lib/deb822.c):
 * every input goes through deb822_parse with each flag combination and
 * through deb822_parse_one (clearsign armour allowed).  Every field of a
 * paragraph that parses has a name and is found again by deb822_find.
 * The configuration loader on top of it is fuzz-config.c.
 */
#include "autoconfig.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deb822.h"
#include "fuzz.h"

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
	return 0;
}
