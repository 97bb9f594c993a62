/*
 * check-install.c - the installability check: dose-distcheck on the
 * snapshot's packages (foreground) against the Build-Mirror suite
 * (background), per Distribution and architecture.
 *
 * What each run finds broken is kept in State-Dir/checks/<ID>/
 * installability/<dist>_<arch>.rec with the background's digest.  The
 * next snapshot's run checks only what can have changed when the
 * background is the same: the packages that changed and every package
 * that depends, directly or not, on a name one of them has or had
 * (Package or Provides); the others keep their earlier status.  dose is
 * given only the packages those can ever install (the Depends and
 * Pre-Depends closure, plus the Essential ones), which is what makes a
 * one-package change cheap against a 60,000-package background.  The job
 * fails when a package is broken now that was not in the previous
 * snapshot; packages broken before are reported and not blamed again.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "check-int.h"
#include "dose.h"
#include "fsutil.h"
#include "spawn.h"
#include "upstream.h"
#include "xmalloc.h"

/* One broken package. */
struct brk {
	char	*name;
	char	*arch;
	char	*version;
	char	*why;
};

struct rec {
	char		*digest;	/* background digest */
	struct brk	*v;
	size_t		 n, cap;
};

static void
rec_add(struct rec *r, const char *name, const char *arch,
    const char *version, const char *why)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->v = xreallocarray(r->v, r->cap, sizeof(*r->v));
	}
	r->v[r->n].name = xstrdup(name);
	r->v[r->n].arch = xstrdup(arch);
	r->v[r->n].version = xstrdup(version);
	r->v[r->n].why = xstrdup(why != NULL ? why : "");
	r->n++;
}

static void
rec_done(struct rec *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].arch);
		free(r->v[i].version);
		free(r->v[i].why);
	}
	free(r->v);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

static const struct brk *
rec_find(const struct rec *r, const char *name, const char *arch)
{
	size_t i;

	for (i = 0; r != NULL && i < r->n; i++)
		if (strcmp(r->v[i].name, name) == 0 &&
		    strcmp(r->v[i].arch, arch) == 0)
			return &r->v[i];
	return NULL;
}

static char *
rec_path(const struct config *cfg, const char *id, const char *dist,
    const char *arch)
{
	return xasprintf("%s/checks/%s/installability/%s_%s.rec",
	    cfg->state_dir, id, dist, arch);
}

/* Text of why: '\n' -> "\\n", '\\' -> "\\\\", '\t' -> ' '. */
static void
esc_add(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			buf_adds(b, "\\n");
		else if (*s == '\\')
			buf_adds(b, "\\\\");
		else
			buf_addc(b, *s == '\t' ? ' ' : *s);
	}
}

static char *
unesc(const char *s)
{
	struct buf b;

	buf_init(&b);
	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] == 'n') {
			buf_addc(&b, '\n');
			s++;
		} else if (s[0] == '\\' && s[1] == '\\') {
			buf_addc(&b, '\\');
			s++;
		} else
			buf_addc(&b, *s);
	}
	buf_addc(&b, '\0');
	return buf_steal(&b);
}

static int
rec_save(const struct config *cfg, const char *id, const char *dist,
    const char *arch, const struct rec *r, struct dp_error *err)
{
	struct buf	 b;
	char		*path, *dir;
	size_t		 i;
	int		 rv = -1;

	buf_init(&b);
	buf_printf(&b, "bg %s\n", r->digest);
	for (i = 0; i < r->n; i++) {
		buf_printf(&b, "%s\t%s\t%s\t", r->v[i].name, r->v[i].arch,
		    r->v[i].version);
		esc_add(&b, r->v[i].why);
		buf_addc(&b, '\n');
	}
	path = rec_path(cfg, id, dist, arch);
	dir = xstrndup(path, (size_t)(strrchr(path, '/') - path));
	if (fs_mkdirs(dir, 0755, err) == 0 &&
	    fs_write_atomic(path, b.data, b.len, 0644, err) == 0)
		rv = 0;
	free(path);
	free(dir);
	buf_done(&b);
	return rv;
}

