#!/bin/sh
# check-gates.sh - the testbed checks' failure modes in real
# autopkgtest-virt-unshare testbeds (the cached buildd tarball put where
# `debpipe chroot create` makes it), run by debpipe-snapshotter as an
# unprivileged user (check-testbed.sh has passing and failing tests,
# reverse dependencies, an escaping test and a failing postinst).
#   S1 (Requires: autopkgtest, Check-Timeout: 60s): a test that hangs is
#       stopped by Check-Timeout (a failure saying so), nothing is left.
#   Then (Requires: upgrade, configuration reloaded), the next snapshots
#   are checked normally, two at once (Check-Jobs: 2):
#   S2: dp-clash-a and dp-clash-b ship the same file: upgrade fails with
#       dpkg's "trying to overwrite".
#   S3: dp-clash-b 1.1 fixed, dp-left leaves a file after purge: upgrade
#       fails naming it.
# The results are seen in `snapshot show`, the API, /ui/ and metrics; as
# root without User: the testbed checks refuse (error, saying why).
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

plan 29

if [ "$(id -u)" = 0 ]; then
	inst=$(make_instance "Serve-Public: yes" "User: $user" "Check-Jobs: 2" \
		"Check-Timeout: 60s" "Check-Retry: 1h")
else
	inst=$(make_instance "Serve-Public: yes" "Check-Jobs: 2" \
		"Check-Timeout: 60s" "Check-Retry: 1h")
fi
conf=$inst/debpipe.conf
pub=$inst/public
db=$inst/state/state.db
cat >>"$conf" <<'EOC'

Environment: test
Auto-Promote: yes

Environment: staging
Promote-From: test
Requires: autopkgtest
EOC
dp() { debpipe --config "$conf" "$@"; }
chroot=$(dp --json chroot list bookworm | sed -n 's/^ *"path": *"\(.*\)",*$/\1/p')
mkdir -p "$(dirname "$chroot")" "$pub"
ln "$tb" "$chroot" 2>/dev/null || cp "$tb" "$chroot"
chmod 755 "$T_TMP" "$inst"
[ "$(id -u)" = 0 ] && chown -R "$user" "$inst/state" "$pub" "$inst/tokens"
url=$(sed -n 's/^Listen: /http:\/\//p' "$conf")
on() { [ "$(readlink "$pub/$1")" = "snapshots/$2" ]; }
snap() { dp snapshot now >/dev/null && ck_latest "$inst"; }
msg() { sqlite3 "$db" "SELECT message FROM checks WHERE snapshot = '$1' AND job = '$2'"; }
state() { sqlite3 "$db" "SELECT state FROM checks WHERE snapshot = '$1' AND job = '$2'"; }
debs=$T_TMP/debs

# gk_deb NAME VERSION FILE [POSTINST]: a .deb shipping FILE.
gk_deb() {
	gd=$(mktemp -d "$T_TMP/gkdeb.XXXXXX")
	mkdir -p "$gd/DEBIAN" "$gd$(dirname "$3")"
	echo "$1 $2" >"$gd$3"
	printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: T <t@example.org>\nDescription: test %s\n' \
		"$1" "$2" "$1" >"$gd/DEBIAN/control"
	[ -n "${4:-}" ] && printf '%s\n' "$4" >"$gd/DEBIAN/postinst" && chmod 755 "$gd/DEBIAN/postinst"
	mkdir -p "$debs"
	dpkg-deb --root-owner-group -Zgzip --build "$gd" "$debs/${1}_${2}_all.deb" >/dev/null || return 1
	echo "$debs/${1}_${2}_all.deb"
}

ok "key init" dp key init
ok "add S1: dp-hang, whose test hangs" dp add \
	"$(ck_dsc "$debs" dp-hang 1.0 '#!/bin/sh
echo hanging; sleep 3600')" "$(ck_deb "$debs" dp-hang 1.0 all)" --dist bookworm
s1=$(snap)
t0=$(date +%s)
debpipe-promoter --config "$conf" --foreground >"$T_TMP/promoter.log" 2>&1 &
t_bg $!
wait_for 10 curl -fsS -o /dev/null "$url/snapshots/$s1/dists/bookworm/InRelease" ||
	bail "the promoter does not serve the snapshots: $(cat "$T_TMP/promoter.log")"
