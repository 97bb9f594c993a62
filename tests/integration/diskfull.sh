#!/bin/bash
# diskfull.sh - State-Dir and Public-Dir each on a small tmpfs (mounted
# here, so root only: skipped with the reason otherwise), filled up
# during ingest, publish, GC, an upstream import, a build (its packages
# into a full Public-Dir, its log into a full State-Dir): every
# failure says "debpipe: no space left on <mount> while ...", leaves no
# partial snapshot, pool or download file, never corrupts state.db, and
# the same work succeeds once space is freed.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/apt-lib.sh"
. "$top_srcdir/tests/integration/builder-lib.sh"
need dpkg-deb apt-get gpg gpgv python3 sqlite3 apt-ftparchive mount umount \
	git dpkg-buildpackage dh fakeroot

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root to mount the small tmpfs file systems"
	exit 0
fi
mnt=$T_TMP/mnt
mkdir -p "$mnt/state" "$mnt/public"
if ! err=$(mount -t tmpfs -o size=16m,mode=0755 debpipe-test-state "$mnt/state" 2>&1); then
	echo "1..0 # SKIP cannot mount a tmpfs here: $err"
	exit 0
fi
umount_all() {
	for h in $T_GNUPGHOMES; do gpgconf --homedir "$h" --kill all >/dev/null 2>&1; done
	T_PIDS="$T_PIDS $(cat "$T_TMP/pids" 2>/dev/null)"
	for p in $T_PIDS; do kill -9 "$p" 2>/dev/null; done
	sleep 0.2
	umount "$mnt/state" 2>/dev/null || umount -l "$mnt/state"
	umount "$mnt/public" 2>/dev/null || umount -l "$mnt/public"
	t_cleanup
}
trap umount_all EXIT
mount -t tmpfs -o size=16m,mode=0755 debpipe-test-public "$mnt/public" ||
	bail "mount of the second tmpfs failed"

plan 54

inst=$(make_instance)
conf=$inst/debpipe.conf
sed -i -e "s|^State-Dir: .*|State-Dir: $mnt/state|" -e "s|^Public-Dir: .*|Public-Dir: $mnt/public|" "$conf"
ST=$mnt/state PUB=$mnt/public
db=$ST/state.db
T_GNUPGHOMES="$T_GNUPGHOMES $ST/gnupg"
dp() { debpipe --config "$conf" "$@"; }
keyring=$PUB/debpipe-archive-keyring.gpg

# fill FS KEEP-KB: fill the file system up to KEEP-KB kilobytes free;
# unfill FS: remove the filler.
fill() {
	rm -f "$1/.filler"
	free=$(df -k --output=avail "$1" | tail -n 1)
	[ "$free" -gt "$2" ] && head -c $(( (free - $2) * 1024 )) /dev/zero >"$1/.filler" 2>/dev/null
	sync
	true
}
unfill() { rm -f "$1/.filler"; }
nospace() {	# nospace MOUNT DESC: the last command said so, in the house form
	like "$(last_output)" "^debpipe: no space left on $1 while " "$2"
	last_output | grep "no space" | head -n 1 | sed "s/^/#   /" | cut -c1-300
}
integrity() { [ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ]; }
npkgs() { sqlite3 "$db" "SELECT count(*) FROM packages"; }
no_partial() {
	find "$PUB/pool" -path '*/.staging/*' -type f | grep . && { echo "staging left"; return 1; }
	ls -a "$PUB/snapshots" 2>/dev/null | grep '^\.tmp-' && { echo "tmp snapshot left"; return 1; }
	find "$PUB/by-hash" -name '.tmp-*' 2>/dev/null | grep . && { echo "by-hash tmp left"; return 1; }
	sqlite3 "$db" "SELECT path FROM files" | while read -r f; do
		[ -f "$PUB/pool/$f" ] || { echo "pool file $f missing"; exit 1; }; done || return 1
	# (the builds' .buildinfo files have no files row)
	n=$(find "$PUB/pool" -path '*/.staging' -prune -o -type f ! -name '*.buildinfo' -print | wc -l)
	[ "$n" = "$(sqlite3 "$db" "SELECT count(*) FROM files")" ] || { echo "pool holds $n files the database does not know"; return 1; }
	return 0
}
latest_ok() {
	gpgv --keyring "$keyring" "$PUB/latest/dists/bookworm/InRelease" >/dev/null 2>&1
}

