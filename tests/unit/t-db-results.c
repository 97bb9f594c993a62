/*
 * t-db-results.c - lib/db-results.c: results (latest per job, counts),
 * the notifications queue and the checks queue, against a real state.db.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db-results.h"
#include "fsutil.h"
#include "xmalloc.h"

#define S1 "20260101T000100Z"
#define S2 "20260101T000200Z"

struct fix {
	char		*dir;
	struct db	*db;
};

static void
snap(struct fix *f, const char *id, const char *state)
{
	struct dp_error	 err;
	char		*sql;

	sql = xasprintf("INSERT INTO snapshots(id, created, packages, "
	    "sources, digest, state) VALUES ('%s', 'now', x'', x'', '%s', "
	    "'%s')", id, id, state);
	assert_int_equal(db_exec(f->db, sql, &err), 0);
	free(sql);
}

static int
setup(void **state)
{
	struct fix	*f = xcalloc(1, sizeof(*f));
	struct dp_error	 err;
	char		 tmpl[] = "/tmp/t-db-results.XXXXXX", *path;

	assert_non_null(mkdtemp(tmpl));
	f->dir = xstrdup(tmpl);
	path = fs_join(f->dir, "state.db");
	assert_int_equal(db_open(path, &f->db, &err), 0);
	free(path);
	snap(f, S1, "published");
	snap(f, S2, "published");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix	*f = *state;
	struct dp_error	 err;

	db_close(f->db);
	fs_remove_tree(f->dir, &err);
	free(f->dir);
	free(f);
	return 0;
}

struct seen {
	char	 s[512];
	int	 n;
};

static void
result_cb(void *arg, const struct db_result *r)
{
	struct seen	*sn = arg;
	size_t		 len = strlen(sn->s);

	snprintf(sn->s + len, sizeof(sn->s) - len, "%s=%s ", r->job,
	    r->result);
	sn->n++;
}

static void
test_results(void **state)
{
	struct fix	*f = *state;
	struct dp_error	 err;
	struct seen	 sn;
	int64_t		 maxid, n[3];
	char		*res;

	assert_int_equal(db_results_maxid(f->db, &maxid, &err), 0);
	assert_int_equal(maxid, 0);
	assert_int_equal(db_result_add(f->db, S1, "b", "failure", NULL, "t1",
	    "ci", &err), 0);
	assert_int_equal(db_result_add(f->db, S1, "a", "success", "http://x",
	    "t2", "ci", &err), 0);
	assert_int_equal(db_result_add(f->db, S1, "b", "success", NULL, "t3",
	    "ci", &err), 0);
	assert_int_equal(db_result_add(f->db, S2, "a", "neutral", NULL, "t4",
	    "check", &err), 0);

	memset(&sn, 0, sizeof(sn));
	assert_int_equal(db_results_of(f->db, S1, 0, result_cb, &sn, &err),
	    0);
	assert_string_equal(sn.s, "a=success b=success ");	/* latest, by job */
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(db_results_of(f->db, S1, 1, result_cb, &sn, &err),
	    0);
	assert_string_equal(sn.s, "b=failure a=success b=success ");

	assert_int_equal(db_result_latest(f->db, S1, "b", &res, &err), 0);
	assert_string_equal(res, "success");
	free(res);
	assert_int_equal(db_result_latest(f->db, S2, "b", &res, &err), 0);
	assert_null(res);

	assert_int_equal(db_results_maxid(f->db, &maxid, &err), 0);
	assert_int_equal(maxid, 4);
	assert_int_equal(db_results_count(f->db, NULL, 0, maxid, n, &err), 0);
	assert_int_equal(n[0], 2);
	assert_int_equal(n[1], 1);
	assert_int_equal(n[2], 1);
	assert_int_equal(db_results_count(f->db, S1, 0, maxid, n, &err), 0);
	assert_int_equal(n[0] + n[1] + n[2], 3);
	assert_int_equal(db_results_count(f->db, S1, 2, maxid, n, &err), 0);
	assert_int_equal(n[0], 1);		/* (2, 4] of S1: id 3 */
	assert_int_equal(n[1] + n[2], 0);
	assert_int_equal(db_results_count(f->db, NULL, 4, 4, n, &err), 0);
	assert_int_equal(n[0] + n[1] + n[2], 0);
}

struct notes {
	int64_t	 ids[8];
	char	 what[8][64];
	int	 n;
};

static void
note_cb(void *arg, const struct db_notification *dn)
{
	struct notes	*nt = arg;

	nt->ids[nt->n] = dn->id;
	snprintf(nt->what[nt->n], sizeof(nt->what[0]), "%s %s %d",
	    dn->url, dn->state, dn->attempts);
	nt->n++;
}

