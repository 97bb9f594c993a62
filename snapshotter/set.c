/*
 * set.c - the current package set (what a snapshot of now would hold),
 * its digest, and helpers publish.c, recover.c and gc.c share.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fsutil.h"
#include "publish.h"
#include "publish-int.h"
#include "version.h"
#include "xmalloc.h"

/*
 * Digests, member id arrays, the lock, IDs.
 */
void
pdigest_init(struct pdigest *s)
{
	if ((s->ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1)
		abort();
}

void
pdigest_add(struct pdigest *s, const void *p, size_t n)
{
	EVP_DigestUpdate(s->ctx, p, n);
}

void
pdigest_adds(struct pdigest *s, const char *str)
{
	/* With the NUL, so that ("ab","c") != ("a","bc"). */
	pdigest_add(s, str != NULL ? str : "", str != NULL ? strlen(str) + 1 : 1);
}

void
pdigest_ids(struct pdigest *s, const int64_t *ids, size_t n)
{
	unsigned char	b[8];
	size_t		i;
	int		k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < 8; k++)
			b[k] = (unsigned char)((uint64_t)ids[i] >> (8 * k));
		pdigest_add(s, b, 8);
	}
}

void
pdigest_hex(struct pdigest *s, char out[65])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	len = 0, i;

	EVP_DigestFinal_ex(s->ctx, md, &len);
	EVP_MD_CTX_free(s->ctx);
	s->ctx = NULL;
	for (i = 0; i < len && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

static int
id_cmp(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int
ids_contains(const int64_t *ids, size_t n, int64_t id)
{
	return n > 0 && bsearch(&id, ids, n, sizeof(*ids), id_cmp) != NULL;
}

int
publish_id_valid(const char *s)
{
	size_t	i;

	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return 0;
	for (i = 0; i < 15; i++)
		if (i != 8 && (s[i] < '0' || s[i] > '9'))
			return 0;
	return 1;
}

int
publish_lock(const struct config *cfg, struct dp_error *err)
{
	char	*path;
	int	 fd;

	if (fs_mkdirs(cfg->state_dir, 0750, err) == -1)
		return -1;
	path = fs_join(cfg->state_dir, "publish.lock");
	fd = fs_lock(path, 1, err);
	free(path);
	return fd;
}

/*
 * The current package set.
 */
int
pmember_cmp(const void *a, const void *b)
{
	const struct pmember	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	if ((c = version_compare(x->version, y->version)) != 0)
		return c;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Newest first. */
static int
member_cmp_newest(const void *a, const void *b)
{
	const struct pmember	*x = a, *y = b;
	int			 c;

	if ((c = version_compare(y->version, x->version)) != 0)
		return c;
	return y->id < x->id ? -1 : y->id > x->id;
}

static void
pindex_add(struct pindex *pi, int64_t id, const char *name,
    const char *version)
{
	if (pi->n == pi->cap) {
		pi->cap = pi->cap == 0 ? 64 : pi->cap * 2;
		pi->m = xreallocarray(pi->m, pi->cap, sizeof(*pi->m));
	}
	pi->m[pi->n].id = id;
	pi->m[pi->n].name = xstrdup(name);
	pi->m[pi->n].version = xstrdup(version);
	pi->m[pi->n].arch = pi->arch;
	pi->n++;
}

struct pindex *
pset_find(struct pset *set, size_t dist, size_t comp, const char *arch)
{
	struct pindex	*v = arch != NULL ? set->bin : set->src;
	size_t		 n = arch != NULL ? set->nbin : set->nsrc, i;

	for (i = 0; i < n; i++)
		if (v[i].dist == dist && v[i].comp == comp &&
		    (arch == NULL || strcmp(v[i].arch, arch) == 0))
			return &v[i];
	return NULL;
}

static int
find_dist_comp(const struct config *cfg, const char *dist, const char *comp,
    size_t *di, size_t *ci)
{
	size_t	i, j;

	for (i = 0; i < cfg->ndists; i++) {
		if (strcmp(cfg->dists[i].name, dist) != 0)
			continue;
		for (j = 0; cfg->dists[i].components[j] != NULL; j++)
			if (strcmp(cfg->dists[i].components[j], comp) == 0) {
				*di = i;
				*ci = j;
				return 1;
			}
	}
	return 0;
}

/* Keep the newest `keep` members of the group g[0..n) in pi. */
static void
group_flush(struct pindex *pi, struct pmember *g, size_t n, int keep)
{
	size_t	i;

	if (pi == NULL || n == 0)
		return;
	if (n > 1)
		qsort(g, n, sizeof(*g), member_cmp_newest);
	for (i = 0; i < n && i < (size_t)keep; i++)
		pindex_add(pi, g[i].id, g[i].name, g[i].version);
}

static void
group_clear(struct pmember *g, size_t *n)
{
	size_t	i;

	for (i = 0; i < *n; i++) {
		free(g[i].name);
		free(g[i].version);
	}
	*n = 0;
}

static int
pset_read(struct db *db, const struct config *cfg, struct pset *set,
    int sources, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	struct pmember	*g = NULL;
	struct pindex	*pi = NULL;
	size_t		 ng = 0, capg = 0, di, ci;
	char		*gkey = NULL, *key;
	const char	*dist, *comp, *arch, *name, *version;
	int		 rc, rv = -1, keep = 1;

	if (db_prepare(db, sources ?
	    "SELECT id, dist, component, 'source', name, version "
	    "FROM sources ORDER BY dist, component, name" :
	    "SELECT id, dist, component, arch, name, version "
	    "FROM packages ORDER BY dist, component, arch, name",
	    &st, err) == -1)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		dist = (const char *)sqlite3_column_text(st, 1);
		comp = (const char *)sqlite3_column_text(st, 2);
		arch = (const char *)sqlite3_column_text(st, 3);
		name = (const char *)sqlite3_column_text(st, 4);
		version = (const char *)sqlite3_column_text(st, 5);
		if (dist == NULL || comp == NULL || arch == NULL ||
		    name == NULL || version == NULL)
			continue;
		key = xasprintf("%s\n%s\n%s\n%s", dist, comp, arch, name);
		if (gkey == NULL || strcmp(key, gkey) != 0) {
			group_flush(pi, g, ng, keep);
			group_clear(g, &ng);
			free(gkey);
			gkey = key;
			pi = NULL;
			if (find_dist_comp(cfg, dist, comp, &di, &ci)) {
				pi = pset_find(set, di, ci, sources ? NULL :
				    arch);
				keep = cfg->dists[di].keep_versions > 1 ?
				    cfg->dists[di].keep_versions : 1;
			}
		} else
			free(key);
		if (pi == NULL)
			continue;
		if (ng == capg) {
			capg = capg == 0 ? 16 : capg * 2;
			g = xreallocarray(g, capg, sizeof(*g));
		}
		g[ng].id = sqlite3_column_int64(st, 0);
		g[ng].name = xstrdup(name);
		g[ng].version = xstrdup(version);
		g[ng].arch = NULL;
		ng++;
	}
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "reading %s",
		    sources ? "sources" : "packages");
		goto out;
	}
	group_flush(pi, g, ng, keep);
	rv = 0;
out:
	group_clear(g, &ng);
	free(g);
	free(gkey);
	sqlite3_finalize(st);
	return rv;
}

