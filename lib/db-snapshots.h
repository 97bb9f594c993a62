/*
 * db-snapshots.h - the snapshots table (schema: db.h), the only place
 * that knows its columns and SQL.  The publisher writes it; the CLI, the
 * promoter, the checks and the object-storage publisher read it.
 *
 * Functions returning a count of rows found return 1 (found), 0 (no such
 * snapshot) or -1 with *err filled (err may be NULL where it says so).
 * Strings handed out are the caller's to free.
 */
#ifndef DEBPIPE_DB_SNAPSHOTS_H
#define DEBPIPE_DB_SNAPSHOTS_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "error.h"
#include "strlist.h"

/* One row.  pkgs/srcs (sorted packages.id / sources.id) are read only
 * by db_snapshot_get; npkgs/nsrcs always. */
struct db_snapshot {
	char	*id;
	char	*created;
	char	*state;		/* "published" or "deleted" */
	char	*digest;	/* of the package set and settings */
	int64_t	*pkgs;
	size_t	 npkgs;
	int64_t	*srcs;
	size_t	 nsrcs;
};
void	 db_snapshot_done(struct db_snapshot *s);	/* frees the fields */

/* The row of id (any state) with its members. */
int	 db_snapshot_get(struct db *db, const char *id, struct db_snapshot *out,
	    struct dp_error *err);
/* The members of id (any state); *pkgs and *srcs are never NULL. */
int	 db_snapshot_members(struct db *db, const char *id, int64_t **pkgs,
	    size_t *npkgs, int64_t **srcs, size_t *nsrcs, struct dp_error *err);
/* The members of every published snapshot, concatenated (unsorted,
 * repeats kept); never NULL.  0 or -1. */
int	 db_snapshot_published_members(struct db *db, int64_t **pkgs,
	    size_t *npkgs, int64_t **srcs, size_t *nsrcs, struct dp_error *err);
/* Is id published?  *created (may be NULL) gets its time. */
int	 db_snapshot_published(struct db *db, const char *id, char **created,
	    struct dp_error *err);
/* Its state ("published", "deleted"), NULL when there is no row. */
int	 db_snapshot_state(struct db *db, const char *id, char **state,
	    struct dp_error *err);
/* Is there a row for id (any state)?  1 or 0 (0 on errors too). */
int	 db_snapshot_exists(struct db *db, const char *id);

/* The newest published snapshot: *id (and *digest, may be NULL), NULL
 * when there is none.  0 or -1. */
int	 db_snapshot_newest(struct db *db, char **id, char **digest,
	    struct dp_error *err);
/* The newest published snapshot newer than after (NULL: any), or NULL. */
int	 db_snapshot_newest_after(struct db *db, const char *after, char **id,
	    struct dp_error *err);
/* The newest published snapshot older than id, or NULL. */
int	 db_snapshot_previous(struct db *db, const char *id, char **prev,
	    struct dp_error *err);
/* How many are published. */
int	 db_snapshot_count(struct db *db, int64_t *n, struct dp_error *err);
/* The IDs of the published snapshots, newest first, appended to ids. */
int	 db_snapshot_list_published(struct db *db, struct strlist *ids,
	    struct dp_error *err);

/* Call cb for each snapshot, newest first: only published ones unless
 * all, at most limit (<= 0: every one).  The row (members not read) is
 * only valid during the call.  cb returning -1 stops the walk: -1. */
typedef int (*db_snapshot_cb)(const struct db_snapshot *s, void *arg);
int	 db_snapshot_foreach(struct db *db, int all, long limit,
	    db_snapshot_cb cb, void *arg, struct dp_error *err);

/* Snapshots the environments hold: appended to envs the one each points
 * at, to hist the last `history` each moved to (env_history, newest
 * first; each once). */
int	 db_snapshot_pinned(struct db *db, int history, struct strlist *envs,
	    struct strlist *hist, struct dp_error *err);

/* Snapshots environment env was on lately, appended to out: the one it
 * is on, those it moved to since now + modifier (an sqlite date modifier
 * such as "-1 hour"), and the one it left last. */
int	 db_snapshot_env_lately(struct db *db, const char *env,
	    const char *modifier, struct strlist *out, struct dp_error *err);

/* Record a published snapshot (created now); inside the caller's
 * transaction if it has one. */
int	 db_snapshot_add(struct db *db, const char *id, const int64_t *pkgs,
	    size_t npkgs, const int64_t *srcs, size_t nsrcs,
	    const char *digest, struct dp_error *err);
/* Mark id deleted (its tree is gone or going). */
int	 db_snapshot_set_deleted(struct db *db, const char *id,
	    struct dp_error *err);

/* The packages/sources BLOB format: sorted ids as little-endian int64s.
 * decode never returns NULL; encode gives n * 8 bytes (caller frees). */
int64_t	*db_snapshot_ids_decode(const void *blob, size_t len, size_t *n);
void	*db_snapshot_ids_encode(const int64_t *ids, size_t n);

#endif
