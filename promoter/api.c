/*
 * api.c - the promoter's HTTP API (DESIGN.md "Promoter HTTP API"): its
 * route table, tokens, request bodies and locking.  The resources answer
 * from their own files (api.h).  Writes (POST) run with promoter.lock
 * held, serialized against each other and the evaluation tick; they check
 * the token first and change nothing unless every check passed.  Reads
 * use the thread's own read-only connection and never wait for a write.
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
#include "log.h"
#include "promoter.h"
#include "remote-status.h"
#include "xmalloc.h"

#define API_PREFIX	"/api/v1/"
#define API_MAXSEG	4

/* Check the bearer token: 0 when it carries at least role need. */
int
api_auth(struct api_ctx *a, int need)
{
	const char	*tok = a->auth;

	if (tok == NULL || strncasecmp(tok, "Bearer ", 7) != 0) {
		a->r->www_auth = 1;
		http_reply_error(a->r, 401, "this needs a token: "
		    "Authorization: Bearer TOKEN");
		return -1;
	}
	tok += 7;
	while (*tok == ' ')
		tok++;
	a->role = tokens_check(a->p->tokens, tok, &a->actor);
	if (a->role == ROLE_NONE) {
		a->r->www_auth = 1;
		http_reply_error(a->r, 401, "unknown token");
		return -1;
	}
	if (a->role < need || a->role == ROLE_HOOK) {
		http_reply_error(a->r, 403, "token %s has role %s; this needs "
		    "%s", a->actor, tokens_role_name(a->role),
		    tokens_role_name(need));
		return -1;
	}
	return 0;
}

