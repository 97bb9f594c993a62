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

#include <errno.h>
#include <fcntl.h>
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
#include "version.h"
#include "xmalloc.h"

#define UI_REFRESH	30		/* seconds, overview and lists */
#define UI_LOG_PAGE	(64 * 1024)	/* bytes of log per page */
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

struct ui_page {
	struct buf	 b;
	int		 status;
	int		 refresh;	/* seconds, 0 = none */
	time_t		 mtime;		/* the database's last write */
};

/* GET path (and q) through the API; the answer (caller decrefs) with
 * *status, NULL only when nothing came back. */
static json_t *
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

static const char *
ui_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* "3m ago" for an RFC 3339 time; "" when t is NULL or malformed.  No
 * seconds: a page must stay byte for byte the same (its ETag) while the
 * data it shows does not change. */
static void
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

static void
ui_badge(struct buf *b, const char *state)
{
	const char	*s = state != NULL ? state : "none";

	html_printf(b, "<span class=\"st %s\">%s</span>", s, s);
}

static void
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

static void
ui_end(struct ui_page *pg)
{
	char	when[32];

	/* The data's time, not the clock's: the same data, the same page. */
	html_printf(&pg->b, "<p class=\"mute\">%s, data as of %s</p></main>"
	    "</body></html>\n", PROMOTER_NAME " " VERSION,
	    util_time_fmt(pg->mtime, when));
}

static void
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
static int
ui_api_failed(struct ui_page *pg, json_t *j, int status)
{
	if (j != NULL && status >= 200 && status < 300)
		return 0;
	ui_error(pg, status >= 400 ? status : 500, j != NULL &&
	    ui_str(j, "error") != NULL ? ui_str(j, "error") :
	    "no answer from the API");
	return 1;
}

static void
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

static void
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

static void
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

