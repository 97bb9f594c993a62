/*
 * check.c - built-in checks: the queue, one run, its log and result, and
 * the scheduler debpipe-snapshotter drives (see check.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "check.h"
#include "db-results.h"
#include "db-snapshots.h"
#include "fsutil.h"
#include "log.h"
#include "result.h"
#include "spawn.h"
#include "xmalloc.h"

static const char *const check_jobs[] = {
	CHECK_INSTALLABILITY, CHECK_AUTOPKGTEST, CHECK_UPGRADE, NULL
};

int
check_builtin(const char *job)
{
	size_t i;

	for (i = 0; check_jobs[i] != NULL; i++)
		if (strcmp(check_jobs[i], job) == 0)
			return 1;
	return 0;
}

int
check_enabled(const struct config *cfg, const char *job)
{
	char	**r;
	size_t	  i;

	if (!check_builtin(job))
		return 0;
	for (i = 0; i < cfg->nenvs; i++)
		for (r = cfg->envs[i].requires; r != NULL && *r != NULL; r++)
			if (strcmp(*r, job) == 0)
				return 1;
	return 0;
}

/* RFC 3339 UTC time, t seconds from now. */
static void
time_at(long t, char buf[32])
{
	time_t		when = time(NULL) + t;
	struct tm	tm;

	gmtime_r(&when, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* -- the queue ----------------------------------------------------- */

int
check_enqueue(struct db *db, const struct config *cfg, struct dp_error *err)
{
	char		 now[32];
	size_t		 i;
	int		 rv = -1;

	time_at(0, now);
	for (i = 0; check_jobs[i] != NULL; i++) {
		if (!check_enabled(cfg, check_jobs[i]))
			continue;
		if (db_check_enqueue(db, check_jobs[i], now, err) == -1)
			goto out;
	}
	rv = 0;
out:
	return rv;
}

int
check_requeue(struct db *db, const struct config *cfg, const char *id,
    const char *job, struct dp_error *err)
{
	char		 now[32];
	size_t		 i;
	int		 rv = -1;

	time_at(0, now);
	for (i = 0; check_jobs[i] != NULL; i++) {
		if (job != NULL ? strcmp(job, check_jobs[i]) != 0 :
		    !check_enabled(cfg, check_jobs[i]))
			continue;
		if (db_check_requeue(db, id, check_jobs[i], now, err) == -1)
			goto out;
	}
	rv = 0;
out:
	return rv;
}

/* -- helpers for the checks ---------------------------------------- */

char *
check_index_path(const struct check_ctx *c, const char *id, const char *dist,
    const char *index)
{
	return xasprintf("%s/snapshots/%s/dists/%s/%s", c->cfg->public_dir,
	    id != NULL ? id : c->id, dist, index);
}

void
check_log(struct check_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->log == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(c->log, fmt, ap);
	va_end(ap);
	fflush(c->log);
}

void
check_summary(struct check_ctx *c, const char *fmt, ...)
{
	va_list ap;

	free(c->summary);
	va_start(ap, fmt);
	if (vasprintf(&c->summary, fmt, ap) == -1)
		c->summary = NULL;
	va_end(ap);
}

int
check_spawn(struct check_ctx *c, char *const argv[], char *const env[],
    const char *cwd, int *status, struct dp_error *err)
{
	struct spawn_opts	o;
	long			left = c->deadline - (long)time(NULL);
	int			rv;

	memset(&o, 0, sizeof(o));
	o.log_path = c->log_path;
	o.env = env;
	o.cwd = cwd;
	o.timeout = left > 1 ? left : 1;
	/* Nothing of it (autopkgtest-virt-unshare's testbed) may outlive
	 * the check: not even when this runner is killed with SIGKILL. */
	o.reap = 1;
	if (c->log != NULL)
		fflush(c->log);
	*status = 0;
	rv = spawn_run(argv, &o, status, NULL, err);
	if (rv == -1 && err != NULL && err->code == DP_ERR_TIMEOUT)
		c->timed_out = 1;
	return rv;
}

/* -- one run -------------------------------------------------------- */

static int
snapshot_published(struct db *db, const char *id, char **prev,
    struct dp_error *err)
{
	int	rv;

	*prev = NULL;
	if ((rv = db_snapshot_published(db, id, NULL, err)) == -1)
		return -1;
	if (rv == 0) {
		dp_error_set(err, DP_ERR_NOTFOUND, "no published snapshot %s",
		    id);
		return -1;
	}
	return db_snapshot_previous(db, id, prev, err);
}

static int
row_running(struct db *db, const char *id, const char *job,
    struct dp_error *err)
{
	char	now[32];

	time_at(0, now);
	return db_check_running(db, id, job, now, (long long)getpid(), err);
}

/*
 * Record the result and finish the row, in one transaction.  An error is
 * queued again after Check-Retry.
 */
static int
row_finish(struct db *db, const struct config *cfg, const char *id,
    const char *job, const char *result, const char *url,
    const char *message, struct dp_error *err)
{
	char		 now[32], retry[32];
	int		 rv = -1, is_error = strcmp(result, "error") == 0;

	time_at(0, now);
	time_at(cfg->check_retry, retry);
	if (db_begin(db, err) == -1)
		return -1;
	if (result_record(db, id, job, result, url, "check", err) == -1)
		goto out;
	if (db_check_finish(db, id, job, is_error ? "pending" : "done",
	    is_error ? retry : now, now, result, message, err) == -1)
		goto out;
	if (db_commit(db, err) == -1)
		goto out;
	rv = 0;
out:
	if (rv == -1)
		db_rollback(db);
	return rv;
}

/* Copy the log into Public-Dir/checks/<ID>/<job>.log (atomically) and
 * return its URL (caller frees), or NULL. */
static char *
log_publish(const struct config *cfg, const char *id, const char *job,
    const char *logpath)
{
	struct dp_error	 err;
	char		*dir, *tmp, *dst, *url = NULL;

	dir = xasprintf("%s/checks/%s", cfg->public_dir, id);
	tmp = xasprintf("%s/.tmp-%s.log", dir, job);
	dst = xasprintf("%s/%s.log", dir, job);
	if (fs_mkdirs(dir, 0755, &err) == -1 ||
	    fs_copy_file(logpath, tmp, 0644, &err) == -1) {
		log_warnx("check %s %s: log: %s", id, job, dp_error_str(&err));
		goto out;
	}
	if (rename(tmp, dst) == -1) {
		log_warn("check %s %s: rename %s", id, job, tmp);
		unlink(tmp);
		goto out;
	}
	url = xasprintf("%s/checks/%s/%s.log", cfg->public_url, id, job);
out:
	free(dir);
	free(tmp);
	free(dst);
	return url;
}

/*
 * Remove a work directory.  A testbed unpacked there by a killed
 * autopkgtest holds files of the subordinate ids, which only the same
 * user namespace mapping can remove.
 */
static int
work_remove(const char *dir, struct dp_error *err)
{
	char *argv[] = { "unshare", "--map-auto", "--map-root-user", "rm",
	    "-rf", "--one-file-system", (char *)dir, NULL };

	if (fs_remove_tree(dir, NULL) == 0)
		return 0;
	if (spawn_run(argv, NULL, NULL, NULL, err) == -1)
		return -1;
	return fs_remove_tree(dir, err);
}

int
check_run(struct db *db, const struct config *cfg, const char *id,
    const char *job, const char **result, struct dp_error *err)
{
	struct check_ctx	 c;
	struct dp_error		 cerr;
	enum check_outcome	 o = CHECK_ERROR;
	const char		*res;
	char			*prev = NULL, *lockpath = NULL, *logpath = NULL;
	char			*url = NULL, *msg = NULL;
	int			 lockfd = -1, fd = -1, rv = -1;
	time_t			 t0 = time(NULL);

	memset(&c, 0, sizeof(c));
	if (result != NULL)
		*result = NULL;
	if (!check_builtin(job)) {
		dp_error_set(err, DP_ERR_INVALID, "no built-in check %s (known: "
		    "installability, autopkgtest, upgrade)", job);
		goto out;
	}
	if (snapshot_published(db, id, &prev, err) == -1)
		goto out;
	c.db = db;
	c.cfg = cfg;
	c.id = id;
	c.prev = prev;
	c.job = job;
	c.dir = xasprintf("%s/checks/%s", cfg->state_dir, id);
	c.work = xasprintf("%s/%s.work", c.dir, job);
	if (fs_mkdirs(c.dir, 0755, err) == -1)
		goto out;
	lockpath = xasprintf("%s/%s.lock", c.dir, job);
	if ((lockfd = fs_lock(lockpath, 0, err)) == -1) {
		if (err != NULL && err->code == DP_ERR_BUSY)
			dp_error_set(err, DP_ERR_BUSY, "check %s of %s is "
			    "running already", job, id);
		goto out;
	}
	if (row_running(db, id, job, err) == -1)
		goto out;
	/* Whatever an earlier, killed attempt left. */
	if (work_remove(c.work, &cerr) == -1 ||
	    fs_mkdirs(c.work, 0755, &cerr) == -1) {
		dp_error_set(err, cerr.code, "%s", cerr.msg);
		goto out;
	}
	logpath = xasprintf("%s/%s.log", c.dir, job);
	/* Append mode: the programs a check runs append to it too. */
	if ((fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
	    O_CLOEXEC, 0644)) == -1 || (c.log = fdopen(fd, "a")) == NULL) {
		if (fd != -1)
			close(fd);
		dp_error_errno(err, "cannot create %s", logpath);
		goto out;
	}
	c.log_path = logpath;
	c.deadline = (long)t0 + cfg->check_timeout;
	check_log(&c, "debpipe check %s of snapshot %s (previous: %s), "
	    "started %s\n\n", job, id, prev != NULL ? prev : "none",
	    db_now());
	memset(&cerr, 0, sizeof(cerr));
	if (strcmp(job, CHECK_INSTALLABILITY) == 0)
		o = check_installability(&c, &cerr);
	else if (strcmp(job, CHECK_AUTOPKGTEST) == 0)
		o = check_autopkgtest(&c, &cerr);
	else
		o = check_upgrade(&c, &cerr);
	if (c.timed_out) {
		/* A hanging test or tool is the candidate's failure. */
		o = CHECK_FAILURE;
		check_summary(&c, "stopped after Check-Timeout (%ld s): %s",
		    cfg->check_timeout, dp_error_str(&cerr));
		check_log(&c, "\nfailure: %s\n", c.summary);
	}
	res = o == CHECK_SUCCESS ? "success" : o == CHECK_NEUTRAL ?
	    "neutral" : o == CHECK_FAILURE ? "failure" : "error";
	if (o == CHECK_ERROR) {
		check_log(&c, "\nerror: the check could not run: %s\n(it is "
		    "tried again in %ld s)\n", dp_error_str(&cerr),
		    cfg->check_retry);
		msg = xasprintf("error: %s", dp_error_str(&cerr));
	} else
		msg = xstrdup(c.summary != NULL ? c.summary : res);
	check_log(&c, "\nresult: %s (%ld s)\n", res, (long)(time(NULL) - t0));
	fclose(c.log);
	c.log = NULL;
	url = log_publish(cfg, id, job, logpath);
	if (row_finish(db, cfg, id, job, res, url, msg, err) == -1)
		goto out;
	if (result != NULL)
		*result = res;
	if (work_remove(c.work, &cerr) == -1)
		log_warnx("check %s of %s: %s", job, id, dp_error_str(&cerr));
	rv = 0;
out:
	if (c.log != NULL)
		fclose(c.log);
	if (lockfd != -1)
		close(lockfd);
	free(c.dir);
	free(c.work);
	free(c.summary);
	free(prev);
	free(lockpath);
	free(logpath);
	free(url);
	free(msg);
	return rv;
}

/* -- garbage ------------------------------------------------------- */

static void
gc_dir(struct db *db, const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	char		*p;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9' ||
		    !fs_name_is_safe(de->d_name))
			continue;
		/* Kept when published, and when in doubt. */
		if (db_snapshot_published(db, de->d_name, NULL, NULL) != 0)
			continue;
		p = fs_join(dir, de->d_name);
		fs_remove_tree(p, NULL);
		free(p);
	}
	closedir(d);
}

