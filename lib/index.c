/* index.c - Packages, Sources, Contents and Release text. */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "index.h"

static size_t
trimmed_len(const char *s)
{
	size_t	len = strlen(s);

	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' ||
	    s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return len;
}

void
index_packages_para(struct buf *out, const char *control,
    const char *pool_path, uint64_t size, const char *md5, const char *sha1,
    const char *sha256)
{
	buf_add(out, control, trimmed_len(control));
	buf_adds(out, "\nFilename: pool/");
	buf_adds(out, pool_path);
	buf_printf(out, "\nSize: %" PRIu64 "\nMD5sum: %s\nSHA1: %s\n"
	    "SHA256: %s\n\n", size, md5, sha1, sha256);
}

void
index_sources_para(struct buf *out, const char *control)
{
	buf_add(out, control, trimmed_len(control));
	buf_adds(out, "\n\n");
}

char *
index_para_field(const char *para, const char *name)
{
	const char	*p = para, *nl, *v;
	size_t		 nlen = strlen(name);

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			v = p + nlen + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			if (nl == NULL)
				nl = v + strlen(v);
			while (nl > v && (nl[-1] == ' ' || nl[-1] == '\t' ||
			    nl[-1] == '\r'))
				nl--;
			return xstrndup(v, (size_t)(nl - v));
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return NULL;
}

/*
 * Contents: every (path, package) pair as offsets into one text buffer,
 * sorted by path, then merged.
 */
struct contents_ent {
	size_t	path;		/* offset of the NUL-terminated path */
	size_t	pkg;		/* offset of the NUL-terminated qualname */
};

struct index_contents {
	struct buf		 text;
	struct contents_ent	*ents;
	size_t			 nents;
	size_t			 cap;
};

struct index_contents *
index_contents_new(void)
{
	struct index_contents	*ic = xcalloc(1, sizeof(*ic));

	buf_init(&ic->text);
	return ic;
}

void
index_contents_add(struct index_contents *ic, const char *qualname,
    const char *list, size_t len)
{
	const char	*p = list, *end = list + len, *nl;
	size_t		 pkg, n;

	pkg = ic->text.len;
	buf_add(&ic->text, qualname, strlen(qualname) + 1);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n >= 2 && p[0] == '.' && p[1] == '/') {
			p += 2;
			n -= 2;
		}
		while (n > 0 && *p == '/') {
			p++;
			n--;
		}
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > 0 && memchr(p, '\0', n) == NULL) {
			if (ic->nents == ic->cap) {
				ic->cap = ic->cap == 0 ? 4096 : ic->cap * 2;
				ic->ents = xreallocarray(ic->ents, ic->cap,
				    sizeof(*ic->ents));
			}
			ic->ents[ic->nents].path = ic->text.len;
			ic->ents[ic->nents].pkg = pkg;
			ic->nents++;
			buf_add(&ic->text, p, n);
			buf_addc(&ic->text, '\0');
		}
		p = nl + 1;
	}
}

static int
contents_cmp(const void *a, const void *b, void *arg)
{
	const struct contents_ent *x = a, *y = b;
	const char	*base = arg;
	int		 c;

	c = strcmp(base + x->path, base + y->path);
	if (c == 0)
		c = strcmp(base + x->pkg, base + y->pkg);
	return c;
}

#define CONTENTS_FLUSH	(1024 * 1024)

