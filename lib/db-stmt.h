/*
 * db-stmt.h - prepared statements kept per thread and connection, keyed
 * by the address of their SQL text, which must be a string constant:
 * preparing is most of the cost of the small queries the promoter's API
 * and the data-access modules (db-env.c, db-audit.c, db-results.c) make.
 */
#ifndef DEBPIPE_DB_STMT_H
#define DEBPIPE_DB_STMT_H

#include <sqlite3.h>

#include "db.h"
#include "error.h"

/* The statement of sql on db: cached, or prepared (db_prepare()).  A
 * statement handed out is busy until db_stmt_put(), so a query run again
 * while in use gets a fresh one of its own.  -1 with err filled. */
int	 db_stmt_get(struct db *db, const char *sql, sqlite3_stmt **st,
	    struct dp_error *err);
/* Give st back: a cached one is reset (bindings cleared), any other
 * finalized.  NULL is a no-op. */
void	 db_stmt_put(sqlite3_stmt *st);

#endif
