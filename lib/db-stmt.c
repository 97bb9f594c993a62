/*
 * db-stmt.c - prepared statements cached per thread and connection (see
 * db-stmt.h); the cache the promoter's API had in promoter/util.c, for
 * every data-access module of lib/db-*.c.
 */
#include "autoconfig.h"

#include <stddef.h>

#include <sqlite3.h>

#include "db.h"
#include "db-stmt.h"
#include "error.h"

/*
 * Prepared statements kept per thread and connection, keyed by the
 * address of their SQL text (which must be a string constant): preparing
 * is most of the cost of the small queries the API makes.  A statement
 * handed out is marked busy until db_stmt_put() resets it, so a query
 * run again while in use (recursion) gets a fresh statement of its own.
 * Statements left over when a connection closes make sqlite3_close_v2()
 * defer the close; the thread pool and the connections live as long as
 * the daemon.
 */
#define DB_NSTMT	64

static __thread struct db_stmt {
	sqlite3		*h;
	const char	*sql;
	sqlite3_stmt	*st;
	int		 busy;
}			 db_stmts[DB_NSTMT];

int
db_stmt_get(struct db *db, const char *sql, sqlite3_stmt **st,
    struct dp_error *err)
{
	struct db_stmt	*u, *free_slot = NULL;
	sqlite3			*h = db_handle(db);
	size_t			 i;

	for (i = 0; i < DB_NSTMT; i++) {
		u = &db_stmts[i];
		if (u->h == h && u->sql == sql) {
			if (u->busy)
				break;
			u->busy = 1;
			*st = u->st;
			return 0;
		}
		if (u->h == NULL && free_slot == NULL)
			free_slot = u;
	}
	if (db_prepare(db, sql, st, err) == -1)
		return -1;
	if (i == DB_NSTMT && free_slot != NULL) {
		free_slot->h = h;
		free_slot->sql = sql;
		free_slot->st = *st;
		free_slot->busy = 1;
	}
	return 0;
}

void
db_stmt_put(sqlite3_stmt *st)
{
	size_t	i;

	if (st == NULL)
		return;
	for (i = 0; i < DB_NSTMT; i++)
		if (db_stmts[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			db_stmts[i].busy = 0;
			return;
		}
	sqlite3_finalize(st);
}
