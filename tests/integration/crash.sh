#!/bin/bash
# crash.sh - kill -9 `debpipe snapshot now` at random moments (publishing,
# signing, renaming, recording, collecting garbage) and check after each
# kill that no half-published snapshot is visible, every snapshot that is
# visible is complete and correctly signed, latest points at a complete
# snapshot, the next run recovers and publishes, and afterwards database
# and disk agree.  Finally apt-get updates from the result.
. "$top_srcdir/tests/integration/lib.sh"
need dpkg-deb apt-get gpg gpgv python3 sqlite3 sha256sum curl

ROUNDS=${CRASH_ROUNDS:-20}
plan $((ROUNDS * 5 + 9))

# Few Keep-Snapshots so that garbage collection runs (and is killed) too.
inst=$(make_instance "Keep-Snapshots: 3")
sed -i '/^Keep-Snapshots: 10$/d' "$inst/debpipe.conf"
cat >>"$inst/debpipe.conf" <<'EOC'
Contents: yes
EOC
conf=$inst/debpipe.conf
pub=$inst/public
db=$inst/state/state.db
debs=$T_TMP/debs
dp() { debpipe --config "$conf" "$@"; }
keyring=$pub/debpipe-archive-keyring.gpg

ok "key init" dp key init
# Enough packages that publishing takes a while to kill it in.
python3 "$top_srcdir/bench/gen-debs" -o "$debs/bulk" 1500 >/dev/null ||
	bail "gen-debs failed"
ok "add 1500 packages" sh -c "find '$debs/bulk' -name '*.deb' -print0 |
	xargs -0 debpipe --config '$conf' add --dist bookworm"

# A snapshot directory is complete: signed Release, every file listed with
# the right SHA256, by-hash entries present.
complete() {
	sd=$1/dists/bookworm
	gpgv --keyring "$keyring" "$sd/InRelease" >/dev/null 2>&1 || {
		echo "$1: InRelease does not verify"; return 1; }
	gpgv --keyring "$keyring" "$sd/Release.gpg" "$sd/Release" \
		>/dev/null 2>&1 || { echo "$1: Release.gpg does not verify"; return 1; }
	awk '/^SHA256:/ { s = 1; next } /^[^ ]/ { s = 0 } s { print $1, $3 }' \
		"$sd/Release" >"$T_TMP/sums"
	[ -s "$T_TMP/sums" ] || { echo "$1: no SHA256 list"; return 1; }
	while read -r h f; do
		[ "$(sha256sum <"$sd/$f" | cut -d' ' -f1)" = "$h" ] || {
			echo "$1: $f does not match"; return 1; }
		[ -f "$sd/$(dirname "$f")/by-hash/SHA256/$h" ] || {
			echo "$1: no by-hash for $f"; return 1; }
	done <"$T_TMP/sums"
}

ids_on_disk() { ls "$pub/snapshots" 2>/dev/null | grep '^[0-9]\{8\}T[0-9]\{6\}Z$' | sort; }
ids_in_db() { sqlite3 "$db" "SELECT id FROM snapshots WHERE state = 'published' ORDER BY id"; }

# Visible state right after a kill, before any recovery.
visible_ok() {
	# latest: absent (nothing published yet) or a complete snapshot
	if [ -e "$pub/latest" ] || [ -L "$pub/latest" ]; then
		t=$(readlink "$pub/latest")
		case "$t" in
		snapshots/[0-9]*Z) ;;
		*) echo "latest -> $t"; return 1 ;;
		esac
		complete "$pub/$t" || return 1
	fi
	# every snapshot the database lists is on disk and complete
	for id in $(ids_in_db); do
		[ -d "$pub/snapshots/$id" ] || { echo "db lists $id, not on disk"; return 1; }
	done
	return 0
}

all_complete() {
	for id in $(ids_on_disk); do
		complete "$pub/snapshots/$id" || return 1
	done
}

