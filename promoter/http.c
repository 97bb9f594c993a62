/*
 * http.c - the HTTP server (libmicrohttpd): a pool of one epoll thread per
 * CPU (at least HTTP_MIN_THREADS) serving every connection, with limits
 * on connections (overall, as many as the file limit allows, and per
 * address), an idle timeout against slow clients, bodies capped at BODY_MAX (413 beyond), then
 * dispatch to api.c (/api/, /metrics) or serve.c (the public tree).
 */
#include "autoconfig.h"

#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "log.h"
#include "promoter.h"
#include "xmalloc.h"

#define HTTP_CONN_LIMIT		4096	/* at most; fewer if files are short */
#define HTTP_FD_RESERVE		128	/* files kept for everything else */
#define HTTP_NOFILE_WANT	8192	/* soft RLIMIT_NOFILE asked for */
#define HTTP_PER_IP_LIMIT	128	/* CI runners often share an address */
#define HTTP_TIMEOUT		30	/* seconds of inactivity */
#define HTTP_STACK_SIZE		(1024 * 1024)
#define HTTP_MIN_THREADS	4
#define HTTP_MAX_THREADS	16

struct http_req {
	struct buf	 body;
	int		 too_big;
	int		 started;
};

static unsigned int	http_conn_limit(void);
static unsigned int	http_timeout(void);

void
http_reply_json(struct http_reply *r, int status, json_t *j)
{
	char	*s;

	if (r->keep_json) {
		json_decref(r->json);
		r->status = status;
		r->json = j;
		return;
	}
	s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(j);
	r->status = status;
	r->content_type = "application/json";
	if (s == NULL) {
		r->status = 500;
		r->body = xstrdup("{\"error\":\"cannot encode the answer\"}\n");
	} else {
		r->body = xasprintf("%s\n", s);
		free(s);
	}
	r->len = strlen(r->body);
}

void
http_reply_error(struct http_reply *r, int status, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	http_reply_json(r, status, json_pack("{s:o}", "error",
	    util_jstr(msg)));
	free(msg);
}

static enum MHD_Result
http_send(struct MHD_Connection *c, struct http_reply *r)
{
	struct MHD_Response	*resp;
	enum MHD_Result		 ret;

	resp = MHD_create_response_from_buffer(r->len, r->body,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(r->body);
		return MHD_NO;
	}
	r->body = NULL;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    r->content_type != NULL ? r->content_type : "text/plain");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	if (r->allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->www_auth)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Bearer");
	ret = MHD_queue_response(c, (unsigned int)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static int
http_arg_bool(const char *v)
{
	return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "yes") == 0 ||
	    strcmp(v, "true") == 0);
}

static long long
http_arg_num(const char *v)
{
	char		*end;
	long long	 n;

	if (v == NULL || *v < '0' || *v > '9')
		return 0;
	n = strtoll(v, &end, 10);
	return *end == '\0' && n > 0 ? n : 0;
}

void
http_query_parse(struct api_query *q,
    const char *(*get)(void *arg, const char *key), void *arg)
{
	memset(q, 0, sizeof(*q));
	q->history = http_arg_bool(get(arg, "history"));
	q->limit = (long)http_arg_num(get(arg, "limit"));
	q->before = http_arg_num(get(arg, "before"));
	q->state = get(arg, "state");
	q->watch = get(arg, "watch");
}

static const char *
http_arg(void *arg, const char *key)
{
	return MHD_lookup_connection_value(arg, MHD_GET_ARGUMENT_KIND, key);
}

static const char *
http_header(void *arg, const char *name)
{
	return MHD_lookup_connection_value(arg, MHD_HEADER_KIND, name);
}

void
http_query(struct MHD_Connection *c, struct api_query *q)
{
	http_query_parse(q, http_arg, c);
}

