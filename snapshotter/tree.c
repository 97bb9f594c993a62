/*
 * tree.c - stage one snapshot's tree: the Packages, Sources and Contents
 * index files of every distribution, component and architecture, written
 * into the by-hash store and linked into snapshots/.tmp-<ID>.
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
#include <unistd.h>

#include "compress.h"
#include "db-packages.h"
#include "fsutil.h"
#include "hash.h"
#include "index.h"
#include "publish-int.h"
#include "xmalloc.h"

#define WRITE_CHUNK	(1024 * 1024)

static size_t
tree_file_add(struct tree *t, size_t dist, const char *relpath,
    const char *store, size_t group)
{
	struct pfile	*f;
	const char	*dname = t->cfg->dists[dist].name;
	char		*rel;

	if (t->nfiles == t->capfiles) {
		t->capfiles = t->capfiles == 0 ? 32 : t->capfiles * 2;
		t->files = xreallocarray(t->files, t->capfiles,
		    sizeof(*t->files));
	}
	f = &t->files[t->nfiles];
	memset(f, 0, sizeof(*f));
	f->relpath = xstrdup(relpath);
	f->dist = dist;
	rel = xasprintf("dists/%s/%s", dname, relpath);
	f->snap_path = fs_join(t->tmpdir, rel);
	free(rel);
	f->store = xstrdup(store);
	f->group = group;
	return t->nfiles++;
}

/* The store for an index directory and the snapshot's by-hash symlink to
 * it.  sub is "main/binary-amd64", "main/source" or "main". */
static char *
tree_store(struct tree *t, size_t dist, const char *sub,
    struct dp_error *err)
{
	const char	*dname = t->cfg->dists[dist].name;
	char		*store, *snapdir = NULL, *link = NULL, *target = NULL,
			*s256 = NULL, *m5 = NULL, *p;
	const char	*q;
	struct buf	 up;
	int		 ok = 0;

