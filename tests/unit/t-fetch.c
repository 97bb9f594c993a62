/* t-fetch.c - the libcurl wrapper on file:// URLs: memory and file
 * targets, size caps, missing files, refused protocols, parallel
 * downloads, the error adapter. */
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

#include <curl/curl.h>

#include "error.h"
#include "fetch.h"
#include "fsutil.h"
#include "xmalloc.h"

/* sha256("hello world\n") */
#define HELLO_SHA256 \
	"a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"

static char	*dir;

static int
setup(void **state)
{
	char		 tmpl[] = "/tmp/t-fetch.XXXXXX";
	char		*p;
	struct dp_error	 err;

	(void)state;
	if (mkdtemp(tmpl) == NULL)
		return -1;
	dir = xstrdup(tmpl);
	p = fs_join(dir, "hello.txt");
	if (fs_write_atomic(p, "hello world\n", 12, 0644, &err) == -1)
		return -1;
	free(p);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	fs_remove_tree(dir, NULL);
	free(dir);
	return 0;
}

static char *
url_of(const char *name)
{
	return xasprintf("file://%s/%s", dir, name);
}

static void
test_memory(void **state)
{
	struct fetch		*f = fetch_new();
	struct fetch_req	 req;
	struct fetch_result	 res;
	struct dp_error		 err;
	char			 hex[65], *url = url_of("hello.txt");

	(void)state;
	assert_non_null(f);
	memset(&req, 0, sizeof(req));
	req.url = url;
	fetch_result_init(&res);
	assert_int_equal(fetch_get(f, &req, &res, &err), 0);
	assert_int_equal(res.size, 12);
	assert_memory_equal(res.body.data, "hello world\n", 12);
	assert_false(res.not_modified);
	fetch_hex(res.sha256, hex);
	assert_string_equal(hex, HELLO_SHA256);
	assert_int_equal(fetch_requests(f), 1);
	fetch_result_done(&res);
	fetch_free(f);
	free(url);
}

static void
test_cap(void **state)
{
	struct fetch		*f = fetch_new();
	struct fetch_req	 req;
	struct fetch_result	 res;
	struct dp_error		 err;
	char			*url = url_of("hello.txt");
	char			*out = fs_join(dir, "capped");

	(void)state;
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.max_size = 5;
	fetch_result_init(&res);
	assert_int_equal(fetch_get(f, &req, &res, &err), -1);
	assert_int_equal(err.code, DP_ERR_INVALID);
	assert_non_null(strstr(err.msg, "larger than the limit of 5"));
	assert_int_equal(res.body.len, 0);

	/* To a file: nothing is left behind. */
	req.path = out;
	assert_int_equal(fetch_get(f, &req, &res, &err), -1);
	assert_int_equal(access(out, F_OK), -1);
	fetch_result_done(&res);
	fetch_free(f);
	free(url);
	free(out);
}

static void
test_file_target(void **state)
{
	struct fetch		*f = fetch_new();
	struct fetch_req	 req;
	struct fetch_result	 res;
	struct dp_error		 err;
	char			*url = url_of("hello.txt");
	char			*out = fs_join(dir, "copy"), *data;
	size_t			 len;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.path = out;
	req.max_size = 12;		/* exactly the size is fine */
	fetch_result_init(&res);
	assert_int_equal(fetch_get(f, &req, &res, &err), 0);
	assert_int_equal(res.body.len, 0);
	assert_int_equal(fs_read_file(out, 100, &data, &len, &err), 0);
	assert_int_equal(len, 12);
	assert_memory_equal(data, "hello world\n", 12);
	free(data);
	fetch_result_done(&res);
	fetch_free(f);
	free(url);
	free(out);
}

static void
test_missing_and_protocols(void **state)
{
	struct fetch		*f = fetch_new();
	struct fetch_req	 req;
	struct fetch_result	 res;
	struct dp_error		 err;
	char			*url = url_of("nope");

	(void)state;
	memset(&req, 0, sizeof(req));
	req.url = url;
	fetch_result_init(&res);
	assert_int_equal(fetch_get(f, &req, &res, &err), -1);
	assert_int_equal(err.code, DP_ERR_NOTFOUND);

	/* Only http, https and file. */
	req.url = "ftp://127.0.0.1:1/x";
	assert_int_equal(fetch_get(f, &req, &res, &err), -1);
	assert_int_equal(err.code, DP_ERR_NET);
	assert_non_null(strstr(err.msg, "ftp://127.0.0.1:1/x"));
	req.url = "scp://127.0.0.1/etc/passwd";
	assert_int_equal(fetch_get(f, &req, &res, &err), -1);
	fetch_result_done(&res);
	fetch_free(f);
	free(url);
}

static void
test_many(void **state)
{
	struct fetch		*f = fetch_new();
	struct fetch_req	 reqs[5];
	struct fetch_result	 res[5];
	struct dp_error		 err;
	char			*url = url_of("hello.txt");
	char			*bad = url_of("nope");
	char			*out[5], hex[65];
	int			 i;

	(void)state;
	memset(reqs, 0, sizeof(reqs));
	for (i = 0; i < 5; i++) {
		out[i] = xasprintf("%s/many.%d", dir, i);
		reqs[i].url = url;
		reqs[i].path = out[i];
		reqs[i].max_size = 100;
		fetch_result_init(&res[i]);
	}
	assert_int_equal(fetch_get_many(f, reqs, 5, 2, res, &err), 0);
	for (i = 0; i < 5; i++) {
		assert_int_equal(res[i].size, 12);
		fetch_hex(res[i].sha256, hex);
		assert_string_equal(hex, HELLO_SHA256);
		assert_int_equal(access(out[i], F_OK), 0);
		unlink(out[i]);
	}
	/* One failure fails the lot. */
	reqs[3].url = bad;
	assert_int_equal(fetch_get_many(f, reqs, 5, 2, res, &err), -1);
	assert_int_equal(err.code, DP_ERR_NOTFOUND);
	assert_int_equal(access(out[3], F_OK), -1);
	/* Nothing to do is fine. */
	assert_int_equal(fetch_get_many(f, reqs, 0, 4, res, &err), 0);
	for (i = 0; i < 5; i++) {
		fetch_result_done(&res[i]);
		free(out[i]);
	}
	fetch_free(f);
	free(url);
	free(bad);
}

static void
test_error_adapter(void **state)
{
	struct dp_error	err;

	(void)state;
	dp_error_curl(&err, CURLE_OPERATION_TIMEDOUT, "Operation too slow",
	    "GET %s", "http://x/");
	assert_int_equal(err.code, DP_ERR_TIMEOUT);
	assert_non_null(strstr(err.msg, "GET http://x/: "));
	assert_non_null(strstr(err.msg, "(Operation too slow)"));
	dp_error_curl(&err, CURLE_COULDNT_CONNECT, "", "GET %s", "http://y/");
	assert_int_equal(err.code, DP_ERR_NET);
	assert_null(strstr(err.msg, "()"));
	dp_error_curl(NULL, CURLE_COULDNT_CONNECT, NULL, "x");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_file_target),
		cmocka_unit_test(test_missing_and_protocols),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_error_adapter),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
