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

#define HEARTBEAT_SECS		5
#define WAIT_CHECK_SECS		5	/* waiting builds checked this often */
#define CHROOT_CHECK_SECS	60	/* chroot ages checked this often */
#define CHROOT_RETRY_SECS	3600	/* after a failed refresh */
#define TIMEOUT_MARGIN		300	/* + the build timeout */
#define POLLERS_MAX		4	/* polls at once */
#define POLL_NEVER		((time_t)INT64_MAX)
#define POLL_TIMEOUT_MIN	20	/* a poll may take its Interval, */
#define POLL_TIMEOUT_MAX	600	/* within these bounds (seconds) */

struct job {
	int64_t	 id;
	pid_t	 pid;
	char	*watch;
	time_t	 started;
	long	 timeout;
	int	 killed;
};

/*
 * Polls run in child processes, each polling a batch of watches in turn
 * and writing the index of the watch it starts on a pipe, so that the
 * daemon knows which watch a hung poll is stuck on.
 */
struct poller {
	pid_t	 pid;
	int	 fd;		/* progress pipe, read end */
	char	**watches;	/* the batch */
	size_t	 nwatches;
	long	 cur;		/* index being polled, -1 at first */
	time_t	 cur_started;
	uint64_t seq;		/* order of the start */
};

/* A `watch check` request waiting for a poll of watch started after
 * it arrived (poller seq > after). */
struct waiter {
	int64_t	 id;
	char	*watch;
	uint64_t after;
};

/* A background refresh of a chroot older than Chroot-Max-Age. */
struct refresh {
	pid_t	 pid;
	char	*dist;
	time_t	 started;
};

struct builder {
	struct daemon	 d;
	int		 lockfd;
	struct job	*jobs;
	size_t		 njobs;
	struct poller	*pollers;
	size_t		 npollers;
	struct waiter	*waits;
	size_t		 nwaits;
	uint64_t	 poll_seq;	/* polls started so far */
	int64_t		 last_request;	/* requests seen so far */
	time_t		*next_poll;	/* per cfg->watches[i] */
	int		*fails;		/* failed polls in a row, same */
	size_t		 nnext;
	int		 failures;	/* for --once's exit status */
	time_t		 wait_checked;	/* last retry_waiting() */
	struct refresh	*refresh;	/* chroot refreshes running */
	size_t		 nrefresh;
	time_t		 chroot_checked;
	char		**refresh_failed; /* "dist\ttime" of failed ones */
};

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
		since = watchdb_since_poll(bl->d.db, cfg->watches[i].name);
		if (since < 0 || since >= cfg->watches[i].interval)
			bl->next_poll[i] = now;
		else
			bl->next_poll[i] = now + cfg->watches[i].interval -
			    since;
	}
}

