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
#include "db-remote.h"
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
	struct db_remote_objects *objs;	/* what the target holds */
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
	return db_remote_objects_has(s->objs, key, sha256);
}

/* Does state.db say the target holds key (any content)? */
static int
held(struct sync *s, const char *key)
{
	return db_remote_objects_has(s->objs, key, NULL);
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
	struct dp_error	 err;

	if (db_remote_objects_put(s->objs, job->key, job->size, job->sha256,
	    job->etag, &err) == -1)
		log_warnx("%s: %s", s->t->name, dp_error_str(&err));
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
	int	rv;

	rv = db_remote_dist_set(s->db, s->t->name, name, snap, err);
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
	struct dp_error	err;

	if (db_remote_target_record(db, t->name, url, ok, error, pending,
	    uploaded, &err) == -1)
		log_warnx("%s: %s", t->name, dp_error_str(&err));
}

/* Names (snapshot or environment) still to publish (db_remote_todo). */
struct todo {
	char	**name;
	char	**snap;
	int	 *pool;
	size_t	  n;
};

static int
todo_cb(const char *name, const char *snap, int pool, void *arg)
{
	struct todo	*td = arg;

	td->name = xreallocarray(td->name, td->n + 1, sizeof(char *));
	td->snap = xreallocarray(td->snap, td->n + 1, sizeof(char *));
	td->pool = xreallocarray(td->pool, td->n + 1, sizeof(int));
	td->name[td->n] = xstrdup(name);
	td->snap[td->n] = xstrdup(snap);
	td->pool[td->n] = pool;
	td->n++;
	return 0;
}

static int
todo_load(struct sync *s, struct todo *td, struct dp_error *err)
{
	memset(td, 0, sizeof(*td));
	return db_remote_todo(s->db, s->t->name, todo_cb, td, err);
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
	return db_remote_needs_sync(db, t->name);
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
	if ((s.objs = db_remote_objects_new(db, t->name, err)) == NULL)
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
	db_remote_objects_free(s.objs);
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
	struct db_remote_target	 rt;
	char			*url = NULL, *line, *comps;
	struct buf		 b;
	size_t			 i, n;

	(void)cfg;
	if (t->public_url != NULL)
		url = xstrdup(t->public_url);
	else if (db_remote_target_get(db, t->name, &rt, NULL) == 1) {
		url = rt.url;
		rt.url = NULL;
		db_remote_target_done(&rt);
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