static void
ui_overview(struct promoter *p, struct ui_page *pg)
{
	struct api_query q;
	json_t		*envs = NULL, *snaps = NULL, *run = NULL, *fail = NULL;
	json_t		*watches = NULL, *e, *g, *j, *arr;
	size_t		 i, k, nerr = 0;
	int		 st;

	pg->refresh = UI_REFRESH;
	envs = ui_api(p, "/api/v1/environments", NULL, &st);
	if (ui_api_failed(pg, envs, st))
		goto out;
	ui_begin(pg, "Overview");
	buf_adds(&pg->b, "<div class=\"envs\">\n");
	json_array_foreach(json_object_get(envs, "environments"), i, e) {
		html_printf(&pg->b, "<section class=\"env\"><h2>%s</h2>",
		    ui_str(e, "name"));
		ui_snapshot_link(&pg->b, ui_str(e, "snapshot"));
		buf_adds(&pg->b, " <span class=\"mute\">");
		ui_age(&pg->b, ui_str(e, "since"));
		buf_adds(&pg->b, "</span>");
		if (ui_str(e, "promote_from") != NULL)
			html_printf(&pg->b, "<div class=\"mute\">from %s</div>",
			    ui_str(e, "promote_from"));
		g = json_object_get(e, "gates");
		if (ui_str(g, "candidate") != NULL &&
		    json_array_size(json_object_get(e, "requires")) > 0) {
			buf_adds(&pg->b, "<div>candidate ");
			ui_snapshot_link(&pg->b, ui_str(g, "candidate"));
			buf_adds(&pg->b, " ");
			ui_badge(&pg->b, ui_str(g, "state"));
			html_printf(&pg->b, "<div class=\"mute\">%s</div></div>",
			    ui_str(g, "detail"));
		}
		buf_adds(&pg->b, "<ul class=\"gates\">");
		json_array_foreach(json_object_get(g, "jobs"), k, j) {
			buf_adds(&pg->b, "<li>");
			ui_badge(&pg->b, ui_str(j, "state"));
			buf_addc(&pg->b, ' ');
			html_link(&pg->b, ui_str(j, "url"), ui_str(j, "job"));
			buf_adds(&pg->b, "</li>");
		}
		buf_adds(&pg->b, "</ul></section>\n");
	}
	buf_adds(&pg->b, "</div>\n");

	memset(&q, 0, sizeof(q));
	q.limit = 10;
	snaps = ui_api(p, "/api/v1/snapshots", &q, &st);
	buf_adds(&pg->b, "<h2>Newest snapshots</h2><table><tr><th>Snapshot"
	    "</th><th>Created</th><th>Environments</th><th>Results</th></tr>\n");
	json_array_foreach(json_object_get(snaps, "snapshots"), i, e) {
		buf_adds(&pg->b, "<tr><td>");
		ui_snapshot_link(&pg->b, ui_str(e, "id"));
		html_printf(&pg->b, "</td><td>%s</td><td>",
		    ui_str(e, "created"));
		json_array_foreach(json_object_get(e, "environments"), k, j)
			html_printf(&pg->b, "%s ", json_string_value(j));
		buf_adds(&pg->b, "</td><td>");
		ui_results(&pg->b, json_object_get(e, "results"));
		buf_adds(&pg->b, "</td></tr>\n");
	}
	buf_adds(&pg->b, "</table>\n");

	q.limit = 20;
	q.state = "running";
	run = ui_api(p, "/api/v1/builds", &q, &st);
	q.limit = 10;
	q.state = "failed";
	fail = ui_api(p, "/api/v1/builds", &q, &st);
	buf_adds(&pg->b, "<h2>Builds running</h2>");
	arr = json_object_get(run, "builds");
	if (json_array_size(arr) == 0)
		buf_adds(&pg->b, "<p class=\"mute\">none</p>\n");
	else
		ui_builds_table(&pg->b, arr);
	buf_adds(&pg->b, "<h2>Builds failed</h2>");
	arr = json_object_get(fail, "builds");
	if (json_array_size(arr) == 0)
		buf_adds(&pg->b, "<p class=\"mute\">none</p>\n");
	else
		ui_builds_table(&pg->b, arr);

	watches = ui_api(p, "/api/v1/watches", NULL, &st);
	buf_adds(&pg->b, "<h2>Watches in error</h2>");
	json_array_foreach(json_object_get(watches, "watches"), i, e) {
		if (ui_str(e, "last_error") == NULL)
			continue;
		if (nerr++ == 0)
			buf_adds(&pg->b, "<table><tr><th>Watch</th><th>Last "
			    "poll</th><th>Error</th></tr>\n");
		html_printf(&pg->b, "<tr><td>%s</td><td>%s</td><td "
		    "class=\"err\">%s</td></tr>\n", ui_str(e, "name"),
		    ui_str(e, "last_poll"), ui_str(e, "last_error"));
	}
	buf_adds(&pg->b, nerr > 0 ? "</table>\n" :
	    "<p class=\"mute\">none</p>\n");
	ui_end(pg);
out:
	json_decref(envs);
	json_decref(snaps);
	json_decref(run);
	json_decref(fail);
	json_decref(watches);
}

/* One package of a snapshot: key "dist/component/name/arch". */
struct ui_pkg {
	char		*key;
	const char	*name, *arch, *dist, *version;
};

static int
ui_pkg_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ui_pkg *)a)->key,
	    ((const struct ui_pkg *)b)->key);
}

static struct ui_pkg *
ui_pkgs(json_t *arr, size_t *n)
{
	struct ui_pkg	*v;
	json_t		*o;
	size_t		 i;

	*n = json_array_size(arr);
	v = xcalloc(*n + 1, sizeof(*v));
	json_array_foreach(arr, i, o) {
		v[i].dist = ui_str(o, "dist");
		v[i].name = ui_str(o, "name");
		v[i].arch = ui_str(o, "arch");
		v[i].version = ui_str(o, "version");
		v[i].key = xasprintf("%s/%s/%s/%s", v[i].dist,
		    ui_str(o, "component"), v[i].name, v[i].arch);
	}
	qsort(v, *n, sizeof(*v), ui_pkg_cmp);
	return v;
}

