/*
 * backend-sbuild.c - Builder: sbuild: build the source package, then
 * build it with sbuild in an unshare chroot made from the Distribution's
 * chroot tarball (lib/chroot.c; made first when missing), offered the
 * packages debpipe holds for the Distribution.  Unsatisfiable build
 * dependencies (dose3) make the build wait rather than fail.
 */
#include "autoconfig.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "builder.h"
#include "chroot.h"
#include "db-packages.h"
#include "fsutil.h"
#include "spawn.h"
#include "version.h"
#include "xmalloc.h"

#include "build-int.h"

/* A directory of the packages debpipe holds for the build's
 * Distribution (host arch and all), for sbuild --extra-package: a
 * package can build-depend on one debpipe built before.  *dir NULL when
 * there are none. */
struct extra {
	struct build	*b;
	char		*pool;
	char		*dir;
	int		 n;
	struct dp_error	*err;
};

static int
extra_one(const char *path, void *arg)
{
	struct extra	*x = arg;
	const char	*base;
	char		*from, *to;
	int		 rv;

	if (path == NULL || (base = strrchr(path, '/')) == NULL ||
	    !fs_name_is_safe(base + 1))
		return 0;
	if (x->n++ == 0 && fs_mkdirs(x->dir, 0755, x->err) == -1)
		return -1;
	from = path[0] == '/' ? xstrdup(path) : fs_join(x->pool, path);
	to = fs_join(x->dir, base + 1);
	rv = fs_link_or_copy(from, to, x->err);
	free(from);
	free(to);
	return rv;
}

static int
extra_packages(struct build *b, char **dir, struct dp_error *err)
{
	struct extra	 x;
	int		 rv = -1;

	*dir = NULL;
	memset(&x, 0, sizeof(x));
	x.b = b;
	x.err = err;
	x.dir = fs_join(b->cr.work, "debpipe-packages");
	x.pool = config_pool_dir(b->cfg);
	if (db_pkg_dist_files(b->db, b->w->dist, chroot_host_arch(),
	    extra_one, &x, err) == -1)
		goto out;
	if (x.n > 0) {
		if (b->cr.drop && chown(x.dir, b->cr.uid, b->cr.gid) == -1) {
			/* readable anyway (0755) */
		}
		*dir = x.dir;
		x.dir = NULL;
		build_logf(b, "%d package(s) of %s offered to the build", x.n,
		    b->w->dist);
	}
	rv = 0;
out:
	free(x.pool);
	free(x.dir);
	return rv;
}

/* The chroot tarball of the build (made first when missing), linked
 * into the work directory so that an update does not disturb it.
 * Caller frees. */
static char *
build_chroot(struct build *b, struct dp_error *err)
{
	const struct conf_dist	*d = config_dist_find(b->cfg, b->w->dist);
	const char		*arch = chroot_host_arch();
	char			*tb, *link = NULL;
	struct stat		 sb;

	tb = chroot_tarball_path(b->cfg, b->w->dist, arch);
	if (stat(tb, &sb) == -1) {
		build_logf(b, "no chroot %s-%s yet: making it with mmdebstrap "
		    "(takes minutes)", b->w->dist, arch);
		if (d == NULL || chroot_create(b->cfg, d, arch, b->log, 1,
		    err) == -1)
			goto out;
		build_logf(b, "made the chroot %s", tb);
	}
	link = xasprintf("%s/%s-%s.tar.zst", b->cr.work, b->w->dist, arch);
	unlink(link);
	if (fs_link_or_copy(tb, link, err) == -1) {
		free(link);
		link = NULL;
	} else if (stat(link, &sb) == 0) {
		char when[32];

		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
		    gmtime(&sb.st_mtime));
		/* A refresh renames a new tarball over tb: this build keeps
		 * the one it linked. */
		build_logf(b, "chroot %s (made %s, inode %lu), linked as %s", tb,
		    when, (unsigned long)sb.st_ino, link);
	}
out:
	free(tb);
	return link;
}

