# Built-in checks (installability, autopkgtest, upgrade): lib/check*.c,
# the dose-distcheck report parser, the Build-Mirror background, the
# `debpipe check` command, their tests and benchmark.
lib_libdebpipe_a_SOURCES += \
	lib/check.c \
	lib/check.h \
	lib/check-int.h \
	lib/check-install.c \
	lib/check-pkgs.c \
	lib/check-testbed.c \
	lib/dose.c \
	lib/dose.h \
	lib/result.c \
	lib/result.h \
	lib/upstream-bg.c

cli_debpipe_SOURCES += \
	cli/check.c

TESTS += \
	tests/integration/check-install.sh \
	tests/integration/check-testbed.sh \
	tests/integration/check-gates.sh \
	tests/integration/check-kill.sh
EXTRA_DIST += \
	tests/integration/check-install.sh \
	tests/integration/check-testbed.sh \
	tests/integration/check-gates.sh \
	tests/integration/check-kill.sh \
	tests/integration/check-lib.sh \
	bench/check-install \
	bench/README-check.md

check_PROGRAMS += \
	tests/unit/t-dose
TESTS += \
	tests/unit/t-dose
tests_unit_t_dose_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)

# Data access of the promoter's and the checks' tables (the SQL of
# environments, env_history, results, checks, notifications, and the
# hooks' hook_deliveries), shared by the promoter and the CLI; db-stmt.c
# caches their prepared statements.
lib_libdebpipe_a_SOURCES += \
	lib/db-audit.c \
	lib/db-audit.h \
	lib/db-env.c \
	lib/db-env.h \
	lib/db-hooks.c \
	lib/db-hooks.h \
	lib/db-results.c \
	lib/db-results.h \
	lib/db-stmt.c \
	lib/db-stmt.h

check_PROGRAMS += \
	tests/unit/t-db-env \
	tests/unit/t-db-results
TESTS += \
	tests/unit/t-db-env \
	tests/unit/t-db-results
tests_unit_t_db_env_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
tests_unit_t_db_results_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
