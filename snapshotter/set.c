/*
 * set.c - the current package set (what a snapshot of now would hold),
 * its digest, and helpers publish.c, recover.c and gc.c share.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "db-packages.h"
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

/* Reading the rows: the group of one (dist, component, arch, name). */
struct pset_reader {
	const struct config	*cfg;
	struct pset		*set;
	int			 sources;
	struct pmember		*g;
	size_t			 ng;
	size_t			 capg;
	char			*gkey;
	struct pindex		*pi;
	int			 keep;
};

static int
pset_read_cb(const struct db_pkg *p, void *arg)
{
	struct pset_reader	*r = arg;
	const char		*arch = r->sources ? "source" : p->arch;
	char			*key;
	size_t			 di, ci;

	if (p->dist == NULL || p->component == NULL || arch == NULL ||
	    p->name == NULL || p->version == NULL)
		return 0;
	key = xasprintf("%s\n%s\n%s\n%s", p->dist, p->component, arch,
	    p->name);
	if (r->gkey == NULL || strcmp(key, r->gkey) != 0) {
		group_flush(r->pi, r->g, r->ng, r->keep);
		group_clear(r->g, &r->ng);
		free(r->gkey);
		r->gkey = key;
		r->pi = NULL;
		if (find_dist_comp(r->cfg, p->dist, p->component, &di, &ci)) {
			r->pi = pset_find(r->set, di, ci, r->sources ? NULL :
			    arch);
			r->keep = r->cfg->dists[di].keep_versions > 1 ?
			    r->cfg->dists[di].keep_versions : 1;
		}
	} else
		free(key);
	if (r->pi == NULL)
		return 0;
	if (r->ng == r->capg) {
		r->capg = r->capg == 0 ? 16 : r->capg * 2;
		r->g = xreallocarray(r->g, r->capg, sizeof(*r->g));
	}
	r->g[r->ng].id = p->id;
	r->g[r->ng].name = xstrdup(p->name);
	r->g[r->ng].version = xstrdup(p->version);
	r->g[r->ng].arch = NULL;
	r->ng++;
	return 0;
}

static int
pset_read(struct db *db, const struct config *cfg, struct pset *set,
    int sources, struct dp_error *err)
{
	struct pset_reader	r;
	int			rv;

	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.set = set;
	r.sources = sources;
	r.keep = 1;
	rv = db_pkg_foreach(db, sources, 1, pset_read_cb, &r, err);
	if (rv == 0)
		group_flush(r.pi, r.g, r.ng, r.keep);
	group_clear(r.g, &r.ng);
	free(r.g);
	free(r.gkey);
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
