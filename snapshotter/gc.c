/*
 * gc.c - garbage collection of snapshots, the by-hash store, the index
 * cache and the pool (retention: publish.h).
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deb822.h"
#include "db-packages.h"
#include "db-snapshots.h"
#include "fsutil.h"
#include "publish.h"
#include "publish-int.h"
#include "strlist.h"
#include "xmalloc.h"

#define ENV_KEEP_HISTORY	3	/* last snapshots of each environment */

/*
 * Garbage collection.
 */

/* Add the store paths ("<dist>/<sub>/SHA256/<hex>", ".../MD5Sum/<hex>")
 * of every index file a snapshot's Releases list. */
static void
referenced_add(const char *snapdir, const char *id, struct strlist *refs)
{
	DIR				*d;
	struct dirent			*de;
	struct deb822_para		*para;
	char				*dists, *rel, *data, *line, *save,
					*copy, *slash, *dir;
	char				 hex[129], path[PATH_MAX];
	const char			*v;
	unsigned long long		 size;
	size_t				 len;
	int				 k;
	static const char *const	 fields[] = { "SHA256", "MD5Sum" };

	dists = xasprintf("%s/%s/dists", snapdir, id);
	if ((d = opendir(dists)) == NULL) {
		free(dists);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!fs_name_is_safe(de->d_name))
			continue;
		rel = xasprintf("%s/%s/Release", dists, de->d_name);
		data = NULL;
		para = NULL;
		if (fs_read_file(rel, 64 << 20, &data, &len, NULL) == 0 &&
		    deb822_parse_one(data, len, rel, 0, &para, NULL) == 0) {
			for (k = 0; k < 2; k++) {
				if ((v = deb822_get(para, fields[k])) == NULL)
					continue;
				copy = xstrdup(v);
				save = NULL;
				for (line = strtok_r(copy, "\n", &save);
				    line != NULL;
				    line = strtok_r(NULL, "\n", &save)) {
					if (sscanf(line, "%128s %llu %4095s",
					    hex, &size, path) != 3)
						continue;
					slash = strrchr(path, '/');
					dir = slash != NULL ? xstrndup(path,
					    (size_t)(slash - path)) :
					    xstrdup("");
					free(rel);
					rel = xasprintf("%s%s%s/%s/%s",
					    de->d_name, *dir != '\0' ? "/" : "",
					    dir, fields[k], hex);
					strlist_add(refs, rel);
					free(dir);
				}
				free(copy);
			}
		}
		deb822_para_free(para);
		free(data);
		free(rel);
	}
	closedir(d);
	free(dists);
}

/* Remove store files (below root/rel) that no kept snapshot lists. */
static void
store_sweep(const char *root, const char *rel, struct strlist *refs,
    int dry_run, publish_gc_cb cb, void *arg, int *n)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*dir, *sub, *p;
	const char	*base;
	int		 hashdir;

	dir = *rel != '\0' ? fs_join(root, rel) : xstrdup(root);
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	base = strrchr(rel, '/');
	base = base != NULL ? base + 1 : rel;
	hashdir = strcmp(base, "SHA256") == 0 || strcmp(base, "MD5Sum") == 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		sub = *rel != '\0' ? xasprintf("%s/%s", rel, de->d_name) :
		    xstrdup(de->d_name);
		p = fs_join(root, sub);
		if (lstat(p, &sb) == 0) {
			if (S_ISDIR(sb.st_mode))
				store_sweep(root, sub, refs, dry_run, cb, arg,
				    n);
			else if (hashdir && !strlist_has(refs, sub)) {
				if (cb != NULL)
					cb("index", sub, arg);
				if (dry_run || unlink(p) == 0)
					(*n)++;
			}
		}
		free(p);
		free(sub);
	}
	closedir(d);
	free(dir);
}