static void
request_done(struct builder *bl, int64_t id)
{
	sqlite3_stmt	*st = NULL;
	struct dp_error	 err;

	if (db_prepare(bl->d.db, "UPDATE requests SET done = ? WHERE id = ?",
	    &st, &err) == -1) {
		log_warnx("%s", dp_error_str(&err));
		return;
	}
	sqlite3_bind_text(st, 1, db_now(), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		log_warnx("request %lld: %s", (long long)id,
		    sqlite3_errmsg(db_handle(bl->d.db)));
	sqlite3_finalize(st);
}

/* `debpipe build NAME` of a watch whose build waits for its build
 * dependencies: queue that build again.  1 when there was one. */
static int
retry_watch(struct builder *bl, const char *watch)
{
	struct dp_error	err;
	int		n;

	if (queue_unwait_watch(bl->d.db, watch, &n, &err) == -1) {
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
	sqlite3_stmt		*st = NULL;
	struct dp_error		 err;
	const struct conf_watch	*w;
	int64_t			*ids = NULL;
	char			**watches = NULL, *key;
	const char		*wk;
	size_t			 n = 0, i;
	time_t			 now = time(NULL);
	int			 over;

	if (!bl->d.once && now - bl->wait_checked < WAIT_CHECK_SECS)
		return;
	bl->wait_checked = now;
	if (db_prepare(bl->d.db, "SELECT id, watch, wait_key FROM builds "
	    "WHERE state = 'waiting' ORDER BY id", &st, &err) == -1) {
		log_warnx("%s", dp_error_str(&err));
		return;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		wk = (const char *)sqlite3_column_text(st, 2);
		w = config_watch_find(bl->d.cfg,
		    (const char *)sqlite3_column_text(st, 1));
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
			ids[n] = sqlite3_column_int64(st, 0);
			watches[n++] = xstrdup(w->name);
			watches[n] = NULL;
		}
		free(key);
	}
	sqlite3_finalize(st);
	for (i = 0; i < n; i++) {
		if (queue_unwait(bl->d.db, ids[i], &err) == -1)
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

/* The CLI's requests: "check NAME" polls now, "build NAME" queues (or
 * queues again the build of NAME that waits for build dependencies). */
static void
handle_requests(struct builder *bl)
{
	sqlite3_stmt		*st = NULL;
	struct dp_error		 err;
	int64_t			*ids = NULL, bid;
	char			**kinds = NULL, **args = NULL;
	size_t			 n = 0, i, w;
	const struct conf_watch	*cw;
	int			 waited;

	/* Each request once: checks stay open until their poll ends. */
	if (db_prepare(bl->d.db, "SELECT id, kind, arg FROM requests WHERE "
	    "done IS NULL AND id > ? AND kind IN ('check', 'build') "
	    "ORDER BY id", &st, &err) == -1) {
		log_warnx("%s", dp_error_str(&err));
		return;
	}
	sqlite3_bind_int64(st, 1, bl->last_request);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 1);
		const char *a = (const char *)sqlite3_column_text(st, 2);

		ids = xreallocarray(ids, n + 1, sizeof(*ids));
		kinds = xreallocarray(kinds, n + 2, sizeof(*kinds));
		args = xreallocarray(args, n + 2, sizeof(*args));
		ids[n] = sqlite3_column_int64(st, 0);
		bl->last_request = ids[n];
		kinds[n] = xstrdup(k);
		args[n] = xstrdup(a != NULL ? a : "");
		n++;
		kinds[n] = args[n] = NULL;
	}
	sqlite3_finalize(st);
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
		} else if (queue_add(bl->d.db, cw->name, NULL, &bid, &err)
		    == -1)
			log_warnx("%s", dp_error_str(&err));
		else
			log_info("build %lld of %s queued (requested)",
			    (long long)bid, cw->name);
		request_done(bl, ids[i]);
	}
	free(ids);
	strv_free(kinds);
	strv_free(args);
}

/* ---- poll children ---------------------------------------------------- */

/* In a fresh child: no daemon lock, default signals, die with the daemon. */
static void
child_setup(struct builder *bl, pid_t parent)
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

static struct db *
child_db(struct builder *bl)
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

/* The poll process: poll each watch of the batch in turn. */
static void __attribute__((noreturn))
poll_child(struct builder *bl, char **batch, int fd, pid_t parent)
{
	const struct conf_watch	*w;
	struct poll_result	 res;
	struct dp_error		 err;
	struct db		*db;
	int			 i, failed = 0;

	child_setup(bl, parent);
	db = child_db(bl);
	for (i = 0; batch[i] != NULL; i++) {
		if (write(fd, &i, sizeof(i)) != (ssize_t)sizeof(i))
			_exit(3);
		if ((w = config_watch_find(bl->d.cfg, batch[i])) == NULL)
			continue;
		if (poll_watch(db, bl->d.cfg, w, 0, NULL, &res, &err) == -1) {
			log_warnx("watch %s: %s", w->name, dp_error_str(&err));
			failed = 1;
		} else if (res.changed || log_getverbose() > 0)
			log_info("%s", res.summary);
		poll_result_done(&res);
	}
	db_close(db);
	_exit(failed);
}

static int
polling(struct builder *bl, const char *watch)
{
	size_t i, j;

	for (i = 0; i < bl->npollers; i++)
		for (j = 0; j < bl->pollers[i].nwatches; j++)
			if (strcmp(bl->pollers[i].watches[j], watch) == 0)
				return 1;
	return 0;
}

/* How long the poll of watch may take: its Interval, within bounds. */
static long
poll_timeout(const struct config *cfg, const char *watch)
{
	const struct conf_watch	*w = config_watch_find(cfg, watch);
	long			 t;

	t = w != NULL ? w->interval : POLL_TIMEOUT_MIN;
	if (t < POLL_TIMEOUT_MIN)
		t = POLL_TIMEOUT_MIN;
	if (t > POLL_TIMEOUT_MAX)
		t = POLL_TIMEOUT_MAX;
	return t;
}

