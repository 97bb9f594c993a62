# Clean-room builds: chroot tarballs (lib/chroot.c, debpipe chroot), the
# sandbox of Builder: host, their tests.
lib_libdebpipe_a_SOURCES += \
	lib/chroot.c \
	lib/chroot.h

cli_debpipe_SOURCES += \
	cli/chroot.c

TESTS += \
	tests/integration/chroot.sh \
	tests/integration/cleanroom.sh \
	tests/integration/cleanroom-deps.sh \
	tests/integration/cleanroom-bad.sh \
	tests/integration/cleanroom-timeout.sh \
	tests/integration/cleanroom-chroot.sh
EXTRA_DIST += \
	tests/integration/chroot.sh \
	tests/integration/cleanroom.sh \
	tests/integration/cleanroom-deps.sh \
	tests/integration/cleanroom-bad.sh \
	tests/integration/cleanroom-timeout.sh \
	tests/integration/cleanroom-chroot.sh \
	bench/cleanroom-bench
