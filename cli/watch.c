/*
 * cli/watch.c - debpipe watch list | check NAME [--dry-run],
 * debpipe build NAME, debpipe builds [--failed], debpipe log BUILD-ID.
 *
 * `watch check` hands the poll to a running debpipe-builder (requests
 * table) and waits for it; with no builder running (no fresh heartbeat in
 * the daemons table) it polls by itself, under the builder's lock.
 */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../builder/builder.h"
#include "cli.h"
#include "fsutil.h"
#include "xmalloc.h"

#define HEARTBEAT_FRESH	30	/* seconds */
#define CHECK_WAIT	120	/* seconds to wait for the builder */

static const char *
type_name(enum watch_type t)
{
	switch (t) {
	case WATCH_GIT:
		return "git";
	case WATCH_APT:
		return "apt";
	case WATCH_APT_SOURCE:
		return "apt-source";
	}
	return "?";
}

/* A text value of a row (NULL: JSON null). */
static json_t *
json_text(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* A row id (0, none: JSON null). */
static json_t *
json_id(int64_t id)
{
	return id != 0 ? json_integer(id) : json_null();
}

static void
json_print(json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (s != NULL)
		printf("%s\n", s);
	free(s);
}

/* The text value key of o, or NULL. */
static const char *
json_get_text(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* {"key": arr} on stdout (takes arr).  EXIT_OK. */
static int
json_print_list(const char *key, json_t *arr)
{
	json_t *top = json_object();

	json_object_set_new(top, key, arr);
	json_print(top);
	json_decref(top);
	return EXIT_OK;
}

/* Is --help or -h among the arguments?  Then usage on stdout, 1. */
static int
want_help(int argc, char **argv, const char *usage)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h")
		    == 0) {
			fputs(usage, stdout);
			return 1;
		}
	return 0;
}

/* Open c->db and find watch name; NULL (said why) if either fails. */
static const struct conf_watch *
watch_open(struct cli *c, const char *name)
{
	const struct conf_watch *w;

	if (cli_open_db(c) == -1)
		return NULL;
	if ((w = config_watch_find(c->cfg, name)) == NULL)
		cli_err("no watch '%s' (see debpipe watch list)", name);
	return w;
}

/* Is a builder daemon alive?  Its pid, or 0. */
static long
builder_alive(struct db *db)
{
	long	pid = 0, age = 0;

	if (db_daemon_get(db, BUILDER_DAEMON_NAME, &pid, &age, NULL) != 1 ||
	    age > HEARTBEAT_FRESH || pid <= 0 ||
	    (kill((pid_t)pid, 0) == -1 && errno == ESRCH))
		return 0;
	return pid;
}

/* A builder (daemon or --once) holds State-Dir/builder.lock: 1/0. */
static int
builder_running(struct cli *c)
{
	char	*lockpath;
	int	 fd;

	if (builder_alive(c->db) != 0)
		return 1;
	lockpath = fs_join(c->cfg->state_dir, "builder.lock");
	fd = fs_lock(lockpath, 0, NULL);
	free(lockpath);
	if (fd == -1)
		return 1;
	close(fd);
	return 0;
}

/* ---- watch list ------------------------------------------------------- */

