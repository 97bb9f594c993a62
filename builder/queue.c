/*
 * queue.c - what the builder's queue needs beyond the builds table
 * (lib/db-builds.c): the key a waiting build waits on changing, and
 * whether an earlier attempt's packages reached the pool.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builder.h"
#include "chroot.h"
#include "xmalloc.h"

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
