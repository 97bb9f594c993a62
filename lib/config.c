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

static const char *check_listen(const char *);
static const char *check_user(const char *);
static const char *check_maintainer(const char *);
static const char *check_suffix(const char *);

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
	{ "Listen",		K_STR,	G(listen),	0, 0, check_listen },
	{ "Serve-Public",	K_BOOL,	G(serve_public), 0, 0, NULL },
	{ "Tokens-File",	K_PATH,	G(tokens_file),	0, 0, NULL },
	{ "Hooks-File",		K_PATH,	G(hooks_file),	0, 0, NULL },
	{ "User",		K_STR,	G(user),	0, 0, check_user },
	{ "Watch-Dir",		K_PATH,	G(watch_dir),	0, 0, NULL },
	{ "Max-Builds",		K_INT,	G(max_builds),	1, 0, NULL },
	{ "Builder",		K_STR,	G(builder),	0, 0, config_check_builder },
	{ "Build-Timeout",	K_DUR,	G(build_timeout), 1, 0, NULL },
	{ "Maintainer",		K_STR,	G(maintainer),	0, 0, check_maintainer },
	{ "Version-Suffix",	K_STR,	G(version_suffix), 0, 0, check_suffix },
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

/* ------------------------------------------------------------------ */
/* Small value parsers (exported ones first). */

int
config_parse_duration(const char *s, long *out)
{
	const char	*p = s;
	long		 total = 0, n, mul;
	int		 parts = 0;

	if (s == NULL || *s == '\0')
		return -1;
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			return -1;
		n = 0;
		while (isdigit((unsigned char)*p)) {
			if (n > (LONG_MAX - (*p - '0')) / 10)
				return -1;
			n = n * 10 + (*p - '0');
			p++;
		}
		switch (*p) {
		case 's': mul = 1; p++; break;
		case 'm': mul = 60; p++; break;
		case 'h': mul = 3600; p++; break;
		case 'd': mul = 86400; p++; break;
		case '\0':
			if (parts != 0)
				return -1;	/* "1h30" is ambiguous */
			mul = 1;
			break;
		default:
			return -1;
		}
		if (n > LONG_MAX / mul || total > LONG_MAX - n * mul)
			return -1;
		total += n * mul;
		parts++;
	}
	*out = total;
	return 0;
}

int
config_parse_bool(const char *s, int *out)
{
	if (s == NULL)
		return -1;
	if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0 ||
	    strcmp(s, "1") == 0) {
		*out = 1;
		return 0;
	}
	if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0 ||
	    strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	return -1;
}

static int
parse_int(const char *s, long min, int *out)
{
	char	*end;
	long	 v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > INT_MAX || v < min)
		return -1;
	*out = (int)v;
	return 0;
}

/* Distribution, component, architecture, environment names: a safe path
 * component.  Watch names are the same without '_'. */
static int
name_ok(const char *s, int allow_underscore)
{
	size_t i;

	if (s[0] == '\0' || strlen(s) > MAX_NAME)
		return 0;
	if (!islower((unsigned char)s[0]) && !isdigit((unsigned char)s[0]))
		return 0;
	for (i = 1; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (islower(c) || isdigit(c) || c == '.' || c == '-' ||
		    c == '+' || (c == '_' && allow_underscore))
			continue;
		return 0;
	}
	return 1;
}

static int
has_space(const char *s)
{
	for (; *s != '\0'; s++)
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return 1;
	return 0;
}

static int
url_ok(const char *s)
{
	return (strncmp(s, "http://", 7) == 0 && s[7] != '\0') ||
	    (strncmp(s, "https://", 8) == 0 && s[8] != '\0');
}

const char *
config_check_word(const char *v)
{
	if (has_space(v))
		return "must not contain white space";
	return NULL;
}

static const char *
check_listen(const char *v)
{
	const char	*colon = strrchr(v, ':');
	int		 port;

	if (has_space(v))
		return "must not contain white space";
	if (colon == NULL || colon == v)
		return "use HOST:PORT, e.g. 127.0.0.1:8742 or [::1]:8742";
	if (v[0] == '[' && colon[-1] != ']')
		return "an IPv6 address goes in brackets: [::1]:8742";
	if (parse_int(colon + 1, 1, &port) != 0 || port > 65535)
		return "the port must be a number from 1 to 65535";
	return NULL;
}

