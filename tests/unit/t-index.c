/* t-index.c - Packages/Sources/Contents/Release text. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../snapshotter/index.h"
#include "deb822.h"
#include "hash.h"
#include "xmalloc.h"

static void
t_packages_para(void **state)
{
	struct buf	b;

	(void)state;
	buf_init(&b);
	index_packages_para(&b, "Package: hello\nVersion: 1.0-1\n"
	    "Installed-Size: 12\nMaintainer: T <t@example.org>\n"
	    "Architecture: amd64\nDepends: libc6\nDescription: hi\n"
	    " more text\n .\n end\nSection: misc\nPriority: optional\n\n\n",
	    "main/h/hello/hello_1.0-1_amd64.deb", 1234,
	    "d41d8cd98f00b204e9800998ecf8427e",
	    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	/* Debian's order: the control paragraph as stored, then Filename,
	 * Size and the checksums; one blank line after the paragraph. */
	assert_string_equal(b.data,
	    "Package: hello\nVersion: 1.0-1\nInstalled-Size: 12\n"
	    "Maintainer: T <t@example.org>\nArchitecture: amd64\n"
	    "Depends: libc6\nDescription: hi\n more text\n .\n end\n"
	    "Section: misc\nPriority: optional\n"
	    "Filename: pool/main/h/hello/hello_1.0-1_amd64.deb\n"
	    "Size: 1234\n"
	    "MD5sum: d41d8cd98f00b204e9800998ecf8427e\n"
	    "SHA1: da39a3ee5e6b4b0d3255bfef95601890afd80709\n"
	    "SHA256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca4959"
	    "91b7852b855\n\n");
	buf_done(&b);
}

static void
t_sources_para(void **state)
{
	struct buf	b;

	(void)state;
	buf_init(&b);
	index_sources_para(&b, "Package: hello\nVersion: 1.0-1\n"
	    "Directory: pool/main/h/hello");
	index_sources_para(&b, "Package: x\n");
	assert_string_equal(b.data, "Package: hello\nVersion: 1.0-1\n"
	    "Directory: pool/main/h/hello\n\nPackage: x\n\n");
	buf_done(&b);
}

static void
t_para_field(void **state)
{
	const char	*p = "Package: a\nSection:  admin \nDescription: x\n"
			    " Section: not-this\n";
	char		*v;

	(void)state;
	v = index_para_field(p, "section");
	assert_string_equal(v, "admin");
	free(v);
	v = index_para_field(p, "Package");
	assert_string_equal(v, "a");
	free(v);
	assert_null(index_para_field(p, "Priority"));
	assert_null(index_para_field(p, "Sect"));
}

static void
t_contents(void **state)
{
	struct index_contents	*ic;
	struct buf		 b;
	const char		*a = "./usr/bin/b\n./usr/share/doc/a/README\n";
	const char		*c = "usr/bin/b\n/usr/lib/c.so\n\nusr/bin/b\n";
	char			 want[512];

	(void)state;
	buf_init(&b);
	ic = index_contents_new();
	index_contents_write(ic, &b);
	assert_int_equal(b.len, 0);		/* no packages: empty */
	index_contents_add(ic, "utils/zeta", c, strlen(c));
	index_contents_add(ic, "admin/alpha", a, strlen(a));
	index_contents_write(ic, &b);
	snprintf(want, sizeof(want), "%-55s %s\n%-55s %s\n%-55s %s\n",
	    "usr/bin/b", "admin/alpha,utils/zeta",
	    "usr/lib/c.so", "utils/zeta",
	    "usr/share/doc/a/README", "admin/alpha");
	assert_string_equal(b.data, want);
	index_contents_free(ic);
	index_contents_free(NULL);

	/* Sorted in a temporary database past 2 pairs: the same text. */
	buf_reset(&b);
	ic = index_contents_new();
	index_contents_spill_at(ic, 2);
	assert_int_equal(index_contents_add(ic, "utils/zeta", c, strlen(c)),
	    0);
	assert_int_equal(index_contents_add(ic, "admin/alpha", a, strlen(a)),
	    0);
	index_contents_write(ic, &b);
	assert_string_equal(index_contents_error(ic), "");
	assert_string_equal(b.data, want);
	index_contents_free(ic);
	buf_done(&b);
}

