#!/bin/bash
# Build-Timeout and leftovers, Build-Network: a build that hangs is
# killed at its Build-Timeout with everything it started (sbuild and
# Builder: host), marked failed with the reason; a build that leaves a
# background process behind leaves nothing running; Builder: host with
# Build-Network: yes reaches a listener on the host's 127.0.0.1 (and
# without it does not).  Checked with pgrep from the host side.
. "$top_srcdir/tests/integration/lib.sh" || exit 99
. "$top_srcdir/tests/integration/builder-lib.sh" || exit 99
. "$top_srcdir/tests/integration/chroot-lib.sh" || exit 99
need git sbuild mmdebstrap bwrap newuidmap dpkg-source sqlite3 pgrep python3

plan 19

arch=$(dpkg --print-architecture)
tb=$(test_chroot_tarball) || bail "no test chroot"
inst=$(make_instance "Builder: sbuild")
conf=$inst/debpipe.conf
db=$inst/state/state.db
mkdir -p "$inst/state/chroots"
ln "$tb" "$inst/state/chroots/bookworm-$arch.tar.zst" 2>/dev/null ||
	cp "$tb" "$inst/state/chroots/bookworm-$arch.tar.zst"
q() { sqlite3 "$db" "$1"; }
# Markers unique to this run: the sleeps the builds leave behind.
m=$((RANDOM % 9000 + 1000))

# watch NAME EXTRA-RULES [WATCH-FIELDS]
watch() {
	bl_make_repo "$T_TMP/git/$1" "dp-$1" 1.0 "2026-11-01T10:00:00Z" "$2"
	printf 'Watch: %s\nType: git\nURL: file://%s\nBranch: main\nDistribution: bookworm\n%s' \
		"$1" "$T_TMP/git/$1" "${3:-}" >"$inst/watch.d/$1.watch"
}
state() { q "SELECT state FROM builds WHERE watch = '$1' ORDER BY id DESC LIMIT 1"; }
msg() { q "SELECT message FROM builds WHERE watch = '$1' ORDER BY id DESC LIMIT 1"; }

# --- Builder: host: a hang, a leftover, the network ---------------------------
watch hosthang $'override_dh_auto_build:\n\t(setsid sleep 7'$m$' &); echo HANGING-NOW; sleep 8'$m \
	$'Builder: host\nBuild-Timeout: 20s\n'
t0=$(date +%s)
fails "host: a hanging build fails" debpipe-builder --config "$conf" --once
echo "# host build with a 20 s timeout took $(( $(date +%s) - t0 )) s"
is "$(state hosthang)" failed "host: state failed"
like "$(msg hosthang)" "killed after the timeout of 20 s" "host: the reason is the timeout"
ok "host: it was hanging in debian/rules" grep -q HANGING-NOW "$inst/state/logs/build-$(q "SELECT max(id) FROM builds").log"
ok "host: nothing it started is running" sh -c "sleep 1; ! pgrep -f 'sleep (7$m|8$m)'"
rm "$inst/watch.d/hosthang.watch"

port=$(free_port)
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5)
while True:
    c, _ = s.accept(); open(sys.argv[2], "a").write("connected\n"); c.close()
' "$port" "$T_TMP/connections" &
t_bg $!
wait_for 10 sh -c "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $port))'"
: >"$T_TMP/connections"
net_rules=$'override_dh_auto_build:\n\t(setsid sleep 9'$m$' &); (timeout 5 bash -c "echo hi > /dev/tcp/127.0.0.1/'$port$'" && echo TCP-OK || echo TCP-FAILED) > hello.txt'
watch hostnet "$net_rules" $'Builder: host\nBuild-Network: yes\n'
watch hostnonet "$net_rules" $'Builder: host\n'
ok "host: the network builds succeed" debpipe-builder --config "$conf" --once
is "$(state hostnet) $(state hostnonet)" "success success" "both built"
like "$(dpkg-deb --fsys-tarfile "$inst"/public/pool/main/d/dp-hostnet/*.deb | tar -xO --wildcards '*hello.txt')" \
	TCP-OK "Build-Network: yes reaches the host's 127.0.0.1"
like "$(dpkg-deb --fsys-tarfile "$inst"/public/pool/main/d/dp-hostnonet/*.deb | tar -xO --wildcards '*hello.txt')" \
	TCP-FAILED "without it, it does not"
is "$(grep -c connected "$T_TMP/connections")" 1 "the listener saw exactly one connection"
ok "host: the background process the builds left is gone" sh -c "sleep 1; ! pgrep -f 'sleep [9]$m'"
rm "$inst/watch.d/hostnet.watch" "$inst/watch.d/hostnonet.watch"

# --- sbuild: a hang with a process in the background --------------------------
# The timeout covers the whole sbuild run (chroot unpack, build-deps).
watch sbhang $'override_dh_auto_build:\n\t(setsid sleep 7'$m$' &); echo HANGING-NOW; sleep 8'$m \
	$'Build-Timeout: 120s\n'
t0=$(date +%s)
: >"$T_TMP/t0"
fails "sbuild: a hanging build fails" debpipe-builder --config "$conf" --once
echo "# sbuild build with a 120 s timeout took $(( $(date +%s) - t0 )) s"
is "$(state sbhang)" failed "sbuild: state failed"
like "$(msg sbhang)" "killed after the timeout of 120 s" "sbuild: the reason is the timeout"
ok "sbuild: it was hanging in debian/rules" grep -q HANGING-NOW "$inst/state/logs/build-$(q "SELECT max(id) FROM builds").log"
ok "sbuild: nothing it started is running (sbuild, its chroot, the sleeps)" sh -c \
	"sleep 2; ! pgrep -af 'sleep (7$m|8$m)' && ! pgrep -af '[s]build.*dp-sbhang'"
ok "sbuild: its work directory is gone" sh -c \
	"! ls -d /var/tmp/debpipe-build-*/dp-sbhang* 2>/dev/null | grep -q ."
unpacked=$(sed -n 's|^Unpacking .* to \(/var/tmp/debpipe-build-[^ ]*chroot-[^/]*/chroot\.[^ .]*\)\.\.\.$|\1|p' \
	"$inst/state/logs/build-$(q "SELECT max(id) FROM builds").log" | head -n 1)
ok "sbuild unpacked its chroot in a directory of the build's own, not in /tmp ($unpacked)" test -n "$unpacked"
ok "sbuild: that unpacked chroot is removed, and no new one is left in /tmp" sh -c \
	"[ -n '$unpacked' ] && [ ! -e '$unpacked' ] && [ ! -e '$(dirname "${unpacked:-/nonexistent/x}")' ] && ! find /tmp -maxdepth 1 -name 'tmp.sbuild.*' -newer '$T_TMP/t0' | grep ."

done_testing
