/*
 * remote-gc.c - retention on object storage targets, and `debpipe publish
 * verify`: what state.db says a target holds, against its listing.
 *
 * GC works from state.db alone (no listing):
 *  - a suite path dists/<dist>/<ID>/ whose snapshot is no longer
 *    published goes, its Release, Release.gpg and InRelease first so the
 *    suite disappears whole before its parts;
 *  - then every pool object that no published snapshot uses (environments
 *    are on published snapshots: nothing they use is touched);
 *  - an environment's by-hash objects stay while a snapshot it was on in
 *    the last hour (or the one before its current one) refers to them, so
 *    a client that fetched the old InRelease a moment earlier still gets
 *    its files.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db-packages.h"
#include "db-remote.h"
#include "db-snapshots.h"
#include "fsutil.h"
#include "log.h"
#include "objstore.h"
#include "remote-publish.h"
#include "strlist.h"
#include "xmalloc.h"

#define ENV_BYHASH_GRACE	"-1 hour"

static int
id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* ------------------------------------------------------------------ */
/* Deleting. */

struct del {
	struct db		*db;
	const struct conf_target *t;
	struct db_remote_objects *objs;
	struct remote_stats	*st;
};

static void
del_done(struct objstore_job *job, void *arg)
{
	struct del	*d = arg;
	struct dp_error	 err;

	if (db_remote_objects_forget(d->objs, job->key, &err) == -1)
		log_warnx("%s: %s", d->t->name, dp_error_str(&err));
	d->st->deleted++;
}

/* DELETE every key of s (the set is emptied). */
static int
del_run(struct del *d, struct objstore *os, struct strlist *s,
    struct dp_error *err)
{
	struct objstore_job	*jobs;
	size_t			 i;
	int			 rv;

	if (s->n == 0)
		return 0;
	jobs = xcalloc(s->n, sizeof(*jobs));
	for (i = 0; i < s->n; i++) {
		jobs[i].op = OBJ_DELETE;
		jobs[i].key = s->v[i];
	}
	rv = objstore_run(os, jobs, s->n, del_done, d, err);
	for (i = 0; i < s->n; i++)
		if (!jobs[i].ok)
			d->st->pending++;
	free(jobs);
	strlist_free(s);
	return rv;
}

/* Recorded keys starting with pfx; filter 1: only the Release files at
 * the top of the suite, 2: all but those, 3: only by-hash objects. */
struct under_ctx {
	const char	*pfx;
	int		 filter;
	struct strlist	*keep;
	struct strlist	*out;
};

static void
under_cb(const char *k, uint64_t size, const char *etag, void *arg)
{
	struct under_ctx	*u = arg;
	const char		*rest = k + strlen(u->pfx);
	int			 top;

	(void)size;
	(void)etag;
	top = strcmp(rest, "InRelease") == 0 ||
	    strcmp(rest, "Release") == 0 ||
	    strcmp(rest, "Release.gpg") == 0;
	if ((u->filter == 1 && !top) || (u->filter == 2 && top) ||
	    (u->filter == 3 && strstr(rest, "/by-hash/") == NULL))
		return;
	if (u->keep != NULL && strlist_has(u->keep, k))
		return;
	strlist_add(u->out, k);
}

static int
keys_under(struct del *d, const char *pfx, int filter, struct strlist *keep,
    struct strlist *out, struct dp_error *err)
{
	struct under_ctx	u;

	u.pfx = pfx;
	u.filter = filter;
	u.keep = keep;
	u.out = out;
	return db_remote_objects_under(d->db, d->t->name, pfx, under_cb, &u,
	    err);
}

struct keep_ctx {
	int64_t		*ids;
	size_t		 n;
	struct strlist	*keep;
};

static void
keep_cb(int64_t id, const char *path, void *arg)
{
	struct keep_ctx	*kc = arg;
	char		*key;

	if (kc->n == 0 || bsearch(&id, kc->ids, kc->n, sizeof(int64_t),
	    id_cmp) == NULL)
		return;
	key = xasprintf("pool/%s", path);
	strlist_add(kc->keep, key);
	free(key);
}

/* Every pool key a published snapshot uses. */
static int
pool_keep(struct db *db, struct strlist *keep, struct dp_error *err)
{
	struct keep_ctx	 kc[2];
	int		 k, rv = -1;

	memset(kc, 0, sizeof(kc));
	if (db_snapshot_published_members(db, &kc[0].ids, &kc[0].n,
	    &kc[1].ids, &kc[1].n, err) == -1)
		goto out;
	for (k = 0; k < 2; k++) {
		kc[k].keep = keep;
		if (kc[k].n > 0)
			qsort(kc[k].ids, kc[k].n, sizeof(int64_t), id_cmp);
		if (db_pkg_file_owners(db, k, keep_cb, &kc[k], err) == -1)
			goto out;
	}
	rv = 0;
out:
	free(kc[0].ids);
	free(kc[1].ids);
	return rv;
}

