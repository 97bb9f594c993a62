/*
 * db-watches.c - the watches table (see db-watches.h): the outcome of each
 * watch's polls, and the state an apt watch keeps for conditional
 * requests.  Every statement on the table is here.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "db-stmt.h"
#include "db-watches.h"
#include "error.h"
#include "xmalloc.h"

static int
watch_ensure(struct db *db, const char *watch, struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	if (db_prepare(db, "INSERT OR IGNORE INTO watches(name) VALUES (?)",
	    &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, watch, -1, SQLITE_STATIC);
	return db_step_done(db, st, "watch row", err);
}

int
db_watch_get_inputs(struct db *db, const char *watch, char **inputs,
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
		*inputs = db_column_text(st, 0);
		rv = 0;
	} else if (rc == SQLITE_DONE)
		rv = 0;
	else
		dp_error_sqlite(err, db_handle(db), "watch %s", watch);
	sqlite3_finalize(st);
	return rv;
}

int
db_watch_polled(struct db *db, const char *watch, const char *inputs,
    int changed, const char *error, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	char		 now[32];

	snprintf(now, sizeof(now), "%s", db_now());
	if (watch_ensure(db, watch, err) == -1)
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
	return db_step_done(db, st, "record poll", err);
}

int
db_watch_failing(struct db *db, const char *watch)
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
db_watch_set_error(struct db *db, const char *watch, const char *error,
    struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	if (watch_ensure(db, watch, err) == -1)
		return -1;
	if (db_prepare(db, "UPDATE watches SET last_error = ? WHERE name = ?",
	    &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, error, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, watch, -1, SQLITE_STATIC);
	return db_step_done(db, st, "record watch error", err);
}

long
db_watch_since_poll(struct db *db, const char *watch)
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

int
db_watch_state_get(struct db *db, const char *watch, char **state,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	*state = NULL;
	if (db_prepare(db, "SELECT state FROM watches WHERE name = ?1",
	    &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, watch, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*state = db_column_text(st, 0);
	else if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "read state of watch %s",
		    watch);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

int
db_watch_state_set(struct db *db, const char *watch, const char *state,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	char		 what[300];

	if (db_prepare(db, "INSERT INTO watches (name, state) "
	    "VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET "
	    "state = excluded.state", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, watch, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	snprintf(what, sizeof(what), "save state of watch %s", watch);
	return db_step_done(db, st, what, err);
}

void
db_watch_status_done(struct db_watch_status *s)
{
	free(s->last_poll);
	free(s->last_change);
	free(s->last_inputs);
	free(s->last_error);
	free(s->last_build_state);
	free(s->last_good_version);
	memset(s, 0, sizeof(*s));
}

int
db_watch_status(struct db *db, const char *watch, struct db_watch_status *s,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	memset(s, 0, sizeof(*s));
	if (db_prepare(db, "SELECT last_poll, last_change, "
	    "last_inputs, last_error, (SELECT id FROM builds WHERE "
	    "watch = ?1 ORDER BY id DESC LIMIT 1), (SELECT state FROM "
	    "builds WHERE watch = ?1 ORDER BY id DESC LIMIT 1), "
	    "(SELECT version FROM builds WHERE watch = ?1 AND "
	    "state = 'success' ORDER BY id DESC LIMIT 1) "
	    "FROM (SELECT 1) LEFT JOIN watches"
	    " ON name = ?1", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, watch, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s->found = 1;
		s->last_poll = db_column_text(st, 0);
		s->last_change = db_column_text(st, 1);
		s->last_inputs = db_column_text(st, 2);
		s->last_error = db_column_text(st, 3);
		s->last_build = sqlite3_column_int64(st, 4);
		s->last_build_state = db_column_text(st, 5);
		s->last_good_version = db_column_text(st, 6);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : 1;
}

int
db_watch_check_status(struct db *db, const char *watch,
    struct db_watch_status *s, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	memset(s, 0, sizeof(*s));
	if (db_prepare(db, "SELECT last_poll, last_inputs, last_error, "
	    "(SELECT id FROM builds WHERE watch = ?1 AND state IN "
	    "('queued', 'running') ORDER BY id LIMIT 1) FROM watches WHERE "
	    "name = ?1", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, watch, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s->found = 1;
		s->last_poll = db_column_text(st, 0);
		s->last_inputs = db_column_text(st, 1);
		s->last_error = db_column_text(st, 2);
		s->pending_build = sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : 1;
}

/* -- what the promoter's API and `debpipe status` read ------------- */

static const char sql_watch_row[] =
    "SELECT last_poll, last_change, last_error, state FROM watches "
    "WHERE name = ?";
static const char sql_watch_check_requested[] =
    "SELECT count(*) FROM requests WHERE kind = 'check' AND arg = ? AND "
    "done IS NULL";

int
db_watch_row_get(struct db *db, const char *watch, struct db_watch_row *w,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, rv = -1;

	memset(w, 0, sizeof(*w));
	if (db_stmt_get(db, sql_watch_row, &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, watch, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		w->found = 1;
		w->last_poll = db_column_text(st, 0);
		w->last_change = db_column_text(st, 1);
		w->last_error = db_column_text(st, 2);
		w->state = db_column_text(st, 3);
		rv = 0;
	} else if (rc == SQLITE_DONE)
		rv = 0;
	else
		dp_error_sqlite(err, db_handle(db), "watch %s", watch);
	db_stmt_put(st);
	return rv;
}

void
db_watch_row_done(struct db_watch_row *w)
{
	free(w->last_poll);
	free(w->last_change);
	free(w->last_error);
	free(w->state);
	memset(w, 0, sizeof(*w));
}

int
db_watch_check_requested(struct db *db, const char *watch,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = -1;

	if (db_stmt_get(db, sql_watch_check_requested, &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, watch, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		rv = sqlite3_column_int(st, 0) > 0;
	else
		dp_error_sqlite(err, db_handle(db), "requests of %s", watch);
	db_stmt_put(st);
	return rv;
}
