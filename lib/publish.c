/*
 * publish.c - take a snapshot of the current package set and publish it
 * as a signed apt repository (see publish.h for the public tree).
 *
 * Index files live once, content-addressed, in a shared store per index
 * directory: Public-Dir/by-hash/<dist>/<comp>/<binary-arch|source>/
 * {SHA256,MD5Sum}/<hex>.  A snapshot's named files (Packages.xz ...) are
 * hard links into that store and its by-hash/ directories are relative
 * symlinks to it, so every snapshot (and every environment that moved)
 * keeps serving the index files of older snapshots by hash.
 *
 * An index whose member set was published before is not generated again:
 * State-Dir/index-cache/<key> (key = sha256 of kind, place and member ids)
 * names its files in the store, which are linked instead.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compress.h"
#include "fsutil.h"
#include "hash.h"
#include "index.h"
#include "publish.h"
#include "publish-int.h"
#include "sign.h"
#include "version.h"
#include "xmalloc.h"

#define WRITE_CHUNK	(1024 * 1024)

/*
 * Building one snapshot.
 */

/* One published index file (Packages.xz ...). */
struct pfile {
	char			*relpath;	/* relative to dists/<dist>/ */
	size_t			 dist;
	char			*snap_path;	/* name in the snapshot tree */
	char			*store;		/* the store directory */
	char			*tmp;		/* being written in the store, or
						   NULL when taken from it */
	int			 remove_tmp;	/* not published (Contents) */
	struct compress_job	*job;		/* compressing into tmp */
	struct hash_sums	 sums;
	size_t			 group;		/* cache entry it belongs to */
};

/* The files of one index (Packages + .gz + .xz) and its cache key. */
struct pgroup {
	char	*key;
	int	 from_cache;
};

struct build {
	const struct config	*cfg;
	struct db		*db;
	struct pset		*set;
	char			*id;
	char			*tmpdir;	/* snapshots/.tmp-<ID> */
	char			*cachedir;	/* State-Dir/index-cache */
	char			*storeroot;	/* Public-Dir/by-hash */
	struct compress_runner	*runner;
	struct pfile		*files;
	size_t			 nfiles;
	size_t			 capfiles;
	struct pgroup		*groups;
	size_t			 ngroups;
	unsigned int		 seq;
	struct compress_feed	**feeds;	/* freed after the runner */
	size_t			 nfeeds;
	sqlite3_stmt		*st_pkg;
	sqlite3_stmt		*st_contents;
	sqlite3_stmt		*st_src;
	int			 reused;	/* indexes taken from the cache */
	int			 generated;
};

static size_t
build_file_add(struct build *b, size_t dist, const char *relpath,
    const char *store, size_t group)
{
	struct pfile	*f;
	const char	*dname = b->cfg->dists[dist].name;
	char		*rel;

	if (b->nfiles == b->capfiles) {
		b->capfiles = b->capfiles == 0 ? 32 : b->capfiles * 2;
		b->files = xreallocarray(b->files, b->capfiles,
		    sizeof(*b->files));
	}
	f = &b->files[b->nfiles];
	memset(f, 0, sizeof(*f));
	f->relpath = xstrdup(relpath);
	f->dist = dist;
	rel = xasprintf("dists/%s/%s", dname, relpath);
	f->snap_path = fs_join(b->tmpdir, rel);
	free(rel);
	f->store = xstrdup(store);
	f->group = group;
	return b->nfiles++;
}

/* The store for an index directory and the snapshot's by-hash symlink to
 * it.  sub is "main/binary-amd64", "main/source" or "main". */
static char *
build_store(struct build *b, size_t dist, const char *sub,
    struct dp_error *err)
{
	const char	*dname = b->cfg->dists[dist].name;
	char		*store, *snapdir = NULL, *link = NULL, *target = NULL,
			*s256 = NULL, *m5 = NULL, *p;
	const char	*q;
	struct buf	 up;
	int		 ok = 0;

	store = xasprintf("%s/%s/%s", b->storeroot, dname, sub);
	s256 = fs_join(store, "SHA256");
	m5 = fs_join(store, "MD5Sum");
	if (fs_mkdirs(s256, 0755, err) == -1 ||
	    fs_mkdirs(m5, 0755, err) == -1)
		goto out;
	p = xasprintf("dists/%s/%s", dname, sub);
	snapdir = fs_join(b->tmpdir, p);
	free(p);
	if (fs_mkdirs(snapdir, 0755, err) == -1)
		goto out;
	/* From snapshots/<ID>/dists/<dist>/<sub>/ up to Public-Dir. */
	buf_init(&up);
	buf_adds(&up, "../../../../");
	for (q = sub; *q != '\0'; q++)
		if (*q == '/')
			buf_adds(&up, "../");
	buf_printf(&up, "../by-hash/%s/%s", dname, sub);
	target = buf_steal(&up);
	link = fs_join(snapdir, "by-hash");
	if (symlink(target, link) == -1 && errno != EEXIST) {
		dp_error_errno(err, "symlink %s", link);
		goto out;
	}
	ok = 1;
out:
	free(snapdir);
	free(link);
	free(target);
	free(s256);
	free(m5);
	if (!ok) {
		free(store);
		store = NULL;
	}
	return store;
}

