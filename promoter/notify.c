/*
 * notify.c - announcing moves to the Notify URLs of an environment.
 *
 * env_move() queues one row per URL in the notifications table inside its
 * transaction; a sender thread POSTs each, retrying with exponential
 * backoff.  Failures are logged and kept in last_error (debpipe status
 * shows them); they never hold up a promotion.  The body is in the
 * environment's Notify-Format: json (the default: an event object with
 * snapshot, environment, from, to, reason, ...) or slack (an incoming
 * webhook message of Slack or Mattermost, {"text": ...}).
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "db-results.h"
#include "http-client.h"
#include "log.h"
#include "promoter.h"
#include "xmalloc.h"

#define NOTIFY_BATCH	16

char *
notify_expand(const char *tmpl, const char *snapshot, const char *env,
    const char *url)
{
	static const struct {
		const char	*name;
		size_t		 len;
	} keys[] = {
		{ "{snapshot}", 10 },
		{ "{environment}", 13 },
		{ "{url}", 5 },
	};
	const char	*vals[3] = { snapshot, env, url };
	struct buf	 b;
	const char	*p;
	char		*esc;
	size_t		 i;

	buf_init(&b);
	for (p = tmpl; *p != '\0'; ) {
		for (i = 0; i < 3; i++)
			if (strncmp(p, keys[i].name, keys[i].len) == 0)
				break;
		if (i == 3) {
			buf_addc(&b, *p++);
			continue;
		}
		esc = util_url_escape(vals[i] != NULL ? vals[i] : "");
		buf_adds(&b, esc);
		free(esc);
		p += keys[i].len;
	}
	return buf_steal(&b);
}

long
notify_backoff(int attempts)
{
	if (attempts < 1)
		attempts = 1;
	if (attempts > 9)
		return 600;
	return 2L << (attempts - 1);
}

/* Slack's mrkdwn escaping of text (&, <, > only). */
static void
notify_slack_text(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '&')
			buf_adds(b, "&amp;");
		else if (*s == '<')
			buf_adds(b, "&lt;");
		else if (*s == '>')
			buf_adds(b, "&gt;");
		else
			buf_addc(b, *s);
	}
}

/*
 * The one-line message of a move for a chat: "*staging* is now on
 * <URL|ID> (was ID): forced by alice: the reason".  Caller frees.
 */
char *
notify_slack_message(const char *env, const char *from, const char *to,
    const char *url, const char *kind, const char *actor,
    const char *reason)
{
	struct buf	 b;

	buf_init(&b);
	buf_adds(&b, "debpipe: *");
	notify_slack_text(&b, env);
	buf_adds(&b, "* is now on ");
	/* A link only when the URL cannot break out of <...|...>. */
	if (url != NULL && (strncmp(url, "http://", 7) == 0 ||
	    strncmp(url, "https://", 8) == 0) &&
	    strpbrk(url, "<>| \t\r\n") == NULL) {
		buf_printf(&b, "<%s|", url);
		notify_slack_text(&b, to);
		buf_addc(&b, '>');
	} else
		notify_slack_text(&b, to);
	buf_adds(&b, " (was ");
	notify_slack_text(&b, from != NULL ? from : "nothing");
	buf_adds(&b, "): ");
	if (strcmp(kind, "auto") == 0)
		buf_adds(&b, "promoted by the rules");
	else {
		notify_slack_text(&b, strcmp(kind, "force") == 0 ? "forced" :
		    strcmp(kind, "rollback") == 0 ? "rolled back" : kind);
		buf_adds(&b, " by ");
		notify_slack_text(&b, actor != NULL ? actor : "?");
	}
	if (reason != NULL && reason[0] != '\0') {
		buf_adds(&b, ": ");
		notify_slack_text(&b, reason);
	}
	return buf_steal(&b);
}

int
notify_enqueue(struct db *db, const struct conf_env *env,
    const struct config *cfg, const char *from, const char *to,
    const char *actor, const char *reason, const char *kind,
    const char *time, struct dp_error *err)
{
	json_t		*j = NULL;
	char		*payload = NULL, *snapurl = NULL, *envurl = NULL;
	char		*url = NULL, *base, *text = NULL;
	char		**n;
	int		 rv = -1;

	if (env->notify == NULL || env->notify[0] == NULL)
		return 0;
	base = cfg->public_url != NULL ? cfg->public_url : "";
	snapurl = xasprintf("%s%s/snapshots/%s", base,
	    base[0] != '\0' && base[strlen(base) - 1] == '/' ? "." : "", to);
	envurl = xasprintf("%s%s/%s", base,
	    base[0] != '\0' && base[strlen(base) - 1] == '/' ? "." : "",
	    env->name);
	if (env->notify_format != NULL &&
	    strcmp(env->notify_format, "slack") == 0) {
		text = notify_slack_message(env->name, from, to, snapurl,
		    kind, actor, reason);
		j = json_pack("{s:s}", "text", text);
	} else
		j = json_pack("{s:s, s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:s, "
	    "s:o, s:o}",
	    "event", "promotion",
	    "environment", env->name,
	    "snapshot", util_jstr(to),
	    "from", util_jstr(from),
	    "to", util_jstr(to),
	    "kind", kind,
	    "actor", util_jstr(actor),
	    "reason", util_jstr(reason),
	    "time", time,
	    "url", util_jstr(snapurl),
	    "environment_url", util_jstr(envurl));
	if (j == NULL || (payload = json_dumps(j, JSON_COMPACT)) == NULL) {
		dp_error_set(err, DP_ERR_INVALID, "cannot build the "
		    "notification for %s", env->name);
		goto out;
	}
	for (n = env->notify; *n != NULL; n++) {
		free(url);
		url = notify_expand(*n, to, env->name, snapurl);
		if (db_notify_add(db, env->name, url, payload, time, err) == -1)
			goto out;
	}
	rv = 0;
out:
	json_decref(j);
	free(payload);
	free(snapurl);
	free(envurl);
	free(url);
	free(text);
	return rv;
}

