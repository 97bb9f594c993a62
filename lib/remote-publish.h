/*
 * remote-publish.h - the public tree on object storage (DESIGN.md
 * "Publishing to object storage").
 *
 * Layout under each target's PREFIX:
 *   pool/...                              the one shared pool
 *   dists/<dist>/<snapshot-ID>/...        each snapshot, a suite path
 *   dists/<dist>/<environment>/...        each environment, moved in place
 * so that `deb URL/PREFIX <dist>/<name> <components>` works (apt accepts a
 * suite DIST/NAME when DIST is the Release's Codename).
 *
 * Order: pool files, then index files under by-hash/SHA256, then the plain
 * index names, then Release, Release.gpg and InRelease last; an
 * environment's old by-hash files stay.  state.db (remote_objects) knows
 * what each target holds: nothing already there is uploaded again and
 * nothing is asked of the server per file.
 */
#ifndef DEBPIPE_REMOTE_PUBLISH_H
#define DEBPIPE_REMOTE_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "error.h"

struct remote_stats {
	size_t		 uploaded;	/* objects PUT */
	uint64_t	 bytes;
	size_t		 deleted;
	size_t		 skipped;	/* already there (state.db) */
	size_t		 requests;	/* HTTP requests, retries included */
	size_t		 pending;	/* left to do after a failure */
	size_t		 names;		/* suite paths completed */
};

/* Bring target t up to date with every published snapshot and every
 * environment.  Holds State-Dir/remote-<n>.lock (waiting) so one sync per
 * target runs at a time.  The outcome is recorded in remote_targets. */
#define REMOTE_IF_NEEDED	0x1	/* no request at all when up to date */
int	 remote_sync(struct db *db, const struct config *cfg,
	    const struct conf_target *t, int flags, struct remote_stats *st,
	    struct dp_error *err);

/* Every target, each on its own (one that fails does not stop the
 * others).  -1 if any failed (err: the last failure). */
int	 remote_sync_all(struct db *db, const struct config *cfg,
	    struct dp_error *err);

/* Retention on t (remote-gc.c): suite paths of snapshots no longer
 * published, then pool objects no published snapshot uses, and an
 * environment's by-hash objects no snapshot it was on lately refers to.
 * Part of remote_sync, after the uploads. */
struct objstore;
int	 remote_gc(struct db *db, const struct config *cfg,
	    const struct conf_target *t, struct objstore *os,
	    struct remote_stats *st, struct dp_error *err);

/* Compare t's listing with what state.db says it holds: objects missing,
 * of the wrong size or ETag, and unknown ones (reported, never deleted).
 * With repair, the missing and wrong ones are uploaded again (a sync).
 * cb (may be NULL) gets each difference: kind is "missing",
 * "wrong-size", "wrong-etag" or "unknown". */
struct remote_verify_stats {
	size_t			recorded, listed;
	size_t			missing, wrong, unknown;
	size_t			repaired;	/* objects uploaded again */
	size_t			requests;	/* of the listing */
	struct remote_stats	sync;		/* of the repair */
};
typedef void (*remote_verify_cb)(const char *kind, const char *key,
    void *arg);
int	 remote_verify(struct db *db, const struct config *cfg,
	    const struct conf_target *t, int repair, remote_verify_cb cb,
	    void *arg, struct remote_verify_stats *vs, struct dp_error *err);

/* 1 if t lacks a published snapshot or an environment's current
 * snapshot, or holds a snapshot no longer published (cheap: state.db
 * only; 1 on a database error). */
int	 remote_needs_sync(struct db *db, const struct conf_target *t);

/* State-Dir/remote-<hash>.lock: held by whoever syncs t. */
char	*remote_lock_path(const struct config *cfg,
	    const struct conf_target *t);

/* The apt source line of name (a snapshot ID or environment) on t, for
 * the dist d (caller frees).  The URL comes from Publish-URL:, else from
 * the last successful sync, else the endpoint. */
char	*remote_source_line(struct db *db, const struct config *cfg,
	    const struct conf_target *t, const struct conf_dist *d,
	    const char *name);

#endif
