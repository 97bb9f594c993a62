/* t-compress.c - gzip/xz round trips, file compression, the runner. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compress.h"
#include "fsutil.h"
#include "hash.h"
#include "xmalloc.h"

static char	tmpdir[] = "/tmp/t-compress.XXXXXX";

/* Text shaped like a Packages file, n bytes. */
static char *
sample(size_t n)
{
	char		*s = xmalloc(n + 1);
	size_t		 i = 0;
	unsigned int	 k = 0;
	int		 w;

	while (i < n) {
		w = snprintf(s + i, n + 1 - i, "Package: pkg%u\nVersion: %u.%u"
		    "\nSHA256: %08x%08x\n\n", k, k % 7, k * 2654435761u,
		    k * 40503u, k ^ 0x5bd1e995u);
		if (w < 0)
			break;
		i += (size_t)w;
		k++;
	}
	s[n] = '\0';
	return s;
}

static void
roundtrip(enum compress_kind kind, const char *data, size_t len)
{
	struct buf	c, d;
	struct dp_error	err;

	buf_init(&c);
	buf_init(&d);
	assert_int_equal(compress_buf(kind, data, len, &c, &err), 0);
	assert_true(c.len > 0 || kind == COMPRESS_NONE);
	assert_int_equal(decompress_buf(kind, c.data, c.len, len + 1, &d,
	    &err), 0);
	assert_int_equal(d.len, len);
	assert_memory_equal(d.data, data, len);
	buf_done(&c);
	buf_done(&d);
}

static void
t_roundtrip(void **state)
{
	static const enum compress_kind kinds[] = {
		COMPRESS_NONE, COMPRESS_GZIP, COMPRESS_XZ
	};
	char	*big = sample(3 * 1024 * 1024);
	size_t	 i;

	(void)state;
	for (i = 0; i < 3; i++) {
		roundtrip(kinds[i], "", 0);
		roundtrip(kinds[i], "a", 1);
		roundtrip(kinds[i], big, 3 * 1024 * 1024);
	}
	free(big);
	assert_string_equal(compress_suffix(COMPRESS_GZIP), ".gz");
	assert_string_equal(compress_suffix(COMPRESS_XZ), ".xz");
	assert_string_equal(compress_suffix(COMPRESS_NONE), "");
}

static void
t_format(void **state)
{
	struct buf	c;
	struct dp_error	err;

	(void)state;
	buf_init(&c);
	assert_int_equal(compress_buf(COMPRESS_GZIP, "x", 1, &c, &err), 0);
	/* gzip magic, deflate, no file name, mtime 0: reproducible. */
	assert_int_equal((unsigned char)c.data[0], 0x1f);
	assert_int_equal((unsigned char)c.data[1], 0x8b);
	assert_int_equal(c.data[2], 8);
	assert_int_equal(c.data[3] & 0x08, 0);
	assert_memory_equal(c.data + 4, "\0\0\0\0", 4);
	buf_reset(&c);
	assert_int_equal(compress_buf(COMPRESS_XZ, "x", 1, &c, &err), 0);
	assert_memory_equal(c.data, "\xfd" "7zXZ\0", 6);
	buf_done(&c);
}

static void
t_bad_input(void **state)
{
	struct buf	c, d;
	struct dp_error	err;
	char		*data = sample(100000);

	(void)state;
	buf_init(&c);
	buf_init(&d);
	/* Not compressed at all. */
	assert_int_equal(decompress_buf(COMPRESS_GZIP, "hello", 5, 100, &d,
	    &err), -1);
	assert_int_equal(err.code, DP_ERR_INVALID);
	assert_int_equal(decompress_buf(COMPRESS_XZ, "hello", 5, 100, &d,
	    &err), -1);
	/* Bigger than allowed. */
	assert_int_equal(compress_buf(COMPRESS_XZ, data, 100000, &c, &err), 0);
	buf_reset(&d);
	assert_int_equal(decompress_buf(COMPRESS_XZ, c.data, c.len, 1000, &d,
	    &err), -1);
	assert_non_null(strstr(err.msg, "larger"));
	/* Truncated. */
	buf_reset(&d);
	assert_int_equal(decompress_buf(COMPRESS_XZ, c.data, c.len / 2,
	    200000, &d, &err), -1);
	buf_reset(&c);
	assert_int_equal(compress_buf(COMPRESS_GZIP, data, 100000, &c, &err),
	    0);
	buf_reset(&d);
	assert_int_equal(decompress_buf(COMPRESS_GZIP, c.data, c.len / 2,
	    200000, &d, &err), -1);
	/* Two gzip members concatenated read as one stream. */
	buf_reset(&c);
	compress_buf(COMPRESS_GZIP, "ab", 2, &c, &err);
	compress_buf(COMPRESS_GZIP, "cd", 2, &c, &err);
	buf_reset(&d);
	assert_int_equal(decompress_buf(COMPRESS_GZIP, c.data, c.len, 10, &d,
	    &err), 0);
	assert_string_equal(d.data, "abcd");
	buf_done(&c);
	buf_done(&d);
	free(data);
}

