/*
 * ui.c - the read-only web interface under /ui/ (DESIGN.md "Web
 * interface and incoming hooks").  Every page is the HTML rendering of
 * answers of the JSON API, obtained through api_handle() itself (one code
 * path for both); html.c escapes everything shown.  No JavaScript: pages
 * refresh themselves with <meta http-equiv="refresh">.  Answers carry an
 * ETag (SHA-256 of the page) and Last-Modified (the database's last
 * write), honour If-None-Match, and are gzip'd when the client accepts
 * it.  Build logs are never read whole: the page shows one 64 KiB page of
 * the log (the last by default), and /ui/builds/{id}/log streams the file
 * as text/plain.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/evp.h>

#include "compress.h"
#include "log.h"
#include "promoter.h"
#include "ui.h"
#include "xmalloc.h"

#define UI_GZIP_MIN	512		/* smaller pages go as they are */

static const char ui_css[] =
    ":root{--fg:#1d232a;--mute:#5f6b76;--bg:#fbfbfa;--card:#fff;"
    "--line:#dde1e5;--ok:#1a7f37;--bad:#c62828;--wait:#9a6700;"
    "--link:#0b57d0}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:15px/1.45 system-ui,-apple-system,\"Segoe UI\","
    "sans-serif;color:var(--fg);background:var(--bg)}\n"
    "header{background:#22303c;color:#fff;padding:.6rem 1.2rem;"
    "display:flex;gap:1.4rem;align-items:baseline}\n"
    "header b{font-size:1.1rem}header a{color:#dbe7f3;"
    "text-decoration:none}header a:hover{text-decoration:underline}\n"
    "main{padding:1rem 1.2rem;max-width:84rem}\n"
    "h1{font-size:1.35rem;margin:.2rem 0 1rem}"
    "h2{font-size:1.05rem;margin:1.4rem 0 .5rem}\n"
    "a{color:var(--link)}\n"
    "table{border-collapse:collapse;width:100%;background:var(--card);"
    "border:1px solid var(--line)}\n"
    "th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid "
    "var(--line);vertical-align:top}\n"
    "th{font-weight:600;color:var(--mute);font-size:.85rem;"
    "background:#f3f5f7}\n"
    ".envs{display:grid;grid-template-columns:repeat(auto-fill,"
    "minmax(17rem,1fr));gap:.8rem}\n"
    ".env{background:var(--card);border:1px solid var(--line);"
    "border-radius:6px;padding:.7rem .9rem}\n"
    ".env h2{margin:0 0 .3rem}.mute{color:var(--mute);font-size:.88rem}\n"
    ".gates{list-style:none;padding:0;margin:.5rem 0 0}"
    ".gates li{margin:.15rem 0}\n"
    ".st{display:inline-block;min-width:4.6rem;padding:0 .4rem;"
    "border-radius:3px;font-size:.8rem;font-weight:600;text-align:center;"
    "color:#fff;background:var(--mute)}\n"
    ".passed,.success,.sent{background:var(--ok)}"
    ".failed,.failure,.blocked{background:var(--bad)}\n"
    ".neutral{background:#4f7d9c}\n"
    ".waiting,.running,.queued,.pending,.soaking,.ready{"
    "background:var(--wait)}\n"
    ".added{color:var(--ok)}.removed{color:var(--bad)}"
    ".upgraded{color:var(--link)}.downgraded{color:var(--wait)}\n"
    "pre{background:#11181f;color:#e6edf3;padding:.8rem;overflow-x:auto;"
    "font-size:.82rem;line-height:1.35;white-space:pre-wrap;"
    "word-break:break-all}\n"
    "code{font-size:.88rem}.err{color:var(--bad)}\n"
    "nav.pages{margin:.6rem 0}nav.pages a{margin-right:1rem}\n";

/* The tab icon: a small pipe in the header's colours (a page without
 * one makes the browser ask for /favicon.ico, a 404 in its console). */
