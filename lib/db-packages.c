/*
 * db-packages.c - files, packages, sources, source_files (db-packages.h).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db-packages.h"
#include "xmalloc.h"

#define UNUSED_FILES \
	"id NOT IN (SELECT file_id FROM packages) AND " \
	"id NOT IN (SELECT dsc_file_id FROM sources) AND " \
	"id NOT IN (SELECT file_id FROM source_files)"

enum {
	ST_PKG,
	ST_SRC,
	ST_INDEX,
	ST_CONTENTS,
	ST_SOURCE,
	ST_PKG_FILES,
	ST_SRC_FILES,
	ST_MAX
};

static const char *const reader_sql[ST_MAX] = {
	"SELECT id, dist, component, name, version, arch FROM packages "
	"WHERE id = ?",
	"SELECT id, dist, component, name, version, NULL FROM sources "
	"WHERE id = ?",
	"SELECT p.control, f.path, f.size, f.md5, f.sha1, f.sha256 FROM "
	"packages p JOIN files f ON f.id = p.file_id WHERE p.id = ?",
	"SELECT control, contents FROM packages WHERE id = ?",
	"SELECT control FROM sources WHERE id = ?",
	"SELECT f.path, f.size, f.md5, f.sha1, f.sha256 FROM packages p "
	"JOIN files f ON f.id = p.file_id WHERE p.id = ?1",
	"SELECT f.path, f.size, f.md5, f.sha1, f.sha256 FROM files f WHERE "
	"f.id IN (SELECT file_id FROM source_files WHERE source_id = ?1 "
	"UNION SELECT dsc_file_id FROM sources WHERE id = ?1)",
};

struct db_pkg_reader {
	struct db	*db;
	sqlite3_stmt	*st[ST_MAX];
};

static const char *
col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static void
row_pkg(sqlite3_stmt *st, struct db_pkg *p)
{
	p->id = sqlite3_column_int64(st, 0);
	p->dist = col(st, 1);
	p->component = col(st, 2);
	p->name = col(st, 3);
	p->version = col(st, 4);
	p->arch = col(st, 5);
}

static void
row_file(sqlite3_stmt *st, int i, struct db_pkg_file *f)
{
	f->path = col(st, i);
	f->size = (uint64_t)sqlite3_column_int64(st, i + 1);
	f->md5 = col(st, i + 2);
	f->sha1 = col(st, i + 3);
	f->sha256 = col(st, i + 4);
}

int
db_pkg_foreach(struct db *db, int sources, int ordered, db_pkg_cb cb,
    void *arg, struct dp_error *err)
{
	static const char *const sql[2][2] = {
		{ "SELECT id, dist, component, name, version, arch FROM "
		  "packages",
		  "SELECT id, dist, component, name, version, arch FROM "
		  "packages ORDER BY dist, component, arch, name" },
		{ "SELECT id, dist, component, name, version, NULL FROM "
		  "sources",
		  "SELECT id, dist, component, name, version, NULL FROM "
		  "sources ORDER BY dist, component, name" },
	};
	struct db_pkg	 p;
	sqlite3_stmt	*st = NULL;
	int		 rc, rv = -1;

	if (db_prepare(db, sql[sources != 0][ordered != 0], &st, err) == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_pkg(st, &p);
		if (cb(&p, arg) == -1)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "reading %s",
		    sources ? "sources" : "packages");
		goto out;
	}
	rv = 0;
out:
	sqlite3_finalize(st);
	return rv;
}

struct db_pkg_reader *
db_pkg_reader_new(struct db *db)
{
	struct db_pkg_reader	*r = xcalloc(1, sizeof(*r));

	r->db = db;
	return r;
}

void
db_pkg_reader_free(struct db_pkg_reader *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < ST_MAX; i++)
		sqlite3_finalize(r->st[i]);
	free(r);
}

/* Statement k reset and bound to id, stepped: 1 row, 0 none, -1 error. */
static int
reader_step(struct db_pkg_reader *r, int k, int64_t id, const char *what,
    struct dp_error *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (r->st[k] == NULL &&
	    db_prepare(r->db, reader_sql[k], &r->st[k], err) == -1)
		return -1;
	st = r->st[k];
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	dp_error_sqlite(err, db_handle(r->db), "reading %s %lld", what,
	    (long long)id);
	sqlite3_reset(st);
	return -1;
}

int
db_pkg_reader_get(struct db_pkg_reader *r, int sources, int64_t id,
    struct db_pkg *out, struct dp_error *err)
{
	int	k = sources ? ST_SRC : ST_PKG, rc;

	memset(out, 0, sizeof(*out));
	if ((rc = reader_step(r, k, id, sources ? "source" : "package",
	    err)) == 1)
		row_pkg(r->st[k], out);
	return rc;
}

