/*
 * sp-reply.c - how snapshot-promote reads the promoter's replies: the
 * JSON answers of report, promote, rollback, status and wait, printed for
 * people or looked through for an environment's state.  A reply is data
 * from the network: any member may be missing or of another type (shown
 * as "-"), nothing is assumed of its shape.  tests/fuzz/fuzz-spreply.c
 * feeds these anything.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promoter.h"
#include "xmalloc.h"

const char *
sp_jstr(json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "-";
}

const char *
sp_jget(json_t *o, const char *key)
{
	return sp_jstr(json_object_get(o, key));
}

void
sp_print_json(FILE *out, json_t *j)
{
	char	*s;

	if (j == NULL)
		return;
	if ((s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) !=
	    NULL) {
		fprintf(out, "%s\n", s);
		free(s);
	}
}

void
sp_print_promotion(FILE *out, json_t *snap)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(json_object_get(snap, "promotion"), i, v)
		fprintf(out, "  %-12s %-10s %s\n", sp_jget(v, "environment"),
		    sp_jget(v, "state"), sp_jget(v, "detail"));
}

void
sp_print_promote(FILE *out, const char *env, int force, json_t *r)
{
	if (json_is_true(json_object_get(r, "moved")))
		fprintf(out, "%s: %s -> %s%s\n", env, sp_jget(r, "from"),
		    sp_jget(r, "snapshot"), force ? " (forced)" : "");
	else
		fprintf(out, "%s: already on %s\n", env,
		    sp_jget(r, "snapshot"));
}

void
sp_print_rollback(FILE *out, const char *env, json_t *r)
{
	fprintf(out, "%s: %s -> %s (rollback)\n", env, sp_jget(r, "from"),
	    sp_jget(r, "snapshot"));
}

/* " URL" when v has a string member key, else "". */
static const char *
sp_opt(json_t *v, const char *key)
{
	return json_is_string(json_object_get(v, key)) ? sp_jget(v, key) : "";
}

void
sp_print_snapshot(FILE *out, json_t *snap)
{
	json_t	*v;
	size_t	 i;

	fprintf(out, "snapshot %s (created %s)\n", sp_jget(snap, "id"),
	    sp_jget(snap, "created"));
	fprintf(out, "environments:");
	json_array_foreach(json_object_get(snap, "environments"), i, v)
		fprintf(out, " %s", sp_jstr(v));
	fprintf(out, "\nresults:\n");
	json_array_foreach(json_object_get(snap, "results"), i, v)
		fprintf(out, "  %s %-20s %-8s %s%s%s\n", sp_jget(v, "time"),
		    sp_jget(v, "job"), sp_jget(v, "result"), sp_jget(v, "actor"),
		    *sp_opt(v, "url") != '\0' ? " " : "", sp_opt(v, "url"));
	fprintf(out, "promotion:\n");
	sp_print_promotion(out, snap);
	fprintf(out, "history:\n");
	json_array_foreach(json_object_get(snap, "history"), i, v)
		fprintf(out, "  %s %-10s %s -> %s %s by %s%s%s\n",
		    sp_jget(v, "time"), sp_jget(v, "environment"),
		    sp_jget(v, "from"), sp_jget(v, "to"), sp_jget(v, "kind"),
		    sp_jget(v, "actor"), *sp_opt(v, "reason") != '\0' ? ": " :
		    "", sp_opt(v, "reason"));
	fprintf(out, "packages: %zu\n", json_array_size(json_object_get(snap,
	    "packages")));
}

void
sp_print_status(FILE *out, json_t *envs, json_t *snaps, int as_json)
{
	json_t	*arr, *v, *w;
	size_t	 i, j;

	if (as_json) {
		v = json_pack("{s:O?, s:O?}", "environments",
		    json_object_get(envs, "environments"), "snapshots",
		    json_object_get(snaps, "snapshots"));
		sp_print_json(out, v);
		json_decref(v);
		return;
	}
	fprintf(out, "%-12s %-17s %s\n", "ENVIRONMENT", "SNAPSHOT", "SINCE");
	json_array_foreach(json_object_get(envs, "environments"), i, v)
		fprintf(out, "%-12s %-17s %s\n", sp_jget(v, "name"),
		    sp_jget(v, "snapshot"), sp_jget(v, "since"));
	fprintf(out, "\n%-17s %-24s %s\n", "SNAPSHOT", "ENVIRONMENTS",
	    "RESULTS");
	arr = json_object_get(snaps, "snapshots");
	json_array_foreach(arr, i, v) {
		struct buf	b;

		if (i == 20) {
			fprintf(out, "... %zu more\n", json_array_size(arr) - 20);
			break;
		}
		buf_init(&b);
		json_array_foreach(json_object_get(v, "environments"), j, w)
			buf_printf(&b, "%s%s", b.len ? "," : "", sp_jstr(w));
		fprintf(out, "%-17s %-24s", sp_jget(v, "id"),
		    b.len ? b.data : "-");
		json_array_foreach(json_object_get(v, "results"), j, w)
			fprintf(out, " %s=%s", sp_jget(w, "job"),
			    sp_jget(w, "result"));
		fprintf(out, "\n");
		buf_done(&b);
	}
}

enum sp_wait
sp_wait_state(json_t *snap, const char *env, json_t **found)
{
	json_t		*v;
	const char	*state, *e;
	size_t		 i;

	*found = NULL;
	json_array_foreach(json_object_get(snap, "promotion"), i, v)
		if ((e = json_string_value(json_object_get(v,
		    "environment"))) != NULL && strcmp(e, env) == 0)
			*found = v;
	if (*found == NULL)
		return SP_WAIT_NOENV;
	state = sp_jget(*found, "state");
	if (strcmp(state, "current") == 0 || strcmp(state, "was") == 0)
		return SP_WAIT_REACHED;
	if (strcmp(state, "blocked") == 0 || strcmp(state, "superseded") == 0)
		return SP_WAIT_BLOCKED;
	return SP_WAIT_PENDING;
}
