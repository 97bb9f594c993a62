/*
 * builder.h - debpipe-builder: watch git repositories and apt
 * repositories (through lib/upstream.c), queue builds in the builds table,
 * run them in child processes and add what they produce to the pool.
 *
 *	watch-git.c	bare mirrors, fetch, merge, export (libgit2)
 *	git-creds.c	the Credentials file of a git watch
 *	watch-apt.c	Type: apt: select, download, import binaries
 *	watch-apt-source.c Type: apt-source: fetch, unpack, patch a source
 *	poll.c		one poll of one watch: change, queueing
 *	queue.c		what a waiting build waits on (the builds and
 *			watches tables: lib/db-builds.c, lib/db-watches.c)
 *	build.c		one build, run in a child process (build-int.h:
 *			build-tool.c, build-result.c, and the backends
 *			backend-host.c, backend-sbuild.c)
 *	cleanroom.c	the build user, bubblewrap
 *	space.c		free space before a build
 *	stamp.c		changelog parsing, versions, new entries
 *	main.c		the daemon loop (daemon-int.h: daemon-poll.c,
 *			daemon-build.c, daemon-refresh.c)
 *
 * Everything but main.c is in builder/libbuilder.a, which the debpipe
 * command links too (`debpipe watch check` polls by itself when no
 * builder runs).
 */
#ifndef DEBPIPE_BUILDER_H
#define DEBPIPE_BUILDER_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "db-builds.h"
#include "db-watches.h"
#include "error.h"

#define BUILDER_DAEMON_NAME	"debpipe-builder"

/* ---- git-creds.c ------------------------------------------------------ */

/* The Credentials file of a git watch (set file, zero the rest). */
struct gitw_creds {
	const char	*file;		/* Credentials: or NULL */
	int		 tries;		/* of the credential callback */
	int		 nparas;	/* paragraphs read */
	char		*username;
	char		*password;	/* Password: or Token: */
	char		*ssh_key;	/* relative: to the file's directory */
	char		*ssh_pubkey;
	char		*passphrase;
};
/* Read cs->file (nothing when NULL); -1 when it cannot be read, is not
 * deb822 or others may read it. */
int	 gitw_creds_load(struct gitw_creds *cs, struct dp_error *err);
void	 gitw_creds_done(struct gitw_creds *cs);	/* wipes the secrets */

/* ---- watch-git.c ------------------------------------------------------ */

/* Heads of the inputs of a git watch, in the order of the watch. */
struct gitw_heads {
	char	 *head;		/* hex sha of URL/Branch */
	char	**merges;	/* hex sha of each Merge (nmerges) */
	size_t	  nmerges;
};
void	 gitw_heads_done(struct gitw_heads *);

/* The result of merging the inputs. */
struct gitw_merged {
	char	 hash[41];	/* the merged tree's commit (hex) */
	time_t	 time;		/* newest commit time of inputs */
	char	*changelog;	/* debian/changelog of the merged tree */
};
void	 gitw_merged_done(struct gitw_merged *);

/* Once per process before any other gitw_ call. */
void	 gitw_init(void);

/* State-Dir/git/<readable name>-<hash>.git for url.  Caller frees. */
char	*gitw_mirror_path(const struct config *cfg, const char *url);

/*
 * Fetch (cloning first when the mirror does not exist) the repositories of
 * watch w and resolve its branch heads.  Repositories whose URL appears in
 * *fetched (NULL-terminated, may be NULL) are not fetched again; fetched
 * URLs are appended (caller strv_free()s).
 */
int	 gitw_fetch_heads(const struct config *cfg,
	    const struct conf_watch *w, char ***fetched,
	    struct gitw_heads *heads, struct dp_error *err);

/* "head=<sha> merge1=<sha> ..." (caller frees) and back. */
char	*gitw_inputs_format(const struct gitw_heads *heads);
int	 gitw_inputs_parse(const char *inputs, const struct conf_watch *w,
	    struct gitw_heads *heads, struct dp_error *err);

/*
 * Merge the Merge heads in order onto the branch head in the watch's
 * mirror and write a merge commit for each (author/committer
 * "debpipe-builder", time = the newest input commit) so that the same
 * inputs always give the same commit.  A conflict fails with
 * DP_ERR_CONFLICT naming the branch and the paths.  The merged tree must
 * carry debian/changelog.
 */
int	 gitw_merge(const struct config *cfg, const struct conf_watch *w,
	    const struct gitw_heads *heads, struct gitw_merged *out,
	    struct dp_error *err);