/* Start polls of the watches that are due: spread over the free poll
 * processes, POLLERS_MAX at once. */
static void
start_polls(struct builder *bl)
{
	const struct config	*cfg = bl->d.cfg;
	struct poller		*p;
	char			**due = NULL, **batch;
	time_t			 now = time(NULL);
	pid_t			 pid, self = getpid();
	size_t			 i, k, n = 0, nchild, nb;
	int			 fds[2];

	if (bl->npollers >= POLLERS_MAX)
		return;
	for (i = 0; i < cfg->nwatches && i < bl->nnext; i++) {
		if (bl->next_poll[i] > now ||
		    polling(bl, cfg->watches[i].name))
			continue;
		due = xreallocarray(due, n + 2, sizeof(*due));
		due[n++] = cfg->watches[i].name;	/* borrowed */
		due[n] = NULL;
		/* --once: one poll per watch, however short its Interval. */
		bl->next_poll[i] = bl->d.once ? POLL_NEVER :
		    now + cfg->watches[i].interval;
	}
	if (n == 0)
		return;
	nchild = POLLERS_MAX - bl->npollers;
	if (nchild > n)
		nchild = n;
	for (k = 0; k < nchild; k++) {
		/* Round robin: watch k, k + nchild, ... */
		nb = (n - k + nchild - 1) / nchild;
		batch = xcalloc(nb + 1, sizeof(*batch));
		for (i = 0; i < nb; i++)
			batch[i] = xstrdup(due[k + i * nchild]);
		if (pipe2(fds, O_CLOEXEC) == -1 ||
		    fcntl(fds[0], F_SETFL, O_NONBLOCK) == -1 ||
		    (pid = fork()) == -1) {
			log_warn("poll process");
			strv_free(batch);
			goto out;
		}
		if (pid == 0) {
			close(fds[0]);
			poll_child(bl, batch, fds[1], self);
		}
		close(fds[1]);
		bl->pollers = xreallocarray(bl->pollers, bl->npollers + 1,
		    sizeof(*bl->pollers));
		p = &bl->pollers[bl->npollers++];
		p->pid = pid;
		p->fd = fds[0];
		p->watches = batch;
		p->nwatches = nb;
		p->cur = -1;
		p->cur_started = now;
		p->seq = ++bl->poll_seq;
	}
out:
	free(due);
}

/* Answer the check requests that poll number seq of watch covers. */
static void
answer_waits(struct builder *bl, const char *watch, uint64_t seq)
{
	size_t i = 0;

	while (i < bl->nwaits) {
		if (strcmp(bl->waits[i].watch, watch) == 0 &&
		    seq > bl->waits[i].after) {
			request_done(bl, bl->waits[i].id);
			free(bl->waits[i].watch);
			bl->waits[i] = bl->waits[--bl->nwaits];
			continue;
		}
		i++;
	}
}

/* Poll again soon: watch was not polled (its batch was cut short). */
static void
poll_again(struct builder *bl, const char *watch)
{
	size_t i;

	for (i = 0; i < bl->nnext && i < bl->d.cfg->nwatches; i++)
		if (strcmp(bl->d.cfg->watches[i].name, watch) == 0)
			bl->next_poll[i] = 0;
}

/* After a poll of watch ended: back off while it fails. */
static void
poll_backoff(struct builder *bl, const char *watch, time_t now)
{
	const struct conf_watch	*w;
	long			 delay, cap;
	size_t			 i;
	int			 k;

	for (i = 0; i < bl->nnext && i < bl->d.cfg->nwatches; i++) {
		w = &bl->d.cfg->watches[i];
		if (strcmp(w->name, watch) != 0)
			continue;
		if (!watchdb_failing(bl->d.db, watch)) {
			bl->fails[i] = 0;
			return;
		}
		bl->fails[i]++;
		cap = w->interval > 3600 ? w->interval : 3600;
		if (cap > 8 * w->interval)
			cap = 8 * w->interval;
		delay = w->interval;
		for (k = 1; k < bl->fails[i] && delay < cap; k++)
			delay *= 2;
		if (delay > cap)
			delay = cap;
		if (bl->next_poll[i] != 0 && bl->next_poll[i] != POLL_NEVER &&
		    bl->next_poll[i] < now + delay)
			bl->next_poll[i] = now + delay;
		if (bl->fails[i] > 1)
			log_info("watch %s: %d failed polls in a row, next "
			    "poll in %ld s", watch, bl->fails[i], delay);
		return;
	}
}

