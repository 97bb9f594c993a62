/* mkdeb.h - build small .deb files with libarchive for the unit tests
 * (static helpers; include from one test file). */
#ifndef DEBPIPE_TESTS_MKDEB_H
#define DEBPIPE_TESTS_MKDEB_H

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

#include "xmalloc.h"

/* A gzip'd tar in memory with one regular file per (path, content)
 * pair; paths ending in '/' are directories.  NULL-terminated list. */
static char *
mkdeb_tar(const char *const *files, size_t *len)
{
	struct archive		*a;
	struct archive_entry	*e;
	size_t			 cap = 1024 * 1024, used = 0, n;
	char			*buf = xmalloc(cap);

	a = archive_write_new();
	archive_write_set_format_gnutar(a);
	archive_write_add_filter_gzip(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_memory(a, buf, cap, &used) != ARCHIVE_OK)
		abort();
	for (; files[0] != NULL; files += 2) {
		n = strlen(files[0]);
		e = archive_entry_new();
		archive_entry_set_pathname(e, files[0]);
		if (files[0][n - 1] == '/') {
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
			archive_entry_set_size(e, 0);
		} else {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_size(e, (la_int64_t)strlen(files[1]));
		}
		if (archive_write_header(a, e) != ARCHIVE_OK)
			abort();
		if (files[0][n - 1] != '/')
			archive_write_data(a, files[1], strlen(files[1]));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	*len = used;
	return buf;
}

/* Write a .deb with the given control text; payload varies the content
 * of the one data file (so two debs with equal control can differ). */
static void
mkdeb(const char *path, const char *control, const char *payload)
{
	const char *const cfiles[] = { "./", "", "./control", control, NULL };
	const char *const dfiles[] = {
		"./", "", "./usr/", "", "./usr/share/", "",
		"./usr/share/payload", payload, NULL
	};
	struct archive		*a;
	struct archive_entry	*e;
	char			*tars[2];
	size_t			 lens[2];
	const char		*names[3] = {
		"debian-binary", "control.tar.gz", "data.tar.gz"
	};
	const void		*datas[3];
	size_t			 sizes[3], i;

	tars[0] = mkdeb_tar(cfiles, &lens[0]);
	tars[1] = mkdeb_tar(dfiles, &lens[1]);
	datas[0] = "2.0\n";
	sizes[0] = 4;
	datas[1] = tars[0];
	sizes[1] = lens[0];
	datas[2] = tars[1];
	sizes[2] = lens[1];
	a = archive_write_new();
	archive_write_set_format_ar_svr4(a);
	archive_write_add_filter_none(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK)
		abort();
	for (i = 0; i < 3; i++) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, names[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)sizes[i]);
		if (archive_write_header(a, e) != ARCHIVE_OK)
			abort();
		archive_write_data(a, datas[i], sizes[i]);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	free(tars[0]);
	free(tars[1]);
}

#endif
