/*
 * config-watch.c - watch stanzas: the NAME.watch files of the watch
 * directory, see debpipe-watch(5).
 */
#include "autoconfig.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "config-int.h"
#include "deb822.h"
#include "xmalloc.h"

#define DEFAULT_BRANCH		"main"

static const char *check_suite(const char *);
static const char *check_source(const char *);

#define W(f)	offsetof(struct conf_watch, f)
#define T_BUILD	(T_GIT | T_SRC)
static const struct fspec watch_fields[] = {
	{ "Watch",		K_STR,	W(name),	0, T_ALL, NULL },
	{ "Type",		K_TYPE,	W(type),	0, T_ALL, NULL },
	{ "URL",		K_STR,	W(url),		0, T_ALL,	config_check_word },
	{ "Branch",		K_STR,	W(branch),	0, T_GIT,	config_check_word },
	{ "Merge",		K_MERGE, W(merges),	0, T_GIT, NULL },
	{ "Distribution",	K_NAME,	W(dist),	0, T_ALL, NULL },
	{ "Component",		K_NAME,	W(component),	0, T_ALL, NULL },
	{ "Interval",		K_DUR,	W(interval),	1, T_ALL, NULL },
	{ "Suite",		K_STR,	W(suite),	0, T_APT | T_SRC, check_suite },
	{ "Components",		K_LIST,	W(components),	0, T_APT, NULL },
	{ "Architectures",	K_NAMES, W(archs),	0, T_APT, NULL },
	{ "Signed-By",		K_PATH,	W(signed_by),	0, T_APT | T_SRC, NULL },
	{ "Packages",		K_LIST,	W(packages),	0, T_APT, NULL },
	{ "Source",		K_STR,	W(source),	0, T_SRC, check_source },
	{ "Patches",		K_PATH,	W(patches),	0, T_BUILD, NULL },
	{ "Build-Options",	K_STR,	W(build_options), 0, T_BUILD, NULL },
	{ "Build-Source",	K_BOOL,	W(build_source), 0, T_BUILD, NULL },
	{ "Builder",		K_STR,	W(builder),	0, T_BUILD, config_check_builder },
	{ "Build-Timeout",	K_DUR,	W(build_timeout), 1, T_BUILD, NULL },
	{ "Build-Network",	K_BOOL,	W(build_network), 0, T_BUILD, NULL },
	{ "Credentials",	K_PATH,	W(credentials),	0, T_GIT, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};
#undef W
#undef T_BUILD

static const char *type_names[] = { "git", "apt", "apt-source" };

/* A git URL that is a relative local path ("../repo.git", not "https://",
 * "file://" nor scp-like "host:path") is resolved against the watch
 * directory, as other paths are.  Caller frees. */
static char *
git_url(struct load *ld, const char *url)
{
	const char *colon = strchr(url, ':'), *slash = strchr(url, '/');

	if (url[0] == '/' || strstr(url, "://") != NULL ||
	    (colon != NULL && (slash == NULL || colon < slash)))
		return xstrdup(url);
	return config_path_resolve(ld->dir, url);
}

static const char *
check_suite(const char *v)
{
	const char *why;

	if ((why = config_check_word(v)) != NULL)
		return why;
	if (strstr(v, "..") != NULL || v[0] == '/')
		return "must be a relative path below dists/ without '..'";
	return NULL;
}

static const char *
check_source(const char *v)
{
	size_t i;

	if (strlen(v) < 2 || (!islower((unsigned char)v[0]) &&
	    !isdigit((unsigned char)v[0])))
		return "not a Debian source package name";
	for (i = 1; v[i] != '\0'; i++)
		if (!islower((unsigned char)v[i]) &&
		    !isdigit((unsigned char)v[i]) && v[i] != '.' &&
		    v[i] != '+' && v[i] != '-')
			return "not a Debian source package name";
	return NULL;
}

static void
types_list(unsigned types, struct buf *b)
{
	size_t i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
		if (!(types & (1u << i)))
			continue;
		if (b->len != 0)
			buf_adds(b, ", ");
		buf_adds(b, type_names[i]);
	}
}

