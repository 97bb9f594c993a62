/*
 * pool.h - the package pool and ingestion (debpipe add, builder, apt watch).
 *
 * Files live under config_pool_dir() as <component>/<prefix>/<source>/<file>
 * (prefix "libf" for lib* sources, else the first letter), exactly as in
 * Debian's archive.  Each file is read once at ingest: checksums, size and
 * the control paragraph go to state.db (files, packages, sources tables)
 * and publishing never opens a package again.
 *
 * Adding is all-or-nothing per call: either every file given is in the
 * pool and the database, or nothing changed.  A file whose pool path
 * already exists with identical content is accepted (the package row is
 * reused); with different content it is refused (DP_ERR_EXISTS).
 */
#ifndef DEBPIPE_POOL_H
#define DEBPIPE_POOL_H

#include <stdint.h>

#include "config.h"
#include "db.h"
#include "error.h"

struct pool_add_opts {
	const char	*dist;		/* must be a configured Distribution */
	const char	*component;	/* NULL = the distribution's first */
	const char	*origin;	/* "add", "build:<watch>", "apt:<watch>" */
	int		 link;		/* hard-link inputs on the pool's file
					   system instead of copying (only for
					   files the caller owns and discards:
					   build results, downloads); the link
					   is sealed read-only.  Ignored when
					   DEBPIPE_POOL_COPY is set. */
	/* Called after each input file is read and checked (may be NULL):
	 * done of total, for progress on a terminal. */
	void		(*progress_cb)(size_t done, size_t total, void *arg);
	void		*progress_arg;
};

/* What one call added (or found already present). */
struct pool_added {
	char	*name;			/* package or source name */
	char	*version;
	char	*arch;			/* "source" for a .dsc */
	int64_t	 id;			/* packages.id or sources.id */
	int	 existed;		/* the same package was already there */
};

/*
 * Ingest the .deb and .dsc files in paths (NULL-terminated).  On success
 * *added (may be NULL) receives an array of *nadded entries that the
 * caller frees with pool_added_free().
 */
/* What an add checks of one .deb without touching the pool (also for
 * tests/fuzz): read, hash, parse and validate the control paragraph for
 * dist; *control gets the paragraph as stored (caller frees). */
int	 pool_deb_check(const char *path, const struct conf_dist *dist,
	    int flags, char **control, struct dp_error *err);
int	 pool_add(struct db *db, const struct config *cfg,
	    char *const paths[], const struct pool_add_opts *opts,
	    struct pool_added **added, size_t *nadded, struct dp_error *err);
void	 pool_added_free(struct pool_added *added, size_t n);

/* Pool-relative directory for a source package: "main/h/hello".
 * Caller frees. */
char	*pool_dir_for(const char *component, const char *source);

#endif
