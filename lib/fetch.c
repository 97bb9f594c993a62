/*
 * fetch.c - bounded downloads through libcurl (see fetch.h).
 */
#include "autoconfig.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "error.h"
#include "fetch.h"
#include "http-client.h"
#include "xmalloc.h"

#define FETCH_DEFAULT_MAX	(64ULL << 20)
#define FETCH_CONNECT_TIMEOUT	15L
#define FETCH_LOWSPEED_LIMIT	1024L		/* bytes per second */
#define FETCH_LOWSPEED_TIME	60L		/* ... for this long */
#define FETCH_MAX_REDIRS	5L
#define FETCH_RETRIES		3
#define FETCH_BACKOFF_MS	1000L
#define FETCH_BACKOFF_MAX_MS	30000L
#define FETCH_HEADER_MAX	1024
#define FETCH_LIMIT_SECS	300		/* Fetch-Timeout: default */
#define FETCH_RETRY_AFTER_MAX	3600		/* seconds we believe */

struct fetch {
	CURL		*curl;
	size_t		 requests;
	long		 timeout;	/* connect + low-speed time */
	long		 limit_ms;	/* Fetch-Timeout: a whole fetch */
	int		 retries;
	long		 backoff_ms;
};

/* One attempt's receiving state. */
struct fetch_sink {
	int		 fd;		/* file mode, else -1 */
	struct buf	*body;		/* memory mode */
	EVP_MD_CTX	*md;
	uint64_t	 size;
	uint64_t	 max;
	int		 too_big;
	int		 write_errno;
	char		*etag;
	char		*last_modified;
	long		 retry_after;	/* Retry-After: seconds, or -1 */
};

static long
env_long(const char *name, long def, long min, long max)
{
	const char	*s = getenv(name);
	char		*end;
	long		 v;

	if (s == NULL || *s == '\0')
		return def;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return def;
	return v;
}

struct fetch *
fetch_new(void)
{
	struct fetch	*f;

	if (http_client_init(NULL) == -1)
		return NULL;
	f = xcalloc(1, sizeof(*f));
	if ((f->curl = curl_easy_init()) == NULL) {
		free(f);
		return NULL;
	}
	f->timeout = env_long("DEBPIPE_FETCH_TIMEOUT", 0, 1, 3600);
	f->retries = (int)env_long("DEBPIPE_FETCH_RETRIES", FETCH_RETRIES,
	    0, 20);
	f->backoff_ms = env_long("DEBPIPE_FETCH_BACKOFF_MS", FETCH_BACKOFF_MS,
	    0, FETCH_BACKOFF_MAX_MS);
	f->limit_ms = FETCH_LIMIT_SECS * 1000L;
	return f;
}

void
fetch_set_limit(struct fetch *f, long seconds)
{
	if (seconds > 0)
		f->limit_ms = seconds * 1000L;
}

void
fetch_free(struct fetch *f)
{
	if (f == NULL)
		return;
	curl_easy_cleanup(f->curl);
	free(f);
}

size_t
fetch_requests(const struct fetch *f)
{
	return f->requests;
}

void
fetch_result_init(struct fetch_result *res)
{
	memset(res, 0, sizeof(*res));
	buf_init(&res->body);
}

void
fetch_result_done(struct fetch_result *res)
{
	if (res == NULL)
		return;
	buf_done(&res->body);
	free(res->etag);
	free(res->last_modified);
	fetch_result_init(res);
}

void
fetch_hex(const unsigned char sha256[32], char out[65])
{
	static const char	hex[] = "0123456789abcdef";
	int			i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[sha256[i] >> 4];
		out[2 * i + 1] = hex[sha256[i] & 0xf];
	}
	out[64] = '\0';
}

static size_t
fetch_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct fetch_sink	*s = arg;
	size_t			 n = size * nmemb, off;
	ssize_t			 w;

	if (n > s->max || s->size > s->max - n) {
		s->too_big = 1;
		return 0;
	}
	if (s->fd != -1) {
		for (off = 0; off < n; off += (size_t)w) {
			w = write(s->fd, ptr + off, n - off);
			if (w == -1) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				s->write_errno = errno;
				return 0;
			}
		}
	} else
		buf_add(s->body, ptr, n);
	EVP_DigestUpdate(s->md, ptr, n);
	s->size += n;
	return n;
}

/* Header value without surrounding white space, printable ASCII only. */
char *
fetch_header_value(const char *p, size_t len)
{
	size_t	i;

	while (len > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)p[len - 1]))
		len--;
	if (len == 0 || len > FETCH_HEADER_MAX)
		return NULL;
	for (i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return NULL;
	return xstrndup(p, len);
}

