#!/bin/sh
# Build the Debian package of debpipe with dpkg-buildpackage from a clean
# copy of the tree, check what the .deb holds, and run lintian on it.
# Leaves the .deb in $top_builddir/tests/integration/debs/ for install.sh.
#
# The copy is made of the files of the work tree that git tracks or does
# not ignore (in a fresh clone: exactly HEAD; in a work tree: what the
# build sees, without build products); outside a git checkout, of
# "make distdir".  DEB_BUILD_OPTIONS=nocheck:
# "make check" runs the unit tests already.
. "$top_srcdir/tests/integration/lib.sh"
need dpkg-buildpackage dpkg-deb dh lintian fakeroot

plan 31

work=$T_TMP/pkg
mkdir -p "$work"
version=$(dpkg-parsechangelog -l "$top_srcdir/debian/changelog" -S Version)
upstream=${version%-*}
arch=$(dpkg --print-architecture)
src=$work/debpipe-$upstream

# --- a clean copy of the tree ----------------------------------------------
copy_tree() {
	if git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1; then
		mkdir -p "$src" &&
		(cd "$top_srcdir" && git ls-files -z --cached --others --exclude-standard |
			grep -zv '^tests/integration/debs/' |
			xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
			tar --null -T - -cf - | tar -C "$src" -xf -)
	else
		make -C "$top_builddir" distdir distdir="$src" >/dev/null
	fi
}
ok "copy of the source tree" copy_tree
[ -f "$src/debian/rules" ] || bail "no debian/rules in the copy of the tree"

# --- dpkg-buildpackage -------------------------------------------------------
t0=$(date +%s)
ok "dpkg-buildpackage -us -uc -b" sh -c 'cd "$1" &&
	DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b >"$2" 2>&1 ||
	{ tail -60 "$2"; exit 1; }' sh "$src" "$work/build.log"
echo "# dpkg-buildpackage took $(( $(date +%s) - t0 ))s"

deb=$work/debpipe_${version}_$arch.deb
changes=$work/debpipe_${version}_$arch.changes
[ -f "$deb" ] || bail "no $deb after the build"

dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's,^\./,/,' >"$work/contents"
dpkg-deb -e "$deb" "$work/DEBIAN"
dpkg-deb -x "$deb" "$work/root"

has() { grep -qx -- "$1" "$work/contents"; }

# The programs are written by others in parallel: one that the build tree
# does not have yet (make check builds every declared program first) is a
# skip locally, saying so, and a failure in CI.
check_prog() {	# check_prog /usr/bin/debpipe cli/debpipe
	if has "$1"; then
		ok "$1 is installed and runs (--version)" "$work/root$1" --version
	elif [ -z "${CI:-}" ] && [ ! -x "$top_builddir/$2" ]; then
		T_NUM=$((T_NUM + 1))
		echo "ok $T_NUM - $1 in the package # SKIP $2 is not built yet (no *_PROGRAMS entry in mk/*.mk?)"
	else
		t_result 1 "$1 is in the package"
	fi
}
check_prog /usr/bin/debpipe cli/debpipe
check_prog /usr/bin/snapshot-promote promoter/snapshot-promote
check_prog /usr/sbin/debpipe-builder builder/debpipe-builder
check_prog /usr/sbin/debpipe-snapshotter snapshotter/debpipe-snapshotter
check_prog /usr/sbin/debpipe-promoter promoter/debpipe-promoter

for u in debpipe-builder debpipe-snapshotter debpipe-promoter; do
	ok "systemd unit $u.service" has "/lib/systemd/system/$u.service"
