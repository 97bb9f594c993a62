/*
 * config.c - debpipe.conf and the NAME.watch files of watch.d, see
 * debpipe.conf(5) and debpipe-watch(5).
 *
 * Table driven: every stanza kind has a table of the fields it knows, with
 * the kind of value and where it goes in the struct.  Everything is checked
 * while loading; config_load() hands out a config only when all of it is
 * valid, and frees whatever it built otherwise.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "config-int.h"
#include "deb822.h"
#include "xmalloc.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

#define DEFAULT_CONFIG		SYSCONFDIR "/debpipe/debpipe.conf"
#define DEFAULT_LISTEN		"127.0.0.1:8742"
#define DEFAULT_BUILDER		"sbuild"
#define DEFAULT_MAINTAINER	"debpipe <debpipe@localhost>"
#define DEFAULT_SUFFIX		"debpipe"
#define DEFAULT_ORIGIN		"debpipe"
#define DEFAULT_FETCH_TIMEOUT	300
#define DEFAULT_BUILD_KEYRING	"/usr/share/keyrings/debian-archive-keyring.gpg"
/* What nearly every build installs first (debhelper-compat), so that a
 * build does not download and unpack it again each time. */
#define DEFAULT_CHROOT_INCLUDE	"debhelper fakeroot"


/* Notify-Format: (issue 14, promoter/notify.c). */
static const char *
check_notify_format(const char *v)
{
	if (strcmp(v, "json") == 0 || strcmp(v, "slack") == 0)
		return NULL;
	return "expected json or slack";
}

