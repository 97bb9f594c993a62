/*
 * objstore.c - the request engine for object storage (see objstore.h):
 * credentials, one libcurl multi handle with up to Publish-Jobs easy
 * handles in flight (connections kept alive in the multi's cache),
 * retries with exponential backoff, Swift re-authentication on 401.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "deb822.h"
#include "fetch.h"
#include "objstore-int.h"

#define BODY_MAX	(4 * 1024 * 1024)	/* listing pages, errors */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* Credentials. */

struct creds_load {
	struct objstore	*os;
	int		 n;
};

static int
creds_cb(const struct deb822_para *para, void *arg, struct dp_error *err)
{
	struct creds_load	*cl = arg;
	struct objstore		*os = cl->os;
	static const char *const names[] = { "Access-Key", "Secret-Key",
	    "User", "Key", "Password", "Project", "Domain", NULL };
	char			**slots[7];
	const char		*v;
	size_t			 i, n;

	(void)err;
	if (cl->n++ > 0)
		return 0;
	slots[0] = &os->access;
	slots[1] = &os->secret;
	slots[2] = &os->user;
	slots[3] = &os->key;
	slots[4] = &os->password;
	slots[5] = &os->project;
	slots[6] = &os->domain;
	for (i = 0; names[i] != NULL; i++) {
		if ((v = deb822_get(para, names[i])) == NULL)
			continue;
		while (*v == ' ' || *v == '\t')
			v++;
		n = strcspn(v, "\n");
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		free(*slots[i]);
		*slots[i] = xstrndup(v, n);
	}
	return 0;
}

static int
creds_load(struct objstore *os, struct dp_error *err)
{
	const struct conf_target *t = os->t;
	struct creds_load	 cl = { os, 0 };
	struct stat		 sb;
	const char		*missing = NULL;

	if (stat(t->credentials, &sb) == -1) {
		dp_error_errno(err, "%s", t->credentials);
		dp_error_prefix(err, "%s:%d: Publish-Credentials", t->file,
		    t->line);
		return -1;
	}
	if (!S_ISREG(sb.st_mode) || (sb.st_mode & 077) != 0 ||
	    sb.st_uid != geteuid()) {
		dp_error_set(err, DP_ERR_PERM, "%s:%d: Publish-Credentials: "
		    "%s: refused: the credentials file must be a regular file "
		    "of mode 0600 owned by the user debpipe runs as (uid %u; "
		    "it is mode %04o, uid %u): chmod 600 and chown it",
		    t->file != NULL ? t->file : "?", t->credentials_line > 0 ?
		    t->credentials_line : t->line, t->credentials,
		    (unsigned)geteuid(), (unsigned)(sb.st_mode & 07777),
		    (unsigned)sb.st_uid);
		return -1;
	}
	if (deb822_parse_file(t->credentials, 0, creds_cb, &cl, err) == -1)
		return -1;
	missing = os->proto->creds_missing(os);
	if (missing != NULL) {
		dp_error_set(err, DP_ERR_INVALID, "%s: no %s (an %s target "
		    "needs %s)", t->credentials, missing, os->proto->name,
		    os->proto->creds_need);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Helpers. */

char *
objstore_key_escape(const char *key)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf	b;
	const unsigned char *p;

	buf_init(&b);
	for (p = (const unsigned char *)key; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~' || *p == '/')
			buf_addc(&b, (char)*p);
		else {
			buf_addc(&b, '%');
			buf_addc(&b, hex[*p >> 4]);
			buf_addc(&b, hex[*p & 15]);
		}
	}
	buf_addc(&b, '\0');
	return buf_steal(&b);
}

char *
objstore_full_key(const struct objstore *os, const char *key)
{
	char	*full, *esc;

	if (os->t->prefix[0] != '\0')
		full = xasprintf("%s/%s", os->t->prefix, key);
	else
		full = xstrdup(key);
	esc = objstore_key_escape(full);
	free(full);
	return esc;
}

void
objstore_resp_done(struct objstore_resp *r)
{
	buf_done(&r->body);
	buf_done(&r->hdr);
}

char *
objstore_resp_header(const struct objstore_resp *r, const char *name)
{
	const char	*p, *end, *eol;
	size_t		 n = strlen(name);

	if (r->hdr.data == NULL)
		return NULL;
	p = r->hdr.data;
	end = r->hdr.data + r->hdr.len;
	while (p < end) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 &&
		    p[n] == ':') {
			p += n + 1;
			while (p < eol && (*p == ' ' || *p == '\t'))
				p++;
			while (eol > p && (eol[-1] == '\r' || eol[-1] == ' '))
				eol--;
			return xstrndup(p, (size_t)(eol - p));
		}
		p = eol + 1;
	}
	return NULL;
}

