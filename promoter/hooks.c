/*
 * hooks.c - POST /api/v1/hooks/{github,gitlab,gitea,generic}: a push
 * event polls every git watch whose URL: (or a Merge: URL) names the
 * pushed repository, on the pushed branch, at once.
 *
 * Authentication as each forge signs: GitHub X-Hub-Signature-256 and
 * Gitea X-Gitea-Signature (HMAC-SHA256 of the raw body), GitLab
 * X-Gitlab-Token, generic: a bearer token of role hook (Tokens-File);
 * secrets from the Hooks-File.  A delivery ID seen before (per forge,
 * table hook_deliveries) triggers nothing more.  The poll is handed to
 * the builder as a "check" request (the requests table `debpipe watch
 * check` uses; the builder's loop picks it up within a second) in the
 * same transaction as the delivery ID, and the answer (202, with the
 * watches triggered) goes out at once: the poll itself never holds up
 * the forge.  Every refusal is a 4xx JSON error and a line in the log,
 * and changes nothing.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db-hooks.h"
#include "db-watches.h"
#include "log.h"
#include "promoter.h"
#include "xmalloc.h"

#define HOOK_DELIVERY_MAX	128
#define HOOK_KEEP_DELIVERIES	(7 * 86400)	/* seconds */

static const struct hook_forge {
	const char	*name;
	const char	*event;		/* header naming the event */
	const char	*push;		/* its value for a push */
	const char	*delivery;	/* header with the delivery ID */
} hook_forges[] = {
	{ "github", "X-GitHub-Event", "push", "X-GitHub-Delivery" },
	{ "gitea", "X-Gitea-Event", "push", "X-Gitea-Delivery" },
	{ "gitlab", "X-Gitlab-Event", "Push Hook", "X-Gitlab-Event-UUID" },
	{ "generic", "X-Event", "push", "X-Delivery-ID" },
	{ NULL, NULL, NULL, NULL },
};

int
hooks_init(struct db *db, struct dp_error *err)
{
	return db_hook_init(db, err);
}

