/*
 * t-db-env.c - lib/db-env.c and lib/db-audit.c: an environment's state,
 * the audit log, and the queries of the promotion rules on them, against
 * a real state.db.
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
#include "db-audit.h"
#include "db-env.h"
#include "fsutil.h"
#include "xmalloc.h"

#define S1 "20260101T000100Z"
#define S2 "20260101T000200Z"
#define S3 "20260101T000300Z"

struct fix {
	char		*dir;
	struct db	*db;
};

static int
setup(void **state)
{
	struct fix	*f = xcalloc(1, sizeof(*f));
	struct dp_error	 err;
	char		 tmpl[] = "/tmp/t-db-env.XXXXXX", *path;
	const char	*ids[] = { S1, S2, S3, NULL };
	size_t		 i;

	assert_non_null(mkdtemp(tmpl));
	f->dir = xstrdup(tmpl);
	path = fs_join(f->dir, "state.db");
	assert_int_equal(db_open(path, &f->db, &err), 0);
	free(path);
	for (i = 0; ids[i] != NULL; i++) {
		path = xasprintf("INSERT INTO snapshots(id, created, packages, "
		    "sources, digest) VALUES ('%s', 'now', x'', x'', '%s')",
		    ids[i], ids[i]);
		assert_int_equal(db_exec(f->db, path, &err), 0);
		free(path);
	}
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

/* Move env from -> to at time t as db_env_set and db_audit_add would. */
static void
move(struct fix *f, const char *env, const char *from, const char *to,
    const char *t, const char *kind)
{
	struct db_move	m = { 0, env, from, to, t, "tester", NULL, kind };
	struct dp_error	err;

	assert_int_equal(db_env_set(f->db, env, to, t, &err), 0);
	assert_int_equal(db_audit_add(f->db, &m, &err), 0);
}

static void
name_cb(void *arg, const char *name)
{
	struct strbuf { char s[256]; } *b = arg;

	strncat(b->s, name, sizeof(b->s) - strlen(b->s) - 2);
	strcat(b->s, " ");
}

static int
each_cb(void *arg, const char *name, const char *snapshot)
{
	int	*n = arg;

	(*n)++;
	return strcmp(name, "stop") == 0 ? -1 : 0;
}

static void
test_env_state(void **state)
{
	struct fix	*f = *state;
	struct dp_error	 err;
	struct { char s[256]; } names = { "" };
	char		*snap, *since;
	int		 n = 0;

	assert_int_equal(db_env_get(f->db, "test", &snap, &since, &err), 0);
	assert_null(snap);
	assert_null(since);
	move(f, "test", NULL, S1, "t1", "auto");
	move(f, "staging", NULL, S1, "t2", "auto");
	move(f, "test", S1, S2, "t3", "auto");
	assert_int_equal(db_env_get(f->db, "test", &snap, &since, &err), 0);
	assert_string_equal(snap, S2);
	assert_string_equal(since, "t3");
	free(snap);
	free(since);
	assert_int_equal(db_env_on(f->db, S1, name_cb, &names, &err), 0);
	assert_string_equal(names.s, "staging ");
	assert_int_equal(db_env_each(f->db, each_cb, &n, &err), 0);
	assert_int_equal(n, 2);
	move(f, "stop", NULL, S1, "t4", "auto");
	n = 0;
	assert_int_equal(db_env_each(f->db, each_cb, &n, &err), -1);
}

static void
test_history(void **state)
{
	struct fix	*f = *state;
	struct dp_error	 err;
	char		*s;

	move(f, "test", NULL, S1, "t1", "auto");
	move(f, "test", S1, S3, "t2", "auto");
	move(f, "test", S3, S2, "t3", "rollback");
	assert_int_equal(db_env_high_water(f->db, "test", &s, &err), 0);
	assert_string_equal(s, S3);
	free(s);
	assert_int_equal(db_env_high_water(f->db, "prod", &s, &err), 0);
	assert_null(s);
	assert_int_equal(db_env_rollback_target(f->db, "test", &s, &err), 0);
	assert_string_equal(s, S1);
	free(s);
	assert_int_equal(db_env_first_on(f->db, "test", S3, &s, &err), 0);
	assert_string_equal(s, "t2");
	free(s);
	/* S3 was rolled back out of test: it did not "enter" it. */
	assert_int_equal(db_env_entered(f->db, "test", S3, &s, &err), 0);
	assert_null(s);
	assert_int_equal(db_env_entered(f->db, "test", S2, &s, &err), 0);
	assert_string_equal(s, "t3");
	free(s);
}