debpipe-snapshotter --config "$conf" --foreground -v >"$T_TMP/snapshotter.log" 2>&1 &
spid=$!
t_bg $spid
ok "autopkgtest of S1 recorded" ck_wait_result "$inst" "$s1" autopkgtest 900
echo "# S1 (Check-Timeout 60 s) took $(( $(date +%s) - t0 )) s"
is "$(ck_result "$inst" "$s1" autopkgtest)" failure "the hanging test: failure"
like "$(msg "$s1" autopkgtest)" '^stopped after Check-Timeout \(60 s\)' "saying Check-Timeout stopped it"
no_procs() { ! pgrep -f "$inst/state/checks" >/dev/null && ! pgrep -fx 'sleep 3600' >/dev/null; }
no_work() { ! ls -d "$inst"/state/checks/*/*.work 2>/dev/null | grep -q .; }
ok "soon no autopkgtest, testbed or test process is left" wait_for 60 no_procs
ok "nor a testbed work directory" wait_for 60 no_work
ok "staging does not take S1" sh -c "! on staging '$s1'"
like "$(dp snapshot show "$s1")" 'autopkgtest +failure .*checks/'"$s1"'/autopkgtest\.log' \
	"snapshot show lists autopkgtest with its log"
like "$(curl -fsS "$url/ui/snapshots/$s1")" '<td>autopkgtest</td><td><span class="st failure">failure</span></td><td><a href="[^"]*/checks/'"$s1"'/autopkgtest\.log"' \
	"/ui/ shows autopkgtest linking its log"
like "$(curl -fsS "$url/checks/$s1/autopkgtest.log")" 'autopkgtest' "the log is served"

# The upgrade check from now on (the snapshotter reloads its configuration).
sed -i -e 's/^Check-Timeout: .*/Check-Timeout: 15m/' -e 's/^Requires: autopkgtest$/Requires: upgrade/' "$conf"
kill -HUP $spid
sleep 1
ok "add S2: dp-clash-a and dp-clash-b ship the same file" dp add \
	"$(gk_deb dp-clash-a 1.0 /usr/share/dp-clash/file)" \
	"$(gk_deb dp-clash-b 1.0 /usr/share/dp-clash/file)" --dist bookworm
s2=$(snap)
t1=$(date +%s)
ok "the upgrade check of S2 starts" wait_for 120 sh -c "[ \"\$(sqlite3 '$db' \"SELECT state FROM checks WHERE snapshot = '$s2' AND job = 'upgrade'\")\" = running ]"
hold='#!/bin/sh
set -e
mkdir -p /var/lib/dp-left
echo state >/var/lib/dp-left/state'
ok "add S3: dp-clash-b 1.1 fixed, dp-left leaves a file after purge" dp add \
	"$(gk_deb dp-clash-b 1.1 /usr/share/dp-clash-b/file)" \
	"$(gk_deb dp-left 1.0 /usr/share/dp-left/file "$hold")" --dist bookworm
s3=$(snap)
ok "upgrade of S2 recorded" ck_wait_result "$inst" "$s2" upgrade 900
is "$(ck_result "$inst" "$s2" upgrade)" failure "S2 upgrade fails"
like "$(msg "$s2" upgrade)" "file conflict: .*trying to overwrite '/usr/share/dp-clash/file'" \
	"the summary has dpkg's trying to overwrite"
like "$(cat "$pub/checks/$s2/upgrade.log")" 'DEBPIPE-UPGRADE-FAIL' "the log has the verdict"
ok "upgrade of S3 recorded" ck_wait_result "$inst" "$s3" upgrade 900
echo "# S2 and S3 upgrade checks (in parallel) took $(( $(date +%s) - t1 )) s"
is "$(ck_result "$inst" "$s3" upgrade)" failure "S3 upgrade fails"
like "$(msg "$s3" upgrade)" 'files left after purge: .*/var/lib/dp-left' "naming the file left"
unlike "$(msg "$s3" upgrade)" 'dp-clash' "dp-clash-b 1.1 is fine"
like "$(curl -fsS "$url/api/v1/snapshots/$s3")" '"job": *"upgrade", *"result": *"failure"' \
	"the API shows upgrade"
like "$(curl -fsS "$url/metrics")" 'debpipe_check_results_total\{job="upgrade",result="failure"\} 2' \
	"metrics count both upgrade failures"
is "$(sqlite3 "$db" "SELECT count(*) FROM checks WHERE job = 'autopkgtest' AND snapshot != '$s1'")" 0 \
	"autopkgtest is no longer queued (no environment Requires it)"
is "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok "state.db is intact"
ok "nothing of the testbeds is left in State-Dir" sh -c "! ls -d '$inst'/state/checks/*/*.work 2>/dev/null | grep -q ."

# As real root without User: the testbed checks refuse (error, with why).
if [ "$(id -u)" = 0 ]; then
	kill $spid
	sed -i '/^User: /d' "$conf"
	dp check run "$s3" upgrade >"$T_TMP/root.out" 2>&1
	is "$(ck_result "$inst" "$s3" upgrade)" error "as root without User: error"
	like "$(cat "$pub/checks/$s3/upgrade.log")" 'refusing to run upgrade testbeds as root: set User:' \
		"saying to set User:"
else
	t_result 0 "# SKIP not root"
	t_result 0 "# SKIP not root"
fi

done_testing