static int
watch_list(struct cli *c)
{
	json_t	*arr = json_array();
	size_t	 i, j;

	for (i = 0; i < c->cfg->nwatches; i++) {
		const struct conf_watch	*w = &c->cfg->watches[i];
		json_t			*o = json_object(), *m;
		struct db_watch_status	 ws;

		json_object_set_new(o, "name", json_string(w->name));
		json_object_set_new(o, "type", json_string(type_name(w->type)));
		json_object_set_new(o, "url", json_string(w->url));
		if (w->type == WATCH_GIT) {
			json_object_set_new(o, "branch",
			    json_string(w->branch));
			m = json_array();
			for (j = 0; j < w->nmerges; j++) {
				json_t *mo = json_object();

				json_object_set_new(mo, "url",
				    json_string(w->merges[j].url));
				json_object_set_new(mo, "branch",
				    json_string(w->merges[j].branch));
				json_array_append_new(m, mo);
			}
			json_object_set_new(o, "merges", m);
		} else
			json_object_set_new(o, "suite", w->suite != NULL ?
			    json_string(w->suite) : json_null());
		json_object_set_new(o, "distribution", json_string(w->dist));
		json_object_set_new(o, "component", w->component != NULL ?
		    json_string(w->component) : json_null());
		json_object_set_new(o, "interval", json_integer(w->interval));
		if (db_watch_status(c->db, w->name, &ws, NULL) == 0) {
			json_object_set_new(o, "last_poll",
			    json_text(ws.last_poll));
			json_object_set_new(o, "last_change",
			    json_text(ws.last_change));
			json_object_set_new(o, "last_inputs",
			    json_text(ws.last_inputs));
			json_object_set_new(o, "last_error",
			    json_text(ws.last_error));
			json_object_set_new(o, "last_build",
			    json_id(ws.last_build));
			json_object_set_new(o, "last_build_state",
			    json_text(ws.last_build_state));
			json_object_set_new(o, "last_good_version",
			    json_text(ws.last_good_version));
		}
		db_watch_status_done(&ws);
		json_array_append_new(arr, o);
	}
	if (c->json)
		return json_print_list("watches", arr);
	if (json_array_size(arr) == 0)
		printf("no watches configured (%s)\n", c->cfg->watch_dir);
	else
		printf("%-20s %-10s %-10s %-20s %-8s %s\n", "WATCH", "TYPE",
		    "DIST", "LAST POLL", "BUILD", "VERSION / ERROR");
	for (i = 0; i < json_array_size(arr); i++) {
		json_t		*o = json_array_get(arr, i);
		const char	*e = json_get_text(o, "last_error");
		const char	*v = json_get_text(o, "last_good_version");
		const char	*p = json_get_text(o, "last_poll");
		const char	*bs = json_get_text(o, "last_build_state");

		printf("%-20s %-10s %-10s %-20s %-8s %s%s\n",
		    json_get_text(o, "name"), json_get_text(o, "type"),
		    json_get_text(o, "distribution"),
		    p != NULL ? p : "never", bs != NULL ? bs : "-",
		    e != NULL ? "error: " : "", e != NULL ? e :
		    v != NULL ? v : "-");
	}
	json_decref(arr);
	return EXIT_OK;
}

/* ---- watch check ------------------------------------------------------ */

static int
print_watch_state(struct cli *c, const char *name, const char *summary)
{
	struct db_watch_status	 ws;
	json_t			*o = json_object();
	int			 rv = EXIT_OK;

	json_object_set_new(o, "watch", json_string(name));
	if (summary != NULL)
		json_object_set_new(o, "summary", json_string(summary));
	if (db_watch_check_status(c->db, name, &ws, NULL) == 0) {
		json_object_set_new(o, "last_poll", json_text(ws.last_poll));
		json_object_set_new(o, "last_inputs",
		    json_text(ws.last_inputs));
		json_object_set_new(o, "last_error", json_text(ws.last_error));
		json_object_set_new(o, "pending_build",
		    json_id(ws.pending_build));
		if (ws.last_error != NULL)
			rv = EXIT_FAIL;
	}
	db_watch_status_done(&ws);
	if (c->json)
		json_print(o);
	else {
		json_t *e = json_object_get(o, "last_error");
		json_t *b = json_object_get(o, "pending_build");

		if (summary != NULL)
			printf("%s\n", summary);
		if (json_is_string(e))
			cli_err("watch %s: %s", name, json_string_value(e));
		else if (json_is_integer(b) && summary == NULL)
			printf("%s: build %lld queued\n", name,
			    (long long)json_integer_value(b));
		else if (summary == NULL)
			printf("%s: checked, %s\n", name,
			    json_is_string(json_object_get(o, "last_inputs")) ?
			    json_get_text(o, "last_inputs") : "nothing new");
	}
	json_decref(o);
	return rv;
}

static int
check_via_daemon(struct cli *c, const char *name)
{
	struct dp_error	 err;
	int64_t		 id;
	time_t		 until = time(NULL) + CHECK_WAIT;
	int		 done = 0;

	if (db_request_add(c->db, "check", name, &err) == -1) {
		cli_err("%s", dp_error_str(&err));
		return EXIT_FAIL;
	}
	id = sqlite3_last_insert_rowid(db_handle(c->db));
	while (!done && time(NULL) < until) {
		usleep(200000);
		if ((done = db_request_answered(c->db, id, &err)) == -1) {
			done = 0;
			break;
		}
	}
	if (!done) {
		cli_err("watch %s: the builder has not answered within %d s; "
		    "the check stays queued", name, CHECK_WAIT);
		return EXIT_FAIL;
	}
	return print_watch_state(c, name, NULL);
}

