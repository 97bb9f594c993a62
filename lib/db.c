/* db.c - the state database: open, schema, migrations, transactions. */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "xmalloc.h"

struct db {
	sqlite3	*sq;
	int	 in_tx;
};

/* Each entry migrates from version i to i + 1. */
static const char *const MIGRATIONS[] = {
	/* 0 -> 1 */
	"CREATE TABLE files ("
	"  id INTEGER PRIMARY KEY,"
	"  path TEXT NOT NULL UNIQUE,"
	"  size INTEGER NOT NULL,"
	"  md5 TEXT NOT NULL,"
	"  sha1 TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  added TEXT NOT NULL);"
	"CREATE TABLE packages ("
	"  id INTEGER PRIMARY KEY,"
	"  dist TEXT NOT NULL,"
	"  component TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  version TEXT NOT NULL,"
	"  arch TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  source_version TEXT NOT NULL,"
	"  file_id INTEGER NOT NULL REFERENCES files(id),"
	"  control TEXT NOT NULL,"
	"  contents BLOB,"
	"  origin TEXT NOT NULL DEFAULT 'add',"
	"  added TEXT NOT NULL,"
	"  UNIQUE(dist, component, name, version, arch));"
	"CREATE INDEX packages_by_name ON packages(dist, component, arch, name);"
	"CREATE INDEX packages_by_file ON packages(file_id);"
	"CREATE TABLE sources ("
	"  id INTEGER PRIMARY KEY,"
	"  dist TEXT NOT NULL,"
	"  component TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  version TEXT NOT NULL,"
	"  directory TEXT NOT NULL,"
	"  control TEXT NOT NULL,"
	"  dsc_file_id INTEGER NOT NULL REFERENCES files(id),"
	"  origin TEXT NOT NULL DEFAULT 'add',"
	"  added TEXT NOT NULL,"
	"  UNIQUE(dist, component, name, version));"
	"CREATE TABLE source_files ("
	"  source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,"
	"  file_id INTEGER NOT NULL REFERENCES files(id),"
	"  PRIMARY KEY(source_id, file_id)) WITHOUT ROWID;"
	"CREATE INDEX source_files_by_file ON source_files(file_id);"
	"CREATE TABLE snapshots ("
	"  id TEXT PRIMARY KEY,"
	"  created TEXT NOT NULL,"
	"  packages BLOB NOT NULL,"
	"  sources BLOB NOT NULL,"
	"  digest TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'published');"
	"CREATE TABLE environments ("
	"  name TEXT PRIMARY KEY,"
	"  snapshot TEXT,"
	"  since TEXT);"
	"CREATE TABLE env_history ("
	"  id INTEGER PRIMARY KEY,"
	"  env TEXT NOT NULL,"
	"  from_snapshot TEXT,"
	"  to_snapshot TEXT NOT NULL,"
	"  time TEXT NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  reason TEXT,"
	"  kind TEXT NOT NULL);"
	"CREATE INDEX env_history_by_env ON env_history(env, id);"
	"CREATE TABLE results ("
	"  id INTEGER PRIMARY KEY,"
	"  snapshot TEXT NOT NULL,"
	"  job TEXT NOT NULL,"
	"  result TEXT NOT NULL CHECK (result IN ('success', 'failure')),"
	"  url TEXT,"
	"  time TEXT NOT NULL,"
	"  actor TEXT);"
	"CREATE INDEX results_by_snapshot ON results(snapshot, job, id);"
	"CREATE TABLE watches ("
	"  name TEXT PRIMARY KEY,"
	"  last_poll TEXT,"
	"  last_change TEXT,"
	"  last_inputs TEXT,"
	"  last_error TEXT,"
	"  state TEXT);"
	"CREATE TABLE builds ("
	"  id INTEGER PRIMARY KEY,"
	"  watch TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'queued'"
	"    CHECK (state IN ('queued', 'running', 'success', 'failed')),"
	"  inputs TEXT,"
	"  version TEXT,"
	"  queued TEXT NOT NULL,"
	"  started TEXT,"
	"  finished TEXT,"
	"  message TEXT,"
	"  log_path TEXT,"
	"  pid INTEGER,"
	"  attempts INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX builds_by_state ON builds(state, id);"
	"CREATE INDEX builds_by_watch ON builds(watch, id);"
	"CREATE TABLE notifications ("
	"  id INTEGER PRIMARY KEY,"
	"  env TEXT NOT NULL,"
	"  url TEXT NOT NULL,"
	"  payload TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_try TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending',"
	"  last_error TEXT,"
	"  created TEXT NOT NULL);"
	"CREATE TABLE requests ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  arg TEXT,"
	"  created TEXT NOT NULL,"
	"  done TEXT);"
	"CREATE TABLE daemons ("
	"  name TEXT PRIMARY KEY,"
	"  pid INTEGER NOT NULL,"
	"  started TEXT NOT NULL,"
	"  heartbeat TEXT NOT NULL);",
	/* 2: the package set is read from packages_by_name alone (with the
	 * version in it, no lookup of each table row). */
	"DROP INDEX packages_by_name;"
	"CREATE INDEX packages_by_name ON packages(dist, component, arch, "
	"name, version);",
	/* 3: built-in checks (check.h): a result may be 'error' (the check
	 * could not run; gates like a failure), and the checks queue. */
	"DROP TABLE IF EXISTS results_new;"
	"CREATE TABLE results_new ("
	"  id INTEGER PRIMARY KEY,"
	"  snapshot TEXT NOT NULL,"
	"  job TEXT NOT NULL,"
	"  result TEXT NOT NULL"
	"    CHECK (result IN ('success', 'failure', 'error')),"
	"  url TEXT,"
	"  time TEXT NOT NULL,"
	"  actor TEXT);"
	"INSERT INTO results_new SELECT id, snapshot, job, result, url, time, "
	"actor FROM results;"
	"DROP TABLE results;"
	"ALTER TABLE results_new RENAME TO results;"
	"CREATE INDEX results_by_snapshot ON results(snapshot, job, id);"
	"CREATE TABLE IF NOT EXISTS checks ("
	"  snapshot TEXT NOT NULL,"
	"  job TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK (state IN ('pending', 'running', 'done')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_try TEXT NOT NULL,"
	"  pid INTEGER,"
	"  started TEXT,"
	"  finished TEXT,"
	"  result TEXT,"
	"  message TEXT,"
	"  PRIMARY KEY(snapshot, job)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS checks_by_state ON checks(state, "
	"next_try);",
	/* 4: what each object-storage target holds (remote-publish.c). */
	"CREATE TABLE IF NOT EXISTS remote_objects ("
	"  target TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  etag TEXT,"
	"  uploaded TEXT NOT NULL,"
	"  PRIMARY KEY(target, key)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS remote_dists ("
	"  target TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  snapshot TEXT NOT NULL,"
	"  time TEXT NOT NULL,"
	"  PRIMARY KEY(target, name)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS remote_targets ("
	"  target TEXT PRIMARY KEY,"
	"  url TEXT,"
	"  last_attempt TEXT,"
	"  last_success TEXT,"
	"  last_error TEXT,"
	"  pending INTEGER NOT NULL DEFAULT 0,"
	"  uploaded INTEGER NOT NULL DEFAULT 0);",
	/* 5: the audit log looked up by environment and snapshot (the
	 * promoter's rules each second, the web interface's snapshot
	 * pages) without scanning it whole. */
	"CREATE INDEX IF NOT EXISTS env_history_by_env_to ON "
	"env_history(env, to_snapshot);"
	"CREATE INDEX IF NOT EXISTS env_history_by_env_from ON "
	"env_history(env, from_snapshot);"
	"CREATE INDEX IF NOT EXISTS env_history_by_to ON "
	"env_history(to_snapshot);"
	"CREATE INDEX IF NOT EXISTS env_history_by_from ON "
	"env_history(from_snapshot);",
	/* 6: clean-room builds (builder/build.c): a build whose build
	 * dependencies cannot be satisfied yet is 'waiting' (message: the
	 * unmet dependency; wait_key: the package set and chroot it saw),
	 * and each build names its .buildinfo. */
	"DROP TABLE IF EXISTS builds_new;"
	"CREATE TABLE builds_new ("
	"  id INTEGER PRIMARY KEY,"
	"  watch TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'queued'"
	"    CHECK (state IN ('queued', 'running', 'success', 'failed',"
	"    'waiting')),"
	"  inputs TEXT,"
	"  version TEXT,"
	"  queued TEXT NOT NULL,"
	"  started TEXT,"
	"  finished TEXT,"
	"  message TEXT,"
	"  log_path TEXT,"
	"  pid INTEGER,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  buildinfo TEXT,"
	"  wait_key TEXT);"
	"INSERT INTO builds_new(id, watch, state, inputs, version, queued, "
	"started, finished, message, log_path, pid, attempts) SELECT id, "
	"watch, state, inputs, version, queued, started, finished, message, "
	"log_path, pid, attempts FROM builds;"
	"DROP TABLE builds;"
	"ALTER TABLE builds_new RENAME TO builds;"
	"CREATE INDEX builds_by_state ON builds(state, id);"
	"CREATE INDEX builds_by_watch ON builds(watch, id);",
	/* 7: a built-in check with nothing to check (no changed source has
	 * tests) records 'neutral', which gates like a success. */
	"DROP TABLE IF EXISTS results_new;"
	"CREATE TABLE results_new ("
	"  id INTEGER PRIMARY KEY,"
	"  snapshot TEXT NOT NULL,"
	"  job TEXT NOT NULL,"
	"  result TEXT NOT NULL"
	"    CHECK (result IN ('success', 'failure', 'error', 'neutral')),"
	"  url TEXT,"
	"  time TEXT NOT NULL,"
	"  actor TEXT);"
	"INSERT INTO results_new SELECT id, snapshot, job, result, url, time, "
	"actor FROM results;"
	"DROP TABLE results;"
	"ALTER TABLE results_new RENAME TO results;"
	"CREATE INDEX results_by_snapshot ON results(snapshot, job, id);",
};
#define NMIGRATIONS	(sizeof(MIGRATIONS) / sizeof(MIGRATIONS[0]))