static const char *
check_user(const char *v)
{
	if (has_space(v) || strchr(v, ':') != NULL || strchr(v, '/') != NULL)
		return "not a user name";
	return NULL;
}

const char *
config_check_builder(const char *v)
{
	if (strcmp(v, "host") != 0 && strcmp(v, "dpkg-buildpackage") != 0 &&
	    strcmp(v, "sbuild") != 0)
		return "use sbuild (a clean-room chroot) or host";
	return NULL;
}

static const char *
check_maintainer(const char *v)
{
	const char	*lt = strchr(v, '<');
	size_t		 len = strlen(v);

	if (lt == NULL || lt == v || v[len - 1] != '>' ||
	    memchr(lt, '@', (size_t)(v + len - lt)) == NULL)
		return "use 'Full Name <email@address>'";
	return NULL;
}

static const char *
check_suffix(const char *v)
{
	for (; *v != '\0'; v++)
		if (!isalnum((unsigned char)*v) && *v != '.' && *v != '+' &&
		    *v != '~')
			return "use letters, digits, '.', '+' and '~' only "
			    "(it becomes part of a Debian version)";
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Values. */

/*
 * Copy a raw field value, dropping comments ('#' at the start of a line
 * or after white space, to the end of that line) and the white space
 * around every line.
 */
char *
config_value_clean(const char *raw)
{
	struct buf	 b;
	const char	*p, *nl, *e, *hash;
	size_t		 n;

	buf_init(&b);
	buf_reserve(&b, strlen(raw));
	for (p = raw;; p = nl + 1) {
		nl = strchr(p, '\n');
		e = nl != NULL ? nl : p + strlen(p);
		for (hash = p; hash < e; hash++)
			if (*hash == '#' && (hash == p || hash[-1] == ' ' ||
			    hash[-1] == '\t'))
				break;
		e = hash;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		n = (size_t)(e - p);
		buf_add(&b, p, n);
		if (nl == NULL)
			break;
		buf_addc(&b, '\n');
	}
	return buf_steal(&b);
}

/* Number of non-empty lines in v; *line set to the first one (copied). */
int
config_single_line(const char *v, char **line)
{
	const char	*p, *nl;
	size_t		 n;
	int		 count = 0;

	*line = NULL;
	for (p = v;; p = nl + 1) {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (n > 0) {
			if (count++ == 0)
				*line = xstrndup(p, n);
		}
		if (nl == NULL)
			break;
	}
	if (*line == NULL)
		*line = xstrdup("");
	return count;
}

char **
config_split_words(const char *v)
{
	char		**words = NULL;
	size_t		  n = 0;
	const char	 *p = v, *start;

	words = xcalloc(1, sizeof(*words));
	for (;;) {
		while (*p != '\0' && isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		words = xreallocarray(words, n + 2, sizeof(*words));
		words[n++] = xstrndup(start, (size_t)(p - start));
		words[n] = NULL;
	}
	return words;
}

char *
config_path_resolve(const char *dir, const char *v)
{
	char	*p;
	size_t	 len;

	if (v[0] == '/')
		p = xstrdup(v);
	else if (strcmp(v, ".") == 0)
		p = xstrdup(dir);
	else
		p = xasprintf("%s/%s", strcmp(dir, "/") == 0 ? "" : dir,
		    strncmp(v, "./", 2) == 0 ? v + 2 : v);
	len = strlen(p);
	while (len > 1 && p[len - 1] == '/')
		p[--len] = '\0';
	return p;
}

/* Edit distance between two short names, case-insensitive. */
static size_t
name_distance(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), i, j, d[65], prev, tmp;

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		prev = d[0];
		d[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = d[j];
			d[j] = prev + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));
			if (d[j - 1] + 1 < d[j])
				d[j] = d[j - 1] + 1;
			if (tmp + 1 < d[j])
				d[j] = tmp + 1;
			prev = tmp;
		}
	}
	return d[lb];
}

/* "did you mean 'X'? known: A, B, ..." for an unknown field name (only the
 * fields of the given watch types, when types is not 0). */
