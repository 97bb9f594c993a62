# Snapshots, publishing, GC, debpipe-snapshotter; `debpipe snapshot|key|gc`.
# The publisher is snapshotter/libsnapshot.a (everything in snapshotter/
# but main.c and check.c), which `debpipe snapshot|gc` and the unit tests
# link too; lib/ keeps what other programs share (compress, db-snapshots,
# snapid).
lib_libdebpipe_a_SOURCES += \
	lib/compress.c \
	lib/compress.h \
	lib/db-snapshots.c \
	lib/db-snapshots.h \
	lib/snapid.c \
	lib/snapid.h

noinst_LIBRARIES += snapshotter/libsnapshot.a
snapshotter_libsnapshot_a_SOURCES = \
	snapshotter/publish.h \
	snapshotter/publish-int.h \
	snapshotter/index.c \
	snapshotter/index.h \
	snapshotter/set.c \
	snapshotter/tree.c \
	snapshotter/release.c \
	snapshotter/publish.c \
	snapshotter/recover.c \
	snapshotter/gc.c

cli_debpipe_SOURCES += \
	cli/snapshot.c \
	cli/key.c \
	cli/gc.c

sbin_PROGRAMS += snapshotter/debpipe-snapshotter
snapshotter_debpipe_snapshotter_SOURCES = \
	snapshotter/main.c \
	snapshotter/check.c \
	snapshotter/snapshotter.h
snapshotter_debpipe_snapshotter_LDADD = snapshotter/libsnapshot.a $(DP_LIBS)

check_PROGRAMS += \
	tests/unit/t-index \
	tests/unit/t-compress \
	tests/unit/t-publish
TESTS += \
	tests/unit/t-index \
	tests/unit/t-compress \
	tests/unit/t-publish
tests_unit_t_index_LDADD = snapshotter/libsnapshot.a $(DP_LIBS) $(CMOCKA_LIBS)
tests_unit_t_compress_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
tests_unit_t_publish_LDADD = snapshotter/libsnapshot.a $(DP_LIBS) $(CMOCKA_LIBS)

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
