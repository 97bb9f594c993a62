/*
 * pool.c - the package pool and ingestion (see pool.h).
 *
 * pool_add() works so that a failure anywhere leaves the pool and
 * state.db as they were:
 *
 *  1. In one transaction (BEGIN IMMEDIATE), input by input in argument
 *     order: read and validate it (control file, versions, names,
 *     architectures, .dsc checksums; .debs are read ahead by a reader
 *     thread), stage each file that is not yet in the pool, look up what
 *     is already there and insert the rows.  A file on the pool's file
 *     system is hard-linked to its final name at once (RENAME_NOREPLACE
 *     semantics: an existing file is never replaced); any other is
 *     copied, hashing it on the way (one read pass), to a temporary file
 *     in pool/.staging, whose names start with '.'.
 *  2. Make the copies durable (syncfs), rename them to their final names,
 *     make the names durable, then commit.
 *
 * On any failure the files and directories this call created are removed
 * and the transaction rolled back.  A crash before the commit leaves pool
 * files without rows (adding them again adopts them when their content is
 * identical) and temporary copies in pool/.staging (the next add removes
 * them).
 *
 * An input on the pool's file system is not copied but hard-linked (as
 * aptly does): no new inode and no data written, which is most of the
 * cost of ingesting many small packages.  The link is checked to be the
 * very inode that was hashed (inode, size, mtime), and after the commit
 * the file is made read-only (0444) so that rewriting the input in place
 * cannot silently change a published file.  A link the kernel refuses
 * (protected_hardlinks) falls back to a verified copy; setting
 * DEBPIPE_POOL_COPY in the environment always copies.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "debfile.h"
#include "deb822.h"
#include "dsc.h"
#include "fsutil.h"
#include "hash.h"
#include "pool.h"
#include "version.h"
#include "xmalloc.h"

#define TMP_PREFIX	".tmp-debpipe."

/* How a staged file gets its final name. */
enum pf_how {
	PF_NONE,		/* it is there already (or identical) */
	PF_COPY,		/* rename tmp, our copy */
	PF_LINK,		/* hard link the input itself */
};

/* One file headed for the pool. */
struct pool_file {
	char		*src;		/* input path */
	char		*name;		/* file name in the pool */
	char		*rel;		/* pool-relative path */
	char		*final;		/* absolute final path */
	char		*tmp;		/* temporary copy (PF_COPY) */
	enum pf_how	 how;
	struct stat	 st;		/* of the input when hashed */
	struct hash_sums sums;		/* of the input */
	int64_t		 file_id;
	int		 linked;	/* we created final */
};

enum item_kind {
	ITEM_DEB,
	ITEM_DSC,
};

/* One package (a .deb, or a .dsc with its files). */
struct pool_item {
	enum item_kind	 kind;
	const char	*input;
	char		*name;
	char		*version;
	char		*arch;		/* "source" for a .dsc */
	char		*source;
	char		*source_version;
	char		*control;
	char		*contents;
	char		*dir;		/* "main/h/hello" */
	struct pool_file *files;	/* deb: 1; dsc: the .dsc first */
	size_t		 nfiles;
	int64_t		 id;
	int		 existed;
};

struct pool_ctx {
	struct db		*db;
	const struct conf_dist	*dist;
	const char		*component;
	const char		*origin;
	char			*pooldir;
	char			*stagedir;	/* pool/.staging: copies */
	int			 stagedir_ready;	/* made or found */
	int			 stagedir_created;
	int			 pooldir_created;
	struct hash_ctx		*hash;
	dev_t			 pooldev;
	int			 link;		/* hard-link same-fs inputs */
	char			 now[32];

	struct pool_item	*items;
	size_t			 nitems;
	char			**dirs;		/* created by this call */
	size_t			 ndirs;

	sqlite3_stmt		*st_pkg_find;
	sqlite3_stmt		*st_pkg_add;
	sqlite3_stmt		*st_file_find;
	sqlite3_stmt		*st_file_add;
	sqlite3_stmt		*st_src_find;
	sqlite3_stmt		*st_src_add;
	sqlite3_stmt		*st_srcfile_add;
};

/* Binary package fields in the order of a Packages index; others follow
 * in their original order. */
static const char *const PKG_ORDER[] = {
	"Package", "Source", "Version", "Installed-Size", "Maintainer",
	"Architecture", "Replaces", "Provides", "Depends", "Pre-Depends",
	"Recommends", "Suggests", "Conflicts", "Breaks", "Enhances",
	"Section", "Priority", "Homepage", "Description", NULL
};
/* Never copied from a control file: the publisher writes them. */
static const char *const PKG_DROP[] = {
	"Filename", "Size", "MD5sum", "SHA1", "SHA256", "SHA512", NULL
};
/* Sources index order (apt's TFRewriteSourceOrder). */
static const char *const SRC_ORDER[] = {
	"Package", "Format", "Binary", "Architecture", "Version", "Priority",
	"Section", "Origin", "Maintainer", "Original-Maintainer", "Uploaders",
	"Dm-Upload-Allowed", "Standards-Version", "Build-Depends",
	"Build-Depends-Arch", "Build-Depends-Indep", "Build-Conflicts",
	"Build-Conflicts-Arch", "Build-Conflicts-Indep", "Testsuite",
	"Testsuite-Triggers", "Homepage", "Vcs-Browser", "Vcs-Browse",
	"Vcs-Arch", "Vcs-Bzr", "Vcs-Cvs", "Vcs-Darcs", "Vcs-Git", "Vcs-Hg",
	"Vcs-Mtn", "Vcs-Svn", "Directory", "Package-List", "Files",
	"Checksums-Md5", "Checksums-Sha1", "Checksums-Sha256",
	"Checksums-Sha512", NULL
};
static const char *const SRC_DROP_NONE[] = { NULL };
/* Replaced by what the pool knows (the files list gains the .dsc). */
static const char *const SRC_DROP[] = {
	"Package", "Source", "Files", "Checksums-Md5", "Checksums-Sha1",
	"Checksums-Sha256", "Checksums-Sha512", "Directory", NULL
};

