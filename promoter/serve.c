/*
 * serve.c - the read-only public file server (Serve-Public: yes): the
 * tree under Public-Dir at the path of Public-URL.  GET and HEAD only;
 * single byte ranges, Last-Modified and If-Modified-Since.  A request
 * naming "..", "." or a hidden component (.tmp-<ID> of a snapshot being
 * written) is refused, and every path is resolved with realpath(3) and
 * must stay inside realpath(Public-Dir); directories are not listed.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "promoter.h"
#include "xmalloc.h"

static const struct {
	const char	*suffix;
	const char	*type;
} serve_types[] = {
	{ ".deb", "application/vnd.debian.binary-package" },
	{ ".udeb", "application/vnd.debian.binary-package" },
	{ ".dsc", "text/prs.lines.tag" },
	{ ".gz", "application/gzip" },
	{ ".xz", "application/x-xz" },
	{ ".bz2", "application/x-bzip2" },
	{ ".gpg", "application/pgp-keys" },
	{ ".asc", "application/pgp-keys" },
	{ "/Release.gpg", "application/pgp-signature" },
	{ "/InRelease", "text/plain; charset=utf-8" },
	{ "/Release", "text/plain; charset=utf-8" },
	{ "/Packages", "text/plain; charset=utf-8" },
	{ "/Sources", "text/plain; charset=utf-8" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".html", "text/html; charset=utf-8" },
	{ NULL, NULL },
};

static const char *
serve_type(const char *path)
{
	size_t	i, len = strlen(path), sl;

	for (i = 0; serve_types[i].suffix != NULL; i++) {
		sl = strlen(serve_types[i].suffix);
		if (len >= sl && strcmp(path + len - sl,
		    serve_types[i].suffix) == 0)
			return serve_types[i].type;
	}
	return "application/octet-stream";
}

int
serve_match(struct promoter *p, const char *url)
{
	size_t	len = strlen(p->serve_prefix);

	if (len == 0)
		return 1;
	return strncmp(url, p->serve_prefix, len) == 0 &&
	    (url[len] == '\0' || url[len] == '/');
}

static enum MHD_Result
serve_status(struct MHD_Connection *c, unsigned int status, const char *msg)
{
	struct MHD_Response	*resp;
	enum MHD_Result		 ret;

	resp = MHD_create_response_from_buffer(strlen(msg), (void *)msg,
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
		    "GET, HEAD");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Refuse "..", ".", empty and hidden components and control characters. */
int
serve_path_ok(const char *rel)
{
	const char	*p, *comp = rel;

	for (p = rel; ; p++) {
		if (*p == '/' || *p == '\0') {
			if (p == comp || *comp == '.')
				return 0;
			if (*p == '\0')
				return 1;
			comp = p + 1;
		} else if ((unsigned char)*p < 0x20 || *p == 0x7f ||
		    *p == '\\')
			return 0;
	}
}

/*
 * Parse "bytes=A-B", "bytes=A-" or "bytes=-N" for a file of size bytes.
 * 1 with *off and *len set, 0 when the header is to be ignored (absent,
 * several ranges, not bytes), -1 when unsatisfiable.
 */
int
serve_range(const char *h, uint64_t size, uint64_t *off, uint64_t *len)
{
	char		*end;
	uint64_t	 a, b;

	if (h == NULL || strncmp(h, "bytes=", 6) != 0 ||
	    strchr(h, ',') != NULL)
		return 0;
	h += 6;
	if (*h == '-') {
		b = strtoull(h + 1, &end, 10);
		if (end == h + 1 || *end != '\0')
			return 0;
		if (b == 0 || size == 0)
			return -1;
		if (b > size)
			b = size;
		*off = size - b;
		*len = b;
		return 1;
	}
	if (*h < '0' || *h > '9')
		return 0;
	a = strtoull(h, &end, 10);
	if (*end != '-')
		return 0;
	h = end + 1;
	if (*h == '\0')
		b = size - 1;
	else {
		if (*h < '0' || *h > '9')
			return 0;
		b = strtoull(h, &end, 10);
		if (*end != '\0')
			return 0;
		if (b >= size)
			b = size - 1;
	}
	if (a >= size || b < a)
		return -1;
	*off = a;
	*len = b - a + 1;
	return 1;
}

