# apt fragment (owned by the apt work): upstream apt repositories
# (Type: apt, Type: apt-source), the libcurl wrapper, their tests and the
# import benchmark.
lib_libdebpipe_a_SOURCES += \
	lib/fetch.c \
	lib/fetch.h \
	lib/upstream.c \
	lib/upstream-source.c \
	lib/upstream-int.h \
	lib/upstream.h

# A small driver that calls upstream_apt_sync / upstream_source_prepare
# directly (used by the apt integration tests and the benchmark).
check_PROGRAMS += \
	tests/apt-driver
tests_apt_driver_SOURCES = \
	tests/apt-driver.c

check_PROGRAMS += \
	tests/unit/t-fetch
TESTS += \
	tests/unit/t-fetch
tests_unit_t_fetch_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)

TESTS += \
	tests/integration/apt-watch.sh \
	tests/integration/apt-hostile.sh \
	tests/integration/apt-source.sh
EXTRA_DIST += \
	tests/integration/apt-source.sh \
	tests/integration/apt-watch.sh \
	tests/integration/apt-hostile.sh \
	tests/integration/apt-lib.sh \
	tests/integration/chroot-lib.sh \
	bench/apt-import.sh \
	bench/README-apt.md
