/*
 * http-client.c - the set-up of libcurl easy handles and the libcurl
 * error adapter (see http-client.h).
 */
#include "autoconfig.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "error.h"
#include "http-client.h"

static pthread_once_t	http_client_once = PTHREAD_ONCE_INIT;
static CURLcode		http_client_rc;

static void
http_client_init_once(void)
{
	http_client_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
http_client_init(struct dp_error *err)
{
	pthread_once(&http_client_once, http_client_init_once);
	if (http_client_rc != CURLE_OK) {
		dp_error_set(err, DP_ERR_NET, "cannot initialise libcurl: %s",
		    curl_easy_strerror(http_client_rc));
		return -1;
	}
	return 0;
}

/* The message of curlcode with detail (when it says more). */
static void
http_client_curl_msg(int curlcode, const char *detail, char *out,
    size_t outlen)
{
	const char	*msg = curl_easy_strerror((CURLcode)curlcode);

	if (detail != NULL && *detail != '\0' && strcmp(detail, msg) != 0)
		snprintf(out, outlen, "%s (%s)", msg, detail);
	else
		snprintf(out, outlen, "%s", msg);
}

static int
http_client_curl_code(int curlcode)
{
	return curlcode == CURLE_OPERATION_TIMEDOUT ? DP_ERR_TIMEOUT :
	    DP_ERR_NET;
}

void
dp_error_curl(struct dp_error *err, int curlcode, const char *detail,
    const char *fmt, ...)
{
	char		 what[512], msg[CURL_ERROR_SIZE + 256];
	va_list		 ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	http_client_curl_msg(curlcode, detail, msg, sizeof(msg));
	dp_error_set(err, http_client_curl_code(curlcode), "%s: %s", what,
	    msg);
}

#if LIBCURL_VERSION_NUM < 0x075500
/* "http,https,file" as the bit mask of libcurl before 7.85. */
static long
http_client_protos(const char *list)
{
	long	 mask = 0;
	size_t	 n;

	while (*list != '\0') {
		n = strcspn(list, ",");
		if (n == 4 && strncmp(list, "http", 4) == 0)
			mask |= CURLPROTO_HTTP;
		else if (n == 5 && strncmp(list, "https", 5) == 0)
			mask |= CURLPROTO_HTTPS;
		else if (n == 4 && strncmp(list, "file", 4) == 0)
			mask |= CURLPROTO_FILE;
		list += n;
		if (*list == ',')
			list++;
	}
	return mask;
}
#endif

void
http_client_setup(CURL *h, const struct http_client_opts *o, char *errbuf)
{
	if (o->agent != NULL)
		curl_easy_setopt(h, CURLOPT_USERAGENT, o->agent);
#if LIBCURL_VERSION_NUM >= 0x075500
	if (o->protocols != NULL)
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, o->protocols);
	if (o->redir_protocols != NULL)
		curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR,
		    o->redir_protocols);
#else
	if (o->protocols != NULL)
		curl_easy_setopt(h, CURLOPT_PROTOCOLS,
		    http_client_protos(o->protocols));
	if (o->redir_protocols != NULL)
		curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS,
		    http_client_protos(o->redir_protocols));
#endif
	if (o->redir_protocols != NULL) {
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(h, CURLOPT_MAXREDIRS, o->max_redirs);
	}
	if (o->connect_timeout > 0)
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
		    o->connect_timeout);
	if (o->low_speed_time > 0) {
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT,
		    o->low_speed_limit);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, o->low_speed_time);
	}
	if (o->timeout_ms > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	/* Threaded callers: no SIGALRM for DNS timeouts. */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (o->fail_on_error)
		curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	if (errbuf != NULL) {
		errbuf[0] = '\0';
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	}
}

CURL *
http_client_new(const struct http_client_opts *o, char *errbuf,
    struct dp_error *err)
{
	CURL	*h;

	if (http_client_init(err) == -1)
		return NULL;
	if ((h = curl_easy_init()) == NULL) {
		dp_error_set(err, DP_ERR_NET, "cannot initialise libcurl");
		return NULL;
	}
	http_client_setup(h, o, errbuf);
	return h;
}

int
http_client_perform(CURL *h, const char *errbuf, long *status,
    struct dp_error *err)
{
	char		 msg[CURL_ERROR_SIZE + 256];
	CURLcode	 rc;
	long		 code = 0;

	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		http_client_curl_msg(rc, errbuf, msg, sizeof(msg));
		dp_error_set(err, http_client_curl_code(rc), "%s", msg);
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (status != NULL)
		*status = code;
	return 0;
}

int
http_client_status(long status, struct dp_error *err)
{
	int	code;

	if (status >= 200 && status <= 299)
		return 0;
	if (status == 404 || status == 410)
		code = DP_ERR_NOTFOUND;
	else if (status == 401 || status == 403)
		code = DP_ERR_PERM;
	else
		code = DP_ERR_NET;
	dp_error_set(err, code, "HTTP status %ld", status);
	return -1;
}
