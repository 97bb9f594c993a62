/*
 * upstream.h - the client of upstream apt repositories (upstream.c):
 * fetch with libcurl, verify the Release with sign_verify, fetch its
 * indexes and files checked against their sums, keep the per-watch state
 * for conditional requests.  Its users: the builder's Type: apt and
 * Type: apt-source watches (builder/watch-apt*.c) and the checks'
 * Build-Mirror background (upstream-bg.c, upstream_background below).
 */
#ifndef DEBPIPE_UPSTREAM_H
#define DEBPIPE_UPSTREAM_H

#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "db.h"
#include "error.h"
#include "fetch.h"
#include "xmalloc.h"

#define RELEASE_MAX		(16ULL << 20)	/* InRelease, Release */
#define SIG_MAX			(1ULL << 20)	/* Release.gpg */
#define INDEX_MAX		(256ULL << 20)	/* compressed index */
#define INDEX_PLAIN_MAX		(512ULL << 20)	/* decompressed */
#define FILE_MAX		(2ULL << 30)	/* one .deb / source file */
#define DSC_MAX			(1ULL << 20)

/* One "sha256 size name" line of a Release or Sources file. */
struct sumfile {
	char		*name;
	uint64_t	 size;
	char		 sha256[65];
};

struct release {
	char		*suite;
	char		*codename;
	char		**components;
	char		**archs;
	struct sumfile	*files;
	size_t		 nfiles;
	time_t		 valid_until;	/* 0 = none */
	char		*valid_until_str;
	time_t		 date;		/* Date:, 0 = none or unparsable */
	char		*date_str;
	int		 seen;
};

/* One poll's context. */
struct up {
	struct db			*db;
	const struct config		*cfg;
	const struct conf_watch		*w;
	struct fetch			*fetch;
	char				*base;	/* URL without '/' */
	json_t				*state;	/* watches.state */
	char				*cfgdigest;
	/* what the Release fetch returned */
	int				 unchanged;
	char				*etag;
	char				*last_modified;
	char				 digest[65]; /* signed text */
	struct release			 rel;
};

/* One file to download (a .deb, or a file of a source package). */
struct dl {
	const char	*relurl;	/* below the repository URL */
	const char	*name;		/* file name in the directory */
	uint64_t	 size;
	const char	*sha256;
	const char	*label;		/* "foo 1.0", for messages */
	char		*path;		/* result: final path
					   (caller frees) */
};

/* Split on white space; caller strv_free()s. */
char	**upstream_words(const char *s);
/* A decimal size (digits only, no sign, fits 64 bits). 0 or -1. */
int	 upstream_parse_u64(const char *s, uint64_t *out);

/* Parse the lines of a checksum field ("sha256 size name"). */
int	 upstream_sums_parse(const char *value, const char *what,
	    struct sumfile **out, size_t *nout, struct dp_error *err);
void	 upstream_sums_free(struct sumfile *f, size_t n);
const struct sumfile *upstream_sums_find(const struct sumfile *v, size_t n,
	    const char *name);

/* The first paragraph of a verified Release into *r (free with
 * upstream_release_done): also for tests and fuzzing.  0 or -1 with err,
 * as when polling. */
int	 upstream_release_parse(const char *buf, size_t len,
	    const char *what, struct release *r, struct dp_error *err);
void	 upstream_release_done(struct release *r);

/* Set up / tear down one poll of watch w (loads watches.state). */
int	 upstream_ctx_init(struct up *u, struct db *db,
	    const struct config *cfg, const struct conf_watch *w,
	    struct dp_error *err);
void	 upstream_ctx_done(struct up *u);

/* watches.state, a JSON object of strings. */
const char *upstream_state_get(struct up *u, const char *key);
void	 upstream_state_set(struct up *u, const char *key,
	    const char *value);
/* Remember the validators and digest of the Release just verified. */
void	 upstream_state_set_release(struct up *u);
int	 upstream_state_save(struct up *u, struct dp_error *err);

/* Fetch and verify dists/<Suite>/InRelease (or Release + Release.gpg)
 * into u->rel; with conditional, a 304 sets u->unchanged instead. */
int	 upstream_release_fetch(struct up *u, int conditional,
	    struct dp_error *err);

/* Fetch "<comp>/.../Packages" or ".../Sources" in the best compression
 * the Release lists, verified and decompressed into out. */
int	 upstream_index_fetch(struct up *u, const char *path,
	    struct buf *out, struct dp_error *err);

/* Download files into dir in parallel, bounded and verified. */
int	 upstream_files_download(struct up *u, const char *dir, struct dl *v,
	    size_t n, struct dp_error *err);

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
