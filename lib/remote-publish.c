/*
 * remote-publish.c - publish snapshots and environments to object
 * storage targets (see remote-publish.h for the layout and the order).
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db-packages.h"
#include "db-snapshots.h"
#include "fsutil.h"
#include "hash.h"
#include "log.h"
#include "objstore.h"
#include "remote-publish.h"
#include "xmalloc.h"

/* Upload phases, in order. */
enum phase {
	PH_POOL,
	PH_BYHASH,
	PH_INDEX,
	PH_RELEASE,
	PH_RELEASE_GPG,
	PH_INRELEASE,
	PH_N,
};

struct jobs {
	struct objstore_job	*v;
	size_t			 n, cap;
};

struct sync {
	struct db		*db;
	const struct config	*cfg;
	const struct conf_target *t;
	struct objstore		*os;
	struct remote_stats	*st;
	sqlite3_stmt		*get;	/* sha256 of (target, key) */
	sqlite3_stmt		*put;	/* record an upload */
	struct jobs		 ph[PH_N];
	char			*pool_dir;
};

static void
jobs_reset(struct jobs *j)
{
	size_t i;

	for (i = 0; i < j->n; i++) {
		free(j->v[i].key);
		free(j->v[i].path);
	}
	j->n = 0;
}

static void
jobs_free(struct jobs *j)
{
	jobs_reset(j);
	free(j->v);
	j->v = NULL;
	j->cap = 0;
}

/* Is key there with this content (state.db)? */
static int
known(struct sync *s, const char *key, const char *sha256)
{
	int	r = 0;

	sqlite3_reset(s->get);
	sqlite3_bind_text(s->get, 1, s->t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->get, 2, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s->get) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(s->get, 0), sha256) == 0)
		r = 1;
	sqlite3_reset(s->get);
	return r;
}

/* Does state.db say the target holds key (any content)? */
static int
held(struct sync *s, const char *key)
{
	int	r;

	sqlite3_reset(s->get);
	sqlite3_bind_text(s->get, 1, s->t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->get, 2, key, -1, SQLITE_STATIC);
	r = sqlite3_step(s->get) == SQLITE_ROW;
	sqlite3_reset(s->get);
	return r;
}

static void
job_add(struct sync *s, enum phase ph, const char *key, const char *path,
    uint64_t size, const char *sha256, const char *md5)
{
	struct jobs		*j = &s->ph[ph];
	struct objstore_job	*job;
	size_t			 i;

	if (known(s, key, sha256)) {
		s->st->skipped++;
		return;
	}
	/* The same pool file of two snapshots in one sync. */
	if (ph == PH_POOL)
		for (i = 0; i < j->n; i++)
			if (strcmp(j->v[i].key, key) == 0)
				return;
	if (j->n == j->cap) {
		j->cap = j->cap ? j->cap * 2 : 64;
		j->v = xreallocarray(j->v, j->cap, sizeof(*j->v));
	}
	job = &j->v[j->n++];
	memset(job, 0, sizeof(*job));
	job->op = OBJ_PUT;
	job->key = xstrdup(key);
	job->path = xstrdup(path);
	job->size = size;
	snprintf(job->sha256, sizeof(job->sha256), "%s", sha256);
	snprintf(job->md5, sizeof(job->md5), "%s", md5 != NULL ? md5 : "");
	job->cache_control = ph == PH_POOL || ph == PH_BYHASH ?
	    OBJSTORE_CACHE_IMMUTABLE : OBJSTORE_CACHE_SHORT;
}

static void
done_cb(struct objstore_job *job, void *arg)
{
	struct sync	*s = arg;

	sqlite3_reset(s->put);
	sqlite3_bind_text(s->put, 1, s->t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->put, 2, job->key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->put, 3, (sqlite3_int64)job->size);
	sqlite3_bind_text(s->put, 4, job->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->put, 5, job->etag, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->put, 6, db_now(), -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s->put) != SQLITE_DONE)
		log_warnx("%s: recording %s: %s", s->t->name, job->key,
		    sqlite3_errmsg(db_handle(s->db)));
	sqlite3_reset(s->put);
	s->st->uploaded++;
	s->st->bytes += job->size;
}

/* Run the phases in order; each completes before the next starts. */
static int
run_phases(struct sync *s, struct dp_error *err)
{
	int	ph, rv = 0;
	size_t	i;

	for (ph = 0; ph < PH_N; ph++) {
		if (rv == 0 && objstore_run(s->os, s->ph[ph].v, s->ph[ph].n,
		    done_cb, s, err) == -1)
			rv = -1;
		if (rv == -1)
			for (i = 0; i < s->ph[ph].n; i++)
				if (!s->ph[ph].v[i].ok)
					s->st->pending++;
		jobs_reset(&s->ph[ph]);
	}
	return rv;
}