static int
name_in(const char *name, const char *const *list)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strcasecmp(name, list[i]) == 0)
			return 1;
	return 0;
}

char *
pool_dir_for(const char *component, const char *source)
{
	if (strncmp(source, "lib", 3) == 0 && source[3] != '\0')
		return xasprintf("%s/lib%c/%s", component, source[3], source);
	return xasprintf("%s/%c/%s", component, source[0], source);
}

void
pool_added_free(struct pool_added *added, size_t n)
{
	size_t i;

	if (added == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(added[i].name);
		free(added[i].version);
		free(added[i].arch);
	}
	free(added);
}

/* --- control paragraphs --------------------------------------------- */

/* Write para's fields: first those in order, then the rest in their
 * original order, skipping drop. */
static void
control_write(struct buf *b, const struct deb822_para *para,
    const char *const *order, const char *const *drop)
{
	const struct deb822_field	*f;
	size_t				 i;

	for (i = 0; order[i] != NULL; i++) {
		if ((f = deb822_find(para, order[i])) != NULL &&
		    !name_in(f->name, drop))
			deb822_field_write(b, f->name, f->value);
	}
	for (i = 0; i < para->nfields; i++) {
		f = &para->fields[i];
		if (name_in(f->name, order) || name_in(f->name, drop))
			continue;
		deb822_field_write(b, f->name, f->value);
	}
}

/* A single-line field: no newline, not empty. */
static const char *
field_word(const struct deb822_para *para, const char *name,
    const char *fname, struct dp_error *err)
{
	const char *v;

	if ((v = deb822_get(para, name)) == NULL || *v == '\0') {
		dp_error_set(err, DP_ERR_INVALID, "%s: missing required field "
		    "%s in the control file", fname, name);
		return NULL;
	}
	if (strpbrk(v, " \t\n") != NULL) {
		dp_error_set(err, DP_ERR_INVALID, "%s: field %s must be a "
		    "single word, not '%.100s'", fname, name, v);
		return NULL;
	}
	return v;
}

/* "name" or "name (version)". */
static int
source_split(const char *value, const char *fname, char **name,
    char **version, struct dp_error *err)
{
	const char	*p = value, *open, *close;
	size_t		 n;

	*name = *version = NULL;
	n = strcspn(p, " \t(");
	*name = xstrndup(p, n);
	p += n;
	p += strspn(p, " \t");
	if (*p != '\0') {
		open = p;
		if (*open != '(' || (close = strchr(open, ')')) == NULL ||
		    close[1 + strspn(close + 1, " \t")] != '\0') {
			dp_error_set(err, DP_ERR_INVALID, "%s: bad Source field "
			    "'%.100s' (expected 'name' or 'name (version)')",
			    fname, value);
			goto fail;
		}
		open++;
		open += strspn(open, " \t");
		n = (size_t)(close - open);
		while (n > 0 && (open[n - 1] == ' ' || open[n - 1] == '\t'))
			n--;
		*version = xstrndup(open, n);
	}
	if (version_name_validate(*name, err) == -1 ||
	    (*version != NULL && version_validate(*version, err) == -1)) {
		dp_error_prefix(err, "%s: Source field", fname);
		goto fail;
	}
	return 0;
fail:
	free(*name);
	free(*version);
	*name = *version = NULL;
	return -1;
}

static int
arch_allowed(const struct conf_dist *dist, const char *arch)
{
	size_t i;

	if (strcmp(arch, "all") == 0)
		return 1;
	for (i = 0; dist->archs != NULL && dist->archs[i] != NULL; i++)
		if (strcmp(dist->archs[i], arch) == 0)
			return 1;
	return 0;
}

static char *
archs_list(const struct conf_dist *dist)
{
	struct buf	b;
	size_t		i;

	buf_init(&b);
	for (i = 0; dist->archs != NULL && dist->archs[i] != NULL; i++)
		buf_printf(&b, "%s%s", i ? " " : "", dist->archs[i]);
	return buf_steal(&b);
}

