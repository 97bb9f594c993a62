/*
 * db-builds.c - the builds table (see db-builds.h): the builder's
 * persistent queue, read by the CLI.  Every statement on the table is
 * here.
 *
 * A build row moves queued -> running (pid = the build child) ->
 * success | failed | waiting (build dependencies not satisfiable yet;
 * queued again when the packages of its Distribution or its chroot
 * change, see the builder's queue_dep_key).  The row outlives the daemon:
 * at start-up a running row whose process is gone goes back to queued
 * (same id, attempts kept) so it is neither lost nor duplicated.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db-builds.h"
#include "db-stmt.h"
#include "error.h"
#include "xmalloc.h"

void
db_build_done(struct db_build *b)
{
	if (b == NULL)
		return;
	free(b->watch);
	free(b->state);
	free(b->inputs);
	free(b->version);
	free(b->message);
	free(b->queued);
	free(b->started);
	free(b->finished);
	free(b->log_path);
	free(b->buildinfo);
	memset(b, 0, sizeof(*b));
}

/* The end of a walk that collected rows into v: handed out when the walk
 * reached SQLITE_DONE, else freed with err saying what failed. */
static int
builds_end(struct db *db, int rc, struct db_build *v, size_t n,
    struct db_build **out, size_t *nout, const char *what,
    struct dp_error *err)
{
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "%s", what);
		while (n-- > 0)
			db_build_done(&v[n]);
		free(v);
		return -1;
	}
	*out = v;
	*nout = n;
	return 0;
}

int
db_build_add(struct db *db, const char *watch, const char *inputs, int64_t *id,
    struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	if (db_prepare(db, "INSERT INTO builds(watch, state, inputs, queued) "
	    "VALUES (?, 'queued', ?, ?)", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, watch, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, inputs, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, db_now(), -1, SQLITE_TRANSIENT);
	if (db_step_done(db, st, "queue a build", err) == -1)
		return -1;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(db_handle(db));
	return 0;
}

int
db_build_pending(struct db *db, const char *watch, const char *inputs,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, rv = -1;

	if (db_prepare(db, "SELECT 1 FROM builds WHERE watch = ? AND "
	    "state IN ('queued', 'running', 'waiting') AND inputs IS ?", &st,
	    err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, watch, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, inputs, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rv = 1;
	else if (rc == SQLITE_DONE)
		rv = 0;
	else
		dp_error_sqlite(err, db_handle(db), "pending builds");
	sqlite3_finalize(st);
	return rv;
}

static void
build_from_row(sqlite3_stmt *st, struct db_build *b)
{
	b->id = sqlite3_column_int64(st, 0);
	b->watch = db_column_text(st, 1);
	b->state = db_column_text(st, 2);
	b->inputs = db_column_text(st, 3);
	b->version = db_column_text(st, 4);
	b->pid = sqlite3_column_int64(st, 5);
	b->attempts = sqlite3_column_int(st, 6);
	b->message = db_column_text(st, 7);
}

static void	build_full_from_row(sqlite3_stmt *, struct db_build *);

#define BUILD_COLS \
	"id, watch, state, inputs, version, pid, attempts, message"

static int
query_one(struct db *db, const char *sql, int64_t arg,
    struct db_build *b, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, rv = -1;

	memset(b, 0, sizeof(*b));
	if (db_prepare(db, sql, &st, err) == -1)
		return -1;
	if (arg != 0)
		sqlite3_bind_int64(st, 1, arg);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		build_from_row(st, b);
		rv = 0;
	} else if (rc == SQLITE_DONE)
		rv = 1;
	else
		dp_error_sqlite(err, db_handle(db), "builds");
	sqlite3_finalize(st);
	return rv;
}

int
db_build_next(struct db *db, struct db_build *b, struct dp_error *err)
{
	return query_one(db, "SELECT " BUILD_COLS " FROM builds AS b WHERE "
	    "state = 'queued' AND NOT EXISTS (SELECT 1 FROM builds AS r "
	    "WHERE r.watch = b.watch AND r.state = 'running') "
	    "ORDER BY id LIMIT 1", 0, b, err);
}

int
db_build_get(struct db *db, int64_t id, struct db_build *b,
    struct dp_error *err)
{
	int rv;

	rv = query_one(db, "SELECT " BUILD_COLS " FROM builds WHERE id = ?",
	    id, b, err);
	if (rv == 1) {
		dp_error_set(err, DP_ERR_NOTFOUND, "no build %lld",
		    (long long)id);
		rv = -1;
	}
	return rv;
}

int
db_build_start(struct db *db, int64_t id, pid_t pid, struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	if (db_prepare(db, "UPDATE builds SET state = 'running', pid = ?, "
	    "started = ?, finished = NULL, attempts = attempts + 1 "
	    "WHERE id = ?", &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)pid);
	sqlite3_bind_text(st, 2, db_now(), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, id);
	return db_step_done(db, st, "start build", err);
}

int
db_build_set_pid(struct db *db, int64_t id, pid_t pid, struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	if (db_prepare(db, "UPDATE builds SET pid = ? WHERE id = ?", &st, err)
	    == -1)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)pid);
	sqlite3_bind_int64(st, 2, id);
	return db_step_done(db, st, "record build pid", err);
}