int
config_merges_parse(struct load *ld, const struct deb822_field *f,
    const char *v, struct conf_watch *w, struct dp_error *err)
{
	const char	*p, *nl;
	char		*line = NULL, **words = NULL;
	int		 lineno = f->line, rv = -1;

	for (p = v;; p = nl + 1, lineno++) {
		nl = strchr(p, '\n');
		line = nl != NULL ? xstrndup(p, (size_t)(nl - p)) :
		    xstrdup(p);
		words = config_split_words(line);
		if (words[0] != NULL) {
			if (words[1] == NULL || words[2] != NULL) {
				dp_error_set(err, DP_ERR_INVALID, "%s:%d: "
				    "bad Merge: line '%s' (write one 'URL "
				    "BRANCH' per line)", ld->file, lineno,
				    line);
				goto out;
			}
			if (words[1][0] == '-') {
				dp_error_set(err, DP_ERR_INVALID, "%s:%d: "
				    "bad Merge: branch '%s'", ld->file,
				    lineno, words[1]);
				goto out;
			}
			w->merges = xreallocarray(w->merges, w->nmerges + 1,
			    sizeof(*w->merges));
			w->merges[w->nmerges].url = git_url(ld, words[0]);
			w->merges[w->nmerges].branch = xstrdup(words[1]);
			w->nmerges++;
		}
		strv_free(words);
		words = NULL;
		free(line);
		line = NULL;
		if (nl == NULL)
			break;
	}
	rv = 0;
out:
	strv_free(words);
	free(line);
	return rv;
}

static int
load_watch(struct load *ld, const struct deb822_para *para,
    struct dp_error *err)
{
	struct config		*cfg = ld->cfg;
	struct conf_watch	*w;
	const struct conf_watch	*old;
	const struct conf_dist	*d;
	const struct deb822_field *f, *tf;
	const struct fspec	*s;
	struct buf		 b;
	char			*name, *v = NULL, *t = NULL;
	unsigned		 tbit;
	size_t			 i;
	int			 rv = -1;

