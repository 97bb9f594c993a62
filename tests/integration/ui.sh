#!/bin/sh
# ui.sh - the promoter's web interface over plain HTTP (curl): the pages
# are the API's data (same snapshot, same environments), an upgrade shows
# in the diff, hostile package descriptions and job URLs come out
# escaped and unlinked, ETag / If-None-Match, gzip when accepted, the
# audit log paged newest first, the interface is read-only.
. "$top_srcdir/tests/integration/lib.sh"
need dpkg-deb gpg python3 curl sqlite3 jq

plan 31

inst=$(make_instance)
conf=$inst/debpipe.conf
pub=$inst/public
debs=$T_TMP/debs
url=$(sed -n 's/^Listen: /http:\/\//p' "$conf")
cat >>"$conf" <<'EOF2'

Environment: test
Auto-Promote: yes

Environment: staging
Promote-From: test
Requires: acceptance upgrade
EOF2
printf 'ci-token-0123456789 reporter ci\nadm-token-0123456789 admin ops\n' >"$inst/tokens"
chmod 600 "$inst/tokens"
export DEBPIPE_URL=$url DEBPIPE_TOKEN=ci-token-0123456789
dp() { debpipe --config "$conf" "$@"; }
latest() { readlink "$pub/latest" | sed 's,^snapshots/,,'; }

# A package whose description carries markup and a javascript: URL.
evil=$T_TMP/evil
mkdir -p "$evil/DEBIAN"
cat >"$evil/DEBIAN/control" <<'EOF2'
Package: evil
Version: 1.0
Architecture: all
Maintainer: Test <test@example.org>
Description: <script>window.pwned=1</script> <img src=x onerror=alert(1)> javascript:alert(2)
 Long description.
EOF2
mkdir -p "$debs"
dpkg-deb --root-owner-group -Zgzip --build "$evil" "$debs/evil_1.0_all.deb" >/dev/null

ok "key init" dp key init
ok "add hello 1.0" dp add "$(make_deb "$debs" hello 1.0-1 amd64)" "$debs/evil_1.0_all.deb" --dist bookworm
ok "snapshot 1" dp snapshot now
s1=$(latest)
sleep 1
ok "add hello 2.0" dp add "$(make_deb "$debs" hello 2.0-1 amd64)" --dist bookworm
ok "snapshot 2" dp snapshot now
s2=$(latest)

debpipe-promoter --config "$conf" --foreground >"$T_TMP/promoter.log" 2>&1 &
t_bg $!
ok "promoter up" wait_for 10 curl -fsS -o /dev/null "$url/api/v1/environments"
ok "test is on $s2" wait_for 10 sh -c "curl -fsS '$url/api/v1/environments' | jq -e '.environments[0].snapshot == \"$s2\"'"
ok "acceptance passes" snapshot-promote report "$s2" --job acceptance --result success --url 'https://ci.example.org/job/1?a=1&b=<2>'
ok "upgrade with a javascript: URL" snapshot-promote report "$s2" --job upgrade --result failure --url 'javascript:alert(3)'

get() { curl -s -o "$T_TMP/page" -w '%{http_code}' "$@"; }
is "$(get "$url/ui/")" 200 "overview answers 200"
page=$(cat "$T_TMP/page")
like "$page" "<h2>test</h2><a href=\"/ui/snapshots/$s2\"><code>$s2</code></a>" "overview: test on $s2, linked"
like "$page" '<span class="st passed">passed</span> <a href="https://ci.example.org/job/1\?a=1&amp;b=&lt;2&gt;" rel="noopener' "the passed gate links its (escaped) https URL"
like "$page" '<span class="st failed">failed</span> upgrade</li>' "the failed gate with a javascript: URL is text, not a link"
unlike "$page" 'javascript:' "no javascript: anywhere on the overview"
like "$page" 'http-equiv="refresh"' "the overview refreshes itself"
api_envs=$(curl -fsS "$url/api/v1/environments" | jq -r '[.environments[] | .name + "=" + (.snapshot // "")] | join(" ")')
ui_envs=$(sed -n 's|.*<section class="env"><h2>\([^<]*\)</h2><a href="/ui/snapshots/\([^"]*\)".*|\1=\2|p' "$T_TMP/page" | tr '\n' ' ' | sed 's/ $//')
is "$ui_envs" "$(echo "$api_envs" | sed 's/staging=$//; s/ $//')" "overview shows what the API says"

is "$(get "$url/ui/snapshots/$s2")" 200 "snapshot page"
page=$(cat "$T_TMP/page")
like "$page" '<tr class="upgraded"><td>upgraded</td><td>hello</td><td>amd64</td><td><code>1.0-1</code></td><td><code>2.0-1</code></td></tr>' "the diff shows the upgrade of hello"
like "$page" '&lt;script&gt;window.pwned=1&lt;/script&gt; &lt;img src=x onerror=alert\(1\)&gt;' "hostile description escaped"
unlike "$page" '<script|<img' "no markup from the package"
like "$page" "deb \[signed-by=/usr/share/keyrings/debpipe-archive-keyring.gpg\] $url/snapshots/$s2 bookworm main" "apt source line"
is "$(get "$url/ui/snapshots/19990101T000000Z")" 404 "unknown snapshot: 404"
is "$(get "$url/ui/snapshots/%3Cscript%3E")" 404 "bad snapshot id: 404"

# ETag, gzip.
etag=$(curl -s -D - -o /dev/null "$url/ui/snapshots/$s1" | tr -d '\r' | sed -n 's/^ETag: //Ip')
like "$etag" '^"[0-9a-f]{32}"$' "ETag on a page"
is "$(get -H "If-None-Match: $etag" "$url/ui/snapshots/$s1")" 304 "If-None-Match: 304"
hdrs=$(curl -s -D - -o "$T_TMP/gz" -H 'Accept-Encoding: gzip' "$url/ui/snapshots/$s1" | tr -d '\r')
like "$hdrs" '^Content-Encoding: gzip' "gzip when accepted"
like "$(gzip -dc <"$T_TMP/gz")" "Snapshot $s1" "the gzip'd page is the page"
like "$(curl -s -D - -o /dev/null "$url/ui/style.css" | tr -d '\r')" '^Content-Type: text/css' "the stylesheet"

# The audit log, newest first, paged.
sqlite3 "$inst/state/state.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120) INSERT INTO env_history(env, from_snapshot, to_snapshot, time, actor, reason, kind) SELECT 'test', '$s1', '$s2', '2026-01-01T00:00:00Z', 'bulk', 'row ' || i, 'force' FROM n"
get "$url/ui/audit" >/dev/null
first=$(sed -n 's|^<tr><td>\([0-9]*\)</td>.*|\1|p' "$T_TMP/page" | head -1)
maxid=$(sqlite3 "$inst/state/state.db" "SELECT max(id) FROM env_history")
is "$first" "$maxid" "audit: newest first"
older=$(sed -n 's|.*<a href="/ui/audit?before=\([0-9]*\)">older</a>.*|\1|p' "$T_TMP/page")
is "$(get "$url/ui/audit?before=$older" ; sed -n 's|^<tr><td>\([0-9]*\)</td>.*|\1|p' "$T_TMP/page" | head -1)" "200$((older - 1))" "audit: the older page goes on from there"
is "$(get -X POST -d x "$url/ui/")" 405 "the interface is read-only"

done_testing
