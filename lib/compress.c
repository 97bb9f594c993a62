/* compress.c - gzip and xz through zlib and liblzma; parallel runner. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "compress.h"

#define CHUNK		(1024 * 1024)
#define XZ_MT_MIN	(4 * 1024 * 1024)	/* smaller inputs: one thread */
#define XZ_MT_MAX	4			/* bounds encoder memory */
#define XZ_MT_BLOCK	(1024 * 1024)	/* small blocks: start early */

const char *
compress_suffix(enum compress_kind kind)
{
	switch (kind) {
	case COMPRESS_GZIP:
		return ".gz";
	case COMPRESS_XZ:
		return ".xz";
	default:
		return "";
	}
}

int
compress_ncpus(void)
{
	long	n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	if (n > 64)
		return 64;
	return (int)n;
}

/*
 * One streaming encoder: feed input, get output through a callback.
 */
struct cstream {
	enum compress_kind	 kind;
	z_stream		 z;
	lzma_stream		 lz;
	int			 inited;
	unsigned char		*obuf;
	size_t			 osize;
	int			(*out_cb)(void *, const void *, size_t,
				    struct dp_error *);
	void			*out_arg;
};

static const char *
lzma_strerror(lzma_ret r)
{
	switch (r) {
	case LZMA_MEM_ERROR:
		return "out of memory";
	case LZMA_MEMLIMIT_ERROR:
		return "memory limit reached";
	case LZMA_FORMAT_ERROR:
		return "not in xz format";
	case LZMA_OPTIONS_ERROR:
		return "unsupported options";
	case LZMA_DATA_ERROR:
		return "corrupt data";
	case LZMA_BUF_ERROR:
		return "truncated data";
	default:
		return "liblzma error";
	}
}