static void
ui_pkgs_free(struct ui_pkg *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i].key);
	free(v);
}

static void
ui_diff_row(struct buf *b, const char *what, const struct ui_pkg *pk,
    const char *from, const char *to)
{
	html_printf(b, "<tr class=\"%s\"><td>%s</td><td>%s</td><td>%s</td>"
	    "<td><code>%s</code></td><td><code>%s</code></td></tr>\n", what,
	    what, pk->name, pk->arch, from, to);
}

/* The package diff of two snapshots' package lists (merge of sorted). */
static void
ui_diff(struct buf *b, json_t *cur, json_t *prev)
{
	struct ui_pkg	*c, *o;
	size_t		 nc, no, i = 0, k = 0, rows = 0;
	int		 cmp;

	c = ui_pkgs(cur, &nc);
	o = ui_pkgs(prev, &no);
	buf_adds(b, "<table><tr><th>Change</th><th>Package</th><th>Arch</th>"
	    "<th>From</th><th>To</th></tr>\n");
	while (i < nc || k < no) {
		cmp = i == nc ? 1 : k == no ? -1 : strcmp(c[i].key, o[k].key);
		if (cmp < 0) {
			ui_diff_row(b, "added", &c[i], "", c[i].version);
			i++;
			rows++;
		} else if (cmp > 0) {
			ui_diff_row(b, "removed", &o[k], o[k].version, "");
			k++;
			rows++;
		} else {
			cmp = version_compare(c[i].version != NULL ?
			    c[i].version : "", o[k].version != NULL ?
			    o[k].version : "");
			if (cmp != 0) {
				ui_diff_row(b, cmp > 0 ? "upgraded" :
				    "downgraded", &c[i], o[k].version,
				    c[i].version);
				rows++;
			}
			i++;
			k++;
		}
	}
	if (rows == 0)
		buf_adds(b, "<tr><td colspan=\"5\" class=\"mute\">same "
		    "packages</td></tr>\n");
	buf_adds(b, "</table>\n");
	ui_pkgs_free(c, nc);
	ui_pkgs_free(o, no);
}

