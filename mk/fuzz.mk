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
	tests/fuzz/fuzz-dose \
	tests/fuzz/fuzz-apt \
	tests/fuzz/fuzz-hooks \
	tests/fuzz/fuzz-objstore \
	tests/fuzz/fuzz-api \
	tests/fuzz/fuzz-changelog \
	tests/fuzz/fuzz-hookreq \
	tests/fuzz/fuzz-ui \
	tests/fuzz/fuzz-creds \
	tests/fuzz/fuzz-spreply

check_PROGRAMS += \
	tests/fuzz/replay-deb822 \
	tests/fuzz/replay-config \
	tests/fuzz/replay-version \
	tests/fuzz/replay-dsc \
	tests/fuzz/replay-debfile \
	tests/fuzz/replay-dose \
	tests/fuzz/replay-apt \
	tests/fuzz/replay-hooks \
	tests/fuzz/replay-objstore \
	tests/fuzz/replay-api \
	tests/fuzz/replay-changelog \
	tests/fuzz/replay-hookreq \
	tests/fuzz/replay-ui \
	tests/fuzz/replay-creds \
	tests/fuzz/replay-spreply

TESTS += \
	tests/fuzz/replay-deb822 \
	tests/fuzz/replay-config \
	tests/fuzz/replay-version \
	tests/fuzz/replay-dsc \
	tests/fuzz/replay-debfile \
	tests/fuzz/replay-dose \
	tests/fuzz/replay-apt \
	tests/fuzz/replay-hooks \
	tests/fuzz/replay-objstore \
	tests/fuzz/replay-api \
	tests/fuzz/replay-changelog \
	tests/fuzz/replay-hookreq \
	tests/fuzz/replay-ui \
	tests/fuzz/replay-creds \
	tests/fuzz/replay-spreply

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
tests_fuzz_fuzz_debfile_LDADD = snapshotter/libsnapshot.a $(LDADD)
tests_fuzz_replay_debfile_LDADD = snapshotter/libsnapshot.a $(LDADD)
tests_fuzz_fuzz_dose_SOURCES = tests/fuzz/fuzz-dose.c $(FUZZ_COMMON)
tests_fuzz_fuzz_dose_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_replay_dose_SOURCES = tests/fuzz/fuzz-dose.c $(FUZZ_COMMON) tests/fuzz/replay.c
# The promoter's parts (not in libdebpipe.a).
FUZZ_HOOKS = promoter/hook-event.c promoter/tokens.c promoter/util.c
FUZZ_PROMOTER = promoter/api.c promoter/api-env.c promoter/api-pipeline.c \
	promoter/api-results.c promoter/api-snapshots.c promoter/metrics.c \
	promoter/env.c promoter/rules.c promoter/notify.c promoter/tokens.c promoter/util.c \
	promoter/http.c promoter/serve.c promoter/ui.c promoter/ui-builds.c \
	promoter/ui-overview.c promoter/ui-snapshot.c promoter/html.c \
	promoter/hooks.c promoter/hook-event.c tests/fuzz/fuzz-promoter.c
