/* t-fsutil.c - atomic writes, symlink swaps, path validation, locks. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "xmalloc.h"

static char *
tmpdir(void)
{
	char tmpl[] = "/tmp/t-fsutil.XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

static void
test_names(void **state)
{
	(void)state;
	assert_true(fs_name_is_safe("hello_1.0-1_amd64.deb"));
	assert_true(fs_name_is_safe("libfoo++_2:1.0~rc1+git1.dsc"));
	assert_false(fs_name_is_safe(""));
	assert_false(fs_name_is_safe("."));
	assert_false(fs_name_is_safe(".."));
	assert_false(fs_name_is_safe("../etc/passwd"));
	assert_false(fs_name_is_safe("a/b"));
	assert_false(fs_name_is_safe("-rf"));
	assert_false(fs_name_is_safe(".hidden"));
	assert_false(fs_name_is_safe("new\nline"));
	assert_true(fs_relpath_is_safe("pool/main/h/hello/hello_1.0.deb"));
	assert_false(fs_relpath_is_safe("pool/../../etc/passwd"));
	assert_false(fs_relpath_is_safe("/etc/passwd"));
	assert_false(fs_relpath_is_safe("pool//x"));
	assert_false(fs_relpath_is_safe("pool/x/"));
	assert_false(fs_relpath_is_safe(""));
}

static void
test_join(void **state)
{
	char *p;

	(void)state;
	p = fs_join("/a/", "/b");
	assert_string_equal(p, "/a/b");
	free(p);
	p = fs_join("/", "b");
	assert_string_equal(p, "/b");
	free(p);
}

static void
test_atomic_write(void **state)
{
	struct dp_error	 err;
	char		*dir = tmpdir(), *sub = fs_join(dir, "x/y/z"),
			*f = fs_join(sub, "file"), *data = NULL;
	size_t		 len = 0;
	struct stat	 sb;

	(void)state;
	assert_int_equal(fs_mkdirs(sub, 0755, &err), 0);
	assert_int_equal(fs_mkdirs(sub, 0755, &err), 0);	/* idempotent */
	assert_int_equal(fs_write_atomic(f, "one", 3, 0640, &err), 0);
	assert_int_equal(fs_write_atomic(f, "two!", 4, 0640, &err), 0);
	assert_int_equal(fs_read_file(f, 100, &data, &len, &err), 0);
	assert_int_equal(len, 4);
	assert_string_equal(data, "two!");
	free(data);
	assert_int_equal(stat(f, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);
	/* Size limit. */
	assert_int_equal(fs_read_file(f, 2, &data, &len, &err), -1);
	assert_int_equal(err.code, DP_ERR_INVALID);
	/* Writing into a missing directory fails cleanly. */
	assert_int_equal(fs_write_atomic("/nonexistent/dir/f", "x", 1, 0644,
	    &err), -1);
	assert_int_equal(err.code, DP_ERR_SYSTEM);
	assert_int_equal(fs_remove_tree(dir, &err), 0);
	assert_int_equal(access(dir, F_OK), -1);
	free(f);
	free(sub);
	free(dir);
}

static void
test_symlink_swap(void **state)
{
	struct dp_error	 err;
	char		*dir = tmpdir(), *l = fs_join(dir, "latest"), buf[64];
	ssize_t		 n;

	(void)state;
	assert_int_equal(fs_symlink_atomic("snapshots/A", l, &err), 0);
	assert_int_equal(fs_symlink_atomic("snapshots/B", l, &err), 0);
	n = readlink(l, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "snapshots/B");
	fs_remove_tree(dir, NULL);
	free(l);
	free(dir);
}

static void
test_lock(void **state)
{
	struct dp_error	 err;
	char		*dir = tmpdir(), *l = fs_join(dir, "lock");
	int		 fd, fd2;
	pid_t		 pid;
	int		 st;

	(void)state;
	fd = fs_lock(l, 0, &err);
	assert_true(fd >= 0);
	if ((pid = fork()) == 0) {
		fd2 = fs_lock(l, 0, &err);
		_exit(fd2 == -1 && err.code == DP_ERR_BUSY ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(WEXITSTATUS(st), 0);
	close(fd);
	fs_remove_tree(dir, NULL);
	free(l);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_symlink_swap),
		cmocka_unit_test(test_lock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
