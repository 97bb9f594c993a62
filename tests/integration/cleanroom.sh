#!/bin/bash
# Clean-room builds with the real sbuild (--chroot-mode=unshare) in the
# shared test chroot (chroot-lib.sh), and Builder: host under bubblewrap:
# a build dependency absent from the host is installed in the chroot (the
# source package built too: Build-Source: yes); a
# hostile debian/rules can read no secret, write nothing outside its
# build directory, reach no listener on 127.0.0.1, and is not root.
. "$top_srcdir/tests/integration/lib.sh" || exit 99
. "$top_srcdir/tests/integration/builder-lib.sh" || exit 99
. "$top_srcdir/tests/integration/chroot-lib.sh" || exit 99
need git sbuild mmdebstrap bwrap newuidmap dpkg-source sqlite3 python3

plan 23

tb=$(test_chroot_tarball) || bail "no test chroot"
inst=$(make_instance "Builder: sbuild")
conf=$inst/debpipe.conf
db=$inst/state/state.db
mkdir -p "$inst/state/chroots"
ln "$tb" "$inst/state/chroots/bookworm-$(dpkg --print-architecture).tar.zst" 2>/dev/null ||
	cp "$tb" "$inst/state/chroots/bookworm-$(dpkg --print-architecture).tar.zst"

# --- 1. a build dependency the host does not have ---------------------------
ok "figlet is not installed on the host" sh -c '! dpkg -s figlet >/dev/null 2>&1'
bl_make_repo "$T_TMP/git/fig" dp-fig 1.0 "2026-11-01T10:00:00Z" \
	$'override_dh_auto_build:\n\tfiglet hi > hello.txt'
sed -i 's/^Build-Depends: .*/&, figlet/' "$T_TMP/git/fig/debian/control"
bl_commit "$T_TMP/git/fig" "2026-11-01T10:00:00Z" "figlet"
printf 'Watch: fig\nType: git\nURL: file://%s\nBranch: main\nDistribution: bookworm\nBuild-Source: yes\n' \
	"$T_TMP/git/fig" >"$inst/watch.d/fig.watch"
t0=$(date +%s)
ok "sbuild builds it (build-deps installed in the chroot)" \
	debpipe-builder --config "$conf" --once
echo "# sbuild build of dp-fig: $(( $(date +%s) - t0 )) s"
is "$(sqlite3 "$db" "SELECT state FROM builds WHERE watch = 'fig'")" success "build state"
deb=$(ls "$inst"/public/pool/main/d/dp-fig/*.deb 2>/dev/null | head -n 1)
ok "the .deb is in the pool" test -f "$deb"
like "$(dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards '*hello.txt')" '_' \
	"the file was made by figlet inside the chroot"
id=$(sqlite3 "$db" "SELECT id FROM builds WHERE watch = 'fig'")
like "$(cat "$inst/state/logs/build-$id.log")" "running sbuild --chroot-mode=unshare --chroot=" \
	"sbuild in unshare mode with debpipe's chroot"
like "$(cat "$inst/state/logs/build-$id.log")" "running sbuild .* --source " \
	"Build-Source: yes: sbuild --source"
v=$(sqlite3 "$db" "SELECT version FROM builds WHERE id = $id")
ok "the source package is in the pool and in state.db" sh -c \
	"test -f '$inst/public/pool/main/d/dp-fig/dp-fig_$v.dsc' && [ \$(sqlite3 '$db' \"SELECT count(*) FROM sources WHERE name = 'dp-fig'\") = 1 ]"
ok "figlet is still not installed on the host" sh -c '! dpkg -s figlet >/dev/null 2>&1'

# --- 2. a hostile debian/rules ---------------------------------------------
secret=SECRET-$RANDOM$RANDOM
echo "$secret admin" >"$inst/tokens"
mkdir -p "$inst/state/gnupg" && echo "$secret" >"$inst/state/gnupg/private.key"
chmod 700 "$inst/state/gnupg"
port=$(free_port)
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5)
while True:
    c, _ = s.accept(); open(sys.argv[2], "a").write("connected\n"); c.close()
' "$port" "$T_TMP/connections" &
t_bg $!
hostile_rules=$(cat <<EOF
override_dh_auto_build:
	( cat $inst/state/gnupg/* 2>&1; cat $inst/tokens 2>&1; \\
	  touch $inst/public/MARKER 2>&1; touch $inst/state/MARKER 2>&1; \\
	  touch $T_TMP/OUTSIDE 2>&1; \\
	  sqlite3 $inst/state/state.db 'CREATE TABLE evil(x)' 2>&1; \\
	  ls $inst/state/git 2>&1; \\
	  timeout 5 bash -c 'echo hi > /dev/tcp/127.0.0.1/$port' 2>&1 && echo TCP-OK; \\
	  getent hosts deb.debian.org 2>&1 && echo DNS-OK; \\
	  echo "uid=\$\$(id -u)" ) > hello.txt || true
EOF
)
hostile_checks() {	# hostile_checks LABEL
	hid=$(sqlite3 "$db" "SELECT max(id) FROM builds WHERE watch = 'evil$1'")
	is "$(sqlite3 "$db" "SELECT state FROM builds WHERE id = $hid")" success "$1: built"
	hdeb=$(ls "$inst"/public/pool/main/d/dp-evil$1/*.deb | head -n 1)
	out=$(dpkg-deb --fsys-tarfile "$hdeb" | tar -xO --wildcards '*hello.txt')
	echo "$out" | sed 's/^/#   /'
	ok "$1: no marker files" sh -c "! ls '$inst/public/MARKER' '$inst/state/MARKER' '$T_TMP/OUTSIDE' 2>/dev/null | grep -q ."
	unlike "$out$(cat "$inst/state/logs/build-$hid.log")" "$secret" "$1: the secret is nowhere in the .deb or the log"
	unlike "$out" "TCP-OK|DNS-OK|uid=0$" "$1: no network, not root"
	ok "$1: the listener saw no connection" test ! -s "$T_TMP/connections"
	is "$(sqlite3 "$db" "PRAGMA integrity_check; SELECT count(*) FROM sqlite_master WHERE name = 'evil'")" \
		"ok
0" "$1: state.db intact, unchanged"
}
bl_make_repo "$T_TMP/git/evilsbuild" dp-evilsbuild 1.0 "2026-11-01T10:00:00Z" "$hostile_rules"
printf 'Watch: evilsbuild\nType: git\nURL: file://%s\nBranch: main\nDistribution: bookworm\n' \
	"$T_TMP/git/evilsbuild" >"$inst/watch.d/evilsbuild.watch"
t0=$(date +%s)
ok "sbuild: the hostile package builds" debpipe-builder --config "$conf" --once
echo "# sbuild build of dp-evilsbuild: $(( $(date +%s) - t0 )) s"
hostile_checks sbuild

bl_make_repo "$T_TMP/git/evilhost" dp-evilhost 1.0 "2026-11-01T10:00:00Z" "$hostile_rules"
printf 'Watch: evilhost\nType: git\nURL: file://%s\nBranch: main\nDistribution: bookworm\nBuilder: host\n' \
	"$T_TMP/git/evilhost" >"$inst/watch.d/evilhost.watch"
ok "host: the hostile package builds" debpipe-builder --config "$conf" --once
hostile_checks host

done_testing
