#!/bin/sh
# add.sh - debpipe add: real .debs (dpkg-deb) and a real source package
# (dpkg-source) go into the pool and state.db; every bad input is refused
# with a message naming the file and leaves pool and database unchanged.
. "$top_srcdir/tests/integration/lib.sh"
need dpkg-deb dpkg-source sqlite3 sha256sum python3

inst=$(make_instance)
cat >>"$inst/debpipe.conf" <<'EOC'

Distribution: trixie
Components: main contrib
Architectures: amd64 arm64
Contents: yes
EOC
conf=$inst/debpipe.conf
db=$inst/state/state.db
pool=$inst/public/pool
debs=$T_TMP/debs
mkdir -p "$debs"

dp() { debpipe --config "$conf" "$@"; }
q() { sqlite3 "$db" "$1"; }

# make_raw_deb NAME CONTROL-TEXT: a .deb with any control file at all
# (dpkg-deb --nocheck), for the hostile cases.
make_raw_deb() {
	rd=$(mktemp -d "$T_TMP/raw.XXXXXX")
	mkdir -p "$rd/DEBIAN" "$rd/usr/share/doc/raw"
	echo raw >"$rd/usr/share/doc/raw/README"
	printf '%s\n' "$2" >"$rd/DEBIAN/control"
	dpkg-deb --nocheck --root-owner-group -Zgzip --build "$rd" \
		"$debs/$1" >/dev/null 2>&1 || return 1
	rm -rf "$rd"
	echo "$debs/$1"
}

state() {
	{
		sqlite3 "$db" .dump
		find "$inst/public" -printf '%p %s %y\n' | sort
	} >"$1"
}

# refused DESC NEEDLE ARGS...: exit 1, stderr names NEEDLE, nothing changed.
refused() {
	r_desc=$1 r_needle=$2; shift 2
	state "$T_TMP/before"
	dp add "$@" >"$T_TMP/r.out" 2>"$T_TMP/r.err"
	r_rc=$?
	state "$T_TMP/after"
	if [ "$r_rc" = 1 ] && grep -qF -- "$r_needle" "$T_TMP/r.err" &&
	    cmp -s "$T_TMP/before" "$T_TMP/after"; then
		t_result 0 "$r_desc"
	else
		t_result 1 "$r_desc"
		echo "#   exit $r_rc; stderr:"; sed 's/^/#   /' "$T_TMP/r.err"
		diff "$T_TMP/before" "$T_TMP/after" | sed 's/^/#   /' | head -20
	fi
}

# --- good packages ---------------------------------------------------
hello=$(make_deb "$debs" hello 1.0-1 amd64 "Depends: libc6 (>= 2.34)") ||
	bail "dpkg-deb failed"
