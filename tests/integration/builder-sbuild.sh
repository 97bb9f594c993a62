#!/bin/bash
# Builder: sbuild -- without sbuild and a chroot here, a stand-in `sbuild`
# first in PATH records its command line and builds the .dsc it is given
# with dpkg-buildpackage into --build-dir, as sbuild does.  Checks what
# debpipe runs (dpkg-source --build, then sbuild --chroot-mode=unshare
# --dist=<Distribution> on the .dsc) and that the result is ingested.
# The real sbuild is exercised by the admin guide's setup (section 10).
. "$top_srcdir/tests/integration/lib.sh" || exit 99
. "$top_srcdir/tests/integration/builder-lib.sh" || exit 99
need git dpkg-source dpkg-buildpackage dh fakeroot sqlite3

plan 11

bin=$T_TMP/bin
mkdir -p "$bin"
cat >"$bin/sbuild" <<'EOS'
#!/bin/sh
# stand-in for sbuild: log argv, build the .dsc (the last argument)
printf '%s\n' "$*" >>"$SBUILD_ARGS_LOG"
builddir=.
for a; do
	case $a in
	--build-dir=*) builddir=${a#--build-dir=} ;;
	esac
	dsc=$a
done
work=$(mktemp -d ./sbuild-XXXXXX)
dpkg-source -x "$dsc" "$work/src" >/dev/null || exit 1
(cd "$work/src" && dpkg-buildpackage -us -uc -b) || exit 1
mv "$work"/*.deb "$builddir"/
rm -rf "$work"
EOS
chmod +x "$bin/sbuild"
export SBUILD_ARGS_LOG=$T_TMP/sbuild.args

bl_make_repo "$T_TMP/git/pkg" dp-sb 3.0 "2026-11-01T10:00:00Z"
inst=$(make_instance "Builder: sbuild")
conf=$inst/debpipe.conf
printf 'Watch: sb\nType: git\nURL: file://%s\nBranch: main\nDistribution: bookworm\nBuild-Options: nocheck\n' \
	"$T_TMP/git/pkg" >"$inst/watch.d/sb.watch"

ok "debpipe-builder --once with Builder: sbuild" env PATH="$bin:$PATH" \
	debpipe-builder --config "$conf" --once
v=$(sqlite3 "$inst/state/state.db" "SELECT version FROM builds WHERE watch = 'sb' AND state = 'success'")
like "$v" '^3\.0\+git20261101100000\.[0-9a-f]{7}$' "built $v"
log=$inst/state/logs/build-1.log
ok "the source package was made first" grep -q "running dpkg-source --build src" "$log"
vre=$(printf '%s' "$v" | sed 's/[.+]/\\&/g')
like "$(cat "$SBUILD_ARGS_LOG")" "^--chroot-mode=unshare .*--dist=bookworm .*dp-sb_${vre}\.dsc$" \
	"sbuild --chroot-mode=unshare --dist=<Distribution> on the .dsc"
unlike "$(cat "$SBUILD_ARGS_LOG")" "--source" "no --source without Build-Source: yes"
ok "the .deb is in the pool" test -f "$inst/public/pool/main/d/dp-sb/dp-sb_${v}_all.deb"
is "$(sqlite3 "$inst/state/state.db" "SELECT count(*) FROM sources")" 0 \
	"no source package in the pool without Build-Source: yes"

# Build-Source: yes with dpkg-buildpackage: a full build (-F), the .dsc
# goes to the pool too.
bl_make_repo "$T_TMP/git/full" dp-full 1.0 "2026-11-01T10:00:00Z"
printf 'Watch: full\nType: git\nURL: file://%s\nBranch: main\nDistribution: bookworm\nBuilder: dpkg-buildpackage\nBuild-Source: yes\n' \
	"$T_TMP/git/full" >"$inst/watch.d/full.watch"
ok "a Build-Source: yes build" debpipe-builder --config "$conf" --once
id=$(sqlite3 "$inst/state/state.db" "SELECT id FROM builds WHERE watch = 'full'")
ok "dpkg-buildpackage -F" grep -q "running dpkg-buildpackage -us -uc -F" "$inst/state/logs/build-$id.log"
is "$(sqlite3 "$inst/state/state.db" "SELECT name || ' ' || origin FROM sources")" \
	"dp-full build:full" "the source package is in the pool"
ok "with its .dsc" sh -c "ls '$inst'/public/pool/main/d/dp-full/dp-full_1.0+git*.dsc"

done_testing