/* Cache key for an index of kind with these members. */
static char *
cache_key(const char *kind, const char *dist, const char *sub,
    const int64_t *ids, size_t n)
{
	struct pdigest	h;
	char		hex[65];

	pdigest_init(&h);
	pdigest_adds(&h, INDEX_FORMAT);
	pdigest_adds(&h, kind);
	pdigest_adds(&h, dist);
	pdigest_adds(&h, sub);
	pdigest_ids(&h, ids, n);
	pdigest_hex(&h, hex);
	return xstrdup(hex);
}

/*
 * Try the cache: each line "<basename> <size> <md5> <sha1> <sha256>
 * <store>" names a file that must still be in the store.  On a hit the
 * files are added (linked at the end) and 1 is returned.
 */
static int
build_from_cache(struct build *b, size_t dist, const char *reldir,
    const char *store, size_t group, const char **names, size_t nnames)
{
	char		*path, *data = NULL, *line, *save = NULL, *stpath;
	char		 bn[128], md5[33], sha1[41], sha256[65];
	unsigned long long size;
	struct hash_sums sums[4];
	struct stat	 sb;
	size_t		 len, i, found = 0, first;
	char		*rel;

	if (nnames > 4)
		return 0;
	path = fs_join(b->cachedir, b->groups[group].key);
	if (fs_read_file(path, 65536, &data, &len, NULL) == -1) {
		free(path);
		return 0;
	}
	free(path);
	for (line = strtok_r(data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%127s %llu %32s %40s %64s", bn, &size, md5,
		    sha1, sha256) != 5)
			goto miss;
		for (i = 0; i < nnames; i++)
			if (strcmp(bn, names[i]) == 0)
				break;
		if (i == nnames || !hash_hex_valid(sha256, 64) ||
		    !hash_hex_valid(md5, 32))
			goto miss;
		stpath = xasprintf("%s/SHA256/%s", store, sha256);
		if (stat(stpath, &sb) == -1 ||
		    (unsigned long long)sb.st_size != size) {
			free(stpath);
			goto miss;
		}
		free(stpath);
		sums[i].size = size;
		memcpy(sums[i].md5, md5, sizeof(md5));
		memcpy(sums[i].sha1, sha1, sizeof(sha1));
		memcpy(sums[i].sha256, sha256, sizeof(sha256));
		found |= (size_t)1 << i;
	}
	if (found != ((size_t)1 << nnames) - 1)
		goto miss;
	free(data);
	first = b->nfiles;
	for (i = 0; i < nnames; i++) {
		rel = xasprintf("%s/%s", reldir, names[i]);
		build_file_add(b, dist, rel, store, group);
		free(rel);
		b->files[first + i].sums = sums[i];
	}
	b->groups[group].from_cache = 1;
	b->reused++;
	return 1;
miss:
	free(data);
	return 0;
}

static size_t
build_group_add(struct build *b, char *key)
{
	b->groups = xreallocarray(b->groups, b->ngroups + 1,
	    sizeof(*b->groups));
	b->groups[b->ngroups].key = key;
	b->groups[b->ngroups].from_cache = 0;
	return b->ngroups++;
}

/* A streaming writer for the uncompressed index, hashing as it goes and
 * telling the compressors reading behind it (feed) how far it got. */
struct iwriter {
	int			 fd;
	const char		*path;
	struct hash_ctx		*hash;
	struct buf		 b;
	uint64_t		 total;
	struct compress_feed	*feed;
};

static int
iw_open(struct iwriter *w, const char *path, struct compress_feed *feed,
    struct dp_error *err)
{
	w->path = path;
	w->total = 0;
	w->feed = feed;
	w->hash = hash_new();
	buf_init(&w->b);
	if ((w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		dp_error_errno(err, "create %s", path);
		hash_free(w->hash);
		w->hash = NULL;
		return -1;
	}
	return 0;
}

static int
iw_flush(struct iwriter *w, struct dp_error *err)
{
	if (w->b.len == 0)
		return 0;
	hash_update(w->hash, w->b.data, w->b.len);
	if (hash_write_all(w->fd, w->path, w->b.data, w->b.len, err) == -1)
		return -1;
	w->total += w->b.len;
	if (w->feed != NULL)
		compress_feed_update(w->feed, w->total, 0);
	buf_reset(&w->b);
	return 0;
}

static int
iw_maybe_flush(struct iwriter *w, struct dp_error *err)
{
	return w->b.len >= WRITE_CHUNK ? iw_flush(w, err) : 0;
}

static int
iw_close(struct iwriter *w, struct hash_sums *sums, struct dp_error *err)
{
	int	rv = -1;

	if (w->fd == -1)
		goto out;
	if (iw_flush(w, err) == -1)
		goto out;
	if (sums != NULL)
		hash_final(w->hash, sums);
	rv = sums != NULL ? 0 : -1;
out:
	if (w->fd != -1 && close(w->fd) == -1 && rv == 0) {
		dp_error_errno(err, "close %s", w->path);
		rv = -1;
	}
	if (w->feed != NULL)
		compress_feed_update(w->feed, w->total, rv == 0 ? 1 : -1);
	w->feed = NULL;
	w->fd = -1;
	hash_free(w->hash);
	w->hash = NULL;
	buf_done(&w->b);
	return rv;
}

static char *
build_tmpname(struct build *b, const char *store, const char *name)
{
	return xasprintf("%s/.tmp-%d-%u-%s", store, (int)getpid(), b->seq++,
	    name);
}

/* A feed for a plain file that compressors read while it is written. */
static struct compress_feed *
build_feed(struct build *b)
{
	struct compress_feed	*f = xcalloc(1, sizeof(*f));

	compress_feed_init(f);
	b->feeds = xreallocarray(b->feeds, b->nfeeds + 1, sizeof(*b->feeds));
	b->feeds[b->nfeeds++] = f;
	return f;
}

/* Queue compression of the plain file at index plain into the group
 * (feed: while it is being written). */
static void
build_compress(struct build *b, size_t plain, const char *relbase,
    enum compress_kind kind, uint64_t size_hint, struct compress_feed *feed)
{
	struct pfile		*pf = &b->files[plain];
	struct compress_job	*job;
	char			*rel, *base;
	size_t			 k;

