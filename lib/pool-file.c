/*
 * pool-file.c - the files of an add: staged (a hard link of the input on
 * the pool's file system, else a hashed copy in pool/.staging), given
 * their pool names without ever replacing one, made durable, sealed, or
 * taken away again on failure (pool.c has the whole sequence).
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "pool.h"
#include "pool-int.h"
#include "xmalloc.h"

static void
pool_dir_created(struct pool_ctx *ctx, const char *path)
{
	ctx->dirs = xreallocarray(ctx->dirs, ctx->ndirs + 1,
	    sizeof(*ctx->dirs));
	ctx->dirs[ctx->ndirs++] = xstrdup(path);
}

/*
 * mkdir -p rel under the pool, remembering what we made so that a failure
 * can take it away again.  The leaf is tried first: one system call in
 * the common cases (new package directory, or an existing one).
 * 1 if the leaf was created, 0 if it existed, -1 on error.
 */
static int
pool_mkdirs(struct pool_ctx *ctx, const char *rel, struct dp_error *err)
{
	char		*path, *p, c;
	struct stat	 sb;
	size_t		 base;
	int		 rv = -1;

	path = fs_join(ctx->pooldir, rel);
	if (mkdir(path, 0755) == 0) {
		pool_dir_created(ctx, path);
		rv = 1;
		goto out;
	}
	if (errno == EEXIST) {
		rv = 0;
		goto out;
	}
	if (errno != ENOENT)
		goto fail;
	base = strlen(ctx->pooldir) + 1;
	for (p = path + base;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(path, 0755) == 0)
			pool_dir_created(ctx, path);
		else if (errno != EEXIST || lstat(path, &sb) == -1 ||
		    !S_ISDIR(sb.st_mode))
			goto fail;
		*p = c;
		if (c == '\0')
			break;
	}
	rv = 1;
	goto out;
fail:
	dp_error_errno(err, "cannot create pool directory %s", path);
out:
	free(path);
	return rv;
}

/*
 * Copy fd (from its current offset) to a new temporary file in the pool's
 * staging directory (renamed to pf->final later), hashing into *sums;
 * pf->tmp names it.  With dosync the copy is made durable (fdatasync)
 * before returning.
 */
static int
pool_file_copy(struct pool_ctx *ctx, struct pool_file *pf, int fd,
    int dosync, struct hash_sums *sums, struct dp_error *err)
{
	const char	*dir = ctx->stagedir;
	int		 tfd = -1, rv = -1;

	if (!ctx->stagedir_ready) {
		if (mkdir(dir, 0755) == 0)
			ctx->stagedir_created = 1;
		else if (errno != EEXIST) {
			dp_error_errno(err, "cannot create %s", dir);
			return -1;
		}
		ctx->stagedir_ready = 1;
	}
	pf->tmp = xasprintf("%s/" TMP_PREFIX "XXXXXX", dir);
	if ((tfd = mkostemp(pf->tmp, O_CLOEXEC)) == -1) {
		dp_error_errno(err, "cannot create a temporary file in %s",
		    dir);
		free(pf->tmp);
		pf->tmp = NULL;
		goto out;
	}
	if (fchmod(tfd, 0644) == -1) {
		dp_error_errno(err, "chmod %s", pf->tmp);
		goto out;
	}
	if (hash_copy_fd(fd, pf->src, tfd, pf->tmp, sums, err) == -1)
		goto out;
	if (dosync && fdatasync(tfd) == -1) {
		dp_error_errno(err, "sync %s", pf->tmp);
		goto out;
	}
	rv = close(tfd);
	tfd = -1;
	if (rv == -1)
		dp_error_errno(err, "write %s", pf->tmp);
out:
	if (tfd != -1)
		close(tfd);
	return rv;
}

/* Open an input file for reading; a missing one is DP_ERR_NOTFOUND. */
int
pool_input_open(const char *path, struct dp_error *err)
{
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			dp_error_set(err, DP_ERR_NOTFOUND, "%s: file not found",
			    path);
		else
			dp_error_errno(err, "%s", path);
	}
	return fd;
}

/*
 * Bring one input file towards the pool: when its final name is free,
 * hard-link it once recorded (same file system) or copy it now to a
 * temporary file in pool/.staging while hashing; otherwise only hash it
 * (recording compares).  fd, when not -1, is the open input (rewound
 * here if it must be read again).  pre, when not NULL, holds the sums of
 * the whole input already computed (with prest, its fstat before that
 * read).
 */
int
pool_file_stage(struct pool_ctx *ctx, struct pool_file *pf, int fd,
    const struct hash_sums *pre, const struct stat *prest,
    struct dp_error *err)
{
	struct stat	 sb;
	char		*dir = NULL;
	int		 myfd = -1, rv = -1, made, there;