/* Retry-After: delay-seconds or an HTTP date; seconds from now, -1 when
 * unreadable, capped at FETCH_RETRY_AFTER_MAX. */
long
fetch_retry_after(const char *p, size_t len)
{
	char	*v, *end;
	long	 secs;
	time_t	 t;

	if ((v = fetch_header_value(p, len)) == NULL)
		return -1;
	errno = 0;
	secs = strtol(v, &end, 10);
	if (end == v || *end != '\0' || errno != 0 || secs < 0) {
		if ((t = curl_getdate(v, NULL)) == -1)
			secs = -1;
		else
			secs = t > time(NULL) ? (long)(t - time(NULL)) : 0;
	}
	free(v);
	if (secs > FETCH_RETRY_AFTER_MAX)
		secs = FETCH_RETRY_AFTER_MAX;
	return secs;
}

static size_t
fetch_header_cb(char *ptr, size_t size, size_t nitems, void *arg)
{
	struct fetch_sink	*s = arg;
	size_t			 n = size * nitems;

	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		/* A new response (after a redirect): forget the old one. */
		free(s->etag);
		free(s->last_modified);
		s->etag = s->last_modified = NULL;
		s->retry_after = -1;
	} else if (n > 5 && strncasecmp(ptr, "ETag:", 5) == 0) {
		free(s->etag);
		s->etag = fetch_header_value(ptr + 5, n - 5);
	} else if (n > 14 && strncasecmp(ptr, "Last-Modified:", 14) == 0) {
		free(s->last_modified);
		s->last_modified = fetch_header_value(ptr + 14, n - 14);
	} else if (n > 12 && strncasecmp(ptr, "Retry-After:", 12) == 0)
		s->retry_after = fetch_retry_after(ptr + 12, n - 12);
	return n;
}

static int
transient_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

static int
transient_status(long status)
{
	return status >= 500 || status == 408 || status == 429;
}

/* Reset the sink for a (new) attempt. */
static int
sink_reset(struct fetch_sink *s, struct dp_error *err)
{
	if (s->fd != -1) {
		if (ftruncate(s->fd, 0) == -1 ||
		    lseek(s->fd, 0, SEEK_SET) == -1) {
			dp_error_errno(err, "truncate download file");
			return -1;
		}
	} else
		buf_reset(s->body);
	EVP_DigestInit_ex(s->md, EVP_sha256(), NULL);
	s->size = 0;
	s->too_big = 0;
	s->write_errno = 0;
	s->retry_after = -1;
	free(s->etag);
	free(s->last_modified);
	s->etag = s->last_modified = NULL;
	return 0;
}

/* Prepare a sink for req: open the file, allocate the digest. */
static int
sink_open(struct fetch_sink *s, const struct fetch_req *req,
    struct fetch_result *res, struct dp_error *err)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->retry_after = -1;
	s->body = &res->body;
	s->max = req->max_size != 0 ? req->max_size : FETCH_DEFAULT_MAX;
	if ((s->md = EVP_MD_CTX_new()) == NULL) {
		dp_error_set(err, DP_ERR_SYSTEM, "cannot allocate digest");
		return -1;
	}
	if (req->path != NULL) {
		s->fd = open(req->path, O_WRONLY | O_CREAT | O_TRUNC |
		    O_NOFOLLOW | O_CLOEXEC, 0644);
		if (s->fd == -1) {
			dp_error_errno(err, "create %s", req->path);
			return -1;
		}
	}
	return 0;
}

/* Release a sink; on failure (ok == 0) remove the file and the body. */
static void
sink_close(struct fetch_sink *s, const struct fetch_req *req,
    struct fetch_result *res, int ok)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	if (!ok && req->path != NULL)
		unlink(req->path);
	if (!ok)
		buf_reset(&res->body);
	free(s->etag);
	free(s->last_modified);
	s->etag = s->last_modified = NULL;
	EVP_MD_CTX_free(s->md);
	s->md = NULL;
}

/* A successful transfer: hand the results over, flush the file. */
static int
sink_finish(struct fetch_sink *s, const struct fetch_req *req,
    struct fetch_result *res, long status, long unmet, struct dp_error *err)
{
	unsigned int	dlen;

	res->status = status;
	res->not_modified = status == 304 || unmet;
	res->size = s->size;
	EVP_DigestFinal_ex(s->md, res->sha256, &dlen);
	res->etag = s->etag;
	res->last_modified = s->last_modified;
	s->etag = s->last_modified = NULL;
	if (s->fd != -1) {
		/* No fsync: downloads are checked against their SHA256
		 * before use, and whoever keeps one makes it durable. */
		if (close(s->fd) == -1) {
			s->fd = -1;
			dp_error_errno(err, "close %s", req->path);
			return -1;
		}
		s->fd = -1;
	}
	return 0;
}

