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
#include "log.h"
#include "promoter.h"
#include "xmalloc.h"

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
	sqlite3_stmt	*s = NULL;
	struct dp_error	 err;
	int		 rc, rv = -1;

	*created = NULL;
	if (util_prepare(a->db, "SELECT created FROM snapshots WHERE id = ? "
	    "AND state = 'published'", &s, &err) == -1) {
		api_dberr(a, &err);
		return -1;
	}
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*created = xstrdup((const char *)sqlite3_column_text(s, 0));
		rv = 1;
	} else if (rc == SQLITE_DONE)
		rv = 0;
	else {
		dp_error_sqlite(&err, db_handle(a->db), "snapshot %s", id);
		api_dberr(a, &err);
	}
	util_finalize(s);
	return rv;
}

void
api_snapshots_list(struct api_ctx *a, const char *arg)
{
	sqlite3_stmt	*s = NULL;
	struct dp_error	 err;
	json_t		*arr;
	int		 rc;

	if (util_prepare(a->db, "SELECT id, created FROM snapshots WHERE "
	    "state = 'published' ORDER BY id DESC LIMIT ?", &s, &err) == -1) {
		api_dberr(a, &err);
		return;
	}
	sqlite3_bind_int64(s, 1, a->q.limit > 0 ? a->q.limit : -1);
	arr = json_array();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_array_append_new(arr, api_snapshot_obj(a,
		    (const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1)));
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(&err, db_handle(a->db), "list snapshots");
		json_decref(arr);
		util_finalize(s);
		api_dberr(a, &err);
		return;
	}
	util_finalize(s);
	http_reply_json(a->r, 200, json_pack("{s:o}", "snapshots", arr));
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

/* Members of a snapshot: blob of little-endian int64 row ids. */
static json_t *
api_snapshot_members(struct api_ctx *a, const char *id, int sources)
{
	sqlite3_stmt	*s = NULL, *q = NULL;
	struct dp_error	 err;
	json_t		*arr = json_array(), *o;
	const unsigned char *blob;
	int64_t		 rowid;
	int		 n, i, k;

	if (util_prepare(a->db, sources ? "SELECT sources FROM snapshots "
	    "WHERE id = ?" : "SELECT packages FROM snapshots WHERE id = ?",
	    &s, &err) == -1)
		goto out;
	if (util_prepare(a->db, sources ? "SELECT dist, component, name, "
	    "version FROM sources WHERE id = ?" : "SELECT dist, component, "
	    "name, version, arch, control FROM packages WHERE id = ?", &q,
	    &err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW)
		goto out;
	blob = sqlite3_column_blob(s, 0);
	n = sqlite3_column_bytes(s, 0) / 8;
	for (i = 0; blob != NULL && i < n; i++) {
		rowid = 0;
		for (k = 7; k >= 0; k--)
			rowid = (int64_t)((uint64_t)rowid << 8 |
			    blob[8 * i + k]);
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, rowid);
		if (sqlite3_step(q) != SQLITE_ROW)
			continue;
		o = json_pack("{s:o, s:o, s:o, s:o}",
		    "dist", util_jstr((const char *)sqlite3_column_text(q, 0)),
		    "component", util_jstr((const char *)
		    sqlite3_column_text(q, 1)),
		    "name", util_jstr((const char *)sqlite3_column_text(q, 2)),
		    "version", util_jstr((const char *)
		    sqlite3_column_text(q, 3)));
		if (!sources) {
			json_object_set_new(o, "arch", util_jstr((const char *)
			    sqlite3_column_text(q, 4)));
			json_object_set_new(o, "description", api_synopsis(
			    (const char *)sqlite3_column_text(q, 5)));
		}
		json_array_append_new(arr, o);
	}
out:
	util_finalize(s);
	util_finalize(q);
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
	sqlite3_stmt	*s = NULL;
	struct dp_error	 err;
	json_t		*j = json_null();

	if (util_prepare(a->db, "SELECT max(id) FROM snapshots WHERE id < ? "
	    "AND state = 'published'", &s, &err) == -1)
		return j;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_type(s, 0) != SQLITE_NULL)
		j = util_jstr((const char *)sqlite3_column_text(s, 0));
	util_finalize(s);
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
