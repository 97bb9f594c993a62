/*
 * fsutil.h - files and paths: atomic writes, directories, validation.
 */
#ifndef DEBPIPE_FSUTIL_H
#define DEBPIPE_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* mkdir -p with mode for the created components. */
int	 fs_mkdirs(const char *path, mode_t mode, struct dp_error *err);

/* Write data to path atomically: path.tmp.<pid> in the same directory,
 * fsync, rename over path, fsync the directory.  mode as for open(2). */
int	 fs_write_atomic(const char *path, const void *data, size_t len,
	    mode_t mode, struct dp_error *err);

/* Read a whole file (at most max bytes; DP_ERR_INVALID beyond).  Caller
 * frees *data, which is NUL-terminated. */
int	 fs_read_file(const char *path, size_t max, char **data, size_t *len,
	    struct dp_error *err);

/* Replace (or create) symlink linkpath -> target atomically: make
 * linkpath.tmp.<pid> then rename(2) it over linkpath; fsync the dir. */
int	 fs_symlink_atomic(const char *target, const char *linkpath,
	    struct dp_error *err);

/* fsync a directory. */
int	 fs_fsync_dir(const char *dir, struct dp_error *err);

/* rm -rf (does not follow symlinks).  Missing path is not an error. */
int	 fs_remove_tree(const char *path, struct dp_error *err);

/* Copy a file (to a temp name then rename), preserving nothing. */
int	 fs_copy_file(const char *src, const char *dst, mode_t mode,
	    struct dp_error *err);

/* Hard link src to dst, falling back to a copy across file systems.
 * An existing dst is left alone (returns 0). */
int	 fs_link_or_copy(const char *src, const char *dst,
	    struct dp_error *err);

/*
 * A single path component that is safe to create on disk: not empty, not
 * "." or "..", no '/', no NUL, no control characters, not starting with
 * '-' or '.', at most 255 bytes.  1 if safe, 0 if not.
 */
int	 fs_name_is_safe(const char *name);

/* A relative path of safe components separated by single '/'. 1/0. */
int	 fs_relpath_is_safe(const char *path);

/* Join two path parts with one '/'.  Caller frees. */
char	*fs_join(const char *a, const char *b);

/* Exclusive advisory lock on path (created if missing); returns the fd
 * to keep open, or -1 (DP_ERR_BUSY if wait is 0 and someone holds it). */
int	 fs_lock(const char *path, int wait, struct dp_error *err);

#endif
