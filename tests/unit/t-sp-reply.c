/* t-sp-reply.c - promoter/sp-reply.c, client.c: snapshot-promote's
 * reading of the promoter's replies, of any shape. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promoter.h"

/* What f prints of j, in a static buffer. */
static const char *
out_of(void (*f)(FILE *, json_t *), const char *json)
{
	static char	 buf[4096];
	json_t		*j = json_loads(json, 0, NULL);
	FILE		*fp;

	assert_non_null(fp = fmemopen(buf, sizeof(buf), "w"));
	f(fp, j);
	fclose(fp);
	json_decref(j);
	return buf;
}

static void
test_snapshot(void **state)
{
	const char	*s;

	(void)state;
	/* A real reply (GET /api/v1/snapshots/ID, trimmed). */
	s = out_of(sp_print_snapshot, "{\"id\":\"20261103T000000Z\","
	    "\"created\":\"2026-11-03T00:00:00Z\",\"environments\":[\"test\"],"
	    "\"results\":[{\"job\":\"acceptance\",\"result\":\"success\","
	    "\"url\":\"https://ci/1\",\"time\":\"T\",\"actor\":\"ci-bot\"}],"
	    "\"promotion\":[{\"environment\":\"staging\",\"state\":\"waiting\","
	    "\"detail\":\"waiting for: upgrade\"}],\"history\":[],"
	    "\"packages\":[{}, {}]}");
	assert_non_null(strstr(s, "snapshot 20261103T000000Z (created "
	    "2026-11-03T00:00:00Z)\nenvironments: test\n"));
	assert_non_null(strstr(s, "acceptance"));
	assert_non_null(strstr(s, " https://ci/1\n"));
	assert_non_null(strstr(s, "  staging      waiting    waiting for: "
	    "upgrade\n"));
	assert_non_null(strstr(s, "packages: 2\n"));

	/* Members of another type are "-", never a NULL string (an
	 * environment that was a number went to printf as NULL). */
	s = out_of(sp_print_snapshot, "{\"id\":1,\"environments\":[7,null,"
	    "\"prod\"],\"results\":[{\"job\":[]}],\"history\":[{}],"
	    "\"promotion\":{}}");
	assert_non_null(strstr(s, "snapshot - (created -)\nenvironments: - - "
	    "prod\n"));
	assert_null(strstr(s, "(null)"));
	s = out_of(sp_print_snapshot, "[]");
	assert_non_null(strstr(s, "packages: 0\n"));
}

static void
status_text(FILE *fp, json_t *j)
{
	sp_print_status(fp, j, j, 0);
}

static void
status_json(FILE *fp, json_t *j)
{
	sp_print_status(fp, j, j, 1);
}

static void
test_status(void **state)
{
	const char	*s;

	(void)state;
	s = out_of(status_text, "{\"environments\":[{\"name\":\"test\","
	    "\"snapshot\":\"S1\",\"since\":\"T\"}],\"snapshots\":[{\"id\":"
	    "\"S1\",\"environments\":[\"test\",5],\"results\":[{\"job\":"
	    "\"a\",\"result\":\"success\"}]}]}");
	assert_non_null(strstr(s, "test         S1                T\n"));
	assert_non_null(strstr(s, "S1                test,-                  "
	    " a=success\n"));
	/* --json of a reply without the arrays: nulls, not nothing. */
	s = out_of(status_json, "{}");
	assert_non_null(strstr(s, "\"environments\": null"));
}

static void
test_wait_state(void **state)
{
	json_t	*j, *found;

	(void)state;
	j = json_loads("{\"promotion\":[{\"environment\":\"test\",\"state\":"
	    "\"current\"},{\"environment\":\"staging\",\"state\":\"waiting\"},"
	    "{\"environment\":\"prod\",\"state\":\"blocked\"},{\"environment\":"
	    "3,\"state\":\"current\"},\"x\"]}", 0, NULL);
	assert_int_equal(sp_wait_state(j, "test", &found), SP_WAIT_REACHED);
	assert_non_null(found);
	assert_int_equal(sp_wait_state(j, "staging", &found),
	    SP_WAIT_PENDING);
	assert_int_equal(sp_wait_state(j, "prod", &found), SP_WAIT_BLOCKED);
	assert_int_equal(sp_wait_state(j, "qa", &found), SP_WAIT_NOENV);
	assert_null(found);
	/* "-" is what a non-string prints as, not an environment it
	 * matches. */
	assert_int_equal(sp_wait_state(j, "-", &found), SP_WAIT_NOENV);
	json_decref(j);
	assert_int_equal(sp_wait_state(NULL, "test", &found), SP_WAIT_NOENV);
}

static void
test_client_error(void **state)
{
	json_t	*j;

	(void)state;
	j = json_loads("{\"error\":\"no snapshot X\"}", 0, NULL);
	assert_string_equal(client_error(j, 404), "no snapshot X");
	json_decref(j);
	/* Found by fuzz-spreply: an empty error printed as nothing. */
	j = json_loads("{\"error\":\"\"}", 0, NULL);
	assert_string_equal(client_error(j, 500), "HTTP status 500");
	json_decref(j);
	j = json_loads("{\"error\":3}", 0, NULL);
	assert_string_equal(client_error(j, 502), "HTTP status 502");
	json_decref(j);
	assert_string_equal(client_error(NULL, 503), "HTTP status 503");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_wait_state),
		cmocka_unit_test(test_client_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
