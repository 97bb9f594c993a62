/*
 * api.c - the promoter's HTTP API (DESIGN.md "Promoter HTTP API").  Writes (POST) run with promoter.lock held, serialized against
 * each other and the evaluation tick; they check the token first and
 * change nothing unless every check passed.  Reads use the thread's own
 * read-only connection and never wait for a write.
 */
#include "autoconfig.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "log.h"
#include "promoter.h"
#include "remote-status.h"
#include "result.h"
#include "xmalloc.h"

#define API_PREFIX	"/api/v1/"
#define API_MAXSEG	4
#define API_URL_MAX	2048
#define API_REASON_MAX	1024


/* Check the bearer token: 0 when it carries at least role need. */
static int
api_auth(struct api_ctx *a, int need)
{
	const char	*tok = a->auth;

	if (tok == NULL || strncasecmp(tok, "Bearer ", 7) != 0) {
		a->r->www_auth = 1;
		http_reply_error(a->r, 401, "this needs a token: "
		    "Authorization: Bearer TOKEN");
		return -1;
	}
	tok += 7;
	while (*tok == ' ')
		tok++;
	a->role = tokens_check(a->p->tokens, tok, &a->actor);
	if (a->role == ROLE_NONE) {
		a->r->www_auth = 1;
		http_reply_error(a->r, 401, "unknown token");
		return -1;
	}
	if (a->role < need || a->role == ROLE_HOOK) {
		http_reply_error(a->r, 403, "token %s has role %s; this needs "
		    "%s", a->actor, tokens_role_name(a->role),
		    tokens_role_name(need));
		return -1;
	}
	return 0;
}