static int
cstream_init(struct cstream *cs, enum compress_kind kind, int threads,
    int (*out_cb)(void *, const void *, size_t, struct dp_error *),
    void *out_arg, struct dp_error *err)
{
	lzma_ret	r;

	memset(cs, 0, sizeof(*cs));
	cs->kind = kind;
	cs->out_cb = out_cb;
	cs->out_arg = out_arg;
	cs->osize = CHUNK;
	cs->obuf = xmalloc(cs->osize);
	switch (kind) {
	case COMPRESS_GZIP:
		/* windowBits 15 + 16: gzip header, no name, mtime 0. */
		if (deflateInit2(&cs->z, COMPRESS_GZIP_LEVEL, Z_DEFLATED,
		    15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
			dp_error_set(err, DP_ERR_SYSTEM, "zlib: cannot "
			    "initialise deflate");
			goto fail;
		}
		break;
	case COMPRESS_XZ:
		cs->lz = (lzma_stream)LZMA_STREAM_INIT;
		if (threads > 1) {
			lzma_mt	mt;

			memset(&mt, 0, sizeof(mt));
			mt.threads = (uint32_t)(threads > XZ_MT_MAX ?
			    XZ_MT_MAX : threads);
			mt.preset = COMPRESS_XZ_PRESET;
			mt.block_size = XZ_MT_BLOCK;
			mt.check = LZMA_CHECK_CRC64;
			r = lzma_stream_encoder_mt(&cs->lz, &mt);
		} else
			r = lzma_easy_encoder(&cs->lz, COMPRESS_XZ_PRESET,
			    LZMA_CHECK_CRC64);
		if (r != LZMA_OK) {
			dp_error_set(err, DP_ERR_SYSTEM, "liblzma: %s",
			    lzma_strerror(r));
			goto fail;
		}
		break;
	default:
		dp_error_set(err, DP_ERR_INVALID, "unknown compression");
		goto fail;
	}
	cs->inited = 1;
	return 0;
fail:
	free(cs->obuf);
	cs->obuf = NULL;
	return -1;
}

static void
cstream_done(struct cstream *cs)
{
	if (cs->inited) {
		if (cs->kind == COMPRESS_GZIP)
			deflateEnd(&cs->z);
		else
			lzma_end(&cs->lz);
	}
	cs->inited = 0;
	free(cs->obuf);
	cs->obuf = NULL;
}

/* Feed len bytes (finish: flush the end of the stream). */
static int
cstream_feed(struct cstream *cs, const void *in, size_t len, int finish,
    struct dp_error *err)
{
	size_t	have;
	int	zr;
	lzma_ret r;

	if (cs->kind == COMPRESS_GZIP) {
		cs->z.next_in = (Bytef *)(uintptr_t)in;
		cs->z.avail_in = (uInt)len;
		do {
			cs->z.next_out = cs->obuf;
			cs->z.avail_out = (uInt)cs->osize;
			zr = deflate(&cs->z, finish ? Z_FINISH : Z_NO_FLUSH);
			if (zr == Z_STREAM_ERROR) {
				dp_error_set(err, DP_ERR_SYSTEM,
				    "zlib: deflate failed");
				return -1;
			}
			have = cs->osize - cs->z.avail_out;
			if (have > 0 && cs->out_cb(cs->out_arg, cs->obuf,
			    have, err) == -1)
				return -1;
		} while (cs->z.avail_out == 0 ||
		    (finish && zr != Z_STREAM_END));
		return 0;
	}
	cs->lz.next_in = in;
	cs->lz.avail_in = len;
	for (;;) {
		cs->lz.next_out = cs->obuf;
		cs->lz.avail_out = cs->osize;
		r = lzma_code(&cs->lz, finish ? LZMA_FINISH : LZMA_RUN);
		if (r != LZMA_OK && r != LZMA_STREAM_END) {
			dp_error_set(err, DP_ERR_SYSTEM, "liblzma: %s",
			    lzma_strerror(r));
			return -1;
		}
		have = cs->osize - cs->lz.avail_out;
		if (have > 0 && cs->out_cb(cs->out_arg, cs->obuf, have,
		    err) == -1)
			return -1;
		if (finish) {
			if (r == LZMA_STREAM_END)
				break;
		} else if (cs->lz.avail_in == 0 && cs->lz.avail_out != 0)
			break;
	}
	return 0;
}

static int
buf_out_cb(void *arg, const void *p, size_t n, struct dp_error *err)
{
	buf_add(arg, p, n);
	return 0;
}

int
compress_buf(enum compress_kind kind, const void *in, size_t len,
    struct buf *out, struct dp_error *err)
{
	struct cstream	cs;
	int		rv;

	if (kind == COMPRESS_NONE) {
		buf_add(out, in, len);
		return 0;
	}
	if (cstream_init(&cs, kind, 1, buf_out_cb, out, err) == -1)
		return -1;
	rv = cstream_feed(&cs, in, len, 1, err);
	cstream_done(&cs);
	return rv;
}

static int
gunzip_buf(const void *in, size_t len, size_t max, struct buf *out,
    struct dp_error *err)
{
	z_stream	z;
	unsigned char	tmp[65536];
	size_t		have, start = out->len;
	int		zr, rv = -1;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 32) != Z_OK) {
		dp_error_set(err, DP_ERR_SYSTEM, "zlib: cannot initialise");
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	for (;;) {
		z.next_out = tmp;
		z.avail_out = sizeof(tmp);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END) {
			dp_error_set(err, DP_ERR_INVALID, "gzip: %s",
			    z.msg != NULL ? z.msg : "corrupt or truncated data");
			goto out;
		}
		have = sizeof(tmp) - z.avail_out;
		if (out->len - start + have > max) {
			dp_error_set(err, DP_ERR_INVALID, "gzip: data larger "
			    "than %zu bytes", max);
			goto out;
		}
		buf_add(out, tmp, have);
		if (zr == Z_STREAM_END) {
			if (z.avail_in == 0)
				break;
			/* Another member follows. */
			if (inflateReset(&z) != Z_OK) {
				dp_error_set(err, DP_ERR_INVALID, "gzip: reset");
				goto out;
			}
		} else if (z.avail_in == 0 && have == 0) {
			dp_error_set(err, DP_ERR_INVALID, "gzip: truncated "
			    "data");
			goto out;
		}
	}
	rv = 0;
out:
	inflateEnd(&z);
	return rv;
}

static int
unxz_buf(const void *in, size_t len, size_t max, struct buf *out,
    struct dp_error *err)
{
	lzma_stream	lz = LZMA_STREAM_INIT;
	unsigned char	tmp[65536];
	size_t		have, start = out->len;
	lzma_ret	r;
	int		rv = -1;

	r = lzma_stream_decoder(&lz, 256u << 20, LZMA_CONCATENATED);
	if (r != LZMA_OK) {
		dp_error_set(err, DP_ERR_SYSTEM, "liblzma: %s",
		    lzma_strerror(r));
		return -1;
	}
	lz.next_in = in;
	lz.avail_in = len;
	for (;;) {
		lz.next_out = tmp;
		lz.avail_out = sizeof(tmp);
		r = lzma_code(&lz, lz.avail_in == 0 ? LZMA_FINISH : LZMA_RUN);
		if (r != LZMA_OK && r != LZMA_STREAM_END) {
			dp_error_set(err, DP_ERR_INVALID, "xz: %s",
			    lzma_strerror(r));
			goto out;
		}
		have = sizeof(tmp) - lz.avail_out;
		if (out->len - start + have > max) {
			dp_error_set(err, DP_ERR_INVALID, "xz: data larger "
			    "than %zu bytes", max);
			goto out;
		}
		buf_add(out, tmp, have);
		if (r == LZMA_STREAM_END)
			break;
	}
	rv = 0;
out:
	lzma_end(&lz);
	return rv;
}