/* Drop index-cache entries naming store files that are gone. */
static void
cache_sweep(const char *cachedir, const char *storeroot)
{
	DIR		*d;
	struct dirent	*de;
	char		*p, *data, *line, *save, *f;
	char		 bn[128], md5[33], sha1[41], sha256[65], store[1024];
	unsigned long long size;
	size_t		 len;
	int		 ok;

	if ((d = opendir(cachedir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		p = fs_join(cachedir, de->d_name);
		data = NULL;
		ok = fs_read_file(p, 65536, &data, &len, NULL) == 0;
		save = NULL;
		for (line = ok ? strtok_r(data, "\n", &save) : NULL;
		    line != NULL && ok; line = strtok_r(NULL, "\n", &save)) {
			if (sscanf(line, "%127s %llu %32s %40s %64s %1023s",
			    bn, &size, md5, sha1, sha256, store) != 6) {
				ok = 0;
				break;
			}
			f = xasprintf("%s/%s/SHA256/%s", storeroot, store,
			    sha256);
			if (access(f, F_OK) == -1)
				ok = 0;
			free(f);
		}
		if (!ok)
			unlink(p);
		free(data);
		free(p);
	}
	closedir(d);
}

/* Append the members of snapshot id to pk and sr. */
static int
add_blob_ids(struct db *db, const char *id, int64_t **pk, size_t *npk,
    int64_t **sr, size_t *nsr, struct dp_error *err)
{
	int64_t	*p, *s;
	size_t	 np, ns;

	if (db_snapshot_members(db, id, &p, &np, &s, &ns, err) == -1)
		return -1;
	*pk = xreallocarray(*pk, *npk + np + 1, sizeof(**pk));
	memcpy(*pk + *npk, p, np * sizeof(**pk));
	*npk += np;
	*sr = xreallocarray(*sr, *nsr + ns + 1, sizeof(**sr));
	memcpy(*sr + *nsr, s, ns * sizeof(**sr));
	*nsr += ns;
	free(p);
	free(s);
	return 0;
}

static int
i64_cmp(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int
configured(const struct config *cfg, const char *dist, const char *comp,
    const char *arch)
{
	const struct conf_dist	*d;
	size_t			 i;

	if ((d = config_dist_find(cfg, dist)) == NULL)
		return 0;
	for (i = 0; d->components[i] != NULL; i++)
		if (strcmp(d->components[i], comp) == 0)
			break;
	if (d->components[i] == NULL)
		return 0;
	if (arch == NULL || strcmp(arch, "all") == 0)
		return 1;
	for (i = 0; d->archs[i] != NULL; i++)
		if (strcmp(d->archs[i], arch) == 0)
			return 1;
	return 0;
}

struct gc_rows_ctx {
	const struct config	*cfg;
	int			 sources;
	const int64_t		*keep;
	size_t			 nkeep;
	publish_gc_cb		 cb;
	void			*arg;
	int64_t			*ids;
	size_t			 n;
	size_t			 cap;
};

static int
gc_rows_cb(const struct db_pkg *p, void *arg)
{
	struct gc_rows_ctx	*g = arg;
	char			*what;

	if (p->dist == NULL || p->component == NULL ||
	    !configured(g->cfg, p->dist, p->component, p->arch) ||
	    ids_contains(g->keep, g->nkeep, p->id))
		return 0;
	if (g->n == g->cap) {
		g->cap = g->cap == 0 ? 64 : g->cap * 2;
		g->ids = xreallocarray(g->ids, g->cap, sizeof(*g->ids));
	}
	g->ids[g->n++] = p->id;
	if (g->cb != NULL) {
		what = xasprintf("%s/%s %s %s%s%s", p->dist, p->component,
		    p->name != NULL ? p->name : "(null)",
		    p->version != NULL ? p->version : "(null)",
		    p->arch != NULL ? " " : "",
		    p->arch != NULL ? p->arch : "");
		g->cb(g->sources ? "source" : "package", what, g->arg);
		free(what);
	}
	return 0;
}

/* Delete package (sources: source) rows that are not kept; report. */
static int
gc_rows(struct db *db, const struct config *cfg, int sources,
    const int64_t *keep, size_t nkeep, publish_gc_cb cb, void *arg,
    struct dp_error *err)
{
	struct gc_rows_ctx	g;
	size_t			i;
	int			rv = -1;

	memset(&g, 0, sizeof(g));
	g.cfg = cfg;
	g.sources = sources;
	g.keep = keep;
	g.nkeep = nkeep;
	g.cb = cb;
	g.arg = arg;
	if (db_pkg_foreach(db, sources, 0, gc_rows_cb, &g, err) == -1)
		goto out;
	for (i = 0; i < g.n; i++)
		if (db_pkg_delete(db, sources, g.ids[i], err) == -1)
			goto out;
	rv = 0;
out:
	free(g.ids);
	return rv;
}

/*
 * Does dir still hold one of the files the .buildinfo at path describes
 * (its Checksums-Sha256 names, else any .deb, .udeb or .dsc of the
 * version in its own name "SOURCE_VERSION_ARCH.buildinfo"), not counting
 * the pool files gc removes (gone, sorted, relative to the pool as
 * "reldir/NAME")?  When unsure, yes: nothing published is lost.
 */
static int
buildinfo_in_use(const char *dir, const char *reldir, const char *path,
    const char *name, struct strlist *gone)
{
	struct deb822_para	*para = NULL;
	struct dp_error		 err;
	struct stat		 sb;
	DIR			*d;
	struct dirent		*de;
	const char		*v, *line, *nl, *sp;
	char			*data = NULL, *f, *rel, *full, *ver = NULL;
	char			*pat;
	size_t			 len, named = 0, vlen;
	int			 used = 0;

	if (fs_read_file(path, 1 << 20, &data, &len, &err) == 0 &&
	    deb822_parse_one(data, len, path, DEB822_PGP, &para, &err) == 0 &&
	    (v = deb822_get(para, "Checksums-Sha256")) != NULL) {
		/* "hash size name" lines; the first line is empty. */
		for (line = v; line != NULL && *line != '\0' && !used;
		    line = nl != NULL ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			len = nl != NULL ? (size_t)(nl - line) : strlen(line);
			if ((sp = memrchr(line, ' ', len)) == NULL)
				continue;
			f = xstrndup(sp + 1, len - (size_t)(sp + 1 - line));
			if (fs_name_is_safe(f)) {
				named++;
				rel = fs_join(reldir, f);
				full = fs_join(dir, f);
				used = !strlist_has(gone, rel) &&
				    lstat(full, &sb) == 0;
				free(rel);
				free(full);
			}
			free(f);
		}
		if (named > 0)
			goto out;
	} else if (data != NULL && para == NULL) {
		used = 1;	/* not one we can read: keep it */
		goto out;
	}
	/* By the version in its name. */
	if ((v = strchr(name, '_')) == NULL || (sp = strrchr(name, '_')) == v) {
		used = 1;
		goto out;
	}
	vlen = (size_t)(sp - v - 1);
	ver = xstrndup(v + 1, vlen);
	pat = xasprintf("_%s_", ver);
	if ((d = opendir(dir)) == NULL) {
		free(pat);
		used = 1;
		goto out;
	}
	while (!used && (de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || (len > 10 &&
		    strcmp(de->d_name + len - 10, ".buildinfo") == 0))
			continue;
		if (strstr(de->d_name, pat) == NULL && !(len > vlen + 5 &&
		    strcmp(de->d_name + len - 4, ".dsc") == 0 &&
		    strncmp(de->d_name + len - 4 - vlen, ver, vlen) == 0 &&
		    de->d_name[len - 5 - vlen] == '_'))
			continue;
		rel = fs_join(reldir, de->d_name);
		used = !strlist_has(gone, rel);
		free(rel);
	}
	closedir(d);
	free(pat);
out:
	deb822_para_free(para);
	free(data);
	free(ver);
	return used;
}

/*
 * The .buildinfo files the builder publishes beside its packages have no
 * files row: the ones in the directories gc empties of what they
 * describe go too (added to gone's end, after their packages, so the
 * directory can then be removed).
 */
static void
gc_buildinfos(const char *pooldir, struct strlist *gone)
{
	struct strlist	 sorted = STRLIST_INIT, dirs = STRLIST_INIT,
			 found = STRLIST_INIT;
	DIR		*d;
	struct dirent	*de;
	char		*dir, *slash, *path, *rel;
	size_t		 i, k, len;

	for (i = 0; i < gone->n; i++)
		strlist_add(&sorted, gone->v[i]);
	strlist_sort(&sorted);
	/* Sorted, a directory's files are together: each directory once. */
	for (i = 0; i < sorted.n; i++) {
		if ((slash = strrchr(sorted.v[i], '/')) == NULL)
			continue;
		dir = xstrndup(sorted.v[i], (size_t)(slash - sorted.v[i]));
		if (dirs.n == 0 || strcmp(dirs.v[dirs.n - 1], dir) != 0)
			strlist_add(&dirs, dir);
		free(dir);
	}
	for (i = 0; i < dirs.n; i++) {
		if (!fs_relpath_is_safe(dirs.v[i]))
			continue;
		dir = fs_join(pooldir, dirs.v[i]);
		if ((d = opendir(dir)) == NULL) {
			free(dir);
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			len = strlen(de->d_name);
			if (de->d_name[0] == '.' || len <= 10 ||
			    strcmp(de->d_name + len - 10, ".buildinfo") != 0)
				continue;
			strlist_add(&found, de->d_name);
		}
		closedir(d);
		/* Last found first, as before. */
		for (k = found.n; k-- > 0;) {
			path = fs_join(dir, found.v[k]);
			if (!buildinfo_in_use(dir, dirs.v[i], path,
			    found.v[k], &sorted)) {
				rel = fs_join(dirs.v[i], found.v[k]);
				strlist_add(gone, rel);
				free(rel);
			}
			free(path);
		}
		strlist_free(&found);
		free(dir);
	}
	strlist_free(&found);
	strlist_free(&dirs);
	strlist_free(&sorted);
}

int
publish_gc_report(struct db *db, const struct config *cfg, int dry_run,
    publish_gc_cb cb, void *arg, int *nsnap, int *nfiles,
    struct dp_error *err)
{
	struct strlist	 published = STRLIST_INIT, keep = STRLIST_INIT,
			 drop = STRLIST_INIT, hist = STRLIST_INIT,
			 envs = STRLIST_INIT, poolfiles = STRLIST_INIT,
			 refs = STRLIST_INIT;
	struct pset	 set;
	int64_t		*kpk = NULL, *ksr = NULL;
	size_t		 nkpk = 0, nksr = 0, i, j;
	char		*snapdir = NULL, *pooldir = NULL, *storeroot = NULL,
			*cachedir = NULL, *p, *slash, *tmp;
	int		 lockfd, rc, rv = -1, in_tx = 0, nidx = 0;

	memset(&set, 0, sizeof(set));
	if (nsnap != NULL)
		*nsnap = 0;
	if (nfiles != NULL)
		*nfiles = 0;
	if ((lockfd = publish_lock(cfg, err)) == -1)
		return -1;
	snapdir = fs_join(cfg->public_dir, "snapshots");
	pooldir = config_pool_dir(cfg);
	storeroot = fs_join(cfg->public_dir, "by-hash");
	cachedir = fs_join(cfg->state_dir, "index-cache");

	if (db_begin(db, err) == -1)
		goto out;
	in_tx = 1;

	/* Which snapshots stay. */
	if (db_snapshot_list_published(db, &published, err) == -1 ||
	    db_snapshot_pinned(db, ENV_KEEP_HISTORY, &envs, &hist, err) == -1)
		goto out;
	for (i = 0; i < published.n; i++) {
		if ((int)i < (cfg->keep_snapshots > 0 ? cfg->keep_snapshots :
		    1) || strlist_find(&envs, published.v[i]) ||
		    strlist_find(&hist, published.v[i]))
			strlist_add(&keep, published.v[i]);
		else
			strlist_add(&drop, published.v[i]);
	}

	/* Which packages and sources stay: the current set and every kept
	 * snapshot's. */
	if (pset_compute(db, cfg, NULL, &set, err) == -1)
		goto out;
	kpk = xcalloc(set.npkgs + 1, sizeof(*kpk));
	memcpy(kpk, set.pkgs, set.npkgs * sizeof(*kpk));
	nkpk = set.npkgs;
	ksr = xcalloc(set.nsrcs + 1, sizeof(*ksr));
	memcpy(ksr, set.srcs, set.nsrcs * sizeof(*ksr));
	nksr = set.nsrcs;
	for (i = 0; i < keep.n; i++)
		if (add_blob_ids(db, keep.v[i], &kpk, &nkpk, &ksr, &nksr,
		    err) == -1)
			goto out;
	qsort(kpk, nkpk, sizeof(*kpk), i64_cmp);
	qsort(ksr, nksr, sizeof(*ksr), i64_cmp);

	if (gc_rows(db, cfg, 0, kpk, nkpk, cb, arg, err) == -1 ||
	    gc_rows(db, cfg, 1, ksr, nksr, cb, arg, err) == -1)
		goto out;

	/* Pool files nothing refers to any more. */
	if (db_pkg_files_unused(db, &poolfiles, err) == -1)
		goto out;
	gc_buildinfos(pooldir, &poolfiles);
	if (db_pkg_files_unused_delete(db, err) == -1)
		goto out;
	for (i = 0; i < drop.n; i++) {
		if (db_snapshot_set_deleted(db, drop.v[i], err) == -1)
			goto out;
		if (cb != NULL)
			cb("snapshot", drop.v[i], arg);
	}
	for (i = 0; i < poolfiles.n; i++)
		if (cb != NULL)
			cb("file", poolfiles.v[i], arg);
	if (dry_run)
		db_rollback(db);
	else if (db_commit(db, err) == -1)
		goto out;
	in_tx = 0;

	if (!dry_run) {
		/* The database no longer knows them: now the disk.  Each
		 * goes out of sight in one rename (a crash leaves a .tmp-
		 * that recovery removes), never half-deleted under its ID. */
		for (i = 0; i < drop.n; i++) {
			p = fs_join(snapdir, drop.v[i]);
			tmp = xasprintf("%s/.tmp-gc-%s", snapdir, drop.v[i]);
			if (rename(p, tmp) == -1 && errno != ENOENT) {
				dp_error_errno(err, "rename %s", p);
				free(p);
				free(tmp);
				goto out;
			}
			rc = fs_remove_tree(tmp, err);
			free(p);
			free(tmp);
			if (rc == -1)
				goto out;
		}
		if (drop.n > 0)
			fs_fsync_dir(snapdir, NULL);
		for (i = 0; i < poolfiles.n; i++) {
			if (!fs_relpath_is_safe(poolfiles.v[i]))
				continue;
			p = fs_join(pooldir, poolfiles.v[i]);
			unlink(p);
			/* Empty source and prefix directories go too. */
			for (j = 0; j < 2; j++) {
				if ((slash = strrchr(p, '/')) == NULL)
					break;
				*slash = '\0';
				if (rmdir(p) == -1)
					break;
			}
			free(p);
		}
	}

	/* The by-hash store keeps what the kept snapshots list. */
	for (i = 0; i < keep.n; i++)
		referenced_add(snapdir, keep.v[i], &refs);
	strlist_sort(&refs);
	store_sweep(storeroot, "", &refs, dry_run, cb, arg, &nidx);
	if (!dry_run)
		cache_sweep(cachedir, storeroot);

	if (nsnap != NULL)
		*nsnap = (int)drop.n;
	if (nfiles != NULL)
		*nfiles = (int)poolfiles.n;
	rv = 0;
out:
	if (in_tx)
		db_rollback(db);
	pset_done(&set);
	free(kpk);
	free(ksr);
	strlist_free(&published);
	strlist_free(&keep);
	strlist_free(&drop);
	strlist_free(&hist);
	strlist_free(&envs);
	strlist_free(&poolfiles);
	strlist_free(&refs);
	free(snapdir);
	free(pooldir);
	free(storeroot);
	free(cachedir);
	close(lockfd);
	return rv;
}

int
publish_gc(struct db *db, const struct config *cfg, int dry_run,
    int *nsnap, int *nfiles, struct dp_error *err)
{
	return publish_gc_report(db, cfg, dry_run, NULL, NULL, nsnap, nfiles,
	    err);
}