struct notify_item {
	int64_t	 id;
	char	*url;
	char	*payload;
	int	 attempts;
	char	*error;		/* NULL when sent */
};

static size_t
notify_discard_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	return size * nmemb;
}

/* POST one event; NULL on success, else the error (caller frees). */
static char *
notify_post(const char *url, const char *payload)
{
	static const struct http_client_opts o = {
		.agent = PROMOTER_NAME "/" VERSION,
		.protocols = "http,https",
		.connect_timeout = 10L,
		.timeout_ms = 30L * 1000L,
	};
	CURL			*curl;
	struct curl_slist	*hdr = NULL;
	struct dp_error		 err;
	char			 ebuf[CURL_ERROR_SIZE];
	long			 code = 0;
	char			*error = NULL;

	if ((curl = http_client_new(&o, ebuf, &err)) == NULL)
		return xstrdup(dp_error_str(&err));
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, notify_discard_cb);
	if (http_client_perform(curl, ebuf, &code, &err) == -1 ||
	    http_client_status(code, &err) == -1)
		error = xstrdup(dp_error_str(&err));
	curl_slist_free_all(hdr);
	curl_easy_cleanup(curl);
	return error;
}

struct notify_due {
	struct notify_item	*items;
	size_t			 n;
};

static void
notify_due_cb(void *arg, const struct db_notification *dn)
{
	struct notify_due	*due = arg;
	struct notify_item	*it;

	if (due->n == NOTIFY_BATCH)
		return;
	it = &due->items[due->n++];
	it->id = dn->id;
	it->url = xstrdup(dn->url);
	it->payload = xstrdup(dn->payload);
	it->attempts = dn->attempts;
	it->error = NULL;
}

void
notify_run_once(struct promoter *p)
{
	struct notify_item	 items[NOTIFY_BATCH];
	struct notify_due	 due = { items, 0 };
	struct dp_error		 err;
	char			 now[32], next[32];
	size_t			 n = 0, i;
	int			 failed;

	pthread_mutex_lock(&p->lock);
	util_time_fmt(time(NULL), now);
	if (db_notify_due(p->db, now, NOTIFY_BATCH, notify_due_cb, &due,
	    &err) == -1)
		log_warnx("notifications: %s", dp_error_str(&err));
	n = due.n;
	pthread_mutex_unlock(&p->lock);

	/* The network, without the lock. */
	for (i = 0; i < n; i++)
		items[i].error = notify_post(items[i].url, items[i].payload);

	pthread_mutex_lock(&p->lock);
	util_time_fmt(time(NULL), now);
	for (i = 0; i < n; i++) {
		items[i].attempts++;
		failed = items[i].error != NULL &&
		    items[i].attempts >= NOTIFY_MAX_ATTEMPTS;
		util_time_fmt(time(NULL) + notify_backoff(items[i].attempts),
		    next);
		if (items[i].error == NULL)
			log_info("notified %s", items[i].url);
		else
			log_warnx("notification %lld to %s failed (attempt "
			    "%d%s): %s", (long long)items[i].id, items[i].url,
			    items[i].attempts, failed ? ", giving up" : "",
			    items[i].error);
		if (db_notify_update(p->db, items[i].id, items[i].attempts,
		    items[i].error == NULL ? "sent" : failed ? "failed" :
		    "pending", items[i].error == NULL ? now : next,
		    items[i].error, &err) == -1)
			log_warnx("%s", dp_error_str(&err));
	}
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < n; i++) {
		free(items[i].url);
		free(items[i].payload);
		free(items[i].error);
	}
}

void
notify_wake(struct promoter *p)
{
	pthread_cond_signal(&p->notify_cond);
}

static void *
notify_thread(void *arg)
{
	struct promoter	*p = arg;
	struct timespec	 ts;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		if (p->stopping) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		pthread_mutex_unlock(&p->lock);
		notify_run_once(p);
		pthread_mutex_lock(&p->lock);
		if (!p->stopping) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&p->notify_cond, &p->lock, &ts);
		}
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

int
notify_start(struct promoter *p, pthread_t *tid)
{
	int	e;

	if ((e = pthread_create(tid, NULL, notify_thread, p)) != 0) {
		errno = e;
		return -1;
	}
	return 0;
}