int
db_pkg_reader_index(struct db_pkg_reader *r, int64_t id,
    const char **control, struct db_pkg_file *file, struct dp_error *err)
{
	int	rc;

	*control = NULL;
	memset(file, 0, sizeof(*file));
	if ((rc = reader_step(r, ST_INDEX, id, "package", err)) == 1) {
		*control = col(r->st[ST_INDEX], 0);
		row_file(r->st[ST_INDEX], 1, file);
	}
	return rc;
}

int
db_pkg_reader_contents(struct db_pkg_reader *r, int64_t id,
    const char **control, const void **list, size_t *len,
    struct dp_error *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	*control = NULL;
	*list = NULL;
	*len = 0;
	if ((rc = reader_step(r, ST_CONTENTS, id, "contents of package",
	    err)) == 1) {
		st = r->st[ST_CONTENTS];
		*control = col(st, 0);
		*list = sqlite3_column_blob(st, 1);
		*len = (size_t)sqlite3_column_bytes(st, 1);
	}
	return rc;
}

int
db_pkg_reader_source(struct db_pkg_reader *r, int64_t id,
    const char **control, struct dp_error *err)
{
	int	rc;

	*control = NULL;
	if ((rc = reader_step(r, ST_SOURCE, id, "source", err)) == 1)
		*control = col(r->st[ST_SOURCE], 0);
	return rc;
}

int
db_pkg_reader_files(struct db_pkg_reader *r, int sources, int64_t id,
    db_pkg_file_cb cb, void *arg, struct dp_error *err)
{
	struct db_pkg_file	 f;
	sqlite3_stmt		*st;
	int			 k = sources ? ST_SRC_FILES : ST_PKG_FILES, rc;

	if ((rc = reader_step(r, k, id, sources ? "files of source" :
	    "file of package", err)) == -1)
		return -1;
	st = r->st[k];
	while (rc == 1) {
		row_file(st, 0, &f);
		cb(&f, arg);
		rc = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_reset(st);
	return 0;
}

int
db_pkg_file_owners(struct db *db, int sources, db_pkg_owner_cb cb, void *arg,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	if (db_prepare(db, sources ?
	    "SELECT s.id, f.path FROM sources s JOIN files f ON "
	    "f.id = s.dsc_file_id UNION ALL SELECT sf.source_id, f.path "
	    "FROM source_files sf JOIN files f ON f.id = sf.file_id" :
	    "SELECT p.id, f.path FROM packages p JOIN files f ON "
	    "f.id = p.file_id", &st, err) == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (col(st, 1) != NULL)
			cb(sqlite3_column_int64(st, 0), col(st, 1), arg);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "reading pool files");
		return -1;
	}
	return 0;
}

