#!/bin/sh
# hooks.sh - forge push hooks: a push signed by the test with openssl
# (GitHub HMAC-SHA256) builds a file:// git watch whose Interval is an
# hour, right away; a wrong signature, an unsigned request, a replayed
# delivery, a 10 MB body, bad JSON, an unknown event are refused with a
# JSON error and trigger nothing; Gitea's signature, GitLab's token and
# the generic hook token; the build's page and log in the web interface.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/builder-lib.sh"
need git dpkg-buildpackage dh fakeroot dpkg-deb sqlite3 jq curl openssl

plan 41

repo=$T_TMP/git/hello
bl_make_repo "$repo" dp-hello 1.0 "2026-11-01T10:00:00Z"
git -C "$repo" branch -q fix

inst=$(make_instance)
conf=$inst/debpipe.conf
db=$inst/state/state.db
url=$(sed -n 's/^Listen: /http:\/\//p' "$conf")
sed -i "1a Hooks-File: $inst/hooks" "$conf"
cat >"$inst/watch.d/hello.watch" <<EOF2
Watch: hello
Type: git
URL: file://$repo
Branch: main
Distribution: bookworm
Interval: 1h

Watch: other
Type: git
URL: file://$repo
Branch: other
Merge: file://$repo.git fix
Distribution: bookworm
Interval: 1h
EOF2
gh_secret='gh-secret-0123456789'
cat >"$inst/hooks" <<EOF2
# forge secrets
Forge: github
Secret: $gh_secret

Forge: gitea
Secret: gitea-secret-0123

Forge: gitlab
Secret: gitlab-token-0123
EOF2
chmod 644 "$inst/hooks"
printf 'hook-token-0123456789 hook forge\nci-token-0123456789 reporter ci\n' >"$inst/tokens"
chmod 600 "$inst/tokens"

exits 1 "a Hooks-File others can read: the promoter does not start" debpipe-promoter --config "$conf" --foreground
like "$(last_output)" 'Hooks-File .*mode 644.*chmod 600' "the error says why and what to do"
chmod 600 "$inst/hooks"

debpipe-builder --config "$conf" --foreground >"$T_TMP/builder.log" 2>&1 &
t_bg $!
debpipe-promoter --config "$conf" --foreground >"$T_TMP/promoter.log" 2>&1 &
t_bg $!
ok "promoter up" wait_for 10 curl -fsS -o /dev/null "$url/api/v1/environments"
nbuilds() { sqlite3 "$db" "SELECT count(*) FROM builds WHERE watch = '$1' AND state = 'success'"; }
built() { [ "$(nbuilds "$1")" = "$2" ]; }
ok "first build of hello (the start-up poll)" wait_for 120 built hello 1
ok "the start-up poll of other is over" wait_for 60 sh -c "test \"\$(sqlite3 '$db' \"SELECT count(*) FROM requests WHERE done IS NULL\")\" = 0 && sqlite3 '$db' \"SELECT last_poll FROM watches WHERE name = 'other'\" | grep -q ."
sleep 1
nreq() { sqlite3 "$db" "SELECT count(*) FROM requests"; }
req0=$(nreq)
builds0=$(sqlite3 "$db" "SELECT count(*) FROM builds")

# A new version upstream.
sed -i '1s/(1.0)/(1.1)/' "$repo/debian/changelog"
echo "hello again" >"$repo/hello.txt"
bl_commit "$repo" "2026-11-02T10:00:00Z" "1.1"

payload() {	# payload URL REF
	printf '{"ref":"%s","before":"0","after":"1","repository":{"full_name":"t/hello","clone_url":"%s","ssh_url":"git@example.org:t/hello.git","html_url":"https://example.org/t/hello"},"pusher":{"name":"t"}}' "$2" "$1"
}
sign() { printf '%s' "$2" | openssl dgst -sha256 -hmac "$1" -r | cut -d' ' -f1; }
post() {	# post FORGE BODY-FILE [curl args]: prints the status, body in $T_TMP/answer
	f=$1 b=$2; shift 2
	curl -s -o "$T_TMP/answer" -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary "@$b" "$@" "$url/api/v1/hooks/$f"
}
answer() { cat "$T_TMP/answer"; }

payload "file://$repo/" refs/heads/main >"$T_TMP/push.json"
good=$(sign "$gh_secret" "$(cat "$T_TMP/push.json")")
printf 'x' >>"$T_TMP/push.json.bad"

# --- refusals: nothing triggered ------------------------------------------
is "$(post github "$T_TMP/push.json" -H 'X-GitHub-Event: push' -H 'X-GitHub-Delivery: d-0')" 401 "unsigned push: 401"
like "$(answer)" '"error":"unsigned request' "with a JSON error"
is "$(post github "$T_TMP/push.json" -H 'X-GitHub-Event: push' -H 'X-GitHub-Delivery: d-1' -H "X-Hub-Signature-256: sha256=$(sign wrong-secret "$(cat "$T_TMP/push.json")")")" 401 "wrong signature: 401"
like "$(answer)" 'signature does not match' "the error says so"
head -c 10485760 /dev/zero | tr '\0' ' ' >"$T_TMP/big.json"
is "$(post github "$T_TMP/big.json" -H 'X-GitHub-Event: push' -H "X-Hub-Signature-256: sha256=$(openssl dgst -sha256 -hmac "$gh_secret" -r <"$T_TMP/big.json" | cut -d' ' -f1)")" 413 "10 MB body: 413"
printf '{"ref": "refs/heads/main", "repository": ' >"$T_TMP/bad.json"
is "$(post github "$T_TMP/bad.json" -H 'X-GitHub-Event: push' -H "X-Hub-Signature-256: sha256=$(sign "$gh_secret" "$(cat "$T_TMP/bad.json")")")" 400 "bad JSON (signed): 400"
like "$(answer)" 'malformed JSON' "the error names the problem"
is "$(post github "$T_TMP/push.json" -H 'X-GitHub-Event: issues' -H "X-Hub-Signature-256: sha256=$good")" 400 "unknown event: 400"
is "$(post gitlab "$T_TMP/push.json" -H 'X-Gitlab-Event: Push Hook' -H 'X-Gitlab-Token: nope')" 401 "wrong GitLab token: 401"
is "$(post generic "$T_TMP/push.json" -H 'Authorization: Bearer ci-token-0123456789')" 401 "generic hook with a reporter token: 401"
is "$(post bitbucket "$T_TMP/push.json")" 404 "unknown forge: 404"
is "$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/hooks/github")" 405 "GET a hook: 405"
is "$(nreq)" "$req0" "no poll was requested by any of these"
is "$(sqlite3 "$db" "SELECT count(*) FROM builds")" "$builds0" "and nothing was built"
like "$(cat "$T_TMP/promoter.log")" 'hook github refused \(401\): signature does not match' "refusals are logged"