/* 1 loaded, 0 none, -1 error. */
static int
rec_load(const struct config *cfg, const char *id, const char *dist,
    const char *arch, struct rec *r, struct dp_error *err)
{
	char	*path, *data = NULL, *line, *next, *f[4], *why;
	size_t	 len;
	int	 i, rv = -1;

	memset(r, 0, sizeof(*r));
	path = rec_path(cfg, id, dist, arch);
	if (access(path, F_OK) != 0) {
		rv = 0;
		goto out;
	}
	if (fs_read_file(path, 64UL << 20, &data, &len, err) == -1)
		goto out;
	for (line = data; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, "bg ", 3) == 0) {
			free(r->digest);
			r->digest = xstrdup(line + 3);
			continue;
		}
		for (i = 0; i < 4; i++) {
			f[i] = line;
			if (i < 3 && (line = strchr(line, '\t')) != NULL)
				*line++ = '\0';
			if (line == NULL)
				break;
		}
		if (i < 4)
			continue;	/* a torn line: ignore it */
		why = unesc(f[3]);
		rec_add(r, f[0], f[1], f[2], why);
		free(why);
	}
	if (r->digest == NULL)
		r->digest = xstrdup("");
	rv = 1;
out:
	if (rv == -1)
		rec_done(r);
	free(path);
	free(data);
	return rv;
}

/* A small set of strings (open addressing). */
struct sset {
	const char	**v;
	size_t		  cap, n;
};

static size_t
sset_hash(const char *s)
{
	size_t h = 5381;

	while (*s != '\0')
		h = h * 33 + (unsigned char)*s++;
	return h;
}

/* 1 when added, 0 when it was there. */
static int
sset_add(struct sset *s, const char *str)
{
	size_t i, j;

	if (2 * (s->n + 1) > s->cap) {
		struct sset	 t = { NULL, s->cap ? s->cap * 2 : 1024, 0 };

		t.v = xcalloc(t.cap, sizeof(char *));
		for (i = 0; i < s->cap; i++)
			if (s->v[i] != NULL)
				sset_add(&t, s->v[i]);
		free(s->v);
		*s = t;
	}
	for (i = sset_hash(str) & (s->cap - 1), j = 0; s->v[i] != NULL;
	    i = (i + 1) & (s->cap - 1), j++)
		if (strcmp(s->v[i], str) == 0)
			return 0;
	s->v[i] = str;
	s->n++;
	return 1;
}

static int
sset_has(const struct sset *s, const char *str)
{
	size_t i;

	if (s->cap == 0)
		return 0;
	for (i = sset_hash(str) & (s->cap - 1); s->v[i] != NULL;
	    i = (i + 1) & (s->cap - 1))
		if (strcmp(s->v[i], str) == 0)
			return 1;
	return 0;
}

/* Keys "name arch version" of the fg packages of l. */
static void
keys_of(const struct cpkgs *l, struct sset *s, char ***owned)
{
	size_t	i, n = 0;

	*owned = xcalloc(l->n + 1, sizeof(char *));
	for (i = 0; i < l->n; i++) {
		if (!l->v[i].fg)
			continue;
		(*owned)[n] = xasprintf("%s %s %s", l->v[i].name,
		    l->v[i].arch, l->v[i].version);
		sset_add(s, (*owned)[n++]);
	}
}

/*
 * Mark (mark = 1) the fg packages of cur to check: every one when prev is
 * NULL, else the ones whose key is not in prev and every package that
 * depends, transitively, on a name that a changed package (of either
 * list) has.  Returns how many fg packages are marked.
 */
static size_t
select_checked(struct cpkgs *cur, struct cpkgs *prev)
{
	struct sset	 ck = { 0 }, pk = { 0 }, names = { 0 };
	char		**ckeys = NULL, **pkeys = NULL, **d;
	const char	**queue = NULL;
	size_t		 nq = 0, capq = 0, i, lo, hi, k, n = 0;
	struct cpkg	*p;

#define PUSH(s) do {							\
	if (sset_add(&names, (s))) {					\
		if (nq == capq) {					\
			capq = capq ? capq * 2 : 256;			\
			queue = xreallocarray(queue, capq,		\
			    sizeof(*queue));				\
		}							\
		queue[nq++] = (s);					\
	}								\
} while (0)

	for (i = 0; i < cur->n; i++)
		cur->v[i].mark = prev == NULL && cur->v[i].fg;
	if (prev == NULL)
		goto count;
	keys_of(cur, &ck, &ckeys);
	keys_of(prev, &pk, &pkeys);
	for (i = 0, k = 0; i < cur->n; i++) {
		p = &cur->v[i];
		if (!p->fg)
			continue;
		if (!sset_has(&pk, ckeys[k++])) {
			p->mark = 1;
			PUSH(p->name);
			for (d = p->provides; *d != NULL; d++)
				PUSH(*d);
		}
	}
	for (i = 0, k = 0; i < prev->n; i++) {
		p = &prev->v[i];
		if (!p->fg)
			continue;
		if (!sset_has(&ck, pkeys[k++])) {
			PUSH(p->name);
			for (d = p->provides; *d != NULL; d++)
				PUSH(*d);
		}
	}
	/* Reverse closure. */
	for (k = 0; k < nq; k++) {
		cpkgs_find(cur->rdep, cur->nrdep, queue[k], &lo, &hi);
		for (; lo < hi; lo++) {
			p = &cur->v[cur->rdep[lo].idx];
			if (p->mark == 2 || (p->mark == 1 && p->fg))
				continue;
			p->mark = p->fg ? 1 : 2;
			PUSH(p->name);
			for (d = p->provides; *d != NULL; d++)
				PUSH(*d);
		}
	}
	for (i = 0; i < cur->n; i++)
		if (cur->v[i].mark == 2)
			cur->v[i].mark = 0;
