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

#include "remote-publish.h"
#include "remote-status.h"
#include "xmalloc.h"

/* Seconds the oldest change not yet on t has waited (0: none). */
#define LAG_SQL \
	"SELECT coalesce(CAST(strftime('%s', 'now') - strftime('%s', " \
	"min(t)) AS INTEGER), 0), count(*) FROM (" \
	"SELECT s.created AS t FROM snapshots s WHERE s.state = 'published' " \
	"AND NOT EXISTS (SELECT 1 FROM remote_dists r WHERE r.target = ?1 " \
	"AND r.name = s.id AND r.snapshot = s.id) UNION ALL SELECT e.since " \
	"FROM environments e JOIN snapshots s ON s.id = e.snapshot AND " \
	"s.state = 'published' WHERE NOT EXISTS (SELECT 1 FROM remote_dists " \
	"r WHERE r.target = ?1 AND r.name = e.name AND r.snapshot = " \
	"e.snapshot))"

static json_t *
text_or_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? json_null() :
	    json_string((const char *)sqlite3_column_text(st, i));
}

static json_t *
target_json(struct db *db, const struct config *cfg,
    const struct conf_target *t)
{
	json_t		*o = json_object(), *src;
	sqlite3_stmt	*st = NULL;
	char		*line;
	size_t		 i, j;
	json_int_t	 lag = 0, behind = 0, objects = 0, bytes = 0;

	json_object_set_new(o, "target", json_string(t->name));
	json_object_set_new(o, "url", json_null());
	json_object_set_new(o, "last_attempt", json_null());
	json_object_set_new(o, "last_success", json_null());
	json_object_set_new(o, "last_error", json_null());
	json_object_set_new(o, "pending", json_integer(0));
	if (db != NULL && db_prepare(db, "SELECT url, last_attempt, "
	    "last_success, last_error, pending FROM remote_targets WHERE "
	    "target = ?", &st, NULL) == 0) {
		sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			json_object_set_new(o, "url", text_or_null(st, 0));
			json_object_set_new(o, "last_attempt",
			    text_or_null(st, 1));
			json_object_set_new(o, "last_success",
			    text_or_null(st, 2));
			json_object_set_new(o, "last_error",
			    text_or_null(st, 3));
			json_object_set_new(o, "pending",
			    json_integer(sqlite3_column_int64(st, 4)));
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	if (db != NULL && db_prepare(db, LAG_SQL, &st, NULL) == 0) {
		sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			lag = sqlite3_column_int64(st, 0);
			behind = sqlite3_column_int64(st, 1);
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	if (db != NULL && db_prepare(db, "SELECT count(*), coalesce(sum(size),"
	    " 0) FROM remote_objects WHERE target = ?", &st, NULL) == 0) {
		sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			objects = sqlite3_column_int64(st, 0);
			bytes = sqlite3_column_int64(st, 1);
		}
		sqlite3_finalize(st);
		st = NULL;
	}
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
				else if (db_prepare(db, "SELECT max(id) FROM "
				    "snapshots WHERE state = 'published'",
				    &st, NULL) == 0) {
					if (sqlite3_step(st) == SQLITE_ROW &&
					    sqlite3_column_text(st, 0) != NULL)
						newest = xstrdup((const char *)
						    sqlite3_column_text(st, 0));
					sqlite3_finalize(st);
					st = NULL;
					name = newest;
				}
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