/*
 * sbuild unpacks its chroot into a directory of its own choosing (/tmp
 * by default) and leaves it there, 600 MB, when it is killed before its
 * clean-up ends (a Build-Timeout on a loaded machine).  Ours go into a
 * directory of the build's own instead, <work prefix>chroot-XXXXXX in
 * /var/tmp (sbuild's $unshare_tmpdir_template, through a configuration
 * file of the build's own), so that what is left can be found and
 * removed.  Mode 0711: tar runs as a subordinate id and must get
 * through it.
 */
static int
sbuild_config(struct build *b, struct dp_error *err)
{
	char	*text, *pre;
	int	 rv;

	pre = cleanroom_work_prefix(b->dir);
	free(b->sbuild_tmp);
	b->sbuild_tmp = xasprintf("%schroot-XXXXXX", pre);
	free(pre);
	if (mkdtemp(b->sbuild_tmp) == NULL) {
		dp_error_errno(err, "mkdtemp %s", b->sbuild_tmp);
		free(b->sbuild_tmp);
		b->sbuild_tmp = NULL;
		return -1;
	}
	if ((b->cr.drop && chown(b->sbuild_tmp, b->cr.uid, b->cr.gid) == -1) ||
	    chmod(b->sbuild_tmp, 0711) == -1) {
		dp_error_errno(err, "%s", b->sbuild_tmp);
		return -1;
	}
	free(b->sbuild_conf);
	b->sbuild_conf = xasprintf("%s/.sbuild.conf", b->cr.work);
	text = xasprintf("# written by debpipe-builder for this build\n"
	    "$unshare_tmpdir_template = '%s/chroot.XXXXXXXXXX';\n1;\n",
	    b->sbuild_tmp);
	rv = fs_write_atomic(b->sbuild_conf, text, strlen(text), 0644, err);
	free(text);
	return rv;
}

/* Remove the unpacked chroot sbuild left: its files belong to the build
 * user's subordinate ids, so rm runs in a user namespace that maps them
 * (as the build user); then the directory of the build's own. */
static void
sbuild_remove_chroots(struct build *b)
{
	char		*pat;
	glob_t		 g;
	size_t		 i;
	struct dp_error	 e;

	if (b->sbuild_tmp == NULL)
		return;
	pat = xasprintf("%s/chroot.*", b->sbuild_tmp);
	if (glob(pat, GLOB_NOSORT, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++) {
			char *rm[] = { "unshare", "--user", "--map-auto",
			    "--map-root-user", "rm", "-rf", "--",
			    g.gl_pathv[i], NULL };

			build_logf(b, "removing the chroot sbuild left: %s",
			    g.gl_pathv[i]);
			if (build_tool_run_as(b, rm, b->cr.work, 600, 1, &e) == -1 ||
			    rmdir(g.gl_pathv[i]) == -1)
				fs_remove_tree(g.gl_pathv[i], NULL);
		}
		globfree(&g);
	}
	free(pat);
	if (rmdir(b->sbuild_tmp) == -1)
		build_logf(b, "cannot remove %s: %s", b->sbuild_tmp, strerror(errno));
	free(b->sbuild_tmp);
	b->sbuild_tmp = NULL;
}