int
decompress_buf(enum compress_kind kind, const void *in, size_t len,
    size_t max, struct buf *out, struct dp_error *err)
{
	switch (kind) {
	case COMPRESS_NONE:
		if (len > max) {
			dp_error_set(err, DP_ERR_INVALID, "data larger than "
			    "%zu bytes", max);
			return -1;
		}
		buf_add(out, in, len);
		return 0;
	case COMPRESS_GZIP:
		return gunzip_buf(in, len, max, out, err);
	case COMPRESS_XZ:
		return unxz_buf(in, len, max, out, err);
	}
	dp_error_set(err, DP_ERR_INVALID, "unknown compression");
	return -1;
}

struct fd_out {
	int		 fd;
	const char	*name;
	struct hash_ctx	*hash;
};

static int
fd_out_cb(void *arg, const void *p, size_t n, struct dp_error *err)
{
	struct fd_out	*fo = arg;

	hash_update(fo->hash, p, n);
	return hash_write_all(fo->fd, fo->name, p, n, err);
}

void
compress_feed_init(struct compress_feed *f)
{
	pthread_mutex_init(&f->mtx, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->written = 0;
	f->state = 0;
}

void
compress_feed_update(struct compress_feed *f, uint64_t written, int state)
{
	pthread_mutex_lock(&f->mtx);
	f->written = written;
	f->state = state;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->mtx);
}

void
compress_feed_done(struct compress_feed *f)
{
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->mtx);
}

/* How much may be read at offset off: 0 at the end, -1 if abandoned. */
static int64_t
feed_wait(struct compress_feed *f, uint64_t off)
{
	int64_t	avail;

	pthread_mutex_lock(&f->mtx);
	while (f->state == 0 && f->written <= off)
		pthread_cond_wait(&f->cond, &f->mtx);
	if (f->state == -1)
		avail = -1;
	else
		avail = f->written > off ? (int64_t)(f->written - off) : 0;
	pthread_mutex_unlock(&f->mtx);
	return avail;
}

static int
compress_file_feed(enum compress_kind kind, const char *src, const char *dst,
    int threads, struct compress_feed *feed, size_t size_hint, int dosync,
    struct hash_sums *sums, struct dp_error *err);

int
compress_file(enum compress_kind kind, const char *src, const char *dst,
    int threads, struct hash_sums *sums, struct dp_error *err)
{
	return compress_file_feed(kind, src, dst, threads, NULL, 0, 1, sums,
	    err);
}

static int
compress_file_feed(enum compress_kind kind, const char *src, const char *dst,
    int threads, struct compress_feed *feed, size_t size_hint, int dosync,
    struct hash_sums *sums, struct dp_error *err)
{
	struct cstream	 cs;
	struct fd_out	 fo;
	unsigned char	*ibuf = NULL;
	ssize_t		 n;
	off_t		 insize;
	uint64_t	 off = 0;
	int64_t		 avail;
	size_t		 want;
	int		 infd = -1, inited = 0, rv = -1;

	fo.fd = -1;
	fo.name = dst;
	fo.hash = hash_new();
	if ((infd = open(src, O_RDONLY | O_CLOEXEC)) == -1) {
		dp_error_errno(err, "%s", src);
		goto out;
	}
	if (feed != NULL)
		insize = (off_t)size_hint;
	else if ((insize = lseek(infd, 0, SEEK_END)) == -1 ||
	    lseek(infd, 0, SEEK_SET) == -1) {
		dp_error_errno(err, "%s", src);
		goto out;
	}
	if (insize < XZ_MT_MIN)
		threads = 1;
	if ((fo.fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		dp_error_errno(err, "%s", dst);
		goto out;
	}
	if (kind != COMPRESS_NONE) {
		if (cstream_init(&cs, kind, threads, fd_out_cb, &fo,
		    err) == -1)
			goto out;
		inited = 1;
	}
	ibuf = xmalloc(CHUNK);
	for (;;) {
		want = CHUNK;
		if (feed != NULL) {
			if ((avail = feed_wait(feed, off)) == -1) {
				dp_error_set(err, DP_ERR_INVALID, "%s: not "
				    "completed", src);
				goto out;
			}
			if (avail == 0)
				break;
			if ((uint64_t)avail < want)
				want = (size_t)avail;
		}
		n = read(infd, ibuf, want);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			dp_error_errno(err, "%s", src);
			goto out;
		}
		if (n == 0) {
			if (feed != NULL) {
				dp_error_set(err, DP_ERR_INVALID, "%s: "
				    "shorter than written", src);
				goto out;
			}
			break;
		}
		off += (uint64_t)n;
		if (inited) {
			if (cstream_feed(&cs, ibuf, (size_t)n, 0, err) == -1)
				goto out;
		} else if (fd_out_cb(&fo, ibuf, (size_t)n, err) == -1)
			goto out;
	}
	if (inited && cstream_feed(&cs, NULL, 0, 1, err) == -1)
		goto out;
	if (dosync && fsync(fo.fd) == -1) {
		dp_error_errno(err, "fsync %s", dst);
		goto out;
	}
	if (close(fo.fd) == -1) {
		fo.fd = -1;
		dp_error_errno(err, "close %s", dst);
		goto out;
	}
	fo.fd = -1;
	hash_final(fo.hash, sums);
	rv = 0;
out:
	if (inited)
		cstream_done(&cs);
	free(ibuf);
	if (infd != -1)
		close(infd);
	if (fo.fd != -1)
		close(fo.fd);
	hash_free(fo.hash);
	return rv;
}

