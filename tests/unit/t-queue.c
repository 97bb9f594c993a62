/* t-queue.c - the builds table as the builder's queue (lib/db-builds.c)
 * and the watches table (lib/db-watches.c), on a real (temporary)
 * state.db: the queue's moves, and what the CLI and apt watches read. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../builder/builder.h"
#include "fsutil.h"
#include "xmalloc.h"

struct fixture {
	char		 dir[64];
	struct db	*db;
};

static int
setup(void **state)
{
	struct fixture	*f = xcalloc(1, sizeof(*f));
	struct dp_error	 err;
	char		*path;

	snprintf(f->dir, sizeof(f->dir), "/tmp/t-queue.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	path = fs_join(f->dir, "state.db");
	if (db_open(path, &f->db, &err) == -1) {
		fprintf(stderr, "%s\n", dp_error_str(&err));
		free(path);
		return -1;
	}
	free(path);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	db_close(f->db);
	fs_remove_tree(f->dir, NULL);
	free(f);
	return 0;
}

static void
test_queue_order(void **state)
{
	struct fixture		*f = *state;
	struct db_build	 b;
	struct dp_error		 err;
	int64_t			 a1, a2, b1, n;

	assert_int_equal(db_build_add(f->db, "a", "head=1", &a1, &err), 0);
	assert_int_equal(db_build_add(f->db, "a", "head=2", &a2, &err), 0);
	assert_int_equal(db_build_add(f->db, "b", NULL, &b1, &err), 0);
	assert_int_equal(db_build_pending(f->db, "a", "head=1", &err), 1);
	assert_int_equal(db_build_pending(f->db, "a", "head=3", &err), 0);
	assert_int_equal(db_build_pending(f->db, "b", NULL, &err), 1);

	/* Oldest first. */
	assert_int_equal(db_build_next(f->db, &b, &err), 0);
	assert_int_equal(b.id, a1);
	assert_string_equal(b.watch, "a");
	assert_string_equal(b.inputs, "head=1");
	db_build_done(&b);
	assert_int_equal(db_build_start(f->db, a1, 4242, &err), 0);
	assert_int_equal(db_build_running(f->db, &n, &err), 0);
	assert_int_equal(n, 1);

	/* One running build per watch: b is next, not a2. */
	assert_int_equal(db_build_next(f->db, &b, &err), 0);
	assert_int_equal(b.id, b1);
	assert_null(b.inputs);
	db_build_done(&b);

	/* The process died: queued again, same row, attempts kept. */
	assert_int_equal(db_build_requeue(f->db, a1, &err), 0);
	assert_int_equal(db_build_get(f->db, a1, &b, &err), 0);
	assert_string_equal(b.state, "queued");
	assert_int_equal(b.attempts, 1);
	assert_int_equal(b.pid, 0);
	db_build_done(&b);
	assert_int_equal(db_build_next(f->db, &b, &err), 0);
	assert_int_equal(b.id, a1);
	db_build_done(&b);

	/* Finished builds leave the queue. */
	assert_int_equal(db_build_start(f->db, a1, 1, &err), 0);
	assert_int_equal(db_build_set(f->db, a1, "version", "1.0+git1.abc", &err),
	    0);
	assert_int_equal(db_build_finish(f->db, a1, 1, NULL, "built", &err), 0);
	assert_int_equal(db_build_get(f->db, a1, &b, &err), 0);
	assert_string_equal(b.state, "success");
	assert_string_equal(b.version, "1.0+git1.abc");
	assert_string_equal(b.message, "built");
	assert_int_equal(b.attempts, 2);
	db_build_done(&b);
	assert_int_equal(db_build_start(f->db, b1, 2, &err), 0);
	assert_int_equal(db_build_finish(f->db, b1, 0, "2.0", "conflict", &err),
	    0);
	assert_int_equal(db_build_start(f->db, a2, 3, &err), 0);
	assert_int_equal(db_build_finish(f->db, a2, 0, NULL, "x", &err), 0);
	assert_int_equal(db_build_next(f->db, &b, &err), 1);

	assert_int_equal(db_build_get(f->db, 999, &b, &err), -1);
	assert_int_equal(err.code, DP_ERR_NOTFOUND);
}

