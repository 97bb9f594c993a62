#!/bin/sh
# notify.sh - outgoing notifications in each Notify-Format, to webhook
# receivers on 127.0.0.1 (notify-receiver.py): json (the event: snapshot,
# environment, from, to, reason ...) and slack (an incoming-webhook
# {"text": ...} for Slack or Mattermost, text escaped).  A receiver that
# is down, then answers 500, then recovers: the promotion is not held
# up, the failure shows in `debpipe status`, the message is retried with
# backoff and delivered once, and status is clean again.
. "$top_srcdir/tests/integration/lib.sh"
need dpkg-deb gpg python3 curl sqlite3 jq

plan 27

inst=$(make_instance)
conf=$inst/debpipe.conf
pub=$inst/public
debs=$T_TMP/debs
url=$(sed -n 's/^Listen: /http:\/\//p' "$conf")
purl=$(sed -n 's/^Public-URL: //p' "$conf")
jport=$(free_port)
sport=$(free_port)
cat >>"$conf" <<EOF2

Environment: test
Auto-Promote: yes
Notify: http://127.0.0.1:$jport/json/{environment}
Notify-Format: json

Environment: staging
Promote-From: test
Requires: acceptance
Notify: http://127.0.0.1:$sport/slack
Notify-Format: slack
EOF2
printf 'ci-token-0123456789 reporter ci\nadm-token-0123456789 admin alice\n' >"$inst/tokens"
chmod 600 "$inst/tokens"
export DEBPIPE_URL=$url DEBPIPE_TOKEN=ci-token-0123456789
dp() { debpipe --config "$conf" "$@"; }
latest() { readlink "$pub/latest" | sed 's,^snapshots/,,'; }
envsnap() { curl -fsS "$url/api/v1/environments" | jq -r ".environments[] | select(.name == \"$1\") | .snapshot"; }
jlog=$T_TMP/json.log
slog=$T_TMP/slack.log
: >"$jlog"
: >"$slog"
receiver() {	# receiver PORT LOG FAILURES
	python3 "$top_srcdir/tests/integration/notify-receiver.py" "$@" &
	t_bg $!
	# Any answer will do (a GET is 501 and is not logged).
	wait_for 30 curl -s -o /dev/null "http://127.0.0.1:$1/"
}

# A bad Notify-Format is refused with file:line.
cp "$conf" "$T_TMP/bad.conf"
sed -i 's/^Notify-Format: slack$/Notify-Format: teams/' "$T_TMP/bad.conf"
exits 1 "Notify-Format: teams is refused" debpipe-promoter --config "$T_TMP/bad.conf" --foreground
like "$(last_output)" 'bad\.conf:[0-9]+:.*Notify-Format.*expected json or slack' "the error names the file, line and the choices"

ok "receiver for json up" receiver "$jport" "$jlog" 0
ok "key init" dp key init
debpipe-promoter --config "$conf" --foreground >"$T_TMP/promoter.log" 2>&1 &
t_bg $!
ok "promoter up" wait_for 10 curl -fsS -o /dev/null "$url/api/v1/environments"

ok "snapshot 1" sh -c "debpipe --config '$conf' add '$(make_deb "$debs" hello 1.0-1 amd64)' --dist bookworm && debpipe --config '$conf' snapshot now"
s1=$(latest)
ok "test moves to $s1" wait_for 15 sh -c "[ \"\$(curl -fsS '$url/api/v1/environments' | jq -r '.environments[0].snapshot')\" = '$s1' ]"
ok "the json receiver got the move" wait_for 10 grep -q . "$jlog"
body=$(head -1 "$jlog" | jq -r .body)
is "$(head -1 "$jlog" | jq -r '.path + " " + .type')" "/json/test application/json" "POSTed to the expanded URL as JSON"
is "$(echo "$body" | jq -r '[.event, .environment, .snapshot, (.from // "null"), .to, .kind] | join(" ")')" \
	"promotion test $s1 null $s1 auto" "json: event, environment, snapshot, from, to, kind"
is "$(echo "$body" | jq -r '.url')" "$purl/snapshots/$s1" "json: the snapshot's URL"
is "$(echo "$body" | jq -r 'has("reason")')" true "json: the reason field is there"

# staging's receiver is down: the promotion goes ahead all the same.
t0=$(date +%s)
ok "acceptance passes" snapshot-promote report "$s1" --job acceptance --result success
ok "staging moves with its receiver down" wait_for 10 sh -c "[ \"\$(curl -fsS '$url/api/v1/environments' | jq -r '.environments[] | select(.name == \"staging\") | .snapshot')\" = '$s1' ]"
ok "... at once ($(($(date +%s) - t0))s)" test $(($(date +%s) - t0)) -lt 5
ok "debpipe status shows the failing notification" wait_for 10 sh -c "debpipe --config '$conf' status | grep -A1 '^  staging http://127.0.0.1:$sport/slack: .*onnect' | grep -q 'retrying after [0-9]* attempts, next at 20'"

# It comes back answering 500 once, then 204.
ok "receiver for slack up (500, then 204)" receiver "$sport" "$slog" 1
ok "status shows the HTTP 500" wait_for 20 sh -c "debpipe --config '$conf' status | grep -q 'staging http://127.0.0.1:$sport/slack: HTTP status 500'"
ok "delivered once it recovers (retried with backoff)" wait_for 60 sh -c "grep -q '\"status\": 204' '$slog'"
is "$(jq -r .status "$slog" | tr '\n' ' ')" "500 204 " "a failure, then one delivery, no more"
text=$(grep '"status": 204' "$slog" | jq -r '.body | fromjson | .text')
is "$text" "debpipe: *staging* is now on <$purl/snapshots/$s1|$s1> (was nothing): promoted by the rules" \
	"slack: {\"text\": ...} with a link to the snapshot"
is "$(grep '"status": 204' "$slog" | jq -r '.body | fromjson | keys | join(",")')" "text" "slack: only text"
unlike "$(dp status)" 'Notifications failing' "status is clean again"

# A forced move with a reason carrying markup.
ok "snapshot 2" sh -c "debpipe --config '$conf' add '$(make_deb "$debs" hello 2.0-1 amd64)' --dist bookworm && debpipe --config '$conf' snapshot now"
s2=$(latest)
ok "force staging to $s2 with a reason" env DEBPIPE_TOKEN=adm-token-0123456789 snapshot-promote promote "$s2" --to staging --force --reason 'hotfix <b>&</b> <!here>'
ok "delivered" wait_for 20 sh -c "[ \$(grep -c '\"status\": 204' '$slog') = 2 ]"
is "$(grep '"status": 204' "$slog" | tail -1 | jq -r '.body | fromjson | .text')" \
	"debpipe: *staging* is now on <$purl/snapshots/$s2|$s2> (was $s1): forced by alice: hotfix &lt;b&gt;&amp;&lt;/b&gt; &lt;!here&gt;" \
	"slack: from, kind, actor, the reason escaped (no mention, no markup)"

done_testing
