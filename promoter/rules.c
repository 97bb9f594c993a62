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

#include "db-env.h"
#include "db-results.h"
#include "db-snapshots.h"
#include "log.h"
#include "promoter.h"
#include "result.h"
#include "xmalloc.h"

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
	struct buf	 failed, missing;
	char		**r, *res;
	int		 state = -1;

	buf_init(&failed);
	buf_init(&missing);
	if (detail != NULL)
		*detail = NULL;
	for (r = env->requires; r != NULL && *r != NULL; r++) {
		if (db_result_latest(db, id, *r, &res, err) == -1)
			goto out;
		if (res == NULL)
			buf_printf(&missing, "%s%s", missing.len ? " " : "",
			    *r);
		else if (!result_passes(res))
			buf_printf(&failed, "%s%s", failed.len ? " " : "", *r);
		free(res);
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

struct rules_candidates {
	struct db		*db;
	const struct conf_env	*env;
	time_t			 now;
	char			**target;
	struct dp_error		*err;
};

/* The first candidate whose gates are open is the target. */
static int
rules_candidate_cb(void *arg, const char *id, const char *entered)
{
	struct rules_candidates	*ct = arg;
	int			 state;

	state = rules_gate(ct->db, ct->env, id, entered, ct->now, NULL,
	    ct->err);
	if (state == -1)
		return -1;
	if (state == RULES_READY) {
		*ct->target = xstrdup(id);
		return 1;
	}
	return 0;
}

/* The snapshot env should move to now, or NULL. */
static int
rules_target(struct db *db, const struct conf_env *env, time_t now,
    char **target, struct dp_error *err)
{
	struct rules_candidates	 ct = { db, NULL, 0, NULL, NULL };
	char			*hwm = NULL;
	int			 rv = -1;

	*target = NULL;
	if (db_env_high_water(db, env->name, &hwm, err) == -1)
		goto out;
	if (env->auto_promote) {
		if (db_snapshot_newest_after(db, hwm, target, err) == -1)
			goto out;
		rv = 0;
		goto out;
	}
	if (env->promote_from == NULL) {
		rv = 0;		/* moved by hand only */
		goto out;
	}
	ct.env = env;
	ct.now = now;
	ct.target = target;
	ct.err = err;
	if (db_env_candidates(db, env->promote_from, hwm, rules_candidate_cb,
	    &ct, err) == -1)
		goto out;
	rv = 0;
out:
	free(hwm);
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
	struct env_state	 cur = { NULL, NULL };
	const struct conf_env	*from;
	char			*hwm = NULL, *entered = NULL, *sub = NULL;
	char			*was = NULL;
	int			 rv = -1, st;

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
	if (db_env_first_on(db, env->name, id, &was, err) == -1)
		goto out;
	if (was != NULL) {
		*state = RULES_WAS;
		*detail = xasprintf("was in %s (from %s)", env->name, was);
		rv = 0;
		goto out;
	}
	if (!env->auto_promote && env->promote_from == NULL) {
		*state = RULES_MANUAL;
		*detail = xasprintf("%s is moved by hand only", env->name);
		rv = 0;
		goto out;
	}
	if (db_env_high_water(db, env->name, &hwm, err) == -1)
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
	if (db_env_entered(db, env->promote_from, id, &entered, err) == -1)
		goto out;
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
	free(was);
	env_state_done(&cur);
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
