/* t-notify.c - the bodies of outgoing notifications (promoter/notify.c):
 * Notify-Format: json (the event with snapshot, environment, from, to,
 * reason) and slack ({"text": ...}, mrkdwn-escaped, a link only to an
 * http(s) snapshot URL), one queued row per Notify URL, expanded. */
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
#include "fsutil.h"
#include "promoter.h"
#include "xmalloc.h"

static void
test_slack_message(void **state)
{
	char	*s;

	(void)state;
	s = notify_slack_message("staging", "20261101T000000Z",
	    "20261102T000000Z", "https://apt.example.org/snapshots/"
	    "20261102T000000Z", "force", "alice", "hotfix <b>&</b> <!here>");
	assert_string_equal(s, "debpipe: *staging* is now on "
	    "<https://apt.example.org/snapshots/20261102T000000Z|"
	    "20261102T000000Z> (was 20261101T000000Z): forced by alice: "
	    "hotfix &lt;b&gt;&amp;&lt;/b&gt; &lt;!here&gt;");
	free(s);

	s = notify_slack_message("test", NULL, "20261102T000000Z",
	    "http://127.0.0.1:1/snapshots/20261102T000000Z", "auto", "auto",
	    NULL);
	assert_string_equal(s, "debpipe: *test* is now on "
	    "<http://127.0.0.1:1/snapshots/20261102T000000Z|20261102T000000Z>"
	    " (was nothing): promoted by the rules");
	free(s);

	/* A URL that could break out of <...|...> is not linked. */
	s = notify_slack_message("prod", "a", "b", "https://x/|<!channel>",
	    "rollback", "bob", "");
	assert_string_equal(s, "debpipe: *prod* is now on b (was a): "
	    "rolled back by bob");
	free(s);
	s = notify_slack_message("prod", "a", "b", "javascript:x", "rollback",
	    NULL, NULL);
	assert_string_equal(s, "debpipe: *prod* is now on b (was a): "
	    "rolled back by ?");
	free(s);
}

struct fix {
	char		*dir;
	struct db	*db;
};

static int
setup(void **state)
{
	struct fix	*f = xcalloc(1, sizeof(*f));
	struct dp_error	 err;
	char		 tmpl[] = "/tmp/t-notify.XXXXXX", *path;

	assert_non_null(mkdtemp(tmpl));
	f->dir = xstrdup(tmpl);
	path = fs_join(f->dir, "state.db");
	assert_int_equal(db_open(path, &f->db, &err), 0);
	free(path);
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

/* Queue one move of env and return the payloads queued (one per URL),
 * "URL BODY\n" each. */
static char *
queued(struct fix *f, const char *format)
{
	struct conf_env	 env;
	struct config	 cfg;
	struct dp_error	 err;
	struct buf	 b;
	sqlite3_stmt	*s;
	char		*urls[] = { "https://chat.example.org/hooks/x",
	    "http://ci.example.org/{environment}?s={snapshot}", NULL };

	memset(&env, 0, sizeof(env));
	memset(&cfg, 0, sizeof(cfg));
	env.name = "staging";
	env.notify = urls;
	env.notify_format = (char *)format;
	cfg.public_url = "https://apt.example.org/";
	assert_int_equal(db_exec(f->db, "DELETE FROM notifications", &err), 0);
	assert_int_equal(notify_enqueue(f->db, &env, &cfg, "20261101T000000Z",
	    "20261102T000000Z", "alice", "why \"not\"", "force",
	    "2026-11-02T00:00:00Z", &err), 0);
	buf_init(&b);
	assert_int_equal(db_prepare(f->db, "SELECT url, payload FROM "
	    "notifications ORDER BY id", &s, &err), 0);
	while (sqlite3_step(s) == SQLITE_ROW)
		buf_printf(&b, "%s %s\n", sqlite3_column_text(s, 0),
		    sqlite3_column_text(s, 1));
	sqlite3_finalize(s);
	buf_addc(&b, '\0');
	return buf_steal(&b);
}

static void
test_enqueue_json(void **state)
{
	char	*got;

	got = queued(*state, NULL);
	assert_string_equal(got, "https://chat.example.org/hooks/x "
	    "{\"event\":\"promotion\",\"environment\":\"staging\","
	    "\"snapshot\":\"20261102T000000Z\",\"from\":\"20261101T000000Z\","
	    "\"to\":\"20261102T000000Z\",\"kind\":\"force\",\"actor\":\"alice\","
	    "\"reason\":\"why \\\"not\\\"\",\"time\":\"2026-11-02T00:00:00Z\","
	    "\"url\":\"https://apt.example.org/./snapshots/20261102T000000Z\","
	    "\"environment_url\":\"https://apt.example.org/./staging\"}\n"
	    "http://ci.example.org/staging?s=20261102T000000Z "
	    "{\"event\":\"promotion\",\"environment\":\"staging\","
	    "\"snapshot\":\"20261102T000000Z\",\"from\":\"20261101T000000Z\","
	    "\"to\":\"20261102T000000Z\",\"kind\":\"force\",\"actor\":\"alice\","
	    "\"reason\":\"why \\\"not\\\"\",\"time\":\"2026-11-02T00:00:00Z\","
	    "\"url\":\"https://apt.example.org/./snapshots/20261102T000000Z\","
	    "\"environment_url\":\"https://apt.example.org/./staging\"}\n");
	free(got);
	got = queued(*state, "json");
	assert_non_null(strstr(got, "\"to\":\"20261102T000000Z\""));
	free(got);
}

static void
test_enqueue_slack(void **state)
{
	char	*got;

	got = queued(*state, "slack");
	assert_string_equal(got, "https://chat.example.org/hooks/x "
	    "{\"text\":\"debpipe: *staging* is now on <https://apt.example.org"
	    "/./snapshots/20261102T000000Z|20261102T000000Z> (was "
	    "20261101T000000Z): forced by alice: why \\\"not\\\"\"}\n"
	    "http://ci.example.org/staging?s=20261102T000000Z "
	    "{\"text\":\"debpipe: *staging* is now on <https://apt.example.org"
	    "/./snapshots/20261102T000000Z|20261102T000000Z> (was "
	    "20261101T000000Z): forced by alice: why \\\"not\\\"\"}\n");
	free(got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slack_message),
		cmocka_unit_test_setup_teardown(test_enqueue_json, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_enqueue_slack, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
