/*
 * build.c - one build, run in a child process of the daemon.
 *
 * Git watch: merge the inputs (watch-git.c), stamp a version (stamp.c),
 * export the merged tree into State-Dir/build/<id>/src, put a new entry
 * on top of debian/changelog, check the build dependencies, run
 * dpkg-buildpackage (or sbuild) with the build timeout, check the names
 * of what it produced and add the packages to the pool with origin
 * "build:<watch>".  Apt-source watch: the same from the directory that
 * aptsrc_prepare() unpacked.  Apt watch: an import.
 *
 * The backends (Builder: host, sbuild) are backend-*.c, behind struct
 * build_backend (build-int.h); running tools and reading the log is
 * build-tool.c, checking and adding the results build-result.c.
 *
 * Everything the build prints goes to State-Dir/logs/build-<id>.log, with
 * "debpipe:" lines saying what the builder did.  A failure is recorded in
 * builds.message and watches.last_error and removes nothing.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "builder.h"
#include "fsutil.h"
#include "xmalloc.h"

#include "build-int.h"

char *
build_dir(const struct config *cfg, int64_t id)
{
	return xasprintf("%s/build/%lld", cfg->state_dir, (long long)id);
}

char *
build_log_path(const struct config *cfg, int64_t id)
{
	char *dir = config_log_dir(cfg), *p;

	p = xasprintf("%s/build-%lld.log", dir, (long long)id);
	free(dir);
	return p;
}

/* ---- the common part of git and apt-source builds -------------------- */

static int
write_changelog(struct build *b, const char *src, const char *old,
    time_t when, char *const lines[], struct dp_error *err)
{
	char		*path, *entry, *text;
	int		 rv;

	entry = stamp_entry(b->source, b->version, b->w->dist,
	    b->cfg->maintainer, when, lines);
	text = xasprintf("%s%s", entry, old);
	path = xasprintf("%s/debian/changelog", src);
	rv = fs_write_atomic(path, text, strlen(text), 0644, err);
	free(path);
	free(text);
	free(entry);
	return rv;
}

/* Version already fixed by an earlier attempt whose packages made it
 * into the pool: 1 (done), 0 (build), -1. */
static int
earlier_attempt_done(struct build *b, struct dp_error *err)
{
	int64_t n = 0;

	if (b->row.version == NULL || b->row.attempts <= 1)
		return 0;
	if (queue_ingested(b->db, b->w->name, b->row.version, &n, err) == -1)
		return -1;
	if (n == 0)
		return 0;
	b->version = xstrdup(b->row.version);
	b->message = xasprintf("built %s (packages added by attempt %d)",
	    b->version, b->row.attempts - 1);
	build_logf(b, "%s", b->message);
	return 1;
}

static int
choose_version(struct build *b, const char *candidate, const char *hash,
    struct dp_error *err)
{
	char **prev = NULL;

	if (b->row.version != NULL && b->row.attempts > 1) {
		/* A redo after a crash keeps its version. */
		b->version = xstrdup(b->row.version);
		return 0;
	}
	if (db_build_versions(b->db, b->w->name, b->source, b->w->dist,
	    b->row.id, &prev, err) == -1)
		return -1;
	b->version = stamp_version_above(candidate, hash, prev);
	strv_free(prev);
	if (strcmp(b->version, candidate) != 0)
		build_logf(b, "version %s does not sort above the earlier builds: "
		    "using %s", candidate, b->version);
	return db_build_set(b->db, b->row.id, "version", b->version, err);
}

/* The build backends, by Builder: value (config.c checks it). */
static const struct {
	const char			*name;
	const struct build_backend	*backend;
} backends[] = {
	{ "host",		&build_backend_host },
	{ "dpkg-buildpackage",	&build_backend_host },	/* alias */
	{ "sbuild",		&build_backend_sbuild },
};

const struct build_backend *
build_backend_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i].name, name) == 0)
			return backends[i].backend;
	return NULL;
}

static int
build_package(struct build *b, const char *src, struct dp_error *err)
{
	const struct build_backend	*be;

	/* config.c sets the watch's Builder: (the global one by default). */
	if ((be = build_backend_find(b->w->builder)) == NULL) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: watch '%s': unknown "
		    "Builder: %s", b->w->file, b->w->line, b->w->name,
		    b->w->builder);
		return -1;
	}
	if (be->build(b, src, err) == -1)
		return -1;
	return build_ingest(b, err);
}

/* ---- git -------------------------------------------------------------- */

