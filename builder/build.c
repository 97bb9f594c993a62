/*
 * build.c - one build, run in a child process of the daemon.
 *
 * Git watch: merge the inputs (watch-git.c), stamp a version (stamp.c),
 * export the merged tree into State-Dir/build/<id>/src, put a new entry
 * on top of debian/changelog, check the build dependencies, run
 * dpkg-buildpackage (or sbuild) with the build timeout, check the names
 * of what it produced and add the packages to the pool with origin
 * "build:<watch>".  Apt-source watch: the same from the directory that
 * aptsrc_prepare() unpacked.  Apt watch: an import.
 *
 * Everything the build prints goes to State-Dir/logs/build-<id>.log, with
 * "debpipe:" lines saying what the builder did.  A failure is recorded in
 * builds.message and watches.last_error and removes nothing.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "builder.h"
#include "chroot.h"
#include "fsutil.h"
#include "pool.h"
#include "spawn.h"
#include "upstream.h"
#include "version.h"
#include "xmalloc.h"

#define LOG_TAIL_MAX	(256 * 1024)
#define LINE_MAX_MSG	300	/* of a log line quoted in a message */

struct build {
	struct db		*db;
	const struct config	*cfg;
	const struct conf_watch	*w;
	struct queue_build	 row;
	char			*dir;	/* State-Dir/build/<id> */
	char			*log;	/* logs/build-<id>.log */
	char			*version;	/* what we build */
	char			*source;	/* source package name */
	char			*message;	/* on success */
	int			 dropped; /* nothing to do; row gone */
	struct cleanroom	 cr;	/* build user, work directory */
	int			 status; /* wait status of the last tool */
	int			 waiting; /* build-deps not satisfiable yet */
	char			*wait_key; /* queue_dep_key() before sbuild */
	char			*buildinfo; /* kept: logs/build-<id>.buildinfo */
	char			*sbuild_conf; /* SBUILD_CONFIG of its sbuild */
	char			*sbuild_tmp; /* where sbuild unpacks its chroot */
};

char *
build_dir(const struct config *cfg, int64_t id)
{
	return xasprintf("%s/build/%lld", cfg->state_dir, (long long)id);
}

char *
build_log_path(const struct config *cfg, int64_t id)
{
	char *dir = config_log_dir(cfg), *p;

	p = xasprintf("%s/build-%lld.log", dir, (long long)id);
	free(dir);
	return p;
}

