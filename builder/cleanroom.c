/*
 * cleanroom.c - who a build runs as, where, and in what sandbox.
 *
 * A build tool (sbuild, or dpkg-buildpackage for Builder: host) never
 * runs as root: a builder running as root runs it as its User: (default
 * "debpipe"), in a work directory of that user's outside State-Dir (a
 * copy of the build directory, whose results are copied back), so that
 * State-Dir can stay closed to it.  Otherwise the tool runs as the
 * daemon's user in the build directory itself.
 *
 * Builder: host runs dpkg-buildpackage under bubblewrap: a fresh root
 * with /usr, /etc and the dpkg database read-only, its own /tmp, /proc
 * and /dev, the work directory the only writable place, State-Dir,
 * Public-Dir, the Tokens-File, the configuration and the user's home
 * not there, new user, pid, ipc, uts and network namespaces (the network
 * is shared only with Build-Network: yes), and everything killed when
 * the build's first process ends or the builder dies.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <glob.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder.h"
#include "fsutil.h"
#include "log.h"
#include "spawn.h"
#include "xmalloc.h"

#define DEFAULT_BUILD_USER	"debpipe"

/* Is prog an executable in PATH? */
static int
in_path(const char *prog)
{
	const char	*path = getenv("PATH");
	char		*copy, *dir, *save = NULL, *p;
	int		 found = 0;

	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	copy = xstrdup(path);
	for (dir = strtok_r(copy, ":", &save); dir != NULL && !found;
	    dir = strtok_r(NULL, ":", &save)) {
		p = fs_join(*dir != '\0' ? dir : ".", prog);
		found = access(p, X_OK) == 0;
		free(p);
	}
	free(copy);
	return found;
}

int
cleanroom_check_tools(const struct config *cfg, const struct conf_watch *w,
    int need_mmdebstrap, struct dp_error *err)
{
	static const struct {
		const char *prog, *pkg;
		int sbuild;	/* 1 sbuild, 0 host, 2 sbuild making a chroot */
	} tools[] = {
		{ "sbuild", "sbuild", 1 },
		{ "newuidmap", "uidmap", 1 },
		{ "newgidmap", "uidmap", 1 },
		{ "dpkg-source", "dpkg-dev", 1 },
		{ "zstd", "zstd", 1 },
		{ "mmdebstrap", "mmdebstrap", 2 },
		{ "bwrap", "bubblewrap", 0 },
		{ "dpkg-buildpackage", "dpkg-dev", 0 },
		{ "fakeroot", "fakeroot", 0 },
	};
	const char	*builder = w->builder;	/* set by config.c */
	int		 sb = strcmp(builder, "sbuild") == 0;
	size_t		 i;

	for (i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		if ((sb ? tools[i].sbuild == 0 : tools[i].sbuild != 0) ||
		    (tools[i].sbuild == 2 && !need_mmdebstrap) ||
		    in_path(tools[i].prog))
			continue;
		dp_error_set(err, DP_ERR_NOTFOUND, "%s:%d: watch '%s': "
		    "Builder: %s needs %s, which is not installed (not in "
		    "PATH): install it (apt-get install %s)%s", w->file,
		    w->line, w->name, builder, tools[i].prog, tools[i].pkg,
		    sb ? ", or set Builder: host for a trusted source" : "");
		return -1;
	}
	return 0;
}

