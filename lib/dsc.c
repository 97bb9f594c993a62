/*
 * dsc.c - parse and verify Debian source control files (see dsc.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dsc.h"
#include "fsutil.h"
#include "version.h"
#include "xmalloc.h"

enum {
	SUM_MD5,
	SUM_SHA1,
	SUM_SHA256,
};

static const struct {
	const char	*field;
	size_t		 hexlen;
} SUM_FIELDS[] = {
	{ "Files", HASH_MD5_HEXLEN },
	{ "Checksums-Sha1", HASH_SHA1_HEXLEN },
	{ "Checksums-Sha256", HASH_SHA256_HEXLEN },
};

static struct dsc_file *
dsc_file_find(struct dsc *dsc, const char *name)
{
	size_t i;

	for (i = 0; i < dsc->nfiles; i++)
		if (strcmp(dsc->files[i].name, name) == 0)
			return &dsc->files[i];
	return NULL;
}

static char *
dsc_sum_slot(struct dsc_file *f, int kind)
{
	switch (kind) {
	case SUM_MD5:
		return f->md5;
	case SUM_SHA1:
		return f->sha1;
	default:
		return f->sha256;
	}
}

/* One checksum field: lines "hex size name". */
static int
dsc_parse_sums(const char *fname, struct dsc *dsc, int kind,
    struct dp_error *err)
{
	const struct deb822_field	*fld;
	const char			*field = SUM_FIELDS[kind].field;
	size_t				 hexlen = SUM_FIELDS[kind].hexlen;
	char				*copy, *line, *next, *hex, *sz, *name;
	char				*end, *slot;
	struct dsc_file			*f;
	unsigned long long		 size;
	int				 rv = -1, lineno;

	if ((fld = deb822_find(dsc->para, field)) == NULL) {
		if (kind == SUM_MD5) {
			dp_error_set(err, DP_ERR_INVALID, "%s: no Files field",
			    fname);
			return -1;
		}
		return 0;
	}
	copy = xstrdup(fld->value);
	lineno = fld->line;
	for (line = copy; line != NULL; line = next, lineno++) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line[strspn(line, " \t")] == '\0')
			continue;
		hex = strtok_r(line, " \t", &end);
		sz = strtok_r(NULL, " \t", &end);
		name = strtok_r(NULL, " \t", &end);
		if (hex == NULL || sz == NULL || name == NULL ||
		    strtok_r(NULL, " \t", &end) != NULL) {
			dp_error_set(err, DP_ERR_PARSE, "%s:%d: %s: expected "
			    "'checksum size name'", fname, lineno, field);
			goto out;
		}
		if (strlen(hex) != hexlen || !hash_hex_valid(hex, hexlen)) {
			dp_error_set(err, DP_ERR_PARSE, "%s:%d: %s: bad "
			    "checksum '%.80s' for %.200s", fname, lineno,
			    field, hex, name);
			goto out;
		}
		errno = 0;
		size = strtoull(sz, &end, 10);
		if (*sz < '0' || *sz > '9' || *end != '\0' || errno != 0) {
			dp_error_set(err, DP_ERR_PARSE, "%s:%d: %s: bad size "
			    "'%.40s' for %.200s", fname, lineno, field, sz,
			    name);
			goto out;
		}
		if (!fs_name_is_safe(name)) {
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: %s: unsafe "
			    "file name '%.200s' (a single file name without "
			    "'/', not starting with '.' or '-')", fname,
			    lineno, field, name);
			goto out;
		}
		if ((f = dsc_file_find(dsc, name)) == NULL) {
			if (kind != SUM_MD5) {
				dp_error_set(err, DP_ERR_INVALID, "%s:%d: %s "
				    "lists %s which is not in Files", fname,
				    lineno, field, name);
				goto out;
			}
			if (dsc->nfiles >= DSC_MAX_FILES) {
				dp_error_set(err, DP_ERR_INVALID, "%s: more "
				    "than %d files listed", fname,
				    DSC_MAX_FILES);
				goto out;
			}
			dsc->files = xreallocarray(dsc->files,
			    dsc->nfiles + 1, sizeof(*dsc->files));
			f = &dsc->files[dsc->nfiles++];
			memset(f, 0, sizeof(*f));
			f->name = xstrdup(name);
			f->size = size;
		} else if (f->size != size) {
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: %s: size of "
			    "%s is %llu, another field says %llu", fname,
			    lineno, field, name, size,
			    (unsigned long long)f->size);
			goto out;
		}
		slot = dsc_sum_slot(f, kind);
		if (slot[0] != '\0') {
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: %s lists %s "
			    "twice", fname, lineno, field, name);
			goto out;
		}
		memcpy(slot, hex, hexlen + 1);
	}
	rv = 0;
out:
	free(copy);
	return rv;
}

/* A Checksums-* field that is there lists every file of Files: else the
 * file it leaves out would be checked by the weaker sums alone. */
