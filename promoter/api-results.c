/*
 * api-results.c - the results of CI jobs and built-in checks: POST
 * /api/v1/snapshots/{id}/results (a report: role reporter), the results of
 * a snapshot as the other answers show them, and their counts (kept
 * exact without counting every row each time).
 */
#include "autoconfig.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api.h"
#include "db-env.h"
#include "db-results.h"
#include "log.h"
#include "promoter.h"
#include "result.h"
#include "xmalloc.h"

static void
api_result_cb(void *arg, const struct db_result *r)
{
	json_array_append_new(arg, json_pack("{s:o, s:o, s:o, s:o, s:o}",
	    "job", util_jstr(r->job),
	    "result", util_jstr(r->result),
	    "url", util_jstr(r->url),
	    "time", util_jstr(r->time),
	    "actor", util_jstr(r->actor)));
}

json_t *
api_snapshot_results(struct api_ctx *a, const char *id)
{
	struct dp_error	 err;
	json_t		*arr = json_array();

	if (db_results_of(a->db, id, a->q.history, api_result_cb, arr,
	    &err) == -1)
		log_warnx("api: %s", dp_error_str(&err));
	return arr;
}

/*
 * Counts of results, kept exact without counting every row each time:
 * results are only ever appended (no row is deleted or updated, ids
 * grow), so a count made up to id M plus the rows with id > M is the
 * count now.  One set for /metrics, a few per snapshot.
 */
#define API_NCOUNTS	64

static struct {
	pthread_mutex_t	 lock;
	int64_t		 maxid;		/* /metrics counted up to here */
	int64_t		 success, failure, neutral;
	struct {
		char	 id[32];
		int64_t	 maxid, n;
	}		 snap[API_NCOUNTS];
	size_t		 next;		/* slot to reuse */
} api_counts = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Every result so far by value: -1 on error. */
int
api_results_totals(struct db *db, int64_t *success, int64_t *failure,
    int64_t *neutral, struct dp_error *err)
{
	int64_t	maxid, n[3];
	int	rv = -1;

	pthread_mutex_lock(&api_counts.lock);
	if (db_results_maxid(db, &maxid, err) == -1 ||
	    db_results_count(db, NULL, api_counts.maxid, maxid, n,
	    err) == -1)
		goto out;
	if (maxid > api_counts.maxid) {
		api_counts.success += n[0];
		api_counts.failure += n[1];
		api_counts.neutral += n[2];
		api_counts.maxid = maxid;
	}
	*success = api_counts.success;
	*failure = api_counts.failure;
	*neutral = api_counts.neutral;
	rv = 0;
out:
	pthread_mutex_unlock(&api_counts.lock);
	return rv;
}

/* How many reports a snapshot has had (all jobs, all times). */
json_int_t
api_snapshot_nresults(struct api_ctx *a, const char *id)
{
	struct dp_error	 err;
	int64_t		 maxid, n[3], total = 0;
	size_t		 i;

	pthread_mutex_lock(&api_counts.lock);
	if (db_results_maxid(a->db, &maxid, &err) == -1)
		goto fail;
	for (i = 0; i < API_NCOUNTS; i++)
		if (strcmp(api_counts.snap[i].id, id) == 0)
			break;
	if (i == API_NCOUNTS) {
		if (strlen(id) >= sizeof(api_counts.snap[0].id)) {
			if (db_results_count(a->db, id, 0, maxid, n,
			    &err) == -1)
				goto fail;
			total = n[0] + n[1] + n[2];
			goto out;
		}
		i = api_counts.next++ % API_NCOUNTS;
		snprintf(api_counts.snap[i].id, sizeof(api_counts.snap[i].id),
		    "%s", id);
		api_counts.snap[i].maxid = api_counts.snap[i].n = 0;
	}
	if (db_results_count(a->db, id, api_counts.snap[i].maxid, maxid, n,
	    &err) == -1) {
		api_counts.snap[i].id[0] = '\0';
		goto fail;
	}
	if (maxid > api_counts.snap[i].maxid) {
		api_counts.snap[i].n += n[0] + n[1] + n[2];
		api_counts.snap[i].maxid = maxid;
	}
	total = api_counts.snap[i].n;
	goto out;
fail:
	log_warnx("api: %s", dp_error_str(&err));
out:
	pthread_mutex_unlock(&api_counts.lock);
	return total;
}

