/*
 * t-publish.c - the snapshot publisher (snapshotter/libsnapshot.a) on a
 * real state.db and public tree in a temporary directory: a Packages
 * stanza from a package record, the Release sums of the generated index
 * files against lib/hash.c, the by-hash store and links; the snapshot ID
 * check and the snapshots BLOB codec.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../snapshotter/index.h"
#include "../../snapshotter/publish-int.h"
#include "compress.h"
#include "config.h"
#include "db-packages.h"
#include "db-snapshots.h"
#include "deb822.h"
#include "fsutil.h"
#include "hash.h"
#include "snapid.h"
#include "xmalloc.h"

#define CONTROL_HELLO \
	"Package: hello\nSource: hello\nVersion: 1.0-1\n" \
	"Architecture: amd64\nMaintainer: T <t@example.org>\n" \
	"Description: hi\n more\n"
#define CONTROL_DATA \
	"Package: hello-data\nSource: hello\nVersion: 1.0-1\n" \
	"Architecture: all\nDescription: data\n"
#define CONTROL_SRC \
	"Package: hello\nBinary: hello, hello-data\nVersion: 1.0-1\n" \
	"Architecture: any all\nDirectory: pool/main/h/hello\n"

struct fixture {
	char		 dir[64];
	struct config	*cfg;
	struct db	*db;
	int64_t		 hello;		/* packages.id */
};

static int64_t
insert(struct db *db, const char *sql)
{
	struct dp_error	err;

	if (db_exec(db, sql, &err) == -1)
		fail_msg("%s: %s", sql, dp_error_str(&err));
	return sqlite3_last_insert_rowid(db_handle(db));
}

static int
setup(void **state)
{
	struct fixture	*f = xcalloc(1, sizeof(*f));
	struct dp_error	 err;
	char		*conf, *text, *dbpath;

	snprintf(f->dir, sizeof(f->dir), "/tmp/t-publish.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	text = xasprintf("State-Dir: %s/state\nPublic-Dir: %s/public\n"
	    "Origin: Test\n\nDistribution: bookworm\nComponents: main\n"
	    "Architectures: amd64 all\n", f->dir, f->dir);
	conf = xasprintf("%s/debpipe.conf", f->dir);
	if (fs_write_atomic(conf, text, strlen(text), 0644, &err) == -1 ||
	    config_load(conf, &f->cfg, &err) == -1 ||
	    fs_mkdirs(f->cfg->state_dir, 0750, &err) == -1) {
		fprintf(stderr, "# setup: %s\n", dp_error_str(&err));
		return -1;
	}
	free(text);
	free(conf);
	dbpath = config_db_path(f->cfg);
	if (db_open(dbpath, &f->db, &err) == -1) {
		fprintf(stderr, "# db_open: %s\n", dp_error_str(&err));
		return -1;
	}
	free(dbpath);
	insert(f->db, "INSERT INTO files(path, size, md5, sha1, sha256, "
	    "added) VALUES ('main/h/hello/hello_1.0-1_amd64.deb', 1234, "
	    "'0123456789abcdef0123456789abcdef', "
	    "'0123456789abcdef0123456789abcdef01234567', "
	    "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',"
	    " 'now')");
	f->hello = insert(f->db, "INSERT INTO packages(dist, component, "
	    "name, version, arch, source, source_version, file_id, control, "
	    "added) VALUES ('bookworm', 'main', 'hello', '1.0-1', 'amd64', "
	    "'hello', '1.0-1', 1, '" CONTROL_HELLO "', 'now')");
	insert(f->db, "INSERT INTO files(path, size, md5, sha1, sha256, "
	    "added) VALUES ('main/h/hello/hello-data_1.0-1_all.deb', 99, "
	    "'fedcba9876543210fedcba9876543210', "
	    "'fedcba9876543210fedcba9876543210fedcba98', "
	    "'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',"
	    " 'now')");
	insert(f->db, "INSERT INTO packages(dist, component, name, version, "
	    "arch, source, source_version, file_id, control, added) VALUES "
	    "('bookworm', 'main', 'hello-data', '1.0-1', 'all', 'hello', "
	    "'1.0-1', 2, '" CONTROL_DATA "', 'now')");
	insert(f->db, "INSERT INTO files(path, size, md5, sha1, sha256, "
	    "added) VALUES ('main/h/hello/hello_1.0-1.dsc', 10, "
	    "'00000000000000000000000000000000', "
	    "'0000000000000000000000000000000000000000', "
	    "'cccccccccccccccccccccccccccccccc"
	    "cccccccccccccccccccccccccccccccc',"
	    " 'now')");
	insert(f->db, "INSERT INTO sources(dist, component, name, version, "
	    "directory, control, dsc_file_id, added) VALUES ('bookworm', "
	    "'main', 'hello', '1.0-1', 'pool/main/h/hello', '" CONTROL_SRC
	    "', 3, 'now')");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	db_close(f->db);
	config_free(f->cfg);
	fs_remove_tree(f->dir, NULL);
	free(f);
	return 0;
}

