# Snapshots, publishing, GC, debpipe-snapshotter (lib/index, lib/compress,
# lib/publish); `debpipe snapshot|key|gc`.
lib_libdebpipe_a_SOURCES += \
	lib/compress.c \
	lib/compress.h \
	lib/index.c \
	lib/index.h \
	lib/publish.c \
	lib/publish-gc.c \
	lib/publish-set.c \
	lib/publish-int.h \
	lib/publish.h

cli_debpipe_SOURCES += \
	cli/snapshot.c \
	cli/key.c \
	cli/gc.c

sbin_PROGRAMS += snapshotter/debpipe-snapshotter
snapshotter_debpipe_snapshotter_SOURCES = \
	snapshotter/main.c \
	snapshotter/check.c \
	snapshotter/snapshotter.h

check_PROGRAMS += \
	tests/unit/t-index \
	tests/unit/t-compress
TESTS += \
	tests/unit/t-index \
	tests/unit/t-compress
tests_unit_t_index_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
tests_unit_t_compress_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)

TESTS += \
	tests/integration/snapshot.sh \
	tests/integration/snapshot-empty.sh \
	tests/integration/gc-buildinfo.sh \
	tests/integration/crash.sh
EXTRA_DIST += \
	tests/integration/snapshot.sh \
	tests/integration/snapshot-empty.sh \
	tests/integration/gc-buildinfo.sh \
	tests/integration/crash.sh
