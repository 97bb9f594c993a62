# debpipe-promoter (rules, API, public file server, notifications) and
# snapshot-promote (the CI client).
sbin_PROGRAMS += promoter/debpipe-promoter
promoter_debpipe_promoter_SOURCES = \
	promoter/promoter.h \
	promoter/main.c \
	promoter/env.c \
	promoter/rules.c \
	promoter/notify.c \
	promoter/tokens.c \
	promoter/http.c \
	promoter/api.c \
	promoter/serve.c \
	promoter/util.c

bin_PROGRAMS += promoter/snapshot-promote
promoter_snapshot_promote_SOURCES = \
	promoter/promoter.h \
	promoter/snapshot-promote.c \
	promoter/client.c \
	promoter/util.c

TESTS += \
	tests/integration/promote.sh
EXTRA_DIST += \
	tests/integration/promote.sh