static size_t
body_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct buf	*b = arg;
	size_t		 n = size * nmemb;

	if (b->len + n > BODY_MAX)
		return 0;
	buf_add(b, ptr, n);
	return n;
}

static size_t
hdr_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct buf	*b = arg;
	size_t		 n = size * nmemb;

	/* A new status line (100 Continue, redirects) starts over. */
	if (n > 5 && strncmp(ptr, "HTTP/", 5) == 0)
		buf_reset(b);
	if (b->len + n <= 65536)
		buf_add(b, ptr, n);
	return n;
}

static void
common_opts(struct objstore *os, CURL *h)
{
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, os->timeout);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "debpipe/" PACKAGE_VERSION);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
}

char *
objstore_describe(const struct objstore *os, long status, const char *body,
    size_t len)
{
	char	*s3 = NULL, *what;

	if (os->proto->parse_error != NULL && body != NULL)
		s3 = os->proto->parse_error(body, len);
	what = xasprintf("HTTP %ld%s%s%s", status, s3 != NULL ? " (" : "",
	    s3 != NULL ? s3 : "", s3 != NULL ? ")" : "");
	free(s3);
	if (status == 401 || status == 403) {
		/* Name what to check: the keys, in which file, set where. */
		char *hint = xasprintf("%s: refused: check %s in %s "
		    "(Publish-Credentials: at %s:%d) and the %s's "
		    "permissions", what, os->proto->creds_check,
		    os->t->credentials != NULL ? os->t->credentials :
		    "the credentials file", os->t->file != NULL ?
		    os->t->file : "?", os->t->credentials_line > 0 ?
		    os->t->credentials_line : os->t->line,
		    os->proto->container);

		free(what);
		what = hint;
	}
	return what;
}

int
objstore_simple(struct objstore *os, const char *method, const char *url,
    struct curl_slist *hdrs, const char *body, struct objstore_resp *resp,
    struct dp_error *err)
{
	CURL		*h;
	CURLcode	 rc;
	int		 attempt, rv = -1;

	if ((h = curl_easy_init()) == NULL) {
		dp_error_set(err, DP_ERR_NET, "curl_easy_init failed");
		return -1;
	}
	for (attempt = 0; attempt < os->retries; attempt++) {
		if (attempt > 0)
			usleep((useconds_t)(250000 << (attempt - 1)));
		curl_easy_reset(h);
		buf_reset(&resp->body);
		buf_reset(&resp->hdr);
		common_opts(os, h);
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_cb);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp->body);
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, hdr_cb);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, &resp->hdr);
		if (method != NULL)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		if (body != NULL)
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		if (os->proto->sign != NULL)
			os->proto->sign(os, h);
		os->requests++;
		rc = curl_easy_perform(h);
		resp->status = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
		if (rc != CURLE_OK) {
			dp_error_curl(err, rc, NULL, "%s %s",
			    method != NULL ? method : (body != NULL ? "POST" :
			    "GET"), url);
			continue;
		}
		if (resp->status >= 500 || resp->status == 429 ||
		    resp->status == 408) {
			char *d = objstore_describe(os, resp->status,
			    resp->body.data, resp->body.len);

			dp_error_set(err, DP_ERR_NET, "%s", d);
			free(d);
			continue;
		}
		rv = 0;
		break;
	}
	curl_easy_cleanup(h);
	return rv;
}

/* ------------------------------------------------------------------ */
/* Open / close. */

/* The protocols, by Publish-To: scheme (config.h, enum target_proto). */
static const struct objstore_proto *const objstore_protos[] = {
	[TARGET_S3] = &objstore_s3_proto,
	[TARGET_SWIFT] = &objstore_swift_proto,
};

