/*
 * db-remote.c - remote_targets, remote_dists, remote_objects
 * (db-remote.h).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db-remote.h"
#include "xmalloc.h"

/* Seconds the oldest change not yet on ?1 has waited, and how many. */
#define LAG_SQL \
	"SELECT coalesce(CAST(strftime('%s', 'now') - strftime('%s', " \
	"min(t)) AS INTEGER), 0), count(*) FROM (" \
	"SELECT s.created AS t FROM snapshots s WHERE s.state = 'published' " \
	"AND NOT EXISTS (SELECT 1 FROM remote_dists r WHERE r.target = ?1 " \
	"AND r.name = s.id AND r.snapshot = s.id) UNION ALL SELECT e.since " \
	"FROM environments e JOIN snapshots s ON s.id = e.snapshot AND " \
	"s.state = 'published' WHERE NOT EXISTS (SELECT 1 FROM remote_dists " \
	"r WHERE r.target = ?1 AND r.name = e.name AND r.snapshot = " \
	"e.snapshot))"

/* ?1 is the target. */
/* Names (snapshot or environment) and their snapshots still to publish:
 * (name, snapshot, with pool files). */
#define TODO_SQL \
	"SELECT s.id, s.id, 1 FROM snapshots s WHERE " \
	"s.state = 'published' AND NOT EXISTS (SELECT 1 FROM remote_dists" \
	" r WHERE r.target = ?1 AND r.name = s.id AND r.snapshot = s.id) " \
	"UNION ALL SELECT e.name, e.snapshot, 0 FROM environments e JOIN " \
	"snapshots s ON s.id = e.snapshot AND s.state = 'published' " \
	"WHERE NOT EXISTS (SELECT 1 FROM remote_dists r WHERE r.target = " \
	"?1 AND r.name = e.name AND r.snapshot = e.snapshot)"

/* Suite paths on the target whose snapshot local GC removed. */
#define GONE_SQL \
	"SELECT 1 FROM remote_dists WHERE target = ?1 AND name NOT IN " \
	"(SELECT id FROM snapshots WHERE state = 'published') AND name " \
	"NOT IN (SELECT name FROM environments)"

int
db_remote_target_get(struct db *db, const char *target,
    struct db_remote_target *out, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, rv = -1;

	memset(out, 0, sizeof(*out));
	if (db_prepare(db, "SELECT url, last_attempt, last_success, "
	    "last_error, pending, uploaded FROM remote_targets WHERE "
	    "target = ?", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->url = db_column_text(st, 0);
		out->last_attempt = db_column_text(st, 1);
		out->last_success = db_column_text(st, 2);
		out->last_error = db_column_text(st, 3);
		out->pending = sqlite3_column_int64(st, 4);
		out->uploaded = sqlite3_column_int64(st, 5);
		rv = 1;
	} else if (rc == SQLITE_DONE)
		rv = 0;
	else
		dp_error_sqlite(err, db_handle(db), "reading remote_targets");
	sqlite3_finalize(st);
	return rv;
}

void
db_remote_target_done(struct db_remote_target *t)
{
	free(t->url);
	free(t->last_attempt);
	free(t->last_success);
	free(t->last_error);
	memset(t, 0, sizeof(*t));
}

int
db_remote_target_record(struct db *db, const char *target, const char *url,
    int ok, const char *error, size_t pending, size_t uploaded,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	char		 now[32];
	int		 rv = -1;

	snprintf(now, sizeof(now), "%s", db_now());
	if (db_prepare(db, "INSERT INTO remote_targets(target, url, "
	    "last_attempt, last_success, last_error, pending, uploaded) "
	    "VALUES (?1, ?2, ?3, CASE WHEN ?4 THEN ?3 END, ?5, ?6, ?7) "
	    "ON CONFLICT(target) DO UPDATE SET "
	    "url = coalesce(?2, url), last_attempt = ?3, "
	    "last_success = CASE WHEN ?4 THEN ?3 ELSE last_success END, "
	    "last_error = ?5, pending = ?6, uploaded = uploaded + ?7",
	    &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, url, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, ok);
	sqlite3_bind_text(st, 5, error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)pending);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)uploaded);
	if (sqlite3_step(st) != SQLITE_DONE)
		dp_error_sqlite(err, db_handle(db), "recording the target's "
		    "state");
	else
		rv = 0;
	sqlite3_finalize(st);
	return rv;
}

