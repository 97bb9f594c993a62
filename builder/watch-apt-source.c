/*
 * watch-apt-source.c - Type: apt-source watches: find the newest version
 * of a source package in a verified upstream Sources index (through the
 * apt client, lib/upstream.c), fetch and verify its files, unpack it, add
 * the org's quilt patches and stamp a rebuild version (see builder.h).
 */
#include "autoconfig.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "db-packages.h"
#include "deb822.h"
#include "error.h"
#include "fsutil.h"
#include "spawn.h"
#include "strlist.h"
#include "upstream.h"
#include "version.h"
#include "xmalloc.h"

#include "builder.h"

/* -- Type: apt-source --------------------------------------------------- */

struct srcpkg {
	char		*version;
	char		*directory;
	struct sumfile	*files;
	size_t		 nfiles;
	char		*what;		/* index:line, for messages */
};

static void
srcpkg_done(struct srcpkg *s)
{
	free(s->version);
	free(s->directory);
	upstream_sums_free(s->files, s->nfiles);
	free(s->what);
	memset(s, 0, sizeof(*s));
}

struct srcs_arg {
	const char	*source;
	const char	*what;
	struct srcpkg	*best;
};

static int
sources_para_cb(const struct deb822_para *para, void *arg,
    struct dp_error *err)
{
	struct srcs_arg	*a = arg;
	struct srcpkg	 s;
	const char	*name, *ver, *dir, *sums;
	size_t		 i;
	int		 dsc = 0;

	name = deb822_get(para, "Package");
	if (name == NULL || strcmp(name, a->source) != 0)
		return 0;
	memset(&s, 0, sizeof(s));
	ver = deb822_get(para, "Version");
	dir = deb822_get(para, "Directory");
	sums = deb822_get(para, "Checksums-Sha256");
	if (ver == NULL || version_validate(ver, err) == -1) {
		if (ver == NULL)
			dp_error_set(err, DP_ERR_PARSE, "no Version");
		goto bad;
	}
	if (a->best->version != NULL &&
	    version_compare(ver, a->best->version) <= 0)
		return 0;
	if (dir == NULL || !fs_relpath_is_safe(dir)) {
		dp_error_set(err, DP_ERR_INVALID, "Directory '%.200s' is not "
		    "a safe relative path", dir ? dir : "");
		goto bad;
	}
	if (sums == NULL) {
		dp_error_set(err, DP_ERR_INVALID, "no Checksums-Sha256");
		goto bad;
	}
	if (upstream_sums_parse(sums, "Checksums-Sha256", &s.files, &s.nfiles,
	    err) == -1)
		goto bad;
	for (i = 0; i < s.nfiles; i++) {
		if (!fs_name_is_safe(s.files[i].name)) {
			dp_error_set(err, DP_ERR_INVALID, "unsafe file name "
			    "'%.200s'", s.files[i].name);
			goto bad;
		}
		if (s.files[i].size > FILE_MAX) {
			dp_error_set(err, DP_ERR_INVALID, "%s: size above the "
			    "limit of %llu bytes", s.files[i].name, FILE_MAX);
			goto bad;
		}
		if (strlen(s.files[i].name) > 4 && strcmp(s.files[i].name +
		    strlen(s.files[i].name) - 4, ".dsc") == 0)
			dsc++;
	}
	if (dsc != 1) {
		dp_error_set(err, DP_ERR_INVALID, "lists %d .dsc files, "
		    "expected one", dsc);
		goto bad;
	}
	s.version = xstrdup(ver);
	s.directory = xstrdup(dir);
	s.what = xasprintf("%s:%d", a->what, para->line);
	srcpkg_done(a->best);
	*a->best = s;
	return 0;
bad:
	upstream_sums_free(s.files, s.nfiles);
	dp_error_prefix(err, "%s:%d: source %s", a->what, para->line, name);
	return -1;
}

