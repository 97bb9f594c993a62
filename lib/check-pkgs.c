/* check-pkgs.c - package lists for the checks (see check-int.h). */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "check-int.h"
#include "deb822.h"
#include "strlist.h"

/* Fields dose-distcheck reads; the rest of a stanza is left out. */
static const char *const dose_fields[] = {
	"Package", "Version", "Architecture", "Multi-Arch", "Essential",
	"Depends", "Pre-Depends", "Conflicts", "Breaks", "Provides",
	"Source", NULL
};

char **
cpkgs_dep_names(const char *field)
{
	struct strlist	 l = STRLIST_INIT;
	const char	*p, *s;

	for (p = field; p != NULL && *p != '\0'; ) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == ',' ||
		    *p == '|')
			p++;
		s = p;
		while (*p != '\0' && strchr(" \t\n,|(:[<", *p) == NULL)
			p++;
		if (p > s)
			strlist_addn(&l, s, (size_t)(p - s));
		/* skip the rest of this alternative */
		while (*p != '\0' && *p != ',' && *p != '|')
			p++;
	}
	return strlist_steal(&l);
}

static char **
strv_cat(char **a, char **b)
{
	size_t na = strv_len(a), nb = strv_len(b);

	a = xreallocarray(a, na + nb + 1, sizeof(char *));
	memcpy(a + na, b, (nb + 1) * sizeof(char *));
	free(b);
	return a;
}

struct load_arg {
	struct cpkgs	*l;
	int		 fg;
	const char	*path;
};

static int
para_cb(const struct deb822_para *para, void *arg, struct dp_error *err)
{
	struct load_arg	*a = arg;
	struct cpkgs	*l = a->l;
	struct cpkg	*p;
	struct buf	 b;
	const char	*name, *ver, *arch, *src, *v;
	char		*sp;
	size_t		 i;

	name = deb822_get(para, "Package");
	ver = deb822_get(para, "Version");
	arch = deb822_get(para, "Architecture");
	if (name == NULL || ver == NULL || arch == NULL) {
		dp_error_set(err, DP_ERR_PARSE, "%s:%d: a stanza without "
		    "Package, Version or Architecture", a->path, para->line);
		return -1;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	p = &l->v[l->n++];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	p->version = xstrdup(ver);
	p->arch = xstrdup(arch);
	p->fg = a->fg;
	src = deb822_get(para, "Source");
	if (src != NULL && *src != '\0') {
		sp = strchr(src, ' ');
		p->source = sp != NULL ? xstrndup(src, (size_t)(sp - src)) :
		    xstrdup(src);
		if (sp != NULL && sp[1] == '(' && strchr(sp, ')') != NULL)
			p->srcver = xstrndup(sp + 2,
			    (size_t)(strchr(sp, ')') - sp - 2));
	} else
		p->source = xstrdup(name);
	if (p->srcver == NULL)
		p->srcver = xstrdup(ver);
	v = deb822_get(para, "Essential");
	p->essential = v != NULL && strcmp(v, "yes") == 0;
	p->deps = cpkgs_dep_names(deb822_get(para, "Depends"));
	p->deps = strv_cat(p->deps,
	    cpkgs_dep_names(deb822_get(para, "Pre-Depends")));
	p->provides = cpkgs_dep_names(deb822_get(para, "Provides"));
	buf_init(&b);
	for (i = 0; dose_fields[i] != NULL; i++)
		if ((v = deb822_get(para, dose_fields[i])) != NULL)
			deb822_field_write(&b, dose_fields[i], v);
	buf_addc(&b, '\n');
	p->stanza = buf_steal(&b);
	return 0;
}

int
cpkgs_load(struct cpkgs *l, const char *path, int fg, struct dp_error *err)
{
	struct load_arg a = { l, fg, path };

	return deb822_parse_file(path, 0, para_cb, &a, err);
}

int
cpkgs_load_dist(struct cpkgs *l, const struct check_ctx *c, const char *id,
    const struct conf_dist *d, const char *arch, struct dp_error *err)
{
	char	*index, *path;
	size_t	 i;
	int	 rv = 0;

	for (i = 0; d->components[i] != NULL && rv == 0; i++) {
		index = xasprintf("%s/binary-%s/Packages", d->components[i],
		    arch);
		path = check_index_path(c, id, d->name, index);
		rv = cpkgs_load(l, path, 1, err);
		free(index);
		free(path);
	}
	return rv;
}

static int
cname_cmp(const void *a, const void *b)
{
	const struct cname *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void
cname_add(struct cname **v, size_t *n, size_t *cap, const char *name,
    size_t idx)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4096;
		*v = xreallocarray(*v, *cap, sizeof(**v));
	}
	(*v)[*n].name = name;
	(*v)[(*n)++].idx = idx;
}

void
cpkgs_index(struct cpkgs *l)
{
	size_t	i, capp = 0, capr = 0;
	char	**d;

	free(l->prov);
	free(l->rdep);
	l->prov = l->rdep = NULL;
	l->nprov = l->nrdep = 0;
	for (i = 0; i < l->n; i++) {
		cname_add(&l->prov, &l->nprov, &capp, l->v[i].name, i);
		for (d = l->v[i].provides; *d != NULL; d++)
			cname_add(&l->prov, &l->nprov, &capp, *d, i);
		for (d = l->v[i].deps; *d != NULL; d++)
			cname_add(&l->rdep, &l->nrdep, &capr, *d, i);
	}
	if (l->nprov > 0)
		qsort(l->prov, l->nprov, sizeof(*l->prov), cname_cmp);
	if (l->nrdep > 0)
		qsort(l->rdep, l->nrdep, sizeof(*l->rdep), cname_cmp);
}

void
cpkgs_find(const struct cname *v, size_t n, const char *name, size_t *lo,
    size_t *hi)
{
	size_t a = 0, b = n, m;

	while (a < b) {
		m = a + (b - a) / 2;
		if (strcmp(v[m].name, name) < 0)
			a = m + 1;
		else
			b = m;
	}
	*lo = a;
	while (a < n && strcmp(v[a].name, name) == 0)
		a++;
	*hi = a;
}

void
cpkgs_done(struct cpkgs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].version);
		free(l->v[i].arch);
		free(l->v[i].source);
		free(l->v[i].srcver);
		free(l->v[i].stanza);
		strv_free(l->v[i].deps);
		strv_free(l->v[i].provides);
	}
	free(l->v);
	free(l->prov);
	free(l->rdep);
	memset(l, 0, sizeof(*l));
}
