/*
 * check.h - built-in checks of a snapshot (DESIGN.md "Built-in checks"):
 * installability (dose-distcheck), autopkgtest and upgrade
 * (autopkgtest-virt-unshare testbeds).  Each is a job of the snapshot,
 * recorded in the results table exactly like a CI report (result.h), with
 * its log published at Public-URL/checks/<ID>/<job>.log.
 *
 * A built-in job runs for a snapshot when an environment Requires it.
 * The checks table is the queue: one row per (snapshot, job), 'pending'
 * (next_try), 'running' (pid; the runner holds the lock file
 * State-Dir/checks/<ID>/<job>.lock) or 'done'.  debpipe-snapshotter runs
 * the queue in child processes (Check-Jobs at a time, Check-Timeout
 * each), never in its own way: publishing goes on while checks run.  A
 * check that cannot run (mirror down, no chroot tarball, a dose crash)
 * records 'error', which gates like a failure, and is tried again after
 * Check-Retry.  A runner that died leaves its row 'running' with its lock
 * free: the scheduler makes it pending again (no result is recorded for
 * an attempt that did not finish).
 */
#ifndef DEBPIPE_CHECK_H
#define DEBPIPE_CHECK_H

#include <stdio.h>
#include <sys/types.h>

#include "config.h"
#include "db.h"
#include "error.h"
#include "xmalloc.h"

#define CHECK_INSTALLABILITY	"installability"
#define CHECK_AUTOPKGTEST	"autopkgtest"
#define CHECK_UPGRADE		"upgrade"

/* Is job one of the built-in checks? */
int	 check_builtin(const char *job);
/* Is it built in and required by an environment of cfg? */
int	 check_enabled(const struct config *cfg, const char *job);

/*
 * Queue the enabled checks of the published snapshots that have none
 * yet: every snapshot newer than the newest one already queued for that
 * job (only the newest snapshot when the job was never queued).  0 or -1.
 */
int	 check_enqueue(struct db *db, const struct config *cfg,
	    struct dp_error *err);

/* Queue job (all enabled ones when NULL) for snapshot id again, at once. */
int	 check_requeue(struct db *db, const struct config *cfg, const char *id,
	    const char *job, struct dp_error *err);

/*
 * Run one check now in this process and record its result (results and
 * checks rows, one transaction).  *result (may be NULL) gets "success",
 * "neutral" (nothing to check; gates like success), "failure" or
 * "error".  0 when a result was recorded, -1 with err when
 * not even that was possible (bad snapshot or job, database trouble, the
 * check is running elsewhere: DP_ERR_BUSY).
 */
int	 check_run(struct db *db, const struct config *cfg, const char *id,
	    const char *job, const char **result, struct dp_error *err);

/* Remove check files of snapshots that are no longer published. */
int	 check_gc(struct db *db, const struct config *cfg,
	    struct dp_error *err);

/* Prometheus lines (# HELP/# TYPE included) for /metrics, appended to b. */
void	 check_metrics(struct db *db, struct buf *b);

/*
 * The scheduler in debpipe-snapshotter.  check_sched_tick() reaps the
 * children, enforces Check-Timeout, reclaims the rows of dead runners,
 * queues new snapshots and starts pending checks, each as
 * `exe --config CONFIG --check ID JOB` (the snapshotter's own program) in
 * its own process group.  check_sched_stop() stops and reaps them all.
 */
struct check_sched;
struct check_sched *check_sched_new(const char *exe, const char *config_path);
void	 check_sched_tick(struct check_sched *s, struct db *db,
	    const struct config *cfg);
int	 check_sched_running(const struct check_sched *s);
void	 check_sched_stop(struct check_sched *s, struct db *db);
void	 check_sched_free(struct check_sched *s);

/* -- for the check implementations (check-*.c) --------------------- */

enum check_outcome {
	CHECK_ERROR = -1,	/* could not run; err says why */
	CHECK_SUCCESS = 0,
	CHECK_FAILURE = 1,
	CHECK_NEUTRAL = 2,	/* nothing to check (no tests): passes */
};

struct check_ctx {
	struct db		*db;
	const struct config	*cfg;
	const char		*id;		/* the snapshot */
	const char		*prev;		/* the published snapshot
						   before it, or NULL */
	const char		*job;
	char			*dir;		/* State-Dir/checks/<ID> */
	char			*work;		/* dir/<job>.work, empty, for
						   the check's files */
	FILE			*log;		/* the job's log */
	char			*log_path;	/* its path (programs append
						   their output to it) */
	char			*summary;	/* one line for `check list`
						   (the check sets it) */
	long			 deadline;	/* time() when Check-Timeout
						   passes */
	int			 timed_out;	/* a program was stopped by
						   Check-Timeout: failure */
};

/*
 * Run argv with its output appended to the log, within what is left of
 * Check-Timeout (then c->timed_out is set).  env NULL: inherit.  *status
 * gets the wait status.  0 when it ran and exited 0, else -1 with err.
 */
int	 check_spawn(struct check_ctx *c, char *const argv[],
	    char *const env[], const char *cwd, int *status,
	    struct dp_error *err);

/* Path of a snapshot's index ("main/binary-amd64/Packages") in Public-Dir
 * (caller frees); id NULL: ctx->id. */
char	*check_index_path(const struct check_ctx *c, const char *id,
	    const char *dist, const char *index);
/* printf to the log (and nowhere else). */
void	 check_log(struct check_ctx *c, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 check_summary(struct check_ctx *c, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

enum check_outcome check_installability(struct check_ctx *c,
	    struct dp_error *err);
enum check_outcome check_autopkgtest(struct check_ctx *c,
	    struct dp_error *err);
enum check_outcome check_upgrade(struct check_ctx *c, struct dp_error *err);

#endif