int
aptsrc_sources_parse(const char *source, const char *buf, size_t len,
    const char *what, char **version, struct dp_error *err)
{
	struct srcpkg	 best;
	struct srcs_arg	 sa;
	int		 rv;

	memset(&best, 0, sizeof(best));
	sa.source = source;
	sa.what = what;
	sa.best = &best;
	rv = deb822_parse(buf, len, what, 0, sources_para_cb, &sa, err);
	*version = best.version != NULL ? xstrdup(best.version) : NULL;
	srcpkg_done(&best);
	return rv;
}

/* The .dsc must list exactly files that Sources vouched for. */
static int
dsc_check(const char *path, const struct srcpkg *s, struct dp_error *err)
{
	struct deb822_para	*para = NULL;
	struct sumfile		*files = NULL;
	const struct sumfile	*sf;
	char			*data = NULL;
	const char		*sums;
	size_t			 len, nfiles = 0, i;
	int			 rv = -1;

	if (fs_read_file(path, DSC_MAX, &data, &len, err) == -1)
		goto out;
	if (deb822_parse_one(data, len, path, DEB822_PGP, &para, err) == -1)
		goto out;
	if ((sums = deb822_get(para, "Checksums-Sha256")) == NULL) {
		dp_error_set(err, DP_ERR_INVALID, "%s: no Checksums-Sha256",
		    path);
		goto out;
	}
	if (upstream_sums_parse(sums, path, &files, &nfiles, err) == -1)
		goto out;
	for (i = 0; i < nfiles; i++) {
		sf = upstream_sums_find(s->files, s->nfiles, files[i].name);
		if (sf == NULL || sf->size != files[i].size ||
		    strcmp(sf->sha256, files[i].sha256) != 0) {
			dp_error_set(err, DP_ERR_INVALID, "%s: %s does not "
			    "match the Sources index (%s)", path,
			    files[i].name, s->what);
			goto out;
		}
	}
	rv = 0;
out:
	deb822_para_free(para);
	upstream_sums_free(files, nfiles);
	free(data);
	return rv;
}

/* Run argv in cwd with output appended to logpath; on failure add the
 * tail of the log to err. */
static int
run_logged(char *const argv[], const char *cwd, const char *logpath,
    char *const env[], struct dp_error *err)
{
	struct spawn_opts	 o;
	struct stat		 sb;
	char			*data = NULL, *tail;
	size_t			 len;
	off_t			 before = 0;
	int			 rv;

	memset(&o, 0, sizeof(o));
	o.cwd = cwd;
	o.log_path = logpath;
	o.env = env;
	o.timeout = 1800;
	if (stat(logpath, &sb) == 0)
		before = sb.st_size;
	if ((rv = spawn_run(argv, &o, NULL, NULL, err)) == 0)
		return 0;
	if (fs_read_file(logpath, 16 << 20, &data, &len, NULL) == 0 &&
	    (size_t)before < len) {
		tail = data + before;
		if (strlen(tail) > 800)
			tail += strlen(tail) - 800;
		while (len > 0 && data[len - 1] == '\n')
			data[--len] = '\0';
		if (err != NULL) {
			char msg[sizeof(err->msg)];

			memcpy(msg, err->msg, sizeof(msg));
			dp_error_set(err, err->code, "%s:\n%s", msg, tail);
		}
	}
	free(data);
	return rv;
}

static int
read_trimmed(const char *path, char **out)
{
	char	*data;
	size_t	 len;

	if (fs_read_file(path, 4096, &data, &len, NULL) == -1)
		return -1;
	while (len > 0 && isspace((unsigned char)data[len - 1]))
		data[--len] = '\0';
	*out = data;
	return 0;
}

/* Is name one of the lines of text? */
static int
line_in(const char *text, const char *name)
{
	size_t		 len = strlen(name);
	const char	*p = text;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == text || p[-1] == '\n') &&
		    (p[len] == '\n' || p[len] == '\0'))
			return 1;
		p += len;
	}
	return 0;
}

