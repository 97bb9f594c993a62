/*
 * build-result.c - what a build produced: the .deb files (and the .dsc
 * with Build-Source: yes) in the build directory, checked by name, added
 * to the pool with origin "build:<watch>"; the .buildinfo kept beside the
 * build log and published beside the package.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builder.h"
#include "db-packages.h"
#include "fsutil.h"
#include "pool.h"
#include "version.h"
#include "xmalloc.h"

#include "build-int.h"

/* name_<version>_arch.deb with the version we built.  1/0. */
static int
deb_name_expected(const char *fname, const char *version)
{
	const char	*u1, *u2, *dot, *p;
	size_t		 vlen = strlen(version);

	char		*name;
	int		 ok;

	if ((u1 = strchr(fname, '_')) == NULL)
		return 0;
	name = xstrndup(fname, (size_t)(u1 - fname));
	ok = version_name_validate(name, NULL) == 0;
	free(name);
	if (!ok)
		return 0;
	if (strncmp(u1 + 1, version, vlen) != 0 || u1[1 + vlen] != '_')
		return 0;
	u2 = u1 + 1 + vlen;
	if ((dot = strrchr(u2, '.')) == NULL || strcmp(dot, ".deb") != 0 ||
	    dot == u2 + 1)
		return 0;
	for (p = u2 + 1; p < dot; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p)
		    || *p == '-'))
			return 0;
	return 1;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* The .deb (and .dsc) files in the build directory, checked.  Caller
 * strv_free()s *paths. */
static int
collect_results(struct build *b, char ***paths, struct dp_error *err)
{
	DIR		*d = NULL;
	struct dirent	*de;
	struct stat	 sb;
	char		**v = NULL, *path, *dsc;
	const char	*ver = version_noepoch(b->version);
	size_t		 n = 0;
	int		 rv = -1, have_dsc = 0;

	*paths = NULL;
	dsc = xasprintf("%s_%s.dsc", b->source, ver);
	if ((d = opendir(b->dir)) == NULL) {
		dp_error_errno(err, "%s", b->dir);
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		int is_deb = ends_with(de->d_name, ".deb") ||
		    ends_with(de->d_name, ".udeb") ||
		    ends_with(de->d_name, ".ddeb");
		int is_dsc = ends_with(de->d_name, ".dsc");

		if (!is_deb && !is_dsc)
			continue;
		/* Other .dsc files are inputs (apt-source): not ours. */
		if (is_dsc && (!b->w->build_source ||
		    strcmp(de->d_name, dsc) != 0))
			continue;
		if (!fs_name_is_safe(de->d_name) || (is_deb &&
		    !deb_name_expected(de->d_name, ver))) {
			char *name = str_printable(xstrdup(de->d_name));

			dp_error_set(err, DP_ERR_INVALID, "the build produced "
			    "an unexpected file '%s' (expected "
			    "NAME_%s_ARCH.deb%s%s)", name, ver,
			    b->w->build_source ? " and " : "",
			    b->w->build_source ? dsc : "");
			free(name);
			goto out;
		}
		path = fs_join(b->dir, de->d_name);
		if (lstat(path, &sb) == -1 || !S_ISREG(sb.st_mode)) {
			dp_error_set(err, DP_ERR_INVALID, "the build produced "
			    "'%s', which is not a regular file", de->d_name);
			free(path);
			goto out;
		}
		if (is_dsc)
			have_dsc = 1;
		v = xreallocarray(v, n + 2, sizeof(*v));
		v[n++] = path;
		v[n] = NULL;
	}
	if (n == 0 || (n == 1 && have_dsc)) {
		dp_error_set(err, DP_ERR_INVALID, "the build produced no .deb "
		    "for version %s", b->version);
		goto out;
	}
	if (b->w->build_source && !have_dsc) {
		dp_error_set(err, DP_ERR_INVALID, "Build-Source: yes but the "
		    "build produced no %s", dsc);
		goto out;
	}
	*paths = v;
	v = NULL;
	rv = 0;
out:
	if (d != NULL)
		closedir(d);
	strv_free(v);
	free(dsc);
	return rv;
}

/* The .buildinfo the build made (NAME_VERSION_ARCH.buildinfo in the
 * build directory), or NULL.  Caller frees. */