#define G(f)	offsetof(struct config, f)
static const struct fspec global_fields[] = {
	{ "State-Dir",		K_PATH,	G(state_dir),	0, 0, NULL },
	{ "Public-Dir",		K_PATH,	G(public_dir),	0, 0, NULL },
	{ "Public-URL",		K_URL,	G(public_url),	0, 0, NULL },
	{ "Origin",		K_STR,	G(origin),	0, 0, NULL },
	{ "Label",		K_STR,	G(label),	0, 0, NULL },
	{ "Sign-With",		K_STR,	G(sign_with),	0, 0, config_check_word },
	{ "Snapshot-Interval",	K_DUR,	G(snapshot_interval), 1, 0, NULL },
	{ "Keep-Snapshots",	K_INT,	G(keep_snapshots), 1, 0, NULL },
	{ "Listen",		K_STR,	G(listen),	0, 0, config_check_listen },
	{ "Serve-Public",	K_BOOL,	G(serve_public), 0, 0, NULL },
	{ "Tokens-File",	K_PATH,	G(tokens_file),	0, 0, NULL },
	{ "Hooks-File",		K_PATH,	G(hooks_file),	0, 0, NULL },
	{ "User",		K_STR,	G(user),	0, 0, config_check_user },
	{ "Watch-Dir",		K_PATH,	G(watch_dir),	0, 0, NULL },
	{ "Max-Builds",		K_INT,	G(max_builds),	1, 0, NULL },
	{ "Builder",		K_STR,	G(builder),	0, 0, config_check_builder },
	{ "Build-Timeout",	K_DUR,	G(build_timeout), 1, 0, NULL },
	{ "Maintainer",		K_STR,	G(maintainer),	0, 0, config_check_maintainer },
	{ "Version-Suffix",	K_STR,	G(version_suffix), 0, 0, config_check_suffix },
	/* Reliability (issue 16). */
	{ "Fetch-Timeout",	K_DUR,	G(fetch_timeout), 1, 0, NULL },
	/* built-in checks (lib/check.c) */
	{ "Check-Jobs",		K_INT,	G(check_jobs),	1, 0, NULL },
	{ "Check-Timeout",	K_DUR,	G(check_timeout), 1, 0, NULL },
	{ "Check-Retry",	K_DUR,	G(check_retry),	1, 0, NULL },
	{ "Autopkgtest-Max-Reverse", K_INT, G(autopkgtest_max_reverse), 0, 0,
	    NULL },
	/* Clean-room builds (lib/chroot.c). */
	{ "Chroot-Max-Age",	K_DUR,	G(chroot_max_age), 1, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};
#undef G

#define D(f)	offsetof(struct conf_dist, f)
static const struct fspec dist_fields[] = {
	{ "Distribution",	K_NAME,	D(name),	0, 0, NULL },
	{ "Components",		K_NAMES, D(components), 0, 0, NULL },
	{ "Architectures",	K_NAMES, D(archs),	0, 0, NULL },
	{ "Contents",		K_BOOL,	D(contents),	0, 0, NULL },
	{ "Keep-Versions",	K_INT,	D(keep_versions), 0, 0, NULL },
	{ "Suite",		K_NAME,	D(suite),	0, 0, NULL },
	{ "Description",	K_STR,	D(description),	0, 0, NULL },
	{ "Build-Mirror",	K_URL,	D(build_mirror), 0, 0, NULL },
	{ "Build-Suite",	K_NAME,	D(build_suite),	0, 0, NULL },
	{ "Build-Keyring",	K_PATH,	D(build_keyring), 0, 0, NULL },
	{ "Chroot-Include",	K_NAMES, D(chroot_include), 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};
#undef D

#define E(f)	offsetof(struct conf_env, f)
static const struct fspec env_fields[] = {
	{ "Environment",	K_NAME,	E(name),	0, 0, NULL },
	{ "Auto-Promote",	K_BOOL,	E(auto_promote), 0, 0, NULL },
	{ "Promote-From",	K_NAME,	E(promote_from), 0, 0, NULL },
	{ "Requires",		K_LIST,	E(requires),	0, 0, NULL },
	{ "Notify",		K_URLS,	E(notify),	0, 0, NULL },
	{ "Notify-Format",	K_STR,	E(notify_format), 0, 0,
	    check_notify_format },
	{ "Min-Soak",		K_DUR,	E(min_soak),	0, 0, NULL },
	{ "Upgrade-From",	K_NAME,	E(upgrade_from), 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};
#undef E

/* Environment names that would collide with the public tree or the API. */
static const char *reserved_envs[] = {
	"latest", "snapshots", "pool", "dists", "api", "metrics", "by-hash",
	"ui",
	"debpipe-archive-keyring.gpg", "checks", NULL
};

/* Is name the key of another stanza kind (a missing blank line)? */
int
config_stanza_key(const char *name)
{
	return strcasecmp(name, "Distribution") == 0 ||
	    strcasecmp(name, "Environment") == 0 ||
	    strcasecmp(name, "Publish-To") == 0 ||
	    strcasecmp(name, "Watch") == 0;
}

/* Room for element n of array v (*cap elements of size, growing from
 * first), zeroed.  Returns the array, which may have moved. */
void *
config_array_grow(void *v, size_t n, size_t *cap, size_t size, size_t first)
{
	if (n == *cap) {
		*cap = *cap ? *cap * 2 : first;
		v = xreallocarray(v, *cap, size);
	}
	memset((char *)v + n * size, 0, size);
	return v;
}

/* Set every field of para other than the first (the stanza key, unless
 * skip_first is 0) from tab. */
static int
fields_load(struct load *ld, const struct deb822_para *para,
    const struct fspec *tab, int skip_first, const char *what, void *base,
    struct dp_error *err)
{
	const struct deb822_field	*f;
	const struct fspec		*s;
	size_t				 i;

	for (i = skip_first ? 1 : 0; i < para->nfields; i++) {
		f = &para->fields[i];
		if ((s = config_spec_find(tab, f->name)) == NULL) {
			if (strcasecmp(f->name, "Watch") == 0) {
				dp_error_set(err, DP_ERR_INVALID, "%s:%d: "
				    "'Watch:' stanzas belong in "
				    "watch.d/*.watch files, not here",
				    ld->file, f->line);
				return -1;
			}
			return config_field_unknown(ld, tab, f, what, NULL,
			    err);
		}
		if (config_field_set(ld, s, f, base, err) != 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Stanzas of debpipe.conf. */

static int
load_global(struct load *ld, const struct deb822_para *para,
    struct dp_error *err)
{
	const struct deb822_field *f;

	if (fields_load(ld, para, global_fields, 0, "the global section",
	    ld->cfg, err) != 0)
		return -1;
	if ((f = deb822_find(para, "Watch-Dir")) != NULL)
		ld->watch_dir_line = f->line;
	ld->global_line = para->line;
	return 0;
}

/* The stanza's name from its first field, checked. */
char *
config_key_name(struct load *ld, const struct deb822_field *f, const char *what,
    int allow_underscore, struct dp_error *err)
{
	char	*v, *line;
	int	 n;

	v = config_value_clean(f->value);
	n = config_single_line(v, &line);
	free(v);
	if (n != 1 || !config_name_ok(line, allow_underscore)) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: bad %s name '%s' "
		    "(use lowercase letters, digits, '.', '-', '+'%s, "
		    "starting with a letter or digit)", ld->file, f->line,
		    what, line, allow_underscore ? ", '_'" : "");
		free(line);
		return NULL;
	}
	return line;
}

static int
load_dist(struct load *ld, const struct deb822_para *para,
    struct dp_error *err)
{
	struct config	*cfg = ld->cfg;
	struct conf_dist *d;
	const struct conf_dist *old;
	char		*name, *what;
	int		 rv;

	if ((name = config_key_name(ld, &para->fields[0], "distribution", 1,
	    err)) == NULL)
		return -1;
	if ((old = config_dist_find(cfg, name)) != NULL) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: duplicate "
		    "distribution '%s' (first defined at %s:%d)", ld->file,
		    para->line, name, old->file, old->line);
		free(name);
		return -1;
	}
	cfg->dists = config_array_grow(cfg->dists, cfg->ndists, &ld->distcap,
	    sizeof(*cfg->dists), 4);
	d = &cfg->dists[cfg->ndists++];
	d->name = name;
	d->file = xstrdup(ld->file);
	d->line = para->line;

	what = xasprintf("distribution '%s'", name);
	rv = fields_load(ld, para, dist_fields, 1, what, d, err);
	free(what);
	if (rv != 0)
		return -1;
	if (d->components == NULL)
		d->components = config_split_words("main");
	if (d->archs == NULL)
		d->archs = config_split_words("amd64 all");
	if (d->suite == NULL)
		d->suite = xstrdup(d->name);
	if (d->build_suite == NULL)
		d->build_suite = xstrdup(d->name);
	if (d->build_keyring == NULL)
		d->build_keyring = xstrdup(DEFAULT_BUILD_KEYRING);
	if (d->chroot_include == NULL)
		d->chroot_include = config_split_words(DEFAULT_CHROOT_INCLUDE);
	else if (strv_len(d->chroot_include) > 0) {
		const struct deb822_field *cf = deb822_find(para,
		    "Chroot-Include");
		size_t n = strv_len(d->chroot_include), k;

		for (k = 0; k < n; k++)
			if (strcmp(d->chroot_include[k], "none") == 0)
				break;
		if (k < n && n > 1) {
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: "
			    "Chroot-Include: 'none' goes alone (a plain "
			    "buildd chroot), not with package names",
			    d->file, cf != NULL ? cf->line : d->line);
			return -1;
		}
		if (k < n) {
			free(d->chroot_include[0]);
			d->chroot_include[0] = NULL;
		}
	}
	return 0;
}

static int
load_env(struct load *ld, const struct deb822_para *para,
    struct dp_error *err)
{
	struct config	*cfg = ld->cfg;
	struct conf_env	*e;
	const struct conf_env *old;
	const struct deb822_field *f;
	char		*name, *what;
	size_t		 i;
	int		 rv;

	if ((name = config_key_name(ld, &para->fields[0], "environment", 1,
	    err)) == NULL)
		return -1;
	for (i = 0; reserved_envs[i] != NULL; i++) {
		if (strcmp(name, reserved_envs[i]) == 0) {
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: environment "
			    "name '%s' is reserved (it is used in the public "
			    "tree or the API); choose another", ld->file,
			    para->line, name);
			free(name);
			return -1;
		}
	}
	if ((old = config_env_find(cfg, name)) != NULL) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: duplicate "
		    "environment '%s' (first defined at %s:%d)", ld->file,
		    para->line, name, old->file, old->line);
		free(name);
		return -1;
	}
	cfg->envs = config_array_grow(cfg->envs, cfg->nenvs, &ld->envcap,
	    sizeof(*cfg->envs), 4);
	e = &cfg->envs[cfg->nenvs++];
	e->name = name;
	e->file = xstrdup(ld->file);
	e->line = para->line;

	what = xasprintf("environment '%s'", name);
	rv = fields_load(ld, para, env_fields, 1, what, e, err);
	free(what);
	if (rv != 0)
		return -1;
	if ((f = deb822_find(para, "Promote-From")) != NULL)
		e->promote_from_line = f->line;
	if (e->requires == NULL)
		e->requires = xcalloc(1, sizeof(char *));
	if (e->notify == NULL)
		e->notify = xcalloc(1, sizeof(char *));
	return 0;
}

