#!/bin/sh
# gc-buildinfo.sh - the .buildinfo files the clean-room builder publishes
# beside its packages in the pool (no files row) are removed by gc with
# the last file they describe (by their Checksums-Sha256 names, else by
# the version in their own name), never while one of those stays; one gc
# cannot read is kept; gc --dry-run lists them and removes nothing.
. "$top_srcdir/tests/integration/lib.sh"
need dpkg-deb gpg sqlite3

plan 13

inst=$(make_instance "Keep-Snapshots: 1")
sed -i '/^Keep-Snapshots: 10$/d' "$inst/debpipe.conf"
echo "Keep-Versions: 1" >>"$inst/debpipe.conf"
conf=$inst/debpipe.conf
pool=$inst/public/pool
debs=$T_TMP/debs
dp() { debpipe --config "$conf" "$@"; }

# buildinfo DIR SOURCE VERSION [FILE...]: what sbuild writes (unsigned),
# listing FILEs (none: no Checksums-Sha256 field)
buildinfo() {
	bi_dir=$1 bi_src=$2 bi_ver=$3; shift 3
	{
		echo "Format: 1.0"
		echo "Source: $bi_src"
		echo "Binary: $bi_src"
		echo "Architecture: amd64"
		echo "Version: $bi_ver"
		if [ $# -gt 0 ]; then
			echo "Checksums-Sha256:"
			for f in "$@"; do
				echo " 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef 1234 $f"
			done
		fi
		echo "Build-Architecture: amd64"
	} >"$bi_dir/${bi_src}_${bi_ver}_amd64.buildinfo"
}

ok "key init" dp key init
ok "add foo 1.0 and bar 1.0" dp add "$(make_deb "$debs" foo 1.0 amd64)" \
	"$(make_deb "$debs" bar 1.0 amd64)" "$(make_deb "$debs" baz 1.0 amd64)" --dist bookworm
ok "snapshot" dp snapshot now
# an environment on it holds it (and the 1.0 packages) through the next
# snapshot's own gc
sqlite3 "$inst/state/state.db" "INSERT INTO environments(name, snapshot, since) SELECT 'prod', id, '2026-01-01T00:00:00Z' FROM snapshots"
foodir=$pool/main/f/foo bardir=$pool/main/b/bar bazdir=$pool/main/b/baz
buildinfo "$foodir" foo 1.0 foo_1.0_amd64.deb
buildinfo "$bardir" bar 1.0
printf 'not\n a buildinfo\n' >"$bazdir/baz_1.0_amd64.buildinfo"
sleep 1
ok "add foo 2.0, bar 2.0 and baz 2.0 (Keep-Versions: 1 drops the 1.0s)" \
	dp add "$(make_deb "$debs" foo 2.0 amd64)" "$(make_deb "$debs" bar 2.0 amd64)" \
	"$(make_deb "$debs" baz 2.0 amd64)" --dist bookworm
ok "snapshot" dp snapshot now
buildinfo "$foodir" foo 2.0 foo_2.0_amd64.deb
sqlite3 "$inst/state/state.db" "DELETE FROM environments"

find "$inst/public" | sort >"$T_TMP/before"
ok "gc --dry-run" dp gc --dry-run
cp "$T_TMP/last.out" "$T_TMP/dry.out"
grep buildinfo "$T_TMP/dry.out" >"$T_TMP/dry" || true
is "$(grep -c 'foo_1.0_amd64.buildinfo\|bar_1.0_amd64.buildinfo' "$T_TMP/dry")" 2 \
	"gc --dry-run names the two .buildinfo files that go"
find "$inst/public" | sort >"$T_TMP/after"
ok "gc --dry-run removes nothing" cmp "$T_TMP/before" "$T_TMP/after"

ok "gc" dp gc
like "$(last_output)" "removed 1 snapshot and 5 pool files" "gc counts the two .buildinfo files with the three .debs"
is "$(cd "$pool" && find . -name '*.buildinfo' | sort | tr '\n' ' ')" \
	"./main/b/baz/baz_1.0_amd64.buildinfo ./main/f/foo/foo_2.0_amd64.buildinfo " \
	"the 1.0 .buildinfo files of foo (by its list) and bar (by its name) went with their .debs; foo 2.0's and the unreadable one stay"
is "$(ls "$foodir" | tr '\n' ' ')" "foo_2.0_amd64.buildinfo foo_2.0_amd64.deb " \
	"foo's directory holds 2.0 and its .buildinfo"
is "$(sqlite3 "$inst/state/state.db" 'PRAGMA integrity_check')" ok "state.db intact"
done_testing
