/*
 * t-http-client.c - lib/http-client.c: the libcurl set-up (protocols,
 * the error buffer) and the error adapter (CURLcode and HTTP status to
 * struct dp_error).
 */
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

#include "error.h"
#include "http-client.h"

static size_t
discard_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	size_t	*n = arg;

	*n += size * nmemb;
	return size * nmemb;
}

static void
test_status(void **state)
{
	struct dp_error	err;

	(void)state;
	assert_int_equal(http_client_status(200, &err), 0);
	assert_int_equal(http_client_status(299, &err), 0);
	assert_int_equal(http_client_status(404, &err), -1);
	assert_int_equal(err.code, DP_ERR_NOTFOUND);
	assert_string_equal(err.msg, "HTTP status 404");
	assert_int_equal(http_client_status(410, &err), -1);
	assert_int_equal(err.code, DP_ERR_NOTFOUND);
	assert_int_equal(http_client_status(403, &err), -1);
	assert_int_equal(err.code, DP_ERR_PERM);
	assert_int_equal(http_client_status(503, &err), -1);
	assert_int_equal(err.code, DP_ERR_NET);
	assert_int_equal(http_client_status(304, &err), -1);
	assert_int_equal(http_client_status(0, &err), -1);
	assert_string_equal(err.msg, "HTTP status 0");
}

static void
test_error_curl(void **state)
{
	struct dp_error	err;
	const char	*m = curl_easy_strerror(CURLE_COULDNT_CONNECT);
	char		 want[512];

	(void)state;
	dp_error_curl(&err, CURLE_OPERATION_TIMEDOUT, NULL, "GET %s", "u");
	assert_int_equal(err.code, DP_ERR_TIMEOUT);
	dp_error_curl(&err, CURLE_COULDNT_CONNECT, "port 1 refused",
	    "GET %s", "http://x/");
	assert_int_equal(err.code, DP_ERR_NET);
	snprintf(want, sizeof(want), "GET http://x/: %s (port 1 refused)", m);
	assert_string_equal(err.msg, want);
	/* A detail saying the same as the code is not repeated. */
	dp_error_curl(&err, CURLE_COULDNT_CONNECT, m, "POST");
	snprintf(want, sizeof(want), "POST: %s", m);
	assert_string_equal(err.msg, want);
	dp_error_curl(NULL, CURLE_COULDNT_CONNECT, NULL, "ignored");
}

/* A file: URL where only file is allowed; refused where it is not. */
static void
test_protocols(void **state)
{
	struct http_client_opts	 o = { .agent = "t-http-client",
				    .protocols = "file", .timeout_ms = 5000 };
	struct dp_error		 err;
	char			 ebuf[CURL_ERROR_SIZE], path[] =
				    "/tmp/t-http-client.XXXXXX", *url;
	size_t			 n = 0;
	long			 status = -1;
	CURL			*h;
	int			 fd;

	(void)state;
	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(write(fd, "hello\n", 6), 6);
	close(fd);
	assert_true(asprintf(&url, "file://%s", path) > 0);

	assert_non_null(h = http_client_new(&o, ebuf, &err));
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &n);
	assert_int_equal(http_client_perform(h, ebuf, &status, &err), 0);
	assert_int_equal(n, 6);
	assert_int_equal(status, 0);
	curl_easy_cleanup(h);

	o.protocols = "http,https";
	assert_non_null(h = http_client_new(&o, ebuf, &err));
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &n);
	assert_int_equal(http_client_perform(h, ebuf, NULL, &err), -1);
	assert_int_equal(err.code, DP_ERR_NET);
	assert_non_null(strstr(err.msg,
	    curl_easy_strerror(CURLE_UNSUPPORTED_PROTOCOL)));
	assert_int_equal(n, 6);
	curl_easy_cleanup(h);
	unlink(path);
	free(url);
}

/* Nothing listens on port 1 of 127.0.0.1: unreachable, not a status. */
static void
test_unreachable(void **state)
{
	struct http_client_opts	 o = { .protocols = "http",
				    .connect_timeout = 5 };
	struct dp_error		 err;
	char			 ebuf[CURL_ERROR_SIZE];
	long			 status = -1;
	CURL			*h;

	(void)state;
	assert_non_null(h = http_client_new(&o, ebuf, &err));
	curl_easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:1/");
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	assert_int_equal(http_client_perform(h, ebuf, &status, &err), -1);
	assert_int_equal(status, -1);
	assert_int_equal(err.code, DP_ERR_NET);
	assert_true(strlen(err.msg) > 0);
	curl_easy_cleanup(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_error_curl),
		cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_unreachable),
	};

	assert_int_equal(http_client_init(NULL), 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