static int
conf_para_cb(const struct deb822_para *para, void *arg, struct dp_error *err)
{
	struct load	*ld = arg;
	const char	*key = para->fields[0].name;

	ld->npara++;
	if (ld->npara == 1) {
		if (strcasecmp(key, "Distribution") == 0 ||
		    strcasecmp(key, "Publish-To") == 0 ||
		    strcasecmp(key, "Environment") == 0) {
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: the first "
			    "stanza must be the global section (State-Dir:, "
			    "Public-Dir:, ...); put '%s:' stanzas after it",
			    ld->file, para->line, key);
			return -1;
		}
		return load_global(ld, para, err);
	}
	if (strcasecmp(key, "Distribution") == 0)
		return load_dist(ld, para, err);
	if (strcasecmp(key, "Environment") == 0)
		return load_env(ld, para, err);
	if (strcasecmp(key, "Publish-To") == 0)
		return config_target_load(ld, para, err);
	dp_error_set(err, DP_ERR_INVALID, "%s:%d: a stanza after the global "
	    "one must start with 'Distribution:' or 'Environment:' (found "
	    "'%s:'; 'Publish-To:' starts an object-storage target; global "
	    "settings belong in the first stanza, watches in "
	    "watch.d/*.watch)", ld->file, para->line, key);
	return -1;
}

