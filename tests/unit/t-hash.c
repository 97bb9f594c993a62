/* t-hash.c - lib/hash.c: MD5/SHA1/SHA256 against published vectors
 * (RFC 1321, FIPS 180), one-shot and streaming, files larger than the
 * read buffer, the hashing copy, write_all and the hex check. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "hash.h"
#include "xmalloc.h"

/* lib/hash.c reads 256 KiB at a time. */
#define READ_BUFSZ	(256 * 1024)

struct vector {
	const char	*what;
	const char	*md5;
	const char	*sha1;
	const char	*sha256;
};

static const struct vector V_EMPTY = { "",
	"d41d8cd98f00b204e9800998ecf8427e",
	"da39a3ee5e6b4b0d3255bfef95601890afd80709",
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" };
static const struct vector V_ABC = { "abc",
	"900150983cd24fb0d6963f7d28e17f72",
	"a9993e364706816aba3e25717850c26c9cd0d89d",
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" };
/* FIPS 180-2's two-block message (448 bits). */
static const struct vector V_448 = {
	"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	"8215ef0796a20bcaaae116d3876c664a",
	"84983e441c3bd26ebaae4aa1f95129e5e54670f1",
	"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" };
/* One million 'a' (FIPS 180-2; MD5 from the same input), 3.8 reads. */
static const struct vector V_MILLION = { NULL,
	"7707d6ae4e027c70eea2a935c2296f21",
	"34aa973cd4c4daa4f61eeb2bdbad27316534016f",
	"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" };

static void
assert_sums(const struct hash_sums *s, const struct vector *v, uint64_t size)
{
	assert_int_equal(s->size, size);
	assert_string_equal(s->md5, v->md5);
	assert_string_equal(s->sha1, v->sha1);
	assert_string_equal(s->sha256, v->sha256);
	assert_int_equal(strlen(s->md5), HASH_MD5_HEXLEN);
	assert_int_equal(strlen(s->sha1), HASH_SHA1_HEXLEN);
	assert_int_equal(strlen(s->sha256), HASH_SHA256_HEXLEN);
}

static char *
million_a(void)
{
	char *p = xmalloc(1000000);

	memset(p, 'a', 1000000);
	return p;
}

static char *
tmpdir(void)
{
	char *d = xstrdup("/tmp/t-hash.XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

static void
write_file(const char *path, const void *data, size_t len)
{
	struct dp_error err;

	assert_int_equal(fs_write_atomic(path, data, len, 0644, &err), 0);
}

static void
test_buf_vectors(void **state)
{
	const struct vector	*v[] = { &V_EMPTY, &V_ABC, &V_448 };
	struct hash_sums	 s;
	char			*m;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(&s, 'x', sizeof(s));
		hash_buf(v[i]->what, strlen(v[i]->what), &s);
		assert_sums(&s, v[i], strlen(v[i]->what));
	}
	m = million_a();
	hash_buf(m, 1000000, &s);
	assert_sums(&s, &V_MILLION, 1000000);
	/* One byte less is another digest entirely. */
	hash_buf(m, 999999, &s);
	assert_int_equal(s.size, 999999);
	assert_string_not_equal(s.sha256, V_MILLION.sha256);
	assert_string_not_equal(s.md5, V_MILLION.md5);
	assert_string_not_equal(s.sha1, V_MILLION.sha1);
	free(m);
}

/* The streaming API: any split gives the one-shot digest; final resets
 * the context for the next message; reset throws away what was fed. */
static void
test_streaming(void **state)
{
	static const size_t	 chunks[] = { 1, 3, 63, 64, 65, 4096, 99991,
				    READ_BUFSZ, READ_BUFSZ + 1 };
	struct hash_ctx		*h;
	struct hash_sums	 s;
	char			*m;
	size_t			 i, off, n;

	(void)state;
	h = hash_new();
	hash_final(h, &s);			/* nothing fed */
	assert_sums(&s, &V_EMPTY, 0);
	hash_update(h, "a", 1);
	hash_update(h, "", 0);
	hash_update(h, NULL, 0);		/* zero length: a no-op */
	hash_update(h, "bc", 2);
	hash_final(h, &s);
	assert_sums(&s, &V_ABC, 3);
	/* final reset it: the next message starts from nothing. */
	hash_update(h, "abc", 3);
	hash_final(h, &s);
	assert_sums(&s, &V_ABC, 3);
	hash_update(h, "garbage", 7);
	hash_reset(h);
	hash_update(h, V_448.what, 20);
	hash_update(h, V_448.what + 20, strlen(V_448.what) - 20);
	hash_final(h, &s);
	assert_sums(&s, &V_448, strlen(V_448.what));

	m = million_a();
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		for (off = 0; off < 1000000; off += n) {
			n = chunks[i];
			if (n > 1000000 - off)
				n = 1000000 - off;
			hash_update(h, m + off, n);
		}
		hash_final(h, &s);
		assert_sums(&s, &V_MILLION, 1000000);
	}
	free(m);
	hash_free(h);
	hash_free(NULL);
}

/* hash_file and hash_fd on files of 0, 3 bytes, exactly one read buffer,
 * one more, and a million bytes; a pipe (short reads). */
static void
test_file(void **state)
{
	struct hash_sums	 s, want;
	struct dp_error		 err;
	char			*d, *path, *m;
	size_t			 sizes[] = { READ_BUFSZ - 1, READ_BUFSZ,
				    READ_BUFSZ + 1, 3 * READ_BUFSZ + 17 };
	size_t			 i;
	int			 fd, p[2];
	pid_t			 pid;

	(void)state;
	d = tmpdir();
	path = fs_join(d, "f");
	write_file(path, "", 0);
	assert_int_equal(hash_file(path, &s, &err), 0);
	assert_sums(&s, &V_EMPTY, 0);
	write_file(path, "abc", 3);
	assert_int_equal(hash_file(path, &s, &err), 0);
	assert_sums(&s, &V_ABC, 3);
	m = million_a();
	write_file(path, m, 1000000);
	assert_int_equal(hash_file(path, &s, &err), 0);
	assert_sums(&s, &V_MILLION, 1000000);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(hash_fd(fd, "f", &s, &err), 0);
	assert_sums(&s, &V_MILLION, 1000000);
	close(fd);

	/* Around the buffer size, varied bytes: the one-shot digest. */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t j;
		char *b = xmalloc(sizes[i]);

		for (j = 0; j < sizes[i]; j++)
			b[j] = (char)(j * 131 + j / 7);
		write_file(path, b, sizes[i]);
		hash_buf(b, sizes[i], &want);
		assert_int_equal(hash_file(path, &s, &err), 0);
		assert_int_equal(s.size, sizes[i]);
		assert_string_equal(s.md5, want.md5);
		assert_string_equal(s.sha1, want.sha1);
		assert_string_equal(s.sha256, want.sha256);
		free(b);
	}

	/* A pipe fed in small writes: reads come back short. */
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		size_t off;

		close(p[0]);
		for (off = 0; off < 1000000; off += 1000)
			if (write(p[1], m + off, 1000) != 1000)
				_exit(1);
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(hash_fd(p[0], "pipe", &s, &err), 0);
	close(p[0]);
	assert_int_equal(waitpid(pid, &fd, 0), pid);
	assert_true(WIFEXITED(fd) && WEXITSTATUS(fd) == 0);
	assert_sums(&s, &V_MILLION, 1000000);
	free(m);

	/* Errors name the file and keep errno. */
	unlink(path);
	memset(&err, 0, sizeof(err));
	assert_int_equal(hash_file(path, &s, &err), -1);
	assert_int_equal(err.code, DP_ERR_SYSTEM);
	assert_int_equal(err.errnum, ENOENT);
	assert_non_null(strstr(err.msg, path));
	fd = open(d, O_RDONLY | O_DIRECTORY);	/* read(2) on it: EISDIR */
	assert_true(fd >= 0);
	assert_int_equal(hash_fd(fd, "the-dir", &s, &err), -1);
	assert_int_equal(err.errnum, EISDIR);
	assert_non_null(strstr(err.msg, "the-dir"));
	close(fd);
	assert_int_equal(hash_file(path, &s, NULL), -1);	/* NULL err */

	rmdir(d);
	free(path);
	free(d);
}

/* The copy writes exactly what it read and hashes it on the way. */
static void
test_copy(void **state)
{
	struct hash_sums	 s;
	struct dp_error		 err;
	char			*d, *src, *dst, *m, *back;
	size_t			 len;
	int			 in, out;

	(void)state;
	d = tmpdir();
	src = fs_join(d, "src");
	dst = fs_join(d, "dst");
	m = million_a();
	m[0] = 'b';			/* not the vector: a real copy */
	m[999999] = 'z';
	write_file(src, m, 1000000);
	in = open(src, O_RDONLY);
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(in >= 0 && out >= 0);
	assert_int_equal(hash_copy_fd(in, "src", out, "dst", &s, &err), 0);
	close(in);
	close(out);
	assert_int_equal(fs_read_file(dst, 2000000, &back, &len, &err), 0);
	assert_int_equal(len, 1000000);
	assert_memory_equal(back, m, 1000000);
	free(back);
	{
		struct hash_sums want;

		hash_buf(m, 1000000, &want);
		assert_int_equal(s.size, 1000000);
		assert_string_equal(s.sha256, want.sha256);
		assert_string_equal(s.sha1, want.sha1);
		assert_string_equal(s.md5, want.md5);
		assert_string_not_equal(s.sha256, V_MILLION.sha256);
	}

	/* The output cannot be written: the error names it. */
	in = open(src, O_RDONLY);
	out = open(dst, O_RDONLY);
	assert_true(in >= 0 && out >= 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(hash_copy_fd(in, "src", out, "the-out", &s, &err),
	    -1);
	assert_int_equal(err.code, DP_ERR_SYSTEM);
	assert_int_equal(err.errnum, EBADF);
	assert_non_null(strstr(err.msg, "write the-out"));
	close(in);
	close(out);

	/* hash_write_all: everything, and an error names the file. */
	out = open(dst, O_WRONLY | O_TRUNC);
	assert_true(out >= 0);
	assert_int_equal(hash_write_all(out, "dst", "abc", 3, &err), 0);
	assert_int_equal(hash_write_all(out, "dst", m, 1000000, &err), 0);
	close(out);
	assert_int_equal(hash_file(dst, &s, &err), 0);
	assert_int_equal(s.size, 1000003);
	assert_int_equal(hash_write_all(-1, "nowhere", "x", 1, &err), -1);
	assert_int_equal(err.errnum, EBADF);
	assert_non_null(strstr(err.msg, "nowhere"));

	free(m);
	unlink(src);
	unlink(dst);
	rmdir(d);
	free(src);
	free(dst);
	free(d);
}

static void
test_hex_valid(void **state)
{
	(void)state;
	assert_true(hash_hex_valid(V_ABC.md5, HASH_MD5_HEXLEN));
	assert_true(hash_hex_valid(V_ABC.sha1, HASH_SHA1_HEXLEN));
	assert_true(hash_hex_valid(V_ABC.sha256, HASH_SHA256_HEXLEN));
	assert_true(hash_hex_valid("", 0));
	assert_true(hash_hex_valid("0123456789abcdef", 16));
	/* Uppercase is not what we write or accept. */
	assert_false(hash_hex_valid("0123456789ABCDEF", 16));
	assert_false(hash_hex_valid("0123456789abcdeg", 16));
	/* Too short (stops at the NUL), too long. */
	assert_false(hash_hex_valid("abc", 4));
	assert_false(hash_hex_valid("abcd", 3));
	assert_false(hash_hex_valid(V_ABC.md5, HASH_SHA1_HEXLEN));
	assert_false(hash_hex_valid(V_ABC.sha1, HASH_MD5_HEXLEN));
	assert_false(hash_hex_valid(" abc", 4));
	assert_false(hash_hex_valid("ab c", 4));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_vectors),
		cmocka_unit_test(test_streaming),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_hex_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