/* ------------------------------------------------------------------ */
/* What a snapshot needs. */

static void
pool_file_cb(const struct db_pkg_file *f, void *arg)
{
	struct sync	*s = arg;
	char		*key, *path;

	if (!fs_relpath_is_safe(f->path))
		return;
	key = xasprintf("pool/%s", f->path);
	path = fs_join(s->pool_dir, f->path);
	job_add(s, PH_POOL, key, path, f->size, f->sha256, f->md5);
	free(key);
	free(path);
}

static int
pool_jobs(struct sync *s, const char *snap, struct dp_error *err)
{
	struct db_pkg_reader	*r = NULL;
	int64_t			*pkgs = NULL, *srcs = NULL;
	size_t			 npkgs, nsrcs, i;
	int			 rv = -1, rc;

	if ((rc = db_snapshot_members(s->db, snap, &pkgs, &npkgs, &srcs,
	    &nsrcs, err)) == -1)
		goto out;
	if (rc == 0) {
		dp_error_set(err, DP_ERR_NOTFOUND, "snapshot %s is not in "
		    "the database", snap);
		goto out;
	}
	r = db_pkg_reader_new(s->db);
	for (i = 0; i < npkgs; i++)
		if (db_pkg_reader_files(r, 0, pkgs[i], pool_file_cb, s,
		    err) == -1)
			goto out;
	for (i = 0; i < nsrcs; i++)
		if (db_pkg_reader_files(r, 1, srcs[i], pool_file_cb, s,
		    err) == -1)
			goto out;
	rv = 0;
out:
	db_pkg_reader_free(r);
	free(pkgs);
	free(srcs);
	return rv;
}

/* Walk Public-Dir/snapshots/<snap>/dists/<dist>/<rel> and queue each file
 * for dists/<dist>/<name>/<rel> (plus its by-hash copy). */
static int
dists_walk(struct sync *s, const char *dir, const char *rel,
    const char *keybase, struct dp_error *err)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	struct hash_sums sums;
	char		*p, *r, *key;
	int		 rv = -1, byhash;
	enum phase	 ph;

	if ((d = opendir(dir)) == NULL) {
		dp_error_errno(err, "%s", dir);
		return -1;
	}
	p = fs_join(dir, "by-hash");
	byhash = lstat(p, &sb) == 0;
	free(p);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "by-hash") == 0)
			continue;
		p = fs_join(dir, de->d_name);
		r = xasprintf("%s%s%s", rel, rel[0] != '\0' ? "/" : "",
		    de->d_name);
		if (lstat(p, &sb) == -1) {
			dp_error_errno(err, "%s", p);
			free(p);
			free(r);
			goto out;
		}
		if (S_ISDIR(sb.st_mode)) {
			if (dists_walk(s, p, r, keybase, err) == -1) {
				free(p);
				free(r);
				goto out;
			}
		} else if (S_ISREG(sb.st_mode)) {
			if (hash_file(p, &sums, err) == -1) {
				free(p);
				free(r);
				goto out;
			}
			if (strcmp(r, "Release") == 0)
				ph = PH_RELEASE;
			else if (strcmp(r, "Release.gpg") == 0)
				ph = PH_RELEASE_GPG;
			else if (strcmp(r, "InRelease") == 0)
				ph = PH_INRELEASE;
			else
				ph = PH_INDEX;
			key = fs_join(keybase, r);
			/* apt reads InRelease alone: Release and Release.gpg
			 * only with Publish-Detached-Release: yes, or where
			 * the target holds them already (kept current). */
			if ((ph != PH_RELEASE && ph != PH_RELEASE_GPG) ||
			    s->t->detached_release || held(s, key))
				job_add(s, ph, key, p, sums.size, sums.sha256,
				    sums.md5);
			free(key);
			if (ph == PH_INDEX && byhash) {
				key = xasprintf("%s/%s%sby-hash/SHA256/%s",
				    keybase, rel, rel[0] != '\0' ? "/" : "",
				    sums.sha256);
				job_add(s, PH_BYHASH, key, p, sums.size,
				    sums.sha256, sums.md5);
				free(key);
			}
		}
		free(p);
		free(r);
	}
	rv = 0;
out:
	closedir(d);
	return rv;
}

static int
dists_jobs(struct sync *s, const char *snap, const char *name,
    struct dp_error *err)
{
	size_t	 i;
	char	*dir, *keybase;
	int	 rv = 0;

	for (i = 0; i < s->cfg->ndists && rv == 0; i++) {
		dir = xasprintf("%s/snapshots/%s/dists/%s", s->cfg->public_dir,
		    snap, s->cfg->dists[i].name);
		keybase = xasprintf("dists/%s/%s", s->cfg->dists[i].name,
		    name);
		rv = dists_walk(s, dir, "", keybase, err);
		free(dir);
		free(keybase);
	}
	return rv;
}

