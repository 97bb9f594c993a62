/*
 * upstream.h - upstream apt repositories (Type: apt and Type: apt-source
 * watches): fetch with libcurl, verify with sign_verify, select, download,
 * verify checksums.  The builder calls these from its poll/build cycle.
 */
#ifndef DEBPIPE_UPSTREAM_H
#define DEBPIPE_UPSTREAM_H

#include "config.h"
#include "db.h"
#include "error.h"

/* One line of what changed upstream. */
struct upstream_change {
	char	*name;
	char	*arch;
	char	*old_version;	/* NULL = new package */
	char	*new_version;	/* NULL = removed upstream */
};

struct upstream_report {
	struct upstream_change	*changes;
	size_t			 nchanges;
	int			 unchanged;	/* conditional request: 304 */
	size_t			 imported;	/* packages ingested */
	size_t			 requests;	/* HTTP requests made */
};
void	 upstream_report_done(struct upstream_report *rep);

/*
 * Type: apt.  Poll the watch's upstream, and unless dry_run download and
 * ingest (pool_add, origin "apt:<watch>") every selected package whose
 * version is newer than what the pool has.  State for conditional requests
 * (ETag, Last-Modified, Release digest) is kept in watches.state.
 */
int	 upstream_apt_sync(struct db *db, const struct config *cfg,
	    const struct conf_watch *w, int dry_run,
	    struct upstream_report *rep, struct dp_error *err);

/*
 * Type: apt-source.  Find the newest version of w->source upstream; if it
 * differs from *last_version (may be NULL) fetch the .dsc and its files
 * into workdir (verified), unpack with dpkg-source -x into
 * workdir/<source>-<upstream version>/, apply w->patches (quilt series) as
 * new debian/patches, and set *srcdir (caller frees) and *upstream_version.
 * Returns 1 (not 0) when nothing changed upstream.
 */
int	 upstream_source_prepare(struct db *db, const struct config *cfg,
	    const struct conf_watch *w, const char *last_version,
	    const char *workdir, char **srcdir, char **upstream_version,
	    struct dp_error *err);

/*
 * The Build-Mirror suite of Distribution d as background for the checks:
 * its Release verified against Build-Keyring with the same code as a
 * Type: apt watch, and the binary-<arch> Packages of every component of d
 * it lists ("main" when it lists none of them) cached in
 * State-Dir/checks/background/<dist>/ and fetched again only when the
 * signed Release changed (conditional GET).  *paths gets the cached
 * plain Packages files (NULL-terminated; caller strv_free()s), *digest
 * the SHA-256 of the signed Release text (caller frees).  A Distribution
 * without Build-Mirror gets an empty list and digest "none".
 */
int	 upstream_background(struct db *db, const struct config *cfg,
	    const struct conf_dist *d, const char *arch, char ***paths,
	    char **digest, struct dp_error *err);

#endif