static int
build_git(struct build *b, struct dp_error *err)
{
	struct gitw_heads	 heads;
	struct gitw_merged	 m;
	struct changelog_top	 top;
	char			*inputs = NULL, *src = NULL, *cand = NULL;
	char			**lines = NULL;
	size_t			 i, n = 0;
	int			 rv = -1, done;

	memset(&heads, 0, sizeof(heads));
	memset(&m, 0, sizeof(m));
	memset(&top, 0, sizeof(top));
	if (b->row.inputs == NULL) {
		/* Queued by hand: build what the branches hold now. */
		build_logf(b, "fetching %s", b->w->url);
		if (gitw_fetch_heads(b->cfg, b->w, NULL, &heads, err) == -1)
			goto out;
		inputs = gitw_inputs_format(&heads);
		if (db_build_set(b->db, b->row.id, "inputs", inputs, err) == -1 ||
		    db_watch_polled(b->db, b->w->name, inputs, 1, NULL, err)
		    == -1)
			goto out;
	} else if (gitw_inputs_parse(b->row.inputs, b->w, &heads, err) == -1)
		goto out;
	build_logf(b, "inputs %s", inputs != NULL ? inputs : b->row.inputs);

	if (gitw_merge(b->cfg, b->w, &heads, &m, err) == -1)
		goto out;
	build_logf(b, "merged commit %s", m.hash);
	if (stamp_changelog_parse(m.changelog, &top, err) == -1)
		goto out;
	b->source = xstrdup(top.source);
	if ((done = earlier_attempt_done(b, err)) != 0) {
		rv = done == 1 ? 0 : -1;
		goto out;
	}
	cand = stamp_git_version(top.version, m.time, m.hash);
	if (choose_version(b, cand, m.hash, err) == -1)
		goto out;
	build_logf(b, "version %s", b->version);

	src = fs_join(b->dir, "src");
	if (gitw_export(b->cfg, b->w, m.hash, src, err) == -1)
		goto out;
	lines = xcalloc(heads.nmerges + 3, sizeof(char *));
	lines[n++] = xasprintf("Automatic build of %s branch %s at %.12s.",
	    b->w->url, b->w->branch, heads.head);
	for (i = 0; i < heads.nmerges; i++)
		lines[n++] = xasprintf("Merged branch %s of %s at %.12s.",
		    b->w->merges[i].branch, b->w->merges[i].url,
		    heads.merges[i]);
	if (heads.nmerges > 0)
		lines[n++] = xasprintf("Merged commit %.12s.", m.hash);
	if (write_changelog(b, src, m.changelog, m.time, lines, err) == -1)
		goto out;
	if (build_package(b, src, err) == -1)
		goto out;
	rv = 0;
out:
	strv_free(lines);
	free(src);
	free(cand);
	free(inputs);
	changelog_top_done(&top);
	gitw_merged_done(&m);
	gitw_heads_done(&heads);
	return rv;
}

/* ---- apt and apt-source ----------------------------------------------- */

static int
build_apt(struct build *b, struct dp_error *err)
{
	struct aptw_report rep;

	memset(&rep, 0, sizeof(rep));
	if (aptw_sync(b->db, b->cfg, b->w, 0, &rep, err) == -1)
		return -1;
	b->message = xasprintf("imported %zu package(s) (%zu change(s)%s)",
	    rep.imported, rep.nchanges, rep.unchanged ?
	    ", unchanged upstream" : "");
	aptw_report_done(&rep);
	return 0;
}

