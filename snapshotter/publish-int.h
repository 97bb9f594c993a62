/*
 * publish-int.h - the snapshot publisher's parts (snapshotter/libsnapshot.a):
 * the current package set and its digest (set.c), the staged tree of index
 * files (tree.c), Release and signing (release.c), the publish lock; what
 * publish.c, recover.c and gc.c share.
 */
#ifndef DEBPIPE_PUBLISH_INT_H
#define DEBPIPE_PUBLISH_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "compress.h"
#include "config.h"
#include "db.h"
#include "db-packages.h"
#include "error.h"
#include "hash.h"
#include "strlist.h"

/* Goes into every digest: bump when the text of index files changes, so
 * that cached indexes are not reused and the next snapshot differs. */
#define INDEX_FORMAT	"debpipe-index-1"

/* One package (or source) of the current set. */
struct pmember {
	int64_t	 id;
	char	*name;
	char	*version;
	char	*arch;		/* points into the owning pindex (or NULL) */
};

/* The members of one (dist, component, arch) -- arch NULL for sources --
 * sorted by name, then version (oldest first), then id. */
struct pindex {
	size_t		 dist;		/* index into cfg->dists */
	size_t		 comp;		/* index into the dist's components */
	char		*arch;
	struct pmember	*m;
	size_t		 n;
	size_t		 cap;
};

struct pset {
	struct pindex	*bin;		/* every dist x comp x (archs + all) */
	size_t		 nbin;
	struct pindex	*src;		/* every dist x comp */
	size_t		 nsrc;
	int64_t		*pkgs;		/* all member ids, sorted */
	size_t		 npkgs;
	int64_t		*srcs;
	size_t		 nsrcs;
	char		 digest[65];	/* sha256 hex of the set + settings */
};

/*
 * Read the current set: per (dist, component, arch, name) the
 * Keep-Versions newest versions (version_compare), for configured
 * distributions, components and architectures ("all" always); the same
 * per (dist, component, name) for sources.  extra (may be NULL) goes into
 * the digest too (the signing key's fingerprint).
 */
int	 pset_compute(struct db *db, const struct config *cfg,
	    const char *extra, struct pset *set, struct dp_error *err);
void	 pset_done(struct pset *set);
/* Order of members in an index: name, version (version_compare), id. */
int	 pmember_cmp(const void *, const void *);
struct pindex *pset_find(struct pset *set, size_t dist, size_t comp,
	    const char *arch);

/* SHA256 over a sequence of strings and ids, as lowercase hex. */
struct pdigest {
	void	*ctx;		/* EVP_MD_CTX */
};
void	 pdigest_init(struct pdigest *);
void	 pdigest_add(struct pdigest *, const void *, size_t);
/* A string with its NUL (so "ab","c" differs from "a","bc"); NULL = "". */
void	 pdigest_adds(struct pdigest *, const char *);
/* ids as little-endian int64s. */
void	 pdigest_ids(struct pdigest *, const int64_t *, size_t);
/* Finish into out (65 bytes); the context is freed. */
void	 pdigest_hex(struct pdigest *, char out[65]);

/* Is id in the sorted array? */
int	 ids_contains(const int64_t *ids, size_t n, int64_t id);

/* Take State-Dir/publish.lock (waiting); the fd to close, or -1. */
int	 publish_lock(const struct config *cfg, struct dp_error *err);

/*
 * The tree of one snapshot being staged (tree.c).
 */

/* One published index file (Packages.xz ...). */
struct pfile {
	char			*relpath;	/* relative to dists/<dist>/ */
	size_t			 dist;
	char			*snap_path;	/* name in the snapshot tree */
	char			*store;		/* the store directory */
	char			*tmp;		/* being written in the store, or
						   NULL when taken from it */
	int			 remove_tmp;	/* not published (Contents) */
	struct compress_job	*job;		/* compressing into tmp */
	struct hash_sums	 sums;
	size_t			 group;		/* cache entry it belongs to */
};

/* The files of one index (Packages + .gz + .xz) and its cache key. */
struct pgroup {
	char	*key;
	int	 from_cache;
};

/* One snapshot being staged: its ID, snapshots/.tmp-<ID>, the index files
 * written or taken from the cache. */
struct tree {
	const struct config	*cfg;
	struct db		*db;
	struct pset		*set;
	char			*id;
	char			*tmpdir;	/* snapshots/.tmp-<ID> */
	char			*cachedir;	/* State-Dir/index-cache */
	char			*storeroot;	/* Public-Dir/by-hash */
	struct compress_runner	*runner;
	struct pfile		*files;
	size_t			 nfiles;
	size_t			 capfiles;
	struct pgroup		*groups;
	size_t			 ngroups;
	unsigned int		 seq;
	struct compress_feed	**feeds;	/* freed after the runner */
	size_t			 nfeeds;
	struct db_pkg_reader	*rd;		/* during tree_write */
	int			 reused;	/* indexes taken from the cache */
	int			 generated;
};

/* Write every index file of the set into the store (compressing in the
 * background: wait for t->runner) and link them into t->tmpdir; needs
 * cfg, db, set, tmpdir, cachedir and storeroot set.  Inside the caller's
 * read transaction. */
int	 tree_write(struct tree *t, struct dp_error *err);
/* Compression done: move the new files to their store names, link them
 * into the snapshot, write the cache entries. */
int	 tree_finish_files(struct tree *t, struct dp_error *err);
/* Free everything, removing temporary files (not t->id). */
void	 tree_done(struct tree *t);
/* syncfs(2) of the file system holding path. */
int	 tree_syncfs(const char *path, struct dp_error *err);

/* release.c: the Release text of distribution di (dated now) listing
 * the tree's files with their sizes and sums, appended to text. */
void	 release_text(const struct tree *t, size_t di, time_t now,
	    struct buf *text);
/* dists/<dist>/Release, InRelease and Release.gpg of
 * distribution di in t->tmpdir, dated now, signed with fpr. */
int	 release_write(struct tree *t, size_t di, const char *gnupg,
	    const char *fpr, time_t now, struct dp_error *err);
/* Public-Dir/debpipe-archive-keyring.gpg: the binary public key, written
 * when missing or different. */
int	 release_keyring_write(const struct config *cfg, const char *gnupg,
	    const char *fpr, struct dp_error *err);


#endif
