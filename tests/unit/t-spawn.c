/* t-spawn.c - running programs without a shell: argv passes through
 * untouched, exit codes, timeouts, logs, capture. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "spawn.h"
#include "xmalloc.h"

static void
test_capture_no_shell(void **state)
{
	struct dp_error		 err;
	struct spawn_opts	 o = { .capture = 1 };
	char			*argv[] = { "echo", "$(id)", ";", "rm", "-rf",
				    "/", NULL };
	char			*out = NULL;

	(void)state;
	assert_int_equal(spawn_run(argv, &o, NULL, &out, &err), 0);
	assert_string_equal(out, "$(id) ; rm -rf /\n");
	free(out);
}

static void
test_exit_status(void **state)
{
	struct dp_error	 err;
	char		*argv[] = { "false", NULL };
	char		*missing[] = { "/nonexistent/program", NULL };
	int		 st = 0;

	(void)state;
	assert_int_equal(spawn_run(argv, NULL, &st, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "exited with status 1"));
	assert_int_equal(spawn_run(missing, NULL, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "cannot run /nonexistent/program"));
}

static void
test_timeout(void **state)
{
	struct dp_error		 err;
	struct spawn_opts	 o = { .timeout = 1 };
	char			*argv[] = { "sleep", "30", NULL };
	time_t			 t0 = time(NULL);

	(void)state;
	assert_int_equal(spawn_run(argv, &o, NULL, NULL, &err), -1);
	assert_int_equal(err.code, DP_ERR_TIMEOUT);
	assert_true(time(NULL) - t0 < 10);
}

static void
test_log_env_cwd(void **state)
{
	struct dp_error		 err;
	char			 tmpl[] = "/tmp/t-spawn.XXXXXX";
	char			*log, *data = NULL;
	char			*over[] = { "DP_TEST=hello world", NULL };
	char			**env = spawn_env(over);
	char			*argv[] = { "sh", "-c",
				    "echo \"$DP_TEST\"; pwd; echo err >&2",
				    NULL };
	struct spawn_opts	 o = { 0 };

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	log = fs_join(tmpl, "build.log");
	o.log_path = log;
	o.env = env;
	o.cwd = tmpl;
	assert_int_equal(spawn_run(argv, &o, NULL, NULL, &err), 0);
	assert_int_equal(fs_read_file(log, 4096, &data, NULL, &err), 0);
	assert_non_null(strstr(data, "hello world\n"));
	assert_non_null(strstr(data, tmpl));
	assert_non_null(strstr(data, "err\n"));
	free(data);
	strv_free(env);
	fs_remove_tree(tmpl, NULL);
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_no_shell),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_log_env_cwd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