struct chunks {
	struct buf	all;
	int		calls, fail_at;
	int		split;		/* a chunk did not end a line */
};

static int
collect(void *arg, struct buf *out)
{
	struct chunks	*c = arg;

	if (++c->calls == c->fail_at)
		return -1;
	if (out->len > 0 && out->data[out->len - 1] != '\n')
		c->split = 1;
	buf_add(&c->all, out->data, out->len);
	buf_reset(out);
	return 0;
}

/* Written in chunks, the text is the same as written whole, every chunk
 * ends a line, and a failing flush stops it. */
static void
t_contents_chunks(void **state)
{
	struct index_contents	*ic;
	struct chunks		 c;
	struct buf		 whole, out, list;
	int			 i;

	(void)state;
	buf_init(&whole);
	buf_init(&out);
	buf_init(&list);
	memset(&c, 0, sizeof(c));
	buf_init(&c.all);
	for (i = 0; i < 40000; i++)
		buf_printf(&list, "./usr/share/pkg/some/longer/path/file-%05d\n",
		    i);
	ic = index_contents_new();
	index_contents_add(ic, "misc/one", list.data, list.len);
	index_contents_add(ic, "misc/two", "usr/bin/two\n", 12);
	index_contents_write(ic, &whole);
	assert_true(whole.len > 2 * 1024 * 1024);
	assert_int_equal(index_contents_write_to(ic, &out, collect, &c), 0);
	assert_true(c.calls >= 2);
	assert_false(c.split);
	assert_int_equal(c.all.len, whole.len);
	assert_memory_equal(c.all.data, whole.data, whole.len);

	buf_reset(&out);
	c.calls = 0;
	c.fail_at = 1;
	assert_int_equal(index_contents_write_to(ic, &out, collect, &c), -1);
	assert_int_equal(c.calls, 1);
	index_contents_free(ic);

	/* The same through the temporary database (spilled after 1,000
	 * pairs, the rest inserted there directly). */
	ic = index_contents_new();
	index_contents_spill_at(ic, 1000);
	assert_int_equal(index_contents_add(ic, "misc/one", list.data,
	    list.len), 0);
	assert_int_equal(index_contents_add(ic, "misc/two", "usr/bin/two\n",
	    12), 0);
	buf_reset(&out);
	buf_reset(&c.all);
	c.calls = 0;
	c.fail_at = 0;
	c.split = 0;
	assert_int_equal(index_contents_write_to(ic, &out, collect, &c), 0);
	assert_true(c.calls >= 2);
	assert_false(c.split);
	assert_int_equal(c.all.len, whole.len);
	assert_memory_equal(c.all.data, whole.data, whole.len);
	index_contents_free(ic);
	buf_done(&whole);
	buf_done(&out);
	buf_done(&list);
	buf_done(&c.all);
}

static void
t_date(void **state)
{
	char	d[64];

	(void)state;
	index_date(0, d, sizeof(d));
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 UTC");
	index_date(1795311000, d, sizeof(d));
	assert_string_equal(d, "Sun, 22 Nov 2026 01:30:00 UTC");
}

