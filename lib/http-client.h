/*
 * http-client.h - the one set-up of libcurl for every HTTP client of
 * debpipe (fetch.c's downloads, snapshot-promote's requests to the
 * promoter, the promoter's notifications; object storage reuses fetch.c's
 * error adapter): an easy handle with the caller's timeouts, user agent
 * and protocols, never a signal (the daemons are threaded), and proxies
 * from the environment as libcurl reads them (http_proxy, https_proxy,
 * no_proxy; nothing is set).  TLS is libcurl's default: peers and host
 * names verified against the system's CA store.
 *
 * And the libcurl error adapter: a CURLcode (with the error buffer's
 * detail) or an HTTP status to struct dp_error.
 */
#ifndef DEBPIPE_HTTP_CLIENT_H
#define DEBPIPE_HTTP_CLIENT_H

#include <curl/curl.h>

#include "error.h"

/* What a client sets; zero fields are libcurl's defaults. */
struct http_client_opts {
	const char	*agent;		/* User-Agent: */
	const char	*protocols;	/* schemes allowed: "http,https" */
	const char	*redir_protocols; /* schemes a redirect may go to;
					   NULL: redirects are not followed */
	long		 max_redirs;
	long		 connect_timeout; /* seconds */
	long		 timeout_ms;	/* the whole transfer */
	long		 low_speed_limit; /* bytes per second, for ... */
	long		 low_speed_time;  /* ... this long (seconds) aborts */
	int		 fail_on_error;	/* HTTP >= 400 fails the transfer
					   (CURLE_HTTP_RETURNED_ERROR) */
};

/* libcurl's global initialisation, once per process.  0, -1 when it
 * failed (err filled). */
int	 http_client_init(struct dp_error *err);
/* A new easy handle set up with o; errbuf (CURL_ERROR_SIZE bytes, or
 * NULL) receives libcurl's detail of a failure.  NULL with err filled
 * when libcurl cannot give one.  Caller frees with curl_easy_cleanup(). */
CURL	*http_client_new(const struct http_client_opts *o, char *errbuf,
	    struct dp_error *err);
/* Set o (and errbuf, emptied) on h, a new or curl_easy_reset() handle. */
void	 http_client_setup(CURL *h, const struct http_client_opts *o,
	    char *errbuf);
/* Perform the transfer of h: 0 when the server answered (*status, may be
 * NULL, its HTTP status; 0 for file:), -1 when it could not be reached,
 * with err "curl message (detail)" as dp_error_curl() makes it (callers
 * add what with dp_error_prefix()). */
int	 http_client_perform(CURL *h, const char *errbuf, long *status,
	    struct dp_error *err);
/* An HTTP status: 0 for 2xx; else -1 with err "HTTP status N",
 * DP_ERR_NOTFOUND for 404 and 410, DP_ERR_PERM for 401 and 403,
 * DP_ERR_NET for the rest. */
int	 http_client_status(long status, struct dp_error *err);

/* The libcurl adapter: DP_ERR_TIMEOUT for timeouts, else DP_ERR_NET, with
 * "what: curl message (detail)" (detail: the error buffer, may be NULL). */
void	 dp_error_curl(struct dp_error *err, int curlcode,
	    const char *detail, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

#endif