count:
	for (i = 0; i < cur->n; i++)
		if (cur->v[i].mark == 1 && cur->v[i].fg)
			n++;
	strv_free(ckeys);
	strv_free(pkeys);
	free(ck.v);
	free(pk.v);
	free(names.v);
	free(queue);
	return n;
#undef PUSH
}

/*
 * Write the packages marked 1 to fgpath and the rest of what they can
 * install (Depends/Pre-Depends closure, Essential packages) to bgpath.
 * *nuniverse gets the size of that closure.
 */
static int
write_universe(struct cpkgs *l, const char *fgpath, const char *bgpath,
    size_t *nuniverse, struct dp_error *err)
{
	struct buf	 fg, bg;
	size_t		*queue, nq = 0, k, i, lo, hi;
	char		**d;
	int		 rv = -1;

	queue = xcalloc(l->n + 1, sizeof(*queue));
	for (i = 0; i < l->n; i++) {
		if (l->v[i].mark == 1 || l->v[i].essential) {
			if (l->v[i].mark != 1)
				l->v[i].mark = 3;
			queue[nq++] = i;
		}
	}
	for (k = 0; k < nq; k++) {
		for (d = l->v[queue[k]].deps; *d != NULL; d++) {
			cpkgs_find(l->prov, l->nprov, *d, &lo, &hi);
			for (; lo < hi; lo++) {
				i = l->prov[lo].idx;
				if (l->v[i].mark != 0)
					continue;
				l->v[i].mark = 3;
				queue[nq++] = i;
			}
		}
	}
	*nuniverse = nq;
	buf_init(&fg);
	buf_init(&bg);
	for (i = 0; i < l->n; i++) {
		if (l->v[i].mark == 1)
			buf_adds(&fg, l->v[i].stanza);
		else if (l->v[i].mark == 3)
			buf_adds(&bg, l->v[i].stanza);
	}
	if (fs_write_atomic(fgpath, fg.data != NULL ? fg.data : "", fg.len,
	    0644, err) == 0 && fs_write_atomic(bgpath, bg.data != NULL ?
	    bg.data : "", bg.len, 0644, err) == 0)
		rv = 0;
	buf_done(&fg);
	buf_done(&bg);
	free(queue);
	return rv;
}

static int
run_dose(struct check_ctx *c, const char *arch, const char *fgpath,
    const char *bgpath, const char *outpath, struct dose_report *rep,
    struct dp_error *err)
{
	struct dp_error		 serr;
	char			*archarg, *data = NULL, *fgurl, *bgurl;
	size_t			 len;
	int			 st = 0, rv = -1;

	archarg = xasprintf("--deb-native-arch=%s", arch);
	fgurl = xasprintf("deb://%s", fgpath);
	bgurl = xasprintf("deb://%s", bgpath);
	char *argv[] = { "dose-distcheck", archarg, "-f", "-e", "-o",
	    (char *)outpath, "--fg", fgurl, "--bg", bgurl, NULL };
	unlink(outpath);
	if (check_spawn(c, argv, NULL, NULL, &st, &serr) == -1 &&
	    !(WIFEXITED(st) && WEXITSTATUS(st) == 1 && serr.code ==
	    DP_ERR_SYSTEM)) {
		dp_error_set(err, serr.code, "%s", serr.msg);
		goto out;
	}
	if (fs_read_file(outpath, 512UL << 20, &data, &len, err) == -1) {
		dp_error_prefix(err, "dose-distcheck wrote no report");
		goto out;
	}
	if (dose_parse(data, len, rep, err) == -1)
		goto out;
	if (WEXITSTATUS(st) == 1 && rep->nbroken == 0) {
		dp_error_set(err, DP_ERR_PARSE, "dose-distcheck says packages "
		    "are broken but its report lists none");
		dose_report_done(rep);
		goto out;
	}
	rv = 0;
out:
	free(archarg);
	free(fgurl);
	free(bgurl);
	free(data);
	return rv;
}