# --- a signed push polls and builds at once --------------------------------
start=$(date +%s)
is "$(post github "$T_TMP/push.json" -H 'X-GitHub-Event: push' -H 'X-GitHub-Delivery: d-2' -H "X-Hub-Signature-256: sha256=$good")" 202 "signed push: 202"
is "$(answer | jq -c .watches)" '["hello"]' "it triggered watch hello only"
ok "hello is built again from the push" wait_for 120 built hello 2
end=$(date +%s)
is "$(sqlite3 "$db" "SELECT version LIKE '1.1+git%' FROM builds WHERE watch = 'hello' ORDER BY id DESC LIMIT 1")" 1 "the new build is version 1.1"
ok "within a minute of the push, not an hour ($((end - start))s)" test $((end - start)) -lt 60
req1=$(nreq)
is "$(post github "$T_TMP/push.json" -H 'X-GitHub-Event: push' -H 'X-GitHub-Delivery: d-2' -H "X-Hub-Signature-256: sha256=$good")" 409 "replayed delivery: 409"
is "$(nreq)" "$req1" "the replay requested nothing"

# --- the other forges -------------------------------------------------------
payload "git@example.org:t/unrelated.git" refs/heads/main >"$T_TMP/unrel.json"
is "$(post gitea "$T_TMP/unrel.json" -H 'X-Gitea-Event: push' -H 'X-Gitea-Delivery: g-1' -H "X-Gitea-Signature: $(sign gitea-secret-0123 "$(cat "$T_TMP/unrel.json")")")" 202 "Gitea signature: 202"
is "$(answer | jq -c .watches)" '[]' "another repository triggers nothing"
printf '{"object_kind":"push","ref":"refs/heads/fix","project":{"git_http_url":"FILE://%s.git","git_ssh_url":"git@example.org:t/hello.git"}}' "$repo" >"$T_TMP/gl.json"
is "$(post gitlab "$T_TMP/gl.json" -H 'X-Gitlab-Event: Push Hook' -H 'X-Gitlab-Token: gitlab-token-0123' -H 'X-Gitlab-Event-UUID: u-1')" 202 "GitLab token: 202"
is "$(answer | jq -c .watches)" '["other"]' "a push to a Merge: branch triggers the watch merging it"
printf '{"url":"file://%s","branch":"main"}' "$repo" >"$T_TMP/gen.json"
is "$(post generic "$T_TMP/gen.json" -H 'Authorization: Bearer hook-token-0123456789')" 202 "generic hook with a hook token: 202"
is "$(answer | jq -c .watches)" '["hello"]' "the generic push triggered hello"
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer hook-token-0123456789' -d '{"job":"x","result":"success"}' "$url/api/v1/snapshots/20261101T000000Z/results")" 403 "a hook token cannot report results"
ghping=$(printf '{"zen":"x"}')
is "$(printf '%s' "$ghping" >"$T_TMP/ping.json"; post github "$T_TMP/ping.json" -H 'X-GitHub-Event: ping' -H "X-Hub-Signature-256: sha256=$(sign "$gh_secret" "$ghping")")" 200 "GitHub's ping: 200"

# --- speed: the 202 comes before the poll ---------------------------------
t=$(curl -s -o /dev/null -w '%{time_total}' -X POST --data-binary "@$T_TMP/push.json" -H 'X-GitHub-Event: push' -H 'X-GitHub-Delivery: d-3' -H "X-Hub-Signature-256: sha256=$good" "$url/api/v1/hooks/github")
ok "the hook answers in under a second ($t s)" awk -v t="$t" 'BEGIN { exit !(t < 1) }'

# --- the build in the web interface ---------------------------------------
bid=$(sqlite3 "$db" "SELECT max(id) FROM builds WHERE watch = 'hello' AND state = 'success'")
logf=$(sqlite3 "$db" "SELECT log_path FROM builds WHERE id = $bid")
lastline=$(tail -n 1 "$logf" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g'"; s/'/\&#39;/g")
page=$(curl -fsS "$url/ui/builds/$bid")
like "$page" '<span class="st success">success</span>' "build page: state"
case $page in *"$lastline"*) r=0 ;; *) r=1 ;; esac
t_result $r "build page shows the log's last line"
is "$(curl -fsS "$url/ui/builds/$bid/log" | sha256sum)" "$(sha256sum <"$logf")" "the whole log, streamed as text"
like "$(curl -fsS "$url/ui/watches")" '<tr><td>hello</td><td>git</td>' "watches page"
like "$(curl -fsS "$url/api/v1/builds?watch=hello" | jq -r '[.builds[].state] | join(",")')" '^(success,success|queued,success,success|running,success,success)' "builds API, newest first"

done_testing