static void
poller_done(struct poller *p)
{
	close(p->fd);
	strv_free(p->watches);
}

static void
reap_polls(struct builder *bl)
{
	struct poller	*p;
	struct dp_error	 err;
	char		*msg;
	time_t		 now = time(NULL);
	size_t		 i = 0, j, done;
	int		 status, idx, exited;
	long		 cur;

	while (i < bl->npollers) {
		p = &bl->pollers[i];
		while (read(p->fd, &idx, sizeof(idx)) == (ssize_t)sizeof(idx))
			if (idx >= 0 && (size_t)idx < p->nwatches &&
			    idx != p->cur) {
				p->cur = idx;
				p->cur_started = now;
			}
		msg = NULL;
		cur = p->cur < 0 ? 0 : p->cur;
		exited = waitpid(p->pid, &status, WNOHANG) == p->pid;
		if (exited && WIFEXITED(status) && WEXITSTATUS(status) != 3) {
			if (WEXITSTATUS(status) != 0)
				bl->failures++;
			done = p->nwatches;
		} else if (exited) {
			msg = WIFSIGNALED(status) ? xasprintf("the poll "
			    "process was killed by signal %d",
			    WTERMSIG(status)) :
			    xstrdup("the poll process failed");
			done = (size_t)cur + 1;
		} else if (now - p->cur_started > poll_timeout(bl->d.cfg,
		    p->watches[cur])) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
			msg = xasprintf("the poll did not finish within %ld s "
			    "(upstream not answering?)",
			    poll_timeout(bl->d.cfg, p->watches[cur]));
			done = (size_t)cur + 1;
		} else {
			i++;
			continue;
		}
		if (msg != NULL) {
			log_warnx("watch %s: %s", p->watches[cur], msg);
			bl->failures++;
			if (watchdb_polled(bl->d.db, p->watches[cur], NULL, 0,
			    msg, &err) == -1)
				log_warnx("%s", dp_error_str(&err));
			free(msg);
		}
		for (j = 0; j < done; j++) {
			answer_waits(bl, p->watches[j], p->seq);
			poll_backoff(bl, p->watches[j], now);
		}
		for (j = done; j < p->nwatches; j++)
			poll_again(bl, p->watches[j]);
		poller_done(p);
		bl->pollers[i] = bl->pollers[--bl->npollers];
	}
}

/* Check requests for watches that are no longer configured. */
static void
drop_stale_waits(struct builder *bl)
{
	size_t i = 0;

	while (i < bl->nwaits) {
		if (config_watch_find(bl->d.cfg, bl->waits[i].watch) == NULL) {
			request_done(bl, bl->waits[i].id);
			free(bl->waits[i].watch);
			bl->waits[i] = bl->waits[--bl->nwaits];
			continue;
		}
		i++;
	}
}

static int
polls_pending(struct builder *bl)
{
	time_t	now = time(NULL);
	size_t	i;

	if (bl->npollers > 0)
		return 1;
	for (i = 0; i < bl->nnext; i++)
		if (bl->next_poll[i] <= now)
			return 1;
	return 0;
}

/* ---- chroot refreshes ------------------------------------------------- */

/* Does some watch of Distribution d build with sbuild? */
static int
dist_uses_sbuild(const struct config *cfg, const char *dist)
{
	size_t i;

	for (i = 0; i < cfg->nwatches; i++) {
		const struct conf_watch *w = &cfg->watches[i];

		if (w->type != WATCH_APT && strcmp(w->dist, dist) == 0 &&
		    strcmp(w->builder, "sbuild") == 0)
			return 1;
	}
	return 0;
}

/* Seconds since the last failed refresh of dist, or -1. */
static long
refresh_failed_since(struct builder *bl, const char *dist, int set)
{
	size_t	i, n = strlen(dist);
	long	t = -1;

	for (i = 0; bl->refresh_failed != NULL && bl->refresh_failed[i] !=
	    NULL; i++)
		if (strncmp(bl->refresh_failed[i], dist, n) == 0 &&
		    bl->refresh_failed[i][n] == '\t') {
			if (set) {
				free(bl->refresh_failed[i]);
				bl->refresh_failed[i] = xasprintf("%s\t%lld",
				    dist, (long long)time(NULL));
				return 0;
			}
			t = (long)(time(NULL) - strtoll(bl->refresh_failed[i] +
			    n + 1, NULL, 10));
			return t;
		}
	if (set) {
		bl->refresh_failed = xreallocarray(bl->refresh_failed, i + 2,
		    sizeof(char *));
		bl->refresh_failed[i] = xasprintf("%s\t%lld", dist,
		    (long long)time(NULL));
		bl->refresh_failed[i + 1] = NULL;
	}
	return t;
}

