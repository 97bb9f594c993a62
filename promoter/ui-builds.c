/*
 * ui-builds.c - /ui/builds (the list, paged), /ui/builds/{id} (a build
 * with one UI_LOG_PAGE page of its log) and /ui/builds/{id}/log (the log
 * file itself, streamed).  Logs are never read whole.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "promoter.h"
#include "ui.h"
#include "xmalloc.h"

void
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

void
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

/* /ui/builds/{id}/log: the file itself, streamed. */
void
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