static int
mark_done(struct sync *s, const char *name, const char *snap,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = -1;

	if (db_prepare(s->db, "INSERT OR REPLACE INTO remote_dists(target, "
	    "name, snapshot, time) VALUES (?, ?, ?, ?)", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, s->t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, snap, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, db_now(), -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		dp_error_sqlite(err, db_handle(s->db), "remote_dists");
	else
		rv = 0;
	sqlite3_finalize(st);
	s->st->names++;
	return rv;
}

/* Publish one suite path: name is the snapshot ID or an environment. */
static int
publish_name(struct sync *s, const char *name, const char *snap,
    int with_pool, struct dp_error *err)
{
	if (with_pool && pool_jobs(s, snap, err) == -1)
		return -1;
	if (dists_jobs(s, snap, name, err) == -1)
		return -1;
	if (run_phases(s, err) == -1) {
		dp_error_prefix(err, "%s", name);
		return -1;
	}
	return mark_done(s, name, snap, err);
}

/* ------------------------------------------------------------------ */
/* State of the target. */

static void
target_record(struct db *db, const struct conf_target *t, const char *url,
    int ok, const char *error, size_t pending, size_t uploaded)
{
	sqlite3_stmt	*st = NULL;
	char		 now[32];

	snprintf(now, sizeof(now), "%s", db_now());
	if (db_prepare(db, "INSERT INTO remote_targets(target, url, "
	    "last_attempt, last_success, last_error, pending, uploaded) "
	    "VALUES (?1, ?2, ?3, CASE WHEN ?4 THEN ?3 END, ?5, ?6, ?7) "
	    "ON CONFLICT(target) DO UPDATE SET "
	    "url = coalesce(?2, url), last_attempt = ?3, "
	    "last_success = CASE WHEN ?4 THEN ?3 ELSE last_success END, "
	    "last_error = ?5, pending = ?6, uploaded = uploaded + ?7",
	    &st, NULL) == -1)
		return;
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, url, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, ok);
	sqlite3_bind_text(st, 5, error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)pending);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)uploaded);
	if (sqlite3_step(st) != SQLITE_DONE)
		log_warnx("%s: recording the target's state: %s", t->name,
		    sqlite3_errmsg(db_handle(db)));
	sqlite3_finalize(st);
}

/* Names (snapshot or environment) still to publish: TODO_SQL. */
struct todo {
	char	**name;
	char	**snap;
	int	 *pool;
	size_t	  n;
};