	rel = xasprintf("%s%s", relbase, compress_suffix(kind));
	k = build_file_add(b, pf->dist, rel, pf->store, pf->group);
	free(rel);
	pf = &b->files[plain];	/* files may have moved */
	base = strrchr(b->files[k].relpath, '/');
	b->files[k].tmp = build_tmpname(b, pf->store, base != NULL ?
	    base + 1 : b->files[k].relpath);
	job = xcalloc(1, sizeof(*job));
	job->kind = kind;
	job->src = pf->tmp;
	job->dst = b->files[k].tmp;
	job->size_hint = size_hint;
	job->feed = feed;
	job->no_fsync = 1;	/* one syncfs for everything */
	b->files[k].job = job;
	compress_runner_add(b->runner, job);
}

/* Start generating the index sub/name (a new plain file in the store,
 * in group), compressed to .gz (and .xz) while it is written into w. */
static int
build_index_open(struct build *b, size_t di, const char *sub,
    const char *store, size_t group, const char *name, int xz,
    uint64_t size_hint, struct iwriter *w, size_t *plainp,
    struct dp_error *err)
{
	struct compress_feed	*feed;
	char			*rel;
	size_t			 plain;

	b->generated++;
	rel = xasprintf("%s/%s", sub, name);
	plain = build_file_add(b, di, rel, store, group);
	b->files[plain].tmp = build_tmpname(b, store, name);
	feed = build_feed(b);
	if (iw_open(w, b->files[plain].tmp, feed, err) == -1) {
		compress_feed_update(feed, 0, -1);
		free(rel);
		return -1;
	}
	build_compress(b, plain, rel, COMPRESS_GZIP, size_hint, feed);
	if (xz)
		build_compress(b, plain, rel, COMPRESS_XZ, size_hint, feed);
	free(rel);
	*plainp = plain;
	return 0;
}

/* Binary members of arch (with the "all" ones merged in), by name. */
static struct pmember *
merge_members(struct pindex *a, struct pindex *all, size_t *n)
{
	struct pmember	*m;
	size_t		 i = 0, j = 0, k = 0, na, nall;

	na = a != NULL ? a->n : 0;
	nall = all != NULL && all != a ? all->n : 0;
	m = xcalloc(na + nall + 1, sizeof(*m));
	while (i < na || j < nall) {
		if (j == nall || (i < na && pmember_cmp(&a->m[i],
		    &all->m[j]) <= 0))
			m[k++] = a->m[i++];
		else
			m[k++] = all->m[j++];
	}
	*n = k;
	return m;
}

static int
build_packages(struct build *b, size_t di, size_t ci, const char *arch,
    struct dp_error *err)
{
	const struct conf_dist	*d = &b->cfg->dists[di];
	const char		*comp = d->components[ci];
	const char		*names[] = { "Packages", "Packages.gz",
				    "Packages.xz" };
	struct pindex		*pa, *pall;
	struct pmember		*m = NULL;
	struct iwriter		 w;
	int64_t			*ids = NULL;
	char			*sub = NULL, *store = NULL;
	size_t			 n = 0, i, group, plain;
	sqlite3_stmt		*st = b->st_pkg;
	const char		*control, *path, *md5, *sha1, *sha256;
	int			 rc, rv = -1;

	w.fd = -1;
	w.feed = NULL;
	w.hash = NULL;
	buf_init(&w.b);
	pa = pset_find(b->set, di, ci, arch);
	pall = strcmp(arch, "all") == 0 ? NULL :
	    pset_find(b->set, di, ci, "all");
	m = merge_members(pa, pall, &n);
	ids = xcalloc(n + 1, sizeof(*ids));
	for (i = 0; i < n; i++)
		ids[i] = m[i].id;

	sub = xasprintf("%s/binary-%s", comp, arch);
	if ((store = build_store(b, di, sub, err)) == NULL)
		goto out;
	group = build_group_add(b, cache_key("Packages", d->name, sub, ids,
	    n));
	if (build_from_cache(b, di, sub, store, group, names, 3)) {
		rv = 0;
		goto out;
	}
	/* About 800 bytes a package. */
	if (build_index_open(b, di, sub, store, group, "Packages", 1,
	    (uint64_t)n * 800, &w, &plain, err) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, m[i].id);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW) {
			if (rc == SQLITE_DONE)
				dp_error_set(err, DP_ERR_DB, "package %" PRId64
				    " (%s %s) vanished from the database",
				    m[i].id, m[i].name, m[i].version);
			else
				dp_error_sqlite(err, db_handle(b->db),
				    "reading package %s", m[i].name);
			goto out;
		}
		control = (const char *)sqlite3_column_text(st, 0);
		path = (const char *)sqlite3_column_text(st, 1);
		md5 = (const char *)sqlite3_column_text(st, 3);
		sha1 = (const char *)sqlite3_column_text(st, 4);
		sha256 = (const char *)sqlite3_column_text(st, 5);
		if (control == NULL || path == NULL || md5 == NULL ||
		    sha1 == NULL || sha256 == NULL) {
			dp_error_set(err, DP_ERR_DB, "package %s %s: "
			    "incomplete database row", m[i].name,
			    m[i].version);
			goto out;
		}
		index_packages_para(&w.b, control, path,
		    (uint64_t)sqlite3_column_int64(st, 2), md5, sha1, sha256);
		if (iw_maybe_flush(&w, err) == -1)
			goto out;
	}
	sqlite3_reset(st);
	if (iw_close(&w, &b->files[plain].sums, err) == -1)
		goto out;
	rv = 0;
