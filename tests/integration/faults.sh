#!/bin/bash
# faults.sh - failing upstreams (tests/integration/fault-server.py on
# 127.0.0.1): a connection reset mid-body, 1 byte per second, 500, 404,
# 429 with Retry-After, a truncated Packages.xz, a redirect loop and a
# git remote that never answers.  With the builder and the snapshotter
# running: every fetch ends within Fetch-Timeout (no poll has to be
# killed), each watch shows its error and backs off, a good watch keeps
# being served on schedule, the previous import stays published, and
# every watch recovers by itself when its server does.  Prints the fault
# matrix (fault, what the user saw, recovered).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/apt-lib.sh"
. "$top_srcdir/tests/integration/builder-lib.sh"
need apt-ftparchive dpkg-deb gpg python3 curl xz sqlite3 git dpkg-buildpackage dh fakeroot

FAULTS="reset slow e500 e404 e429 truncxz loop"
declare -A MODE=([reset]=reset [slow]=slow [e500]=500 [e404]=404 [e429]=429 \
	[truncxz]=truncxz [loop]=loop [githang]=hang)
declare -A SAW=(
	[reset]='Recv failure|reset by peer|transfer closed'
	[slow]='Fetch-Timeout \(5 s\)'
	[e500]='HTTP 500'
	[e404]='HTTP 404|neither InRelease nor Release found'
	[e429]='HTTP 429, retry after 120 s: beyond Fetch-Timeout'
	[truncxz]='xz|Packages|checksum|SHA256|size'
	[loop]='redirect loop'
	[githang]='no answer within 5 s \(Fetch-Timeout\)')
plan 28

www=$T_TMP/www
up=$www/up
modes=$T_TMP/modes
mkdir -p "$modes"
up_key
up_init "$up" stable
debs=$T_TMP/debs
for w in good $FAULTS; do up_add "$up" "$(make_deb "$debs" "p-$w" 1.0)"; done
up_index "$up" stable && up_sign "$up" stable || bail "upstream"
repo=$T_TMP/src/dp-faults
bl_make_repo "$repo" dp-faults 1.0 "2026-11-01T10:00:00Z"
git clone -q --bare "$repo" "$www/faults.git"

port=$(free_port)
python3 "$top_srcdir/tests/integration/fault-server.py" "$port" "$www" "$modes" \
	"$T_TMP/requests.log" >"$T_TMP/fault-server.log" 2>&1 &
t_bg $!
wait_for 10 curl -fsS -o /dev/null "http://127.0.0.1:$port/x/up/dists/stable/Release" ||
	bail "the fault server did not start"

inst=$(make_instance "Fetch-Timeout: 5s")
conf=$inst/debpipe.conf
db=$inst/state/state.db
pub=$inst/public
dp() { debpipe --config "$conf" "$@"; }
for w in good $FAULTS; do
	up_watch "$inst" "$w" "http://127.0.0.1:$port/$w/up" stable "$UP_KEYRING" \
		"Packages: p-$w" "Interval: 3s"
done
cat >"$inst/watch.d/githang.watch" <<EOF
Watch: githang
Type: git
URL: http://127.0.0.1:$port/githang/git/faults.git
Branch: main
Distribution: bookworm
Interval: 3s
EOF
ok "key init" dp key init

debpipe-builder --config "$conf" --foreground -v >"$T_TMP/builder.log" 2>&1 &
BUILDER=$!
t_bg $BUILDER
debpipe-snapshotter --config "$conf" --foreground -v >"$T_TMP/snapshotter.log" 2>&1 &
t_bg $!

version() { sqlite3 "$db" "SELECT max(version) FROM packages WHERE name = '$1'" 2>/dev/null; }
published() {	# published PKG: versions of PKG in the latest snapshot
	f=$pub/latest/dists/bookworm/main/binary-amd64/Packages
	[ -f "$f" ] && awk -v p="$1" '$1 == "Package:" { n = $2 }
		$1 == "Version:" && n == p { print $2 }' "$f" | sort | tr '\n' ' '
}
all_at() {	# all_at VERSION: every apt watch imported it
	for w in good $FAULTS; do [ "$(version "p-$w")" = "$1" ] || return 1; done
}
built() {	# built N: the git watch has N successful builds
	[ "$(sqlite3 "$db" "SELECT count(*) FROM builds WHERE watch = 'githang' AND state = 'success'")" -ge "$1" ]
}
ok "every watch imports from the healthy upstream" wait_for 60 all_at 1.0
ok "the git watch is built" wait_for 120 built 1
ok "and a snapshot publishes all of it" wait_for 30 sh -c \
	"grep -q '^Package: dp-faults' '$pub/latest/dists/bookworm/main/binary-amd64/Packages' &&
	 grep -q '^Package: p-loop' '$pub/latest/dists/bookworm/main/binary-amd64/Packages'"

