/* t-rules.c - promotion rules, moves, the audit log, reconcile and
 * notification queueing of the promoter, on a real state.db. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "fsutil.h"
#include "db-env.h"
#include "promoter.h"
#include "result.h"
#include "xmalloc.h"

struct fix {
	char		*dir;
	struct config	*cfg;
	struct db	*db;
};

static const char CONF[] =
    "State-Dir: %s/state\n"
    "Public-Dir: %s/public\n"
    "Public-URL: http://example.org/debpipe\n"
    "\n"
    "Distribution: bookworm\n"
    "\n"
    "Environment: test\n"
    "Auto-Promote: yes\n"
    "Notify: http://hook.example/{environment}?s={snapshot}&u={url}\n"
    " http://other.example/x\n"
    "\n"
    "Environment: staging\n"
    "Promote-From: test\n"
    "Requires: acceptance upgrade\n"
    "\n"
    "Environment: prod\n"
    "Promote-From: staging\n"
    "Requires: deploy\n"
    "Min-Soak: 1h\n"
    "\n"
    "Environment: manual\n";

#define S1 "20260101T000100Z"
#define S2 "20260101T000200Z"
#define S3 "20260101T000300Z"
#define S4 "20260101T000400Z"

static int
setup(void **state)
{
	struct fix	*f = xcalloc(1, sizeof(*f));
	struct dp_error	 err;
	char		 tmpl[] = "/tmp/t-rules.XXXXXX", *conf, *path, *text;

	assert_non_null(mkdtemp(tmpl));
	f->dir = xstrdup(tmpl);
	conf = fs_join(f->dir, "debpipe.conf");
	text = xasprintf(CONF, f->dir, f->dir);
	assert_int_equal(fs_write_atomic(conf, text, strlen(text), 0644, &err),
	    0);
	if (config_load(conf, &f->cfg, &err) == -1)
		fail_msg("%s", err.msg);
	path = fs_join(f->dir, "state");
	assert_int_equal(fs_mkdirs(path, 0755, &err), 0);
	free(path);
	path = fs_join(f->dir, "public/snapshots");
	assert_int_equal(fs_mkdirs(path, 0755, &err), 0);
	free(path);
	path = config_db_path(f->cfg);
	assert_int_equal(db_open(path, &f->db, &err), 0);
	free(path);
	free(text);
	free(conf);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix	*f = *state;
	struct dp_error	 err;

	db_close(f->db);
	config_free(f->cfg);
	fs_remove_tree(f->dir, &err);
	free(f->dir);
	free(f);
	return 0;
}

static void
sql(struct fix *f, const char *fmt, ...)
{
	struct dp_error	 err;
	va_list		 ap;
	char		*s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	if (db_exec(f->db, s, &err) == -1)
		fail_msg("%s: %s", s, err.msg);
	free(s);
}

static void
snap(struct fix *f, const char *id)
{
	sql(f, "INSERT INTO snapshots(id, created, packages, sources, digest) "
	    "VALUES ('%s', '2026-01-01T00:00:00Z', x'', x'', '%s')", id, id);
}

static void
result(struct fix *f, const char *id, const char *job, const char *res)
{
	sql(f, "INSERT INTO results(snapshot, job, result, time) VALUES "
	    "('%s', '%s', '%s', '2026-01-01T00:00:00Z')", id, job, res);
}

/* The snapshot env is on, checking the symlink agrees ("" for none). */
static const char *
on(struct fix *f, const char *env)
{
	static char		 buf[64];
	struct env_state	 st;
	struct dp_error		 err;
	char			*link, got[256];
	ssize_t			 n;

	assert_int_equal(env_get(f->db, env, &st, &err), 0);
	snprintf(buf, sizeof(buf), "%s", st.snapshot ? st.snapshot : "");
	link = fs_join(f->cfg->public_dir, env);
	n = readlink(link, got, sizeof(got) - 1);
	if (st.snapshot == NULL)
		assert_true(n == -1);
	else {
		assert_true(n > 0);
		got[n] = '\0';
		assert_string_equal(got + strlen("snapshots/"), st.snapshot);
	}
	free(link);
	env_state_done(&st);
	return buf;
}

static int
eval(struct fix *f, time_t now)
{
	struct dp_error	err;
	int		n = -1;

	if (rules_evaluate(f->db, f->cfg, now, &n, &err) == -1)
		fail_msg("%s", err.msg);
	return n;
}

