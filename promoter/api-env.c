/*
 * api-env.c - the environments: GET /api/v1/environments and
 * /api/v1/environments/{env} (with its history), POST .../promote (role
 * reporter; admin with force) and .../rollback (admin), their audit log
 * as the other answers show it, and GET /api/v1/notifications (the
 * announcements of the moves).
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
#include "db-audit.h"
#include "db-env.h"
#include "db-results.h"
#include "log.h"
#include "promoter.h"
#include "xmalloc.h"

/* A move as the answers show it. */
static void
api_move_cb(void *arg, const struct db_move *m)
{
	json_array_append_new(arg, json_pack(
	    "{s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "environment", util_jstr(m->env),
	    "from", util_jstr(m->from),
	    "to", util_jstr(m->to),
	    "time", util_jstr(m->time),
	    "actor", util_jstr(m->actor),
	    "reason", util_jstr(m->reason),
	    "kind", util_jstr(m->kind)));
}

/* The newest moves of an environment or of a snapshot, oldest first
 * (the whole log is /api/v1/audit, paged); what could be read when the
 * database fails. */
static json_t *
api_history_env(struct api_ctx *a, const char *env)
{
	struct dp_error	 err;
	json_t		*arr = json_array();

	(void)db_audit_env(a->db, env, api_move_cb, arr, &err);
	return arr;
}

json_t *
api_history_snapshot(struct api_ctx *a, const char *id)
{
	struct dp_error	 err;
	json_t		*arr = json_array();

	(void)db_audit_snapshot(a->db, id, api_move_cb, arr, &err);
	return arr;
}
json_t *
api_env_obj(struct api_ctx *a, const struct conf_env *ce)
{
	struct env_state	 st;
	struct dp_error		 err;
	json_t			*o, *req;
	char			**r;

	if (env_get(a->db, ce->name, &st, &err) == -1) {
		log_warnx("api: %s", dp_error_str(&err));
		st.snapshot = st.since = NULL;
	}
	req = json_array();
	for (r = ce->requires; r != NULL && *r != NULL; r++)
		json_array_append_new(req, util_jstr(*r));
	o = json_pack("{s:s, s:o, s:o, s:b, s:o, s:o, s:I, s:o}",
	    "name", ce->name,
	    "snapshot", util_jstr(st.snapshot),
	    "since", util_jstr(st.since),
	    "auto_promote", ce->auto_promote,
	    "promote_from", util_jstr(ce->promote_from),
	    "requires", req,
	    "min_soak", (json_int_t)ce->min_soak,
	    "gates", api_env_gates(a, ce, st.snapshot));
	env_state_done(&st);
	return o;
}

void
api_environments(struct api_ctx *a, const char *arg)
{
	json_t	*arr = json_array();
	size_t	 i;

	for (i = 0; i < a->cfg->nenvs; i++)
		json_array_append_new(arr, api_env_obj(a, &a->cfg->envs[i]));
	http_reply_json(a->r, 200, json_pack("{s:o}", "environments", arr));
}

void
api_environment_show(struct api_ctx *a, const char *name)
{
	const struct conf_env	*ce = a->env;
	json_t			*o;

	o = api_env_obj(a, ce);
	json_object_set_new(o, "history", api_history_env(a, ce->name));
	http_reply_json(a->r, 200, o);
}

static void
api_moved(struct api_ctx *a, const struct conf_env *ce, const char *from,
    int moved)
{
	json_t	*o;

	o = api_env_obj(a, ce);
	json_object_set_new(o, "from", util_jstr(from));
	json_object_set_new(o, "moved", json_boolean(moved));
	http_reply_json(a->r, 200, o);
}

