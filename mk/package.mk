# Packaging: debian/, systemd units, nginx example, man pages, admin guide,
# and the package/install integration tests.  (Owned by the package work.)

dist_man_MANS += \
	doc/debpipe.1 \
	doc/snapshot-promote.1 \
	doc/debpipe-builder.8 \
	doc/debpipe-snapshotter.8 \
	doc/debpipe-promoter.8

dist_doc_DATA += \
	doc/admin-guide.md \
	doc/architecture.md

EXTRA_DIST += \
	debian \
	etc/systemd/debpipe-builder.service \
	etc/systemd/debpipe-snapshotter.service \
	etc/systemd/debpipe-promoter.service \
	etc/nginx/debpipe.conf \
	tests/integration/package.sh \
	tests/integration/install.sh \
	tests/integration/units.sh

# package.sh builds the .deb with dpkg-buildpackage from a copy of the
# tree and runs lintian on it (about 1 minute on 2 cores); install.sh
# installs that .deb in a cached bookworm chroot (root only: it skips
# otherwise, and fails in CI; about 1 minute the first time, while
# mmdebstrap fills /var/cache/debpipe-tests, then 20 s).
TESTS += \
	tests/integration/package.sh \
	tests/integration/install.sh

# units.sh: the systemd units of etc/systemd (systemd-analyze verify and
# security, and the user namespaces the builder and snapshotter need,
# made as each unit would make them).
TESTS += tests/integration/units.sh

# The unit tests alone: what debian/rules runs at package build time
# (override_dh_auto_test), where the integration tests cannot run.
check-unit:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(filter tests/unit/%,$(TESTS))'

# Just these two: "make check-package".
check-package:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='tests/integration/package.sh tests/integration/install.sh'

# install.sh uses the .deb package.sh leaves in tests/integration/debs/.
tests/integration/install.log: tests/integration/package.log

clean-local: clean-local-package
clean-local-package:
	-rm -rf tests/integration/debs

.PHONY: check-unit check-package clean-local-package