int
db_build_set(struct db *db, int64_t id, const char *column, const char *value,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	char		*sql;
	int		 rv;

	/* column is one of ours, never user input. */
	sql = xasprintf("UPDATE builds SET %s = ? WHERE id = ?", column);
	rv = db_prepare(db, sql, &st, err);
	free(sql);
	if (rv == -1)
		return -1;
	sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	return db_step_done(db, st, "update build", err);
}

int
db_build_finish(struct db *db, int64_t id, int ok, const char *version,
    const char *message, struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	if (db_prepare(db, "UPDATE builds SET state = ?, finished = ?, "
	    "version = coalesce(?, version), message = ? WHERE id = ?",
	    &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, ok ? "success" : "failed", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, db_now(), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, message, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, id);
	return db_step_done(db, st, "finish build", err);
}

int
db_build_requeue(struct db *db, int64_t id, struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	if (db_prepare(db, "UPDATE builds SET state = 'queued', pid = NULL "
	    "WHERE id = ? AND state = 'running'", &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return db_step_done(db, st, "requeue build", err);
}

int
db_build_list_running(struct db *db, struct db_build **out, size_t *nout,
    struct dp_error *err)
{
	sqlite3_stmt		*st = NULL;
	struct db_build	*v = NULL;
	size_t			 n = 0;
	int			 rc;

	*out = NULL;
	*nout = 0;
	if (db_prepare(db, "SELECT " BUILD_COLS " FROM builds WHERE "
	    "state = 'running' ORDER BY id", &st, err) == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		memset(&v[n], 0, sizeof(*v));
		build_from_row(st, &v[n++]);
	}
	sqlite3_finalize(st);
	return builds_end(db, rc, v, n, out, nout, "running builds", err);
}

int
db_build_running(struct db *db, int64_t *n, struct dp_error *err)
{
	return db_query_int(db, "SELECT count(*) FROM builds WHERE "
	    "state = 'running'", n, err);
}

int
db_build_versions(struct db *db, const char *watch, const char *source,
    const char *dist, int64_t except, char ***out, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	char		**v = NULL, *origin;
	size_t		 n = 0;
	int		 rc, rv = -1;

	*out = NULL;
	origin = xasprintf("build:%s", watch);
	if (db_prepare(db, "SELECT version FROM builds WHERE watch = ?1 AND "
	    "version IS NOT NULL AND id != ?3 AND state = 'success' UNION "
	    "SELECT version FROM packages WHERE origin = ?2 UNION "
	    "SELECT version FROM sources WHERE origin = ?2 UNION "
	    "SELECT source_version FROM packages WHERE source = ?4 AND "
	    "dist = ?5 UNION "
	    "SELECT version FROM sources WHERE name = ?4 AND dist = ?5",
	    &st, err) == -1)
		goto out;
	sqlite3_bind_text(st, 1, watch, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, except);
	sqlite3_bind_text(st, 4, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, dist, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 2, sizeof(*v));
		v[n++] = db_column_text(st, 0);
		v[n] = NULL;
	}
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "versions of %s", watch);
		strv_free(v);
		goto out;
	}
	*out = v;
	rv = 0;
out:
	sqlite3_finalize(st);
	free(origin);
	return rv;
}

/* ---- waiting builds --------------------------------------------------- */