	store = xasprintf("%s/%s/%s", t->storeroot, dname, sub);
	s256 = fs_join(store, "SHA256");
	m5 = fs_join(store, "MD5Sum");
	if (fs_mkdirs(s256, 0755, err) == -1 ||
	    fs_mkdirs(m5, 0755, err) == -1)
		goto out;
	p = xasprintf("dists/%s/%s", dname, sub);
	snapdir = fs_join(t->tmpdir, p);
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
tree_from_cache(struct tree *t, size_t dist, const char *reldir,
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
	path = fs_join(t->cachedir, t->groups[group].key);
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
	first = t->nfiles;
	for (i = 0; i < nnames; i++) {
		rel = xasprintf("%s/%s", reldir, names[i]);
		tree_file_add(t, dist, rel, store, group);
		free(rel);
		t->files[first + i].sums = sums[i];
	}
	t->groups[group].from_cache = 1;
	t->reused++;
	return 1;
miss:
	free(data);
	return 0;
}

static size_t
tree_group_add(struct tree *t, char *key)
{
	t->groups = xreallocarray(t->groups, t->ngroups + 1,
	    sizeof(*t->groups));
	t->groups[t->ngroups].key = key;
	t->groups[t->ngroups].from_cache = 0;
	return t->ngroups++;
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

/* Not open yet: iw_close(w, NULL, NULL) is then a no-op. */
static void
iw_init(struct iwriter *w)
{
	w->fd = -1;
	w->feed = NULL;
	w->hash = NULL;
	buf_init(&w->b);
}

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
tree_tmpname(struct tree *t, const char *store, const char *name)
{
	return xasprintf("%s/.tmp-%d-%u-%s", store, (int)getpid(), t->seq++,
	    name);
}

/* A feed for a plain file that compressors read while it is written. */
static struct compress_feed *
tree_feed(struct tree *t)
{
	struct compress_feed	*f = xcalloc(1, sizeof(*f));

	compress_feed_init(f);
	t->feeds = xreallocarray(t->feeds, t->nfeeds + 1, sizeof(*t->feeds));
	t->feeds[t->nfeeds++] = f;
	return f;
}

/* Queue compression of the plain file at index plain into the group
 * (feed: while it is being written). */
static void
tree_compress(struct tree *t, size_t plain, const char *relbase,
    enum compress_kind kind, uint64_t size_hint, struct compress_feed *feed)
{
	struct pfile		*pf = &t->files[plain];
	struct compress_job	*job;
	char			*rel, *base;
	size_t			 k;

	rel = xasprintf("%s%s", relbase, compress_suffix(kind));
	k = tree_file_add(t, pf->dist, rel, pf->store, pf->group);
	free(rel);
	pf = &t->files[plain];	/* files may have moved */
	base = strrchr(t->files[k].relpath, '/');
	t->files[k].tmp = tree_tmpname(t, pf->store, base != NULL ?
	    base + 1 : t->files[k].relpath);
	job = xcalloc(1, sizeof(*job));
	job->kind = kind;
	job->src = pf->tmp;
	job->dst = t->files[k].tmp;
	job->size_hint = size_hint;
	job->feed = feed;
	job->no_fsync = 1;	/* one syncfs for everything */
	t->files[k].job = job;
	compress_runner_add(t->runner, job);
}

/* Start generating the index sub/name (a new plain file in the store,
 * in group), compressed to .gz (and .xz) while it is written into w. */
static int
tree_index_open(struct tree *t, size_t di, const char *sub,
    const char *store, size_t group, const char *name, int xz,
    uint64_t size_hint, struct iwriter *w, size_t *plainp,
    struct dp_error *err)
{
	struct compress_feed	*feed;
	char			*rel;
	size_t			 plain;

	t->generated++;
	rel = xasprintf("%s/%s", sub, name);
	plain = tree_file_add(t, di, rel, store, group);
	t->files[plain].tmp = tree_tmpname(t, store, name);
	feed = tree_feed(t);
	if (iw_open(w, t->files[plain].tmp, feed, err) == -1) {
		compress_feed_update(feed, 0, -1);
		free(rel);
		return -1;
	}
	tree_compress(t, plain, rel, COMPRESS_GZIP, size_hint, feed);
	if (xz)
		tree_compress(t, plain, rel, COMPRESS_XZ, size_hint, feed);
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

/* The binary members of (di, ci, arch) with the "all" ones merged in,
 * and their ids (caller frees both). */
static struct pmember *
arch_members(struct tree *t, size_t di, size_t ci, const char *arch,
    size_t *n, int64_t **ids)
{
	struct pindex	*pa, *pall;
	struct pmember	*m;
	size_t		 i;

	pa = pset_find(t->set, di, ci, arch);
	pall = strcmp(arch, "all") == 0 ? NULL :
	    pset_find(t->set, di, ci, "all");
	m = merge_members(pa, pall, n);
	*ids = xcalloc(*n + 1, sizeof(**ids));
	for (i = 0; i < *n; i++)
		(*ids)[i] = m[i].id;
	return m;
}

static int
tree_packages(struct tree *t, size_t di, size_t ci, const char *arch,
    struct dp_error *err)
{
	const struct conf_dist	*d = &t->cfg->dists[di];
	const char		*comp = d->components[ci];
	const char		*names[] = { "Packages", "Packages.gz",
				    "Packages.xz" };
	struct pmember		*m = NULL;
	struct iwriter		 w;
	int64_t			*ids = NULL;
	char			*sub = NULL, *store = NULL;
	size_t			 n = 0, i, group, plain;
	struct db_pkg_file	 f;
	const char		*control;
	int			 rc, rv = -1;

	iw_init(&w);
	m = arch_members(t, di, ci, arch, &n, &ids);

	sub = xasprintf("%s/binary-%s", comp, arch);
	if ((store = tree_store(t, di, sub, err)) == NULL)
		goto out;
	group = tree_group_add(t, cache_key("Packages", d->name, sub, ids,
	    n));
	if (tree_from_cache(t, di, sub, store, group, names, 3)) {
		rv = 0;
		goto out;
	}
	/* About 800 bytes a package. */
	if (tree_index_open(t, di, sub, store, group, "Packages", 1,
	    (uint64_t)n * 800, &w, &plain, err) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		rc = db_pkg_reader_index(t->rd, m[i].id, &control, &f, err);
		if (rc == -1)
			goto out;
		if (rc == 0) {
			dp_error_set(err, DP_ERR_DB, "package %" PRId64
			    " (%s %s) vanished from the database",
			    m[i].id, m[i].name, m[i].version);
			goto out;
		}
		if (control == NULL || f.path == NULL || f.md5 == NULL ||
		    f.sha1 == NULL || f.sha256 == NULL) {
			dp_error_set(err, DP_ERR_DB, "package %s %s: "
			    "incomplete database row", m[i].name,
			    m[i].version);
			goto out;
		}
		index_packages_para(&w.b, control, f.path, f.size, f.md5,
		    f.sha1, f.sha256);
		if (iw_maybe_flush(&w, err) == -1)
			goto out;
	}
	if (iw_close(&w, &t->files[plain].sums, err) == -1)
		goto out;
	rv = 0;
out:
	if (w.fd != -1)
		iw_close(&w, NULL, NULL);
	free(m);
	free(ids);
	free(sub);
	free(store);
	return rv;
}

static int
tree_sources(struct tree *t, size_t di, size_t ci, struct dp_error *err)
{
	const struct conf_dist	*d = &t->cfg->dists[di];
	const char		*comp = d->components[ci];
	const char		*names[] = { "Sources", "Sources.gz",
				    "Sources.xz" };
	struct pindex		*ps;
	struct iwriter		 w;
	int64_t			*ids = NULL;
	char			*sub = NULL, *store = NULL;
	size_t			 i, group, plain;
	const char		*control;
	int			 rc, rv = -1;

	iw_init(&w);
	ps = pset_find(t->set, di, ci, NULL);
	ids = xcalloc(ps->n + 1, sizeof(*ids));
	for (i = 0; i < ps->n; i++)
		ids[i] = ps->m[i].id;
	sub = xasprintf("%s/source", comp);
	if ((store = tree_store(t, di, sub, err)) == NULL)
		goto out;
	group = tree_group_add(t, cache_key("Sources", d->name, sub, ids,
	    ps->n));
	if (tree_from_cache(t, di, sub, store, group, names, 3)) {
		rv = 0;
		goto out;
	}
	if (tree_index_open(t, di, sub, store, group, "Sources", 1,
	    (uint64_t)ps->n * 1500, &w, &plain, err) == -1)
		goto out;
	for (i = 0; i < ps->n; i++) {
		rc = db_pkg_reader_source(t->rd, ps->m[i].id, &control,
		    err);
		if (rc == -1)
			goto out;
		if (rc == 0 || control == NULL) {
			dp_error_set(err, DP_ERR_DB, "source %s %s "
			    "vanished from the database",
			    ps->m[i].name, ps->m[i].version);
			goto out;
		}
		index_sources_para(&w.b, control);
		if (iw_maybe_flush(&w, err) == -1)
			goto out;
	}
	if (iw_close(&w, &t->files[plain].sums, err) == -1)
		goto out;
	rv = 0;
out:
	if (w.fd != -1)
		iw_close(&w, NULL, NULL);
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
tree_contents(struct tree *t, size_t di, size_t ci, const char *arch,
    struct dp_error *err)
{
	const struct conf_dist	*d = &t->cfg->dists[di];
	const char		*comp = d->components[ci];
	struct index_contents	*ic = NULL;
	struct pmember		*m = NULL;
	struct iwriter		 w;
	struct contents_flusher	 fl;
	int64_t			*ids = NULL;
	char			*store = NULL, *name = NULL, *plainname,
				*section, *qual, *names[1];
	const char		*control, *list, *spill;
	size_t			 n = 0, i, group, plain;
	const void		*listp;
	size_t			 len;
	int			 rc, rv = -1;

	iw_init(&w);
	m = arch_members(t, di, ci, arch, &n, &ids);
	if ((store = tree_store(t, di, comp, err)) == NULL)
		goto out;
	name = xasprintf("Contents-%s.gz", arch);
	names[0] = name;
	group = tree_group_add(t, cache_key("Contents", d->name, comp, ids,
	    n));
	if (tree_from_cache(t, di, comp, store, group,
	    (const char **)names, 1)) {
		rv = 0;
		goto out;
	}
	ic = index_contents_new();
	/* Tests force the on-disk sort with a small number. */
	if ((spill = getenv("DEBPIPE_CONTENTS_SPILL")) != NULL)
		index_contents_spill_at(ic, (size_t)strtoul(spill, NULL, 10));
	for (i = 0; i < n; i++) {
		rc = db_pkg_reader_contents(t->rd, m[i].id, &control, &listp,
		    &len, err);
		if (rc == -1)
			goto out;
		if (rc == 0) {
			dp_error_set(err, DP_ERR_DB, "reading contents of %s: "
			    "gone from the database", m[i].name);
			goto out;
		}
		list = listp;
		if (control == NULL || list == NULL)
			continue;
		section = index_para_field(control, "Section");
		qual = xasprintf("%s/%s", section != NULL ? section : "misc",
		    m[i].name);
		rc = index_contents_add(ic, qual, list, len);
		free(section);
		free(qual);
		if (rc == -1) {
			dp_error_set(err, DP_ERR_DB, "%s",
			    index_contents_error(ic));
			goto out;
		}
	}

	/* The plain text is only the compressor's input (not published):
	 * written a mebibyte at a time, gzip reading behind, so that the
	 * file never has to fit in memory. */
	plainname = xasprintf("Contents-%s", arch);
	rc = tree_index_open(t, di, comp, store, group, plainname, 0,
	    (uint64_t)n * 200, &w, &plain, err);
	free(plainname);
	if (rc == -1)
		goto out;
	t->files[plain].remove_tmp = 1;
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
	if (iw_close(&w, &t->files[plain].sums, err) == -1)
		goto out;
	rv = 0;
out:
	if (w.fd != -1)
		iw_close(&w, NULL, NULL);
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
int
tree_syncfs(const char *path, struct dp_error *err)
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
int
tree_finish_files(struct tree *t, struct dp_error *err)
{
	struct pfile	*f;
	struct buf	 ent;
	char		*s256 = NULL, *m5 = NULL, *path, *bn;
	size_t		 i, g;
	int		 rv = -1;

	buf_init(&ent);
	/* The new files' data is durable before they get their names. */
	if (tree_syncfs(t->storeroot, err) == -1)
		goto out;
	for (i = 0; i < t->nfiles; i++) {
		f = &t->files[i];
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
	for (i = 0; i < t->nfiles; i++) {
		f = &t->files[i];
		if (f->remove_tmp && f->tmp != NULL) {
			unlink(f->tmp);
			free(f->tmp);
			f->tmp = NULL;
		}
	}
	/* Cache entries for what was generated. */
	for (g = 0; g < t->ngroups; g++) {
		if (t->groups[g].from_cache)
			continue;
		buf_reset(&ent);
		for (i = 0; i < t->nfiles; i++) {
			f = &t->files[i];
			if (f->group != g || f->remove_tmp)
				continue;
			bn = strrchr(f->relpath, '/');
			buf_printf(&ent, "%s %" PRIu64 " %s %s %s %s\n",
			    bn != NULL ? bn + 1 : f->relpath, f->sums.size,
			    f->sums.md5, f->sums.sha1, f->sums.sha256,
			    f->store + strlen(t->storeroot) + 1);
		}
		if (ent.len == 0)
			continue;
		path = fs_join(t->cachedir, t->groups[g].key);
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


void
tree_done(struct tree *t)
{
	size_t	i;

	compress_runner_free(t->runner);
	for (i = 0; i < t->nfeeds; i++) {
		compress_feed_done(t->feeds[i]);
		free(t->feeds[i]);
	}
	free(t->feeds);
	for (i = 0; i < t->nfiles; i++) {
		if (t->files[i].tmp != NULL) {
			unlink(t->files[i].tmp);
			free(t->files[i].tmp);
		}
		free(t->files[i].relpath);
		free(t->files[i].snap_path);
		free(t->files[i].store);
		free(t->files[i].job);
	}
	free(t->files);
	for (i = 0; i < t->ngroups; i++)
		free(t->groups[i].key);
	free(t->groups);
	free(t->tmpdir);
	free(t->cachedir);
	free(t->storeroot);
	db_pkg_reader_free(t->rd);
}


static int
tree_dists(struct tree *t, struct dp_error *err)
{
	const struct conf_dist	*d;
	size_t			 di, ci, k, nreal;
	char			*path;

	if (fs_mkdirs(t->tmpdir, 0755, err) == -1)
		return -1;
	path = fs_join(t->tmpdir, "pool");
	if (symlink("../../pool", path) == -1) {
		dp_error_errno(err, "symlink %s", path);
		free(path);
		return -1;
	}
	free(path);
	for (di = 0; di < t->cfg->ndists; di++) {
		d = &t->cfg->dists[di];
		path = xasprintf("%s/dists/%s", t->tmpdir, d->name);
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
				if (tree_packages(t, di, ci, d->archs[k],
				    err) == -1)
					return -1;
				if (!d->contents || (nreal > 0 &&
				    strcmp(d->archs[k], "all") == 0))
					continue;
				if (tree_contents(t, di, ci, d->archs[k],
				    err) == -1)
					return -1;
			}
			if (tree_sources(t, di, ci, err) == -1)
				return -1;
		}
	}
	return 0;
}


int
tree_write(struct tree *t, struct dp_error *err)
{
	int	rv = -1;

	t->rd = db_pkg_reader_new(t->db);
	t->runner = compress_runner_new(0);
	if (tree_dists(t, err) == -1) {
		compress_runner_wait(t->runner, NULL);
		goto out;
	}
	rv = 0;
out:
	db_pkg_reader_free(t->rd);
	t->rd = NULL;
	return rv;
}