static enum MHD_Result
http_access_cb(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct promoter	*p = cls;
	struct http_req	*req = *con_cls;
	struct http_reply r;
	struct api_query q;
	const char	*clen, *auth;
	enum MHD_Result	 ret;
	size_t		 max;
	int		 is_api, is_ui;

	memset(&r, 0, sizeof(r));
	is_api = strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0 ||
	    strcmp(url, "/metrics") == 0;
	is_ui = strncmp(url, "/ui/", 4) == 0 || strcmp(url, "/ui") == 0 ||
	    (strcmp(url, "/") == 0 && (!p->serve_public ||
	    p->serve_prefix[0] != '\0'));
	/* Push events can be large (a push of many commits). */
	max = strncmp(url, HOOKS_PREFIX, strlen(HOOKS_PREFIX)) == 0 ?
	    HOOK_BODY_MAX : BODY_MAX;
	if (req == NULL) {
		req = xcalloc(1, sizeof(*req));
		buf_init(&req->body);
		*con_cls = req;
		if (!is_api && p->serve_public && serve_match(p, url) &&
		    strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
			return (enum MHD_Result)serve_handle(p, c, method, url);
		clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (clen != NULL && strtoull(clen, NULL, 10) > max) {
			if (max == HOOK_BODY_MAX)
				log_warnx("hook %s refused: body of %s bytes",
				    url, clen);
			http_reply_error(&r, 413, "request body larger than "
			    "%zu bytes", max);
			return http_send(c, &r);
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		/* The file server takes no body: discard it. */
		if (is_api && !req->too_big &&
		    req->body.len + *upload_data_size <= max)
			buf_add(&req->body, upload_data, *upload_data_size);
		else
			req->too_big = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (is_ui)
		return (enum MHD_Result)ui_handle(p, c, method, url);
	if (!is_api) {
		if (p->serve_public && serve_match(p, url))
			return (enum MHD_Result)serve_handle(p, c, method, url);
		http_reply_error(&r, 404, "not found");
		return http_send(c, &r);
	}
	if (req->too_big) {
		if (max == HOOK_BODY_MAX)
			log_warnx("hook %s refused: body larger than %zu bytes",
			    url, max);
		http_reply_error(&r, 413, "request body larger than %zu bytes",
		    max);
		return http_send(c, &r);
	}
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (strncmp(url, HOOKS_PREFIX, strlen(HOOKS_PREFIX)) == 0) {
		hooks_handle(p, http_header, c, method,
		    url + strlen(HOOKS_PREFIX),
		    req->body.data, req->body.len, &r);
		return http_send(c, &r);
	}
	http_query(c, &q);
	api_handle(p, method, url, auth, req->body.data, req->body.len,
	    &q, &r);
	ret = http_send(c, &r);
	return ret;
}

static void
http_completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_req	*req = *con_cls;

	if (req == NULL)
		return;
	buf_done(&req->body);
	free(req);
	*con_cls = NULL;
}

static void
http_log_cb(void *cls, const char *fmt, va_list ap)
{
	char	msg[1024];
	size_t	len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len > 0 && msg[len - 1] == '\n')
		msg[--len] = '\0';
	log_warnx("http: %s", msg);
}

struct MHD_Daemon *
http_start(struct promoter *p, const char *listen, struct dp_error *err)
{
	struct MHD_Daemon	*d = NULL;
	struct addrinfo		 hints, *res = NULL;
	char			*host, *port;
	unsigned int		 flags, nthreads, limit, timeout;
	long			 ncpu;
	int			 rc;

	host = xstrdup(listen != NULL ? listen : "127.0.0.1:8742");
	if ((port = strrchr(host, ':')) == NULL) {
		dp_error_set(err, DP_ERR_INVALID, "Listen: %s: expected "
		    "HOST:PORT", host);
		goto out;
	}
	*port++ = '\0';
	if (host[0] == '[' && port - host >= 3 && port[-2] == ']') {
		port[-2] = '\0';
		memmove(host, host + 1, strlen(host + 1) + 1);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host[0] == '\0' || strcmp(host, "*") == 0 ? NULL :
	    host, port, &hints, &res);
	if (rc != 0) {
		dp_error_set(err, DP_ERR_INVALID, "Listen: %s: %s", listen,
		    gai_strerror(rc));
		goto out;
	}
	/*
	 * A thread per connection costs a thread (and a database connection)
	 * per client and thrashes with many clients on few CPUs; a small
	 * pool of epoll threads keeps up as long as no handler blocks for
	 * long (writes wait for promoter.lock, held for milliseconds).
	 */
	limit = http_conn_limit();
	timeout = http_timeout();
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	nthreads = ncpu < HTTP_MIN_THREADS ? HTTP_MIN_THREADS :
	    ncpu > HTTP_MAX_THREADS ? HTTP_MAX_THREADS : (unsigned int)ncpu;
	flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	if (res->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	d = MHD_start_daemon(flags, 0, NULL, NULL, http_access_cb, p,
	    MHD_OPTION_EXTERNAL_LOGGER, http_log_cb, NULL,
	    MHD_OPTION_SOCK_ADDR, res->ai_addr,
	    MHD_OPTION_CONNECTION_LIMIT, limit,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_PER_IP_LIMIT,
	    MHD_OPTION_CONNECTION_TIMEOUT, timeout,
	    MHD_OPTION_THREAD_STACK_SIZE, (size_t)HTTP_STACK_SIZE,
	    MHD_OPTION_THREAD_POOL_SIZE, nthreads,
	    MHD_OPTION_NOTIFY_COMPLETED, http_completed_cb, NULL,
	    MHD_OPTION_END);
	if (d == NULL)
		dp_error_set(err, DP_ERR_SYSTEM, "cannot listen on %s (is "
		    "another promoter running, or the address wrong?)",
		    listen);
	else
		log_debug("http: at most %u connections, %u per address, "
		    "idle ones closed after %u s", limit, HTTP_PER_IP_LIMIT,
		    timeout);
out:
	if (res != NULL)
		freeaddrinfo(res);
	free(host);
	return d;
}

/*
 * How many connections at once: idle or half-open ones (a slowloris, a
 * thousand forgotten CI clients) must not lock everyone else out, so
 * the soft file limit is raised towards the hard one and most of it
 * given to connections; each address has HTTP_PER_IP_LIMIT of them, and
 * an idle connection is closed after HTTP_TIMEOUT seconds
 * (DEBPIPE_HTTP_TIMEOUT=<seconds> for tests).
 */
static unsigned int
http_conn_limit(void)
{
	struct rlimit	rl;
	rlim_t		want = HTTP_NOFILE_WANT;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 512;
	if (rl.rlim_cur < want) {
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
			want = rl.rlim_max;
		if (want > rl.rlim_cur) {
			rl.rlim_cur = want;
			if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
				(void)getrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > HTTP_CONN_LIMIT +
	    HTTP_FD_RESERVE)
		return HTTP_CONN_LIMIT;
	if (rl.rlim_cur <= 2 * HTTP_FD_RESERVE)
		return (unsigned int)rl.rlim_cur / 2;
	return (unsigned int)(rl.rlim_cur - HTTP_FD_RESERVE);
}

static unsigned int
http_timeout(void)
{
	const char	*s = getenv("DEBPIPE_HTTP_TIMEOUT");
	long		 v;
	char		*end;

	if (s == NULL || *s == '\0')
		return HTTP_TIMEOUT;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 1 || v > 3600)
		return HTTP_TIMEOUT;
	return (unsigned int)v;
}

void
http_stop(struct MHD_Daemon *d)
{
	if (d != NULL)
		MHD_stop_daemon(d);
}
