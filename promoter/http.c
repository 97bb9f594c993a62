/*
 * http.c - the HTTP server (libmicrohttpd): a pool of one epoll thread per
 * CPU (at least HTTP_MIN_THREADS) serving every connection, with limits
 * on connections (overall, as many as the file limit allows, and per
 * address), an idle timeout against slow clients, bodies capped at BODY_MAX (413 beyond), then
 * dispatch through the route table (http_routes) to the file of each
 * area: api.c (/api/), metrics.c (/metrics), hooks.c (the forges' push
 * events), ui.c (/ui/) and serve.c (the public tree).
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

struct http_route;

struct http_req {
	const struct http_route	*route;
	struct buf		 body;
	int			 too_big;
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

/*
 * The route table: the first row whose methods and path match a request
 * takes it, from its headers on.  Each area answers in its own file;
 * http.c only reads the body (for the rows that take one) and sends.
 */
#define HTTP_M_GET	0x01
#define HTTP_M_HEAD	0x02
#define HTTP_M_POST	0x04
#define HTTP_M_OTHER	0x08
#define HTTP_M_READ	(HTTP_M_GET | HTTP_M_HEAD)
#define HTTP_M_ANY	(HTTP_M_READ | HTTP_M_POST | HTTP_M_OTHER)

enum http_match {
	HTTP_EXACT,		/* the path itself */
	HTTP_TREE,		/* the path, or anything under path/ */
	HTTP_PREFIX,		/* anything starting with path (rq->rest) */
	HTTP_PUBLIC,		/* the public tree, when served */
	HTTP_ALL,		/* anything */
};

#define HTTP_BODY	0x01	/* keeps the body (413 beyond body_max) */
#define HTTP_AT_ONCE	0x02	/* answered at the headers, no body read */
#define HTTP_LOG_BIG	0x04	/* a refused body is logged */

struct http_route {
	unsigned int	 methods;
	const char	*path;
	enum http_match	 match;
	size_t		 body_max;	/* Content-Length beyond: 413 */
	int		 flags;
	http_handler	 handle;
};

static int	http_notfound(struct promoter *, const struct http_request *);

static const struct http_route http_routes[] = {
	{ HTTP_M_ANY, "/metrics", HTTP_EXACT, BODY_MAX, HTTP_BODY,
	    metrics_http },
	/* Push events can be large (a push of many commits). */
	{ HTTP_M_ANY, HOOKS_PREFIX, HTTP_PREFIX, HOOK_BODY_MAX,
	    HTTP_BODY | HTTP_LOG_BIG, hooks_http },
	{ HTTP_M_ANY, "/api", HTTP_TREE, BODY_MAX, HTTP_BODY, api_http },
	/* The file server takes no body: a write is refused at once. */
	{ HTTP_M_ANY & ~HTTP_M_READ, NULL, HTTP_PUBLIC, 0, HTTP_AT_ONCE,
	    serve_http },
	{ HTTP_M_ANY, "/ui", HTTP_TREE, BODY_MAX, 0, ui_http },
	{ HTTP_M_READ, NULL, HTTP_PUBLIC, BODY_MAX, 0, serve_http },
	/* "/" is the web interface's unless the public tree is there. */
	{ HTTP_M_ANY, "/", HTTP_EXACT, BODY_MAX, 0, ui_http },
	{ HTTP_M_ANY, NULL, HTTP_ALL, BODY_MAX, 0, http_notfound },
};

static unsigned int
http_method_bit(const char *method)
{
	if (strcmp(method, "GET") == 0)
		return HTTP_M_GET;
	if (strcmp(method, "HEAD") == 0)
		return HTTP_M_HEAD;
	if (strcmp(method, "POST") == 0)
		return HTTP_M_POST;
	return HTTP_M_OTHER;
}

