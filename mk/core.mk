# Core library modules, the debpipe CLI front door, core tests.
lib_libdebpipe_a_SOURCES += \
	lib/error.c \
	lib/error.h \
	lib/xmalloc.c \
	lib/xmalloc.h \
	lib/strlist.c \
	lib/strlist.h \
	lib/log.c \
	lib/log.h \
	lib/db.c \
	lib/db.h \
	lib/fsutil.c \
	lib/fsutil.h \
	lib/spawn.c \
	lib/spawn.h \
	lib/daemon.c \
	lib/daemon.h

bin_PROGRAMS += cli/debpipe
cli_debpipe_SOURCES = \
	cli/main.c \
	cli/cli.h \
	cli/status.c

check_PROGRAMS += \
	tests/unit/t-db \
	tests/unit/t-fsutil \
	tests/unit/t-spawn \
	tests/unit/t-strlist
TESTS += \
	tests/unit/t-db \
	tests/unit/t-fsutil \
	tests/unit/t-spawn \
	tests/unit/t-strlist
tests_unit_t_db_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
tests_unit_t_fsutil_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
tests_unit_t_spawn_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
tests_unit_t_strlist_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)

TESTS += \
	tests/integration/cli.sh \
	tests/integration/readme-user.sh
EXTRA_DIST += \
	tests/integration/lib.sh \
	tests/integration/cli.sh \
	tests/integration/readme-user.sh \
	.ci/run

# The demo: the whole pipeline on a built-in example (README's first command).
EXTRA_DIST += \
	demo/run \
	demo/hello-debpipe/hello-debpipe \
	demo/hello-debpipe/debian/changelog \
	demo/hello-debpipe/debian/control \
	demo/hello-debpipe/debian/copyright \
	demo/hello-debpipe/debian/rules \
	demo/hello-debpipe/debian/source/format
demo: all
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
		bash $(top_srcdir)/demo/run
.PHONY: demo
