/*
 * api.h - what the API's files share, one file per resource:
 *   api.c		the route table, tokens, request bodies, locking
 *   api-snapshots.c	snapshots (list, one with its packages)
 *   api-results.c	results (reports, counts)
 *   api-env.c		environments (promote, rollback, history),
 *			notifications
 *   api-pipeline.c	builds, watches, the audit log, gates
 *   metrics.c		/metrics
 * Not for the rest of the promoter, which goes through api_handle().
 */
#ifndef DEBPIPE_PROMOTER_API_H
#define DEBPIPE_PROMOTER_API_H

#include <stdint.h>

#include "promoter.h"

struct api_ctx {
	struct promoter		*p;
	struct db		*db;
	const struct config	*cfg;
	const char		*auth;
	const char		*body;
	size_t			 len;
	struct http_reply	*r;
	const char		*actor;	/* token name once authorised */
	int			 role;
	struct api_query	 q;
	char			*show_id;	/* answer 201 with this */
	char			*show_created;	/* snapshot after the lock */
	const struct conf_env	*env;	/* of environments/{env}/... */
};

#define API_URL_MAX	2048
#define API_REASON_MAX	1024

/*
 * The handlers of api.c's routes: arg is the path's second segment
 * (an ID) or NULL; a->env is set for routes under environments/{env}.
 * Each answers into a->r.
 */
/* api-snapshots.c */
void	 api_snapshots_list(struct api_ctx *a, const char *arg);
void	 api_snapshot_show(struct api_ctx *a, const char *id);
/* api-results.c */
void	 api_report(struct api_ctx *a, const char *id);
/* api-env.c */
void	 api_environments(struct api_ctx *a, const char *arg);
void	 api_environment_show(struct api_ctx *a, const char *name);
void	 api_promote(struct api_ctx *a, const char *name);
void	 api_rollback(struct api_ctx *a, const char *name);
void	 api_notifications(struct api_ctx *a, const char *arg);

/* api.c */
/* Run route (a->p, a->db, a->cfg set) with the locks a request needs: a
 * GET or HEAD on the thread's read-only connection, anything else with
 * promoter.lock on the read-write one; the configuration read-locked. */
void	 api_run(struct promoter *p, const char *method, const char *url,
	    const char *auth, const char *body, size_t len,
	    const struct api_query *q, struct http_reply *r,
	    void (*route)(struct api_ctx *a, const char *method,
	    const char *url));
void	 api_dberr(struct api_ctx *a, struct dp_error *err);
/* Check the bearer token: 0 when it carries at least role need, else -1
 * with the answer (401, 403) set. */
int	 api_auth(struct api_ctx *a, int need);
/* The body as a JSON object (caller decrefs); an empty body is {} when
 * allow_empty.  NULL with the answer (400) set. */
json_t	*api_body(struct api_ctx *a, int allow_empty);
/* A string member of o into *out (NULL when absent or null; points into
 * o).  -1 with the answer (400) set when it has another type, is
 * required and missing or empty, or is longer than max. */
int	 api_str(struct api_ctx *a, json_t *o, const char *key, int required,
	    size_t max, const char **out);
/* Every result so far by value (counted incrementally): -1 on error. */
int	 api_results_totals(struct db *db, int64_t *success,
	    int64_t *failure, int64_t *neutral, struct dp_error *err);

/* api-snapshots.c */
/* One snapshot: id, created, its environments, results, results_total. */
json_t	*api_snapshot_obj(struct api_ctx *a, const char *id,
	    const char *created);
/* Created time of a published snapshot (caller frees): 1 found, 0 not,
 * -1 with the answer set. */
int	 api_snapshot_find(struct api_ctx *a, const char *id, char **created);
/* Where snapshot id stands in each environment (rules_explain). */
json_t	*api_promotion(struct api_ctx *a, const char *id);

/* api-results.c */
/* The latest result of each job of snapshot id (every result, oldest
 * first, with ?history=1). */
json_t	*api_snapshot_results(struct api_ctx *a, const char *id);
/* How many results snapshot id has had (all jobs, all times). */
json_int_t api_snapshot_nresults(struct api_ctx *a, const char *id);
/* Run the promotion rules now (after a write). */
void	 api_evaluate(struct api_ctx *a);

/* api-env.c */
json_t	*api_env_obj(struct api_ctx *a, const struct conf_env *ce);
/* The newest moves to or from snapshot id, oldest first. */
json_t	*api_history_snapshot(struct api_ctx *a, const char *id);

/* api-pipeline.c */
/* GET /api/v1/builds[?state=S&watch=W&limit=N&before=ID], newest first. */
void	 api_builds_list(struct api_ctx *a, const char *arg);
/* GET /api/v1/builds/{id}: one build with its log's size. */
void	 api_build_show(struct api_ctx *a, const char *id);
/* GET /api/v1/watches: every configured watch with its state. */
void	 api_watches_list(struct api_ctx *a, const char *arg);
/* GET /api/v1/audit[?limit=N&before=ID]: every move, newest first. */
void	 api_audit_list(struct api_ctx *a, const char *arg);
/* The gates of environment ce: its candidate snapshot (the one its
 * Promote-From environment is on, else its own) and, for each required
 * job, passed / failed / waiting with the reported URL. */
json_t	*api_env_gates(struct api_ctx *a, const struct conf_env *ce,
	    const char *current);

#endif
