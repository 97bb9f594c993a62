/*
 * db-results.c - the results and notifications tables (see
 * db-results.h).
 */
#include "autoconfig.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "db-results.h"
#include "db-stmt.h"
#include "error.h"
#include "xmalloc.h"

#define COL(s, i)	((const char *)sqlite3_column_text((s), (i)))

static const char sql_result_add[] =
    "INSERT INTO results(snapshot, job, result, url, time, actor) "
    "VALUES (?, ?, ?, ?, ?, ?)";
/*
 * Latest result per job of a snapshot, by job name: a skip-scan over
 * results_by_snapshot(snapshot, job, id).
 */
static const char sql_results_latest[] =
    "WITH RECURSIVE j(job) AS ("
    "  SELECT (SELECT min(job) FROM results WHERE snapshot = ?1) "
    "  UNION ALL "
    "  SELECT (SELECT min(job) FROM results WHERE snapshot = ?1 "
    "    AND job > j.job) FROM j WHERE j.job IS NOT NULL) "
    "SELECT r.job, r.result, r.url, r.time, r.actor FROM j "
    "JOIN results r ON r.id = (SELECT max(id) FROM results "
    "  WHERE snapshot = ?1 AND job = j.job) "
    "WHERE j.job IS NOT NULL ORDER BY r.job";
static const char sql_results_all[] =
    "SELECT job, result, url, time, actor FROM results "
    "WHERE snapshot = ?1 ORDER BY id";
static const char sql_result_latest[] =
    "SELECT job, result, url, time, actor FROM results WHERE snapshot = ? "
    "AND job = ? ORDER BY id DESC LIMIT 1";
static const char sql_results_maxid[] =
    "SELECT coalesce(max(id), 0) FROM results";
/* A range of ids: walk the table by rowid, not an index, unless the
 * range starts at 0 and one snapshot is wanted. */
static const char sql_results_count_snapshot[] =
    "SELECT result, count(*) FROM results WHERE snapshot = ?3 AND "
    "id > ?1 AND id <= ?2 GROUP BY result";
static const char sql_results_count_range[] =
    "SELECT result, count(*) FROM results WHERE id > ?1 AND "
    "id <= ?2 AND (?3 IS NULL OR +snapshot = ?3) GROUP BY result";

static const char sql_notify_add[] =
    "INSERT INTO notifications(env, url, payload, next_try, created) "
    "VALUES (?, ?, ?, ?, ?)";
static const char sql_notify_due[] =
    "SELECT id, url, payload, attempts FROM notifications "
    "WHERE state = 'pending' AND next_try <= ? ORDER BY id LIMIT ?";
static const char sql_notify_update[] =
    "UPDATE notifications SET attempts = ?, state = ?, next_try = ?, "
    "last_error = ? WHERE id = ?";
static const char sql_notify_list[] =
    "SELECT id, env, url, state, attempts, next_try, last_error, created "
    "FROM notifications ORDER BY id DESC LIMIT ?";
static const char sql_notify_failing[] =
    "SELECT id, env, url, state, attempts, next_try, last_error, created "
    "FROM notifications WHERE last_error IS NOT NULL AND state != 'sent' "
    "ORDER BY id DESC LIMIT ?";