/*
 * The runner: nthreads workers take jobs from one FIFO.
 */
struct compress_runner {
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;		/* work or stop */
	pthread_cond_t		 idle;		/* pending reached 0 */
	struct compress_job	*head, *tail;
	size_t			 pending;	/* queued + running */
	int			 stop;
	int			 nthreads;
	pthread_t		*threads;
	struct compress_job	*failed;
};

static void *
runner_main(void *arg)
{
	struct compress_runner	*r = arg;
	struct compress_job	*job;
	int			 xzthreads;

	pthread_mutex_lock(&r->mtx);
	for (;;) {
		while (r->head == NULL && !r->stop)
			pthread_cond_wait(&r->cond, &r->mtx);
		if (r->head == NULL)
			break;
		job = r->head;
		r->head = job->next;
		if (r->head == NULL)
			r->tail = NULL;
		/* Other jobs waiting: one thread each; alone: use them all. */
		xzthreads = r->head == NULL ? r->nthreads : 1;
		pthread_mutex_unlock(&r->mtx);

		dp_error_clear(&job->err);
		job->rv = compress_file_feed(job->kind, job->src, job->dst,
		    xzthreads, job->feed, job->size_hint, !job->no_fsync,
		    &job->sums, &job->err);

		pthread_mutex_lock(&r->mtx);
		if (job->rv == -1 && r->failed == NULL)
			r->failed = job;
		if (--r->pending == 0)
			pthread_cond_broadcast(&r->idle);
	}
	pthread_mutex_unlock(&r->mtx);
	return NULL;
}

struct compress_runner *
compress_runner_new(int nthreads)
{
	struct compress_runner	*r;
	int			 i;

	if (nthreads <= 0)
		nthreads = compress_ncpus();
	r = xcalloc(1, sizeof(*r));
	pthread_mutex_init(&r->mtx, NULL);
	pthread_cond_init(&r->cond, NULL);
	pthread_cond_init(&r->idle, NULL);
	r->threads = xcalloc((size_t)nthreads, sizeof(*r->threads));
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&r->threads[i], NULL, runner_main, r) != 0)
			break;
	}
	r->nthreads = i;
	return r;
}

void
compress_runner_add(struct compress_runner *r, struct compress_job *job)
{
	job->next = NULL;
	job->rv = -1;
	if (r->nthreads == 0) {
		/* No threads could be started: do it here. */
		if (job->feed != NULL) {
			dp_error_set(&job->err, DP_ERR_SYSTEM, "no threads "
			    "to compress %s", job->src);
			job->rv = -1;
		} else {
			dp_error_clear(&job->err);
			job->rv = compress_file(job->kind, job->src, job->dst,
			    1, &job->sums, &job->err);
		}
		if (job->rv == -1 && r->failed == NULL)
			r->failed = job;
		return;
	}
	pthread_mutex_lock(&r->mtx);
	if (r->tail != NULL)
		r->tail->next = job;
	else
		r->head = job;
	r->tail = job;
	r->pending++;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->mtx);
}

int
compress_runner_wait(struct compress_runner *r, struct dp_error *err)
{
	int	rv = 0;

	pthread_mutex_lock(&r->mtx);
	while (r->pending > 0)
		pthread_cond_wait(&r->idle, &r->mtx);
	if (r->failed != NULL) {
		if (err != NULL)
			*err = r->failed->err;
		r->failed = NULL;
		rv = -1;
	}
	pthread_mutex_unlock(&r->mtx);
	return rv;
}

void
compress_runner_free(struct compress_runner *r)
{
	int	i;

	if (r == NULL)
		return;
	compress_runner_wait(r, NULL);
	pthread_mutex_lock(&r->mtx);
	r->stop = 1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mtx);
	for (i = 0; i < r->nthreads; i++)
		pthread_join(r->threads[i], NULL);
	free(r->threads);
	pthread_cond_destroy(&r->cond);
	pthread_cond_destroy(&r->idle);
	pthread_mutex_destroy(&r->mtx);
	free(r);
}
