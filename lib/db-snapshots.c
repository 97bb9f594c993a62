/*
 * db-snapshots.c - the snapshots table (db-snapshots.h).
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "db-snapshots.h"
#include "xmalloc.h"

/*
 * The first column of the first row of sql, with a1 (may be NULL: an
 * SQL NULL) bound to ?1: 1 and *out (caller frees; NULL for an SQL NULL)
 * when there is a row, 0 when there is none.
 */
static int
one_text(struct db *db, const char *sql, const char *a1, char **out,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, rv = -1;

	if (out != NULL)
		*out = NULL;
	if (db_prepare(db, sql, &st, err) == -1)
		return -1;
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_text(st, 1, a1, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (out != NULL)
			*out = db_column_text(st, 0);
		rv = 1;
	} else if (rc == SQLITE_DONE)
		rv = 0;
	else
		dp_error_sqlite(err, db_handle(db), "reading snapshots");
	sqlite3_finalize(st);
	return rv;
}

void
db_snapshot_done(struct db_snapshot *s)
{
	free(s->id);
	free(s->created);
	free(s->state);
	free(s->digest);
	free(s->pkgs);
	free(s->srcs);
	memset(s, 0, sizeof(*s));
}

int
db_snapshot_get(struct db *db, const char *id, struct db_snapshot *out,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, rv = -1;

	memset(out, 0, sizeof(*out));
	if (db_prepare(db, "SELECT id, created, state, digest, packages, "
	    "sources FROM snapshots WHERE id = ?", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->id = db_column_text(st, 0);
		out->created = db_column_text(st, 1);
		out->state = db_column_text(st, 2);
		out->digest = db_column_text(st, 3);
		out->pkgs = db_snapshot_ids_decode(sqlite3_column_blob(st, 4),
		    (size_t)sqlite3_column_bytes(st, 4), &out->npkgs);
		out->srcs = db_snapshot_ids_decode(sqlite3_column_blob(st, 5),
		    (size_t)sqlite3_column_bytes(st, 5), &out->nsrcs);
		rv = 1;
	} else if (rc == SQLITE_DONE)
		rv = 0;
	else
		dp_error_sqlite(err, db_handle(db), "reading snapshot %s", id);
	sqlite3_finalize(st);
	return rv;
}

int
db_snapshot_members(struct db *db, const char *id, int64_t **pkgs,
    size_t *npkgs, int64_t **srcs, size_t *nsrcs, struct dp_error *err)
{
	struct db_snapshot	s;
	int			rv;

	*pkgs = *srcs = NULL;
	*npkgs = *nsrcs = 0;
	if ((rv = db_snapshot_get(db, id, &s, err)) == 1) {
		*pkgs = s.pkgs;
		*npkgs = s.npkgs;
		*srcs = s.srcs;
		*nsrcs = s.nsrcs;
		s.pkgs = s.srcs = NULL;
	} else {
		*pkgs = xcalloc(1, sizeof(**pkgs));
		*srcs = xcalloc(1, sizeof(**srcs));
	}
	db_snapshot_done(&s);
	return rv;
}

/* Append the ids of a BLOB column to *v. */
static void
ids_append(sqlite3_stmt *st, int col, int64_t **v, size_t *n, size_t *cap)
{
	int64_t	*ids;
	size_t	 k;

	ids = db_snapshot_ids_decode(sqlite3_column_blob(st, col),
	    (size_t)sqlite3_column_bytes(st, col), &k);
	if (*n + k + 1 > *cap) {
		*cap = (*n + k + 1) * 2;
		*v = xreallocarray(*v, *cap, sizeof(**v));
	}
	if (k > 0)
		memcpy(*v + *n, ids, k * sizeof(**v));
	*n += k;
	free(ids);
}

int
db_snapshot_published_members(struct db *db, int64_t **pkgs, size_t *npkgs,
    int64_t **srcs, size_t *nsrcs, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	size_t		 cp = 1, cs = 1;
	int		 rc;

	*pkgs = xcalloc(1, sizeof(**pkgs));
	*srcs = xcalloc(1, sizeof(**srcs));
	*npkgs = *nsrcs = 0;
	if (db_prepare(db, "SELECT packages, sources FROM snapshots WHERE "
	    "state = 'published'", &st, err) == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ids_append(st, 0, pkgs, npkgs, &cp);
		ids_append(st, 1, srcs, nsrcs, &cs);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "reading snapshots");
		return -1;
	}
	return 0;
}