static int
todo_load(struct sync *s, struct todo *td, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rv = -1;

	memset(td, 0, sizeof(*td));
	/* Snapshots first (with their pool files), oldest first, then the
	 * environments (their dists/ only; their snapshot is among the
	 * former). */
	if (db_prepare(s->db, TODO_SQL " ORDER BY 3 DESC, 1", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, s->t->name, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		td->name = xreallocarray(td->name, td->n + 1, sizeof(char *));
		td->snap = xreallocarray(td->snap, td->n + 1, sizeof(char *));
		td->pool = xreallocarray(td->pool, td->n + 1, sizeof(int));
		td->name[td->n] = xstrdup((const char *)
		    sqlite3_column_text(st, 0));
		td->snap[td->n] = xstrdup((const char *)
		    sqlite3_column_text(st, 1));
		td->pool[td->n] = sqlite3_column_int(st, 2);
		td->n++;
	}
	rv = 0;
	sqlite3_finalize(st);
	return rv;
}

static void
todo_free(struct todo *td)
{
	size_t i;

	for (i = 0; i < td->n; i++) {
		free(td->name[i]);
		free(td->snap[i]);
	}
	free(td->name);
	free(td->snap);
	free(td->pool);
}

int
remote_needs_sync(struct db *db, const struct conf_target *t)
{
	sqlite3_stmt	*st = NULL;
	int		 r;

	if (db_prepare(db, "SELECT EXISTS (" TODO_SQL ") OR EXISTS (" GONE_SQL
	    ")", &st, NULL) == -1)
		return 1;
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	r = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 1;
	sqlite3_finalize(st);
	return r;
}

char *
remote_lock_path(const struct config *cfg, const struct conf_target *t)
{
	struct hash_sums sums;

	hash_buf(t->name, strlen(t->name), &sums);
	return xasprintf("%s/remote-%.16s.lock", cfg->state_dir, sums.sha256);
}

int
remote_sync(struct db *db, const struct config *cfg,
    const struct conf_target *t, int flags, struct remote_stats *st,
    struct dp_error *err)
{
	struct sync		 s;
	struct remote_stats	 local;
	struct todo		 td;
	char			*lp;
	size_t			 i;
	int			 lockfd = -1, rv = -1;

	memset(&s, 0, sizeof(s));
	memset(&td, 0, sizeof(td));
	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof(*st));
	s.db = db;
	s.cfg = cfg;
	s.t = t;
	s.st = st;
	lp = remote_lock_path(cfg, t);
	lockfd = fs_lock(lp, 1, err);
	free(lp);
	if (lockfd == -1)
		return -1;
	/* Another worker did it while we waited for the lock. */
	if ((flags & REMOTE_IF_NEEDED) && !remote_needs_sync(db, t)) {
		close(lockfd);
		return 0;
	}
	s.pool_dir = config_pool_dir(cfg);
	if (objstore_open(t, &s.os, err) == -1) {
		target_record(db, t, NULL, 0, dp_error_str(err), 0, 0);
		goto out;
	}
	if (db_prepare(db, "SELECT sha256 FROM remote_objects WHERE "
	    "target = ? AND key = ?", &s.get, err) == -1 ||
	    db_prepare(db, "INSERT OR REPLACE INTO remote_objects(target, "
	    "key, size, sha256, etag, uploaded) VALUES (?, ?, ?, ?, ?, ?)",
	    &s.put, err) == -1)
		goto out;
	if (todo_load(&s, &td, err) == -1)
		goto out;
	for (i = 0; i < td.n; i++) {
		if (publish_name(&s, td.name[i], td.snap[i], td.pool[i],
		    err) == -1) {
			st->pending += td.n - i - 1;
			target_record(db, t, objstore_public_url(s.os), 0,
			    dp_error_str(err), st->pending, st->uploaded);
			goto out;
		}
	}
	if (remote_gc(db, cfg, t, s.os, st, err) == -1) {
		dp_error_prefix(err, "garbage collection");
		target_record(db, t, objstore_public_url(s.os), 0,
		    dp_error_str(err), st->pending, st->uploaded);
		goto out;
	}
	target_record(db, t, objstore_public_url(s.os), 1, NULL, 0,
	    st->uploaded);
	rv = 0;
out:
	if (s.os != NULL)
		st->requests = objstore_requests(s.os);
	todo_free(&td);
	for (i = 0; i < PH_N; i++)
		jobs_free(&s.ph[i]);
	sqlite3_finalize(s.get);
	sqlite3_finalize(s.put);
	objstore_close(s.os);
	free(s.pool_dir);
	if (lockfd != -1)
		close(lockfd);
	return rv;
}

int
remote_sync_all(struct db *db, const struct config *cfg,
    struct dp_error *err)
{
	struct remote_stats	st;
	struct dp_error		e;
	size_t			i;
	int			rv = 0;

	for (i = 0; i < cfg->ntargets; i++) {
		if (remote_sync(db, cfg, &cfg->targets[i], 0, &st, &e) == -1) {
			log_warnx("publish to %s: %s (%zu uploads pending; "
			    "retried at the next change)", cfg->targets[i].name,
			    dp_error_str(&e), st.pending);
			if (err != NULL)
				*err = e;
			rv = -1;
		} else if (st.uploaded > 0)
			log_info("published to %s: %zu files, %llu bytes, "
			    "%zu requests", cfg->targets[i].name, st.uploaded,
			    (unsigned long long)st.bytes, st.requests);
	}
	return rv;
}

char *
remote_source_line(struct db *db, const struct config *cfg,
    const struct conf_target *t, const struct conf_dist *d,
    const char *name)
{
	sqlite3_stmt	*st = NULL;
	char		*url = NULL, *line, *comps;
	struct buf	 b;
	size_t		 i, n;

	(void)cfg;
	if (t->public_url != NULL)
		url = xstrdup(t->public_url);
	else if (db_prepare(db, "SELECT url FROM remote_targets WHERE "
	    "target = ?", &st, NULL) == 0) {
		sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_text(st, 0) != NULL)
			url = xstrdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	if (url == NULL)
		url = t->proto == TARGET_S3 ? xasprintf("%s/%s/%s",
		    t->endpoint, t->bucket, t->prefix) : xasprintf(
		    "SWIFT-STORAGE-URL/%s/%s", t->bucket, t->prefix);
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		url[--n] = '\0';
	buf_init(&b);
	for (i = 0; d->components[i] != NULL; i++)
		buf_printf(&b, " %s", d->components[i]);
	comps = buf_steal(&b);
	line = xasprintf("deb [signed-by=/usr/share/keyrings/"
	    "debpipe-archive-keyring.gpg] %s %s/%s%s", url, d->name, name,
	    comps);
	free(comps);
	free(url);
	return line;
}
