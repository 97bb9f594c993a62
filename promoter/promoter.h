/*
 * promoter.h - debpipe-promoter: moves snapshots through environments.
 *
 * One file per role:
 *   main.c	the daemon: start-up, signals, the evaluation tick
 *   env.c	moving an environment (db, audit log, symlink), reconcile
 *   rules.c	the promotion rules (DESIGN.md "Promotion rules")
 *   notify.c	queueing notifications and the sender thread
 *   tokens.c	Tokens-File: load, check (constant time)
 *   http.c	the HTTP server (libmicrohttpd): the route table, bodies,
 *		replies
 *   api.c	/api/v1: tokens, bodies, its routes; api-snapshots.c,
 *		api-results.c, api-env.c, api-pipeline.c: one file per
 *		resource (api.h)
 *   metrics.c	/metrics
 *   hooks.c	/api/v1/hooks: the forges' push events
 *   ui.c	the web interface under /ui/; ui-overview.c, ui-snapshot.c,
 *		ui-builds.c: its pages (ui.h)
 *   serve.c	the read-only public file server (Serve-Public: yes)
 *   util.c	time, JSON and prepared-statement helpers shared by the above
 *
 * Threads: the main thread (ticks, WAL checkpoints, signals), the
 * notification sender and libmicrohttpd's pool of epoll threads (one per
 * CPU, at least 4), each serving many connections, so no handler may
 * block for long.  Everything writing the database or touching the tokens
 * holds promoter.lock; the public file server uses only the immutable
 * fields set at start-up.
 */
#ifndef DEBPIPE_PROMOTER_H
#define DEBPIPE_PROMOTER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "db.h"
#include "error.h"
#include "xmalloc.h"

#define PROMOTER_NAME		"debpipe-promoter"
#define SNAPSHOT_ID_LEN		16	/* YYYYMMDDTHHMMSSZ */
#define BODY_MAX		(64 * 1024)
#define HOOK_BODY_MAX		(1024 * 1024)	/* a push event */
#define HOOKS_PREFIX		"/api/v1/hooks/"

/* tokens.c */
enum token_role {
	ROLE_NONE = 0,
	ROLE_REPORTER = 1,
	ROLE_ADMIN = 2,
	ROLE_HOOK = 3,		/* may only send push events (hooks.c) */
};

struct token {
	unsigned char	 digest[32];	/* sha256 of the token */
	int		 role;		/* enum token_role */
	char		*name;		/* recorded in the audit log */
};

struct tokens {
	char		*path;
	struct token	*v;
	size_t		 n;
};

/* Load a Tokens-File; refuses files readable or writable by group or
 * others.  *out set on success; caller frees with tokens_free(). */
int	 tokens_load(const char *path, struct tokens **out,
	    struct dp_error *err);
/* Parse the text of a tokens file (no mode check); path for messages. */
int	 tokens_parse(const char *path, const char *text, struct tokens **out,
	    struct dp_error *err);
void	 tokens_free(struct tokens *t);			/* NULL is a no-op */
/* Role of a presented token (ROLE_NONE when unknown or t is NULL); *name
 * (may be NULL) points into t.  Every entry is compared, in constant time. */
int	 tokens_check(const struct tokens *t, const char *token,
	    const char **name);
const char *tokens_role_name(int role);

/* hook-event.c: Hooks-File, signatures, push payloads, clone URLs. */
struct hook_secret {
	char	*forge;			/* github | gitlab | gitea */
	char	*secret;
};

struct hooks {
	char			*path;
	struct hook_secret	*v;
	size_t			 n;
};

/* Load a Hooks-File (refused when group or others may read it). */
int	 hooks_load(const char *path, struct hooks **out,
	    struct dp_error *err);
/* Parse its text (no mode check); path for messages. */
int	 hooks_parse(const char *path, const char *text, size_t len,
	    struct hooks **out, struct dp_error *err);
void	 hooks_free(struct hooks *h);			/* NULL is a no-op */
/* Is sig ("sha256=HEX" or "HEX") the HMAC-SHA256 of body under secret?
 * Constant time.  1/0. */
int	 hooks_sig_ok(const char *secret, const char *body, size_t len,
	    const char *sig);
