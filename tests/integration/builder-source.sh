#!/bin/bash
# builder-source.sh - Build-Source: yes on the host builder: dpkg-
# buildpackage -F makes the source package beside the binaries, the
# builder ingests the .dsc and its files into the pool (a watch without
# it gets none), the snapshot's Sources lists it with the right sums,
# and the real apt-get source fetches it from the signed snapshot over
# HTTP and dpkg-source unpacks it to the tree that was built.
. "$top_srcdir/tests/integration/lib.sh" || exit 99
. "$top_srcdir/tests/integration/builder-lib.sh" || exit 99
need git dpkg-buildpackage dh fakeroot dpkg-deb dpkg-source sqlite3 jq apt-get gpg python3 curl

plan 15

repo=$T_TMP/git/src
bl_make_repo "$repo" dp-src 1.0 "2026-11-01T10:00:00Z"
repo2=$T_TMP/git/bin
bl_make_repo "$repo2" dp-bin 1.0 "2026-11-01T10:00:00Z"
inst=$(make_instance)
conf=$inst/debpipe.conf
pub=$inst/public
db=$inst/state/state.db
printf 'Watch: src\nType: git\nURL: file://%s\nBranch: main\nDistribution: bookworm\nBuild-Source: yes\nInterval: 1h\n\nWatch: bin\nType: git\nURL: file://%s\nBranch: main\nDistribution: bookworm\nInterval: 1h\n' \
	"$repo" "$repo2" >"$inst/watch.d/src.watch"
dp() { debpipe --config "$conf" "$@"; }

ok "key init" dp key init
ok "builder --once builds both watches" debpipe-builder --config "$conf" --once
is "$(dp builds --json --limit 10 | jq -r '[.builds[] | .watch + ":" + .state] | sort | join(",")')" \
	"bin:success,src:success" "both builds succeeded"
like "$(dp log "$(dp builds --json --limit 10 | jq -r '.builds[] | select(.watch == "src") | .id')")" \
	"dpkg-buildpackage .*-F" "Build-Source: yes runs dpkg-buildpackage -F (source and binaries)"
v=$(sqlite3 "$db" "SELECT version FROM sources WHERE name = 'dp-src'")
like "$v" '^1\.0\+git' "the source package is in state.db ($v)"
is "$(sqlite3 "$db" "SELECT count(*) FROM sources WHERE name = 'dp-bin'")" 0 \
	"a watch without Build-Source: yes has no source package"
dsc=$(find "$pub/pool" -name "dp-src_${v}.dsc")
ok "its .dsc is in the pool" test -f "$dsc"
ok "and the tarball it names" test -f "$(dirname "$dsc")/dp-src_${v}.tar.xz"

ok "snapshot now" dp snapshot now
src_idx=$(find "$pub/latest/dists/bookworm/main/source" -name Sources.xz | head -n 1)
xz -dc "$src_idx" >"$T_TMP/Sources"
like "$(cat "$T_TMP/Sources")" "Package: dp-src" "the snapshot's Sources lists dp-src"
sha=$(sha256sum "$dsc" | cut -d' ' -f1)
sed -n '/^Package: dp-src/,/^$/p' "$T_TMP/Sources" | grep -qFx " $sha $(stat -c %s "$dsc") dp-src_${v}.dsc"
t_result $? "with the .dsc's SHA256 and size"

port=$(http_serve "$pub")
ar=$(apt_root "http://127.0.0.1:$port/latest" bookworm main "$pub/debpipe-archive-keyring.gpg")
echo "deb-src [signed-by=$pub/debpipe-archive-keyring.gpg] http://127.0.0.1:$port/latest bookworm main" \
	>>"$ar/etc/apt/sources.list"
ok "apt-get update (signed, with deb-src)" apt_get "$ar" update
mkdir -p "$T_TMP/get"
get_source() { (cd "$T_TMP/get" && APT_CONFIG="$ar/apt.conf" apt-get -q source --download-only dp-src); }
# (Seen once, under ASan with four tests running on two cores: "You must
# put some 'deb-src' URIs" right after an update that passed.  Not
# understood yet: say what the lists held, update again and retry once.)
if ! get_source >"$T_TMP/source.out" 2>&1; then
	echo "# apt-get source failed once: $(tr '\n' ' ' <"$T_TMP/source.out" | cut -c1-200)"
	echo "# lists: $(ls "$ar/var/lib/apt/lists" | tr '\n' ' ')"
	apt_get "$ar" update >/dev/null 2>&1
fi
ok "apt-get source --download-only dp-src" get_source
ok "dpkg-source unpacks what apt-get fetched" sh -c "cd '$T_TMP/get' && dpkg-source --no-check -x dp-src_${v}.dsc out >/dev/null"
is "$(cat "$T_TMP/get/out/hello.txt" 2>/dev/null)" hello "to the tree that was built"
done_testing
