#!/bin/sh
# check-testbed.sh - the built-in autopkgtest and upgrade checks in real
# autopkgtest-virt-unshare testbeds made from the cached buildd tarball
# (chroot-lib.sh), as an unprivileged user, with the snapshot served by
# the promoter as the testbeds' apt source.
#   S1: dp-pass (passing debian/tests) and dp-up 1.0: both pass; staging
#       (Requires: autopkgtest upgrade) and prod take S1.
#   S2: dp-fail (a failing debian/tests/smoke) and dp-up 2.0, whose postinst
#       fails on upgrade only: autopkgtest fails naming smoke, upgrade
#       fails from prod's dp-up 1.0; staging stays on S1.
#   S3: both fixed: staging moves to S3.
. "$top_srcdir/tests/integration/lib.sh" || exit 99
. "$top_srcdir/tests/integration/apt-lib.sh" || exit 99
. "$top_srcdir/tests/integration/chroot-lib.sh" || exit 99
. "$top_srcdir/tests/integration/check-lib.sh" || exit 99
need autopkgtest autopkgtest-virt-unshare mmdebstrap newuidmap dpkg-source sqlite3 curl

if ! user=$(ck_user); then
	[ -n "${CI:-}" ] && bail "no unprivileged user with /etc/subuid ranges"
	echo "1..0 # SKIP needs root or a user with /etc/subuid ranges"
	exit 0
fi
tb=$(test_chroot_tarball) || bail "cannot make the test chroot"

plan 24

if [ "$(id -u)" = 0 ]; then
	inst=$(make_instance "Serve-Public: yes" "User: $user" "Check-Jobs: 2" "Check-Timeout: 15m")
else
	inst=$(make_instance "Serve-Public: yes" "Check-Jobs: 2" "Check-Timeout: 15m")
fi
conf=$inst/debpipe.conf
pub=$inst/public
cat >>"$conf" <<'EOC'

Environment: test
Auto-Promote: yes

Environment: staging
Promote-From: test
Requires: autopkgtest upgrade

Environment: prod
Promote-From: staging
EOC
# The checks use the chroot of `debpipe chroot create` (State-Dir/chroots):
# the cached test tarball is put where that command makes it.
dp() { debpipe --config "$conf" "$@"; }
chroot=$(dp --json chroot list bookworm | sed -n 's/^ *"path": *"\(.*\)",*$/\1/p')
mkdir -p "$(dirname "$chroot")" "$pub"
ln "$tb" "$chroot" 2>/dev/null || cp "$tb" "$chroot"
chmod 755 "$T_TMP" "$inst"
[ "$(id -u)" = 0 ] && chown -R "$user" "$inst/state" "$pub" "$inst/tokens"
url=$(sed -n 's/^Listen: /http:\/\//p' "$conf")
on() { [ "$(readlink "$pub/$1")" = "snapshots/$2" ]; }
snap() { dp snapshot now >/dev/null && ck_latest "$inst"; }
debs=$T_TMP/debs

fails_on_upgrade='#!/bin/sh
set -e
if [ "$1" = configure ] && [ -n "${2:-}" ]; then
	echo "dp-up: cannot upgrade from $2" >&2
	exit 1
fi'

like "$(dp chroot list bookworm)" 'bookworm +bookworm +amd64 .* ok$' \
	"debpipe chroot list sees the chroot the checks use"
ok "key init" dp key init
ok "add S1: dp-pass (source and binary) and dp-up 1.0" dp add \
	"$(ck_dsc "$debs" dp-pass 1.0 '#!/bin/sh
dp-pass-hello | grep "hello from dp-pass"')" \
	"$(ck_deb "$debs" dp-pass 1.0 all)" \
	"$(ck_deb "$debs" dp-up 1.0 all '#!/bin/sh
exit 0')" --dist bookworm
s1=$(snap)
like "$(cat "$pub/snapshots/$s1/dists/bookworm/main/source/Sources")" 'Testsuite: autopkgtest' \
	"the snapshot's Sources says dp-pass has tests"
t0=$(date +%s)
debpipe-promoter --config "$conf" --foreground >"$T_TMP/promoter.log" 2>&1 &
t_bg $!
wait_for 10 curl -fsS -o /dev/null "$url/snapshots/$s1/dists/bookworm/InRelease" ||
	bail "the promoter does not serve the snapshots: $(cat "$T_TMP/promoter.log")"
debpipe-snapshotter --config "$conf" --foreground -v >"$T_TMP/snapshotter.log" 2>&1 &
t_bg $!
ok "autopkgtest of S1 recorded" ck_wait_result "$inst" "$s1" autopkgtest 300
is "$(ck_result "$inst" "$s1" autopkgtest)" success "S1 autopkgtest passes"
ok "upgrade of S1 recorded" ck_wait_result "$inst" "$s1" upgrade 300
is "$(ck_result "$inst" "$s1" upgrade)" success "S1 upgrade (fresh installs) passes"
echo "# S1 checks took $(( $(date +%s) - t0 )) s"
alog=$pub/checks/$s1/autopkgtest.log
like "$(cat "$alog")" 'smoke +PASS' "the log has autopkgtest's summary"
like "$(cat "$alog")" "$chroot" "in a testbed from the chroot of debpipe chroot create"
like "$(sqlite3 "$inst/state/state.db" "SELECT message FROM checks WHERE snapshot = '$s1' AND job = 'autopkgtest'")" \
	'^1 passed$' "one source was tested (dp-up has no source: nothing to test)"
ok "staging takes S1" wait_for 30 on staging "$s1"
ok "prod takes S1" wait_for 30 on prod "$s1"

ok "add S2: dp-fail with a failing test, dp-up 2.0 failing on upgrade" dp add \
	"$(ck_dsc "$debs" dp-fail 1.0 '#!/bin/sh
echo "this test fails"; exit 1')" \
	"$(ck_deb "$debs" dp-fail 1.0 all)" \
	"$(ck_deb "$debs" dp-up 2.0 all "$fails_on_upgrade")" --dist bookworm
s2=$(snap)
ok "autopkgtest of S2 recorded" ck_wait_result "$inst" "$s2" autopkgtest 300
is "$(ck_result "$inst" "$s2" autopkgtest)" failure "S2 autopkgtest fails"
like "$(sqlite3 "$inst/state/state.db" "SELECT message FROM checks WHERE snapshot = '$s2' AND job = 'autopkgtest'")" \
	'dp-fail \(smoke\)' "naming the source and the failing test"
ok "upgrade of S2 recorded" ck_wait_result "$inst" "$s2" upgrade 300
is "$(ck_result "$inst" "$s2" upgrade)" failure "S2 upgrade fails"
like "$(cat "$pub/checks/$s2/upgrade.log")" 'dp-up: cannot upgrade from 1\.0' \
	"the log shows the failing postinst (upgrade from prod's 1.0)"
sleep 3
ok "staging stays on S1" on staging "$s1"

ok "add S3: both fixed" dp add \
	"$(ck_dsc "$debs" dp-fail 1.1 '#!/bin/sh
dp-fail-hello')" \
	"$(ck_deb "$debs" dp-fail 1.1 all)" \
	"$(ck_deb "$debs" dp-up 2.1 all '#!/bin/sh
exit 0')" --dist bookworm
s3=$(snap)
ok "staging moves to S3 (autopkgtest and upgrade pass)" wait_for 400 on staging "$s3"
ok "nothing of the testbeds is left in State-Dir" sh -c "! ls -d '$inst'/state/checks/*/*.work 2>/dev/null | grep -q ."

done_testing