/* lockfd: the builder lock we hold (not a dry run), closed here. */
static int
check_here(struct cli *c, const struct conf_watch *w, int dry_run, int lockfd)
{
	struct poll_result	 res;
	struct dp_error		 err;
	int			 rv;

	gitw_init();
	rv = poll_watch(c->db, c->cfg, w, dry_run, NULL, &res, &err);
	if (lockfd != -1)
		close(lockfd);
	if (rv == -1) {
		if (c->json) {
			json_t *o = json_object();

			json_object_set_new(o, "watch", json_string(w->name));
			json_object_set_new(o, "error",
			    json_string(dp_error_str(&err)));
			json_print(o);
			json_decref(o);
		}
		cli_err("watch %s: %s", w->name, dp_error_str(&err));
		return EXIT_FAIL;
	}
	if (dry_run) {
		if (c->json) {
			json_t *o = json_object();

			json_object_set_new(o, "watch", json_string(w->name));
			json_object_set_new(o, "changed",
			    json_boolean(res.changed));
			json_object_set_new(o, "inputs", res.inputs != NULL ?
			    json_string(res.inputs) : json_null());
			json_object_set_new(o, "summary",
			    json_string(res.summary));
			json_print(o);
			json_decref(o);
		} else
			printf("%s\n", res.summary);
		poll_result_done(&res);
		return EXIT_OK;
	}
	rv = print_watch_state(c, w->name, res.summary);
	poll_result_done(&res);
	return rv;
}

static int
watch_check(struct cli *c, int argc, char **argv)
{
	const struct conf_watch	*w;
	struct dp_error		 err;
	const char		*name = NULL;
	char			*lockpath;
	int			 dry_run = 0, i, lockfd;

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0 ||
		    strcmp(argv[i], "-n") == 0)
			dry_run = 1;
		else if (strcmp(argv[i], "--json") == 0)
			c->json = 1;
		else if (argv[i][0] == '-') {
			cli_err("watch check: unknown option '%s'", argv[i]);
			return EXIT_USAGE;
		} else if (name == NULL)
			name = argv[i];
		else {
			cli_err("watch check: one watch at a time");
			return EXIT_USAGE;
		}
	}
	if (name == NULL) {
		cli_err("usage: debpipe watch check NAME [--dry-run]");
		return EXIT_USAGE;
	}
	if ((w = watch_open(c, name)) == NULL)
		return EXIT_FAIL;
	if (dry_run)
		return check_here(c, w, 1, -1);
	/*
	 * The builder holds State-Dir/builder.lock while it runs (daemon or
	 * --once): then it answers the request.  Otherwise poll here, under
	 * the lock, so that no builder starts on the mirrors meanwhile.
	 */
	lockpath = fs_join(c->cfg->state_dir, "builder.lock");
	lockfd = fs_lock(lockpath, 0, &err);
	free(lockpath);
	if (lockfd == -1 && err.code != DP_ERR_BUSY) {
		cli_err("%s", dp_error_str(&err));
		return EXIT_FAIL;
	}
	if (lockfd == -1)
		return check_via_daemon(c, name);
	return check_here(c, w, 0, lockfd);
}

static const char watch_usage[] =
    "usage: debpipe [--config FILE] watch list [--json]\n"
    "       debpipe [--config FILE] watch check NAME [--dry-run] [--json]\n"
    "\nlist: the configured watches and their state.\n"
    "check: poll that upstream now (through the running debpipe-builder,\n"
    "or here when none runs); --dry-run reports what changed and queues\n"
    "nothing.\n";

int
cmd_watch(struct cli *c, int argc, char **argv)
{
	int i;

	if (argc < 2) {
		fputs(watch_usage, stderr);
		return EXIT_USAGE;
	}
	if (want_help(argc, argv, watch_usage))
		return EXIT_OK;
	if (strcmp(argv[1], "list") == 0) {
		for (i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--json") == 0)
				c->json = 1;
			else {
				cli_err("watch list: unexpected argument '%s'",
				    argv[i]);
				return EXIT_USAGE;
			}
		}
		if (cli_open_db(c) == -1)
			return EXIT_FAIL;
		return watch_list(c);
	}
	if (strcmp(argv[1], "check") == 0)
		return watch_check(c, argc, argv);
	cli_err("watch: unknown subcommand '%s' (list, check)", argv[1]);
	return EXIT_USAGE;
}

/* ---- build ------------------------------------------------------------ */

