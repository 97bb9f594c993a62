/*
 * db-hooks.c - the hook_deliveries table (db-hooks.h).
 */
#include "autoconfig.h"

#include <sqlite3.h>
#include <time.h>

#include "db-hooks.h"
#include "db-stmt.h"

int
db_hook_init(struct db *db, struct dp_error *err)
{
	return db_exec(db, "CREATE TABLE IF NOT EXISTS hook_deliveries ("
	    "  forge TEXT NOT NULL,"
	    "  id TEXT NOT NULL,"
	    "  time TEXT NOT NULL,"
	    "  PRIMARY KEY(forge, id)) WITHOUT ROWID", err);
}

static void
time_fmt(time_t t, char buf[32])
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
db_hook_delivery(struct db *db, const char *forge, const char *id,
    time_t now, long keep, struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	char		 at[32], old[32];
	int		 rv = -1;

	time_fmt(now, at);
	time_fmt(now - keep, old);
	if (db_stmt_get(db, "DELETE FROM hook_deliveries WHERE time < ?", &s,
	    err) == -1)
		return -1;
	sqlite3_bind_text(s, 1, old, -1, SQLITE_STATIC);
	sqlite3_step(s);
	db_stmt_put(s);
	if (db_stmt_get(db, "INSERT OR IGNORE INTO hook_deliveries(forge, "
	    "id, time) VALUES (?, ?, ?)", &s, err) == -1)
		return -1;
	sqlite3_bind_text(s, 1, forge, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, at, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		dp_error_sqlite(err, db_handle(db), "record delivery %s", id);
	else
		rv = sqlite3_changes(db_handle(db)) > 0 ? 1 : 0;
	db_stmt_put(s);
	return rv;
}
