/*
 * debfile.h - read a binary package (.deb) with libarchive.
 *
 * A .deb is an ar archive: debian-binary ("2.x\n"), control.tar[.gz|.xz|
 * .zst], data.tar[.gz|.xz|.zst|.bz2], optionally followed by members whose
 * names start with '_'.  Anything else -- not ar, empty, truncated, members
 * missing or out of order, a control member over DEBFILE_CONTROL_MAX -- is
 * refused with DP_ERR_ARCHIVE or DP_ERR_INVALID, naming the file.
 *
 * The whole file is read sequentially exactly once; a tee callback sees
 * every byte in order, so a caller can hash and copy the file in the same
 * pass (see pool.c).  data.tar is decompressed only for DEBFILE_CONTENTS.
 */
#ifndef DEBPIPE_DEBFILE_H
#define DEBPIPE_DEBFILE_H

#include <stddef.h>

#include "error.h"

struct archive;

#define DEBFILE_CONTROL_MAX	(1024 * 1024)	/* control member and file */
#define DEBFILE_CONTENTS_MAX	(256 * 1024 * 1024) /* file list text */

enum {
	DEBFILE_CONTENTS = 1 << 0,	/* list data.tar (paths, no dirs) */
};

struct debfile {
	char	*control;		/* text of ./control, NUL-terminated */
	size_t	 control_len;
	char	*contents;		/* "usr/bin/x\n..." or NULL */
	size_t	 contents_len;
	char	 control_member[32];	/* "control.tar.xz" */
	char	 data_member[32];	/* "data.tar.xz" */
};

/* Called with every byte of the file, in order; -1 stops the read. */
typedef int (*debfile_tee_cb)(const void *buf, size_t len, void *arg,
    struct dp_error *err);

/* Read path into *deb (zeroed first; free with debfile_done, also after
 * a failure). */
int	 debfile_read(const char *path, int flags, struct debfile *deb,
	    struct dp_error *err);
/* The same from an open fd positioned at the start; name is used in
 * messages.  With tee, the fd is read to its end. */
int	 debfile_read_fd(int fd, const char *name, int flags,
	    debfile_tee_cb tee, void *arg, struct debfile *deb,
	    struct dp_error *err);
void	 debfile_done(struct debfile *deb);

/* The libarchive adapter: DP_ERR_ARCHIVE, "what: archive message". */
void	 dp_error_archive(struct dp_error *err, struct archive *a,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