	if (strcasecmp(para->fields[0].name, "Watch") != 0) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: a watch stanza must "
		    "start with 'Watch: NAME' (found '%s:')", ld->file,
		    para->line, para->fields[0].name);
		return -1;
	}
	if ((name = config_key_name(ld, &para->fields[0], "watch", 0,
	    err)) == NULL)
		return -1;
	if ((old = config_watch_find(cfg, name)) != NULL) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: duplicate watch "
		    "'%s' (first defined at %s:%d)", ld->file, para->line,
		    name, old->file, old->line);
		free(name);
		return -1;
	}
	cfg->watches = config_array_grow(cfg->watches, cfg->nwatches, &ld->watchcap,
	    sizeof(*cfg->watches), 8);
	w = &cfg->watches[cfg->nwatches++];
	w->name = name;
	w->file = xstrdup(ld->file);
	w->line = para->line;

	/* Type first: it decides which fields belong. */
	if ((tf = deb822_find(para, "Type")) == NULL) {
		for (i = 1; i < para->nfields; i++) {
			f = &para->fields[i];
			if (config_spec_find(watch_fields, f->name) != NULL)
				continue;
			buf_init(&b);
			config_fields_known(watch_fields, 0, f->name, &b);
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: unknown "
			    "field '%s' in watch '%s' (%s)", ld->file,
			    f->line, f->name, name, b.data);
			buf_done(&b);
			goto out;
		}
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: watch '%s' has no "
		    "Type: (git, apt or apt-source)", ld->file, para->line,
		    name);
		goto out;
	}
	v = config_value_clean(tf->value);
	config_single_line(v, &t);
	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strcmp(t, type_names[i]) == 0)
			break;
	if (i == sizeof(type_names) / sizeof(type_names[0])) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: unknown watch Type: "
		    "'%s' (use git, apt or apt-source)", ld->file, tf->line,
		    t);
		goto out;
	}
	w->type = (enum watch_type)i;
	tbit = 1u << i;

	for (i = 1; i < para->nfields; i++) {
		f = &para->fields[i];
		if ((s = config_spec_find(watch_fields, f->name)) == NULL ||
		    strcasecmp(f->name, "Watch") == 0) {
			buf_init(&b);
			config_fields_known(watch_fields, tbit, f->name, &b);
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: unknown "
			    "field '%s' in watch '%s'%s (Type: %s; %s)",
			    ld->file, f->line, f->name, name,
			    config_stanza_key(f->name) ? " (a new stanza "
			    "needs a blank line before it)" : "",
			    type_names[w->type], b.data);
			buf_done(&b);
			goto out;
		}
		if (!(s->types & tbit)) {
			buf_init(&b);
			types_list(s->types, &b);
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: field '%s' "
			    "does not apply to watch '%s' of Type: %s (only to "
			    "Type: %s)", ld->file, f->line, s->name, name,
			    type_names[w->type], b.data);
			buf_done(&b);
			goto out;
		}
		if (config_field_set(ld, s, f, w, err) != 0)
			goto out;
	}

	/* Required fields. */
	if (w->url == NULL) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: watch '%s' "
		    "(Type: %s) needs URL:", ld->file, para->line, name,
		    type_names[w->type]);
		goto out;
	}
	if (w->type != WATCH_GIT && strncmp(w->url, "http://", 7) != 0 &&
	    strncmp(w->url, "https://", 8) != 0 &&
	    strncmp(w->url, "file://", 7) != 0) {
		f = deb822_find(para, "URL");
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: bad URL '%s' for "
		    "watch '%s' (Type: %s needs http://, https:// or "
		    "file://)", ld->file, f->line, w->url, name,
		    type_names[w->type]);
		goto out;
	}
	if (w->type != WATCH_GIT && w->suite == NULL) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: watch '%s' "
		    "(Type: %s) needs Suite: (the upstream suite, e.g. "
		    "bookworm)",
		    ld->file, para->line, name, type_names[w->type]);
		goto out;
	}
	if (w->type == WATCH_APT_SOURCE && w->source == NULL) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: watch '%s' (Type: "
		    "apt-source) needs Source: (the source package name)",
		    ld->file, para->line, name);
		goto out;
	}

	if (w->type == WATCH_GIT) {
		char *u = git_url(ld, w->url);

		free(w->url);
		w->url = u;
	}

	/* Distribution and Component. */
	if (w->dist == NULL) {
		if (cfg->ndists == 0) {
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: watch '%s': "
			    "no Distribution stanza is configured in %s (add "
			    "one, e.g. 'Distribution: bookworm')", ld->file,
			    para->line, name, cfg->path);
			goto out;
		}
		if (cfg->ndists > 1) {
			buf_init(&b);
			for (i = 0; i < cfg->ndists; i++)
				buf_printf(&b, "%s%s", i ? ", " : "",
				    cfg->dists[i].name);
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: watch '%s' "
			    "needs Distribution: (one of %s)", ld->file,
			    para->line, name, b.data);
			buf_done(&b);
			goto out;
		}
		w->dist = xstrdup(cfg->dists[0].name);
	}
	if ((d = config_dist_find(cfg, w->dist)) == NULL) {
		f = deb822_find(para, "Distribution");
		buf_init(&b);
		for (i = 0; i < cfg->ndists; i++)
			buf_printf(&b, "%s%s", i ? ", " : "",
			    cfg->dists[i].name);
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: watch '%s': "
		    "distribution '%s' is not configured in %s (configured: "
		    "%s)", ld->file, f->line, name, w->dist, cfg->path,
		    b.len ? b.data : "none");
		buf_done(&b);
		goto out;
	}
	if (w->component == NULL)
		w->component = xstrdup(d->components[0]);
	else {
		for (i = 0; d->components[i] != NULL; i++)
			if (strcmp(d->components[i], w->component) == 0)
				break;
		if (d->components[i] == NULL) {
			f = deb822_find(para, "Component");
			buf_init(&b);
			for (i = 0; d->components[i] != NULL; i++)
				buf_printf(&b, "%s%s", i ? " " : "",
				    d->components[i]);
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: watch '%s': "
			    "component '%s' is not one of distribution '%s' "
			    "(Components: %s)", ld->file, f->line, name,
			    w->component, d->name, b.data);
			buf_done(&b);
			goto out;
		}
	}

	/* Defaults. */
	if (w->interval == 0)
		w->interval = 300;
	if (w->type == WATCH_GIT && w->branch == NULL)
		w->branch = xstrdup(DEFAULT_BRANCH);
	if (w->type == WATCH_APT) {
		if (w->components == NULL)
			w->components = config_split_words("main");
		if (w->archs == NULL) {
			w->archs = xcalloc(strv_len(d->archs) + 1,
			    sizeof(char *));
			for (i = 0; d->archs[i] != NULL; i++)
				w->archs[i] = xstrdup(d->archs[i]);
		}
	}
	if (w->type != WATCH_APT) {
		if (w->builder == NULL)
			w->builder = xstrdup(cfg->builder);
		if (w->build_timeout == 0)
			w->build_timeout = cfg->build_timeout;
		/* sbuild 0.85 runs dpkg-buildpackage without network,
		 * whatever it is asked (Sbuild/Build.pm DISABLE_NETWORK). */
		if (w->build_network && strcmp(w->builder, "sbuild") == 0) {
			f = deb822_find(para, "Build-Network");
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: watch '%s': "
			    "Build-Network: yes needs Builder: host (sbuild "
			    "always builds without network; only its build-"
			    "dependency install has one): set Builder: host in "
			    "this watch, or remove Build-Network", ld->file,
			    f != NULL ? f->line : w->line, name);
			goto out;
		}
	}
	rv = 0;
