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
#include "db-builds.h"
#include "db-results.h"
#include "db-watches.h"
#include "log.h"
#include "result.h"
#include "xmalloc.h"

#define API_LIMIT_DEFAULT	50
#define API_LIMIT_MAX		500

static long
api_limit(struct api_ctx *a)
{
	if (a->q.limit <= 0)
		return API_LIMIT_DEFAULT;
	return a->q.limit > API_LIMIT_MAX ? API_LIMIT_MAX : a->q.limit;
}

static json_t *
api_build_obj(const struct db_build *b, int with_log)
{
	json_t		*o;
	struct stat	 sb;

	o = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i}",
	    "id", (json_int_t)b->id,
	    "watch", util_jstr(b->watch),
	    "state", util_jstr(b->state),
	    "version", util_jstr(b->version),
	    "queued", util_jstr(b->queued),
	    "started", util_jstr(b->started),
	    "finished", util_jstr(b->finished),
	    "message", util_jstr(b->message),
	    "attempts", b->attempts);
	if (with_log) {
		json_object_set_new(o, "inputs", util_jstr(b->inputs));
		json_object_set_new(o, "log_size", b->log_path != NULL &&
		    stat(b->log_path, &sb) == 0 && S_ISREG(sb.st_mode) ?
		    json_integer((json_int_t)sb.st_size) : json_null());
	}
	return o;
}

void
api_builds_list(struct api_ctx *a, const char *arg)
{
	struct db_build	*v = NULL;
	struct dp_error	 err;
	json_t		*arr;
	long		 limit = api_limit(a);
	size_t		 n = 0, i;

	if (db_build_page(a->db, a->q.state, a->q.watch, a->q.before, limit,
	    &v, &n, &err) == -1) {
		api_dberr(a, &err);
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, api_build_obj(&v[i], 0));
	http_reply_json(a->r, 200, json_pack("{s:o, s:o}", "builds", arr,
	    "next_before", (long)n == limit && n > 0 && v[n - 1].id > 1 ?
	    json_integer(v[n - 1].id) : json_null()));
	for (i = 0; i < n; i++)
		db_build_done(&v[i]);
	free(v);
}

void
api_build_show(struct api_ctx *a, const char *id)
{
	struct db_build	 b;
	struct dp_error	 err;
	char		*end;
	long long	 n;
	int		 found;

	n = strtoll(id, &end, 10);
	if (*id < '0' || *id > '9' || *end != '\0' || n <= 0) {
		http_reply_error(a->r, 404, "no build %s", id);
		return;
	}
	if ((found = db_build_find(a->db, n, &b, &err)) == 0)
		http_reply_json(a->r, 200, api_build_obj(&b, 1));
	else if (found == 1)
		http_reply_error(a->r, 404, "no build %lld", n);
	else
		api_dberr(a, &err);
	db_build_done(&b);
}

/* The path of the log of build id, NULL when it has none.  Caller
 * frees.  (For ui.c, which streams it.) */
char *
api_build_log_path(struct db *db, long long id)
{
	struct dp_error	 err;
	char		*path = NULL, *buildinfo = NULL;

	if (db_build_files(db, id, &path, &buildinfo, &err) != 0)
		path = NULL;
	free(buildinfo);
	return path;
}

void
api_watches_list(struct api_ctx *a, const char *arg)
{
	const struct conf_watch	*w;
	struct db_watch_row	 row;
	struct dp_error		 err;
	json_t			*arr, *o, *merges;
	time_t			 t;
	char			 next[32];
	size_t			 i, k;

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
		(void)db_watch_row_get(a->db, w->name, &row, &err);
		if (row.found) {
			json_object_set_new(o, "last_poll",
			    util_jstr(row.last_poll));
			json_object_set_new(o, "last_change",
			    util_jstr(row.last_change));
			json_object_set_new(o, "last_error",
			    util_jstr(row.last_error));
			json_object_set_new(o, "state", util_jstr(row.state));
			json_object_set_new(o, "check_pending", json_boolean(
			    db_watch_check_requested(a->db, w->name,
			    &err) > 0));
			if (row.last_poll != NULL &&
			    (t = util_time_parse(row.last_poll)) != -1)
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
		db_watch_row_done(&row);
		json_array_append_new(arr, o);
	}
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

/* A required job's latest report: passed, failed or neutral. */
static void
api_gate_cb(void *arg, const struct db_result *r)
{
	json_array_append_new(arg, json_pack("{s:o, s:s, s:o, s:o}",
	    "job", util_jstr(r->job),
	    "state", r->result != NULL && strcmp(r->result, "neutral") == 0 ?
	    "neutral" : result_passes(r->result) ? "passed" : "failed",
	    "url", util_jstr(r->url),
	    "time", util_jstr(r->time)));
}

json_t *
api_env_gates(struct api_ctx *a, const struct conf_env *ce,
    const char *current)
{
	struct env_state	 from = { NULL, NULL };
	struct dp_error		 err;
	json_t			*jobs, *o;
	const char		*cand = current;
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
	for (r = ce->requires; *r != NULL; r++)
		if (db_result_find(a->db, cand, *r, api_gate_cb, jobs,
		    &err) != 1)
			json_array_append_new(jobs, json_pack(
			    "{s:o, s:s, s:n, s:n}", "job", util_jstr(*r),
			    "state", "waiting", "url", "time"));
out:
	free(detail);
	env_state_done(&from);
	return o;
}
