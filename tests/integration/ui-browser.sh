#!/bin/sh
# ui-browser.sh - the promoter's web interface in a real browser: Debian's
# headless Chromium driven by python3-selenium (ui-browser.py) over a
# running instance with real builds (debpipe-builder, one success, one
# failure), two snapshots (an upgrade of hello between them) and CI
# results.  The overview shows the environments and their gates, the
# snapshot page the upgrade, the build page the log's last line; a
# package description and a job URL carrying <script> and javascript:
# are shown as text and run nothing (DOM probes); the console stays
# clean.  The overview's 1280x800 screenshot is kept as
# tests/integration/ui-overview.png in the build tree.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/builder-lib.sh"
need git dpkg-buildpackage dh fakeroot dpkg-deb gpg curl sqlite3 jq chromium chromedriver

# python3-selenium is Debian's: the system python, not a $PATH one.
py=
for c in /usr/bin/python3 python3; do
	if "$c" -c 'import selenium' 2>/dev/null; then py=$c; break; fi
done
if [ -z "$py" ]; then
	[ -n "${CI:-}" ] && bail "python3-selenium is missing (./bootstrap installs it)"
	echo "1..0 # SKIP python3-selenium not installed"
	exit 0
fi

plan 23

repo=$T_TMP/git/hello
bl_make_repo "$repo" dp-hello 1.0 "2026-11-01T10:00:00Z"
broken=$T_TMP/git/broken
bl_make_repo "$broken" dp-broken 1.0 "2026-11-01T10:00:00Z" \
	"$(printf 'override_dh_auto_build:\n\techo this build is meant to fail; exit 1')"

inst=$(make_instance)
conf=$inst/debpipe.conf
db=$inst/state/state.db
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
cat >"$inst/watch.d/hello.watch" <<EOF2
Watch: dp-hello
Type: git
URL: file://$repo
Branch: main
Distribution: bookworm
Interval: 1h

Watch: dp-broken
Type: git
URL: file://$broken
Branch: main
Distribution: bookworm
Interval: 1h
EOF2
printf 'ci-token-0123456789 reporter ci\n' >"$inst/tokens"
chmod 600 "$inst/tokens"
export DEBPIPE_URL=$url DEBPIPE_TOKEN=ci-token-0123456789
dp() { debpipe --config "$conf" "$@"; }
latest() { readlink "$pub/latest" | sed 's,^snapshots/,,'; }

# A package whose description carries markup and a javascript: URL.
evil=$T_TMP/evil
mkdir -p "$evil/DEBIAN" "$debs"
cat >"$evil/DEBIAN/control" <<'EOF2'
Package: evil
Version: 1.0
Architecture: all
Maintainer: Test <test@example.org>
Description: <script>window.pwned=1</script> <img src=x onerror=window.pwned=1> javascript:window.pwned=1
 Long description.
EOF2
dpkg-deb --root-owner-group -Zgzip --build "$evil" "$debs/evil_1.0_all.deb" >/dev/null

ok "key init" dp key init
exits 1 "builder: one real build succeeds, one fails" debpipe-builder --config "$conf" --once
is "$(sqlite3 "$db" "SELECT watch || '=' || state FROM builds ORDER BY watch")" \
	"$(printf 'dp-broken=failed\ndp-hello=success')" "the builds' states"
ok "add hello 1.0 and evil" dp add "$(make_deb "$debs" hello 1.0-1 amd64)" "$debs/evil_1.0_all.deb" --dist bookworm
ok "snapshot 1" dp snapshot now
sleep 1
ok "add hello 2.0" dp add "$(make_deb "$debs" hello 2.0-1 amd64)" --dist bookworm
ok "snapshot 2" dp snapshot now
s2=$(latest)

debpipe-promoter --config "$conf" --foreground >"$T_TMP/promoter.log" 2>&1 &
t_bg $!
ok "promoter up" wait_for 10 curl -fsS -o /dev/null "$url/api/v1/environments"
ok "test is on $s2" wait_for 10 sh -c "curl -fsS '$url/api/v1/environments' | jq -e '.environments[0].snapshot == \"$s2\"'"
ok "acceptance passes, its URL carries <script>" snapshot-promote report "$s2" --job acceptance --result success \
	--url 'https://ci.example.org/job/1?q="><script>window.pwned3=1</script>'
ok "upgrade fails with a javascript: URL" snapshot-promote report "$s2" --job upgrade --result failure --url 'javascript:window.pwned2=1'

bid=$(sqlite3 "$db" "SELECT id FROM builds WHERE watch = 'dp-hello' AND state = 'success'")
logf=$(sqlite3 "$db" "SELECT log_path FROM builds WHERE id = $bid")
lastline=$(grep -v '^[[:space:]]*$' "$logf" | tail -n 1)

mkdir -p "$top_builddir/tests/integration"
shot=$top_builddir/tests/integration/ui-overview.png
rm -f "$shot"
start=$(date +%s)
ok "Chromium visits the pages" sh -c "'$py' '$top_srcdir/tests/integration/ui-browser.py' '$url' '$s2' '$bid' '$shot' '$T_TMP/chromium' >'$T_TMP/seen.json' 2>'$T_TMP/browser.err'"
echo "# the browser took $(($(date +%s) - start))s"
[ -s "$T_TMP/seen.json" ] || sed 's/^/#   /' "$T_TMP/browser.err" | tail -20
seen() { jq -r "$1" "$T_TMP/seen.json" 2>/dev/null; }

is "$(seen '.envs | join(" ")')" "test staging" "overview: the environments"
is "$(seen '.gates | join("|")')" "passed acceptance|failed upgrade" "overview: staging's gates, each with its state"
is "$(seen '.gate_links | join(" ")')" 'https://ci.example.org/job/1?q=%22%3E%3Cscript%3Ewindow.pwned3=1%3C/script%3E' \
	"only the https job URL is a link (the javascript: one is text)"
like "$(seen '.pages.overview.text')" "dp-broken" "overview: the failed build"
is "$(seen '.upgraded[] | select(.[1] == "hello") | join(" ")')" "upgraded hello amd64 1.0-1 2.0-1" \
	"snapshot page (reached by its link): the upgrade of hello"
is "$(seen '.descriptions[] | select(startswith("<script>"))')" \
	'<script>window.pwned=1</script> <img src=x onerror=window.pwned=1> javascript:window.pwned=1' \
	"the hostile description is shown as text"
is "$(seen '.log | split("\n") | map(select(test("\\S"))) | last')" "$lastline" "build page: the log's last line"
is "$(seen '[.pages[] | select(.pwned or .scripts > 0 or .handlers > 0 or .jslinks > 0 or .imgs > 0)] | length')" 0 \
	"no page ran a script or holds a script, handler, javascript: link or image"
is "$(seen '[.pages[] | .title] | join(",")')" \
	"Overview - debpipe,Snapshot $s2 - debpipe,Build $bid of dp-hello - debpipe,Builds - debpipe,Watches - debpipe,Audit log - debpipe" \
	"six pages rendered"
is "$(seen '[.console[] | select(.level == "SEVERE" or .level == "WARNING") | .page + ": " + .message] | join("; ")')" "" \
	"the browser console has no errors"
is "$("$py" -c 'import struct, sys; d = open(sys.argv[1], "rb").read(24); print(d[:8] == b"\x89PNG\r\n\x1a\n", "%dx%d" % struct.unpack(">II", d[16:24]))' "$shot" 2>&1)" "True 1280x800" \
	"the overview screenshot: a PNG, 1280x800"
echo "# screenshot: $shot"

done_testing
