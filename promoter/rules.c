/*
 * rules.c - the promotion rules (DESIGN.md "Promotion rules").
 *
 * For each environment E, in configuration order:
 *  - Auto-Promote: yes takes the newest published snapshot;
 *  - Promote-From: F takes the newest snapshot S that is or was in F (and
 *    was not moved backwards out of F by a rollback or force), for which
 *    the latest report of every job in E's Requires is a success and
 *    Min-Soak has passed since S first entered F.
 * Never backwards: S must be newer than anything E has ever been on (its
 * "high water" mark), so a rolled-back snapshot does not come back by
 * itself; only --force and rollback move an environment backwards.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "promoter.h"
#include "result.h"
#include "xmalloc.h"

/* Snapshots of env F that E may take, newest first, with the time each
 * first entered F.  ?1 = F, ?2 = high water mark of E (or NULL). */
#define SQL_CANDIDATES \
	"SELECT h.to_snapshot, min(h.time) FROM env_history h " \
	"JOIN snapshots s ON s.id = h.to_snapshot AND s.state = 'published' " \
	"WHERE h.env = ?1 AND h.to_snapshot > coalesce(?2, '') " \
	"AND (h.to_snapshot IS (SELECT snapshot FROM environments " \
	"     WHERE name = ?1) " \
	"  OR NOT EXISTS (SELECT 1 FROM env_history r WHERE r.env = ?1 " \
	"     AND r.from_snapshot = h.to_snapshot " \
	"     AND r.to_snapshot < r.from_snapshot)) " \
	"GROUP BY h.to_snapshot ORDER BY h.to_snapshot DESC"

/* When S (?2) entered F (?1), NULL if it never did (or was rejected). */
#define SQL_ENTERED \
	"SELECT min(h.time) FROM env_history h WHERE h.env = ?1 " \
	"AND h.to_snapshot = ?2 " \
	"AND (?2 IS (SELECT snapshot FROM environments WHERE name = ?1) " \
	"  OR NOT EXISTS (SELECT 1 FROM env_history r WHERE r.env = ?1 " \
	"     AND r.from_snapshot = ?2 AND r.to_snapshot < r.from_snapshot))"

static const char *const rules_states[] = {
	[RULES_CURRENT] = "current",
	[RULES_WAS] = "was",
	[RULES_READY] = "ready",
	[RULES_WAITING] = "waiting",
	[RULES_SOAKING] = "soaking",
	[RULES_BLOCKED] = "blocked",
	[RULES_SUPERSEDED] = "superseded",
	[RULES_MANUAL] = "manual",
};

const char *
rules_state_name(int state)
{
	if (state < 0 || state > RULES_MANUAL)
		return "unknown";
	return rules_states[state];
}

int
rules_job_known(const struct config *cfg, const char *job)
{
	size_t	i;
	char	**r;

	for (i = 0; i < cfg->nenvs; i++)
		for (r = cfg->envs[i].requires; r != NULL && *r != NULL; r++)
			if (strcmp(*r, job) == 0)
				return 1;
	return 0;
}

/*
 * The Requires gate of env for snapshot id: RULES_READY when every job's
 * latest report is a success, RULES_BLOCKED when one is a failure,
 * RULES_WAITING when some have not reported.  *detail (may be NULL) says
 * which.  -1 on error.
 */
static int
rules_jobs(struct db *db, const struct conf_env *env, const char *id,
    char **detail, struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	struct buf	 failed, missing;
	char		**r;
	const char	*res;
	int		 rc, state = -1;

	buf_init(&failed);
	buf_init(&missing);
	if (detail != NULL)
		*detail = NULL;
	if (util_prepare(db, "SELECT result FROM results WHERE snapshot = ? "
	    "AND job = ? ORDER BY id DESC LIMIT 1", &s, err) == -1)
		goto out;
	for (r = env->requires; r != NULL && *r != NULL; r++) {
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, *r, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			res = (const char *)sqlite3_column_text(s, 0);
			if (result_passes(res))
				continue;
			buf_printf(&failed, "%s%s", failed.len ? " " : "", *r);
		} else if (rc == SQLITE_DONE)
			buf_printf(&missing, "%s%s", missing.len ? " " : "",
			    *r);
		else {
			dp_error_sqlite(err, db_handle(db), "results of %s",
			    id);
			goto out;
		}
	}
	if (failed.len > 0) {
		state = RULES_BLOCKED;
		if (detail != NULL)
			*detail = xasprintf("failed: %s", failed.data);
	} else if (missing.len > 0) {
		state = RULES_WAITING;
		if (detail != NULL)
			*detail = xasprintf("waiting for: %s", missing.data);
	} else
		state = RULES_READY;
