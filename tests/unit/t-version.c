/* t-version.c - versions (libdpkg), package and architecture names, and
 * the hash module. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"
#include "version.h"
#include "xmalloc.h"

static void
test_parse(void **state)
{
	struct version	v;
	struct dp_error	err;

	(void)state;
	assert_int_equal(version_parse("2:1.0~rc1-3+b1", &v, &err), 0);
	assert_int_equal(v.epoch, 2);
	assert_string_equal(v.upstream, "1.0~rc1");
	assert_string_equal(v.revision, "3+b1");
	version_done(&v);

	assert_int_equal(version_parse("1.2.3", &v, &err), 0);
	assert_int_equal(v.epoch, 0);
	assert_string_equal(v.upstream, "1.2.3");
	assert_string_equal(v.revision, "");
	version_done(&v);

	/* hyphen in upstream: the last one separates the revision */
	assert_int_equal(version_parse("1.0-beta-2", &v, &err), 0);
	assert_string_equal(v.upstream, "1.0-beta");
	assert_string_equal(v.revision, "2");
	version_done(&v);
}

static void
test_invalid(void **state)
{
	static const char *const bad[] = {
		"", "a1.0", "1.0 2", " 1.0", "1.0\n", ":1.0", "x:1.0",
		"-1:1.0", "1:", "1.0/../x", "1.0_1", "1.0-", "1.0-a/b",
		"1.0$", NULL,
	};
	struct dp_error	err;
	size_t		i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		dp_error_clear(&err);
		if (version_validate(bad[i], &err) != -1)
			fail_msg("accepted bad version '%s'", bad[i]);
		assert_int_equal(err.code, DP_ERR_INVALID);
		assert_non_null(strstr(err.msg, "version"));
	}
	assert_int_equal(version_validate("0", &err), 0);
	assert_int_equal(version_validate("1:2.3+dfsg-4~bpo12+1", &err), 0);
	/* dpkg's message is carried */
	assert_int_equal(version_validate("abc", &err), -1);
	assert_non_null(strstr(err.msg, "abc"));
}

static void
test_compare(void **state)
{
	(void)state;
	assert_true(version_compare("1.0", "1.0") == 0);
	assert_true(version_compare("1.0~rc1", "1.0") < 0);
	assert_true(version_compare("1.0", "1.0+b1") < 0);
	assert_true(version_compare("1:0.1", "9.9") > 0);
	assert_true(version_compare("1.10", "1.9") > 0);
	assert_true(version_compare("1.0-1", "1.0-10") < 0);
	assert_true(version_compare("1.0a", "1.0") > 0);
	assert_true(version_compare("0:1.0", "1.0") == 0);
	assert_true(version_compare("1.0~~", "1.0~") < 0);
	/* invalid sorts first */
	assert_true(version_compare("junk", "0") < 0);
	assert_true(version_compare("0", "junk") > 0);
	/* many calls must not grow memory without bound (nffreeall) */
	for (int i = 0; i < 100000; i++)
		assert_true(version_compare("2.0-1", "10.0-1") < 0);
	assert_string_equal(version_noepoch("3:1.0-1"), "1.0-1");
	assert_string_equal(version_noepoch("1.0-1"), "1.0-1");
}

static void
test_names(void **state)
{
	static const char *const good[] = {
		"hello", "libc6", "g++", "lib32z1-dev", "0ad", "x11-common",
		"libstdc++6", "python3.11", NULL,
	};
	static const char *const bad[] = {
		"", "a", "Hello", "-hello", ".hello", "+x", "foo/bar",
		"../etc", "a..b", "foo bar", "foo_bar", "foo\n", "fo:o", NULL,
	};
	struct dp_error	err;
	size_t		i;

	(void)state;
	for (i = 0; good[i] != NULL; i++)
		if (version_name_validate(good[i], &err) != 0)
			fail_msg("rejected '%s': %s", good[i], err.msg);
	for (i = 0; bad[i] != NULL; i++) {
		if (version_name_validate(bad[i], &err) != -1)
			fail_msg("accepted bad name '%s'", bad[i]);
		assert_int_equal(err.code, DP_ERR_INVALID);
	}
}

static void
test_archs(void **state)
{
	static const char *const good[] = {
		"amd64", "arm64", "all", "i386", "kfreebsd-amd64", "any",
		NULL,
	};
	static const char *const bad[] = {
		"", "AMD64", "amd 64", "amd64/x", "../x", "a_b", "-amd64",
		NULL,
	};
	struct dp_error	err;
	size_t		i;

	(void)state;
	for (i = 0; good[i] != NULL; i++)
		if (version_arch_validate(good[i], &err) != 0)
			fail_msg("rejected '%s': %s", good[i], err.msg);
	for (i = 0; bad[i] != NULL; i++)
		if (version_arch_validate(bad[i], &err) != -1)
			fail_msg("accepted bad arch '%s'", bad[i]);
}

static void
test_hash(void **state)
{
	struct hash_sums	 s, t;
	struct hash_ctx		*h;
	struct dp_error		 err;
	char			 path[] = "/tmp/t-version.XXXXXX";
	char			 out[] = "/tmp/t-version-out.XXXXXX";
	int			 fd, ofd;

	(void)state;
	hash_buf("", 0, &s);
	assert_int_equal(s.size, 0);
	assert_string_equal(s.md5, "d41d8cd98f00b204e9800998ecf8427e");
	assert_string_equal(s.sha1,
	    "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	assert_string_equal(s.sha256, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	hash_buf("abc", 3, &s);
	assert_string_equal(s.md5, "900150983cd24fb0d6963f7d28e17f72");
	assert_string_equal(s.sha1,
	    "a9993e364706816aba3e25717850c26c9cd0d89d");
	assert_string_equal(s.sha256, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");

	/* streaming in pieces, context reuse */
	h = hash_new();
	hash_update(h, "a", 1);
	hash_update(h, "bc", 2);
	hash_final(h, &t);
	assert_int_equal(s.size, t.size);
	assert_string_equal(s.md5, t.md5);
	assert_string_equal(s.sha1, t.sha1);
	assert_string_equal(s.sha256, t.sha256);
	hash_update(h, "abc", 3);
	hash_final(h, &t);
	assert_string_equal(t.sha256, s.sha256);
	hash_free(h);

	/* copy while hashing */
	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(write(fd, "abc", 3), 3);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_true((ofd = mkstemp(out)) != -1);
	assert_int_equal(hash_copy_fd(fd, path, ofd, out, &t, &err), 0);
	assert_int_equal(t.size, 3);
	assert_string_equal(t.sha256, s.sha256);
	assert_int_equal(hash_file(out, &t, &err), 0);
	assert_string_equal(t.md5, s.md5);
	close(fd);
	close(ofd);
	unlink(path);
	unlink(out);
	assert_int_equal(hash_file("/nonexistent/x", &t, &err), -1);
	assert_int_equal(err.code, DP_ERR_SYSTEM);

	assert_true(hash_hex_valid("00ff", 4));
	assert_false(hash_hex_valid("00FF", 4));
	assert_false(hash_hex_valid("00f", 4));
	assert_false(hash_hex_valid("00fff", 4));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_archs),
		cmocka_unit_test(test_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
