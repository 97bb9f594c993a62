/*
 * db-packages.h - the pool's tables (schema: db.h): files, packages,
 * sources, source_files.  The only place that knows their columns and
 * SQL; the pool writes them (pool.c), the publisher, GC, the object-
 * storage publisher and the CLI read them through these functions.
 *
 * Lookups return 1 (found), 0 (no such row) or -1 with *err filled.
 * Strings in a struct db_pkg or db_pkg_file handed out by a reader or a
 * callback stay valid until the next call on that reader (or the end of
 * the callback).
 */
#ifndef DEBPIPE_DB_PACKAGES_H
#define DEBPIPE_DB_PACKAGES_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "error.h"
#include "strlist.h"

/* A binary package (packages) or a source package (sources). */
struct db_pkg {
	int64_t		 id;
	const char	*dist;
	const char	*component;
	const char	*name;
	const char	*version;
	const char	*arch;		/* NULL for a source */
};

/* A pool file (files). */
struct db_pkg_file {
	const char	*path;		/* relative to the pool */
	uint64_t	 size;
	const char	*md5;
	const char	*sha1;
	const char	*sha256;
};

/* Call cb for every package (sources: every source); with ordered by
 * (dist, component, arch, name), else in table order.  cb returning -1
 * stops the walk: -1 (err untouched). */
typedef int (*db_pkg_cb)(const struct db_pkg *p, void *arg);
int	 db_pkg_foreach(struct db *db, int sources, int ordered, db_pkg_cb cb,
	    void *arg, struct dp_error *err);

/* Lookups by id, for loops over many ids: statements are prepared once
 * (on first use) and kept until db_pkg_reader_free. */
struct db_pkg_reader;
struct db_pkg_reader *db_pkg_reader_new(struct db *db);
void	 db_pkg_reader_free(struct db_pkg_reader *r);	/* NULL: no-op */
/* Package (sources: source) id. */
int	 db_pkg_reader_get(struct db_pkg_reader *r, int sources, int64_t id,
	    struct db_pkg *out, struct dp_error *err);
/* What a Packages paragraph needs of package id: its stored control
 * paragraph and its file (columns may be NULL in a damaged row). */
int	 db_pkg_reader_index(struct db_pkg_reader *r, int64_t id,
	    const char **control, struct db_pkg_file *file,
	    struct dp_error *err);
/* Its control paragraph and file list (Contents; *list NULL when the
 * list was not read). */
int	 db_pkg_reader_contents(struct db_pkg_reader *r, int64_t id,
	    const char **control, const void **list, size_t *len,
	    struct dp_error *err);
/* The Sources paragraph of source id (may be NULL). */
int	 db_pkg_reader_source(struct db_pkg_reader *r, int64_t id,
	    const char **control, struct dp_error *err);
/* Call cb for each pool file of package (sources: source, its .dsc and
 * the files it lists) id.  0 or -1. */
typedef void (*db_pkg_file_cb)(const struct db_pkg_file *f, void *arg);
int	 db_pkg_reader_files(struct db_pkg_reader *r, int sources, int64_t id,
	    db_pkg_file_cb cb, void *arg, struct dp_error *err);

/* Call cb with (id, path) for the file of every package (sources: the
 * .dsc and listed files of every source). */
typedef void (*db_pkg_owner_cb)(int64_t id, const char *path, void *arg);
int	 db_pkg_file_owners(struct db *db, int sources, db_pkg_owner_cb cb,
	    void *arg, struct dp_error *err);

/* The builder's questions of the pool. */
/* Call cb(name, arch, version) for every package of origin in dist. */
typedef void (*db_pkg_nav_cb)(const char *name, const char *arch,
	    const char *version, void *arg);
int	 db_pkg_of_origin(struct db *db, const char *origin, const char *dist,
	    db_pkg_nav_cb cb, void *arg, struct dp_error *err);
/* How many packages of origin have version (*n). */
int	 db_pkg_count_origin_version(struct db *db, const char *origin,
	    const char *version, int64_t *n, struct dp_error *err);
/* How many packages dist holds and the highest id among them. */
int	 db_pkg_dist_stat(struct db *db, const char *dist, int64_t *count,
	    int64_t *maxid, struct dp_error *err);
/* Call cb(path) once for each pool file of a package of dist for arch
 * or all.  cb returning -1 stops: -1 (err untouched). */
typedef int (*db_pkg_path_cb)(const char *path, void *arg);
int	 db_pkg_dist_files(struct db *db, const char *dist, const char *arch,
	    db_pkg_path_cb cb, void *arg, struct dp_error *err);
/* The pool path of package id's file (*path, caller frees): 1, 0, -1. */
int	 db_pkg_file_path(struct db *db, int64_t id, char **path,
	    struct dp_error *err);
/* Call cb(version) for each version starting with prefix of source
 * name: its sources rows, and the packages built from it. */
typedef void (*db_pkg_version_cb)(const char *version, void *arg);
int	 db_pkg_source_versions(struct db *db, const char *name,
	    const char *prefix, db_pkg_version_cb cb, void *arg,
	    struct dp_error *err);

/* Delete package (sources: source, with its source_files rows) id. */
int	 db_pkg_delete(struct db *db, int sources, int64_t id,
	    struct dp_error *err);
/* The paths of pool files no package or source uses any more (appended
 * to paths), and deleting their rows. */
int	 db_pkg_files_unused(struct db *db, struct strlist *paths,
	    struct dp_error *err);
int	 db_pkg_files_unused_delete(struct db *db, struct dp_error *err);

/*
 * Writing (the pool, inside the caller's transaction): statements are
 * prepared once by db_pkg_writer_new, for adds of many packages.
 */
struct db_pkg_writer;
struct db_pkg_writer *db_pkg_writer_new(struct db *db, struct dp_error *err);
void	 db_pkg_writer_free(struct db_pkg_writer *w);	/* NULL: no-op */

/* The files row of path: *id, its sha256 (65 bytes) and size. */
int	 db_pkg_writer_file_find(struct db_pkg_writer *w, const char *path,
	    int64_t *id, char *sha256, uint64_t *size, struct dp_error *err);
/* A new files row (added: its time); *id gets its id.  0 or -1. */
int	 db_pkg_writer_file_add(struct db_pkg_writer *w,
	    const struct db_pkg_file *f, const char *added, int64_t *id,
	    struct dp_error *err);

/* The package (arch NULL: source) of p's dist, component, name, version
 * (and arch): *id, and the sha256 and size of its (.dsc) file. */
int	 db_pkg_writer_find(struct db_pkg_writer *w, const struct db_pkg *p,
	    int64_t *id, char *sha256, uint64_t *size, struct dp_error *err);

/* What a new packages or sources row holds besides struct db_pkg. */
struct db_pkg_row {
	struct db_pkg	 pkg;		/* arch NULL: a source */
	const char	*source;	/* packages: the source's name */
	const char	*source_version;
	const char	*directory;	/* sources: "pool/main/h/hello" */
	int64_t		 file_id;	/* the .deb, or the .dsc */
	const char	*control;
	const char	*contents;	/* packages: may be NULL */
	const char	*origin;
	const char	*added;
};
/* Insert it; *id gets its id.  0 or -1. */
int	 db_pkg_writer_add(struct db_pkg_writer *w, const struct db_pkg_row *r,
	    int64_t *id, struct dp_error *err);
/* Source source_id lists file file_id (once). */
int	 db_pkg_writer_source_file(struct db_pkg_writer *w, int64_t source_id,
	    int64_t file_id, struct dp_error *err);

#endif