static void
test_running_list(void **state)
{
	struct fixture		*f = *state;
	struct db_build	*rows;
	struct dp_error		 err;
	size_t			 n, i;
	int64_t			 id1, id2;

	assert_int_equal(db_build_add(f->db, "x", "head=1", &id1, &err), 0);
	assert_int_equal(db_build_add(f->db, "y", "head=1", &id2, &err), 0);
	assert_int_equal(db_build_start(f->db, id1, 0, &err), 0);
	assert_int_equal(db_build_set_pid(f->db, id1, 777, &err), 0);
	assert_int_equal(db_build_start(f->db, id2, 888, &err), 0);
	assert_int_equal(db_build_list_running(f->db, &rows, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].id, id1);
	assert_int_equal(rows[0].pid, 777);
	assert_int_equal(rows[1].pid, 888);
	for (i = 0; i < n; i++)
		db_build_done(&rows[i]);
	free(rows);
}

static void
test_versions(void **state)
{
	struct fixture	*f = *state;
	struct dp_error	 err;
	char		**v = NULL;
	int64_t		 id1, id2, id3;

	assert_int_equal(db_build_add(f->db, "w", "i1", &id1, &err), 0);
	assert_int_equal(db_build_start(f->db, id1, 1, &err), 0);
	assert_int_equal(db_build_finish(f->db, id1, 1, "1.0", "ok", &err), 0);
	assert_int_equal(db_build_add(f->db, "w", "i2", &id2, &err), 0);
	assert_int_equal(db_build_start(f->db, id2, 1, &err), 0);
	/* A failed build's version does not count. */
	assert_int_equal(db_build_finish(f->db, id2, 0, "9.0", "bad", &err), 0);
	assert_int_equal(db_build_add(f->db, "w", "i3", &id3, &err), 0);
	assert_int_equal(db_build_start(f->db, id3, 1, &err), 0);
	assert_int_equal(db_build_set(f->db, id3, "version", "2.0", &err), 0);
	assert_int_equal(db_build_finish(f->db, id3, 1, NULL, "ok", &err), 0);

	assert_int_equal(db_build_versions(f->db, "w", "src", "bookworm", 0, &v,
	    &err), 0);
	assert_int_equal(strv_len(v), 2);
	assert_true((strcmp(v[0], "1.0") == 0 && strcmp(v[1], "2.0") == 0) ||
	    (strcmp(v[0], "2.0") == 0 && strcmp(v[1], "1.0") == 0));
	strv_free(v);
	/* Except the build itself (a redo). */
	assert_int_equal(db_build_versions(f->db, "w", "src", "bookworm", id3, &v,
	    &err), 0);
	assert_int_equal(strv_len(v), 1);
	assert_string_equal(v[0], "1.0");
	strv_free(v);
	assert_int_equal(db_build_versions(f->db, "other", "src", "bookworm", 0,
	    &v, &err), 0);
	assert_null(v);
}

static void
test_watches(void **state)
{
	struct fixture	*f = *state;
	struct dp_error	 err;
	char		*in;

	assert_int_equal(db_watch_get_inputs(f->db, "w", &in, &err), 0);
	assert_null(in);
	assert_int_equal(db_watch_since_poll(f->db, "w"), -1);
	assert_int_equal(db_watch_polled(f->db, "w", "head=a", 1, NULL, &err),
	    0);
	assert_int_equal(db_watch_get_inputs(f->db, "w", &in, &err), 0);
	assert_string_equal(in, "head=a");
	free(in);
	assert_true(db_watch_since_poll(f->db, "w") >= 0);
	assert_true(db_watch_since_poll(f->db, "w") < 5);
	/* A failed poll keeps the inputs and records the error. */
	assert_int_equal(db_watch_polled(f->db, "w", NULL, 0, "fetch failed",
	    &err), 0);
	assert_int_equal(db_watch_get_inputs(f->db, "w", &in, &err), 0);
	assert_string_equal(in, "head=a");
	free(in);
	assert_int_equal(db_watch_set_error(f->db, "w", NULL, &err), 0);
	assert_int_equal(db_watch_set_error(f->db, "new", "boom", &err), 0);
}

