/*
 * watch-apt.c - Type: apt watches: select binary packages from the
 * upstream's Packages indexes, compare with the pool, download what is new
 * into State-Dir/incoming/<watch>/ and ingest it (pool_add, origin
 * "apt:<watch>").  The Release, index and download client is
 * lib/upstream.c.
 *
 * Everything that comes from upstream is untrusted: every package file is
 * checked against its index entry, with sizes capped before anything is
 * written, under names that fs_name_is_safe accepts.
 */
#include "autoconfig.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <dirent.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "db-packages.h"
#include "deb822.h"
#include "error.h"
#include "fetch.h"
#include "fsutil.h"
#include "hash.h"
#include "pool.h"
#include "upstream.h"
#include "version.h"
#include "xmalloc.h"

#include "builder.h"


/* A selected binary package from a Packages index. */
struct upkg {
	char		*name;
	char		*arch;
	char		*version;
	char		*filename;
	uint64_t	 size;
	char		 sha256[65];
};

struct upkg_list {
	struct upkg	*v;
	size_t		 n, cap;
};


static void
upkg_list_done(struct upkg_list *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].arch);
		free(l->v[i].version);
		free(l->v[i].filename);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
strv_has(char *const *v, const char *s)
{
	for (; v != NULL && *v != NULL; v++)
		if (strcmp(*v, s) == 0)
			return 1;
	return 0;
}

/* -- Type: apt ---------------------------------------------------------- */

struct pkgs_arg {
	struct up		*u;
	const char		*what;	/* index URL, for messages */
	char *const		*archs;	/* accepted Architectures */
	struct upkg_list	*list;
};

static int
packages_selected(const struct conf_watch *w, const char *name)
{
	char *const	*p;

	if (w->packages == NULL || w->packages[0] == NULL)
		return 1;
	for (p = w->packages; *p != NULL; p++)
		if (fnmatch(*p, name, 0) == 0)
			return 1;
	return 0;
}

static int
packages_para_cb(const struct deb822_para *para, void *arg,
    struct dp_error *err)
{
	struct pkgs_arg		*a = arg;
	struct upkg		*p;
	const char		*name, *arch, *ver, *fn, *size, *sha;
	const char		*base;
	uint64_t		 sz;

	name = deb822_get(para, "Package");
	if (name == NULL || !packages_selected(a->u->w, name))
		return 0;
	arch = deb822_get(para, "Architecture");
	ver = deb822_get(para, "Version");
	fn = deb822_get(para, "Filename");
	size = deb822_get(para, "Size");
	sha = deb822_get(para, "SHA256");
	if (version_name_validate(name, err) == -1 || arch == NULL ||
	    version_arch_validate(arch, err) == -1 || ver == NULL ||
	    version_validate(ver, err) == -1) {
		if (arch == NULL || ver == NULL)
			dp_error_set(err, DP_ERR_PARSE, "missing Architecture "
			    "or Version");
		goto bad;
	}
	if (!strv_has(a->archs, arch) && strcmp(arch, "all") != 0)
		return 0;
	if (fn == NULL || !fs_relpath_is_safe(fn)) {
		dp_error_set(err, DP_ERR_INVALID, "Filename '%.200s' is not "
		    "a safe relative path", fn ? fn : "");
		goto bad;
	}
	base = strrchr(fn, '/');
	base = base != NULL ? base + 1 : fn;
	if (strlen(base) < 5 || strcmp(base + strlen(base) - 4, ".deb") != 0) {
		dp_error_set(err, DP_ERR_INVALID, "Filename '%.200s' is not "
		    "a .deb", fn);
		goto bad;
	}
	if (size == NULL || upstream_parse_u64(size, &sz) == -1 || sz == 0 ||
	    sz > FILE_MAX) {
		dp_error_set(err, DP_ERR_INVALID, "Size '%.64s' missing, "
		    "malformed or above the limit of %llu bytes",
		    size ? size : "", FILE_MAX);
		goto bad;
	}
	if (sha == NULL || !hash_hex_valid(sha, 64)) {
		dp_error_set(err, DP_ERR_INVALID, "missing or malformed "
		    "SHA256");
		goto bad;
	}
	if (a->list->n == a->list->cap) {
		a->list->cap = a->list->cap ? a->list->cap * 2 : 64;
		a->list->v = xreallocarray(a->list->v, a->list->cap,
		    sizeof(*a->list->v));
	}
	p = &a->list->v[a->list->n++];
	p->name = xstrdup(name);
	p->arch = xstrdup(arch);
	p->version = xstrdup(ver);
	p->filename = xstrdup(fn);
	p->size = sz;
	memcpy(p->sha256, sha, 65);
	return 0;
bad:
	dp_error_prefix(err, "%s:%d: package %.100s", a->what, para->line,
	    name);
	return -1;
}