static void
serve_httpdate(time_t t, char buf[64])
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(buf, 64, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

int
serve_http(struct promoter *p, const struct http_request *rq)
{
	struct MHD_Connection	*c = rq->conn;
	const char		*method = rq->method, *url = rq->url;
	struct MHD_Response	*resp;
	struct stat		 sb;
	struct tm		 tm;
	const char		*rel, *h;
	char			*full = NULL, *real = NULL, date[64], crange[128];
	uint64_t		 off = 0, len = 0;
	size_t			 rlen;
	time_t			 ims;
	int			 fd = -1, rr;
	unsigned int		 status;
	enum MHD_Result		 ret;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return serve_status(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "only GET and HEAD\n");
	rel = url + strlen(p->serve_prefix);
	while (*rel == '/')
		rel++;
	if (*rel == '\0' || rel[strlen(rel) - 1] == '/')
		return serve_status(c, MHD_HTTP_FORBIDDEN,
		    "directories are not listed\n");
	if (strlen(rel) > PATH_MAX || !serve_path_ok(rel))
		return serve_status(c, MHD_HTTP_NOT_FOUND, "not found\n");
	full = xasprintf("%s/%s", p->public_real, rel);
	if ((real = realpath(full, NULL)) == NULL) {
		free(full);
		return serve_status(c, MHD_HTTP_NOT_FOUND, "not found\n");
	}
	free(full);
	rlen = strlen(p->public_real);
	if (strncmp(real, p->public_real, rlen) != 0 || real[rlen] != '/') {
		free(real);
		return serve_status(c, MHD_HTTP_FORBIDDEN,
		    "outside the public tree\n");
	}
	fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1 || fstat(fd, &sb) == -1) {
		if (fd != -1)
			close(fd);
		free(real);
		return serve_status(c, errno == EACCES ? MHD_HTTP_FORBIDDEN :
		    MHD_HTTP_NOT_FOUND, "not found\n");
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		free(real);
		return serve_status(c, MHD_HTTP_FORBIDDEN, S_ISDIR(sb.st_mode) ?
		    "directories are not listed\n" : "not a file\n");
	}
	serve_httpdate(sb.st_mtime, date);

	h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	if (h != NULL) {
		memset(&tm, 0, sizeof(tm));
		if (strptime(h, "%a, %d %b %Y %H:%M:%S GMT", &tm) != NULL &&
		    (ims = timegm(&tm)) != -1 && sb.st_mtime <= ims) {
			close(fd);
			resp = MHD_create_response_from_buffer(0, NULL,
			    MHD_RESPMEM_PERSISTENT);
			MHD_add_response_header(resp,
			    MHD_HTTP_HEADER_LAST_MODIFIED, date);
			ret = MHD_queue_response(c, MHD_HTTP_NOT_MODIFIED,
			    resp);
			MHD_destroy_response(resp);
			free(real);
			return ret;
		}
	}

	status = MHD_HTTP_OK;
	off = 0;
	len = (uint64_t)sb.st_size;
	h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_RANGE);
	rr = serve_range(h, (uint64_t)sb.st_size, &off, &len);
	if (rr == -1) {
		close(fd);
		free(real);
		snprintf(crange, sizeof(crange), "bytes */%" PRIu64,
		    (uint64_t)sb.st_size);
		resp = MHD_create_response_from_buffer(0, NULL,
		    MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE,
		    crange);
		ret = MHD_queue_response(c,
		    MHD_HTTP_RANGE_NOT_SATISFIABLE, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	if (rr == 1) {
		status = MHD_HTTP_PARTIAL_CONTENT;
		snprintf(crange, sizeof(crange), "bytes %" PRIu64 "-%" PRIu64
		    "/%" PRIu64, off, off + len - 1, (uint64_t)sb.st_size);
	}
	/* Takes ownership of fd. */
	resp = MHD_create_response_from_fd_at_offset64(len, fd, off);
	if (resp == NULL) {
		close(fd);
		free(real);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    serve_type(url));
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, date);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	if (status == MHD_HTTP_PARTIAL_CONTENT)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE,
		    crange);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	free(real);
	return ret;
}
