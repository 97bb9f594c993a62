/*
 * config-value.c - the values of debpipe.conf and the watch files: the
 * small parsers (durations, booleans, numbers, names, URLs), the checks
 * a field's table entry names, and setting a field from its table entry
 * (struct fspec, config-int.h).
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "config-int.h"
#include "deb822.h"
#include "strlist.h"
#include "xmalloc.h"

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
int
config_name_ok(const char *s, int allow_underscore)
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

const char *
config_check_listen(const char *v)
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

const char *
config_check_user(const char *v)
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

const char *
config_check_maintainer(const char *v)
{
	const char	*lt = strchr(v, '<');
	size_t		 len = strlen(v);

	if (lt == NULL || lt == v || v[len - 1] != '>' ||
	    memchr(lt, '@', (size_t)(v + len - lt)) == NULL)
		return "use 'Full Name <email@address>'";
	return NULL;
}

const char *
config_check_suffix(const char *v)
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
	struct strlist	 words = STRLIST_INIT;
	const char	*p = v, *start;

	for (;;) {
		while (*p != '\0' && isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		strlist_addn(&words, start, (size_t)(p - start));
	}
	return strlist_steal(&words);
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

/* The error for field f, which tab does not know, in what ("a Publish-To:
 * stanza"); also: another name the stanza takes (NULL: none).  -1. */
int
config_field_unknown(struct load *ld, const struct fspec *tab,
    const struct deb822_field *f, const char *what, const char *also,
    struct dp_error *err)
{
	struct buf known;

	if (config_stanza_key(f->name)) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: '%s:' must start a "
		    "stanza of its own (put a blank line before it)", ld->file,
		    f->line, f->name);
		return -1;
	}
	buf_init(&known);
	config_fields_known(tab, 0, f->name, &known);
	if (also != NULL)
		buf_printf(&known, ", %s", also);
	dp_error_set(err, DP_ERR_INVALID, "%s:%d: unknown field '%s' in %s "
	    "(%s)", ld->file, f->line, f->name, what, known.data);
	buf_done(&known);
	return -1;
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
			if (s->kind == K_NAMES && !config_name_ok(words[i], 1)) {
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
		if (s->kind == K_NAME && !config_name_ok(line, 1)) {
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