static void	upkg_newest(struct upkg_list *);

int
aptw_packages_parse(const struct conf_watch *w, char *const *archs,
    const char *buf, size_t len, const char *what, size_t *nsel,
    struct dp_error *err)
{
	struct up		 u;
	struct upkg_list	 sel;
	struct pkgs_arg		 pa;
	int			 rv;

	memset(&u, 0, sizeof(u));
	memset(&sel, 0, sizeof(sel));
	u.w = w;
	pa.u = &u;
	pa.what = what;
	pa.archs = archs;
	pa.list = &sel;
	rv = deb822_parse(buf, len, what, 0, packages_para_cb, &pa, err);
	upkg_newest(&sel);
	*nsel = sel.n;
	upkg_list_done(&sel);
	return rv;
}

static int
upkg_cmp(const void *pa, const void *pb)
{
	const struct upkg	*a = pa, *b = pb;
	int			 c;

	if ((c = strcmp(a->name, b->name)) != 0)
		return c;
	if ((c = strcmp(a->arch, b->arch)) != 0)
		return c;
	/* newest first */
	return version_compare(b->version, a->version);
}

/* Keep only the newest version per name/arch (sorted by name, arch). */
static void
upkg_newest(struct upkg_list *l)
{
	size_t	i, k = 0;

	if (l->n == 0)
		return;
	qsort(l->v, l->n, sizeof(*l->v), upkg_cmp);
	for (i = 0; i < l->n; i++) {
		if (k > 0 && strcmp(l->v[k - 1].name, l->v[i].name) == 0 &&
		    strcmp(l->v[k - 1].arch, l->v[i].arch) == 0) {
			free(l->v[i].name);
			free(l->v[i].arch);
			free(l->v[i].version);
			free(l->v[i].filename);
			continue;
		}
		l->v[k++] = l->v[i];
	}
	l->n = k;
}

/* What the pool has from this watch: newest version per name/arch,
 * sorted by name, arch. */
struct have {
	char	*name;
	char	*arch;
	char	*version;
};

static int
have_cmp(const void *pa, const void *pb)
{
	const struct have	*a = pa, *b = pb;
	int			 c;

	if ((c = strcmp(a->name, b->name)) != 0)
		return c;
	return strcmp(a->arch, b->arch);
}

static void
have_free(struct have *h, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].arch);
		free(h[i].version);
	}
	free(h);
}

struct have_list {
	struct have	*v;
	size_t		 n, cap;
};

static void
have_add(const char *name, const char *arch, const char *version, void *arg)
{
	struct have_list *hl = arg;

	if (hl->n == hl->cap) {
		hl->cap = hl->cap ? hl->cap * 2 : 64;
		hl->v = xreallocarray(hl->v, hl->cap, sizeof(*hl->v));
	}
	hl->v[hl->n].name = xstrdup(name != NULL ? name : "");
	hl->v[hl->n].arch = xstrdup(arch != NULL ? arch : "");
	hl->v[hl->n].version = xstrdup(version != NULL ? version : "");
	hl->n++;
}

static int
have_load(struct up *u, struct have **out, size_t *nout,
    struct dp_error *err)
{
	struct have_list hl;
	struct have	*h = NULL;
	char		*origin;
	size_t		 n = 0, i, k;
	int		 rv = -1;

