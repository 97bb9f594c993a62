/*
 * config.h - debpipe.conf and the watch files (deb822), see debpipe.conf(5)
 * and debpipe-watch(5).
 *
 * config_load() reads the global configuration file and every NAME.watch
 * in watch.d beside it (or in Watch-Dir), validates everything and
 * returns one struct config that the caller frees with config_free().
 * Relative paths in the file are resolved against the directory of the
 * file that names them.  Every error message starts with "file:line: ".
 */
#ifndef DEBPIPE_CONFIG_H
#define DEBPIPE_CONFIG_H

#include "error.h"


struct conf_dist {
	char	*name;			/* Distribution: (also Suite and Codename) */
	char	**components;		/* NULL-terminated; default "main" */
	char	**archs;		/* NULL-terminated; default "amd64 all" */
	int	 contents;		/* Contents: yes */
	int	 keep_versions;		/* Keep-Versions: N (0 or 1 = latest only) */
	char	*suite;			/* Suite: (default = name) */
	char	*description;
	char	*build_mirror;		/* Build-Mirror: URL or NULL */
	char	*build_suite;		/* Build-Suite: default = name */
	char	*build_keyring;		/* Build-Keyring: default Debian's */
	char	**chroot_include;	/* Chroot-Include: packages added to
				   the buildd chroot, NULL-terminated
				   (default CHROOT_DEFAULT_INCLUDE;
				   "none": empty) */
	char	*file;
	int	 line;
};

struct conf_env {
	char	*name;			/* Environment: */
	int	 auto_promote;		/* Auto-Promote: yes */
	char	*promote_from;		/* Promote-From: env name or NULL */
	char	**requires;		/* Requires: job names, NULL-terminated
				   (never NULL; empty list if unset) */
	char	**notify;		/* Notify: URLs, NULL-terminated (never
				   NULL); "{snapshot}" left for the caller */
	long	 min_soak;		/* Min-Soak: seconds */
	char	*upgrade_from;		/* Upgrade-From: env, or NULL (then
				   the env promoting from this one, else
				   this one: the upgrade check) */
	char	*notify_format;		/* Notify-Format: json (NULL, the
				   default) | slack */
	char	*file;
	int	 line;
	int	 promote_from_line;	/* line of Promote-From:, 0 if none */
};

enum watch_type {
	WATCH_GIT,
	WATCH_APT,
	WATCH_APT_SOURCE,
};

struct conf_merge {
	char	*url;
	char	*branch;
};

struct conf_watch {
	char	*name;			/* Watch: [a-z0-9][a-z0-9.+-]* */
	enum watch_type type;		/* Type: git | apt | apt-source */
	char	*url;			/* URL: */
	char	*branch;		/* Branch: (git; default "main"; NULL for
				   the other types) */
	struct conf_merge *merges;	/* Merge: url branch, one per line */
	size_t	 nmerges;
	char	*dist;			/* Distribution: must name a conf_dist */
	char	*component;		/* Component: default first of the dist */
	long	 interval;		/* Interval: seconds, default 300 */
	char	*suite;			/* Suite: (apt, apt-source) */
	char	**components;		/* Components: (apt; default "main";
				   NULL for the other types) */
	char	**archs;		/* Architectures: (apt; default: the
				   dist's archs; NULL for the others) */
	char	*signed_by;		/* Signed-By: keyring path (apt, apt-source) */
	char	**packages;		/* Packages: glob patterns (apt), NULL = all */
	char	*source;		/* Source: (apt-source) */
	char	*patches;		/* Patches: directory with a quilt series */
	char	*build_options;		/* Build-Options: DEB_BUILD_OPTIONS */
	int	 build_source;		/* Build-Source: yes -> -S -b */
	char	*builder;		/* Builder: sbuild | host (alias
				   dpkg-buildpackage) (git, apt-source;
				   default: global) */
	int	 build_network;		/* Build-Network: yes */
	long	 build_timeout;		/* Build-Timeout: seconds (default:
				   global; 0 for apt) */
	char	*credentials;		/* Credentials: file (git) */
	char	*file;
	int	 line;
};

enum target_proto {
	TARGET_S3,
	TARGET_SWIFT,
};