/* Promote-From names a defined environment; no cycles. */
static int
envs_check(struct load *ld, struct dp_error *err)
{
	struct config		*cfg = ld->cfg;
	const struct conf_env	*e, *cur;
	struct buf		 chain;
	size_t			 i, steps;

	for (i = 0; i < cfg->nenvs; i++) {
		e = &cfg->envs[i];
		if (e->promote_from == NULL)
			continue;
		if (strcmp(e->promote_from, e->name) == 0) {
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: environment "
			    "'%s' cannot promote from itself", e->file,
			    e->promote_from_line, e->name);
			return -1;
		}
		if (config_env_find(cfg, e->promote_from) == NULL) {
			buf_init(&chain);
			for (steps = 0; steps < cfg->nenvs; steps++) {
				if (chain.len != 0)
					buf_adds(&chain, ", ");
				buf_adds(&chain, cfg->envs[steps].name);
			}
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: "
			    "Promote-From: '%s' is not a configured "
			    "environment (defined: %s)", e->file,
			    e->promote_from_line, e->promote_from,
			    chain.data);
			buf_done(&chain);
			return -1;
		}
	}
	for (i = 0; i < cfg->nenvs; i++) {
		e = &cfg->envs[i];
		if (e->upgrade_from != NULL &&
		    config_env_find(cfg, e->upgrade_from) == NULL) {
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: "
			    "environment '%s': Upgrade-From: '%s' is not a "
			    "configured environment", e->file, e->line,
			    e->name, e->upgrade_from);
			return -1;
		}
	}
	for (i = 0; i < cfg->nenvs; i++) {
		e = &cfg->envs[i];
		cur = e;
		for (steps = 0; steps < cfg->nenvs && cur->promote_from != NULL;
		    steps++) {
			cur = config_env_find(cfg, cur->promote_from);
			if (cur == e) {
				buf_init(&chain);
				buf_adds(&chain, e->name);
				cur = e;
				do {
					cur = config_env_find(cfg,
					    cur->promote_from);
					buf_printf(&chain, " <- %s", cur->name);
				} while (cur != e);
				dp_error_set(err, DP_ERR_INVALID, "%s:%d: "
				    "Promote-From cycle: %s", e->file,
				    e->promote_from_line, chain.data);
				buf_done(&chain);
				return -1;
			}
		}
	}
	return 0;
}