	origin = xasprintf("apt:%s", u->w->name);
	memset(&hl, 0, sizeof(hl));
	rv = db_pkg_of_origin(u->db, origin, u->w->dist, have_add, &hl, err);
	h = hl.v;
	n = hl.n;
	if (rv == -1)
		goto out;
	rv = -1;
	if (n > 0)
		qsort(h, n, sizeof(*h), have_cmp);
	/* Newest per name/arch. */
	for (i = 0, k = 0; i < n; i++) {
		if (k > 0 && have_cmp(&h[k - 1], &h[i]) == 0) {
			if (version_compare(h[i].version, h[k - 1].version) >
			    0) {
				free(h[k - 1].version);
				h[k - 1].version = h[i].version;
				h[i].version = NULL;
			}
			free(h[i].name);
			free(h[i].arch);
			free(h[i].version);
			continue;
		}
		h[k++] = h[i];
	}
	n = k;
	rv = 0;
out:
	free(origin);
	if (rv == -1) {
		have_free(h, n);
		h = NULL;
		n = 0;
	}
	*out = h;
	*nout = n;
	return rv;
}

static void
report_add(struct aptw_report *rep, const char *name, const char *arch,
    const char *oldv, const char *newv)
{
	struct aptw_change	*c;

	rep->changes = xreallocarray(rep->changes, rep->nchanges + 1,
	    sizeof(*rep->changes));
	c = &rep->changes[rep->nchanges++];
	c->name = xstrdup(name);
	c->arch = xstrdup(arch);
	c->old_version = xstrdup(oldv);
	c->new_version = xstrdup(newv);
}

void
aptw_report_done(struct aptw_report *rep)
{
	size_t	i;

	if (rep == NULL)
		return;
	for (i = 0; i < rep->nchanges; i++) {
		free(rep->changes[i].name);
		free(rep->changes[i].arch);
		free(rep->changes[i].old_version);
		free(rep->changes[i].new_version);
	}
	free(rep->changes);
	memset(rep, 0, sizeof(*rep));
}

static int
name_arch_cmp(const char *n1, const char *a1, const char *n2,
    const char *a2)
{
	int	c;

	if ((c = strcmp(n1, n2)) != 0)
		return c;
	return strcmp(a1, a2);
}

/*
 * Compare the selection with the pool: fill rep->changes and mark in
 * want[] the packages to download (new or newer than the pool's).
 */
static void
changes_compute(struct upkg_list *sel, struct have *h, size_t nh,
    int *want, struct aptw_report *rep)
{
	struct have	 key, *found;
	size_t		 i, j;
	int		 c;

	for (i = 0; i < sel->n; i++) {
		key.name = sel->v[i].name;
		key.arch = sel->v[i].arch;
		found = nh > 0 ? bsearch(&key, h, nh, sizeof(*h),
		    have_cmp) : NULL;
		if (found == NULL) {
			want[i] = 1;
			report_add(rep, key.name, key.arch, NULL,
			    sel->v[i].version);
			continue;
		}
		c = version_compare(sel->v[i].version, found->version);
		if (c > 0) {
			want[i] = 1;
			report_add(rep, key.name, key.arch, found->version,
			    sel->v[i].version);
		}
	}
	/* Gone upstream (or no longer selected): report only.  Both
	 * lists are sorted by name, arch. */
	for (j = 0, i = 0; j < nh; j++) {
		c = -1;
		while (i < sel->n && (c = name_arch_cmp(sel->v[i].name,
		    sel->v[i].arch, h[j].name, h[j].arch)) < 0)
			i++;
		if (i < sel->n && c == 0)
			continue;
		report_add(rep, h[j].name, h[j].arch, h[j].version, NULL);
	}
}

static const char *
upkg_basename(const struct upkg *p)
{
	const char	*base = strrchr(p->filename, '/');

	return base != NULL ? base + 1 : p->filename;
}

/* Remove from the incoming directory what an earlier, failed poll left
 * and this one does not want (so it cannot grow without bound). */
static void
incoming_prune(const char *dir, const struct upkg_list *sel, const int *want)
{
	DIR		*d;
	struct dirent	*de;
	char		*path;
	size_t		 i;
	int		 keep;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		keep = 0;
		for (i = 0; i < sel->n && !keep; i++)
			keep = want[i] &&
			    strcmp(upkg_basename(&sel->v[i]), de->d_name) == 0;
		if (keep)
			continue;
		path = fs_join(dir, de->d_name);
		unlink(path);
		free(path);
	}
	closedir(d);
}