out:
	if (w.fd != -1)
		iw_close(&w, NULL, NULL);
	sqlite3_reset(st);
	free(m);
	free(ids);
	free(sub);
	free(store);
	return rv;
}

static int
build_sources(struct build *b, size_t di, size_t ci, struct dp_error *err)
{
	const struct conf_dist	*d = &b->cfg->dists[di];
	const char		*comp = d->components[ci];
	const char		*names[] = { "Sources", "Sources.gz",
				    "Sources.xz" };
	struct pindex		*ps;
	struct iwriter		 w;
	int64_t			*ids = NULL;
	char			*sub = NULL, *store = NULL;
	size_t			 i, group, plain;
	sqlite3_stmt		*st = b->st_src;
	const char		*control;
	int			 rc, rv = -1;

	w.fd = -1;
	w.feed = NULL;
	w.hash = NULL;
	buf_init(&w.b);
	ps = pset_find(b->set, di, ci, NULL);
	ids = xcalloc(ps->n + 1, sizeof(*ids));
	for (i = 0; i < ps->n; i++)
		ids[i] = ps->m[i].id;
	sub = xasprintf("%s/source", comp);
	if ((store = build_store(b, di, sub, err)) == NULL)
		goto out;
	group = build_group_add(b, cache_key("Sources", d->name, sub, ids,
	    ps->n));
	if (build_from_cache(b, di, sub, store, group, names, 3)) {
		rv = 0;
		goto out;
	}
	if (build_index_open(b, di, sub, store, group, "Sources", 1,
	    (uint64_t)ps->n * 1500, &w, &plain, err) == -1)
		goto out;
	for (i = 0; i < ps->n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, ps->m[i].id);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW ||
		    (control = (const char *)sqlite3_column_text(st, 0)) ==
		    NULL) {
			if (rc == SQLITE_ROW || rc == SQLITE_DONE)
				dp_error_set(err, DP_ERR_DB, "source %s %s "
				    "vanished from the database",
				    ps->m[i].name, ps->m[i].version);
			else
				dp_error_sqlite(err, db_handle(b->db),
				    "reading source %s", ps->m[i].name);
			goto out;
		}
		index_sources_para(&w.b, control);
		if (iw_maybe_flush(&w, err) == -1)
			goto out;
	}
	if (iw_close(&w, &b->files[plain].sums, err) == -1)
		goto out;
	rv = 0;
out:
	if (w.fd != -1)
		iw_close(&w, NULL, NULL);
	sqlite3_reset(st);
	free(ids);
	free(sub);
	free(store);
	return rv;
}

struct contents_flusher {
	struct iwriter		*w;
	struct dp_error		*err;
};

/* index_contents_write_to's flush: out is the writer's own buffer. */
static int
contents_flush(void *arg, struct buf *out)
{
	struct contents_flusher	*fl = arg;

	(void)out;
	return iw_flush(fl->w, fl->err);
}

/* Contents-<arch>.gz in the component directory (only the .gz is
 * published, as in Debian). */
static int
build_contents(struct build *b, size_t di, size_t ci, const char *arch,
    struct dp_error *err)
{
	const struct conf_dist	*d = &b->cfg->dists[di];
	const char		*comp = d->components[ci];
	struct index_contents	*ic = NULL;
	struct pindex		*pa, *pall;
	struct pmember		*m = NULL;
	struct iwriter		 w;
	struct contents_flusher	 fl;
	int64_t			*ids = NULL;
	char			*store = NULL, *name = NULL, *plainname,
				*section, *qual, *names[1];
	const char		*control, *list, *spill;
	size_t			 n = 0, i, group, plain;
	sqlite3_stmt		*st = b->st_contents;
	int			 rc, rv = -1;

