#!/bin/sh
# publish-swift-bg.sh - the daemons publish to object storage by
# themselves, in the background: debpipe-snapshotter uploads each new
# snapshot and debpipe-promoter each environment move (promote,
# rollback) to a real single-node Swift, while a second target that is
# down fails, is retried with backoff, shows its error, and delays
# nothing else; the real apt-get updates and installs through the Swift
# URL.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/swift-lib.sh"
need dpkg-deb apt-get gpg python3 curl sqlite3
swift_need

plan 38

swift_start
ok "swift container pub (public read)" swift_container pub

inst=$(make_instance)
conf=$inst/debpipe.conf
pub=$inst/public
db=$inst/state/state.db
debs=$T_TMP/debs
url=$(sed -n 's/^Public-URL: //p' "$conf")
sed -i 's/^Snapshot-Interval: .*/Snapshot-Interval: 2s/' "$conf"
printf 'User: test:tester\nKey: testing\n' >"$inst/swift.cred"
printf 'Access-Key: x\nSecret-Key: y\n' >"$inst/dead.cred"
chmod 600 "$inst/swift.cred" "$inst/dead.cred"
ADM=admin-fedcba9876543210
printf '%s admin alice\n' "$ADM" >"$inst/tokens"
dead=$(free_port)
cat >>"$conf" <<EOC

Environment: test
Auto-Promote: yes

Environment: prod

Publish-To: swift://pub/deb
Publish-Endpoint: $SWIFT_AUTH
Publish-Credentials: $inst/swift.cred

Publish-To: s3://dead/x
Publish-Endpoint: http://127.0.0.1:$dead
Publish-Credentials: $inst/dead.cred
EOC
dp() { debpipe --config "$conf" "$@"; }
latest() { readlink "$pub/latest" | sed 's,^snapshots/,,'; }
remote() { curl -fsS "$SWIFT_PUBLIC/pub/deb/$1"; }
# same_remote NAME SNAPSHOT: the remote suite NAME serves SNAPSHOT's InRelease
same_remote() {
	remote "dists/bookworm/$1/InRelease" >"$T_TMP/remote.InRelease" 2>/dev/null &&
		cmp -s "$T_TMP/remote.InRelease" "$pub/snapshots/$2/dists/bookworm/InRelease"
}
api() {	# api PATH JSON: POST as admin, print the status
	curl -s -o "$T_TMP/body" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $ADM" -d "$2" "$url$1"
}
# The retries of the dead target come quickly in a test.
export DEBPIPE_REMOTE_RETRY=1 DEBPIPE_PUBLISH_RETRIES=1

ok "key init" dp key init
ok "add hello 1.0" dp add "$(make_deb "$debs" hello 1.0-1 amd64)" --dist bookworm
debpipe-snapshotter --config "$conf" --foreground -v >"$T_TMP/snapshotter.log" 2>&1 &
t_bg $!
debpipe-promoter --config "$conf" --foreground -v >"$T_TMP/promoter.log" 2>&1 &
t_bg $!
ok "the snapshotter publishes a snapshot" wait_for 20 test -L "$pub/latest"
s1=$(latest)
ok "it appears on Swift by itself" wait_for 20 same_remote "$s1" "$s1"
ok "environment test follows (Auto-Promote), remotely too" wait_for 20 same_remote test "$s1"
is "$(api /api/v1/environments/prod/promote "{\"snapshot\":\"$s1\",\"force\":true,\"reason\":\"t\"}")" 200 "promote prod to the first snapshot"
ok "prod appears on Swift" wait_for 20 same_remote prod "$s1"

envar=$(apt_root "$SWIFT_PUBLIC/pub/deb" "bookworm/prod" main "$pub/debpipe-archive-keyring.gpg")
ok "apt-get update: prod from Swift" apt_get "$envar" update
unlike "$(last_output)" '^(W|E|Err):' "no warnings or errors from apt"
ok "apt-get install hello from Swift" apt_get "$envar" install -y hello
is "$(cat "$envar/root/usr/share/doc/hello/README" 2>/dev/null)" "hello 1.0-1" "hello 1.0-1 is installed"