static void
ids_collect(struct pindex *v, size_t n, int64_t **out, size_t *nout)
{
	size_t	i, j, total = 0;

	for (i = 0; i < n; i++)
		total += v[i].n;
	*out = xcalloc(total + 1, sizeof(**out));
	*nout = 0;
	for (i = 0; i < n; i++) {
		if (v[i].n > 1)		/* an empty index has no array */
			qsort(v[i].m, v[i].n, sizeof(*v[i].m), pmember_cmp);
		for (j = 0; j < v[i].n; j++)
			(*out)[(*nout)++] = v[i].m[j].id;
	}
	qsort(*out, *nout, sizeof(**out), id_cmp);
}

int
pset_compute(struct db *db, const struct config *cfg, const char *extra,
    struct pset *set, struct dp_error *err)
{
	const struct conf_dist	*d;
	struct pdigest		 h;
	struct pindex		*pi;
	size_t			 i, j, k, nb = 0, ns = 0;
	int			 hasall;

	memset(set, 0, sizeof(*set));
	for (i = 0; i < cfg->ndists; i++) {
		d = &cfg->dists[i];
		nb += strv_len(d->components) * (strv_len(d->archs) + 1);
		ns += strv_len(d->components);
	}
	set->bin = xcalloc(nb + 1, sizeof(*set->bin));
	set->src = xcalloc(ns + 1, sizeof(*set->src));
	for (i = 0; i < cfg->ndists; i++) {
		d = &cfg->dists[i];
		for (j = 0; d->components[j] != NULL; j++) {
			hasall = 0;
			for (k = 0; d->archs[k] != NULL; k++) {
				if (strcmp(d->archs[k], "all") == 0)
					hasall = 1;
				pi = &set->bin[set->nbin++];
				pi->dist = i;
				pi->comp = j;
				pi->arch = xstrdup(d->archs[k]);
			}
			if (!hasall) {
				pi = &set->bin[set->nbin++];
				pi->dist = i;
				pi->comp = j;
				pi->arch = xstrdup("all");
			}
			pi = &set->src[set->nsrc++];
			pi->dist = i;
			pi->comp = j;
		}
	}
	if (pset_read(db, cfg, set, 0, err) == -1 ||
	    pset_read(db, cfg, set, 1, err) == -1) {
		pset_done(set);
		return -1;
	}
	ids_collect(set->bin, set->nbin, &set->pkgs, &set->npkgs);
	ids_collect(set->src, set->nsrc, &set->srcs, &set->nsrcs);

