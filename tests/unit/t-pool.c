/* t-pool.c - pool_add: rows and files for .deb and .dsc, idempotence,
 * conflicts, and every refusal leaving pool and database unchanged. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "fsutil.h"
#include "hash.h"
#include "pool.h"
#include "xmalloc.h"

#include "mkdeb.h"

struct fixture {
	char			*dir;
	char			*in;		/* input files */
	struct config		 cfg;
	struct conf_dist	 dists[2];
	struct db		*db;
};

static char *components[] = { "main", "contrib", NULL };
static char *archs[] = { "amd64", "arm64", NULL };

static int
setup(void **state)
{
	struct fixture	*f = xcalloc(1, sizeof(*f));
	struct dp_error	 err;
	char		 tmpl[] = "/tmp/t-pool.XXXXXX";
	char		*dbpath;

	assert_non_null(mkdtemp(tmpl));
	f->dir = xstrdup(tmpl);
	f->in = xasprintf("%s/in", f->dir);
	assert_int_equal(mkdir(f->in, 0755), 0);
	f->cfg.path = "test.conf";
	f->cfg.state_dir = f->dir;
	f->cfg.public_dir = xasprintf("%s/public", f->dir);
	f->dists[0].name = "bookworm";
	f->dists[0].components = components;
	f->dists[0].archs = archs;
	f->dists[1].name = "trixie";
	f->dists[1].components = components;
	f->dists[1].archs = archs;
	f->dists[1].contents = 1;
	f->cfg.dists = f->dists;
	f->cfg.ndists = 2;
	dbpath = xasprintf("%s/state.db", f->dir);
	if (db_open(dbpath, &f->db, &err) != 0)
		fail_msg("%s", err.msg);
	free(dbpath);
	*state = f;
	return 0;
}

/* The same tests with copies instead of hard links. */
static int
setup_copy(void **state)
{
	setenv("DEBPIPE_POOL_COPY", "1", 1);
	return setup(state);
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	struct dp_error	 err;

	unsetenv("DEBPIPE_POOL_COPY");

	db_close(f->db);
	fs_remove_tree(f->dir, &err);
	free(f->cfg.public_dir);
	free(f->in);
	free(f->dir);
	free(f);
	return 0;
}

static char *
control(const char *name, const char *version, const char *arch,
    const char *extra)
{
	return xasprintf("Package: %s\nVersion: %s\nArchitecture: %s\n"
	    "Maintainer: T <t@example.org>\n%sDescription: test\n"
	    " long text\n .\n more\n", name, version, arch,
	    extra != NULL ? extra : "");
}

/* Build a .deb in the input dir; caller frees the path. */
static char *
deb(struct fixture *f, const char *file, const char *ctl, const char *payload)
{
	char *path = xasprintf("%s/%s", f->in, file);

	mkdeb(path, ctl, payload);
	return path;
}

/* Everything a failed call must leave alone: the pool tree (names,
 * sizes) and every row of the pool tables. */
