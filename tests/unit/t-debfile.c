/* t-debfile.c - reading .deb files: good ones (several compressions),
 * and every way a bad one is refused (not ar, empty, truncated anywhere,
 * wrong members, oversized control). */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "debfile.h"
#include "fsutil.h"
#include "hash.h"
#include "xmalloc.h"

static char tmpdir[64];

static const char CONTROL[] =
    "Package: hello\n"
    "Version: 1.0-1\n"
    "Architecture: amd64\n"
    "Maintainer: Test <t@example.org>\n"
    "Description: greet\n"
    " the world\n";

struct member {
	const char	*name;
	const void	*data;
	size_t		 len;
};

struct tentry {
	const char	*path;
	int		 type;		/* AE_IFREG, AE_IFDIR, AE_IFLNK */
	const char	*data;		/* file content or link target */
};

/* A tar in memory; filter "gzip", "xz", "zstd" or NULL. */
static char *
make_tar(const struct tentry *ents, const char *filter, size_t *len)
{
	struct archive		*a;
	struct archive_entry	*e;
	size_t			 cap = 4 * 1024 * 1024, used = 0;
	char			*buf = xmalloc(cap);

	a = archive_write_new();
	archive_write_set_format_gnutar(a);
	if (filter == NULL)
		archive_write_add_filter_none(a);
	else if (archive_write_add_filter_by_name(a, filter) != ARCHIVE_OK) {
		archive_write_free(a);
		free(buf);
		return NULL;
	}
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used),
	    ARCHIVE_OK);
	for (; ents->path != NULL; ents++) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, ents->path);
		archive_entry_set_filetype(e, (unsigned)ents->type);
		archive_entry_set_perm(e, ents->type == AE_IFDIR ? 0755 :
		    0644);
		if (ents->type == AE_IFLNK)
			archive_entry_set_symlink(e, ents->data);
		archive_entry_set_size(e, ents->type == AE_IFREG ?
		    (la_int64_t)strlen(ents->data) : 0);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (ents->type == AE_IFREG)
			archive_write_data(a, ents->data, strlen(ents->data));
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	*len = used;
	return buf;
}