doc=$(make_deb "$debs" hello-doc 1.0-1 all "Source: hello")
lib=$(make_deb "$debs" libfoo1 2:1.2-3 amd64 "Source: libfoo (2:1.2-1)
Installed-Size: 42
Multi-Arch: same")

exits 2 "add without --dist is bad usage" dp add "$hello"
exits 2 "add without files is bad usage" dp add --dist bookworm
ok "add --help" dp add --help

ok "add three .debs" dp add "$hello" "$doc" "$lib" --dist bookworm
is "$(last_output)" "added hello 1.0-1 amd64
added hello-doc 1.0-1 all
added libfoo1 2:1.2-3 amd64" "one line per package added"
ok "pool files in place" test -f "$pool/main/h/hello/hello_1.0-1_amd64.deb" \
	-a -f "$pool/main/h/hello/hello-doc_1.0-1_all.deb" \
	-a -f "$pool/main/libf/libfoo/libfoo1_1.2-3_amd64.deb"
is "$(q "SELECT path FROM files ORDER BY path")" \
"main/h/hello/hello-doc_1.0-1_all.deb
main/h/hello/hello_1.0-1_amd64.deb
main/libf/libfoo/libfoo1_1.2-3_amd64.deb" "files rows, pool-relative paths"
sum=$(sha256sum "$pool/main/h/hello/hello_1.0-1_amd64.deb" | cut -d' ' -f1)
md5=$(md5sum "$pool/main/h/hello/hello_1.0-1_amd64.deb" | cut -d' ' -f1)
size=$(stat -c %s "$hello")
is "$(q "SELECT sha256 || ' ' || md5 || ' ' || size FROM files WHERE path LIKE '%hello_1.0-1_amd64.deb'")" \
	"$sum $md5 $size" "checksums and size recorded"
ok "pool file identical to the input" cmp "$hello" "$pool/main/h/hello/hello_1.0-1_amd64.deb"
is "$(q "SELECT name, version, arch, source, source_version, origin, contents IS NULL FROM packages ORDER BY id")" \
"hello|1.0-1|amd64|hello|1.0-1|add|1
hello-doc|1.0-1|all|hello|1.0-1|add|1
libfoo1|2:1.2-3|amd64|libfoo|2:1.2-1|add|1" "packages rows (no Contents for bookworm)"
is "$(q "SELECT control FROM packages WHERE name = 'libfoo1'")" \
"Package: libfoo1
Source: libfoo (2:1.2-1)
Version: 2:1.2-3
Installed-Size: 42
Maintainer: Test <test@example.org>
Architecture: amd64
Section: misc
Priority: optional
Description: test package libfoo1
 A package made by the debpipe test suite.
Multi-Arch: same" "control paragraph in archive order"
ok "no temporary files left in the pool" \
	sh -c "! find '$pool' -name '.tmp*' | grep -q ."

ok "adding the same packages again" dp add "$hello" "$lib" --dist bookworm
is "$(last_output)" "present hello 1.0-1 amd64
present libfoo1 2:1.2-3 amd64" "reported as already present"
is "$(q "SELECT count(*) FROM packages") $(q "SELECT count(*) FROM files")" \
	"3 3" "no duplicate rows"
ok "--json" dp --json add "$hello" --dist bookworm
is "$(last_output | python3 -c 'import json,sys; d=json.load(sys.stdin); p=d["packages"][0]; print(d["dist"], d["component"], p["name"], p["version"], p["arch"], p["existed"])')" \
	"bookworm main hello 1.0-1 amd64 True" "--json output"

twice=$(make_deb "$debs" twice 1.0 all)
ok "the same file twice in one call" dp add "$twice" "$twice" --dist bookworm
is "$(last_output)" "added twice 1.0 all
present twice 1.0 all" "second one reported present"
rm -f "$pool/main/t/twice/twice_1.0_all.deb"
ok "a pool file removed by hand" dp add "$twice" --dist bookworm
ok "... is put back by adding it again" cmp "$twice" "$pool/main/t/twice/twice_1.0_all.deb"

# Contents: yes distribution, another component
ok "add to trixie/contrib" dp add "$hello" --dist trixie --component contrib
ok "contrib pool file" test -f "$pool/contrib/h/hello/hello_1.0-1_amd64.deb"
is "$(q "SELECT contents FROM packages WHERE dist = 'trixie'")" \
	"usr/share/doc/hello/README" "file list stored for Contents: yes"

# a real source package
src=$T_TMP/src/hello-2.0
mkdir -p "$src/debian/source"
echo "3.0 (native)" >"$src/debian/source/format"
cat >"$src/debian/control" <<'EOC'
Source: hello
Section: misc
Priority: optional
Maintainer: Test <test@example.org>
Standards-Version: 4.6.2
Homepage: https://example.org/hello

Package: hello
Architecture: any
Description: test
 test
EOC
cat >"$src/debian/changelog" <<'EOC'
hello (2.0) unstable; urgency=medium

  * Test.

 -- Test <test@example.org>  Sun, 22 Nov 2026 00:00:00 +0000
EOC
printf '#!/usr/bin/make -f\n%%:\n\tdh $@\n' >"$src/debian/rules"
(cd "$T_TMP/src" && dpkg-source -b hello-2.0 >/dev/null 2>&1) ||
	bail "dpkg-source -b failed"
dsc=$T_TMP/src/hello_2.0.dsc
ok "add a .dsc" dp add "$dsc" --dist bookworm
is "$(last_output)" "added hello 2.0 source" "source reported"
ok "source files in the pool" test -f "$pool/main/h/hello/hello_2.0.dsc" \
	-a -f "$pool/main/h/hello/hello_2.0.tar.xz"
is "$(q "SELECT name, version, directory FROM sources")" \
	"hello|2.0|pool/main/h/hello" "sources row"
is "$(q "SELECT count(*) FROM source_files")" 2 "source_files link the .dsc and the tarball"
ctl=$(q "SELECT control FROM sources")
dscsum=$(sha256sum "$dsc" | cut -d' ' -f1)
like "$ctl" "^Package: hello" "Sources paragraph starts with Package"
like "$ctl" "Directory: pool/main/h/hello" "Sources paragraph has Directory"
like "$ctl" " $dscsum [0-9]+ hello_2.0.dsc" "Checksums-Sha256 lists the .dsc itself"
ok "adding the .dsc again" dp add "$dsc" --dist bookworm
is "$(last_output)" "present hello 2.0 source" "source already present"

# --- refusals: nothing changes ---------------------------------------
cp "$hello" "$debs/trunc.deb"; chmod u+w "$debs/trunc.deb"
truncate -s $((size - 100)) "$debs/trunc.deb"
refused "truncated .deb refused" "trunc.deb" "$debs/trunc.deb" --dist bookworm
head -c 10 "$hello" >"$debs/trunc10.deb"
refused "truncated header refused" "trunc10.deb" "$debs/trunc10.deb" --dist bookworm
echo "not a package" >"$debs/text.deb"
refused "non-ar file refused" "not an ar archive" "$debs/text.deb" --dist bookworm
: >"$debs/empty.deb"
refused "empty file refused" "empty.deb: empty" "$debs/empty.deb" --dist bookworm
refused "missing file refused" "nosuch.deb" "$debs/nosuch.deb" --dist bookworm

ctl_ok="Version: 1.0
Architecture: amd64
Maintainer: T <t@example.org>
Description: d"
b=$(make_raw_deb slash.deb "Package: evil/name
$ctl_ok") || bail "dpkg-deb --nocheck failed"
refused "package name with '/' refused" "slash.deb: Package field: invalid package name" "$b" --dist bookworm
b=$(make_raw_deb dotdot.deb "Package: ..
$ctl_ok")
refused "package name '..' refused" "dotdot.deb: Package field: invalid package name" "$b" --dist bookworm
b=$(make_raw_deb dots.deb "Package: a..b
$ctl_ok")
refused "package name containing '..' refused" "dots.deb" "$b" --dist bookworm
b=$(make_raw_deb badver.deb "Package: badver
Version: abc/../1
Architecture: amd64
Maintainer: T <t@example.org>
Description: d")
refused "version libdpkg rejects refused" "badver.deb: Version field: invalid version" "$b" --dist bookworm
for field in Package Version Architecture Maintainer Description; do
	text=$(printf '%s\n' "Package: nofield" "Version: 1.0" "Architecture: amd64" \
		"Maintainer: T <t@example.org>" "Description: d" | grep -v "^$field:")
	b=$(make_raw_deb "no$field.deb" "$text")
	refused "missing $field refused" "missing required field $field" "$b" --dist bookworm
done
i386=$(make_deb "$debs" hello 1.0-1 i386)
refused "architecture not configured refused" "architecture 'i386' is not configured" "$i386" --dist bookworm
refused "good + bad together: nothing added" "text.deb" "$doc" \
	"$(make_deb "$debs" newpkg 1.0 all)" "$debs/text.deb" --dist bookworm
other=$(make_deb "$T_TMP/other" hello 1.0-1 amd64 "Recommends: something-else")
refused "same name/version/arch, different content refused" "different content" "$other" --dist bookworm
refused "... also as a different distribution's pool file" "different content" "$other" --dist trixie
refused "unknown distribution refused" "'sid' is not configured" "$hello" --dist sid

# .dsc: missing listed file, wrong checksum, unsafe file name
mkdir -p "$T_TMP/bad"
cp "$T_TMP/src/hello_2.0.tar.xz" "$T_TMP/bad/"
sed 's/2\.0/2.1/g' "$dsc" >"$T_TMP/bad/hello_2.1.dsc"
refused ".dsc with a missing listed file refused" "hello_2.1.tar.xz is missing" \
	"$T_TMP/bad/hello_2.1.dsc" --dist bookworm
echo "not the tarball the .dsc was made with" >"$T_TMP/bad/hello_2.1.tar.xz"
refused ".dsc with a wrong size refused" "size of hello_2.1.tar.xz does not match" \
	"$T_TMP/bad/hello_2.1.dsc" --dist bookworm
# same size, one byte different
python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[-1]^=1; open(sys.argv[2],"wb").write(d)' \
	"$T_TMP/src/hello_2.0.tar.xz" "$T_TMP/bad/hello_2.1.tar.xz"
refused ".dsc with a wrong checksum refused" "SHA256 checksum of hello_2.1.tar.xz does not match" \
	"$T_TMP/bad/hello_2.1.dsc" --dist bookworm
sed 's/ hello_2\.0\.tar\.xz/ ..\/..\/etc\/passwd/' "$dsc" >"$T_TMP/bad/evil.dsc"
refused ".dsc with an unsafe file name refused" "unsafe file name" \
	"$T_TMP/bad/evil.dsc" --dist bookworm

ok "pool and database still consistent" sh -c \
	"test \"\$(sqlite3 '$db' 'PRAGMA integrity_check')\" = ok"
done_testing
