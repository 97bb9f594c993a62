/*
 * db-audit.c - the audit log, env_history (see db-audit.h).
 */
#include "autoconfig.h"

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "db.h"
#include "db-audit.h"
#include "db-stmt.h"
#include "error.h"

#define COL(s, i)	((const char *)sqlite3_column_text((s), (i)))
#define XSTR(x)		#x
#define STR(x)		XSTR(x)

static const char sql_audit_add[] =
    "INSERT INTO env_history(env, from_snapshot, to_snapshot, time, actor, "
    "reason, kind) VALUES (?, ?, ?, ?, ?, ?, ?)";
#define SQL_AUDIT_COLS \
    "SELECT id, env, from_snapshot, to_snapshot, time, actor, reason, kind " \
    "FROM env_history "
static const char sql_audit_env[] =
    "SELECT * FROM (" SQL_AUDIT_COLS "WHERE env = ?1 ORDER BY id DESC "
    "LIMIT " STR(DB_AUDIT_HISTORY) ") ORDER BY id";
static const char sql_audit_snapshot[] =
    "SELECT * FROM (" SQL_AUDIT_COLS "WHERE to_snapshot = ?1 OR "
    "from_snapshot = ?1 ORDER BY id DESC LIMIT " STR(DB_AUDIT_HISTORY) ") "
    "ORDER BY id";
static const char sql_audit_page[] =
    SQL_AUDIT_COLS "WHERE id < ? ORDER BY id DESC LIMIT ?";
static const char sql_audit_count[] =
    "SELECT count(*) FROM env_history WHERE env = ?";

int
db_audit_add(struct db *db, const struct db_move *m, struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rv = -1;

	if (db_stmt_get(db, sql_audit_add, &s, err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, m->env, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, m->from, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, m->to, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, m->time, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, m->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, m->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, m->kind, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "record history of %s",
		    m->env);
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

/* Every row of s (bound) to cb. */
static int
db_audit_rows(struct db *db, sqlite3_stmt *s,
    void (*cb)(void *arg, const struct db_move *m), void *arg,
    struct dp_error *err)
{
	struct db_move	m;
	int		rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		m.id = sqlite3_column_int64(s, 0);
		m.env = COL(s, 1);
		m.from = COL(s, 2);
		m.to = COL(s, 3);
		m.time = COL(s, 4);
		m.actor = COL(s, 5);
		m.reason = COL(s, 6);
		m.kind = COL(s, 7);
		cb(arg, &m);
	}
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "audit log");
		return -1;
	}
	return 0;
}

static int
db_audit_of(struct db *db, const char *sql, const char *val,
    void (*cb)(void *arg, const struct db_move *m), void *arg,
    struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rv = -1;

	if (db_stmt_get(db, sql, &s, err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, val, -1, SQLITE_STATIC);
	rv = db_audit_rows(db, s, cb, arg, err);
out:
	db_stmt_put(s);
	return rv;
}

int
db_audit_env(struct db *db, const char *env,
    void (*cb)(void *arg, const struct db_move *m), void *arg,
    struct dp_error *err)
{
	return db_audit_of(db, sql_audit_env, env, cb, arg, err);
}

int
db_audit_snapshot(struct db *db, const char *id,
    void (*cb)(void *arg, const struct db_move *m), void *arg,
    struct dp_error *err)
{
	return db_audit_of(db, sql_audit_snapshot, id, cb, arg, err);
}

int
db_audit_page(struct db *db, long long before, long limit,
    void (*cb)(void *arg, const struct db_move *m), void *arg,
    struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rv = -1;

	if (db_stmt_get(db, sql_audit_page, &s, err) == -1)
		goto out;
	sqlite3_bind_int64(s, 1, before > 0 ? before : INT64_MAX);
	sqlite3_bind_int64(s, 2, limit);
	rv = db_audit_rows(db, s, cb, arg, err);
out:
	db_stmt_put(s);
	return rv;
}

int
db_audit_count(struct db *db, const char *env, int64_t *n,
    struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rv = -1;

	*n = 0;
	if (db_stmt_get(db, sql_audit_count, &s, err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, env, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW) {
		dp_error_sqlite(err, db_handle(db), "moves of %s", env);
		goto out;
	}
	*n = sqlite3_column_int64(s, 0);
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}
