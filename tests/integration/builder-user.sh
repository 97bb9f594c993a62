#!/bin/bash
# debpipe-builder started as root with User: set builds as that user:
# dpkg-buildpackage with -rfakeroot, files owned by the user, a HOME the
# user cannot read does not matter, and `debpipe watch check` run by
# root leaves nothing root-owned behind.
. "$top_srcdir/tests/integration/lib.sh" || exit 99
. "$top_srcdir/tests/integration/builder-lib.sh" || exit 99
need git dpkg-buildpackage dh fakeroot sqlite3

user=nobody
if [ "$(id -u)" != 0 ] || ! id "$user" >/dev/null 2>&1; then
	echo "1..0 # SKIP needs root and a user $user"
	exit 0
fi

plan 9

chmod 755 "$T_TMP"
bl_make_repo "$T_TMP/git/pkg" dp-user 1.0 "2026-11-01T10:00:00Z"
inst=$(make_instance "User: $user")
chmod 755 "$inst"
conf=$inst/debpipe.conf
printf 'Watch: pkg\nType: git\nURL: file://%s\nBranch: main\nDistribution: bookworm\n' \
	"$T_TMP/git/pkg" >"$inst/watch.d/pkg.watch"
mkdir -p "$inst/state" "$inst/public"
chown "$user" "$inst/state" "$inst/public"

ok "debpipe watch check as root" env HOME=/root debpipe --config "$conf" watch check pkg
is "$(find "$inst/state" -user root | wc -l)" 0 "nothing in State-Dir is owned by root"
ok "debpipe-builder --once as root (HOME=/root unreadable to $user)" \
	env HOME=/root debpipe-builder --config "$conf" --once
like "$(last_output)" "running as user $user" "it switched to $user"
log=$inst/state/logs/build-1.log
ok "dpkg-buildpackage ran with -rfakeroot" grep -q "running dpkg-buildpackage -us -uc -b -rfakeroot" "$log"
deb=$(find "$inst/public/pool" -name 'dp-user_*_all.deb')
ok "the package is in the pool" test -f "$deb"
is "$(stat -c %U "$deb")" "$user" "owned by $user"
is "$(find "$inst/state" "$inst/public" -user root | wc -l)" 0 "nothing owned by root"
is "$(dpkg-deb -c "$deb" | awk '{ print $2 }' | sort -u)" "root/root" \
	"files in the .deb belong to root/root (fakeroot)"

done_testing