/* The by-hash objects of environment env on dist that a snapshot it was
 * on lately refers to: the snapshot's own suite path has the same files
 * (recorded in remote_objects), under dists/<dist>/<ID>/. */
static int
env_byhash_keep(struct del *d, const char *dist, const char *env,
    struct strlist *keep, struct dp_error *err)
{
	struct strlist	 snaps = STRLIST_INIT, keys = STRLIST_INIT;
	char		*spfx, *k;
	size_t		 i, j, n;
	int		 rv = -1;

	if (db_snapshot_env_lately(d->db, env, ENV_BYHASH_GRACE, &snaps,
	    err) == -1)
		goto out;
	for (i = 0; i < snaps.n; i++) {
		spfx = xasprintf("dists/%s/%s/", dist, snaps.v[i]);
		n = strlen(spfx);
		if (keys_under(d, spfx, 3, NULL, &keys, err) == -1) {
			free(spfx);
			goto out;
		}
		for (j = 0; j < keys.n; j++) {
			k = xasprintf("dists/%s/%s/%s", dist, env,
			    keys.v[j] + n);
			strlist_add(keep, k);
			free(k);
		}
		strlist_free(&keys);
		free(spfx);
	}
	rv = 0;
out:
	strlist_free(&snaps);
	strlist_free(&keys);
	return rv;
}

int
remote_gc(struct db *db, const struct config *cfg,
    const struct conf_target *t, struct objstore *os, struct remote_stats *st,
    struct dp_error *err)
{
	struct del	 d;
	struct strlist	 gone = STRLIST_INIT, envs = STRLIST_INIT,
			 keep = STRLIST_INIT, tops = STRLIST_INIT,
			 rest = STRLIST_INIT, pool = STRLIST_INIT,
			 old = STRLIST_INIT;
	char		*pfx;
	size_t		 i, k;
	int		 rv = -1;

	memset(&d, 0, sizeof(d));
	d.db = db;
	d.t = t;
	d.st = st;
	if ((d.objs = db_remote_objects_new(db, t->name, err)) == NULL)
		return -1;
	if (db_remote_dists_gone(db, t->name, &gone, err) == -1 ||
	    db_remote_dists_envs(db, t->name, &envs, err) == -1)
		goto out;

	/* Removed snapshots: Release files, then the rest of the suite. */
	for (i = 0; i < gone.n; i++)
		for (k = 0; k < cfg->ndists; k++) {
			pfx = xasprintf("dists/%s/%s/", cfg->dists[k].name,
			    gone.v[i]);
			if (keys_under(&d, pfx, 1, NULL, &tops, err) == -1 ||
			    keys_under(&d, pfx, 2, NULL, &rest, err) == -1) {
				free(pfx);
				goto out;
			}
			free(pfx);
		}
	if (del_run(&d, os, &tops, err) == -1 ||
	    del_run(&d, os, &rest, err) == -1) {
		dp_error_prefix(err, "removing snapshots");
		goto out;
	}
	for (i = 0; i < gone.n; i++) {
		(void)db_remote_dist_forget(db, t->name, gone.v[i], NULL);
		log_info("%s: snapshot %s removed", t->name, gone.v[i]);
	}

	/* Environments' old by-hash objects. */
	for (i = 0; i < envs.n; i++)
		for (k = 0; k < cfg->ndists; k++) {
			if (env_byhash_keep(&d, cfg->dists[k].name, envs.v[i],
			    &keep, err) == -1)
				goto out;
			pfx = xasprintf("dists/%s/%s/", cfg->dists[k].name,
			    envs.v[i]);
			if (keys_under(&d, pfx, 3, &keep, &old, err) == -1) {
				free(pfx);
				goto out;
			}
			free(pfx);
		}
	if (del_run(&d, os, &old, err) == -1) {
		dp_error_prefix(err, "removing old by-hash files");
		goto out;
	}

	/* Pool objects no published snapshot uses (only after a snapshot
	 * went: the pool grows only with new snapshots). */
	if (gone.n > 0) {
		strlist_free(&keep);
		if (pool_keep(db, &keep, err) == -1 ||
		    keys_under(&d, "pool/", 0, &keep, &pool, err) == -1 ||
		    del_run(&d, os, &pool, err) == -1) {
			dp_error_prefix(err, "removing pool files");
			goto out;
		}
	}
	rv = 0;
out:
	db_remote_objects_free(d.objs);
	strlist_free(&gone);
	strlist_free(&envs);
	strlist_free(&keep);
	strlist_free(&tops);
	strlist_free(&rest);
	strlist_free(&pool);
	strlist_free(&old);
	return rv;
}

/* ------------------------------------------------------------------ */
/* Verify. */

struct rec {
	char		*key;
	uint64_t	 size;
	char		*etag;
	int		 seen;
};

struct vctx {
	struct rec	*v;
	size_t		 n;
	size_t		 cap;
	struct strlist	 bad;		/* missing or wrong: re-upload */
	remote_verify_cb cb;
	void		*arg;
	struct remote_verify_stats *vs;
};

static int
rec_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rec *)a)->key,
	    ((const struct rec *)b)->key);
}