/* Is token the secret (GitLab's X-Gitlab-Token)?  Constant time.  1/0. */
int	 hooks_token_ok(const char *secret, const char *token);
/* A clone URL reduced to "host/path" (http, https, ssh, git and scp
 * forms; user, port, trailing '/' and ".git" dropped; lower case) or
 * "file:/path" for file:// URLs and paths; NULL when it is none of these.
 * Caller frees. */
char	*hooks_url_norm(const char *url);

/* A push event: the branch pushed and the repository's URLs. */
struct hook_push {
	char	*branch;	/* or the whole ref when not a branch */
	int	 is_branch;	/* refs/heads/... */
	char	**urls;		/* normalised */
	size_t	 nurls;
};

/* Parse a push payload (GitHub, Gitea, GitLab, or the generic
 * {"url", "branch"}).  -1 with why filled when it is not one. */
int	 hooks_push_parse(const char *body, size_t len, struct hook_push *ev,
	    char *why, size_t whylen);
void	 hooks_push_done(struct hook_push *ev);
/* Does the push name this repository URL and branch?  1/0. */
int	 hooks_push_matches(const struct hook_push *ev, const char *url,
	    const char *branch);

/* util.c */
/* RFC 3339 UTC "2026-11-22T01:30:00Z" of t into buf[32]. */
char	*util_time_fmt(time_t t, char buf[32]);
/* RFC 3339 UTC to time_t; -1 when malformed. */
time_t	 util_time_parse(const char *s);
/* A snapshot ID "YYYYMMDDTHHMMSSZ"?  1/0. */
int	 util_snapshot_id_ok(const char *id);
/* Time of a snapshot ID, -1 when malformed. */
time_t	 util_snapshot_id_time(const char *id);
/* A job or environment name: 1..128 of [A-Za-z0-9._:+@/-], not starting
 * with a punctuation character.  1/0. */
int	 util_name_ok(const char *s);
/* json_string that never fails (NULL -> null, invalid UTF-8 -> null). */
json_t	*util_jstr(const char *s);
/* Percent-encode everything but unreserved characters.  Caller frees. */
char	*util_url_escape(const char *s);
/* db_prepare() through a per-thread cache of statements keyed by the
 * address of sql, which must be a string constant; util_finalize() resets
 * a cached statement (finalizes any other) and ignores NULL. */
int	 util_prepare(struct db *db, const char *sql, sqlite3_stmt **st,
	    struct dp_error *err);
void	 util_finalize(sqlite3_stmt *st);

/* env.c */
struct env_state {
	char	*snapshot;		/* current snapshot or NULL */
	char	*since;
};

/* Current snapshot of env (NULL fields when it has none).  Caller frees
 * the strings with env_state_done(). */
int	 env_get(struct db *db, const char *env, struct env_state *st,
	    struct dp_error *err);
void	 env_state_done(struct env_state *st);

enum env_kind {
	ENV_AUTO,
	ENV_FORCE,
	ENV_ROLLBACK,
};

/* Move env to snapshot: in one transaction update environments, add the
 * env_history row (actor, reason, kind) and one notification per Notify
 * URL; then re-point Public-Dir/<env>.  Moving to the current snapshot
 * changes nothing (returns 0, *moved = 0).  The caller serializes moves
 * (promoter.lock). */
int	 env_move(struct db *db, const struct config *cfg, const char *env,
	    const char *snapshot, const char *actor, const char *reason,
	    enum env_kind kind, int *moved, struct dp_error *err);
/* Make every Public-Dir/<env> symlink agree with the database. *fixed
 * (may be NULL) counts the symlinks re-pointed. */
int	 env_reconcile(struct db *db, const struct config *cfg, int *fixed,
	    struct dp_error *err);
/* The environment's history: db_env_high_water(), db_env_rollback_target()
 * (lib/db-env.h). */
/* An environment name that must not be used (collides with the tree). */
int	 env_name_reserved(const char *name);
/* 1 when snapshot id exists and is published, 0 when not, -1 on error. */
int	 env_snapshot_exists(struct db *db, const char *id,
	    struct dp_error *err);

/* rules.c */
/* Apply the promotion rules to every environment, in configuration
 * order, until nothing moves.  now is the current time (for Min-Soak);
 * *nmoves (may be NULL) counts the moves. */