void
api_promote(struct api_ctx *a, const char *name)
{
	const struct conf_env	*ce = a->env;
	json_t			*body = NULL, *jf;
	const char		*id, *reason;
	struct env_state	 cur = { NULL, NULL };
	struct dp_error		 err;
	char			*why = NULL;
	int			 force = 0, ok, moved;

	if (api_auth(a, ROLE_REPORTER) == -1)
		return;
	if ((body = api_body(a, 0)) == NULL)
		return;
	if (api_str(a, body, "snapshot", 1, 64, &id) == -1 ||
	    api_str(a, body, "reason", 0, API_REASON_MAX, &reason) == -1)
		goto out;
	if ((jf = json_object_get(body, "force")) != NULL &&
	    !json_is_null(jf)) {
		if (!json_is_boolean(jf)) {
			http_reply_error(a->r, 400, "\"force\" must be true "
			    "or false");
			goto out;
		}
		force = json_is_true(jf);
	}
	if (force && a->role < ROLE_ADMIN) {
		http_reply_error(a->r, 403, "token %s has role %s; --force "
		    "needs admin", a->actor, tokens_role_name(a->role));
		goto out;
	}
	if (force && (reason == NULL || *reason == '\0')) {
		http_reply_error(a->r, 400, "a forced promotion needs a "
		    "\"reason\"");
		goto out;
	}
	if ((ok = env_snapshot_exists(a->db, id, &err)) == -1) {
		api_dberr(a, &err);
		goto out;
	}
	if (ok == 0 || !util_snapshot_id_ok(id)) {
		http_reply_error(a->r, 422, "no published snapshot %s", id);
		goto out;
	}
	if (env_get(a->db, ce->name, &cur, &err) == -1) {
		api_dberr(a, &err);
		goto out;
	}
	if (!force) {
		if ((ok = rules_allowed(a->db, a->cfg, ce, id, time(NULL),
		    &why, &err)) == -1) {
			api_dberr(a, &err);
			goto out;
		}
		if (!ok) {
			http_reply_error(a->r, 409, "%s cannot move to %s "
			    "without --force: %s", id, ce->name, why);
			goto out;
		}
	}
	if (env_move(a->db, a->cfg, ce->name, id, a->actor, reason,
	    force ? ENV_FORCE : ENV_AUTO, &moved, &err) == -1) {
		if (!moved) {
			api_dberr(a, &err);
			goto out;
		}
		log_warnx("%s", dp_error_str(&err));
	}
	if (moved)
		notify_wake(a->p);
	api_evaluate(a);
	api_moved(a, ce, cur.snapshot, moved);
out:
	free(why);
	env_state_done(&cur);
	json_decref(body);
}

void
api_rollback(struct api_ctx *a, const char *name)
{
	const struct conf_env	*ce = a->env;
	json_t			*body = NULL;
	const char		*id, *reason;
	struct env_state	 cur = { NULL, NULL };
	struct dp_error		 err;
	char			*target = NULL;
	int			 ok, moved;

	if (api_auth(a, ROLE_ADMIN) == -1)
		return;
	if ((body = api_body(a, 1)) == NULL)
		return;
	if (api_str(a, body, "snapshot", 0, 64, &id) == -1 ||
	    api_str(a, body, "reason", 0, API_REASON_MAX, &reason) == -1)
		goto out;
	if (env_get(a->db, ce->name, &cur, &err) == -1) {
		api_dberr(a, &err);
		goto out;
	}
	if (cur.snapshot == NULL) {
		http_reply_error(a->r, 409, "%s is on no snapshot yet",
		    ce->name);
		goto out;
	}
	if (id != NULL) {
		if ((ok = env_snapshot_exists(a->db, id, &err)) == -1) {
			api_dberr(a, &err);
			goto out;
		}
		if (ok == 0 || !util_snapshot_id_ok(id)) {
			http_reply_error(a->r, 422, "no published snapshot %s",
			    id);
			goto out;
		}
		target = xstrdup(id);
	} else {
		if (db_env_rollback_target(a->db, ce->name, &target, &err) ==
		    -1) {
			api_dberr(a, &err);
			goto out;
		}
		if (target == NULL) {
			http_reply_error(a->r, 409, "%s has no earlier "
			    "snapshot to roll back to", ce->name);
			goto out;
		}
	}
	if (strcmp(target, cur.snapshot) == 0) {
		http_reply_error(a->r, 409, "%s is already on %s", ce->name,
		    target);
		goto out;
	}
	if (env_move(a->db, a->cfg, ce->name, target, a->actor, reason,
	    ENV_ROLLBACK, &moved, &err) == -1) {
		if (!moved) {
			api_dberr(a, &err);
			goto out;
		}
		log_warnx("%s", dp_error_str(&err));
	}
	if (moved)
		notify_wake(a->p);
	api_moved(a, ce, cur.snapshot, moved);
out:
	free(target);
	env_state_done(&cur);
	json_decref(body);
}

static void
api_notification_cb(void *arg, const struct db_notification *n)
{
	json_array_append_new(arg, json_pack(
	    "{s:I, s:o, s:o, s:o, s:i, s:o, s:o, s:o}",
	    "id", (json_int_t)n->id,
	    "environment", util_jstr(n->env),
	    "url", util_jstr(n->url),
	    "state", util_jstr(n->state),
	    "attempts", n->attempts,
	    "next_try", util_jstr(n->next_try),
	    "last_error", util_jstr(n->last_error),
	    "created", util_jstr(n->created)));
}

void
api_notifications(struct api_ctx *a, const char *arg)
{
	struct dp_error	 err;
	json_t		*arr = json_array();

	if (db_notify_list(a->db, 0, 100, api_notification_cb, arr,
	    &err) == -1) {
		json_decref(arr);
		api_dberr(a, &err);
		return;
	}
	http_reply_json(a->r, 200, json_pack("{s:o}", "notifications", arr));
}