/* Parse the body as a JSON object; an empty body is {} when allowed. */
static json_t *
api_body(struct api_ctx *a, int allow_empty)
{
	json_error_t	 je;
	json_t		*j;

	if (a->len == 0 && allow_empty)
		return json_object();
	if (a->len == 0) {
		http_reply_error(a->r, 400, "a JSON object is expected in "
		    "the request body");
		return NULL;
	}
	if ((j = json_loadb(a->body, a->len, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL) {
		http_reply_error(a->r, 400, "malformed JSON at line %d "
		    "column %d: %s", je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		http_reply_error(a->r, 400, "the request body must be a JSON "
		    "object");
		return NULL;
	}
	return j;
}

/* A string member; NULL when absent or null.  -1 (reply set) when it has
 * another type, is required and missing, or is longer than max. */
static int
api_str(struct api_ctx *a, json_t *o, const char *key, int required,
    size_t max, const char **out)
{
	json_t	*v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		http_reply_error(a->r, 400, "missing \"%s\"", key);
		return -1;
	}
	if (!json_is_string(v)) {
		http_reply_error(a->r, 400, "\"%s\" must be a string", key);
		return -1;
	}
	if (json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		http_reply_error(a->r, 400, "\"%s\" is too long or holds a "
		    "NUL", key);
		return -1;
	}
	*out = json_string_value(v);
	if (required && **out == '\0') {
		http_reply_error(a->r, 400, "\"%s\" is empty", key);
		return -1;
	}
	return 0;
}

void
api_dberr(struct api_ctx *a, struct dp_error *err)
{
	log_warnx("api: %s", dp_error_str(err));
	http_reply_error(a->r, err->code == DP_ERR_BUSY ? 503 : 500, "%s",
	    dp_error_str(err));
}

/* Names of the environments on snapshot id. */
static json_t *
api_snapshot_envs(struct api_ctx *a, const char *id)
{
	sqlite3_stmt	*s = NULL;
	json_t		*arr = json_array();
	struct dp_error	 err;

	if (util_prepare(a->db, "SELECT name FROM environments WHERE "
	    "snapshot = ? ORDER BY name", &s, &err) == -1)
		return arr;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(arr, util_jstr((const char *)
		    sqlite3_column_text(s, 0)));
	util_finalize(s);
	return arr;
}

/*
 * Latest result per job of a snapshot (what promotion uses), by job name:
 * a skip-scan over results_by_snapshot(snapshot, job, id), so the cost
 * grows with the number of jobs, not with the number of reports.
 */
#define SQL_RESULTS_LATEST \
	"WITH RECURSIVE j(job) AS (" \
	"  SELECT (SELECT min(job) FROM results WHERE snapshot = ?1) " \
	"  UNION ALL " \
	"  SELECT (SELECT min(job) FROM results WHERE snapshot = ?1 " \
	"    AND job > j.job) FROM j WHERE j.job IS NOT NULL) " \
	"SELECT r.job, r.result, r.url, r.time, r.actor FROM j " \
	"JOIN results r ON r.id = (SELECT max(id) FROM results " \
	"  WHERE snapshot = ?1 AND job = j.job) " \
	"WHERE j.job IS NOT NULL ORDER BY r.job"

/* Every report of a snapshot, oldest first (?history=1). */
#define SQL_RESULTS_ALL \
	"SELECT job, result, url, time, actor FROM results " \
	"WHERE snapshot = ?1 ORDER BY id"

static json_t *
api_snapshot_results(struct api_ctx *a, const char *id)
{
	sqlite3_stmt	*s = NULL;
	json_t		*arr = json_array();
	struct dp_error	 err;

	if (util_prepare(a->db, a->q.history ? SQL_RESULTS_ALL :
	    SQL_RESULTS_LATEST, &s, &err) == -1) {
		log_warnx("api: %s", dp_error_str(&err));
		return arr;
	}
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(arr, json_pack("{s:o, s:o, s:o, s:o, "
		    "s:o}",
		    "job", util_jstr((const char *)sqlite3_column_text(s, 0)),
		    "result", util_jstr((const char *)
		    sqlite3_column_text(s, 1)),
		    "url", util_jstr((const char *)sqlite3_column_text(s, 2)),
		    "time", util_jstr((const char *)sqlite3_column_text(s, 3)),
		    "actor", util_jstr((const char *)
		    sqlite3_column_text(s, 4))));
	util_finalize(s);
	return arr;
}

/*
 * Counts of results, kept exact without counting every row each time:
 * results are only ever appended (no row is deleted or updated, ids
 * grow), so a count made up to id M plus the rows with id > M is the
 * count now.  One set for /metrics, a few per snapshot.
 */
#define API_NCOUNTS	64

static struct {
	pthread_mutex_t	 lock;
	int64_t		 maxid;		/* /metrics counted up to here */
	int64_t		 success, failure, neutral;
	struct {
		char	 id[32];
		int64_t	 maxid, n;
	}		 snap[API_NCOUNTS];
	size_t		 next;		/* slot to reuse */
} api_counts = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* A one-integer query without parameters (sql a string constant). */
int
api_query_int(struct db *db, const char *sql, int64_t *out,
    struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rc;

	if (util_prepare(db, sql, &s, err) == -1)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else
		dp_error_sqlite(err, db_handle(db), "%s", sql);
	util_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int
api_results_maxid(struct db *db, int64_t *maxid, struct dp_error *err)
{
	return api_query_int(db, "SELECT coalesce(max(id), 0) FROM results",
	    maxid, err);
}

/* Count the rows (lo, hi] of snapshot id (all snapshots when NULL) by
 * result: n[0] successes, n[1] failures (and errors), n[2] neutral. */
static int
api_results_count(struct db *db, const char *id, int64_t lo, int64_t hi,
    int64_t n[3], struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	const char	*res;
	int		 rc;

	n[0] = n[1] = n[2] = 0;
	if (lo >= hi)
		return 0;
	/* A range of ids: walk the table by rowid, not an index, unless
	 * the range starts at 0 and one snapshot is wanted. */
	if (util_prepare(db, id != NULL && lo == 0 ?
	    "SELECT result, count(*) FROM results WHERE snapshot = ?3 AND "
	    "id > ?1 AND id <= ?2 GROUP BY result" :
	    "SELECT result, count(*) FROM results WHERE id > ?1 AND "
	    "id <= ?2 AND (?3 IS NULL OR +snapshot = ?3) GROUP BY result",
	    &s, err) == -1)
		return -1;
	sqlite3_bind_int64(s, 1, lo);
	sqlite3_bind_int64(s, 2, hi);
	sqlite3_bind_text(s, 3, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		res = (const char *)sqlite3_column_text(s, 0);
		if (res != NULL && strcmp(res, "success") == 0)
			n[0] += sqlite3_column_int64(s, 1);
		else if (res != NULL && strcmp(res, "neutral") == 0)
			n[2] += sqlite3_column_int64(s, 1);
		else
			n[1] += sqlite3_column_int64(s, 1);
	}
	util_finalize(s);
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "count results");
		return -1;
	}
	return 0;
}

/* Every result so far by value: -1 on error. */
int
api_results_totals(struct db *db, int64_t *success, int64_t *failure,
    int64_t *neutral, struct dp_error *err)
{
	int64_t	maxid, n[3];
	int	rv = -1;

	pthread_mutex_lock(&api_counts.lock);
	if (api_results_maxid(db, &maxid, err) == -1 ||
	    api_results_count(db, NULL, api_counts.maxid, maxid, n,
	    err) == -1)
		goto out;
	if (maxid > api_counts.maxid) {
		api_counts.success += n[0];
		api_counts.failure += n[1];
		api_counts.neutral += n[2];
		api_counts.maxid = maxid;
	}
	*success = api_counts.success;
	*failure = api_counts.failure;
	*neutral = api_counts.neutral;
	rv = 0;
out:
	pthread_mutex_unlock(&api_counts.lock);
	return rv;
}

/* How many reports a snapshot has had (all jobs, all times). */
static json_int_t
api_snapshot_nresults(struct api_ctx *a, const char *id)
{
	struct dp_error	 err;
	int64_t		 maxid, n[3], total = 0;
	size_t		 i;

	pthread_mutex_lock(&api_counts.lock);
	if (api_results_maxid(a->db, &maxid, &err) == -1)
		goto fail;
	for (i = 0; i < API_NCOUNTS; i++)
		if (strcmp(api_counts.snap[i].id, id) == 0)
			break;
	if (i == API_NCOUNTS) {
		if (strlen(id) >= sizeof(api_counts.snap[0].id)) {
			if (api_results_count(a->db, id, 0, maxid, n,
			    &err) == -1)
				goto fail;
			total = n[0] + n[1] + n[2];
			goto out;
		}
		i = api_counts.next++ % API_NCOUNTS;
		snprintf(api_counts.snap[i].id, sizeof(api_counts.snap[i].id),
		    "%s", id);
		api_counts.snap[i].maxid = api_counts.snap[i].n = 0;
	}
	if (api_results_count(a->db, id, api_counts.snap[i].maxid, maxid, n,
	    &err) == -1) {
		api_counts.snap[i].id[0] = '\0';
		goto fail;
	}
	if (maxid > api_counts.snap[i].maxid) {
		api_counts.snap[i].n += n[0] + n[1] + n[2];
		api_counts.snap[i].maxid = maxid;
	}
	total = api_counts.snap[i].n;
	goto out;
fail:
	log_warnx("api: %s", dp_error_str(&err));
out:
	pthread_mutex_unlock(&api_counts.lock);
	return total;
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
static int
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

static void
api_snapshots_list(struct api_ctx *a)
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

/* The newest API_HISTORY_MAX moves, oldest first (the whole log is
 * /api/v1/audit, paged). */
#define API_HISTORY_MAX	"500"
#define SQL_HISTORY_COLS \
	"SELECT * FROM (SELECT id, env, from_snapshot, to_snapshot, time, " \
	"actor, reason, kind FROM env_history "
static const char sql_history_env[] = SQL_HISTORY_COLS
    "WHERE env = ?1 ORDER BY id DESC LIMIT " API_HISTORY_MAX ") ORDER BY id";
static const char sql_history_snapshot[] = SQL_HISTORY_COLS
    "WHERE to_snapshot = ?1 OR from_snapshot = ?1 ORDER BY id DESC LIMIT "
    API_HISTORY_MAX ") ORDER BY id";

/* The audit log of an environment or a snapshot (sql is one of the two
 * above). */
static json_t *
api_history(struct api_ctx *a, const char *sql, const char *val)
{
	sqlite3_stmt	*s = NULL;
	struct dp_error	 err;
	json_t		*arr = json_array();

	if (util_prepare(a->db, sql, &s, &err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, val, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(arr, json_pack(
		    "{s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		    "environment", util_jstr((const char *)
		    sqlite3_column_text(s, 1)),
		    "from", util_jstr((const char *)sqlite3_column_text(s, 2)),
		    "to", util_jstr((const char *)sqlite3_column_text(s, 3)),
		    "time", util_jstr((const char *)sqlite3_column_text(s, 4)),
		    "actor", util_jstr((const char *)sqlite3_column_text(s, 5)),
		    "reason", util_jstr((const char *)
		    sqlite3_column_text(s, 6)),
		    "kind", util_jstr((const char *)
		    sqlite3_column_text(s, 7))));
out:
	util_finalize(s);
	return arr;
}

static json_t *
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

static void
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
	json_object_set_new(o, "history", api_history(a,
	    sql_history_snapshot, id));
	json_object_set_new(o, "previous", api_snapshot_previous(a, id));
	json_object_set_new(o, "packages", api_snapshot_members(a, id, 0));
	json_object_set_new(o, "sources", api_snapshot_members(a, id, 1));
	free(created);
	http_reply_json(a->r, 200, o);
}

json_t *
api_env_obj(struct api_ctx *a, const struct conf_env *ce)
{
	struct env_state	 st;
	struct dp_error		 err;
	json_t			*o, *req;
	char			**r;

	if (env_get(a->db, ce->name, &st, &err) == -1) {
		log_warnx("api: %s", dp_error_str(&err));
		st.snapshot = st.since = NULL;
	}
	req = json_array();
	for (r = ce->requires; r != NULL && *r != NULL; r++)
		json_array_append_new(req, util_jstr(*r));
	o = json_pack("{s:s, s:o, s:o, s:b, s:o, s:o, s:I, s:o}",
	    "name", ce->name,
	    "snapshot", util_jstr(st.snapshot),
	    "since", util_jstr(st.since),
	    "auto_promote", ce->auto_promote,
	    "promote_from", util_jstr(ce->promote_from),
	    "requires", req,
	    "min_soak", (json_int_t)ce->min_soak,
	    "gates", api_env_gates(a, ce, st.snapshot));
	env_state_done(&st);
	return o;
}

static void
api_environments(struct api_ctx *a)
{
	json_t	*arr = json_array();
	size_t	 i;

	for (i = 0; i < a->cfg->nenvs; i++)
		json_array_append_new(arr, api_env_obj(a, &a->cfg->envs[i]));
	http_reply_json(a->r, 200, json_pack("{s:o}", "environments", arr));
}

static void
api_environment_show(struct api_ctx *a, const struct conf_env *ce)
{
	json_t	*o;

	o = api_env_obj(a, ce);
	json_object_set_new(o, "history", api_history(a, sql_history_env,
	    ce->name));
	http_reply_json(a->r, 200, o);
}

static void
api_evaluate(struct api_ctx *a)
{
	struct dp_error	err;
	int		n;

	if (rules_evaluate(a->db, a->cfg, time(NULL), &n, &err) == -1)
		log_warnx("evaluate: %s", dp_error_str(&err));
	if (n > 0)
		notify_wake(a->p);
}

/*
 * Whether a success of job for snapshot id can move an environment: the
 * result counts only for id, so only an environment that requires job
 * and has never been on id or a newer snapshot (never backwards) can
 * move because of it; its moves then carry on from the tick.  1 when in
 * doubt.
 */
static int
api_may_move(struct api_ctx *a, const char *id, const char *job)
{
	const struct conf_env	*ce;
	struct dp_error		 err;
	char			**r, *hwm;
	size_t			 i;
	int			 may;

	for (i = 0; i < a->cfg->nenvs; i++) {
		ce = &a->cfg->envs[i];
		for (r = ce->requires; r != NULL && *r != NULL; r++)
			if (strcmp(*r, job) == 0)
				break;
		if (r == NULL || *r == NULL)
			continue;
		if (env_high_water(a->db, ce->name, &hwm, &err) == -1)
			return 1;
		may = hwm == NULL || strcmp(id, hwm) > 0;
		free(hwm);
		if (may)
			return 1;
	}
	return 0;
}

static void
api_report(struct api_ctx *a, const char *id)
{
	json_t		*body = NULL;
	const char	*job, *result, *url;
	char		*created = NULL;
	struct dp_error	 err;
	int		 found;

	if (api_auth(a, ROLE_REPORTER) == -1)
		return;
	if (!util_snapshot_id_ok(id)) {
		http_reply_error(a->r, 404, "no snapshot %s", id);
		return;
	}
	if ((body = api_body(a, 0)) == NULL)
		return;
	if (api_str(a, body, "job", 1, 128, &job) == -1 ||
	    api_str(a, body, "result", 1, 16, &result) == -1 ||
	    api_str(a, body, "url", 0, API_URL_MAX, &url) == -1)
		goto out;
	if (!util_name_ok(job)) {
		http_reply_error(a->r, 400, "bad job name \"%s\" (letters, "
		    "digits and ._:+@/- only)", job);
		goto out;
	}
	if (!result_valid(result)) {
		http_reply_error(a->r, 400, "\"result\" must be \"success\", "
		    "\"failure\" or \"error\", not \"%s\" (\"neutral\" is "
		    "recorded by the built-in checks only)", result);
		goto out;
	}
	if ((found = api_snapshot_find(a, id, &created)) <= 0) {
		if (found == 0)
			http_reply_error(a->r, 404, "no snapshot %s", id);
		goto out;
	}
	if (!rules_job_known(a->cfg, job)) {
		http_reply_error(a->r, 422, "no environment requires job %s "
		    "(Requires: in the configuration)", job);
		goto out;
	}
	if (result_record(a->db, id, job, result, url, a->actor,
	    &err) == -1) {
		api_dberr(a, &err);
		goto out;
	}
	log_info("result %s %s=%s by %s", id, job, result, a->actor);
	/*
	 * Only a success can let a snapshot move: a failure takes a
	 * candidate away and never makes another one ready (the tick
	 * evaluates every second all the same).
	 */
	if (result_passes(result) && api_may_move(a, id, job))
		api_evaluate(a);
	/* Recorded: api_handle() answers once promoter.lock is released. */
	a->show_id = xstrdup(id);
	a->show_created = created;
	created = NULL;
out:
	free(created);
	json_decref(body);
}

static void
api_moved(struct api_ctx *a, const struct conf_env *ce, const char *from,
    int moved)
{
	json_t	*o;

	o = api_env_obj(a, ce);
	json_object_set_new(o, "from", util_jstr(from));
	json_object_set_new(o, "moved", json_boolean(moved));
	http_reply_json(a->r, 200, o);
}

static void
api_promote(struct api_ctx *a, const struct conf_env *ce)
{
	json_t			*body = NULL, *jf;
	const char		*id, *reason;
	struct env_state	 cur = { NULL, NULL };
	struct dp_error		 err;
	char			*why = NULL;
	int			 force = 0, ok, moved;

	if (api_auth(a, ROLE_REPORTER) == -1)
		return;
	if ((body = api_body(a, 0)) == NULL)
		return;
	if (api_str(a, body, "snapshot", 1, 64, &id) == -1 ||
	    api_str(a, body, "reason", 0, API_REASON_MAX, &reason) == -1)
		goto out;
	if ((jf = json_object_get(body, "force")) != NULL &&
	    !json_is_null(jf)) {
		if (!json_is_boolean(jf)) {
			http_reply_error(a->r, 400, "\"force\" must be true "
			    "or false");
			goto out;
		}
		force = json_is_true(jf);
	}
	if (force && a->role < ROLE_ADMIN) {
		http_reply_error(a->r, 403, "token %s has role %s; --force "
		    "needs admin", a->actor, tokens_role_name(a->role));
		goto out;
	}
	if (force && (reason == NULL || *reason == '\0')) {
		http_reply_error(a->r, 400, "a forced promotion needs a "
		    "\"reason\"");
		goto out;
	}
	if ((ok = env_snapshot_exists(a->db, id, &err)) == -1) {
		api_dberr(a, &err);
		goto out;
	}
	if (ok == 0 || !util_snapshot_id_ok(id)) {
		http_reply_error(a->r, 422, "no published snapshot %s", id);
		goto out;
	}
	if (env_get(a->db, ce->name, &cur, &err) == -1) {
		api_dberr(a, &err);
		goto out;
	}
	if (!force) {
		if ((ok = rules_allowed(a->db, a->cfg, ce, id, time(NULL),
		    &why, &err)) == -1) {
			api_dberr(a, &err);
			goto out;
		}
		if (!ok) {
			http_reply_error(a->r, 409, "%s cannot move to %s "
			    "without --force: %s", id, ce->name, why);
			goto out;
		}
	}
	if (env_move(a->db, a->cfg, ce->name, id, a->actor, reason,
	    force ? ENV_FORCE : ENV_AUTO, &moved, &err) == -1) {
		if (!moved) {
			api_dberr(a, &err);
			goto out;
		}
		log_warnx("%s", dp_error_str(&err));
	}
	if (moved)
		notify_wake(a->p);
	api_evaluate(a);
	api_moved(a, ce, cur.snapshot, moved);
out:
	free(why);
	env_state_done(&cur);
	json_decref(body);
}

static void
api_rollback(struct api_ctx *a, const struct conf_env *ce)
{
	json_t			*body = NULL;
	const char		*id, *reason;
	struct env_state	 cur = { NULL, NULL };
	struct dp_error		 err;
	char			*target = NULL;
	int			 ok, moved;

	if (api_auth(a, ROLE_ADMIN) == -1)
		return;
	if ((body = api_body(a, 1)) == NULL)
		return;
	if (api_str(a, body, "snapshot", 0, 64, &id) == -1 ||
	    api_str(a, body, "reason", 0, API_REASON_MAX, &reason) == -1)
		goto out;
	if (env_get(a->db, ce->name, &cur, &err) == -1) {
		api_dberr(a, &err);
		goto out;
	}
	if (cur.snapshot == NULL) {
		http_reply_error(a->r, 409, "%s is on no snapshot yet",
		    ce->name);
		goto out;
	}
	if (id != NULL) {
		if ((ok = env_snapshot_exists(a->db, id, &err)) == -1) {
			api_dberr(a, &err);
			goto out;
		}
		if (ok == 0 || !util_snapshot_id_ok(id)) {
			http_reply_error(a->r, 422, "no published snapshot %s",
			    id);
			goto out;
		}
		target = xstrdup(id);
	} else {
		if (env_rollback_target(a->db, ce->name, &target, &err) ==
		    -1) {
			api_dberr(a, &err);
			goto out;
		}
		if (target == NULL) {
			http_reply_error(a->r, 409, "%s has no earlier "
			    "snapshot to roll back to", ce->name);
			goto out;
		}
	}
	if (strcmp(target, cur.snapshot) == 0) {
		http_reply_error(a->r, 409, "%s is already on %s", ce->name,
		    target);
		goto out;
	}
	if (env_move(a->db, a->cfg, ce->name, target, a->actor, reason,
	    ENV_ROLLBACK, &moved, &err) == -1) {
		if (!moved) {
			api_dberr(a, &err);
			goto out;
		}
		log_warnx("%s", dp_error_str(&err));
	}
	if (moved)
		notify_wake(a->p);
	api_moved(a, ce, cur.snapshot, moved);
out:
	free(target);
	env_state_done(&cur);
	json_decref(body);
}

static void
api_notifications(struct api_ctx *a)
{
	sqlite3_stmt	*s = NULL;
	struct dp_error	 err;
	json_t		*arr;

	if (util_prepare(a->db, "SELECT id, env, url, state, attempts, "
	    "next_try, last_error, created FROM notifications "
	    "ORDER BY id DESC LIMIT 100", &s, &err) == -1) {
		api_dberr(a, &err);
		return;
	}
	arr = json_array();
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(arr, json_pack(
		    "{s:I, s:o, s:o, s:o, s:i, s:o, s:o, s:o}",
		    "id", (json_int_t)sqlite3_column_int64(s, 0),
		    "environment", util_jstr((const char *)
		    sqlite3_column_text(s, 1)),
		    "url", util_jstr((const char *)sqlite3_column_text(s, 2)),
		    "state", util_jstr((const char *)
		    sqlite3_column_text(s, 3)),
		    "attempts", sqlite3_column_int(s, 4),
		    "next_try", util_jstr((const char *)
		    sqlite3_column_text(s, 5)),
		    "last_error", util_jstr((const char *)
		    sqlite3_column_text(s, 6)),
		    "created", util_jstr((const char *)
		    sqlite3_column_text(s, 7))));
	util_finalize(s);
	http_reply_json(a->r, 200, json_pack("{s:o}", "notifications", arr));
}

static void
api_route(struct api_ctx *a, const char *method, const char *url)
{
	const struct conf_env	*ce = NULL;
	char			*path, *seg[API_MAXSEG + 1], *sp, *save;
	size_t			 n = 0;
	int			 get, post;

	get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	post = strcmp(method, "POST") == 0;
	if (strncmp(url, API_PREFIX, strlen(API_PREFIX)) != 0) {
		http_reply_error(a->r, 404, "not found (the API is under "
		    API_PREFIX ")");
		return;
	}
	path = xstrdup(url + strlen(API_PREFIX));
	for (sp = strtok_r(path, "/", &save); sp != NULL;
	    sp = strtok_r(NULL, "/", &save)) {
		if (n == API_MAXSEG) {
			n++;
			break;
		}
		seg[n++] = sp;
	}
	if (n == 0 || n > API_MAXSEG - 1)
		goto notfound;

	if (strcmp(seg[0], "snapshots") == 0) {
		if (n == 1) {
			if (!get)
				goto badmethod_get;
			api_snapshots_list(a);
		} else if (n == 2) {
			if (!get)
				goto badmethod_get;
			api_snapshot_show(a, seg[1]);
		} else if (n == 3 && strcmp(seg[2], "results") == 0) {
			if (!post)
				goto badmethod_post;
			api_report(a, seg[1]);
		} else
			goto notfound;
	} else if (strcmp(seg[0], "environments") == 0) {
		if (n == 1) {
			if (!get)
				goto badmethod_get;
			api_environments(a);
			goto out;
		}
		if (n == 3 && strcmp(seg[2], "promote") != 0 &&
		    strcmp(seg[2], "rollback") != 0)
			goto notfound;
		if ((ce = config_env_find(a->cfg, seg[1])) == NULL) {
			http_reply_error(a->r, 404, "no environment %s",
			    seg[1]);
			goto out;
		}
		if (n == 2) {
			if (!get)
				goto badmethod_get;
			api_environment_show(a, ce);
		} else if (!post)
			goto badmethod_post;
		else if (strcmp(seg[2], "promote") == 0)
			api_promote(a, ce);
		else
			api_rollback(a, ce);
	} else if (strcmp(seg[0], "builds") == 0 && n <= 2) {
		if (!get)
			goto badmethod_get;
		if (n == 1)
			api_builds_list(a);
		else
			api_build_show(a, seg[1]);
	} else if (strcmp(seg[0], "targets") == 0 && n == 1) {
		/* Object storage targets (Publish-To:). */
		if (!get)
			goto badmethod_get;
		http_reply_json(a->r, 200, remote_status(a->db, a->cfg));
	} else if (strcmp(seg[0], "watches") == 0 && n == 1) {
		if (!get)
			goto badmethod_get;
		api_watches_list(a);
	} else if (strcmp(seg[0], "audit") == 0 && n == 1) {
		if (!get)
			goto badmethod_get;
		api_audit_list(a);
	} else if (strcmp(seg[0], "notifications") == 0 && n == 1) {
		if (!get)
			goto badmethod_get;
		api_notifications(a);
	} else
		goto notfound;
	goto out;

badmethod_get:
	a->r->allow = "GET, HEAD";
	http_reply_error(a->r, 405, "method %s not allowed here", method);
	goto out;
badmethod_post:
	a->r->allow = "POST";
	http_reply_error(a->r, 405, "method %s not allowed here", method);
	goto out;
notfound:
	http_reply_error(a->r, 404, "not found: %s", url);
out:
	free(path);
}

/* This thread's read-only connection (closed when the thread ends by the
 * rdb_key destructor), or NULL when it cannot be opened. */
struct db *
api_read_db(struct promoter *p)
{
	struct db	*db;
	struct dp_error	 err;

	if ((db = pthread_getspecific(p->rdb_key)) != NULL)
		return db;
	if (db_open_ro(p->db_path, &db, &err) == -1) {
		log_warnx("read-only database connection: %s",
		    dp_error_str(&err));
		return NULL;
	}
	/*
	 * Every commit empties the page cache of the other connections:
	 * with results coming in, each GET read its pages again with
	 * pread() (a fifth of the CPU under load).  Mapped, the pages of
	 * state.db are read in place; WAL pages are still read.
	 */
	if (db_exec(db, "PRAGMA mmap_size = 268435456", &err) == -1)
		log_warnx("read-only database connection: %s",
		    dp_error_str(&err));
	if (pthread_setspecific(p->rdb_key, db) != 0) {
		db_close(db);
		return NULL;
	}
	return db;
}

/* The answer to a result: the snapshot with its promotion state. */
static void
api_show_report(struct api_ctx *a)
{
	json_t	*o;

	o = api_snapshot_obj(a, a->show_id, a->show_created);
	json_object_set_new(o, "promotion", api_promotion(a, a->show_id));
	http_reply_json(a->r, 201, o);
}

void
api_handle(struct promoter *p, const char *method, const char *url,
    const char *auth, const char *body, size_t len,
    const struct api_query *q, struct http_reply *r)
{
	api_run(p, method, url, auth, body, len, q, r, api_route);
}

int
api_http(struct promoter *p, const struct http_request *rq)
{
	struct http_reply	r;
	struct api_query	q;

	memset(&r, 0, sizeof(r));
	http_query(rq, &q);
	api_handle(p, rq->method, rq->url, http_header(rq, "Authorization"),
	    rq->body, rq->len, &q, &r);
	return http_reply_send(rq, &r);
}

void
api_run(struct promoter *p, const char *method, const char *url,
    const char *auth, const char *body, size_t len,
    const struct api_query *q, struct http_reply *r,
    void (*route)(struct api_ctx *, const char *, const char *))
{
	struct api_ctx	a;

	memset(&a, 0, sizeof(a));
	a.p = p;
	if (q != NULL)
		a.q = *q;
	a.auth = auth;
	a.body = body;
	a.len = len;
	a.r = r;
	pthread_rwlock_rdlock(&p->cfglock);
	a.cfg = p->cfg;
	if ((strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) &&
	    (a.db = api_read_db(p)) != NULL)
		route(&a, method, url);
	else {
		pthread_mutex_lock(&p->lock);
		a.db = p->db;
		route(&a, method, url);
		pthread_mutex_unlock(&p->lock);
	}
	/*
	 * A result was recorded (committed): build the answer on this
	 * thread's read-only connection, which sees the commit, so that
	 * writers do not wait for it.
	 */
	if (a.show_id != NULL) {
		if ((a.db = api_read_db(p)) != NULL)
			api_show_report(&a);
		else {
			pthread_mutex_lock(&p->lock);
			a.db = p->db;
			api_show_report(&a);
			pthread_mutex_unlock(&p->lock);
		}
		free(a.show_id);
		free(a.show_created);
	}
	pthread_rwlock_unlock(&p->cfglock);
	if (r->body == NULL && r->json == NULL)
		http_reply_error(r, 500, "no answer");
}