/* A Packages stanza from the package record: its control paragraph as
 * stored, then Filename (under pool/), Size and the sums of its file. */
static void
t_packages_stanza(void **state)
{
	struct fixture		*f = *state;
	struct db_pkg_reader	*r = db_pkg_reader_new(f->db);
	struct db_pkg_file	 file;
	struct dp_error		 err;
	struct buf		 b;
	const char		*control;

	buf_init(&b);
	assert_int_equal(db_pkg_reader_index(r, f->hello, &control, &file,
	    &err), 1);
	index_packages_para(&b, control, file.path, file.size, file.md5,
	    file.sha1, file.sha256);
	buf_adds(&b, "");
	assert_string_equal(b.data, CONTROL_HELLO
	    "Filename: pool/main/h/hello/hello_1.0-1_amd64.deb\n"
	    "Size: 1234\n"
	    "MD5sum: 0123456789abcdef0123456789abcdef\n"
	    "SHA1: 0123456789abcdef0123456789abcdef01234567\n"
	    "SHA256: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n\n");
	/* No such package: 0, not an error. */
	assert_int_equal(db_pkg_reader_index(r, 9999, &control, &file,
	    &err), 0);
	db_pkg_reader_free(r);
	buf_done(&b);
}

/* Stage the tree of the current set into public/snapshots/.tmp-T. */
static void
stage(struct fixture *f, struct tree *t, struct pset *set)
{
	struct dp_error	err;
	char		*snapdir;

	memset(t, 0, sizeof(*t));
	assert_int_equal(pset_compute(f->db, f->cfg, NULL, set, &err), 0);
	snapdir = fs_join(f->cfg->public_dir, "snapshots");
	t->cfg = f->cfg;
	t->db = f->db;
	t->set = set;
	t->tmpdir = fs_join(snapdir, ".tmp-T");
	t->cachedir = fs_join(f->cfg->state_dir, "index-cache");
	t->storeroot = fs_join(f->cfg->public_dir, "by-hash");
	free(snapdir);
	assert_int_equal(fs_remove_tree(t->tmpdir, &err), 0);
	assert_int_equal(fs_mkdirs(t->cachedir, 0750, &err), 0);
	if (tree_write(t, &err) == -1 ||
	    compress_runner_wait(t->runner, &err) == -1 ||
	    tree_finish_files(t, &err) == -1)
		fail_msg("staging: %s", dp_error_str(&err));
}

/* Each "hex size path" line of a Release checksum field, checked against
 * the file in the snapshot: the hex of kind (0 MD5, 1 SHA256) and the size
 * as lib/hash.c computes them.  Returns the number of lines. */