int
check_gc(struct db *db, const struct config *cfg, struct dp_error *err)
{
	char *dir;

	dir = xasprintf("%s/checks", cfg->state_dir);
	gc_dir(db, dir);
	free(dir);
	dir = xasprintf("%s/checks", cfg->public_dir);
	gc_dir(db, dir);
	free(dir);
	return db_check_gc(db, err);
}

/* -- metrics ------------------------------------------------------- */

static void
metrics_checks_cb(void *arg, const char *job, const char *state, int64_t n)
{
	buf_printf(arg, "debpipe_checks{job=\"%s\",state=\"%s\"} %lld\n",
	    job, state, (long long)n);
}

static void
metrics_results_cb(void *arg, const char *job, const char *result,
    int64_t n)
{
	buf_printf(arg, "debpipe_check_results_total{job=\"%s\","
	    "result=\"%s\"} %lld\n", job, result, (long long)n);
}

void
check_metrics(struct db *db, struct buf *b)
{
	buf_adds(b, "# HELP debpipe_checks Built-in checks by job and state "
	    "(pending, running, done).\n# TYPE debpipe_checks gauge\n");
	(void)db_check_counts(db, metrics_checks_cb, b, NULL);
	buf_adds(b, "# HELP debpipe_check_results_total Results recorded by "
	    "the built-in checks.\n# TYPE debpipe_check_results_total "
	    "counter\n");
	(void)db_results_by_job(db, "check", metrics_results_cb, b, NULL);
}