void
config_fields_known(const struct fspec *tab, unsigned types,
    const char *unknown, struct buf *b)
{
	const struct fspec	*s, *best = NULL;
	size_t			 d, bestd = SIZE_MAX;
	int			 first = 1;

	for (s = tab; s->name != NULL; s++) {
		if (types != 0 && !(s->types & types))
			continue;
		if ((d = name_distance(unknown, s->name)) < bestd) {
			bestd = d;
			best = s;
		}
	}
	if (best != NULL && bestd <= 2 && bestd * 2 <= strlen(best->name))
		buf_printf(b, "did you mean '%s'? ", best->name);
	buf_adds(b, "known: ");
	for (s = tab; s->name != NULL; s++) {
		if (types != 0 && !(s->types & types))
			continue;
		if (!first)
			buf_adds(b, ", ");
		buf_adds(b, s->name);
		first = 0;
	}
}

const struct fspec *
config_spec_find(const struct fspec *tab, const char *name)
{
	const struct fspec *s;

	for (s = tab; s->name != NULL; s++)
		if (strcasecmp(s->name, name) == 0)
			return s;
	return NULL;
}

/* Store one field's value into base according to its spec. */
int
config_field_set(struct load *ld, const struct fspec *s,
    const struct deb822_field *f, void *base, struct dp_error *err)
{
	char		*v = NULL, *line = NULL, **words = NULL;
	const char	*why;
	char		*field = (char *)base + s->off;
	long		 dur;
	int		 n, b, i, j, rv = -1;

	v = config_value_clean(f->value);
	if (v[strspn(v, "\n")] == '\0') {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: empty value for "
		    "'%s' (give a value, or remove the line to get the "
		    "default)", ld->file, f->line, s->name);
		goto out;
	}
	switch (s->kind) {
	case K_MERGE:
		if (config_merges_parse(ld, f, v, base, err) != 0)
			goto out;
		break;
	case K_LIST:
	case K_NAMES:
	case K_URLS:
		words = config_split_words(v);
		for (i = 0; words[i] != NULL; i++) {
			if (s->kind == K_NAMES && !name_ok(words[i], 1)) {
				dp_error_set(err, DP_ERR_INVALID, "%s:%d: "
				    "bad name '%s' in '%s' (use lowercase "
				    "letters, digits, '.', '-', '+', '_', "
				    "starting with a letter or digit)",
				    ld->file, f->line, words[i], s->name);
				goto out;
			}
			if (s->kind == K_URLS && !url_ok(words[i])) {
				dp_error_set(err, DP_ERR_INVALID, "%s:%d: "
				    "bad URL '%s' in '%s' (must start with "
				    "http:// or https://)", ld->file,
				    f->line, words[i], s->name);
				goto out;
			}
			for (j = 0; j < i; j++)
				if (strcmp(words[i], words[j]) == 0) {
					dp_error_set(err, DP_ERR_INVALID,
					    "%s:%d: '%s' is listed twice in "
					    "'%s'", ld->file, f->line,
					    words[i], s->name);
					goto out;
				}
		}
		strv_free(*(char ***)(void *)field);
		*(char ***)(void *)field = words;
		words = NULL;
		break;
	default:
		if (config_single_line(v, &line) > 1) {
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: '%s' takes "
			    "a single line", ld->file, f->line, s->name);
			goto out;
		}
		break;
	}

	switch (s->kind) {
	case K_STR:
	case K_NAME:
	case K_URL:
	case K_PATH:
		if (s->kind == K_NAME && !name_ok(line, 1)) {
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: bad name "
			    "'%s' for '%s' (use lowercase letters, digits, "
			    "'.', '-', '+', '_', starting with a letter or "
			    "digit)", ld->file, f->line, line, s->name);
			goto out;
		}
		if (s->kind == K_URL && (!url_ok(line) || has_space(line))) {
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: bad URL "
			    "'%s' for '%s' (must start with http:// or "
			    "https://)", ld->file, f->line, line, s->name);
			goto out;
		}
		if (s->check != NULL && (why = s->check(line)) != NULL) {
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: bad value "
			    "'%s' for '%s': %s", ld->file, f->line, line,
			    s->name, why);
			goto out;
		}
		free(*(char **)(void *)field);
		if (s->kind == K_PATH)
			*(char **)(void *)field = config_path_resolve(ld->dir,
			    line);
		else {
			*(char **)(void *)field = line;
			line = NULL;
		}
		break;
	case K_DUR:
		if (config_parse_duration(line, &dur) != 0) {
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: bad duration "
			    "'%s' for '%s' (use e.g. 30s, 5m, 1h, 2d, 1h30m "
			    "or a number of seconds)", ld->file, f->line,
			    line, s->name);
			goto out;
		}
		if (dur < s->min) {
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: '%s' must "
			    "be at least %lds", ld->file, f->line, s->name,
			    s->min);
			goto out;
		}
		*(long *)(void *)field = dur;
		break;
	case K_BOOL:
		if (config_parse_bool(line, &b) != 0) {
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: bad boolean "
			    "'%s' for '%s' (use yes or no)", ld->file,
			    f->line, line, s->name);
			goto out;
		}
		*(int *)(void *)field = b;
		break;
	case K_INT:
		if (parse_int(line, s->min, &n) != 0) {
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: bad number "
			    "'%s' for '%s' (a whole number, at least %ld)",
			    ld->file, f->line, line, s->name, s->min);
			goto out;
		}
		*(int *)(void *)field = n;
		break;
	case K_TYPE:
		/* handled by the watch loader */
		break;
	default:
		break;
	}
	rv = 0;
