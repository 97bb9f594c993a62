#!/bin/bash
# promote.sh - debpipe-promoter and snapshot-promote over real HTTP on
# 127.0.0.1: auto-promotion, results, Min-Soak, failures, never backwards,
# force/rollback and the audit log, notifications, bad input, tokens,
# SIGHUP, the public file server and crash recovery.
#
# Snapshots are fixtures here (a directory under Public-Dir/snapshots plus
# a row in the snapshots table); promote-apt.sh uses real ones with apt-get.
. "$top_srcdir/tests/integration/lib.sh"

need curl python3 sqlite3

plan 106

inst=$(make_instance "Serve-Public: yes")
conf=$inst/debpipe.conf
db=$inst/state/state.db
pub=$inst/public
url=$(sed -n 's/^Listen: /http:\/\//p' "$conf")
nport=$(free_port)
dport=$(free_port)
cat >>"$conf" <<EOF

Environment: test
Auto-Promote: yes
Notify: http://127.0.0.1:$nport/hook/{environment}?snapshot={snapshot}&repo={url}

Environment: staging
Promote-From: test
Requires: acceptance upgrade
Notify: http://127.0.0.1:$dport/late

Environment: prod
Promote-From: staging
Requires: staging-deploy
Min-Soak: 3s
Notify: http://127.0.0.1:$nport/prod?s={snapshot}
EOF
REP=reporter-0123456789abcdef
ADM=admin-fedcba9876543210
HASHED=hashed-token-00112233
cat >"$inst/tokens" <<EOF
# token role name
$REP reporter ci-bot
$ADM admin alice
sha256:$(printf %s "$HASHED" | sha256sum | cut -d' ' -f1) admin bob
EOF
chmod 600 "$inst/tokens"
printf '%s\n' "$REP" >"$inst/rep.token"
printf '# admin\n%s\n' "$ADM" >"$inst/adm.token"
export DEBPIPE_URL=$url
unset DEBPIPE_TOKEN

# The notification receiver: records "METHOD PATH BODY" per request.
cat >"$T_TMP/hook.py" <<'EOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get('Content-Length', 0))
        body = self.rfile.read(n).decode()
        with open(sys.argv[2], 'a') as f:
            f.write('POST %s %s\n' % (self.path, body))
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
EOF
hooks=$T_TMP/hooks.log
: >"$hooks"

start_promoter() {
	debpipe-promoter --config "$conf" --foreground -v >>"$T_TMP/promoter.log" 2>&1 &
	PROM=$!
	t_bg $PROM
	wait_for 10 curl -fsS -o /dev/null "$url/api/v1/environments"
}
stop_promoter() {
	kill "$PROM" 2>/dev/null
	wait "$PROM" 2>/dev/null
}
# mksnap ID: a published snapshot fixture with an InRelease naming its
# Packages file by hash, the by-hash file living in a shared store.
mksnap() {
	d=$pub/snapshots/$1/dists/bookworm
	mkdir -p "$d/main/binary-amd64" "$pub/by-hash/bookworm/main/binary-amd64/SHA256"
	printf 'Package: pkg-%s\nVersion: 1\n' "$1" >"$d/main/binary-amd64/Packages"
	h=$(sha256sum "$d/main/binary-amd64/Packages" | cut -d' ' -f1)
	cp "$d/main/binary-amd64/Packages" "$pub/by-hash/bookworm/main/binary-amd64/SHA256/$h"
	ln -s ../../../../../../by-hash/bookworm/main/binary-amd64 "$d/main/binary-amd64/by-hash"
	printf 'Suite: bookworm\nSHA256:\n %s 20 main/binary-amd64/Packages\n' "$h" >"$d/InRelease"
	sqlite3 "$db" "INSERT INTO snapshots(id, created, packages, sources, digest) VALUES ('$1', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), x'', x'', '$1')"
}
envsnap() { sqlite3 "$db" "SELECT snapshot FROM environments WHERE name = '$1'"; }
linksnap() { readlink "$pub/$1" | sed 's|^snapshots/||'; }
on() { [ "$(envsnap "$1")" = "$2" ] && [ "$(linksnap "$1")" = "$2" ]; }
nhist() { sqlite3 "$db" "SELECT count(*) FROM env_history"; }
code() {	# code METHOD PATH [curl args...]: print the HTTP status
	m=$1 p=$2; shift 2
	curl -s -o "$T_TMP/body" -w '%{http_code}' -X "$m" "$@" "$url$p"
}
sp() { snapshot-promote "$@"; }