/* Validate a binary control paragraph and fill item. */
static int
deb_control(const struct conf_dist *dist, struct pool_item *it,
    const char *fname, const struct deb822_para *para, struct dp_error *err)
{
	static const char *const required[] = {
		"Package", "Version", "Architecture", "Maintainer",
		"Description", NULL
	};
	const char	*v;
	char		*list;
	struct buf	 b;
	size_t		 i;

	for (i = 0; required[i] != NULL; i++) {
		v = deb822_get(para, required[i]);
		if (v == NULL || v[strspn(v, " \t\n")] == '\0') {
			dp_error_set(err, DP_ERR_INVALID, "%s: missing required "
			    "field %s in the control file", fname,
			    required[i]);
			return -1;
		}
	}
	if ((v = field_word(para, "Package", fname, err)) == NULL)
		return -1;
	if (version_name_validate(v, err) == -1) {
		dp_error_prefix(err, "%s: Package field", fname);
		return -1;
	}
	it->name = xstrdup(v);
	if ((v = field_word(para, "Version", fname, err)) == NULL)
		return -1;
	if (version_validate(v, err) == -1) {
		dp_error_prefix(err, "%s: Version field", fname);
		return -1;
	}
	it->version = xstrdup(v);
	if ((v = field_word(para, "Architecture", fname, err)) == NULL)
		return -1;
	if (version_arch_validate(v, err) == -1) {
		dp_error_prefix(err, "%s: Architecture field", fname);
		return -1;
	}
	if (!arch_allowed(dist, v)) {
		list = archs_list(dist);
		dp_error_set(err, DP_ERR_INVALID, "%s: architecture '%s' is "
		    "not configured for distribution %s (Architectures: %s); "
		    "add it to the Distribution stanza or build for one of "
		    "those", fname, v, dist->name, list);
		free(list);
		return -1;
	}
	it->arch = xstrdup(v);
	if ((v = deb822_get(para, "Source")) != NULL) {
		if (source_split(v, fname, &it->source, &it->source_version,
		    err) == -1)
			return -1;
	} else
		it->source = xstrdup(it->name);
	if (it->source_version == NULL)
		it->source_version = xstrdup(it->version);

	buf_init(&b);
	buf_reserve(&b, 1024);	/* most control paragraphs fit */
	control_write(&b, para, PKG_ORDER, PKG_DROP);
	it->control = buf_steal(&b);
	return 0;
}

/* --- files ----------------------------------------------------------- */

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
static int
input_open(const char *path, struct dp_error *err)
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
static int
pool_file_stage(struct pool_ctx *ctx, struct pool_file *pf, int fd,
    const struct hash_sums *pre, const struct stat *prest,
    struct dp_error *err)
{
	struct stat	 sb;
	char		*dir = NULL;
	int		 myfd = -1, rv = -1, made;