void
dp_error_sqlite(struct dp_error *err, sqlite3 *sq, const char *fmt, ...)
{
	char	what[512];
	va_list	ap;
	int	rc;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	rc = sq != NULL ? sqlite3_errcode(sq) : SQLITE_ERROR;
	if (rc == SQLITE_FULL || ((rc == SQLITE_IOERR ||
	    rc == SQLITE_CANTOPEN) && sq != NULL &&
	    (sqlite3_system_errno(sq) == ENOSPC ||
	    sqlite3_system_errno(sq) == EDQUOT))) {
		char full[768];

		snprintf(full, sizeof(full), "%s: %s", what,
		    sqlite3_errmsg(sq));
		dp_error_nospace(err, sqlite3_db_filename(sq, "main"), full);
		return;
	}
	dp_error_set(err, rc == SQLITE_BUSY || rc == SQLITE_LOCKED ?
	    DP_ERR_BUSY : DP_ERR_DB, "%s: %s", what,
	    sq != NULL ? sqlite3_errmsg(sq) : "no database");
}

const char *
db_now(void)
{
	static char	buf[32];
	time_t		now = time(NULL);
	struct tm	tm;

	gmtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

int
db_exec(struct db *db, const char *sql, struct dp_error *err)
{
	char *msg = NULL;

	if (sqlite3_exec(db->sq, sql, NULL, NULL, &msg) != SQLITE_OK) {
		dp_error_sqlite(err, db->sq, "database");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
db_prepare(struct db *db, const char *sql, sqlite3_stmt **st,
    struct dp_error *err)
{
	if (sqlite3_prepare_v2(db->sq, sql, -1, st, NULL) != SQLITE_OK) {
		dp_error_sqlite(err, db->sq, "prepare");
		*st = NULL;
		return -1;
	}
	return 0;
}

int
db_query_int(struct db *db, const char *sql, int64_t *out,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = -1, rc;

	if (db_prepare(db, sql, &st, err) == -1)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		*out = 0;
	else {
		dp_error_sqlite(err, db->sq, "query");
		goto out;
	}
	rv = 0;
out:
	sqlite3_finalize(st);
	return rv;
}

/* A text column, copied (NULL stays NULL). */
char *
db_column_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? xstrdup((const char *)t) : NULL;
}

/* Run st (already bound) to SQLITE_DONE and finalize it. */
int
db_step_done(struct db *db, sqlite3_stmt *st, const char *what,
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
db_begin(struct db *db, struct dp_error *err)
{
	if (db_exec(db, "BEGIN IMMEDIATE", err) == -1)
		return -1;
	db->in_tx = 1;
	return 0;
}

int
db_commit(struct db *db, struct dp_error *err)
{
	if (db_exec(db, "COMMIT", err) == -1) {
		db_rollback(db);
		return -1;
	}
	db->in_tx = 0;
	return 0;
}

void
db_rollback(struct db *db)
{
	if (db == NULL)
		return;
	if (!sqlite3_get_autocommit(db->sq))
		sqlite3_exec(db->sq, "ROLLBACK", NULL, NULL, NULL);
	db->in_tx = 0;
}

static int
db_migrate(struct db *db, struct dp_error *err)
{
	int64_t	version;
	size_t	v;
	char	sql[64];

	/* Up to date (every open but the first): no write lock, so that
	 * a reader never queues behind a writer just to open. */
	if (db_query_int(db, "PRAGMA user_version", &version, err) == -1)
		return -1;
	if (version == (int64_t)NMIGRATIONS)
		return 0;
	if (db_begin(db, err) == -1)
		return -1;
	if (db_query_int(db, "PRAGMA user_version", &version, err) == -1)
		goto fail;
	if (version > (int64_t)NMIGRATIONS) {
		dp_error_set(err, DP_ERR_DB, "database schema version %lld is "
		    "newer than this debpipe understands (%zu): upgrade debpipe",
		    (long long)version, NMIGRATIONS);
		goto fail;
	}
	for (v = (size_t)version; v < NMIGRATIONS; v++) {
		if (db_exec(db, MIGRATIONS[v], err) == -1) {
			dp_error_prefix(err, "migrating schema to version %zu",
			    v + 1);
			goto fail;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", NMIGRATIONS);
	if (db_exec(db, sql, err) == -1 || db_commit(db, err) == -1)
		goto fail;
	return 0;
fail:
	db_rollback(db);
	return -1;
}

static int
db_open_flags(const char *path, int flags, struct db **out,
    struct dp_error *err)
{
	struct db	*db;
	char		*dir, *slash;
	struct stat	 sb;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if (dir[0] != '\0' && stat(dir, &sb) == -1) {
			dp_error_errno(err, "state directory %s", dir);
			dp_error_prefix(err, "cannot open database %s (create "
			    "State-Dir or fix State-Dir: in the configuration)",
			    path);
			free(dir);
			return -1;
		}
	}
	free(dir);

	db = xcalloc(1, sizeof(*db));
	if (sqlite3_open_v2(path, &db->sq, flags, NULL) != SQLITE_OK) {
		dp_error_sqlite(err, db->sq, "cannot open database %s", path);
		sqlite3_close(db->sq);
		free(db);
		return -1;
	}
	sqlite3_busy_timeout(db->sq, 30000);
	sqlite3_extended_result_codes(db->sq, 0);
	if (db_exec(db, "PRAGMA foreign_keys = ON", err) == -1)
		goto fail;
	if (!(flags & SQLITE_OPEN_READONLY)) {
		/* 16 MiB of page cache (the default is 2): publishing reads
		 * every package row once, in name order. */
		if (db_exec(db, "PRAGMA journal_mode = WAL;"
		    "PRAGMA synchronous = NORMAL;"
		    "PRAGMA cache_size = -16384", err) == -1)
			goto fail;
		if (db_migrate(db, err) == -1)
			goto fail;
	}
	*out = db;
	return 0;
fail:
	dp_error_prefix(err, "%s", path);
	sqlite3_close(db->sq);
	free(db);
	return -1;
}

int
db_open(const char *path, struct db **out, struct dp_error *err)
{
	return db_open_flags(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    out, err);
}

int
db_open_ro(const char *path, struct db **out, struct dp_error *err)
{
	if (access(path, F_OK) == -1) {
		dp_error_set(err, DP_ERR_NOTFOUND, "%s: no database yet", path);
		return -1;
	}
	return db_open_flags(path, SQLITE_OPEN_READONLY, out, err);
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	db_rollback(db);
	sqlite3_close_v2(db->sq);
	free(db);
}

sqlite3 *
db_handle(struct db *db)
{
	return db->sq;
}

int
db_request_add(struct db *db, const char *kind, const char *arg,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = -1;

	if (db_prepare(db, "INSERT INTO requests(kind, arg, created) "
	    "VALUES (?, ?, ?)", &st, err) == -1)
		goto out;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, arg, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, db_now(), -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE) {
		dp_error_sqlite(err, db->sq, "queue request %s", kind);
		goto out;
	}
	rv = 0;
out:
	sqlite3_finalize(st);
	return rv;
}

int
db_request_done(struct db *db, int64_t id, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = -1;

	if (db_prepare(db, "UPDATE requests SET done = ? WHERE id = ?", &st,
	    err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, db_now(), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		dp_error_sqlite(err, db->sq, "request %lld", (long long)id);
	else
		rv = 0;
	sqlite3_finalize(st);
	return rv;
}

int
db_request_done_kind(struct db *db, const char *kind, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = -1;

	if (db_prepare(db, "UPDATE requests SET done = ? WHERE kind = ? AND "
	    "done IS NULL", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, db_now(), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		dp_error_sqlite(err, db->sq, "requests %s", kind);
	else
		rv = sqlite3_changes(db->sq);
	sqlite3_finalize(st);
	return rv;
}

int
db_request_answered(struct db *db, int64_t id, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = 0, rc;

	if (db_prepare(db, "SELECT done IS NOT NULL FROM requests WHERE "
	    "id = ?", &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		rv = sqlite3_column_int(st, 0) != 0;
	else if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db->sq, "request %lld", (long long)id);
		rv = -1;
	}
	sqlite3_finalize(st);
	return rv;
}

int
db_request_open(struct db *db, int64_t after, db_request_cb cb, void *arg,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	if (db_prepare(db, "SELECT id, kind, arg FROM requests WHERE "
	    "done IS NULL AND id > ? AND kind IN ('check', 'build') "
	    "ORDER BY id", &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, after);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb(sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2), arg);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db->sq, "requests");
		return -1;
	}
	return 0;
}

int
db_daemon_heartbeat(struct db *db, const char *name, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = -1;
	char		 now[32];

	snprintf(now, sizeof(now), "%s", db_now());
	if (db_prepare(db, "INSERT INTO daemons(name, pid, started, heartbeat)"
	    " VALUES (?1, ?2, ?3, ?3) ON CONFLICT(name) DO UPDATE SET "
	    "heartbeat = ?3, started = CASE WHEN pid = ?2 THEN started "
	    "ELSE ?3 END, pid = ?2", &st, err) == -1)
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)getpid());
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		dp_error_sqlite(err, db->sq, "heartbeat %s", name);
		goto out;
	}
	rv = 0;
out:
	sqlite3_finalize(st);
	return rv;
}

int
db_daemon_get(struct db *db, const char *name, long *pid, long *age,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = 0, rc;

	if (db_prepare(db, "SELECT pid, CAST(strftime('%s','now') - "
	    "strftime('%s', heartbeat) AS INTEGER) FROM daemons WHERE "
	    "name = ?", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*pid = (long)sqlite3_column_int64(st, 0);
		*age = (long)sqlite3_column_int64(st, 1);
		rv = 1;
	} else if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db->sq, "daemon %s", name);
		rv = -1;
	}
	sqlite3_finalize(st);
	return rv;
}

int
db_daemon_foreach(struct db *db, db_daemon_cb cb, void *arg,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	if (db_prepare(db, "SELECT name, pid, started, heartbeat, "
	    "CAST(strftime('%s','now') - strftime('%s', heartbeat) AS INTEGER)"
	    " FROM daemons ORDER BY name", &st, err) == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb((const char *)sqlite3_column_text(st, 0),
		    (long)sqlite3_column_int64(st, 1),
		    (const char *)sqlite3_column_text(st, 2),
		    (const char *)sqlite3_column_text(st, 3),
		    (long)sqlite3_column_int64(st, 4), arg);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db->sq, "daemons");
		return -1;
	}
	return 0;
}
