#!/bin/bash
# daemon-crash.sh - kill -9 beyond publishing (crash.sh and add-crash.sh
# do `snapshot now` and `add`): the builder mid-fetch, mid-build and
# mid-ingest, the promoter mid-promotion and mid-notify, and `debpipe
# gc`, at random moments, DAEMON_CRASH_KILLS times in all (default 100:
# 20 builder, 50 promoter, 30 gc).  After each kill and restart: nothing
# acknowledged is lost, nothing partial is left (no build stuck running,
# no staging or temporary files), every environment symlink points at a
# complete published snapshot and agrees with the database, the audit
# log is complete (an unbroken chain per environment ending where the
# environment is, every move announced), PRAGMA integrity_check ok.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/apt-lib.sh"
need git dpkg-buildpackage dpkg-deb fakeroot apt-ftparchive gpg python3 sqlite3 curl

KILLS=${DAEMON_CRASH_KILLS:-100}
KB=$((KILLS / 5)) KP=$((KILLS / 2)) KG=$((KILLS - KILLS / 5 - KILLS / 2))
plan $((KB * 3 + KP * 3 + KG * 3 + 7))

# rand_delay MS: a random delay below MS milliseconds, as "S.mmm"
rand_delay() { ms=$(( (RANDOM * 32768 + RANDOM) % $1 )); echo "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"; }
integrity() { [ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ]; }

# ---------------------------------------------------------------------
# The builder: a git watch whose package builds in a second or two
# (plain debian/rules, no debhelper) and an apt watch importing 300
# packages over HTTP, one new version of each per round.
inst=$(make_instance "Keep-Snapshots: 3")
sed -i '/^Keep-Snapshots: 10$/d' "$inst/debpipe.conf"
conf=$inst/debpipe.conf
db=$inst/state/state.db
pub=$inst/public
dp() { debpipe --config "$conf" "$@"; }

repo=$T_TMP/src/quick
mkdir -p "$repo/debian/source"
git init -q -b main "$repo"
cat >"$repo/debian/control" <<'EOF'
Source: dp-quick
Section: misc
Priority: optional
Maintainer: Test <test@example.org>
Standards-Version: 4.6.2
Rules-Requires-Root: no

Package: dp-quick
Architecture: all
Description: debpipe crash test package
 Built in a second.
EOF
printf '%s\n' '#!/usr/bin/make -f' 'build build-arch build-indep:' \
	'binary binary-arch: binary-indep' 'binary-indep:' \
	'	install -d debian/tmp/DEBIAN debian/tmp/usr/share/dp-quick' \
	'	cp data.txt debian/tmp/usr/share/dp-quick/' \
	'	dpkg-gencontrol -Pdebian/tmp' \
	'	dpkg-deb --root-owner-group --build debian/tmp ..' \
	'clean:' '	rm -rf debian/tmp debian/files' >"$repo/debian/rules"
chmod +x "$repo/debian/rules"
cat >"$repo/debian/changelog" <<'EOF'
dp-quick (1.0) unstable; urgency=medium

  * Initial release.

 -- Test <test@example.org>  Sun, 01 Nov 2026 00:00:00 +0000
EOF
echo "3.0 (native)" >"$repo/debian/source/format"
commit() {
	head -c 200000 /dev/urandom | base64 >"$repo/data.txt"
	git -C "$repo" add -A
	GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=T \
	GIT_COMMITTER_EMAIL=t@example.org GIT_AUTHOR_DATE="2026-11-0${1}T10:00:00Z" \
	GIT_COMMITTER_DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)" git -C "$repo" commit -q -m "round $1"
}
commit 1
cat >"$inst/watch.d/quick.watch" <<EOF
Watch: quick
Type: git
URL: file://$repo
Branch: main
Distribution: bookworm
Interval: 2s
EOF