# Every server but good's breaks, and upstream moves on.
for w in $FAULTS githang; do echo "${MODE[$w]}" >"$modes/$w"; done
for w in good $FAULTS; do up_add "$up" "$(make_deb "$debs" "p-$w" 1.1)"; done
up_index "$up" stable && up_sign "$up" stable || bail "upstream"
echo "change" >>"$repo/hello.txt"
bl_commit "$repo" "2026-11-02T10:00:00Z" "a change"
git -C "$repo" push -q "$www/faults.git" main
t0=$(date +%s)
good_polls0=$(grep -c ' good: ' "$T_TMP/builder.log")

ok "the good watch imports the new version meanwhile" wait_for 20 sh -c "[ \"\$(sqlite3 '$db' \"SELECT max(version) FROM packages WHERE name = 'p-good'\")\" = 1.1 ]"
errs() {	# every faulty watch shows an error
	for w in $FAULTS githang; do
		[ -n "$(sqlite3 "$db" "SELECT last_error FROM watches WHERE name = '$w'")" ] || return 1
	done
}
ok "every faulty watch shows an error" wait_for 40 errs
sleep 35
t1=$(date +%s)
good_polls=$(( $(grep -c ' good: ' "$T_TMP/builder.log") - good_polls0 ))
echo "# in $((t1 - t0)) s of faults: good polled $good_polls times (Interval: 3s)"
[ "$good_polls" -ge $(( (t1 - t0) / 3 / 2 )) ]
t_result $? "the good watch kept being polled on schedule ($good_polls polls)"
is "$(grep -c 'did not finish within' "$T_TMP/builder.log")" 0 \
	"no poll had to be killed: every fetch ended within Fetch-Timeout"
like "$(grep -c 'failed polls in a row' "$T_TMP/builder.log")" '^[1-9]' "failing watches back off"
# Polls of a failing watch: fewer than one per Interval.
n=$(grep -c '^e500 ' "$T_TMP/requests.log")
echo "# e500: $n requests to its server in $((t1 - t0)) s"
for w in $FAULTS githang; do
	e=$(sqlite3 "$db" "SELECT last_error FROM watches WHERE name = '$w'")
	echo "$w|$e" >>"$T_TMP/saw"
	like "$e" "${SAW[$w]}" "$w (${MODE[$w]}): the watch shows: $(printf '%s' "$e" | cut -c1-150)"
done
ok "watch list shows the errors" sh -c "debpipe --config '$conf' watch list | grep -q 'HTTP 500'"
prev_ok=yes
for w in $FAULTS; do
	[ "$(published "p-$w")" = "1.0 " ] || { echo "p-$w: $(published "p-$w")"; prev_ok=no; }
done
is "$prev_ok" yes "the previous import of every faulty watch stays published"
is "$(published p-good)" "1.1 " "the good watch's new version is published"

# The servers recover.
for w in $FAULTS githang; do rm -f "$modes/$w"; done
t2=$(date +%s)
ok "every apt watch recovers by itself" wait_for 90 all_at 1.1
ok "the git watch recovers and builds the change" wait_for 150 built 2
t3=$(date +%s)
echo "# recovered in $((t3 - t2)) s"
noerr() {
	for w in $FAULTS githang; do
		[ -z "$(sqlite3 "$db" "SELECT last_error FROM watches WHERE name = '$w'")" ] || return 1
	done
}
ok "no watch shows an error any more" wait_for 30 noerr
ok "the snapshot has the new versions" wait_for 30 sh -c \
	"[ \"\$(awk '\$1 == \"Package:\" && \$2 ~ /^p-/ { n = \$2 } \$1 == \"Version:\" && n != \"\" { print \$2; n = \"\" }' \
	'$pub/latest/dists/bookworm/main/binary-amd64/Packages' | sort | uniq -c | awk '\$2 == \"1.1\" { print \$1 }')\" = 8 ]"
ok "the builder is still running" kill -0 "$BUILDER"
is "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok "database integrity"
ok "no half download is left in incoming" sh -c "! find '$inst/state/incoming' -type f ! -name '*.lock' 2>/dev/null | grep ."
ok "no lock or half pack left in the git mirror" sh -c "! find '$inst/state/git' -path '*.git/*' \( -name '*.lock' -o -name 'pack_git2_*' \) | grep ."

echo "# fault matrix: fault | what the user saw (last_error) | recovered"
while IFS='|' read -r w e; do
	echo "#   ${MODE[$w]} | $e | yes"
done <"$T_TMP/saw"
done_testing