	w.fd = -1;
	w.feed = NULL;
	w.hash = NULL;
	buf_init(&w.b);
	pa = pset_find(b->set, di, ci, arch);
	pall = strcmp(arch, "all") == 0 ? NULL :
	    pset_find(b->set, di, ci, "all");
	m = merge_members(pa, pall, &n);
	ids = xcalloc(n + 1, sizeof(*ids));
	for (i = 0; i < n; i++)
		ids[i] = m[i].id;
	if ((store = build_store(b, di, comp, err)) == NULL)
		goto out;
	name = xasprintf("Contents-%s.gz", arch);
	names[0] = name;
	group = build_group_add(b, cache_key("Contents", d->name, comp, ids,
	    n));
	if (build_from_cache(b, di, comp, store, group,
	    (const char **)names, 1)) {
		rv = 0;
		goto out;
	}
	ic = index_contents_new();
	/* Tests force the on-disk sort with a small number. */
	if ((spill = getenv("DEBPIPE_CONTENTS_SPILL")) != NULL)
		index_contents_spill_at(ic, (size_t)strtoul(spill, NULL, 10));
	for (i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, m[i].id);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW) {
			dp_error_sqlite(err, db_handle(b->db),
			    "reading contents of %s", m[i].name);
			goto out;
		}
		control = (const char *)sqlite3_column_text(st, 0);
		list = sqlite3_column_blob(st, 1);
		if (control == NULL || list == NULL)
			continue;
		section = index_para_field(control, "Section");
		qual = xasprintf("%s/%s", section != NULL ? section : "misc",
		    m[i].name);
		rc = index_contents_add(ic, qual, list,
		    (size_t)sqlite3_column_bytes(st, 1));
		free(section);
		free(qual);
		if (rc == -1) {
			dp_error_set(err, DP_ERR_DB, "%s",
			    index_contents_error(ic));
			goto out;
		}
	}
	sqlite3_reset(st);

	/* The plain text is only the compressor's input (not published):
	 * written a mebibyte at a time, gzip reading behind, so that the
	 * file never has to fit in memory. */
	plainname = xasprintf("Contents-%s", arch);
	rc = build_index_open(b, di, comp, store, group, plainname, 0,
	    (uint64_t)n * 200, &w, &plain, err);
	free(plainname);
	if (rc == -1)
		goto out;
	b->files[plain].remove_tmp = 1;
	fl.w = &w;
	fl.err = err;
	if (index_contents_write_to(ic, &w.b, contents_flush, &fl) == -1) {
		/* A failed write set err; a failed sort did not. */
		if (*index_contents_error(ic) != '\0')
			dp_error_set(err, DP_ERR_DB, "%s",
			    index_contents_error(ic));
		goto out;
	}
	index_contents_free(ic);
	ic = NULL;
	if (iw_close(&w, &b->files[plain].sums, err) == -1)
		goto out;
	rv = 0;
out:
	if (w.fd != -1)
		iw_close(&w, NULL, NULL);
	sqlite3_reset(st);
	index_contents_free(ic);
	free(m);
	free(ids);
	free(store);
	free(name);
	return rv;
}

/*
 * Flush everything written to the file system holding path: one syncfs(2)
 * instead of an fsync per index file and directory (a snapshot writes
 * dozens of them, and each fsync waits for the disk).
 */
static int
sync_fs_of(const char *path, struct dp_error *err)
{
	int	fd, rv = 0;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		dp_error_errno(err, "open %s", path);
		return -1;
	}
	if (syncfs(fd) == -1) {
		dp_error_errno(err, "syncfs %s", path);
		rv = -1;
	}
	close(fd);
	return rv;
}

/* Compression done: move every new file to its place in the store and
 * link it into the snapshot; write the cache entries. */
static int
build_finish_files(struct build *b, struct dp_error *err)
{
	struct pfile	*f;
	struct buf	 ent;
	char		*s256 = NULL, *m5 = NULL, *path, *bn;
	size_t		 i, g;
	int		 rv = -1;

	buf_init(&ent);
	/* The new files' data is durable before they get their names. */
	if (sync_fs_of(b->storeroot, err) == -1)
		goto out;
	for (i = 0; i < b->nfiles; i++) {
		f = &b->files[i];
		if (f->job != NULL)
			f->sums = f->job->sums;
		if (f->remove_tmp)
			continue;
		free(s256);
		free(m5);
		s256 = xasprintf("%s/SHA256/%s", f->store, f->sums.sha256);
		m5 = xasprintf("%s/MD5Sum/%s", f->store, f->sums.md5);
		if (f->tmp != NULL) {
			if (access(s256, F_OK) == 0) {
				/* Same content published before. */
				unlink(f->tmp);
			} else if (rename(f->tmp, s256) == -1) {
				dp_error_errno(err, "rename %s", f->tmp);
				goto out;
			}
			free(f->tmp);
			f->tmp = NULL;
		}
		if (link(s256, m5) == -1 && errno != EEXIST) {
			dp_error_errno(err, "link %s", m5);
			goto out;
		}
		if (fs_link_or_copy(s256, f->snap_path, err) == -1)
			goto out;
	}
	for (i = 0; i < b->nfiles; i++) {
		f = &b->files[i];
		if (f->remove_tmp && f->tmp != NULL) {
			unlink(f->tmp);
			free(f->tmp);
			f->tmp = NULL;
		}
	}
	/* Cache entries for what was generated. */
	for (g = 0; g < b->ngroups; g++) {
		if (b->groups[g].from_cache)
			continue;
		buf_reset(&ent);
		for (i = 0; i < b->nfiles; i++) {
			f = &b->files[i];
			if (f->group != g || f->remove_tmp)
				continue;
			bn = strrchr(f->relpath, '/');
			buf_printf(&ent, "%s %" PRIu64 " %s %s %s %s\n",
			    bn != NULL ? bn + 1 : f->relpath, f->sums.size,
			    f->sums.md5, f->sums.sha1, f->sums.sha256,
			    f->store + strlen(b->storeroot) + 1);
		}
		if (ent.len == 0)
			continue;
		path = fs_join(b->cachedir, b->groups[g].key);
		/* A lost cache entry only costs time: ignore failures. */
		fs_write_atomic(path, ent.data, ent.len, 0644, NULL);
		free(path);
	}
	rv = 0;
out:
	free(s256);
	free(m5);
	buf_done(&ent);
	return rv;
}

