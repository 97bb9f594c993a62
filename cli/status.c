/* cli/status.c - debpipe status: the state of the whole pipeline at a
 * glance.  Works before anything ever ran (no database yet). */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chroot.h"
#include "cli.h"
#include "db-builds.h"
#include "db-env.h"
#include "db-results.h"
#include "db-snapshots.h"
#include "db-watches.h"
#include "remote-status.h"
#include "xmalloc.h"

static json_t *
jstr_or_null(const char *s)
{
	json_t	*j = s != NULL ? json_string(s) : NULL;

	return j != NULL ? j : json_null();
}

static void
notify_failure_cb(void *arg, const struct db_notification *n)
{
	json_array_append_new(arg, json_pack("{s:o, s:o, s:o, s:I, s:o, s:o}",
	    "env", jstr_or_null(n->env),
	    "url", jstr_or_null(n->url),
	    "last_error", jstr_or_null(n->last_error),
	    "attempts", (json_int_t)n->attempts,
	    "state", jstr_or_null(n->state),
	    "next_try", jstr_or_null(n->next_try)));
}

/* The published snapshots, newest first, as the API lists them. */
static int
snapshot_cb(const struct db_snapshot *sn, void *arg)
{
	json_array_append_new(arg, json_pack("{s:o, s:o}",
	    "id", jstr_or_null(sn->id), "created", jstr_or_null(sn->created)));
	return 0;
}

/* The newest builds, as the promoter's API lists them (db_build_page). */
static json_t *
last_builds(struct db *db)
{
	struct db_build	*v = NULL;
	json_t		*arr = json_array();
	size_t		 n = 0, i;

	if (db == NULL || db_build_page(db, NULL, NULL, 0, 10, &v, &n,
	    NULL) == -1)
		return arr;
	for (i = 0; i < n; i++) {
		json_array_append_new(arr, json_pack("{s:I, s:o, s:o, s:o, "
		    "s:o, s:o}", "id", (json_int_t)v[i].id,
		    "watch", jstr_or_null(v[i].watch),
		    "state", jstr_or_null(v[i].state),
		    "version", jstr_or_null(v[i].version),
		    "finished", jstr_or_null(v[i].finished),
		    "message", jstr_or_null(v[i].message)));
		db_build_done(&v[i]);
	}
	free(v);
	return arr;
}

/* One row of the daemons table, for the JSON status. */
static void
daemon_row(const char *name, long pid, const char *started,
    const char *heartbeat, long age, void *arg)
{
	json_array_append_new(arg, json_pack("{s:o, s:I, s:o, s:o, s:I}",
	    "name", jstr_or_null(name), "pid", (json_int_t)pid,
	    "started", jstr_or_null(started), "heartbeat",
	    jstr_or_null(heartbeat), "age", (json_int_t)age));
}

static const char *
js(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "-";
}