S1=20261122T010000Z
S2=20261122T011500Z
S0=20261122T003000Z
S3=20261122T013000Z

# -- start-up and tokens file permissions
chmod 640 "$inst/tokens"
fails "promoter refuses a group-readable Tokens-File" debpipe-promoter --config "$conf" --once
like "$(last_output)" "chmod 600" "the refusal says chmod 600"
chmod 600 "$inst/tokens"
python3 "$T_TMP/hook.py" "$nport" "$hooks" &
t_bg $!
ok "promoter starts and answers" start_promoter
fails "a second promoter on the same State-Dir refuses" debpipe-promoter --config "$conf" --once
like "$(last_output)" "another debpipe-promoter" "and says why"
like "$(curl -s "$url/api/v1/environments")" '"environments": *\[\{"name": *"test", *"snapshot": *null' \
	"environments before any snapshot"

# -- auto-promotion and the public tree
mksnap $S1
ok "a new snapshot goes to test" wait_for 10 on test $S1
is "$(envsnap staging)" "" "staging waits for results"
is "$(curl -s "$url/test/dists/bookworm/InRelease" | head -1)" "Suite: bookworm" \
	"InRelease served through the test symlink"
like "$(curl -s "$url/api/v1/snapshots")" "\"id\": *\"$S1\", *\"created\": *\"[0-9T:Z-]+\", *\"environments\": *\[\"test\"\]" \
	"snapshot list shows the environment"

# -- reports move it to staging and (after Min-Soak) prod
exits 0 "report acceptance success" sp --token-file "$inst/rep.token" report $S1 --job acceptance --result success --url http://ci/1
is "$(envsnap staging)" "" "one of two required jobs is not enough"
exits 124 "wait times out (124) while waiting for upgrade" sp wait $S1 --env staging --timeout 2s --interval 1s
DEBPIPE_TOKEN=$REP exits 0 "report upgrade success (DEBPIPE_TOKEN)" sp report $S1 --job upgrade --result success
ok "staging takes S1 once both jobs passed" on staging $S1
exits 0 "report staging-deploy success" sp --token-file "$inst/rep.token" report $S1 --job staging-deploy --result success
t0=$(date +%s)
is "$(envsnap prod)" "" "prod waits for Min-Soak"
exits 0 "wait S1 --env prod reaches prod" sp wait $S1 --env prod --timeout 30s --interval 1s
t1=$(date +%s)
ok "Min-Soak of 3s was respected" test $((t1 - t0)) -ge 2
ok "prod symlink agrees" on prod $S1
like "$(sp status $S1)" "prod +current" "status ID shows the promotion state"
like "$(sp --json status)" '"name": "prod"' "status --json"

# -- a failure blocks, the latest report counts
mksnap $S2
ok "S2 goes to test" wait_for 10 on test $S2
exits 0 "report acceptance failure for S2" sp --token-file "$inst/rep.token" report $S2 --job acceptance --result failure
exits 0 "report upgrade success for S2" sp --token-file "$inst/rep.token" report $S2 --job upgrade --result success
sleep 1.5
ok "a failure keeps S2 out of staging" on staging $S1
exits 1 "wait exits 1 when a failure blocks" sp wait $S2 --env prod --timeout 10s --interval 1s
like "$(last_output)" "failed: acceptance" "wait says which job failed"