int
cmd_build(struct cli *c, int argc, char **argv)
{
	const struct conf_watch	*w;
	struct dp_error		 err;
	int64_t			 id;
	int			 i, alive, again = 0;
	const char		*name = NULL;

	if (want_help(argc, argv, "usage: debpipe [--config FILE] build NAME "
	    "[--json]\n"
	    "\nQueue a build (git, apt-source) or an import (apt) of watch "
	    "NAME now,\nfrom what its upstream holds when the build "
	    "starts.\n"))
		return EXIT_OK;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			c->json = 1;
		else if (argv[i][0] == '-' || name != NULL) {
			cli_err("usage: debpipe build NAME");
			return EXIT_USAGE;
		} else
			name = argv[i];
	}
	if (name == NULL) {
		cli_err("usage: debpipe build NAME");
		return EXIT_USAGE;
	}
	if ((w = watch_open(c, name)) == NULL)
		return EXIT_FAIL;
	/* A build queued by hand and not started yet covers this one. */
	if ((id = db_build_queued_by_hand(c->db, w->name)) != 0)
		again = 1;
	else if (db_build_add(c->db, w->name, NULL, &id, &err) == -1) {
		cli_err("%s", dp_error_str(&err));
		return EXIT_FAIL;
	}
	alive = builder_running(c);
	if (c->json) {
		json_t *o = json_object();

		json_object_set_new(o, "build", json_integer(id));
		json_object_set_new(o, "watch", json_string(w->name));
		json_object_set_new(o, "builder_running", json_boolean(alive));
		json_object_set_new(o, "already_queued", json_boolean(again));
		json_print(o);
		json_decref(o);
	} else
		printf("build %lld of %s %squeued%s\n", (long long)id, w->name,
		    again ? "already " : "", alive ? "" : " (no "
		    "debpipe-builder is running: it starts when one runs)");
	return EXIT_OK;
}

/* ---- builds ----------------------------------------------------------- */