static void
tree(struct buf *b, const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*p;
	char		**names = NULL;
	size_t		 n = 0, i, j;

	if ((d = opendir(dir)) == NULL) {
		buf_printf(b, "(no %s)\n", dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	for (i = 0; i < n; i++)		/* sort for a stable listing */
		for (j = i + 1; j < n; j++)
			if (strcmp(names[i], names[j]) > 0) {
				p = names[i];
				names[i] = names[j];
				names[j] = p;
			}
	for (i = 0; i < n; i++) {
		p = xasprintf("%s/%s", dir, names[i]);
		assert_int_equal(lstat(p, &sb), 0);
		buf_printf(b, "%s %lld\n", p, (long long)(S_ISDIR(sb.st_mode) ?
		    -1 : sb.st_size));
		if (S_ISDIR(sb.st_mode))
			tree(b, p);
		free(p);
		free(names[i]);
	}
	free(names);
}

static char *
state_dump(struct fixture *f)
{
	static const char *const queries[] = {
		"SELECT id, path, size, md5, sha1, sha256 FROM files",
		"SELECT id, dist, component, name, version, arch, source, "
		    "source_version, file_id, control, contents, origin "
		    "FROM packages",
		"SELECT id, dist, component, name, version, directory, "
		    "control, dsc_file_id FROM sources",
		"SELECT source_id, file_id FROM source_files",
		NULL,
	};
	struct buf	 b;
	sqlite3_stmt	*st;
	char		*pool;
	int		 i, q;

	buf_init(&b);
	pool = config_pool_dir(&f->cfg);
	tree(&b, pool);
	free(pool);
	for (q = 0; queries[q] != NULL; q++) {
		assert_int_equal(db_prepare(f->db, queries[q], &st, NULL), 0);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (i = 0; i < sqlite3_column_count(st); i++)
				buf_printf(&b, "%s|", sqlite3_column_text(st,
				    i) ? (const char *)sqlite3_column_text(st,
				    i) : "NULL");
			buf_addc(&b, '\n');
		}
		sqlite3_finalize(st);
	}
	return buf_steal(&b);
}

static int64_t
count(struct fixture *f, const char *sql)
{
	int64_t n = -1;

	assert_int_equal(db_query_int(f->db, sql, &n, NULL), 0);
	return n;
}

static char *
query_text(struct fixture *f, const char *sql)
{
	sqlite3_stmt	*st;
	char		*s = NULL;

	assert_int_equal(db_prepare(f->db, sql, &st, NULL), 0);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		s = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return s;
}

static int
add(struct fixture *f, const char *dist, char **paths,
    struct pool_added **added, size_t *n, struct dp_error *err)
{
	struct pool_add_opts opts = { dist, NULL, NULL,
	    getenv("DEBPIPE_POOL_COPY") == NULL, NULL, NULL };

	dp_error_clear(err);
	return pool_add(f->db, &f->cfg, paths, &opts, added, n, err);
}

/* pool_add must fail with code, naming needle, and change nothing. */
static void
refused(struct fixture *f, const char *dist, char **paths, int code,
    const char *needle)
{
	struct dp_error	 err;
	char		*before, *after;
	size_t		 n = 99;
	struct pool_added *added = (void *)1;

	before = state_dump(f);
	if (add(f, dist, paths, &added, &n, &err) != -1)
		fail_msg("accepted %s", paths[0]);
	assert_null(added);
	assert_int_equal(n, 0);
	if (code != 0 && err.code != code)
		fail_msg("code %d, not %d: %s", err.code, code, err.msg);
	if (needle != NULL && strstr(err.msg, needle) == NULL)
		fail_msg("'%s' does not mention '%s'", err.msg, needle);
	after = state_dump(f);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void
test_dir_for(void **state)
{
	char *s;

	(void)state;
	s = pool_dir_for("main", "hello");
	assert_string_equal(s, "main/h/hello");
	free(s);
	s = pool_dir_for("main", "libfoo");
	assert_string_equal(s, "main/libf/libfoo");
	free(s);
	s = pool_dir_for("contrib", "lib");
	assert_string_equal(s, "contrib/l/lib");
	free(s);
	s = pool_dir_for("main", "0ad");
	assert_string_equal(s, "main/0/0ad");
	free(s);
}

static void
test_add_deb(void **state)
{
	struct fixture		*f = *state;
	struct pool_added	*added = NULL;
	struct hash_sums	 sums;
	struct dp_error		 err;
	char			*ctl, *paths[3], *s, *pool, *file;
	size_t			 n;

	ctl = xasprintf("Package: hello\nVersion: 1:2.0-1\nPriority: optional"
	    "\nX-Custom: yes\nArchitecture: amd64\nDescription: greet\n"
	    " the world\n .\n twice\nSection: misc\nDepends: libc6\n"
	    "Installed-Size: 12\nMaintainer: T <t@example.org>\n"
	    "Source: hello-src (1:2.0-0.1)\nMulti-Arch: foreign\n");
	paths[0] = deb(f, "whatever.deb", ctl, "one");
	free(ctl);
	ctl = control("libhello1", "1.0", "all", "Source: libhello\n");
	paths[1] = deb(f, "libhello1.deb", ctl, "lib");
	free(ctl);
	paths[2] = NULL;

	if (add(f, "bookworm", paths, &added, &n, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(n, 2);
	assert_string_equal(added[0].name, "hello");
	assert_string_equal(added[0].version, "1:2.0-1");
	assert_string_equal(added[0].arch, "amd64");
	assert_int_equal(added[0].existed, 0);
	assert_true(added[0].id > 0);
	assert_string_equal(added[1].name, "libhello1");
	pool_added_free(added, n);

	/* the file, under its canonical name */
	pool = config_pool_dir(&f->cfg);
	file = xasprintf("%s/main/h/hello-src/hello_2.0-1_amd64.deb", pool);
	assert_int_equal(hash_file(file, &sums, &err), 0);
	s = query_text(f, "SELECT path || ' ' || size || ' ' || md5 || ' ' || "
	    "sha1 || ' ' || sha256 FROM files WHERE id = (SELECT file_id FROM "
	    "packages WHERE name = 'hello')");
	{
		char *want = xasprintf("main/h/hello-src/hello_2.0-1_amd64.deb "
		    "%llu %s %s %s", (unsigned long long)sums.size, sums.md5,
		    sums.sha1, sums.sha256);

		assert_string_equal(s, want);
		free(want);
	}
	free(s);
	{
		struct stat	 in, out;

		assert_int_equal(stat(paths[0], &in), 0);
		assert_int_equal(stat(file, &out), 0);
		if (getenv("DEBPIPE_POOL_COPY") == NULL) {
			/* hard link, sealed read-only */
			assert_int_equal(in.st_ino, out.st_ino);
			assert_int_equal(out.st_mode & 07777, 0444);
		} else {
			assert_int_not_equal(in.st_ino, out.st_ino);
			assert_int_equal(out.st_mode & 07777, 0644);
			assert_int_equal(in.st_mode & 0200, 0200);
		}
	}
	free(file);
	file = xasprintf("%s/main/libh/libhello/libhello1_1.0_all.deb", pool);
	assert_int_equal(access(file, R_OK), 0);
	free(file);

	/* the row */
	s = query_text(f, "SELECT dist || ' ' || component || ' ' || source "
	    "|| ' ' || source_version || ' ' || origin || ' ' || "
	    "coalesce(contents, 'NULL') FROM packages WHERE name = 'hello'");
	assert_string_equal(s, "bookworm main hello-src 1:2.0-0.1 add NULL");
	free(s);
	s = query_text(f, "SELECT source || ' ' || source_version FROM "
	    "packages WHERE name = 'libhello1'");
	assert_string_equal(s, "libhello 1.0");
	free(s);
	/* the control paragraph, in archive order, others after */
	s = query_text(f, "SELECT control FROM packages WHERE name = 'hello'");
	assert_string_equal(s,
	    "Package: hello\n"
	    "Source: hello-src (1:2.0-0.1)\n"
	    "Version: 1:2.0-1\n"
	    "Installed-Size: 12\n"
	    "Maintainer: T <t@example.org>\n"
	    "Architecture: amd64\n"
	    "Depends: libc6\n"
	    "Section: misc\n"
	    "Priority: optional\n"
	    "Description: greet\n"
	    " the world\n"
	    " .\n"
	    " twice\n"
	    "X-Custom: yes\n"
	    "Multi-Arch: foreign\n");
	free(s);
	/* no temporary files left */
	s = xasprintf("%s/main/h/hello-src", pool);
	{
		DIR		*d = opendir(s);
		struct dirent	*de;
		int		 files = 0;

		assert_non_null(d);
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.' || strlen(de->d_name) > 2)
				files++;
		closedir(d);
		assert_int_equal(files, 1);
	}
	free(s);
	free(pool);

	/* again: accepted, existed, no new rows */
	if (add(f, "bookworm", paths, &added, &n, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(n, 2);
	assert_int_equal(added[0].existed, 1);
	assert_int_equal(added[1].existed, 1);
	pool_added_free(added, n);
	assert_int_equal(count(f, "SELECT count(*) FROM packages"), 2);
	assert_int_equal(count(f, "SELECT count(*) FROM files"), 2);

	/* a pool file removed by hand is put back by adding it again */
	pool = config_pool_dir(&f->cfg);
	file = xasprintf("%s/main/h/hello-src/hello_2.0-1_amd64.deb", pool);
	assert_int_equal(unlink(file), 0);
	if (add(f, "bookworm", paths, &added, &n, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(added[0].existed, 1);
	pool_added_free(added, n);
	assert_int_equal(access(file, R_OK), 0);
	free(file);
	free(pool);

	/* the same file into another distribution: one file, two rows,
	 * and Contents there */
	if (add(f, "trixie", paths, &added, &n, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(added[0].existed, 0);
	pool_added_free(added, n);
	assert_int_equal(count(f, "SELECT count(*) FROM packages"), 4);
	assert_int_equal(count(f, "SELECT count(*) FROM files"), 2);
	s = query_text(f, "SELECT contents FROM packages WHERE name = 'hello' "
	    "AND dist = 'trixie'");
	assert_string_equal(s, "usr/share/payload\n");
	free(s);

	free(paths[0]);
	free(paths[1]);
}

static void
test_conflicts(void **state)
{
	struct fixture		*f = *state;
	struct pool_added	*added = NULL;
	struct dp_error		 err;
	char			*ctl, *paths[3], *pool, *file;
	size_t			 n;

	ctl = control("hello", "1.0", "amd64", NULL);
	paths[0] = deb(f, "a.deb", ctl, "first");
	paths[1] = NULL;
	if (add(f, "bookworm", paths, &added, &n, &err) != 0)
		fail_msg("%s", err.msg);
	pool_added_free(added, n);

	/* same name/version/arch, different content */
	free(paths[0]);
	paths[0] = deb(f, "b.deb", ctl, "second");
	refused(f, "bookworm", paths, DP_ERR_EXISTS, "different content");
	/* ... in another distribution the pool file still conflicts */
	refused(f, "trixie", paths, DP_ERR_EXISTS, "different content");

	/* a file on disk without a row (a crash leftover): identical is
	 * adopted, different is refused and never overwritten */
	pool = config_pool_dir(&f->cfg);
	file = xasprintf("%s/main/h/hello/hello_2.0_amd64.deb", pool);
	free(ctl);
	ctl = control("hello", "2.0", "amd64", NULL);
	free(paths[0]);
	paths[0] = deb(f, "c.deb", ctl, "two");
	assert_int_equal(fs_copy_file(paths[0], file, 0644, &err), 0);
	if (add(f, "bookworm", paths, &added, &n, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(added[0].existed, 0);
	pool_added_free(added, n);

	free(file);
	file = xasprintf("%s/main/h/hello/hello_3.0_amd64.deb", pool);
	assert_int_equal(fs_write_atomic(file, "other", 5, 0644, &err), 0);
	free(ctl);
	ctl = control("hello", "3.0", "amd64", NULL);
	free(paths[0]);
	paths[0] = deb(f, "d.deb", ctl, "three");
	refused(f, "bookworm", paths, DP_ERR_EXISTS, "never overwritten");
	{
		char	*data;
		size_t	 len;

		assert_int_equal(fs_read_file(file, 100, &data, &len, &err),
		    0);
		assert_string_equal(data, "other");
		free(data);
	}
	free(file);
	free(pool);
	free(ctl);
	free(paths[0]);
}

static void
test_refusals(void **state)
{
	static const struct {
		const char	*ctl;
		const char	*needle;
	} bad[] = {
		{ "Package: foo/bar\nVersion: 1\nArchitecture: amd64\n"
		    "Maintainer: m\nDescription: d\n", "package name" },
		{ "Package: ..\nVersion: 1\nArchitecture: amd64\n"
		    "Maintainer: m\nDescription: d\n", "package name" },
		{ "Package: a..b\nVersion: 1\nArchitecture: amd64\n"
		    "Maintainer: m\nDescription: d\n", ".." },
		{ "Package: Foo\nVersion: 1\nArchitecture: amd64\n"
		    "Maintainer: m\nDescription: d\n", "package name" },
		{ "Package: foo\nVersion: 1.0/../../x\nArchitecture: amd64\n"
		    "Maintainer: m\nDescription: d\n", "version" },
		{ "Package: foo\nVersion: abc\nArchitecture: amd64\n"
		    "Maintainer: m\nDescription: d\n", "version" },
		{ "Package: foo\nVersion: 1:\nArchitecture: amd64\n"
		    "Maintainer: m\nDescription: d\n", "version" },
		{ "Version: 1\nArchitecture: amd64\n"
		    "Maintainer: m\nDescription: d\n", "Package" },
		{ "Package: foo\nArchitecture: amd64\n"
		    "Maintainer: m\nDescription: d\n", "Version" },
		{ "Package: foo\nVersion: 1\n"
		    "Maintainer: m\nDescription: d\n", "Architecture" },
		{ "Package: foo\nVersion: 1\nArchitecture: amd64\n"
		    "Description: d\n", "Maintainer" },
		{ "Package: foo\nVersion: 1\nArchitecture: amd64\n"
		    "Maintainer: m\n", "Description" },
		{ "Package: foo\nVersion: 1\nArchitecture: i386\n"
		    "Maintainer: m\nDescription: d\n", "not configured" },
		{ "Package: foo\nVersion: 1\nArchitecture: amd64 arm64\n"
		    "Maintainer: m\nDescription: d\n", "single word" },
		{ "Package: foo\nVersion: 1\nArchitecture: ../x\n"
		    "Maintainer: m\nDescription: d\n", "architecture" },
		{ "Package: foo\nVersion: 1\nArchitecture: amd64\n"
		    "Maintainer: m\nDescription: d\nSource: x/y\n", "Source" },
		{ "Package: foo\nVersion: 1\nArchitecture: amd64\n"
		    "Maintainer: m\nDescription: d\nSource: xy (1.0\n", "Source" },
		{ "Package: foo\nVersion: 1\nArchitecture: amd64\n"
		    "Maintainer: m\nDescription: d\nSource: xy (bad)\n",
		    "version" },
		{ "Package: foo\nPackage: bar\nVersion: 1\n", "duplicate" },
		{ "Package: foo\n\nVersion: 1\n", "second paragraph" },
		{ "no colon here\n", "control" },
	};
	struct fixture		*f = *state;
	struct pool_added	*added = NULL;
	struct dp_error		 err;
	char			*good, *ctl, *paths[4];
	size_t			 i, n;

	ctl = control("good", "1.0", "amd64", NULL);
	good = deb(f, "good.deb", ctl, "g");
	free(ctl);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		paths[0] = good;
		paths[1] = deb(f, "bad.deb", bad[i].ctl, "b");
		paths[2] = NULL;
		/* the good one in the same call is not added either */
		refused(f, "bookworm", paths, 0, bad[i].needle);
		refused(f, "bookworm", paths + 1, 0, "bad.deb");
		free(paths[1]);
	}

	/* not a .deb at all, empty, missing, truncated */
	paths[0] = good;
	paths[1] = xasprintf("%s/empty.deb", f->in);
	paths[2] = NULL;
	assert_int_equal(fs_write_atomic(paths[1], "", 0, 0644, &err), 0);
	refused(f, "bookworm", paths, DP_ERR_INVALID, "empty");
	assert_int_equal(fs_write_atomic(paths[1], "text\n", 5, 0644, &err),
	    0);
	refused(f, "bookworm", paths, DP_ERR_INVALID, "not an ar archive");
	{
		char	*data;
		size_t	 len;

		assert_int_equal(fs_read_file(good, 1 << 20, &data, &len,
		    &err), 0);
		assert_int_equal(fs_write_atomic(paths[1], data, len - 30,
		    0644, &err), 0);
		refused(f, "bookworm", paths, 0, "empty.deb");
		free(data);
	}
	free(paths[1]);
	paths[1] = xasprintf("%s/nonexistent.deb", f->in);
	refused(f, "bookworm", paths, DP_ERR_NOTFOUND, "nonexistent.deb");
	free(paths[1]);

	/* unknown distribution / component */
	paths[1] = NULL;
	refused(f, "sid", paths, DP_ERR_NOTFOUND, "sid");
	{
		struct pool_add_opts opts = { "bookworm", "non-free", NULL,
		    getenv("DEBPIPE_POOL_COPY") == NULL, NULL, NULL };

		assert_int_equal(pool_add(f->db, &f->cfg, paths, &opts,
		    &added, &n, &err), -1);
		assert_non_null(strstr(err.msg, "non-free"));
	}
	/* and finally the good one alone goes in; "all" is always fine */
	assert_int_equal(add(f, "bookworm", paths, &added, &n, &err), 0);
	pool_added_free(added, n);
	free(good);
	ctl = control("indep", "1.0", "all", NULL);
	paths[0] = deb(f, "indep.deb", ctl, "i");
	free(ctl);
	assert_int_equal(add(f, "bookworm", paths, &added, &n, &err), 0);
	pool_added_free(added, n);
	free(paths[0]);
	assert_int_equal(count(f, "SELECT count(*) FROM packages"), 2);
}

/* A source package: files, then a .dsc listing them. */
static char *
make_dsc(struct fixture *f, const char *name, const char *version,
    const char *tamper)
{
	static const char *const files[] = {
		"hello_1.0.orig.tar.gz", "upstream tarball\n",
		"hello_1.0-1.debian.tar.xz", "debian dir\n",
	};
	struct hash_sums	 s[2];
	struct buf		 b;
	struct dp_error		 err;
	char			*path;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		path = xasprintf("%s/%s", f->in, files[2 * i]);
		assert_int_equal(fs_write_atomic(path, files[2 * i + 1],
		    strlen(files[2 * i + 1]), 0644, &err), 0);
		hash_buf(files[2 * i + 1], strlen(files[2 * i + 1]), &s[i]);
		free(path);
	}
	buf_init(&b);
	buf_printf(&b, "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
	    "Format: 3.0 (quilt)\nSource: %s\nBinary: %s\nArchitecture: any\n"
	    "Version: %s\nMaintainer: T <t@example.org>\n"
	    "Standards-Version: 4.6.0\nBuild-Depends: debhelper-compat (= 13)"
	    "\nChecksums-Sha256:\n", name, name, version);
	for (i = 0; i < 2; i++)
		buf_printf(&b, " %s %llu %s\n", tamper != NULL && i == 1 &&
		    strcmp(tamper, "sha256") == 0 ? "0000000000000000000000000"
		    "000000000000000000000000000000000000000" : s[i].sha256,
		    (unsigned long long)s[i].size, tamper != NULL &&
		    strcmp(tamper, "name") == 0 && i == 1 ? "../../evil" :
		    tamper != NULL && strcmp(tamper, "missing") == 0 &&
		    i == 1 ? "hello_1.0-1.missing.tar.xz" : files[2 * i]);
	buf_adds(&b, "Files:\n");
	for (i = 0; i < 2; i++)
		buf_printf(&b, " %s %llu %s\n", s[i].md5,
		    (unsigned long long)s[i].size, tamper != NULL &&
		    strcmp(tamper, "name") == 0 && i == 1 ? "../../evil" :
		    tamper != NULL && strcmp(tamper, "missing") == 0 &&
		    i == 1 ? "hello_1.0-1.missing.tar.xz" : files[2 * i]);
	buf_adds(&b, "\n-----BEGIN PGP SIGNATURE-----\n\nabc\n"
	    "-----END PGP SIGNATURE-----\n");
	path = xasprintf("%s/%s_%s.dsc", f->in, name, version);
	assert_int_equal(fs_write_atomic(path, b.data, b.len, 0644, &err), 0);
	buf_done(&b);
	return path;
}

static void
test_dsc(void **state)
{
	struct fixture		*f = *state;
	struct pool_added	*added = NULL;
	struct dp_error		 err;
	struct hash_sums	 ds;
	char			*paths[2], *s, *want;
	size_t			 n;

	paths[0] = make_dsc(f, "hello", "1.0-1", NULL);
	paths[1] = NULL;
	if (add(f, "bookworm", paths, &added, &n, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(n, 1);
	assert_string_equal(added[0].arch, "source");
	assert_int_equal(added[0].existed, 0);
	pool_added_free(added, n);
	assert_int_equal(count(f, "SELECT count(*) FROM source_files"), 3);
	assert_int_equal(count(f, "SELECT count(*) FROM files WHERE path LIKE "
	    "'main/h/hello/%'"), 3);
	s = query_text(f, "SELECT directory FROM sources");
	assert_string_equal(s, "pool/main/h/hello");
	free(s);
	assert_int_equal(hash_file(paths[0], &ds, &err), 0);
	s = query_text(f, "SELECT control FROM sources");
	want = xasprintf("Package: hello\nFormat: 3.0 (quilt)\nBinary: hello\n"
	    "Architecture: any\nVersion: 1.0-1\nMaintainer: T <t@example.org>"
	    "\nStandards-Version: 4.6.0\nBuild-Depends: debhelper-compat "
	    "(= 13)\nDirectory: pool/main/h/hello\nFiles:\n %s %llu "
	    "hello_1.0-1.dsc\n", ds.md5, (unsigned long long)ds.size);
	if (strncmp(s, want, strlen(want)) != 0)
		fail_msg("got:\n%s\nwant prefix:\n%s", s, want);
	assert_non_null(strstr(s, "Checksums-Sha256:\n " ));
	assert_non_null(strstr(s, ds.sha256));
	assert_non_null(strstr(s, " hello_1.0.orig.tar.gz\n"));
	assert_non_null(strstr(s, "Checksums-Sha1:\n"));
	free(s);
	free(want);

	/* again: present */
	assert_int_equal(add(f, "bookworm", paths, &added, &n, &err), 0);
	assert_int_equal(added[0].existed, 1);
	pool_added_free(added, n);
	free(paths[0]);

	/* a new revision shares the orig tarball */
	paths[0] = make_dsc(f, "hello", "1.0-2", NULL);
	if (add(f, "bookworm", paths, &added, &n, &err) != 0)
		fail_msg("%s", err.msg);
	pool_added_free(added, n);
	assert_int_equal(count(f, "SELECT count(*) FROM files"), 4);
	assert_int_equal(count(f, "SELECT count(*) FROM source_files"), 6);
	free(paths[0]);

	/* two new revisions sharing a new orig tarball, in one call, and
	 * the same .dsc twice */
	{
		char *three[4];

		three[0] = make_dsc(f, "world", "1.0-1", NULL);
		three[1] = make_dsc(f, "world", "1.0-2", NULL);
		three[2] = xstrdup(three[1]);
		three[3] = NULL;
		if (add(f, "bookworm", three, &added, &n, &err) != 0)
			fail_msg("%s", err.msg);
		assert_int_equal(n, 3);
		assert_int_equal(added[0].existed, 0);
		assert_int_equal(added[1].existed, 0);
		assert_int_equal(added[2].existed, 1);
		pool_added_free(added, n);
		assert_int_equal(count(f, "SELECT count(*) FROM files WHERE "
		    "path LIKE 'main/w/world/%'"), 4);
		free(three[0]);
		free(three[1]);
		free(three[2]);
	}

	/* bad ones */
	paths[0] = make_dsc(f, "hello", "1.0-3", "sha256");
	refused(f, "bookworm", paths, DP_ERR_INVALID, "SHA256");
	free(paths[0]);
	paths[0] = make_dsc(f, "hello", "1.0-4", "missing");
	refused(f, "bookworm", paths, DP_ERR_NOTFOUND, "missing");
	free(paths[0]);
	paths[0] = make_dsc(f, "hello", "1.0-5", "name");
	refused(f, "bookworm", paths, DP_ERR_INVALID, "unsafe");
	free(paths[0]);
	paths[0] = make_dsc(f, "Hello", "1.0-6", NULL);
	refused(f, "bookworm", paths, DP_ERR_INVALID, "package name");
	free(paths[0]);
	paths[0] = make_dsc(f, "hello", "x1.0", NULL);
	refused(f, "bookworm", paths, DP_ERR_INVALID, "version");
	free(paths[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dir_for),
		cmocka_unit_test_setup_teardown(test_add_deb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conflicts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dsc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_deb, setup_copy,
		    teardown),
		cmocka_unit_test_setup_teardown(test_conflicts, setup_copy,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup_copy,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dsc, setup_copy, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