int
db_snapshot_published(struct db *db, const char *id, char **created,
    struct dp_error *err)
{
	return one_text(db, "SELECT created FROM snapshots WHERE id = ?1 AND "
	    "state = 'published'", id, created, err);
}

int
db_snapshot_state(struct db *db, const char *id, char **state,
    struct dp_error *err)
{
	return one_text(db, "SELECT state FROM snapshots WHERE id = ?1", id,
	    state, err) == -1 ? -1 : 0;
}

int
db_snapshot_exists(struct db *db, const char *id)
{
	return one_text(db, "SELECT 1 FROM snapshots WHERE id = ?1", id, NULL,
	    NULL) == 1;
}

int
db_snapshot_newest(struct db *db, char **id, char **digest,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, rv = -1;

	*id = NULL;
	if (digest != NULL)
		*digest = NULL;
	if (db_prepare(db, "SELECT id, digest FROM snapshots WHERE state = "
	    "'published' ORDER BY id DESC LIMIT 1", &st, err) == -1)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = db_column_text(st, 0);
		if (digest != NULL)
			*digest = db_column_text(st, 1);
		rv = 0;
	} else if (rc == SQLITE_DONE)
		rv = 0;
	else
		dp_error_sqlite(err, db_handle(db), "reading snapshots");
	sqlite3_finalize(st);
	return rv;
}

int
db_snapshot_newest_after(struct db *db, const char *after, char **id,
    struct dp_error *err)
{
	return one_text(db, "SELECT max(id) FROM snapshots WHERE state = "
	    "'published' AND (?1 IS NULL OR id > ?1)", after, id, err) == -1 ?
	    -1 : 0;
}

int
db_snapshot_previous(struct db *db, const char *id, char **prev,
    struct dp_error *err)
{
	return one_text(db, "SELECT max(id) FROM snapshots WHERE id < ?1 AND "
	    "state = 'published'", id, prev, err) == -1 ? -1 : 0;
}

int
db_snapshot_count(struct db *db, int64_t *n, struct dp_error *err)
{
	return db_query_int(db, "SELECT count(*) FROM snapshots WHERE "
	    "state = 'published'", n, err);
}

int
db_snapshot_list_published(struct db *db, struct strlist *ids,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	const char	*s;
	int		 rc;

	if (db_prepare(db, "SELECT id FROM snapshots WHERE state = "
	    "'published' ORDER BY id DESC", &st, err) == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((s = (const char *)sqlite3_column_text(st, 0)) != NULL)
			strlist_add(ids, s);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "reading snapshots");
		return -1;
	}
	return 0;
}

int
db_snapshot_foreach(struct db *db, int all, long limit, db_snapshot_cb cb,
    void *arg, struct dp_error *err)
{
	struct db_snapshot	 s;
	sqlite3_stmt		*st = NULL;
	int			 rc, rv = -1;

	if (db_prepare(db, all ?
	    "SELECT id, created, state, digest, length(packages) / 8, "
	    "length(sources) / 8 FROM snapshots ORDER BY id DESC LIMIT ?" :
	    "SELECT id, created, state, digest, length(packages) / 8, "
	    "length(sources) / 8 FROM snapshots WHERE state = 'published' "
	    "ORDER BY id DESC LIMIT ?", &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, limit > 0 ? (sqlite3_int64)limit : -1);
	memset(&s, 0, sizeof(s));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s.id = (char *)sqlite3_column_text(st, 0);
		s.created = (char *)sqlite3_column_text(st, 1);
		s.state = (char *)sqlite3_column_text(st, 2);
		s.digest = (char *)sqlite3_column_text(st, 3);
		s.npkgs = (size_t)sqlite3_column_int64(st, 4);
		s.nsrcs = (size_t)sqlite3_column_int64(st, 5);
		if (s.id == NULL)
			continue;
		if (cb(&s, arg) == -1)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "reading snapshots");
		goto out;
	}
	rv = 0;
out:
	sqlite3_finalize(st);
	return rv;
}

