/*
 * main.c - debpipe-builder: the daemon loop.
 *
 * One loop (daemon_wait, woken at least every second): answer CLI
 * requests (requests table, kinds "check" and "build"), poll the watches
 * whose Interval has passed, start queued builds, reap children and
 * enforce timeouts.  The loop itself never fetches or builds: polls run
 * in up to POLLERS_MAX child processes (a batch of watches each; a poll
 * stuck longer than its watch's Interval is killed and recorded as that
 * watch's error), builds in up to Max-Builds child processes (one per
 * watch).  A watch whose polls fail backs off: after n failures in a
 * row the next poll waits Interval * 2^(n-1), at most 8 Intervals (and
 * at most an hour, unless the Interval is longer).
 *
 * A build child is the leader of its own session and dies with the
 * daemon (PR_SET_PDEATHSIG); whatever it started is found again through
 * its session id and working directory (State-Dir/build/<id>) and killed
 * when the daemon starts again, and the build row is queued again.  Only
 * one builder runs per State-Dir (State-Dir/builder.lock).
 *
 * The polls are daemon-poll.c, the builds daemon-build.c, the chroot
 * refreshes daemon-refresh.c (daemon-int.h).
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "builder.h"
#include "spawn.h"
#include "chroot.h"
#include "daemon.h"
#include "fsutil.h"
#include "log.h"
#include "xmalloc.h"

#include "daemon-int.h"

static const char usage_extra[] =
    "Watches the repositories in watch.d/, builds or imports packages when\n"
    "they change and adds them to the pool.  With --once: poll every\n"
    "watch, run every queued build, wait for them, exit (1 if one failed).\n";

static void
schedule_init(struct builder *bl)
{
	const struct config	*cfg = bl->d.cfg;
	time_t			 now = time(NULL);
	long			 since;
	size_t			 i;

	free(bl->next_poll);
	free(bl->fails);
	bl->nnext = cfg->nwatches;
	bl->next_poll = xcalloc(bl->nnext + 1, sizeof(time_t));
	bl->fails = xcalloc(bl->nnext + 1, sizeof(int));
	for (i = 0; i < cfg->nwatches; i++) {
		since = db_watch_since_poll(bl->d.db, cfg->watches[i].name);
		if (since < 0 || since >= cfg->watches[i].interval)
			bl->next_poll[i] = now;
		else
			bl->next_poll[i] = now + cfg->watches[i].interval -
			    since;
	}
}

void
bl_request_done(struct builder *bl, int64_t id)
{
	struct dp_error	 err;

	if (db_request_done(bl->d.db, id, &err) == -1)
		log_warnx("%s", dp_error_str(&err));
}

/* `debpipe build NAME` of a watch whose build waits for its build
 * dependencies: queue that build again.  1 when there was one. */
static int
retry_watch(struct builder *bl, const char *watch)
{
	struct dp_error	err;
	int		n;

	if (db_build_unwait_watch(bl->d.db, watch, &n, &err) == -1) {
		log_warnx("%s", dp_error_str(&err));
		return 0;
	}
	if (n > 0)
		log_info("%s: the waiting build is queued again (requested)",
		    watch);
	return n > 0;
}

/*
 * Waiting builds (build dependencies not satisfiable) go back to the
 * queue when what they wait on changed: the packages debpipe holds for
 * their Distribution or its chroot (queue_dep_key); builds that failed
 * on a full file system once there is room (space.c).  Not a loop: one
 * that waits again with nothing changed stays.
 */
static void
retry_waiting(struct builder *bl)
{
	struct db_build_waiting	*rows = NULL;
	struct dp_error		 err;
	const struct conf_watch	*w;
	int64_t			*ids = NULL;
	char			**watches = NULL, *key;
	const char		*wk;
	size_t			 nrows = 0, r, n = 0, i;
	time_t			 now = time(NULL);
	int			 over;

	if (!bl->d.once && now - bl->wait_checked < WAIT_CHECK_SECS)
		return;
	bl->wait_checked = now;
	if (db_build_list_waiting(bl->d.db, &rows, &nrows, &err) == -1) {
		log_warnx("%s", dp_error_str(&err));
		return;
	}
	for (r = 0; r < nrows; r++) {
		wk = rows[r].wait_key;
		w = config_watch_find(bl->d.cfg, rows[r].watch);
		if (w == NULL)
			continue;
		/* Waiting for space: retried once there is enough. */
		if ((over = space_wait_over(bl->d.cfg, wk, NULL)) >= 0)
			key = xstrdup(over ? "" : wk);
		else
			key = queue_dep_key(bl->d.db, bl->d.cfg, w->dist);
		if (wk == NULL || strcmp(key, wk) != 0) {
			ids = xreallocarray(ids, n + 1, sizeof(*ids));
			watches = xreallocarray(watches, n + 2,
			    sizeof(*watches));
			ids[n] = rows[r].id;
			watches[n++] = xstrdup(w->name);
			watches[n] = NULL;
		}
		free(key);
	}
	db_build_waiting_free(rows, nrows);
	for (i = 0; i < n; i++) {
		if (db_build_unwait(bl->d.db, ids[i], &err) == -1)
			log_warnx("%s", dp_error_str(&err));
		else
			log_info("build %lld of %s: its Distribution's packages, "
			    "its chroot or the free space changed; trying it "
			    "again",
			    (long long)ids[i], watches[i]);
	}
	free(ids);
	strv_free(watches);
}

