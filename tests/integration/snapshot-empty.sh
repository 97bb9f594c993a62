#!/bin/sh
# snapshot-empty.sh - no snapshot while a Distribution has no packages
# (DESIGN.md "Snapshots are never empty or incomplete"): `snapshot now` and
# the snapshotter refuse with a reason and change nothing; --allow-empty
# publishes one, and that snapshot, like every other, has the index files
# of every component and architecture (empty ones included), listed in its
# signed Release, so the real apt-get updates from it over HTTP without a
# missing-index warning.  With a package in one Distribution only, the
# empty one still stops snapshots; once each has one, they are taken.
. "$top_srcdir/tests/integration/lib.sh"
need dpkg-deb apt-get gpg python3 curl sqlite3

plan 32

inst=$(make_instance)
sed -i '/^Distribution: bookworm/,$d' "$inst/debpipe.conf"
cat >>"$inst/debpipe.conf" <<'EOC'
Distribution: bookworm
Components: main contrib
Architectures: amd64 arm64 all

Distribution: trixie
Components: main
Architectures: amd64 all
EOC
conf=$inst/debpipe.conf
pub=$inst/public
debs=$T_TMP/debs
dp() { debpipe --config "$conf" "$@"; }
nsnaps() { ls "$pub/snapshots" 2>/dev/null | grep -c '^[0-9]\{8\}T[0-9]\{6\}Z$'; }
nrows() { sqlite3 "$inst/state/state.db" "SELECT count(*) FROM snapshots" 2>&1; }

ok "key init" dp key init

# Nothing in the package set: refused, nothing changed.
exits 1 "snapshot now with no packages is refused" dp snapshot now
like "$(last_output)" "distribution bookworm has no packages" "... naming the empty distribution"
like "$(last_output)" "--allow-empty" "... and the way to take one anyway"
is "$(nsnaps)" 0 "no snapshot directory"
is "$(nrows)" 0 "no snapshot row"
ok "no latest" test ! -e "$pub/latest" -a ! -L "$pub/latest"
exits 1 "--json says why" dp --json snapshot now
like "$(last_output)" '"published": false' "... published false with the reason"

# The daemon: no snapshot, and it says so in its log once.
debpipe-snapshotter --config "$conf" --once --foreground \
	>"$T_TMP/snapd.out" 2>&1
is "$?" 0 "snapshotter --once exits 0"
like "$(cat "$T_TMP/snapd.out")" "distribution bookworm has no packages" "... logs why"
is "$(nsnaps)" 0 "... publishes nothing"

# --allow-empty: a snapshot with complete, empty indices.
ok "snapshot now --allow-empty" dp snapshot now --allow-empty
id=$(cat "$T_TMP/last.out")
is "$(nsnaps)" 1 "one snapshot"
missing=
for f in bookworm/main/binary-amd64 bookworm/main/binary-arm64 \
	bookworm/main/binary-all bookworm/contrib/binary-amd64 \
	bookworm/contrib/binary-arm64 bookworm/contrib/binary-all \
	trixie/main/binary-amd64 trixie/main/binary-all; do
	for v in Packages Packages.gz Packages.xz; do
		[ -f "$pub/snapshots/$id/dists/$f/$v" ] || missing="$missing $f/$v"
	done
done
for f in bookworm/main bookworm/contrib trixie/main; do
	for v in Sources Sources.gz Sources.xz; do
		[ -f "$pub/snapshots/$id/dists/$f/source/$v" ] ||
			missing="$missing $f/source/$v"
	done
done
is "$missing" "" "every component x architecture has Packages, .gz, .xz and Sources"
is "$(wc -c <"$pub/snapshots/$id/dists/bookworm/contrib/binary-arm64/Packages")" 0 \
	"... the plain ones are empty"
ok "... and the .xz is a valid empty xz" \
	sh -c "xz -dc '$pub/snapshots/$id/dists/bookworm/main/binary-amd64/Packages.xz' | cmp -s - /dev/null"
rel=$pub/snapshots/$id/dists/bookworm/Release
# the empty file's SHA256, listed for the empty indices
e3=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
like "$(sed -n '/^SHA256:/,$p' "$rel")" "$e3 +0 contrib/binary-arm64/Packages\$" \
	"Release lists the empty contrib arm64 Packages"
like "$(cat "$rel")" "contrib/binary-arm64/Packages.xz\$" "... and its .xz"
like "$(cat "$rel")" "contrib/source/Sources\$" "... and contrib's Sources"

port=$(http_serve "$pub")
ar=$(apt_root "http://127.0.0.1:$port/snapshots/$id" bookworm "main contrib" "$pub/debpipe-archive-keyring.gpg")
apt_get "$ar" update >"$T_TMP/apt.out" 2>&1
is "$?" 0 "apt-get update of the empty snapshot"
like "$(cat "$T_TMP/apt.out")" "^Get:1 .* bookworm InRelease" "... fetched its signed InRelease"
unlike "$(cat "$T_TMP/apt.out")" "^(W|E|Err|Ign):|[Mm]issing|[Ii]gnored" "... no warning, error or missing index"

# One Distribution with a package, the other still empty: still refused.
common=$(make_deb "$debs" common 1.0 all)
ok "add a package to bookworm" dp add --dist bookworm "$common"
exits 1 "trixie still empty: refused" dp snapshot now
like "$(last_output)" "distribution trixie has no packages" "... naming trixie"
is "$(nsnaps)" 1 "... still one snapshot"
ok "add one to trixie" dp add --dist trixie "$common"
ok "both have packages: snapshot now" dp snapshot now
is "$(nsnaps)" 2 "two snapshots"
ok "the snapshotter publishes again once a package changes" sh -c "
	debpipe --config '$conf' add --dist trixie '$(make_deb "$debs" other 1.0 all)' >/dev/null &&
	debpipe-snapshotter --config '$conf' --once --foreground >/dev/null 2>&1"
is "$(nsnaps)" 3 "three snapshots"

done_testing