/* -- the scheduler -------------------------------------------------- */

struct check_child {
	pid_t	 pid;
	char	*id;
	char	*job;
	long	 started;	/* now_ms() */
	long	 kill_at;	/* SIGKILL due (0 = not yet asked to stop) */
	int	 timed_out;
};

struct check_sched {
	char			*exe;
	char			*config;
	struct check_child	*v;
	size_t			 n, cap;
};

struct check_sched *
check_sched_new(const char *exe, const char *config_path)
{
	struct check_sched *s = xcalloc(1, sizeof(*s));

	s->exe = xstrdup(exe);
	s->config = xstrdup(config_path);
	return s;
}

int
check_sched_running(const struct check_sched *s)
{
	return s != NULL ? (int)s->n : 0;
}

/* A runner that ended without recording anything (killed, crashed). */
static void
child_lost(struct db *db, const struct config *cfg, struct check_child *ch,
    int status)
{
	struct dp_error	 err;
	char		*msg;
	int		 running = 0;

	(void)db_check_is_running(db, ch->id, ch->job, &running, &err);
	if (!running)
		return;		/* it recorded its result */
	if (ch->timed_out)
		msg = xasprintf("failure: killed after Check-Timeout (%ld s)",
		    cfg->check_timeout);
	else if (WIFSIGNALED(status))
		msg = xasprintf("error: the check runner was killed by signal "
		    "%d", WTERMSIG(status));
	else
		msg = xasprintf("error: the check runner exited with status "
		    "%d without a result", WEXITSTATUS(status));
	log_warnx("check %s of %s: %s", ch->job, ch->id, msg);
	if (row_finish(db, cfg, ch->id, ch->job, ch->timed_out ? "failure" :
	    "error", NULL, msg, &err) == -1)
		log_warnx("check %s of %s: %s", ch->job, ch->id,
		    dp_error_str(&err));
	free(msg);
}

