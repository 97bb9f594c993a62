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
	promoter/api-env.c \
	promoter/api-results.c \
	promoter/api-snapshots.c \
	promoter/metrics.c \
	promoter/serve.c \
	promoter/util.c

bin_PROGRAMS += promoter/snapshot-promote
promoter_snapshot_promote_SOURCES = \
	promoter/promoter.h \
	promoter/snapshot-promote.c \
	promoter/sp-reply.c \
	promoter/client.c \
	promoter/util.c

TESTS += \
	tests/integration/promote.sh \
	tests/integration/promote-serve.sh \
	tests/integration/promote-hostile.sh \
	tests/integration/promote-apt.sh
EXTRA_DIST += \
	tests/integration/promote.sh \
	tests/integration/promote-serve.sh \
	tests/integration/promote-hostile.sh \
	tests/integration/promote-apt.sh

check_PROGRAMS += \
	tests/unit/t-tokens \
	tests/unit/t-rules \
	tests/unit/t-sp-reply
TESTS += \
	tests/unit/t-tokens \
	tests/unit/t-rules \
	tests/unit/t-sp-reply
tests_unit_t_sp_reply_SOURCES = \
	tests/unit/t-sp-reply.c \
	promoter/sp-reply.c \
	promoter/client.c \
	promoter/util.c
tests_unit_t_sp_reply_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
tests_unit_t_sp_reply_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/promoter
tests_unit_t_tokens_SOURCES = \
	tests/unit/t-tokens.c \
	promoter/tokens.c \
	promoter/util.c
tests_unit_t_tokens_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
tests_unit_t_rules_SOURCES = \
	tests/unit/t-rules.c \
	promoter/env.c \
	promoter/rules.c \
	promoter/notify.c \
	promoter/util.c
tests_unit_t_rules_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
tests_unit_t_tokens_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/promoter
tests_unit_t_rules_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/promoter

# lib/http-client.c: the libcurl set-up of fetch.c, snapshot-promote and
# the notifications, and the curl error adapter.
check_PROGRAMS += tests/unit/t-http-client
TESTS += tests/unit/t-http-client
tests_unit_t_http_client_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