out:
	free(v);
	free(t);
	return rv;
}

static int
watch_para_cb(const struct deb822_para *para, void *arg,
    struct dp_error *err)
{
	return load_watch(arg, para, err);
}

static int
watch_filter(const struct dirent *de)
{
	size_t len = strlen(de->d_name);

	return de->d_name[0] != '.' && len > 6 &&
	    strcmp(de->d_name + len - 6, ".watch") == 0;
}

static int
watch_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int
config_watches_load(struct load *ld, struct dp_error *err)
{
	struct config	 *cfg = ld->cfg;
	struct dirent	**list = NULL;
	char		 *path = NULL;
	int		  n, i, rv = -1;

	if ((n = scandir(cfg->watch_dir, &list, watch_filter, watch_cmp))
	    == -1) {
		if (errno == ENOENT && ld->watch_dir_line == 0)
			return 0;	/* no watch.d: no watches */
		if (ld->watch_dir_line != 0)
			dp_error_errno(err, "%s:%d: Watch-Dir %s", cfg->path,
			    ld->watch_dir_line, cfg->watch_dir);
		else
			dp_error_errno(err, "%s: cannot read the watch "
			    "directory", cfg->watch_dir);
		return -1;
	}
	free(ld->dir);
	ld->dir = xstrdup(cfg->watch_dir);
	for (i = 0; i < n; i++) {
		free(path);
		path = xasprintf("%s/%s", cfg->watch_dir, list[i]->d_name);
		ld->file = path;
		if (deb822_parse_file(path, DEB822_COMMENTS, watch_para_cb, ld,
		    err) != 0)
			goto out;
	}
	rv = 0;
out:
	ld->file = NULL;
	free(path);
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return rv;
}

const struct conf_watch *
config_watch_find(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < cfg->nwatches; i++)
		if (strcmp(cfg->watches[i].name, name) == 0)
			return &cfg->watches[i];
	return NULL;
}

const char *
config_watch_type_name(enum watch_type type)
{
	if ((size_t)type < sizeof(type_names) / sizeof(type_names[0]))
		return type_names[type];
	return "unknown";
}

