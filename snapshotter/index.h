/*
 * index.h - the text of apt repository index files: Packages and Sources
 * paragraphs, Contents-<arch>, Release.  Pure formatting: no files, no
 * database (tree.c and release.c feed it).
 *
 * Field order follows Debian's archive: a Packages paragraph is the
 * package's control paragraph as stored at ingest, then Filename, Size,
 * MD5sum, SHA1, SHA256; Release is Origin, Label, Suite, Codename, Date,
 * Acquire-By-Hash, No-Support-for-Architecture-all, Architectures,
 * Components, Description, Snapshots, MD5Sum, SHA256.
 */
#ifndef DEBPIPE_INDEX_H
#define DEBPIPE_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "xmalloc.h"

/* Append one Packages paragraph (and the blank line after it).  control is
 * the stored control paragraph (trailing newlines are ignored);
 * pool_path is relative to the pool ("main/h/hello/hello_1.0_all.deb"). */
void	 index_packages_para(struct buf *out, const char *control,
	    const char *pool_path, uint64_t size, const char *md5,
	    const char *sha1, const char *sha256);

/* Append one Sources paragraph (a ready paragraph; blank line after). */
void	 index_sources_para(struct buf *out, const char *control);

/* The value of field name in a stored paragraph, copied (caller frees),
 * or NULL.  Only single-line fields (Section, Package ...). */
char	*index_para_field(const char *para, const char *name);

/*
 * Contents-<arch>: "path   section/package[,section/package...]" lines,
 * sorted by path.  Feed each package's file list (paths separated by
 * newlines, leading "./" or "/" ignored) with its qualified name.
 */
struct index_contents;
struct index_contents *index_contents_new(void);
/* -1 when the temporary sort database failed (index_contents_error). */
int	 index_contents_add(struct index_contents *, const char *qualname,
	    const char *list, size_t len);
/* Past n pairs (default about a million; 0: never) they are sorted in a
 * temporary database instead of in memory. */
void	 index_contents_spill_at(struct index_contents *, size_t n);
const char *index_contents_error(const struct index_contents *);
void	 index_contents_write(struct index_contents *, struct buf *out);
/* The same, handing out to flush (which empties it) whenever it holds a
 * mebibyte or more, and at the end: the file need not fit in memory.
 * Returns -1 as soon as flush does (or the sort fails), else 0. */
int	 index_contents_write_to(struct index_contents *, struct buf *out,
	    int (*flush)(void *, struct buf *), void *arg);
void	 index_contents_free(struct index_contents *);	/* NULL no-op */

/* One line of the checksum sections of Release. */
struct index_release_file {
	char		*path;		/* relative to dists/<dist>/ */
	uint64_t	 size;
	char		 md5[33];
	char		 sha256[65];
};

struct index_release {
	const char	*origin;
	const char	*label;
	const char	*suite;
	const char	*codename;
	const char	*description;	/* may be NULL */
	const char	*snapshots;	/* "<url>/snapshots/@SNAPSHOTID@" or NULL */
	time_t		 date;
	char *const	*archs;		/* NULL-terminated, as configured */
	char *const	*components;	/* NULL-terminated */
	int		 no_support_all; /* "all" packages are in each arch */
	struct index_release_file *files;
	size_t		 nfiles;
};

/* Append the Release text; files are listed sorted by path. */
void	 index_release_write(const struct index_release *rel,
	    struct buf *out);

/* RFC 2822 date in UTC as in Debian's Release files:
 * "Sun, 22 Nov 2026 01:30:00 UTC" (C locale, whatever the process'). */
void	 index_date(time_t t, char *out, size_t outlen);

#endif