/*
 * Evaluate snapshot id for dist/arch into *out (broken list, digest):
 * incrementally from prevrec/prevlist when given, else everything.
 */
static int
evaluate(struct check_ctx *c, const char *id, const struct conf_dist *d,
    const char *arch, char **bgpaths, const char *digest,
    const struct rec *prevrec, const char *previd, struct rec *out,
    struct dp_error *err)
{
	struct cpkgs		 cur, prev;
	struct dose_report	 rep;
	const struct brk	*b;
	char			*fgp = NULL, *bgp = NULL, *outp = NULL;
	size_t			 i, nchecked, nuni = 0, nfg = 0;
	int			 incremental, rv = -1;

	memset(&cur, 0, sizeof(cur));
	memset(&prev, 0, sizeof(prev));
	memset(&rep, 0, sizeof(rep));
	memset(out, 0, sizeof(*out));
	out->digest = xstrdup(digest);
	if (cpkgs_load_dist(&cur, c, id, d, arch, err) == -1)
		goto out;
	for (i = 0; i < cur.n; i++)
		nfg++;
	for (i = 0; bgpaths[i] != NULL; i++)
		if (cpkgs_load(&cur, bgpaths[i], 0, err) == -1)
			goto out;
	cpkgs_index(&cur);
	incremental = prevrec != NULL && previd != NULL &&
	    strcmp(prevrec->digest, digest) == 0;
	if (incremental && cpkgs_load_dist(&prev, c, previd, d, arch,
	    err) == -1)
		goto out;
	nchecked = select_checked(&cur, incremental ? &prev : NULL);
	check_log(c, "%s/%s %s: %zu packages, %zu in the background; "
	    "checking %zu (%s)\n", d->name, arch, id, nfg, cur.n - nfg,
	    nchecked, incremental ? "what changed" : "all");
	if (incremental)
		check_log(c, "  (incremental since %s)\n", previd);
	if (nchecked > 0) {
		fgp = xasprintf("%s/fg-%s-%s", c->work, d->name, arch);
		bgp = xasprintf("%s/bg-%s-%s", c->work, d->name, arch);
		outp = xasprintf("%s/dose-%s-%s.yaml", c->work, d->name, arch);
		if (write_universe(&cur, fgp, bgp, &nuni, err) == -1)
			goto out;
		check_log(c, "  dose-distcheck on %zu packages that they can "
		    "install\n", nuni);
		if (run_dose(c, arch, fgp, bgp, outp, &rep, err) == -1)
			goto out;
		for (i = 0; i < rep.n; i++)
			if (rep.entries[i].broken)
				rec_add(out, rep.entries[i].package,
				    rep.entries[i].arch,
				    rep.entries[i].version,
				    rep.entries[i].why);
	}
	/* What was not checked keeps its earlier status. */
	for (i = 0; incremental && i < cur.n; i++) {
		if (!cur.v[i].fg || cur.v[i].mark == 1)
			continue;
		b = rec_find(prevrec, cur.v[i].name, cur.v[i].arch);
		if (b != NULL && strcmp(b->version, cur.v[i].version) == 0)
			rec_add(out, b->name, b->arch, b->version, b->why);
	}
	rv = 0;
out:
	if (rv == -1)
		rec_done(out);
	dose_report_done(&rep);
	cpkgs_done(&cur);
	cpkgs_done(&prev);
	free(fgp);
	free(bgp);
	free(outp);
	return rv;
}