static int
write_file(const char *path, const void *data, size_t len,
    struct dp_error *err)
{
	int	fd, rv = -1;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		dp_error_errno(err, "create %s", path);
		return -1;
	}
	if (hash_write_all(fd, path, data, len, err) == -1)
		goto out;
	rv = 0;
out:
	if (close(fd) == -1 && rv == 0) {
		dp_error_errno(err, "close %s", path);
		rv = -1;
	}
	return rv;
}

static int
build_release(struct build *b, size_t di, const char *gnupg,
    const char *fpr, time_t now, struct dp_error *err)
{
	const struct conf_dist		*d = &b->cfg->dists[di];
	struct index_release		 rel;
	struct index_release_file	*rf;
	struct buf			 text, inrel, sig;
	char				*dir, *path = NULL, *snaps = NULL;
	size_t				 i, n = 0, k;
	int				 hasall = 0, rv = -1;

	buf_init(&text);
	buf_init(&inrel);
	buf_init(&sig);
	rf = xcalloc(b->nfiles + 1, sizeof(*rf));
	for (i = 0; i < b->nfiles; i++) {
		if (b->files[i].dist != di || b->files[i].remove_tmp)
			continue;
		rf[n].path = b->files[i].relpath;
		rf[n].size = b->files[i].sums.size;
		memcpy(rf[n].md5, b->files[i].sums.md5, sizeof(rf[n].md5));
		memcpy(rf[n].sha256, b->files[i].sums.sha256,
		    sizeof(rf[n].sha256));
		n++;
	}
	for (k = 0; d->archs[k] != NULL; k++)
		if (strcmp(d->archs[k], "all") == 0)
			hasall = 1;
	memset(&rel, 0, sizeof(rel));
	rel.origin = b->cfg->origin != NULL ? b->cfg->origin : "debpipe";
	rel.label = b->cfg->label != NULL ? b->cfg->label : rel.origin;
	rel.suite = d->suite != NULL ? d->suite : d->name;
	rel.codename = d->name;
	rel.description = d->description;
	if (b->cfg->public_url != NULL) {
		snaps = xasprintf("%s%ssnapshots/@SNAPSHOTID@",
		    b->cfg->public_url,
		    b->cfg->public_url[0] != '\0' &&
		    b->cfg->public_url[strlen(b->cfg->public_url) - 1] == '/' ?
		    "" : "/");
		rel.snapshots = snaps;
	}
	rel.date = now;
	rel.archs = d->archs;
	rel.components = d->components;
	rel.no_support_all = hasall && strv_len(d->archs) > 1;
	rel.files = rf;
	rel.nfiles = n;
	index_release_write(&rel, &text);

	if (sign_release(gnupg, fpr, text.data, text.len, &inrel, &sig,
	    err) == -1) {
		dp_error_prefix(err, "signing Release of %s", d->name);
		goto out;
	}
	path = xasprintf("dists/%s", d->name);
	dir = fs_join(b->tmpdir, path);
	free(path);
	path = fs_join(dir, "Release");
	if (write_file(path, text.data, text.len, err) == -1)
		goto out_dir;
	free(path);
	path = fs_join(dir, "Release.gpg");
	if (write_file(path, sig.data, sig.len, err) == -1)
		goto out_dir;
	free(path);
	path = fs_join(dir, "InRelease");
	if (write_file(path, inrel.data, inrel.len, err) == -1)
		goto out_dir;
	rv = 0;
out_dir:
	free(dir);
out:
	free(path);
	free(snaps);
	free(rf);
	buf_done(&text);
	buf_done(&inrel);
	buf_done(&sig);
	return rv;
}

static void
build_done(struct build *b)
{
	size_t	i;

	compress_runner_free(b->runner);
	for (i = 0; i < b->nfeeds; i++) {
		compress_feed_done(b->feeds[i]);
		free(b->feeds[i]);
	}
	free(b->feeds);
	for (i = 0; i < b->nfiles; i++) {
		if (b->files[i].tmp != NULL) {
			unlink(b->files[i].tmp);
			free(b->files[i].tmp);
		}
		free(b->files[i].relpath);
		free(b->files[i].snap_path);
		free(b->files[i].store);
		free(b->files[i].job);
	}
	free(b->files);
	for (i = 0; i < b->ngroups; i++)
		free(b->groups[i].key);
	free(b->groups);
	free(b->tmpdir);
	free(b->cachedir);
	free(b->storeroot);
	sqlite3_finalize(b->st_pkg);
	sqlite3_finalize(b->st_contents);
	sqlite3_finalize(b->st_src);
}

/* Newest published snapshot: id and digest (caller frees; NULL if none). */
static int
newest_snapshot(struct db *db, char **id, char **digest,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, rv = -1;

	*id = NULL;
	if (digest != NULL)
		*digest = NULL;
	if (db_prepare(db, "SELECT id, digest FROM snapshots WHERE state = "
	    "'published' ORDER BY id DESC LIMIT 1", &st, err) == -1)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = xstrdup((const char *)sqlite3_column_text(st, 0));
		if (digest != NULL)
			*digest = xstrdup((const char *)
			    sqlite3_column_text(st, 1));
	} else if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "reading snapshots");
		goto out;
	}
	rv = 0;
out:
	sqlite3_finalize(st);
	return rv;
}