int
db_snapshot_pinned(struct db *db, int history, struct strlist *envs,
    struct strlist *hist, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	const char	*env, *snap;
	char		*prev_env = NULL;
	int		 rc, n = 0, rv = -1;

	if (db_prepare(db, "SELECT snapshot FROM environments WHERE "
	    "snapshot IS NOT NULL", &st, err) == -1)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((snap = (const char *)sqlite3_column_text(st, 0)) != NULL)
			strlist_add(envs, snap);
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "reading environments");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (db_prepare(db, "SELECT env, to_snapshot FROM env_history "
	    "ORDER BY env, id DESC", &st, err) == -1)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		env = (const char *)sqlite3_column_text(st, 0);
		snap = (const char *)sqlite3_column_text(st, 1);
		if (env == NULL || snap == NULL)
			continue;
		if (prev_env == NULL || strcmp(prev_env, env) != 0) {
			free(prev_env);
			prev_env = xstrdup(env);
			n = 0;
		}
		if (n < history && !strlist_find(hist, snap)) {
			strlist_add(hist, snap);
			n++;
		}
	}
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "reading env_history");
		goto out;
	}
	rv = 0;
out:
	sqlite3_finalize(st);
	free(prev_env);
	return rv;
}

int
db_snapshot_env_lately(struct db *db, const char *env, const char *modifier,
    struct strlist *out, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	const char	*s;

	if (db_prepare(db, "SELECT snapshot FROM environments WHERE "
	    "name = ?1 UNION SELECT to_snapshot FROM env_history WHERE "
	    "env = ?1 AND time >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?2) "
	    "UNION SELECT from_snapshot FROM (SELECT from_snapshot FROM "
	    "env_history WHERE env = ?1 ORDER BY id DESC LIMIT 1)", &st,
	    err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, env, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, modifier, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		if ((s = (const char *)sqlite3_column_text(st, 0)) != NULL)
			strlist_add(out, s);
	sqlite3_finalize(st);
	return 0;
}

int
db_snapshot_add(struct db *db, const char *id, const int64_t *pkgs,
    size_t npkgs, const int64_t *srcs, size_t nsrcs, const char *digest,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	void		*pk, *sr;
	int		 rv = -1;

	pk = db_snapshot_ids_encode(pkgs, npkgs);
	sr = db_snapshot_ids_encode(srcs, nsrcs);
	if (db_prepare(db, "INSERT INTO snapshots(id, created, packages, "
	    "sources, digest, state) VALUES (?, ?, ?, ?, ?, 'published')",
	    &st, err) == -1)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, db_now(), -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 3, pk, (int)(npkgs * 8), SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, sr, (int)(nsrcs * 8), SQLITE_STATIC);
	sqlite3_bind_text(st, 5, digest, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "recording snapshot %s",
		    id);
		goto out;
	}
	rv = 0;
out:
	sqlite3_finalize(st);
	free(pk);
	free(sr);
	return rv;
}

int
db_snapshot_set_deleted(struct db *db, const char *id, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = -1;

	if (db_prepare(db, "UPDATE snapshots SET state = 'deleted' WHERE "
	    "id = ?", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		dp_error_sqlite(err, db_handle(db), "marking snapshot %s "
		    "deleted", id);
	else
		rv = 0;
	sqlite3_finalize(st);
	return rv;
}

int64_t *
db_snapshot_ids_decode(const void *blob, size_t len, size_t *n)
{
	const unsigned char	*p = blob;
	int64_t			*ids;
	uint64_t		 v;
	size_t			 i;
	int			 k;

	*n = len / 8;
	ids = xcalloc(*n + 1, sizeof(*ids));
	for (i = 0; i < *n; i++) {
		v = 0;
		for (k = 7; k >= 0; k--)
			v = (v << 8) | p[8 * i + (size_t)k];
		ids[i] = (int64_t)v;
	}
	return ids;
}

void *
db_snapshot_ids_encode(const int64_t *ids, size_t n)
{
	unsigned char	*p = xmalloc(n * 8 + 1);
	size_t		 i;
	int		 k;

	for (i = 0; i < n; i++)
		for (k = 0; k < 8; k++)
			p[8 * i + (size_t)k] =
			    (unsigned char)((uint64_t)ids[i] >> (8 * k));
	return p;
}
