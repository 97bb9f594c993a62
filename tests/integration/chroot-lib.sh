# tests/integration/chroot-lib.sh - one buildd chroot tarball shared by
# every clean-room and check test of a run (and between runs).
#
#   . "$top_srcdir/tests/integration/chroot-lib.sh"
#   tb=$(test_chroot_tarball) || bail "no chroot"
#
# The tarball is made once with mmdebstrap (--variant=buildd with
# debhelper and fakeroot, package lists kept, as debpipe does; the host's
# Debian mirror, Debian's archive keyring) into $DEBPIPE_TEST_CACHE
# (default /var/tmp/debpipe-test-cache), under a lock so that parallel
# tests wait for one another instead of each making their own, and made
# again when older than a day.  It is world-readable: the builds run as
# an unprivileged user.

: "${DEBPIPE_TEST_CACHE:=/var/tmp/debpipe-test-cache}"
: "${DEBPIPE_TEST_SUITE:=bookworm}"
export DEBPIPE_TEST_CACHE DEBPIPE_TEST_SUITE

# The Debian mirror of the host's own apt sources (deb822 or one-line).
test_host_mirror() {
	m=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
	    grep -v security | head -n 1)
	[ -n "$m" ] || m=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .*/\2/p' \
	    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
	    grep -v security | head -n 1)
	echo "${m:-http://deb.debian.org/debian}"
}

test_chroot_tarball() {
	arch=$(dpkg --print-architecture)
	# (made as debpipe makes its chroots by default: Chroot-Include
	# debhelper fakeroot, package lists kept; "-dh" so that a cached
	# plain one is not taken for it)
	tb=$DEBPIPE_TEST_CACHE/$DEBPIPE_TEST_SUITE-$arch-dh.tar.zst
	mkdir -p "$DEBPIPE_TEST_CACHE" && chmod 0755 "$DEBPIPE_TEST_CACHE" || return 1
	(
		flock 9
		if [ -s "$tb" ] && [ -z "$(find "$tb" -mmin +1440)" ]; then
			exit 0
		fi
		echo "# making the test chroot $tb (once per day)" >&2
		new=$DEBPIPE_TEST_CACHE/.new-$DEBPIPE_TEST_SUITE-$arch-dh.tar.zst
		mmdebstrap --quiet --variant=buildd \
		    --include=debhelper,fakeroot --skip=cleanup/apt/lists \
		    "$DEBPIPE_TEST_SUITE" "$new" "$(test_host_mirror)" >&2 &&
		chmod 0644 "$new" && mv -f "$new" "$tb"
	) 9>"$DEBPIPE_TEST_CACHE/.lock" || return 1
	echo "$tb"
}
