/*
 * publish-int.h - what publish.c and publish-gc.c share: the current
 * package set, paths of the public tree, the publish lock.
 */
#ifndef DEBPIPE_PUBLISH_INT_H
#define DEBPIPE_PUBLISH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "error.h"

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
/* Decode a snapshots.packages/sources BLOB (little-endian int64s). */
int64_t	*ids_decode(const void *blob, size_t len, size_t *n);
/* ... and encode one (caller frees; n * 8 bytes). */
void	*ids_encode(const int64_t *ids, size_t n);

/* Take State-Dir/publish.lock (waiting); the fd to close, or -1. */
int	 publish_lock(const struct config *cfg, struct dp_error *err);

/* Snapshot IDs look like 20261122T013000Z. 1 if s is one, else 0. */
int	 publish_id_valid(const char *s);

#endif