/* Append a "debpipe: ..." line to the build log. */
static void __attribute__((format(printf, 2, 3)))
blog(struct build *b, const char *fmt, ...)
{
	FILE	*f;
	va_list	 ap;

	if (b->log == NULL || (f = fopen(b->log, "a")) == NULL)
		return;
	fprintf(f, "debpipe: ");
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

/* The last line of the log containing needle (after offset), or NULL. */
static char *
log_find_last(const char *log, long offset, const char *needle)
{
	char		*data = NULL, *line, *found = NULL, *save = NULL;
	size_t		 len;
	FILE		*f;
	long		 size;

	if ((f = fopen(log, "r")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0) {
		if (size - offset > LOG_TAIL_MAX)
			offset = size - LOG_TAIL_MAX;
		if (offset < 0)
			offset = 0;
		fseek(f, offset, SEEK_SET);
		data = xmalloc((size_t)(size - offset) + 1);
		len = fread(data, 1, (size_t)(size - offset), f);
		data[len] = '\0';
		for (line = strtok_r(data, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			if (strstr(line, needle) != NULL)
				found = line;
		/* It goes into builds.message: short, printable. */
		if (found != NULL)
			found = str_printable(xstrndup(found, LINE_MAX_MSG));
	}
	fclose(f);
	free(data);
	return found;
}

static long
log_size(const char *log)
{
	struct stat sb;

	return stat(log, &sb) == 0 ? (long)sb.st_size : 0;
}

/* The values after needle on every line of the log (after offset) that
 * has it, unique, joined by ", "; or NULL. */
static char *
log_collect(const char *log, long offset, const char *needle)
{
	char		*data = NULL, *line, *save = NULL, *v, *e;
	struct buf	 out;
	FILE		*f;
	long		 size;
	size_t		 len;

	buf_init(&out);
	if ((f = fopen(log, "r")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0) {
		if (size - offset > LOG_TAIL_MAX)
			offset = size - LOG_TAIL_MAX;
		if (offset < 0)
			offset = 0;
		fseek(f, offset, SEEK_SET);
		data = xmalloc((size_t)(size - offset) + 1);
		len = fread(data, 1, (size_t)(size - offset), f);
		data[len] = '\0';
		for (line = strtok_r(data, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			if ((v = strstr(line, needle)) == NULL)
				continue;
			v += strlen(needle);
			while (*v == ' ')
				v++;
			for (e = v + strlen(v); e > v && e[-1] == ' '; e--)
				;
			*e = '\0';
			if (*v == '\0' || (out.len > 0 &&
			    strstr(out.data, v) != NULL))
				continue;
			if (out.len + strlen(v) > LINE_MAX_MSG)
				break;
			buf_printf(&out, "%s%s", out.len > 0 ? ", " : "", v);
		}
	}
	fclose(f);
	free(data);
	if (out.len == 0) {
		buf_done(&out);
		return NULL;
	}
	return str_printable(buf_steal(&out));
}

/* ---- running the build tools ----------------------------------------- */

static long
build_timeout(const struct build *b)
{
	/* Both set by config.c (the watch's from the global one). */
	return b->w->build_timeout > 0 ? b->w->build_timeout :
	    b->cfg->build_timeout;
}

/* The environment of a build tool: a clean one (PATH kept), HOME the
 * work directory (a build does not get the daemon's home). */
static char **
build_env(const struct build *b)
{
	const char	*path = getenv("PATH");
	char		**env;
	int		 n = 0;

	env = xcalloc(10, sizeof(*env));
	env[n++] = xasprintf("PATH=%s", path != NULL ? path :
	    "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
	env[n++] = xstrdup("LC_ALL=C.UTF-8");
	env[n++] = xasprintf("HOME=%s", b->cr.work != NULL ? b->cr.work :
	    b->dir);
	if (b->cr.user != NULL) {
		env[n++] = xasprintf("USER=%s", b->cr.user);
		env[n++] = xasprintf("LOGNAME=%s", b->cr.user);
	}
	if (b->w->build_options != NULL)
		env[n++] = xasprintf("DEB_BUILD_OPTIONS=%s",
		    b->w->build_options);
	if (b->sbuild_conf != NULL)
		env[n++] = xasprintf("SBUILD_CONFIG=%s", b->sbuild_conf);
	env[n] = NULL;
	return env;
}

/* Run argv in cwd with the timeout; as_user: as the build user. */
static int
run_tool_as(struct build *b, char *const argv[], const char *cwd,
    long timeout, int as_user, struct dp_error *err)
{
	struct spawn_opts	 so;
	char			**env;
	struct buf		 cmd;
	struct timespec		 t0, t1;
	size_t			 i;
	int			 rv;

	buf_init(&cmd);
	i = 0;
	if (strcmp(argv[0], "bwrap") == 0) {
		/* Say what runs, then the sandbox it runs in. */
		for (; argv[i] != NULL && strcmp(argv[i], "--") != 0; i++)
			buf_printf(&cmd, "%s%s", i > 0 ? " " : "", argv[i]);
		blog(b, "sandbox: %s", cmd.data);
		buf_reset(&cmd);
		if (argv[i] != NULL)
			i++;
	}
	for (; argv[i] != NULL; i++)
		buf_printf(&cmd, "%s%s", cmd.len > 0 ? " " : "", argv[i]);
	blog(b, "running %s (in %s%s%s)", cmd.data, cwd, as_user &&
	    b->cr.drop ? ", as " : "", as_user && b->cr.drop ? b->cr.user :
	    "");
	buf_done(&cmd);
	env = build_env(b);
	memset(&so, 0, sizeof(so));
	so.cwd = cwd;
	so.env = env;
	so.log_path = b->log;
	so.timeout = timeout;
	if (as_user && b->cr.drop) {
		so.drop = 1;
		so.uid = b->cr.uid;
		so.gid = b->cr.gid;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rv = spawn_run(argv, &so, &b->status, NULL, err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	blog(b, "%s %s after %.2f s", argv[0], rv == 0 ? "succeeded" :
	    "failed", (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	strv_free(env);
	return rv;
}

static int
run_tool(struct build *b, char *const argv[], const char *cwd, long timeout,
    struct dp_error *err)
{
	return run_tool_as(b, argv, cwd, timeout, 0, err);
}

static int
check_build_deps(struct build *b, const char *src, struct dp_error *err)
{
	char	*argv[] = { "dpkg-checkbuilddeps", NULL };
	char	*line;
	long	 off = log_size(b->log);

	if (run_tool(b, argv, src, 300, err) == 0)
		return 0;
	if ((line = log_find_last(b->log, off, "Unmet build dependencies"))
	    != NULL) {
		char *deps = strstr(line, "dependencies:");

		dp_error_set(err, DP_ERR_INVALID, "missing build "
		    "dependencies:%s (install them on the build host or use "
		    "Builder: sbuild)", deps != NULL ? deps + 13 : line);
		free(line);
	} else if ((line = log_find_last(b->log, off, "error:")) != NULL) {
		dp_error_set(err, DP_ERR_INVALID, "dpkg-checkbuilddeps: %s",
		    line);
		free(line);
	}
	return -1;
}

/* Add the last "error:" line of the log to err. */
static void
explain_failure(struct build *b, long off, struct dp_error *err)
{
	char *line;

	if (err->code == DP_ERR_TIMEOUT)
		return;
	if ((line = log_find_last(b->log, off, "error:")) != NULL) {
		size_t len = strlen(err->msg);

		snprintf(err->msg + len, sizeof(err->msg) - len, " (%s)",
		    line);
		free(line);
	}
}

/* Builder: host: dpkg-buildpackage under bubblewrap (cleanroom.c). */
static int
run_dpkg_buildpackage(struct build *b, const char *src, struct dp_error *err)
{
	char	*argv[8], **bw = NULL, *wsrc;
	int	 n = 0, rv = -1;
	long	 off;

	wsrc = cleanroom_path(&b->cr, b->dir, src);
	if (check_build_deps(b, wsrc, err) == -1)
		goto out;
	argv[n++] = "dpkg-buildpackage";
	argv[n++] = "-us";
	argv[n++] = "-uc";
	/* -F (full: source and binaries); "-S -b" is not a valid pair. */
	argv[n++] = b->w->build_source ? "-F" : "-b";
	argv[n++] = "-rfakeroot";
	argv[n] = NULL;
	bw = cleanroom_bwrap_argv(&b->cr, b->cfg, b->w, wsrc, argv);
	off = log_size(b->log);
	if ((rv = run_tool_as(b, bw, wsrc, build_timeout(b), 1, err)) == -1) {
		/* "bwrap exited ..." is dpkg-buildpackage's status. */
		if (strncmp(err->msg, "bwrap ", 6) == 0) {
			char tail[sizeof(err->msg)];

			snprintf(tail, sizeof(tail), "%s", err->msg + 6);
			dp_error_set(err, err->code, "dpkg-buildpackage %.900s",
			    tail);
		}
		explain_failure(b, off, err);
	} else
		rv = cleanroom_take(&b->cr, b->dir, err);
out:
	strv_free(bw);
	free(wsrc);
	return rv;
}

/* A directory of the packages debpipe holds for the build's
 * Distribution (host arch and all), for sbuild --extra-package: a
 * package can build-depend on one debpipe built before.  *dir NULL when
 * there are none. */
static int
extra_packages(struct build *b, char **dir, struct dp_error *err)
{
	sqlite3_stmt	*st = NULL;
	char		*pool, *from, *to, *d;
	const char	*path;
	int		 n = 0, rv = -1;

	*dir = NULL;
	d = fs_join(b->cr.work, "debpipe-packages");
	pool = config_pool_dir(b->cfg);
	if (db_prepare(b->db, "SELECT DISTINCT f.path FROM packages p JOIN "
	    "files f ON f.id = p.file_id WHERE p.dist = ? AND p.arch IN "
	    "(?, 'all')", &st, err) == -1)
		goto out;
	sqlite3_bind_text(st, 1, b->w->dist, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, chroot_host_arch(), -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *base;

		path = (const char *)sqlite3_column_text(st, 0);
		if (path == NULL || (base = strrchr(path, '/')) == NULL ||
		    !fs_name_is_safe(base + 1))
			continue;
		if (n++ == 0 && fs_mkdirs(d, 0755, err) == -1)
			goto out;
		from = path[0] == '/' ? xstrdup(path) : fs_join(pool, path);
		to = fs_join(d, base + 1);
		if (fs_link_or_copy(from, to, err) == -1) {
			free(from);
			free(to);
			goto out;
		}
		free(from);
		free(to);
	}
	if (n > 0) {
		if (b->cr.drop && chown(d, b->cr.uid, b->cr.gid) == -1) {
			/* readable anyway (0755) */
		}
		*dir = d;
		d = NULL;
		blog(b, "%d package(s) of %s offered to the build", n,
		    b->w->dist);
	}
	rv = 0;
out:
	sqlite3_finalize(st);
	free(pool);
	free(d);
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
		blog(b, "no chroot %s-%s yet: making it with mmdebstrap "
		    "(takes minutes)", b->w->dist, arch);
		if (d == NULL || chroot_create(b->cfg, d, arch, b->log, 1,
		    err) == -1)
			goto out;
		blog(b, "made the chroot %s", tb);
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
		blog(b, "chroot %s (made %s, inode %lu), linked as %s", tb,
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

			blog(b, "removing the chroot sbuild left: %s",
			    g.gl_pathv[i]);
			if (run_tool_as(b, rm, b->cr.work, 600, 1, &e) == -1 ||
			    rmdir(g.gl_pathv[i]) == -1)
				fs_remove_tree(g.gl_pathv[i], NULL);
		}
		globfree(&g);
	}
	free(pat);
	if (rmdir(b->sbuild_tmp) == -1)
		blog(b, "cannot remove %s: %s", b->sbuild_tmp, strerror(errno));
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
	if (run_tool(b, srcargv, b->dir, 600, err) == -1)
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
	off = log_size(b->log);
	/* What a retry waits on changing: as it is before this build. */
	free(b->wait_key);
	b->wait_key = queue_dep_key(b->db, b->cfg, b->w->dist);
	if (sbuild_config(b, err) == -1)
		goto out;
	rc = run_tool_as(b, argv, b->cr.work, build_timeout(b), 1, err);
	/* What it left running (it was killed at a timeout), and where. */
	if ((left = spawn_reap_descendants()) > 0)
		blog(b, "killed %zu process%s sbuild left behind", left,
		    left == 1 ? "" : "es");
	sbuild_remove_chroots(b);
	if (rc == -1) {
		code = WIFEXITED(b->status) ? WEXITSTATUS(b->status) : -1;
		if (err->code != DP_ERR_TIMEOUT && code == 3 &&
		    ((line = log_collect(b->log, off, "unsat-dependency:")) !=
		    NULL || (line = log_collect(b->log, off,
		    "unsat-conflict:")) != NULL || (line = log_collect(b->log,
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
			line = log_find_last(b->log, off, "E: ");
			dp_error_set(err, DP_ERR_NOTFOUND, "sbuild could not "
			    "set up the build (apt in the chroot; Build-Mirror "
			    "of %s)%s%s", b->w->dist, line != NULL ? ": " : "",
			    line != NULL ? line : "");
			free(line);
		} else if (err->code != DP_ERR_TIMEOUT &&
		    chroot_verify(tb, err) == -1) {
			/* err says the tarball is corrupt */
		} else
			explain_failure(b, off, err);
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

/* ---- results ---------------------------------------------------------- */

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
	sqlite3_stmt	*st = NULL;
	struct dp_error	 err;
	struct stat	 sb;
	char		*src, *kept = NULL, *pool = NULL, *dir = NULL, *dst = NULL;
	char		*slash;
	const char	*path;

	if ((src = find_buildinfo(b)) == NULL) {
		blog(b, "the build made no .buildinfo");
		return;
	}
	kept = xasprintf("%.*s.buildinfo", (int)(strlen(b->log) - 4), b->log);
	if (fs_copy_file(src, kept, 0644, &err) == -1 ||
	    queue_set(b->db, b->row.id, "buildinfo", kept, &err) == -1) {
		blog(b, "keeping the .buildinfo: %s", dp_error_str(&err));
		goto out;
	}
	b->buildinfo = xstrdup(kept);
	if (db_prepare(b->db, "SELECT f.path FROM packages p JOIN files f ON "
	    "f.id = p.file_id WHERE p.id = ?", &st, &err) == -1)
		goto out;
	sqlite3_bind_int64(st, 1, pkg_id);
	if (sqlite3_step(st) != SQLITE_ROW ||
	    (path = (const char *)sqlite3_column_text(st, 0)) == NULL)
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
		blog(b, "buildinfo %s is already published", dst);
	else if (fs_copy_file(src, dst, 0644, &err) == -1)
		blog(b, "publishing the .buildinfo: %s", dp_error_str(&err));
	else
		blog(b, "buildinfo kept as %s, published as %s", kept, dst);
out:
	sqlite3_finalize(st);
	free(src);
	free(kept);
	free(pool);
	free(dir);
	free(dst);
}

static int
ingest(struct build *b, struct dp_error *err)
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
		blog(b, "adding %s to %s/%s", paths[i], b->w->dist,
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

/* ---- the common part of git and apt-source builds -------------------- */

static int
write_changelog(struct build *b, const char *src, const char *old,
    time_t when, char *const lines[], struct dp_error *err)
{
	char		*path, *entry, *text;
	int		 rv;

	entry = stamp_entry(b->source, b->version, b->w->dist,
	    b->cfg->maintainer, when, lines);
	text = xasprintf("%s%s", entry, old);
	path = xasprintf("%s/debian/changelog", src);
	rv = fs_write_atomic(path, text, strlen(text), 0644, err);
	free(path);
	free(text);
	free(entry);
	return rv;
}

/* Version already fixed by an earlier attempt whose packages made it
 * into the pool: 1 (done), 0 (build), -1. */
static int
earlier_attempt_done(struct build *b, struct dp_error *err)
{
	int64_t n = 0;

	if (b->row.version == NULL || b->row.attempts <= 1)
		return 0;
	if (queue_ingested(b->db, b->w->name, b->row.version, &n, err) == -1)
		return -1;
	if (n == 0)
		return 0;
	b->version = xstrdup(b->row.version);
	b->message = xasprintf("built %s (packages added by attempt %d)",
	    b->version, b->row.attempts - 1);
	blog(b, "%s", b->message);
	return 1;
}

static int
choose_version(struct build *b, const char *candidate, const char *hash,
    struct dp_error *err)
{
	char **prev = NULL;

	if (b->row.version != NULL && b->row.attempts > 1) {
		/* A redo after a crash keeps its version. */
		b->version = xstrdup(b->row.version);
		return 0;
	}
	if (queue_versions(b->db, b->w->name, b->source, b->w->dist,
	    b->row.id, &prev, err) == -1)
		return -1;
	b->version = stamp_version_above(candidate, hash, prev);
	strv_free(prev);
	if (strcmp(b->version, candidate) != 0)
		blog(b, "version %s does not sort above the earlier builds: "
		    "using %s", candidate, b->version);
	return queue_set(b->db, b->row.id, "version", b->version, err);
}

static int
build_package(struct build *b, const char *src, struct dp_error *err)
{
	const char *builder;

	builder = b->w->builder;	/* config.c: the global Builder: */
	if (strcmp(builder, "sbuild") == 0) {
		char		*tb = chroot_tarball_path(b->cfg, b->w->dist,
		    chroot_host_arch());
		struct stat	 sb;
		int		 missing = stat(tb, &sb) == -1;

		free(tb);
		if (cleanroom_check_tools(b->cfg, b->w, missing, err) == -1)
			return -1;
		if (run_sbuild(b, src, err) == -1)
			return -1;
	} else {
		/* host (alias dpkg-buildpackage) */
		if (cleanroom_check_tools(b->cfg, b->w, 0, err) == -1)
			return -1;
		if (cleanroom_init(&b->cr, b->cfg, b->row.id, b->dir, 0, err)
		    == -1 || run_dpkg_buildpackage(b, src, err) == -1)
			return -1;
	}
	return ingest(b, err);
}

/* ---- git -------------------------------------------------------------- */

static int
build_git(struct build *b, struct dp_error *err)
{
	struct gitw_heads	 heads;
	struct gitw_merged	 m;
	struct changelog_top	 top;
	char			*inputs = NULL, *src = NULL, *cand = NULL;
	char			**lines = NULL;
	size_t			 i, n = 0;
	int			 rv = -1, done;

	memset(&heads, 0, sizeof(heads));
	memset(&m, 0, sizeof(m));
	memset(&top, 0, sizeof(top));
	if (b->row.inputs == NULL) {
		/* Queued by hand: build what the branches hold now. */
		blog(b, "fetching %s", b->w->url);
		if (gitw_fetch_heads(b->cfg, b->w, NULL, &heads, err) == -1)
			goto out;
		inputs = gitw_inputs_format(&heads);
		if (queue_set(b->db, b->row.id, "inputs", inputs, err) == -1 ||
		    watchdb_polled(b->db, b->w->name, inputs, 1, NULL, err)
		    == -1)
			goto out;
	} else if (gitw_inputs_parse(b->row.inputs, b->w, &heads, err) == -1)
		goto out;
	blog(b, "inputs %s", inputs != NULL ? inputs : b->row.inputs);

	if (gitw_merge(b->cfg, b->w, &heads, &m, err) == -1)
		goto out;
	blog(b, "merged commit %s", m.hash);
	if (stamp_changelog_parse(m.changelog, &top, err) == -1)
		goto out;
	b->source = xstrdup(top.source);
	if ((done = earlier_attempt_done(b, err)) != 0) {
		rv = done == 1 ? 0 : -1;
		goto out;
	}
	cand = stamp_git_version(top.version, m.time, m.hash);
	if (choose_version(b, cand, m.hash, err) == -1)
		goto out;
	blog(b, "version %s", b->version);

	src = fs_join(b->dir, "src");
	if (gitw_export(b->cfg, b->w, m.hash, src, err) == -1)
		goto out;
	lines = xcalloc(heads.nmerges + 3, sizeof(char *));
	lines[n++] = xasprintf("Automatic build of %s branch %s at %.12s.",
	    b->w->url, b->w->branch, heads.head);
	for (i = 0; i < heads.nmerges; i++)
		lines[n++] = xasprintf("Merged branch %s of %s at %.12s.",
		    b->w->merges[i].branch, b->w->merges[i].url,
		    heads.merges[i]);
	if (heads.nmerges > 0)
		lines[n++] = xasprintf("Merged commit %.12s.", m.hash);
	if (write_changelog(b, src, m.changelog, m.time, lines, err) == -1)
		goto out;
	if (build_package(b, src, err) == -1)
		goto out;
	rv = 0;
out:
	strv_free(lines);
	free(src);
	free(cand);
	free(inputs);
	changelog_top_done(&top);
	gitw_merged_done(&m);
	gitw_heads_done(&heads);
	return rv;
}

/* ---- apt and apt-source ----------------------------------------------- */

static int
build_apt(struct build *b, struct dp_error *err)
{
	struct aptw_report rep;

	memset(&rep, 0, sizeof(rep));
	if (aptw_sync(b->db, b->cfg, b->w, 0, &rep, err) == -1)
		return -1;
	b->message = xasprintf("imported %zu package(s) (%zu change(s)%s)",
	    rep.imported, rep.nchanges, rep.unchanged ?
	    ", unchanged upstream" : "");
	aptw_report_done(&rep);
	return 0;
}

static int
build_apt_source(struct build *b, struct dp_error *err)
{
	struct changelog_top	 top;
	char			*last = NULL, *srcdir = NULL, *upver = NULL;
	char			*clpath = NULL, *old = NULL, *inputs = NULL;
	size_t			 len;
	int			 rv = -1, rc, done;

	memset(&top, 0, sizeof(top));
	/* A periodic check (inputs "poll") builds only a new version. */
	if (b->row.inputs != NULL && strcmp(b->row.inputs, "poll") == 0) {
		if (watchdb_get_inputs(b->db, b->w->name, &last, err) == -1)
			goto out;
		if (last != NULL && strncmp(last, "version=", 8) == 0)
			memmove(last, last + 8, strlen(last + 8) + 1);
	}
	blog(b, "fetching source %s from %s %s", b->w->source, b->w->url,
	    b->w->suite != NULL ? b->w->suite : "");
	rc = aptsrc_prepare(b->db, b->cfg, b->w, last, b->dir,
	    &srcdir, &upver, err);
	if (rc == -1)
		goto out;
	if (rc == 1) {
		blog(b, "no new source version upstream");
		b->dropped = 1;
		rv = 0;
		goto out;
	}
	inputs = xasprintf("version=%s", upver);
	if (queue_set(b->db, b->row.id, "inputs", inputs, err) == -1 ||
	    watchdb_polled(b->db, b->w->name, inputs, 1, NULL, err) == -1)
		goto out;
	clpath = xasprintf("%s/debian/changelog", srcdir);
	if (fs_read_file(clpath, 16 * 1024 * 1024, &old, &len, err) == -1 ||
	    stamp_changelog_parse(old, &top, err) == -1)
		goto out;
	b->source = xstrdup(top.source);
	if ((done = earlier_attempt_done(b, err)) != 0) {
		rv = done == 1 ? 0 : -1;
		goto out;
	}
	/* aptsrc_prepare stamped <version>+<suffix><n> and wrote
	 * the changelog entry. */
	b->version = xstrdup(top.version);
	blog(b, "version %s", b->version);
	if (queue_set(b->db, b->row.id, "version", b->version, err) == -1)
		goto out;
	if (build_package(b, srcdir, err) == -1)
		goto out;
	rv = 0;
out:
	free(inputs);
	free(old);
	free(clpath);
	free(upver);
	free(srcdir);
	free(last);
	changelog_top_done(&top);
	return rv;
}

/* ---- the build child's entry point ------------------------------------ */

static int
queue_drop(struct db *db, int64_t id, struct dp_error *err)
{
	sqlite3_stmt *st = NULL;

	if (db_prepare(db, "DELETE FROM builds WHERE id = ?", &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(db), "drop build");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* Build directories of earlier finished builds of the watch: a failed
 * build keeps its tree until the next build of its watch. */
static void
remove_old_dirs(struct build *b)
{
	sqlite3_stmt	*st = NULL;
	char		*dir;

	if (db_prepare(b->db, "SELECT id FROM builds WHERE watch = ? AND "
	    "id < ? AND state IN ('success', 'failed')", &st, NULL) == -1)
		return;
	sqlite3_bind_text(st, 1, b->row.watch, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, b->row.id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		dir = build_dir(b->cfg, sqlite3_column_int64(st, 0));
		fs_remove_tree(dir, NULL);
		cleanroom_remove_leftovers(dir);
		free(dir);
	}
	sqlite3_finalize(st);
}

/*
 * A build that failed while a file system it writes to was full (or said
 * so in its log) waits for space rather than failing for good: its build
 * directory goes, and the builder queues it again once there is room
 * (builder/space.c).
 */
static void
wait_for_space(struct build *b, struct dp_error *berr)
{
	char		*where = NULL, *line = NULL, *msg;
	uint64_t	 at, need;

	at = space_free_min(b->cfg, NULL);
	if (berr->code != DP_ERR_NOSPACE && !space_low(b->cfg, &where) &&
	    (line = log_find_last(b->log, 0, "No space left on device")) ==
	    NULL)
		return;
	if (where == NULL)
		space_free_min(b->cfg, &where);
	cleanroom_remove_leftovers(b->dir);
	fs_remove_tree(b->dir, NULL);
	free(b->wait_key);
	b->wait_key = space_wait_key(b->cfg, at);
	b->waiting = 1;
	space_wait_over(b->cfg, b->wait_key, &need);
	msg = xasprintf("waiting for space: %s (%s is on a full file system; "
	    "the build is tried again once %llu MiB are free there, in "
	    "State-Dir and in the pool)", berr->msg, where,
	    (unsigned long long)((need + (1 << 20) - 1) >> 20));
	snprintf(berr->msg, sizeof(berr->msg), "%s", msg);
	free(msg);
	free(where);
	free(line);
}

int
build_run(struct db *db, const struct config *cfg, int64_t id,
    struct dp_error *err)
{
	struct build	 b;
	struct dp_error	 berr, rerr;
	char		*logdir = NULL;
	int		 rv = -1, ok;

	memset(&b, 0, sizeof(b));
	dp_error_clear(&berr);
	b.db = db;
	b.cfg = cfg;
	if (queue_get(db, id, &b.row, err) == -1)
		return -1;
	b.dir = build_dir(cfg, id);
	b.log = build_log_path(cfg, id);
	logdir = config_log_dir(cfg);
	if (fs_mkdirs(logdir, 0750, err) == -1 ||
	    queue_set(db, id, "log_path", b.log, err) == -1)
		goto out;
	blog(&b, "build %lld of watch %s, attempt %d, %s", (long long)id,
	    b.row.watch, b.row.attempts, db_now());
	remove_old_dirs(&b);
	if ((b.w = config_watch_find(cfg, b.row.watch)) == NULL) {
		dp_error_set(&berr, DP_ERR_NOTFOUND, "watch %s is not in the "
		    "configuration any more", b.row.watch);
		ok = -1;
	} else if ((cleanroom_remove_leftovers(b.dir), 0) != 0 ||
	    fs_remove_tree(b.dir, &berr) == -1 ||
	    fs_mkdirs(b.dir, 0750, &berr) == -1) {
		ok = -1;
	} else {
		if (chdir(b.dir) == -1) {
			/* Only for build_kill_session; not fatal. */
		}
		switch (b.w->type) {
		case WATCH_GIT:
			ok = build_git(&b, &berr);
			break;
		case WATCH_APT:
			ok = build_apt(&b, &berr);
			break;
		case WATCH_APT_SOURCE:
			ok = build_apt_source(&b, &berr);
			break;
		default:
			dp_error_set(&berr, DP_ERR_INVALID, "unknown type");
			ok = -1;
		}
		if (chdir("/") == -1) {
			/* nothing */
		}
	}
	if (ok == 0 && b.dropped) {
		rv = queue_drop(db, id, err);
		fs_remove_tree(b.dir, NULL);
		goto out;
	}
	/* This build had something to build: older builds of its watch
	 * that still wait are replaced by it. */
	if (queue_supersede(db, id, b.row.watch, err) == -1)
		goto out;
	if (ok != 0 && !b.waiting)
		wait_for_space(&b, &berr);
	if (ok == 0) {
		blog(&b, "success: %s", b.message != NULL ? b.message : "");
		if (queue_finish(db, id, 1, b.version, b.message, err) == -1 ||
		    watchdb_set_error(db, b.row.watch, NULL, err) == -1)
			goto out;
		fs_remove_tree(b.dir, NULL);
		rv = 0;
	} else if (b.waiting) {
		str_printable(berr.msg);
		blog(&b, "%s", dp_error_str(&berr));
		if (queue_wait(db, id, b.version, dp_error_str(&berr),
		    b.wait_key, err) == -1)
			goto out;
		fs_remove_tree(b.dir, NULL);
		rv = 0;
	} else {
		str_printable(berr.msg);
		blog(&b, "failed: %s", dp_error_str(&berr));
		if (queue_finish(db, id, 0, b.version, dp_error_str(&berr),
		    err) == -1)
			goto out;
		if (watchdb_set_error(db, b.row.watch, dp_error_str(&berr),
		    &rerr) == -1) {
			/* the build row has it */
		}
		*err = berr;
		rv = -1;
	}
out:
	free(logdir);
	free(b.dir);
	free(b.log);
	free(b.version);
	free(b.source);
	free(b.message);
	free(b.wait_key);
	free(b.buildinfo);
	free(b.sbuild_conf);
	free(b.sbuild_tmp);
	cleanroom_done(&b.cr);
	queue_build_done(&b.row);
	return rv;
}

/* ---- leftovers of a build child --------------------------------------- */

static int
kill_session_pass(pid_t sid, const char *dir, const char *work)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[64], buf[1024], cwd[4096], *p;
	FILE		*f;
	ssize_t		 n;
	long		 psid;
	int		 count = 0;
	size_t		 dlen = strlen(dir);

	if (sid <= 1 || (d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		pid_t pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		n = (ssize_t)fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* pid (comm) state ppid pgrp session ... */
		if ((p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 1, " %*c %*d %*d %ld", &psid) != 1 ||
		    psid != (long)sid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
		if ((n = readlink(path, cwd, sizeof(cwd) - 1)) <= 0)
			continue;
		cwd[n] = '\0';
		if ((strncmp(cwd, dir, dlen) != 0 ||
		    (cwd[dlen] != '\0' && cwd[dlen] != '/')) &&
		    strncmp(cwd, work, strlen(work)) != 0)
			continue;
		if (kill(pid, SIGKILL) == 0)
			count++;
	}
	closedir(d);
	return count;
}

int
build_kill_session(pid_t sid, const char *dir)
{
	int	 n, total = 0, pass;
	char	*work = cleanroom_work_prefix(dir);

	/* Again while there were some: one may have forked meanwhile. */
	for (pass = 0; pass < 10; pass++) {
		if ((n = kill_session_pass(sid, dir, work)) == 0)
			break;
		total += n;
		usleep(20000);
	}
	free(work);
	return total;
}
