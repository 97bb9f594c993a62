#!/bin/bash
# builder-leftovers.sh - a builder started as the unprivileged debpipe
# user (as its systemd unit does) removes what a killed sbuild left in a
# build's work directory in /var/tmp, though its files belong to
# debpipe's subordinate ids (an unpacked chroot): through a user
# namespace that maps them, when the next build of the watch starts.
. "$top_srcdir/tests/integration/lib.sh" || exit 99
. "$top_srcdir/tests/integration/builder-lib.sh" || exit 99
need git dpkg-buildpackage dh fakeroot sqlite3 setpriv unshare newuidmap bwrap python3

if [ "$(id -u)" != 0 ] || ! id debpipe >/dev/null 2>&1 || ! grep -q '^debpipe:' /etc/subuid; then
	echo "1..0 # SKIP needs root (to act as debpipe) and a debpipe user with subordinate ids (./bootstrap makes them)"
	exit 0
fi

plan 7

as_debpipe() { (cd / && setpriv --reuid=debpipe --regid=debpipe --init-groups env HOME="$inst" "$@"); }
chmod 755 "$T_TMP"
bl_make_repo "$T_TMP/git/pkg" dp-left 1.0 "2026-11-01T10:00:00Z"
inst=$(make_instance)
chmod 755 "$inst"
conf=$inst/debpipe.conf
printf 'Watch: pkg\nType: git\nURL: file://%s\nBranch: main\nDistribution: bookworm\n' \
	"$T_TMP/git/pkg" >"$inst/watch.d/pkg.watch"
mkdir -p "$inst/state" "$inst/public"
chown -R debpipe "$inst" "$T_TMP/git"
db=$inst/state/state.db

ok "builder --once as debpipe: build 1" as_debpipe debpipe-builder --config "$conf" --once
is "$(sqlite3 "$db" "SELECT state FROM builds WHERE id = 1")" success "build 1 succeeded"

# What a killed sbuild leaves: <work prefix>chroot-XXXXXX/chroot.XXXX,
# its files owned by debpipe's subordinate ids.
pre=$(python3 -c '
import sys
h = 14695981039346656037
for c in sys.argv[1].encode():
    h = ((h ^ c) * 1099511628211) % 2**64
print("/var/tmp/debpipe-build-%016x." % h)' "$inst/state/build/1")
left=${pre}chroot-test
leftover() {	# leftover DIR: an unpacked-chroot-like tree owned by subordinate ids
	as_debpipe mkdir -p "$1"
	as_debpipe unshare --user --map-auto --map-root-user sh -c "
		mkdir -p '$1/chroot.x/usr/bin' '$1/chroot.x/etc' &&
		echo data > '$1/chroot.x/usr/bin/tool' && echo x > '$1/chroot.x/etc/conf' &&
		chown -R 100:100 '$1/chroot.x' && chmod 755 '$1/chroot.x/usr/bin'"
}
leftover "$left"
owner=$(stat -c %u "$left/chroot.x/usr/bin/tool")
t_result $([ "$owner" != "$(id -u debpipe)" ] && [ "$owner" != 0 ]; echo $?) "the leftover belongs to a subordinate id ($owner)"
mkdir "$T_TMP/ctl" && chown debpipe "$T_TMP/ctl"
ctl=$T_TMP/ctl/control
leftover "$ctl"
as_debpipe rm -rf "$ctl" 2>/dev/null
ok "a plain rm -rf as debpipe cannot remove such a tree (the check can fail)" test -e "$ctl/chroot.x/usr/bin/tool"

# The next build of the watch removes the work trees of the earlier ones.
echo "more" >"$T_TMP/git/pkg/more.txt"
chown debpipe "$T_TMP/git/pkg/more.txt"
as_debpipe sh -c "cd '$T_TMP/git/pkg' && git add more.txt && GIT_AUTHOR_DATE=2026-11-02T10:00:00Z GIT_COMMITTER_DATE=2026-11-02T10:00:00Z git -c user.name=T -c user.email=t@example.org commit -qm more"
ok "builder --once as debpipe: build 2" as_debpipe debpipe-builder --config "$conf" --once
is "$(sqlite3 "$db" "SELECT state FROM builds WHERE id = 2")" success "build 2 succeeded"
ok "and build 1's leftover chroot is gone" test ! -e "$left"
# (the control tree, not the builder's, is removed the same way)
as_debpipe unshare --user --map-auto --map-root-user rm -rf "$ctl"
done_testing