int
objstore_open(const struct conf_target *t, struct objstore **out,
    struct dp_error *err)
{
	struct objstore	*os;
	const char	*e;

	os = xcalloc(1, sizeof(*os));
	os->t = t;
	os->proto = objstore_protos[t->proto];
	os->retries = 5;
	os->timeout = 300;
	if ((e = getenv("DEBPIPE_PUBLISH_RETRIES")) != NULL && atoi(e) > 0)
		os->retries = atoi(e);
	if ((e = getenv("DEBPIPE_PUBLISH_TIMEOUT")) != NULL && atoi(e) > 0)
		os->timeout = atoi(e);
	if (creds_load(os, err) == -1)
		goto fail;
	if ((os->multi = curl_multi_init()) == NULL) {
		dp_error_set(err, DP_ERR_NET, "curl_multi_init failed");
		goto fail;
	}
	curl_multi_setopt(os->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)t->jobs);
	curl_multi_setopt(os->multi, CURLMOPT_MAXCONNECTS, (long)t->jobs + 2);
	if (os->proto->init(os, err) == -1)
		goto fail;
	*out = os;
	return 0;
fail:
	objstore_close(os);
	return -1;
}

static void
secret_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void
objstore_close(struct objstore *os)
{
	if (os == NULL)
		return;
	if (os->multi != NULL)
		curl_multi_cleanup(os->multi);
	secret_free(os->access);
	secret_free(os->secret);
	free(os->sigv4);
	secret_free(os->user);
	secret_free(os->key);
	secret_free(os->password);
	free(os->project);
	free(os->domain);
	secret_free(os->token);
	free(os->base);
	free(os->public);
	free(os);
}

const char *
objstore_public_url(const struct objstore *os)
{
	return os->public;
}

size_t
objstore_requests(const struct objstore *os)
{
	return os->requests;
}

int
objstore_list(struct objstore *os, objstore_list_cb cb, void *arg,
    struct dp_error *err)
{
	return os->proto->list(os, cb, arg, err);
}

/* ------------------------------------------------------------------ */
/* The parallel runner. */

struct slot {
	CURL			*h;
	struct objstore_job	*job;
	FILE			*fp;
	struct curl_slist	*hdrs;
	struct buf		 body;
	struct buf		 hdr;
};

static void
slot_release(struct slot *s)
{
	if (s->fp != NULL)
		fclose(s->fp);
	s->fp = NULL;
	curl_slist_free_all(s->hdrs);
	s->hdrs = NULL;
	s->job = NULL;
}

static int
slot_start(struct objstore *os, struct slot *s, struct objstore_job *job,
    struct dp_error *err)
{
	curl_easy_reset(s->h);
	buf_reset(&s->body);
	buf_reset(&s->hdr);
	common_opts(os, s->h);
	s->job = job;
	if (job->op == OBJ_PUT) {
		if ((s->fp = fopen(job->path, "rb")) == NULL) {
			dp_error_errno(err, "%s", job->path);
			s->job = NULL;
			return -1;
		}
		curl_easy_setopt(s->h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(s->h, CURLOPT_READDATA, s->fp);
		curl_easy_setopt(s->h, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)job->size);
	} else
		curl_easy_setopt(s->h, CURLOPT_CUSTOMREQUEST, "DELETE");
	s->hdrs = os->proto->prepare(os, s->h, job);
	curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, s->hdrs);
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(s->h, CURLOPT_WRITEDATA, &s->body);
	curl_easy_setopt(s->h, CURLOPT_HEADERFUNCTION, hdr_cb);
	curl_easy_setopt(s->h, CURLOPT_HEADERDATA, &s->hdr);
	curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
	job->attempts++;
	os->requests++;
	curl_multi_add_handle(os->multi, s->h);
	return 0;
}