static int
state_of(struct fix *f, const char *env, const char *id, time_t now)
{
	struct dp_error	 err;
	char		*detail = NULL;
	int		 st = -1;

	assert_int_equal(rules_explain(f->db, f->cfg,
	    config_env_find(f->cfg, env), id, now, &st, &detail, &err), 0);
	assert_non_null(detail);
	free(detail);
	return st;
}

static int64_t
count(struct fix *f, const char *q)
{
	struct dp_error	err;
	int64_t		n = -1;

	assert_int_equal(db_query_int(f->db, q, &n, &err), 0);
	return n;
}

static void
test_auto_never_backwards(void **state)
{
	struct fix	*f = *state;
	time_t		 now = time(NULL);

	assert_int_equal(eval(f, now), 0);
	assert_string_equal(on(f, "test"), "");
	snap(f, S2);
	assert_int_equal(eval(f, now), 1);
	assert_string_equal(on(f, "test"), S2);
	assert_int_equal(eval(f, now), 0);
	/* An older snapshot appearing later is never taken. */
	snap(f, S1);
	assert_int_equal(eval(f, now), 0);
	assert_string_equal(on(f, "test"), S2);
	assert_int_equal(state_of(f, "test", S1, now), RULES_SUPERSEDED);
	snap(f, S3);
	assert_int_equal(eval(f, now), 1);
	assert_string_equal(on(f, "test"), S3);
	assert_int_equal(state_of(f, "test", S2, now), RULES_WAS);
	assert_int_equal(state_of(f, "test", S3, now), RULES_CURRENT);
	assert_int_equal(state_of(f, "manual", S3, now), RULES_MANUAL);
	assert_string_equal(on(f, "manual"), "");
	/* Audit log: two automatic moves. */
	assert_int_equal(count(f, "SELECT count(*) FROM env_history WHERE "
	    "env = 'test' AND actor = 'auto' AND kind = 'auto'"), 2);
	assert_int_equal(count(f, "SELECT count(*) FROM env_history WHERE "
	    "env = 'test' AND from_snapshot = '" S2 "' AND to_snapshot = '"
	    S3 "'"), 1);
}

static void
test_requires_and_failures(void **state)
{
	struct fix	*f = *state;
	time_t		 now = time(NULL);

	snap(f, S1);
	eval(f, now);
	assert_string_equal(on(f, "test"), S1);
	assert_string_equal(on(f, "staging"), "");
	assert_int_equal(state_of(f, "staging", S1, now), RULES_WAITING);
	assert_int_equal(state_of(f, "prod", S1, now), RULES_WAITING);
	result(f, S1, "acceptance", "success");
	assert_int_equal(eval(f, now), 0);
	result(f, S1, "upgrade", "failure");
	assert_int_equal(eval(f, now), 0);
	assert_int_equal(state_of(f, "staging", S1, now), RULES_BLOCKED);
	/* The chain below is blocked too. */
	assert_int_equal(state_of(f, "prod", S1, now), RULES_BLOCKED);
	/* The latest report per job counts. */
	result(f, S1, "upgrade", "success");
	assert_int_equal(state_of(f, "staging", S1, now), RULES_READY);
	assert_int_equal(eval(f, now), 1);
	assert_string_equal(on(f, "staging"), S1);
	result(f, S1, "upgrade", "failure");
	assert_int_equal(eval(f, now), 0);
	assert_string_equal(on(f, "staging"), S1);	/* never backwards */

	/* A newer snapshot that fails does not block an older good one. */
	snap(f, S2);
	snap(f, S3);
	eval(f, now);
	assert_string_equal(on(f, "test"), S3);
	/* S2 never entered test (which is past it): it never reaches
	 * staging. */
	result(f, S2, "acceptance", "success");
	result(f, S2, "upgrade", "success");
	assert_int_equal(eval(f, now), 0);
	assert_int_equal(state_of(f, "staging", S2, now), RULES_SUPERSEDED);
	assert_int_equal(state_of(f, "prod", S2, now), RULES_SUPERSEDED);
	result(f, S3, "acceptance", "failure");
	result(f, S3, "upgrade", "success");
	assert_int_equal(eval(f, now), 0);
	result(f, S3, "acceptance", "success");
	assert_int_equal(eval(f, now), 1);
	assert_string_equal(on(f, "staging"), S3);
}

/* A built-in check with nothing to check records neutral: it satisfies
 * Requires: like a success (promotion does not stall), an error does
 * not, and CI reporters cannot send it. */
