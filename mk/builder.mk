# debpipe-builder (git watches, queue, builds).  Everything but main.c is
# in builder/libbuilder.a, which `debpipe watch check` uses too.

# The builds and watches tables: one module each in lib (the CLI and the
# promoter read them too).
lib_libdebpipe_a_SOURCES += \
	lib/db-builds.c \
	lib/db-builds.h \
	lib/db-watches.c \
	lib/db-watches.h

noinst_LIBRARIES += builder/libbuilder.a
builder_libbuilder_a_SOURCES = \
	builder/builder.h \
	builder/backend-host.c \
	builder/backend-sbuild.c \
	builder/build-int.h \
	builder/build-result.c \
	builder/build-tool.c \
	builder/build.c \
	builder/cleanroom.c \
	builder/git-creds.c \
	builder/poll.c \
	builder/queue.c \
	builder/space.c \
	builder/stamp.c \
	builder/watch-apt.c \
	builder/watch-apt-source.c \
	builder/watch-git.c

sbin_PROGRAMS += builder/debpipe-builder
builder_debpipe_builder_SOURCES = \
	builder/daemon-int.h \
	builder/daemon-build.c \
	builder/daemon-poll.c \
	builder/daemon-refresh.c \
	builder/main.c
builder_debpipe_builder_LDADD = builder/libbuilder.a $(DP_LIBS)

cli_debpipe_SOURCES += \
	cli/watch.c
cli_debpipe_LDADD = builder/libbuilder.a snapshotter/libsnapshot.a $(DP_LIBS)

check_PROGRAMS += \
	tests/unit/t-stamp \
	tests/unit/t-queue
TESTS += \
	tests/unit/t-stamp \
	tests/unit/t-queue
tests_unit_t_stamp_LDADD = builder/libbuilder.a $(DP_LIBS) $(CMOCKA_LIBS)
tests_unit_t_queue_LDADD = builder/libbuilder.a $(DP_LIBS) $(CMOCKA_LIBS)

TESTS += \
	tests/integration/builder.sh \
	tests/integration/builder-source.sh \
	tests/integration/builder-leftovers.sh \
	tests/integration/builder-bad.sh \
	tests/integration/builder-user.sh \
	tests/integration/builder-http.sh
EXTRA_DIST += \
	tests/integration/builder.sh \
	tests/integration/builder-source.sh \
	tests/integration/builder-leftovers.sh \
	tests/integration/builder-lib.sh \
	tests/integration/builder-bad.sh \
	tests/integration/builder-user.sh \
	tests/integration/builder-http.sh \
	tests/integration/git-http-auth.py \
	bench/builder-bench \
	bench/README-builder.md