/* Is there room for need bytes more in dir (keeping 1% of the disk)? */
static int
disk_check(const char *dir, uint64_t need, struct dp_error *err)
{
	struct statvfs	sv;
	uint64_t	avail, reserve;

	if (statvfs(dir, &sv) == -1)
		return 0;	/* cannot tell: let the writes fail */
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	reserve = (uint64_t)sv.f_blocks * sv.f_frsize / 100;
	if (need + reserve > avail) {
		char what[512];

		snprintf(what, sizeof(what), "downloading %" PRIu64 " bytes "
		    "into %s (%" PRIu64 " free)", need, dir, avail);
		dp_error_nospace(err, dir, what);
		return -1;
	}
	return 0;
}

int
aptw_sync(struct db *db, const struct config *cfg,
    const struct conf_watch *w, int dry_run, struct aptw_report *rep,
    struct dp_error *err)
{
	struct up		 u;
	struct upkg_list	 sel;
	struct pkgs_arg		 pa;
	struct buf		 idx;
	struct have		*have = NULL;
	struct pool_added	*added = NULL;
	struct pool_add_opts	 opts;
	char			**comps = NULL, **archs = NULL;
	char			**paths = NULL;
	char			**labels = NULL;
	struct dl		*dls = NULL;
	char			*incoming = NULL, *path = NULL;
	char			*what = NULL;
	char			*origin = NULL, *tmp;
	const char		*prev;
	size_t			 nhave = 0, nadded = 0, npaths = 0, i, j;
	size_t			 nindexes = 0;
	uint64_t		 need = 0;
	char			*lockpath = NULL;
	int			*want = NULL, conditional, rv = -1;
	int			 lockfd = -1;

	memset(rep, 0, sizeof(*rep));
	memset(&sel, 0, sizeof(sel));
	buf_init(&idx);
	if (upstream_ctx_init(&u, db, cfg, w, err) == -1)
		goto out;
	tmp = fs_join(cfg->state_dir, "incoming");
	incoming = fs_join(tmp, w->name);
	lockpath = xasprintf("%s.lock", incoming);
	if (!dry_run) {
		/* One import per watch at a time (daemon and CLI). */
		if (fs_mkdirs(tmp, 0755, err) == -1 ||
		    (lockfd = fs_lock(lockpath, 0, err)) == -1) {
			free(tmp);
			if (err != NULL && err->code == DP_ERR_BUSY)
				dp_error_set(err, DP_ERR_BUSY, "another import "
				    "of this watch is running; try again "
				    "later");
			goto fail;
		}
	}
	free(tmp);

	/* The shortcut is valid only if the last import completed with
	 * the same settings. */
	prev = upstream_state_get(&u, "config");
	conditional = prev != NULL && strcmp(prev, u.cfgdigest) == 0;
	if (upstream_release_fetch(&u, conditional, err) == -1)
		goto out;
	if (u.unchanged || (conditional &&
	    (prev = upstream_state_get(&u, "release_sha256")) != NULL &&
	    strcmp(prev, u.digest) == 0)) {
		rep->unchanged = 1;
		if (!dry_run && !u.unchanged) {
			/* Same Release, new validators: keep them. */
			upstream_state_set_release(&u);
			if (upstream_state_save(&u, err) == -1)
				goto out;
		}
		rv = 0;
		goto out;
	}

