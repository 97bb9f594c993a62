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
#include "xmalloc.h"

#define FETCH_DEFAULT_MAX	(64ULL << 20)
#define FETCH_CONNECT_TIMEOUT	15L
#define FETCH_LOWSPEED_LIMIT	1024L		/* bytes per second ... */
#define FETCH_LOWSPEED_TIME	60L		/* ... for this long */
#define FETCH_MAX_REDIRS	5L
#define FETCH_RETRIES		3
#define FETCH_BACKOFF_MS	1000L
#define FETCH_BACKOFF_MAX_MS	30000L
#define FETCH_HEADER_MAX	1024

struct fetch {
	CURL		*curl;
	size_t		 requests;
	long		 timeout;	/* connect + low-speed time */
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
	static int	 inited;
	struct fetch	*f;

	if (!inited) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
			return NULL;
		inited = 1;
	}
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
	return f;
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

void
dp_error_curl(struct dp_error *err, int curlcode, const char *detail,
    const char *fmt, ...)
{
	char		 what[512];
	const char	*msg = curl_easy_strerror((CURLcode)curlcode);
	va_list		 ap;
	int		 code;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	code = curlcode == CURLE_OPERATION_TIMEDOUT ? DP_ERR_TIMEOUT :
	    DP_ERR_NET;
	if (detail != NULL && *detail != '\0' && strcmp(detail, msg) != 0)
		dp_error_set(err, code, "%s: %s (%s)", what, msg, detail);
	else
		dp_error_set(err, code, "%s: %s", what, msg);
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
static char *
header_value(const char *p, size_t len)
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
	} else if (n > 5 && strncasecmp(ptr, "ETag:", 5) == 0) {
		free(s->etag);
		s->etag = header_value(ptr + 5, n - 5);
	} else if (n > 14 && strncasecmp(ptr, "Last-Modified:", 14) == 0) {
		free(s->last_modified);
		s->last_modified = header_value(ptr + 14, n - 14);
	}
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
	free(s->etag);
	free(s->last_modified);
	s->etag = s->last_modified = NULL;
	return 0;
}