char *
cleanroom_work_prefix(const char *builddir)
{
	unsigned long long	h = 14695981039346656037ULL;
	const unsigned char	*p;

	for (p = (const unsigned char *)builddir; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return xasprintf("/var/tmp/debpipe-build-%016llx.", h);
}

/*
 * Remove a work tree.  What sbuild unpacked there (an unpacked chroot,
 * when a build was killed before sbuild cleaned up) belongs to the build
 * user's subordinate ids: a daemon that is not root removes that in a
 * user namespace mapping them (as sbuild does), so a builder started as
 * debpipe does not leave 600 MB in /var/tmp for every killed build.
 */
static void
remove_work_tree(const char *path)
{
	struct stat	 sb;
	struct spawn_opts so;
	struct dp_error	 e;
	char		*rm[] = { "unshare", "--user", "--map-auto",
	    "--map-root-user", "rm", "-rf", "--", (char *)path, NULL };

	if (fs_remove_tree(path, NULL) == 0 || lstat(path, &sb) == -1 ||
	    geteuid() == 0)
		return;
	memset(&so, 0, sizeof(so));
	so.cwd = "/";
	so.timeout = 600;
	if (spawn_run(rm, &so, NULL, NULL, &e) == -1)
		log_warnx("removing %s: %s", path, e.msg);
	else if (rmdir(path) == -1 && errno != ENOENT)
		log_warn("removing %s", path);
}

void
cleanroom_remove_leftovers(const char *builddir)
{
	char	*pat, *pre = cleanroom_work_prefix(builddir);
	glob_t	 g;
	size_t	 i;

	pat = xasprintf("%s*", pre);
	if (glob(pat, 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++)
			remove_work_tree(g.gl_pathv[i]);
		globfree(&g);
	}
	free(pat);
	free(pre);
}

void
cleanroom_done(struct cleanroom *cr)
{
	if (cr->own_work && cr->work != NULL)
		remove_work_tree(cr->work);
	free(cr->work);
	free(cr->user);
	free(cr->home);
	memset(cr, 0, sizeof(*cr));
}

/* Does user have subordinate ids in /etc/subuid and /etc/subgid? */
static int
has_subids(const char *user, uid_t uid)
{
	static const char *const files[] = { "/etc/subuid", "/etc/subgid" };
	char	 line[512], num[32];
	FILE	*f;
	size_t	 i, ul = strlen(user), nl;
	int	 found;

	snprintf(num, sizeof(num), "%lu", (unsigned long)uid);
	nl = strlen(num);
	for (i = 0; i < 2; i++) {
		if ((f = fopen(files[i], "r")) == NULL)
			return 0;
		found = 0;
		while (!found && fgets(line, sizeof(line), f) != NULL)
			if ((strncmp(line, user, ul) == 0 && line[ul] == ':') ||
			    (strncmp(line, num, nl) == 0 && line[nl] == ':'))
				found = 1;
		fclose(f);
		if (!found)
			return 0;
	}
	return 1;
}

int
cleanroom_init(struct cleanroom *cr, const struct config *cfg, int64_t id,
    const char *builddir, int need_subids, struct dp_error *err)
{
	struct passwd	*pw;
	const char	*name;
	char		*tmpl = NULL, *src = NULL;
	int		 rv = -1;

	memset(cr, 0, sizeof(*cr));
	if (geteuid() != 0) {
		cr->work = xstrdup(builddir);
		if ((pw = getpwuid(geteuid())) != NULL) {
			cr->user = xstrdup(pw->pw_name);
			if (need_subids && !has_subids(pw->pw_name,
			    pw->pw_uid)) {
				dp_error_set(err, DP_ERR_INVALID, "Builder: "
				    "sbuild: user %s has no subordinate ids in "
				    "/etc/subuid and /etc/subgid, which sbuild's "
				    "unshare mode needs (as root: usermod "
				    "--add-subuids 200000-265535 --add-subgids "
				    "200000-265535 %s; or set Builder: host)",
				    pw->pw_name, pw->pw_name);
				return -1;
			}
		}
		return 0;
	}
	name = cfg->user != NULL ? cfg->user : DEFAULT_BUILD_USER;
	if ((pw = getpwnam(name)) == NULL || pw->pw_uid == 0) {
		dp_error_set(err, DP_ERR_PERM, "refusing to build as root: the "
		    "builder runs as root and there is no user '%s' to build as "
		    "(create it: adduser --system --group %s; usermod "
		    "--add-subuids 200000-265535 --add-subgids 200000-265535 %s; "
		    "or set User: in %s)", name, name, name, cfg->path);
		return -1;
	}
	if (need_subids && !has_subids(pw->pw_name, pw->pw_uid)) {
		dp_error_set(err, DP_ERR_INVALID, "Builder: sbuild: the build "
		    "user %s has no subordinate ids in /etc/subuid and "
		    "/etc/subgid, which sbuild's unshare mode needs (usermod "
		    "--add-subuids 200000-265535 --add-subgids 200000-265535 "
		    "%s; or set Builder: host)", name, name);
		return -1;
	}
	cr->drop = 1;
	cr->uid = pw->pw_uid;
	cr->gid = pw->pw_gid;
	cr->user = xstrdup(pw->pw_name);
	(void)id;
	src = cleanroom_work_prefix(builddir);
	tmpl = xasprintf("%sXXXXXX", src);
	free(src);
	src = NULL;
	if (mkdtemp(tmpl) == NULL) {
		dp_error_errno(err, "mkdtemp %s", tmpl);
		goto out;
	}
	cr->work = tmpl;
	cr->own_work = 1;
	tmpl = NULL;
	/* A copy of the build directory, the user's. */
	src = xasprintf("%s/.", builddir);
	{
		char *cp[] = { "cp", "-a", "--", src, cr->work, NULL };
		char *own = xasprintf("%lu:%lu", (unsigned long)cr->uid,
		    (unsigned long)cr->gid);
		char *ch[] = { "chown", "-R", "--", own, cr->work, NULL };
		struct spawn_opts so;
		int r;

		memset(&so, 0, sizeof(so));
		so.timeout = 600;
		r = spawn_run(cp, &so, NULL, NULL, err);
		if (r == 0)
			r = spawn_run(ch, &so, NULL, NULL, err);
		free(own);
		if (r == -1) {
			dp_error_prefix(err, "preparing the work directory %s",
			    cr->work);
			goto out;
		}
	}
	rv = 0;
out:
	free(tmpl);
	free(src);
	return rv;
}

char *
cleanroom_path(const struct cleanroom *cr, const char *builddir,
    const char *path)
{
	size_t n = strlen(builddir);

	if (strncmp(path, builddir, n) == 0 && (path[n] == '/' ||
	    path[n] == '\0'))
		return xasprintf("%s%s", cr->work, path + n);
	return xstrdup(path);
}

static int
is_result(const char *name)
{
	static const char *const sfx[] = { ".deb", ".udeb", ".ddeb",
	    ".buildinfo", ".changes", ".dsc", ".tar.gz", ".tar.xz",
	    ".tar.bz2", ".tar.zst", ".diff.gz", NULL };
	size_t i, n = strlen(name), m;

	for (i = 0; sfx[i] != NULL; i++) {
		m = strlen(sfx[i]);
		if (n > m && strcmp(name + n - m, sfx[i]) == 0)
			return 1;
	}
	return 0;
}

int
cleanroom_take(struct cleanroom *cr, const char *builddir,
    struct dp_error *err)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*from, *to;
	int		 rv = 0;

	if (!cr->own_work)
		return 0;
	if ((d = opendir(cr->work)) == NULL) {
		dp_error_errno(err, "%s", cr->work);
		return -1;
	}
	while (rv == 0 && (de = readdir(d)) != NULL) {
		if (!fs_name_is_safe(de->d_name) || !is_result(de->d_name))
			continue;
		from = fs_join(cr->work, de->d_name);
		to = fs_join(builddir, de->d_name);
		/* Regular files only, never through a link the build made;
		 * what the build directory already had stays. */
		if (lstat(from, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    lstat(to, &sb) == -1 && errno == ENOENT)
			rv = fs_copy_file(from, to, 0644, err);
		free(from);
		free(to);
	}
	closedir(d);
	return rv;
}

/* Append to v (n used, grown). */
static void
push(char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 2, sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

static int
under(const char *path, const char *root)
{
	size_t n = strlen(root);

	return strncmp(path, root, n) == 0 && (path[n] == '/' ||
	    path[n] == '\0');
}

/* Hide path in the sandbox when it lies in what is bound from the host. */
static void
mask(char ***v, size_t *n, const char *path)
{
	static const char *const roots[] = { "/usr", "/etc", "/var/lib/dpkg",
	    NULL };
	struct stat	sb;
	size_t		i;

	if (path == NULL || stat(path, &sb) == -1)
		return;
	for (i = 0; roots[i] != NULL; i++)
		if (under(path, roots[i]))
			break;
	if (roots[i] == NULL)
		return;
	if (S_ISDIR(sb.st_mode)) {
		push(v, n, "--tmpfs");
		push(v, n, path);
	} else {
		push(v, n, "--ro-bind");
		push(v, n, "/dev/null");
		push(v, n, path);
	}
}

char **
cleanroom_bwrap_argv(const struct cleanroom *cr, const struct config *cfg,
    const struct conf_watch *w, const char *cwd, char *const argv[])
{
	static const char *const links[][2] = {
		{ "usr/bin", "/bin" }, { "usr/sbin", "/sbin" },
		{ "usr/lib", "/lib" }, { "usr/lib64", "/lib64" },
		{ "usr/lib32", "/lib32" }, { "usr/libx32", "/libx32" },
	};
	struct passwd	*pw;
	struct stat	 sb;
	char		**v = NULL, *cfgdir, *p;
	size_t		 n = 0, i;

	push(&v, &n, "bwrap");
	push(&v, &n, "--unshare-all");
	if (w->build_network)
		push(&v, &n, "--share-net");
	push(&v, &n, "--die-with-parent");
	push(&v, &n, "--new-session");
	push(&v, &n, "--ro-bind");
	push(&v, &n, "/usr");
	push(&v, &n, "/usr");
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		p = xasprintf("/%s", links[i][0]);
		if (lstat(links[i][1], &sb) == 0 && S_ISLNK(sb.st_mode) &&
		    stat(p, &sb) == 0) {
			push(&v, &n, "--symlink");
			push(&v, &n, links[i][0]);
			push(&v, &n, links[i][1]);
		}
		free(p);
	}
	push(&v, &n, "--ro-bind");
	push(&v, &n, "/etc");
	push(&v, &n, "/etc");
	push(&v, &n, "--ro-bind");
	push(&v, &n, "/var/lib/dpkg");
	push(&v, &n, "/var/lib/dpkg");
	push(&v, &n, "--proc");
	push(&v, &n, "/proc");
	push(&v, &n, "--dev");
	push(&v, &n, "/dev");
	push(&v, &n, "--tmpfs");
	push(&v, &n, "/tmp");
	push(&v, &n, "--tmpfs");
	push(&v, &n, "/var/tmp");
	/* Nothing of debpipe's own, should it lie below /etc or /usr. */
	mask(&v, &n, "/etc/debpipe");
	mask(&v, &n, cfg->state_dir);
	mask(&v, &n, cfg->public_dir);
	mask(&v, &n, cfg->tokens_file);
	mask(&v, &n, cfg->watch_dir);
	cfgdir = xstrdup(cfg->path);
	if ((p = strrchr(cfgdir, '/')) != NULL && p != cfgdir) {
		*p = '\0';
		mask(&v, &n, cfgdir);
	}
	free(cfgdir);
	for (i = 0; i < cfg->nwatches; i++)
		mask(&v, &n, cfg->watches[i].credentials);
	if ((pw = getpwuid(cr->drop ? cr->uid : geteuid())) != NULL &&
	    strcmp(pw->pw_dir, "/") != 0)
		mask(&v, &n, pw->pw_dir);
	push(&v, &n, "--bind");
	push(&v, &n, cr->work);
	push(&v, &n, cr->work);
	push(&v, &n, "--chdir");
	push(&v, &n, cwd);
	push(&v, &n, "--");
	for (i = 0; argv[i] != NULL; i++)
		push(&v, &n, argv[i]);
	return v;
}