/* The open requests, collected before they are acted on (acting on one
 * writes to the database). */
struct requests {
	int64_t	 *ids;
	char	**kinds;
	char	**args;
	size_t	  n;
};

static void
request_cb(int64_t id, const char *kind, const char *arg, void *p)
{
	struct requests	*rq = p;

	rq->ids = xreallocarray(rq->ids, rq->n + 1, sizeof(*rq->ids));
	rq->kinds = xreallocarray(rq->kinds, rq->n + 2, sizeof(*rq->kinds));
	rq->args = xreallocarray(rq->args, rq->n + 2, sizeof(*rq->args));
	rq->ids[rq->n] = id;
	rq->kinds[rq->n] = xstrdup(kind != NULL ? kind : "");
	rq->args[rq->n] = xstrdup(arg != NULL ? arg : "");
	rq->n++;
	rq->kinds[rq->n] = rq->args[rq->n] = NULL;
}

/* The CLI's requests: "check NAME" polls now, "build NAME" queues (or
 * queues again the build of NAME that waits for build dependencies). */
static void
handle_requests(struct builder *bl)
{
	struct requests		 rq;
	struct dp_error		 err;
	int64_t			*ids = NULL, bid;
	char			**kinds = NULL, **args = NULL;
	size_t			 n = 0, i, w;
	const struct conf_watch	*cw;
	int			 waited;

	/* Each request once: checks stay open until their poll ends. */
	memset(&rq, 0, sizeof(rq));
	if (db_request_open(bl->d.db, bl->last_request, request_cb, &rq,
	    &err) == -1) {
		log_warnx("%s", dp_error_str(&err));
		return;
	}
	ids = rq.ids;
	kinds = rq.kinds;
	args = rq.args;
	n = rq.n;
	if (n > 0)
		bl->last_request = ids[n - 1];
	for (i = 0; i < n; i++) {
		if ((cw = config_watch_find(bl->d.cfg, args[i])) == NULL) {
			log_warnx("request %lld: no watch '%s'",
			    (long long)ids[i], args[i]);
		} else if (strcmp(kinds[i], "check") == 0) {
			/* Answered when a poll started from now ends. */
			log_info("checking %s (requested)", cw->name);
			for (w = 0; w < bl->nnext; w++)
				if (&bl->d.cfg->watches[w] == cw)
					bl->next_poll[w] = 0;
			bl->waits = xreallocarray(bl->waits, bl->nwaits + 1,
			    sizeof(*bl->waits));
			bl->waits[bl->nwaits].id = ids[i];
			bl->waits[bl->nwaits].watch = xstrdup(cw->name);
			bl->waits[bl->nwaits].after = bl->poll_seq;
			bl->nwaits++;
			continue;
		} else if ((waited = retry_watch(bl, cw->name)) != 0) {
			/* A build that waited: that one again. */
		} else if (db_build_add(bl->d.db, cw->name, NULL, &bid, &err)
		    == -1)
			log_warnx("%s", dp_error_str(&err));
		else
			log_info("build %lld of %s queued (requested)",
			    (long long)bid, cw->name);
		bl_request_done(bl, ids[i]);
	}
	free(ids);
	strv_free(kinds);
	strv_free(args);
}

/* In a fresh child: no daemon lock, default signals, die with the daemon. */
void
bl_child_setup(struct builder *bl, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	close(bl->lockfd);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
}

struct db *
bl_child_db(struct builder *bl)
{
	struct db	*db = NULL;
	struct dp_error	 err;
	char		*path;

	/* A connection of our own: never use the parent's across fork. */
	path = config_db_path(bl->d.cfg);
	if (db_open(path, &db, &err) == -1) {
		log_warnx("%s", dp_error_str(&err));
		_exit(2);
	}
	free(path);
	return db;
}

/* SIGTERM: stop polls and builds; the builds are queued again for the
 * next start. */
static void
stop_children(struct builder *bl)
{
	polls_stop(bl);
	jobs_stop(bl);
}

