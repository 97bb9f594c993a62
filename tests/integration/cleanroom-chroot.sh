#!/bin/bash
# The builder keeps its chroot by itself: the first sbuild build of a
# Distribution without a chroot makes it (through lib/chroot.c, the same
# path as `debpipe chroot create`); a chroot older than Chroot-Max-Age is
# refreshed in the background while a build runs on a hard link of the
# old one, which the new tarball does not disturb; `debpipe status` and
# `chroot list` show suite, arch, size and age.  mmdebstrap itself is
# chroot.sh's: here DEBPIPE_MMDEBSTRAP names a stand-in that copies the
# cached test chroot (chroot-lib.sh) after a pause, and records its
# arguments.
. "$top_srcdir/tests/integration/lib.sh" || exit 99
. "$top_srcdir/tests/integration/builder-lib.sh" || exit 99
. "$top_srcdir/tests/integration/chroot-lib.sh" || exit 99
need git sbuild mmdebstrap newuidmap dpkg-source sqlite3 zstd

plan 19

arch=$(dpkg --print-architecture)
cache=$(test_chroot_tarball) || bail "no test chroot"
inst=$(make_instance "Builder: sbuild" "Chroot-Max-Age: 1d")
conf=$inst/debpipe.conf
db=$inst/state/state.db
tb=$inst/state/chroots/bookworm-$arch.tar.zst
q() { sqlite3 "$db" "$1"; }

cat >"$T_TMP/fake-mmdebstrap" <<EOF
#!/bin/sh
# mmdebstrap OPTIONS... SUITE TARGET MIRROR
echo "\$*" >>"$T_TMP/mmdebstrap.args"
sleep \${FAKE_MMDEBSTRAP_SLEEP:-0}
eval "target=\\\${\$((\$# - 1))}"
cp "$cache" "\$target"
EOF
chmod +x "$T_TMP/fake-mmdebstrap"
export DEBPIPE_MMDEBSTRAP=$T_TMP/fake-mmdebstrap

bl_make_repo "$T_TMP/git/c" dp-c 1.0 "2026-11-01T10:00:00Z"
printf 'Watch: c\nType: git\nURL: file://%s\nBranch: main\nDistribution: bookworm\n' \
	"$T_TMP/git/c" >"$inst/watch.d/c.watch"

# --- a missing chroot: the first build makes it ---------------------------------
like "$(debpipe --config "$conf" status)" "bookworm +bookworm +$arch +- +- +missing" \
	"status: the chroot is missing"
ok "builder --once: the first build" debpipe-builder --config "$conf" --once
id=$(q "SELECT max(id) FROM builds")
is "$(q "SELECT state FROM builds WHERE id = $id")" success "it succeeded"
log=$inst/state/logs/build-$id.log
ok "the build made the chroot first" grep -q "no chroot bookworm-$arch yet: making it" "$log"
like "$(cat "$T_TMP/mmdebstrap.args")" \
	"^--variant=buildd --mode=(root|unshare) --architectures=$arch --keyring=/usr/share/keyrings/debian-archive-keyring.gpg --include=debhelper,fakeroot --skip=cleanup/apt/lists --verbose bookworm $inst/state/chroots/\.new-bookworm-$arch\.[0-9]+\.tar\.zst http" \
	"with mmdebstrap --variant=buildd (debhelper and fakeroot in it, the package lists kept) into a temporary file"
ok "which was renamed into place" cmp -s "$tb" "$cache"
ok "no temporary file is left" sh -c "! ls -a '$inst/state/chroots' | grep -q '^\.new-'"
like "$(debpipe --config "$conf" chroot list)" "bookworm +bookworm +$arch +[0-9]+ MiB +[0-9]+m[0-9]+s +ok" \
	"chroot list: suite, arch, size, age, ok"

# --- an old chroot: refreshed in the background, the build undisturbed -------
touch -d '3 days ago' "$tb"
old_ino=$(stat -c %i "$tb")
like "$(debpipe --config "$conf" status)" \
	"Chroots .*
.*
  bookworm +bookworm +$arch +[0-9]+ MiB +3d0h +stale" "status: size, age 3 days, stale"
echo "more" >"$T_TMP/git/c/more.txt"
bl_commit "$T_TMP/git/c" "2026-11-02T10:00:00Z" "a change"
: >"$T_TMP/mmdebstrap.args"
t0=$(date +%s)
FAKE_MMDEBSTRAP_SLEEP=8 ok "builder --once: a build while the chroot is refreshed" \
	debpipe-builder --config "$conf" --once -v
echo "# build with a refresh: $(( $(date +%s) - t0 )) s"
id=$(q "SELECT max(id) FROM builds")
log=$inst/state/logs/build-$id.log
is "$(q "SELECT state FROM builds WHERE id = $id")" success "the build succeeded"
like "$(last_output)" "the chroot of bookworm is [0-9]+ s old .*refreshing it in the background" \
	"the builder refreshed the old chroot in the background"
ok "the refresh ran mmdebstrap" grep -q -- "--variant=buildd" "$T_TMP/mmdebstrap.args"
ok "the build used the old tarball (its inode)" grep -q "chroot $tb (made .*, inode $old_ino)" "$log"
new_ino=$(stat -c %i "$tb")
ok "the tarball was replaced meanwhile (new inode, new time)" \
	sh -c "[ '$new_ino' != '$old_ino' ] && [ -z \"\$(find '$tb' -mmin +60)\" ]"
ok "the refresh's log is kept" grep -q "debpipe: done" "$inst/state/logs/chroot-bookworm-$arch.log"
like "$(debpipe --config "$conf" chroot list --json)" '"stale": false' "chroot list: no longer stale"

# A fresh chroot is left alone.
: >"$T_TMP/mmdebstrap.args"
ok "builder --once with a fresh chroot" debpipe-builder --config "$conf" --once
is "$(cat "$T_TMP/mmdebstrap.args")" "" "no refresh"

done_testing