# -- never backwards
mksnap $S0
sleep 2
ok "an older snapshot never moves test backwards" on test $S2
sp --token-file "$inst/rep.token" report $S0 --job acceptance --result success >/dev/null
exits 1 "promote an older snapshot without --force is refused" sp --token-file "$inst/adm.token" promote $S0 --to test
like "$(last_output)" "superseded" "refusal explains why"

# -- force and rollback need admin, and are audited
h=$(nhist)
is "$(code POST /api/v1/environments/prod/promote -d "{\"snapshot\":\"$S2\",\"force\":true,\"reason\":\"x\"}")" 401 \
	"force without a token: 401"
is "$(code POST /api/v1/environments/prod/promote -H "Authorization: Bearer wrong" -d "{\"snapshot\":\"$S2\",\"force\":true,\"reason\":\"x\"}")" 401 \
	"force with an unknown token: 401"
exits 1 "force with a reporter token is refused" sp --token-file "$inst/rep.token" promote $S2 --to prod --force --reason "try"
like "$(last_output)" "needs admin" "the refusal names the role"
is "$(code POST /api/v1/environments/prod/rollback -H "Authorization: Bearer $REP")" 403 "rollback with a reporter token: 403"
is "$(nhist)" "$h" "refused requests changed nothing"
ok "prod still on S1" on prod $S1
exits 2 "--force without --reason is a usage error" sp --token-file "$inst/adm.token" promote $S2 --to prod --force
exits 0 "admin force-promotes S2 to prod" sp --token-file "$inst/adm.token" promote $S2 --to prod --force --reason "hotfix CVE-1"
ok "prod on S2" on prod $S2
is "$(sqlite3 "$db" "SELECT actor || '|' || reason || '|' || kind || '|' || from_snapshot FROM env_history WHERE env = 'prod' ORDER BY id DESC LIMIT 1")" \
	"alice|hotfix CVE-1|force|$S1" "force is in the audit log with who and why"
exits 0 "admin rolls prod back (hashed token)" env DEBPIPE_TOKEN=$HASHED snapshot-promote rollback prod --reason "broke login"
ok "prod back on S1" on prod $S1
is "$(sqlite3 "$db" "SELECT actor || '|' || reason || '|' || kind || '|' || to_snapshot FROM env_history WHERE env = 'prod' ORDER BY id DESC LIMIT 1")" \
	"bob|broke login|rollback|$S1" "rollback is in the audit log"
sleep 1.5
ok "a rolled-back snapshot does not come back by itself" on prod $S1
exits 1 "rollback with nothing older is refused" sp --token-file "$inst/adm.token" rollback prod
exits 0 "rollback --to a snapshot" sp --token-file "$inst/adm.token" rollback test --to $S1
ok "test on S1" on test $S1
like "$(curl -s "$url/api/v1/environments/prod")" '"kind": *"rollback"' "environment history in the API"

# -- the latest report counts: a success after the failure releases S2
mksnap $S3
ok "S3 goes to test (newer than anything test had)" wait_for 10 on test $S3
sp --token-file "$inst/rep.token" report $S3 --job acceptance --result failure >/dev/null
sp --token-file "$inst/rep.token" report $S3 --job upgrade --result success >/dev/null
sp --token-file "$inst/rep.token" report $S3 --job acceptance --result success >/dev/null
ok "success after failure: S3 to staging" wait_for 5 on staging $S3
exits 0 "non-forced promote to where it already is" sp --token-file "$inst/rep.token" promote $S3 --to staging
like "$(last_output)" "already on $S3" "reports it is already there"

# -- notifications
ok "test's Notify URL received the event" wait_for 10 grep -q "POST /hook/test?snapshot=$S1&repo=http%3A%2F%2F127.0.0.1" "$hooks"
like "$(grep "/hook/test?snapshot=$S1" "$hooks" | head -1)" "\"event\":\"promotion\".*\"environment\":\"test\".*\"snapshot\":\"$S1\"" \
	"the event is JSON naming environment and snapshot"