	pf->final = fs_join(ctx->pooldir, pf->rel);
	if (fd == -1) {
		if ((myfd = input_open(pf->src, err)) == -1)
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
	if (!made && lstat(pf->final, &sb) == 0) {
		/* Recording compares with the database or this file. */
		pf->how = PF_NONE;
		if (pre != NULL)
			pf->sums = *pre;
		else if (hash_fd(fd, pf->src, &pf->sums, err) == -1)
			goto out;
		rv = 0;
		goto out;
	}
	if (pf->st.st_dev == ctx->pooldev && ctx->link) {
		/* Same file system: the pool file will be a hard link to
		 * the input (no new inode, no data written); linking checks
		 * that it is still the file hashed here. */
		pf->how = PF_LINK;
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

static int
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

static void
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

static int
has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* --- reading and staging -------------------------------------------- */

static int
hash_tee_cb(const void *buf, size_t len, void *arg, struct dp_error *err)
{
	hash_update(arg, buf, len);
	return 0;
}

/*
 * A .deb read, hashed and its control parsed and validated: the part of
 * an add that touches nothing but the input, so that a reader thread can
 * do it for the next files while the main thread stages this one.
 */
struct deb_pre {
	int			 rv;
	int			 fd;
	struct stat		 st;
	struct hash_sums	 sums;
	struct debfile		 deb;
	struct pool_item	 item;	/* the validated control fields */
	struct dp_error		 err;
};

static void
deb_pre_done(struct deb_pre *p)
{
	if (p->fd != -1)
		close(p->fd);
	p->fd = -1;
	debfile_done(&p->deb);
	pool_item_done(&p->item);
	memset(&p->item, 0, sizeof(p->item));
}

/* Read, hash and validate one .deb (in the reader thread or the main
 * one); touches nothing shared but libdpkg, which version.c locks. */
static int
deb_pre_read(struct deb_pre *p, const char *path,
    const struct conf_dist *dist, int flags, struct hash_ctx *h)
{
	struct dp_error		*err = &p->err;
	struct deb822_para	*para = NULL;
	int			 rv;

	memset(p, 0, sizeof(*p));
	p->rv = -1;
	if ((p->fd = input_open(path, err)) == -1)
		return -1;
	/* One read: libarchive parses while the tee hashes every byte. */
	if (fstat(p->fd, &p->st) == -1) {
		dp_error_errno(err, "%s", path);
		return -1;
	}
	hash_reset(h);
	if (debfile_read_fd(p->fd, path, flags, hash_tee_cb, h, &p->deb,
	    err) == -1)
		return -1;
	hash_final(h, &p->sums);
	if (deb822_parse_one(p->deb.control, p->deb.control_len, "control",
	    0, &para, err) == -1) {
		dp_error_prefix(err, "%s", path);
		return -1;
	}
	rv = deb_control(dist, &p->item, path, para, err);
	deb822_para_free(para);
	if (rv == -1)
		return -1;
	p->rv = 0;
	return 0;
}

int
pool_deb_check(const char *path, const struct conf_dist *dist, int flags,
    char **control, struct dp_error *err)
{
	struct deb_pre	 pre;
	struct hash_ctx	*h = hash_new();
	int		 rv;

	*control = NULL;
	rv = deb_pre_read(&pre, path, dist, flags, h);
	if (rv == -1 && err != NULL)
		*err = pre.err;
	else {
		*control = pre.item.control;
		pre.item.control = NULL;
	}
	deb_pre_done(&pre);
	hash_free(h);
	return rv;
}

/*
 * The reader thread: deb_pre_read of every .deb in order, at most
 * PRE_WINDOW files ahead of the main thread (each holds an open fd).
 */
#define PRE_WINDOW	64
#define PRE_MIN		32	/* fewer inputs: not worth a thread */
#define PRE_BATCH	8	/* a waiting main thread wakes for 8 files */

struct prefetch {
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	char *const		*paths;
	size_t			 n;
	const struct conf_dist	*dist;
	int			 flags;
	struct deb_pre		*v;
	size_t			 produced;	/* v[0..produced) are ready */
	size_t			 consumed;	/* main is past these */
	int			 stop;
	int			 running;
	int			 worker_waiting;
	size_t			 main_waits_for;	/* 0: main runs */
};

static void *
prefetch_main(void *arg)
{
	struct prefetch	*pf = arg;
	struct hash_ctx	*h = hash_new();
	size_t		 i;

	for (i = 0; i < pf->n; i++) {
		pthread_mutex_lock(&pf->mu);
		while (!pf->stop && i >= pf->consumed + PRE_WINDOW) {
			pf->worker_waiting = 1;
			pthread_cond_wait(&pf->cv, &pf->mu);
		}
		pf->worker_waiting = 0;
		if (pf->stop) {
			pthread_mutex_unlock(&pf->mu);
			break;
		}
		pthread_mutex_unlock(&pf->mu);
		if (has_suffix(pf->paths[i], ".dsc")) {
			memset(&pf->v[i], 0, sizeof(pf->v[i]));
			pf->v[i].fd = -1;
		} else
			deb_pre_read(&pf->v[i], pf->paths[i], pf->dist,
			    pf->flags, h);
		pthread_mutex_lock(&pf->mu);
		pf->produced = i + 1;
		/* Wake the main thread a few files at a time, not for each
		 * (every wake-up is two context switches). */
		if (pf->main_waits_for != 0 &&
		    (pf->produced >= pf->main_waits_for + PRE_BATCH ||
		    pf->produced == pf->n))
			pthread_cond_broadcast(&pf->cv);
		pthread_mutex_unlock(&pf->mu);
	}
	hash_free(h);
	return NULL;
}

/* Start the reader thread when it is worth it (pf->running says whether
 * it runs; DEBPIPE_POOL_THREADS=1 keeps every read in the main thread). */
static void
prefetch_start(struct prefetch *pf, char *const paths[], size_t n,
    const struct conf_dist *dist, int flags)
{
	memset(pf, 0, sizeof(*pf));
	if (n < PRE_MIN || (getenv("DEBPIPE_POOL_THREADS") != NULL &&
	    strcmp(getenv("DEBPIPE_POOL_THREADS"), "1") == 0))
		return;
	pf->paths = paths;
	pf->n = n;
	pf->dist = dist;
	pf->flags = flags;
	pf->v = xcalloc(n, sizeof(*pf->v));
	pthread_mutex_init(&pf->mu, NULL);
	pthread_cond_init(&pf->cv, NULL);
	if (pthread_create(&pf->thread, NULL, prefetch_main, pf) != 0) {
		/* Read in the main thread after all. */
		pthread_cond_destroy(&pf->cv);
		pthread_mutex_destroy(&pf->mu);
		free(pf->v);
		pf->v = NULL;
		return;
	}
	pf->running = 1;
}

/* Wait for the read of input i; NULL without a reader thread. */
static struct deb_pre *
prefetch_get(struct prefetch *pf, size_t i)
{
	if (!pf->running)
		return NULL;
	pthread_mutex_lock(&pf->mu);
	while (pf->produced <= i) {
		pf->main_waits_for = i + 1;
		pthread_cond_wait(&pf->cv, &pf->mu);
	}
	pf->main_waits_for = 0;
	pthread_mutex_unlock(&pf->mu);
	return &pf->v[i];
}

/* The main thread is done with input i (its deb_pre released). */
static void
prefetch_release(struct prefetch *pf, size_t i)
{
	if (!pf->running)
		return;
	pthread_mutex_lock(&pf->mu);
	pf->consumed = i + 1;
	/* A full window waits until half of it is used. */
	if (pf->worker_waiting &&
	    pf->consumed + PRE_WINDOW / 2 >= pf->produced)
		pthread_cond_broadcast(&pf->cv);
	pthread_mutex_unlock(&pf->mu);
}

static void
prefetch_stop(struct prefetch *pf)
{
	size_t i;

	if (!pf->running)
		return;
	pthread_mutex_lock(&pf->mu);
	pf->stop = 1;
	pthread_cond_broadcast(&pf->cv);
	pthread_mutex_unlock(&pf->mu);
	pthread_join(pf->thread, NULL);
	for (i = pf->consumed; i < pf->produced; i++)
		deb_pre_done(&pf->v[i]);
	pthread_cond_destroy(&pf->cv);
	pthread_mutex_destroy(&pf->mu);
	free(pf->v);
	pf->v = NULL;
	pf->running = 0;
}

/* pre: the read done by the reader thread, or NULL to read here. */
static int
stage_deb(struct pool_ctx *ctx, struct pool_item *it, const char *path,
    struct deb_pre *pre, struct dp_error *err)
{
	struct deb_pre	 local;
	char		*fname = NULL;
	int		 rv = -1;

	it->kind = ITEM_DEB;
	if (pre == NULL) {
		pre = &local;
		deb_pre_read(pre, path, ctx->dist, ctx->dist->contents ?
		    DEBFILE_CONTENTS : 0, ctx->hash);
	}
	if (pre->rv == -1) {
		*err = pre->err;
		goto out;
	}
	/* The validated fields move over. */
	it->name = pre->item.name;
	it->version = pre->item.version;
	it->arch = pre->item.arch;
	it->source = pre->item.source;
	it->source_version = pre->item.source_version;
	it->control = pre->item.control;
	memset(&pre->item, 0, sizeof(pre->item));
	it->contents = pre->deb.contents;
	pre->deb.contents = NULL;
	it->dir = pool_dir_for(ctx->component, it->source);
	fname = xasprintf("%s_%s_%s.deb", it->name,
	    version_noepoch(it->version), it->arch);
	it->files = xcalloc(1, sizeof(*it->files));
	it->nfiles = 1;
	if (pool_file_init(&it->files[0], path, it->dir, fname, err) == -1 ||
	    pool_file_stage(ctx, &it->files[0], pre->fd, &pre->sums,
	    &pre->st, err) == -1)
		goto out;
	rv = 0;
out:
	free(fname);
	deb_pre_done(pre);
	return rv;
}

static char *
src_files_value(const struct pool_item *it, int kind)
{
	struct buf	b;
	size_t		i;

	buf_init(&b);
	for (i = 0; i < it->nfiles; i++)
		buf_printf(&b, "\n%s %llu %s", kind == 0 ?
		    it->files[i].sums.md5 : kind == 1 ? it->files[i].sums.sha1 :
		    it->files[i].sums.sha256,
		    (unsigned long long)it->files[i].sums.size,
		    it->files[i].name);
	return buf_steal(&b);
}

/*
 * The Sources index paragraph of a .dsc: Package instead of Source, the
 * pool Directory, and Files / Checksums-Sha1 / Checksums-Sha256 listing
 * every file including the .dsc itself, in apt-ftparchive's field order
 * (unknown fields after, in their original order).
 */
static void
src_control(struct buf *b, const struct pool_item *it, const struct dsc *dsc)
{
	static const char *const names[] = {
		"Package", "Directory", "Files", "Checksums-Sha1",
		"Checksums-Sha256",
	};
	struct deb822_para	 p;
	char			*values[5];
	size_t			 i, n = 0;

	values[0] = xstrdup(dsc->source);
	values[1] = xasprintf("pool/%s", it->dir);
	for (i = 0; i < 3; i++)
		values[2 + i] = src_files_value(it, (int)i);
	p.line = 0;
	p.fields = xcalloc(dsc->para->nfields + 5, sizeof(*p.fields));
	for (i = 0; i < dsc->para->nfields; i++)
		if (!name_in(dsc->para->fields[i].name, SRC_DROP))
			p.fields[n++] = dsc->para->fields[i];
	for (i = 0; i < 5; i++) {
		p.fields[n].name = (char *)names[i];
		p.fields[n].value = values[i];
		p.fields[n++].line = 0;
	}
	p.nfields = n;
	control_write(b, &p, SRC_ORDER, SRC_DROP_NONE);
	for (i = 0; i < 5; i++)
		free(values[i]);
	free(p.fields);
}

static int
stage_dsc(struct pool_ctx *ctx, struct pool_item *it, const char *path,
    struct dp_error *err)
{
	struct dsc	 dsc;
	struct buf	 b;
	char		*srcdir = NULL, *slash, *src;
	size_t		 i;
	int		 rv = -1;

	it->kind = ITEM_DSC;
	if (dsc_load(path, &dsc, err) == -1) {
		if (err != NULL && err->code == DP_ERR_SYSTEM &&
		    err->errnum == ENOENT)
			dp_error_set(err, DP_ERR_NOTFOUND, "%s: file not found",
			    path);
		goto out;
	}
	it->name = xstrdup(dsc.source);
	it->version = xstrdup(dsc.version);
	it->arch = xstrdup("source");
	it->source = xstrdup(dsc.source);
	it->source_version = xstrdup(dsc.version);
	it->dir = pool_dir_for(ctx->component, it->source);

	srcdir = xstrdup(path);
	if ((slash = strrchr(srcdir, '/')) != NULL) {
		*slash = '\0';
		if (srcdir[0] == '\0') {
			free(srcdir);
			srcdir = xstrdup("/");
		}
	} else {
		free(srcdir);
		srcdir = xstrdup(".");
	}

	it->files = xcalloc(dsc.nfiles + 1, sizeof(*it->files));
	/* The .dsc itself goes into the pool under its canonical name. */
	src = xasprintf("%s_%s.dsc", dsc.source,
	    version_noepoch(dsc.version));
	it->nfiles = 1;
	if (pool_file_init(&it->files[0], path, it->dir, src, err) == -1) {
		free(src);
		goto out;
	}
	free(src);
	if (pool_file_stage(ctx, &it->files[0], -1, NULL, NULL, err) == -1)
		goto out;
	for (i = 0; i < dsc.nfiles; i++) {
		struct pool_file *pf = &it->files[it->nfiles++];

		src = fs_join(srcdir, dsc.files[i].name);
		if (pool_file_init(pf, src, it->dir, dsc.files[i].name,
		    err) == -1) {
			free(src);
			goto out;
		}
		free(src);
		if (pool_file_stage(ctx, pf, -1, NULL, NULL, err) == -1) {
			if (err != NULL && err->code == DP_ERR_NOTFOUND)
				dp_error_set(err, DP_ERR_NOTFOUND, "%s: listed "
				    "file %s is missing (looked for %s)", path,
				    dsc.files[i].name, pf->src);
			goto out;
		}
		if (dsc_file_check(path, &dsc.files[i], &pf->sums, err) == -1)
			goto out;
	}

	/* The Sources paragraph. */
	buf_init(&b);
	src_control(&b, it, &dsc);
	it->control = buf_steal(&b);
	rv = 0;
out:
	free(srcdir);
	dsc_done(&dsc);
	return rv;
}


/* --- database and pool names ----------------------------------------- */

static int
pool_prepare(struct pool_ctx *ctx, struct dp_error *err)
{
	struct {
		sqlite3_stmt	**st;
		const char	 *sql;
	} stmts[] = {
		{ &ctx->st_pkg_find, "SELECT p.id, f.sha256, f.size, f.path "
		    "FROM packages p JOIN files f ON f.id = p.file_id "
		    "WHERE p.dist = ?1 AND p.component = ?2 AND p.name = ?3 "
		    "AND p.version = ?4 AND p.arch = ?5" },
		{ &ctx->st_pkg_add, "INSERT INTO packages(dist, component, "
		    "name, version, arch, source, source_version, file_id, "
		    "control, contents, origin, added) VALUES (?1, ?2, ?3, ?4,"
		    " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)" },
		{ &ctx->st_file_find, "SELECT id, sha256, size FROM files "
		    "WHERE path = ?1" },
		{ &ctx->st_file_add, "INSERT INTO files(path, size, md5, "
		    "sha1, sha256, added) VALUES (?1, ?2, ?3, ?4, ?5, ?6)" },
		{ &ctx->st_src_find, "SELECT s.id, f.sha256, f.size "
		    "FROM sources s JOIN files f ON f.id = s.dsc_file_id "
		    "WHERE s.dist = ?1 AND s.component = ?2 AND s.name = ?3 "
		    "AND s.version = ?4" },
		{ &ctx->st_src_add, "INSERT INTO sources(dist, component, "
		    "name, version, directory, control, dsc_file_id, origin, "
		    "added) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)" },
		{ &ctx->st_srcfile_add, "INSERT OR IGNORE INTO "
		    "source_files(source_id, file_id) VALUES (?1, ?2)" },
	};
	size_t i;

	for (i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++)
		if (db_prepare(ctx->db, stmts[i].sql, stmts[i].st, err) == -1)
			return -1;
	return 0;
}

static void
pool_finalize(struct pool_ctx *ctx)
{
	sqlite3_stmt **sts[] = {
		&ctx->st_pkg_find, &ctx->st_pkg_add, &ctx->st_file_find,
		&ctx->st_file_add, &ctx->st_src_find, &ctx->st_src_add,
		&ctx->st_srcfile_add,
	};
	size_t i;

	for (i = 0; i < sizeof(sts) / sizeof(sts[0]); i++) {
		sqlite3_finalize(*sts[i]);	/* NULL is a no-op */
		*sts[i] = NULL;
	}
}

static void
pool_file_unstage(struct pool_file *pf)
{
	if (pf->tmp != NULL) {
		unlink(pf->tmp);
		free(pf->tmp);
		pf->tmp = NULL;
	}
	pf->how = PF_NONE;
}

static int
step_done(struct pool_ctx *ctx, sqlite3_stmt *st, const char *what,
    const char *fname, struct dp_error *err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(ctx->db), "%s: %s", fname,
		    what);
		return -1;
	}
	return 0;
}

/* Find, adopt or insert the files row for pf. */
static int
pool_file_record(struct pool_ctx *ctx, const char *input,
    struct pool_file *pf, struct dp_error *err)
{
	sqlite3_stmt		*st = ctx->st_file_find;
	struct hash_sums	 disk;
	const char		*sha;
	int			 rc;

