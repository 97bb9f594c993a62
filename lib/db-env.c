/*
 * db-env.c - the environments table and the promotion rules' queries of
 * the audit log (see db-env.h).
 */
#include "autoconfig.h"

#include <stddef.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "db.h"
#include "db-env.h"
#include "db-stmt.h"
#include "error.h"
#include "xmalloc.h"

#define COL(s, i)	((const char *)sqlite3_column_text((s), (i)))

static const char sql_env_get[] =
    "SELECT snapshot, since FROM environments WHERE name = ?";
static const char sql_env_set[] =
    "INSERT INTO environments(name, snapshot, since) VALUES (?1, ?2, ?3) "
    "ON CONFLICT(name) DO UPDATE SET snapshot = ?2, since = ?3";
static const char sql_env_each[] =
    "SELECT name, snapshot FROM environments WHERE snapshot IS NOT NULL "
    "ORDER BY name";
static const char sql_env_on[] =
    "SELECT name FROM environments WHERE snapshot = ? ORDER BY name";
/* Each max() one index lookup (env_history_by_env_to, _from). */
static const char sql_env_high_water[] =
    "SELECT max(s) FROM ("
    "SELECT max(to_snapshot) AS s FROM env_history WHERE env = ?1 "
    "UNION ALL SELECT max(from_snapshot) FROM env_history WHERE env = ?1 "
    "UNION ALL SELECT snapshot FROM environments WHERE name = ?1)";
static const char sql_env_rollback_target[] =
    "SELECT h.to_snapshot FROM env_history h "
    "JOIN snapshots s ON s.id = h.to_snapshot AND s.state = 'published' "
    "WHERE h.env = ?1 AND h.to_snapshot < "
    "(SELECT snapshot FROM environments WHERE name = ?1) "
    "ORDER BY h.id DESC LIMIT 1";
/* Snapshots of env F that E may take, newest first, with the time each
 * first entered F.  ?1 = F, ?2 = high water mark of E (or NULL). */
static const char sql_env_candidates[] =
    "SELECT h.to_snapshot, min(h.time) FROM env_history h "
    "JOIN snapshots s ON s.id = h.to_snapshot AND s.state = 'published' "
    "WHERE h.env = ?1 AND h.to_snapshot > coalesce(?2, '') "
    "AND (h.to_snapshot IS (SELECT snapshot FROM environments "
    "     WHERE name = ?1) "
    "  OR NOT EXISTS (SELECT 1 FROM env_history r WHERE r.env = ?1 "
    "     AND r.from_snapshot = h.to_snapshot "
    "     AND r.to_snapshot < r.from_snapshot)) "
    "GROUP BY h.to_snapshot ORDER BY h.to_snapshot DESC";
/* When S (?2) entered F (?1), NULL if it never did (or was rejected). */
static const char sql_env_entered[] =
    "SELECT min(h.time) FROM env_history h WHERE h.env = ?1 "
    "AND h.to_snapshot = ?2 "
    "AND (?2 IS (SELECT snapshot FROM environments WHERE name = ?1) "
    "  OR NOT EXISTS (SELECT 1 FROM env_history r WHERE r.env = ?1 "
    "     AND r.from_snapshot = ?2 AND r.to_snapshot < r.from_snapshot))";
static const char sql_env_first_on[] =
    "SELECT time FROM env_history WHERE env = ? AND to_snapshot = ? "
    "ORDER BY id LIMIT 1";

int
db_env_get(struct db *db, const char *env, char **snapshot, char **since,
    struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rc, rv = -1;

	*snapshot = *since = NULL;
	if (db_stmt_get(db, sql_env_get, &s, err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, env, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*snapshot = xstrdup(COL(s, 0));
		*since = xstrdup(COL(s, 1));
	} else if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "environment %s", env);
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

int
db_env_set(struct db *db, const char *env, const char *snapshot,
    const char *since, struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rv = -1;

	if (db_stmt_get(db, sql_env_set, &s, err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, env, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, snapshot, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, since, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "update environment %s",
		    env);
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

int
db_env_each(struct db *db,
    int (*cb)(void *arg, const char *name, const char *snapshot), void *arg,
    struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rc, rv = -1;

	if (db_stmt_get(db, sql_env_each, &s, err) == -1)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (cb(arg, COL(s, 0), COL(s, 1)) == -1)
			goto out;
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "list environments");
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

int
db_env_on(struct db *db, const char *id,
    void (*cb)(void *arg, const char *name), void *arg, struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rc, rv = -1;

	if (db_stmt_get(db, sql_env_on, &s, err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cb(arg, COL(s, 0));
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "environments on %s", id);
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

/* One text value of sql (one or two text parameters); NULL if none. */
static int
db_env_text(struct db *db, const char *sql, const char *a1, const char *a2,
    char **out, struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rc, rv = -1;

	*out = NULL;
	if (db_stmt_get(db, sql, &s, err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, a1, -1, SQLITE_STATIC);
	if (a2 != NULL)
		sqlite3_bind_text(s, 2, a2, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) != SQLITE_NULL)
			*out = xstrdup(COL(s, 0));
	} else if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "history of %s", a1);
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

int
db_env_high_water(struct db *db, const char *env, char **out,
    struct dp_error *err)
{
	return db_env_text(db, sql_env_high_water, env, NULL, out, err);
}

int
db_env_rollback_target(struct db *db, const char *env, char **out,
    struct dp_error *err)
{
	return db_env_text(db, sql_env_rollback_target, env, NULL, out, err);
}

int
db_env_entered(struct db *db, const char *env, const char *id, char **time,
    struct dp_error *err)
{
	return db_env_text(db, sql_env_entered, env, id, time, err);
}

int
db_env_first_on(struct db *db, const char *env, const char *id,
    char **time, struct dp_error *err)
{
	return db_env_text(db, sql_env_first_on, env, id, time, err);
}

int
db_env_candidates(struct db *db, const char *env, const char *after,
    int (*cb)(void *arg, const char *id, const char *entered), void *arg,
    struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rc, r, rv = -1;

	if (db_stmt_get(db, sql_env_candidates, &s, err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, env, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, after, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((r = cb(arg, COL(s, 0), COL(s, 1))) == -1)
			goto out;
		if (r > 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "candidates from %s", env);
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}
