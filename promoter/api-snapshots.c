/*
 * api-snapshots.c - GET /api/v1/snapshots (the published snapshots,
 * newest first) and /api/v1/snapshots/{id}: one with its promotion state
 * in each environment, its history, the one before it, its packages and
 * sources.
 */
#include "autoconfig.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api.h"
#include "db-env.h"
#include "db-packages.h"
#include "db-snapshots.h"
#include "log.h"
#include "promoter.h"
#include "xmalloc.h"

struct api_list {
	struct api_ctx	*a;
	json_t		*arr;
};

static void
api_name_cb(void *arg, const char *name)
{
	json_array_append_new(arg, util_jstr(name));
}

/* Names of the environments on snapshot id. */
static json_t *
api_snapshot_envs(struct api_ctx *a, const char *id)
{
	struct dp_error	 err;
	json_t		*arr = json_array();

	(void)db_env_on(a->db, id, api_name_cb, arr, &err);
	return arr;
}

/*
 * One snapshot: "results" holds the latest report of each job (the one
 * that counts for promotion), or every report with ?history=1;
 * "results_total" counts every report.
 */
json_t *
api_snapshot_obj(struct api_ctx *a, const char *id, const char *created)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:I}",
	    "id", util_jstr(id),
	    "created", util_jstr(created),
	    "environments", api_snapshot_envs(a, id),
	    "results", api_snapshot_results(a, id),
	    "results_total", api_snapshot_nresults(a, id));
}

/* Created time of a published snapshot: 1 found, 0 not, -1 error. */
int
api_snapshot_find(struct api_ctx *a, const char *id, char **created)
{
	struct dp_error	 err;
	int		 rv;

	if ((rv = db_snapshot_published(a->db, id, created, &err)) == -1)
		api_dberr(a, &err);
	return rv;
}

static int
api_snapshot_cb(const struct db_snapshot *sn, void *arg)
{
	struct api_list	*l = arg;

	json_array_append_new(l->arr, api_snapshot_obj(l->a, sn->id,
	    sn->created));
	return 0;
}

void
api_snapshots_list(struct api_ctx *a, const char *arg)
{
	struct api_list	 l = { a, json_array() };
	struct dp_error	 err;

	if (db_snapshot_foreach(a->db, 0, a->q.limit, api_snapshot_cb, &l,
	    &err) == -1) {
		json_decref(l.arr);
		api_dberr(a, &err);
		return;
	}
	http_reply_json(a->r, 200, json_pack("{s:o}", "snapshots", l.arr));
}

/* The first line of the Description: of a control paragraph, or null. */
static json_t *
api_synopsis(const char *control)
{
	const char	*d, *e;
	char		*line;
	json_t		*j;

	if (control == NULL)
		return json_null();
	if (strncasecmp(control, "Description:", 12) == 0)
		d = control;
	else if ((d = strcasestr(control, "\nDescription:")) != NULL)
		d++;
	else
		return json_null();
	d += 12;
	while (*d == ' ' || *d == '\t')
		d++;
	e = d + strcspn(d, "\n");
	line = xstrndup(d, (size_t)(e - d));
	j = util_jstr(line);
	free(line);
	return j;
}

/* The packages (or sources) of a snapshot. */
static json_t *
api_snapshot_members(struct api_ctx *a, const char *id, int sources)
{
	struct db_pkg_reader	*r = NULL;
	struct db_pkg		 p;
	struct db_pkg_file	 f;
	struct dp_error		 err;
	const char		*control;
	json_t			*arr = json_array(), *o;
	int64_t			*pkgs = NULL, *srcs = NULL, *v;
	size_t			 npkgs = 0, nsrcs = 0, n, i;

	if (db_snapshot_members(a->db, id, &pkgs, &npkgs, &srcs, &nsrcs,
	    &err) == -1)
		goto out;
	r = db_pkg_reader_new(a->db);
	v = sources ? srcs : pkgs;
	n = sources ? nsrcs : npkgs;
	for (i = 0; i < n; i++) {
		if (db_pkg_reader_get(r, sources, v[i], &p, &err) != 1)
			continue;
		o = json_pack("{s:o, s:o, s:o, s:o}",
		    "dist", util_jstr(p.dist),
		    "component", util_jstr(p.component),
		    "name", util_jstr(p.name),
		    "version", util_jstr(p.version));
		if (!sources) {
			json_object_set_new(o, "arch", util_jstr(p.arch));
			/* (p's strings end with the next call on r) */
			json_object_set_new(o, "description",
			    db_pkg_reader_index(r, v[i], &control, &f,
			    &err) == 1 ? api_synopsis(control) :
			    api_synopsis(NULL));
		}
		json_array_append_new(arr, o);
	}
out:
	db_pkg_reader_free(r);
	free(pkgs);
	free(srcs);
	return arr;
}

json_t *
api_promotion(struct api_ctx *a, const char *id)
{
	struct dp_error	 err;
	json_t		*arr = json_array();
	char		*detail;
	size_t		 i;
	int		 state;

	for (i = 0; i < a->cfg->nenvs; i++) {
		if (rules_explain(a->db, a->cfg, &a->cfg->envs[i], id,
		    time(NULL), &state, &detail, &err) == -1) {
			log_warnx("explain %s: %s", id, dp_error_str(&err));
			continue;
		}
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o}",
		    "environment", a->cfg->envs[i].name,
		    "state", rules_state_name(state),
		    "detail", util_jstr(detail)));
		free(detail);
	}
	return arr;
}

/* The published snapshot before id (for the diff), or null. */
static json_t *
api_snapshot_previous(struct api_ctx *a, const char *id)
{
	struct dp_error	 err;
	json_t		*j;
	char		*prev = NULL;

	if (db_snapshot_previous(a->db, id, &prev, &err) == -1)
		prev = NULL;
	j = util_jstr(prev);
	free(prev);
	return j;
}

void
api_snapshot_show(struct api_ctx *a, const char *id)
{
	json_t	*o;
	char	*created;
	int	 found;

	if (!util_snapshot_id_ok(id)) {
		http_reply_error(a->r, 404, "no snapshot %s", id);
		return;
	}
	if ((found = api_snapshot_find(a, id, &created)) <= 0) {
		if (found == 0)
			http_reply_error(a->r, 404, "no snapshot %s", id);
		return;
	}
	o = api_snapshot_obj(a, id, created);
	json_object_set_new(o, "promotion", api_promotion(a, id));
	json_object_set_new(o, "history", api_history_snapshot(a, id));
	json_object_set_new(o, "previous", api_snapshot_previous(a, id));
	json_object_set_new(o, "packages", api_snapshot_members(a, id, 0));
	json_object_set_new(o, "sources", api_snapshot_members(a, id, 1));
	free(created);
	http_reply_json(a->r, 200, o);
}
