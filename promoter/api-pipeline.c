/*
 * api-pipeline.c - the read-only API of the rest of the pipeline: builds
 * (the builds table the builder writes), watches (the configuration and
 * the watches table), the audit log (env_history, newest first, paged by
 * id) and the gates of an environment.  The web interface renders these
 * same answers (ui.c).
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api.h"
#include "db-audit.h"
#include "log.h"
#include "result.h"
#include "xmalloc.h"

#define API_LIMIT_DEFAULT	50
#define API_LIMIT_MAX		500

#define COL(s, i)	util_jstr((const char *)sqlite3_column_text((s), (i)))

static long
api_limit(struct api_ctx *a)
{
	if (a->q.limit <= 0)
		return API_LIMIT_DEFAULT;
	return a->q.limit > API_LIMIT_MAX ? API_LIMIT_MAX : a->q.limit;
}

#define SQL_BUILD_COLS \
	"SELECT id, watch, state, version, queued, started, finished, " \
	"message, attempts, log_path, inputs FROM builds "

static json_t *
api_build_obj(sqlite3_stmt *s, int with_log)
{
	json_t		*o;
	struct stat	 sb;
	const char	*log = (const char *)sqlite3_column_text(s, 9);

	o = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i}",
	    "id", (json_int_t)sqlite3_column_int64(s, 0),
	    "watch", COL(s, 1),
	    "state", COL(s, 2),
	    "version", COL(s, 3),
	    "queued", COL(s, 4),
	    "started", COL(s, 5),
	    "finished", COL(s, 6),
	    "message", COL(s, 7),
	    "attempts", sqlite3_column_int(s, 8));
	if (with_log) {
		json_object_set_new(o, "inputs", COL(s, 10));
		json_object_set_new(o, "log_size", log != NULL &&
		    stat(log, &sb) == 0 && S_ISREG(sb.st_mode) ?
		    json_integer((json_int_t)sb.st_size) : json_null());
	}
	return o;
}

void
api_builds_list(struct api_ctx *a, const char *arg)
{
	sqlite3_stmt	*s = NULL;
	struct dp_error	 err;
	json_t		*arr;
	long long	 last = 0;
	long		 n = 0, limit = api_limit(a);
	int		 rc;

	/* builds_by_state(state, id) and builds_by_watch(watch, id) serve
	 * the filtered lists, the rowid the others. */
	if (util_prepare(a->db, a->q.state != NULL ? SQL_BUILD_COLS
	    "WHERE state = ?1 AND id < ?3 AND (?2 IS NULL OR watch = ?2) "
	    "ORDER BY id DESC LIMIT ?4" : SQL_BUILD_COLS
	    "WHERE (?2 IS NULL OR watch = ?2) AND id < ?3 "
	    "ORDER BY id DESC LIMIT ?4", &s, &err) == -1) {
		api_dberr(a, &err);
		return;
	}
	if (a->q.state != NULL)
		sqlite3_bind_text(s, 1, a->q.state, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, a->q.watch, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, a->q.before > 0 ? a->q.before : INT64_MAX);
	sqlite3_bind_int64(s, 4, limit);
	arr = json_array();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_array_append_new(arr, api_build_obj(s, 0));
		last = sqlite3_column_int64(s, 0);
		n++;
	}
	util_finalize(s);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		dp_error_sqlite(&err, db_handle(a->db), "list builds");
		api_dberr(a, &err);
		return;
	}
	http_reply_json(a->r, 200, json_pack("{s:o, s:o}", "builds", arr,
	    "next_before", n == limit && last > 1 ? json_integer(last) :
	    json_null()));
}

void
api_build_show(struct api_ctx *a, const char *id)
{
	sqlite3_stmt	*s = NULL;
	struct dp_error	 err;
	char		*end;
	long long	 n;
	int		 rc;

	n = strtoll(id, &end, 10);
	if (*id < '0' || *id > '9' || *end != '\0' || n <= 0) {
		http_reply_error(a->r, 404, "no build %s", id);
		return;
	}
	if (util_prepare(a->db, SQL_BUILD_COLS "WHERE id = ?", &s,
	    &err) == -1) {
		api_dberr(a, &err);
		return;
	}
	sqlite3_bind_int64(s, 1, n);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		http_reply_json(a->r, 200, api_build_obj(s, 1));
	else if (rc == SQLITE_DONE)
		http_reply_error(a->r, 404, "no build %lld", n);
	else {
		dp_error_sqlite(&err, db_handle(a->db), "build %lld", n);
		api_dberr(a, &err);
	}
	util_finalize(s);
}

/* The path of the log of build id, NULL when it has none.  Caller
 * frees.  (For ui.c, which streams it.) */
char *
api_build_log_path(struct db *db, long long id)
{
	sqlite3_stmt	*s = NULL;
	struct dp_error	 err;
	char		*path = NULL;
	const char	*t;

	if (util_prepare(db, "SELECT log_path FROM builds WHERE id = ?", &s,
	    &err) == -1)
		return NULL;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    (t = (const char *)sqlite3_column_text(s, 0)) != NULL)
		path = xstrdup(t);
	util_finalize(s);
	return path;
}

