/*
 * chroot.c - the clean-room chroot tarballs (see chroot.h): paths,
 * mmdebstrap, list and remove.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chroot.h"
#include "fsutil.h"
#include "spawn.h"
#include "xmalloc.h"

#define LINE_MAX_MSG	300

char *
chroot_dir(const struct config *cfg)
{
	return fs_join(cfg->state_dir, "chroots");
}

char *
chroot_tarball_path(const struct config *cfg, const char *dist,
    const char *arch)
{
	return xasprintf("%s/chroots/%s-%s.tar.zst", cfg->state_dir, dist,
	    arch);
}

const char *
chroot_host_arch(void)
{
	static char	 arch[64];
	char		*argv[] = { "dpkg", "--print-architecture", NULL };
	char		*out = NULL;
	struct spawn_opts so;
	struct dp_error	 err;

	if (arch[0] != '\0')
		return arch;
	memset(&so, 0, sizeof(so));
	so.capture = 1;
	if (spawn_run(argv, &so, NULL, &out, &err) == 0 && out != NULL)
		snprintf(arch, sizeof(arch), "%.*s", (int)strcspn(out, "\n"),
		    out);
	free(out);
	if (arch[0] == '\0')
		snprintf(arch, sizeof(arch), "amd64");
	return arch;
}

/* The first non-security URI of file f in deb822 (URIs:) or one-line
 * (deb [opts] URI ...) form, or NULL. */
static char *
mirror_from(const char *f)
{
	FILE	*fp;
	char	 line[1024], *p, *found = NULL;
	size_t	 n;

	if ((fp = fopen(f, "r")) == NULL)
		return NULL;
	while (found == NULL && fgets(line, sizeof(line), fp) != NULL) {
		p = line;
		if (strncmp(p, "URIs:", 5) == 0)
			p += 5;
		else if (strncmp(p, "deb ", 4) == 0) {
			p += 4;
			while (*p == ' ')
				p++;
			if (*p == '[' && (p = strchr(p, ']')) != NULL)
				p++;
			else if (p == NULL)
				continue;
		} else
			continue;
		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, " \t\n");
		if (n == 0 || (strncmp(p, "http://", 7) != 0 &&
		    strncmp(p, "https://", 8) != 0))
			continue;
		found = xstrndup(p, n);
		if (strstr(found, "security") != NULL) {
			free(found);
			found = NULL;
		}
	}
	fclose(fp);
	return found;
}

char *
chroot_host_mirror(void)
{
	static const char *const pats[] = {
		"/etc/apt/sources.list.d/*.sources",
		"/etc/apt/sources.list",
		"/etc/apt/sources.list.d/*.list",
	};
	glob_t	 g;
	size_t	 i, j;
	char	*m = NULL;

	for (i = 0; m == NULL && i < sizeof(pats) / sizeof(pats[0]); i++) {
		if (glob(pats[i], 0, NULL, &g) != 0)
			continue;
		for (j = 0; m == NULL && j < g.gl_pathc; j++)
			m = mirror_from(g.gl_pathv[j]);
		globfree(&g);
	}
	return m != NULL ? m : xstrdup("http://deb.debian.org/debian");
}

void
chroot_source_get(const struct conf_dist *d, struct chroot_source *src)
{
	src->mirror = d->build_mirror != NULL ? xstrdup(d->build_mirror) :
	    chroot_host_mirror();
	src->suite = xstrdup(d->build_suite != NULL ? d->build_suite :
	    d->name);
	src->keyring = xstrdup(d->build_keyring != NULL ? d->build_keyring :
	    CHROOT_DEFAULT_KEYRING);
}

void
chroot_source_done(struct chroot_source *src)
{
	free(src->mirror);
	free(src->suite);
	free(src->keyring);
	memset(src, 0, sizeof(*src));
}

/* The last line of log (its last 64 KiB) that contains one of needles
 * (NULL-terminated), shortened; or NULL. */