out:
	strv_free(words);
	free(line);
	free(v);
	return rv;
}

/* Is name the key of another stanza kind (a missing blank line)? */
int
config_stanza_key(const char *name)
{
	return strcasecmp(name, "Distribution") == 0 ||
	    strcasecmp(name, "Environment") == 0 ||
	    strcasecmp(name, "Publish-To") == 0 ||
	    strcasecmp(name, "Watch") == 0;
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
	struct buf			 known;
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
			if (config_stanza_key(f->name)) {
				dp_error_set(err, DP_ERR_INVALID, "%s:%d: "
				    "'%s:' must start a stanza of its own "
				    "(put a blank line before it)", ld->file,
				    f->line, f->name);
				return -1;
			}
			buf_init(&known);
			config_fields_known(tab, 0, f->name, &known);
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: unknown "
			    "field '%s' in %s (%s)", ld->file,
			    f->line, f->name, what, known.data);
			buf_done(&known);
			return -1;
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
	if (n != 1 || !name_ok(line, allow_underscore)) {
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
	char		*name, *what;
	size_t		 i;
	int		 rv;

	if ((name = config_key_name(ld, &para->fields[0], "distribution", 1,
	    err)) == NULL)
		return -1;
	for (i = 0; i < cfg->ndists; i++) {
		if (strcmp(cfg->dists[i].name, name) == 0) {
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: duplicate "
			    "distribution '%s' (first defined at %s:%d)",
			    ld->file, para->line, name, cfg->dists[i].file,
			    cfg->dists[i].line);
			free(name);
			return -1;
		}
	}
	if (cfg->ndists == ld->distcap) {
		ld->distcap = ld->distcap ? ld->distcap * 2 : 4;
		cfg->dists = xreallocarray(cfg->dists, ld->distcap,
		    sizeof(*cfg->dists));
	}
	d = &cfg->dists[cfg->ndists++];
	memset(d, 0, sizeof(*d));
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
	return 0;
}

static int
load_env(struct load *ld, const struct deb822_para *para,
    struct dp_error *err)
{
	struct config	*cfg = ld->cfg;
	struct conf_env	*e;
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
	for (i = 0; i < cfg->nenvs; i++) {
		if (strcmp(cfg->envs[i].name, name) == 0) {
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: duplicate "
			    "environment '%s' (first defined at %s:%d)",
			    ld->file, para->line, name, cfg->envs[i].file,
			    cfg->envs[i].line);
			free(name);
			return -1;
		}
	}
	if (cfg->nenvs == ld->envcap) {
		ld->envcap = ld->envcap ? ld->envcap * 2 : 4;
		cfg->envs = xreallocarray(cfg->envs, ld->envcap,
		    sizeof(*cfg->envs));
	}
	e = &cfg->envs[cfg->nenvs++];
	memset(e, 0, sizeof(*e));
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

/* Values and names are echoed in messages: no control characters. */
static void
msg_sanitize(struct dp_error *err)
{
	unsigned char *p;

	for (p = (unsigned char *)err->msg; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
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
		msg_sanitize(err);
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