	pf->final = fs_join(ctx->pooldir, pf->rel);
	if (fd == -1) {
		if ((myfd = pool_input_open(pf->src, err)) == -1)
			goto out;
		fd = myfd;
	}
	if (prest != NULL)
		pf->st = *prest;
	else if (fstat(fd, &pf->st) == -1)
		pf->st.st_mode = 0;
	if (!S_ISREG(pf->st.st_mode)) {
		dp_error_set(err, DP_ERR_INVALID, "%s: not a regular file",
		    pf->src);
		goto out;
	}
	dir = xstrdup(pf->rel);
	*strrchr(dir, '/') = '\0';
	if ((made = pool_mkdirs(ctx, dir, err)) == -1)
		goto out;
	free(dir);
	dir = NULL;
	/* There already: recording compares with the database or this
	 * file.  Same file system: the pool file will be a hard link to the
	 * input (no new inode, no data written); linking checks that it is
	 * still the file hashed here.  Either way only the sums are
	 * needed now. */
	there = !made && lstat(pf->final, &sb) == 0;
	if (there || (pf->st.st_dev == ctx->pooldev && ctx->link)) {
		pf->how = there ? PF_NONE : PF_LINK;
		if (pre != NULL)
			pf->sums = *pre;
		else if (hash_fd(fd, pf->src, &pf->sums, err) == -1)
			goto out;
		rv = 0;
		goto out;
	}
	pf->how = PF_COPY;
	if (myfd == -1 && lseek(fd, 0, SEEK_SET) == -1) {
		dp_error_errno(err, "%s: seek", pf->src);
		goto out;
	}
	if (pool_file_copy(ctx, pf, fd, 0, &pf->sums, err) == -1)
		goto out;
	rv = 0;
out:
	if (myfd != -1)
		close(myfd);
	free(dir);
	return rv;
}

int
pool_file_init(struct pool_file *pf, const char *src, const char *dir,
    const char *name, struct dp_error *err)
{
	memset(pf, 0, sizeof(*pf));
	pf->src = xstrdup(src);
	pf->name = xstrdup(name);
	if (!fs_name_is_safe(name)) {
		dp_error_set(err, DP_ERR_INVALID, "%s: unsafe file name '%s' "
		    "for the pool", src, name);
		return -1;
	}
	pf->rel = xasprintf("%s/%s", dir, name);
	return 0;
}

void
pool_item_done(struct pool_item *it)
{
	size_t i;

	for (i = 0; i < it->nfiles; i++) {
		free(it->files[i].src);
		free(it->files[i].name);
		free(it->files[i].rel);
		free(it->files[i].final);
		free(it->files[i].tmp);
	}
	free(it->files);
	free(it->name);
	free(it->version);
	free(it->arch);
	free(it->source);
	free(it->source_version);
	free(it->control);
	free(it->contents);
	free(it->dir);
}

void
pool_file_unstage(struct pool_file *pf)
{
	if (pf->tmp != NULL) {
		unlink(pf->tmp);
		free(pf->tmp);
		pf->tmp = NULL;
	}
	pf->how = PF_NONE;
}