static void __attribute__((noreturn))
refresh_child(struct builder *bl, const struct conf_dist *d, pid_t parent)
{
	struct dp_error	 err;
	const char	*arch = chroot_host_arch();
	char		*dir, *log;
	FILE		*f;
	int		 rc;

	setsid();
	child_setup(bl, parent);
	dir = config_log_dir(bl->d.cfg);
	fs_mkdirs(dir, 0750, NULL);
	log = xasprintf("%s/chroot-%s-%s.log", dir, d->name, arch);
	if ((f = fopen(log, "w")) != NULL) {
		fprintf(f, "debpipe: refreshing the chroot %s-%s (older than "
		    "Chroot-Max-Age), %s\n", d->name, arch, db_now());
		fclose(f);
	}
	rc = chroot_create(bl->d.cfg, d, arch, log, 0, &err);
	if ((f = fopen(log, "a")) != NULL) {
		fprintf(f, "debpipe: %s\n", rc == 0 ? "done" :
		    dp_error_str(&err));
		fclose(f);
	}
	if (rc == -1 && err.code != DP_ERR_BUSY)
		log_warnx("refreshing the chroot %s-%s: %s (log: %s)",
		    d->name, arch, dp_error_str(&err), log);
	_exit(rc == 0 ? 0 : err.code == DP_ERR_BUSY ? 3 : 1);
}

/*
 * Refresh, in the background, each chroot that a Distribution building
 * with sbuild has and that is older than Chroot-Max-Age (a missing one
 * is made by the first build that needs it).  The new tarball replaces
 * the old one by a rename: running builds keep their link to the old.
 */
static void
refresh_chroots(struct builder *bl)
{
	const struct config	*cfg = bl->d.cfg;
	struct refresh		*r;
	struct stat		 sb;
	char			*tb;
	time_t			 now = time(NULL);
	size_t			 i, k;
	pid_t			 pid, self = getpid();
	int			 status, busy;

	for (i = 0; i < bl->nrefresh; ) {
		r = &bl->refresh[i];
		if (waitpid(r->pid, &status, WNOHANG) != r->pid) {
			i++;
			continue;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			log_info("refreshed the chroot of %s in %lld s",
			    r->dist, (long long)(now - r->started));
		else if (!WIFEXITED(status) || WEXITSTATUS(status) != 3)
			refresh_failed_since(bl, r->dist, 1);
		free(r->dist);
		bl->refresh[i] = bl->refresh[--bl->nrefresh];
	}
	if (!bl->d.once && now - bl->chroot_checked < CHROOT_CHECK_SECS)
		return;
	if (bl->d.once && bl->chroot_checked != 0)
		return;		/* --once: one look */
	bl->chroot_checked = now;
	for (i = 0; i < cfg->ndists; i++) {
		const struct conf_dist *d = &cfg->dists[i];
		long failed;

		if (!dist_uses_sbuild(cfg, d->name))
			continue;
		for (k = 0, busy = 0; k < bl->nrefresh; k++)
			if (strcmp(bl->refresh[k].dist, d->name) == 0)
				busy = 1;
		failed = refresh_failed_since(bl, d->name, 0);
		if (busy || (failed >= 0 && failed < CHROOT_RETRY_SECS))
			continue;
		tb = chroot_tarball_path(cfg, d->name, chroot_host_arch());
		if (stat(tb, &sb) == -1 || now - sb.st_mtime <=
		    cfg->chroot_max_age) {
			free(tb);
			continue;
		}
		free(tb);
		if ((pid = fork()) == -1) {
			log_warn("chroot refresh");
			return;
		}
		if (pid == 0)
			refresh_child(bl, d, self);
		log_info("the chroot of %s is %lld s old (Chroot-Max-Age %ld "
		    "s): refreshing it in the background (pid %ld)", d->name,
		    (long long)(now - sb.st_mtime), cfg->chroot_max_age,
		    (long)pid);
		bl->refresh = xreallocarray(bl->refresh, bl->nrefresh + 1,
		    sizeof(*bl->refresh));
		r = &bl->refresh[bl->nrefresh++];
		r->pid = pid;
		r->dist = xstrdup(d->name);
		r->started = now;
	}
}

static void
stop_refreshes(struct builder *bl)
{
	size_t	i;
	int	status;

	for (i = 0; i < bl->nrefresh; i++) {
		/* Its own session: mmdebstrap and what it runs.  The old
		 * tarball stays (the new one was never renamed over it). */
		kill(-bl->refresh[i].pid, SIGTERM);
		waitpid(bl->refresh[i].pid, &status, 0);
		free(bl->refresh[i].dist);
	}
	bl->nrefresh = 0;
}

/* ---- build children --------------------------------------------------- */

static void __attribute__((noreturn))
child_main(struct builder *bl, int64_t id, pid_t parent)
{
	struct db	*db;
	struct dp_error	 err;
	int		 rc;
	size_t		 n;

	/* Own session, so that leftovers can be found; their subreaper, so
	 * that none escapes to init by leaving its parent. */
	setsid();
	prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L);
	child_setup(bl, parent);
	db = child_db(bl);
	rc = build_run(db, bl->d.cfg, id, &err);
	if (rc == -1)
		log_debug("build %lld: %s", (long long)id, dp_error_str(&err));
	if ((n = spawn_reap_descendants()) > 0)
		log_info("build %lld: killed %zu process%s it left behind",
		    (long long)id, n, n == 1 ? "" : "es");
	db_close(db);
	_exit(rc == 0 ? 0 : 1);
}