int
db_result_add(struct db *db, const char *id, const char *job,
    const char *result, const char *url, const char *time,
    const char *actor, struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rv = -1;

	if (db_stmt_get(db, sql_result_add, &s, err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, job, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, result, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, url, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, time, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, actor, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "record result %s=%s of "
		    "%s", job, result, id);
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

int
db_results_of(struct db *db, const char *id, int all,
    void (*cb)(void *arg, const struct db_result *r), void *arg,
    struct dp_error *err)
{
	sqlite3_stmt		*s = NULL;
	struct db_result	 r;
	int			 rc, rv = -1;

	if (db_stmt_get(db, all ? sql_results_all : sql_results_latest, &s,
	    err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r.job = COL(s, 0);
		r.result = COL(s, 1);
		r.url = COL(s, 2);
		r.time = COL(s, 3);
		r.actor = COL(s, 4);
		cb(arg, &r);
	}
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "results of %s", id);
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

int
db_result_find(struct db *db, const char *id, const char *job,
    void (*cb)(void *arg, const struct db_result *r), void *arg,
    struct dp_error *err)
{
	sqlite3_stmt		*s = NULL;
	struct db_result	 r;
	int			 rc, rv = -1;

	if (db_stmt_get(db, sql_result_latest, &s, err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, job, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		r.job = COL(s, 0);
		r.result = COL(s, 1);
		r.url = COL(s, 2);
		r.time = COL(s, 3);
		r.actor = COL(s, 4);
		cb(arg, &r);
		rv = 1;
	} else if (rc == SQLITE_DONE)
		rv = 0;
	else
		dp_error_sqlite(err, db_handle(db), "results of %s", id);
out:
	db_stmt_put(s);
	return rv;
}

static void
db_result_copy_cb(void *arg, const struct db_result *r)
{
	char	**out = arg;

	*out = xstrdup(r->result);
}

int
db_result_latest(struct db *db, const char *id, const char *job,
    char **result, struct dp_error *err)
{
	*result = NULL;
	return db_result_find(db, id, job, db_result_copy_cb, result,
	    err) == -1 ? -1 : 0;
}

int
db_results_maxid(struct db *db, int64_t *maxid, struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rv = -1;

	if (db_stmt_get(db, sql_results_maxid, &s, err) == -1)
		goto out;
	if (sqlite3_step(s) != SQLITE_ROW) {
		dp_error_sqlite(err, db_handle(db), "%s", sql_results_maxid);
		goto out;
	}
	*maxid = sqlite3_column_int64(s, 0);
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

int
db_results_count(struct db *db, const char *id, int64_t lo, int64_t hi,
    int64_t n[3], struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	const char	*res;
	int		 rc, rv = -1;

	n[0] = n[1] = n[2] = 0;
	if (lo >= hi)
		return 0;
	if (db_stmt_get(db, id != NULL && lo == 0 ?
	    sql_results_count_snapshot : sql_results_count_range, &s,
	    err) == -1)
		goto out;
	sqlite3_bind_int64(s, 1, lo);
	sqlite3_bind_int64(s, 2, hi);
	sqlite3_bind_text(s, 3, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		res = COL(s, 0);
		if (res != NULL && strcmp(res, "success") == 0)
			n[0] += sqlite3_column_int64(s, 1);
		else if (res != NULL && strcmp(res, "neutral") == 0)
			n[2] += sqlite3_column_int64(s, 1);
		else
			n[1] += sqlite3_column_int64(s, 1);
	}
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "count results");
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

int
db_notify_add(struct db *db, const char *env, const char *url,
    const char *payload, const char *created, struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rv = -1;

	if (db_stmt_get(db, sql_notify_add, &s, err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, env, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, url, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, payload, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, created, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, created, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "queue notification for "
		    "%s", env);
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

int
db_notify_due(struct db *db, const char *now, long max,
    void (*cb)(void *arg, const struct db_notification *n), void *arg,
    struct dp_error *err)
{
	sqlite3_stmt		*s = NULL;
	struct db_notification	 n;
	int			 rc, rv = -1;

	if (db_stmt_get(db, sql_notify_due, &s, err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, max);
	memset(&n, 0, sizeof(n));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		n.id = sqlite3_column_int64(s, 0);
		n.url = COL(s, 1);
		n.payload = COL(s, 2);
		n.attempts = sqlite3_column_int(s, 3);
		n.state = "pending";
		cb(arg, &n);
	}
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "due notifications");
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

int
db_notify_update(struct db *db, int64_t id, int attempts, const char *state,
    const char *next_try, const char *last_error, struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rv = -1;

	if (db_stmt_get(db, sql_notify_update, &s, err) == -1)
		goto out;
	sqlite3_bind_int(s, 1, attempts);
	sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, next_try, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, last_error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, id);
	if (sqlite3_step(s) != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "update notification");
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

int
db_notify_list(struct db *db, int failing, long limit,
    void (*cb)(void *arg, const struct db_notification *n), void *arg,
    struct dp_error *err)
{
	sqlite3_stmt		*s = NULL;
	struct db_notification	 n;
	int			 rc, rv = -1;

	if (db_stmt_get(db, failing ? sql_notify_failing : sql_notify_list,
	    &s, err) == -1)
		goto out;
	sqlite3_bind_int64(s, 1, limit);
	memset(&n, 0, sizeof(n));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		n.id = sqlite3_column_int64(s, 0);
		n.env = COL(s, 1);
		n.url = COL(s, 2);
		n.state = COL(s, 3);
		n.attempts = sqlite3_column_int(s, 4);
		n.next_try = COL(s, 5);
		n.last_error = COL(s, 6);
		n.created = COL(s, 7);
		cb(arg, &n);
	}
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "list notifications");
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

/* -- the checks queue ---------------------------------------------- */

/* Newer than the newest queued; the newest alone when the job was never
 * queued (no backlog of old snapshots). */
static const char sql_check_enqueue[] =
    "INSERT OR IGNORE INTO checks(snapshot, job, next_try) SELECT id, ?1, "
    "?2 FROM snapshots WHERE state = 'published' AND ("
    " (SELECT max(snapshot) FROM checks WHERE job = ?1) IS NULL"
    "  AND id = (SELECT max(id) FROM snapshots WHERE state = 'published')"
    " OR id > (SELECT max(snapshot) FROM checks WHERE job = ?1))";
static const char sql_check_requeue[] =
    "INSERT INTO checks(snapshot, job, next_try) VALUES (?1, ?2, ?3) "
    "ON CONFLICT(snapshot, job) DO UPDATE SET state = 'pending', "
    "next_try = ?3 WHERE state <> 'running'";
static const char sql_check_running[] =
    "INSERT INTO checks(snapshot, job, next_try, state, attempts, pid, "
    "started) VALUES (?1, ?2, ?3, 'running', 1, ?4, ?3) "
    "ON CONFLICT(snapshot, job) DO UPDATE SET state = 'running', "
    "attempts = attempts + 1, pid = ?4, started = ?3";
static const char sql_check_finish[] =
    "UPDATE checks SET state = ?3, next_try = ?4, finished = ?5, "
    "result = ?6, message = ?7, pid = NULL WHERE snapshot = ?1 AND "
    "job = ?2";
static const char sql_check_is_running[] =
    "SELECT count(*) FROM checks WHERE snapshot = ? AND job = ? AND "
    "state = 'running'";
static const char sql_check_each_running[] =
    "SELECT snapshot, job FROM checks WHERE state = 'running'";
static const char sql_check_reclaim[] =
    "UPDATE checks SET state = 'pending', next_try = ?3, pid = NULL "
    "WHERE snapshot = ?1 AND job = ?2 AND state = 'running'";
static const char sql_check_next[] =
    "SELECT snapshot, job FROM checks WHERE state = 'pending' AND "
    "next_try <= ? ORDER BY snapshot, job LIMIT 1";
static const char sql_check_started[] =
    "UPDATE checks SET state = 'running', pid = ? WHERE snapshot = ? AND "
    "job = ?";
static const char sql_check_drop[] =
    "DELETE FROM checks WHERE snapshot = ? AND job = ? AND "
    "state = 'pending'";
static const char sql_check_gc[] =
    "DELETE FROM checks WHERE state <> 'running' AND snapshot NOT IN "
    "(SELECT id FROM snapshots WHERE state = 'published')";
static const char sql_check_list[] =
    "SELECT snapshot, job, state, attempts, coalesce(result, ''), "
    "coalesce(message, ''), coalesce(finished, ''), next_try FROM checks "
    "WHERE ?1 IS NULL OR snapshot = ?1 ORDER BY snapshot DESC, job";
static const char sql_check_counts[] =
    "SELECT job, state, count(*) FROM checks GROUP BY job, state "
    "ORDER BY job, state";
static const char sql_results_by_job[] =
    "SELECT job, result, count(*) FROM results WHERE actor = ? "
    "GROUP BY job, result ORDER BY job, result";

/* Run sql to its end with the text bindings a1 a2 a3 (copied: they may
 * point into the row of another statement); NULL ones are not bound. */
static int
db_check_exec(struct db *db, const char *sql, const char *a1,
    const char *a2, const char *a3, struct dp_error *err, const char *what)
{
	sqlite3_stmt	*s = NULL;
	int		 rv = -1;

	if (db_stmt_get(db, sql, &s, err) == -1)
		goto out;
	if (a1 != NULL)
		sqlite3_bind_text(s, 1, a1, -1, SQLITE_TRANSIENT);
	if (a2 != NULL)
		sqlite3_bind_text(s, 2, a2, -1, SQLITE_TRANSIENT);
	if (a3 != NULL)
		sqlite3_bind_text(s, 3, a3, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "%s", what);
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

int
db_check_enqueue(struct db *db, const char *job, const char *now,
    struct dp_error *err)
{
	return db_check_exec(db, sql_check_enqueue, job, now, NULL, err,
	    "queue checks");
}

int
db_check_requeue(struct db *db, const char *id, const char *job,
    const char *now, struct dp_error *err)
{
	return db_check_exec(db, sql_check_requeue, id, job, now, err,
	    "queue check");
}

int
db_check_reclaim(struct db *db, const char *id, const char *job,
    const char *now, struct dp_error *err)
{
	return db_check_exec(db, sql_check_reclaim, id, job, now, err,
	    "queue check again");
}

int
db_check_drop(struct db *db, const char *id, const char *job,
    struct dp_error *err)
{
	return db_check_exec(db, sql_check_drop, id, job, NULL, err,
	    "drop check");
}

int
db_check_gc(struct db *db, struct dp_error *err)
{
	return db_check_exec(db, sql_check_gc, NULL, NULL, NULL, err,
	    "drop checks of deleted snapshots");
}

int
db_check_running(struct db *db, const char *id, const char *job,
    const char *now, long long pid, struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rv = -1;

	if (db_stmt_get(db, sql_check_running, &s, err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, job, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)pid);
	if (sqlite3_step(s) != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "mark check running");
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

int
db_check_started(struct db *db, const char *id, const char *job,
    long long pid, struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rv = -1;

	if (db_stmt_get(db, sql_check_started, &s, err) == -1)
		goto out;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)pid);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, job, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "mark check started");
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

int
db_check_finish(struct db *db, const char *id, const char *job,
    const char *state, const char *next_try, const char *finished,
    const char *result, const char *message, struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rv = -1;

	if (db_stmt_get(db, sql_check_finish, &s, err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, job, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, next_try, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, finished, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, result, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, message, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "finish check");
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

int
db_check_is_running(struct db *db, const char *id, const char *job,
    int *running, struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rv = -1;

	*running = 0;
	if (db_stmt_get(db, sql_check_is_running, &s, err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, job, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW) {
		dp_error_sqlite(err, db_handle(db), "check %s of %s", job, id);
		goto out;
	}
	*running = sqlite3_column_int(s, 0) != 0;
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

int
db_check_each_running(struct db *db,
    void (*cb)(void *arg, const char *id, const char *job), void *arg,
    struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rc, rv = -1;

	if (db_stmt_get(db, sql_check_each_running, &s, err) == -1)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cb(arg, COL(s, 0), COL(s, 1));
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "running checks");
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

int
db_check_next(struct db *db, const char *now, char **id, char **job,
    struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rc, rv = -1;

	*id = *job = NULL;
	if (db_stmt_get(db, sql_check_next, &s, err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = xstrdup(COL(s, 0));
		*job = xstrdup(COL(s, 1));
	} else if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "next check");
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

int
db_check_list(struct db *db, const char *id,
    void (*cb)(void *arg, const struct db_check *c), void *arg,
    struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	struct db_check	 c;
	int		 rc, rv = -1;

	if (db_stmt_get(db, sql_check_list, &s, err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		c.snapshot = COL(s, 0);
		c.job = COL(s, 1);
		c.state = COL(s, 2);
		c.attempts = sqlite3_column_int(s, 3);
		c.result = COL(s, 4);
		c.message = COL(s, 5);
		c.finished = COL(s, 6);
		c.next_try = COL(s, 7);
		cb(arg, &c);
	}
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "list checks");
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

/* cb(arg, text, text, n) for each row of a three-column sql (?1 a1). */
static int
db_results_groups(struct db *db, const char *sql, const char *a1,
    void (*cb)(void *arg, const char *a, const char *b, int64_t n),
    void *arg, struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	int		 rc, rv = -1;

	if (db_stmt_get(db, sql, &s, err) == -1)
		goto out;
	if (a1 != NULL)
		sqlite3_bind_text(s, 1, a1, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cb(arg, COL(s, 0), COL(s, 1), sqlite3_column_int64(s, 2));
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "count checks");
		goto out;
	}
	rv = 0;
out:
	db_stmt_put(s);
	return rv;
}

int
db_check_counts(struct db *db,
    void (*cb)(void *arg, const char *job, const char *state, int64_t n),
    void *arg, struct dp_error *err)
{
	return db_results_groups(db, sql_check_counts, NULL, cb, arg, err);
}

int
db_results_by_job(struct db *db, const char *actor,
    void (*cb)(void *arg, const char *job, const char *result, int64_t n),
    void *arg, struct dp_error *err)
{
	return db_results_groups(db, sql_results_by_job, actor, cb, arg,
	    err);
}