static void
test_neutral(void **state)
{
	struct fix	*f = *state;
	struct dp_error	 err;
	time_t		 now = time(NULL);

	assert_true(result_valid("success"));
	assert_true(result_valid("error"));
	assert_false(result_valid("neutral"));
	assert_false(result_valid("maybe"));
	assert_false(result_valid(NULL));
	assert_true(result_known("neutral"));
	assert_false(result_known("Neutral"));
	assert_true(result_passes("success"));
	assert_true(result_passes("neutral"));
	assert_false(result_passes("failure"));
	assert_false(result_passes("error"));
	assert_false(result_passes(NULL));

	snap(f, S1);
	eval(f, now);
	assert_string_equal(on(f, "test"), S1);
	assert_int_equal(result_record(f->db, S1, "acceptance", "neutral",
	    NULL, "check", &err), 0);
	assert_int_equal(result_record(f->db, S1, "upgrade", "error", NULL,
	    "check", &err), 0);
	assert_int_equal(state_of(f, "staging", S1, now), RULES_BLOCKED);
	assert_int_equal(result_record(f->db, S1, "upgrade", "maybe", NULL,
	    "check", &err), -1);
	assert_int_equal(err.code, DP_ERR_INVALID);
	assert_int_equal(state_of(f, "staging", S1, now), RULES_BLOCKED);
	assert_int_equal(result_record(f->db, S1, "upgrade", "neutral", NULL,
	    "check", &err), 0);
	assert_int_equal(state_of(f, "staging", S1, now), RULES_READY);
	assert_int_equal(eval(f, now), 1);
	assert_string_equal(on(f, "staging"), S1);
	assert_int_equal(count(f, "SELECT count(*) FROM results WHERE "
	    "result = 'neutral'"), 2);
}

static void
test_min_soak(void **state)
{
	struct fix	*f = *state;
	time_t		 now = time(NULL);

	snap(f, S1);
	result(f, S1, "acceptance", "success");
	result(f, S1, "upgrade", "success");
	result(f, S1, "deploy", "success");
	eval(f, now);
	assert_string_equal(on(f, "staging"), S1);
	assert_string_equal(on(f, "prod"), "");
	assert_int_equal(state_of(f, "prod", S1, now), RULES_SOAKING);
	assert_int_equal(eval(f, now + 1800), 0);
	assert_string_equal(on(f, "prod"), "");
	assert_int_equal(eval(f, now + 3601), 1);
	assert_string_equal(on(f, "prod"), S1);
}

static void
test_force_rollback(void **state)
{
	struct fix	*f = *state;
	struct dp_error	 err;
	time_t		 now = time(NULL);
	char		*target = NULL, *why = NULL;
	int		 moved;

	snap(f, S1);
	eval(f, now);
	snap(f, S2);
	eval(f, now);
	assert_string_equal(on(f, "test"), S2);
	assert_int_equal(db_env_rollback_target(f->db, "test", &target, &err), 0);
	assert_string_equal(target, S1);
	assert_int_equal(env_move(f->db, f->cfg, "test", target, "alice",
	    "bad build", ENV_ROLLBACK, &moved, &err), 0);
	assert_int_equal(moved, 1);
	free(target);
	assert_string_equal(on(f, "test"), S1);
	assert_int_equal(count(f, "SELECT count(*) FROM env_history WHERE "
	    "env = 'test' AND actor = 'alice' AND reason = 'bad build' AND "
	    "kind = 'rollback'"), 1);
	/* The rolled-back snapshot does not come back by itself ... */
	assert_int_equal(eval(f, now), 0);
	assert_string_equal(on(f, "test"), S1);
	assert_int_equal(rules_allowed(f->db, f->cfg,
	    config_env_find(f->cfg, "test"), S2, now, &why, &err), 0);
	assert_non_null(strstr(why, "was"));
	free(why);
	/* ... nor reaches staging through test. */
	result(f, S2, "acceptance", "success");
	result(f, S2, "upgrade", "success");
	assert_int_equal(eval(f, now), 0);
	assert_int_equal(state_of(f, "staging", S2, now), RULES_BLOCKED);
	/* Nothing older than S1 to roll back to. */
	assert_int_equal(db_env_rollback_target(f->db, "test", &target, &err), 0);
	assert_null(target);
	/* A newer snapshot moves on. */
	snap(f, S3);
	assert_int_equal(eval(f, now), 1);
	assert_string_equal(on(f, "test"), S3);
	/* Moving to the current snapshot changes nothing. */
	assert_int_equal(env_move(f->db, f->cfg, "test", S3, "bob", "x",
	    ENV_FORCE, &moved, &err), 0);
	assert_int_equal(moved, 0);
	/* Unknown snapshot or environment: an error, nothing recorded. */
	assert_int_equal(env_move(f->db, f->cfg, "test", S4, "bob", "x",
	    ENV_FORCE, &moved, &err), -1);
	assert_int_equal(err.code, DP_ERR_NOTFOUND);
	assert_int_equal(env_move(f->db, f->cfg, "nosuch", S3, "bob", "x",
	    ENV_FORCE, &moved, &err), -1);
	assert_int_equal(count(f, "SELECT count(*) FROM env_history WHERE "
	    "actor = 'bob'"), 0);
	/* Force into a manual environment. */
	assert_int_equal(env_move(f->db, f->cfg, "manual", S1, "bob", "demo",
	    ENV_FORCE, &moved, &err), 0);
	assert_string_equal(on(f, "manual"), S1);
}