	comps = w->components != NULL && w->components[0] != NULL ?
	    NULL : u.rel.components;
	archs = w->archs != NULL && w->archs[0] != NULL ? NULL : u.rel.archs;
	pa.u = &u;
	pa.archs = archs != NULL ? archs : w->archs;
	pa.list = &sel;
	for (i = 0; (comps != NULL ? comps : w->components)[i] != NULL; i++) {
		const char *comp = (comps != NULL ? comps : w->components)[i];

		for (j = 0; pa.archs[j] != NULL; j++) {
			free(path);
			path = xasprintf("%s/binary-%s/Packages", comp,
			    pa.archs[j]);
			if (!fs_relpath_is_safe(path)) {
				dp_error_set(err, DP_ERR_INVALID, "unusable "
				    "component/architecture '%s'", path);
				goto fail;
			}
			if (upstream_index_fetch(&u, path, &idx, err) == -1) {
				/* "all" often has no index of its own, and
				 * the default architectures (the local
				 * distribution's) need not all exist
				 * upstream. */
				if (err != NULL && err->code ==
				    DP_ERR_NOTFOUND &&
				    (strcmp(pa.archs[j], "all") == 0 ||
				    (u.rel.archs[0] != NULL &&
				    !strv_has(u.rel.archs, pa.archs[j]))))
					continue;
				goto fail;
			}
			nindexes++;
			free(what);
			what = xasprintf("%s/dists/%s/%s", u.base, w->suite,
			    path);
			pa.what = what;
			if (deb822_parse(idx.data, idx.len, what, 0,
			    packages_para_cb, &pa, err) == -1)
				goto fail;
		}
	}
	buf_done(&idx);
	if (nindexes == 0) {
		dp_error_set(err, DP_ERR_NOTFOUND, "%s/dists/%s/: no Packages "
		    "index for the configured components and architectures",
		    u.base, w->suite);
		goto fail;
	}
	upkg_newest(&sel);

	if (have_load(&u, &have, &nhave, err) == -1)
		goto fail;
	want = xcalloc(sel.n + 1, sizeof(*want));
	changes_compute(&sel, have, nhave, want, rep);
	if (dry_run) {
		rv = 0;
		goto out;
	}

	/* Download what is new, into State-Dir/incoming/<watch>/. */
	if (fs_mkdirs(incoming, 0755, err) == -1)
		goto fail;
	incoming_prune(incoming, &sel, want);
	for (i = 0; i < sel.n; i++)
		if (want[i])
			need += sel.v[i].size;
	if (need > 0 && disk_check(incoming, need, err) == -1)
		goto fail;
	dls = xcalloc(sel.n + 1, sizeof(*dls));
	labels = xcalloc(sel.n + 1, sizeof(*labels));
	for (i = 0; i < sel.n; i++) {
		if (!want[i])
			continue;
		labels[npaths] = xasprintf("%s %s", sel.v[i].name,
		    sel.v[i].version);
		dls[npaths].relurl = sel.v[i].filename;
		dls[npaths].name = upkg_basename(&sel.v[i]);
		dls[npaths].size = sel.v[i].size;
		dls[npaths].sha256 = sel.v[i].sha256;
		dls[npaths].label = labels[npaths];
		npaths++;
	}
	if (upstream_files_download(&u, incoming, dls, npaths, err) == -1)
		goto fail;
	paths = xcalloc(npaths + 1, sizeof(*paths));
	for (i = 0; i < npaths; i++) {
		paths[i] = dls[i].path;
		dls[i].path = NULL;
	}
	if (npaths > 0) {
		origin = xasprintf("apt:%s", w->name);
		memset(&opts, 0, sizeof(opts));
		opts.link = 1;	/* our own incoming download */
		opts.dist = w->dist;
		opts.component = w->component;
		opts.origin = origin;
		if (pool_add(db, cfg, paths, &opts, &added, &nadded,
		    err) == -1) {
			dp_error_prefix(err, "import");
			goto fail;
		}
		for (i = 0; i < nadded; i++)
			if (!added[i].existed)
				rep->imported++;
		for (i = 0; i < npaths; i++)
			unlink(paths[i]);
	}
	upstream_state_set_release(&u);
	if (upstream_state_save(&u, err) == -1)
		goto fail;
	rv = 0;
	goto out;
fail:
	dp_error_prefix(err, "watch %s", w->name);
out:
	if (lockfd != -1)
		close(lockfd);
	free(lockpath);
	if (rv == -1)
		aptw_report_done(rep);	/* no half reports */
	if (u.fetch != NULL)
		rep->requests = fetch_requests(u.fetch);
	upstream_ctx_done(&u);
	upkg_list_done(&sel);
	buf_done(&idx);
	have_free(have, nhave);
	pool_added_free(added, nadded);
	strv_free(paths);
	strv_free(labels);
	for (i = 0; dls != NULL && i < npaths; i++)
		free(dls[i].path);
	free(dls);
	free(want);
	free(incoming);
	free(path);
	free(what);
	free(origin);
	return rv;
}
