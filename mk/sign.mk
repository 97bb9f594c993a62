# OpenPGP signing and verification (gpgme): lib/sign.c, its unit test.
# `debpipe key` (cli/key.c) is listed in mk/publish.mk with the other
# snapshot commands.
lib_libdebpipe_a_SOURCES += \
	lib/sign.c \
	lib/sign.h

check_PROGRAMS += \
	tests/unit/t-sign
TESTS += \
	tests/unit/t-sign
tests_unit_t_sign_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)

TESTS += \
	tests/integration/key.sh
EXTRA_DIST += \
	tests/integration/key.sh