static size_t
check_sums(const char *distdir, const char *field, int kind,
    struct strlist *seen)
{
	struct hash_sums	 sums;
	struct dp_error		 err;
	struct stat		 sb;
	char			*copy, *line, *save = NULL, *p;
	char			 hex[65], path[PATH_MAX];
	unsigned long long	 size;
	size_t			 n = 0;

	copy = xstrdup(field);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		assert_int_equal(sscanf(line, " %64s %llu %4095s", hex, &size,
		    path), 3);
		p = fs_join(distdir, path);
		assert_int_equal(hash_file(p, &sums, &err), 0);
		assert_int_equal(stat(p, &sb), 0);
		assert_int_equal((unsigned long long)sb.st_size, size);
		assert_int_equal(sums.size, size);
		assert_string_equal(hex, kind == 0 ? sums.md5 : sums.sha256);
		strlist_add(seen, path);
		free(p);
		n++;
	}
	free(copy);
	return n;
}

/* Release lists every generated index file with the sizes and MD5 and
 * SHA256 sums the files really have. */
static void
t_release_sums(void **state)
{
	struct fixture		*f = *state;
	struct tree		 t;
	struct pset		 set;
	struct deb822_para	*para = NULL;
	struct strlist		 md5s = STRLIST_INIT, shas = STRLIST_INIT;
	struct dp_error		 err;
	struct buf		 text, pk;
	const char		*v;
	char			*distdir, *p, *data = NULL;
	size_t			 len, i;

	stage(f, &t, &set);
	buf_init(&text);
	release_text(&t, 0, 1795000000, &text);
	assert_int_equal(deb822_parse_one(text.data, text.len, "Release", 0,
	    &para, &err), 0);
	assert_string_equal(deb822_get(para, "Origin"), "Test");
	assert_string_equal(deb822_get(para, "Codename"), "bookworm");
	assert_non_null(v = deb822_get(para, "Date"));
	assert_non_null(strstr(v, "2026"));

	distdir = xasprintf("%s/dists/bookworm", t.tmpdir);
	assert_non_null(v = deb822_get(para, "MD5Sum"));
	assert_true(check_sums(distdir, v, 0, &md5s) >= 9);
	assert_non_null(v = deb822_get(para, "SHA256"));
	assert_int_equal(check_sums(distdir, v, 1, &shas), md5s.n);
	/* Both sections name the same files, and these among them. */
	for (i = 0; i < md5s.n; i++)
		assert_true(strlist_has(&shas, md5s.v[i]));
	assert_true(strlist_has(&shas, "main/binary-amd64/Packages"));
	assert_true(strlist_has(&shas, "main/binary-amd64/Packages.gz"));
	assert_true(strlist_has(&shas, "main/binary-amd64/Packages.xz"));
	assert_true(strlist_has(&shas, "main/binary-all/Packages"));
	assert_true(strlist_has(&shas, "main/source/Sources.xz"));
	/* Contents is not configured here; the plain Contents never is. */
	assert_false(strlist_has(&shas, "main/Contents-amd64"));

	/* The amd64 index holds hello and, merged in, hello-data. */
	p = fs_join(distdir, "main/binary-amd64/Packages");
	assert_int_equal(fs_read_file(p, 1 << 20, &data, &len, &err), 0);
	buf_init(&pk);
	buf_add(&pk, data, len);
	buf_adds(&pk, "");
	assert_non_null(strstr(pk.data, "Package: hello\n"));
	assert_non_null(strstr(pk.data, "Package: hello-data\n"));
	assert_non_null(strstr(pk.data,
	    "Filename: pool/main/h/hello/hello_1.0-1_amd64.deb\nSize: 1234\n"));
	buf_done(&pk);
	free(data);
	free(p);

	deb822_para_free(para);
	strlist_free(&md5s);
	strlist_free(&shas);
	free(distdir);
	buf_done(&text);
	tree_done(&t);
	pset_done(&set);
}