	sqlite3_bind_text(st, 1, pf->rel, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		sha = (const char *)sqlite3_column_text(st, 1);
		if (sha == NULL || strcmp(sha, pf->sums.sha256) != 0 ||
		    (uint64_t)sqlite3_column_int64(st, 2) != pf->sums.size) {
			dp_error_set(err, DP_ERR_EXISTS, "%s: the pool already "
			    "holds %s with different content (sha256 %s "
			    "there, %s here); give the new file a new "
			    "version", input, pf->rel, sha != NULL ? sha : "?",
			    pf->sums.sha256);
			sqlite3_reset(st);
			return -1;
		}
		pf->file_id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		/* Still staged means the file is missing from the pool
		 * (removed by hand): it is put back. */
		return 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		dp_error_sqlite(err, db_handle(ctx->db), "%s: look up %s",
		    input, pf->rel);
		return -1;
	}
	/* Not in the database: a file left on disk (by a crash) is adopted
	 * if identical, and never replaced. */
	if (pf->how == PF_NONE) {
		if (hash_file(pf->final, &disk, err) == -1) {
			dp_error_prefix(err, "%s", input);
			return -1;
		}
		if (strcmp(disk.sha256, pf->sums.sha256) != 0 ||
		    disk.size != pf->sums.size) {
			dp_error_set(err, DP_ERR_EXISTS, "%s: %s already exists "
			    "in the pool with different content; it is never "
			    "overwritten (remove it by hand if it is a "
			    "leftover)", input, pf->final);
			return -1;
		}
		pool_file_unstage(pf);
	}
	st = ctx->st_file_add;
	sqlite3_bind_text(st, 1, pf->rel, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)pf->sums.size);
	sqlite3_bind_text(st, 3, pf->sums.md5, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, pf->sums.sha1, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, pf->sums.sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, ctx->now, -1, SQLITE_STATIC);
	if (step_done(ctx, st, "insert file", input, err) == -1)
		return -1;
	pf->file_id = sqlite3_last_insert_rowid(db_handle(ctx->db));
	return 0;
}