static void
why_log(struct check_ctx *c, const char *why)
{
	const char	*p = why, *nl;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		check_log(c, "      %.*s\n", nl != NULL ? (int)(nl - p) :
		    (int)strlen(p), p);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

enum check_outcome
check_installability(struct check_ctx *c, struct dp_error *err)
{
	const struct conf_dist	*d;
	struct rec		 prevrec, prevprev, cur;
	struct buf		 newly;
	char			**bg = NULL, *digest = NULL, *const *a;
	size_t			 i, j, nnew = 0, nold = 0, nfixed = 0;
	int			 have_prev, got;
	enum check_outcome	 o = CHECK_ERROR;

	memset(&prevrec, 0, sizeof(prevrec));
	memset(&prevprev, 0, sizeof(prevprev));
	memset(&cur, 0, sizeof(cur));
	buf_init(&newly);
	for (i = 0; i < c->cfg->ndists; i++) {
		d = &c->cfg->dists[i];
		for (a = d->archs; *a != NULL; a++) {
			if (strcmp(*a, "all") == 0)
				continue;
			if (upstream_background(c->db, c->cfg, d, *a, &bg,
			    &digest, err) == -1) {
				dp_error_prefix(err, "background %s for %s/%s",
				    d->build_mirror, d->name, *a);
				goto out;
			}
			check_log(c, "background for %s/%s: %s suite %s "
			    "(%zu index files, digest %.16s)\n", d->name, *a,
			    d->build_mirror != NULL ? d->build_mirror :
			    "(no Build-Mirror)", d->build_suite,
			    strv_len(bg), digest);
			have_prev = 0;
			if (c->prev != NULL) {
				got = rec_load(c->cfg, c->prev, d->name, *a,
				    &prevrec, err);
				if (got == -1)
					goto out;
				if (got == 0) {
					/* Never checked: check it now,
					 * in full, to know what was broken
					 * before. */
					check_log(c, "the previous snapshot %s "
					    "was not checked: checking it "
					    "first\n", c->prev);
					if (evaluate(c, c->prev, d, *a, bg,
					    digest, NULL, NULL, &prevrec,
					    err) == -1 || rec_save(c->cfg,
					    c->prev, d->name, *a, &prevrec,
					    err) == -1)
						goto out;
				}
				have_prev = 1;
			}
			if (evaluate(c, c->id, d, *a, bg, digest, have_prev ?
			    &prevrec : NULL, c->prev, &cur, err) == -1 ||
			    rec_save(c->cfg, c->id, d->name, *a, &cur,
			    err) == -1)
				goto out;
			for (j = 0; j < cur.n; j++) {
				const struct brk *b = &cur.v[j];

				if (have_prev && rec_find(&prevrec, b->name,
				    b->arch) != NULL)
					continue;
				if (nnew++ == 0)
					check_log(c, "\nNEWLY UNINSTALLABLE "
					    "(this fails the check):\n");
				check_log(c, "  %s %s (%s) in %s/%s:\n",
				    b->name, b->version, b->arch, d->name, *a);
				why_log(c, b->why);
				if (nnew <= 5)
					buf_printf(&newly, "%s%s (%s/%s)",
					    newly.len > 0 ? ", " : "", b->name,
					    d->name, *a);
			}
			for (j = 0; j < cur.n; j++) {
				const struct brk *b = &cur.v[j];

				if (!have_prev || rec_find(&prevrec, b->name,
				    b->arch) == NULL)
					continue;
				if (nold++ == 0)
					check_log(c, "\nalready uninstallable "
					    "in %s (not blamed again):\n",
					    c->prev);
				check_log(c, "  %s %s (%s) in %s/%s:\n",
				    b->name, b->version, b->arch, d->name, *a);
				why_log(c, b->why);
			}
			for (j = 0; have_prev && j < prevrec.n; j++)
				if (rec_find(&cur, prevrec.v[j].name,
				    prevrec.v[j].arch) == NULL) {
					if (nfixed++ == 0)
						check_log(c, "\ninstallable "
						    "again:\n");
					check_log(c, "  %s (%s)\n",
					    prevrec.v[j].name,
					    prevrec.v[j].arch);
				}
			rec_done(&prevrec);
			rec_done(&cur);
			strv_free(bg);
			bg = NULL;
			free(digest);
			digest = NULL;
		}
	}
	if (nnew > 0) {
		check_summary(c, "%zu newly uninstallable: %s%s", nnew,
		    newly.data, nnew > 5 ? ", ..." : "");
		o = CHECK_FAILURE;
	} else {
		check_summary(c, "no package became uninstallable (%zu "
		    "already were)", nold);
		o = CHECK_SUCCESS;
	}
	check_log(c, "\n%s\n", c->summary);
out:
	rec_done(&prevrec);
	rec_done(&prevprev);
	rec_done(&cur);
	strv_free(bg);
	free(digest);
	buf_done(&newly);
	return o;
}