static void
child_drop(struct check_sched *s, size_t i)
{
	free(s->v[i].id);
	free(s->v[i].job);
	s->v[i] = s->v[--s->n];
}

static void
sched_reap(struct check_sched *s, struct db *db, const struct config *cfg)
{
	size_t	i;
	int	st;
	pid_t	w;
	long	now = now_ms();

	for (i = 0; i < s->n; ) {
		struct check_child *ch = &s->v[i];

		w = waitpid(ch->pid, &st, WNOHANG);
		if (w == ch->pid || (w == -1 && errno == ECHILD)) {
			if (w == -1)
				st = 0;
			log_info("check %s of %s finished", ch->job, ch->id);
			child_lost(db, cfg, ch, st);
			child_drop(s, i);
			continue;
		}
		/* The runner stops its programs at Check-Timeout itself;
		 * this is for a runner that does not. */
		if (!ch->timed_out && cfg->check_timeout > 0 &&
		    now - ch->started > (cfg->check_timeout + 60) * 1000L) {
			log_warnx("check %s of %s: Check-Timeout (%ld s) "
			    "passed: stopping it", ch->job, ch->id,
			    cfg->check_timeout);
			ch->timed_out = 1;
			kill(-ch->pid, SIGTERM);
			ch->kill_at = now + 10000;
		} else if (ch->kill_at != 0 && now >= ch->kill_at) {
			kill(-ch->pid, SIGKILL);
			ch->kill_at = 0;
		}
		i++;
	}
}

static int
sched_mine(const struct check_sched *s, const char *id, const char *job)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].id, id) == 0 && strcmp(s->v[i].job, job) == 0)
			return 1;
	return 0;
}

struct sched_reclaim {
	struct check_sched	*s;
	struct db		*db;
	const struct config	*cfg;
	const char		*now;
};