static int
build_apt_source(struct build *b, struct dp_error *err)
{
	struct changelog_top	 top;
	char			*last = NULL, *srcdir = NULL, *upver = NULL;
	char			*clpath = NULL, *old = NULL, *inputs = NULL;
	size_t			 len;
	int			 rv = -1, rc, done;

	memset(&top, 0, sizeof(top));
	/* A periodic check (inputs "poll") builds only a new version. */
	if (b->row.inputs != NULL && strcmp(b->row.inputs, "poll") == 0) {
		if (db_watch_get_inputs(b->db, b->w->name, &last, err) == -1)
			goto out;
		if (last != NULL && strncmp(last, "version=", 8) == 0)
			memmove(last, last + 8, strlen(last + 8) + 1);
	}
	build_logf(b, "fetching source %s from %s %s", b->w->source, b->w->url,
	    b->w->suite != NULL ? b->w->suite : "");
	rc = aptsrc_prepare(b->db, b->cfg, b->w, last, b->dir,
	    &srcdir, &upver, err);
	if (rc == -1)
		goto out;
	if (rc == 1) {
		build_logf(b, "no new source version upstream");
		b->dropped = 1;
		rv = 0;
		goto out;
	}
	inputs = xasprintf("version=%s", upver);
	if (db_build_set(b->db, b->row.id, "inputs", inputs, err) == -1 ||
	    db_watch_polled(b->db, b->w->name, inputs, 1, NULL, err) == -1)
		goto out;
	clpath = xasprintf("%s/debian/changelog", srcdir);
	if (fs_read_file(clpath, 16 * 1024 * 1024, &old, &len, err) == -1 ||
	    stamp_changelog_parse(old, &top, err) == -1)
		goto out;
	b->source = xstrdup(top.source);
	if ((done = earlier_attempt_done(b, err)) != 0) {
		rv = done == 1 ? 0 : -1;
		goto out;
	}
	/* aptsrc_prepare stamped <version>+<suffix><n> and wrote
	 * the changelog entry. */
	b->version = xstrdup(top.version);
	build_logf(b, "version %s", b->version);
	if (db_build_set(b->db, b->row.id, "version", b->version, err) == -1)
		goto out;
	if (build_package(b, srcdir, err) == -1)
		goto out;
	rv = 0;
out:
	free(inputs);
	free(old);
	free(clpath);
	free(upver);
	free(srcdir);
	free(last);
	changelog_top_done(&top);
	return rv;
}

/* ---- the build child's entry point ------------------------------------ */

/* Build directories of earlier finished builds of the watch: a failed
 * build keeps its tree until the next build of its watch. */
static void
remove_old_dirs(struct build *b)
{
	int64_t	*ids = NULL;
	size_t	 n = 0, i;
	char	*dir;

	if (db_build_finished_before(b->db, b->row.watch, b->row.id, &ids, &n,
	    NULL) == -1)
		return;
	for (i = 0; i < n; i++) {
		dir = build_dir(b->cfg, ids[i]);
		fs_remove_tree(dir, NULL);
		cleanroom_remove_leftovers(dir);
		free(dir);
	}
	free(ids);
}

/*
 * A build that failed while a file system it writes to was full (or said
 * so in its log) waits for space rather than failing for good: its build
 * directory goes, and the builder queues it again once there is room
 * (builder/space.c).
 */
static void
wait_for_space(struct build *b, struct dp_error *berr)
{
	char		*where = NULL, *line = NULL, *msg;
	uint64_t	 at, need;

	at = space_free_min(b->cfg, NULL);
	if (berr->code != DP_ERR_NOSPACE && !space_low(b->cfg, &where) &&
	    (line = build_log_find(b->log, 0, "No space left on device")) ==
	    NULL)
		return;
	if (where == NULL)
		space_free_min(b->cfg, &where);
	cleanroom_remove_leftovers(b->dir);
	fs_remove_tree(b->dir, NULL);
	free(b->wait_key);
	b->wait_key = space_wait_key(b->cfg, at);
	b->waiting = 1;
	space_wait_over(b->cfg, b->wait_key, &need);
	msg = xasprintf("waiting for space: %s (%s is on a full file system; "
	    "the build is tried again once %llu MiB are free there, in "
	    "State-Dir and in the pool)", berr->msg, where,
	    (unsigned long long)((need + (1 << 20) - 1) >> 20));
	snprintf(berr->msg, sizeof(berr->msg), "%s", msg);
	free(msg);
	free(where);
	free(line);
}

int
build_run(struct db *db, const struct config *cfg, int64_t id,
    struct dp_error *err)
{
	struct build	 b;
	struct dp_error	 berr, rerr;
	char		*logdir = NULL;
	int		 rv = -1, ok;