static void
ui_snapshot(struct promoter *p, struct ui_page *pg, const char *id)
{
	struct api_query q;
	json_t		*s = NULL, *prev = NULL, *o, *arr;
	const char	*pid, *base;
	char		*path = NULL, *title = NULL;
	size_t		 i, k;
	int		 st;

	if (!util_snapshot_id_ok(id)) {
		ui_error(pg, 404, "no such snapshot");
		return;
	}
	memset(&q, 0, sizeof(q));
	q.history = 1;
	path = xasprintf("/api/v1/snapshots/%s", id);
	s = ui_api(p, path, &q, &st);
	if (ui_api_failed(pg, s, st))
		goto out;
	title = xasprintf("Snapshot %s", id);
	ui_begin(pg, title);
	html_printf(&pg->b, "<p>Created %s (", ui_str(s, "created"));
	ui_age(&pg->b, ui_str(s, "created"));
	buf_adds(&pg->b, "). Environments: ");
	json_array_foreach(json_object_get(s, "environments"), i, o)
		html_printf(&pg->b, "<b>%s</b> ", json_string_value(o));
	buf_adds(&pg->b, "</p>\n<h2>Use it</h2><pre>");
	pthread_rwlock_rdlock(&p->cfglock);
	base = p->cfg->public_url != NULL ? p->cfg->public_url : "";
	for (i = 0; i < p->cfg->ndists; i++) {
		html_printf(&pg->b, "deb [signed-by=/usr/share/keyrings/"
		    "debpipe-archive-keyring.gpg] %s/snapshots/%s %s", base,
		    id, p->cfg->dists[i].name);
		for (k = 0; p->cfg->dists[i].components[k] != NULL; k++)
			html_printf(&pg->b, " %s",
			    p->cfg->dists[i].components[k]);
		buf_addc(&pg->b, '\n');
	}
	pthread_rwlock_unlock(&p->cfglock);
	buf_adds(&pg->b, "</pre>\n");

	buf_adds(&pg->b, "<h2>Promotion</h2><table><tr><th>Environment</th>"
	    "<th>State</th><th>Why</th></tr>\n");
	json_array_foreach(json_object_get(s, "promotion"), i, o) {
		html_printf(&pg->b, "<tr><td>%s</td><td>",
		    ui_str(o, "environment"));
		ui_badge(&pg->b, ui_str(o, "state"));
		html_printf(&pg->b, "</td><td>%s</td></tr>\n",
		    ui_str(o, "detail"));
	}
	buf_adds(&pg->b, "</table>\n<h2>Results</h2><table><tr><th>Job</th>"
	    "<th>Result</th><th>URL</th><th>Time</th><th>By</th></tr>\n");
	json_array_foreach(json_object_get(s, "results"), i, o) {
		html_printf(&pg->b, "<tr><td>%s</td><td>", ui_str(o, "job"));
		ui_badge(&pg->b, ui_str(o, "result"));
		buf_adds(&pg->b, "</td><td>");
		html_link(&pg->b, ui_str(o, "url"), NULL);
		html_printf(&pg->b, "</td><td>%s</td><td>%s</td></tr>\n",
		    ui_str(o, "time"), ui_str(o, "actor"));
	}
	buf_adds(&pg->b, "</table>\n");

	pid = ui_str(s, "previous");
	buf_adds(&pg->b, "<h2>Changes since ");
	ui_snapshot_link(&pg->b, pid);
	buf_adds(&pg->b, "</h2>\n");
	if (pid != NULL) {
		free(path);
		path = xasprintf("/api/v1/snapshots/%s", pid);
		prev = ui_api(p, path, NULL, &st);
	}
	ui_diff(&pg->b, json_object_get(s, "packages"),
	    json_object_get(prev, "packages"));

	buf_adds(&pg->b, "<h2>History</h2><table><tr><th>Time</th><th>"
	    "Environment</th><th>From</th><th>To</th><th>Kind</th><th>By</th>"
	    "<th>Reason</th></tr>\n");
	json_array_foreach(json_object_get(s, "history"), i, o) {
		html_printf(&pg->b, "<tr><td>%s</td><td>%s</td><td>",
		    ui_str(o, "time"), ui_str(o, "environment"));
		ui_snapshot_link(&pg->b, ui_str(o, "from"));
		buf_adds(&pg->b, "</td><td>");
		ui_snapshot_link(&pg->b, ui_str(o, "to"));
		html_printf(&pg->b, "</td><td>%s</td><td>%s</td><td>%s</td>"
		    "</tr>\n", ui_str(o, "kind"), ui_str(o, "actor"),
		    ui_str(o, "reason"));
	}
	buf_adds(&pg->b, "</table>\n");

	arr = json_object_get(s, "packages");
	html_printf(&pg->b, "<h2>Packages (%zu)</h2><table><tr><th>"
	    "Package</th><th>Version</th><th>Arch</th><th>Distribution</th>"
	    "<th>Component</th><th>Description</th></tr>\n",
	    json_array_size(arr));
	json_array_foreach(arr, i, o)
		html_printf(&pg->b, "<tr><td>%s</td><td><code>%s</code></td>"
		    "<td>%s</td><td>%s</td><td>%s</td><td class=\"desc\">%s"
		    "</td></tr>\n", ui_str(o, "name"), ui_str(o, "version"),
		    ui_str(o, "arch"), ui_str(o, "dist"),
		    ui_str(o, "component"), ui_str(o, "description"));
	buf_adds(&pg->b, "</table>\n");
	ui_end(pg);
out:
	free(path);
	free(title);
	json_decref(s);
	json_decref(prev);
}

