#!/bin/sh
# check-kill.sh - a check runner killed with SIGKILL while its
# autopkgtest testbed runs (autopkgtest-virt-unshare on the cached buildd
# tarball, as an unprivileged user) leaves nothing running: every
# process below the runner (autopkgtest, autopkgtest-virt-unshare, unshare
# and the test inside the testbed) is gone within a few seconds, state.db
# and Public-Dir stay consistent (no half-written log), and after a
# restart the check is run again and records its result.
#   S1 (Requires: autopkgtest): dp-wait, whose test waits until the
#   promoter serves Public-Dir/go (the testbed shares the host network).
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

plan 14

if [ "$(id -u)" = 0 ]; then
	inst=$(make_instance "Serve-Public: yes" "User: $user" "Check-Timeout: 15m")
else
	inst=$(make_instance "Serve-Public: yes" "Check-Timeout: 15m")
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
port=${url##*:}
on() { [ "$(readlink "$pub/$1")" = "snapshots/$2" ]; }
snap() { dp snapshot now >/dev/null && ck_latest "$inst"; }
debs=$T_TMP/debs

# descendants PID: every process below PID (by parent pid, whatever
# session or namespace it made).
descendants() {
	ps -eo pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2; pids[NR] = $1 }
		END {
			for (i = 1; i <= NR; i++) {
				p = pids[i]; q = parent[p]; n = 0
				while (q > 1 && n++ < 100) {
					if (q == root) { print p; break }
					q = parent[q]
				}
			}
		}'
}
# alive PID...: the ones still running (not zombies).
alive() {
	for p in "$@"; do
		st=$(sed -n 's/^[0-9]* (.*) \([A-Z]\) .*/\1/p' "/proc/$p/stat" 2>/dev/null)
		[ -n "$st" ] && [ "$st" != Z ] && echo "$p"
	done
}
none_alive() { [ -z "$(alive "$@")" ]; }

ok "key init" dp key init
ok "add S1: dp-wait, whose test waits for Public-Dir/go" dp add \
	"$(ck_dsc "$debs" dp-wait 1.0 "#!/bin/bash
echo DP-WAITING
for i in \$(seq 900); do
	if exec 3<>/dev/tcp/127.0.0.1/$port; then
		printf 'GET /go HTTP/1.0\\r\\n\\r\\n' >&3
		if head -n 1 <&3 | grep -q ' 200 '; then echo released; exit 0; fi
		exec 3<&-
	fi
	sleep 1
done
exit 1")" "$(ck_deb "$debs" dp-wait 1.0 all)" --dist bookworm
s1=$(snap)
debpipe-promoter --config "$conf" --foreground >"$T_TMP/promoter.log" 2>&1 &
t_bg $!
wait_for 10 curl -fsS -o /dev/null "$url/snapshots/$s1/dists/bookworm/InRelease" ||
	bail "the promoter does not serve the snapshots: $(cat "$T_TMP/promoter.log")"
debpipe-snapshotter --config "$conf" --foreground -v >"$T_TMP/snapshotter.log" 2>&1 &
spid=$!
t_bg $spid
log=$inst/state/checks/$s1/autopkgtest.log
ok "the test of S1 runs in its testbed" wait_for 600 grep -q DP-WAITING "$log"
runner=$(pgrep -f -- "--check $s1 autopkgtest" | head -n 1)
tree=$(descendants "$runner")
like "$(ps -o args= -p "$(echo $tree | tr ' ' ,)")" 'autopkgtest-virt-unshare' \
	"autopkgtest-virt-unshare runs below the check runner"
echo "# below the runner: $(echo $tree | wc -w) processes"
t0=$(date +%s)
kill -9 "$spid" "$runner"
ok "the runner and the snapshotter are gone" wait_for 5 none_alive "$spid" "$runner"
ok "within a few seconds nothing of the testbed is left" wait_for 10 none_alive $tree
echo "# gone after $(( $(date +%s) - t0 )) s; left: $(alive $tree)"
is "$(pgrep -f -- "$inst/state/c" | wc -l)" 0 "no process names the check or chroot paths"
is "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok "state.db is intact"
is "$(sqlite3 "$db" "SELECT count(*) FROM results WHERE snapshot = '$s1'")" 0 "no result was recorded"
is "$(find "$pub/checks" -name '.tmp-*' 2>/dev/null | wc -l)" 0 "no half-written log in Public-Dir"

echo go >"$pub/go"
[ "$(id -u)" = 0 ] && chown "$user" "$pub/go"
debpipe-snapshotter --config "$conf" --foreground -v >"$T_TMP/snapshotter2.log" 2>&1 &
t_bg $!
ok "after a restart the check of S1 is run again and passes" wait_for 900 sh -c \
	"[ \"\$(sqlite3 '$db' \"SELECT result FROM results WHERE snapshot = '$s1' AND job = 'autopkgtest' ORDER BY id DESC LIMIT 1\")\" = success ]"
like "$(cat "$pub/checks/$s1/autopkgtest.log")" 'released' "the published log is the second run's"
ok "staging takes S1" wait_for 30 on staging "$s1"
ok "nothing of the testbeds is left in State-Dir" sh -c "! ls -d '$inst'/state/checks/*/*.work 2>/dev/null | grep -q ."

done_testing
