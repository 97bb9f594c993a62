/*
 * pool-control.c - what the pool stores of a package's control file: the
 * paragraph ready for a Packages or Sources index (Debian's field order,
 * without what the publisher writes), after checking its names, version
 * and architecture against the distribution.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pool.h"
#include "pool-int.h"
#include "version.h"
#include "xmalloc.h"

/* Binary package fields in the order of a Packages index; others follow
 * in their original order. */
static const char *const PKG_ORDER[] = {
	"Package", "Source", "Version", "Installed-Size", "Maintainer",
	"Architecture", "Replaces", "Provides", "Depends", "Pre-Depends",
	"Recommends", "Suggests", "Conflicts", "Breaks", "Enhances",
	"Section", "Priority", "Homepage", "Description", NULL
};
/* Never copied from a control file: the publisher writes them. */
static const char *const PKG_DROP[] = {
	"Filename", "Size", "MD5sum", "SHA1", "SHA256", "SHA512", NULL
};
/* Sources index order (apt's TFRewriteSourceOrder). */
static const char *const SRC_ORDER[] = {
	"Package", "Format", "Binary", "Architecture", "Version", "Priority",
	"Section", "Origin", "Maintainer", "Original-Maintainer", "Uploaders",
	"Dm-Upload-Allowed", "Standards-Version", "Build-Depends",
	"Build-Depends-Arch", "Build-Depends-Indep", "Build-Conflicts",
	"Build-Conflicts-Arch", "Build-Conflicts-Indep", "Testsuite",
	"Testsuite-Triggers", "Homepage", "Vcs-Browser", "Vcs-Browse",
	"Vcs-Arch", "Vcs-Bzr", "Vcs-Cvs", "Vcs-Darcs", "Vcs-Git", "Vcs-Hg",
	"Vcs-Mtn", "Vcs-Svn", "Directory", "Package-List", "Files",
	"Checksums-Md5", "Checksums-Sha1", "Checksums-Sha256",
	"Checksums-Sha512", NULL
};
static const char *const SRC_DROP_NONE[] = { NULL };
/* Replaced by what the pool knows (the files list gains the .dsc). */
static const char *const SRC_DROP[] = {
	"Package", "Source", "Files", "Checksums-Md5", "Checksums-Sha1",
	"Checksums-Sha256", "Checksums-Sha512", "Directory", NULL
};

static int
name_in(const char *name, const char *const *list)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strcasecmp(name, list[i]) == 0)
			return 1;
	return 0;
}

/* Write para's fields: first those in order, then the rest in their
 * original order, skipping drop. */
static void
control_write(struct buf *b, const struct deb822_para *para,
    const char *const *order, const char *const *drop)
{
	const struct deb822_field	*f;
	size_t				 i;

	for (i = 0; order[i] != NULL; i++) {
		if ((f = deb822_find(para, order[i])) != NULL &&
		    !name_in(f->name, drop))
			deb822_field_write(b, f->name, f->value);
	}
	for (i = 0; i < para->nfields; i++) {
		f = &para->fields[i];
		if (name_in(f->name, order) || name_in(f->name, drop))
			continue;
		deb822_field_write(b, f->name, f->value);
	}
}

/* A single-line field: no newline, not empty. */
static const char *
field_word(const struct deb822_para *para, const char *name,
    const char *fname, struct dp_error *err)
{
	const char *v;

	if ((v = deb822_get(para, name)) == NULL || *v == '\0') {
		dp_error_set(err, DP_ERR_INVALID, "%s: missing required field "
		    "%s in the control file", fname, name);
		return NULL;
	}
	if (strpbrk(v, " \t\n") != NULL) {
		dp_error_set(err, DP_ERR_INVALID, "%s: field %s must be a "
		    "single word, not '%.100s'", fname, name, v);
		return NULL;
	}
	return v;
}

/* "name" or "name (version)". */
static int
source_split(const char *value, const char *fname, char **name,
    char **version, struct dp_error *err)
{
	const char	*p = value, *open, *close;
	size_t		 n;

	*name = *version = NULL;
	n = strcspn(p, " \t(");
	*name = xstrndup(p, n);
	p += n;
	p += strspn(p, " \t");
	if (*p != '\0') {
		open = p;
		if (*open != '(' || (close = strchr(open, ')')) == NULL ||
		    close[1 + strspn(close + 1, " \t")] != '\0') {
			dp_error_set(err, DP_ERR_INVALID, "%s: bad Source field "
			    "'%.100s' (expected 'name' or 'name (version)')",
			    fname, value);
			goto fail;
		}
		open++;
		open += strspn(open, " \t");
		n = (size_t)(close - open);
		while (n > 0 && (open[n - 1] == ' ' || open[n - 1] == '\t'))
			n--;
		*version = xstrndup(open, n);
	}
	if (version_name_validate(*name, err) == -1 ||
	    (*version != NULL && version_validate(*version, err) == -1)) {
		dp_error_prefix(err, "%s: Source field", fname);
		goto fail;
	}
	return 0;
fail:
	free(*name);
	free(*version);
	*name = *version = NULL;
	return -1;
}