/* Release lists files sorted, with sums that match the files. */
static void
t_release(void **state)
{
	static char		*archs[] = { "amd64", "all", NULL };
	static char		*comps[] = { "main", "contrib", NULL };
	const char		*names[] = { "main/binary-amd64/Packages",
				    "contrib/source/Sources.xz",
				    "main/binary-all/Packages.gz" };
	const char		*data[] = { "Package: a\n\n", "", "xyz" };
	struct index_release_file files[3];
	struct index_release	 rel;
	struct deb822_para	*para = NULL;
	struct hash_sums	 sums;
	struct dp_error		 err;
	struct buf		 b;
	const char		*v, *line, *nl, *expect_order[] = {
				    "Origin", "Label", "Suite", "Codename",
				    "Date", "Acquire-By-Hash",
				    "No-Support-for-Architecture-all",
				    "Architectures", "Components",
				    "Description", "Snapshots", "MD5Sum",
				    "SHA256" };
	char			 hex[65], path[256], prev[256];
	unsigned long long	 size;
	size_t			 i, k, seen;

	(void)state;
	for (i = 0; i < 3; i++) {
		hash_buf(data[i], strlen(data[i]), &sums);
		files[i].path = (char *)names[i];
		files[i].size = sums.size;
		memcpy(files[i].md5, sums.md5, sizeof(files[i].md5));
		memcpy(files[i].sha256, sums.sha256, sizeof(files[i].sha256));
	}
	memset(&rel, 0, sizeof(rel));
	rel.origin = "Example";
	rel.label = "Example CI";
	rel.suite = "stable";
	rel.codename = "bookworm";
	rel.description = "test";
	rel.snapshots = "http://h/debpipe/snapshots/@SNAPSHOTID@";
	rel.date = 0;
	rel.archs = archs;
	rel.components = comps;
	rel.no_support_all = 1;
	rel.files = files;
	rel.nfiles = 3;
	buf_init(&b);
	index_release_write(&rel, &b);

	assert_int_equal(deb822_parse_one(b.data, b.len, "Release", 0, &para,
	    &err), 0);
	assert_int_equal(para->nfields, 13);
	for (i = 0; i < para->nfields; i++)
		assert_string_equal(para->fields[i].name, expect_order[i]);
	assert_string_equal(deb822_get(para, "Suite"), "stable");
	assert_string_equal(deb822_get(para, "Codename"), "bookworm");
	assert_string_equal(deb822_get(para, "Architectures"), "amd64 all");
	assert_string_equal(deb822_get(para, "Components"), "main contrib");
	assert_string_equal(deb822_get(para, "Date"),
	    "Thu, 01 Jan 1970 00:00:00 UTC");
	assert_string_equal(deb822_get(para, "Acquire-By-Hash"), "yes");

	/* Recompute every listed checksum. */
	for (k = 0; k < 2; k++) {
		v = deb822_get(para, k == 0 ? "MD5Sum" : "SHA256");
		assert_non_null(v);
		seen = 0;
		prev[0] = '\0';
		for (line = v; line != NULL && *line != '\0';
		    line = nl != NULL ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			if (nl == line)
				continue;
			assert_int_equal(sscanf(line, "%64s %llu %255s", hex,
			    &size, path), 3);
			assert_true(strcmp(prev, path) < 0);	/* sorted */
			snprintf(prev, sizeof(prev), "%s", path);
			for (i = 0; i < 3; i++)
				if (strcmp(names[i], path) == 0)
					break;
			assert_true(i < 3);
			hash_buf(data[i], strlen(data[i]), &sums);
			assert_int_equal(size, sums.size);
			assert_string_equal(hex, k == 0 ? sums.md5 :
			    sums.sha256);
			seen++;
		}
		assert_int_equal(seen, 3);
	}
	deb822_para_free(para);
	buf_done(&b);

	/* Without all: no No-Support line, no Description when NULL. */
	rel.no_support_all = 0;
	rel.description = NULL;
	rel.snapshots = NULL;
	buf_init(&b);
	index_release_write(&rel, &b);
	assert_null(strstr(b.data, "No-Support"));
	assert_null(strstr(b.data, "Description"));
	assert_null(strstr(b.data, "Snapshots"));
	buf_done(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_packages_para),
		cmocka_unit_test(t_sources_para),
		cmocka_unit_test(t_para_field),
		cmocka_unit_test(t_contents),
		cmocka_unit_test(t_contents_chunks),
		cmocka_unit_test(t_date),
		cmocka_unit_test(t_release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