static long
watch_timeout(const struct config *cfg, const char *name)
{
	const struct conf_watch *w = config_watch_find(cfg, name);

	if (w != NULL && w->build_timeout > 0)
		return w->build_timeout;
	return cfg->build_timeout;	/* config.c: at least 1 */
}

/* Start queued builds while there is room. */
static void
start_builds(struct builder *bl)
{
	struct queue_build	 row;
	struct dp_error		 err;
	struct job		*j;
	size_t			 max;
	pid_t			 pid, self = getpid();
	int			 rc;

	max = (size_t)bl->d.cfg->max_builds;	/* config.c: at least 1 */
	while (bl->njobs < max) {
		if ((rc = queue_next(bl->d.db, &row, &err)) == -1) {
			log_warnx("%s", dp_error_str(&err));
			return;
		}
		if (rc == 1)
			return;
		/* Running (pid 0) before the fork: a crash in between leaves
		 * a row that start-up queues again. */
		if (queue_start(bl->d.db, row.id, 0, &err) == -1) {
			log_warnx("%s", dp_error_str(&err));
			queue_build_done(&row);
			return;
		}
		if ((pid = fork()) == -1) {
			log_warn("fork");
			queue_requeue(bl->d.db, row.id, NULL);
			queue_build_done(&row);
			return;
		}
		if (pid == 0)
			child_main(bl, row.id, self);
		if (queue_set_pid(bl->d.db, row.id, pid, &err) == -1)
			log_warnx("%s", dp_error_str(&err));
		bl->jobs = xreallocarray(bl->jobs, bl->njobs + 1,
		    sizeof(*bl->jobs));
		j = &bl->jobs[bl->njobs++];
		memset(j, 0, sizeof(*j));
		j->id = row.id;
		j->pid = pid;
		j->watch = xstrdup(row.watch);
		j->started = time(NULL);
		j->timeout = watch_timeout(bl->d.cfg, row.watch);
		log_info("build %lld of %s started (pid %ld)",
		    (long long)row.id, row.watch, (long)pid);
		queue_build_done(&row);
	}
}

static void
kill_job(struct builder *bl, struct job *j)
{
	char *dir = build_dir(bl->d.cfg, j->id);

	build_kill_session(j->pid, dir);
	kill(j->pid, SIGKILL);
	free(dir);
}

