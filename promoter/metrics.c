/*
 * metrics.c - GET /metrics: the Prometheus text format (published
 * snapshots, moves per environment, results, builds, the built-in checks,
 * object storage targets, the newest snapshot's age, the snapshot of each
 * environment).  Read on the thread's read-only connection, like every
 * GET of the API (api_run()).
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "check.h"
#include "db-audit.h"
#include "db-builds.h"
#include "db-snapshots.h"
#include "log.h"
#include "promoter.h"
#include "remote-status.h"
#include "xmalloc.h"

/* Prometheus label value escaping. */
static void
metrics_label(struct buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			buf_addc(b, '\\');
		if (*s == '\n')
			buf_adds(b, "\\n");
		else
			buf_addc(b, *s);
	}
}

static const char *const metrics_build_states[] = {
	"queued", "running", "success", "failed", NULL
};

static void
metrics_write(struct api_ctx *a)
{
	struct buf	 b;
	struct dp_error	 err;
	char		*newest = NULL, *created = NULL;
	int64_t		 n, ns, nf, nn;
	time_t		 t;
	size_t		 i;
	struct env_state st;

	buf_init(&b);
	if (db_snapshot_count(a->db, &n, &err) == -1) {
		buf_done(&b);
		api_dberr(a, &err);
		return;
	}
	buf_printf(&b, "# HELP debpipe_snapshots_total Published snapshots.\n"
	    "# TYPE debpipe_snapshots_total gauge\n"
	    "debpipe_snapshots_total %lld\n", (long long)n);

	buf_adds(&b, "# HELP debpipe_promotions_total Moves of each "
	    "environment (audit log rows).\n"
	    "# TYPE debpipe_promotions_total counter\n");
	for (i = 0; i < a->cfg->nenvs; i++) {
		if (db_audit_count(a->db, a->cfg->envs[i].name, &n,
		    &err) == -1)
			break;
		buf_adds(&b, "debpipe_promotions_total{env=\"");
		metrics_label(&b, a->cfg->envs[i].name);
		buf_printf(&b, "\"} %lld\n", (long long)n);
	}

	buf_adds(&b, "# HELP debpipe_results_total CI results reported.\n"
	    "# TYPE debpipe_results_total counter\n");
	if (api_results_totals(a->db, &ns, &nf, &nn, &err) == 0)
		buf_printf(&b, "debpipe_results_total{result=\"success\"} "
		    "%lld\ndebpipe_results_total{result=\"failure\"} %lld\n"
		    "debpipe_results_total{result=\"neutral\"} %lld\n",
		    (long long)ns, (long long)nf, (long long)nn);
	else
		log_warnx("api: %s", dp_error_str(&err));

	buf_adds(&b, "# HELP debpipe_builds_total Builds by state.\n"
	    "# TYPE debpipe_builds_total gauge\n");
	for (i = 0; metrics_build_states[i] != NULL; i++) {
		if (db_build_count(a->db, metrics_build_states[i], &n,
		    &err) == -1)
			break;
		buf_printf(&b, "debpipe_builds_total{state=\"%s\"} %lld\n",
		    metrics_build_states[i], (long long)n);
	}
	check_metrics(a->db, &b);
	remote_metrics(a->db, a->cfg, &b);

	if (db_snapshot_newest(a->db, &newest, NULL, &err) == 0 &&
	    newest != NULL && db_snapshot_published(a->db, newest, &created,
	    &err) == 1) {
		if ((t = util_time_parse(created)) == -1)
			t = util_snapshot_id_time(newest);
		if (t != -1)
			buf_printf(&b, "# HELP debpipe_last_snapshot_age_seconds "
			    "Age of the newest snapshot.\n"
			    "# TYPE debpipe_last_snapshot_age_seconds gauge\n"
			    "debpipe_last_snapshot_age_seconds %lld\n",
			    (long long)(time(NULL) - t));
	}
	free(newest);
	free(created);

	buf_adds(&b, "# HELP debpipe_environment_info The snapshot each "
	    "environment is on.\n"
	    "# TYPE debpipe_environment_info gauge\n");
	for (i = 0; i < a->cfg->nenvs; i++) {
		if (env_get(a->db, a->cfg->envs[i].name, &st, &err) == -1)
			continue;
		if (st.snapshot != NULL) {
			buf_adds(&b, "debpipe_environment_info{env=\"");
			metrics_label(&b, a->cfg->envs[i].name);
			buf_adds(&b, "\",snapshot=\"");
			metrics_label(&b, st.snapshot);
			buf_adds(&b, "\"} 1\n");
		}
		env_state_done(&st);
	}
	a->r->status = 200;
	a->r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	a->r->len = b.len;
	a->r->body = buf_steal(&b);
}

static void
metrics_route(struct api_ctx *a, const char *method, const char *url)
{
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		a->r->allow = "GET, HEAD";
		http_reply_error(a->r, 405, "method %s not allowed", method);
	} else
		metrics_write(a);
}

void
metrics_answer(struct promoter *p, const char *method, struct http_reply *r)
{
	api_run(p, method, "/metrics", NULL, NULL, 0, NULL, r, metrics_route);
}

int
metrics_http(struct promoter *p, const struct http_request *rq)
{
	struct http_reply	r;

	memset(&r, 0, sizeof(r));
	metrics_answer(p, rq->method, &r);
	return http_reply_send(rq, &r);
}
