/* fsutil.c - atomic writes, directories, path validation, locks. */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "xmalloc.h"

int
fs_mkdirs(const char *path, mode_t mode, struct dp_error *err)
{
	char	*p, *s;
	int	 rv = -1;

	p = xstrdup(path);
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) == -1 && errno != EEXIST) {
			dp_error_errno(err, "cannot create directory %s", p);
			goto out;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	rv = 0;
out:
	free(p);
	return rv;
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int
fs_fsync_dir(const char *dir, struct dp_error *err)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		dp_error_errno(err, "open directory %s", dir);
		return -1;
	}
	if (fsync(fd) == -1 && errno != EINVAL) {
		dp_error_errno(err, "fsync %s", dir);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
    struct dp_error *err)
{
	char		*tmp = NULL, *dir = NULL;
	const char	*p = data;
	int		 fd = -1, rv = -1;
	ssize_t		 n;

	tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1) {
		dp_error_errno(err, "cannot create %s", tmp);
		goto out;
	}
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			dp_error_errno(err, "write %s", tmp);
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fchmod(fd, mode) == -1 || fsync(fd) == -1) {
		dp_error_errno(err, "fsync %s", tmp);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		dp_error_errno(err, "close %s", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		dp_error_errno(err, "rename %s to %s", tmp, path);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	dir = dir_of(path);
	if (fs_fsync_dir(dir, err) == -1)
		goto out;
	rv = 0;
out:
	if (fd != -1)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	free(dir);
	return rv;
}

int
fs_read_file(const char *path, size_t max, char **data, size_t *len,
    struct dp_error *err)
{
	struct buf	b;
	char		chunk[65536];
	ssize_t		n;
	int		fd, rv = -1;

	buf_init(&b);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		dp_error_errno(err, "cannot open %s", path);
		return -1;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			dp_error_errno(err, "read %s", path);
			goto out;
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > max) {
			dp_error_set(err, DP_ERR_INVALID,
			    "%s: larger than %zu bytes", path, max);
			goto out;
		}
		buf_add(&b, chunk, (size_t)n);
	}
	if (len != NULL)
		*len = b.len;
	*data = buf_steal(&b);
	rv = 0;
out:
	close(fd);
	buf_done(&b);
	return rv;
}

int
fs_symlink_atomic(const char *target, const char *linkpath,
    struct dp_error *err)
{
	char	*tmp, *dir;
	int	 rv = -1;

	tmp = xasprintf("%s.tmp.%d", linkpath, (int)getpid());
	unlink(tmp);
	if (symlink(target, tmp) == -1) {
		dp_error_errno(err, "symlink %s -> %s", tmp, target);
		goto out;
	}
	if (rename(tmp, linkpath) == -1) {
		dp_error_errno(err, "rename %s to %s", tmp, linkpath);
		unlink(tmp);
		goto out;
	}
	dir = dir_of(linkpath);
	rv = fs_fsync_dir(dir, err);
	free(dir);
out:
	free(tmp);
	return rv;
}

int
fs_remove_tree(const char *path, struct dp_error *err)
{
	struct stat	 sb;
	DIR		*d;
	struct dirent	*de;
	char		*sub;
	int		 rv = 0;

	if (lstat(path, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		dp_error_errno(err, "stat %s", path);
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		if (unlink(path) == -1 && errno != ENOENT) {
			dp_error_errno(err, "remove %s", path);
			return -1;
		}
		return 0;
	}
	if ((d = opendir(path)) == NULL) {
		dp_error_errno(err, "open directory %s", path);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		sub = fs_join(path, de->d_name);
		if (fs_remove_tree(sub, err) == -1)
			rv = -1;
		free(sub);
	}
	closedir(d);
	if (rv == 0 && rmdir(path) == -1 && errno != ENOENT) {
		dp_error_errno(err, "remove directory %s", path);
		rv = -1;
	}
	return rv;
}

int
fs_copy_file(const char *src, const char *dst, mode_t mode,
    struct dp_error *err)
{
	char	 chunk[65536], *tmp = NULL;
	int	 in = -1, out = -1, rv = -1;
	ssize_t	 n, w, off;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1) {
		dp_error_errno(err, "cannot open %s", src);
		goto done;
	}
	tmp = xasprintf("%s.tmp.%d", dst, (int)getpid());
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out == -1) {
		dp_error_errno(err, "cannot create %s", tmp);
		goto done;
	}
	for (;;) {
		n = read(in, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			dp_error_errno(err, "read %s", src);
			goto done;
		}
		if (n == 0)
			break;
		for (off = 0; off < n; off += w) {
			w = write(out, chunk + off, (size_t)(n - off));
			if (w == -1) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				dp_error_errno(err, "write %s", tmp);
				goto done;
			}
		}
	}
	if (fsync(out) == -1 || close(out) == -1) {
		out = -1;
		dp_error_errno(err, "write %s", tmp);
		goto done;
	}
	out = -1;
	if (rename(tmp, dst) == -1) {
		dp_error_errno(err, "rename %s to %s", tmp, dst);
		goto done;
	}
	free(tmp);
	tmp = NULL;
	rv = 0;
done:
	if (in != -1)
		close(in);
	if (out != -1)
		close(out);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	return rv;
}

int
fs_link_or_copy(const char *src, const char *dst, struct dp_error *err)
{
	if (link(src, dst) == 0 || errno == EEXIST)
		return 0;
	if (errno != EXDEV && errno != EPERM && errno != EMLINK) {
		dp_error_errno(err, "link %s to %s", src, dst);
		return -1;
	}
	return fs_copy_file(src, dst, 0644, err);
}

int
fs_name_is_safe(const char *name)
{
	const unsigned char *p;

	if (name == NULL || name[0] == '\0' || name[0] == '.' ||
	    name[0] == '-' || strlen(name) > 255)
		return 0;
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f || *p == '\\')
			return 0;
	return 1;
}

int
fs_relpath_is_safe(const char *path)
{
	char	*copy, *comp, *save = NULL;
	int	 ok = 1;

	if (path == NULL || path[0] == '\0' || path[0] == '/' ||
	    strlen(path) > PATH_MAX || strstr(path, "//") != NULL ||
	    path[strlen(path) - 1] == '/')
		return 0;
	copy = xstrdup(path);
	for (comp = strtok_r(copy, "/", &save); comp != NULL;
	    comp = strtok_r(NULL, "/", &save))
		if (!fs_name_is_safe(comp)) {
			ok = 0;
			break;
		}
	free(copy);
	return ok;
}

char *
fs_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	if (la == 1 && a[0] == '/')
		return xasprintf("/%s", b);
	return xasprintf("%.*s/%s", (int)la, a, b);
}

int
fs_lock(const char *path, int wait, struct dp_error *err)
{
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1) {
		dp_error_errno(err, "cannot open lock file %s", path);
		return -1;
	}
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			dp_error_set(err, DP_ERR_BUSY, "%s is locked by "
			    "another process", path);
		else
			dp_error_errno(err, "lock %s", path);
		close(fd);
		return -1;
	}
	return fd;
}
