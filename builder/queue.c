/*
 * queue.c - the builds table as a persistent queue, and the watches table.
 *
 * A build row moves queued -> running (pid = the build child) ->
 * success | failed | waiting (build dependencies not satisfiable yet;
 * queued again when the packages of its Distribution or its chroot
 * change, see queue_dep_key).  The row outlives the daemon: at start-up a running
 * row whose process is gone goes back to queued (same id, attempts kept)
 * so it is neither lost nor duplicated.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "builder.h"
#include "chroot.h"
#include "xmalloc.h"

void
queue_build_done(struct queue_build *b)
{
	if (b == NULL)
		return;
	free(b->watch);
	free(b->state);
	free(b->inputs);
	free(b->version);
	free(b->message);
	memset(b, 0, sizeof(*b));
}

static char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? xstrdup((const char *)t) : NULL;
}

/* Run st (already bound) to SQLITE_DONE and finalize it. */
static int
step_done(struct db *db, sqlite3_stmt *st, const char *what,
    struct dp_error *err)
{
	int rv = 0;

	if (sqlite3_step(st) != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "%s", what);
		rv = -1;
	}
	sqlite3_finalize(st);
	return rv;
}

int
queue_add(struct db *db, const char *watch, const char *inputs, int64_t *id,
    struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	if (db_prepare(db, "INSERT INTO builds(watch, state, inputs, queued) "
	    "VALUES (?, 'queued', ?, ?)", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, watch, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, inputs, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, db_now(), -1, SQLITE_TRANSIENT);
	if (step_done(db, st, "queue a build", err) == -1)
		return -1;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(db_handle(db));
	return 0;
}

int
queue_pending(struct db *db, const char *watch, const char *inputs,
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
build_from_row(sqlite3_stmt *st, struct queue_build *b)
{
	b->id = sqlite3_column_int64(st, 0);
	b->watch = col_text(st, 1);
	b->state = col_text(st, 2);
	b->inputs = col_text(st, 3);
	b->version = col_text(st, 4);
	b->pid = sqlite3_column_int64(st, 5);
	b->attempts = sqlite3_column_int(st, 6);
	b->message = col_text(st, 7);
}

#define BUILD_COLS \
	"id, watch, state, inputs, version, pid, attempts, message"

static int
query_one(struct db *db, const char *sql, int64_t arg,
    struct queue_build *b, struct dp_error *err)
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
queue_next(struct db *db, struct queue_build *b, struct dp_error *err)
{
	return query_one(db, "SELECT " BUILD_COLS " FROM builds AS b WHERE "
	    "state = 'queued' AND NOT EXISTS (SELECT 1 FROM builds AS r "
	    "WHERE r.watch = b.watch AND r.state = 'running') "
	    "ORDER BY id LIMIT 1", 0, b, err);
}

int
queue_get(struct db *db, int64_t id, struct queue_build *b,
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
queue_start(struct db *db, int64_t id, pid_t pid, struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	if (db_prepare(db, "UPDATE builds SET state = 'running', pid = ?, "
	    "started = ?, finished = NULL, attempts = attempts + 1 "
	    "WHERE id = ?", &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)pid);
	sqlite3_bind_text(st, 2, db_now(), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, id);
	return step_done(db, st, "start build", err);
}

int
queue_set_pid(struct db *db, int64_t id, pid_t pid, struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	if (db_prepare(db, "UPDATE builds SET pid = ? WHERE id = ?", &st, err)
	    == -1)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)pid);
	sqlite3_bind_int64(st, 2, id);
	return step_done(db, st, "record build pid", err);
}

int
queue_set(struct db *db, int64_t id, const char *column, const char *value,
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
	return step_done(db, st, "update build", err);
}

int
queue_finish(struct db *db, int64_t id, int ok, const char *version,
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
	return step_done(db, st, "finish build", err);
}

int
queue_requeue(struct db *db, int64_t id, struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	if (db_prepare(db, "UPDATE builds SET state = 'queued', pid = NULL "
	    "WHERE id = ? AND state = 'running'", &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return step_done(db, st, "requeue build", err);
}

int
queue_list_running(struct db *db, struct queue_build **out, size_t *nout,
    struct dp_error *err)
{
	sqlite3_stmt		*st = NULL;
	struct queue_build	*v = NULL;
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
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "running builds");
		while (n-- > 0)
			queue_build_done(&v[n]);
		free(v);
		return -1;
	}
	*out = v;
	*nout = n;
	return 0;
}

int
queue_running(struct db *db, int64_t *n, struct dp_error *err)
{
	return db_query_int(db, "SELECT count(*) FROM builds WHERE "
	    "state = 'running'", n, err);
}

int
queue_versions(struct db *db, const char *watch, const char *source,
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
		v[n++] = col_text(st, 0);
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

int
queue_ingested(struct db *db, const char *watch, const char *version,
    int64_t *n, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	char		*origin;
	int		 rv = -1;

	origin = xasprintf("build:%s", watch);
	if (db_prepare(db, "SELECT count(*) FROM packages WHERE origin = ? "
	    "AND version = ?", &st, err) == -1)
		goto out;
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		dp_error_sqlite(err, db_handle(db), "packages of %s", watch);
		goto out;
	}
	*n = sqlite3_column_int64(st, 0);
	rv = 0;
out:
	sqlite3_finalize(st);
	free(origin);
	return rv;
}

/* ---- watches ---------------------------------------------------------- */

static int
watchdb_ensure(struct db *db, const char *watch, struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	if (db_prepare(db, "INSERT OR IGNORE INTO watches(name) VALUES (?)",
	    &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, watch, -1, SQLITE_STATIC);
	return step_done(db, st, "watch row", err);
}

int
watchdb_get_inputs(struct db *db, const char *watch, char **inputs,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, rv = -1;

	*inputs = NULL;
	if (db_prepare(db, "SELECT last_inputs FROM watches WHERE name = ?",
	    &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, watch, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*inputs = col_text(st, 0);
		rv = 0;
	} else if (rc == SQLITE_DONE)
		rv = 0;
	else
		dp_error_sqlite(err, db_handle(db), "watch %s", watch);
	sqlite3_finalize(st);
	return rv;
}

int
watchdb_polled(struct db *db, const char *watch, const char *inputs,
    int changed, const char *error, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	char		 now[32];

	snprintf(now, sizeof(now), "%s", db_now());
	if (watchdb_ensure(db, watch, err) == -1)
		return -1;
	if (db_prepare(db, "UPDATE watches SET last_poll = ?1, "
	    "last_error = ?2, last_inputs = coalesce(?3, last_inputs), "
	    "last_change = CASE WHEN ?4 THEN ?1 ELSE last_change END "
	    "WHERE name = ?5", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, error, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, inputs, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, changed);
	sqlite3_bind_text(st, 5, watch, -1, SQLITE_STATIC);
	return step_done(db, st, "record poll", err);
}

int
watchdb_failing(struct db *db, const char *watch)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = 0;

	if (db_prepare(db, "SELECT last_error IS NOT NULL FROM watches "
	    "WHERE name = ?", &st, NULL) == -1)
		return 0;
	sqlite3_bind_text(st, 1, watch, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		rv = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rv;
}

int
watchdb_set_error(struct db *db, const char *watch, const char *error,
    struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	if (watchdb_ensure(db, watch, err) == -1)
		return -1;
	if (db_prepare(db, "UPDATE watches SET last_error = ? WHERE name = ?",
	    &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, error, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, watch, -1, SQLITE_STATIC);
	return step_done(db, st, "record watch error", err);
}

long
watchdb_since_poll(struct db *db, const char *watch)
{
	sqlite3_stmt	*st = NULL;
	const char	*t;
	struct tm	 tm;
	long		 rv = -1;

	if (db_prepare(db, "SELECT last_poll FROM watches WHERE name = ?",
	    &st, NULL) == -1)
		return -1;
	sqlite3_bind_text(st, 1, watch, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (t = (const char *)sqlite3_column_text(st, 0)) != NULL) {
		memset(&tm, 0, sizeof(tm));
		if (strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL)
			rv = (long)(time(NULL) - timegm(&tm));
		if (rv < 0)
			rv = 0;
	}
	sqlite3_finalize(st);
	return rv;
}

/* ---- waiting builds --------------------------------------------------- */

int
queue_wait(struct db *db, int64_t id, const char *version,
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
	return step_done(db, st, "build waits", err);
}

char *
queue_dep_key(struct db *db, const struct config *cfg, const char *dist)
{
	sqlite3_stmt	*st = NULL;
	struct stat	 sb;
	char		*tb;
	long long	 count = 0, maxid = 0, mt = 0;

	if (db_prepare(db, "SELECT count(*), coalesce(max(id), 0) FROM "
	    "packages WHERE dist = ?", &st, NULL) == 0) {
		sqlite3_bind_text(st, 1, dist, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			count = sqlite3_column_int64(st, 0);
			maxid = sqlite3_column_int64(st, 1);
		}
		sqlite3_finalize(st);
	}
	tb = chroot_tarball_path(cfg, dist, chroot_host_arch());
	if (stat(tb, &sb) == 0)
		mt = (long long)sb.st_mtime;
	free(tb);
	return xasprintf("packages=%lld/%lld chroot=%lld", count, maxid, mt);
}

int
queue_unwait(struct db *db, int64_t id, struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	if (db_prepare(db, "UPDATE builds SET state = 'queued', pid = NULL, "
	    "finished = NULL WHERE id = ? AND state = 'waiting'", &st, err)
	    == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return step_done(db, st, "retry waiting build", err);
}

int
queue_unwait_watch(struct db *db, const char *watch, int *n,
    struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	*n = 0;
	if (db_prepare(db, "UPDATE builds SET state = 'queued', pid = NULL, "
	    "finished = NULL WHERE watch = ? AND state = 'waiting'", &st, err)
	    == -1)
		return -1;
	sqlite3_bind_text(st, 1, watch, -1, SQLITE_STATIC);
	if (step_done(db, st, "retry waiting builds", err) == -1)
		return -1;
	*n = sqlite3_changes(db_handle(db));
	return 0;
}

int
queue_supersede(struct db *db, int64_t id, const char *watch,
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
	return step_done(db, st, "supersede waiting builds", err);
}

int
queue_set_buildinfo(struct db *db, int64_t id, const char *path,
    struct dp_error *err)
{
	return queue_set(db, id, "buildinfo", path, err);
}