ok "prod's Notify saw the rollback" wait_for 10 grep -q "POST /prod?s=$S1 .*\"kind\":\"rollback\".*\"actor\":\"bob\"" "$hooks"
like "$(curl -s "$url/api/v1/notifications")" '"state": *"sent"' "notification state visible"

# -- bad input changes nothing
h=$(nhist)
r=$(sqlite3 "$db" "SELECT count(*) FROM results")
is "$(code POST /api/v1/snapshots/$S3/results -H "Authorization: Bearer $REP" -d '{"job": "acceptance", "result": ')" 400 "malformed JSON: 400"
like "$(cat "$T_TMP/body")" '"error"' "400 carries an error message"
is "$(code POST /api/v1/snapshots/$S3/results -H "Authorization: Bearer $REP" -d '[1,2]')" 400 "JSON that is not an object: 400"
is "$(code POST /api/v1/snapshots/$S3/results -H "Authorization: Bearer $REP" -d '{"job":"acceptance","result":"maybe"}')" 400 "bad result value: 400"
is "$(code POST /api/v1/snapshots/$S3/results -H "Authorization: Bearer $REP" -d '{"job":"acceptance","result":"neutral"}')" 400 "neutral is for the built-in checks only: 400"
is "$(code POST /api/v1/snapshots/$S3/results -H "Authorization: Bearer $REP" -d '{"job":"acceptance","job":"x","result":"success"}')" 400 "duplicate keys: 400"
head -c 100000 /dev/zero | tr '\0' ' ' >"$T_TMP/big"
is "$(code POST /api/v1/snapshots/$S3/results -H "Authorization: Bearer $REP" --data-binary @"$T_TMP/big")" 413 "oversized body: 413"
is "$(code POST /api/v1/snapshots/$S3/results -H "Authorization: Bearer $REP" -H "Transfer-Encoding: chunked" --data-binary @"$T_TMP/big")" 413 "oversized chunked body: 413"
is "$(code POST /api/v1/snapshots/$S3/results -H "Authorization: Bearer $REP" -d '{"job":"nosuchjob","result":"success"}')" 422 "unknown job: 422"
is "$(code POST /api/v1/snapshots/20991231T000000Z/results -H "Authorization: Bearer $REP" -d '{"job":"acceptance","result":"success"}')" 404 "unknown snapshot: 404"
is "$(code POST /api/v1/environments/nosuch/promote -H "Authorization: Bearer $ADM" -d "{\"snapshot\":\"$S3\"}")" 404 "unknown environment: 404"
is "$(code POST /api/v1/environments/prod/promote -H "Authorization: Bearer $ADM" -d '{"snapshot":"20991231T000000Z","force":true,"reason":"x"}')" 422 "unknown snapshot in the body: 422"
is "$(code DELETE /api/v1/snapshots)" 405 "unknown method: 405"
is "$(code POST /api/v1/snapshots/$S3/results -H "Authorization: Bearer $REP" -d '{"job":"acceptance","result":"success"}')" 201 "a good report is still accepted"
is "$(nhist)|$(sqlite3 "$db" "SELECT count(*) FROM results")" "$h|$((r + 1))" "only the good request changed the database"
is "$(code GET '/../../../etc/passwd' --path-as-is)" 404 "path traversal: 404"
is "$(code GET '/test/%2e%2e/%2e%2e/debpipe.conf' --path-as-is)" 404 "encoded traversal: 404"
ln -s /etc "$pub/escape"
is "$(code GET /escape/passwd)" 403 "symlink out of Public-Dir: 403"
is "$(code GET /snapshots/)" 403 "directories are not listed"
is "$(code GET /test/dists/bookworm/InRelease -r 0-5)|$(cat "$T_TMP/body")" "206|Suite:" "Range request"
lm=$(curl -sI "$url/test/dists/bookworm/InRelease" | sed -n 's/^Last-Modified: //Ip' | tr -d '\r')
is "$(code GET /test/dists/bookworm/InRelease -H "If-Modified-Since: $lm")" 304 "If-Modified-Since: 304"

