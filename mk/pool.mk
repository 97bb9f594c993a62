# Pool and ingestion (debpipe add): .deb/.dsc readers, hashes, versions.
lib_libdebpipe_a_SOURCES += \
	lib/hash.c \
	lib/hash.h \
	lib/version.c \
	lib/version.h \
	lib/debfile.c \
	lib/debfile.h \
	lib/dsc.c \
	lib/dsc.h \
	lib/db-packages.c \
	lib/db-packages.h \
	lib/pool.c \
	lib/pool.h \
	lib/pool-int.h \
	lib/pool-control.c \
	lib/pool-file.c \
	lib/pool-read.c

cli_debpipe_SOURCES += \
	cli/add.c

check_PROGRAMS += \
	tests/unit/t-version \
	tests/unit/t-debfile \
	tests/unit/t-pool \
	tests/unit/t-hash \
	tests/unit/t-dsc
TESTS += \
	tests/unit/t-version \
	tests/unit/t-debfile \
	tests/unit/t-pool \
	tests/unit/t-hash \
	tests/unit/t-dsc
tests_unit_t_version_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
tests_unit_t_debfile_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
tests_unit_t_pool_SOURCES = tests/unit/t-pool.c tests/unit/mkdeb.h
tests_unit_t_pool_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
tests_unit_t_hash_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
tests_unit_t_dsc_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)

TESTS += \
	tests/integration/add.sh \
	tests/integration/add-crash.sh
EXTRA_DIST += \
	tests/integration/add.sh \
	tests/integration/add-crash.sh