void
api_watches_list(struct api_ctx *a, const char *arg)
{
	const struct conf_watch	*w;
	sqlite3_stmt		*s = NULL;
	struct dp_error		 err;
	json_t			*arr, *o, *merges;
	time_t			 t;
	char			 next[32];
	const char		*lp;
	size_t			 i, k;

	if (util_prepare(a->db, "SELECT last_poll, last_change, last_error, "
	    "state, (SELECT count(*) FROM requests WHERE kind = 'check' AND "
	    "arg = ?1 AND done IS NULL) FROM watches WHERE name = ?1", &s,
	    &err) == -1) {
		api_dberr(a, &err);
		return;
	}
	arr = json_array();
	for (i = 0; i < a->cfg->nwatches; i++) {
		w = &a->cfg->watches[i];
		merges = json_array();
		for (k = 0; k < w->nmerges; k++)
			json_array_append_new(merges, json_pack("{s:o, s:o}",
			    "url", util_jstr(w->merges[k].url),
			    "branch", util_jstr(w->merges[k].branch)));
		o = json_pack("{s:o, s:s, s:o, s:o, s:o, s:I, s:o}",
		    "name", util_jstr(w->name),
		    "type", config_watch_type_name(w->type),
		    "url", util_jstr(w->url),
		    "branch", util_jstr(w->branch),
		    "distribution", util_jstr(w->dist),
		    "interval", (json_int_t)w->interval,
		    "merges", merges);
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, w->name, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW) {
			lp = (const char *)sqlite3_column_text(s, 0);
			json_object_set_new(o, "last_poll", util_jstr(lp));
			json_object_set_new(o, "last_change", COL(s, 1));
			json_object_set_new(o, "last_error", COL(s, 2));
			json_object_set_new(o, "state", COL(s, 3));
			json_object_set_new(o, "check_pending",
			    json_boolean(sqlite3_column_int(s, 4) > 0));
			if (lp != NULL && (t = util_time_parse(lp)) != -1)
				json_object_set_new(o, "next_poll", util_jstr(
				    util_time_fmt(t + w->interval, next)));
			else
				json_object_set_new(o, "next_poll",
				    json_null());
		} else {
			json_object_set_new(o, "last_poll", json_null());
			json_object_set_new(o, "last_change", json_null());
			json_object_set_new(o, "last_error", json_null());
			json_object_set_new(o, "state", json_null());
			json_object_set_new(o, "check_pending",
			    json_false());
			json_object_set_new(o, "next_poll", json_null());
		}
		json_array_append_new(arr, o);
	}
	util_finalize(s);
	http_reply_json(a->r, 200, json_pack("{s:o}", "watches", arr));
}

struct api_audit {
	json_t		*arr;
	long long	 last;
	long		 n;
};

static void
api_audit_cb(void *arg, const struct db_move *m)
{
	struct api_audit	*au = arg;

	au->last = m->id;
	json_array_append_new(au->arr, json_pack(
	    "{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "id", (json_int_t)m->id,
	    "environment", util_jstr(m->env),
	    "from", util_jstr(m->from),
	    "to", util_jstr(m->to),
	    "time", util_jstr(m->time),
	    "actor", util_jstr(m->actor),
	    "reason", util_jstr(m->reason),
	    "kind", util_jstr(m->kind)));
	au->n++;
}

void
api_audit_list(struct api_ctx *a, const char *arg)
{
	struct api_audit	 au = { json_array(), 0, 0 };
	struct dp_error		 err;
	long			 limit = api_limit(a);

	if (db_audit_page(a->db, a->q.before, limit, api_audit_cb, &au,
	    &err) == -1) {
		json_decref(au.arr);
		api_dberr(a, &err);
		return;
	}
	http_reply_json(a->r, 200, json_pack("{s:o, s:o}", "audit", au.arr,
	    "next_before", au.n == limit && au.last > 1 ?
	    json_integer(au.last) : json_null()));
}

json_t *
api_env_gates(struct api_ctx *a, const struct conf_env *ce,
    const char *current)
{
	struct env_state	 from = { NULL, NULL };
	sqlite3_stmt		*s = NULL;
	struct dp_error		 err;
	json_t			*jobs, *o;
	const char		*cand = current, *res;
	char			*detail = NULL, **r;
	int			 state;

	if (ce->promote_from != NULL &&
	    env_get(a->db, ce->promote_from, &from, &err) == 0 &&
	    from.snapshot != NULL)
		cand = from.snapshot;
	jobs = json_array();
	o = json_pack("{s:o, s:o}", "candidate", util_jstr(cand), "jobs",
	    jobs);
	if (cand == NULL)
		goto out;
	if (rules_explain(a->db, a->cfg, ce, cand, time(NULL), &state,
	    &detail, &err) == 0) {
		json_object_set_new(o, "state", json_string(
		    rules_state_name(state)));
		json_object_set_new(o, "detail", util_jstr(detail));
	}
	if (util_prepare(a->db, "SELECT result, url, time FROM results WHERE "
	    "snapshot = ? AND job = ? ORDER BY id DESC LIMIT 1", &s,
	    &err) == -1)
		goto out;
	for (r = ce->requires; *r != NULL; r++) {
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, cand, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, *r, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW) {
			res = (const char *)sqlite3_column_text(s, 0);
			json_array_append_new(jobs, json_pack(
			    "{s:o, s:s, s:o, s:o}",
			    "job", util_jstr(*r),
			    "state", res != NULL && strcmp(res, "neutral") ==
			    0 ? "neutral" : result_passes(res) ? "passed" :
			    "failed",
			    "url", COL(s, 1),
			    "time", COL(s, 2)));
		} else
			json_array_append_new(jobs, json_pack(
			    "{s:o, s:s, s:n, s:n}", "job", util_jstr(*r),
			    "state", "waiting", "url", "time"));
	}
	util_finalize(s);
out:
	free(detail);
	env_state_done(&from);
	return o;
}
