#!/bin/sh
# check-testbed.sh - the built-in autopkgtest and upgrade checks in real
# autopkgtest-virt-unshare testbeds made from the cached buildd tarball
# (chroot-lib.sh), as an unprivileged user, with the snapshot served by
# the promoter as the testbeds' apt source.
#   S0 (not checked): dp-rdep-a, dp-rdep-b, with tests, Depends: dp-pass.
#   S1: dp-pass (passing debian/tests) and dp-up 1.0: both pass, and so
#       does one reverse dependency (dp-rdep-a; dp-rdep-b is over
#       Autopkgtest-Max-Reverse: 1); staging (Requires: autopkgtest
#       upgrade) and prod take S1.
#   S2: dp-fail, whose debian/tests/smoke tries to leave its testbed (read
#       State-Dir and the tokens, write Public-Dir, State-Dir and a host
#       file, post a result to the promoter) and so fails, and dp-up 2.0,
#       whose postinst fails on upgrade only: autopkgtest fails naming
#       smoke, nothing on the host changed, upgrade fails from prod's
#       dp-up 1.0; staging stays on S1.
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

plan 33

if [ "$(id -u)" = 0 ]; then
	inst=$(make_instance "Serve-Public: yes" "User: $user" "Check-Jobs: 2" "Check-Timeout: 15m" \
		"Autopkgtest-Max-Reverse: 1")
else
	inst=$(make_instance "Serve-Public: yes" "Check-Jobs: 2" "Check-Timeout: 15m" \
		"Autopkgtest-Max-Reverse: 1")
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
echo "tok-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ') admin tester" >"$inst/tokens"
[ "$(id -u)" = 0 ] && chown -R "$user" "$inst/state" "$pub" "$inst/tokens"
url=$(sed -n 's/^Listen: /http:\/\//p' "$conf")
port=${url##*:}
db=$inst/state/state.db
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
rdep_test='#!/bin/sh
dp-pass-hello'
ok "add S0: dp-rdep-a, dp-rdep-b (Depends: dp-pass)" dp add \
	"$(ck_dsc "$debs" dp-rdep-a 1.0 "$rdep_test")" \
	"$(ck_deb "$debs" dp-rdep-a 1.0 all '' 'Depends: dp-pass')" \
	"$(ck_dsc "$debs" dp-rdep-b 1.0 "$rdep_test")" \
	"$(ck_deb "$debs" dp-rdep-b 1.0 all '' 'Depends: dp-pass')" --dist bookworm
s0=$(snap)
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
ok "autopkgtest of S1 recorded" ck_wait_result "$inst" "$s1" autopkgtest 900
is "$(ck_result "$inst" "$s1" autopkgtest)" success "S1 autopkgtest passes"
ok "upgrade of S1 recorded" ck_wait_result "$inst" "$s1" upgrade 900
is "$(ck_result "$inst" "$s1" upgrade)" success "S1 upgrade (fresh installs) passes"
echo "# S1 checks took $(( $(date +%s) - t0 )) s"
alog=$pub/checks/$s1/autopkgtest.log
like "$(cat "$alog")" 'smoke +PASS' "the log has autopkgtest's summary"
like "$(cat "$alog")" "$chroot" "in a testbed from the chroot of debpipe chroot create"
like "$(sqlite3 "$inst/state/state.db" "SELECT message FROM checks WHERE snapshot = '$s1' AND job = 'autopkgtest'")" \
	'^2 passed$' "dp-pass and one reverse dependency were tested (dp-up has no source)"
like "$(cat "$alog")" '== dp-rdep-a 1\.0 \(reverse dependency\): autopkgtest' "dp-rdep-a as a reverse dependency"
unlike "$(cat "$alog")" '== dp-rdep-b' "dp-rdep-b is over Autopkgtest-Max-Reverse: 1"
ok "staging takes S1" wait_for 300 on staging "$s1"
ok "prod takes S1" wait_for 300 on prod "$s1"

# dp-fail's test tries to get out of its testbed; it passes only if it did.
escape="#!/bin/bash
n=0
cat '$db' >/dev/null && n=\$((n+1)) && echo 'ESCAPED: read State-Dir'
grep tok- '$inst/tokens' && n=\$((n+1)) && echo 'ESCAPED: read the tokens'
echo x >'$pub/escaped' && n=\$((n+1))
echo x >'$inst/state/escaped' && n=\$((n+1))
echo x >'$T_TMP/host-marker' && n=\$((n+1))
if exec 3<>/dev/tcp/127.0.0.1/$port; then
	body='{\"job\": \"escape\", \"result\": \"success\"}'
	printf 'POST /api/v1/snapshots/latest/results HTTP/1.0\\r\\nContent-Type: application/json\\r\\nContent-Length: %d\\r\\n\\r\\n%s' \${#body} \"\$body\" >&3
	head -n 1 <&3
fi
echo \"escapes that worked: \$n\"
[ \$n -eq 5 ]"
ok "add S2: dp-fail with an escaping (failing) test, dp-up 2.0 failing on upgrade" dp add \
	"$(ck_dsc "$debs" dp-fail 1.0 "$escape")" \
	"$(ck_deb "$debs" dp-fail 1.0 all)" \
	"$(ck_deb "$debs" dp-up 2.0 all "$fails_on_upgrade")" --dist bookworm
s2=$(snap)
ok "autopkgtest of S2 recorded" ck_wait_result "$inst" "$s2" autopkgtest 900
is "$(ck_result "$inst" "$s2" autopkgtest)" failure "S2 autopkgtest fails"
like "$(sqlite3 "$inst/state/state.db" "SELECT message FROM checks WHERE snapshot = '$s2' AND job = 'autopkgtest'")" \
	'dp-fail \(smoke\)' "naming the source and the failing test"
alog2=$pub/checks/$s2/autopkgtest.log
unlike "$(cat "$alog2")" 'ESCAPED' "the test read neither State-Dir nor the tokens"
like "$(cat "$alog2")" 'escapes that worked: [0-3]' "its writes failed or stayed inside the testbed"
ok "nothing written to Public-Dir" test ! -e "$pub/escaped"
ok "nothing written to State-Dir" test ! -e "$inst/state/escaped"
ok "no file made on the host" test ! -e "$T_TMP/host-marker"
is "$(sqlite3 "$db" "SELECT count(*) FROM results WHERE job = 'escape'")" 0 \
	"no result posted from inside the testbed (it has no token)"
ok "upgrade of S2 recorded" ck_wait_result "$inst" "$s2" upgrade 900
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
ok "staging moves to S3 (autopkgtest and upgrade pass)" wait_for 900 on staging "$s3"
ok "nothing of the testbeds is left in State-Dir" sh -c "! ls -d '$inst'/state/checks/*/*.work 2>/dev/null | grep -q ."

done_testing
