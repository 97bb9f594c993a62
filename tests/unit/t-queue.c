/* t-queue.c - builder/queue.c: the builds table as a queue, and the
 * watches table, on a real (temporary) state.db. */
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