static void
ui_builds(struct promoter *p, struct ui_page *pg, const struct ui_req *rq)
{
	struct api_query q;
	json_t		*j;
	json_int_t	 next;
	int		 st;

	pg->refresh = UI_REFRESH;
	http_query_parse(&q, rq->arg, rq->ctx);
	q.history = 0;
	if (q.state != NULL && strcmp(q.state, "queued") != 0 &&
	    strcmp(q.state, "running") != 0 &&
	    strcmp(q.state, "success") != 0 && strcmp(q.state, "failed") != 0)
		q.state = NULL;
	j = ui_api(p, "/api/v1/builds", &q, &st);
	if (ui_api_failed(pg, j, st))
		goto out;
	ui_begin(pg, "Builds");
	buf_adds(&pg->b, "<nav class=\"pages\"><a href=\"/ui/builds\">all</a>"
	    "<a href=\"/ui/builds?state=running\">running</a>"
	    "<a href=\"/ui/builds?state=failed\">failed</a>"
	    "<a href=\"/ui/builds?state=queued\">queued</a></nav>\n");
	ui_builds_table(&pg->b, json_object_get(j, "builds"));
	if ((next = json_integer_value(json_object_get(j, "next_before"))) > 0)
		html_printf(&pg->b, "<nav class=\"pages\"><a href=\"/ui/builds"
		    "?before=%lld%s%s\">older</a></nav>\n", (long long)next,
		    q.state != NULL ? "&state=" : "",
		    q.state != NULL ? q.state : "");
	ui_end(pg);
out:
	json_decref(j);
}

