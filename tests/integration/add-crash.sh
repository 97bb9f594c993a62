#!/bin/bash
# add-crash.sh - kill -9 `debpipe add` of 1500 packages at random moments
# (reading, staging, recording, linking, syncing, committing), in link
# and in copy mode, and check after each kill that the database and the
# pool agree (every file the database knows is in the pool with its size
# and checksum, no half-written file has a pool name, no package row is
# without its file), that the same add then succeeds, adopting what the
# killed run left, and that nothing is left over or lost at the end.
. "$top_srcdir/tests/integration/lib.sh"
need dpkg-deb python3 sqlite3 sha256sum

ROUNDS=${ADD_CRASH_ROUNDS:-10}
plan $((ROUNDS * 4 + 8))

inst=$(make_instance)
conf=$inst/debpipe.conf
pool=$inst/public/pool
db=$inst/state/state.db
debs=$T_TMP/debs
dp() { debpipe --config "$conf" "$@"; }

python3 "$top_srcdir/bench/gen-debs" -o "$debs" 1500 >/dev/null ||
	bail "gen-debs failed"
find "$debs" -name '*.deb' | sort >"$T_TMP/list"
is "$(wc -l <"$T_TMP/list")" 1500 "1500 packages to add"
mapfile -t files <"$T_TMP/list"
xargs -a "$T_TMP/list" -d '\n' sha256sum |
	sed 's|  .*/|  |' | sort -k2 >"$T_TMP/input.sums"

# Database and pool agree: every known file is there, whole.
agree() {
	if [ ! -f "$db" ] || [ "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_master WHERE name = 'files'")" = 0 ]; then
		# killed before the database (or its schema) was made:
		# nothing may be in the pool
		find "$pool" -type f 2>/dev/null | grep -v '/\.staging/' | grep . &&
			{ echo "pool files without a database"; return 1; }
		return 0
	fi
	sqlite3 -separator ' ' "$db" "SELECT path, size, sha256 FROM files" |
	while read -r f size sha; do
		[ -f "$pool/$f" ] || { echo "pool file $f missing"; exit 1; }
		[ "$(stat -c %s "$pool/$f")" = "$size" ] ||
			{ echo "$f: wrong size"; exit 1; }
		[ "$(sha256sum <"$pool/$f" | cut -d' ' -f1)" = "$sha" ] ||
			{ echo "$f: wrong sha256"; exit 1; }
	done || return 1
	[ "$(sqlite3 "$db" "SELECT count(*) FROM packages WHERE file_id NOT IN (SELECT id FROM files)")" = 0 ] ||
		{ echo "package rows without a file"; return 1; }
	# every file with a pool name (known or not) is a whole input
	find "$pool" -path "$pool/.staging" -prune -o -type f -print |
		xargs -r sha256sum | sed 's|  .*/|  |' | sort -k2 >"$T_TMP/pool.sums"
	join -j 2 -v 1 "$T_TMP/pool.sums" "$T_TMP/input.sums" | grep . &&
		{ echo "pool files that are no input"; return 1; }
	awk '{ print $2, $1 }' "$T_TMP/pool.sums" | sort >"$T_TMP/a"
	awk '{ print $2, $1 }' "$T_TMP/input.sums" | sort >"$T_TMP/b"
	comm -23 "$T_TMP/a" "$T_TMP/b" | grep . &&
		{ echo "pool files whose content is not their input's"; return 1; }
	return 0
}

# How long a whole add takes here, in each mode, from a fresh state as
# in the rounds: the kills land anywhere from its start to a little
# after its end.
span() {	# span MODE: milliseconds
	rm -rf "$inst/state" "$inst/public"
	t0=$(date +%s%N)
	debpipe --config "$conf" add $1 --dist bookworm "${files[@]}" \
		>/dev/null 2>&1 || bail "add $1 failed"
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000000 * 12 / 10 + 1 ))
}
span_link=$(span --link)
span_copy=$(span "")
echo "# a whole add: ${span_link} ms linked, ${span_copy} ms copied (+20%)"

for i in $(seq 1 "$ROUNDS"); do
	# a fresh state every round: the kill lands in a full add
	rm -rf "$inst/state" "$inst/public"
	mode=--link span=$span_link
	[ $((i % 2)) = 0 ] && mode= span=$span_copy
	ms=$((RANDOM % span))
	delay=$((ms / 1000)).$(printf '%03d' $((ms % 1000)))
	# debpipe itself in the background (not under xargs: kill -9 of
	# xargs would leave debpipe running)
	debpipe --config "$conf" add $mode --dist bookworm "${files[@]}" \
		>/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	n=$(sqlite3 "$db" "SELECT count(*) FROM packages" 2>/dev/null || echo 0)
	echo "# round $i (${mode:-copy}): killed after ${delay}s, $n packages committed"
	ok "round $i: database and pool agree after the kill" agree
	ok "round $i: the same add succeeds" \
		debpipe --config "$conf" add $mode --dist bookworm "${files[@]}"
	is "$(sqlite3 "$db" "SELECT count(*) FROM packages")" 1500 \
		"round $i: every package is in"
	# what the killed run left was adopted or removed: the pool holds
	# exactly the files the database knows, and no copy in the making
	is "$(find "$pool" -type f | wc -l)" \
		"$(sqlite3 "$db" "SELECT count(*) FROM files")" \
		"round $i: no file in the pool the database does not know"
done

ok "database and pool agree at the end" agree

# a copy a killed run left in the making is removed by the next add
mkdir -p "$pool/.staging"
head -c 5000 "$(head -n 1 "$T_TMP/list")" >"$pool/.staging/.tmp-debpipe.KILLED"
extra=$(make_deb "$T_TMP/extra" crashextra 1.0 amd64)
ok "an add after a killed copy" dp add "$extra" --dist bookworm
ok "the half copy is gone" test ! -e "$pool/.staging/.tmp-debpipe.KILLED"
is "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok "database integrity"
ok "key init" dp key init
ok "a snapshot of it" dp snapshot now
is "$(grep -c '^Package: ' "$inst/public/latest/dists/bookworm/main/binary-amd64/Packages")" \
	1501 "the snapshot lists every package"
done_testing