up_key
up=$T_TMP/www/up
up_init "$up" stable
python3 "$top_srcdir/bench/gen-debs" -o "$T_TMP/updebs" --prefix up 300 >/dev/null || bail gen-debs
cp "$T_TMP"/updebs/*.deb "$up/pool/main/"
up_index "$up" stable && up_sign "$up" stable || bail "upstream"
uport=$(http_serve "$T_TMP/www")
up_watch "$inst" upstream "http://127.0.0.1:$uport/up" stable "$UP_KEYRING" "Interval: 2s"
ok "key init" dp key init

start_builder() {
	debpipe-builder --config "$conf" --foreground -v >>"$T_TMP/builder.log" 2>&1 &
	BUILDER=$!
}
nsucc() { sqlite3 "$db" "SELECT count(*) FROM builds WHERE watch = 'quick' AND state = 'success'" 2>/dev/null || echo 0; }
nup() { sqlite3 "$db" "SELECT count(*) FROM packages WHERE name LIKE 'up-%'" 2>/dev/null || echo 0; }
# A whole cycle (poll both, build, ingest, import): kills land anywhere
# in it, and a little after.
t0=$(date +%s%N)
start_builder
wait_for 120 sh -c "[ \"\$(sqlite3 '$db' \"SELECT count(*) FROM builds WHERE watch = 'quick' AND state = 'success'\")\" = 1 ] &&
	[ \"\$(sqlite3 '$db' \"SELECT count(*) FROM packages WHERE name LIKE 'up-%'\")\" = 300 ]" ||
	bail "the first build and import did not finish"
span=$(( ($(date +%s%N) - t0) / 1000000 * 12 / 10 ))
kill "$BUILDER"; wait "$BUILDER" 2>/dev/null
echo "# a builder cycle: $span ms (+20%)"

# Every file the database knows is in the pool with its size, and the
# pool holds nothing else (but the builds' .buildinfo files, which the
# builder publishes beside the .debs without a files row).
pool_agrees() {
	sqlite3 -separator ' ' "$db" "SELECT path, size FROM files" | sort >"$T_TMP/db.files"
	find "$pub/pool" -path "$pub/pool/.staging" -prune -o -type f ! -name '*.buildinfo' -printf '%P %s\n' |
		sort >"$T_TMP/pool.files"
	cmp -s "$T_TMP/db.files" "$T_TMP/pool.files" ||
		{ diff "$T_TMP/db.files" "$T_TMP/pool.files" | head -n 5; return 1; }
}
# Database, pool and builds agree; nothing half-made is left.
builder_ok() {
	integrity || { echo "integrity"; return 1; }
	[ "$(sqlite3 "$db" "SELECT count(*) FROM builds WHERE state = 'running'")" = 0 ] ||
		{ echo "a build is still running"; return 1; }
	pool_agrees || return 1
	[ "$(sqlite3 "$db" "SELECT count(*) FROM packages WHERE file_id NOT IN (SELECT id FROM files)")" = 0 ] ||
		{ echo "package without file"; return 1; }
	find "$pub/pool" -path '*/.staging/*' -type f | grep . && { echo "staging left"; return 1; }
	find "$inst/state/incoming" -type f ! -name '*.lock' 2>/dev/null | grep . && { echo "incoming left"; return 1; }
	find "$inst/state/git" -path '*.git/*' -name '*.lock' | grep . && { echo "git lock left"; return 1; }
	return 0
}

for i in $(seq 2 $((KB + 1))); do
	commit "$i"
	# a new version of every upstream package
	rm -f "$up"/pool/main/*.deb
	python3 "$top_srcdir/bench/gen-debs" -o "$up/pool/main" --prefix up --base "2.$i" 300 \
		>/dev/null 2>&1
	up_index "$up" stable && up_sign "$up" stable
	delay=$(rand_delay "$span")
	start_builder
	sleep "$delay"
	kill -9 "$BUILDER"; wait "$BUILDER" 2>/dev/null
	echo "# builder round $i: killed after ${delay}s; builds ok $(nsucc), up packages $(nup)"
	ok "builder round $i: after the kill, database and pool agree" sh -c \
		"[ \"\$(sqlite3 '$db' 'PRAGMA integrity_check')\" = ok ] &&
		 [ \"\$(sqlite3 '$db' \"SELECT count(*) FROM packages WHERE file_id NOT IN (SELECT id FROM files)\")\" = 0 ]"
	start_builder
	want=$i
	ok "builder round $i: the restarted builder finishes the work" wait_for 120 sh -c \
		"[ \"\$(sqlite3 '$db' \"SELECT count(*) FROM packages WHERE name = 'dp-quick'\")\" -ge $want ] &&
		 [ \"\$(sqlite3 '$db' \"SELECT count(*) FROM packages WHERE name LIKE 'up-%' AND version LIKE '2.$i-%'\")\" = 300 ] &&
		 [ \"\$(sqlite3 '$db' \"SELECT count(*) FROM builds WHERE state IN ('queued', 'running')\")\" = 0 ]"
	kill "$BUILDER"; wait "$BUILDER" 2>/dev/null
	ok "builder round $i: nothing lost, nothing partial" builder_ok
done
ok "every build finally succeeded once per commit" \
	test "$(sqlite3 "$db" "SELECT count(DISTINCT inputs) FROM builds WHERE watch = 'quick' AND state = 'success'")" = "$((KB + 1))"

# ---------------------------------------------------------------------
# The promoter: real snapshots, test <- every snapshot, staging <- ci,
# prod <- deploy; Notify URLs answered slowly (0.3 s), so kills land in
# the middle of promotions and of notifications.
nport=$(free_port)
cat >>"$conf" <<EOF

Environment: test
Auto-Promote: yes
Notify: http://127.0.0.1:$nport/test?s={snapshot}

Environment: staging
Promote-From: test
Requires: ci
Notify: http://127.0.0.1:$nport/staging?s={snapshot}

Environment: prod
Promote-From: staging
Requires: deploy
Notify: http://127.0.0.1:$nport/prod?s={snapshot}
EOF
REP=reporter-crash-0123456789
printf '%s reporter ci\n' "$REP" >"$inst/tokens"
url=$(sed -n 's/^Listen: /http:\/\//p' "$conf")
cat >"$T_TMP/hook.py" <<'EOF'
import http.server, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        time.sleep(0.3)
        with open(sys.argv[2], 'a') as f:
            f.write('%s\n' % self.path)
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
EOF
python3 "$T_TMP/hook.py" "$nport" "$T_TMP/hooks.log" &
t_bg $!
start_promoter() {
	debpipe-promoter --config "$conf" --foreground -v >>"$T_TMP/promoter.log" 2>&1 &
	PROM=$!
	wait_for 20 curl -fsS -o /dev/null "$url/api/v1/environments"
}
: >"$T_TMP/acked"
report() {	# report SNAPSHOT JOB: post a success, remember it when 201
	u="http://ci.invalid/$RANDOM$RANDOM"
	c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $REP" \
		-H 'Content-Type: application/json' \
		-d "{\"job\": \"$2\", \"result\": \"success\", \"url\": \"$u\"}" \
		"$url/api/v1/snapshots/$1/results")
	[ "$c" = 201 ] && echo "$1 $2 $u" >>"$T_TMP/acked"
}
# Symlinks, database and audit log agree; every move was announced.
envs_ok() {
	integrity || { echo integrity; return 1; }
	for e in test staging prod latest; do
		s=$(sqlite3 "$db" "SELECT snapshot FROM environments WHERE name = '$e'")
		[ "$e" = latest ] && s=$(sqlite3 "$db" "SELECT max(id) FROM snapshots WHERE state = 'published'")
		[ -z "$s" ] && { [ ! -e "$pub/$e" ] || { echo "$e exists, db has none"; return 1; }; continue; }
		[ "$(readlink "$pub/$e")" = "snapshots/$s" ] || { echo "$e -> $(readlink "$pub/$e"), db $s"; return 1; }
		gpgv --keyring "$pub/debpipe-archive-keyring.gpg" "$pub/$e/dists/bookworm/InRelease" >/dev/null 2>&1 ||
			{ echo "$e: InRelease does not verify"; return 1; }
		[ "$e" = latest ] && continue
		last=$(sqlite3 "$db" "SELECT to_snapshot FROM env_history WHERE env = '$e' ORDER BY id DESC LIMIT 1")
		[ "$last" = "$s" ] || { echo "$e: audit log ends at $last, env on $s"; return 1; }
	done
	# an unbroken chain: each move starts where the one before ended
	sqlite3 -separator ' ' "$db" "SELECT env, coalesce(from_snapshot, '-'), to_snapshot FROM env_history ORDER BY id" |
	awk '{ if (($1 in at) && at[$1] != $2) { print "broken chain:", $0; bad = 1 } at[$1] = $3 } END { exit bad }' || return 1
	[ "$(sqlite3 "$db" "SELECT count(*) FROM env_history h WHERE NOT EXISTS (SELECT 1 FROM notifications n WHERE n.env = h.env AND n.payload LIKE '%' || h.to_snapshot || '%')")" = 0 ] ||
		{ echo "a move without its notification"; return 1; }
	sort -u "$T_TMP/acked" >"$T_TMP/acked.s"
	sqlite3 -separator ' ' "$db" "SELECT snapshot, job, url FROM results" | sort >"$T_TMP/results.s"
	comm -23 "$T_TMP/acked.s" "$T_TMP/results.s" | grep . && { echo "results lost"; return 1; }
	return 0
}
ok "promoter starts" start_promoter
n=$((KB + 2))
for i in $(seq 1 "$KP"); do
	n=$((n + 1))
	# a new snapshot every other round (test moves); results for it in
	# the others (staging and prod move)
	if [ $((i % 2)) = 1 ]; then
		deb=$(make_deb "$T_TMP/pdebs" promo "1.$i" amd64)
		dp add --dist bookworm "$deb" >/dev/null 2>&1 && dp snapshot now >/dev/null 2>&1 || bail "snapshot $i"
	fi
	snap=$(readlink "$pub/latest" | sed 's|^snapshots/||')
	case $((i % 4)) in
	0) report "$snap" ci; report "$snap" deploy ;;
	2) report "$snap" ci ;;
	*) ;;
	esac &
	rp=$!
	delay=$(rand_delay 1500)
	sleep "$delay"
	kill -9 "$PROM"; wait "$PROM" 2>/dev/null; wait "$rp" 2>/dev/null
	echo "# promoter round $i: killed after ${delay}s; moves $(sqlite3 "$db" "SELECT count(*) FROM env_history"), notifications pending $(sqlite3 "$db" "SELECT count(*) FROM notifications WHERE state = 'pending'")"
	ok "promoter round $i: restarts" start_promoter
	ok "promoter round $i: symlinks valid, audit log complete, nothing lost" wait_for 10 envs_ok
	ok "promoter round $i: the test environment reaches the new snapshot" wait_for 10 sh -c \
		"[ \"\$(readlink '$pub/test')\" = snapshots/$snap ]"
done
sent() { [ "$(sqlite3 "$db" "SELECT count(*) FROM notifications WHERE state != 'sent'")" = 0 ]; }
ok "every notification is delivered in the end" wait_for 60 sent
ok "the receiver got every move at least once" sh -c "sqlite3 -separator ' ' '$db' \
	\"SELECT env, to_snapshot FROM env_history\" | while read -r e s; do
	grep -q \"^/\$e?s=\$s\$\" '$T_TMP/hooks.log' || { echo \$e \$s; exit 1; }; done"
kill "$PROM"; wait "$PROM" 2>/dev/null

# ---------------------------------------------------------------------
# GC: many snapshots to drop (Keep-Snapshots: 3), packages superseded.
sed -i 's/^Keep-Snapshots: 3$/Keep-Snapshots: 2/' "$conf"
gc_ok() {
	envs_ok || return 1
	for id in $(sqlite3 "$db" "SELECT id FROM snapshots WHERE state = 'published'"); do
		gpgv --keyring "$pub/debpipe-archive-keyring.gpg" \
			"$pub/snapshots/$id/dists/bookworm/InRelease" >/dev/null 2>&1 ||
			{ echo "snapshot $id incomplete"; return 1; }
		# the index files its Release lists are there, with their size
		awk '/^SHA256:/ { s = 1; next } /^[^ ]/ { s = 0 } s { print $2, $3 }' \
			"$pub/snapshots/$id/dists/bookworm/Release" | while read -r sz f; do
			[ "$(stat -c %s "$pub/snapshots/$id/dists/bookworm/$f" 2>/dev/null)" = "$sz" ] ||
				{ echo "$id: $f"; exit 1; }
		done || return 1
		# every package it lists is in the pool
		sed -n 's|^Filename: pool/||p' "$pub/snapshots/$id"/dists/bookworm/main/binary-amd64/Packages
	done | sort -u >"$T_TMP/listed"
	find "$pub/pool" -type f -printf '%P\n' | sort >"$T_TMP/inpool"
	comm -23 "$T_TMP/listed" "$T_TMP/inpool" | grep . && { echo "listed, not in the pool"; return 1; }
	pool_agrees
}
mksnaps() {	# K snapshots, each with a new version of 100 packages
	for k in $(seq 1 "$1"); do
		gn=$((gn + 1))
		python3 "$top_srcdir/bench/gen-debs" -o "$T_TMP/g$gn" --prefix gc --base "1.$gn" 100 \
			>/dev/null 2>&1
		dp add --dist bookworm "$T_TMP/g$gn"/*.deb >/dev/null 2>&1 &&
			dp snapshot now >/dev/null 2>&1 || return 1
		rm -rf "$T_TMP/g$gn"
	done
}
gn=0
mksnaps 3 || bail "snapshots for gc"
t0=$(date +%s%N); dp gc >/dev/null 2>&1; gspan=$(( ($(date +%s%N) - t0) / 1000000 * 15 / 10 + 20 ))
echo "# a gc: $gspan ms (+50%)"
for i in $(seq 1 "$KG"); do
	mksnaps 1 || bail "snapshots for gc"
	delay=$(rand_delay "$gspan")
	debpipe --config "$conf" gc >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	echo "# gc round $i: killed after ${delay}s; published $(sqlite3 "$db" "SELECT count(*) FROM snapshots WHERE state = 'published'")"
	ok "gc round $i: after the kill, every snapshot and symlink is whole" gc_ok
	ok "gc round $i: the next gc succeeds" dp gc
	ok "gc round $i: and leaves everything whole" gc_ok
done
port=$(http_serve "$pub")
ar=$(apt_root "http://127.0.0.1:$port/latest" bookworm main "$pub/debpipe-archive-keyring.gpg")
ok "apt-get update of latest after all the kills" apt_get "$ar" update
ok "database integrity at the end" integrity
done_testing