static void
print_text(struct cli *c, json_t *st)
{
	json_t	*v, *a;
	size_t	 i;

	printf("debpipe %s  config %s\n", PACKAGE_VERSION, c->config_path);
	printf("state   %s%s\n", c->cfg->state_dir,
	    json_is_true(json_object_get(st, "database")) ? "" :
	    "  (no database yet: nothing has run)");
	printf("public  %s  (%s)\n\n", c->cfg->public_dir, c->cfg->public_url);

	printf("Daemons:\n");
	a = json_object_get(st, "daemons");
	if (json_array_size(a) == 0)
		printf("  none has run yet\n");
	json_array_foreach(a, i, v) {
		json_int_t age = json_integer_value(json_object_get(v, "age"));
		json_int_t pid = json_integer_value(json_object_get(v, "pid"));
		/* Alive: a recent heartbeat and, on this host, the pid. */
		int alive = age < 120 && !(kill((pid_t)pid, 0) == -1 &&
		    errno == ESRCH);

		printf("  %-22s pid %-7lld %s (last seen %llds ago)\n",
		    js(v, "name"), (long long)pid,
		    alive ? "running" : "not running", (long long)age);
	}

	printf("\nWatches:\n");
	a = json_object_get(st, "watches");
	if (json_array_size(a) == 0)
		printf("  none configured (add stanzas to watch.d/*.watch)\n");
	json_array_foreach(a, i, v)
		printf("  %-20s %-10s last poll %-20s last build %s %s%s%s\n",
		    js(v, "name"), js(v, "type"), js(v, "last_poll"),
		    js(v, "last_build"), js(v, "last_result"),
		    json_is_string(json_object_get(v, "last_error")) ?
		    "\n      error: " : "",
		    json_is_string(json_object_get(v, "last_error")) ?
		    js(v, "last_error") : "");

	printf("\nChroots (Builder: sbuild; Chroot-Max-Age %lds):\n",
	    c->cfg->chroot_max_age);
	cli_chroots_print(json_object_get(st, "chroots"), "  ");

	printf("\nQueue: %lld queued, %lld running, %lld waiting for build "
	    "dependencies%s\n",
	    (long long)json_integer_value(json_object_get(st, "queued")),
	    (long long)json_integer_value(json_object_get(st, "running")),
	    (long long)json_integer_value(json_object_get(st, "waiting")),
	    json_integer_value(json_object_get(st, "waiting")) > 0 ?
	    " (debpipe builds --waiting)" : "");

	a = json_object_get(st, "snapshots");
	printf("\nSnapshots: %zu", json_array_size(a));
	if (json_array_size(a) > 0)
		printf(" (newest %s)", js(json_array_get(a, 0), "id"));
	printf("\n");
	json_array_foreach(a, i, v) {
		if (i >= 5)
			break;
		printf("  %s  %s\n", js(v, "id"), js(v, "created"));
	}

	printf("\nEnvironments:\n");
	a = json_object_get(st, "environments");
	json_array_foreach(a, i, v)
		printf("  %-10s %-18s since %s\n", js(v, "name"),
		    js(v, "snapshot"), js(v, "since"));

	a = json_object_get(st, "targets");
	if (json_array_size(a) > 0)
		printf("\nObject storage (Publish-To:):\n");
	json_array_foreach(a, i, v) {
		json_t	*l;
		size_t	 j;

		printf("  %s  %s\n      last success %s, last attempt %s\n"
		    "      %lld object%s (%lld bytes); %lld change%s to "
		    "upload, lag %llds, %lld uploads pending\n",
		    js(v, "target"), json_is_string(json_object_get(v, "url")) ?
		    js(v, "url") : "(never synced)", js(v, "last_success"),
		    js(v, "last_attempt"),
		    (long long)json_integer_value(json_object_get(v, "objects")),
		    json_integer_value(json_object_get(v, "objects")) == 1 ?
		    "" : "s",
		    (long long)json_integer_value(json_object_get(v, "bytes")),
		    (long long)json_integer_value(json_object_get(v, "behind")),
		    json_integer_value(json_object_get(v, "behind")) == 1 ?
		    "" : "s",
		    (long long)json_integer_value(json_object_get(v,
		    "lag_seconds")),
		    (long long)json_integer_value(json_object_get(v,
		    "pending")));
		if (json_is_string(json_object_get(v, "last_error")))
			printf("      error: %s\n", js(v, "last_error"));
		json_array_foreach(json_object_get(v, "sources"), j, l)
			printf("      %s\n", json_string_value(l));
	}

	a = json_object_get(st, "notify_failures");
	if (json_array_size(a) > 0) {
		printf("\nNotifications failing:\n");
		json_array_foreach(a, i, v)
			printf("  %s %s: %s\n      %s after %lld attempts%s%s\n",
			    js(v, "env"), js(v, "url"), js(v, "last_error"),
			    strcmp(js(v, "state"), "failed") == 0 ?
			    "given up" : "retrying",
			    (long long)json_integer_value(json_object_get(v,
			    "attempts")), strcmp(js(v, "state"), "failed") ==
			    0 ? "" : ", next at ", strcmp(js(v, "state"),
			    "failed") == 0 ? "" : js(v, "next_try"));
	}
}