static void
hooks_refuse(struct http_reply *r, const char *forge, int status,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
hooks_refuse(struct http_reply *r, const char *forge, int status,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	log_warnx("hook %s refused (%d): %s", forge, status, msg);
	http_reply_error(r, status, "%s", msg);
	free(msg);
}

/* The request's headers, looked up by name (NULL when absent). */
struct hooks_hdrs {
	const char	*(*get)(void *arg, const char *name);
	void		*arg;
};

static const char *
hdr(const struct hooks_hdrs *h, const char *name)
{
	return h->get(h->arg, name);
}

/* Authenticate: 0, or -1 with the reply set.  Holds p->lock. */
static int
hooks_auth(struct promoter *p, const struct hooks_hdrs *c,
    const struct hook_forge *f, const char *body, size_t len,
    struct http_reply *r, const char **who)
{
	const char	*sig, *name = NULL;
	size_t		 i, nsecrets = 0;

	if (strcmp(f->name, "generic") == 0) {
		sig = hdr(c, "Authorization");
		if (sig == NULL || strncasecmp(sig, "Bearer ", 7) != 0) {
			r->www_auth = 1;
			hooks_refuse(r, f->name, 401, "this needs a token of "
			    "role hook: Authorization: Bearer TOKEN");
			return -1;
		}
		sig += 7;
		while (*sig == ' ')
			sig++;
		if (tokens_check(p->tokens, sig, &name) != ROLE_HOOK) {
			r->www_auth = 1;
			hooks_refuse(r, f->name, 401, "unknown token, or not "
			    "of role hook");
			return -1;
		}
		*who = name;
		return 0;
	}
	if (strcmp(f->name, "gitlab") == 0)
		sig = hdr(c, "X-Gitlab-Token");
	else if (strcmp(f->name, "gitea") == 0)
		sig = hdr(c, "X-Gitea-Signature");
	else
		sig = hdr(c, "X-Hub-Signature-256");
	for (i = 0; p->hooks != NULL && i < p->hooks->n; i++) {
		if (strcmp(p->hooks->v[i].forge, f->name) != 0)
			continue;
		nsecrets++;
		if (sig == NULL)
			continue;
		/* Every secret is tried: the time taken does not tell
		 * which one matched. */
		if (strcmp(f->name, "gitlab") == 0 ?
		    hooks_token_ok(p->hooks->v[i].secret, sig) :
		    hooks_sig_ok(p->hooks->v[i].secret, body, len, sig))
			name = f->name;
	}
	if (nsecrets == 0) {
		hooks_refuse(r, f->name, 403, "no secret for %s in the "
		    "Hooks-File: this hook is not set up", f->name);
		return -1;
	}
	if (sig == NULL) {
		hooks_refuse(r, f->name, 401, "unsigned request (no %s "
		    "header)", strcmp(f->name, "gitlab") == 0 ?
		    "X-Gitlab-Token" : strcmp(f->name, "gitea") == 0 ?
		    "X-Gitea-Signature" : "X-Hub-Signature-256");
		return -1;
	}
	if (name == NULL) {
		hooks_refuse(r, f->name, 401, "%s does not match the secret",
		    strcmp(f->name, "gitlab") == 0 ? "token" : "signature");
		return -1;
	}
	*who = name;
	return 0;
}

/* Record the delivery ID: 1 new, 0 seen before, -1 error. */
static int
hooks_delivery(struct db *db, const char *forge, const char *id,
    struct dp_error *err)
{
	return db_hook_delivery(db, forge, id, time(NULL),
	    HOOK_KEEP_DELIVERIES, err);
}

/* Ask the builder to poll watch now, unless a check is already pending. */
static int
hooks_check(struct db *db, const char *watch, struct dp_error *err)
{
	int	pending;

	if ((pending = db_watch_check_requested(db, watch, err)) == -1)
		return -1;
	if (pending)
		return 0;
	return db_request_add(db, "check", watch, err);
}

static int
hooks_watch_hit(const struct conf_watch *w, const struct hook_push *ev)
{
	size_t	k;

	if (w->type != WATCH_GIT)
		return 0;
	if (hooks_push_matches(ev, w->url, w->branch))
		return 1;
	for (k = 0; k < w->nmerges; k++)
		if (hooks_push_matches(ev, w->merges[k].url,
		    w->merges[k].branch))
			return 1;
	return 0;
}

void
hooks_handle(struct promoter *p,
    const char *(*get)(void *arg, const char *name), void *arg,
    const char *method, const char *forge, const char *body, size_t len,
    struct http_reply *r)
{
	const struct hooks_hdrs	 hh = { get, arg }, *c = &hh;
	const struct hook_forge	*f;
	struct hook_push	 ev;
	struct dp_error		 err;
	const char		*event, *delivery, *who = NULL;
	json_t			*triggered = NULL;
	char			 why[256];
	size_t			 i;
	int			 fresh, locked = 0;

	memset(&ev, 0, sizeof(ev));
	for (f = hook_forges; f->name != NULL; f++)
		if (strcmp(f->name, forge) == 0)
			break;
	if (f->name == NULL) {
		hooks_refuse(r, "?", 404, "no hook %s (github, gitlab, gitea "
		    "or generic)", forge);
		return;
	}
	if (strcmp(method, "POST") != 0) {
		r->allow = "POST";
		hooks_refuse(r, f->name, 405, "method %s not allowed: a hook "
		    "is a POST", method);
		return;
	}
	pthread_rwlock_rdlock(&p->cfglock);
	pthread_mutex_lock(&p->lock);
	locked = 1;
	if (hooks_auth(p, c, f, body, len, r, &who) == -1)
		goto out;
	event = hdr(c, f->event);
	if (strcmp(f->name, "github") == 0 && event != NULL &&
	    strcmp(event, "ping") == 0) {
		log_info("hook github: ping");
		http_reply_json(r, 200, json_pack("{s:s}", "event", "ping"));
		goto out;
	}
	if ((event == NULL && strcmp(f->name, "generic") != 0) ||
	    (event != NULL && strcmp(event, f->push) != 0)) {
		hooks_refuse(r, f->name, 400, "event %s is not handled: send "
		    "push events only", event != NULL ? event : "(none)");
		goto out;
	}
	if (hooks_push_parse(body, len, &ev, why, sizeof(why)) == -1) {
		hooks_refuse(r, f->name, 400, "%s", why);
		goto out;
	}
	delivery = hdr(c, f->delivery);
	if (delivery == NULL && strcmp(f->name, "gitlab") == 0)
		delivery = hdr(c, "Idempotency-Key");
	if (delivery != NULL && (*delivery == '\0' ||
	    strlen(delivery) > HOOK_DELIVERY_MAX)) {
		hooks_refuse(r, f->name, 400, "bad %s header", f->delivery);
		goto out;
	}
	if (db_begin(p->db, &err) == -1)
		goto dberr;
	if (delivery != NULL) {
		if ((fresh = hooks_delivery(p->db, f->name, delivery,
		    &err)) == -1)
			goto dberr;
		if (fresh == 0) {
			db_rollback(p->db);
			hooks_refuse(r, f->name, 409, "delivery %s was already "
			    "received: nothing more to do", delivery);
			goto out;
		}
	}
	triggered = json_array();
	for (i = 0; i < p->cfg->nwatches; i++) {
		if (!hooks_watch_hit(&p->cfg->watches[i], &ev))
			continue;
		if (hooks_check(p->db, p->cfg->watches[i].name, &err) == -1)
			goto dberr;
		json_array_append_new(triggered,
		    util_jstr(p->cfg->watches[i].name));
	}
	if (db_commit(p->db, &err) == -1)
		goto dberr;
	log_info("hook %s: push to %s of %s%s%s: %zu watch%s to poll",
	    f->name, ev.branch, ev.urls[0], delivery != NULL ?
	    ", delivery " : "", delivery != NULL ? delivery : "",
	    json_array_size(triggered), json_array_size(triggered) == 1 ?
	    "" : "es");
	http_reply_json(r, 202, json_pack("{s:s, s:o, s:o, s:o}",
	    "event", "push", "branch", util_jstr(ev.branch),
	    "delivery", util_jstr(delivery), "watches", triggered));
	triggered = NULL;
	goto out;
dberr:
	db_rollback(p->db);
	log_warnx("hook %s: %s", f->name, dp_error_str(&err));
	http_reply_error(r, err.code == DP_ERR_BUSY ? 503 : 500, "%s",
	    dp_error_str(&err));
out:
	if (locked) {
		pthread_mutex_unlock(&p->lock);
		pthread_rwlock_unlock(&p->cfglock);
	}
	json_decref(triggered);
	hooks_push_done(&ev);
}

static const char *
hooks_header_cb(void *arg, const char *name)
{
	return http_header(arg, name);
}

int
hooks_http(struct promoter *p, const struct http_request *rq)
{
	struct http_reply	r;

	memset(&r, 0, sizeof(r));
	hooks_handle(p, hooks_header_cb, (void *)rq, rq->method, rq->rest,
	    rq->body, rq->len, &r);
	return http_reply_send(rq, &r);
}