static char *
find_buildinfo(struct build *b)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*prefix, *found = NULL, *p;

	if ((d = opendir(b->dir)) == NULL)
		return NULL;
	prefix = xasprintf("%s_%s_", b->source, version_noepoch(b->version));
	while (found == NULL && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 ||
		    !ends_with(de->d_name, ".buildinfo") ||
		    !fs_name_is_safe(de->d_name))
			continue;
		p = fs_join(b->dir, de->d_name);
		if (lstat(p, &sb) == 0 && S_ISREG(sb.st_mode))
			found = p;
		else
			free(p);
	}
	closedir(d);
	free(prefix);
	return found;
}

/*
 * Keep the .buildinfo beside the build log (logs/build-<id>.buildinfo,
 * builds.buildinfo) and publish it beside the package in the pool
 * (reproducible-builds provenance); pkg_id is one of the packages it
 * describes.  Never fails the build: what goes wrong is logged.
 */
static void
keep_buildinfo(struct build *b, int64_t pkg_id)
{
	struct dp_error	 err;
	struct stat	 sb;
	char		*src, *kept = NULL, *pool = NULL, *dir = NULL, *dst = NULL;
	char		*slash, *path = NULL;

	if ((src = find_buildinfo(b)) == NULL) {
		build_logf(b, "the build made no .buildinfo");
		return;
	}
	kept = xasprintf("%.*s.buildinfo", (int)(strlen(b->log) - 4), b->log);
	if (fs_copy_file(src, kept, 0644, &err) == -1 ||
	    db_build_set(b->db, b->row.id, "buildinfo", kept, &err) == -1) {
		build_logf(b, "keeping the .buildinfo: %s", dp_error_str(&err));
		goto out;
	}
	b->buildinfo = xstrdup(kept);
	if (db_pkg_file_path(b->db, pkg_id, &path, &err) != 1)
		goto out;
	pool = config_pool_dir(b->cfg);
	dir = path[0] == '/' ? xstrdup(path) : fs_join(pool, path);
	if ((slash = strrchr(dir, '/')) == NULL)
		goto out;
	*slash = '\0';
	dst = fs_join(dir, strrchr(src, '/') + 1);
	/* Published files do not change: an identical rebuild keeps the
	 * first one. */
	if (lstat(dst, &sb) == 0)
		build_logf(b, "buildinfo %s is already published", dst);
	else if (fs_copy_file(src, dst, 0644, &err) == -1)
		build_logf(b, "publishing the .buildinfo: %s", dp_error_str(&err));
	else
		build_logf(b, "buildinfo kept as %s, published as %s", kept, dst);
out:
	free(path);
	free(src);
	free(kept);
	free(pool);
	free(dir);
	free(dst);
}

int
build_ingest(struct build *b, struct dp_error *err)
{
	struct pool_add_opts	 po;
	struct pool_added	*added = NULL;
	size_t			 nadded = 0, i;
	char			**paths = NULL, *origin;
	struct buf		 msg;
	int			 rv = -1;

	buf_init(&msg);
	origin = xasprintf("build:%s", b->w->name);
	if (collect_results(b, &paths, err) == -1)
		goto out;
	for (i = 0; paths[i] != NULL; i++)
		build_logf(b, "adding %s to %s/%s", paths[i], b->w->dist,
		    b->w->component != NULL ? b->w->component : "(default)");
	memset(&po, 0, sizeof(po));
	po.link = 1;	/* the build directory is ours and goes away */
	po.dist = b->w->dist;
	po.component = b->w->component;
	po.origin = origin;
	if (pool_add(b->db, b->cfg, paths, &po, &added, &nadded, err) == -1) {
		dp_error_prefix(err, "adding the packages to the pool");
		goto out;
	}
	buf_printf(&msg, "built %s %s:", b->source, b->version);
	for (i = 0; i < nadded; i++)
		buf_printf(&msg, " %s_%s", added[i].name, added[i].arch);
	b->message = buf_steal(&msg);
	for (i = 0; i < nadded; i++)
		if (strcmp(added[i].arch, "source") != 0) {
			keep_buildinfo(b, added[i].id);
			break;
		}
	rv = 0;
out:
	pool_added_free(added, nadded);
	strv_free(paths);
	free(origin);
	buf_done(&msg);
	return rv;
}
