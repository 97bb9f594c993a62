/*
 * db-audit.h - the audit log: one env_history row per move of an
 * environment (who, why, what kind), never changed once written.  The
 * promoter writes it (env.c) and reads it (the API's history and
 * /api/v1/audit, /metrics).
 */
#ifndef DEBPIPE_DB_AUDIT_H
#define DEBPIPE_DB_AUDIT_H

#include <stdint.h>

#include "db.h"
#include "error.h"

/* One move; the strings point into the row (valid during a callback). */
struct db_move {
	long long	 id;
	const char	*env;
	const char	*from;		/* NULL for the first move */
	const char	*to;
	const char	*time;		/* RFC 3339 */
	const char	*actor;
	const char	*reason;	/* or NULL */
	const char	*kind;		/* auto, force, rollback */
};

/* Add m (its id is ignored) inside the caller's transaction. */
int	 db_audit_add(struct db *db, const struct db_move *m,
	    struct dp_error *err);
/* The newest DB_AUDIT_HISTORY moves of environment env, or of those to
 * or from snapshot id, oldest first: cb(arg, move). */
#define DB_AUDIT_HISTORY	500
int	 db_audit_env(struct db *db, const char *env,
	    void (*cb)(void *arg, const struct db_move *m), void *arg,
	    struct dp_error *err);
int	 db_audit_snapshot(struct db *db, const char *id,
	    void (*cb)(void *arg, const struct db_move *m), void *arg,
	    struct dp_error *err);
/* At most limit moves with an id below before (0: from the newest),
 * newest first. */
int	 db_audit_page(struct db *db, long long before, long limit,
	    void (*cb)(void *arg, const struct db_move *m), void *arg,
	    struct dp_error *err);
/* How many times env moved. */
int	 db_audit_count(struct db *db, const char *env, int64_t *n,
	    struct dp_error *err);

#endif