static void
write_ar(const char *path, const struct member *m, size_t n)
{
	struct archive		*a;
	struct archive_entry	*e;
	size_t			 i;

	a = archive_write_new();
	archive_write_set_format_ar_svr4(a);
	archive_write_add_filter_none(a);
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)m[i].len);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		archive_write_data(a, m[i].data, m[i].len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static const struct tentry DATA_ENTS[] = {
	{ "./", AE_IFDIR, NULL },
	{ "./usr/", AE_IFDIR, NULL },
	{ "./usr/bin/", AE_IFDIR, NULL },
	{ "./usr/bin/hello", AE_IFREG, "#!/bin/sh\necho hello\n" },
	{ "./usr/bin/hi", AE_IFLNK, "hello" },
	{ "./usr/share/doc/hello/", AE_IFDIR, NULL },
	{ "./usr/share/doc/hello/README", AE_IFREG, "read me\n" },
	{ NULL, 0, NULL },
};

static const char *
ext(const char *filter)
{
	if (filter == NULL)
		return "";
	if (strcmp(filter, "gzip") == 0)
		return ".gz";
	if (strcmp(filter, "zstd") == 0)
		return ".zst";
	if (strcmp(filter, "bzip2") == 0)
		return ".bz2";
	return ".xz";
}

/* A good .deb; returns its path (static buffer per name). */
static char *
make_deb(const char *name, const char *cfilter, const char *dfilter,
    const char *control)
{
	struct tentry	 cents[] = {
		{ "./", AE_IFDIR, NULL },
		{ "./md5sums", AE_IFREG, "x  usr/bin/hello\n" },
		{ "./control", AE_IFREG, control },
		{ NULL, 0, NULL },
	};
	struct member	 m[3];
	char		*ctar, *dtar, *path;
	char		 cname[32], dname[32];
	size_t		 clen, dlen;

	ctar = make_tar(cents, cfilter, &clen);
	dtar = make_tar(DATA_ENTS, dfilter, &dlen);
	if (ctar == NULL || dtar == NULL) {
		free(ctar);
		free(dtar);
		return NULL;
	}
	snprintf(cname, sizeof(cname), "control.tar%s", ext(cfilter));
	snprintf(dname, sizeof(dname), "data.tar%s", ext(dfilter));
	m[0] = (struct member){ "debian-binary", "2.0\n", 4 };
	m[1] = (struct member){ cname, ctar, clen };
	m[2] = (struct member){ dname, dtar, dlen };
	path = xasprintf("%s/%s", tmpdir, name);
	write_ar(path, m, 3);
	free(ctar);
	free(dtar);
	return path;
}

static void
slurp(const char *path, char **data, size_t *len)
{
	struct dp_error err;

	assert_int_equal(fs_read_file(path, 64 * 1024 * 1024, data, len,
	    &err), 0);
}

static void
spew(const char *path, const void *data, size_t len)
{
	struct dp_error err;

	assert_int_equal(fs_write_atomic(path, data, len, 0644, &err), 0);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/t-debfile.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int
teardown(void **state)
{
	struct dp_error err;

	(void)state;
	fs_remove_tree(tmpdir, &err);
	return 0;
}

static void
test_good(void **state)
{
	static const char *const filters[][2] = {
		{ "gzip", "xz" }, { "xz", "gzip" }, { NULL, NULL },
		{ "zstd", "zstd" }, { "gzip", "bzip2" },
	};
	struct debfile	 deb;
	struct dp_error	 err;
	char		*path;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		path = make_deb("good.deb", filters[i][0], filters[i][1],
		    CONTROL);
		if (path == NULL)	/* libarchive without that writer */
			continue;
		if (debfile_read(path, 0, &deb, &err) != 0)
			fail_msg("%zu: %s", i, err.msg);
		assert_string_equal(deb.control, CONTROL);
		assert_int_equal(deb.control_len, strlen(CONTROL));
		assert_null(deb.contents);
		debfile_done(&deb);

		if (debfile_read(path, DEBFILE_CONTENTS, &deb, &err) != 0)
			fail_msg("%zu: %s", i, err.msg);
		assert_non_null(deb.contents);
		assert_string_equal(deb.contents, "usr/bin/hello\nusr/bin/hi\n"
		    "usr/share/doc/hello/README\n");
		assert_non_null(strstr(deb.data_member, "data.tar"));
		debfile_done(&deb);
		free(path);
	}
}

struct tee_state {
	struct hash_ctx	*h;
	int		 fail_after;
	size_t		 seen;
};

static int
tee_cb(const void *buf, size_t len, void *arg, struct dp_error *err)
{
	struct tee_state *ts = arg;

	if (ts->fail_after >= 0 && ts->seen >= (size_t)ts->fail_after) {
		dp_error_set(err, DP_ERR_SYSTEM, "tee says no");
		return -1;
	}
	hash_update(ts->h, buf, len);
	ts->seen += len;
	return 0;
}

static void
test_tee(void **state)
{
	struct tee_state	 ts;
	struct hash_sums	 a, b;
	struct debfile		 deb;
	struct dp_error		 err;
	char			*path;
	int			 fd, flags;

	(void)state;
	path = make_deb("tee.deb", "gzip", "xz", CONTROL);
	assert_int_equal(hash_file(path, &a, &err), 0);
	for (flags = 0; flags <= DEBFILE_CONTENTS; flags++) {
		ts.h = hash_new();
		ts.fail_after = -1;
		ts.seen = 0;
		assert_true((fd = open(path, O_RDONLY)) != -1);
		assert_int_equal(debfile_read_fd(fd, path, flags, tee_cb, &ts,
		    &deb, &err), 0);
		close(fd);
		hash_final(ts.h, &b);
		assert_int_equal(a.size, b.size);
		assert_string_equal(a.sha256, b.sha256);
		debfile_done(&deb);
		hash_free(ts.h);
	}
	/* a failing tee stops the read with its own message */
	ts.h = hash_new();
	ts.fail_after = 0;
	ts.seen = 0;
	assert_true((fd = open(path, O_RDONLY)) != -1);
	assert_int_equal(debfile_read_fd(fd, path, 0, tee_cb, &ts, &deb, &err),
	    -1);
	assert_string_equal(err.msg, "tee says no");
	close(fd);
	hash_free(ts.h);
	free(path);
}

static void
expect_bad(const char *path, const char *needle)
{
	struct debfile	deb;
	struct dp_error	err;
	int		flags;

	for (flags = 0; flags <= DEBFILE_CONTENTS; flags++) {
		dp_error_clear(&err);
		if (debfile_read(path, flags, &deb, &err) != -1)
			fail_msg("%s accepted (flags %d)", path, flags);
		assert_null(deb.control);
		assert_null(deb.contents);
		assert_non_null(strstr(err.msg, path));
		if (needle != NULL && strstr(err.msg, needle) == NULL)
			fail_msg("'%s' does not mention '%s'", err.msg, needle);
		debfile_done(&deb);
	}
}

static void
test_not_deb(void **state)
{
	char *path;

	(void)state;
	path = xasprintf("%s/empty.deb", tmpdir);
	spew(path, "", 0);
	expect_bad(path, "empty");
	free(path);

	path = xasprintf("%s/text.deb", tmpdir);
	spew(path, "hello, world\n", 13);
	expect_bad(path, "not an ar archive");
	free(path);

	/* a tar file is not a .deb either */
	path = xasprintf("%s/tar.deb", tmpdir);
	{
		size_t	 len;
		char	*t = make_tar(DATA_ENTS, NULL, &len);

		spew(path, t, len);
		free(t);
	}
	expect_bad(path, "not an ar archive");
	free(path);

	path = xasprintf("%s/arch.deb", tmpdir);
	spew(path, "!<arch>\n", 8);
	expect_bad(path, "debian-binary");
	free(path);

	path = xasprintf("%s/missing.deb", tmpdir);
	expect_bad(path, "No such file");
	free(path);

	path = xstrdup(tmpdir);
	expect_bad(path, "directory");
	free(path);
}

static void
test_truncated(void **state)
{
	char	*good, *data, *path;
	size_t	 len, cut;

	(void)state;
	good = make_deb("full.deb", "gzip", "xz", CONTROL);
	slurp(good, &data, &len);
	path = xasprintf("%s/cut.deb", tmpdir);
	/* Every proper prefix is refused (an odd-sized last member's
	 * padding byte is all that may be missing). */
	for (cut = 1; cut < len; cut++) {
		struct debfile	deb;
		struct dp_error	err;
		int		flags;

		spew(path, data, cut);
		for (flags = 0; flags <= DEBFILE_CONTENTS; flags++) {
			if (debfile_read(path, flags, &deb, &err) == 0) {
				debfile_done(&deb);
				if (cut == len - 1 && data[len - 1] == '\n')
					continue;
				fail_msg("prefix of %zu/%zu bytes accepted "
				    "(flags %d)", cut, len, flags);
			}
			assert_non_null(strstr(err.msg, path));
		}
	}
	free(path);
	free(data);
	free(good);
}

static void
test_members(void **state)
{
	static const struct tentry cents[] = {
		{ "./control", AE_IFREG, CONTROL }, { NULL, 0, NULL },
	};
	static const struct tentry nocontrol[] = {
		{ "./postinst", AE_IFREG, "#!/bin/sh\n" }, { NULL, 0, NULL },
	};
	struct member	 m[4];
	char		*ctar, *dtar, *badctar, *path, *big;
	size_t		 clen, dlen, badlen;
	struct debfile	 deb;
	struct dp_error	 err;
	struct tentry	 bigents[2];

	(void)state;
	ctar = make_tar(cents, "gzip", &clen);
	dtar = make_tar(DATA_ENTS, "xz", &dlen);
	badctar = make_tar(nocontrol, "gzip", &badlen);
	path = xasprintf("%s/m.deb", tmpdir);

	/* wrong order */
	m[0] = (struct member){ "control.tar.gz", ctar, clen };
	m[1] = (struct member){ "debian-binary", "2.0\n", 4 };
	m[2] = (struct member){ "data.tar.xz", dtar, dlen };
	write_ar(path, m, 3);
	expect_bad(path, "debian-binary");

	/* unsupported format version */
	m[0] = (struct member){ "debian-binary", "3.0\n", 4 };
	m[1] = (struct member){ "control.tar.gz", ctar, clen };
	write_ar(path, m, 3);
	expect_bad(path, "format version");

	/* no data member */
	m[0] = (struct member){ "debian-binary", "2.0\n", 4 };
	write_ar(path, m, 2);
	expect_bad(path, "data.tar");

	/* unknown compression */
	m[2] = (struct member){ "data.tar.rar", dtar, dlen };
	write_ar(path, m, 3);
	expect_bad(path, "data.tar.rar");

	/* extra members: '_' ones are allowed, others not */
	m[2] = (struct member){ "data.tar.xz", dtar, dlen };
	m[3] = (struct member){ "_gpgorigin", "sig", 3 };
	write_ar(path, m, 4);
	assert_int_equal(debfile_read(path, 0, &deb, &err), 0);
	debfile_done(&deb);
	m[3] = (struct member){ "evil", "sig", 3 };
	write_ar(path, m, 4);
	expect_bad(path, "evil");

	/* control.tar without ./control */
	m[1] = (struct member){ "control.tar.gz", badctar, badlen };
	write_ar(path, m, 3);
	expect_bad(path, "no control file");

	/* corrupt control.tar.gz */
	m[1] = (struct member){ "control.tar.gz", "garbage!", 8 };
	write_ar(path, m, 3);
	expect_bad(path, "control.tar.gz");

	/* corrupt data.tar.xz is only noticed when it is read */
	m[1] = (struct member){ "control.tar.gz", ctar, clen };
	m[2] = (struct member){ "data.tar.xz", "garbage!", 8 };
	write_ar(path, m, 3);
	assert_int_equal(debfile_read(path, 0, &deb, &err), 0);
	debfile_done(&deb);
	assert_int_equal(debfile_read(path, DEBFILE_CONTENTS, &deb, &err),
	    -1);
	assert_non_null(strstr(err.msg, "data.tar.xz"));
	debfile_done(&deb);

	/* control member over the limit (uncompressed) */
	big = xmalloc(DEBFILE_CONTROL_MAX + 2);
	memset(big, 'x', DEBFILE_CONTROL_MAX + 1);
	big[DEBFILE_CONTROL_MAX + 1] = '\0';
	bigents[0] = (struct tentry){ "./control", AE_IFREG, big };
	bigents[1] = (struct tentry){ NULL, 0, NULL };
	free(ctar);
	ctar = make_tar(bigents, NULL, &clen);
	m[1] = (struct member){ "control.tar", ctar, clen };
	m[2] = (struct member){ "data.tar.xz", dtar, dlen };
	write_ar(path, m, 3);
	expect_bad(path, "too large");
	/* ... and compressed small but the control file itself too big */
	free(ctar);
	ctar = make_tar(bigents, "gzip", &clen);
	m[1] = (struct member){ "control.tar.gz", ctar, clen };
	write_ar(path, m, 3);
	expect_bad(path, "too large");

	free(big);
	free(path);
	free(ctar);
	free(dtar);
	free(badctar);
}

static void
test_error_archive(void **state)
{
	struct dp_error	 err;
	struct archive	*a;

	(void)state;
	a = archive_read_new();
	archive_set_error(a, 5, "boom");
	dp_error_archive(&err, a, "reading %s", "x.deb");
	assert_int_equal(err.code, DP_ERR_ARCHIVE);
	assert_string_equal(err.msg, "reading x.deb: boom");
	archive_read_free(a);
	dp_error_archive(&err, NULL, "nothing");
	assert_string_equal(err.msg, "nothing: unknown libarchive error");
	dp_error_archive(NULL, NULL, "ignored");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_tee),
		cmocka_unit_test(test_not_deb),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_error_archive),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