done
ok "units run as debpipe, hardened, reloadable" sh -c '
	for u in "$@"; do
		# The builder and the snapshotter: newuidmap/newgidmap for the clean
		# room and the testbeds (units.sh), nothing more.
		case $u in
		debpipe-builder|debpipe-snapshotter) nnp="NoNewPrivileges=no" caps="CapabilityBoundingSet=CAP_SETUID CAP_SETGID CAP_DAC_OVERRIDE CAP_SYS_ADMIN" ;;
		*) nnp="NoNewPrivileges=yes" caps="CapabilityBoundingSet=" ;;
		esac
		for want in "User=debpipe" "$nnp" "$caps" "ProtectSystem=strict" \
		    "ReadWritePaths=/var/lib/debpipe /srv/debpipe" "PrivateTmp=yes" \
		    "ProtectHome=yes" "Restart=on-failure" \
		    "ExecStart=/usr/sbin/$u --foreground" \
		    "ExecReload=/bin/kill -HUP \$MAINPID"; do
			grep -qxF "$want" "$0/lib/systemd/system/$u.service" ||
				{ echo "$u.service lacks $want"; exit 1; }
		done
	done' "$work/root" debpipe-builder debpipe-snapshotter debpipe-promoter

ok "conffile /etc/debpipe/debpipe.conf" grep -qx /etc/debpipe/debpipe.conf "$work/DEBIAN/conffiles"
nwatch=$(ls "$top_srcdir"/etc/watch.d/*.watch 2>/dev/null | wc -l)
# The example watches reach the internet: shipped as examples, never active.
is "$(grep -c '^/etc/debpipe/watch.d/.*\.watch$' "$work/DEBIAN/conffiles")" "0" \
	"no watch is active after installation"
is "$(ls "$work/root/usr/share/doc/debpipe/examples/watch.d/" | grep -c '\.watch$')" "$nwatch" \
	"every etc/watch.d/*.watch is shipped as an example ($nwatch)"
unlike "$(cat "$work/contents")" "^/(srv|var/lib/debpipe)" \
	"/srv/debpipe and /var/lib/debpipe are made by postinst, not shipped"

for m in man1/debpipe.1 man1/snapshot-promote.1 man8/debpipe-builder.8 \
    man8/debpipe-snapshotter.8 man8/debpipe-promoter.8; do
	ok "man page $m" has "/usr/share/man/$m.gz"
done
# The section 5 pages belong to the configuration work (mk/config.mk).
for m in debpipe.conf.5 debpipe-watch.5; do
	if [ -f "$top_srcdir/doc/$m" ]; then
		ok "man page man5/$m" has "/usr/share/man/man5/$m.gz"
	else
		T_NUM=$((T_NUM + 1))
		echo "ok $T_NUM - man page man5/$m # SKIP doc/$m is not written yet"
	fi
done
ok "admin guide" grep -qE "^/usr/share/doc/debpipe/admin-guide.md(.gz)?$" "$work/contents"
ok "nginx example" has /usr/share/doc/debpipe/examples/nginx/debpipe.conf
ok "copyright file" has /usr/share/doc/debpipe/copyright

ok "postinst creates the debpipe system user, with subuid/subgid ranges" sh -c \
	"grep -q 'adduser --system --group --home /var/lib/debpipe' '$work/DEBIAN/postinst' &&
	 grep -q 'usermod --add-subuids \"\$range\" debpipe' '$work/DEBIAN/postinst' &&
	 grep -q 'usermod --add-subgids \"\$range\" debpipe' '$work/DEBIAN/postinst'"
ok "postinst has the dh_installsystemd snippets" sh -c \
	'grep -q "deb-systemd-helper update-state .debpipe-builder.service" "$1"' \
	sh "$work/DEBIAN/postinst"
ok "postrm removes state and user on purge" sh -c \
	'grep -q "rm -rf /var/lib/debpipe /srv/debpipe" "$1" && grep -q "deluser" "$1"' \
	sh "$work/DEBIAN/postrm"
like "$(dpkg-deb -f "$deb" Depends)" "adduser" "Depends on adduser"

# --- lintian -------------------------------------------------------------------
t0=$(date +%s)
lintian --no-cfg --info --display-info --pedantic "$changes" >"$work/lintian.out" 2>&1
echo "# lintian took $(( $(date +%s) - t0 ))s"
sed 's/^/# /' "$work/lintian.out"
unlike "$(cat "$work/lintian.out")" "^E: " "lintian reports no errors"

# For install.sh.
mkdir -p "$top_builddir/tests/integration/debs"
ok "the .deb is kept for install.sh" cp "$deb" "$top_builddir/tests/integration/debs/"

done_testing