static int
arch_allowed(const struct conf_dist *dist, const char *arch)
{
	size_t i;

	if (strcmp(arch, "all") == 0)
		return 1;
	for (i = 0; dist->archs != NULL && dist->archs[i] != NULL; i++)
		if (strcmp(dist->archs[i], arch) == 0)
			return 1;
	return 0;
}

static char *
archs_list(const struct conf_dist *dist)
{
	struct buf	b;
	size_t		i;

	buf_init(&b);
	for (i = 0; dist->archs != NULL && dist->archs[i] != NULL; i++)
		buf_printf(&b, "%s%s", i ? " " : "", dist->archs[i]);
	return buf_steal(&b);
}

/* Validate a binary control paragraph and fill item. */
int
pool_deb_control(const struct conf_dist *dist, struct pool_item *it,
    const char *fname, const struct deb822_para *para, struct dp_error *err)
{
	static const char *const required[] = {
		"Package", "Version", "Architecture", "Maintainer",
		"Description", NULL
	};
	const char	*v;
	char		*list;
	struct buf	 b;
	size_t		 i;

	for (i = 0; required[i] != NULL; i++) {
		v = deb822_get(para, required[i]);
		if (v == NULL || v[strspn(v, " \t\n")] == '\0') {
			dp_error_set(err, DP_ERR_INVALID, "%s: missing required "
			    "field %s in the control file", fname,
			    required[i]);
			return -1;
		}
	}
	if ((v = field_word(para, "Package", fname, err)) == NULL)
		return -1;
	if (version_name_validate(v, err) == -1) {
		dp_error_prefix(err, "%s: Package field", fname);
		return -1;
	}
	it->name = xstrdup(v);
	if ((v = field_word(para, "Version", fname, err)) == NULL)
		return -1;
	if (version_validate(v, err) == -1) {
		dp_error_prefix(err, "%s: Version field", fname);
		return -1;
	}
	it->version = xstrdup(v);
	if ((v = field_word(para, "Architecture", fname, err)) == NULL)
		return -1;
	if (version_arch_validate(v, err) == -1) {
		dp_error_prefix(err, "%s: Architecture field", fname);
		return -1;
	}
	if (!arch_allowed(dist, v)) {
		list = archs_list(dist);
		dp_error_set(err, DP_ERR_INVALID, "%s: architecture '%s' is "
		    "not configured for distribution %s (Architectures: %s); "
		    "add it to the Distribution stanza or build for one of "
		    "those", fname, v, dist->name, list);
		free(list);
		return -1;
	}
	it->arch = xstrdup(v);
	if ((v = deb822_get(para, "Source")) != NULL) {
		if (source_split(v, fname, &it->source, &it->source_version,
		    err) == -1)
			return -1;
	} else
		it->source = xstrdup(it->name);
	if (it->source_version == NULL)
		it->source_version = xstrdup(it->version);

	buf_init(&b);
	buf_reserve(&b, 1024);	/* most control paragraphs fit */
	control_write(&b, para, PKG_ORDER, PKG_DROP);
	it->control = buf_steal(&b);
	return 0;
}

static char *
src_files_value(const struct pool_item *it, int kind)
{
	struct buf	b;
	size_t		i;

	buf_init(&b);
	for (i = 0; i < it->nfiles; i++)
		buf_printf(&b, "\n%s %llu %s", kind == 0 ?
		    it->files[i].sums.md5 : kind == 1 ? it->files[i].sums.sha1 :
		    it->files[i].sums.sha256,
		    (unsigned long long)it->files[i].sums.size,
		    it->files[i].name);
	return buf_steal(&b);
}

/*
 * The Sources index paragraph of a .dsc: Package instead of Source, the
 * pool Directory, and Files / Checksums-Sha1 / Checksums-Sha256 listing
 * every file including the .dsc itself, in apt-ftparchive's field order
 * (unknown fields after, in their original order).
 */
void
pool_src_control(struct buf *b, const struct pool_item *it,
    const struct dsc *dsc)
{
	static const char *const names[] = {
		"Package", "Directory", "Files", "Checksums-Sha1",
		"Checksums-Sha256",
	};
	struct deb822_para	 p;
	char			*values[5];
	size_t			 i, n = 0;

	values[0] = xstrdup(dsc->source);
	values[1] = xasprintf("pool/%s", it->dir);
	for (i = 0; i < 3; i++)
		values[2 + i] = src_files_value(it, (int)i);
	p.line = 0;
	p.fields = xcalloc(dsc->para->nfields + 5, sizeof(*p.fields));
	for (i = 0; i < dsc->para->nfields; i++)
		if (!name_in(dsc->para->fields[i].name, SRC_DROP))
			p.fields[n++] = dsc->para->fields[i];
	for (i = 0; i < 5; i++) {
		p.fields[n].name = (char *)names[i];
		p.fields[n].value = values[i];
		p.fields[n++].line = 0;
	}
	p.nfields = n;
	control_write(b, &p, SRC_ORDER, SRC_DROP_NONE);
	for (i = 0; i < 5; i++)
		free(values[i]);
	free(p.fields);
}