static char *
log_last_match(const char *log, const char *const needles[])
{
	FILE	*f;
	char	 buf[65536], *line, *save = NULL, *found = NULL;
	size_t	 n, i;
	long	 size;

	if (log == NULL || (f = fopen(log, "r")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0) {
		fseek(f, size > (long)sizeof(buf) - 1 ?
		    size - (long)sizeof(buf) + 1 : 0, SEEK_SET);
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		for (line = strtok_r(buf, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			for (i = 0; needles[i] != NULL; i++)
				if (strstr(line, needles[i]) != NULL)
					found = line;
		if (found != NULL) {
			found = xstrndup(found, LINE_MAX_MSG);
			for (line = found; *line != '\0'; line++)
				if ((unsigned char)*line < 0x20)
					*line = '?';
		}
	}
	fclose(f);
	return found;
}

/* Remove what killed creates of this chroot left (under its lock). */
static void
remove_leftovers(const char *dir, const char *dist, const char *arch)
{
	DIR		*d;
	struct dirent	*de;
	char		*prefix, *p;

	if ((d = opendir(dir)) == NULL)
		return;
	prefix = xasprintf(".new-%s-%s.", dist, arch);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		p = fs_join(dir, de->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
	free(prefix);
}

int
chroot_verify(const char *path, struct dp_error *err)
{
	char		*argv[] = { "zstd", "-q", "-t", (char *)path, NULL };
	struct spawn_opts so;
	struct stat	 sb;

	if (stat(path, &sb) == -1) {
		dp_error_errno(err, "chroot tarball %s", path);
		return -1;
	}
	memset(&so, 0, sizeof(so));
	so.timeout = 600;
	if (spawn_run(argv, &so, NULL, NULL, err) == -1) {
		dp_error_set(err, DP_ERR_INVALID, "the chroot tarball %s is "
		    "corrupt (zstd -t fails): remake it with 'debpipe chroot "
		    "update'", path);
		return -1;
	}
	return 0;
}

int
chroot_create(const struct config *cfg, const struct conf_dist *d,
    const char *arch, const char *log_path, int wait, struct dp_error *err)
{
	static const char *const needles[] = { "E: ", "error", "Error",
	    "cannot", NULL };
	struct chroot_source	 src;
	struct spawn_opts	 so;
	struct stat		 sb;
	char			*dir, *lockpath = NULL, *tmp = NULL, *final;
	char			*archarg = NULL, *keyarg = NULL, *line;
	char			*incarg = NULL, *argv[14];
	int			 n = 0, lockfd = -1, rv = -1;

	memset(&src, 0, sizeof(src));
	dir = chroot_dir(cfg);
	final = chroot_tarball_path(cfg, d->name, arch);
	chroot_source_get(d, &src);
	errno = 0;
	if (stat(src.keyring, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: Build-Keyring: %s: "
		    "%s (name a keyring file that signs %s)", d->file, d->line,
		    src.keyring, errno != 0 ? strerror(errno) :
		    "not a regular file", src.mirror);
		goto out;
	}
	if (fs_mkdirs(dir, 0755, err) == -1)
		goto out;
	chmod(dir, 0755);	/* builds as another user read tarballs */
	lockpath = xasprintf("%s/.%s-%s.lock", dir, d->name, arch);
	if ((lockfd = fs_lock(lockpath, wait, err)) == -1) {
		if (err->code == DP_ERR_BUSY)
			dp_error_set(err, DP_ERR_BUSY, "the chroot %s-%s is "
			    "being made by another process", d->name, arch);
		goto out;
	}
	remove_leftovers(dir, d->name, arch);
	tmp = xasprintf("%s/.new-%s-%s.%ld.tar.zst", dir, d->name, arch,
	    (long)getpid());
	archarg = xasprintf("--architectures=%s", arch);
	keyarg = xasprintf("--keyring=%s", src.keyring);
	/* DEBPIPE_MMDEBSTRAP: another program with mmdebstrap's arguments
	 * (the tests use one that copies a cached tarball). */
	argv[n++] = getenv("DEBPIPE_MMDEBSTRAP") != NULL &&
	    *getenv("DEBPIPE_MMDEBSTRAP") != '\0' ?
	    getenv("DEBPIPE_MMDEBSTRAP") : "mmdebstrap";
	argv[n++] = "--variant=buildd";
	/* Unshare mode needs no root; as root, root mode does the same
	 * without needing subuid ranges for root. */
	argv[n++] = geteuid() == 0 ? "--mode=root" : "--mode=unshare";
	argv[n++] = archarg;
	argv[n++] = keyarg;
	if (d->chroot_include != NULL && d->chroot_include[0] != NULL) {
		incarg = strv_join(d->chroot_include, ",");
		line = xasprintf("--include=%s", incarg);
		free(incarg);
		argv[n++] = incarg = line;
	}
	/* The package lists stay in the tarball: sbuild's apt update then
	 * asks only whether they changed instead of fetching them again
	 * for every build (9 MB for bookworm main). */
	argv[n++] = "--skip=cleanup/apt/lists";
	if (log_path != NULL)
		argv[n++] = "--verbose";
	argv[n++] = src.suite;
	argv[n++] = tmp;
	argv[n++] = src.mirror;
	argv[n] = NULL;
	memset(&so, 0, sizeof(so));
	so.log_path = log_path;
	so.timeout = 3600;
	if (log_path == NULL) {
		/* On the terminal: keep stdin/stdout, mmdebstrap shows its
		 * progress there.  spawn_run only redirects with log_path. */
	}
	if (spawn_run(argv, &so, NULL, NULL, err) == -1) {
		if ((line = log_last_match(log_path, needles)) != NULL) {
			size_t len = strlen(err->msg);

			snprintf(err->msg + len, sizeof(err->msg) - len,
			    " (%s)", line);
			free(line);
		}
		dp_error_prefix(err, "making the chroot %s-%s from %s %s "
		    "(Build-Mirror, Build-Suite, Build-Keyring of %s:%d)",
		    d->name, arch, src.mirror, src.suite, d->file, d->line);
		unlink(tmp);
		goto out;
	}
	if (stat(tmp, &sb) == -1 || sb.st_size == 0) {
		dp_error_set(err, DP_ERR_SYSTEM, "mmdebstrap made no "
		    "tarball for %s", final);
		unlink(tmp);
		goto out;
	}
	if (chmod(tmp, 0644) == -1 || rename(tmp, final) == -1) {
		dp_error_errno(err, "%s", final);
		unlink(tmp);
		goto out;
	}
	fs_fsync_dir(dir, NULL);
	rv = 0;
out:
	if (lockfd != -1)
		close(lockfd);
	chroot_source_done(&src);
	free(archarg);
	free(keyarg);
	free(incarg);
	free(tmp);
	free(lockpath);
	free(final);
	free(dir);
	return rv;
}

int
chroot_remove(const struct config *cfg, const char *dist, const char *arch,
    struct dp_error *err)
{
	char	*path = chroot_tarball_path(cfg, dist, arch);
	char	*dir = chroot_dir(cfg);
	int	 rv = 0;

	if (unlink(path) == -1) {
		if (errno == ENOENT)
			dp_error_set(err, DP_ERR_NOTFOUND, "no chroot %s-%s "
			    "(%s)", dist, arch, path);
		else
			dp_error_errno(err, "%s", path);
		rv = -1;
	}
	remove_leftovers(dir, dist, arch);
	free(path);
	free(dir);
	return rv;
}

int
chroot_stat(const struct config *cfg, const char *dist, const char *arch,
    time_t *mtime, long long *size, struct dp_error *err)
{
	char		*path = chroot_tarball_path(cfg, dist, arch);
	struct stat	 sb;
	int		 rv = 0;

	if (stat(path, &sb) == -1) {
		if (errno == ENOENT)
			dp_error_set(err, DP_ERR_NOTFOUND, "no chroot %s-%s",
			    dist, arch);
		else
			dp_error_errno(err, "%s", path);
		rv = -1;
	} else {
		*mtime = sb.st_mtime;
		*size = (long long)sb.st_size;
	}
	free(path);
	return rv;
}
