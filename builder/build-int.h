/*
 * build-int.h - the parts of one build (build.c) shared by its files:
 *
 *	build.c		the build child's entry point; git, apt-source and
 *			apt builds; choosing the backend
 *	build-tool.c	running the build tools, reading the build log
 *	build-result.c	checking and adding what the build produced
 *	backend-host.c	Builder: host (dpkg-buildpackage under bubblewrap)
 *	backend-sbuild.c Builder: sbuild (an unshare chroot)
 *
 * Not for use outside those files.
 */
#ifndef DEBPIPE_BUILD_INT_H
#define DEBPIPE_BUILD_INT_H

#include "builder.h"

struct build {
	struct db		*db;
	const struct config	*cfg;
	const struct conf_watch	*w;
	struct db_build	 row;
	char			*dir;	/* State-Dir/build/<id> */
	char			*log;	/* logs/build-<id>.log */
	char			*version;	/* what we build */
	char			*source;	/* source package name */
	char			*message;	/* on success */
	int			 dropped; /* nothing to do; row gone */
	struct cleanroom	 cr;	/* build user, work directory */
	int			 status; /* wait status of the last tool */
	int			 waiting; /* build-deps not satisfiable yet */
	char			*wait_key; /* queue_dep_key() before sbuild */
	char			*buildinfo; /* kept: logs/build-<id>.buildinfo */
	char			*sbuild_conf; /* SBUILD_CONFIG of its sbuild */
	char			*sbuild_tmp; /* where sbuild unpacks its chroot */
};

/*
 * A build backend: how the source tree src (below b->dir) becomes .deb
 * files (and, with Build-Source: yes, the .dsc) in b->dir.  build checks
 * the tools it needs (cleanroom_check_tools), sets up b->cr, runs the
 * tools into the build log; 0, or -1 with err (b->waiting set when the
 * build dependencies cannot be satisfied yet).  Adding the results to
 * the pool is the caller's.
 */
struct build_backend {
	const char	*name;		/* Builder: value */
	int		(*build)(struct build *b, const char *src,
			    struct dp_error *err);
};

extern const struct build_backend build_backend_host;	/* backend-host.c */
extern const struct build_backend build_backend_sbuild;	/* backend-sbuild.c */

/* The backend of a Builder: value (aliases too), or NULL. */
const struct build_backend *build_backend_find(const char *name);

/* ---- build-tool.c ---------------------------------------------------- */

/* Append a "debpipe: ..." line to the build log. */
void	 build_logf(struct build *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* The size of the log now (where a tool's output will start). */
long	 build_log_size(const char *log);
/* The last line of the log containing needle (after offset), short and
 * printable, or NULL.  Caller frees. */
char	*build_log_find(const char *log, long offset, const char *needle);
/* The values after needle on every line of the log (after offset) that
 * has it, unique, joined by ", "; or NULL.  Caller frees. */
char	*build_log_collect(const char *log, long offset, const char *needle);

/* The Build-Timeout of the build, seconds. */
long	 build_tool_timeout(const struct build *b);
/* Run argv in cwd with the timeout, into the log, in a clean environment
 * (b->status gets the wait status); as_user: as the build user. */
int	 build_tool_run_as(struct build *b, char *const argv[],
	    const char *cwd, long timeout, int as_user, struct dp_error *err);
int	 build_tool_run(struct build *b, char *const argv[], const char *cwd,
	    long timeout, struct dp_error *err);
/* Add the last "error:" line of the log (after off) to err. */
void	 build_tool_explain(struct build *b, long off, struct dp_error *err);

/* ---- build-result.c -------------------------------------------------- */

/* Check what the build produced in b->dir, add it to the pool (origin
 * "build:<watch>"), keep the .buildinfo; b->message says what was
 * built. */
int	 build_ingest(struct build *b, struct dp_error *err);

#endif
