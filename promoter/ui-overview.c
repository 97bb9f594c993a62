/*
 * ui-overview.c - the pages of the web interface about the whole
 * pipeline: the overview (/ui/: environments with their gates, the newest
 * snapshots and builds), /ui/watches and /ui/audit.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "promoter.h"
#include "ui.h"
#include "xmalloc.h"

void
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

void
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

void
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