static int
global_check(struct load *ld, int line, struct dp_error *err)
{
	struct config *cfg = ld->cfg;

	if (cfg->state_dir == NULL) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: State-Dir: is "
		    "required in the global section (add e.g. 'State-Dir: "
		    "/var/lib/debpipe')", ld->file, line);
		return -1;
	}
	if (cfg->public_dir == NULL) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: Public-Dir: is "
		    "required in the global section (add e.g. 'Public-Dir: "
		    "/srv/debpipe')", ld->file, line);
		return -1;
	}
	if (cfg->snapshot_interval == 0)
		cfg->snapshot_interval = 900;
	if (cfg->keep_snapshots == 0)
		cfg->keep_snapshots = 96;
	if (cfg->listen == NULL)
		cfg->listen = xstrdup(DEFAULT_LISTEN);
	if (cfg->public_url == NULL)
		cfg->public_url = xasprintf("http://%s", cfg->listen);
	else {
		size_t len = strlen(cfg->public_url);

		while (len > 0 && cfg->public_url[len - 1] == '/')
			cfg->public_url[--len] = '\0';
	}
	if (cfg->origin == NULL)
		cfg->origin = xstrdup(DEFAULT_ORIGIN);
	if (cfg->label == NULL)
		cfg->label = xstrdup(cfg->origin);
	if (cfg->watch_dir == NULL)
		cfg->watch_dir = config_path_resolve(ld->dir, "watch.d");
	if (cfg->max_builds == 0)
		cfg->max_builds = 1;
	if (cfg->builder == NULL)
		cfg->builder = xstrdup(DEFAULT_BUILDER);
	if (cfg->build_timeout == 0)
		cfg->build_timeout = 3600;
	if (cfg->chroot_max_age == 0)
		cfg->chroot_max_age = 7 * 86400;
	if (cfg->maintainer == NULL)
		cfg->maintainer = xstrdup(DEFAULT_MAINTAINER);
	if (cfg->version_suffix == NULL)
		cfg->version_suffix = xstrdup(DEFAULT_SUFFIX);
	if (cfg->fetch_timeout == 0)
		cfg->fetch_timeout = DEFAULT_FETCH_TIMEOUT;
	if (cfg->check_jobs == 0)
		cfg->check_jobs = 1;
	if (cfg->check_timeout == 0)
		cfg->check_timeout = 3600;
	if (cfg->check_retry == 0)
		cfg->check_retry = 300;
	if (cfg->autopkgtest_max_reverse < 0)
		cfg->autopkgtest_max_reverse = 20;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Public interface. */

const char *
config_path(const char *explicit_path)
{
	const char *env;

	if (explicit_path != NULL && *explicit_path != '\0')
		return explicit_path;
	if ((env = getenv("DEBPIPE_CONFIG")) != NULL && *env != '\0')
		return env;
	return DEFAULT_CONFIG;
}

