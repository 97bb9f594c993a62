# tests/integration/check-lib.sh - helpers for the built-in check tests
# (after lib.sh and apt-lib.sh).
#
#   ck_mirror DIR                   # a signed "bookworm" background repo
#                                   #   with libbase 1.0 (needs up_key)
#   ck_instance MIRROR-URL [GLOBAL-FIELDS...]
#                                   # instance with Build-Mirror: and test
#                                   #   -> staging (Requires: installability)
#   ck_latest INST                  # newest snapshot id
#   ck_result INST ID JOB           # latest result of JOB for ID
#   ck_wait_result INST ID JOB SECS # wait for a result of JOB for ID

ck_mirror() {
	up_init "$1" bookworm
	up_add "$1" "$(make_deb "$T_TMP/mirror-debs" libbase 1.0 amd64)"
	up_add "$1" "$(make_deb "$T_TMP/mirror-debs" base-files 12.4 amd64 'Essential: yes')"
	up_index "$1" bookworm && up_sign "$1" bookworm
}

ck_instance() {
	ci_url=$1
	shift
	ci=$(make_instance "$@")
	cat >>"$ci/debpipe.conf" <<EOC
Build-Mirror: $ci_url
Build-Suite: bookworm
Build-Keyring: $UP_KEYRING

Environment: test
Auto-Promote: yes

Environment: staging
Promote-From: test
Requires: installability
EOC
	echo "$ci"
}

ck_latest() { readlink "$1/public/latest" | sed 's,^snapshots/,,'; }

ck_result() {
	sqlite3 "$1/state/state.db" "SELECT result FROM results WHERE snapshot = '$2' AND job = '$3' ORDER BY id DESC LIMIT 1"
}

ck_has_result() { [ -n "$(ck_result "$@")" ]; }

ck_wait_result() { wait_for "$4" ck_has_result "$1" "$2" "$3"; }

# ck_user: the unprivileged user the testbed checks run as: as root the
# debpipe user with its /etc/subuid and /etc/subgid ranges, as
# `sudo ./bootstrap` makes them (also for the clean-room builds), given
# to the daemons as User:; otherwise the current user with its ranges.
# Prints the name, or fails saying what is missing.
ck_user() {
	if [ "$(id -u)" = 0 ]; then
		cu=debpipe
	else
		cu=$(id -un)
	fi
	if ! id "$cu" >/dev/null 2>&1 || ! grep -q "^$cu:" /etc/subuid ||
	    ! grep -q "^$cu:" /etc/subgid; then
		echo "no user $cu with /etc/subuid and /etc/subgid ranges (run sudo ./bootstrap)" >&2
		return 1
	fi
	echo "$cu"
}

# ck_deb OUT NAME VERSION ARCH [POSTINST-TEXT] [EXTRA-CONTROL]: a .deb
# with /usr/bin/NAME-hello and, if given, a postinst; prints its path.
ck_deb() {
	cd_dir=$(mktemp -d "$T_TMP/ckdeb.XXXXXX")
	mkdir -p "$cd_dir/DEBIAN" "$cd_dir/usr/bin"
	printf '#!/bin/sh\necho hello from %s %s\n' "$2" "$3" >"$cd_dir/usr/bin/$2-hello"
	chmod 755 "$cd_dir/usr/bin/$2-hello"
	{
		echo "Package: $2"
		echo "Version: $3"
		echo "Architecture: $4"
		echo "Maintainer: Test <test@example.org>"
		echo "Source: $2"
		[ -n "${6:-}" ] && printf '%s\n' "$6"
		echo "Description: test package $2"
		echo " A package made by the debpipe check tests."
	} >"$cd_dir/DEBIAN/control"
	if [ -n "${5:-}" ]; then
		printf '%s\n' "$5" >"$cd_dir/DEBIAN/postinst"
		chmod 755 "$cd_dir/DEBIAN/postinst"
	fi
	mkdir -p "$1"
	dpkg-deb --root-owner-group -Zgzip --build "$cd_dir" "$1/${2}_${3}_$4.deb" >/dev/null || return 1
	rm -rf "$cd_dir"
	echo "$1/${2}_${3}_$4.deb"
}

# ck_dsc OUT NAME VERSION TEST-SCRIPT: a native source package whose
# debian/tests/smoke is TEST-SCRIPT (Depends: NAME); prints the .dsc.
ck_dsc() {
	cs_dir=$(mktemp -d "$T_TMP/ckdsc.XXXXXX")/$2-$3
	mkdir -p "$cs_dir/debian/tests" "$cs_dir/debian/source"
	cat >"$cs_dir/debian/control" <<EOC
Source: $2
Section: misc
Priority: optional
Maintainer: Test <test@example.org>
Standards-Version: 4.6.2
Rules-Requires-Root: no

Package: $2
Architecture: all
Description: test package $2
 A package made by the debpipe check tests.
EOC
	printf '%s (%s) unstable; urgency=medium\n\n  * test\n\n -- Test <test@example.org>  Mon, 07 Dec 2026 00:00:00 +0000\n' \
		"$2" "$3" >"$cs_dir/debian/changelog"
	echo "3.0 (native)" >"$cs_dir/debian/source/format"
	printf '#!/usr/bin/make -f\n%%:\n\tdh $@\n' >"$cs_dir/debian/rules"
	chmod 755 "$cs_dir/debian/rules"
	printf 'Tests: smoke\nDepends: %s\n' "$2" >"$cs_dir/debian/tests/control"
	printf '%s\n' "$4" >"$cs_dir/debian/tests/smoke"
	chmod 755 "$cs_dir/debian/tests/smoke"
	mkdir -p "$1"
	(cd "$(dirname "$cs_dir")" && dpkg-source -b "$2-$3" >/dev/null 2>&1) || return 1
	cp "$(dirname "$cs_dir")/$2_$3.dsc" "$(dirname "$cs_dir")/$2_$3.tar.xz" "$1/" || return 1
	echo "$1/$2_$3.dsc"
}