int	 rules_evaluate(struct db *db, const struct config *cfg, time_t now,
	    int *nmoves, struct dp_error *err);

enum rules_state {
	RULES_CURRENT,		/* the environment is on it */
	RULES_WAS,		/* it was there before */
	RULES_READY,		/* every condition holds: moves on next tick */
	RULES_WAITING,		/* waiting for results or the previous env */
	RULES_SOAKING,		/* Min-Soak not passed yet */
	RULES_BLOCKED,		/* a required job failed */
	RULES_SUPERSEDED,	/* the environment is past it: never automatic */
	RULES_MANUAL,		/* no Auto-Promote and no Promote-From */
};

/* Where snapshot id stands for environment env; *detail (caller frees)
 * explains it in words. */
int	 rules_explain(struct db *db, const struct config *cfg,
	    const struct conf_env *env, const char *id, time_t now,
	    int *state, char **detail, struct dp_error *err);
const char *rules_state_name(int state);
/* Whether snapshot id may move to env now without force (every rule
 * holds and it is newer than anything env had).  1/0/-1; *why on 0. */
int	 rules_allowed(struct db *db, const struct config *cfg,
	    const struct conf_env *env, const char *id, time_t now,
	    char **why, struct dp_error *err);
/* Is job in some environment's Requires?  1/0. */
int	 rules_job_known(const struct config *cfg, const char *job);

/* notify.c */
/* Queue a notification per Notify URL of env (inside the caller's
 * transaction). */
int	 notify_enqueue(struct db *db, const struct conf_env *env,
	    const struct config *cfg, const char *from, const char *to,
	    const char *actor, const char *reason, const char *kind,
	    const char *time, struct dp_error *err);
/* Expand {snapshot} {environment} {url} (values URL-escaped). Caller
 * frees. */
char	*notify_expand(const char *tmpl, const char *snapshot,
	    const char *env, const char *url);
/* The Notify-Format: slack message of a move (Slack/Mattermost
 * mrkdwn, text escaped).  Caller frees. */
char	*notify_slack_message(const char *env, const char *from,
	    const char *to, const char *url, const char *kind,
	    const char *actor, const char *reason);
/* Retry delay in seconds after the given number of failed attempts. */
long	 notify_backoff(int attempts);
#define NOTIFY_MAX_ATTEMPTS	10

/* The shared state of the daemon. */
/*
 * Locking: cfglock (read: using cfg; write: replacing it on SIGHUP) is
 * always taken before lock.  Writers (POST requests, the tick, the
 * notification sender) hold lock and use db; GET requests, and the answer
 * to a POST result once it is committed, hold only cfglock for reading and
 * use their thread's own read-only connection, so reads neither wait for
 * writes nor for each other.
 */
struct promoter {
	pthread_rwlock_t cfglock;	/* guards cfg */
	pthread_mutex_t	 lock;		/* guards db, tokens, stopping */
	pthread_cond_t	 notify_cond;	/* wakes the sender */
	struct db	*db;		/* the read-write connection */
	struct config	*cfg;
	struct tokens	*tokens;
	struct hooks	*hooks;		/* Hooks-File or NULL */
	int		 stopping;

	/* Fixed at start-up (a change needs a restart). */
	char		*db_path;	/* for the read-only connections */
	pthread_key_t	 rdb_key;	/* per-thread read-only struct db */
	int		 serve_public;
	char		*public_real;	/* realpath(Public-Dir) */
	char		*serve_prefix;	/* path of Public-URL, "" for "/" */
};

/* Send what is due once (used by --once and the thread).  Locks. */
void	 notify_run_once(struct promoter *p);
int	 notify_start(struct promoter *p, pthread_t *tid);
void	 notify_wake(struct promoter *p);

/* http.c */
struct http_req;
struct MHD_Daemon;
struct MHD_Connection;
struct MHD_Daemon *http_start(struct promoter *p, const char *listen,
	    struct dp_error *err);
void	 http_stop(struct MHD_Daemon *d);

/* A request as the route table (http.c) hands it to an area. */
struct http_request {
	struct MHD_Connection	*conn;
	const char		*method;
	const char		*url;
	const char		*rest;	/* url after the route's prefix, or
					   NULL */
	const char		*body;	/* NULL unless the route takes one */
	size_t			 len;
};
/* An area's answer to a request: the MHD result (MHD_YES, MHD_NO). */
typedef int (*http_handler)(struct promoter *p,
	    const struct http_request *rq);