static int
exec_id(struct db *db, const char *sql, int64_t id, const char *what,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = -1;

	if (db_prepare(db, sql, &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		dp_error_sqlite(err, db_handle(db), "deleting %s %lld", what,
		    (long long)id);
	else
		rv = 0;
	sqlite3_finalize(st);
	return rv;
}

int
db_pkg_delete(struct db *db, int sources, int64_t id, struct dp_error *err)
{
	if (!sources)
		return exec_id(db, "DELETE FROM packages WHERE id = ?", id,
		    "package", err);
	if (exec_id(db, "DELETE FROM source_files WHERE source_id = ?", id,
	    "files of source", err) == -1)
		return -1;
	return exec_id(db, "DELETE FROM sources WHERE id = ?", id, "source",
	    err);
}

int
db_pkg_files_unused(struct db *db, struct strlist *paths,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	if (db_prepare(db, "SELECT path FROM files WHERE " UNUSED_FILES, &st,
	    err) == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (col(st, 0) != NULL)
			strlist_add(paths, col(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "reading files");
		return -1;
	}
	return 0;
}

int
db_pkg_files_unused_delete(struct db *db, struct dp_error *err)
{
	return db_exec(db, "DELETE FROM files WHERE " UNUSED_FILES, err);
}

/*
 * The builder's questions of the pool.
 */
int
db_pkg_of_origin(struct db *db, const char *origin, const char *dist,
    db_pkg_nav_cb cb, void *arg, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	if (db_prepare(db, "SELECT name, arch, version FROM packages "
	    "WHERE origin = ?1 AND dist = ?2", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, dist, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb((const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2), arg);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "read packages of %s",
		    origin);
		return -1;
	}
	return 0;
}

int
db_pkg_count_origin_version(struct db *db, const char *origin,
    const char *version, int64_t *n, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = -1;

	if (db_prepare(db, "SELECT count(*) FROM packages WHERE origin = ? "
	    "AND version = ?", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		dp_error_sqlite(err, db_handle(db), "packages of %s", origin);
	else {
		*n = sqlite3_column_int64(st, 0);
		rv = 0;
	}
	sqlite3_finalize(st);
	return rv;
}

int
db_pkg_dist_stat(struct db *db, const char *dist, int64_t *count,
    int64_t *maxid, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = -1;

	if (db_prepare(db, "SELECT count(*), coalesce(max(id), 0) FROM "
	    "packages WHERE dist = ?", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, dist, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		dp_error_sqlite(err, db_handle(db), "packages of %s", dist);
	else {
		*count = sqlite3_column_int64(st, 0);
		*maxid = sqlite3_column_int64(st, 1);
		rv = 0;
	}
	sqlite3_finalize(st);
	return rv;
}

int
db_pkg_dist_files(struct db *db, const char *dist, const char *arch,
    db_pkg_path_cb cb, void *arg, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, rv = 0;

	if (db_prepare(db, "SELECT DISTINCT f.path FROM packages p JOIN "
	    "files f ON f.id = p.file_id WHERE p.dist = ? AND p.arch IN "
	    "(?, 'all')", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, dist, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, arch, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (cb((const char *)sqlite3_column_text(st, 0), arg) == -1) {
			rv = -1;
			break;
		}
	if (rv == 0 && rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "packages of %s", dist);
		rv = -1;
	}
	sqlite3_finalize(st);
	return rv;
}

int
db_pkg_file_path(struct db *db, int64_t id, char **path,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	const char	*p;
	int		 rc, rv = 0;

	*path = NULL;
	if (db_prepare(db, "SELECT f.path FROM packages p JOIN files f ON "
	    "f.id = p.file_id WHERE p.id = ?", &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((p = (const char *)sqlite3_column_text(st, 0)) != NULL) {
			*path = xstrdup(p);
			rv = 1;
		}
	} else if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "package %lld",
		    (long long)id);
		rv = -1;
	}
	sqlite3_finalize(st);
	return rv;
}

int
db_pkg_source_versions(struct db *db, const char *name, const char *prefix,
    db_pkg_version_cb cb, void *arg, struct dp_error *err)
{
	static const char *const sql[] = {
		"SELECT version FROM sources WHERE name = ?1 AND "
		"substr(version, 1, length(?2)) = ?2",
		"SELECT version FROM packages WHERE source = ?1 AND "
		"substr(version, 1, length(?2)) = ?2",
	};
	sqlite3_stmt	*st = NULL;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		if (db_prepare(db, sql[i], &st, err) == -1)
			return -1;
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			cb((const char *)sqlite3_column_text(st, 0), arg);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			dp_error_sqlite(err, db_handle(db), "versions of %s",
			    name);
			return -1;
		}
	}
	return 0;
}

/*
 * Writing.
 */
enum {
	WR_PKG_FIND,
	WR_PKG_ADD,
	WR_FILE_FIND,
	WR_FILE_ADD,
	WR_SRC_FIND,
	WR_SRC_ADD,
	WR_SRCFILE_ADD,
	WR_MAX
};

static const char *const writer_sql[WR_MAX] = {
	"SELECT p.id, f.sha256, f.size, f.path FROM packages p JOIN files f "
	"ON f.id = p.file_id WHERE p.dist = ?1 AND p.component = ?2 AND "
	"p.name = ?3 AND p.version = ?4 AND p.arch = ?5",
	"INSERT INTO packages(dist, component, name, version, arch, source, "
	"source_version, file_id, control, contents, origin, added) VALUES "
	"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	"SELECT id, sha256, size FROM files WHERE path = ?1",
	"INSERT INTO files(path, size, md5, sha1, sha256, added) VALUES "
	"(?1, ?2, ?3, ?4, ?5, ?6)",
	"SELECT s.id, f.sha256, f.size FROM sources s JOIN files f ON "
	"f.id = s.dsc_file_id WHERE s.dist = ?1 AND s.component = ?2 AND "
	"s.name = ?3 AND s.version = ?4",
	"INSERT INTO sources(dist, component, name, version, directory, "
	"control, dsc_file_id, origin, added) VALUES (?1, ?2, ?3, ?4, ?5, "
	"?6, ?7, ?8, ?9)",
	"INSERT OR IGNORE INTO source_files(source_id, file_id) VALUES "
	"(?1, ?2)",
};

struct db_pkg_writer {
	struct db	*db;
	sqlite3_stmt	*st[WR_MAX];
};

struct db_pkg_writer *
db_pkg_writer_new(struct db *db, struct dp_error *err)
{
	struct db_pkg_writer	*w = xcalloc(1, sizeof(*w));
	size_t			 i;

	w->db = db;
	for (i = 0; i < WR_MAX; i++)
		if (db_prepare(db, writer_sql[i], &w->st[i], err) == -1) {
			db_pkg_writer_free(w);
			return NULL;
		}
	return w;
}

void
db_pkg_writer_free(struct db_pkg_writer *w)
{
	size_t	i;

	if (w == NULL)
		return;
	for (i = 0; i < WR_MAX; i++)
		sqlite3_finalize(w->st[i]);
	free(w);
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Step a bound statement to its row (1), none (0) or an error (-1);
 * *id, sha256 and *size from columns 0, 1, 2 on a row. */
static int
writer_find(struct db_pkg_writer *w, sqlite3_stmt *st, const char *what,
    int64_t *id, char *sha256, uint64_t *size, struct dp_error *err)
{
	const char	*sha;
	int		 rc, rv;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		sha = col(st, 1);
		snprintf(sha256, 65, "%s", sha != NULL ? sha : "");
		*size = (uint64_t)sqlite3_column_int64(st, 2);
		rv = 1;
	} else if (rc == SQLITE_DONE)
		rv = 0;
	else {
		dp_error_sqlite(err, db_handle(w->db), "look up %s", what);
		rv = -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rv;
}

/* Step a bound insert: 0 (and *id, may be NULL) or -1. */
static int
writer_insert(struct db_pkg_writer *w, sqlite3_stmt *st, const char *what,
    int64_t *id, struct dp_error *err)
{
	int	rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(w->db), "%s", what);
		return -1;
	}
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(db_handle(w->db));
	return 0;
}

int
db_pkg_writer_file_find(struct db_pkg_writer *w, const char *path,
    int64_t *id, char *sha256, uint64_t *size, struct dp_error *err)
{
	sqlite3_stmt	*st = w->st[WR_FILE_FIND];

	bind_text(st, 1, path);
	return writer_find(w, st, path, id, sha256, size, err);
}

int
db_pkg_writer_file_add(struct db_pkg_writer *w, const struct db_pkg_file *f,
    const char *added, int64_t *id, struct dp_error *err)
{
	sqlite3_stmt	*st = w->st[WR_FILE_ADD];

	bind_text(st, 1, f->path);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)f->size);
	bind_text(st, 3, f->md5);
	bind_text(st, 4, f->sha1);
	bind_text(st, 5, f->sha256);
	bind_text(st, 6, added);
	return writer_insert(w, st, "insert file", id, err);
}

int
db_pkg_writer_find(struct db_pkg_writer *w, const struct db_pkg *p,
    int64_t *id, char *sha256, uint64_t *size, struct dp_error *err)
{
	sqlite3_stmt	*st = w->st[p->arch != NULL ? WR_PKG_FIND :
			    WR_SRC_FIND];

	bind_text(st, 1, p->dist);
	bind_text(st, 2, p->component);
	bind_text(st, 3, p->name);
	bind_text(st, 4, p->version);
	if (p->arch != NULL)
		bind_text(st, 5, p->arch);
	return writer_find(w, st, p->name, id, sha256, size, err);
}

int
db_pkg_writer_add(struct db_pkg_writer *w, const struct db_pkg_row *r,
    int64_t *id, struct dp_error *err)
{
	sqlite3_stmt	*st;

	if (r->pkg.arch != NULL) {
		st = w->st[WR_PKG_ADD];
		bind_text(st, 1, r->pkg.dist);
		bind_text(st, 2, r->pkg.component);
		bind_text(st, 3, r->pkg.name);
		bind_text(st, 4, r->pkg.version);
		bind_text(st, 5, r->pkg.arch);
		bind_text(st, 6, r->source);
		bind_text(st, 7, r->source_version);
		sqlite3_bind_int64(st, 8, r->file_id);
		bind_text(st, 9, r->control);
		bind_text(st, 10, r->contents);
		bind_text(st, 11, r->origin);
		bind_text(st, 12, r->added);
		return writer_insert(w, st, "insert package", id, err);
	}
	st = w->st[WR_SRC_ADD];
	bind_text(st, 1, r->pkg.dist);
	bind_text(st, 2, r->pkg.component);
	bind_text(st, 3, r->pkg.name);
	bind_text(st, 4, r->pkg.version);
	bind_text(st, 5, r->directory);
	bind_text(st, 6, r->control);
	sqlite3_bind_int64(st, 7, r->file_id);
	bind_text(st, 8, r->origin);
	bind_text(st, 9, r->added);
	return writer_insert(w, st, "insert source", id, err);
}

int
db_pkg_writer_source_file(struct db_pkg_writer *w, int64_t source_id,
    int64_t file_id, struct dp_error *err)
{
	sqlite3_stmt	*st = w->st[WR_SRCFILE_ADD];

	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_int64(st, 2, file_id);
	return writer_insert(w, st, "insert source file", NULL, err);
}