static int
run_sbuild(struct build *b, const char *src, struct dp_error *err)
{
	char	*srcargv[] = { "dpkg-source", "--build", "src", NULL };
	char	*argv[20], *dsc = NULL, *distarg = NULL, *chrootarg = NULL;
	char	*tb = NULL, *extra = NULL, *extraarg = NULL, *bdarg = NULL;
	char	*line;
	int	 n = 0, rv = -1, code, rc;
	size_t	 left;
	long	 off;

	(void)src;
	/* sbuild builds a source package in a clean chroot. */
	if (build_tool_run(b, srcargv, b->dir, 600, err) == -1)
		return -1;
	if (cleanroom_init(&b->cr, b->cfg, b->row.id, b->dir, 1, err) == -1) {
		dp_error_prefix(err, "%s:%d: watch '%s'", b->w->file,
		    b->w->line, b->w->name);
		return -1;
	}
	if ((tb = build_chroot(b, err)) == NULL)
		goto out;
	if (extra_packages(b, &extra, err) == -1)
		goto out;
	dsc = xasprintf("%s_%s.dsc", b->source, version_noepoch(b->version));
	distarg = xasprintf("--dist=%s", b->w->dist);
	chrootarg = xasprintf("--chroot=%s", tb);
	bdarg = xasprintf("--build-dir=%s", b->cr.work);
	argv[n++] = "sbuild";
	argv[n++] = "--chroot-mode=unshare";
	argv[n++] = chrootarg;
	/* The whole sbuild log into the build's log, no .build file. */
	argv[n++] = "--nolog";
	argv[n++] = "--no-run-lintian";
	argv[n++] = "--no-run-autopkgtest";
	argv[n++] = "--no-run-piuparts";
	argv[n++] = "--no-apt-upgrade";
	argv[n++] = "--no-apt-distupgrade";
	argv[n++] = "--bd-uninstallable-explainer=dose3";
	argv[n++] = "--arch-all";
	argv[n++] = distarg;
	argv[n++] = bdarg;
	if (extra != NULL) {
		extraarg = xasprintf("--extra-package=%s", extra);
		argv[n++] = extraarg;
	}
	if (b->w->build_source)
		argv[n++] = "--source";
	argv[n++] = dsc;
	argv[n] = NULL;
	off = build_log_size(b->log);
	/* What a retry waits on changing: as it is before this build. */
	free(b->wait_key);
	b->wait_key = queue_dep_key(b->db, b->cfg, b->w->dist);
	if (sbuild_config(b, err) == -1)
		goto out;
	rc = build_tool_run_as(b, argv, b->cr.work, build_tool_timeout(b), 1, err);
	/* What it left running (it was killed at a timeout), and where. */
	if ((left = spawn_reap_descendants()) > 0)
		build_logf(b, "killed %zu process%s sbuild left behind", left,
		    left == 1 ? "" : "es");
	sbuild_remove_chroots(b);
	if (rc == -1) {
		code = WIFEXITED(b->status) ? WEXITSTATUS(b->status) : -1;
		if (err->code != DP_ERR_TIMEOUT && code == 3 &&
		    ((line = build_log_collect(b->log, off, "unsat-dependency:")) !=
		    NULL || (line = build_log_collect(b->log, off,
		    "unsat-conflict:")) != NULL || (line = build_log_collect(b->log,
		    off, "sbuild-build-depends-main-dummy :")) != NULL)) {
			/* Not a failure: a later package or chroot may
			 * satisfy it (dose3 said which dependency). */
			b->waiting = 1;
			dp_error_set(err, DP_ERR_NOTFOUND, "waiting for build "
			    "dependencies: %s (dose3; tried again when the "
			    "packages of %s or its chroot change, or by "
			    "'debpipe build %s')", line, b->w->dist,
			    b->w->name);
			free(line);
		} else if (err->code != DP_ERR_TIMEOUT && code == 3) {
			line = build_log_find(b->log, off, "E: ");
			dp_error_set(err, DP_ERR_NOTFOUND, "sbuild could not "
			    "set up the build (apt in the chroot; Build-Mirror "
			    "of %s)%s%s", b->w->dist, line != NULL ? ": " : "",
			    line != NULL ? line : "");
			free(line);
		} else if (err->code != DP_ERR_TIMEOUT &&
		    chroot_verify(tb, err) == -1) {
			/* err says the tarball is corrupt */
		} else
			build_tool_explain(b, off, err);
		goto out;
	}
	if (cleanroom_take(&b->cr, b->dir, err) == -1)
		goto out;
	rv = 0;
out:
	free(dsc);
	free(distarg);
	free(chrootarg);
	free(bdarg);
	free(extra);
	free(extraarg);
	free(tb);
	return rv;
}

static int
sbuild_build(struct build *b, const char *src, struct dp_error *err)
{
	char		*tb = chroot_tarball_path(b->cfg, b->w->dist,
	    chroot_host_arch());
	struct stat	 sb;
	int		 missing = stat(tb, &sb) == -1;

	free(tb);
	/* mmdebstrap too when the chroot is still to be made */
	if (cleanroom_check_tools(b->cfg, b->w, missing, err) == -1)
		return -1;
	return run_sbuild(b, src, err);
}

const struct build_backend build_backend_sbuild = {
	"sbuild",
	sbuild_build,
};