int
db_build_wait(struct db *db, int64_t id, const char *version,
    const char *message, const char *key, struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	if (db_prepare(db, "UPDATE builds SET state = 'waiting', finished = ?, "
	    "version = coalesce(?, version), message = ?, wait_key = ?, "
	    "pid = NULL WHERE id = ?", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, db_now(), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, message, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, id);
	return db_step_done(db, st, "build waits", err);
}

int
db_build_unwait(struct db *db, int64_t id, struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	if (db_prepare(db, "UPDATE builds SET state = 'queued', pid = NULL, "
	    "finished = NULL WHERE id = ? AND state = 'waiting'", &st, err)
	    == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return db_step_done(db, st, "retry waiting build", err);
}

int
db_build_unwait_watch(struct db *db, const char *watch, int *n,
    struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	*n = 0;
	if (db_prepare(db, "UPDATE builds SET state = 'queued', pid = NULL, "
	    "finished = NULL WHERE watch = ? AND state = 'waiting'", &st, err)
	    == -1)
		return -1;
	sqlite3_bind_text(st, 1, watch, -1, SQLITE_STATIC);
	if (db_step_done(db, st, "retry waiting builds", err) == -1)
		return -1;
	*n = sqlite3_changes(db_handle(db));
	return 0;
}

int
db_build_supersede(struct db *db, int64_t id, const char *watch,
    struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	if (db_prepare(db, "UPDATE builds SET state = 'failed', message = "
	    "'superseded by build ' || ?1 || ' (newer inputs); it was ' || "
	    "coalesce(message, 'waiting') WHERE watch = ?2 AND "
	    "state = 'waiting' AND id < ?1", &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, watch, -1, SQLITE_STATIC);
	return db_step_done(db, st, "supersede waiting builds", err);
}

int
db_build_set_buildinfo(struct db *db, int64_t id, const char *path,
    struct dp_error *err)
{
	return db_build_set(db, id, "buildinfo", path, err);
}

int
db_build_drop(struct db *db, int64_t id, struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	if (db_prepare(db, "DELETE FROM builds WHERE id = ?", &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return db_step_done(db, st, "drop build", err);
}

/* The ids of the rows one statement st (bound) returns in column 0. */
static int
ids_collect(struct db *db, sqlite3_stmt *st, int64_t **out, size_t *nout,
    const char *what, struct dp_error *err)
{
	int64_t	*v = NULL;
	size_t	 n = 0;
	int	 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "%s", what);
		free(v);
		return -1;
	}
	*out = v;
	*nout = n;
	return 0;
}

int
db_build_finished_before(struct db *db, const char *watch, int64_t id,
    int64_t **out, size_t *nout, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;

	*out = NULL;
	*nout = 0;
	if (db_prepare(db, "SELECT id FROM builds WHERE watch = ? AND "
	    "id < ? AND state IN ('success', 'failed')", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, watch, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	return ids_collect(db, st, out, nout, "finished builds", err);
}

void
db_build_waiting_free(struct db_build_waiting *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(v[i].watch);
		free(v[i].wait_key);
	}
	free(v);
}

int
db_build_list_waiting(struct db *db, struct db_build_waiting **out,
    size_t *nout, struct dp_error *err)
{
	sqlite3_stmt		*st = NULL;
	struct db_build_waiting	*v = NULL;
	size_t			 n = 0;
	int			 rc;

	*out = NULL;
	*nout = 0;
	if (db_prepare(db, "SELECT id, watch, wait_key FROM builds "
	    "WHERE state = 'waiting' ORDER BY id", &st, err) == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n].id = sqlite3_column_int64(st, 0);
		v[n].watch = db_column_text(st, 1);
		v[n].wait_key = db_column_text(st, 2);
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "waiting builds");
		db_build_waiting_free(v, n);
		return -1;
	}
	*out = v;
	*nout = n;
	return 0;
}

int
db_build_versions_prefixed(struct db *db, const char *watch,
    const char *prefix, char ***out, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	char		**v = NULL;
	size_t		 n = 0;
	int		 rc;

	*out = NULL;
	if (db_prepare(db, "SELECT version FROM builds WHERE watch = ?3 AND "
	    "version IS NOT NULL AND substr(version, 1, length(?2)) = ?2",
	    &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, watch, -1, SQLITE_STATIC);
	v = xcalloc(1, sizeof(*v));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_text(st, 0) == NULL)
			continue;
		v = xreallocarray(v, n + 2, sizeof(*v));
		v[n++] = db_column_text(st, 0);
		v[n] = NULL;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "count rebuilds");
		strv_free(v);
		return -1;
	}
	*out = v;
	return 0;
}

