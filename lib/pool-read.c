/*
 * pool-read.c - reading the inputs of an add: each .deb read, hashed and
 * validated once (by a reader thread ahead of the main one when there are
 * many), each .dsc checked against the files it lists; both staged for
 * the pool (pool-file.c).
 */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "pool.h"
#include "pool-int.h"
#include "version.h"
#include "xmalloc.h"

/* Does s end in suffix? */
int
pool_has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static int
hash_tee_cb(const void *buf, size_t len, void *arg, struct dp_error *err)
{
	hash_update(arg, buf, len);
	return 0;
}

static void
deb_pre_done(struct pool_deb_pre *p)
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
deb_pre_read(struct pool_deb_pre *p, const char *path,
    const struct conf_dist *dist, int flags, struct hash_ctx *h)
{
	struct dp_error		*err = &p->err;
	struct deb822_para	*para = NULL;
	int			 rv;

	memset(p, 0, sizeof(*p));
	p->rv = -1;
	if ((p->fd = pool_input_open(path, err)) == -1)
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
	rv = pool_deb_control(dist, &p->item, path, para, err);
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
	struct pool_deb_pre	 pre;
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

static void *
pool_prefetch_main(void *arg)
{
	struct pool_prefetch	*pf = arg;
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
		if (pool_has_suffix(pf->paths[i], ".dsc")) {
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
void
pool_prefetch_start(struct pool_prefetch *pf, char *const paths[], size_t n,
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
	if (pthread_create(&pf->thread, NULL, pool_prefetch_main, pf) != 0) {
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
struct pool_deb_pre *
pool_prefetch_get(struct pool_prefetch *pf, size_t i)
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
void
pool_prefetch_release(struct pool_prefetch *pf, size_t i)
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

void
pool_prefetch_stop(struct pool_prefetch *pf)
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
int
pool_stage_deb(struct pool_ctx *ctx, struct pool_item *it, const char *path,
    struct pool_deb_pre *pre, struct dp_error *err)
{
	struct pool_deb_pre	 local;
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

int
pool_stage_dsc(struct pool_ctx *ctx, struct pool_item *it, const char *path,
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
	pool_src_control(&b, it, &dsc);
	it->control = buf_steal(&b);
	rv = 0;
out:
	free(srcdir);
	dsc_done(&dsc);
	return rv;
}