/* What debpipe builds, build and log read; the waiting list. */
static void
test_build_listings(void **state)
{
	struct fixture		*f = *state;
	struct dp_error		 err;
	struct db_build		*v = NULL;
	struct db_build_waiting	*wv = NULL;
	char			*log = NULL, *bi = NULL, **vers = NULL;
	int64_t			 a, b, c, *ids = NULL;
	size_t			 n = 0, i;

	assert_int_equal(db_build_add(f->db, "w", NULL, &a, &err), 0);
	assert_int_equal(db_build_add(f->db, "w", "head=1", &b, &err), 0);
	assert_int_equal(db_build_add(f->db, "other", NULL, &c, &err), 0);
	/* the oldest build of w queued by hand (no inputs) */
	assert_int_equal(db_build_queued_by_hand(f->db, "w"), a);
	assert_int_equal(db_build_queued_by_hand(f->db, "none"), 0);

	assert_int_equal(db_build_start(f->db, a, 100, &err), 0);
	assert_int_equal(db_build_finish(f->db, a, 0, "1.0+debpipe1",
	    "it broke", &err), 0);
	assert_int_equal(db_build_queued_by_hand(f->db, "w"), 0);
	assert_int_equal(db_build_start(f->db, b, 101, &err), 0);
	assert_int_equal(db_build_wait(f->db, b, "1.0+debpipe2", "needs x",
	    "packages=1/1 chroot=0", &err), 0);
	assert_int_equal(db_build_set(f->db, a, "log_path", "/l/a.log", &err),
	    0);
	assert_int_equal(db_build_set_buildinfo(f->db, b, "/l/b.buildinfo",
	    &err), 0);

	/* newest first, every column */
	assert_int_equal(db_build_list(f->db, 0, NULL, 10, &v, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].id, c);
	assert_string_equal(v[0].state, "queued");
	assert_null(v[0].started);
	assert_non_null(v[0].queued);
	assert_int_equal(v[2].id, a);
	assert_string_equal(v[2].state, "failed");
	assert_string_equal(v[2].version, "1.0+debpipe1");
	assert_string_equal(v[2].message, "it broke");
	assert_string_equal(v[2].log_path, "/l/a.log");
	assert_int_equal(v[2].attempts, 1);
	assert_non_null(v[2].finished);
	for (i = 0; i < n; i++)
		db_build_done(&v[i]);
	free(v);
	/* failed only, waiting only, by watch, limited */
	assert_int_equal(db_build_list(f->db, 1, NULL, 10, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, a);
	db_build_done(&v[0]);
	free(v);
	assert_int_equal(db_build_list(f->db, 2, "w", 10, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, b);
	assert_string_equal(v[0].inputs, "head=1");
	db_build_done(&v[0]);
	free(v);
	assert_int_equal(db_build_list(f->db, 0, "w", 1, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, b);
	db_build_done(&v[0]);
	free(v);

	assert_int_equal(db_build_list_waiting(f->db, &wv, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(wv[0].id, b);
	assert_string_equal(wv[0].watch, "w");
	assert_string_equal(wv[0].wait_key, "packages=1/1 chroot=0");
	db_build_waiting_free(wv, n);

	assert_int_equal(db_build_files(f->db, a, &log, &bi, &err), 0);
	assert_string_equal(log, "/l/a.log");
	assert_null(bi);
	free(log);
	assert_int_equal(db_build_files(f->db, b, &log, &bi, &err), 0);
	assert_null(log);
	assert_string_equal(bi, "/l/b.buildinfo");
	free(bi);
	assert_int_equal(db_build_files(f->db, 999, &log, &bi, &err), 1);

	/* versions "1.0+debpipe<n>" the watch's builds used */
	assert_int_equal(db_build_versions_prefixed(f->db, "w", "1.0+debpipe",
	    &vers, &err), 0);
	assert_int_equal(strv_len(vers), 2);
	strv_free(vers);
	assert_int_equal(db_build_versions_prefixed(f->db, "other", "1.0",
	    &vers, &err), 0);
	assert_null(vers[0]);
	strv_free(vers);

	/* finished builds of w before c: a (failed); b waits */
	assert_int_equal(db_build_finished_before(f->db, "w", c, &ids, &n,
	    &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], a);
	free(ids);

	assert_int_equal(db_build_drop(f->db, c, &err), 0);
	assert_int_equal(db_build_list(f->db, 0, "other", 10, &v, &n, &err),
	    0);
	assert_int_equal(n, 0);
	free(v);
}

/* What debpipe watch list / check show, and the apt watches' state. */
static void
test_watch_status(void **state)
{
	struct fixture		*f = *state;
	struct dp_error		 err;
	struct db_watch_status	 ws;
	char			*st = NULL;
	int64_t			 a, b;

	/* never polled: list still has a row, check none */
	assert_int_equal(db_watch_status(f->db, "w", &ws, &err), 0);
	assert_true(ws.found);
	assert_null(ws.last_poll);
	assert_int_equal(ws.last_build, 0);
	db_watch_status_done(&ws);
	assert_int_equal(db_watch_check_status(f->db, "w", &ws, &err), 1);
	assert_false(ws.found);
	db_watch_status_done(&ws);

	assert_int_equal(db_watch_polled(f->db, "w", "head=a", 1, NULL, &err),
	    0);
	assert_int_equal(db_build_add(f->db, "w", "head=a", &a, &err), 0);
	assert_int_equal(db_build_start(f->db, a, 1, &err), 0);
	assert_int_equal(db_build_finish(f->db, a, 1, "2.0", "ok", &err), 0);
	assert_int_equal(db_build_add(f->db, "w", "head=b", &b, &err), 0);
	assert_int_equal(db_watch_status(f->db, "w", &ws, &err), 0);
	assert_non_null(ws.last_poll);
	assert_non_null(ws.last_change);
	assert_string_equal(ws.last_inputs, "head=a");
	assert_null(ws.last_error);
	assert_int_equal(ws.last_build, b);
	assert_string_equal(ws.last_build_state, "queued");
	assert_string_equal(ws.last_good_version, "2.0");
	db_watch_status_done(&ws);

	assert_int_equal(db_watch_polled(f->db, "w", NULL, 0, "fetch failed",
	    &err), 0);
	assert_int_equal(db_watch_check_status(f->db, "w", &ws, &err), 0);
	assert_true(ws.found);
	assert_string_equal(ws.last_error, "fetch failed");
	assert_string_equal(ws.last_inputs, "head=a");
	assert_int_equal(ws.pending_build, b);
	db_watch_status_done(&ws);
	assert_int_equal(db_watch_failing(f->db, "w"), 1);

	/* watches.state: none, then set (creating the row), then replaced */
	assert_int_equal(db_watch_state_get(f->db, "apt", &st, &err), 0);
	assert_null(st);
	assert_int_equal(db_watch_state_set(f->db, "apt", "{\"etag\":\"1\"}",
	    &err), 0);
	assert_int_equal(db_watch_state_get(f->db, "apt", &st, &err), 0);
	assert_string_equal(st, "{\"etag\":\"1\"}");
	free(st);
	assert_int_equal(db_watch_state_set(f->db, "apt", "{}", &err), 0);
	assert_int_equal(db_watch_state_get(f->db, "apt", &st, &err), 0);
	assert_string_equal(st, "{}");
	free(st);
	/* the state does not touch the poll columns */
	assert_int_equal(db_watch_state_set(f->db, "w", "{}", &err), 0);
	assert_int_equal(db_watch_failing(f->db, "w"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_running_list, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_versions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_watches, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_build_listings, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_watch_status, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
