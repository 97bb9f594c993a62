/*
 * pool-int.h - what the parts of the pool share (pool.h is the interface):
 * pool.c runs an add and records rows, pool-control.c turns control files
 * into stored paragraphs, pool-read.c reads .deb (ahead, in a thread) and
 * .dsc inputs, pool-file.c stages files and gives them their pool names.
 */
#ifndef DEBPIPE_POOL_INT_H
#define DEBPIPE_POOL_INT_H

#include <sys/stat.h>

#include <pthread.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "db-packages.h"
#include "debfile.h"
#include "deb822.h"
#include "dsc.h"
#include "error.h"
#include "hash.h"
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

	struct db_pkg_writer	*w;		/* during the transaction */
};

/*
 * A .deb read, hashed and its control parsed and validated: the part of
 * an add that touches nothing but the input, so that a reader thread can
 * do it for the next files while the main thread stages this one.
 */
struct pool_deb_pre {
	int			 rv;
	int			 fd;
	struct stat		 st;
	struct hash_sums	 sums;
	struct debfile		 deb;
	struct pool_item	 item;	/* the validated control fields */
	struct dp_error		 err;
};

/* The reader thread: deb_pre_read of every .deb in order, a window of
 * files ahead of the main thread (pool-read.c). */
struct pool_prefetch {
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	char *const		*paths;
	size_t			 n;
	const struct conf_dist	*dist;
	int			 flags;
	struct pool_deb_pre	*v;
	size_t			 produced;	/* v[0..produced) are ready */
	size_t			 consumed;	/* main is past these */
	int			 stop;
	int			 running;
	int			 worker_waiting;
	size_t			 main_waits_for;	/* 0: main runs */
};

/* pool-control.c */
int	 pool_deb_control(const struct conf_dist *dist, struct pool_item *it,
	    const char *fname, const struct deb822_para *para,
	    struct dp_error *err);
void	 pool_src_control(struct buf *b, const struct pool_item *it,
	    const struct dsc *dsc);

/* pool-read.c */
int	 pool_has_suffix(const char *s, const char *suffix);
void	 pool_prefetch_start(struct pool_prefetch *pf, char *const paths[],
	    size_t n, const struct conf_dist *dist, int flags);
struct pool_deb_pre	*pool_prefetch_get(struct pool_prefetch *pf, size_t i);
void	 pool_prefetch_release(struct pool_prefetch *pf, size_t i);
void	 pool_prefetch_stop(struct pool_prefetch *pf);
int	 pool_stage_deb(struct pool_ctx *ctx, struct pool_item *it,
	    const char *path, struct pool_deb_pre *pre, struct dp_error *err);
int	 pool_stage_dsc(struct pool_ctx *ctx, struct pool_item *it,
	    const char *path, struct dp_error *err);

/* pool-file.c */
int	 pool_file_init(struct pool_file *pf, const char *src, const char *dir,
	    const char *name, struct dp_error *err);
int	 pool_file_stage(struct pool_ctx *ctx, struct pool_file *pf, int fd,
	    const struct hash_sums *pre, const struct stat *prest,
	    struct dp_error *err);
void	 pool_item_done(struct pool_item *it);
void	 pool_file_unstage(struct pool_file *pf);
int	 pool_link_early(struct pool_ctx *ctx, struct pool_item *it,
	    struct dp_error *err);
int	 pool_link_all(struct pool_ctx *ctx, struct dp_error *err);
void	 pool_seal(struct pool_ctx *ctx);
void	 pool_cleanup(struct pool_ctx *ctx, int failed);
void	 pool_staging_clean(struct pool_ctx *ctx);
int	 pool_input_open(const char *path, struct dp_error *err);

#endif