/* Write the tree of commit hash into the (new, empty) directory dir. */
int	 gitw_export(const struct config *cfg, const struct conf_watch *w,
	    const char *hash, const char *dir, struct dp_error *err);

/* ---- stamp.c ---------------------------------------------------------- */

struct changelog_top {
	char	*source;
	char	*version;
	char	*dist;
};
void	 changelog_top_done(struct changelog_top *);

/* Parse the first entry line of a debian/changelog ("src (ver) dist;
 * urgency=..."). */
int	 stamp_changelog_parse(const char *text, struct changelog_top *top,
	    struct dp_error *err);

/* A syntactically valid Debian version (epoch, upstream, revision). 1/0 */
int	 stamp_version_valid(const char *v);

/* base + "+git" + YYYYMMDDHHMMSS (UTC of t) + "." + 7 hex.  Caller frees. */
char	*stamp_git_version(const char *base, time_t t, const char *hash);

/*
 * The version to build: candidate when it sorts above every version in
 * prev (NULL-terminated, may be NULL), else a bumped one (see stamp.c).
 * Caller frees.
 */
char	*stamp_version_above(const char *candidate, const char *hash,
	    char *const prev[]);

/* "Sun, 22 Nov 2026 01:30:00 +0000".  buf of at least 40 bytes. */
void	 stamp_rfc2822(time_t t, char *buf, size_t len);

/* A changelog entry (with the trailing blank line).  lines are the
 * bullet texts, NULL-terminated.  Caller frees. */
char	*stamp_entry(const char *source, const char *version,
	    const char *dist, const char *maintainer, time_t when,
	    char *const lines[]);

/* ---- queue.c ---------------------------------------------------------- */

/* The builds table itself is lib/db-builds.c (the queue: db_build_*). */
/* What a waiting build of dist waits on changing: the packages debpipe
 * holds for dist and the mtime of its chroot.  Caller frees. */
char	*queue_dep_key(struct db *db, const struct config *cfg,
	    const char *dist);
/* Pool packages with origin build:<watch> and this version: count. */
int	 queue_ingested(struct db *db, const char *watch,
	    const char *version, int64_t *n, struct dp_error *err);

/* space.c: builds that failed on a full file system wait for space.
 * The least free bytes among State-Dir, the pool, /var/tmp and the
 * temporary directory (*where, when not NULL: the fullest; caller frees). */
uint64_t space_free_min(const struct config *cfg, char **where);
/* 1 (and *where) when one of them has less than 1 MiB free, else 0. */
int	 space_low(const struct config *cfg, char **where);
/* The wait key of a build that failed with at_failure bytes free (after
 * its clean-up: what it used more, at least 4 MiB); caller frees. */
char	*space_wait_key(const struct config *cfg, uint64_t at_failure);
/* For a space wait key: 1 when there is enough free now (*need: how
 * much), 0 when not; -1 when key is not one. */
int	 space_wait_over(const struct config *cfg, const char *key,
	    uint64_t *need);

/* ---- poll.c ----------------------------------------------------------- */

struct poll_result {
	int	 changed;	/* new inputs (and a build was queued) */
	int64_t	 build_id;	/* the queued build, or 0 */
	char	*inputs;
	char	*summary;	/* one line for humans */
};
void	 poll_result_done(struct poll_result *);

/*
 * Poll watch w now.  Git: fetch, compare the heads with the last inputs,
 * queue a build when they differ (not with dry_run).  Apt: import through
 * aptw_sync.  Apt-source: queue a source check.  The outcome is
 * recorded in the watches table (last_error on failure).
 */
int	 poll_watch(struct db *db, const struct config *cfg,
	    const struct conf_watch *w, int dry_run, char ***fetched,
	    struct poll_result *res, struct dp_error *err);

/* ---- watch-apt.c ------------------------------------------------------ */

/* One line of what changed upstream. */
struct aptw_change {
	char	*name;
	char	*arch;
	char	*old_version;	/* NULL = new package */
	char	*new_version;	/* NULL = removed upstream */
};

struct aptw_report {
	struct aptw_change	*changes;
	size_t			 nchanges;
	int			 unchanged;	/* conditional request: 304 */
	size_t			 imported;	/* packages ingested */
	size_t			 requests;	/* HTTP requests made */
};
void	 aptw_report_done(struct aptw_report *rep);

/*
 * Type: apt.  Poll the watch's upstream, and unless dry_run download and
 * ingest (pool_add, origin "apt:<watch>") every selected package whose
 * version is newer than what the pool has.  State for conditional requests
 * (ETag, Last-Modified, Release digest) is kept in watches.state.
 */
