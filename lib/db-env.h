/*
 * db-env.h - the environments table (which snapshot each environment is
 * on, and since when) and what it and the audit log (env_history,
 * db-audit.h) say about where an environment has been: the queries of the
 * promotion rules.  The promoter (env.c, rules.c, the API) and `debpipe
 * status` read through these.
 */
#ifndef DEBPIPE_DB_ENV_H
#define DEBPIPE_DB_ENV_H

#include "db.h"
#include "error.h"

/* The snapshot env is on and since when (caller frees both); NULL when
 * it is on none. */
int	 db_env_get(struct db *db, const char *env, char **snapshot,
	    char **since, struct dp_error *err);
/* Put env on snapshot since then (inside the caller's transaction). */
int	 db_env_set(struct db *db, const char *env, const char *snapshot,
	    const char *since, struct dp_error *err);
/* cb(arg, name, snapshot) for each environment on a snapshot, by name; a
 * cb returning -1 stops the walk (db_env_each returns -1, err untouched:
 * the cb says why).  -1 with err on a database error. */
int	 db_env_each(struct db *db,
	    int (*cb)(void *arg, const char *name, const char *snapshot),
	    void *arg, struct dp_error *err);
/* cb(arg, name) for each environment on snapshot id, by name. */
int	 db_env_on(struct db *db, const char *id,
	    void (*cb)(void *arg, const char *name), void *arg,
	    struct dp_error *err);

/* Highest snapshot env has ever been on (or moved away from); NULL when
 * none.  Caller frees. */
int	 db_env_high_water(struct db *db, const char *env, char **out,
	    struct dp_error *err);
/* The newest snapshot in env's history older than its current one and
 * still published; NULL when none.  Caller frees. */
int	 db_env_rollback_target(struct db *db, const char *env, char **out,
	    struct dp_error *err);
/* The published snapshots newer than after (NULL: any) that env has
 * taken and not been rolled back or forced away from (unless it is on
 * it), newest first, with the time each first entered env: cb(arg, id,
 * entered) returns 0 to go on, 1 to stop (0 returned), -1 to stop with
 * an error (-1 returned, err as the cb left it). */
int	 db_env_candidates(struct db *db, const char *env, const char *after,
	    int (*cb)(void *arg, const char *id, const char *entered),
	    void *arg, struct dp_error *err);
/* When snapshot id entered env, NULL if it never did or was rolled back
 * or forced away from (unless env is on it).  Caller frees. */
int	 db_env_entered(struct db *db, const char *env, const char *id,
	    char **time, struct dp_error *err);
/* When snapshot id first entered env at all, NULL if never.  Caller
 * frees. */
int	 db_env_first_on(struct db *db, const char *env, const char *id,
	    char **time, struct dp_error *err);

#endif