# -- by-hash continuity across a move
ih=$(curl -s "$url/prod/dists/bookworm/InRelease" | grep -Eo '^ [0-9a-f]{64} ' | head -1 | tr -d ' ')
old=$(envsnap prod)
exits 0 "force prod to S3" sp --token-file "$inst/adm.token" promote $S3 --to prod --force --reason "by-hash check"
ok "by-hash of the earlier InRelease still served after the move" \
	curl -fsS -o /dev/null "$url/prod/dists/bookworm/main/binary-amd64/by-hash/SHA256/$ih"

# -- metrics
m=$(curl -s "$url/metrics")
like "$m" "^debpipe_environment_info\{env=\"prod\",snapshot=\"$S3\"\} 1$" "metrics: environment info"
like "$m" '^debpipe_promotions_total\{env="test"\} [0-9]+$' "metrics: promotions"
like "$m" '^debpipe_results_total\{result="failure"\} 2$' "metrics: results"

# -- a snapshot's results: the latest report of each job, or every one
# with ?history=1; results_total counts them all
jq_() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
sid=$(sqlite3 "$db" "SELECT snapshot FROM results GROUP BY snapshot HAVING count(*) > count(DISTINCT job) LIMIT 1")
rj=$(sqlite3 "$db" "SELECT job FROM results WHERE snapshot = '$sid' GROUP BY job HAVING count(*) > 1 LIMIT 1")
nres=$(sqlite3 "$db" "SELECT count(*) FROM results WHERE snapshot = '$sid'")
njobs=$(sqlite3 "$db" "SELECT count(DISTINCT job) FROM results WHERE snapshot = '$sid'")
nrj=$(sqlite3 "$db" "SELECT count(*) FROM results WHERE snapshot = '$sid' AND job = '$rj'")
last=$(sqlite3 "$db" "SELECT result || ' ' || time FROM results WHERE snapshot = '$sid' AND job = '$rj' ORDER BY id DESC LIMIT 1")
is "$(curl -s "$url/api/v1/snapshots/$sid" | jq_ 'len(d["results"]), d["results_total"]')" \
	"$njobs $nres" "a snapshot lists one result per job and counts every report"
is "$(curl -s "$url/api/v1/snapshots/$sid" | jq_ '" ".join(r["result"] + " " + r["time"] for r in d["results"] if r["job"] == "'"$rj"'")')" \
	"$last" "a job reported $nrj times: its latest report is the one listed"
is "$(curl -s "$url/api/v1/snapshots/$sid?history=1" | jq_ 'len(d["results"]), [r["job"] for r in d["results"]].count("'"$rj"'")')" \
	"$nres $nrj" "?history=1 lists every report"

# -- SIGHUP reloads the tokens
NEW=new-token-after-hup-000
printf '%s admin carol\n' "$NEW" >>"$inst/tokens"
kill -HUP "$PROM"
ok "a token added before SIGHUP works" wait_for 5 sh -c "DEBPIPE_TOKEN=$NEW snapshot-promote rollback prod --to $S2 --reason hup"

# -- SIGHUP with a broken configuration keeps the last good one
cp "$conf" "$T_TMP/conf.good"
printf 'Requires: acceptance\nBogus-Field: 1\n' >>"$conf"
kill -HUP "$PROM"
ok "a broken configuration on SIGHUP is reported" wait_for 5 grep -q "keeping the previous configuration" "$T_TMP/promoter.log"
like "$(curl -s "$url/api/v1/environments")" '"name": *"staging", *"snapshot": *"[0-9TZ]+", *"since": *"[^"]+", *"auto_promote": *false, *"promote_from": *"test", *"requires": *\["acceptance", *"upgrade"\]' \
	"and the old one stays in force"
sed 's/^Requires: acceptance upgrade$/Requires: acceptance/' "$T_TMP/conf.good" >"$conf"
kill -HUP "$PROM"
ok "a good configuration on SIGHUP takes effect" wait_for 5 sh -c \
	"curl -s '$url/api/v1/environments' | grep -Eq '\"requires\": *\\[\"acceptance\"\\]'"