/* Absolute directory of path. */
static char *
dir_of(const char *path)
{
	const char	*slash = strrchr(path, '/');
	char		*dir, *cwd, *abs;

	if (slash == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	if (dir[0] == '/')
		return dir;
	if ((cwd = getcwd(NULL, 0)) == NULL)
		return dir;	/* keep it relative */
	abs = config_path_resolve(cwd, dir);
	free(cwd);
	free(dir);
	return abs;
}

int
config_load(const char *path, struct config **out, struct dp_error *err)
{
	struct load	 ld;
	struct config	*cfg;
	const char	*base;
	int		 rv = -1;

	memset(&ld, 0, sizeof(ld));
	cfg = xcalloc(1, sizeof(*cfg));
	cfg->autopkgtest_max_reverse = -1;	/* unset; 0 is a value */
	ld.cfg = cfg;
	ld.file = path;
	ld.dir = dir_of(path);
	base = strrchr(path, '/');
	cfg->path = xasprintf("%s/%s", strcmp(ld.dir, "/") == 0 ? "" :
	    ld.dir, base != NULL ? base + 1 : path);

	if (deb822_parse_file(path, DEB822_COMMENTS, conf_para_cb, &ld,
	    err) != 0)
		goto out;
	if (ld.npara == 0) {
		dp_error_set(err, DP_ERR_INVALID, "%s:1: no global section: "
		    "State-Dir: and Public-Dir: are required", path);
		goto out;
	}
	if (global_check(&ld, ld.global_line, err) != 0)
		goto out;
	if (envs_check(&ld, err) != 0)
		goto out;
	if (config_watches_load(&ld, err) != 0)
		goto out;
	*out = cfg;
	cfg = NULL;
	rv = 0;
out:
	if (rv != 0 && err != NULL)
		str_printable(err->msg);	/* values are echoed */
	free(ld.dir);
	config_free(cfg);
	return rv;
}

void
config_free(struct config *cfg)
{
	size_t i, j;

	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->state_dir);
	free(cfg->public_dir);
	free(cfg->public_url);
	free(cfg->origin);
	free(cfg->label);
	free(cfg->sign_with);
	free(cfg->listen);
	free(cfg->tokens_file);
	free(cfg->hooks_file);
	free(cfg->user);
	free(cfg->watch_dir);
	free(cfg->builder);
	free(cfg->maintainer);
	free(cfg->version_suffix);
	for (i = 0; i < cfg->ndists; i++) {
		struct conf_dist *d = &cfg->dists[i];

		free(d->name);
		strv_free(d->components);
		strv_free(d->archs);
		strv_free(d->chroot_include);
		free(d->suite);
		free(d->description);
		free(d->build_mirror);
		free(d->build_suite);
		free(d->build_keyring);
		free(d->file);
	}
	free(cfg->dists);
	config_targets_free(cfg);
	for (i = 0; i < cfg->nenvs; i++) {
		struct conf_env *e = &cfg->envs[i];

		free(e->name);
		free(e->promote_from);
		free(e->upgrade_from);
		strv_free(e->requires);
		strv_free(e->notify);
		free(e->notify_format);
		free(e->file);
	}
	free(cfg->envs);
	for (i = 0; i < cfg->nwatches; i++) {
		struct conf_watch *w = &cfg->watches[i];

		free(w->name);
		free(w->url);
		free(w->branch);
		for (j = 0; j < w->nmerges; j++) {
			free(w->merges[j].url);
			free(w->merges[j].branch);
		}
		free(w->merges);
		free(w->dist);
		free(w->component);
		free(w->suite);
		strv_free(w->components);
		strv_free(w->archs);
		free(w->signed_by);
		strv_free(w->packages);
		free(w->source);
		free(w->patches);
		free(w->build_options);
		free(w->builder);
		free(w->credentials);
		free(w->file);
	}
	free(cfg->watches);
	free(cfg);
}

const struct conf_dist *
config_dist_find(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < cfg->ndists; i++)
		if (strcmp(cfg->dists[i].name, name) == 0)
			return &cfg->dists[i];
	return NULL;
}

const struct conf_env *
config_env_find(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < cfg->nenvs; i++)
		if (strcmp(cfg->envs[i].name, name) == 0)
			return &cfg->envs[i];
	return NULL;
}

char *
config_db_path(const struct config *cfg)
{
	return xasprintf("%s/state.db", cfg->state_dir);
}

char *
config_gnupg_dir(const struct config *cfg)
{
	return xasprintf("%s/gnupg", cfg->state_dir);
}

char *
config_log_dir(const struct config *cfg)
{
	return xasprintf("%s/logs", cfg->state_dir);
}

char *
config_pool_dir(const struct config *cfg)
{
	return xasprintf("%s/pool", cfg->public_dir);
}
