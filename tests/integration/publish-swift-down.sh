#!/bin/sh
# publish-swift-down.sh - the Swift proxy goes away in the middle of a
# `debpipe publish sync` (120 packages, Publish-Jobs 2) and comes back:
# the sync ends within its retries with one clear error that names the
# target, `debpipe status` shows the target's error and what is still to
# upload, the local tree and state.db are untouched and the local apt
# source keeps working, every InRelease on the target still refers only
# to objects that are there; once the proxy is back the next sync
# uploads only what is missing (nothing recorded before is PUT again)
# and `publish verify` finds the target equal to state.db.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/swift-lib.sh"
need dpkg-deb apt-get gpg python3 curl sqlite3
swift_need

plan 21

swift_start
ok "swift container pub (public read)" swift_container pub
inst=$(make_instance)
conf=$inst/debpipe.conf
pub=$inst/public
db=$inst/state/state.db
debs=$T_TMP/debs
url=$(sed -n 's/^Public-URL: //p' "$conf")
printf 'User: test:tester\nKey: testing\n' >"$inst/swift.cred"
chmod 600 "$inst/swift.cred"
cat >>"$conf" <<EOC

Environment: test
Auto-Promote: yes

Publish-To: swift://pub/deb
Publish-Endpoint: $SWIFT_AUTH
Publish-Credentials: $inst/swift.cred
Publish-Jobs: 2
EOC
dp() { debpipe --config "$conf" "$@"; }
export DEBPIPE_REMOTE_SCHED=off

ok "key init" dp key init
# 120 packages of 200 KB each (random, so that they stay that big).
files=
for i in $(seq 1 120); do
	d=$T_TMP/src/pkg$i
	mkdir -p "$d/DEBIAN" "$d/usr/share/pkg$i"
	printf 'Package: pkg%s\nVersion: 1.0-1\nArchitecture: amd64\nMaintainer: Test <test@example.org>\nDescription: test package\n' "$i" >"$d/DEBIAN/control"
	head -c 200000 /dev/urandom >"$d/usr/share/pkg$i/data"
	mkdir -p "$debs"
	dpkg-deb -Znone --build "$d" "$debs/pkg${i}_1.0-1_amd64.deb" >/dev/null || bail "dpkg-deb"
	files="$files $debs/pkg${i}_1.0-1_amd64.deb"
done
ok "add 120 packages" dp add $files --dist bookworm
ok "snapshot now" dp snapshot now
debpipe-promoter --config "$conf" --foreground --once >"$T_TMP/promoter.log" 2>&1
ok "environment test takes it" test -L "$pub/test"

# The sync starts; once some objects are up, the proxy goes away.
debpipe --config "$conf" publish sync >"$T_TMP/sync.1" 2>&1 &
p=$!
wait_for 60 sh -c "[ \$(sqlite3 '$db' 'SELECT count(*) FROM remote_objects' 2>/dev/null || echo 0) -ge 10 ]" ||
	echo "# (fewer than 10 objects up after 60 s)"
swift_stop_proxy
t0=$(date +%s)
before=$(sqlite3 "$db" "SELECT count(*) FROM remote_objects")
echo "# proxy stopped with $before objects recorded"
wait $p
rc=$?
secs=$(( $(date +%s) - t0 ))
t_result $([ $rc != 0 ]; echo $?) "the sync fails (exit $rc) once the proxy is gone"
t_result $([ $secs -le 120 ]; echo $?) "within its retries: $secs s after the proxy went away"
out=$(cat "$T_TMP/sync.1")
echo "$out" | tail -n 3 | sed 's/^/#   /'
like "$out" "swift://pub/deb" "the error names the target"
t_result $([ "$(echo "$out" | grep -c 'swift://pub/deb.*swift://pub/deb')" = 0 ]; echo $?) \
	"and names it once per line"
ok "status shows the target's error" dp status
like "$(last_output)" "swift://pub/deb" "status lists the target"
st=$(last_output)
like "$st" "error|failed|refused|connect" "status shows what went wrong"
debpipe --config "$conf" publish verify >"$T_TMP/verify.down" 2>&1
t_result $([ $? != 0 ]; echo $?) "publish verify fails while the proxy is down"
t_result $(grep -q "swift://pub/deb: verify FAILED" "$T_TMP/verify.down" && ! grep -q " 0 missing" "$T_TMP/verify.down"; echo $?) \
	"and says it failed, with no counts that read as a clean target ($(grep FAILED "$T_TMP/verify.down" | head -n 1))"
ok "state.db is sound" sh -c "[ \"\$(sqlite3 '$db' 'PRAGMA integrity_check')\" = ok ]"
lar=$(apt_root "$url" bookworm main "$pub/debpipe-archive-keyring.gpg")
ok "the local tree is untouched: apt-get update from it" apt_get "$lar" update

# The proxy comes back: the next sync finishes the job.
sqlite3 "$db" "SELECT key FROM remote_objects" | sort >"$T_TMP/recorded"
swift_start_proxy || bail "the swift proxy did not start again"
mark=$(swift_log_mark)
ok "once the proxy is back, sync completes" dp publish sync
tail -n +$((mark + 1)) "$SWIFT_DIR/swift.log" | awk '$5 == "PUT" && $6 ~ /^\/v1\/AUTH_test\/pub\/deb\// { sub(/^\/v1\/AUTH_test\/pub\/deb\//, "", $6); if ($6 ~ /^pool\// || $6 ~ /\/by-hash\//) print $6 }' |
	grep -Fx -f "$T_TMP/recorded" >"$T_TMP/dup"
is "$(wc -l <"$T_TMP/dup")" 0 "nothing recorded before the outage was uploaded again"
ok "verify: the target equals state.db" dp publish verify
like "$(last_output)" ' 0 missing, 0 wrong, 0 unknown' "and says so"
envar=$(apt_root "$SWIFT_PUBLIC/pub/deb" "bookworm/test" main "$pub/debpipe-archive-keyring.gpg")
ok "apt-get update of the environment through Swift" apt_get "$envar" update
done_testing
