/*
 * fuzz-ui.c - libFuzzer target for the web interface without a socket:
 * ui_answer() (promoter/ui.c, html.c: routing of /ui/ paths, snapshot and
 * build IDs, the query arguments state, watch, before, limit and page,
 * If-None-Match and Accept-Encoding, the pages rendered from the API's
 * answers) against the promoter of fuzz-promoter.c, whose database holds
 * markup in the strings the builder and CI systems write.
 *
 * Input: "METHOD /ui/path?query", header lines up to an empty line
 * (fuzz_request); query values are %-decoded as libmicrohttpd does.
 * What must hold: every request gets a status; an HTML page (gunzipped
 * when it went out gzip'd) holds only the tags the interface writes, so
 * no "<script", "<img" ... from the request or the database gets through
 * unescaped; a 304 only for the page's own ETag.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compress.h"
#include "fuzz.h"
#include "../../promoter/promoter.h"
#include "xmalloc.h"

/* The tags ui.c and html.c write. */
static const char *const TAGS[] = {
	"a", "b", "body", "br", "code", "div", "h1", "h2", "head", "header",
	"html", "li", "link", "main", "meta", "nav", "p", "pre", "section",
	"span", "table", "td", "th", "title", "tr", "ul", "!DOCTYPE", NULL
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* fuzz_query_get on the request's query (ctx is the fuzz_req), then
 * %XX and + decoded in place (in its static slot). */
static const char *
arg_get(void *ctx, const char *key)
{
	const struct fuzz_req	*fr = ctx;
	char			*v, *r, *w;
	int			 hi, lo;

	if ((v = (char *)fuzz_query_get(fr->query != NULL ? fr->query : "",
	    key)) == NULL)
		return NULL;
	for (r = w = v; *r != '\0'; r++) {
		if (*r == '+')
			*w++ = ' ';
		else if (*r == '%' && (hi = hexval(r[1])) != -1 &&
		    (lo = hexval(r[2])) != -1) {
			*w++ = (char)(hi << 4 | lo);
			r += 2;
		} else
			*w++ = *r;
	}
	*w = '\0';
	return v;
}

static const char *
answer_hdr(const struct ui_answer *a, const char *name)
{
	size_t	i;

	for (i = 0; i < a->nhdrs; i++)
		if (strcasecmp(a->hdrs[i].name, name) == 0)
			return a->hdrs[i].value;
	return NULL;
}

/* Every "<" in the page opens a tag of TAGS (or closes one). */
static void
check_tags(const char *page, size_t len, const char *url)
{
	const char	*p, *end = page + len;
	size_t		 n, i;

	for (p = memchr(page, '<', len); p != NULL;
	    p = memchr(p + 1, '<', (size_t)(end - p - 1))) {
		if (p + 1 < end && p[1] == '/')
			p++;
		for (n = 0; p + 1 + n < end &&
		    (p[1 + n] == '!' || (p[1 + n] >= 'a' && p[1 + n] <= 'z') ||
		    (p[1 + n] >= 'A' && p[1 + n] <= 'Z') ||
		    (p[1 + n] >= '0' && p[1 + n] <= '9')); n++)
			;
		for (i = 0; TAGS[i] != NULL; i++)
			if (strlen(TAGS[i]) == n &&
			    strncmp(TAGS[i], p + 1, n) == 0)
				break;
		if (TAGS[i] == NULL || strncasecmp(p, "<script", 7) == 0) {
			fprintf(stderr, "fuzz-ui: %s: markup not escaped: "
			    "%.40s\n", url, p);
			abort();
		}
		if (p + 1 + n >= end || (p[1 + n] != ' ' && p[1 + n] != '>')) {
			fprintf(stderr, "fuzz-ui: %s: broken tag: %.40s\n",
			    url, p);
			abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct promoter		*p = fuzz_promoter();
	struct ui_answer	 a;
	struct ui_req		 rq;
	struct fuzz_req		 fr;
	struct dp_error		 err;
	struct buf		 page;
	const char		*type, *enc, *inm;
	char			*s;

	s = fuzz_str(data, size);
	if (fuzz_request(s, &fr) == -1)
		goto out;
	rq.method = fr.method;
	rq.url = fr.url;
	rq.arg = arg_get;
	rq.header = fuzz_header_get;
	rq.ctx = &fr;
	ui_answer(p, &rq, &a);
	if (a.status < 100 || a.status > 599)
		abort();
	if (a.status == 304 && ((inm = fuzz_header_get(&fr,
	    "If-None-Match")) == NULL || strstr(inm, a.etag) == NULL))
		abort();
	type = answer_hdr(&a, "Content-Type");
	enc = answer_hdr(&a, "Content-Encoding");
	if (a.fd == -1 && type != NULL && strncmp(type, "text/html", 9) == 0) {
		buf_init(&page);
		if (enc != NULL) {
			if (decompress_buf(COMPRESS_GZIP, a.body.data,
			    a.body.len, 16 << 20, &page, &err) == -1)
				abort();
		} else
			buf_add(&page, a.body.data, a.body.len);
		if (getenv("FUZZ_UI_DUMP") != NULL)	/* by hand */
			fwrite(page.data, 1, page.len, stderr);
		check_tags(page.data, page.len, fr.url);
		buf_done(&page);
	}
	ui_answer_done(&a);
out:
	free(s);
	return 0;
}