/* An ETag without its quotes. */
static void
etag_bare(const char *in, char *out, size_t n)
{
	size_t l;

	if (*in == '"')
		in++;
	snprintf(out, n, "%s", in);
	l = strlen(out);
	if (l > 0 && out[l - 1] == '"')
		out[l - 1] = '\0';
}

static int
verify_entry(const struct objstore_entry *e, void *arg)
{
	struct vctx	*v = arg;
	struct rec	 k, *r;
	char		 a[80], b[80];

	v->vs->listed++;
	k.key = e->key;
	r = v->n > 0 ? bsearch(&k, v->v, v->n, sizeof(*v->v), rec_cmp) : NULL;
	if (r == NULL) {
		v->vs->unknown++;
		if (v->cb != NULL)
			v->cb("unknown", e->key, v->arg);
		return 0;
	}
	r->seen = 1;
	etag_bare(e->etag, a, sizeof(a));
	etag_bare(r->etag != NULL ? r->etag : "", b, sizeof(b));
	if (e->size != r->size) {
		v->vs->wrong++;
		strlist_add(&v->bad, r->key);
		if (v->cb != NULL)
			v->cb("wrong-size", e->key, v->arg);
	} else if (a[0] != '\0' && b[0] != '\0' && strcmp(a, b) != 0) {
		v->vs->wrong++;
		strlist_add(&v->bad, r->key);
		if (v->cb != NULL)
			v->cb("wrong-etag", e->key, v->arg);
	}
	return 0;
}

/* One recorded object, for the comparison with the listing. */
static void
rec_cb(const char *key, uint64_t size, const char *etag, void *arg)
{
	struct vctx	*v = arg;

	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 1024;
		v->v = xreallocarray(v->v, v->cap, sizeof(*v->v));
	}
	v->v[v->n].key = xstrdup(key);
	v->v[v->n].size = size;
	v->v[v->n].etag = etag != NULL ? xstrdup(etag) : NULL;
	v->v[v->n].seen = 0;
	v->n++;
}

int
remote_verify(struct db *db, const struct config *cfg,
    const struct conf_target *t, int repair, remote_verify_cb cb, void *arg,
    struct remote_verify_stats *vs, struct dp_error *err)
{
	struct objstore	*os = NULL;
	struct db_remote_objects *objs = NULL;
	struct vctx	 v;
	size_t		 i;
	int		 rv = -1, lockfd;
	char		*lp;

	memset(&v, 0, sizeof(v));
	memset(vs, 0, sizeof(*vs));
	v.cb = cb;
	v.arg = arg;
	v.vs = vs;
	/* No sync of t meanwhile (remote_sync takes it again below). */
	lp = remote_lock_path(cfg, t);
	lockfd = fs_lock(lp, 1, err);
	free(lp);
	if (lockfd == -1)
		return -1;
	if (objstore_open(t, &os, err) == -1) {
		close(lockfd);
		return -1;
	}
	if (db_remote_objects_under(db, t->name, "", rec_cb, &v, err) == -1)
		goto out;
	vs->recorded = v.n;
	if (v.n > 0)
		qsort(v.v, v.n, sizeof(*v.v), rec_cmp);
	if (objstore_list(os, verify_entry, &v, err) == -1)
		goto out;
	vs->requests = objstore_requests(os);
	for (i = 0; i < v.n; i++)
		if (!v.v[i].seen) {
			vs->missing++;
			strlist_add(&v.bad, v.v[i].key);
			if (cb != NULL)
				cb("missing", v.v[i].key, arg);
		}
	objstore_close(os);
	os = NULL;
	if (!repair || v.bad.n == 0) {
		rv = 0;
		goto out;
	}
	if (repair && v.bad.n > 0)
		log_info("%s: %zu objects missing or wrong: uploading them "
		    "again", t->name, v.bad.n);
	/* Forget what is not there as recorded, and every suite path still
	 * wanted (not those GC must still remove): the sync walks them
	 * again and uploads exactly the objects forgotten. */
	if (db_begin(db, err) == -1)
		goto out;
	if ((objs = db_remote_objects_new(db, t->name, err)) == NULL) {
		db_rollback(db);
		goto out;
	}
	for (i = 0; i < v.bad.n; i++)
		(void)db_remote_objects_forget(objs, v.bad.v[i], NULL);
	db_remote_objects_free(objs);
	objs = NULL;
	if (db_remote_dists_forget_wanted(db, t->name, err) == -1) {
		db_rollback(db);
		goto out;
	}
	if (db_commit(db, err) == -1)
		goto out;
	close(lockfd);
	lockfd = -1;
	rv = remote_sync(db, cfg, t, 0, &vs->sync, err);
	vs->repaired = vs->sync.uploaded;
out:
	db_remote_objects_free(objs);
	objstore_close(os);
	if (lockfd != -1)
		close(lockfd);
	for (i = 0; i < v.n; i++) {
		free(v.v[i].key);
		free(v.v[i].etag);
	}
	free(v.v);
	strlist_free(&v.bad);
	return rv;
}
