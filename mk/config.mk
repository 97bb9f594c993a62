# Configuration reader (deb822) and its tests and examples.
lib_libdebpipe_a_SOURCES += \
	lib/deb822.c \
	lib/deb822.h \
	lib/config.c \
	lib/config.h \
	lib/config-value.c \
	lib/config-watch.c \
	lib/config-int.h

check_PROGRAMS += \
	tests/unit/t-deb822 \
	tests/unit/t-config
TESTS += \
	tests/unit/t-deb822 \
	tests/unit/t-config
tests_unit_t_deb822_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
tests_unit_t_config_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)

dist_man_MANS += \
	doc/debpipe.conf.5 \
	doc/debpipe-watch.5

EXTRA_DIST += \
	etc/debpipe.conf \
	etc/watch.d/hello.watch \
	etc/watch.d/nginx.watch \
	etc/watch.d/openssl.watch