static void
test_reconcile(void **state)
{
	struct fix	*f = *state;
	struct dp_error	 err;
	char		*link;
	int		 fixed = -1;

	snap(f, S1);
	snap(f, S2);
	eval(f, time(NULL));
	/* A crash between the commit and the swap leaves an old link. */
	link = fs_join(f->cfg->public_dir, "test");
	assert_int_equal(fs_symlink_atomic("snapshots/" S1, link, &err), 0);
	assert_int_equal(env_reconcile(f->db, f->cfg, &fixed, &err), 0);
	assert_int_equal(fixed, 1);
	assert_string_equal(on(f, "test"), S2);
	unlink(link);
	assert_int_equal(env_reconcile(f->db, f->cfg, &fixed, &err), 0);
	assert_int_equal(fixed, 1);
	assert_string_equal(on(f, "test"), S2);
	assert_int_equal(env_reconcile(f->db, f->cfg, &fixed, &err), 0);
	assert_int_equal(fixed, 0);
	free(link);
}

static void
test_notifications(void **state)
{
	struct fix	*f = *state;
	char		*s;

	snap(f, S1);
	eval(f, time(NULL));
	/* Two Notify URLs on test, none on the others. */
	assert_int_equal(count(f, "SELECT count(*) FROM notifications"), 2);
	assert_int_equal(count(f, "SELECT count(*) FROM notifications WHERE "
	    "url = 'http://hook.example/test?s=" S1 "&u=http%3A%2F%2F"
	    "example.org%2Fdebpipe%2Fsnapshots%2F" S1 "' AND state = "
	    "'pending' AND attempts = 0"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM notifications WHERE "
	    "payload LIKE '%\"event\":\"promotion\"%' AND payload LIKE "
	    "'%\"environment\":\"test\"%' AND payload LIKE '%\"snapshot\":\""
	    S1 "\"%'"), 2);
	s = notify_expand("x{snapshot}y{environment}{url}{other}", "a b",
	    "e/f", "h?i&j");
	assert_string_equal(s, "xa%20bye%2Ffh%3Fi%26j{other}");
	free(s);
	assert_int_equal(notify_backoff(1), 2);
	assert_int_equal(notify_backoff(2), 4);
	assert_int_equal(notify_backoff(50), 600);
	assert_true(rules_job_known(f->cfg, "deploy"));
	assert_false(rules_job_known(f->cfg, "nosuch"));
}

static void
test_util(void **state)
{
	(void)state;
	assert_true(util_snapshot_id_ok(S1));
	assert_false(util_snapshot_id_ok("20260101T000100"));
	assert_false(util_snapshot_id_ok("2026010lT000100Z"));
	assert_false(util_snapshot_id_ok("../../etc/passwd"));
	assert_int_equal(util_snapshot_id_time(S1), 1767225660);
	assert_int_equal(util_time_parse("2026-01-01T00:01:00Z"), 1767225660);
	assert_int_equal(util_time_parse("2026-01-01T00:01:00.5Z"),
	    1767225660);
	assert_int_equal(util_time_parse("yesterday"), -1);
	assert_true(util_name_ok("staging-deploy"));
	assert_true(util_name_ok("ci/job:1"));
	assert_false(util_name_ok("-x"));
	assert_false(util_name_ok(""));
	assert_false(util_name_ok("a b"));
	assert_false(util_name_ok("a\nb"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_auto_never_backwards,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_requires_and_failures,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_neutral, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_min_soak, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_force_rollback, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reconcile, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_notifications, setup,
		    teardown),
		cmocka_unit_test(test_util),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