cp "$T_TMP/conf.good" "$conf"
kill -HUP "$PROM"

# -- a notification endpoint that is down: retried with backoff, error visible
n=$(curl -s "$url/api/v1/notifications")
like "$n" '"url": *"http://127.0.0.1:'$dport'/late", *"state": *"pending", *"attempts": *[1-9]' \
	"failed notification stays pending with attempts counted"
like "$n" '"last_error": *"[^"]*(onnect|refused)' "its last_error is visible"
python3 "$T_TMP/hook.py" "$dport" "$hooks" &
t_bg $!
ok "delivered once the endpoint is up (retry with backoff)" \
	wait_for 90 grep -q "POST /late " "$hooks"

# -- concurrent promote requests for one environment are serialized
racers=
for i in 1 2 3 4 5 6 7 8; do
	if [ $((i % 2)) = 0 ]; then s=$S2; else s=$S3; fi
	curl -s -o /dev/null -H "Authorization: Bearer $ADM" \
		-d "{\"snapshot\":\"$s\",\"force\":true,\"reason\":\"race $i\"}" \
		"$url/api/v1/environments/prod/promote" &
	racers="$racers $!"
done
for p in $racers; do wait "$p"; done
is "$(sqlite3 "$db" "SELECT count(*) FROM env_history h WHERE env = 'prod' AND id > (SELECT max(id) - 20 FROM env_history) AND from_snapshot IS NOT (SELECT to_snapshot FROM env_history p WHERE p.env = 'prod' AND p.id < h.id ORDER BY p.id DESC LIMIT 1)")" 0 \
	"the audit log of prod is one unbroken chain"
ok "prod symlink agrees after the race" on prod "$(envsnap prod)"

# -- slow clients do not block the API
python3 - "$url" <<'PYEOF' &
import socket, sys, time
host, port = sys.argv[1].split('//')[1].split(':')
socks = []
for i in range(20):
    s = socket.create_connection((host, int(port)))
    s.send(b'GET /api/v1/environments HTTP/1.1\r\nHost: x\r\n')
    socks.append(s)
time.sleep(6)
PYEOF
slow=$!
sleep 1
ok "the API answers while 20 slow clients hold connections" curl -fsS -m 3 -o /dev/null "$url/api/v1/environments"
wait $slow

# -- client exit codes
exits 3 "unreachable server: exit 3" sp --server http://127.0.0.1:1 status
exits 2 "bad usage: exit 2" sp report $S1 --job x
exits 0 "--help" sp wait --help

# -- crash between the db update and the symlink swap
stop_promoter
S4=20261122T014500Z
mksnap $S4
DEBPIPE_TEST_CRASH=after-commit debpipe-promoter --config "$conf" --once >>"$T_TMP/promoter.log" 2>&1
is "$(envsnap test)|$(linksnap test)" "$S4|$S3" "killed after the commit: db moved, symlink not yet"
ok "restart reconciles the symlink" start_promoter
ok "test symlink agrees with the db" wait_for 5 on test $S4
# Random kill -9 while snapshots keep arriving.
stop_promoter
for i in 1 2 3 4 5 6 7 8; do
	mksnap 20261123T0${i}0000Z
	debpipe-promoter --config "$conf" --foreground >>"$T_TMP/promoter.log" 2>&1 &
	p=$!
	sleep "0.$((RANDOM % 6))"
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
done
start_promoter
sleep 1.5
bad=
for e in test staging prod; do
	[ "$(envsnap $e)" = "$(linksnap $e)" ] || bad="$bad $e"
done
is "$bad" "" "after random kill -9 every symlink agrees with the database"
ok "and test reaches the newest snapshot" wait_for 5 on test 20261123T080000Z
is "$(sqlite3 "$db" "PRAGMA integrity_check")" ok "database intact"
stop_promoter

done_testing
