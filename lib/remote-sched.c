/*
 * remote-sched.c - background publishing to object storage for the
 * daemons (see remote-sched.h).
 *
 * Each worker is the CLI itself, `debpipe --config F publish sync TARGET`,
 * started by fork and execv at once (the promoter has HTTP threads: the
 * child runs nothing of ours), so it has its own database connection,
 * libcurl and memory; it holds the target's lock while it works.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db-remote.h"
#include "fsutil.h"
#include "log.h"
#include "remote-publish.h"
#include "remote-sched.h"
#include "xmalloc.h"

#define RETRY_FIRST	10	/* seconds after the first failure */
#define RETRY_MAX	600	/* at most this between attempts */

struct rtarget {
	char	*name;
	pid_t	 pid;		/* running worker, or 0 */
	int	 failures;	/* in a row */
	time_t	 next_try;	/* not before (after failures) */
	int	 seen;		/* still configured */
};

struct remote_sched {
	int		 off;		/* DEBPIPE_REMOTE_SCHED=off */
	char		*config_path;
	char		*cli;		/* the debpipe program */
	struct rtarget	*v;
	size_t		 n;
	long		 first;		/* RETRY_FIRST, or the test's */
};

static time_t
mono(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* debpipe next to this program (installed: one bin directory; build
 * tree: ../cli/), else from PATH. */
static char *
find_cli(void)
{
	char	 exe[PATH_MAX], *dir, *p;
	ssize_t	 n;
	int	 i;
	const char *rel[] = { "debpipe", "../cli/debpipe" };

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		dir = dirname(exe);
		for (i = 0; i < 2; i++) {
			p = fs_join(dir, rel[i]);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return xstrdup("debpipe");
}

struct remote_sched *
remote_sched_new(const char *config_path)
{
	struct remote_sched	*rs;
	const char		*e;

	rs = xcalloc(1, sizeof(*rs));
	/* The daemon may have changed directory. */
	if ((rs->config_path = realpath(config_path, NULL)) == NULL)
		rs->config_path = xstrdup(config_path);
	rs->cli = find_cli();
	rs->first = RETRY_FIRST;
	if ((e = getenv("DEBPIPE_REMOTE_RETRY")) != NULL && atol(e) > 0)
		rs->first = atol(e);
	/* Tests that count what `debpipe publish sync` sends by hand. */
	if ((e = getenv("DEBPIPE_REMOTE_SCHED")) != NULL &&
	    strcmp(e, "off") == 0)
		rs->off = 1;
	return rs;
}

void
remote_sched_kick(struct remote_sched *rs)
{
	size_t	i;

	for (i = 0; i < rs->n; i++)
		rs->v[i].next_try = 0;
}

static struct rtarget *
rt_get(struct remote_sched *rs, const char *name)
{
	size_t		 i;
	struct rtarget	*r;

	for (i = 0; i < rs->n; i++)
		if (strcmp(rs->v[i].name, name) == 0)
			return &rs->v[i];
	rs->v = xreallocarray(rs->v, rs->n + 1, sizeof(*rs->v));
	r = &rs->v[rs->n++];
	memset(r, 0, sizeof(*r));
	r->name = xstrdup(name);
	return r;
}

static char *
last_error(struct db *db, const char *name)
{
	struct db_remote_target	 rt;
	char			*e = NULL;

	if (db_remote_target_get(db, name, &rt, NULL) == 1) {
		e = rt.last_error;
		rt.last_error = NULL;
		db_remote_target_done(&rt);
	}
	return e;
}

static void
reap(struct remote_sched *rs, struct rtarget *r, struct db *db)
{
	pid_t	 w;
	int	 status, shift;
	long	 delay;
	char	*e;

	if (r->pid == 0)
		return;
	while ((w = waitpid(r->pid, &status, WNOHANG)) == -1 &&
	    errno == EINTR)
		;
	if (w == 0)
		return;		/* still running */
	r->pid = 0;
	if (w == -1) {
		log_warn("publish to %s: waitpid", r->name);
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (r->failures > 0)
			log_info("publish to %s: caught up after %d failed "
			    "attempt%s", r->name, r->failures,
			    r->failures == 1 ? "" : "s");
		r->failures = 0;
		r->next_try = 0;
		return;
	}
	r->failures++;
	shift = r->failures - 1 > 10 ? 10 : r->failures - 1;
	delay = rs->first << shift;
	if (delay > RETRY_MAX)
		delay = RETRY_MAX;
	r->next_try = mono() + delay;
	e = last_error(db, r->name);
	log_warnx("publish to %s failed (%d in a row): %s; retrying in %ld s",
	    r->name, r->failures, e != NULL ? e : WIFSIGNALED(status) ?
	    "the worker was killed" : "see the log", delay);
	free(e);
}

/* Somebody (another daemon's worker, `debpipe publish sync`) syncs it. */
static int
busy(const struct config *cfg, const struct conf_target *t)
{
	struct dp_error	 err;
	char		*lp;
	int		 fd;

	lp = remote_lock_path(cfg, t);
	fd = fs_lock(lp, 0, &err);
	free(lp);
	if (fd == -1)
		return err.code == DP_ERR_BUSY;
	close(fd);
	return 0;
}

static void
start(struct remote_sched *rs, struct rtarget *r)
{
	char	*argv[] = { rs->cli, "--config", rs->config_path, "publish",
		    "sync", "--if-needed", r->name, NULL };
	pid_t	 pid;
	int	 fd;

	if ((pid = fork()) == -1) {
		log_warn("publish to %s: fork", r->name);
		return;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls from here to execv. */
		if ((fd = open("/dev/null", O_RDONLY)) != -1) {
			dup2(fd, 0);
			if (fd > 2)
				close(fd);
		}
		closefrom(3);
		execv(rs->cli, argv);
		execvp(rs->cli, argv);
		_exit(127);
	}
	log_debug("publish to %s: worker %ld started", r->name, (long)pid);
	r->pid = pid;
}

void
remote_sched_tick(struct remote_sched *rs, struct db *db,
    const struct config *cfg)
{
	const struct conf_target *t;
	struct rtarget	*r;
	size_t		 i;
	time_t		 now = mono();

	if (rs->off)
		return;
	for (i = 0; i < rs->n; i++) {
		reap(rs, &rs->v[i], db);
		rs->v[i].seen = 0;
	}
	for (i = 0; i < cfg->ntargets; i++) {
		t = &cfg->targets[i];
		r = rt_get(rs, t->name);
		r->seen = 1;
		if (r->pid != 0 || now < r->next_try)
			continue;
		if (!remote_needs_sync(db, t) || busy(cfg, t))
			continue;
		start(rs, r);
	}
	/* Forget targets no longer configured once their worker is done. */
	for (i = 0; i < rs->n; ) {
		if (!rs->v[i].seen && rs->v[i].pid == 0) {
			free(rs->v[i].name);
			rs->v[i] = rs->v[--rs->n];
		} else
			i++;
	}
}

void
remote_sched_free(struct remote_sched *rs)
{
	size_t	i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++)
		free(rs->v[i].name);
	free(rs->v);
	free(rs->cli);
	free(rs->config_path);
	free(rs);
}