static int
dsc_sums_complete(const char *fname, struct dsc *dsc,
    struct dp_error *err)
{
	const struct deb822_field	*fld;
	size_t				 i;
	int				 kind;

	for (kind = SUM_SHA1; kind <= SUM_SHA256; kind++) {
		if ((fld = deb822_find(dsc->para, SUM_FIELDS[kind].field)) ==
		    NULL)
			continue;
		for (i = 0; i < dsc->nfiles; i++)
			if (dsc_sum_slot(&dsc->files[i], kind)[0] == '\0') {
				dp_error_set(err, DP_ERR_INVALID, "%s:%d: %s "
				    "does not list %s, which Files lists",
				    fname, fld->line, SUM_FIELDS[kind].field,
				    dsc->files[i].name);
				return -1;
			}
	}
	return 0;
}

int
dsc_parse(const char *buf, size_t len, const char *fname, struct dsc *dsc,
    struct dp_error *err)
{
	const char	*fmt;
	size_t		 i;

	memset(dsc, 0, sizeof(*dsc));
	if (deb822_parse_one(buf, len, fname, DEB822_PGP, &dsc->para, err)
	    == -1)
		return -1;
	dsc->source = deb822_get(dsc->para, "Source");
	dsc->version = deb822_get(dsc->para, "Version");
	fmt = deb822_get(dsc->para, "Format");
	if (dsc->source == NULL || dsc->version == NULL || fmt == NULL) {
		dp_error_set(err, DP_ERR_INVALID, "%s: missing required field "
		    "%s", fname, dsc->source == NULL ? "Source" :
		    dsc->version == NULL ? "Version" : "Format");
		return -1;
	}
	if (version_name_validate(dsc->source, err) == -1 ||
	    version_validate(dsc->version, err) == -1) {
		dp_error_prefix(err, "%s", fname);
		return -1;
	}
	for (i = 0; i < sizeof(SUM_FIELDS) / sizeof(SUM_FIELDS[0]); i++)
		if (dsc_parse_sums(fname, dsc, (int)i, err) == -1)
			goto fail;
	if (dsc->nfiles == 0) {
		dp_error_set(err, DP_ERR_INVALID, "%s: Files lists no file",
		    fname);
		return -1;
	}
	return dsc_sums_complete(fname, dsc, err);
fail:
	/* File names are echoed in messages: no control characters. */
	if (err != NULL)
		str_printable(err->msg);
	return -1;
}

int
dsc_load(const char *path, struct dsc *dsc, struct dp_error *err)
{
	char	*data = NULL;
	size_t	 len;
	int	 rv;

	memset(dsc, 0, sizeof(*dsc));
	if (fs_read_file(path, DSC_MAX_SIZE, &data, &len, err) == -1)
		return -1;
	rv = dsc_parse(data, len, path, dsc, err);
	free(data);
	return rv;
}

void
dsc_done(struct dsc *dsc)
{
	size_t i;

	if (dsc == NULL)
		return;
	for (i = 0; i < dsc->nfiles; i++)
		free(dsc->files[i].name);
	free(dsc->files);
	deb822_para_free(dsc->para);
	memset(dsc, 0, sizeof(*dsc));
}

int
dsc_file_check(const char *dscname, const struct dsc_file *f,
    const struct hash_sums *sums, struct dp_error *err)
{
	const char *what = NULL;

	if (sums->size != f->size)
		what = "size";
	else if (f->sha256[0] != '\0' && strcmp(f->sha256, sums->sha256) != 0)
		what = "SHA256 checksum";
	else if (f->sha1[0] != '\0' && strcmp(f->sha1, sums->sha1) != 0)
		what = "SHA1 checksum";
	else if (f->md5[0] != '\0' && strcmp(f->md5, sums->md5) != 0)
		what = "MD5 checksum";
	if (what == NULL)
		return 0;
	dp_error_set(err, DP_ERR_INVALID, "%s: %s of %s does not match the "
	    ".dsc (file %llu bytes, sha256 %s): the file is corrupt or not the "
	    "one the .dsc was made with", dscname, what, f->name,
	    (unsigned long long)sums->size, sums->sha256);
	return -1;
}

int
dsc_verify(const char *dscname, const struct dsc *dsc, const char *dir,
    struct dp_error *err)
{
	struct hash_sums	 sums;
	char			*path;
	size_t			 i;
	int			 rv;

	for (i = 0; i < dsc->nfiles; i++) {
		path = fs_join(dir, dsc->files[i].name);
		if (hash_file(path, &sums, err) == -1) {
			if (err != NULL && err->errnum == ENOENT) {
				dp_error_set(err, DP_ERR_NOTFOUND, "%s: listed "
				    "file %s is missing (looked for %s)",
				    dscname, dsc->files[i].name, path);
			} else
				dp_error_prefix(err, "%s", dscname);
			free(path);
			return -1;
		}
		free(path);
		rv = dsc_file_check(dscname, &dsc->files[i], &sums, err);
		if (rv == -1)
			return -1;
	}
	return 0;
}
