/* t-objstore.c - object-storage reply parsers (S3 ListObjectsV2 and error
 * XML, Swift JSON listings), key escaping, the credentials file check. */
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
#include <unistd.h>

#include "objstore.h"
#include "xmalloc.h"

struct seen {
	char	 keys[8][64];
	uint64_t sizes[8];
	int	 n;
};

static int
seen_cb(const struct objstore_entry *e, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8) {
		snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", e->key);
		s->sizes[s->n] = e->size;
	}
	s->n++;
	return 0;
}

static void
test_s3_list(void **state)
{
	const char *page =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	    "<Name>bkt</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount>"
	    "<IsTruncated>true</IsTruncated>"
	    "<NextContinuationToken>tok+1</NextContinuationToken>"
	    "<Contents><Key>p/pool/a&amp;b.deb</Key><Size>12</Size>"
	    "<ETag>&quot;abc&quot;</ETag></Contents>"
	    "<Contents><Key>p/dists/x</Key><Size>0</Size></Contents>"
	    "</ListBucketResult>";
	const char *last = "<ListBucketResult><IsTruncated>false</IsTruncated>"
	    "</ListBucketResult>";
	struct seen	 s;
	struct dp_error	 err;
	char		*next = NULL;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(objstore_s3_parse_list(page, strlen(page), seen_cb,
	    &s, &next, &err), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.keys[0], "p/pool/a&b.deb");
	assert_int_equal(s.sizes[0], 12);
	assert_string_equal(next, "tok+1");
	free(next);
	assert_int_equal(objstore_s3_parse_list(last, strlen(last), seen_cb,
	    &s, &next, &err), 0);
	assert_null(next);
	/* Malformed: not XML, no Key, bad Size, truncated without token. */
	assert_int_equal(objstore_s3_parse_list("<a", 2, seen_cb, &s, &next,
	    &err), -1);
	assert_int_equal(objstore_s3_parse_list("<ListBucketResult><Contents>"
	    "<Size>1</Size></Contents></ListBucketResult>", 67, seen_cb, &s,
	    &next, &err), -1);
	assert_int_equal(objstore_s3_parse_list("<ListBucketResult><Contents>"
	    "<Key>k</Key><Size>x</Size></Contents></ListBucketResult>", 76,
	    seen_cb, &s, &next, &err), -1);
	assert_int_equal(objstore_s3_parse_list("<ListBucketResult>"
	    "<IsTruncated>true</IsTruncated></ListBucketResult>", 68, seen_cb,
	    &s, &next, &err), -1);
	assert_null(next);
}

static void
test_s3_error(void **state)
{
	const char *e = "<?xml version='1.0' encoding='UTF-8'?>\n<Error><Code>"
	    "NoSuchBucket</Code><Message>The specified bucket does not exist."
	    "</Message></Error>";
	char *s;

	(void)state;
	s = objstore_s3_parse_error(e, strlen(e));
	assert_non_null(s);
	assert_string_equal(s, "NoSuchBucket: The specified bucket does not "
	    "exist.");
	free(s);
	assert_null(objstore_s3_parse_error("<html>", 6));
	assert_null(objstore_s3_parse_error("", 0));
}

static void
test_swift_list(void **state)
{
	const char *page = "[{\"name\": \"deb/pool/a\", \"bytes\": 5, \"hash\": "
	    "\"d41d\"}, {\"name\": \"deb/x\", \"bytes\": 0}]";
	struct seen	 s;
	struct dp_error	 err;
	char		*next = NULL;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(objstore_swift_parse_list(page, strlen(page), seen_cb,
	    &s, &next, &err), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.keys[1], "deb/x");
	assert_string_equal(next, "deb/x");
	free(next);
	assert_int_equal(objstore_swift_parse_list("[]", 2, seen_cb, &s,
	    &next, &err), 0);
	assert_null(next);
	assert_int_equal(objstore_swift_parse_list("{}", 2, seen_cb, &s,
	    &next, &err), -1);
	assert_int_equal(objstore_swift_parse_list("[{\"name\": \"a\", "
	    "\"bytes\": -1}]", 27, seen_cb, &s, &next, &err), -1);
	assert_int_equal(objstore_swift_parse_list("[{\"bytes\": 1}]", 14,
	    seen_cb, &s, &next, &err), -1);
}

static void
test_escape(void **state)
{
	char *s;

	(void)state;
	s = objstore_key_escape("pool/main/l/libc++/libc++1_1.0+b1_amd64.deb");
	assert_string_equal(s, "pool/main/l/libc%2B%2B/libc%2B%2B1_1.0%2Bb1_"
	    "amd64.deb");
	free(s);
	s = objstore_key_escape("a b~c:d");
	assert_string_equal(s, "a%20b~c%3Ad");
	free(s);
}

static void
test_credentials_mode(void **state)
{
	struct conf_target	 t;
	struct objstore		*os = NULL;
	struct dp_error		 err;
	char			 path[] = "/tmp/t-objstore.XXXXXX";
	int			 fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_true(write(fd, "Access-Key: a\nSecret-Key: b\n", 28) == 28);
	close(fd);
	memset(&t, 0, sizeof(t));
	t.name = "s3://b/p";
	t.proto = TARGET_S3;
	t.bucket = "b";
	t.prefix = "p";
	t.endpoint = "http://127.0.0.1:1";
	t.region = "us-east-1";
	t.credentials = path;
	t.jobs = 2;
	t.file = "debpipe.conf";
	t.line = 1;
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(objstore_open(&t, &os, &err), -1);
	assert_non_null(strstr(err.msg, "mode 0600"));
	assert_non_null(strstr(err.msg, "debpipe.conf:1: Publish-Credentials: "));
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(objstore_open(&t, &os, &err), 0);
	assert_string_equal(objstore_public_url(os), "http://127.0.0.1:1/b/p/");
	objstore_close(os);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s3_list),
		cmocka_unit_test(test_s3_error),
		cmocka_unit_test(test_swift_list),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_credentials_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
