/* t-dose.c - dose-distcheck YAML reports (lib/dose.c). */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "dose.h"

/* What dose-distcheck 7.0.0 printed for a missing and a conflict case. */
static const char REPORT[] =
    "output-version: 1.2\n"
    "native-architecture: amd64\n"
    "report:\n"
    " -\n"
    "  package: ff\n"
    "  version: 1\n"
    "  architecture: amd64\n"
    "  status: broken\n"
    "  reasons:\n"
    "   -\n"
    "    conflict:\n"
    "     pkg1:\n"
    "      package: ff\n"
    "      version: 1\n"
    "      architecture: amd64\n"
    "      unsat-conflict: gg:amd64\n"
    "     pkg2:\n"
    "      package: gg\n"
    "      version: 1\n"
    "      architecture: amd64\n"
    " -\n"
    "  package: ee\n"
    "  version: 1.0\n"
    "  architecture: all\n"
    "  status: broken\n"
    "  reasons:\n"
    "   -\n"
    "    missing:\n"
    "     pkg:\n"
    "      package: aa\n"
    "      version: 1.0\n"
    "      architecture: amd64\n"
    "      unsat-dependency: bb:amd64 (>= 2)\n"
    "     depchains:\n"
    "      -\n"
    "       depchain:\n"
    "        -\n"
    "         package: ee\n"
    "         version: 1.0\n"
    "         architecture: all\n"
    "         depends: aa:amd64\n"
    " \n"
    "background-packages: 3\n"
    "foreground-packages: 4\n"
    "total-packages: 7\n"
    "broken-packages: 2\n";

static void
test_report(void **state)
{
	struct dose_report	r;
	struct dp_error		err;

	(void)state;
	assert_int_equal(dose_parse(REPORT, strlen(REPORT), &r, &err), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.nbroken, 2);
	assert_string_equal(r.entries[0].package, "ff");
	assert_non_null(strstr(r.entries[0].why, "conflict: ff 1 and gg 1"));
	assert_string_equal(r.entries[1].package, "ee");
	assert_string_equal(r.entries[1].version, "1.0");	/* not 1 */
	assert_string_equal(r.entries[1].arch, "all");
	assert_string_equal(r.entries[1].why, "missing bb:amd64 (>= 2), "
	    "needed by aa 1.0 (via ee 1.0 [depends aa:amd64])");
	dose_report_done(&r);
}

static void
test_empty_report(void **state)
{
	static const char s[] = "output-version: 1.2\nreport:\n"
	    "background-packages: 0\n";
	struct dose_report	r;
	struct dp_error		err;

	(void)state;
	assert_int_equal(dose_parse(s, strlen(s), &r, &err), 0);
	assert_int_equal(r.n, 0);
	dose_report_done(&r);
}

/* Unquoted values YAML reserves ('@', '%', '`') are taken as text. */
static void
test_tolerated(void **state)
{
	static const char s[] = "report:\n -\n  package: odd\n"
	    "  version: @1:2.0\n  architecture: amd64\n  status: broken\n"
	    "  reasons:\n   -\n    missing:\n     pkg:\n      package: odd\n"
	    "      version: @1:2.0\n      unsat-dependency: `weird' | %x\n";
	struct dose_report	r;
	struct dp_error		err;

	(void)state;
	assert_int_equal(dose_parse(s, strlen(s), &r, &err), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.entries[0].version, "@1:2.0");
	assert_non_null(strstr(r.entries[0].why, "missing `weird' | %x"));
	dose_report_done(&r);
}

static void
test_bad(void **state)
{
	static const char *const bad[] = {
		"report:\n - package: [unclosed\n   status: {\n",
		"report: 3\n",
		"- a\n- b\n",
		"report:\n - version: 1\n",
		"report:\n - package: x1\n   status: weird\n",
		"report:\n - package: \"../../etc\"\n   status: ok\n",
		"",
	};
	struct dose_report	r;
	struct dp_error		err;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(dose_parse(bad[i], strlen(bad[i]), &r, &err),
		    -1);
		assert_true(strncmp(err.msg, "dose output", 11) == 0);
		assert_int_equal(r.n, 0);
	}
	assert_int_equal(dose_parse("report:\0x", 9, &r, &err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_empty_report),
		cmocka_unit_test(test_tolerated),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