/* Two integers from the first row of sql with ?1 bound to target. */
static int
two_ints(struct db *db, const char *sql, const char *target, int64_t *a,
    int64_t *b, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = -1;

	*a = *b = 0;
	if (db_prepare(db, sql, &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		*a = sqlite3_column_int64(st, 0);
		*b = sqlite3_column_int64(st, 1);
		/* FALLTHROUGH */
	case SQLITE_DONE:
		rv = 0;
		break;
	default:
		dp_error_sqlite(err, db_handle(db), "reading remote state");
	}
	sqlite3_finalize(st);
	return rv;
}

int
db_remote_lag(struct db *db, const char *target, int64_t *lag,
    int64_t *behind, struct dp_error *err)
{
	return two_ints(db, LAG_SQL, target, lag, behind, err);
}

int
db_remote_objects_total(struct db *db, const char *target, int64_t *n,
    int64_t *bytes, struct dp_error *err)
{
	return two_ints(db, "SELECT count(*), coalesce(sum(size), 0) FROM "
	    "remote_objects WHERE target = ?1", target, n, bytes, err);
}

int
db_remote_dist_set(struct db *db, const char *target, const char *name,
    const char *snap, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = -1;

	if (db_prepare(db, "INSERT OR REPLACE INTO remote_dists(target, "
	    "name, snapshot, time) VALUES (?, ?, ?, ?)", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, snap, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, db_now(), -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		dp_error_sqlite(err, db_handle(db), "remote_dists");
	else
		rv = 0;
	sqlite3_finalize(st);
	return rv;
}

struct db_remote_objects {
	struct db	*db;
	char		*target;
	sqlite3_stmt	*get;
	sqlite3_stmt	*put;
	sqlite3_stmt	*rm;
};

struct db_remote_objects *
db_remote_objects_new(struct db *db, const char *target, struct dp_error *err)
{
	struct db_remote_objects	*o = xcalloc(1, sizeof(*o));

	o->db = db;
	o->target = xstrdup(target);
	if (db_prepare(db, "SELECT sha256 FROM remote_objects WHERE "
	    "target = ? AND key = ?", &o->get, err) == -1 ||
	    db_prepare(db, "INSERT OR REPLACE INTO remote_objects(target, "
	    "key, size, sha256, etag, uploaded) VALUES (?, ?, ?, ?, ?, ?)",
	    &o->put, err) == -1 ||
	    db_prepare(db, "DELETE FROM remote_objects WHERE target = ? AND "
	    "key = ?", &o->rm, err) == -1) {
		db_remote_objects_free(o);
		return NULL;
	}
	return o;
}

void
db_remote_objects_free(struct db_remote_objects *o)
{
	if (o == NULL)
		return;
	sqlite3_finalize(o->get);
	sqlite3_finalize(o->put);
	sqlite3_finalize(o->rm);
	free(o->target);
	free(o);
}

int
db_remote_objects_has(struct db_remote_objects *o, const char *key,
    const char *sha256)
{
	const char	*sha;
	int		 r = 0;

	sqlite3_reset(o->get);
	sqlite3_bind_text(o->get, 1, o->target, -1, SQLITE_STATIC);
	sqlite3_bind_text(o->get, 2, key, -1, SQLITE_STATIC);
	if (sqlite3_step(o->get) == SQLITE_ROW) {
		sha = (const char *)sqlite3_column_text(o->get, 0);
		r = sha256 == NULL || (sha != NULL && strcmp(sha, sha256) == 0);
	}
	sqlite3_reset(o->get);
	return r;
}

int
db_remote_objects_put(struct db_remote_objects *o, const char *key,
    uint64_t size, const char *sha256, const char *etag,
    struct dp_error *err)
{
	int	rv = 0;

	sqlite3_reset(o->put);
	sqlite3_bind_text(o->put, 1, o->target, -1, SQLITE_STATIC);
	sqlite3_bind_text(o->put, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(o->put, 3, (sqlite3_int64)size);
	sqlite3_bind_text(o->put, 4, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(o->put, 5, etag, -1, SQLITE_STATIC);
	sqlite3_bind_text(o->put, 6, db_now(), -1, SQLITE_TRANSIENT);
	if (sqlite3_step(o->put) != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(o->db), "recording %s", key);
		rv = -1;
	}
	sqlite3_reset(o->put);
	return rv;
}

int
db_remote_todo(struct db *db, const char *target, db_remote_todo_cb cb,
    void *arg, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = -1;

	/* Snapshots first (with their pool files), oldest first, then the
	 * environments (their dists/ only; their snapshot is among the
	 * former). */
	if (db_prepare(db, TODO_SQL " ORDER BY 3 DESC, 1", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		if (cb((const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    sqlite3_column_int(st, 2), arg) == -1)
			goto out;
	rv = 0;
out:
	sqlite3_finalize(st);
	return rv;
}

int
db_remote_needs_sync(struct db *db, const char *target)
{
	sqlite3_stmt	*st = NULL;
	int		 r;

	if (db_prepare(db, "SELECT EXISTS (" TODO_SQL ") OR EXISTS (" GONE_SQL
	    ")", &st, NULL) == -1)
		return 1;
	sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
	r = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 1;
	sqlite3_finalize(st);
	return r;
}

int
db_remote_objects_forget(struct db_remote_objects *o, const char *key,
    struct dp_error *err)
{
	int	rv = 0;

	sqlite3_reset(o->rm);
	sqlite3_bind_text(o->rm, 1, o->target, -1, SQLITE_STATIC);
	sqlite3_bind_text(o->rm, 2, key, -1, SQLITE_STATIC);
	if (sqlite3_step(o->rm) != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(o->db), "forgetting %s", key);
		rv = -1;
	}
	sqlite3_reset(o->rm);
	return rv;
}

int
db_remote_objects_under(struct db *db, const char *target,
    const char *prefix, db_remote_object_cb cb, void *arg,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	const char	*k;

	if (db_prepare(db, "SELECT key, size, etag FROM remote_objects WHERE "
	    "target = ?1 AND substr(key, 1, length(?2)) = ?2", &st,
	    err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		if ((k = (const char *)sqlite3_column_text(st, 0)) != NULL)
			cb(k, (uint64_t)sqlite3_column_int64(st, 1),
			    (const char *)sqlite3_column_text(st, 2), arg);
	sqlite3_finalize(st);
	return 0;
}

/* The first column of each row of sql (?1 = target), appended. */
static int
names(struct db *db, const char *sql, const char *target,
    struct strlist *out, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	const char	*s;

	if (db_prepare(db, sql, &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		if ((s = (const char *)sqlite3_column_text(st, 0)) != NULL)
			strlist_add(out, s);
	sqlite3_finalize(st);
	return 0;
}

int
db_remote_dists_gone(struct db *db, const char *target, struct strlist *out,
    struct dp_error *err)
{
	return names(db, "SELECT name FROM remote_dists WHERE target = ?1 "
	    "AND name NOT IN (SELECT id FROM snapshots WHERE state = "
	    "'published') AND name NOT IN (SELECT name FROM environments)",
	    target, out, err);
}

int
db_remote_dists_envs(struct db *db, const char *target, struct strlist *out,
    struct dp_error *err)
{
	return names(db, "SELECT name FROM remote_dists WHERE target = ?1 "
	    "AND name IN (SELECT name FROM environments)", target, out, err);
}

int
db_remote_dist_forget(struct db *db, const char *target, const char *name,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = 0;

	if (db_prepare(db, "DELETE FROM remote_dists WHERE target = ? AND "
	    "name = ?", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "forgetting %s", name);
		rv = -1;
	}
	sqlite3_finalize(st);
	return rv;
}

int
db_remote_dists_forget_wanted(struct db *db, const char *target,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = 0;

	if (db_prepare(db, "DELETE FROM remote_dists WHERE target = ?1 AND "
	    "(name IN (SELECT id FROM snapshots WHERE state = 'published') OR "
	    "name IN (SELECT name FROM environments))", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "remote_dists");
		rv = -1;
	}
	sqlite3_finalize(st);
	return rv;
}
