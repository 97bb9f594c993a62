/*
 * env.c - environments: moving one (database, audit log, notifications,
 * then the Public-Dir/<env> symlink) and reconciling the symlinks with the
 * database, which is the truth.
 *
 * Crash safety: the database changes in one transaction first, the symlink
 * is swapped afterwards with one rename(2).  A crash in between leaves a
 * symlink that disagrees with the database; env_reconcile() (at start-up
 * and on every tick) re-points it.
 */
#include "autoconfig.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db-audit.h"
#include "db-env.h"
#include "db-snapshots.h"
#include "fsutil.h"
#include "log.h"
#include "promoter.h"
#include "xmalloc.h"

static const char *const env_kinds[] = {
	[ENV_AUTO] = "auto",
	[ENV_FORCE] = "force",
	[ENV_ROLLBACK] = "rollback",
};

int
env_name_reserved(const char *name)
{
	static const char *const reserved[] = {
		"snapshots", "pool", "latest", "dists", "by-hash", "api",
		"metrics", NULL
	};
	size_t	i;

	for (i = 0; reserved[i] != NULL; i++)
		if (strcmp(name, reserved[i]) == 0)
			return 1;
	return !fs_name_is_safe(name);
}

void
env_state_done(struct env_state *st)
{
	free(st->snapshot);
	free(st->since);
	st->snapshot = st->since = NULL;
}

int
env_get(struct db *db, const char *env, struct env_state *st,
    struct dp_error *err)
{
	return db_env_get(db, env, &st->snapshot, &st->since, err);
}

int
env_snapshot_exists(struct db *db, const char *id, struct dp_error *err)
{
	return db_snapshot_published(db, id, NULL, err);
}

static int
env_symlink(const struct config *cfg, const char *env, const char *snapshot,
    struct dp_error *err)
{
	char	*target, *link;
	int	 rv;

	target = xasprintf("snapshots/%s", snapshot);
	link = fs_join(cfg->public_dir, env);
	rv = fs_symlink_atomic(target, link, err);
	free(target);
	free(link);
	return rv;
}

int
env_move(struct db *db, const struct config *cfg, const char *env,
    const char *snapshot, const char *actor, const char *reason,
    enum env_kind kind, int *moved, struct dp_error *err)
{
	const struct conf_env	*ce;
	struct env_state	 cur = { NULL, NULL };
	struct db_move		 mv;
	const char		*crash;
	char			 now[32];
	int			 rv = -1, ex;

	*moved = 0;
	if ((ce = config_env_find(cfg, env)) == NULL) {
		dp_error_set(err, DP_ERR_NOTFOUND, "no environment %s", env);
		return -1;
	}
	if (env_name_reserved(env)) {
		dp_error_set(err, DP_ERR_INVALID, "environment name %s "
		    "cannot be used", env);
		return -1;
	}
	util_time_fmt(time(NULL), now);
	if (db_begin(db, err) == -1)
		return -1;
	if ((ex = env_snapshot_exists(db, snapshot, err)) == -1)
		goto out;
	if (ex == 0) {
		dp_error_set(err, DP_ERR_NOTFOUND, "no published snapshot %s",
		    snapshot);
		goto out;
	}
	if (env_get(db, env, &cur, err) == -1)
		goto out;
	if (cur.snapshot != NULL && strcmp(cur.snapshot, snapshot) == 0) {
		db_rollback(db);
		rv = 0;
		goto out;
	}
	if (db_env_set(db, env, snapshot, now, err) == -1)
		goto out;
	mv.env = env;
	mv.from = cur.snapshot;
	mv.to = snapshot;
	mv.time = now;
	mv.actor = actor;
	mv.reason = reason;
	mv.kind = env_kinds[kind];
	if (db_audit_add(db, &mv, err) == -1)
		goto out;
	if (notify_enqueue(db, ce, cfg, cur.snapshot, snapshot, actor,
	    reason, env_kinds[kind], now, err) == -1)
		goto out;
	if (db_commit(db, err) == -1)
		goto out;
	*moved = 1;
	log_info("%s: %s -> %s (%s by %s%s%s)", env,
	    cur.snapshot != NULL ? cur.snapshot : "(none)", snapshot,
	    env_kinds[kind], actor, reason != NULL ? ": " : "",
	    reason != NULL ? reason : "");

	/* Tests only: die between the commit and the symlink swap. */
	if ((crash = getenv("DEBPIPE_TEST_CRASH")) != NULL &&
	    strcmp(crash, "after-commit") == 0)
		raise(SIGKILL);

	if (env_symlink(cfg, env, snapshot, err) == -1) {
		/* The db is the truth; the next reconcile retries. */
		dp_error_prefix(err, "environment %s moved to %s but its "
		    "symlink was not updated", env, snapshot);
		goto out;
	}
	rv = 0;
out:
	if (rv == -1)
		db_rollback(db);	/* no-op after the commit */
	env_state_done(&cur);
	return rv;
}

struct env_reconcile {
	const struct config	*cfg;
	int			*fixed;
	struct dp_error		*err;
};

static int
env_reconcile_cb(void *arg, const char *name, const char *snap)
{
	struct env_reconcile	*rc = arg;
	const struct config	*cfg = rc->cfg;
	char			*link = NULL, *want = NULL, got[256];
	ssize_t			 n;
	int			 rv = -1;

	if (config_env_find(cfg, name) == NULL || env_name_reserved(name) ||
	    !util_snapshot_id_ok(snap))
		return 0;	/* not ours (any more) */
	link = fs_join(cfg->public_dir, name);
	want = xasprintf("snapshots/%s", snap);
	n = readlink(link, got, sizeof(got) - 1);
	if (n >= 0) {
		got[n] = '\0';
		if (strcmp(got, want) == 0) {
			rv = 0;
			goto out;
		}
	} else if (errno != ENOENT && errno != EINVAL) {
		dp_error_errno(rc->err, "readlink %s", link);
		goto out;
	}
	if (env_symlink(cfg, name, snap, rc->err) == -1)
		goto out;
	log_info("%s: symlink re-pointed to %s (was %s)", name, want,
	    n >= 0 ? got : "missing");
	if (rc->fixed != NULL)
		(*rc->fixed)++;
	rv = 0;
out:
	free(link);
	free(want);
	return rv;
}

int
env_reconcile(struct db *db, const struct config *cfg, int *fixed,
    struct dp_error *err)
{
	struct env_reconcile	rc = { cfg, fixed, err };

	if (fixed != NULL)
		*fixed = 0;
	return db_env_each(db, env_reconcile_cb, &rc, err);
}