sleep 1
ok "add hello 2.0" dp add "$(make_deb "$debs" hello 2.0-1 amd64)" --dist bookworm
ok "the snapshotter publishes a second snapshot" wait_for 20 sh -c "[ \"\$(readlink '$pub/latest')\" != 'snapshots/$s1' ]"
s2=$(latest)
ok "the second snapshot appears on Swift" wait_for 20 same_remote "$s2" "$s2"
ok "environment test follows remotely" wait_for 20 same_remote test "$s2"
ok "prod stays on the first snapshot remotely" same_remote prod "$s1"
is "$(api /api/v1/environments/prod/promote "{\"snapshot\":\"$s2\",\"force\":true,\"reason\":\"t\"}")" 200 "promote prod to the second snapshot"
ok "the promotion reaches Swift" wait_for 20 same_remote prod "$s2"
ok "apt-get update after the promotion" apt_get "$envar" update
unlike "$(last_output)" '(^(W|E|Err):|changed its)' "no warning after the move"
ok "apt-get upgrades hello from Swift" apt_get "$envar" install -y hello
is "$(cat "$envar/root/usr/share/doc/hello/README" 2>/dev/null)" "hello 2.0-1" "hello 2.0-1 is installed"
is "$(api /api/v1/environments/prod/rollback '{"reason":"test"}')" 200 "roll prod back"
ok "the rollback reaches Swift" wait_for 20 same_remote prod "$s1"

# The dead target: failed, retried with backoff, the error shown.
ok "the dead target's failures are logged with the next retry" \
	wait_for 20 grep -q "publish to s3://dead/x failed (2 in a row): .*retrying in 2 s" "$T_TMP/promoter.log" "$T_TMP/snapshotter.log"
like "$(sqlite3 "$db" "SELECT last_error FROM remote_targets WHERE target = 's3://dead/x'")" "127.0.0.1:$dead" \
	"its last error is recorded, naming the endpoint"

# Each target's state: debpipe status, the API, /metrics.
ok "debpipe status" dp status
st=$(last_output)
like "$st" "swift://pub/deb  $SWIFT_PUBLIC/pub/deb/" "status lists the Swift target with its URL"
like "$st" "0 changes to upload, lag 0s" "which is up to date"
like "$st" "deb \\[signed-by=/usr/share/keyrings/debpipe-archive-keyring.gpg\\] $SWIFT_PUBLIC/pub/deb bookworm/prod main" \
	"and prints the apt source line of each environment"
like "$st" "error: [0-9TZ]*: PUT pool/main/h/hello/hello_1.0-1_amd64.deb" "the dead target's error is shown"
t_result $(echo "$st" | grep "error:" | grep -q "s3://dead/x"; [ $? = 1 ]; echo $?) "which names the target once (in its heading, not again in the error)"
like "$st" "[1-9][0-9]* changes to upload, lag [1-9]" "with what it lacks and its lag"
curl -fsS "$url/api/v1/targets" >"$T_TMP/targets.json"
is "$(python3 -c 'import json,sys; t = json.load(open(sys.argv[1])); print(" ".join("%s:%s:%s" % (x["target"], x["behind"], x["last_error"] is None) for x in t))' "$T_TMP/targets.json")" \
	"swift://pub/deb:0:True s3://dead/x:4:False" "GET /api/v1/targets: what each lacks (2 snapshots, 2 environments) and whether it fails"
m=$(curl -fsS "$url/metrics")
like "$m" 'debpipe_publish_up\{target="swift://pub/deb"\} 1' "/metrics: the Swift target is up"
like "$m" 'debpipe_publish_up\{target="s3://dead/x"\} 0' "/metrics: the dead one is not"
like "$m" 'debpipe_publish_lag_seconds\{target="s3://dead/x"\} [1-9]' "/metrics: the dead one's lag"
done_testing