agree() {
	a=$(ids_on_disk); b=$(ids_in_db)
	[ "$a" = "$b" ] || { echo "disk: $a"; echo "db: $b"; return 1; }
	ls -a "$pub/snapshots" | grep '^\.tmp-' && { echo "leftover .tmp-"; return 1; }
	find "$pub/by-hash" -name '.tmp-*' | grep . && { echo "leftover store tmp"; return 1; }
	[ "$(readlink "$pub/latest")" = "snapshots/$(ids_in_db | tail -n 1)" ] ||
		{ echo "latest is not the newest"; return 1; }
	# the by-hash store holds what the snapshots list (GC ran)
	for id in $(ids_on_disk); do
		awk '/^(SHA256|MD5Sum):/ { s = 1; next } /^[^ ]/ { s = 0 } s { print $1 }' \
			"$pub/snapshots/$id/dists/bookworm/Release"
	done | sort -u >"$T_TMP/listed"
	find "$pub/by-hash" -type f \( -path '*/SHA256/*' -o -path '*/MD5Sum/*' \) \
		-printf '%f\n' | sort -u >"$T_TMP/stored"
	comm -13 "$T_TMP/listed" "$T_TMP/stored" | grep . &&
		{ echo "store files no snapshot lists"; return 1; }
	comm -23 "$T_TMP/listed" "$T_TMP/stored" | grep . &&
		{ echo "listed files missing from the store"; return 1; }
	# every pool file the database knows is there
	sqlite3 "$db" "SELECT path FROM files" | while read -r f; do
		[ -f "$pub/pool/$f" ] || { echo "pool file $f missing"; exit 1; }
	done || return 1
	return 0
}

# An environment on the first snapshot: GC must keep it however old.
ok "first snapshot" dp snapshot now
first=$(ids_in_db | head -n 1)
sqlite3 "$db" "INSERT INTO environments(name, snapshot, since) VALUES ('prod', '$first', '2026-01-01T00:00:00Z')"
sleep 1

for i in $(seq 1 "$ROUNDS"); do
	deb=$(make_deb "$debs" crashtest "1.$i" amd64)
	dp add "$deb" --dist bookworm >/dev/null 2>&1 || bail "add 1.$i failed"
	ms=$((RANDOM % 1000))
	delay=$((ms / 1000)).$(printf '%03d' $((ms % 1000)))
	before=$(ids_in_db | wc -l)
	debpipe --config "$conf" snapshot now >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo "# round $i: killed after ${delay}s; snapshots recorded: $before -> $(ids_in_db | wc -l); tmp: $(ls -a "$pub/snapshots" | grep -c '^\.tmp-')"
	ok "round $i (kill after ${delay}s): nothing half-published is visible" visible_ok
	ok "round $i: every snapshot on disk is complete and signed" all_complete
	ok "round $i: the next run recovers and publishes" dp snapshot now
	ok "round $i: database and disk agree" agree
	is "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok "round $i: database integrity"
	sleep 1
done

ok "the snapshot prod is on survived GC" complete "$pub/snapshots/$first"
sqlite3 "$db" .dump >"$T_TMP/before.sql"
find "$pub" | sort >"$T_TMP/before.files"
ok "gc --dry-run" dp gc --dry-run
sqlite3 "$db" .dump >"$T_TMP/after.sql"
find "$pub" | sort >"$T_TMP/after.files"
ok "gc --dry-run changes nothing" sh -c "cmp '$T_TMP/before.sql' '$T_TMP/after.sql' && cmp '$T_TMP/before.files' '$T_TMP/after.files'"
ok "a last forced snapshot" dp snapshot now --force
like "$(zcat "$pub/latest/dists/bookworm/main/binary-amd64/Packages.gz" | grep -c '^Package: ')" \
	'^1501$' "latest has every package"
port=$(http_serve "$pub")
ar=$(apt_root "http://127.0.0.1:$port/latest" bookworm main "$keyring")
ok "apt-get update after the crashes" apt_get "$ar" update
done_testing
