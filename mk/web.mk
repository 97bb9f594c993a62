# The web interface (/ui/) and the forge push hooks of debpipe-promoter
# (issue 14).
promoter_debpipe_promoter_SOURCES += \
	promoter/api.h \
	promoter/api-pipeline.c \
	promoter/html.c \
	promoter/ui.c \
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