static int
http_route_matches(struct promoter *p, const struct http_route *rt,
    const char *url)
{
	size_t	len;

	switch (rt->match) {
	case HTTP_EXACT:
		return strcmp(url, rt->path) == 0;
	case HTTP_TREE:
		len = strlen(rt->path);
		return strncmp(url, rt->path, len) == 0 &&
		    (url[len] == '\0' || url[len] == '/');
	case HTTP_PREFIX:
		return strncmp(url, rt->path, strlen(rt->path)) == 0;
	case HTTP_PUBLIC:
		return p->serve_public && serve_match(p, url);
	case HTTP_ALL:
		return 1;
	}
	return 0;
}

/* The route of a request (the table ends with a row taking anything). */
static const struct http_route *
http_route_find(struct promoter *p, const char *method, const char *url)
{
	const struct http_route	*rt;
	unsigned int		 m = http_method_bit(method);

	for (rt = http_routes; ; rt++)
		if ((rt->methods & m) != 0 && http_route_matches(p, rt, url))
			return rt;
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

int
http_reply_send(const struct http_request *rq, struct http_reply *r)
{
	return (int)http_send(rq->conn, r);
}

static int
http_notfound(struct promoter *p, const struct http_request *rq)
{
	struct http_reply	r;

	memset(&r, 0, sizeof(r));
	http_reply_error(&r, 404, "not found");
	return http_reply_send(rq, &r);
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
http_arg_cb(void *arg, const char *key)
{
	return MHD_lookup_connection_value(arg, MHD_GET_ARGUMENT_KIND, key);
}

const char *
http_arg(const struct http_request *rq, const char *key)
{
	return http_arg_cb(rq->conn, key);
}

const char *
http_header(const struct http_request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

void
http_query(const struct http_request *rq, struct api_query *q)
{
	http_query_parse(q, http_arg_cb, rq->conn);
}

static enum MHD_Result
http_refuse_big(struct MHD_Connection *c, const struct http_route *rt,
    const char *url, const char *clen)
{
	struct http_reply	r;

	if (rt->flags & HTTP_LOG_BIG) {
		if (clen != NULL)
			log_warnx("hook %s refused: body of %s bytes", url,
			    clen);
		else
			log_warnx("hook %s refused: body larger than %zu "
			    "bytes", url, rt->body_max);
	}
	memset(&r, 0, sizeof(r));
	http_reply_error(&r, 413, "request body larger than %zu bytes",
	    rt->body_max);
	return http_send(c, &r);
}

static enum MHD_Result
http_access_cb(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct promoter		*p = cls;
	struct http_req		*req = *con_cls;
	const struct http_route	*rt;
	struct http_request	 rq;
	const char		*clen;

	memset(&rq, 0, sizeof(rq));
	rq.conn = c;
	rq.method = method;
	rq.url = url;
	if (req == NULL) {
		req = xcalloc(1, sizeof(*req));
		buf_init(&req->body);
		*con_cls = req;
		req->route = rt = http_route_find(p, method, url);
		if (rt->flags & HTTP_AT_ONCE)
			return (enum MHD_Result)rt->handle(p, &rq);
		clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (clen != NULL && strtoull(clen, NULL, 10) > rt->body_max)
			return http_refuse_big(c, rt, url, clen);
		return MHD_YES;
	}
	rt = req->route;
	if (*upload_data_size > 0) {
		/* A route without a body: discard it. */
		if ((rt->flags & HTTP_BODY) && !req->too_big &&
		    req->body.len + *upload_data_size <= rt->body_max)
			buf_add(&req->body, upload_data, *upload_data_size);
		else
			req->too_big = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if ((rt->flags & HTTP_BODY) && req->too_big)
		return http_refuse_big(c, rt, url, NULL);
	if (rt->match == HTTP_PREFIX)
		rq.rest = url + strlen(rt->path);
	rq.body = req->body.data;
	rq.len = req->body.len;
	return (enum MHD_Result)rt->handle(p, &rq);
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