/* Start-up: first clones (<mirror>.tmp.<pid>) of processes that died. */
static void
remove_stale_clones(struct builder *bl)
{
	DIR		*d;
	struct dirent	*de;
	char		*dir, *path, *p, *end;
	long		 pid;

	dir = fs_join(bl->d.cfg->state_dir, "git");
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if ((p = strstr(de->d_name, ".git.tmp.")) == NULL)
			continue;
		pid = strtol(p + 9, &end, 10);
		if (*end != '\0' || pid <= 0 ||
		    (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		path = fs_join(dir, de->d_name);
		log_info("removing %s (interrupted first fetch)", path);
		fs_remove_tree(path, NULL);
		free(path);
	}
	closedir(d);
	free(dir);
}

/* Start-up: whatever was running belonged to a builder that is gone. */
static void
recover(struct builder *bl)
{
	struct db_build	*rows = NULL;
	struct dp_error		 err;
	size_t			 n = 0, i;
	char			*dir;
	int			 killed;

	if (db_build_list_running(bl->d.db, &rows, &n, &err) == -1)
		fatalx("%s", dp_error_str(&err));
	for (i = 0; i < n; i++) {
		dir = build_dir(bl->d.cfg, rows[i].id);
		killed = build_kill_session((pid_t)rows[i].pid, dir);
		free(dir);
		if (db_build_requeue(bl->d.db, rows[i].id, &err) == -1)
			fatalx("%s", dp_error_str(&err));
		log_info("build %lld of %s was interrupted (attempt %d%s); "
		    "queued again", (long long)rows[i].id, rows[i].watch,
		    rows[i].attempts, killed > 0 ? ", leftovers killed" : "");
		db_build_done(&rows[i]);
	}
	free(rows);
}

static void
heartbeat(struct builder *bl, time_t *last)
{
	struct dp_error	err;
	time_t		now = time(NULL);

	if (now - *last < HEARTBEAT_SECS)
		return;
	*last = now;
	if (db_daemon_heartbeat(bl->d.db, BUILDER_DAEMON_NAME, &err) == -1)
		log_warnx("%s", dp_error_str(&err));
}

/* One round of the loop's work. */
static void
step(struct builder *bl)
{
	polls_reap(bl);
	jobs_reap(bl);
	handle_requests(bl);
	polls_start(bl);
	retry_waiting(bl);
	refresh_chroots(bl);
	jobs_start(bl);
}

static int
run_once(struct builder *bl)
{
	size_t i;

	/* Every watch now, whatever its Interval. */
	for (i = 0; i < bl->nnext; i++)
		bl->next_poll[i] = 0;
	for (;;) {
		step(bl);
		if (!polls_pending(bl) && bl->njobs == 0 &&
		    bl->nrefresh == 0)
			break;
		if (daemon_wait(&bl->d, -1, 500) == DAEMON_EV_TERM) {
			stop_children(bl);
			refresh_stop(bl);
			return 1;
		}
	}
	return bl->failures > 0 ? 1 : 0;
}

static void
run_loop(struct builder *bl)
{
	enum daemon_event	ev;
	time_t			last_beat = 0;

	for (;;) {
		heartbeat(bl, &last_beat);
		step(bl);
		ev = daemon_wait(&bl->d, -1, 1000);
		if (ev == DAEMON_EV_TERM)
			break;
		if (ev == DAEMON_EV_HUP) {
			schedule_init(bl);
			polls_drop_stale_waits(bl);
			bl->chroot_checked = 0;
		}
	}
	stop_children(bl);
	refresh_stop(bl);
}

int
main(int argc, char **argv)
{
	struct builder	 bl;
	struct dp_error	 err;
	char		*lockpath;
	size_t		 i;
	int		 rv = 0;

	memset(&bl, 0, sizeof(bl));
	daemon_start(&bl.d, BUILDER_DAEMON_NAME, argc, argv, usage_extra);
	gitw_init();
	lockpath = fs_join(bl.d.cfg->state_dir, "builder.lock");
	if ((bl.lockfd = fs_lock(lockpath, 0, &err)) == -1)
		fatalx("%s (is another debpipe-builder running?)",
		    dp_error_str(&err));
	free(lockpath);
	recover(&bl);
	remove_stale_clones(&bl);
	for (i = 0; i < bl.d.cfg->nwatches; i++)
		if (bl.d.cfg->watches[i].type != WATCH_APT &&
		    cleanroom_check_tools(bl.d.cfg, &bl.d.cfg->watches[i], 0,
		    &err) == -1)
			log_warnx("%s (its builds will fail until then)",
			    dp_error_str(&err));
	schedule_init(&bl);
	if (bl.d.once)
		rv = run_once(&bl);
	else
		run_loop(&bl);
	free(bl.jobs);
	free(bl.pollers);
	for (i = 0; i < bl.nwaits; i++)
		free(bl.waits[i].watch);
	free(bl.waits);
	free(bl.next_poll);
	free(bl.fails);
	free(bl.refresh);
	strv_free(bl.refresh_failed);
	close(bl.lockfd);
	daemon_stop(&bl.d);
	return rv;
}

