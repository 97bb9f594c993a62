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
	sqlite3_stmt		*rm;
	struct remote_stats	*st;
};

static void
del_done(struct objstore_job *job, void *arg)
{
	struct del *d = arg;

	sqlite3_reset(d->rm);
	sqlite3_bind_text(d->rm, 1, d->t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(d->rm, 2, job->key, -1, SQLITE_STATIC);
	if (sqlite3_step(d->rm) != SQLITE_DONE)
		log_warnx("%s: forgetting %s: %s", d->t->name, job->key,
		    sqlite3_errmsg(db_handle(d->db)));
	sqlite3_reset(d->rm);
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
static int
keys_under(struct del *d, const char *pfx, int filter, struct strlist *keep,
    struct strlist *out, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	const char	*k, *rest;
	int		 top;

	if (db_prepare(d->db, "SELECT key FROM remote_objects WHERE target = "
	    "?1 AND substr(key, 1, length(?2)) = ?2", &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, d->t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, pfx, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		k = (const char *)sqlite3_column_text(st, 0);
		rest = k + strlen(pfx);
		top = strcmp(rest, "InRelease") == 0 ||
		    strcmp(rest, "Release") == 0 ||
		    strcmp(rest, "Release.gpg") == 0;
		if ((filter == 1 && !top) || (filter == 2 && top) ||
		    (filter == 3 && strstr(rest, "/by-hash/") == NULL))
			continue;
		if (keep != NULL && strlist_has(keep, k))
			continue;
		strlist_add(out, k);
	}
	sqlite3_finalize(st);
	return 0;
}

static int
names_query(struct db *db, const char *sql, const char *a1,
    struct strlist *out, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;

	if (db_prepare(db, sql, &st, err) == -1)
		return -1;
	sqlite3_bind_text(st, 1, a1, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		if (sqlite3_column_text(st, 0) != NULL)
			strlist_add(out,
			    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return 0;
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

	if (names_query(d->db, "SELECT snapshot FROM environments WHERE "
	    "name = ?1 UNION SELECT to_snapshot FROM env_history WHERE "
	    "env = ?1 AND time >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '"
	    ENV_BYHASH_GRACE "') UNION SELECT from_snapshot FROM "
	    "(SELECT from_snapshot FROM env_history WHERE env = ?1 "
	    "ORDER BY id DESC LIMIT 1)", env, &snaps, err) == -1)
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
	sqlite3_stmt	*forget = NULL;
	char		*pfx;
	size_t		 i, k;
	int		 rv = -1;

	memset(&d, 0, sizeof(d));
	d.db = db;
	d.t = t;
	d.st = st;
	if (db_prepare(db, "DELETE FROM remote_objects WHERE target = ? AND "
	    "key = ?", &d.rm, err) == -1)
		return -1;
	if (names_query(db, "SELECT name FROM remote_dists WHERE target = ?1 "
	    "AND name NOT IN (SELECT id FROM snapshots WHERE state = "
	    "'published') AND name NOT IN (SELECT name FROM environments)",
	    t->name, &gone, err) == -1 ||
	    names_query(db, "SELECT name FROM remote_dists WHERE target = ?1 "
	    "AND name IN (SELECT name FROM environments)", t->name, &envs,
	    err) == -1)
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
	if (db_prepare(db, "DELETE FROM remote_dists WHERE target = ? AND "
	    "name = ?", &forget, err) == -1)
		goto out;
	for (i = 0; i < gone.n; i++) {
		sqlite3_reset(forget);
		sqlite3_bind_text(forget, 1, t->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(forget, 2, gone.v[i], -1, SQLITE_STATIC);
		sqlite3_step(forget);
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
	sqlite3_finalize(d.rm);
	sqlite3_finalize(forget);
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

int
remote_verify(struct db *db, const struct config *cfg,
    const struct conf_target *t, int repair, remote_verify_cb cb, void *arg,
    struct remote_verify_stats *vs, struct dp_error *err)
{
	struct objstore	*os = NULL;
	struct vctx	 v;
	sqlite3_stmt	*st = NULL;
	size_t		 cap = 0, i;
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
	if (db_prepare(db, "SELECT key, size, etag FROM remote_objects WHERE "
	    "target = ?", &st, err) == -1)
		goto out;
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (v.n == cap) {
			cap = cap ? cap * 2 : 1024;
			v.v = xreallocarray(v.v, cap, sizeof(*v.v));
		}
		v.v[v.n].key = xstrdup((const char *)
		    sqlite3_column_text(st, 0));
		v.v[v.n].size = (uint64_t)sqlite3_column_int64(st, 1);
		v.v[v.n].etag = sqlite3_column_text(st, 2) != NULL ?
		    xstrdup((const char *)sqlite3_column_text(st, 2)) : NULL;
		v.v[v.n].seen = 0;
		v.n++;
	}
	sqlite3_finalize(st);
	st = NULL;
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
	if (db_prepare(db, "DELETE FROM remote_objects WHERE target = ? AND "
	    "key = ?", &st, err) == -1) {
		db_rollback(db);
		goto out;
	}
	for (i = 0; i < v.bad.n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, v.bad.v[i], -1, SQLITE_STATIC);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (db_prepare(db, "DELETE FROM remote_dists WHERE target = ?1 AND "
	    "(name IN (SELECT id FROM snapshots WHERE state = 'published') OR "
	    "name IN (SELECT name FROM environments))", &st, err) == -1) {
		db_rollback(db);
		goto out;
	}
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (db_commit(db, err) == -1)
		goto out;
	close(lockfd);
	lockfd = -1;
	rv = remote_sync(db, cfg, t, 0, &vs->sync, err);
	vs->repaired = vs->sync.uploaded;
out:
	sqlite3_finalize(st);
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