/* A child has gone: make sure its row is finished. */
static void
job_ended(struct builder *bl, struct job *j, int status)
{
	struct queue_build	 row;
	struct dp_error		 err;
	char			*msg = NULL;

	/* Anything it left running in its session. */
	kill_job(bl, j);
	if (queue_get(bl->d.db, j->id, &row, &err) == -1) {
		/* An apt-source check with nothing new removes its row. */
		if (err.code != DP_ERR_NOTFOUND)
			log_warnx("%s", dp_error_str(&err));
		return;
	}
	if (strcmp(row.state, "running") == 0) {
		if (j->killed)
			msg = xasprintf("killed: the build ran longer than its "
			    "timeout of %ld s", j->timeout);
		else if (WIFSIGNALED(status))
			msg = xasprintf("the build process was killed by "
			    "signal %d", WTERMSIG(status));
		else
			msg = xasprintf("the build process exited with status "
			    "%d without recording a result",
			    WEXITSTATUS(status));
		if (queue_finish(bl->d.db, j->id, 0, NULL, msg, &err) == -1 ||
		    watchdb_set_error(bl->d.db, j->watch, msg, &err) == -1)
			log_warnx("%s", dp_error_str(&err));
		queue_build_done(&row);
		if (queue_get(bl->d.db, j->id, &row, &err) == -1)
			return;
	}
	if (strcmp(row.state, "success") == 0)
		log_info("build %lld of %s: %s", (long long)j->id, j->watch,
		    row.version != NULL ? row.version : "done");
	else if (strcmp(row.state, "waiting") == 0)
		log_info("build %lld of %s is waiting: %s", (long long)j->id,
		    j->watch, row.message != NULL ? row.message : "?");
	else {
		bl->failures++;
		log_warnx("build %lld of %s failed: %s", (long long)j->id,
		    j->watch, row.message != NULL ? row.message : "?");
	}
	free(msg);
	queue_build_done(&row);
}

static void
reap_jobs(struct builder *bl)
{
	size_t	i = 0;
	int	status;
	time_t	now = time(NULL);

	while (i < bl->njobs) {
		struct job *j = &bl->jobs[i];

		if (waitpid(j->pid, &status, WNOHANG) == j->pid) {
			job_ended(bl, j, status);
			free(j->watch);
			bl->jobs[i] = bl->jobs[--bl->njobs];
			continue;
		}
		if (!j->killed && now - j->started > j->timeout +
		    TIMEOUT_MARGIN) {
			log_warnx("build %lld of %s: over its timeout, killing",
			    (long long)j->id, j->watch);
			j->killed = 1;
			kill_job(bl, j);
		}
		i++;
	}
}

/* SIGTERM: stop polls and builds; the builds are queued again for the
 * next start. */
static void
stop_children(struct builder *bl)
{
	struct dp_error	err;
	int		status;
	size_t		i;

	for (i = 0; i < bl->npollers; i++) {
		kill(bl->pollers[i].pid, SIGKILL);
		waitpid(bl->pollers[i].pid, &status, 0);
		poller_done(&bl->pollers[i]);
	}
	bl->npollers = 0;

	for (i = 0; i < bl->njobs; i++) {
		kill_job(bl, &bl->jobs[i]);
		waitpid(bl->jobs[i].pid, &status, 0);
		if (queue_requeue(bl->d.db, bl->jobs[i].id, &err) == -1)
			log_warnx("%s", dp_error_str(&err));
		else
			log_info("build %lld of %s stopped; queued again",
			    (long long)bl->jobs[i].id, bl->jobs[i].watch);
		free(bl->jobs[i].watch);
	}
	bl->njobs = 0;
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
	struct queue_build	*rows = NULL;
	struct dp_error		 err;
	size_t			 n = 0, i;
	char			*dir;
	int			 killed;

	if (queue_list_running(bl->d.db, &rows, &n, &err) == -1)
		fatalx("%s", dp_error_str(&err));
	for (i = 0; i < n; i++) {
		dir = build_dir(bl->d.cfg, rows[i].id);
		killed = build_kill_session((pid_t)rows[i].pid, dir);
		free(dir);
		if (queue_requeue(bl->d.db, rows[i].id, &err) == -1)
			fatalx("%s", dp_error_str(&err));
		log_info("build %lld of %s was interrupted (attempt %d%s); "
		    "queued again", (long long)rows[i].id, rows[i].watch,
		    rows[i].attempts, killed > 0 ? ", leftovers killed" : "");
		queue_build_done(&rows[i]);
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
	reap_polls(bl);
	reap_jobs(bl);
	handle_requests(bl);
	start_polls(bl);
	retry_waiting(bl);
	refresh_chroots(bl);
	start_builds(bl);
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
			stop_refreshes(bl);
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
			drop_stale_waits(bl);
			bl->chroot_checked = 0;
		}
	}
	stop_children(bl);
	stop_refreshes(bl);
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
