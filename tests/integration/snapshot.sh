#!/bin/sh
# snapshot.sh - debpipe-snapshotter --once and `debpipe snapshot` end to end:
# real .debs and a real source package go in, a signed snapshot comes out,
# and the real apt-get (signed-by= the exported key, private configuration)
# updates from it over HTTP without a warning, sees the right versions,
# downloads packages, and refuses a tampered Release.  Also: nothing is
# published when nothing changed, latest, by-hash across snapshots,
# Contents, snapshot list/show/diff (text and --json), gc --dry-run.
. "$top_srcdir/tests/integration/lib.sh"
need dpkg-deb dpkg-source apt-get gpg python3 curl sqlite3

plan 66

inst=$(make_instance)
cat >>"$inst/debpipe.conf" <<'EOC'
Contents: yes
Description: debpipe test repository

Distribution: trixie
Components: main
Architectures: amd64 arm64 all
Keep-Versions: 2
EOC
conf=$inst/debpipe.conf
pub=$inst/public
debs=$T_TMP/debs
dp() { debpipe --config "$conf" "$@"; }
snap() { debpipe-snapshotter --config "$conf" --once; }
nsnaps() { ls "$pub/snapshots" | grep -c '^[0-9]\{8\}T[0-9]\{6\}Z$'; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

ok "key init" dp key init
hello10=$(make_deb "$debs" hello 1.0-1 amd64 "Depends: common")
hello09=$(make_deb "$debs" hello 0.9-1 amd64)
common=$(make_deb "$debs" common 1.0 all)
tool=$(make_deb "$debs" tool 2:3.1 amd64)

# a real source package
src=$T_TMP/src/hello-1.0
mkdir -p "$src/debian/source"
echo "1.0" >"$src/debian/source/format"
cat >"$src/debian/control" <<'EOC'
Source: hello
Section: misc
Priority: optional
Maintainer: Test <test@example.org>
Standards-Version: 4.6.2

Package: hello
Architecture: any
Description: test
 test
EOC
cat >"$src/debian/changelog" <<'EOC'
hello (1.0-1) unstable; urgency=medium

  * Test.

 -- Test <test@example.org>  Sun, 22 Nov 2026 00:00:00 +0000
EOC
(cd "$T_TMP/src" && dpkg-source -b hello-1.0 >/dev/null 2>&1) ||
	bail "dpkg-source -b failed"

ok "add packages" dp add "$hello09" "$hello10" "$common" "$tool" \
	"$T_TMP/src/hello_1.0-1.dsc" --dist bookworm
ok "add to a second distribution" dp add "$hello09" "$hello10" "$common" --dist trixie
ok "snapshotter --once publishes" snap
is "$(nsnaps)" 1 "one snapshot"
id1=$(readlink "$pub/latest" | sed 's,^snapshots/,,')
like "$id1" '^[0-9]{8}T[0-9]{6}Z$' "latest -> snapshots/<ID>"
rd=$pub/latest/dists/bookworm
ok "Release, InRelease, Release.gpg" test -s "$rd/Release" -a -s "$rd/InRelease" -a -s "$rd/Release.gpg"
rel=$(cat "$rd/Release")
like "$rel" '^Codename: bookworm$' "Codename"
like "$rel" '^Acquire-By-Hash: yes$' "Acquire-By-Hash"
like "$rel" "^Snapshots: http://127.0.0.1:[0-9]+/snapshots/@SNAPSHOTID@$" "Snapshots:"
ok "Release.gpg verifies" gpgv --keyring "$pub/debpipe-archive-keyring.gpg" \
	"$rd/Release.gpg" "$rd/Release"
ok "InRelease verifies" gpgv --keyring "$pub/debpipe-archive-keyring.gpg" \
	"$rd/InRelease"
# Every listed file exists with the listed size and SHA256.
sums_ok() {
	awk '/^SHA256:/ { s = 1; next } /^[^ ]/ { s = 0 } s { print $1, $3 }' \
		"$1/Release" | while read -r h f; do
		[ "$(sha256sum <"$1/$f" | cut -d' ' -f1)" = "$h" ] || {
			echo "bad $f"; exit 1; }
		sd=$(dirname "$f")
		[ -f "$1/$sd/by-hash/SHA256/$h" ] || { echo "no by-hash $f"; exit 1; }
	done
}
ok "Release checksums and by-hash files match" sums_ok "$rd"
pk=$(cat "$rd/main/binary-amd64/Packages")
like "$pk" '^Package: common$' "arch all package in binary-amd64"
unlike "$pk" '^Version: 0.9-1$' "only the newest hello"
like "$(cat "$rd/main/source/Sources")" '^Package: hello$' "Sources index"
ok "Contents-amd64.gz" sh -c "zcat '$rd/main/Contents-amd64.gz' | grep -q '^usr/share/doc/common/README  *misc/common$'"
ok "keyring published" test -s "$pub/debpipe-archive-keyring.gpg"
td=$pub/latest/dists/trixie
is "$(grep '^Version:' "$td/main/binary-amd64/Packages" | tr '\n' ' ')" \
	"Version: 1.0 Version: 0.9-1 Version: 1.0-1 " "Keep-Versions: 2 keeps two hello versions"
is "$(grep '^Package:' "$td/main/binary-arm64/Packages")" "Package: common" \
	"arm64 index holds the all package"
is "$(grep '^Package:' "$td/main/binary-all/Packages")" "Package: common" "binary-all index"
ok "trixie Release verifies and matches" sums_ok "$td"

# apt-get against it
port=$(http_serve "$pub")
ar=$(apt_root "http://127.0.0.1:$port/latest" bookworm main "$pub/debpipe-archive-keyring.gpg")
echo "deb-src [signed-by=$pub/debpipe-archive-keyring.gpg] http://127.0.0.1:$port/latest bookworm main" >>"$ar/etc/apt/sources.list"
ok "apt-get update" apt_get "$ar" update
unlike "$(last_output)" '^(W|E|Err):' "no warnings or errors from apt"
like "$(apt_cache "$ar" policy hello)" 'Candidate: 1\.0-1' "apt sees hello 1.0-1"
like "$(apt_cache "$ar" policy common)" 'Candidate: 1\.0' "apt sees common (all)"
like "$(apt_cache "$ar" policy tool)" 'Candidate: 2:3\.1' "apt sees tool 2:3.1"
like "$(apt_cache "$ar" showsrc hello)" 'Version: 1\.0-1' "apt sees the source"
mkdir -p "$T_TMP/dl"
ok "apt-get download" sh -c "cd '$T_TMP/dl' && APT_CONFIG='$ar/apt.conf' apt-get -q download hello common"
ok "downloaded files" test -s "$T_TMP/dl/hello_1.0-1_amd64.deb" -a -s "$T_TMP/dl/common_1.0_all.deb"

# nothing changed: nothing published
ok "second --once" snap
is "$(nsnaps)" 1 "still one snapshot"
ok "snapshot now without a change" dp snapshot now
like "$(last_output)" 'unchanged' "says unchanged"

# a new version
sleep 1
hello11=$(make_deb "$debs" hello 1.1-1 amd64)
ok "add hello 1.1-1" dp add "$hello11" --dist bookworm
ok "snapshot now" dp snapshot now
id2=$(last_output | tail -n 1)
is "$(readlink "$pub/latest")" "snapshots/$id2" "latest moved to the new snapshot"
is "$(nsnaps)" 2 "two snapshots"
ok "the old snapshot is unchanged" sums_ok "$pub/snapshots/$id1/dists/bookworm"
# a client that read the old InRelease still gets its index by hash
old=$(awk '/^SHA256:/ { s = 1; next } s && $3 == "main/binary-amd64/Packages.xz" { print $1 }' \
	"$pub/snapshots/$id1/dists/bookworm/Release")
ok "old index by hash via latest" curl -fsS -o /dev/null \
	"http://127.0.0.1:$port/latest/dists/bookworm/main/binary-amd64/by-hash/SHA256/$old"
ok "apt-get update (new snapshot)" apt_get "$ar" update
like "$(apt_cache "$ar" policy hello)" 'Candidate: 1\.1-1' "apt sees hello 1.1-1"

# list / show / diff
ok "snapshot list" dp snapshot list
like "$(last_output)" "^$id2 .*published" "list shows the new snapshot"
is "$(dp snapshot list --json | json 'len(d["snapshots"]), d["snapshots"][0]["id"]')" "2 $id2" "list --json, newest first"
is "$(dp snapshot show "$id1" --json | json '" ".join(sorted(p["name"]+"="+p["version"] for p in d["packages"] if p["dist"] == "bookworm"))')" \
	"common=1.0 hello=1.0-1 hello=1.0-1 tool=2:3.1" "show --json lists packages and the source"
ok "snapshot diff" dp snapshot diff "$id1" "$id2"
like "$(last_output)" 'upgraded +hello 1\.0-1 -> 1\.1-1 \(amd64\)' "diff: hello upgraded"
is "$(dp snapshot diff "$id2" "$id1" --json | json 'd["distributions"]["bookworm"]["downgraded"][0]["to"]')" \
	"1.0-1" "diff --json: downgraded the other way"
exits 1 "show of an unknown snapshot fails" dp snapshot show 20000101T000000Z
exits 2 "snapshot with a bad subcommand is a usage error" dp snapshot frobnicate

# a tampered Release: apt refuses it
mkdir -p "$pub/snapshots/tampered"
cp -a "$pub/snapshots/$id2/." "$pub/snapshots/tampered/"
sed -i 's/^Label: .*/Label: evil/' "$pub/snapshots/tampered/dists/bookworm/InRelease"
ar2=$(apt_root "http://127.0.0.1:$port/snapshots/tampered" bookworm main "$pub/debpipe-archive-keyring.gpg")
apt_get "$ar2" update >"$T_TMP/tamper.out" 2>&1
like "$(cat "$T_TMP/tamper.out")" '^(W|E):.*(signature|NO_PUBKEY|not signed|BADSIG|invalid)' "apt refuses a tampered InRelease"
rm "$pub/snapshots/tampered/dists/bookworm/InRelease"
sed -i 's/^Label: .*/Label: evil/' "$pub/snapshots/tampered/dists/bookworm/Release"
apt_get "$ar2" update >"$T_TMP/tamper2.out" 2>&1
like "$(cat "$T_TMP/tamper2.out")" '^(W|E):.*(signature|not signed|BADSIG|invalid)' "apt refuses a tampered Release"
rm -rf "$pub/snapshots/tampered"

ok "gc --dry-run" dp gc --dry-run --json

# a store file no snapshot lists (what a run killed after its record but
# before its GC leaves): the next run collects it even when unchanged
orphan=$pub/by-hash/bookworm/main/binary-amd64/SHA256/$(printf orphan | sha256sum | cut -d' ' -f1)
printf orphan >"$orphan"
ok "snapshot now, nothing changed" dp snapshot now
like "$(last_output)" 'unchanged' "says unchanged"
ok "the unlisted store file is collected" test ! -e "$orphan"
ok "the latest snapshot is intact" sums_ok "$pub/latest/dists/bookworm"

# Contents sorted in a temporary database (as past a million lines): the
# same text
zcat "$pub/latest/dists/bookworm/main/Contents-amd64.gz" >"$T_TMP/contents.mem"
rm -rf "$inst/state/index-cache"
sleep 1
ok "snapshot with Contents sorted on disk" env DEBPIPE_CONTENTS_SPILL=1 \
	debpipe --config "$conf" snapshot now --force
ok "the same Contents" sh -c "zcat '$pub/latest/dists/bookworm/main/Contents-amd64.gz' | cmp - '$T_TMP/contents.mem'"

# the daemon: a snapshot at the next multiple of Snapshot-Interval (10s)
# when the set changed, a queued `snapshot` request, heartbeat, SIGTERM
debpipe-snapshotter --config "$conf" --foreground >"$T_TMP/snapd.log" 2>&1 &
spid=$!
t_bg "$spid"
hello12=$(make_deb "$debs" hello 1.2-1 amd64)
ok "add hello 1.2-1 while the daemon runs" dp add "$hello12" --dist bookworm
ok "the daemon publishes it within an interval" wait_for 25 \
	sh -c "grep -q '^Version: 1.2-1' '$pub/latest/dists/bookworm/main/binary-amd64/Packages'"
n1=$(nsnaps)
sqlite3 "$inst/state/state.db" "INSERT INTO requests(kind, created) VALUES ('snapshot', '2026-01-01T00:00:00Z')"
ok "a queued snapshot request is served" wait_for 25 \
	sh -c "[ \$(ls '$pub/snapshots' | grep -c 'Z\$') -gt $n1 ]"
is "$(sqlite3 "$inst/state/state.db" "SELECT count(*) FROM requests WHERE done IS NULL")" 0 \
	"the request is marked done"
like "$(sqlite3 "$inst/state/state.db" "SELECT pid FROM daemons WHERE name = 'debpipe-snapshotter'")" \
	"^$spid\$" "heartbeat recorded"
kill -TERM "$spid"
wait "$spid"
is "$?" 0 "SIGTERM stops the daemon cleanly"
done_testing