int	 aptw_sync(struct db *db, const struct config *cfg,
	    const struct conf_watch *w, int dry_run,
	    struct aptw_report *rep, struct dp_error *err);

/* The packages of a Packages index that watch w selects for archs,
 * counted (newest per name/arch) into *nsel (also for tests and
 * fuzzing).  0 or -1 with err, as when polling. */
int	 aptw_packages_parse(const struct conf_watch *w,
	    char *const *archs, const char *buf, size_t len,
	    const char *what, size_t *nsel, struct dp_error *err);

/* ---- watch-apt-source.c ----------------------------------------------- */

/*
 * Type: apt-source.  Find the newest version of w->source upstream; if it
 * differs from *last_version (may be NULL) fetch the .dsc and its files
 * into workdir (verified), unpack with dpkg-source -x into
 * workdir/<source>-<upstream version>/, apply w->patches (quilt series) as
 * new debian/patches, and set *srcdir (caller frees) and *upstream_version.
 * Returns 1 (not 0) when nothing changed upstream.
 */
int	 aptsrc_prepare(struct db *db, const struct config *cfg,
	    const struct conf_watch *w, const char *last_version,
	    const char *workdir, char **srcdir, char **upstream_version,
	    struct dp_error *err);

/* The newest entry of source in a Sources index (*version, caller frees,
 * NULL when absent; also for tests and fuzzing).  0 or -1 with err. */
int	 aptsrc_sources_parse(const char *source, const char *buf,
	    size_t len, const char *what, char **version,
	    struct dp_error *err);

/* ---- cleanroom.c ------------------------------------------------------ */

/* Who a build tool runs as and where (see cleanroom.c). */
struct cleanroom {
	int	 drop;		/* run tools as uid/gid (we are root) */
	uid_t	 uid;
	gid_t	 gid;
	char	*user;
	char	*home;
	char	*work;		/* where tools run: the build directory, or
				   the build user's copy of it */
	int	 own_work;	/* work is that copy: removed at the end */
};

/* Choose the build user (root: User:, default debpipe, or refuse) and
 * its work directory (a copy of builddir when dropping).  need_subids:
 * the user needs /etc/subuid and /etc/subgid ranges (sbuild). */
int	 cleanroom_init(struct cleanroom *cr, const struct config *cfg,
	    int64_t id, const char *builddir, int need_subids,
	    struct dp_error *err);
void	 cleanroom_done(struct cleanroom *cr);
/* The programs the Builder of w needs are installed (mmdebstrap too
 * when need_mmdebstrap); else err: "file:line: watch 'w': Builder: X
 * needs P, which is not installed: ...". */
int	 cleanroom_check_tools(const struct config *cfg,
	    const struct conf_watch *w, int need_mmdebstrap,
	    struct dp_error *err);
/* "/var/tmp/debpipe-build-<hash of builddir>.": the work directories of
 * a build as another user start so.  Caller frees. */
char	*cleanroom_work_prefix(const char *builddir);
/* Remove what killed builds left there. */
void	 cleanroom_remove_leftovers(const char *builddir);
/* path (under builddir) as seen in the work directory.  Caller frees. */
char	*cleanroom_path(const struct cleanroom *cr, const char *builddir,
	    const char *path);
/* Copy the results (regular files named *.deb, *.buildinfo ...) from
 * the work directory back into builddir. */
int	 cleanroom_take(struct cleanroom *cr, const char *builddir,
	    struct dp_error *err);
/* argv run under bubblewrap (Builder: host).  Caller strv_free()s. */
char	**cleanroom_bwrap_argv(const struct cleanroom *cr,
	    const struct config *cfg, const struct conf_watch *w,
	    const char *cwd, char *const argv[]);

/* ---- build.c ---------------------------------------------------------- */

/*
 * Run build id (already marked running) to the end and record its
 * outcome in the builds table.  Runs in the build child process with its
 * own database connection.  0 when the build succeeded.
 */
int	 build_run(struct db *db, const struct config *cfg, int64_t id,
	    struct dp_error *err);

/* State-Dir/build/<id> and State-Dir/logs/build-<id>.log.  Caller frees. */
char	*build_dir(const struct config *cfg, int64_t id);
char	*build_log_path(const struct config *cfg, int64_t id);

/* Kill every process of session sid whose working directory is under
 * dir (leftovers of a build child).  Number of processes signalled. */
int	 build_kill_session(pid_t sid, const char *dir);

#endif
