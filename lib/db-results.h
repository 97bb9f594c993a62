/*
 * db-results.h - the results table (the reports of CI jobs and built-in
 * checks on each snapshot; rows are only ever appended) and the
 * notifications table (the announcements of the moves those results
 * cause, queued with the move and sent by the promoter).  The promoter
 * (rules, API, notifications), lib/result.c and `debpipe status` read
 * and write them through these; and the checks table, the queue of the
 * built-in checks that record results (lib/check.c, `debpipe check`).
 */
#ifndef DEBPIPE_DB_RESULTS_H
#define DEBPIPE_DB_RESULTS_H

#include <stdint.h>

#include "db.h"
#include "error.h"

/* One report; the strings point into the row (valid during a cb). */
struct db_result {
	const char	*job;
	const char	*result;	/* success failure error neutral */
	const char	*url;		/* or NULL */
	const char	*time;
	const char	*actor;
};

/* Append a report (no check of the values: result_record() does). */
int	 db_result_add(struct db *db, const char *id, const char *job,
	    const char *result, const char *url, const char *time,
	    const char *actor, struct dp_error *err);
/* The latest report of each job of snapshot id, by job (what promotion
 * uses; a skip-scan: the cost grows with the jobs, not the reports), or
 * with all every report, oldest first: cb(arg, r). */
int	 db_results_of(struct db *db, const char *id, int all,
	    void (*cb)(void *arg, const struct db_result *r), void *arg,
	    struct dp_error *err);
/* The latest report of job for snapshot id to cb: 1, 0 when it has
 * none (cb not called), -1 on error. */
int	 db_result_find(struct db *db, const char *id, const char *job,
	    void (*cb)(void *arg, const struct db_result *r), void *arg,
	    struct dp_error *err);
/* The same, its result alone (caller frees), NULL when it has none. */
int	 db_result_latest(struct db *db, const char *id, const char *job,
	    char **result, struct dp_error *err);
/* The highest row id (0 when empty). */
int	 db_results_maxid(struct db *db, int64_t *maxid, struct dp_error *err);
/* Count the rows with lo < id <= hi of snapshot id (every snapshot when
 * NULL) by result: n[0] passes (success), n[1] failures and errors, n[2]
 * neutral. */
int	 db_results_count(struct db *db, const char *id, int64_t lo,
	    int64_t hi, int64_t n[3], struct dp_error *err);

/* A queued notification; strings point into the row. */
struct db_notification {
	int64_t		 id;
	const char	*env;
	const char	*url;
	const char	*payload;
	const char	*state;		/* pending sent failed */
	int		 attempts;
	const char	*next_try;
	const char	*last_error;	/* or NULL */
	const char	*created;
};

/* Queue one (state pending, due at created) inside the caller's
 * transaction. */
int	 db_notify_add(struct db *db, const char *env, const char *url,
	    const char *payload, const char *created, struct dp_error *err);
/* At most max pending ones due at now, oldest first: cb(arg, n). */
int	 db_notify_due(struct db *db, const char *now, long max,
	    void (*cb)(void *arg, const struct db_notification *n), void *arg,
	    struct dp_error *err);
/* Record an attempt: attempts, state, next try, error (NULL: sent). */
int	 db_notify_update(struct db *db, int64_t id, int attempts,
	    const char *state, const char *next_try, const char *last_error,
	    struct dp_error *err);
/* The newest limit notifications, newest first; with failing only
 * those whose last attempt failed and that are not sent since (payload
 * is NULL: not read). */
int	 db_notify_list(struct db *db, int failing, long limit,
	    void (*cb)(void *arg, const struct db_notification *n), void *arg,
	    struct dp_error *err);

/*
 * The checks table: the queue of the built-in checks (check.h), one row
 * per snapshot and job: pending (due at next_try), running (pid), done.
 * Times are RFC 3339 strings the caller makes.
 */
struct db_check {
	const char	*snapshot;
	const char	*job;
	const char	*state;
	int		 attempts;
	const char	*result;	/* "" when none yet */
	const char	*message;	/* "" when none */
	const char	*finished;	/* "" when not yet */
	const char	*next_try;
};

/* Queue job for the published snapshots newer than the newest it has a
 * row for; the newest snapshot alone when it has none. */
int	 db_check_enqueue(struct db *db, const char *job, const char *now,
	    struct dp_error *err);
/* Queue job for snapshot id again (pending, due now) unless running. */
int	 db_check_requeue(struct db *db, const char *id, const char *job,
	    const char *now, struct dp_error *err);
/* Mark it running (by pid, one attempt more), adding the row if need
 * be. */
int	 db_check_running(struct db *db, const char *id, const char *job,
	    const char *now, long long pid, struct dp_error *err);
/* Finish a run: state (done, or pending again at next_try), the result
 * and its message; pid cleared. */
int	 db_check_finish(struct db *db, const char *id, const char *job,
	    const char *state, const char *next_try, const char *finished,
	    const char *result, const char *message, struct dp_error *err);
/* Is it running?  *running 1/0. */
int	 db_check_is_running(struct db *db, const char *id, const char *job,
	    int *running, struct dp_error *err);
/* cb(arg, id, job) for each running one. */
int	 db_check_each_running(struct db *db,
	    void (*cb)(void *arg, const char *id, const char *job), void *arg,
	    struct dp_error *err);
/* A running one whose runner is gone: pending again, due at now. */
int	 db_check_reclaim(struct db *db, const char *id, const char *job,
	    const char *now, struct dp_error *err);
/* The first pending one due at now (by snapshot, job): *id and *job
 * (caller frees), NULL when none is due. */
int	 db_check_next(struct db *db, const char *now, char **id, char **job,
	    struct dp_error *err);
/* Started by pid (the scheduler forked its runner). */
int	 db_check_started(struct db *db, const char *id, const char *job,
	    long long pid, struct dp_error *err);
/* Drop a pending one (no environment requires its job any more). */
int	 db_check_drop(struct db *db, const char *id, const char *job,
	    struct dp_error *err);
/* Drop the rows of snapshots no longer published (but running ones). */
int	 db_check_gc(struct db *db, struct dp_error *err);
/* Every row (of snapshot id; every snapshot when NULL), newest snapshot
 * first, by job: cb(arg, c). */
int	 db_check_list(struct db *db, const char *id,
	    void (*cb)(void *arg, const struct db_check *c), void *arg,
	    struct dp_error *err);
/* cb(arg, job, state, n): the rows by job and state, sorted. */
int	 db_check_counts(struct db *db,
	    void (*cb)(void *arg, const char *job, const char *state,
	    int64_t n), void *arg, struct dp_error *err);
/* cb(arg, job, result, n): the results recorded by actor, by job and
 * result, sorted. */
int	 db_results_by_job(struct db *db, const char *actor,
	    void (*cb)(void *arg, const char *job, const char *result,
	    int64_t n), void *arg, struct dp_error *err);

#endif
