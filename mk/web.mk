# The web interface (/ui/) and the forge push hooks of debpipe-promoter
# (issue 14).
promoter_debpipe_promoter_SOURCES += \
	promoter/api.h \
	promoter/api-pipeline.c \
	promoter/html.c \
	promoter/ui.h \
	promoter/ui.c \
	promoter/ui-builds.c \
	promoter/ui-overview.c \
	promoter/ui-snapshot.c \
	promoter/hooks.c \
	promoter/hook-event.c

TESTS += \
	tests/integration/ui.sh \
	tests/integration/hooks.sh
EXTRA_DIST += \
	tests/integration/ui.sh \
	tests/integration/hooks.sh

# The web interface in a real browser (headless Chromium, Selenium).
TESTS += tests/integration/ui-browser.sh
EXTRA_DIST += \
	tests/integration/ui-browser.sh \
	tests/integration/ui-browser.py
CLEANFILES += tests/integration/ui-overview.png

# Outgoing notifications in each Notify-Format.
TESTS += tests/integration/notify.sh
EXTRA_DIST += \
	tests/integration/notify.sh \
	tests/integration/notify-receiver.py

# Unit tests: the escaping writer, the hook payloads and URLs, the
# notification formats.
check_PROGRAMS += \
	tests/unit/t-html \
	tests/unit/t-hook-event \
	tests/unit/t-notify
TESTS += \
	tests/unit/t-html \
	tests/unit/t-hook-event \
	tests/unit/t-notify
tests_unit_t_html_SOURCES = \
	tests/unit/t-html.c \
	promoter/html.c
tests_unit_t_html_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
tests_unit_t_html_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/promoter
tests_unit_t_hook_event_SOURCES = \
	tests/unit/t-hook-event.c \
	promoter/hook-event.c
tests_unit_t_hook_event_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
tests_unit_t_hook_event_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/promoter
tests_unit_t_notify_SOURCES = \
	tests/unit/t-notify.c \
	promoter/notify.c \
	promoter/util.c
tests_unit_t_notify_LDADD = $(DP_LIBS) $(CMOCKA_LIBS)
tests_unit_t_notify_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/promoter

# bench/ui-latency: the pages and the hook over a big state.db (by hand).
EXTRA_DIST += \
	bench/ui-latency \
	bench/README-ui.md

# The admin guide's screenshot of the overview (made by ui-browser.sh).
dist_doc_DATA += doc/ui-overview.png
