# apt fragment (owned by the apt work): the client of upstream apt
# repositories and the libcurl wrapper (the watches, Type: apt and
# Type: apt-source, are the builder's: mk/builder.mk), their tests and the
# import benchmark.
lib_libdebpipe_a_SOURCES += \
	lib/fetch.c \
	lib/fetch.h \
	lib/http-client.c \
	lib/http-client.h \
	lib/upstream.c \
	lib/upstream.h

# A small driver that calls aptw_sync / aptsrc_prepare (the builder's
# builder/watch-apt*.c) directly (used by the apt integration tests and
# the benchmark).
check_PROGRAMS += \
	tests/apt-driver
tests_apt_driver_SOURCES = \
	tests/apt-driver.c
tests_apt_driver_LDADD = builder/libbuilder.a $(DP_LIBS)

check_PROGRAMS += \
	tests/unit/t-fetch \
	tests/unit/t-upstream
TESTS += \
	tests/unit/t-fetch \
	tests/unit/t-upstream
tests_unit_t_fetch_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
# The client (lib/upstream.c) and the Packages parser of the builder's
# Type: apt watches (builder/watch-apt.c).
tests_unit_t_upstream_LDADD = builder/libbuilder.a $(DP_LIBS) $(CMOCKA_LIBS)

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
