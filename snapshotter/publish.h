/*
 * publish.h - the snapshot publisher (snapshotter/libsnapshot.a, used by
 * debpipe-snapshotter and `debpipe snapshot|gc`): take, publish,
 * recover, garbage-collect snapshots.
 *
 * Public tree (DESIGN.md "Public tree and URLs"):
 *   Public-Dir/pool/...                 the one shared pool (pool.h)
 *   Public-Dir/snapshots/<ID>/dists/... indexes, Release, InRelease, by-hash
 *   Public-Dir/snapshots/<ID>/pool      symlink -> ../../pool
 *   Public-Dir/latest                   symlink -> snapshots/<ID>
 *   Public-Dir/<env>                    symlink -> snapshots/<ID> (promoter)
 *   Public-Dir/debpipe-archive-keyring.gpg
 * A snapshot is built in Public-Dir/snapshots/.tmp-<ID>, fsynced, then
 * renamed into place, then recorded in state.db, then `latest` is swapped.
 * publish_recover() removes leftovers of an interrupted run and re-records
 * or removes what is inconsistent.
 */
#ifndef DEBPIPE_PUBLISH_H
#define DEBPIPE_PUBLISH_H

#include "config.h"
#include "db.h"
#include "error.h"

enum publish_result {
	PUBLISH_ERROR = -1,
	PUBLISH_DONE = 0,	/* a new snapshot was published */
	PUBLISH_NOTHING = 1,	/* package set unchanged: nothing to do */
	PUBLISH_EMPTY = 2,	/* a Distribution has no packages: not taken */
};

/* publish_snapshot() flags. */
#define PUBLISH_FORCE		0x1	/* even when the set is unchanged */
#define PUBLISH_ALLOW_EMPTY	0x2	/* even with a Distribution empty */

/* Take a snapshot of the current package set if it changed since the last
 * one (or always with PUBLISH_FORCE).  No snapshot is taken while a
 * configured Distribution has no package at all (no binary, no source),
 * unless PUBLISH_ALLOW_EMPTY: PUBLISH_EMPTY, and err says which
 * (DESIGN.md "Snapshots are never empty or incomplete").  Every snapshot
 * has the index files of every component and architecture, empty ones
 * included.  *id (may be NULL) receives the new ID (caller frees).  Holds
 * State-Dir/publish.lock while working. */
int	 publish_snapshot(struct db *db, const struct config *cfg, int flags,
	    char **id, struct dp_error *err);

/* Clean up after a crash: .tmp-* directories, snapshots on disk but not in
 * the db (removed) or in the db but not on disk (marked deleted), a
 * `latest` that does not point at the newest snapshot. */
int	 publish_recover(struct db *db, const struct config *cfg,
	    struct dp_error *err);

/* Retention: keep the newest Keep-Snapshots plus every snapshot an
 * environment points at (and its by-hash files); remove the others and
 * the pool files no kept snapshot and no current package uses.  With
 * dry_run only report.  Counts go to *nsnap and *nfiles (may be NULL). */
int	 publish_gc(struct db *db, const struct config *cfg, int dry_run,
	    int *nsnap, int *nfiles, struct dp_error *err);

/* The same, calling cb (may be NULL) for everything removed (or that
 * would be with dry_run): kind is "snapshot", "package", "source",
 * "file" (pool) or "index" (by-hash store), what names it. */
typedef void (*publish_gc_cb)(const char *kind, const char *what,
	    void *arg);
int	 publish_gc_report(struct db *db, const struct config *cfg,
	    int dry_run, publish_gc_cb cb, void *arg, int *nsnap, int *nfiles,
	    struct dp_error *err);

#endif