/* A header or a decoded query argument of rq, NULL when absent. */
const char *http_header(const struct http_request *rq, const char *name);
const char *http_arg(const struct http_request *rq, const char *key);

/* A reply: status, JSON or text body. */
struct http_reply {
	int		 status;
	char		*body;		/* malloc'd */
	size_t		 len;
	const char	*content_type;
	const char	*allow;		/* Allow: header for 405 */
	int		 www_auth;	/* add WWW-Authenticate: Bearer */
	int		 keep_json;	/* set by the caller: keep the answer
					   in json instead of encoding it */
	json_t		*json;		/* the answer when keep_json (caller
					   decrefs) */
};

void	 http_reply_json(struct http_reply *r, int status, json_t *j);
void	 http_reply_error(struct http_reply *r, int status,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Send r (its body is freed) as the answer to rq; the MHD result. */
int	 http_reply_send(const struct http_request *rq, struct http_reply *r);

/* The query arguments the API understands (0 / NULL when absent). */
struct api_query {
	int		 history;	/* ?history=1: every result of a snapshot */
	long		 limit;		/* ?limit=N: at most N rows */
	long long	 before;	/* ?before=ID: rows with a smaller id */
	const char	*state;		/* ?state=S (builds) */
	const char	*watch;		/* ?watch=W (builds) */
};

/* api.c: the route of /api/ (http.c's table). */
int	 api_http(struct promoter *p, const struct http_request *rq);
/* Handle a request under /api/.  auth is the
 * Authorization header or NULL; body may be NULL; q may be NULL.  The web
 * interface (ui.c) renders the answers of GET requests made through here
 * with r->keep_json set: one code path for the JSON and the HTML. */
void	 api_handle(struct promoter *p, const char *method, const char *url,
	    const char *auth, const char *body, size_t len,
	    const struct api_query *q, struct http_reply *r);
/* api-pipeline.c: the log file of build id (NULL when it has none), for
 * ui.c, which streams it.  Caller frees. */
char	*api_build_log_path(struct db *db, long long id);
/* The calling thread's read-only connection (api.c), NULL if it cannot
 * be opened. */
struct db *api_read_db(struct promoter *p);
/* Fill q from the request's query string. */
void	 http_query(const struct http_request *rq, struct api_query *q);
/* The same from any lookup of decoded arguments (NULL when absent): what
 * http_query does with libmicrohttpd's, and tests/fuzz with its own. */
void	 http_query_parse(struct api_query *q,
	    const char *(*get)(void *arg, const char *key), void *arg);

/* metrics.c: GET /metrics, Prometheus text format (http.c's table);
 * metrics_answer is the same without libmicrohttpd (tests/fuzz). */
int	 metrics_http(struct promoter *p, const struct http_request *rq);
void	 metrics_answer(struct promoter *p, const char *method,
	    struct http_reply *r);

/* hooks.c: the route of /api/v1/hooks/ (http.c's table). */
int	 hooks_http(struct promoter *p, const struct http_request *rq);
/* Answer POST /api/v1/hooks/<forge> (forge is the rest of the
 * URL) with the raw body into r; get(arg, name) is the request's header
 * name (NULL when absent): libmicrohttpd's in http.c, tests/fuzz's own. */
void	 hooks_handle(struct promoter *p,
	    const char *(*get)(void *arg, const char *name), void *arg,
	    const char *method, const char *forge, const char *body,
	    size_t len, struct http_reply *r);
/* Make the table of delivery IDs (replay protection) if need be. */
int	 hooks_init(struct db *db, struct dp_error *err);

/* html.c: the escaping writer of the web interface. */
struct buf;
/* Append s (len bytes) escaped for text and quoted attribute values. */
void	 html_escape(struct buf *b, const char *s, size_t len);
void	 html_text(struct buf *b, const char *s);	/* NULL: nothing */
/* Markup printf: fmt is trusted, every %s argument is escaped; knows
 * %s %d %ld %lld %zu %%. */
void	 html_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Is url http(s) and free of white space?  1/0. */
int	 html_url_ok(const char *url);
/* A link to url showing text (url when NULL), or the text alone when url
 * is not http(s). */
void	 html_link(struct buf *b, const char *url, const char *text);

/* ui.c: a request of the web interface without libmicrohttpd: arg(ctx,
 * key) a decoded query argument, header(ctx, name) a header, NULL when
 * absent. */
struct ui_req {
	const char	*method;
	const char	*url;
	const char	*(*arg)(void *ctx, const char *key);
	const char	*(*header)(void *ctx, const char *name);
	void		*ctx;
};
/* Its answer: status, headers, the body, or fd (not -1) to stream. */
#define UI_ANSWER_HDRS	16
struct ui_answer {
	int		 status;
	struct {
		const char	*name, *value;
	}		 hdrs[UI_ANSWER_HDRS];
	size_t		 nhdrs;
	struct buf	 body;
	int		 fd;
	uint64_t	 fd_size;
	char		 etag[48];	/* storage of the header values */
	char		 date[64];
};
/* Answer a request under /ui/ (and / or /ui: a redirection to /ui/);
 * ui_answer_done frees the answer (and closes fd). */
void	 ui_answer(struct promoter *p, const struct ui_req *rq,
	    struct ui_answer *a);
void	 ui_answer_done(struct ui_answer *a);
/* ui.c: the route of /ui/ and / (http.c's table). */
int	 ui_http(struct promoter *p, const struct http_request *rq);

/* serve.c: the route of the public tree (http.c's table): GET and HEAD,
 * anything else refused (405). */
int	 serve_http(struct promoter *p, const struct http_request *rq);
/* Is url inside the served prefix?  1/0. */
int	 serve_match(struct promoter *p, const char *url);
/* The request-header checks of the file server (exposed for tests/fuzz):
 * a relative path without "..", hidden or empty components or control
 * characters (1/0); a Range header for a file of size bytes (1 with *off
 * and *len, 0 to ignore it, -1 unsatisfiable). */
int	 serve_path_ok(const char *rel);
int	 serve_range(const char *h, uint64_t size, uint64_t *off,
	    uint64_t *len);

/* client.c: what snapshot-promote uses to talk to the promoter. */
struct client {
	char	*server;		/* root URL, no trailing '/' */
	char	*token;			/* bearer token or NULL */
	long	 timeout;		/* seconds per request */
};

/* Send method path (under server) with an optional JSON body (not
 * consumed).  0 with *status and *reply (the parsed JSON answer, NULL when
 * not JSON; caller decrefs) when the server answered; -1 when it could
 * not be reached (err says why). */
int	 client_request(struct client *c, const char *method,
	    const char *path, json_t *body, long *status, json_t **reply,
	    struct dp_error *err);
/* The "error" of a reply (a non-empty string), or "HTTP status N".
 * Static or in reply. */
const char *client_error(json_t *reply, long status);
/* Read a token file: first non-empty, non-comment line, trimmed.
 * Caller frees. */
int	 client_token_file(const char *path, char **out,
	    struct dp_error *err);

/* sp-reply.c: snapshot-promote's reading of the replies (any shape). */
const char *sp_jstr(json_t *v);			/* "-" unless a string */
const char *sp_jget(json_t *o, const char *key);	/* the same of o.key */
void	 sp_print_json(FILE *out, json_t *j);	/* NULL: nothing */
void	 sp_print_promotion(FILE *out, json_t *snap);
void	 sp_print_promote(FILE *out, const char *env, int force, json_t *r);
void	 sp_print_rollback(FILE *out, const char *env, json_t *r);
void	 sp_print_snapshot(FILE *out, json_t *snap);
void	 sp_print_status(FILE *out, json_t *envs, json_t *snaps,
	    int as_json);
/* Where snapshot snap stands for environment env (*found: its entry of
 * "promotion", NULL for SP_WAIT_NOENV). */
enum sp_wait {
	SP_WAIT_NOENV,		/* no such environment in the reply */
	SP_WAIT_REACHED,	/* current or was */
	SP_WAIT_BLOCKED,	/* blocked or superseded: never will */
	SP_WAIT_PENDING,	/* anything else: not yet */
};
enum sp_wait sp_wait_state(json_t *snap, const char *env, json_t **found);

#endif