static int
id_taken(struct db *db, const char *snapdir, const char *id)
{
	sqlite3_stmt	*st = NULL;
	char		*p;
	int		 taken = 0;

	p = fs_join(snapdir, id);
	if (access(p, F_OK) == 0)
		taken = 1;
	free(p);
	if (!taken && db_prepare(db, "SELECT 1 FROM snapshots WHERE id = ?",
	    &st, NULL) == 0) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			taken = 1;
		sqlite3_finalize(st);
	}
	return taken;
}

/* The ID: the current UTC second, later than the newest one and free. */
static char *
choose_id(struct db *db, const char *snapdir, const char *newest)
{
	char		id[32];
	time_t		t = time(NULL), now;
	struct tm	tm;

	for (;;) {
		gmtime_r(&t, &tm);
		strftime(id, sizeof(id), "%Y%m%dT%H%M%SZ", &tm);
		if ((newest == NULL || strcmp(id, newest) > 0) &&
		    !id_taken(db, snapdir, id))
			break;
		t++;
	}
	/* Do not publish from the future: wait for a bumped second (unless
	 * the clock went backwards by more than that). */
	now = time(NULL);
	if (t > now && t - now <= 2)
		sleep((unsigned int)(t - now));
	return xstrdup(id);
}

static int
record_snapshot(struct db *db, const char *id, const struct pset *set,
    struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	void		*pk, *sr;
	int		 rv = -1;

	pk = ids_encode(set->pkgs, set->npkgs);
	sr = ids_encode(set->srcs, set->nsrcs);
	if (db_begin(db, err) == -1)
		goto out;
	if (db_prepare(db, "INSERT INTO snapshots(id, created, packages, "
	    "sources, digest, state) VALUES (?, ?, ?, ?, ?, 'published')",
	    &st, err) == -1)
		goto fail;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, db_now(), -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 3, pk, (int)(set->npkgs * 8), SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, sr, (int)(set->nsrcs * 8), SQLITE_STATIC);
	sqlite3_bind_text(st, 5, set->digest, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "recording snapshot %s",
		    id);
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (db_commit(db, err) == -1)
		goto out;
	rv = 0;
	goto out;
fail:
	db_rollback(db);
out:
	sqlite3_finalize(st);
	free(pk);
	free(sr);
	return rv;
}

/* Public-Dir/debpipe-archive-keyring.gpg: the binary public key, written
 * when missing or different. */
static int
write_keyring(const struct config *cfg, const char *gnupg, const char *fpr,
    struct dp_error *err)
{
	struct buf	 key;
	char		*path, *old = NULL;
	size_t		 oldlen = 0;
	int		 rv = -1;

	buf_init(&key);
	path = fs_join(cfg->public_dir, "debpipe-archive-keyring.gpg");
	if (sign_key_export(gnupg, fpr, 0, &key, err) == -1)
		goto out;
	if (fs_read_file(path, 1 << 20, &old, &oldlen, NULL) == 0 &&
	    oldlen == key.len && memcmp(old, key.data, key.len) == 0) {
		rv = 0;
		goto out;
	}
	rv = fs_write_atomic(path, key.data, key.len, 0644, err);
out:
	free(old);
	free(path);
	buf_done(&key);
	return rv;
}

static int
prepare_stmts(struct build *b, struct dp_error *err)
{
	if (db_prepare(b->db, "SELECT p.control, f.path, f.size, f.md5, "
	    "f.sha1, f.sha256 FROM packages p JOIN files f ON f.id = "
	    "p.file_id WHERE p.id = ?", &b->st_pkg, err) == -1 ||
	    db_prepare(b->db, "SELECT control, contents FROM packages "
	    "WHERE id = ?", &b->st_contents, err) == -1 ||
	    db_prepare(b->db, "SELECT control FROM sources WHERE id = ?",
	    &b->st_src, err) == -1)
		return -1;
	return 0;
}

static int
build_tree(struct build *b, struct dp_error *err)
{
	const struct conf_dist	*d;
	size_t			 di, ci, k, nreal;
	char			*path;

	if (fs_mkdirs(b->tmpdir, 0755, err) == -1)
		return -1;
	path = fs_join(b->tmpdir, "pool");
	if (symlink("../../pool", path) == -1) {
		dp_error_errno(err, "symlink %s", path);
		free(path);
		return -1;
	}
	free(path);
	for (di = 0; di < b->cfg->ndists; di++) {
		d = &b->cfg->dists[di];
		path = xasprintf("%s/dists/%s", b->tmpdir, d->name);
		if (fs_mkdirs(path, 0755, err) == -1) {
			free(path);
			return -1;
		}
		free(path);
		nreal = 0;
		for (k = 0; d->archs[k] != NULL; k++)
			if (strcmp(d->archs[k], "all") != 0)
				nreal++;
		for (ci = 0; d->components[ci] != NULL; ci++) {
			for (k = 0; d->archs[k] != NULL; k++) {
				if (build_packages(b, di, ci, d->archs[k],
				    err) == -1)
					return -1;
				if (!d->contents || (nreal > 0 &&
				    strcmp(d->archs[k], "all") == 0))
					continue;
				if (build_contents(b, di, ci, d->archs[k],
				    err) == -1)
					return -1;
			}
			if (build_sources(b, di, ci, err) == -1)
				return -1;
		}
	}
	return 0;
}

/* The first configured Distribution without a single binary or source
 * package in the set, or cfg->ndists. */