static void
backoff_sleep(long ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
fetch_get(struct fetch *f, const struct fetch_req *req,
    struct fetch_result *res, struct dp_error *err)
{
	struct fetch_sink	 s;
	struct curl_slist	*hdrs = NULL;
	char			 errbuf[CURL_ERROR_SIZE];
	char			*h;
	CURLcode		 c = CURLE_OK;
	long			 status = 0, backoff = f->backoff_ms;
	long			 timeout;
	unsigned int		 dlen;
	int			 attempt, rv = -1, unmet = 0, retry;

	fetch_result_done(res);
	memset(&s, 0, sizeof(s));
	s.fd = -1;
	s.body = &res->body;
	s.max = req->max_size != 0 ? req->max_size : FETCH_DEFAULT_MAX;
	if ((s.md = EVP_MD_CTX_new()) == NULL) {
		dp_error_set(err, DP_ERR_SYSTEM, "cannot allocate digest");
		return -1;
	}
	if (req->path != NULL) {
		s.fd = open(req->path, O_WRONLY | O_CREAT | O_TRUNC |
		    O_NOFOLLOW | O_CLOEXEC, 0644);
		if (s.fd == -1) {
			dp_error_errno(err, "create %s", req->path);
			goto out;
		}
	}

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

	curl_easy_reset(f->curl);
	timeout = f->timeout != 0 ? f->timeout : FETCH_CONNECT_TIMEOUT;
	curl_easy_setopt(f->curl, CURLOPT_URL, req->url);
	curl_easy_setopt(f->curl, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(f->curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(f->curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(f->curl, CURLOPT_MAXREDIRS, FETCH_MAX_REDIRS);
	curl_easy_setopt(f->curl, CURLOPT_CONNECTTIMEOUT, timeout);
	curl_easy_setopt(f->curl, CURLOPT_LOW_SPEED_LIMIT,
	    FETCH_LOWSPEED_LIMIT);
	curl_easy_setopt(f->curl, CURLOPT_LOW_SPEED_TIME,
	    f->timeout != 0 ? f->timeout : FETCH_LOWSPEED_TIME);
	curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->curl, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(f->curl, CURLOPT_USERAGENT,
	    "debpipe/" PACKAGE_VERSION);
	curl_easy_setopt(f->curl, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)(s.max > (uint64_t)INT64_MAX ? INT64_MAX :
	    (int64_t)s.max));
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, fetch_write_cb);
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(f->curl, CURLOPT_HEADERFUNCTION, fetch_header_cb);
	curl_easy_setopt(f->curl, CURLOPT_HEADERDATA, &s);
	curl_easy_setopt(f->curl, CURLOPT_ERRORBUFFER, errbuf);
	if (hdrs != NULL)
		curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, hdrs);

	for (attempt = 0; ; attempt++) {
		if (attempt > 0) {
			backoff_sleep(backoff);
			backoff = backoff * 2 > FETCH_BACKOFF_MAX_MS ?
			    FETCH_BACKOFF_MAX_MS : backoff * 2;
		}
		if (sink_reset(&s, err) == -1)
			goto out;
		errbuf[0] = '\0';
		status = 0;
		c = curl_easy_perform(f->curl);
		f->requests++;
		curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &status);
		retry = 0;
		if (c == CURLE_OK) {
			if (status == 304)
				break;
			if (status == 0 || (status >= 200 && status < 300))
				break;
			/* Without FAILONERROR effect (1xx/3xx left over). */
			dp_error_set(err, DP_ERR_NET,
			    "GET %s: unexpected HTTP status %ld", req->url,
			    status);
			goto out;
		}
		if (s.too_big || c == CURLE_FILESIZE_EXCEEDED) {
			dp_error_set(err, DP_ERR_INVALID, "GET %s: refused: "
			    "larger than the limit of %llu bytes", req->url,
			    (unsigned long long)s.max);
			goto out;
		}
		if (s.write_errno != 0) {
			errno = s.write_errno;
			dp_error_errno(err, "GET %s: write %s", req->url,
			    req->path != NULL ? req->path : "buffer");
			goto out;
		}
		if (c == CURLE_HTTP_RETURNED_ERROR) {
			if (status == 404 || status == 410) {
				dp_error_set(err, DP_ERR_NOTFOUND,
				    "GET %s: HTTP %ld (not found)", req->url,
				    status);
				goto out;
			}
			retry = transient_status(status);
		} else if (c == CURLE_FILE_COULDNT_READ_FILE) {
			dp_error_set(err, DP_ERR_NOTFOUND,
			    "GET %s: no such file", req->url);
			goto out;
		} else
			retry = transient_curl(c);
		if (!retry || attempt >= f->retries) {
			if (c == CURLE_HTTP_RETURNED_ERROR)
				dp_error_set(err, DP_ERR_NET,
				    "GET %s: HTTP %ld", req->url, status);
			else if (c == CURLE_TOO_MANY_REDIRECTS)
				dp_error_set(err, DP_ERR_NET, "GET %s: more "
				    "than %ld redirects (redirect loop?)",
				    req->url, FETCH_MAX_REDIRS);
			else
				dp_error_curl(err, c, errbuf, "GET %s",
				    req->url);
			if (attempt > 0)
				dp_error_prefix(err, "after %d attempts",
				    attempt + 1);
			goto out;
		}
	}

	curl_easy_getinfo(f->curl, CURLINFO_CONDITION_UNMET, &unmet);
	res->status = status;
	res->not_modified = status == 304 || unmet;
	res->size = s.size;
	EVP_DigestFinal_ex(s.md, res->sha256, &dlen);
	res->etag = s.etag;
	res->last_modified = s.last_modified;
	s.etag = s.last_modified = NULL;
	if (s.fd != -1) {
		if (fsync(s.fd) == -1 && errno != EINVAL) {
			dp_error_errno(err, "fsync %s", req->path);
			goto out;
		}
		if (close(s.fd) == -1) {
			s.fd = -1;
			dp_error_errno(err, "close %s", req->path);
			goto out;
		}
		s.fd = -1;
	}
	rv = 0;
out:
	if (s.fd != -1)
		close(s.fd);
	if (rv == -1 && req->path != NULL)
		unlink(req->path);
	if (rv == -1)
		buf_reset(&res->body);
	free(s.etag);
	free(s.last_modified);
	EVP_MD_CTX_free(s.md);
	curl_slist_free_all(hdrs);
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(f->curl, CURLOPT_ERRORBUFFER, NULL);
	return rv;
}
