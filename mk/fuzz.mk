# libFuzzer targets (tests/fuzz/fuzz-NAME.c, doc/fuzzing.md).
#   ./configure --enable-fuzz && make fuzz    builds tests/fuzz/fuzz-NAME
#   make check                                 replays every corpus
# The replay-NAME programs link the same LLVMFuzzerTestOneInput with
# tests/fuzz/replay.c instead of libFuzzer: one TAP test per target,
# the files of tests/fuzz/corpus/NAME.  To add a target, add it to
# EXTRA_PROGRAMS, check_PROGRAMS and TESTS, its three lines of _SOURCES
# and _LDFLAGS, a corpus directory and a dictionary (doc/fuzzing.md).
FUZZ_COMMON = tests/fuzz/fuzz.h tests/fuzz/fuzz-util.c

EXTRA_PROGRAMS = \
	tests/fuzz/fuzz-deb822 \
	tests/fuzz/fuzz-config \
	tests/fuzz/fuzz-version \
	tests/fuzz/fuzz-dsc \
	tests/fuzz/fuzz-debfile \
	tests/fuzz/fuzz-dose

check_PROGRAMS += \
	tests/fuzz/replay-deb822 \
	tests/fuzz/replay-config \
	tests/fuzz/replay-version \
	tests/fuzz/replay-dsc \
	tests/fuzz/replay-debfile \
	tests/fuzz/replay-dose

TESTS += \
	tests/fuzz/replay-deb822 \
	tests/fuzz/replay-config \
	tests/fuzz/replay-version \
	tests/fuzz/replay-dsc \
	tests/fuzz/replay-debfile \
	tests/fuzz/replay-dose

tests_fuzz_fuzz_deb822_SOURCES = tests/fuzz/fuzz-deb822.c $(FUZZ_COMMON)
tests_fuzz_fuzz_deb822_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_replay_deb822_SOURCES = tests/fuzz/fuzz-deb822.c $(FUZZ_COMMON) tests/fuzz/replay.c
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz-config.c $(FUZZ_COMMON)
tests_fuzz_fuzz_config_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_replay_config_SOURCES = tests/fuzz/fuzz-config.c $(FUZZ_COMMON) tests/fuzz/replay.c
tests_fuzz_fuzz_version_SOURCES = tests/fuzz/fuzz-version.c $(FUZZ_COMMON)
tests_fuzz_fuzz_version_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_replay_version_SOURCES = tests/fuzz/fuzz-version.c $(FUZZ_COMMON) tests/fuzz/replay.c
tests_fuzz_fuzz_dsc_SOURCES = tests/fuzz/fuzz-dsc.c $(FUZZ_COMMON)
tests_fuzz_fuzz_dsc_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_replay_dsc_SOURCES = tests/fuzz/fuzz-dsc.c $(FUZZ_COMMON) tests/fuzz/replay.c
tests_fuzz_fuzz_debfile_SOURCES = tests/fuzz/fuzz-debfile.c $(FUZZ_COMMON)
tests_fuzz_fuzz_debfile_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_replay_debfile_SOURCES = tests/fuzz/fuzz-debfile.c $(FUZZ_COMMON) tests/fuzz/replay.c
tests_fuzz_fuzz_dose_SOURCES = tests/fuzz/fuzz-dose.c $(FUZZ_COMMON)
tests_fuzz_fuzz_dose_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_replay_dose_SOURCES = tests/fuzz/fuzz-dose.c $(FUZZ_COMMON) tests/fuzz/replay.c

EXTRA_DIST += \
	tests/fuzz/corpus \
	tests/fuzz/run \
	tests/fuzz/make-corpus \
	tests/fuzz/deb822.dict \
	tests/fuzz/config.dict \
	tests/fuzz/version.dict \
	tests/fuzz/dsc.dict \
	tests/fuzz/debfile.dict \
	tests/fuzz/dose.dict


if ENABLE_FUZZ
fuzz: $(EXTRA_PROGRAMS)
else
fuzz:
	@echo "make fuzz: configure with --enable-fuzz (clang) first" >&2; exit 1
endif
.PHONY: fuzz
CLEANFILES += $(EXTRA_PROGRAMS)