static struct curl_slist *
request_headers(const struct fetch_req *req)
{
	struct curl_slist	*hdrs = NULL;
	char			*h;

	if (req->etag != NULL) {
		h = xasprintf("If-None-Match: %s", req->etag);
		hdrs = curl_slist_append(hdrs, h);
		free(h);
	}
	if (req->last_modified != NULL) {
		h = xasprintf("If-Modified-Since: %s", req->last_modified);
		hdrs = curl_slist_append(hdrs, h);
		free(h);
	}
	return hdrs;
}

/* What every transfer has (the timeouts are set per transfer). */
static const struct http_client_opts fetch_opts = {
	.agent = "debpipe/" PACKAGE_VERSION,
	.protocols = "http,https,file",
	.redir_protocols = "http,https",
	.max_redirs = FETCH_MAX_REDIRS,
	.low_speed_limit = FETCH_LOWSPEED_LIMIT,
	.fail_on_error = 1,
};

/* Every option of a transfer: the limits described in fetch.h. */
static void
easy_setup(struct fetch *f, CURL *c, const struct fetch_req *req,
    struct fetch_sink *s, struct curl_slist *hdrs, char *errbuf)
{
	struct http_client_opts	o = fetch_opts;
	long			timeout, lowspeed;

	timeout = f->timeout != 0 ? f->timeout : FETCH_CONNECT_TIMEOUT;
	lowspeed = f->timeout != 0 ? f->timeout : FETCH_LOWSPEED_TIME;
	if (lowspeed * 1000L > f->limit_ms)
		lowspeed = f->limit_ms / 1000L > 0 ? f->limit_ms / 1000L : 1;
	if (timeout * 1000L > f->limit_ms)
		timeout = lowspeed;

	o.connect_timeout = timeout;
	o.low_speed_time = lowspeed;
	o.timeout_ms = f->limit_ms;

	curl_easy_reset(c);
	http_client_setup(c, &o, errbuf);
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)(s->max > (uint64_t)INT64_MAX ? INT64_MAX :
	    (int64_t)s->max));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, fetch_header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
	if (hdrs != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
}

static long	backoff_ms(const struct fetch *, int);
static long	now_ms(void);

/*
 * Judge one finished attempt of a fetch that started at started (ms):
 * 0 done, 1 retry after *delay ms (transient, attempts left, and the
 * wait -- the backoff or the server's Retry-After -- ends within
 * Fetch-Timeout), -1 failed with err filled.
 */
static int
attempt_judge(struct fetch *f, const struct fetch_req *req,
    struct fetch_sink *s, CURLcode c, long status, const char *errbuf,
    int attempt, long started, long *delay, struct dp_error *err)
{
	long	left = started + f->limit_ms - now_ms();
	int	retry, late = 0;

	f->requests++;
	if (c == CURLE_OK) {
		if (status == 304 || status == 0 ||
		    (status >= 200 && status < 300))
			return 0;
		dp_error_set(err, DP_ERR_NET, "GET %s: unexpected HTTP "
		    "status %ld", req->url, status);
		return -1;
	}
	if (s->too_big || c == CURLE_FILESIZE_EXCEEDED) {
		dp_error_set(err, DP_ERR_INVALID, "GET %s: refused: larger "
		    "than the limit of %llu bytes", req->url,
		    (unsigned long long)s->max);
		return -1;
	}
	if (s->write_errno != 0) {
		errno = s->write_errno;
		dp_error_errno(err, "GET %s: write %s", req->url,
		    req->path != NULL ? req->path : "buffer");
		return -1;
	}
	if (c == CURLE_HTTP_RETURNED_ERROR) {
		if (status == 404 || status == 410) {
			dp_error_set(err, DP_ERR_NOTFOUND, "GET %s: HTTP %ld "
			    "(not found)", req->url, status);
			return -1;
		}
		retry = transient_status(status);
	} else if (c == CURLE_FILE_COULDNT_READ_FILE) {
		dp_error_set(err, DP_ERR_NOTFOUND, "GET %s: no such file",
		    req->url);
		return -1;
	} else
		retry = transient_curl(c);
	if (retry && attempt < f->retries) {
		*delay = backoff_ms(f, attempt + 1);
		if (s->retry_after >= 0 && s->retry_after * 1000L > *delay)
			*delay = s->retry_after * 1000L;
		if (*delay < left)
			return 1;
		late = 1;
	}
	if (c == CURLE_HTTP_RETURNED_ERROR && late && s->retry_after >= 0)
		dp_error_set(err, DP_ERR_NET, "GET %s: HTTP %ld, retry after "
		    "%ld s: beyond Fetch-Timeout (%ld s)", req->url, status,
		    s->retry_after, f->limit_ms / 1000L);
	else if (c == CURLE_HTTP_RETURNED_ERROR)
		dp_error_set(err, DP_ERR_NET, "GET %s: HTTP %ld", req->url,
		    status);
	else if (c == CURLE_OPERATION_TIMEDOUT && left <= 0)
		dp_error_set(err, DP_ERR_TIMEOUT, "GET %s: no complete answer "
		    "within Fetch-Timeout (%ld s)", req->url,
		    f->limit_ms / 1000L);
	else if (c == CURLE_TOO_MANY_REDIRECTS)
		dp_error_set(err, DP_ERR_NET, "GET %s: more than %ld "
		    "redirects (redirect loop?)", req->url, FETCH_MAX_REDIRS);
	else
		dp_error_curl(err, c, errbuf, "GET %s", req->url);
	if (attempt > 0)
		dp_error_prefix(err, "after %d attempts", attempt + 1);
	return -1;
}