int64_t
db_build_queued_by_hand(struct db *db, const char *watch)
{
	sqlite3_stmt	*st = NULL;
	int64_t		 id = 0;

	if (db_prepare(db, "SELECT id FROM builds WHERE watch = ? AND "
	    "state = 'queued' AND inputs IS NULL ORDER BY id LIMIT 1", &st,
	    NULL) == -1)
		return 0;
	sqlite3_bind_text(st, 1, watch, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

int
db_build_files(struct db *db, int64_t id, char **log_path, char **buildinfo,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	*log_path = *buildinfo = NULL;
	if (db_prepare(db, "SELECT log_path, buildinfo FROM builds WHERE "
	    "id = ?", &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*log_path = db_column_text(st, 0);
		*buildinfo = db_column_text(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : 1;
}

int
db_build_list(struct db *db, int which, const char *watch, long limit,
    struct db_build **out, size_t *nout, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	struct db_build	*v = NULL, *b;
	size_t		 n = 0;
	int		 rc;

	*out = NULL;
	*nout = 0;
	if (db_prepare(db, "SELECT id, watch, state, version, inputs, "
	    "queued, started, finished, attempts, message, log_path, "
	    "buildinfo FROM builds WHERE (?1 = 0 OR (?1 = 1 AND state = "
	    "'failed') OR (?1 = 2 AND state = 'waiting')) AND (?2 IS NULL OR "
	    "watch = ?2) ORDER BY id DESC LIMIT ?3", &st, err) == -1)
		return -1;
	sqlite3_bind_int(st, 1, which);
	sqlite3_bind_text(st, 2, watch, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		b = &v[n++];
		build_full_from_row(st, b);
	}
	sqlite3_finalize(st);
	return builds_end(db, rc, v, n, out, nout, "builds", err);
}

/* -- what the promoter's API and `debpipe status` read ------------- */

#define BUILD_FULL_COLS \
	"SELECT id, watch, state, version, inputs, queued, started, " \
	"finished, attempts, message, log_path, buildinfo FROM builds "
/* builds_by_state(state, id) and builds_by_watch(watch, id) serve the
 * filtered pages, the rowid the others. */
static const char sql_build_page_state[] = BUILD_FULL_COLS
    "WHERE state = ?1 AND id < ?3 AND (?2 IS NULL OR watch = ?2) "
    "ORDER BY id DESC LIMIT ?4";
static const char sql_build_page_all[] = BUILD_FULL_COLS
    "WHERE (?2 IS NULL OR watch = ?2) AND id < ?3 ORDER BY id DESC "
    "LIMIT ?4";
static const char sql_build_find[] = BUILD_FULL_COLS "WHERE id = ?1";
static const char sql_build_count[] =
    "SELECT count(*) FROM builds WHERE state = ?";
static const char sql_build_last[] =
    "SELECT (SELECT finished FROM builds WHERE watch = ?1 AND "
    "finished IS NOT NULL ORDER BY id DESC LIMIT 1), "
    "(SELECT state || ' ' || coalesce(version, '') FROM builds "
    "WHERE watch = ?1 ORDER BY id DESC LIMIT 1)";

/* A row of BUILD_FULL_COLS. */
static void
build_full_from_row(sqlite3_stmt *st, struct db_build *b)
{
	memset(b, 0, sizeof(*b));
	b->id = sqlite3_column_int64(st, 0);
	b->watch = db_column_text(st, 1);
	b->state = db_column_text(st, 2);
	b->version = db_column_text(st, 3);
	b->inputs = db_column_text(st, 4);
	b->queued = db_column_text(st, 5);
	b->started = db_column_text(st, 6);
	b->finished = db_column_text(st, 7);
	b->attempts = sqlite3_column_int(st, 8);
	b->message = db_column_text(st, 9);
	b->log_path = db_column_text(st, 10);
	b->buildinfo = db_column_text(st, 11);
}

int
db_build_page(struct db *db, const char *state, const char *watch,
    int64_t before, long limit, struct db_build **out, size_t *nout,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	struct db_build	*v = NULL;
	size_t		 n = 0;
	int		 rc;

	*out = NULL;
	*nout = 0;
	if (db_stmt_get(db, state != NULL ? sql_build_page_state :
	    sql_build_page_all, &st, err) == -1)
		return -1;
	if (state != NULL)
		sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, watch, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, before > 0 ? before : INT64_MAX);
	sqlite3_bind_int64(st, 4, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		build_full_from_row(st, &v[n++]);
	}
	db_stmt_put(st);
	return builds_end(db, rc, v, n, out, nout, "list builds", err);
}

int
db_build_find(struct db *db, int64_t id, struct db_build *b,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, rv = -1;

	memset(b, 0, sizeof(*b));
	if (db_stmt_get(db, sql_build_find, &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		build_full_from_row(st, b);
		rv = 0;
	} else if (rc == SQLITE_DONE)
		rv = 1;
	else
		dp_error_sqlite(err, db_handle(db), "build %lld",
		    (long long)id);
	db_stmt_put(st);
	return rv;
}

int
db_build_count(struct db *db, const char *state, int64_t *n,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = -1;

	*n = 0;
	if (db_stmt_get(db, sql_build_count, &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*n = sqlite3_column_int64(st, 0);
		rv = 0;
	} else
		dp_error_sqlite(err, db_handle(db), "count builds");
	db_stmt_put(st);
	return rv;
}

int
db_build_last(struct db *db, const char *watch, char **finished,
    char **result, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = -1;

	*finished = *result = NULL;
	if (db_stmt_get(db, sql_build_last, &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, watch, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*finished = db_column_text(st, 0);
		*result = db_column_text(st, 1);
		rv = 0;
	} else
		dp_error_sqlite(err, db_handle(db), "last build of %s", watch);
	db_stmt_put(st);
	return rv;
}