/* A Publish-To: stanza: one object-storage target (config-publish.c). */
struct conf_target {
	char	*name;			/* Publish-To: as written (the key in
				   state.db), "s3://B/P" or "swift://C/P" */
	enum target_proto proto;
	char	*bucket;		/* bucket or container */
	char	*prefix;		/* "" or "a/b" (no leading/trailing /) */
	char	*endpoint;		/* Publish-Endpoint: S3 URL or Swift
				   auth URL (.../auth/v1.0, .../v3) */
	char	*region;		/* Publish-Region: default us-east-1 */
	char	*credentials;		/* Publish-Credentials: file (read at
				   publish time: mode 0600, our owner) */
	int	 credentials_line;	/* its line in file */
	int	 jobs;			/* Publish-Jobs: default 8 */
	int	 virtual_host;		/* Publish-Addressing: virtual (S3) */
	int	 detached_release;	/* Publish-Detached-Release: also
				   Release and Release.gpg (default no:
				   InRelease only) */
	char	*public_url;		/* Publish-URL: what apt clients use
				   (CDN), or NULL: derived */
	char	*file;
	int	 line;
};

/*
 * Every path in these structs is absolute (relative ones in the files are
 * resolved against the directory of the file), every default is filled in
 * (see debpipe.conf(5) and debpipe-watch(5)), and every name is a safe
 * path component.
 */
struct config {
	char	*path;			/* the file that was loaded (absolute) */
	char	*state_dir;		/* State-Dir: */
	char	*public_dir;		/* Public-Dir: */
	char	*public_url;		/* Public-URL: no trailing "/"; default
				   "http://" Listen */
	char	*origin;		/* Origin: default "debpipe" */
	char	*label;			/* Label: default = Origin */
	char	*sign_with;		/* Sign-With: or NULL */
	long	 snapshot_interval;	/* Snapshot-Interval: seconds, default 900 */
	int	 keep_snapshots;	/* Keep-Snapshots: default 96 */
	char	*listen;		/* Listen: host:port, default 127.0.0.1:8742 */
	int	 serve_public;		/* Serve-Public: yes */
	char	*tokens_file;		/* Tokens-File: or NULL (no writes) */
	char	*hooks_file;		/* Hooks-File: forge secrets or NULL */
	char	*user;			/* User: or NULL */
	char	*watch_dir;		/* Watch-Dir: default <dir of path>/watch.d */
	int	 max_builds;		/* Max-Builds: default 1 */
	char	*builder;		/* Builder: default sbuild */
	long	 chroot_max_age;	/* Chroot-Max-Age: default 7d */
	long	 build_timeout;		/* Build-Timeout: default 3600 */
	char	*maintainer;		/* Maintainer: for changelog entries,
				   default "debpipe <debpipe@localhost>" */
	char	*version_suffix;	/* Version-Suffix: org suffix, default "debpipe" */
	long	 fetch_timeout;		/* Fetch-Timeout: the longest one upstream
				   download or git fetch may take, seconds,
				   default 300 */
	int	 check_jobs;		/* Check-Jobs: default 1 */
	long	 check_timeout;		/* Check-Timeout: default 1h */
	long	 check_retry;		/* Check-Retry: default 5m (after error) */
	int	 autopkgtest_max_reverse; /* Autopkgtest-Max-Reverse: default 20 */

	struct conf_dist  *dists;
	size_t		   ndists;
	struct conf_env   *envs;
	size_t		   nenvs;
	struct conf_watch *watches;
	size_t		   nwatches;
	struct conf_target *targets;	/* Publish-To: stanzas */
	size_t		   ntargets;
};

/* Path of the configuration: explicit, else $DEBPIPE_CONFIG, else
 * /etc/debpipe/debpipe.conf.  Returns a static or the given string. */
const char	*config_path(const char *explicit_path);

/* Load and validate; *out is set only on success.  Caller frees. */
int	 config_load(const char *path, struct config **out, struct dp_error *err);
void	 config_free(struct config *cfg);	/* NULL is a no-op */

const struct conf_dist	*config_dist_find(const struct config *, const char *);
const struct conf_env	*config_env_find(const struct config *, const char *);
const struct conf_watch	*config_watch_find(const struct config *, const char *);
/* By Publish-To: value, or by bucket/container name alone. */
const struct conf_target *config_target_find(const struct config *,
		    const char *);

/* "git", "apt" or "apt-source". */
const char	*config_watch_type_name(enum watch_type type);

/* "30s" "5m" "1h" "2d" (or combined: "1h30m") or a plain number of
 * seconds.  0 or -1 (negative, garbage, overflow). */
int	 config_parse_duration(const char *s, long *out);
/* "yes"/"no"/"true"/"false"/"1"/"0".  0 or -1. */
int	 config_parse_bool(const char *s, int *out);

/* Derived paths (caller frees). */
char	*config_db_path(const struct config *);		/* State-Dir/state.db */
char	*config_gnupg_dir(const struct config *);	/* State-Dir/gnupg */
char	*config_log_dir(const struct config *);		/* State-Dir/logs */
char	*config_pool_dir(const struct config *);	/* Public-Dir/pool */

#endif