tests_fuzz_fuzz_apt_SOURCES = tests/fuzz/fuzz-apt.c $(FUZZ_COMMON)
tests_fuzz_fuzz_apt_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_replay_apt_SOURCES = tests/fuzz/fuzz-apt.c $(FUZZ_COMMON) tests/fuzz/replay.c
# The Packages and Sources parsers are the builder's (builder/watch-apt*.c).
tests_fuzz_fuzz_apt_LDADD = builder/libbuilder.a $(DP_LIBS)
tests_fuzz_replay_apt_LDADD = builder/libbuilder.a $(DP_LIBS)
tests_fuzz_fuzz_hooks_SOURCES = tests/fuzz/fuzz-hooks.c $(FUZZ_COMMON) $(FUZZ_HOOKS)
tests_fuzz_fuzz_hooks_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_replay_hooks_SOURCES = tests/fuzz/fuzz-hooks.c $(FUZZ_COMMON) $(FUZZ_HOOKS) tests/fuzz/replay.c
tests_fuzz_fuzz_objstore_SOURCES = tests/fuzz/fuzz-objstore.c $(FUZZ_COMMON)
tests_fuzz_fuzz_objstore_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_replay_objstore_SOURCES = tests/fuzz/fuzz-objstore.c $(FUZZ_COMMON) tests/fuzz/replay.c
tests_fuzz_fuzz_api_SOURCES = tests/fuzz/fuzz-api.c $(FUZZ_COMMON) $(FUZZ_PROMOTER)
tests_fuzz_fuzz_api_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_replay_api_SOURCES = tests/fuzz/fuzz-api.c $(FUZZ_COMMON) $(FUZZ_PROMOTER) tests/fuzz/replay.c
tests_fuzz_fuzz_changelog_SOURCES = tests/fuzz/fuzz-changelog.c $(FUZZ_COMMON) builder/stamp.c
tests_fuzz_fuzz_changelog_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_replay_changelog_SOURCES = tests/fuzz/fuzz-changelog.c $(FUZZ_COMMON) builder/stamp.c tests/fuzz/replay.c
tests_fuzz_fuzz_hookreq_SOURCES = tests/fuzz/fuzz-hookreq.c $(FUZZ_COMMON) $(FUZZ_PROMOTER)
tests_fuzz_fuzz_hookreq_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_replay_hookreq_SOURCES = tests/fuzz/fuzz-hookreq.c $(FUZZ_COMMON) $(FUZZ_PROMOTER) tests/fuzz/replay.c
tests_fuzz_fuzz_ui_SOURCES = tests/fuzz/fuzz-ui.c $(FUZZ_COMMON) $(FUZZ_PROMOTER)
tests_fuzz_fuzz_ui_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_replay_ui_SOURCES = tests/fuzz/fuzz-ui.c $(FUZZ_COMMON) $(FUZZ_PROMOTER) tests/fuzz/replay.c
tests_fuzz_fuzz_creds_SOURCES = tests/fuzz/fuzz-creds.c $(FUZZ_COMMON) builder/git-creds.c
tests_fuzz_fuzz_creds_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_replay_creds_SOURCES = tests/fuzz/fuzz-creds.c $(FUZZ_COMMON) builder/git-creds.c tests/fuzz/replay.c
FUZZ_SPREPLY = promoter/sp-reply.c promoter/client.c promoter/util.c
tests_fuzz_fuzz_spreply_SOURCES = tests/fuzz/fuzz-spreply.c $(FUZZ_COMMON) $(FUZZ_SPREPLY)
tests_fuzz_fuzz_spreply_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_replay_spreply_SOURCES = tests/fuzz/fuzz-spreply.c $(FUZZ_COMMON) $(FUZZ_SPREPLY) tests/fuzz/replay.c

EXTRA_DIST += \
	tests/fuzz/corpus \
	tests/fuzz/run \
	tests/fuzz/make-corpus \
	tests/fuzz/swift-seeds \
	tests/fuzz/deb822.dict \
	tests/fuzz/config.dict \
	tests/fuzz/version.dict \
	tests/fuzz/dsc.dict \
	tests/fuzz/debfile.dict \
	tests/fuzz/dose.dict \
	tests/fuzz/apt.dict \
	tests/fuzz/hooks.dict \
	tests/fuzz/objstore.dict \
	tests/fuzz/api.dict \
	tests/fuzz/changelog.dict \
	tests/fuzz/hookreq.dict \
	tests/fuzz/ui.dict \
	tests/fuzz/creds.dict \
	tests/fuzz/spreply.dict


if ENABLE_FUZZ
fuzz: $(EXTRA_PROGRAMS)
else
fuzz:
	@echo "make fuzz: configure with --enable-fuzz (clang) first" >&2; exit 1
endif
.PHONY: fuzz
CLEANFILES += $(EXTRA_PROGRAMS)
