# Publishing to object storage (S3, Swift): lib/objstore*, lib/remote-publish,
# `debpipe publish`; tests against a real single-node Swift.
AM_CFLAGS += $(LIBXML2_CFLAGS)
DP_LIBS += $(LIBXML2_LIBS)

lib_libdebpipe_a_SOURCES += \
	lib/config-publish.c \
	lib/db-remote.c \
	lib/db-remote.h \
	lib/objstore.c \
	lib/objstore.h \
	lib/objstore-int.h \
	lib/objstore-s3.c \
	lib/objstore-swift.c \
	lib/remote-gc.c \
	lib/remote-publish.c \
	lib/remote-publish.h \
	lib/remote-sched.c \
	lib/remote-status.c \
	lib/remote-status.h \
	lib/remote-sched.h

cli_debpipe_SOURCES += \
	cli/publish.c

TESTS += \
	tests/integration/publish-swift.sh \
	tests/integration/publish-swift-bg.sh \
	tests/integration/publish-swift-faults.sh \
	tests/integration/publish-swift-down.sh \
	tests/integration/publish-swift-keystone.sh
EXTRA_DIST += \
	tests/integration/swift-lib.sh \
	tests/integration/keystone-lib.sh \
	tests/integration/publish-swift.sh \
	tests/integration/publish-swift-bg.sh \
	tests/integration/publish-swift-faults.sh \
	tests/integration/publish-swift-down.sh \
	tests/integration/publish-swift-keystone.sh

check_PROGRAMS += tests/unit/t-objstore
TESTS += tests/unit/t-objstore
tests_unit_t_objstore_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