static size_t
empty_dist(const struct config *cfg, const struct pset *set)
{
	size_t	di, i;
	int	any;

	for (di = 0; di < cfg->ndists; di++) {
		any = 0;
		for (i = 0; i < set->nbin && !any; i++)
			any = set->bin[i].dist == di && set->bin[i].n > 0;
		for (i = 0; i < set->nsrc && !any; i++)
			any = set->src[i].dist == di && set->src[i].n > 0;
		if (!any)
			return di;
	}
	return cfg->ndists;
}

int
publish_snapshot(struct db *db, const struct config *cfg, int flags,
    char **idp, struct dp_error *err)
{
	struct build	 b;
	struct pset	 set;
	char		*gnupg = NULL, *fpr = NULL, *newest = NULL,
			*digest = NULL, *snapdir = NULL, *final = NULL,
			*target = NULL, *latest = NULL;
	size_t		 i;
	int		 lockfd = -1, rv = PUBLISH_ERROR, reading = 0;
	time_t		 now;

	memset(&b, 0, sizeof(b));
	memset(&set, 0, sizeof(set));
	if (idp != NULL)
		*idp = NULL;
	if ((lockfd = publish_lock(cfg, err)) == -1)
		goto out;
	gnupg = config_gnupg_dir(cfg);
	if (sign_key_find(gnupg, cfg->sign_with, &fpr, err) == -1) {
		dp_error_prefix(err, "no key to sign snapshots with (run "
		    "`debpipe key init` or fix Sign-With:)");
		goto out;
	}
	if (write_keyring(cfg, gnupg, fpr, err) == -1)
		goto out;

	/* One read transaction: the set and the rows it names agree. */
	if (db_exec(db, "BEGIN", err) == -1)
		goto out;
	reading = 1;
	if (pset_compute(db, cfg, fpr, &set, err) == -1)
		goto out;
	if (newest_snapshot(db, &newest, &digest, err) == -1)
		goto out;
	if (!(flags & PUBLISH_FORCE) && digest != NULL &&
	    strcmp(digest, set.digest) == 0) {
		rv = PUBLISH_NOTHING;
		goto out;
	}
	if (!(flags & PUBLISH_ALLOW_EMPTY) && (i = empty_dist(cfg, &set)) <
	    cfg->ndists) {
		dp_error_set(err, DP_ERR_INVALID, "distribution %s has no "
		    "packages yet (nothing built, imported or added): no "
		    "snapshot taken; `debpipe snapshot now --allow-empty` "
		    "publishes one anyway", cfg->dists[i].name);
		rv = PUBLISH_EMPTY;
		goto out;
	}

	snapdir = fs_join(cfg->public_dir, "snapshots");
	if (fs_mkdirs(snapdir, 0755, err) == -1)
		goto out;
	b.cfg = cfg;
	b.db = db;
	b.set = &set;
	b.id = choose_id(db, snapdir, newest);
	b.tmpdir = xasprintf("%s/.tmp-%s", snapdir, b.id);
	b.cachedir = fs_join(cfg->state_dir, "index-cache");
	b.storeroot = fs_join(cfg->public_dir, "by-hash");
	if (fs_remove_tree(b.tmpdir, err) == -1 ||
	    fs_mkdirs(b.cachedir, 0750, err) == -1 ||
	    prepare_stmts(&b, err) == -1)
		goto out;
	b.runner = compress_runner_new(0);
	if (build_tree(&b, err) == -1) {
		compress_runner_wait(b.runner, NULL);
		goto out;
	}
	sqlite3_finalize(b.st_pkg);
	sqlite3_finalize(b.st_contents);
	sqlite3_finalize(b.st_src);
	b.st_pkg = b.st_contents = b.st_src = NULL;
	db_exec(db, "COMMIT", NULL);
	reading = 0;
	if (compress_runner_wait(b.runner, err) == -1 ||
	    build_finish_files(&b, err) == -1)
		goto out;

	now = time(NULL);
	for (i = 0; i < cfg->ndists; i++)
		if (build_release(&b, i, gnupg, fpr, now, err) == -1)
			goto out;
	/* Store names, snapshot tree, Release files: durable before the
	 * rename makes the snapshot visible. */
	if (sync_fs_of(b.storeroot, err) == -1 ||
	    sync_fs_of(b.tmpdir, err) == -1)
		goto out;

	/* Into place: from here on the snapshot is complete on disk. */
	final = fs_join(snapdir, b.id);
	if (rename(b.tmpdir, final) == -1) {
		dp_error_errno(err, "rename %s to %s", b.tmpdir, final);
		goto out;
	}
	if (fs_fsync_dir(snapdir, err) == -1 ||
	    record_snapshot(db, b.id, &set, err) == -1) {
		/* Not recorded: not published. */
		fs_remove_tree(final, NULL);
		goto out;
	}
	target = xasprintf("snapshots/%s", b.id);
	latest = fs_join(cfg->public_dir, "latest");
	if (fs_symlink_atomic(target, latest, err) == -1)
		goto out;
	if (idp != NULL) {
		*idp = b.id;
		b.id = NULL;
	}
	rv = PUBLISH_DONE;
out:
	if (reading)
		db_rollback(db);
	if (b.tmpdir != NULL && rv != PUBLISH_DONE)
		fs_remove_tree(b.tmpdir, NULL);
	build_done(&b);
	free(b.id);
	pset_done(&set);
	free(gnupg);
	free(fpr);
	free(newest);
	free(digest);
	free(snapdir);
	free(final);
	free(target);
	free(latest);
	if (lockfd != -1)
		close(lockfd);
	return rv;
}
