/*
 * ui-snapshot.c - /ui/snapshots/{id}: a snapshot with its package diff
 * against the one before it, its results, promotion state and history.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promoter.h"
#include "ui.h"
#include "version.h"
#include "xmalloc.h"

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

void
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
