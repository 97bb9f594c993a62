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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db-packages.h"
#include "fsutil.h"
#include "pool.h"
#include "pool-int.h"
#include "xmalloc.h"

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

/* Find, adopt or insert the files row for pf. */
static int
pool_file_record(struct pool_ctx *ctx, const char *input,
    struct pool_file *pf, struct dp_error *err)
{
	struct hash_sums	 disk;
	struct db_pkg_file	 f;
	char			 sha[65];
	uint64_t		 size;
	int			 rc;

	rc = db_pkg_writer_file_find(ctx->w, pf->rel, &pf->file_id, sha,
	    &size, err);
	if (rc == 1) {
		if (strcmp(sha, pf->sums.sha256) != 0 ||
		    size != pf->sums.size) {
			dp_error_set(err, DP_ERR_EXISTS, "%s: the pool already "
			    "holds %s with different content (sha256 %s "
			    "there, %s here); give the new file a new "
			    "version", input, pf->rel, sha[0] != '\0' ? sha :
			    "?", pf->sums.sha256);
			return -1;
		}
		/* Still staged means the file is missing from the pool
		 * (removed by hand): it is put back. */
		return 0;
	}
	if (rc == -1) {
		dp_error_prefix(err, "%s", input);
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
	f.path = pf->rel;
	f.size = pf->sums.size;
	f.md5 = pf->sums.md5;
	f.sha1 = pf->sums.sha1;
	f.sha256 = pf->sums.sha256;
	if (db_pkg_writer_file_add(ctx->w, &f, ctx->now, &pf->file_id,
	    err) == -1) {
		dp_error_prefix(err, "%s", input);
		return -1;
	}
	return 0;
}

/* Look up (dist, component, name, version[, arch]); 1 found and
 * identical, 0 absent, -1 error or different. */
static int
pool_item_find(struct pool_ctx *ctx, struct pool_item *it,
    struct dp_error *err)
{
	struct db_pkg	 p;
	char		 sha[65];
	uint64_t	 size;
	int64_t		 id;
	int		 rc;

	memset(&p, 0, sizeof(p));
	p.dist = ctx->dist->name;
	p.component = ctx->component;
	p.name = it->name;
	p.version = it->version;
	p.arch = it->kind == ITEM_DEB ? it->arch : NULL;
	if ((rc = db_pkg_writer_find(ctx->w, &p, &id, sha, &size, err)) ==
	    -1) {
		dp_error_prefix(err, "%s", it->input);
		return -1;
	}
	if (rc == 0)
		return 0;
	if (strcmp(sha, it->files[0].sums.sha256) == 0 &&
	    size == it->files[0].sums.size) {
		it->id = id;
		return 1;
	}
	dp_error_set(err, DP_ERR_EXISTS, "%s: %s %s (%s) is already in %s/%s "
	    "with different content (sha256 %s there, %s here); a changed "
	    "package needs a new version", it->input, it->name, it->version,
	    it->arch, ctx->dist->name, ctx->component, sha[0] != '\0' ? sha :
	    "?", it->files[0].sums.sha256);
	return -1;
}

static int
pool_item_record(struct pool_ctx *ctx, struct pool_item *it,
    struct dp_error *err)
{
	struct db_pkg_row	 r;
	char			*directory = NULL;
	size_t			 i;
	int			 found, rv = -1;

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

	memset(&r, 0, sizeof(r));
	r.pkg.dist = ctx->dist->name;
	r.pkg.component = ctx->component;
	r.pkg.name = it->name;
	r.pkg.version = it->version;
	r.file_id = it->files[0].file_id;
	r.control = it->control;
	r.origin = ctx->origin;
	r.added = ctx->now;
	if (it->kind == ITEM_DEB) {
		r.pkg.arch = it->arch;
		r.source = it->source;
		r.source_version = it->source_version;
		r.contents = it->contents;
	} else
		r.directory = directory = xasprintf("pool/%s", it->dir);
	if (db_pkg_writer_add(ctx->w, &r, &it->id, err) == -1)
		goto out;
	if (it->kind == ITEM_DSC)
		for (i = 0; i < it->nfiles; i++)
			if (db_pkg_writer_source_file(ctx->w, it->id,
			    it->files[i].file_id, err) == -1)
				goto out;
	rv = 0;
out:
	if (rv == -1)
		dp_error_prefix(err, "%s", it->input);
	free(directory);
	return rv;
}

int
pool_add(struct db *db, const struct config *cfg, char *const paths[],
    const struct pool_add_opts *opts, struct pool_added **added,
    size_t *nadded, struct dp_error *err)
{
	struct pool_ctx		 ctx;
	struct pool_prefetch		 pre;
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
	if ((ctx.w = db_pkg_writer_new(db, err)) == NULL)
		goto out;
	pool_prefetch_start(&pre, paths, n, ctx.dist, ctx.dist->contents ?
	    DEBFILE_CONTENTS : 0);
	for (i = 0; i < n; i++) {
		it = &ctx.items[ctx.nitems++];
		it->input = paths[i];
		if (pool_has_suffix(paths[i], ".dsc")) {
			(void)pool_prefetch_get(&pre, i);
			pool_prefetch_release(&pre, i);
			if (pool_stage_dsc(&ctx, it, paths[i], err) == -1)
				goto out;
		} else {
			rc = pool_stage_deb(&ctx, it, paths[i],
			    pool_prefetch_get(&pre, i), err);
			pool_prefetch_release(&pre, i);
			if (rc == -1)
				goto out;
		}
		if (pool_item_record(&ctx, it, err) == -1 ||
		    pool_link_early(&ctx, it, err) == -1)
			goto out;
		if (opts->progress_cb != NULL)
			opts->progress_cb(i + 1, n, opts->progress_arg);
	}
	pool_prefetch_stop(&pre);
	db_pkg_writer_free(ctx.w);
	ctx.w = NULL;
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
	pool_prefetch_stop(&pre);
	db_pkg_writer_free(ctx.w);
	ctx.w = NULL;
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