void
api_evaluate(struct api_ctx *a)
{
	struct dp_error	err;
	int		n;

	if (rules_evaluate(a->db, a->cfg, time(NULL), &n, &err) == -1)
		log_warnx("evaluate: %s", dp_error_str(&err));
	if (n > 0)
		notify_wake(a->p);
}

/*
 * Whether a success of job for snapshot id can move an environment: the
 * result counts only for id, so only an environment that requires job
 * and has never been on id or a newer snapshot (never backwards) can
 * move because of it; its moves then carry on from the tick.  1 when in
 * doubt.
 */
static int
api_may_move(struct api_ctx *a, const char *id, const char *job)
{
	const struct conf_env	*ce;
	struct dp_error		 err;
	char			**r, *hwm;
	size_t			 i;
	int			 may;

	for (i = 0; i < a->cfg->nenvs; i++) {
		ce = &a->cfg->envs[i];
		for (r = ce->requires; r != NULL && *r != NULL; r++)
			if (strcmp(*r, job) == 0)
				break;
		if (r == NULL || *r == NULL)
			continue;
		if (db_env_high_water(a->db, ce->name, &hwm, &err) == -1)
			return 1;
		may = hwm == NULL || strcmp(id, hwm) > 0;
		free(hwm);
		if (may)
			return 1;
	}
	return 0;
}

void
api_report(struct api_ctx *a, const char *id)
{
	json_t		*body = NULL;
	const char	*job, *result, *url;
	char		*created = NULL;
	struct dp_error	 err;
	int		 found;

	if (api_auth(a, ROLE_REPORTER) == -1)
		return;
	if (!util_snapshot_id_ok(id)) {
		http_reply_error(a->r, 404, "no snapshot %s", id);
		return;
	}
	if ((body = api_body(a, 0)) == NULL)
		return;
	if (api_str(a, body, "job", 1, 128, &job) == -1 ||
	    api_str(a, body, "result", 1, 16, &result) == -1 ||
	    api_str(a, body, "url", 0, API_URL_MAX, &url) == -1)
		goto out;
	if (!util_name_ok(job)) {
		http_reply_error(a->r, 400, "bad job name \"%s\" (letters, "
		    "digits and ._:+@/- only)", job);
		goto out;
	}
	if (!result_valid(result)) {
		http_reply_error(a->r, 400, "\"result\" must be \"success\", "
		    "\"failure\" or \"error\", not \"%s\" (\"neutral\" is "
		    "recorded by the built-in checks only)", result);
		goto out;
	}
	if ((found = api_snapshot_find(a, id, &created)) <= 0) {
		if (found == 0)
			http_reply_error(a->r, 404, "no snapshot %s", id);
		goto out;
	}
	if (!rules_job_known(a->cfg, job)) {
		http_reply_error(a->r, 422, "no environment requires job %s "
		    "(Requires: in the configuration)", job);
		goto out;
	}
	if (result_record(a->db, id, job, result, url, a->actor,
	    &err) == -1) {
		api_dberr(a, &err);
		goto out;
	}
	log_info("result %s %s=%s by %s", id, job, result, a->actor);
	/*
	 * Only a success can let a snapshot move: a failure takes a
	 * candidate away and never makes another one ready (the tick
	 * evaluates every second all the same).
	 */
	if (result_passes(result) && api_may_move(a, id, job))
		api_evaluate(a);
	/* Recorded: api_handle() answers once promoter.lock is released. */
	a->show_id = xstrdup(id);
	a->show_created = created;
	created = NULL;
out:
	free(created);
	json_decref(body);
}
