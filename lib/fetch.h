/*
 * fetch.h - HTTP(S)/file downloads through libcurl, for upstream apt
 * repositories (and anything else that fetches untrusted data).
 *
 * Every transfer is bounded: a size cap (checked against Content-Length
 * and while receiving), a connect timeout (15 s), a low-speed limit (less
 * than 1 KiB/s for 60 s aborts), a limit on the whole fetch, retries
 * included (Fetch-Timeout:, default 5 min: fetch_set_limit), at most 5
 * redirects and only the http, https and file protocols (redirects: http
 * and https only).  Transient failures (connection errors, timeouts, HTTP
 * 5xx/408/429) are retried with exponential backoff, or after the
 * server's Retry-After when that is longer, as long as the retry can end
 * within the limit.  Proxies come from the environment
 * (http_proxy, https_proxy, no_proxy: libcurl's defaults).
 *
 * For tests, DEBPIPE_FETCH_TIMEOUT=<seconds> replaces both the connect
 * timeout and the low-speed time, and DEBPIPE_FETCH_RETRIES=<n> the
 * number of retries (default 3; backoff 1 s, 2 s, 4 s ... capped at 30 s,
 * DEBPIPE_FETCH_BACKOFF_MS=<ms> sets the first delay).
 */
#ifndef DEBPIPE_FETCH_H
#define DEBPIPE_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "http-client.h"
#include "xmalloc.h"

struct fetch;

/* A session: one curl handle reused for every request (keeps
 * connections alive).  fetch_free(NULL) is a no-op. */
struct fetch	*fetch_new(void);
void		 fetch_free(struct fetch *f);
/* The longest one fetch_get (or one transfer of fetch_get_many) may
 * take, retries included, in seconds (Fetch-Timeout:; 0 keeps 300). */
void		 fetch_set_limit(struct fetch *f, long seconds);
/* Number of HTTP requests made through f so far (retries included). */
size_t		 fetch_requests(const struct fetch *f);

struct fetch_req {
	const char	*url;
	const char	*etag;		/* If-None-Match, or NULL */
	const char	*last_modified;	/* If-Modified-Since or NULL */
	uint64_t	 max_size;	/* body cap in bytes; 0 = 64 MiB */
	const char	*path;		/* write the body to this file
					   (created 0644, truncated, not
					   fsynced; removed on failure)
					   instead of into body */
};

struct fetch_result {
	long		 status;	/* HTTP status; 0 for file: URLs */
	int		 not_modified;	/* 304 (or file: not newer) */
	struct buf	 body;		/* body (req->path NULL) */
	uint64_t	 size;		/* bytes received */
	unsigned char	 sha256[32];	/* SHA-256 of the body */
	char		*etag;		/* response ETag or NULL */
	char		*last_modified;	/* Last-Modified or NULL */
};
void	 fetch_result_init(struct fetch_result *res);
void	 fetch_result_done(struct fetch_result *res);

/*
 * GET req->url.  0 on 2xx and on 304 (res->not_modified set, no body);
 * -1 otherwise: DP_ERR_NOTFOUND for 404/410 and missing file: files,
 * DP_ERR_TIMEOUT for timeouts, DP_ERR_INVALID when the body exceeds
 * max_size, DP_ERR_NET for the rest.  res must be initialised; it is reset
 * first.
 */
int	 fetch_get(struct fetch *f, const struct fetch_req *req,
	    struct fetch_result *res, struct dp_error *err);

/*
 * Several downloads at once (at most parallel transfers in flight), each
 * as fetch_get would do it; res[i] receives the result of reqs[i] (an
 * array of n initialised results).  0 when every one succeeded; else -1
 * with err describing the first failure, the other transfers abandoned
 * and the files of every unfinished one removed (finished ones stay).
 */
int	 fetch_get_many(struct fetch *f, const struct fetch_req *reqs,
	    size_t n, int parallel, struct fetch_result *res,
	    struct dp_error *err);

/* The response-header parsers of fetch.c (also for tests/fuzz): a value
 * trimmed, printable ASCII only (caller frees; NULL when empty, too long
 * or not printable); Retry-After as seconds from now (-1 unreadable). */
char	*fetch_header_value(const char *p, size_t len);
long	 fetch_retry_after(const char *p, size_t len);

/* Lower-case hex of a SHA-256 digest into out[65]. */
void	 fetch_hex(const unsigned char sha256[32], char out[65]);

/* dp_error_curl(), the libcurl adapter, is in http-client.h. */

#endif