	/* The digest covers the members and everything else that shows in
	 * the published tree, so that a changed setting is published too. */
	pdigest_init(&h);
	pdigest_adds(&h, INDEX_FORMAT);
	pdigest_adds(&h, cfg->origin);
	pdigest_adds(&h, cfg->label);
	pdigest_adds(&h, cfg->public_url);
	pdigest_adds(&h, extra);
	for (i = 0; i < cfg->ndists; i++) {
		d = &cfg->dists[i];
		pdigest_adds(&h, d->name);
		pdigest_adds(&h, d->suite);
		pdigest_adds(&h, d->description);
		pdigest_adds(&h, d->contents ? "contents" : "");
		for (j = 0; d->components[j] != NULL; j++)
			pdigest_adds(&h, d->components[j]);
		pdigest_adds(&h, "/");
		for (j = 0; d->archs[j] != NULL; j++)
			pdigest_adds(&h, d->archs[j]);
		pdigest_adds(&h, "/");
	}
	pdigest_adds(&h, "packages");
	pdigest_ids(&h, set->pkgs, set->npkgs);
	pdigest_adds(&h, "sources");
	pdigest_ids(&h, set->srcs, set->nsrcs);
	pdigest_hex(&h, set->digest);
	return 0;
}

static void
pindex_done(struct pindex *pi)
{
	size_t	i;

	for (i = 0; i < pi->n; i++) {
		free(pi->m[i].name);
		free(pi->m[i].version);
	}
	free(pi->m);
	free(pi->arch);
}

void
pset_done(struct pset *set)
{
	size_t	i;

	for (i = 0; i < set->nbin; i++)
		pindex_done(&set->bin[i]);
	for (i = 0; i < set->nsrc; i++)
		pindex_done(&set->src[i]);
	free(set->bin);
	free(set->src);
	free(set->pkgs);
	free(set->srcs);
	memset(set, 0, sizeof(*set));
}