static void
test_notifications(void **state)
{
	struct fix	*f = *state;
	struct dp_error	 err;
	struct notes	 nt;

	assert_int_equal(db_notify_add(f->db, "test", "http://a", "{}",
	    "2026-01-01T00:00:00Z", &err), 0);
	assert_int_equal(db_notify_add(f->db, "test", "http://b", "{}",
	    "2026-01-01T00:00:05Z", &err), 0);
	memset(&nt, 0, sizeof(nt));
	assert_int_equal(db_notify_due(f->db, "2026-01-01T00:00:01Z", 16,
	    note_cb, &nt, &err), 0);
	assert_int_equal(nt.n, 1);
	assert_string_equal(nt.what[0], "http://a pending 0");
	assert_int_equal(db_notify_update(f->db, nt.ids[0], 1, "pending",
	    "2026-01-01T00:01:00Z", "HTTP status 500", &err), 0);
	memset(&nt, 0, sizeof(nt));
	assert_int_equal(db_notify_due(f->db, "2026-01-01T00:00:10Z", 16,
	    note_cb, &nt, &err), 0);
	assert_int_equal(nt.n, 1);		/* a waits for its retry */
	assert_string_equal(nt.what[0], "http://b pending 0");

	memset(&nt, 0, sizeof(nt));
	assert_int_equal(db_notify_list(f->db, 1, 10, note_cb, &nt, &err), 0);
	assert_int_equal(nt.n, 1);
	assert_string_equal(nt.what[0], "http://a pending 1");
	memset(&nt, 0, sizeof(nt));
	assert_int_equal(db_notify_list(f->db, 0, 10, note_cb, &nt, &err), 0);
	assert_int_equal(nt.n, 2);
	assert_string_equal(nt.what[0], "http://b pending 0");	/* newest */
	memset(&nt, 0, sizeof(nt));
	assert_int_equal(db_notify_list(f->db, 0, 1, note_cb, &nt, &err), 0);
	assert_int_equal(nt.n, 1);
}

static void
check_cb(void *arg, const struct db_check *c)
{
	struct seen	*sn = arg;
	size_t		 len = strlen(sn->s);

	snprintf(sn->s + len, sizeof(sn->s) - len, "%s/%s:%s:%d:%s ",
	    c->snapshot + 12, c->job, c->state, c->attempts, c->result);
	sn->n++;
}

static void
count_cb(void *arg, const char *job, const char *state, int64_t n)
{
	struct seen	*sn = arg;
	size_t		 len = strlen(sn->s);

	snprintf(sn->s + len, sizeof(sn->s) - len, "%s:%s=%lld ", job, state,
	    (long long)n);
}

static void
test_checks(void **state)
{
	struct fix	*f = *state;
	struct dp_error	 err;
	struct seen	 sn;
	char		*id, *job;
	int		 running;

	/* Never queued: the newest snapshot alone. */
	assert_int_equal(db_check_enqueue(f->db, "upgrade", "t0", &err), 0);
	assert_int_equal(db_check_next(f->db, "t0", &id, &job, &err), 0);
	assert_string_equal(id, S2);
	assert_string_equal(job, "upgrade");
	assert_int_equal(db_check_running(f->db, id, job, "t1", 42, &err), 0);
	assert_int_equal(db_check_is_running(f->db, id, job, &running, &err),
	    0);
	assert_true(running);
	assert_int_equal(db_check_next(f->db, "t9", &id, &job, &err), 0);
	assert_null(id);
	assert_int_equal(db_check_finish(f->db, S2, "upgrade", "done", "t2",
	    "t2", "success", "ok", &err), 0);
	assert_int_equal(db_check_is_running(f->db, S2, "upgrade", &running,
	    &err), 0);
	assert_false(running);
	/* Queued again by hand, then dropped. */
	assert_int_equal(db_check_requeue(f->db, S1, "upgrade", "t3", &err),
	    0);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(db_check_list(f->db, NULL, check_cb, &sn, &err), 0);
	assert_string_equal(sn.s, "200Z/upgrade:done:1:success "
	    "100Z/upgrade:pending:0: ");
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(db_check_counts(f->db, count_cb, &sn, &err), 0);
	assert_string_equal(sn.s, "upgrade:done=1 upgrade:pending=1 ");
	assert_int_equal(db_check_drop(f->db, S1, "upgrade", &err), 0);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(db_check_list(f->db, S1, check_cb, &sn, &err), 0);
	assert_int_equal(sn.n, 0);
	/* A deleted snapshot's rows go. */
	assert_int_equal(db_exec(f->db, "UPDATE snapshots SET state = "
	    "'deleted' WHERE id = '" S2 "'", &err), 0);
	assert_int_equal(db_check_gc(f->db, &err), 0);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(db_check_list(f->db, NULL, check_cb, &sn, &err), 0);
	assert_int_equal(sn.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_results, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notifications, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_checks, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
