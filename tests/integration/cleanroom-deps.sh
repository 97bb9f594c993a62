#!/bin/bash
# Clean-room builds with the real sbuild: B build-depends on
# libdpfoo-dev (>= 1.2), which only another watch (A) makes.  While A is
# missing, B waits (state waiting, the unmet dependency as dose3 explains
# it), a builder run with nothing changed does not try it again; once A's
# packages land, B is tried again and builds against them without anyone
# acting.  Every build keeps its .buildinfo (builds --json, log
# --buildinfo) and publishes it beside its package in the pool.
. "$top_srcdir/tests/integration/lib.sh" || exit 99
. "$top_srcdir/tests/integration/builder-lib.sh" || exit 99
. "$top_srcdir/tests/integration/chroot-lib.sh" || exit 99
need git sbuild mmdebstrap newuidmap dpkg-source sqlite3 jq

plan 21

arch=$(dpkg --print-architecture)
tb=$(test_chroot_tarball) || bail "no test chroot"
inst=$(make_instance "Builder: sbuild")
conf=$inst/debpipe.conf
db=$inst/state/state.db
mkdir -p "$inst/state/chroots"
ln "$tb" "$inst/state/chroots/bookworm-$arch.tar.zst" 2>/dev/null ||
	cp "$tb" "$inst/state/chroots/bookworm-$arch.tar.zst"
q() { sqlite3 "$db" "$1"; }

# A: libdpfoo-dev 1.2 (source dpfoo).
bl_make_repo "$T_TMP/git/a" dpfoo 1.2 "2026-11-01T10:00:00Z"
sed -i 's/^Package: dpfoo/Package: libdpfoo-dev/' "$T_TMP/git/a/debian/control"
bl_commit "$T_TMP/git/a" "2026-11-01T10:00:00Z" "libdpfoo-dev"
# B: needs libdpfoo-dev (>= 1.2) and its file at build time.
bl_make_repo "$T_TMP/git/b" dpbar 2.0 "2026-11-01T10:00:00Z" \
	$'override_dh_auto_build:\n\ttest -f /usr/share/dpfoo/hello.txt'
sed -i 's/^Build-Depends: .*/&, libdpfoo-dev (>= 1.2)/' "$T_TMP/git/b/debian/control"
bl_commit "$T_TMP/git/b" "2026-11-01T10:00:00Z" "needs libdpfoo-dev"
printf 'Watch: b\nType: git\nURL: file://%s\nBranch: main\nDistribution: bookworm\n' \
	"$T_TMP/git/b" >"$inst/watch.d/b.watch"

# --- B waits while A is missing ---------------------------------------------
t0=$(date +%s)
ok "builder --once: B cannot be built yet, which is not a failure" \
	debpipe-builder --config "$conf" --once
echo "# sbuild run that waits: $(( $(date +%s) - t0 )) s"
bid=$(q "SELECT id FROM builds WHERE watch = 'b'")
is "$(q "SELECT state FROM builds WHERE id = $bid")" waiting "B is waiting"
like "$(q "SELECT message FROM builds WHERE id = $bid")" \
	"waiting for build dependencies: .*libdpfoo-dev(:$arch)? \(>= 1\.2\)" \
	"the message names the unmet dependency (dose3)"
like "$(debpipe --config "$conf" builds --waiting)" "b +waiting.*
.*libdpfoo-dev" "builds --waiting shows it and why"
like "$(debpipe --config "$conf" status)" "1 waiting for build dependencies" \
	"status counts it"
ok "the explanation is in the build log" \
	grep -q "unsat-dependency: libdpfoo-dev" "$inst/state/logs/build-$bid.log"
t0=$(date +%s)
ok "builder --once again, nothing changed" debpipe-builder --config "$conf" --once
is "$(q "SELECT state || ' ' || attempts FROM builds WHERE id = $bid")" "waiting 1" \
	"B was not tried again (no retry loop)"
echo "# builder run with nothing to do: $(( $(date +%s) - t0 )) s"

# --- A lands; B builds against it by itself ------------------------------------
printf 'Watch: a\nType: git\nURL: file://%s\nBranch: main\nDistribution: bookworm\n' \
	"$T_TMP/git/a" >"$inst/watch.d/a.watch"
t0=$(date +%s)
ok "builder --once builds A, then B by itself" debpipe-builder --config "$conf" --once
echo "# A then B: $(( $(date +%s) - t0 )) s"
aid=$(q "SELECT id FROM builds WHERE watch = 'a'")
is "$(q "SELECT state FROM builds WHERE id = $aid")" success "A: success"
is "$(q "SELECT state || ' ' || attempts FROM builds WHERE id = $bid")" "success 2" \
	"B: success on its second attempt, same build"
ok "B's build installed libdpfoo-dev from debpipe's packages" \
	grep -q "Unpacking libdpfoo-dev (1.2" "$inst/state/logs/build-$bid.log"
ok "dpbar is in the pool" sh -c "ls '$inst'/public/pool/main/d/dpbar/dpbar_2.0*_all.deb"

# --- .buildinfo kept and published --------------------------------------------
json=$(debpipe --config "$conf" builds --json)
bi=$(echo "$json" | jq -r ".builds[] | select(.id == $aid) | .buildinfo")
lp=$(echo "$json" | jq -r ".builds[] | select(.id == $aid) | .log_path")
ok "builds --json names A's kept .buildinfo" test -s "$bi"
ok "and its log" test -s "$lp"
deb=$(ls "$inst"/public/pool/main/d/dpfoo/libdpfoo-dev_1.2*_all.deb)
pub=$(ls "$inst"/public/pool/main/d/dpfoo/dpfoo_1.2*.buildinfo 2>/dev/null | head -n 1)
ok "the .buildinfo is published beside the .deb" test -f "$pub"
ok "it is the kept one" cmp -s "$pub" "$bi"
ok "it records the published .deb's SHA-256" sh -c \
	"grep -F ' $(sha256sum "$deb" | cut -d' ' -f1) ' '$pub' | grep -qF ' $(basename "$deb")'"
like "$(cat "$pub")" "Installed-Build-Depends:" "with the build environment"
is "$(debpipe --config "$conf" log "$aid" --buildinfo)" "$(cat "$bi")" "log --buildinfo shows it"
like "$(debpipe --config "$conf" log "$aid")" "Build Architecture: $arch" \
	"log shows sbuild's whole log"

done_testing