/* Each index file is stored once by content: by-hash/<dist>/<dir>/
 * SHA256/<sha256> and MD5Sum/<md5> in the shared store, the snapshot's
 * dists/<dist>/<dir>/by-hash a relative link to that directory. */
static void
t_by_hash(void **state)
{
	struct fixture		*f = *state;
	struct tree		 t;
	struct pset		 set;
	struct hash_sums	 named, stored;
	struct dp_error		 err;
	char			*named_path, *store, *link, *real, *want;
	char			 target[PATH_MAX];
	ssize_t			 n;
	size_t			 i;
	int			 checked = 0;

	stage(f, &t, &set);
	for (i = 0; i < t.nfiles; i++) {
		if (t.files[i].remove_tmp)
			continue;
		named_path = xasprintf("%s/dists/bookworm/%s", t.tmpdir,
		    t.files[i].relpath);
		assert_int_equal(hash_file(named_path, &named, &err), 0);
		assert_string_equal(named.sha256, t.files[i].sums.sha256);
		store = xasprintf("%s/SHA256/%s", t.files[i].store,
		    named.sha256);
		assert_int_equal(hash_file(store, &stored, &err), 0);
		assert_string_equal(stored.sha256, named.sha256);
		free(store);
		store = xasprintf("%s/MD5Sum/%s", t.files[i].store, named.md5);
		assert_int_equal(hash_file(store, &stored, &err), 0);
		assert_string_equal(stored.md5, named.md5);
		free(store);
		free(named_path);
		checked++;
	}
	assert_true(checked >= 9);

	link = xasprintf("%s/dists/bookworm/main/binary-amd64/by-hash",
	    t.tmpdir);
	n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target,
	    "../../../../../../by-hash/bookworm/main/binary-amd64");
	real = realpath(link, NULL);
	want = xasprintf("%s/bookworm/main/binary-amd64", t.storeroot);
	assert_non_null(real);
	assert_string_equal(real, want);
	free(real);
	free(want);
	free(link);

	/* A second staging of the same set takes the indexes from the
	 * cache instead of generating them again. */
	tree_done(&t);
	pset_done(&set);
	stage(f, &t, &set);
	assert_int_equal(t.generated, 0);
	assert_true(t.reused >= 3);
	tree_done(&t);
	pset_done(&set);
}

static void
t_snapid(void **state)
{
	(void)state;
	assert_true(snapid_valid("20261122T013000Z"));
	assert_false(snapid_valid(NULL));
	assert_false(snapid_valid(""));
	assert_false(snapid_valid("20261122T013000"));
	assert_false(snapid_valid("20261122T013000ZZ"));
	assert_false(snapid_valid("2026112xT013000Z"));
	assert_false(snapid_valid("20261122t013000Z"));
	assert_false(snapid_valid("../../etc/passwdZ"));
}

static void
t_ids_codec(void **state)
{
	int64_t		 ids[] = { 1, 255, 256, INT64_C(1) << 40, INT64_MAX };
	unsigned char	*blob;
	int64_t		*back;
	size_t		 n;

	(void)state;
	blob = db_snapshot_ids_encode(ids, 5);
	/* Little-endian int64s. */
	assert_int_equal(blob[0], 1);
	assert_int_equal(blob[8], 255);
	assert_int_equal(blob[16], 0);
	assert_int_equal(blob[17], 1);
	back = db_snapshot_ids_decode(blob, 5 * 8, &n);
	assert_int_equal(n, 5);
	assert_memory_equal(back, ids, sizeof(ids));
	free(back);
	/* A truncated BLOB decodes its whole ids only. */
	back = db_snapshot_ids_decode(blob, 5 * 8 - 3, &n);
	assert_int_equal(n, 4);
	free(back);
	free(blob);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_packages_stanza, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_release_sums, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_by_hash, setup, teardown),
		cmocka_unit_test(t_snapid),
		cmocka_unit_test(t_ids_codec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