static void
check_file(enum compress_kind kind, const char *path, const char *data,
    size_t len, const struct hash_sums *sums)
{
	struct hash_sums	 got;
	struct dp_error		 err;
	struct buf		 d;
	char			*c;
	size_t			 clen;

	assert_int_equal(fs_read_file(path, 1 << 30, &c, &clen, &err), 0);
	hash_buf(c, clen, &got);
	assert_int_equal(got.size, sums->size);
	assert_string_equal(got.sha256, sums->sha256);
	assert_string_equal(got.md5, sums->md5);
	buf_init(&d);
	assert_int_equal(decompress_buf(kind, c, clen, len + 1, &d, &err), 0);
	assert_int_equal(d.len, len);
	assert_memory_equal(d.data, data, len);
	buf_done(&d);
	free(c);
}

static void
t_file_and_runner(void **state)
{
	struct compress_runner	*r;
	struct compress_job	 jobs[5];
	struct hash_sums	 sums;
	struct dp_error		 err;
	size_t			 len = 6 * 1024 * 1024, i;
	char			*data = sample(len), *src, *dst[5];

	(void)state;
	src = fs_join(tmpdir, "Packages");
	assert_int_equal(fs_write_atomic(src, data, len, 0644, &err), 0);
	for (i = 0; i < 5; i++)
		dst[i] = xasprintf("%s/out%zu", tmpdir, i);

	/* Multi-threaded xz (input above the threshold). */
	assert_int_equal(compress_file(COMPRESS_XZ, src, dst[0], 4, &sums,
	    &err), 0);
	check_file(COMPRESS_XZ, dst[0], data, len, &sums);
	assert_int_equal(compress_file(COMPRESS_GZIP, src, dst[1], 1, &sums,
	    &err), 0);
	check_file(COMPRESS_GZIP, dst[1], data, len, &sums);
	assert_int_equal(compress_file(COMPRESS_NONE, src, dst[2], 1, &sums,
	    &err), 0);
	check_file(COMPRESS_NONE, dst[2], data, len, &sums);

	/* The runner: several jobs at once, one failing. */
	r = compress_runner_new(0);
	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < 4; i++) {
		jobs[i].kind = i % 2 == 0 ? COMPRESS_XZ : COMPRESS_GZIP;
		jobs[i].src = src;
		jobs[i].dst = dst[i];
		compress_runner_add(r, &jobs[i]);
	}
	assert_int_equal(compress_runner_wait(r, &err), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(jobs[i].rv, 0);
		check_file(jobs[i].kind, dst[i], data, len, &jobs[i].sums);
	}
	jobs[4].kind = COMPRESS_GZIP;
	jobs[4].src = "/nonexistent/Packages";
	jobs[4].dst = dst[4];
	compress_runner_add(r, &jobs[4]);
	assert_int_equal(compress_runner_wait(r, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/Packages"));
	assert_int_equal(jobs[4].rv, -1);
	compress_runner_free(r);
	compress_runner_free(NULL);
	assert_true(compress_ncpus() >= 1);

	for (i = 0; i < 5; i++) {
		unlink(dst[i]);
		free(dst[i]);
	}
	unlink(src);
	free(src);
	free(data);
}

/* Jobs with a feed read the source while it is written; an abandoned
 * feed fails its jobs instead of hanging. */
static void
t_feed(void **state)
{
	struct compress_runner	*r;
	struct compress_job	 jobs[2];
	struct compress_feed	 feed;
	struct dp_error		 err;
	size_t			 len = 5 * 1024 * 1024, off, n, i;
	char			*data = sample(len), *src, *dst[2];
	FILE			*f;

	(void)state;
	src = fs_join(tmpdir, "growing");
	for (i = 0; i < 2; i++)
		dst[i] = xasprintf("%s/grown%zu", tmpdir, i);
	assert_non_null(f = fopen(src, "w"));
	compress_feed_init(&feed);
	r = compress_runner_new(2);
	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < 2; i++) {
		jobs[i].kind = i == 0 ? COMPRESS_GZIP : COMPRESS_XZ;
		jobs[i].src = src;
		jobs[i].dst = dst[i];
		jobs[i].size_hint = len;
		jobs[i].feed = &feed;
		compress_runner_add(r, &jobs[i]);
	}
	for (off = 0; off < len; off += n) {
		n = len - off < 300000 ? len - off : 300000;
		assert_int_equal(fwrite(data + off, 1, n, f), n);
		fflush(f);
		compress_feed_update(&feed, off + n, 0);
		usleep(1000);
	}
	fclose(f);
	compress_feed_update(&feed, len, 1);
	assert_int_equal(compress_runner_wait(r, &err), 0);
	for (i = 0; i < 2; i++)
		check_file(jobs[i].kind, dst[i], data, len, &jobs[i].sums);

	/* Abandoned half-way. */
	compress_feed_update(&feed, 0, 0);
	for (i = 0; i < 2; i++)
		compress_runner_add(r, &jobs[i]);
	compress_feed_update(&feed, 1000, 0);
	usleep(10000);
	compress_feed_update(&feed, 1000, -1);
	assert_int_equal(compress_runner_wait(r, &err), -1);
	assert_int_equal(jobs[0].rv, -1);
	assert_int_equal(jobs[1].rv, -1);
	compress_runner_free(r);
	compress_feed_done(&feed);
	for (i = 0; i < 2; i++) {
		unlink(dst[i]);
		free(dst[i]);
	}
	unlink(src);
	free(src);
	free(data);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return fs_remove_tree(tmpdir, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_roundtrip),
		cmocka_unit_test(t_format),
		cmocka_unit_test(t_bad_input),
		cmocka_unit_test(t_file_and_runner),
		cmocka_unit_test(t_feed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
