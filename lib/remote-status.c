/*
 * remote-status.c - the state of each object storage target, for
 * `debpipe status`, the API (GET /api/v1/targets) and /metrics: last
 * attempt and success, last error, what is still to upload and how long
 * the oldest of it has waited (lag), and the apt source lines.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db-remote.h"
#include "db-snapshots.h"
#include "remote-publish.h"
#include "remote-status.h"
#include "xmalloc.h"

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
target_json(struct db *db, const struct config *cfg,
    const struct conf_target *t)
{
	struct db_remote_target	 rt;
	json_t			*o = json_object(), *src;
	char			*line;
	size_t			 i, j;
	int64_t			 lag = 0, behind = 0, objects = 0, bytes = 0;

	json_object_set_new(o, "target", json_string(t->name));
	json_object_set_new(o, "url", json_null());
	json_object_set_new(o, "last_attempt", json_null());
	json_object_set_new(o, "last_success", json_null());
	json_object_set_new(o, "last_error", json_null());
	json_object_set_new(o, "pending", json_integer(0));
	if (db != NULL && db_remote_target_get(db, t->name, &rt, NULL) == 1) {
		json_object_set_new(o, "url", str_or_null(rt.url));
		json_object_set_new(o, "last_attempt",
		    str_or_null(rt.last_attempt));
		json_object_set_new(o, "last_success",
		    str_or_null(rt.last_success));
		json_object_set_new(o, "last_error",
		    str_or_null(rt.last_error));
		json_object_set_new(o, "pending", json_integer(rt.pending));
		db_remote_target_done(&rt);
	}
	if (db != NULL)
		db_remote_lag(db, t->name, &lag, &behind, NULL);
	if (db != NULL)
		db_remote_objects_total(db, t->name, &objects, &bytes, NULL);
	json_object_set_new(o, "behind", json_integer(behind));
	json_object_set_new(o, "lag_seconds", json_integer(behind > 0 &&
	    lag > 0 ? lag : 0));
	json_object_set_new(o, "objects", json_integer(objects));
	json_object_set_new(o, "bytes", json_integer(bytes));

	/* apt source lines: each environment, and the newest snapshot as
	 * the pattern for pinning one. */
	src = json_array();
	if (db != NULL) {
		for (i = 0; i < cfg->ndists; i++)
			for (j = 0; j <= cfg->nenvs; j++) {
				const char *name = NULL;
				char *newest = NULL;

				if (j < cfg->nenvs)
					name = cfg->envs[j].name;
				else if (db_snapshot_newest(db, &newest, NULL,
				    NULL) == 0)
					name = newest;
				if (name == NULL)
					continue;
				line = remote_source_line(db, cfg, t,
				    &cfg->dists[i], name);
				json_array_append_new(src, json_string(line));
				free(line);
				free(newest);
			}
	}
	json_object_set_new(o, "sources", src);
	return o;
}

json_t *
remote_status(struct db *db, const struct config *cfg)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < cfg->ntargets; i++)
		json_array_append_new(a, target_json(db, cfg,
		    &cfg->targets[i]));
	return a;
}

/* A Prometheus label value. */
static void
label(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			buf_printf(b, "\\%c", *s);
		else if (*s == '\n')
			buf_adds(b, "\\n");
		else
			buf_printf(b, "%c", *s);
	}
}

void
remote_metrics(struct db *db, const struct config *cfg, struct buf *b)
{
	json_t		*a, *o;
	size_t		 i, k;
	static const struct {
		const char *key, *name, *help;
	} m[] = {
		{ "lag_seconds", "debpipe_publish_lag_seconds", "How long the "
		    "oldest change not yet on the target has waited." },
		{ "behind", "debpipe_publish_behind", "Snapshots and "
		    "environment moves not yet on the target." },
		{ "pending", "debpipe_publish_pending_uploads", "Uploads "
		    "left by the last failed sync." },
		{ "objects", "debpipe_publish_objects", "Objects the target "
		    "holds (state.db)." },
		{ "bytes", "debpipe_publish_bytes", "Bytes the target holds "
		    "(state.db)." },
	};

	if (cfg->ntargets == 0)
		return;
	a = remote_status(db, cfg);
	for (k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", m[k].name,
		    m[k].help, m[k].name);
		json_array_foreach(a, i, o) {
			buf_printf(b, "%s{target=\"", m[k].name);
			label(b, json_string_value(json_object_get(o,
			    "target")));
			buf_printf(b, "\"} %lld\n", (long long)
			    json_integer_value(json_object_get(o, m[k].key)));
		}
	}
	buf_adds(b, "# HELP debpipe_publish_up 1 if the last sync to the "
	    "target succeeded.\n# TYPE debpipe_publish_up gauge\n");
	json_array_foreach(a, i, o) {
		buf_adds(b, "debpipe_publish_up{target=\"");
		label(b, json_string_value(json_object_get(o, "target")));
		buf_printf(b, "\"} %d\n", json_is_null(json_object_get(o,
		    "last_error")) && !json_is_null(json_object_get(o,
		    "last_success")) ? 1 : 0);
	}
	json_decref(a);
}