int
index_contents_write_to(struct index_contents *ic, struct buf *out,
    int (*flush)(void *, struct buf *), void *arg)
{
	const char	*base = ic->text.data, *path, *prev = NULL;
	size_t		 i, plen;

	if (ic->nents == 0)
		return flush != NULL ? flush(arg, out) : 0;
	qsort_r(ic->ents, ic->nents, sizeof(*ic->ents), contents_cmp,
	    (void *)(uintptr_t)base);
	for (i = 0; i < ic->nents; i++) {
		path = base + ic->ents[i].path;
		if (prev != NULL && strcmp(prev, path) == 0) {
			if (strcmp(base + ic->ents[i - 1].pkg,
			    base + ic->ents[i].pkg) == 0)
				continue;
			buf_addc(out, ',');
			buf_adds(out, base + ic->ents[i].pkg);
			continue;
		}
		if (prev != NULL) {
			buf_addc(out, '\n');
			/* Only between lines: a line is never split. */
			if (flush != NULL && out->len >= CONTENTS_FLUSH &&
			    flush(arg, out) == -1)
				return -1;
		}
		plen = strlen(path);
		buf_add(out, path, plen);
		do
			buf_addc(out, ' ');
		while (++plen < 56);
		buf_adds(out, base + ic->ents[i].pkg);
		prev = path;
	}
	buf_addc(out, '\n');
	return flush != NULL ? flush(arg, out) : 0;
}

void
index_contents_write(struct index_contents *ic, struct buf *out)
{
	(void)index_contents_write_to(ic, out, NULL, NULL);
}

void
index_contents_free(struct index_contents *ic)
{
	if (ic == NULL)
		return;
	buf_done(&ic->text);
	free(ic->ents);
	free(ic);
}

void
index_date(time_t t, char *out, size_t outlen)
{
	static const char *const days[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	struct tm	tm;

	gmtime_r(&t, &tm);
	snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d UTC",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int
relfile_cmp(const void *a, const void *b)
{
	const struct index_release_file *const *x = a, *const *y = b;

	return strcmp((*x)->path, (*y)->path);
}

static void
strv_line(struct buf *out, const char *name, char *const *v)
{
	size_t	i;

	buf_adds(out, name);
	buf_addc(out, ':');
	for (i = 0; v != NULL && v[i] != NULL; i++) {
		buf_addc(out, ' ');
		buf_adds(out, v[i]);
	}
	buf_addc(out, '\n');
}

void
index_release_write(const struct index_release *rel, struct buf *out)
{
	const struct index_release_file	**sorted;
	char				  date[64];
	size_t				  i, w, width = 0;

	sorted = xcalloc(rel->nfiles + 1, sizeof(*sorted));
	for (i = 0; i < rel->nfiles; i++) {
		sorted[i] = &rel->files[i];
		w = (size_t)snprintf(NULL, 0, "%" PRIu64, rel->files[i].size);
		if (w > width)
			width = w;
	}
	qsort(sorted, rel->nfiles, sizeof(*sorted), relfile_cmp);

	index_date(rel->date, date, sizeof(date));
	buf_printf(out, "Origin: %s\n", rel->origin);
	buf_printf(out, "Label: %s\n", rel->label);
	buf_printf(out, "Suite: %s\n", rel->suite);
	buf_printf(out, "Codename: %s\n", rel->codename);
	buf_printf(out, "Date: %s\n", date);
	buf_adds(out, "Acquire-By-Hash: yes\n");
	if (rel->no_support_all)
		buf_adds(out, "No-Support-for-Architecture-all: Packages\n");
	strv_line(out, "Architectures", rel->archs);
	strv_line(out, "Components", rel->components);
	if (rel->description != NULL && *rel->description != '\0')
		buf_printf(out, "Description: %s\n", rel->description);
	if (rel->snapshots != NULL)
		buf_printf(out, "Snapshots: %s\n", rel->snapshots);
	buf_adds(out, "MD5Sum:\n");
	for (i = 0; i < rel->nfiles; i++)
		buf_printf(out, " %s %*" PRIu64 " %s\n", sorted[i]->md5,
		    (int)width, sorted[i]->size, sorted[i]->path);
	buf_adds(out, "SHA256:\n");
	for (i = 0; i < rel->nfiles; i++)
		buf_printf(out, " %s %*" PRIu64 " %s\n", sorted[i]->sha256,
		    (int)width, sorted[i]->size, sorted[i]->path);
	free(sorted);
}