	memset(&b, 0, sizeof(b));
	dp_error_clear(&berr);
	b.db = db;
	b.cfg = cfg;
	if (db_build_get(db, id, &b.row, err) == -1)
		return -1;
	b.dir = build_dir(cfg, id);
	b.log = build_log_path(cfg, id);
	logdir = config_log_dir(cfg);
	if (fs_mkdirs(logdir, 0750, err) == -1 ||
	    db_build_set(db, id, "log_path", b.log, err) == -1)
		goto out;
	build_logf(&b, "build %lld of watch %s, attempt %d, %s", (long long)id,
	    b.row.watch, b.row.attempts, db_now());
	remove_old_dirs(&b);
	if ((b.w = config_watch_find(cfg, b.row.watch)) == NULL) {
		dp_error_set(&berr, DP_ERR_NOTFOUND, "watch %s is not in the "
		    "configuration any more", b.row.watch);
		ok = -1;
	} else if ((cleanroom_remove_leftovers(b.dir), 0) != 0 ||
	    fs_remove_tree(b.dir, &berr) == -1 ||
	    fs_mkdirs(b.dir, 0750, &berr) == -1) {
		ok = -1;
	} else {
		if (chdir(b.dir) == -1) {
			/* Only for build_kill_session; not fatal. */
		}
		switch (b.w->type) {
		case WATCH_GIT:
			ok = build_git(&b, &berr);
			break;
		case WATCH_APT:
			ok = build_apt(&b, &berr);
			break;
		case WATCH_APT_SOURCE:
			ok = build_apt_source(&b, &berr);
			break;
		default:
			dp_error_set(&berr, DP_ERR_INVALID, "unknown type");
			ok = -1;
		}
		if (chdir("/") == -1) {
			/* nothing */
		}
	}
	if (ok == 0 && b.dropped) {
		rv = db_build_drop(db, id, err);
		fs_remove_tree(b.dir, NULL);
		goto out;
	}
	/* This build had something to build: older builds of its watch
	 * that still wait are replaced by it. */
	if (db_build_supersede(db, id, b.row.watch, err) == -1)
		goto out;
	if (ok != 0 && !b.waiting)
		wait_for_space(&b, &berr);
	if (ok == 0) {
		build_logf(&b, "success: %s", b.message != NULL ? b.message : "");
		if (db_build_finish(db, id, 1, b.version, b.message, err) == -1 ||
		    db_watch_set_error(db, b.row.watch, NULL, err) == -1)
			goto out;
		fs_remove_tree(b.dir, NULL);
		rv = 0;
	} else if (b.waiting) {
		str_printable(berr.msg);
		build_logf(&b, "%s", dp_error_str(&berr));
		if (db_build_wait(db, id, b.version, dp_error_str(&berr),
		    b.wait_key, err) == -1)
			goto out;
		fs_remove_tree(b.dir, NULL);
		rv = 0;
	} else {
		str_printable(berr.msg);
		build_logf(&b, "failed: %s", dp_error_str(&berr));
		if (db_build_finish(db, id, 0, b.version, dp_error_str(&berr),
		    err) == -1)
			goto out;
		if (db_watch_set_error(db, b.row.watch, dp_error_str(&berr),
		    &rerr) == -1) {
			/* the build row has it */
		}
		*err = berr;
		rv = -1;
	}
out:
	free(logdir);
	free(b.dir);
	free(b.log);
	free(b.version);
	free(b.source);
	free(b.message);
	free(b.wait_key);
	free(b.buildinfo);
	free(b.sbuild_conf);
	free(b.sbuild_tmp);
	cleanroom_done(&b.cr);
	db_build_done(&b.row);
	return rv;
}

/* ---- leftovers of a build child --------------------------------------- */

static int
kill_session_pass(pid_t sid, const char *dir, const char *work)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[64], buf[1024], cwd[4096], *p;
	FILE		*f;
	ssize_t		 n;
	long		 psid;
	int		 count = 0;
	size_t		 dlen = strlen(dir);

	if (sid <= 1 || (d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		pid_t pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		n = (ssize_t)fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* pid (comm) state ppid pgrp session ... */
		if ((p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 1, " %*c %*d %*d %ld", &psid) != 1 ||
		    psid != (long)sid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
		if ((n = readlink(path, cwd, sizeof(cwd) - 1)) <= 0)
			continue;
		cwd[n] = '\0';
		if ((strncmp(cwd, dir, dlen) != 0 ||
		    (cwd[dlen] != '\0' && cwd[dlen] != '/')) &&
		    strncmp(cwd, work, strlen(work)) != 0)
			continue;
		if (kill(pid, SIGKILL) == 0)
			count++;
	}
	closedir(d);
	return count;
}

int
build_kill_session(pid_t sid, const char *dir)
{
	int	 n, total = 0, pass;
	char	*work = cleanroom_work_prefix(dir);

	/* Again while there were some: one may have forked meanwhile. */
	for (pass = 0; pass < 10; pass++) {
		if ((n = kill_session_pass(sid, dir, work)) == 0)
			break;
		total += n;
		usleep(20000);
	}
	free(work);
	return total;
}