ok "key init" dp key init
python3 "$top_srcdir/bench/gen-debs" -o "$T_TMP/base" 400 >/dev/null 2>&1
ok "add 400 packages" dp add --dist bookworm "$T_TMP/base"/*.deb
ok "a first snapshot" dp snapshot now
first=$(readlink "$PUB/latest")
# a 3 MB package
mkdir -p "$T_TMP/big/DEBIAN" "$T_TMP/big/usr/share/big"
head -c 3000000 /dev/urandom >"$T_TMP/big/usr/share/big/data"
printf 'Package: big\nVersion: 1\nArchitecture: all\nMaintainer: T <t@example.org>\nDescription: big\n big\n' \
	>"$T_TMP/big/DEBIAN/control"
dpkg-deb -Znone --root-owner-group -b "$T_TMP/big" "$T_TMP/big_1_all.deb" >/dev/null

# 1. Public-Dir full during an ingest.
fill "$PUB" 500
n=$(npkgs)
fails "Public-Dir full: add of a 3 MB package fails" dp add --dist bookworm "$T_TMP/big_1_all.deb"
nospace "$PUB" "and says: no space left on Public-Dir's file system while ..."
is "$(npkgs)" "$n" "nothing was added to the database"
ok "no partial pool file" no_partial
ok "state.db is sound" integrity
unfill "$PUB"
ok "once space is freed, the same add succeeds" dp add --dist bookworm "$T_TMP/big_1_all.deb"

# 2. Public-Dir full during a publish.
python3 "$top_srcdir/bench/gen-debs" -o "$T_TMP/more" --prefix more 400 >/dev/null 2>&1
ok "add 400 more" dp add --dist bookworm "$T_TMP/more"/*.deb
fill "$PUB" 60
nsnap=$(sqlite3 "$db" "SELECT count(*) FROM snapshots")
fails "Public-Dir full: snapshot now fails" dp snapshot now
nospace "$PUB" "and says: no space left on Public-Dir's file system while ..."
is "$(sqlite3 "$db" "SELECT count(*) FROM snapshots")" "$nsnap" "no snapshot recorded"
is "$(readlink "$PUB/latest")" "$first" "latest still points at the previous snapshot"
ok "which is complete and signed" latest_ok
ok "no partial snapshot or index file" no_partial
unfill "$PUB"
ok "once space is freed, snapshot now succeeds" dp snapshot now
port=$(http_serve "$PUB")
ar=$(apt_root "http://127.0.0.1:$port/latest" bookworm main "$keyring")
ok "and apt-get verifies it" apt_get "$ar" update

# 3. State-Dir full during an ingest (the database cannot grow).
deb=$(make_deb "$T_TMP/small" small 1.0)
n=$(npkgs)
fill "$ST" 0
fails "State-Dir full: add fails" dp add --dist bookworm "$deb"
nospace "$ST" "and says: no space left on State-Dir's file system while ..."
unfill "$ST"
is "$(npkgs)" "$n" "nothing was added"
ok "state.db is sound" integrity
ok "no pool file without its row" no_partial
ok "once space is freed, the same add succeeds" dp add --dist bookworm "$deb"

# 4. State-Dir full during a publish and a GC.
fill "$ST" 0
fails "State-Dir full: snapshot now fails" dp snapshot now
nospace "$ST" "and says: no space left on State-Dir's file system while ..."
fails "State-Dir full: gc fails" dp gc
nospace "$ST" "and says so too"
unfill "$ST"
ok "state.db is sound" integrity
ok "nothing partial" no_partial
ok "once space is freed, snapshot now succeeds" dp snapshot now
ok "and gc" dp gc
ok "latest is complete" latest_ok

# 5. An upstream import (downloads into State-Dir/incoming) and a build
# (build directory and log in State-Dir) on a full State-Dir.
up_key
up=$T_TMP/www/up
up_init "$up" stable
python3 "$top_srcdir/bench/gen-debs" -o "$up/pool/main" --prefix up 30 >/dev/null 2>&1
cp "$T_TMP/big_1_all.deb" "$up/pool/main/upbig_1_all.deb"
up_index "$up" stable && up_sign "$up" stable || bail upstream
uport=$(http_serve "$T_TMP/www")
up_watch "$inst" upstream "http://127.0.0.1:$uport/up" stable "$UP_KEYRING"
fill "$ST" 1000
"$top_builddir/tests/apt-driver" "$conf" sync upstream >"$T_TMP/last.out" 2>&1
t_result $([ $? != 0 ]; echo $?) "State-Dir full: the import fails"
like "$(cat "$T_TMP/last.out")" "no space left on $ST while" "and says: no space left on State-Dir's file system while ... ($(head -c 200 "$T_TMP/last.out"))"
ok "no half download left" sh -c "! find '$ST/incoming' -type f ! -name '*.lock' | grep ."
unfill "$ST"
ok "once space is freed, the import succeeds" "$top_builddir/tests/apt-driver" "$conf" sync upstream
is "$(sqlite3 "$db" "SELECT count(*) FROM packages WHERE name LIKE 'up-%'")" 30 "every upstream package is in"
# 6. A build whose packages cannot go into a full Public-Dir: it waits
# for space instead of failing, is not retried while the disk stays
# full, and is built by itself once space is freed.
repo=$T_TMP/git/big
bl_make_repo "$repo" dp-big 1.0 "2026-11-01T10:00:00Z"
printf 'Watch: big\nType: git\nURL: file://%s\nBranch: main\nDistribution: bookworm\nInterval: 1h\n' \
	"$repo" >"$inst/watch.d/big.watch"
bstate() { sqlite3 "$db" "SELECT $1 FROM builds WHERE watch = 'big' ORDER BY id DESC LIMIT 1"; }
fill "$PUB" 0
debpipe-builder --config "$conf" --once >"$T_TMP/build1.out" 2>&1
is "$(bstate state)" waiting "Public-Dir full: the build waits for space, it has not failed"
like "$(bstate message)" "^waiting for space: .* MiB are free there" "and says what it waits for ($(bstate message | cut -c1-160))"
ok "its build directory is removed" sh -c "! ls -A '$ST/build' 2>/dev/null | grep ."
ok "nothing partial in the pool" no_partial
n=$(sqlite3 "$db" "SELECT count(*) FROM builds WHERE watch = 'big'")
debpipe-builder --config "$conf" --once >"$T_TMP/build2.out" 2>&1
is "$(bstate state) $(sqlite3 "$db" "SELECT count(*) FROM builds WHERE watch = 'big'")" "waiting $n" \
	"while the disk stays full it is not tried again"
unfill "$PUB"
debpipe-builder --config "$conf" --once >"$T_TMP/last.out" 2>&1
is "$(bstate state)" success "once space is freed, the builder builds it by itself ($(tail -n 2 "$T_TMP/last.out" | tr '\n' ' ' | cut -c1-200))"
is "$(sqlite3 "$db" "SELECT count(*) FROM packages WHERE name = 'dp-big'")" 1 "and its package is in the pool"
# 7. State-Dir fills up while a build writes its log (a build that
# prints 3 MB on a State-Dir with 1 MB free): the build waits for space,
# its row and state.db stay sound, the builder says where the space ran
# out, and the build is made by itself once space is freed.
repo=$T_TMP/git/noisy
bl_make_repo "$repo" dp-noisy 1.0 "2026-11-01T10:00:00Z" \
	"$(printf 'override_dh_auto_build:\n\thead -c 2300000 /dev/zero | base64')"
printf 'Watch: noisy\nType: git\nURL: file://%s\nBranch: main\nDistribution: bookworm\nInterval: 1h\n' \
	"$repo" >"$inst/watch.d/noisy.watch"
nstate() { sqlite3 "$db" "SELECT $1 FROM builds WHERE watch = 'noisy' ORDER BY id DESC LIMIT 1"; }
fill "$ST" 1000
debpipe-builder --config "$conf" --once >"$T_TMP/build3.out" 2>&1
like "$(cat "$T_TMP/build3.out")" "build [0-9]* of noisy is waiting: waiting for space: .*$ST is on a full file system" "the builder says the build waits and which file system is full"
is "$(nstate state)" waiting "State-Dir full while the build log is written: the build waits for space ($(nstate message | cut -c1-160))"
like "$(nstate message)" "^waiting for space: .* MiB are free there" "and says what it waits for"
ok "state.db is sound" integrity
ok "its build directory is removed" sh -c "! ls -A '$ST/build' 2>/dev/null | grep ."
unfill "$ST"
debpipe-builder --config "$conf" --once >"$T_TMP/last.out" 2>&1
is "$(nstate state)" success "once space is freed, the builder builds it by itself ($(tail -n 2 "$T_TMP/last.out" | tr '\n' ' ' | cut -c1-200))"
is "$(sqlite3 "$db" "SELECT count(*) FROM packages WHERE name = 'dp-noisy'")" 1 "and its package is in the pool"
ok "state.db is sound at the end" integrity
ok "nothing partial at the end" no_partial
done_testing