/* Look up (dist, component, name, version[, arch]); 1 found and
 * identical, 0 absent, -1 error or different. */
static int
pool_item_find(struct pool_ctx *ctx, struct pool_item *it,
    struct dp_error *err)
{
	sqlite3_stmt	*st;
	const char	*sha;
	int		 rc, rv;

	st = it->kind == ITEM_DEB ? ctx->st_pkg_find : ctx->st_src_find;
	sqlite3_bind_text(st, 1, ctx->dist->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ctx->component, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, it->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, it->version, -1, SQLITE_STATIC);
	if (it->kind == ITEM_DEB)
		sqlite3_bind_text(st, 5, it->arch, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		rv = 0;
	else if (rc != SQLITE_ROW) {
		dp_error_sqlite(err, db_handle(ctx->db), "%s: look up %s",
		    it->input, it->name);
		rv = -1;
	} else {
		sha = (const char *)sqlite3_column_text(st, 1);
		if (sha != NULL && strcmp(sha, it->files[0].sums.sha256) == 0 &&
		    (uint64_t)sqlite3_column_int64(st, 2) ==
		    it->files[0].sums.size) {
			it->id = sqlite3_column_int64(st, 0);
			rv = 1;
		} else {
			dp_error_set(err, DP_ERR_EXISTS, "%s: %s %s (%s) is "
			    "already in %s/%s with different content (sha256 "
			    "%s there, %s here); a changed package needs a "
			    "new version", it->input, it->name, it->version,
			    it->arch, ctx->dist->name, ctx->component,
			    sha != NULL ? sha : "?", it->files[0].sums.sha256);
			rv = -1;
		}
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rv;
}

static int
pool_item_record(struct pool_ctx *ctx, struct pool_item *it,
    struct dp_error *err)
{
	sqlite3_stmt	*st;
	char		*directory;
	size_t		 i;
	int		 found;

	if ((found = pool_item_find(ctx, it, err)) == -1)
		return -1;
	if (found == 1) {
		/* Files still staged are missing from the pool: put back. */
		it->existed = 1;
		return 0;
	}
	for (i = 0; i < it->nfiles; i++)
		if (pool_file_record(ctx, it->input, &it->files[i], err) == -1)
			return -1;

	if (it->kind == ITEM_DEB) {
		st = ctx->st_pkg_add;
		sqlite3_bind_text(st, 1, ctx->dist->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, ctx->component, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, it->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, it->version, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, it->arch, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, it->source, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, it->source_version, -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(st, 8, it->files[0].file_id);
		sqlite3_bind_text(st, 9, it->control, -1, SQLITE_STATIC);
		if (it->contents != NULL)
			sqlite3_bind_text(st, 10, it->contents, -1,
			    SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 10);
		sqlite3_bind_text(st, 11, ctx->origin, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 12, ctx->now, -1, SQLITE_STATIC);
		if (step_done(ctx, st, "insert package", it->input, err) == -1)
			return -1;
		it->id = sqlite3_last_insert_rowid(db_handle(ctx->db));
		return 0;
	}

	directory = xasprintf("pool/%s", it->dir);
	st = ctx->st_src_add;
	sqlite3_bind_text(st, 1, ctx->dist->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ctx->component, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, it->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, it->version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, directory, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, it->control, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, it->files[0].file_id);
	sqlite3_bind_text(st, 8, ctx->origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, ctx->now, -1, SQLITE_STATIC);
	if (step_done(ctx, st, "insert source", it->input, err) == -1) {
		free(directory);
		return -1;
	}
	free(directory);
	it->id = sqlite3_last_insert_rowid(db_handle(ctx->db));
	for (i = 0; i < it->nfiles; i++) {
		st = ctx->st_srcfile_add;
		sqlite3_bind_int64(st, 1, it->id);
		sqlite3_bind_int64(st, 2, it->files[i].file_id);
		if (step_done(ctx, st, "insert source file", it->input,
		    err) == -1)
			return -1;
	}
	return 0;
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

	if ((fd = input_open(pf->src, err)) == -1)
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
static int
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

static int
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
static void
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

static void
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
static void
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

int
pool_add(struct db *db, const struct config *cfg, char *const paths[],
    const struct pool_add_opts *opts, struct pool_added **added,
    size_t *nadded, struct dp_error *err)
{
	struct pool_ctx		 ctx;
	struct prefetch		 pre;
	struct pool_item	*it;
	struct pool_added	*out;
	struct stat		 sb;
	size_t			 i, n;
	char			*lockpath;
	int			 rv = -1, in_tx = 0, lockfd = -1, rc;

	memset(&ctx, 0, sizeof(ctx));
	memset(&pre, 0, sizeof(pre));
	if (added != NULL)
		*added = NULL;
	if (nadded != NULL)
		*nadded = 0;
	ctx.db = db;
	ctx.origin = opts->origin != NULL ? opts->origin : "add";
	if ((ctx.dist = config_dist_find(cfg, opts->dist)) == NULL) {
		dp_error_set(err, DP_ERR_NOTFOUND, "distribution '%s' is not "
		    "configured in %s", opts->dist != NULL ? opts->dist : "",
		    cfg->path != NULL ? cfg->path : "the configuration");
		return -1;
	}
	if (opts->component != NULL) {
		for (i = 0; ctx.dist->components[i] != NULL; i++)
			if (strcmp(ctx.dist->components[i],
			    opts->component) == 0)
				break;
		if (ctx.dist->components[i] == NULL) {
			dp_error_set(err, DP_ERR_NOTFOUND, "component '%s' is "
			    "not configured for distribution %s",
			    opts->component, ctx.dist->name);
			return -1;
		}
		ctx.component = ctx.dist->components[i];
	} else
		ctx.component = ctx.dist->components[0];
	for (n = 0; paths[n] != NULL; n++)
		;
	snprintf(ctx.now, sizeof(ctx.now), "%s", db_now());
	/*
	 * GC (publish_gc) removes pool files and their rows under
	 * State-Dir/publish.lock.  Hold it too, so that a file this call
	 * finds in the pool and reuses cannot be collected under it.
	 */
	if (fs_mkdirs(cfg->state_dir, 0750, err) == -1)
		return -1;
	lockpath = fs_join(cfg->state_dir, "publish.lock");
	lockfd = fs_lock(lockpath, 1, err);
	free(lockpath);
	if (lockfd == -1)
		return -1;
	ctx.pooldir = config_pool_dir(cfg);
	if (stat(ctx.pooldir, &sb) == -1) {
		if (fs_mkdirs(ctx.pooldir, 0755, err) == -1)
			goto out;
		ctx.pooldir_created = 1;
		if (stat(ctx.pooldir, &sb) == -1) {
			dp_error_errno(err, "%s", ctx.pooldir);
			goto out;
		}
	}
	ctx.pooldev = sb.st_dev;
	ctx.stagedir = fs_join(ctx.pooldir, ".staging");
	pool_staging_clean(&ctx);
	ctx.link = opts->link && getenv("DEBPIPE_POOL_COPY") == NULL;
	ctx.items = xcalloc(n > 0 ? n : 1, sizeof(*ctx.items));
	ctx.hash = hash_new();

	/*
	 * One transaction for every row.  Each input in turn is read,
	 * validated and hashed (.debs ahead of time, in the reader thread),
	 * staged, recorded and, when it is a hard link, given its pool name;
	 * copies get theirs after one sync of their data.  Then one sync of
	 * the names, then the commit.
	 */
	if (db_begin(db, err) == -1)
		goto out;
	in_tx = 1;
	if (pool_prepare(&ctx, err) == -1)
		goto out;
	prefetch_start(&pre, paths, n, ctx.dist, ctx.dist->contents ?
	    DEBFILE_CONTENTS : 0);
	for (i = 0; i < n; i++) {
		it = &ctx.items[ctx.nitems++];
		it->input = paths[i];
		if (has_suffix(paths[i], ".dsc")) {
			(void)prefetch_get(&pre, i);
			prefetch_release(&pre, i);
			if (stage_dsc(&ctx, it, paths[i], err) == -1)
				goto out;
		} else {
			rc = stage_deb(&ctx, it, paths[i],
			    prefetch_get(&pre, i), err);
			prefetch_release(&pre, i);
			if (rc == -1)
				goto out;
		}
		if (pool_item_record(&ctx, it, err) == -1 ||
		    pool_link_early(&ctx, it, err) == -1)
			goto out;
		if (opts->progress_cb != NULL)
			opts->progress_cb(i + 1, n, opts->progress_arg);
	}
	prefetch_stop(&pre);
	pool_finalize(&ctx);
	if (pool_link_all(&ctx, err) == -1)
		goto out;
	if (db_commit(db, err) == -1)
		goto out;
	in_tx = 0;
	pool_seal(&ctx);

	if (added != NULL) {
		out = xcalloc(ctx.nitems > 0 ? ctx.nitems : 1, sizeof(*out));
		for (i = 0; i < ctx.nitems; i++) {
			it = &ctx.items[i];
			out[i].name = xstrdup(it->name);
			out[i].version = xstrdup(it->version);
			out[i].arch = xstrdup(it->arch);
			out[i].id = it->id;
			out[i].existed = it->existed;
		}
		*added = out;
	}
	if (nadded != NULL)
		*nadded = ctx.nitems;
	rv = 0;
out:
	prefetch_stop(&pre);
	pool_finalize(&ctx);
	if (in_tx)
		db_rollback(db);
	pool_cleanup(&ctx, rv == -1);
	for (i = 0; i < ctx.nitems; i++)
		pool_item_done(&ctx.items[i]);
	free(ctx.items);
	for (i = 0; i < ctx.ndirs; i++)
		free(ctx.dirs[i]);
	free(ctx.dirs);
	free(ctx.pooldir);
	free(ctx.stagedir);
	hash_free(ctx.hash);
	close(lockfd);
	return rv;
}