static void
sched_reclaim_cb(void *arg, const char *id, const char *job)
{
	struct sched_reclaim	*r = arg;
	struct dp_error		 err;
	char			*lock, *tmp;
	int			 fd;

	if (id == NULL || job == NULL || sched_mine(r->s, id, job) ||
	    !fs_name_is_safe(id) || !check_builtin(job))
		return;
	lock = xasprintf("%s/checks/%s/%s.lock", r->cfg->state_dir, id, job);
	fd = fs_lock(lock, 0, NULL);
	if (fd != -1 || access(lock, F_OK) == -1) {
		log_info("check %s of %s: its runner is gone; queued again",
		    job, id);
		tmp = xasprintf("%s/checks/%s/.tmp-%s.log", r->cfg->public_dir,
		    id, job);
		unlink(tmp);
		free(tmp);
		if (db_check_reclaim(r->db, id, job, r->now, &err) == -1)
			log_warnx("checks: %s", dp_error_str(&err));
	}
	if (fd != -1)
		close(fd);
	free(lock);
}

/* Rows 'running' whose runner is gone (its lock is free): pending again. */
static void
sched_reclaim(struct check_sched *s, struct db *db, const struct config *cfg)
{
	struct sched_reclaim	 r = { s, db, cfg, NULL };
	struct dp_error		 err;
	char			 now[32];

	time_at(0, now);
	r.now = now;
	if (db_check_each_running(db, sched_reclaim_cb, &r, &err) == -1)
		log_warnx("checks: %s", dp_error_str(&err));
}

static void
sched_start(struct check_sched *s, struct db *db, const struct config *cfg)
{
	struct dp_error	 err;
	char		*id = NULL, *job = NULL, now[32];
	pid_t		 pid;

	time_at(0, now);
	while ((int)s->n < cfg->check_jobs) {
		if (db_check_next(db, now, &id, &job, &err) == -1 ||
		    id == NULL)
			break;
		if (!check_enabled(cfg, job)) {
			/* No environment requires it any more. */
			(void)db_check_drop(db, id, job, &err);
			goto next;
		}
		if ((pid = fork()) == -1) {
			log_warn("check %s of %s: fork", job, id);
			break;
		}
		if (pid == 0) {
			char *argv[] = { s->exe, "--config", s->config,
			    "--check", id, job, NULL };
			int fd;

			setpgid(0, 0);
			if ((fd = open("/dev/null", O_RDONLY)) != -1) {
				dup2(fd, 0);
				close(fd);
			}
			execv(s->exe, argv);
			_exit(127);
		}
		setpgid(pid, pid);
		(void)db_check_started(db, id, job, (long long)pid, &err);
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 4;
			s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
		}
		memset(&s->v[s->n], 0, sizeof(s->v[s->n]));
		s->v[s->n].pid = pid;
		s->v[s->n].id = id;
		s->v[s->n].job = job;
		s->v[s->n].started = now_ms();
		s->n++;
		log_info("check %s of %s started (pid %ld)", job, id,
		    (long)pid);
		id = job = NULL;
next:
		free(id);
		free(job);
		id = job = NULL;
	}
	free(id);
	free(job);
}

void
check_sched_tick(struct check_sched *s, struct db *db,
    const struct config *cfg)
{
	struct dp_error err;

	sched_reap(s, db, cfg);
	sched_reclaim(s, db, cfg);
	if (check_enqueue(db, cfg, &err) == -1)
		log_warnx("checks: %s", dp_error_str(&err));
	sched_start(s, db, cfg);
}

void
check_sched_stop(struct check_sched *s, struct db *db)
{
	size_t	i;
	long	until;
	int	st;

	if (s == NULL || s->n == 0)
		return;
	for (i = 0; i < s->n; i++)
		kill(-s->v[i].pid, SIGTERM);
	until = now_ms() + 10000;
	while (s->n > 0) {
		for (i = 0; i < s->n; ) {
			if (waitpid(s->v[i].pid, &st, WNOHANG) != 0) {
				child_drop(s, i);
				continue;
			}
			if (now_ms() >= until)
				kill(-s->v[i].pid, SIGKILL);
			i++;
		}
		if (s->n > 0)
			usleep(100000);
	}
	/* Their rows stay 'running' with free locks: the next start
	 * queues them again. */
	(void)db;
}

void
check_sched_free(struct check_sched *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->v[i].id);
		free(s->v[i].job);
	}
	free(s->v);
	free(s->exe);
	free(s->config);
	free(s);
}