int
cmd_status(struct cli *c, int argc, char **argv)
{
	struct dp_error	 err;
	struct db	*db = NULL;
	json_t		*st, *w, *envs, *dbrows, *nf, *snaps;
	char		*path;
	size_t		 i;
	int64_t		 n;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		printf("usage: debpipe [--config FILE] status [--json]\n");
		return EXIT_OK;
	}
	if (argc > 1) {
		cli_err("status: unexpected argument '%s'", argv[1]);
		return EXIT_USAGE;
	}
	if (cli_load_config(c) == -1)
		return EXIT_FAIL;
	path = config_db_path(c->cfg);
	if (db_open_ro(path, &db, &err) == -1 && err.code != DP_ERR_NOTFOUND) {
		cli_err("%s", dp_error_str(&err));
		free(path);
		return EXIT_FAIL;
	}
	free(path);

	st = json_object();
	json_object_set_new(st, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(st, "config", json_string(c->config_path));
	json_object_set_new(st, "database", json_boolean(db != NULL));

	dbrows = json_array();
	if (db != NULL)
		db_daemon_foreach(db, daemon_row, dbrows, NULL);
	json_object_set_new(st, "daemons", dbrows);

	w = json_array();
	for (i = 0; i < c->cfg->nwatches; i++) {
		const struct conf_watch	*cw = &c->cfg->watches[i];
		json_t			*o = json_object();
		struct db_watch_row	 row;
		char			*fin = NULL, *res = NULL;

		json_object_set_new(o, "name", json_string(cw->name));
		json_object_set_new(o, "type", json_string(
		    cw->type == WATCH_GIT ? "git" :
		    cw->type == WATCH_APT ? "apt" : "apt-source"));
		/* What the promoter's API reads (api_watches_list()). */
		if (db != NULL && db_watch_row_get(db, cw->name, &row,
		    NULL) == 0 && db_build_last(db, cw->name, &fin, &res,
		    NULL) == 0) {
			json_object_set_new(o, "last_poll",
			    jstr_or_null(row.last_poll));
			json_object_set_new(o, "last_error",
			    jstr_or_null(row.last_error));
			json_object_set_new(o, "last_build", jstr_or_null(fin));
			json_object_set_new(o, "last_result",
			    jstr_or_null(res));
		}
		if (db != NULL)
			db_watch_row_done(&row);
		free(fin);
		free(res);
		json_array_append_new(w, o);
	}
	json_object_set_new(st, "watches", w);

	for (i = 0; i < 3; i++) {
		static const char *const states[] = { "queued", "running",
		    "waiting" };

		n = 0;
		if (db != NULL)
			(void)db_build_count(db, states[i], &n, NULL);
		json_object_set_new(st, states[i], json_integer(n));
	}
	json_object_set_new(st, "chroots", cli_chroots_json(c, NULL,
	    chroot_host_arch()));
	json_object_set_new(st, "last_builds", last_builds(db));
	snaps = json_array();
	if (db != NULL)
		(void)db_snapshot_foreach(db, 0, 0, snapshot_cb, snaps, NULL);
	json_object_set_new(st, "snapshots", snaps);

	envs = json_array();
	for (i = 0; i < c->cfg->nenvs; i++) {
		json_t	*o = json_object();
		char	*snap = NULL, *since = NULL;

		json_object_set_new(o, "name", json_string(c->cfg->envs[i].name));
		/* What the promoter's API reads (env_get()). */
		if (db != NULL && db_env_get(db, c->cfg->envs[i].name, &snap,
		    &since, NULL) == 0 && snap != NULL) {
			json_object_set_new(o, "snapshot", json_string(snap));
			json_object_set_new(o, "since", json_string(since));
		}
		free(snap);
		free(since);
		json_array_append_new(envs, o);
	}
	json_object_set_new(st, "environments", envs);
	/* The notifications the promoter's API lists (failing ones). */
	nf = json_array();
	if (db != NULL)
		(void)db_notify_list(db, 1, 10, notify_failure_cb, nf, NULL);
	json_object_set_new(st, "notify_failures", nf);

	json_object_set_new(st, "targets", remote_status(db, c->cfg));

	if (c->json) {
		char *s = json_dumps(st, JSON_INDENT(2));
		printf("%s\n", s);
		free(s);
	} else
		print_text(c, st);
	json_decref(st);
	db_close(db);
	return EXIT_OK;
}
