/*
 * compress.h - gzip (zlib) and xz (liblzma) for index files, in memory or
 * file to file, and a small pthread runner that compresses many files at
 * once on all cores.
 *
 * Levels are chosen for apt indexes: gzip 6 and xz preset 1 compress a
 * Packages file within a few percent of gzip -9 / xz -6 at a fraction of
 * the time (xz -6 is ~6x slower than -1 for ~15% smaller files).  Large
 * xz inputs use liblzma's multi-threaded encoder (independent blocks,
 * still one standard .xz stream).
 */
#ifndef DEBPIPE_COMPRESS_H
#define DEBPIPE_COMPRESS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "hash.h"
#include "xmalloc.h"

enum compress_kind {
	COMPRESS_NONE = 0,
	COMPRESS_GZIP,
	COMPRESS_XZ,
};

#define COMPRESS_GZIP_LEVEL	6
#define COMPRESS_XZ_PRESET	1

/* ".gz", ".xz" or "". */
const char	*compress_suffix(enum compress_kind kind);

/* Compress len bytes of in, appending to out. */
int	 compress_buf(enum compress_kind kind, const void *in, size_t len,
	    struct buf *out, struct dp_error *err);

/* Decompress (a gzip file may hold several members), appending to out;
 * DP_ERR_INVALID if the result would exceed max bytes or the data is
 * corrupt. */
int	 decompress_buf(enum compress_kind kind, const void *in, size_t len,
	    size_t max, struct buf *out, struct dp_error *err);

/*
 * Compress the file src into dst (created with mode 0644, truncated if it
 * exists, fsynced, not renamed), hashing the output into *sums.
 * threads > 1 lets xz use that many threads.
 */
int	 compress_file(enum compress_kind kind, const char *src,
	    const char *dst, int threads, struct hash_sums *sums,
	    struct dp_error *err);

/*
 * A source file that is still being written: a job with a feed compresses
 * it while it grows (the writer reports progress), so generating an index
 * and compressing it overlap.
 */
struct compress_feed {
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cond;
	uint64_t	 written;	/* bytes of src that may be read */
	int		 state;		/* 0 writing, 1 complete, -1 abandoned */
};

void	 compress_feed_init(struct compress_feed *);
/* More bytes are in the file (state 0), all of it (1), or the writer gave
 * up (-1: the jobs reading it fail). */
void	 compress_feed_update(struct compress_feed *, uint64_t written,
	    int state);
void	 compress_feed_done(struct compress_feed *);

/*
 * Parallel file compression.  Jobs are added while the runner works on
 * the earlier ones; compress_runner_wait() returns when all are done.
 * Each job's result is in job->rv / job->err / job->sums.  The caller
 * owns the jobs and their strings and keeps them alive until the wait.
 */
struct compress_job {
	enum compress_kind	 kind;
	const char		*src;
	const char		*dst;
	size_t			 size_hint;	/* expected bytes of src */
	struct compress_feed	*feed;		/* NULL: src is complete */
	int			 no_fsync;	/* the caller syncs (syncfs) */
	/* results */
	int			 rv;
	struct dp_error		 err;
	struct hash_sums	 sums;
	/* private */
	struct compress_job	*next;
};

struct compress_runner;

/* nthreads 0 = number of online CPUs. */
struct compress_runner	*compress_runner_new(int nthreads);
void	 compress_runner_add(struct compress_runner *, struct compress_job *);
/* Wait for every job added so far; 0 if all succeeded, else -1 with err
 * the first failure's. */
int	 compress_runner_wait(struct compress_runner *, struct dp_error *err);
void	 compress_runner_free(struct compress_runner *);	/* waits first */
int	 compress_ncpus(void);

#endif