struct cands {
	char	 ids[4][32];
	int	 n, stop_at;
};

static int
cand_cb(void *arg, const char *id, const char *entered)
{
	struct cands	*c = arg;

	snprintf(c->ids[c->n], sizeof(c->ids[c->n]), "%s", id);
	if (++c->n == c->stop_at)
		return 1;
	return 0;
}

static void
test_candidates(void **state)
{
	struct fix	*f = *state;
	struct dp_error	 err;
	struct cands	 c;

	move(f, "test", NULL, S1, "t1", "auto");
	move(f, "test", S1, S3, "t2", "auto");
	move(f, "test", S3, S2, "t3", "rollback");
	memset(&c, 0, sizeof(c));
	assert_int_equal(db_env_candidates(f->db, "test", NULL, cand_cb, &c,
	    &err), 0);
	/* Newest first, S3 left out (rolled back). */
	assert_int_equal(c.n, 2);
	assert_string_equal(c.ids[0], S2);
	assert_string_equal(c.ids[1], S1);
	memset(&c, 0, sizeof(c));
	assert_int_equal(db_env_candidates(f->db, "test", S1, cand_cb, &c,
	    &err), 0);
	assert_int_equal(c.n, 1);
	memset(&c, 0, sizeof(c));
	c.stop_at = 1;
	assert_int_equal(db_env_candidates(f->db, "test", NULL, cand_cb, &c,
	    &err), 0);
	assert_int_equal(c.n, 1);
}

struct moves {
	long long	 ids[8];
	char		 kinds[8][16];
	int		 n;
};

static void
move_cb(void *arg, const struct db_move *m)
{
	struct moves	*mv = arg;

	mv->ids[mv->n] = m->id;
	snprintf(mv->kinds[mv->n], sizeof(mv->kinds[0]), "%s", m->kind);
	mv->n++;
}

static void
test_audit(void **state)
{
	struct fix	*f = *state;
	struct dp_error	 err;
	struct moves	 mv;
	int64_t		 n;

	move(f, "test", NULL, S1, "t1", "auto");
	move(f, "prod", NULL, S1, "t2", "force");
	move(f, "test", S1, S2, "t3", "auto");
	move(f, "test", S2, S1, "t4", "rollback");
	assert_int_equal(db_audit_count(f->db, "test", &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(db_audit_count(f->db, "staging", &n, &err), 0);
	assert_int_equal(n, 0);

	memset(&mv, 0, sizeof(mv));
	assert_int_equal(db_audit_env(f->db, "test", move_cb, &mv, &err), 0);
	assert_int_equal(mv.n, 3);	/* oldest first */
	assert_true(mv.ids[0] < mv.ids[1] && mv.ids[1] < mv.ids[2]);
	assert_string_equal(mv.kinds[2], "rollback");

	memset(&mv, 0, sizeof(mv));
	assert_int_equal(db_audit_snapshot(f->db, S2, move_cb, &mv, &err), 0);
	assert_int_equal(mv.n, 2);	/* to S2, then from S2 */

	memset(&mv, 0, sizeof(mv));
	assert_int_equal(db_audit_page(f->db, 0, 2, move_cb, &mv, &err), 0);
	assert_int_equal(mv.n, 2);	/* newest first */
	assert_true(mv.ids[0] > mv.ids[1]);
	assert_string_equal(mv.kinds[0], "rollback");
	n = mv.ids[1];
	memset(&mv, 0, sizeof(mv));
	assert_int_equal(db_audit_page(f->db, n, 10, move_cb, &mv, &err), 0);
	assert_int_equal(mv.n, 2);
	assert_string_equal(mv.kinds[0], "force");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_env_state, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_candidates, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
