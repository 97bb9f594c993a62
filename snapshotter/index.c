/* index.c - Packages, Sources, Contents and Release text. */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

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

/*
 * The (path, package) pairs are sorted in memory up to spill_at of them;
 * past that they go to a private temporary sqlite database, whose sorter
 * works in bounded memory and temporary files, so that a Contents file
 * of millions of lines does not need its size in RAM.
 */
#define CONTENTS_SPILL_AT	(1024 * 1024)

struct index_contents {
	struct buf		 text;
	struct contents_ent	*ents;
	size_t			 nents;
	size_t			 cap;
	size_t			 spill_at;
	sqlite3			*sq;	/* after spilling */
	sqlite3_stmt		*ins;
	char			 err[256];
};

struct index_contents *
index_contents_new(void)
{
	struct index_contents	*ic = xcalloc(1, sizeof(*ic));

	buf_init(&ic->text);
	ic->spill_at = CONTENTS_SPILL_AT;
	return ic;
}

void
index_contents_spill_at(struct index_contents *ic, size_t n)
{
	ic->spill_at = n;
}

const char *
index_contents_error(const struct index_contents *ic)
{
	return ic->err;
}

static int
contents_sqerr(struct index_contents *ic, const char *what)
{
	snprintf(ic->err, sizeof(ic->err), "sorting Contents in a temporary "
	    "database: %s: %s", what, ic->sq != NULL ? sqlite3_errmsg(ic->sq) :
	    "cannot open");
	return -1;
}

static int
contents_insert(struct index_contents *ic, const char *path, size_t plen,
    const char *pkg)
{
	sqlite3_bind_text(ic->ins, 1, path, (int)plen, SQLITE_STATIC);
	sqlite3_bind_text(ic->ins, 2, pkg, -1, SQLITE_STATIC);
	if (sqlite3_step(ic->ins) != SQLITE_DONE) {
		sqlite3_reset(ic->ins);
		return contents_sqerr(ic, "insert");
	}
	sqlite3_reset(ic->ins);
	return 0;
}

/* Move what is in memory to the temporary database. */
static int
contents_spill(struct index_contents *ic)
{
	const char	*base = ic->text.data;
	size_t		 i;

	/* "": a private database on disk, deleted when closed. */
	if (sqlite3_open("", &ic->sq) != SQLITE_OK)
		return contents_sqerr(ic, "open");
	if (sqlite3_exec(ic->sq, "PRAGMA journal_mode = OFF;"
	    "PRAGMA synchronous = OFF; PRAGMA temp_store = FILE;"
	    "PRAGMA cache_size = -8192;"
	    "CREATE TABLE c (path TEXT NOT NULL, pkg TEXT NOT NULL);"
	    "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return contents_sqerr(ic, "create");
	if (sqlite3_prepare_v2(ic->sq, "INSERT INTO c (path, pkg) VALUES "
	    "(?1, ?2)", -1, &ic->ins, NULL) != SQLITE_OK)
		return contents_sqerr(ic, "prepare");
	for (i = 0; i < ic->nents; i++)
		if (contents_insert(ic, base + ic->ents[i].path,
		    strlen(base + ic->ents[i].path), base + ic->ents[i].pkg) ==
		    -1)
			return -1;
	buf_done(&ic->text);
	buf_init(&ic->text);
	free(ic->ents);
	ic->ents = NULL;
	ic->nents = ic->cap = 0;
	return 0;
}

int
index_contents_add(struct index_contents *ic, const char *qualname,
    const char *list, size_t len)
{
	const char	*p = list, *end = list + len, *nl;
	size_t		 pkg, n;

	if (ic->err[0] != '\0')
		return -1;
	pkg = ic->text.len;
	if (ic->sq == NULL)
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
			if (ic->sq != NULL) {
				if (contents_insert(ic, p, n, qualname) == -1)
					return -1;
				p = nl + 1;
				continue;
			}
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
			if (ic->spill_at > 0 && ic->nents >= ic->spill_at &&
			    contents_spill(ic) == -1)
				return -1;
		}
		p = nl + 1;
	}
	return 0;
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

/* One more (path, package) pair, in order: a new line, or one more
 * package on the line of the same path.  prev/prevpkg: the last pair
 * (empty before the first; paths are never empty). */
static int
contents_line(struct buf *out, const char *path, const char *pkg,
    struct buf *prev, struct buf *prevpkg,
    int (*flush)(void *, struct buf *), void *arg)
{
	size_t	plen;

	if (prev->len > 0 && strcmp(prev->data, path) == 0) {
		if (strcmp(prevpkg->data, pkg) == 0)
			return 0;
		buf_addc(out, ',');
		buf_adds(out, pkg);
		buf_reset(prevpkg);
		buf_adds(prevpkg, pkg);
		return 0;
	}
	if (prev->len > 0) {
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
	buf_adds(out, pkg);
	buf_reset(prev);
	buf_adds(prev, path);
	buf_reset(prevpkg);
	buf_adds(prevpkg, pkg);
	return 0;
}

int
index_contents_write_to(struct index_contents *ic, struct buf *out,
    int (*flush)(void *, struct buf *), void *arg)
{
	const char	*base = ic->text.data;
	struct buf	 prev, prevpkg;
	sqlite3_stmt	*sel = NULL;
	size_t		 i;
	int		 rc, rv = -1;

	if (ic->err[0] != '\0')
		return -1;
	buf_init(&prev);
	buf_init(&prevpkg);
	if (ic->sq != NULL) {
		if (sqlite3_prepare_v2(ic->sq, "SELECT path, pkg FROM c "
		    "ORDER BY path, pkg", -1, &sel, NULL) != SQLITE_OK) {
			contents_sqerr(ic, "sort");
			goto out;
		}
		while ((rc = sqlite3_step(sel)) == SQLITE_ROW)
			if (contents_line(out, (const char *)
			    sqlite3_column_text(sel, 0), (const char *)
			    sqlite3_column_text(sel, 1), &prev, &prevpkg,
			    flush, arg) == -1)
				goto out;
		if (rc != SQLITE_DONE) {
			contents_sqerr(ic, "sort");
			goto out;
		}
	} else if (ic->nents > 0) {
		qsort_r(ic->ents, ic->nents, sizeof(*ic->ents), contents_cmp,
		    (void *)(uintptr_t)base);
		for (i = 0; i < ic->nents; i++)
			if (contents_line(out, base + ic->ents[i].path,
			    base + ic->ents[i].pkg, &prev, &prevpkg, flush,
			    arg) == -1)
				goto out;
	}
	if (prev.len > 0)
		buf_addc(out, '\n');
	rv = flush != NULL ? flush(arg, out) : 0;
out:
	sqlite3_finalize(sel);
	buf_done(&prev);
	buf_done(&prevpkg);
	return rv;
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
	sqlite3_finalize(ic->ins);
	sqlite3_close(ic->sq);
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