/* Parse the body as a JSON object; an empty body is {} when allowed. */
json_t *
api_body(struct api_ctx *a, int allow_empty)
{
	json_error_t	 je;
	json_t		*j;

	if (a->len == 0 && allow_empty)
		return json_object();
	if (a->len == 0) {
		http_reply_error(a->r, 400, "a JSON object is expected in "
		    "the request body");
		return NULL;
	}
	if ((j = json_loadb(a->body, a->len, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL) {
		http_reply_error(a->r, 400, "malformed JSON at line %d "
		    "column %d: %s", je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		http_reply_error(a->r, 400, "the request body must be a JSON "
		    "object");
		return NULL;
	}
	return j;
}

/* A string member; NULL when absent or null.  -1 (reply set) when it has
 * another type, is required and missing, or is longer than max. */
int
api_str(struct api_ctx *a, json_t *o, const char *key, int required,
    size_t max, const char **out)
{
	json_t	*v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		http_reply_error(a->r, 400, "missing \"%s\"", key);
		return -1;
	}
	if (!json_is_string(v)) {
		http_reply_error(a->r, 400, "\"%s\" must be a string", key);
		return -1;
	}
	if (json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		http_reply_error(a->r, 400, "\"%s\" is too long or holds a "
		    "NUL", key);
		return -1;
	}
	*out = json_string_value(v);
	if (required && **out == '\0') {
		http_reply_error(a->r, 400, "\"%s\" is empty", key);
		return -1;
	}
	return 0;
}

void
api_dberr(struct api_ctx *a, struct dp_error *err)
{
	log_warnx("api: %s", dp_error_str(err));
	http_reply_error(a->r, err->code == DP_ERR_BUSY ? 503 : 500, "%s",
	    dp_error_str(err));
}

/* GET /api/v1/targets: the object storage targets (Publish-To:). */
static void
api_targets(struct api_ctx *a, const char *arg)
{
	http_reply_json(a->r, 200, remote_status(a->db, a->cfg));
}

/*
 * The routes under API_PREFIX: path segments ("*" is any one), POST or
 * GET (and HEAD), and whether the second segment names an environment
 * (looked up into a->env before the method is checked: an unknown one is
 * a 404).  The handler gets the second segment (or NULL).
 */
static const struct api_route {
	const char	*path;
	int		 post;
	int		 env;
	void		(*handle)(struct api_ctx *a, const char *arg);
} api_routes[] = {
	{ "snapshots",			0, 0, api_snapshots_list },
	{ "snapshots/*",		0, 0, api_snapshot_show },
	{ "snapshots/*/results",	1, 0, api_report },
	{ "environments",		0, 0, api_environments },
	{ "environments/*",		0, 1, api_environment_show },
	{ "environments/*/promote",	1, 1, api_promote },
	{ "environments/*/rollback",	1, 1, api_rollback },
	{ "builds",			0, 0, api_builds_list },
	{ "builds/*",			0, 0, api_build_show },
	{ "targets",			0, 0, api_targets },
	{ "watches",			0, 0, api_watches_list },
	{ "audit",			0, 0, api_audit_list },
	{ "notifications",		0, 0, api_notifications },
	{ NULL,				0, 0, NULL },
};

/* Does path (of api_routes) name the n segments seg?  1/0. */
static int
api_route_matches(const char *path, char **seg, size_t n)
{
	const char	*p = path, *e;
	size_t		 i, len;

	for (i = 0; i < n; i++) {
		if (*p == '\0')
			return 0;
		e = p + strcspn(p, "/");
		len = (size_t)(e - p);
		if (!(len == 1 && *p == '*') && (strlen(seg[i]) != len ||
		    strncmp(seg[i], p, len) != 0))
			return 0;
		p = *e == '/' ? e + 1 : e;
	}
	return *p == '\0';
}

static void
api_route(struct api_ctx *a, const char *method, const char *url)
{
	const struct api_route	*rt;
	char			*path, *seg[API_MAXSEG + 1], *sp, *save;
	size_t			 n = 0;
	int			 get, post;

	get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	post = strcmp(method, "POST") == 0;
	if (strncmp(url, API_PREFIX, strlen(API_PREFIX)) != 0) {
		http_reply_error(a->r, 404, "not found (the API is under "
		    API_PREFIX ")");
		return;
	}
	path = xstrdup(url + strlen(API_PREFIX));
	for (sp = strtok_r(path, "/", &save); sp != NULL;
	    sp = strtok_r(NULL, "/", &save)) {
		if (n == API_MAXSEG) {
			n++;
			break;
		}
		seg[n++] = sp;
	}
	for (rt = api_routes; n <= API_MAXSEG && rt->path != NULL; rt++)
		if (api_route_matches(rt->path, seg, n))
			break;
	if (n > API_MAXSEG || rt->path == NULL) {
		http_reply_error(a->r, 404, "not found: %s", url);
		goto out;
	}
	if (rt->env && (a->env = config_env_find(a->cfg, seg[1])) == NULL) {
		http_reply_error(a->r, 404, "no environment %s", seg[1]);
		goto out;
	}
	if (rt->post ? !post : !get) {
		a->r->allow = rt->post ? "POST" : "GET, HEAD";
		http_reply_error(a->r, 405, "method %s not allowed here",
		    method);
		goto out;
	}
	rt->handle(a, n > 1 ? seg[1] : NULL);
out:
	free(path);
}

/* This thread's read-only connection (closed when the thread ends by the
 * rdb_key destructor), or NULL when it cannot be opened. */
struct db *
api_read_db(struct promoter *p)
{
	struct db	*db;
	struct dp_error	 err;

	if ((db = pthread_getspecific(p->rdb_key)) != NULL)
		return db;
	if (db_open_ro(p->db_path, &db, &err) == -1) {
		log_warnx("read-only database connection: %s",
		    dp_error_str(&err));
		return NULL;
	}
	/*
	 * Every commit empties the page cache of the other connections:
	 * with results coming in, each GET read its pages again with
	 * pread() (a fifth of the CPU under load).  Mapped, the pages of
	 * state.db are read in place; WAL pages are still read.
	 */
	if (db_exec(db, "PRAGMA mmap_size = 268435456", &err) == -1)
		log_warnx("read-only database connection: %s",
		    dp_error_str(&err));
	if (pthread_setspecific(p->rdb_key, db) != 0) {
		db_close(db);
		return NULL;
	}
	return db;
}

/* The answer to a result: the snapshot with its promotion state. */
static void
api_show_report(struct api_ctx *a)
{
	json_t	*o;

	o = api_snapshot_obj(a, a->show_id, a->show_created);
	json_object_set_new(o, "promotion", api_promotion(a, a->show_id));
	http_reply_json(a->r, 201, o);
}

void
api_handle(struct promoter *p, const char *method, const char *url,
    const char *auth, const char *body, size_t len,
    const struct api_query *q, struct http_reply *r)
{
	api_run(p, method, url, auth, body, len, q, r, api_route);
}

int
api_http(struct promoter *p, const struct http_request *rq)
{
	struct http_reply	r;
	struct api_query	q;

	memset(&r, 0, sizeof(r));
	http_query(rq, &q);
	api_handle(p, rq->method, rq->url, http_header(rq, "Authorization"),
	    rq->body, rq->len, &q, &r);
	return http_reply_send(rq, &r);
}

void
api_run(struct promoter *p, const char *method, const char *url,
    const char *auth, const char *body, size_t len,
    const struct api_query *q, struct http_reply *r,
    void (*route)(struct api_ctx *, const char *, const char *))
{
	struct api_ctx	a;

	memset(&a, 0, sizeof(a));
	a.p = p;
	if (q != NULL)
		a.q = *q;
	a.auth = auth;
	a.body = body;
	a.len = len;
	a.r = r;
	pthread_rwlock_rdlock(&p->cfglock);
	a.cfg = p->cfg;
	if ((strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) &&
	    (a.db = api_read_db(p)) != NULL)
		route(&a, method, url);
	else {
		pthread_mutex_lock(&p->lock);
		a.db = p->db;
		route(&a, method, url);
		pthread_mutex_unlock(&p->lock);
	}
	/*
	 * A result was recorded (committed): build the answer on this
	 * thread's read-only connection, which sees the commit, so that
	 * writers do not wait for it.
	 */
	if (a.show_id != NULL) {
		if ((a.db = api_read_db(p)) != NULL)
			api_show_report(&a);
		else {
			pthread_mutex_lock(&p->lock);
			a.db = p->db;
			api_show_report(&a);
			pthread_mutex_unlock(&p->lock);
		}
		free(a.show_id);
		free(a.show_created);
	}
	pthread_rwlock_unlock(&p->cfglock);
	if (r->body == NULL && r->json == NULL)
		http_reply_error(r, 500, "no answer");
}
