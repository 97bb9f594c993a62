/*
 * fuzz-spreply.c - libFuzzer target for snapshot-promote's reading of the
 * promoter's replies (promoter/sp-reply.c, client.c): the input is a reply
 * body, parsed as client_request() parses it, then printed as report,
 * promote, rollback, status (text and --json) and status ID print it,
 * looked through by wait for test, staging, prod and "-" (what a
 * non-string prints as), and read for its error as a refusal is.  What
 * must hold: nothing is assumed of the reply's shape (a missing or
 * mistyped member is "-"); wait finds an entry exactly when the reply's
 * promotion array names the environment with a string.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../../promoter/promoter.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE		*out;
	static const char *const envs[] = { "test", "staging", "prod", "-",
	    NULL };
	json_t			*r, *found, *v;
	enum sp_wait		 ws;
	const char		*e;
	size_t			 i, k;
	int			 named;

	if (out == NULL && (out = fopen("/dev/null", "w")) == NULL)
		abort();
	r = size > 0 ? json_loadb((const char *)data, size, 0, NULL) : NULL;
	if ((e = client_error(r, 503)) == NULL || *e == '\0')
		abort();
	sp_print_promotion(out, r);
	sp_print_promote(out, "staging", 0, r);
	sp_print_promote(out, "prod", 1, r);
	sp_print_rollback(out, "prod", r);
	sp_print_snapshot(out, r);
	sp_print_status(out, r, r, 0);
	sp_print_status(out, r, r, 1);
	sp_print_json(out, r);
	for (k = 0; envs[k] != NULL; k++) {
		ws = sp_wait_state(r, envs[k], &found);
		named = 0;
		json_array_foreach(json_object_get(r, "promotion"), i, v)
			if (json_is_string(json_object_get(v, "environment")) &&
			    strcmp(json_string_value(json_object_get(v,
			    "environment")), envs[k]) == 0)
				named = 1;
		if ((ws == SP_WAIT_NOENV) != (found == NULL) ||
		    (ws == SP_WAIT_NOENV) == named)
			abort();
	}
	json_decref(r);
	return 0;
}
