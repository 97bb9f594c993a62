/*
 * db-remote.h - what state.db knows of the object-storage targets
 * (schema: db.h): remote_targets (each target's last sync),
 * remote_dists (which suite path of a target is complete for which
 * snapshot), remote_objects (what a target holds).
 *
 * Lookups return 1 (found), 0 (no row) or -1 with *err filled.
 */
#ifndef DEBPIPE_DB_REMOTE_H
#define DEBPIPE_DB_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "error.h"
#include "strlist.h"

/* A remote_targets row; strings NULL when the column is (caller frees
 * with db_remote_target_done). */
struct db_remote_target {
	char	*url;
	char	*last_attempt;
	char	*last_success;
	char	*last_error;
	int64_t	 pending;
	int64_t	 uploaded;
};
int	 db_remote_target_get(struct db *db, const char *target,
	    struct db_remote_target *out, struct dp_error *err);
void	 db_remote_target_done(struct db_remote_target *t);
/* Record a sync attempt now: url (NULL: keep the known one), ok (the
 * time is also the last success), error (NULL when none), what is left
 * pending and what was uploaded (added to the total). */
int	 db_remote_target_record(struct db *db, const char *target,
	    const char *url, int ok, const char *error, size_t pending,
	    size_t uploaded, struct dp_error *err);

/* How far target is behind: *behind published snapshots and environment
 * moves not yet complete there, *lag the seconds the oldest has waited. */
int	 db_remote_lag(struct db *db, const char *target, int64_t *lag,
	    int64_t *behind, struct dp_error *err);
/* How many objects (and bytes) target holds. */
int	 db_remote_objects_total(struct db *db, const char *target,
	    int64_t *n, int64_t *bytes, struct dp_error *err);

/* dists/<dist>/<name> of target is complete for snapshot snap (now). */
int	 db_remote_dist_set(struct db *db, const char *target,
	    const char *name, const char *snap, struct dp_error *err);

/* Call cb for each name (snapshot ID or environment) still to publish
 * on target with its snapshot, pool 1 for a snapshot (its pool files
 * too): snapshots oldest first, then environments.  cb returning -1
 * stops the walk: -1. */
typedef int (*db_remote_todo_cb)(const char *name, const char *snap,
	    int pool, void *arg);
int	 db_remote_todo(struct db *db, const char *target,
	    db_remote_todo_cb cb, void *arg, struct dp_error *err);
/* Is anything to publish or to remove on target?  1 or 0 (1 on errors:
 * a sync finds out). */
int	 db_remote_needs_sync(struct db *db, const char *target);

/* The objects of one target, for a sync's many lookups and records:
 * statements prepared once by db_remote_objects_new. */
struct db_remote_objects;
struct db_remote_objects *db_remote_objects_new(struct db *db,
	    const char *target, struct dp_error *err);
void	 db_remote_objects_free(struct db_remote_objects *o);	/* NULL ok */
/* Does the target hold key (and, when sha256 is not NULL, with that
 * content)?  1 or 0 (0 on errors too). */
int	 db_remote_objects_has(struct db_remote_objects *o, const char *key,
	    const char *sha256);
/* key was uploaded now with this size, sha256 and ETag. */
int	 db_remote_objects_put(struct db_remote_objects *o, const char *key,
	    uint64_t size, const char *sha256, const char *etag,
	    struct dp_error *err);

/* Forget key (deleted from the target, or not there as recorded). */
int	 db_remote_objects_forget(struct db_remote_objects *o, const char *key,
	    struct dp_error *err);

/* Call cb for every recorded object of target whose key starts with
 * prefix ("" every one): key, size, ETag (may be NULL). */
typedef void (*db_remote_object_cb)(const char *key, uint64_t size,
	    const char *etag, void *arg);
int	 db_remote_objects_under(struct db *db, const char *target,
	    const char *prefix, db_remote_object_cb cb, void *arg,
	    struct dp_error *err);

/* The suite names recorded on target whose snapshot local GC removed
 * (gone), or that are environments (envs); appended. */
int	 db_remote_dists_gone(struct db *db, const char *target,
	    struct strlist *names, struct dp_error *err);
int	 db_remote_dists_envs(struct db *db, const char *target,
	    struct strlist *names, struct dp_error *err);
/* Forget suite name on target (its objects went). */
int	 db_remote_dist_forget(struct db *db, const char *target,
	    const char *name, struct dp_error *err);
/* Forget every suite path still wanted (published snapshots and
 * environments), so that the next sync walks them again. */
int	 db_remote_dists_forget_wanted(struct db *db, const char *target,
	    struct dp_error *err);

#endif