static const char ui_icon[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">"
    "<rect width=\"16\" height=\"16\" rx=\"3\" fill=\"#22303c\"/>"
    "<path d=\"M3 6h10v4H3z\" fill=\"#1a7f37\"/>"
    "<path d=\"M2 5h2v6H2zM12 5h2v6h-2z\" fill=\"#dbe7f3\"/></svg>\n";


/* GET path (and q) through the API; the answer (caller decrefs) with
 * *status, NULL only when nothing came back. */
json_t *
ui_api(struct promoter *p, const char *path, const struct api_query *q,
    int *status)
{
	struct http_reply	r;

	memset(&r, 0, sizeof(r));
	r.keep_json = 1;
	api_handle(p, "GET", path, NULL, NULL, 0, q, &r);
	free(r.body);
	*status = r.status;
	return r.json;
}

const char *
ui_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* "3m ago" for an RFC 3339 time; "" when t is NULL or malformed.  No
 * seconds: a page must stay byte for byte the same (its ETag) while the
 * data it shows does not change. */
void
ui_age(struct buf *b, const char *t)
{
	time_t	then, d;

	if (t == NULL || (then = util_time_parse(t)) == -1)
		return;
	d = time(NULL) - then;
	if (d < 0)
		d = 0;
	if (d < 60)
		buf_adds(b, "just now");
	else if (d < 7200)
		buf_printf(b, "%lldm ago", (long long)(d / 60));
	else if (d < 2 * 86400)
		buf_printf(b, "%lldh ago", (long long)(d / 3600));
	else
		buf_printf(b, "%lldd ago", (long long)(d / 86400));
}

void
ui_badge(struct buf *b, const char *state)
{
	const char	*s = state != NULL ? state : "none";

	html_printf(b, "<span class=\"st %s\">%s</span>", s, s);
}

void
ui_begin(struct ui_page *pg, const char *title)
{
	buf_adds(&pg->b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">");
	if (pg->refresh > 0)
		html_printf(&pg->b, "<meta http-equiv=\"refresh\" "
		    "content=\"%d\">", pg->refresh);
	html_printf(&pg->b, "<title>%s - debpipe</title>"
	    "<link rel=\"stylesheet\" href=\"/ui/style.css\">"
	    "<link rel=\"icon\" href=\"/ui/icon.svg\" type=\"image/svg+xml\">"
	    "</head>\n"
	    "<body><header><b>debpipe</b><a href=\"/ui/\">Overview</a>"
	    "<a href=\"/ui/builds\">Builds</a>"
	    "<a href=\"/ui/watches\">Watches</a>"
	    "<a href=\"/ui/audit\">Audit log</a></header>\n<main>"
	    "<h1>%s</h1>\n", title, title);
}

void
ui_end(struct ui_page *pg)
{
	char	when[32];

	/* The data's time, not the clock's: the same data, the same page. */
	html_printf(&pg->b, "<p class=\"mute\">%s, data as of %s</p></main>"
	    "</body></html>\n", PROMOTER_NAME " " VERSION,
	    util_time_fmt(pg->mtime, when));
}

void
ui_error(struct ui_page *pg, int status, const char *msg)
{
	buf_reset(&pg->b);
	pg->status = status;
	pg->refresh = 0;
	ui_begin(pg, status == 404 ? "Not found" : "Error");
	html_printf(&pg->b, "<p class=\"err\">%s</p>", msg);
	ui_end(pg);
}

/* An API answer that is an error: show it.  1 when j was an error. */
int
ui_api_failed(struct ui_page *pg, json_t *j, int status)
{
	if (j != NULL && status >= 200 && status < 300)
		return 0;
	ui_error(pg, status >= 400 ? status : 500, j != NULL &&
	    ui_str(j, "error") != NULL ? ui_str(j, "error") :
	    "no answer from the API");
	return 1;
}

void
ui_snapshot_link(struct buf *b, const char *id)
{
	if (id == NULL) {
		buf_adds(b, "<span class=\"mute\">none</span>");
		return;
	}
	html_printf(b, "<a href=\"/ui/snapshots/%s\"><code>%s</code></a>",
	    id, id);
}

static void
ui_build_row(struct buf *b, json_t *o)
{
	json_int_t	id = json_integer_value(json_object_get(o, "id"));

	html_printf(b, "<tr><td><a href=\"/ui/builds/%lld\">%lld</a></td>"
	    "<td>%s</td><td>", (long long)id, (long long)id,
	    ui_str(o, "watch"));
	ui_badge(b, ui_str(o, "state"));
	html_printf(b, "</td><td><code>%s</code></td><td>%s</td><td>",
	    ui_str(o, "version"), ui_str(o, "queued"));
	if (ui_str(o, "started") != NULL && ui_str(o, "finished") != NULL) {
		time_t s = util_time_parse(ui_str(o, "started"));
		time_t f = util_time_parse(ui_str(o, "finished"));

		if (s != -1 && f != -1)
			buf_printf(b, "%llds", (long long)(f - s));
	}
	html_printf(b, "</td><td>%s</td></tr>\n", ui_str(o, "message"));
}

void
ui_builds_table(struct buf *b, json_t *arr)
{
	size_t	 i;
	json_t	*o;

	buf_adds(b, "<table><tr><th>Build</th><th>Watch</th><th>State</th>"
	    "<th>Version</th><th>Queued</th><th>Duration</th><th>Message</th>"
	    "</tr>\n");
	json_array_foreach(arr, i, o)
		ui_build_row(b, o);
	buf_adds(b, "</table>\n");
}

void
ui_results(struct buf *b, json_t *arr)
{
	size_t	 i;
	json_t	*o;

	if (json_array_size(arr) == 0) {
		buf_adds(b, "<span class=\"mute\">no results</span>");
		return;
	}
	json_array_foreach(arr, i, o) {
		ui_badge(b, ui_str(o, "result"));
		buf_addc(b, ' ');
		html_link(b, ui_str(o, "url"), ui_str(o, "job"));
		buf_adds(b, "<br>");
	}
}

/* Does the client take gzip?  (Accept-Encoding h names gzip without
 * q=0.) */
static int
ui_accepts_gzip(const char *h)
{
	const char	*g;

	if (h == NULL || (g = strstr(h, "gzip")) == NULL)
		return 0;
	g += 4;
	while (*g == ' ')
		g++;
	if (*g == ';') {
		g++;
		while (*g == ' ')
			g++;
		if (strncmp(g, "q=0", 3) == 0 && strspn(g + 3, ".0") ==
		    strcspn(g + 3, ", "))
			return 0;
	}
	return 1;
}

/* Last-Modified of the pages: the database's last write. */
static time_t
ui_db_mtime(struct promoter *p)
{
	struct stat	 sb;
	char		*wal;
	time_t		 t = 0;

	if (stat(p->db_path, &sb) == 0)
		t = sb.st_mtime;
	wal = xasprintf("%s-wal", p->db_path);
	if (stat(wal, &sb) == 0 && sb.st_mtime > t)
		t = sb.st_mtime;
	free(wal);
	return t;
}

void
ui_hdr(struct ui_answer *a, const char *name, const char *value)
{
	if (a->nhdrs < UI_ANSWER_HDRS) {
		a->hdrs[a->nhdrs].name = name;
		a->hdrs[a->nhdrs].value = value;
		a->nhdrs++;
	}
}

/* Answer body with an ETag, Last-Modified mtime, gzip'd when the client
 * takes it, 304 when If-None-Match has the ETag. */
void
ui_send(const struct ui_req *rq, struct ui_answer *a, int status,
    const char *type, const void *body, size_t len, time_t mtime,
    int cacheable)
{
	struct dp_error		 err;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;
	const char		*inm;
	struct tm		 tm;
	int			 zip, i;

	EVP_Digest(body, len, md, &mdlen, EVP_sha256(), NULL);
	zip = len >= UI_GZIP_MIN && ui_accepts_gzip(rq->header(rq->ctx,
	    "Accept-Encoding"));
	a->etag[0] = '"';
	for (i = 0; i < 16; i++)
		snprintf(a->etag + 1 + 2 * i, 3, "%02x", md[i]);
	snprintf(a->etag + 33, sizeof(a->etag) - 33, "%s\"", zip ? "-gz" : "");
	gmtime_r(&mtime, &tm);
	strftime(a->date, sizeof(a->date), "%a, %d %b %Y %H:%M:%S GMT", &tm);

	a->status = status;
	buf_reset(&a->body);
	inm = rq->header(rq->ctx, "If-None-Match");
	if (status == 200 && inm != NULL && strstr(inm, a->etag) != NULL)
		a->status = 304;
	else if (zip && compress_buf(COMPRESS_GZIP, body, len, &a->body,
	    &err) == 0)
		ui_hdr(a, "Content-Encoding", "gzip");
	else {
		buf_reset(&a->body);
		buf_add(&a->body, body, len);
	}
	if (a->status != 304)
		ui_hdr(a, "Content-Type", type);
	ui_hdr(a, "ETag", a->etag);
	ui_hdr(a, "Last-Modified", a->date);
	ui_hdr(a, "Vary", "Accept-Encoding");
	ui_hdr(a, "Cache-Control", cacheable ? "public, max-age=300" :
	    "no-cache");
	ui_hdr(a, "X-Content-Type-Options", "nosniff");
	ui_hdr(a, "X-Frame-Options", "DENY");
	ui_hdr(a, "Referrer-Policy", "no-referrer");
	ui_hdr(a, "Content-Security-Policy",
	    "default-src 'none'; style-src 'self'; img-src 'self'; "
	    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
}


void
ui_answer(struct promoter *p, const struct ui_req *rq, struct ui_answer *a)
{
	struct ui_page		 pg;
	const char		*rest, *slash, *url = rq->url;
	char			*id = NULL;

	memset(a, 0, sizeof(*a));
	buf_init(&a->body);
	a->fd = -1;
	if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
		static const char msg[] = "the web interface is read-only: "
		    "GET and HEAD only\n";

		a->status = 405;
		buf_add(&a->body, msg, sizeof(msg) - 1);
		ui_hdr(a, "Allow", "GET, HEAD");
		return;
	}
	if (strcmp(url, "/") == 0 || strcmp(url, "/ui") == 0 ||
	    strncmp(url, "/ui/", 4) != 0) {
		a->status = 302;
		ui_hdr(a, "Location", "/ui/");
		return;
	}
	if (strcmp(url, "/ui/style.css") == 0) {
		ui_send(rq, a, 200, "text/css; charset=utf-8", ui_css,
		    sizeof(ui_css) - 1, util_snapshot_id_time("20261201T000000Z"),
		    1);
		return;
	}
	if (strcmp(url, "/ui/icon.svg") == 0) {
		ui_send(rq, a, 200, "image/svg+xml", ui_icon,
		    sizeof(ui_icon) - 1, util_snapshot_id_time("20261201T000000Z"),
		    1);
		return;
	}

	memset(&pg, 0, sizeof(pg));
	buf_init(&pg.b);
	pg.status = 200;
	pg.mtime = ui_db_mtime(p);
	rest = url + 4;		/* after "/ui/" */
	if (*rest == '\0')
		ui_overview(p, &pg);
	else if (strncmp(rest, "snapshots/", 10) == 0)
		ui_snapshot(p, &pg, rest + 10);
	else if (strcmp(rest, "builds") == 0 || strcmp(rest, "builds/") == 0)
		ui_builds(p, &pg, rq);
	else if (strncmp(rest, "builds/", 7) == 0) {
		rest += 7;
		if ((slash = strchr(rest, '/')) != NULL &&
		    strcmp(slash, "/log") == 0) {
			id = xstrndup(rest, (size_t)(slash - rest));
			ui_log_raw(p, rq, id, a);
			free(id);
			buf_done(&pg.b);
			return;
		}
		if (slash != NULL)
			ui_error(&pg, 404, "not found");
		else
			ui_build(p, &pg, rq, rest);
	} else if (strcmp(rest, "watches") == 0)
		ui_watches(p, &pg);
	else if (strcmp(rest, "audit") == 0)
		ui_audit(p, &pg, rq);
	else
		ui_error(&pg, 404, "not found");
	if (pg.b.len == 0)
		ui_error(&pg, 500, "nothing to show");
	ui_send(rq, a, pg.status, "text/html; charset=utf-8", pg.b.data,
	    pg.b.len, pg.mtime, 0);
	buf_done(&pg.b);
}

void
ui_answer_done(struct ui_answer *a)
{
	buf_done(&a->body);
	if (a->fd != -1)
		close(a->fd);
	a->fd = -1;
}

/* libmicrohttpd's lookups for struct ui_req. */
static const char *
ui_mhd_arg(void *ctx, const char *key)
{
	return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, key);
}

static const char *
ui_mhd_header(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

int
ui_http(struct promoter *p, const struct http_request *hr)
{
	struct MHD_Connection	*c = hr->conn;
	struct ui_req		 rq = { hr->method, hr->url, ui_mhd_arg,
				    ui_mhd_header, c };
	struct ui_answer	 a;
	struct MHD_Response	*resp;
	enum MHD_Result		 ret;
	size_t			 i;

	ui_answer(p, &rq, &a);
	if (a.fd != -1) {
		/* Takes ownership of the fd. */
		resp = MHD_create_response_from_fd64(a.fd_size, a.fd);
		if (resp != NULL)
			a.fd = -1;
	} else
		resp = MHD_create_response_from_buffer(a.body.len,
		    a.body.data, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL) {
		ui_answer_done(&a);
		return MHD_NO;
	}
	for (i = 0; i < a.nhdrs; i++)
		MHD_add_response_header(resp, a.hdrs[i].name, a.hdrs[i].value);
	ret = MHD_queue_response(c, (unsigned int)a.status, resp);
	MHD_destroy_response(resp);
	ui_answer_done(&a);
	return ret;
}
