/*
 * db.h - the state database (sqlite3).
 *
 * One file, State-Dir/state.db, shared by the three daemons and the CLI:
 * WAL journal, a busy timeout, foreign keys on.  db_open() creates the
 * schema or migrates it forward (PRAGMA user_version); every multi-step
 * change runs between db_begin() and db_commit() (BEGIN IMMEDIATE, so
 * writers queue on the busy timeout instead of failing half-way).
 *
 * Schema (version 1) -- see SCHEMA in db.c for the authoritative text:
 *   files(id, path UNIQUE, size, md5, sha1, sha256, added)
 *       every file in the pool; path is relative to the pool root
 *       ("main/h/hello/hello_1.0_amd64.deb").
 *   packages(id, dist, component, name, version, arch, source,
 *       source_version, file_id -> files, control, contents, origin, added)
 *       binary packages; control is the control paragraph ready for a
 *       Packages index (no Filename/Size/checksums; those come from
 *       files), contents the file list (NULL unless read), origin who
 *       added it ("add", "build:<watch>", "apt:<watch>").
 *       UNIQUE(dist, component, name, version, arch).
 *   sources(id, dist, component, name, version, directory, control,
 *       dsc_file_id -> files, origin, added), source_files(source_id,
 *       file_id): source packages and the files they list.
 *   snapshots(id, created, packages BLOB, sources BLOB, digest, state)
 *       id "YYYYMMDDTHHMMSSZ"; packages/sources are the sorted member ids
 *       as little-endian int64; digest identifies the package set;
 *       state 'published' or 'deleted'.
 *   environments(name, snapshot, since); env_history(id, env, from_snapshot,
 *       to_snapshot, time, actor, reason, kind) -- the audit log.
 *   results(id, snapshot, job, result, url, time, actor): result
 *       'success', 'failure' or 'error' (version 3), or 'neutral'
 *       (version 7: a built-in check with nothing to check).
 *   checks(snapshot, job, state, attempts, next_try, pid, started,
 *       finished, result, message): the built-in checks queue (check.h).
 *   watches(name, last_poll, last_change, last_inputs, last_error, state).
 *   builds(id, watch, state, inputs, version, queued, started, finished,
 *       message, log_path, pid, attempts).
 *   notifications(id, env, url, payload, attempts, next_try, state,
 *       last_error, created).
 *   requests(id, kind, arg, created, done): CLI -> daemon requests
 *       ("snapshot", "check", "build").
 *   daemons(name, pid, started, heartbeat).
 *   remote_objects(target, key, size, sha256, etag, uploaded): what each
 *       Publish-To: target holds (key relative to its prefix);
 *       remote_dists(target, name, snapshot, time): the suite path
 *       dists/<dist>/<name> of a target is complete for that snapshot;
 *       remote_targets(target, url, last_attempt, last_success,
 *       last_error, pending, uploaded) (remote-publish.c).
 */
#ifndef DEBPIPE_DB_H
#define DEBPIPE_DB_H

#include <sqlite3.h>
#include <stdint.h>

#include "error.h"

#define DB_SCHEMA_VERSION	7

struct db;

/* Open (creating the file and schema when missing).  *out set on success. */
int	 db_open(const char *path, struct db **out, struct dp_error *err);
/* Open an existing database read-only; DP_ERR_NOTFOUND if it is missing. */
int	 db_open_ro(const char *path, struct db **out, struct dp_error *err);
void	 db_close(struct db *db);			/* NULL is a no-op */
sqlite3	*db_handle(struct db *db);

int	 db_begin(struct db *db, struct dp_error *err);	/* BEGIN IMMEDIATE */
int	 db_commit(struct db *db, struct dp_error *err);
void	 db_rollback(struct db *db);			/* safe if none open */

/* Run SQL with no results (may hold several statements). */
int	 db_exec(struct db *db, const char *sql, struct dp_error *err);
/* Prepare, or fill err. */
int	 db_prepare(struct db *db, const char *sql, sqlite3_stmt **st,
	    struct dp_error *err);
/* Single integer from a query with no parameters ("SELECT count(*) ..."). */
int	 db_query_int(struct db *db, const char *sql, int64_t *out,
	    struct dp_error *err);

/* A text column of the current row, copied (caller frees; NULL when the
 * value is NULL). */
char	*db_column_text(sqlite3_stmt *st, int i);
/* Run st (prepared and bound) to SQLITE_DONE and finalize it; -1 with
 * err ("what: sqlite message") when it does not get there. */
int	 db_step_done(struct db *db, sqlite3_stmt *st, const char *what,
	    struct dp_error *err);

/* Current UTC time as RFC 3339 "2026-11-22T01:30:00Z" (static buffer). */
const char *db_now(void);

/* Request queue between the CLI and the daemons (requests table). */
int	 db_request_add(struct db *db, const char *kind, const char *arg,
	    struct dp_error *err);
/* Mark request id answered.  0 or -1. */
int	 db_request_done(struct db *db, int64_t id, struct dp_error *err);
/* Mark every open request of kind answered: how many, or -1. */
int	 db_request_done_kind(struct db *db, const char *kind,
	    struct dp_error *err);
/* Has request id been answered: 1, 0 (not yet, or no such request), -1. */
int	 db_request_answered(struct db *db, int64_t id, struct dp_error *err);
/* Call cb for each open request of kind "check" or "build" with an id
 * above after, in order.  0 or -1. */
typedef void (*db_request_cb)(int64_t id, const char *kind, const char *arg,
	    void *arg2);
int	 db_request_open(struct db *db, int64_t after, db_request_cb cb,
	    void *arg, struct dp_error *err);

/* Record this daemon's pid and heartbeat (daemons table). */
int	 db_daemon_heartbeat(struct db *db, const char *name,
	    struct dp_error *err);
/* The pid of daemon name and the age of its heartbeat in seconds: 1,
 * 0 (never ran), -1. */
int	 db_daemon_get(struct db *db, const char *name, long *pid, long *age,
	    struct dp_error *err);
/* Call cb for each daemon, by name (heartbeat age in seconds). */
typedef void (*db_daemon_cb)(const char *name, long pid, const char *started,
	    const char *heartbeat, long age, void *arg);
int	 db_daemon_foreach(struct db *db, db_daemon_cb cb, void *arg,
	    struct dp_error *err);

/* The sqlite adapter: DP_ERR_DB (DP_ERR_BUSY when locked) with
 * "what: sqlite message". */
void	 dp_error_sqlite(struct dp_error *err, sqlite3 *sq, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));

#endif
