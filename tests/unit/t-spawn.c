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
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
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

/* Whether pid is gone (or a zombie) within secs seconds. */
static int
gone_within(pid_t pid, int secs)
{
	char	 path[64], buf[512], *p;
	FILE	*f;
	int	 i;

	for (i = 0; i < secs * 10; i++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if ((f = fopen(path, "r")) == NULL)
			return 1;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		if (p != NULL && (p = strrchr(buf, ')')) != NULL &&
		    p[1] == ' ' && p[2] == 'Z')
			return 1;
		usleep(100000);
	}
	return 0;
}

/* With reap, what the program leaves in its own session goes with it,
 * and its exit status (or signal) comes through the guard. */
static void
test_reap_leftovers(void **state)
{
	struct dp_error		 err;
	struct spawn_opts	 o = { .capture = 1, .reap = 1 };
	char			*argv[] = { "sh", "-c", "setsid sleep 300 "
				    "</dev/null >/dev/null 2>&1 & echo $!; "
				    "exit 3", NULL };
	char			*selfkill[] = { "sh", "-c", "kill -TERM $$",
				    NULL };
	char			*missing[] = { "/nonexistent/program", NULL };
	char			*out = NULL;
	int			 st = 0;
	pid_t			 left;

	(void)state;
	assert_int_equal(spawn_run(argv, &o, &st, &out, &err), -1);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);
	assert_non_null(strstr(err.msg, "exited with status 3"));
	left = (pid_t)atoi(out);
	assert_true(left > 1);
	free(out);
	assert_true(gone_within(left, 1));
	o.capture = 0;
	assert_int_equal(spawn_run(selfkill, &o, &st, NULL, &err), -1);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGTERM);
	assert_int_equal(spawn_run(missing, &o, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "cannot run /nonexistent/program"));
}

/* The caller killed with SIGKILL: the program and what it started in
 * another session are gone within SPAWN_REAP_GRACE and a bit. */
static void
test_reap_caller_killed(void **state)
{
	char			 tmpl[] = "/tmp/t-spawn.XXXXXX";
	char			*pidf, *script, *data = NULL;
	pid_t			 runner, sh = 0, left = 0;
	int			 i, st;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	pidf = fs_join(tmpl, "pids");
	script = xasprintf("setsid sleep 300 </dev/null >/dev/null 2>&1 & "
	    "echo \"$$ $!\" >%s.tmp && mv %s.tmp %s; sleep 300", pidf, pidf,
	    pidf);
	if ((runner = fork()) == 0) {
		struct spawn_opts	 o = { .reap = 1 };
		char			*argv[] = { "sh", "-c", script, NULL };

		spawn_run(argv, &o, NULL, NULL, NULL);
		_exit(0);
	}
	assert_true(runner > 0);
	for (i = 0; i < 100 && access(pidf, F_OK) != 0; i++)
		usleep(50000);
	assert_int_equal(fs_read_file(pidf, 256, &data, NULL, NULL), 0);
	assert_int_equal(sscanf(data, "%d %d", &sh, &left), 2);
	assert_true(sh > 1 && left > 1);
	assert_int_equal(kill(sh, 0), 0);
	assert_int_equal(kill(left, 0), 0);
	assert_int_equal(kill(runner, SIGKILL), 0);
	assert_int_equal(waitpid(runner, &st, 0), runner);
	assert_true(gone_within(sh, SPAWN_REAP_GRACE + 3));
	assert_true(gone_within(left, SPAWN_REAP_GRACE + 3));
	free(data);
	free(script);
	free(pidf);
	fs_remove_tree(tmpl, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_no_shell),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_log_env_cwd),
		cmocka_unit_test(test_reap_leftovers),
		cmocka_unit_test(test_reap_caller_killed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
