/*
 * db-builds.h - the builds table: the builder's queue of builds, and what
 * the CLI reads of it.  Every statement on the table is in db-builds.c.
 */
#ifndef DEBPIPE_DB_BUILDS_H
#define DEBPIPE_DB_BUILDS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "db.h"
#include "error.h"

/* One row.  The queue functions fill id .. message; db_build_list the
 * rest too.  Free with db_build_done. */
struct db_build {
	int64_t	 id;
	char	*watch;
	char	*state;
	char	*inputs;	/* NULL = resolve the current heads */
	char	*version;
	int64_t	 pid;
	int	 attempts;
	char	*message;
	char	*queued;
	char	*started;
	char	*finished;
	char	*log_path;
	char	*buildinfo;
};
void	 db_build_done(struct db_build *);

/* Queue a build; *id (may be NULL) receives its id. */
int	 db_build_add(struct db *db, const char *watch, const char *inputs,
	    int64_t *id, struct dp_error *err);
/* A queued or running build of watch with these inputs exists: 1/0/-1. */
int	 db_build_pending(struct db *db, const char *watch,
	    const char *inputs, struct dp_error *err);
/* The oldest queued build whose watch has no running build.  Returns 1
 * when there is none. */
int	 db_build_next(struct db *db, struct db_build *b,
	    struct dp_error *err);
int	 db_build_get(struct db *db, int64_t id, struct db_build *b,
	    struct dp_error *err);
/* queued -> running with pid; attempts + 1. */
int	 db_build_start(struct db *db, int64_t id, pid_t pid,
	    struct dp_error *err);
int	 db_build_set_pid(struct db *db, int64_t id, pid_t pid,
	    struct dp_error *err);
/* Set one text column (one of ours, never user input). */
int	 db_build_set(struct db *db, int64_t id, const char *column,
	    const char *value, struct dp_error *err);
/* running -> success | failed, with message (and version when known). */
int	 db_build_finish(struct db *db, int64_t id, int ok,
	    const char *version, const char *message, struct dp_error *err);
/* running -> queued (the process died without finishing). */
int	 db_build_requeue(struct db *db, int64_t id, struct dp_error *err);
/* Every running row; caller db_build_done()s each and frees *out. */
int	 db_build_list_running(struct db *db, struct db_build **out,
	    size_t *nout, struct dp_error *err);
/* Number of running builds. */
int	 db_build_running(struct db *db, int64_t *n, struct dp_error *err);
/* Versions built so far for watch (builds that succeeded, pool packages
 * with origin build:<watch>) and every version of source in dist,
 * whoever put it there.  Caller strv_free()s. */
int	 db_build_versions(struct db *db, const char *watch,
	    const char *source, const char *dist, int64_t except, char ***out,
	    struct dp_error *err);
/* The versions of watch's builds that start with prefix (NULL-terminated,
 * caller strv_free()s). */
int	 db_build_versions_prefixed(struct db *db, const char *watch,
	    const char *prefix, char ***out, struct dp_error *err);
/* running -> waiting: the build dependencies cannot be satisfied yet
 * (message says which); key is what the build waits on changing. */
int	 db_build_wait(struct db *db, int64_t id, const char *version,
	    const char *message, const char *key, struct dp_error *err);
/* waiting -> queued: one build, or every waiting build of watch (*n of
 * them). */
int	 db_build_unwait(struct db *db, int64_t id, struct dp_error *err);
int	 db_build_unwait_watch(struct db *db, const char *watch, int *n,
	    struct dp_error *err);
/* Waiting builds of watch older than id: failed, superseded by id. */
int	 db_build_supersede(struct db *db, int64_t id, const char *watch,
	    struct dp_error *err);
int	 db_build_set_buildinfo(struct db *db, int64_t id, const char *path,
	    struct dp_error *err);
/* Remove the row (a build with nothing to do). */
int	 db_build_drop(struct db *db, int64_t id, struct dp_error *err);
/* The ids of watch's finished (success, failed) builds older than id;
 * caller frees *out. */
int	 db_build_finished_before(struct db *db, const char *watch,
	    int64_t id, int64_t **out, size_t *nout, struct dp_error *err);

/* The waiting builds, oldest first. */
struct db_build_waiting {
	int64_t	 id;
	char	*watch;
	char	*wait_key;	/* may be NULL */
};
int	 db_build_list_waiting(struct db *db, struct db_build_waiting **out,
	    size_t *nout, struct dp_error *err);
void	 db_build_waiting_free(struct db_build_waiting *v, size_t n);

/* The id of a build of watch queued by hand (no inputs) and not started,
 * or 0. */
int64_t	 db_build_queued_by_hand(struct db *db, const char *watch);
/* The log_path and buildinfo of build id (each NULL when not recorded;
 * caller frees); 1 when there is no such build. */
int	 db_build_files(struct db *db, int64_t id, char **log_path,
	    char **buildinfo, struct dp_error *err);
/* The newest builds first, at most limit: every one (which 0), the
 * failed (1) or the waiting ones (2), of watch (NULL: all).  Caller
 * db_build_done()s each and frees *out. */
int	 db_build_list(struct db *db, int which, const char *watch,
	    long limit, struct db_build **out, size_t *nout,
	    struct dp_error *err);

/* What the promoter's API and `debpipe status` read (prepared statements
 * cached per thread, db-stmt.h). */
/* A page of builds, newest first, with every field: of state (NULL: any)
 * and watch (NULL: any), ids below before (0: from the newest), at most
 * limit.  Caller db_build_done()s each and frees *out. */
int	 db_build_page(struct db *db, const char *state, const char *watch,
	    int64_t before, long limit, struct db_build **out, size_t *nout,
	    struct dp_error *err);
/* Build id with every field; 1 when there is none. */
int	 db_build_find(struct db *db, int64_t id, struct db_build *b,
	    struct dp_error *err);
/* How many builds are in state. */
int	 db_build_count(struct db *db, const char *state, int64_t *n,
	    struct dp_error *err);
/* When watch's last finished build ended, and "STATE VERSION" of its
 * last build (each NULL when none; caller frees). */
int	 db_build_last(struct db *db, const char *watch, char **finished,
	    char **result, struct dp_error *err);

#endif