out:
	buf_done(&failed);
	buf_done(&missing);
	util_finalize(s);
	return state;
}

/* Jobs and Min-Soak for a snapshot that entered Promote-From at entered. */
static int
rules_gate(struct db *db, const struct conf_env *env, const char *id,
    const char *entered, time_t now, char **detail, struct dp_error *err)
{
	time_t	t;
	int	state;

	if ((state = rules_jobs(db, env, id, detail, err)) != RULES_READY)
		return state;
	if (env->min_soak > 0) {
		if ((t = util_time_parse(entered)) == -1)
			t = now;
		if (now - t < env->min_soak) {
			if (detail != NULL)
				*detail = xasprintf("Min-Soak: %lds left",
				    (long)(t + env->min_soak - now));
			return RULES_SOAKING;
		}
	}
	return RULES_READY;
}

/* The snapshot env should move to now, or NULL. */
static int
rules_target(struct db *db, const struct conf_env *env, time_t now,
    char **target, struct dp_error *err)
{
	sqlite3_stmt	*s = NULL;
	char		*hwm = NULL;
	const char	*id;
	int		 rc, rv = -1, state;

	*target = NULL;
	if (env_high_water(db, env->name, &hwm, err) == -1)
		goto out;
	if (env->auto_promote) {
		if (util_prepare(db, "SELECT max(id) FROM snapshots WHERE "
		    "state = 'published' AND (?1 IS NULL OR id > ?1)", &s,
		    err) == -1)
			goto out;
		sqlite3_bind_text(s, 1, hwm, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
			dp_error_sqlite(err, db_handle(db), "newest snapshot");
			goto out;
		}
		if (sqlite3_column_type(s, 0) != SQLITE_NULL)
			*target = xstrdup((const char *)
			    sqlite3_column_text(s, 0));
		rv = 0;
		goto out;
	}
	if (env->promote_from == NULL) {
		rv = 0;		/* moved by hand only */
		goto out;
	}
	if (util_prepare(db, SQL_CANDIDATES, &s, err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, env->promote_from, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, hwm, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(s, 0);
		state = rules_gate(db, env, id,
		    (const char *)sqlite3_column_text(s, 1), now, NULL, err);
		if (state == -1)
			goto out;
		if (state == RULES_READY) {
			*target = xstrdup(id);
			break;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "candidates for %s",
		    env->name);
		goto out;
	}
	rv = 0;
out:
	free(hwm);
	util_finalize(s);
	return rv;
}

int
rules_evaluate(struct db *db, const struct config *cfg, time_t now,
    int *nmoves, struct dp_error *err)
{
	const struct conf_env	*env;
	struct dp_error		 e;
	char			*target;
	size_t			 i, round;
	int			 moved, any, rv = 0;

	if (nmoves != NULL)
		*nmoves = 0;
	/* A move can enable the next environment: repeat until quiet. */
	for (round = 0; round <= cfg->nenvs; round++) {
		any = 0;
		for (i = 0; i < cfg->nenvs; i++) {
			env = &cfg->envs[i];
			dp_error_clear(&e);
			if (rules_target(db, env, now, &target, &e) == -1) {
				log_warnx("%s: %s", env->name,
				    dp_error_str(&e));
				if (err != NULL)
					*err = e;
				rv = -1;
				continue;
			}
			if (target == NULL)
				continue;
			if (env_move(db, cfg, env->name, target, "auto", NULL,
			    ENV_AUTO, &moved, &e) == -1) {
				log_warnx("%s: %s", env->name,
				    dp_error_str(&e));
				if (err != NULL)
					*err = e;
				rv = -1;
			}
			if (moved) {
				any = 1;
				if (nmoves != NULL)
					(*nmoves)++;
			}
			free(target);
		}
		if (!any)
			break;
	}
	return rv;
}

static int
rules_explain_depth(struct db *db, const struct config *cfg,
    const struct conf_env *env, const char *id, time_t now, int *state,
    char **detail, size_t depth, struct dp_error *err)
{
	sqlite3_stmt		*s = NULL;
	struct env_state	 cur = { NULL, NULL };
	const struct conf_env	*from;
	char			*hwm = NULL, *entered = NULL, *sub = NULL;
	int			 rc, rv = -1, st;

	*detail = NULL;
	if (env_get(db, env->name, &cur, err) == -1)
		goto out;
	if (cur.snapshot != NULL && strcmp(cur.snapshot, id) == 0) {
		*state = RULES_CURRENT;
		*detail = xasprintf("%s is on %s since %s", env->name, id,
		    cur.since);
		rv = 0;
		goto out;
	}
	if (util_prepare(db, "SELECT time FROM env_history WHERE env = ? AND "
	    "to_snapshot = ? ORDER BY id LIMIT 1", &s, err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, env->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*state = RULES_WAS;
		*detail = xasprintf("was in %s (from %s)", env->name,
		    sqlite3_column_text(s, 0));
		rv = 0;
		goto out;
	} else if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "history of %s",
		    env->name);
		goto out;
	}
	util_finalize(s);
	s = NULL;
	if (!env->auto_promote && env->promote_from == NULL) {
		*state = RULES_MANUAL;
		*detail = xasprintf("%s is moved by hand only", env->name);
		rv = 0;
		goto out;
	}
	if (env_high_water(db, env->name, &hwm, err) == -1)
		goto out;
	if (hwm != NULL && strcmp(id, hwm) <= 0) {
		*state = RULES_SUPERSEDED;
		*detail = xasprintf("%s has been on newer snapshot %s",
		    env->name, hwm);
		rv = 0;
		goto out;
	}
	if (env->auto_promote) {
		*state = RULES_READY;
		*detail = xasprintf("moves to %s on the next evaluation",
		    env->name);
		rv = 0;
		goto out;
	}
	if (util_prepare(db, SQL_ENTERED, &s, err) == -1)
		goto out;
	sqlite3_bind_text(s, 1, env->promote_from, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW) {
		dp_error_sqlite(err, db_handle(db), "history of %s",
		    env->promote_from);
		goto out;
	}
	if (sqlite3_column_type(s, 0) != SQLITE_NULL)
		entered = xstrdup((const char *)sqlite3_column_text(s, 0));
	if (entered == NULL) {
		from = config_env_find(cfg, env->promote_from);
		if (from == NULL || depth > cfg->nenvs) {
			*state = RULES_BLOCKED;
			*detail = xasprintf("Promote-From %s is not an "
			    "environment", env->promote_from);
			rv = 0;
			goto out;
		}
		if (rules_explain_depth(db, cfg, from, id, now, &st, &sub,
		    depth + 1, err) == -1)
			goto out;
		switch (st) {
		case RULES_BLOCKED:
		case RULES_SUPERSEDED:
		case RULES_MANUAL:
			*state = st == RULES_MANUAL ? RULES_WAITING : st;
			*detail = xasprintf("%s: %s", from->name, sub);
			break;
		case RULES_WAS:
			*state = RULES_BLOCKED;
			*detail = xasprintf("rolled back from %s",
			    from->name);
			break;
		default:
			*state = RULES_WAITING;
			*detail = xasprintf("not yet in %s (%s: %s)",
			    from->name, rules_state_name(st), sub);
			break;
		}
		rv = 0;
		goto out;
	}
	if ((*state = rules_gate(db, env, id, entered, now, detail, err)) ==
	    -1)
		goto out;
	if (*state == RULES_READY)
		*detail = xasprintf("moves to %s on the next evaluation",
		    env->name);
	rv = 0;
out:
	if (rv == -1) {
		free(*detail);
		*detail = NULL;
	}
	free(sub);
	free(hwm);
	free(entered);
	env_state_done(&cur);
	util_finalize(s);
	return rv;
}

int
rules_explain(struct db *db, const struct config *cfg,
    const struct conf_env *env, const char *id, time_t now, int *state,
    char **detail, struct dp_error *err)
{
	return rules_explain_depth(db, cfg, env, id, now, state, detail, 0,
	    err);
}

int
rules_allowed(struct db *db, const struct config *cfg,
    const struct conf_env *env, const char *id, time_t now, char **why,
    struct dp_error *err)
{
	char	*detail = NULL;
	int	 state;

	*why = NULL;
	if (rules_explain(db, cfg, env, id, now, &state, &detail, err) == -1)
		return -1;
	if (state == RULES_READY || state == RULES_CURRENT) {
		free(detail);
		return 1;
	}
	*why = xasprintf("%s: %s", rules_state_name(state), detail);
	free(detail);
	return 0;
}