/*
 * Add the patches of the series in patchdir to srcdir.  3.0 (quilt):
 * copied into debian/patches, appended to debian/patches/series and
 * applied with dpkg-source --before-build; other formats: applied with
 * patch -p1.  A patch that does not apply is named in the error.
 */
static int
patches_apply(const char *patchdir, const char *srcdir, const char *logpath,
    char ***applied, struct dp_error *err)
{
	struct buf	 series;
	char		*spath = NULL, *sdata = NULL, *fmtpath = NULL;
	char		*fmt = NULL, *line, *save = NULL, *src = NULL, *dst;
	char		*dpdir = NULL, *dseries = NULL, *old = NULL;
	char		*pcapplied = NULL, *pcdata = NULL;
	char		**w = NULL, **names = NULL;
	size_t		 len, n = 0, i;
	int		 quilt, brv, rv = -1;

	buf_init(&series);
	spath = fs_join(patchdir, "series");
	if (fs_read_file(spath, 1 << 20, &sdata, &len, err) == -1) {
		dp_error_prefix(err, "Patches: %s needs a quilt series file",
		    patchdir);
		goto out;
	}
	names = xcalloc(1, sizeof(*names));
	for (line = strtok_r(sdata, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		strv_free(w);
		w = upstream_words(line);
		if (w[0] == NULL || w[0][0] == '#')
			continue;
		if (!fs_relpath_is_safe(w[0]) || (w[1] != NULL &&
		    (strcmp(w[1], "-p1") != 0 || w[2] != NULL))) {
			dp_error_set(err, DP_ERR_INVALID, "%s: unusable "
			    "series line '%.200s' (a relative patch name, "
			    "optionally -p1)", spath, line);
			goto out;
		}
		names = xreallocarray(names, n + 2, sizeof(*names));
		names[n++] = xstrdup(w[0]);
		names[n] = NULL;
	}

	fmtpath = fs_join(srcdir, "debian/source/format");
	quilt = read_trimmed(fmtpath, &fmt) == 0 &&
	    strcmp(fmt, "3.0 (quilt)") == 0;
	dpdir = fs_join(srcdir, "debian/patches");
	for (i = 0; i < n; i++) {
		free(src);
		src = fs_join(patchdir, names[i]);
		if (access(src, R_OK) == -1) {
			dp_error_errno(err, "%s (listed in %s)", src, spath);
			goto out;
		}
		if (!quilt) {
			char *argv[] = { "patch", "-p1", "--batch",
			    "--forward", "--no-backup-if-mismatch",
			    "--dry-run", "-i", src, NULL };

			if (run_logged(argv, srcdir, logpath, NULL,
			    err) == -1 ||
			    (argv[5] = "--quiet", run_logged(argv, srcdir,
			    logpath, NULL, err) == -1)) {
				dp_error_prefix(err, "patch %s from %s does "
				    "not apply", names[i], patchdir);
				goto out;
			}
			continue;
		}
		dst = fs_join(dpdir, names[i]);
		if (access(dst, F_OK) == 0) {
			dp_error_set(err, DP_ERR_EXISTS, "patch %s from %s: "
			    "the source already has debian/patches/%s; "
			    "rename it in %s", names[i], patchdir, names[i],
			    spath);
			free(dst);
			goto out;
		}
		{
			char *parent = xstrdup(dst);

			*strrchr(parent, '/') = '\0';
			if (fs_mkdirs(parent, 0755, err) == -1) {
				free(parent);
				free(dst);
				goto out;
			}
			free(parent);
		}
		if (fs_copy_file(src, dst, 0644, err) == -1) {
			free(dst);
			goto out;
		}
		free(dst);
		buf_printf(&series, "%s\n", names[i]);
	}
	if (quilt && n > 0) {
		char *argv[] = { "dpkg-source", "--before-build", ".", NULL };

		dseries = fs_join(dpdir, "series");
		if (access(dseries, F_OK) == 0 &&
		    fs_read_file(dseries, 1 << 20, &old, &len, err) == -1)
			goto out;
		if (old != NULL && len > 0 && old[len - 1] != '\n') {
			/* keep the last upstream line intact */
			char *t = xasprintf("%s\n%s", old, series.data);

			buf_reset(&series);
			buf_adds(&series, t);
			free(t);
		} else if (old != NULL) {
			char *t = xasprintf("%s%s", old, series.data);

			buf_reset(&series);
			buf_adds(&series, t);
			free(t);
		}
		if (fs_write_atomic(dseries, series.data, series.len, 0644,
		    err) == -1)
			goto out;
		/*
		 * dpkg-source applies the series only when its first
		 * unapplied patch applies, and says nothing otherwise: check
		 * .pc/applied-patches, and let patch(1) explain a failure.
		 */
		brv = run_logged(argv, srcdir, logpath, NULL, err);
		pcapplied = fs_join(srcdir, ".pc/applied-patches");
		if (fs_read_file(pcapplied, 1 << 20, &pcdata, &len,
		    NULL) == -1)
			pcdata = xstrdup("");
		for (i = 0; i < n; i++)
			if (!line_in(pcdata, names[i]))
				break;
		if (i < n) {
			char *pp = fs_join(dpdir, names[i]);
			char *pargv[] = { "patch", "-p1", "--batch",
			    "--forward", "--dry-run", "-i", pp, NULL };

			if (run_logged(pargv, srcdir, logpath, NULL,
			    err) == 0)
				dp_error_set(err, DP_ERR_INVALID,
				    "dpkg-source --before-build did not "
				    "apply it (see %s)", logpath);
			free(pp);
			dp_error_prefix(err, "patch %s from %s does not "
			    "apply", names[i], patchdir);
			goto out;
		}
		if (brv == -1) {
			dp_error_prefix(err, "dpkg-source --before-build");
			goto out;
		}
	}
	*applied = names;
	names = NULL;
	rv = 0;
out:
	buf_done(&series);
	strv_free(w);
	strv_free(names);
	free(spath);
	free(sdata);
	free(fmtpath);
	free(fmt);
	free(src);
	free(dpdir);
	free(dseries);
	free(old);
	free(pcapplied);
	free(pcdata);
	return rv;
}

/* Raise *maxn to n when v is "<prefix><n>". */
static void
rebuild_seen(const char *v, const char *prefix, long *maxn)
{
	const char	*p;
	long		 n;

	if (v == NULL)
		return;
	/* skip an epoch difference: compare after prefix */
	p = v + strlen(prefix);
	if (*p == '\0' || strspn(p, "0123456789") != strlen(p) ||
	    strlen(p) > 9)
		return;
	n = strtol(p, NULL, 10);
	if (n > *maxn)
		*maxn = n;
}

/* Highest n already used in "<version>+<suffix><n>" for this source:
 * in the pool (sources, packages) and in the watch's builds. */
struct rebuild_seen {
	const char	*prefix;
	long		*maxn;
};

static void
rebuild_version(const char *version, void *arg)
{
	struct rebuild_seen *rs = arg;

	rebuild_seen(version, rs->prefix, rs->maxn);
}

static int
rebuild_count(struct db *db, const struct conf_watch *w, const char *prefix,
    long *maxn, struct dp_error *err)
{
	struct rebuild_seen	 rs = { prefix, maxn };
	char			**built = NULL;
	size_t			 i;

	*maxn = 0;
	if (db_pkg_source_versions(db, w->source, prefix, rebuild_version,
	    &rs, err) == -1)
		return -1;
	if (db_build_versions_prefixed(db, w->name, prefix, &built, err) == -1)
		return -1;
	for (i = 0; built[i] != NULL; i++)
		rebuild_seen(built[i], prefix, maxn);
	strv_free(built);
	return 0;
}

/* Put the rebuild entry (stamp.c) on top of debian/changelog. */
static int
changelog_stamp(const struct config *cfg, const struct conf_watch *w,
    const char *srcdir, const char *newver, const char *upver,
    char *const *patches, struct dp_error *err)
{
	struct buf	 b;
	struct strlist	 lines;
	char		*path, *old = NULL, *entry;
	size_t		 len, i;
	int		 rv = -1;

	buf_init(&b);
	strlist_init(&lines);
	path = fs_join(srcdir, "debian/changelog");
	if (fs_read_file(path, 64 << 20, &old, &len, err) == -1)
		goto out;
	strlist_take(&lines, xasprintf("Rebuild of %s %s from %s (%s) by "
	    "debpipe (watch %s).", w->source, upver, w->url, w->suite,
	    w->name));
	for (i = 0; patches != NULL && patches[i] != NULL; i++)
		strlist_take(&lines, xasprintf("Add patch %s.", patches[i]));
	entry = stamp_entry(w->source, newver, w->dist, cfg->maintainer,
	    time(NULL), lines.v);
	buf_adds(&b, entry);
	free(entry);
	buf_add(&b, old, len);
	if (fs_write_atomic(path, b.data, b.len, 0644, err) == -1)
		goto out;
	rv = 0;
out:
	buf_done(&b);
	strlist_free(&lines);
	free(path);
	free(old);
	return rv;
}

int
aptsrc_prepare(struct db *db, const struct config *cfg,
    const struct conf_watch *w, const char *last_version,
    const char *workdir, char **srcdir, char **upstream_version,
    struct dp_error *err)
{
	struct up		 u;
	struct srcpkg		 best;
	struct srcs_arg		 sa;
	struct buf		 idx;
	struct version		 ver;
	char			**comps, **patches = NULL;
	char			*path = NULL, *what = NULL, *dsc = NULL;
	char			*dir = NULL, *dirname = NULL;
	char			*logpath = NULL, *prefix = NULL;
	char			*newver = NULL, *label = NULL;
	char			**paths = NULL;
	struct dl		*dls = NULL;
	const char		*prev;
	size_t			 i, ndls = 0;
	long			 maxn;
	int			 conditional, have_ver = 0, rv = -1;

	memset(&best, 0, sizeof(best));
	memset(&ver, 0, sizeof(ver));
	buf_init(&idx);
	if (upstream_ctx_init(&u, db, cfg, w, err) == -1)
		goto out;
	if (w->source == NULL || version_name_validate(w->source, err) == -1) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: watch %s: missing "
		    "or invalid Source:", w->file, w->line, w->name);
		goto out;
	}
	/* A 304 means "nothing new" only if the builder already has what
	 * we found last time. */
	prev = upstream_state_get(&u, "version");
	conditional = last_version != NULL && prev != NULL &&
	    strcmp(prev, last_version) == 0 &&
	    (prev = upstream_state_get(&u, "config")) != NULL &&
	    strcmp(prev, u.cfgdigest) == 0;
	if (upstream_release_fetch(&u, conditional, err) == -1)
		goto out;
	if (u.unchanged) {
		rv = 1;
		goto out;
	}

	comps = w->components != NULL && w->components[0] != NULL ?
	    w->components : u.rel.components;
	sa.source = w->source;
	sa.best = &best;
	for (i = 0; comps != NULL && comps[i] != NULL; i++) {
		free(path);
		path = xasprintf("%s/source/Sources", comps[i]);
		if (!fs_relpath_is_safe(path)) {
			dp_error_set(err, DP_ERR_INVALID, "unusable component "
			    "'%s'", comps[i]);
			goto fail;
		}
		if (upstream_index_fetch(&u, path, &idx, err) == -1)
			goto fail;
		free(what);
		what = xasprintf("%s/dists/%s/%s", u.base, w->suite, path);
		sa.what = what;
		if (deb822_parse(idx.data, idx.len, what, 0, sources_para_cb,
		    &sa, err) == -1)
			goto fail;
	}
	buf_done(&idx);
	if (best.version == NULL) {
		dp_error_set(err, DP_ERR_NOTFOUND, "source package %s not "
		    "found in %s %s", w->source, u.base, w->suite);
		goto fail;
	}
	upstream_state_set_release(&u);
	upstream_state_set(&u, "version", best.version);
	if (upstream_state_save(&u, err) == -1)
		goto fail;
	if (last_version != NULL && strcmp(best.version, last_version) == 0) {
		rv = 1;
		goto out;
	}

	/* Fetch the .dsc and its files. */
	if (fs_mkdirs(workdir, 0755, err) == -1)
		goto fail;
	dls = xcalloc(best.nfiles + 1, sizeof(*dls));
	ndls = best.nfiles;
	paths = xcalloc(best.nfiles + 1, sizeof(*paths));
	label = xasprintf("%s %s", w->source, best.version);
	for (i = 0; i < best.nfiles; i++) {
		paths[i] = xasprintf("%s/%s", best.directory,
		    best.files[i].name);
		dls[i].relurl = paths[i];
		dls[i].name = best.files[i].name;
		dls[i].size = best.files[i].size;
		dls[i].sha256 = best.files[i].sha256;
		dls[i].label = label;
	}
	if (upstream_files_download(&u, workdir, dls, best.nfiles, err) == -1)
		goto fail;
	for (i = 0; i < best.nfiles; i++)
		if (strcmp(dls[i].name + strlen(dls[i].name) - 4,
		    ".dsc") == 0)
			dsc = xstrdup(dls[i].path);
	if (dsc_check(dsc, &best, err) == -1)
		goto fail;

	/* Unpack. */
	if (version_parse(best.version, &ver, err) == -1)
		goto fail;
	have_ver = 1;
	dirname = xasprintf("%s-%s", w->source, ver.upstream);
	dir = fs_join(workdir, dirname);
	logpath = fs_join(workdir, "prepare.log");
	if (fs_remove_tree(dir, err) == -1)
		goto fail;
	{
		char *argv[] = { "dpkg-source", "-x", dsc, dirname, NULL };

		if (run_logged(argv, workdir, logpath, NULL, err) == -1) {
			dp_error_prefix(err, "unpack %s", dsc);
			goto fail;
		}
	}

	/* Patches. */
	if (w->patches != NULL && patches_apply(w->patches, dir, logpath,
	    &patches, err) == -1) {
		dp_error_prefix(err, "%s %s", w->source, best.version);
		goto fail;
	}

	/* Version: <upstream>+<suffix><n>, above every earlier rebuild. */
	prefix = xasprintf("%s+%s", best.version, cfg->version_suffix);
	if (rebuild_count(db, w, prefix, &maxn, err) == -1)
		goto fail;
	newver = xasprintf("%s%ld", prefix, maxn + 1);
	if (changelog_stamp(cfg, w, dir, newver, best.version, patches,
	    err) == -1)
		goto fail;

	*srcdir = dir;
	dir = NULL;
	*upstream_version = xstrdup(best.version);
	rv = 0;
	goto out;
fail:
	dp_error_prefix(err, "watch %s", w->name);
out:
	if (have_ver)
		version_done(&ver);
	upstream_ctx_done(&u);
	srcpkg_done(&best);
	buf_done(&idx);
	strv_free(patches);
	free(path);
	free(what);
	free(dsc);
	free(dir);
	free(dirname);
	free(logpath);
	free(prefix);
	free(newver);
	free(label);
	strv_free(paths);
	for (i = 0; dls != NULL && i < ndls; i++)
		free(dls[i].path);
	free(dls);
	return rv;
}
