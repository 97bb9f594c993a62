/*
 * api.h - what the API's files share (api.c: snapshots, environments,
 * results, promotions; metrics.c: /metrics; api-pipeline.c: builds, watches, the
 * audit log, gates).  Not for the rest of the promoter, which goes
 * through api_handle().
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
};

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
/* A one-integer query without parameters (sql a string constant). */
int	 api_query_int(struct db *db, const char *sql, int64_t *out,
	    struct dp_error *err);
/* Every result so far by value (counted incrementally): -1 on error. */
int	 api_results_totals(struct db *db, int64_t *success,
	    int64_t *failure, int64_t *neutral, struct dp_error *err);
json_t	*api_snapshot_obj(struct api_ctx *a, const char *id,
	    const char *created);
json_t	*api_env_obj(struct api_ctx *a, const struct conf_env *ce);

/* api-pipeline.c */
/* GET /api/v1/builds[?state=S&watch=W&limit=N&before=ID], newest first. */
void	 api_builds_list(struct api_ctx *a);
/* GET /api/v1/builds/{id}: one build with its log's size. */
void	 api_build_show(struct api_ctx *a, const char *id);
/* GET /api/v1/watches: every configured watch with its state. */
void	 api_watches_list(struct api_ctx *a);
/* GET /api/v1/audit[?limit=N&before=ID]: every move, newest first. */
void	 api_audit_list(struct api_ctx *a);
/* The gates of environment ce: its candidate snapshot (the one its
 * Promote-From environment is on, else its own) and, for each required
 * job, passed / failed / waiting with the reported URL. */
json_t	*api_env_gates(struct api_ctx *a, const struct conf_env *ce,
	    const char *current);

#endif