int
cmd_builds(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "failed", no_argument, NULL, 'f' },
		{ "waiting", no_argument, NULL, 'W' },
		{ "watch", required_argument, NULL, 'w' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct db_build	*rows = NULL;
	struct dp_error	 err;
	json_t		*arr;
	const char	*watch = NULL;
	char		*end;
	long		 limit = 20;
	int		 ch, failed = 0;
	size_t		 k, nrows = 0;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:fWw:n:jh", longopts, NULL))
	    != -1) {
		switch (ch) {
		case 'f':
			failed = 1;
			break;
		case 'W':
			failed = 2;
			break;
		case 'w':
			watch = optarg;
			break;
		case 'n':
			limit = strtol(optarg, &end, 10);
			if (*end != '\0' || limit <= 0) {
				cli_err("builds: --limit wants a positive "
				    "number");
				return EXIT_USAGE;
			}
			break;
		case 'j':
			c->json = 1;
			break;
		case 'h':
			printf("usage: debpipe [--config FILE] builds "
			    "[--failed | --waiting] [--watch NAME] [--limit N] "
			    "[--json]\n"
			    "\nThe most recent builds, newest first (default "
			    "20); --failed: only\nthe failed ones; --waiting: "
			    "only those waiting for build dependencies\n(the "
			    "message says which; retried when the packages or "
			    "the chroot change,\nor by debpipe build NAME).  "
			    "--json also names each build's log_path and\n"
			    "buildinfo.\n");
			return EXIT_OK;
		case ':':
			cli_err("builds: option '%s' needs a value",
			    argv[optind - 1]);
			return EXIT_USAGE;
		default:
			cli_err("builds: unknown option '%s' (see debpipe "
			    "builds --help)", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		cli_err("builds: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (cli_open_db(c) == -1)
		return EXIT_FAIL;
	if (db_build_list(c->db, failed, watch, limit, &rows, &nrows,
	    &err) == -1) {
		cli_err("%s", dp_error_str(&err));
		return EXIT_FAIL;
	}
	arr = json_array();
	for (k = 0; k < nrows; k++) {
		const struct db_build	*b = &rows[k];
		json_t			*o = json_object();

		json_object_set_new(o, "id", json_integer(b->id));
		json_object_set_new(o, "watch", json_text(b->watch));
		json_object_set_new(o, "state", json_text(b->state));
		json_object_set_new(o, "version", json_text(b->version));
		json_object_set_new(o, "inputs", json_text(b->inputs));
		json_object_set_new(o, "queued", json_text(b->queued));
		json_object_set_new(o, "started", json_text(b->started));
		json_object_set_new(o, "finished", json_text(b->finished));
		json_object_set_new(o, "attempts", json_integer(b->attempts));
		json_object_set_new(o, "message", json_text(b->message));
		json_object_set_new(o, "log_path", json_text(b->log_path));
		json_object_set_new(o, "buildinfo", json_text(b->buildinfo));
		json_array_append_new(arr, o);
		db_build_done(&rows[k]);
	}
	free(rows);
	if (c->json)
		return json_print_list("builds", arr);
	if (json_array_size(arr) == 0)
		printf(failed == 1 ? "no failed builds\n" : failed == 2 ?
		    "no waiting builds\n" : "no builds yet\n");
	for (k = 0; k < json_array_size(arr); k++) {
		json_t		*o = json_array_get(arr, k);
		const char	*v = json_get_text(o, "version");
		const char	*t = json_get_text(o, "finished");
		const char	*m = json_get_text(o, "message");

		if (t == NULL)
			t = json_get_text(o, "queued");
		printf("%-6lld %-20s %-8s %-20s %s\n",
		    (long long)json_integer_value(json_object_get(o, "id")),
		    json_get_text(o, "watch"),
		    json_get_text(o, "state"),
		    t != NULL ? t : "", v != NULL ? v : "-");
		if (m != NULL)
			printf("       %s\n", m);
	}
	json_decref(arr);
	return EXIT_OK;
}

/* ---- log -------------------------------------------------------------- */

int
cmd_log(struct cli *c, int argc, char **argv)
{
	struct dp_error	 err;
	char		*end, *path = NULL, *data = NULL;
	char		*log_path = NULL, *buildinfo = NULL;
	size_t		 len;
	long long	 id;
	int		 rv = EXIT_FAIL, i, want_bi = 0, rc;
	const char	*arg = NULL;

	if (want_help(argc, argv, "usage: debpipe [--config FILE] log BUILD-ID "
	    "[--buildinfo] [--json]\n"
	    "\nPrint the log of a build (see debpipe builds); --buildinfo: "
	    "its .buildinfo.\n"))
		return EXIT_OK;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			c->json = 1;
		else if (strcmp(argv[i], "--buildinfo") == 0)
			want_bi = 1;
		else if (arg == NULL)
			arg = argv[i];
		else
			arg = "";
	}
	if (arg == NULL || *arg == '\0') {
		cli_err("usage: debpipe log BUILD-ID");
		return EXIT_USAGE;
	}
	id = strtoll(arg, &end, 10);
	if (*end != '\0' || id <= 0) {
		cli_err("log: '%s' is not a build id (see debpipe builds)",
		    arg);
		return EXIT_USAGE;
	}
	if (cli_open_db(c) == -1)
		return EXIT_FAIL;
	if ((rc = db_build_files(c->db, id, &log_path, &buildinfo,
	    &err)) == -1) {
		cli_err("%s", dp_error_str(&err));
		return EXIT_FAIL;
	}
	if (rc == 1) {
		cli_err("no build %lld", id);
		goto out;
	}
	if (want_bi) {
		if (buildinfo == NULL) {
			cli_err("build %lld kept no .buildinfo (it did not "
			    "succeed, or it predates debpipe keeping them)",
			    id);
			goto out;
		}
		path = xstrdup(buildinfo);
	} else if (log_path == NULL)
		path = build_log_path(c->cfg, id);
	else
		path = xstrdup(log_path);
	if (fs_read_file(path, 256 * 1024 * 1024, &data, &len, &err) == -1) {
		if (err.code == DP_ERR_SYSTEM && err.errnum == ENOENT)
			cli_err("build %lld has no %s yet (%s)", id, want_bi ?
			    ".buildinfo" : "log", path);
		else
			cli_err("%s", dp_error_str(&err));
		goto out;
	}
	if (c->json) {
		json_t *o = json_object();

		json_object_set_new(o, "build", json_integer(id));
		json_object_set_new(o, "path", json_string(path));
		json_object_set_new(o, want_bi ? "buildinfo" : "log",
		    json_stringn(data, len));
		json_print(o);
		json_decref(o);
	} else if (fwrite(data, 1, len, stdout) != len) {
		cli_err("log: write error");
		goto out;
	}
	rv = EXIT_OK;
out:
	free(log_path);
	free(buildinfo);
	free(path);
	free(data);
	return rv;
}
