/*
 * daemon-build.c - the build children of the builder daemon: up to
 * Max-Builds at once (one per watch), each the leader of its own session
 * running build_run() (build.c) with a connection of its own, killed past
 * its Build-Timeout (+ TIMEOUT_MARGIN); the outcome is logged.
 */
#include "autoconfig.h"

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
#include "chroot.h"
#include "daemon.h"
#include "fsutil.h"
#include "log.h"
#include "spawn.h"
#include "xmalloc.h"

#include "daemon-int.h"

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
	bl_child_setup(bl, parent);
	db = bl_child_db(bl);
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
void
jobs_start(struct builder *bl)
{
	struct db_build	 row;
	struct dp_error		 err;
	struct job		*j;
	size_t			 max;
	pid_t			 pid, self = getpid();
	int			 rc;

	max = (size_t)bl->d.cfg->max_builds;	/* config.c: at least 1 */
	while (bl->njobs < max) {
		if ((rc = db_build_next(bl->d.db, &row, &err)) == -1) {
			log_warnx("%s", dp_error_str(&err));
			return;
		}
		if (rc == 1)
			return;
		/* Running (pid 0) before the fork: a crash in between leaves
		 * a row that start-up queues again. */
		if (db_build_start(bl->d.db, row.id, 0, &err) == -1) {
			log_warnx("%s", dp_error_str(&err));
			db_build_done(&row);
			return;
		}
		if ((pid = fork()) == -1) {
			log_warn("fork");
			db_build_requeue(bl->d.db, row.id, NULL);
			db_build_done(&row);
			return;
		}
		if (pid == 0)
			child_main(bl, row.id, self);
		if (db_build_set_pid(bl->d.db, row.id, pid, &err) == -1)
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
		db_build_done(&row);
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
	struct db_build	 row;
	struct dp_error		 err;
	char			*msg = NULL;

	/* Anything it left running in its session. */
	kill_job(bl, j);
	if (db_build_get(bl->d.db, j->id, &row, &err) == -1) {
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
		if (db_build_finish(bl->d.db, j->id, 0, NULL, msg, &err) == -1 ||
		    db_watch_set_error(bl->d.db, j->watch, msg, &err) == -1)
			log_warnx("%s", dp_error_str(&err));
		db_build_done(&row);
		if (db_build_get(bl->d.db, j->id, &row, &err) == -1)
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
	db_build_done(&row);
}

void
jobs_reap(struct builder *bl)
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

/* Kill every build child and queue its build again (the daemon stops). */
void
jobs_stop(struct builder *bl)
{
	struct dp_error	err;
	int		status;
	size_t		i;

	for (i = 0; i < bl->njobs; i++) {
		kill_job(bl, &bl->jobs[i]);
		waitpid(bl->jobs[i].pid, &status, 0);
		if (db_build_requeue(bl->d.db, bl->jobs[i].id, &err) == -1)
			log_warnx("%s", dp_error_str(&err));
		else
			log_info("build %lld of %s stopped; queued again",
			    (long long)bl->jobs[i].id, bl->jobs[i].watch);
		free(bl->jobs[i].watch);
	}
	bl->njobs = 0;
}