static long
backoff_ms(const struct fetch *f, int attempt)
{
	long	ms = f->backoff_ms;

	while (--attempt > 0 && ms < FETCH_BACKOFF_MAX_MS)
		ms *= 2;
	return ms > FETCH_BACKOFF_MAX_MS ? FETCH_BACKOFF_MAX_MS : ms;
}

static void
sleep_ms(long ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int
fetch_get(struct fetch *f, const struct fetch_req *req,
    struct fetch_result *res, struct dp_error *err)
{
	struct fetch_sink	 s;
	struct curl_slist	*hdrs = NULL;
	char			 errbuf[CURL_ERROR_SIZE];
	CURLcode		 c;
	long			 status, started, delay = 0;
	int			 attempt, j, rv = -1;
	long			 unmet = 0;

	fetch_result_done(res);
	started = now_ms();
	if (sink_open(&s, req, res, err) == -1)
		goto out;
	hdrs = request_headers(req);
	easy_setup(f, f->curl, req, &s, hdrs, errbuf);
	for (attempt = 0; ; attempt++) {
		if (attempt > 0)
			sleep_ms(delay);
		if (sink_reset(&s, err) == -1)
			goto out;
		errbuf[0] = '\0';
		status = 0;
		curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS,
		    started + f->limit_ms - now_ms() > 1 ?
		    started + f->limit_ms - now_ms() : 1L);
		c = curl_easy_perform(f->curl);
		curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &status);
		if ((j = attempt_judge(f, req, &s, c, status, errbuf, attempt,
		    started, &delay, err)) == -1)
			goto out;
		if (j == 0)
			break;
	}
	curl_easy_getinfo(f->curl, CURLINFO_CONDITION_UNMET, &unmet);
	if (sink_finish(&s, req, res, status, unmet, err) == -1)
		goto out;
	rv = 0;
out:
	sink_close(&s, req, res, rv == 0);
	curl_slist_free_all(hdrs);
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(f->curl, CURLOPT_ERRORBUFFER, NULL);
	return rv;
}

/* One transfer of fetch_get_many. */
struct xfer {
	CURL			*curl;
	size_t			 idx;		/* into reqs/res */
	int			 attempt;
	struct fetch_sink	 sink;
	struct curl_slist	*hdrs;
	char			 errbuf[CURL_ERROR_SIZE];
	int			 busy;
};