int
objstore_run(struct objstore *os, struct objstore_job *jobs, size_t n,
    objstore_done_cb cb, void *arg, struct dp_error *err)
{
	struct slot	*slots;
	size_t		 nslots = (size_t)os->t->jobs, next = 0, i, active = 0;
	size_t		*retry = NULL, nretry = 0;
	int		 failed = 0, reauthed = 0, running, msgs;
	double		 reauth_at = 0;
	CURLMsg		*m;

	if (n == 0)
		return 0;
	if (nslots > n)
		nslots = n;
	slots = xcalloc(nslots, sizeof(*slots));
	retry = xcalloc(n, sizeof(*retry));
	for (i = 0; i < nslots; i++) {
		slots[i].h = curl_easy_init();
		buf_init(&slots[i].body);
		buf_init(&slots[i].hdr);
	}
	for (;;) {
		/* Fill free slots: due retries first, then new jobs. */
		for (i = 0; i < nslots && !failed; i++) {
			struct objstore_job *job = NULL;
			size_t r;

			if (slots[i].job != NULL)
				continue;
			for (r = 0; r < nretry; r++) {
				if (jobs[retry[r]].not_before <= now_s()) {
					job = &jobs[retry[r]];
					retry[r] = retry[--nretry];
					break;
				}
			}
			if (job == NULL && next < n)
				job = &jobs[next++];
			if (job == NULL)
				break;
			if (slot_start(os, &slots[i], job, err) == -1) {
				failed = 1;
				break;
			}
			active++;
		}
		if (active == 0 && (failed || (next >= n && nretry == 0)))
			break;
		curl_multi_perform(os->multi, &running);
		while ((m = curl_multi_info_read(os->multi, &msgs)) != NULL) {
			struct slot		*s;
			struct objstore_job	*job;
			long			 status = 0;
			int			 again = 0;
			char			*d, *etag;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
			    (char **)&s);
			job = s->job;
			curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE,
			    &status);
			job->status = status;
			curl_multi_remove_handle(os->multi, s->h);
			active--;
			if (m->data.result != CURLE_OK) {
				again = 1;
				dp_error_curl(err, m->data.result, NULL,
				    "%s %s (Publish-Endpoint: %s)",
				    job->op == OBJ_PUT ? "PUT" :
				    "DELETE", job->key, os->t->endpoint);
			} else if ((status >= 200 && status < 300) ||
			    (job->op == OBJ_DELETE && status == 404)) {
				job->ok = 1;
				if ((etag = objstore_resp_header(
				    &(struct objstore_resp){ 0, s->body,
				    s->hdr }, "ETag")) != NULL) {
					snprintf(job->etag, sizeof(job->etag),
					    "%s", etag);
					free(etag);
				}
				slot_release(s);
				if (cb != NULL)
					cb(job, arg);
				continue;
			} else if (status == 401 &&
			    os->proto->reauth != NULL && !reauthed) {
				/* The token expired: once per run. */
				if (reauth_at == 0) {
					reauth_at = now_s();
					if (os->proto->reauth(os, err) == 0)
						reauthed = 1;
				}
				again = reauthed;
				if (!again) {
					d = objstore_describe(os, status,
					    s->body.data, s->body.len);
					dp_error_prefix(err, "%s: %s", job->key,
					    d);
					free(d);
				}
			} else {
				d = objstore_describe(os, status, s->body.data,
				    s->body.len);
				dp_error_set(err, status == 401 ||
				    status == 403 ? DP_ERR_PERM : DP_ERR_NET,
				    "%s %s: %s%s",
				    job->op == OBJ_PUT ? "PUT" : "DELETE",
				    job->key, d, status ==
				    404 ? " (does the bucket or container "
				    "exist?)" : status == 413 || status == 507 ?
				    " (quota or storage full)" : "");
				free(d);
				again = status >= 500 || status == 429 ||
				    status == 408;
				if (status == 507)
					again = 0;
			}
			slot_release(s);
			if (again && job->attempts < os->retries) {
				job->not_before = now_s() + 0.25 *
				    (double)(1 << (job->attempts - 1));
				retry[nretry++] = (size_t)(job - jobs);
			} else
				failed = 1;
		}
		if (active > 0 || nretry > 0)
			curl_multi_poll(os->multi, NULL, 0, 50, NULL);
	}
	for (i = 0; i < nslots; i++) {
		if (slots[i].job != NULL) {
			curl_multi_remove_handle(os->multi, slots[i].h);
			slot_release(&slots[i]);
		}
		curl_easy_cleanup(slots[i].h);
		buf_done(&slots[i].body);
		buf_done(&slots[i].hdr);
	}
	free(slots);
	free(retry);
	if (!failed)
		dp_error_clear(err);
	return failed ? -1 : 0;
}