/* Append bytes [off, off + len) of the log at fd, escaped. */
static int
ui_log_chunk(struct buf *b, int fd, off_t off, size_t len)
{
	char	*tmp;
	ssize_t	 n;
	size_t	 got = 0;

	tmp = xmalloc(len + 1);
	while (got < len) {
		n = pread(fd, tmp + got, len - got, off + (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	html_escape(b, tmp, got);
	free(tmp);
	return 0;
}

static void
ui_build(struct promoter *p, struct ui_page *pg, const struct ui_req *rq,
    const char *id)
{
	json_t		*j = NULL;
	struct db	*db;
	struct stat	 sb;
	const char	*pgarg;
	char		*path = NULL, *title = NULL, *log = NULL, *end;
	long long	 bid, page, npages, size = 0;
	off_t		 off;
	size_t		 len;
	int		 st, fd = -1;

	path = xasprintf("/api/v1/builds/%s", id);
	j = ui_api(p, path, NULL, &st);
	if (ui_api_failed(pg, j, st))
		goto out;
	bid = (long long)json_integer_value(json_object_get(j, "id"));
	if (ui_str(j, "state") != NULL &&
	    (strcmp(ui_str(j, "state"), "running") == 0 ||
	    strcmp(ui_str(j, "state"), "queued") == 0))
		pg->refresh = 5;
	title = xasprintf("Build %lld of %s", bid, ui_str(j, "watch"));
	ui_begin(pg, title);
	buf_adds(&pg->b, "<table><tr><th>State</th><td>");
	ui_badge(&pg->b, ui_str(j, "state"));
	html_printf(&pg->b, "</td></tr><tr><th>Watch</th><td>%s</td></tr>"
	    "<tr><th>Version</th><td><code>%s</code></td></tr>"
	    "<tr><th>Queued</th><td>%s</td></tr>"
	    "<tr><th>Started</th><td>%s</td></tr>"
	    "<tr><th>Finished</th><td>%s</td></tr>"
	    "<tr><th>Attempts</th><td>%lld</td></tr>"
	    "<tr><th>Inputs</th><td><code>%s</code></td></tr>"
	    "<tr><th>Message</th><td>%s</td></tr></table>\n",
	    ui_str(j, "watch"), ui_str(j, "version"), ui_str(j, "queued"),
	    ui_str(j, "started"), ui_str(j, "finished"),
	    (long long)json_integer_value(json_object_get(j, "attempts")),
	    ui_str(j, "inputs"), ui_str(j, "message"));

	buf_adds(&pg->b, "<h2>Log</h2>\n");
	if ((db = api_read_db(p)) != NULL)
		log = api_build_log_path(db, bid);
	if (log == NULL || (fd = open(log, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1 || fstat(fd, &sb) == -1 ||
	    !S_ISREG(sb.st_mode)) {
		buf_adds(&pg->b, "<p class=\"mute\">no log yet</p>\n");
		goto done;
	}
	size = (long long)sb.st_size;
	npages = size == 0 ? 1 : (size + UI_LOG_PAGE - 1) / UI_LOG_PAGE;
	page = npages;		/* the tail */
	pgarg = rq->arg(rq->ctx, "page");
	if (pgarg != NULL) {
		page = strtoll(pgarg, &end, 10);
		if (*pgarg < '0' || *pgarg > '9' || *end != '\0' || page < 1)
			page = 1;
		if (page > npages)
			page = npages;
	}
	off = (off_t)((page - 1) * UI_LOG_PAGE);
	len = (size_t)(size - (long long)off < UI_LOG_PAGE ?
	    size - (long long)off : UI_LOG_PAGE);
	html_printf(&pg->b, "<p class=\"mute\">%lld bytes, page %lld of %lld "
	    "&middot; <a href=\"/ui/builds/%lld/log\">whole log as text</a>"
	    "</p>\n<nav class=\"pages\">", size, page, npages, bid);
	if (page > 1)
		html_printf(&pg->b, "<a href=\"/ui/builds/%lld?page=1\">first"
		    "</a><a href=\"/ui/builds/%lld?page=%lld\">previous</a>",
		    bid, bid, page - 1);
	if (page < npages)
		html_printf(&pg->b, "<a href=\"/ui/builds/%lld?page=%lld\">"
		    "next</a><a href=\"/ui/builds/%lld\">last</a>", bid,
		    page + 1, bid);
	buf_adds(&pg->b, "</nav>\n<pre id=\"log\">");
	ui_log_chunk(&pg->b, fd, off, len);
	buf_adds(&pg->b, "</pre>\n");
done:
	ui_end(pg);
out:
	if (fd != -1)
		close(fd);
	free(log);
	free(path);
	free(title);
	json_decref(j);
}

static void
ui_watches(struct promoter *p, struct ui_page *pg)
{
	json_t	*j, *o, *m;
	size_t	 i, k;
	int	 st;

	pg->refresh = UI_REFRESH;
	j = ui_api(p, "/api/v1/watches", NULL, &st);
	if (ui_api_failed(pg, j, st))
		goto out;
	ui_begin(pg, "Watches");
	buf_adds(&pg->b, "<table><tr><th>Watch</th><th>Type</th><th>Upstream"
	    "</th><th>Last poll</th><th>Last change</th><th>Next poll</th>"
	    "<th>Last error</th><th>Builds</th></tr>\n");
	json_array_foreach(json_object_get(j, "watches"), i, o) {
		html_printf(&pg->b, "<tr><td>%s</td><td>%s</td><td>"
		    "<code>%s</code> %s", ui_str(o, "name"), ui_str(o, "type"),
		    ui_str(o, "url"), ui_str(o, "branch"));
		json_array_foreach(json_object_get(o, "merges"), k, m)
			html_printf(&pg->b, "<br>+ <code>%s</code> %s",
			    ui_str(m, "url"), ui_str(m, "branch"));
		html_printf(&pg->b, "</td><td>%s <span class=\"mute\">",
		    ui_str(o, "last_poll"));
		ui_age(&pg->b, ui_str(o, "last_poll"));
		html_printf(&pg->b, "</span></td><td>%s</td><td>%s%s</td>"
		    "<td class=\"err\">%s</td><td><a href=\"/ui/builds?watch="
		    "%s\">builds</a></td></tr>\n", ui_str(o, "last_change"),
		    ui_str(o, "next_poll"),
		    json_is_true(json_object_get(o, "check_pending")) ?
		    " (poll requested)" : "", ui_str(o, "last_error"),
		    ui_str(o, "name"));
	}
	buf_adds(&pg->b, "</table>\n");
	ui_end(pg);
out:
	json_decref(j);
}

static void
ui_audit(struct promoter *p, struct ui_page *pg, const struct ui_req *rq)
{
	struct api_query q;
	json_t		*j, *o;
	json_int_t	 next;
	size_t		 i;
	int		 st;

	pg->refresh = UI_REFRESH;
	http_query_parse(&q, rq->arg, rq->ctx);
	q.state = q.watch = NULL;
	j = ui_api(p, "/api/v1/audit", &q, &st);
	if (ui_api_failed(pg, j, st))
		goto out;
	ui_begin(pg, "Audit log");
	buf_adds(&pg->b, "<table><tr><th>#</th><th>Time</th><th>Environment"
	    "</th><th>From</th><th>To</th><th>Kind</th><th>By</th><th>Reason"
	    "</th></tr>\n");
	json_array_foreach(json_object_get(j, "audit"), i, o) {
		html_printf(&pg->b, "<tr><td>%lld</td><td>%s</td><td>%s</td>"
		    "<td>", (long long)json_integer_value(json_object_get(o,
		    "id")), ui_str(o, "time"), ui_str(o, "environment"));
		ui_snapshot_link(&pg->b, ui_str(o, "from"));
		buf_adds(&pg->b, "</td><td>");
		ui_snapshot_link(&pg->b, ui_str(o, "to"));
		html_printf(&pg->b, "</td><td>%s</td><td>%s</td><td>%s</td>"
		    "</tr>\n", ui_str(o, "kind"), ui_str(o, "actor"),
		    ui_str(o, "reason"));
	}
	buf_adds(&pg->b, "</table>\n");
	if ((next = json_integer_value(json_object_get(j, "next_before"))) > 0)
		html_printf(&pg->b, "<nav class=\"pages\"><a href=\"/ui/audit"
		    "\">newest</a><a href=\"/ui/audit?before=%lld\">older</a>"
		    "</nav>\n", (long long)next);
	ui_end(pg);
out:
	json_decref(j);
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

static void
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
static void
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

/* /ui/builds/{id}/log: the file itself, streamed. */
static void
ui_log_raw(struct promoter *p, const struct ui_req *rq, const char *id,
    struct ui_answer *a)
{
	struct db		*db;
	struct stat		 sb;
	char			*log = NULL, *end;
	long long		 bid;
	int			 fd = -1;
	static const char	 none[] = "no log\n";

	bid = strtoll(id, &end, 10);
	if (*id >= '0' && *id <= '9' && *end == '\0' &&
	    (db = api_read_db(p)) != NULL)
		log = api_build_log_path(db, bid);
	if (log != NULL)
		fd = open(log, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(log);
	if (fd == -1 || fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		if (fd != -1)
			close(fd);
		ui_send(rq, a, 404, "text/plain; charset=utf-8", none,
		    sizeof(none) - 1, time(NULL), 0);
		return;
	}
	a->status = 200;
	a->fd = fd;
	a->fd_size = (uint64_t)sb.st_size;
	ui_hdr(a, "Content-Type", "text/plain; charset=utf-8");
	ui_hdr(a, "X-Content-Type-Options", "nosniff");
	ui_hdr(a, "Content-Security-Policy", "default-src 'none'");
	ui_hdr(a, "Cache-Control", "no-cache");
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