/* Flush everything written to the pool's file system. */
static int
pool_sync(struct pool_ctx *ctx, struct dp_error *err)
{
	int fd;

	if ((fd = open(ctx->pooldir, O_RDONLY | O_DIRECTORY | O_CLOEXEC))
	    == -1) {
		dp_error_errno(err, "open %s", ctx->pooldir);
		return -1;
	}
	if (syncfs(fd) == -1) {
		dp_error_errno(err, "sync %s", ctx->pooldir);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* rename(2) that never replaces an existing file. */
static int
pool_rename(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* A file system without RENAME_NOREPLACE: link(2) never replaces. */
	if (link(from, to) == -1)
		return -1;
	unlink(from);
	return 0;
}

/* 1 if the file at pf->final holds exactly the content of pf. */
static int
pool_same(const struct pool_file *pf)
{
	struct hash_sums sums;

	if (hash_file(pf->final, &sums, NULL) == -1)
		return 0;
	return sums.size == pf->sums.size &&
	    strcmp(sums.sha256, pf->sums.sha256) == 0;
}

/* A link that was refused becomes a copy, checked against the sums
 * taken when it was staged. */
static int
pool_copy_late(struct pool_ctx *ctx, const char *input,
    struct pool_file *pf, struct dp_error *err)
{
	struct hash_sums	sums;
	int			fd, rv;

	if ((fd = pool_input_open(pf->src, err)) == -1)
		return -1;
	rv = pool_file_copy(ctx, pf, fd, 1, &sums, err);
	close(fd);
	pf->how = PF_COPY;
	if (rv == -1)
		return -1;
	if (sums.size != pf->sums.size ||
	    strcmp(sums.sha256, pf->sums.sha256) != 0) {
		dp_error_set(err, DP_ERR_BUSY, "%s: %s changed while it was "
		    "being added; try again", input, pf->src);
		return -1;
	}
	return 0;
}

/* Give one staged file its pool name: rename a copy (its data synced
 * already), or hard-link the input and check the link is the very file
 * hashed.  0, or -1 with err set. */
static int
pool_link_one(struct pool_ctx *ctx, const char *input, struct pool_file *pf,
    struct dp_error *err)
{
	struct stat	sb;
	int		rc;

	if (pf->how == PF_NONE || pf->linked)
		return 0;
	if (pf->how == PF_COPY)
		rc = pool_rename(pf->tmp, pf->final);
	else if ((rc = link(pf->src, pf->final)) == -1 &&
	    (errno == EPERM || errno == EXDEV ||
	    errno == EMLINK || errno == EACCES)) {
		/* Not ours to link (protected_hardlinks): copy it after all
		 * (its data is synced with the names, before the commit). */
		if (pool_copy_late(ctx, input, pf, err) == -1)
			return -1;
		rc = pool_rename(pf->tmp, pf->final);
	}
	if (rc == -1 && errno == EEXIST && pool_same(pf) == 1) {
		/* Twice in this call (an orig tarball of two .dsc), or an
		 * identical concurrent add. */
		pool_file_unstage(pf);
		return 0;
	}
	if (rc == -1) {
		if (errno == EEXIST)
			dp_error_set(err, DP_ERR_BUSY, "%s: %s appeared in the "
			    "pool while adding (another debpipe add?); try "
			    "again", input, pf->final);
		else
			dp_error_errno(err, "%s: cannot create %s", input,
			    pf->final);
		return -1;
	}
	pf->linked = 1;
	if (pf->how == PF_COPY) {
		free(pf->tmp);
		pf->tmp = NULL;
		return 0;
	}
	/* The link must be the very file we hashed. */
	if (lstat(pf->final, &sb) == -1 || sb.st_ino != pf->st.st_ino ||
	    sb.st_dev != pf->st.st_dev || sb.st_size != pf->st.st_size ||
	    sb.st_mtim.tv_sec != pf->st.st_mtim.tv_sec ||
	    sb.st_mtim.tv_nsec != pf->st.st_mtim.tv_nsec) {
		dp_error_set(err, DP_ERR_BUSY, "%s: %s changed while it was "
		    "being added; try again", input, pf->src);
		return -1;
	}
	return 0;
}

/* Hard links as soon as the item is recorded: they are the input's own
 * data, so no sync has to come first (the one before the commit covers
 * their names). */
int
pool_link_early(struct pool_ctx *ctx, struct pool_item *it,
    struct dp_error *err)
{
	size_t	j;

	for (j = 0; j < it->nfiles; j++)
		if (it->files[j].how == PF_LINK &&
		    pool_link_one(ctx, it->input, &it->files[j], err) == -1)
			return -1;
	return 0;
}

int
pool_link_all(struct pool_ctx *ctx, struct dp_error *err)
{
	size_t	i, j;
	int	any = 0;

	for (i = 0; i < ctx->nitems; i++)
		for (j = 0; j < ctx->items[i].nfiles; j++)
			if (ctx->items[i].files[j].how != PF_NONE)
				any |= 1 << ctx->items[i].files[j].how;
	if (!any)
		return 0;
	/* Copies: their data is durable before they get a name.  Links
	 * are the input's own data: one sync below covers data and names,
	 * and nothing is committed before it returns. */
	if ((any & (1 << PF_COPY)) && pool_sync(ctx, err) == -1)
		return -1;
	for (i = 0; i < ctx->nitems; i++)
		for (j = 0; j < ctx->items[i].nfiles; j++)
			if (pool_link_one(ctx, ctx->items[i].input,
			    &ctx->items[i].files[j], err) == -1)
				return -1;
	/* Then the names. */
	return pool_sync(ctx, err);
}

/*
 * After the commit: a pool file that is a hard link to an input is made
 * read-only, so that rewriting the input in place (dpkg-deb --build over
 * the same file name as a non-root user) fails instead of silently
 * changing a published file.  Failure here is harmless.
 */
void
pool_seal(struct pool_ctx *ctx)
{
	struct pool_file	*pf;
	size_t			 i, j;

	for (i = 0; i < ctx->nitems; i++) {
		for (j = 0; j < ctx->items[i].nfiles; j++) {
			pf = &ctx->items[i].files[j];
			if (pf->linked && pf->how == PF_LINK &&
			    (pf->st.st_mode & 07777) != 0444)
				chmod(pf->final, 0444);
		}
	}
}

void
pool_cleanup(struct pool_ctx *ctx, int failed)
{
	struct pool_file	*pf;
	size_t			 i, j;

	for (i = 0; i < ctx->nitems; i++) {
		for (j = 0; j < ctx->items[i].nfiles; j++) {
			pf = &ctx->items[i].files[j];
			if (failed && pf->linked)
				unlink(pf->final);
			if (pf->tmp != NULL)
				unlink(pf->tmp);
		}
	}
	if (failed) {
		if (ctx->stagedir_created)
			rmdir(ctx->stagedir);
		for (i = ctx->ndirs; i > 0; i--)
			rmdir(ctx->dirs[i - 1]);
		if (ctx->pooldir_created)
			rmdir(ctx->pooldir);
	}
}

/* Copies a killed run left in the staging directory (no other add can
 * run: the caller holds publish.lock). */
void
pool_staging_clean(struct pool_ctx *ctx)
{
	DIR		*d;
	struct dirent	*de;
	char		*p;

	if ((d = opendir(ctx->stagedir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0)
			continue;
		p = fs_join(ctx->stagedir, de->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
}