int
fetch_get_many(struct fetch *f, const struct fetch_req *reqs, size_t n,
    int parallel, struct fetch_result *res, struct dp_error *err)
{
	CURLM		*multi = NULL;
	CURLMsg		*msg;
	struct xfer	*x = NULL, *t;
	size_t		 next = 0, done = 0, i, k;
	size_t		*retry_q = NULL, nretry = 0;
	long		*retry_at = NULL, *started = NULL, status, wait, delay;
	int		*retry_attempt = NULL, running, left, j, failed = 0;
	int		 freed;
	long		 unmet;
	int		 rv = -1;

	if (parallel < 1)
		parallel = 1;
	if ((size_t)parallel > n)
		parallel = n > 0 ? (int)n : 1;
	for (i = 0; i < n; i++)
		fetch_result_done(&res[i]);
	if (n == 0)
		return 0;
	if ((multi = curl_multi_init()) == NULL) {
		dp_error_set(err, DP_ERR_SYSTEM, "cannot initialise libcurl");
		return -1;
	}
	x = xcalloc((size_t)parallel, sizeof(*x));
	retry_q = xcalloc(n, sizeof(*retry_q));
	retry_at = xcalloc(n, sizeof(*retry_at));
	retry_attempt = xcalloc(n, sizeof(*retry_attempt));
	started = xcalloc(n, sizeof(*started));
	for (k = 0; k < (size_t)parallel; k++) {
		x[k].sink.fd = -1;
		if ((x[k].curl = curl_easy_init()) == NULL) {
			dp_error_set(err, DP_ERR_SYSTEM, "cannot initialise "
			    "libcurl");
			goto out;
		}
	}

	while (done < n && !failed) {
		/* Start transfers on idle slots: retries that are due
		 * first, then new requests. */
		for (k = 0; k < (size_t)parallel && !failed; k++) {
			size_t	idx;
			int	attempt = 0;

			if (x[k].busy)
				continue;
			for (i = 0; i < nretry; i++)
				if (retry_at[i] <= now_ms())
					break;
			if (i < nretry) {
				idx = retry_q[i];
				attempt = retry_attempt[i];
				retry_q[i] = retry_q[nretry - 1];
				retry_at[i] = retry_at[nretry - 1];
				retry_attempt[i] = retry_attempt[nretry - 1];
				nretry--;
			} else if (next < n)
				idx = next++;
			else
				break;
			t = &x[k];
			t->idx = idx;
			t->attempt = attempt;
			if (sink_open(&t->sink, &reqs[idx], &res[idx],
			    err) == -1) {
				sink_close(&t->sink, &reqs[idx], &res[idx], 0);
				failed = 1;
				break;
			}
			EVP_DigestInit_ex(t->sink.md, EVP_sha256(), NULL);
			t->hdrs = request_headers(&reqs[idx]);
			easy_setup(f, t->curl, &reqs[idx], &t->sink, t->hdrs,
			    t->errbuf);
			if (attempt == 0)
				started[idx] = now_ms();
			wait = started[idx] + f->limit_ms - now_ms();
			curl_easy_setopt(t->curl, CURLOPT_TIMEOUT_MS,
			    wait > 1 ? wait : 1L);
			curl_easy_setopt(t->curl, CURLOPT_PRIVATE, t);
			curl_multi_add_handle(multi, t->curl);
			t->busy = 1;
		}
		if (failed)
			break;

		curl_multi_perform(multi, &running);
		freed = 0;
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&t);
			status = 0;
			curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE,
			    &status);
			curl_multi_remove_handle(multi, t->curl);
			curl_slist_free_all(t->hdrs);
			t->hdrs = NULL;
			t->busy = 0;
			freed++;
			j = attempt_judge(f, &reqs[t->idx], &t->sink,
			    msg->data.result, status, t->errbuf, t->attempt,
			    started[t->idx], &delay, err);
			if (j == 0) {
				unmet = 0;
				curl_easy_getinfo(t->curl,
				    CURLINFO_CONDITION_UNMET, &unmet);
				j = sink_finish(&t->sink, &reqs[t->idx],
				    &res[t->idx], status, unmet, err);
			}
			sink_close(&t->sink, &reqs[t->idx], &res[t->idx],
			    j == 0);
			if (j == 0)
				done++;
			else if (j == 1) {
				retry_q[nretry] = t->idx;
				retry_attempt[nretry] = t->attempt + 1;
				retry_at[nretry] = now_ms() + delay;
				nretry++;
			} else {
				failed = 1;
				break;
			}
		}
		if (failed || done == n)
			break;
		if (freed > 0)
			continue;	/* refill the idle slots first */
		wait = 1000;
		for (i = 0; i < nretry; i++)
			if (retry_at[i] - now_ms() < wait)
				wait = retry_at[i] - now_ms();
		curl_multi_poll(multi, NULL, 0, wait < 0 ? 0 : (int)wait,
		    NULL);
	}
	if (!failed)
		rv = 0;
out:
	for (k = 0; x != NULL && k < (size_t)parallel; k++) {
		if (x[k].busy) {
			/* Abandon what is still running; drop its file. */
			curl_multi_remove_handle(multi, x[k].curl);
			sink_close(&x[k].sink, &reqs[x[k].idx],
			    &res[x[k].idx], 0);
			curl_slist_free_all(x[k].hdrs);
		}
		if (x[k].curl != NULL)
			curl_easy_cleanup(x[k].curl);
	}
	curl_multi_cleanup(multi);
	free(x);
	free(retry_q);
	free(retry_at);
	free(retry_attempt);
	free(started);
	return rv;
}
