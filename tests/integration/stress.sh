#!/bin/bash
# stress.sh - concurrent writers against one state.db: the three daemons
# run (a git watch that changes every half minute and is built on the
# host, snapshots every 5 s with garbage collection after each) while ten
# CLI writers add packages, take snapshots, promote, roll back, report
# results through the API, collect garbage and check watches, for
# STRESS_SECONDS (default 180).  Afterwards: no client and no daemon saw
# "database is locked" or a busy error, no writer failed at all (every
# refusal is one of the few named below), every add and every result
# that was acknowledged is in the database, every snapshot still
# published verifies with the real apt-get (and so did `latest`, pinned,
# every few seconds during the run), PRAGMA integrity_check is ok.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/builder-lib.sh"
need git dpkg-buildpackage dh fakeroot dpkg-deb apt-get gpg python3 sqlite3 curl

SECS=${STRESS_SECONDS:-180}
plan 16

inst=$(make_instance "Serve-Public: yes" "Keep-Snapshots: 4")
sed -i -e '/^Keep-Snapshots: 10$/d' -e 's/^Snapshot-Interval: .*/Snapshot-Interval: 5s/' \
	"$inst/debpipe.conf"
conf=$inst/debpipe.conf
db=$inst/state/state.db
pub=$inst/public
url=$(sed -n 's/^Listen: /http:\/\//p' "$conf")
cat >>"$conf" <<EOF

Environment: test
Auto-Promote: yes

Environment: staging
Promote-From: test
Requires: ci-a ci-b
EOF
REP=reporter-stress-0123456789
ADM=admin-stress-9876543210
printf '%s reporter ci\n%s admin stress\n' "$REP" "$ADM" >"$inst/tokens"
export DEBPIPE_URL=$url
dp() { debpipe --config "$conf" "$@"; }

repo=$T_TMP/git/stress
bl_make_repo "$repo" dp-stress 1.0 "2026-11-01T10:00:00Z"
cat >"$inst/watch.d/stress.watch" <<EOF
Watch: stress
Type: git
URL: file://$repo
Branch: main
Distribution: bookworm
Interval: 5s
EOF

ok "key init" dp key init
python3 "$top_srcdir/bench/gen-debs" -o "$T_TMP/debs/a" --prefix stress-a 3000 >/dev/null &&
python3 "$top_srcdir/bench/gen-debs" -o "$T_TMP/debs/b" --prefix stress-b 3000 >/dev/null ||
	bail "gen-debs failed"
ok "a first add and snapshot" sh -c "debpipe --config '$conf' add --dist bookworm \
	$(find "$T_TMP/debs/a" -name '*.deb' | sort | head -n 1) &&
	debpipe --config '$conf' snapshot now"

L=$T_TMP/logs
mkdir -p "$L"
for d in builder snapshotter promoter; do
	debpipe-$d --config "$conf" --foreground -v >"$L/daemon-$d.log" 2>&1 &
	t_bg $!
	echo $! >"$L/daemon-$d.pid"
done
wait_for 20 curl -fsS -o /dev/null "$url/api/v1/environments" ||
	bail "the promoter did not start"

end=$(( $(date +%s) + SECS ))
running() { [ "$(date +%s)" -lt "$end" ]; }
latest() { readlink "$pub/latest" 2>/dev/null | sed 's|^snapshots/||'; }

# op WRITER NAME CMD...: run one operation; log "ok NAME" or "fail NAME
# (exit N): output" to the writer's log, "ack ..." lines are written by
# the writers themselves for what must be found again.
op() {
	w=$1 name=$2; shift 2
	t0=$(date +%s%N)
	if out=$("$@" 2>&1); then
		echo "ok $name $(( ($(date +%s%N) - t0) / 1000000 ))" >>"$L/w-$w.log"
		return 0
	else
		rc=$?
		echo "fail $name (exit $rc): $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-400)" >>"$L/w-$w.log"
		return 1
	fi
}

w_add() {	# w_add N DIR: add the packages of DIR one or three at a time
	wn=$1
	mapfile -t debs < <(find "$2" -name '*.deb' | sort | tail -n +2)
	i=0
	while running && [ "$i" -lt "${#debs[@]}" ]; do
		k=$(( i % 2 == 0 ? 1 : 3 ))
		set -- "${debs[@]:i:k}"
		i=$((i + k))
		if op "$wn" add dp add --dist bookworm "$@"; then
			for f in "$@"; do echo "ack add $(basename "$f")" >>"$L/w-$wn.log"; done
		fi
	done
}
w_snapshot() {
	while running; do op snap snapshot dp snapshot now; sleep 0.5; done
}
w_promote() {
	while running; do
		s=$(latest)
		[ -n "$s" ] && op promote promote snapshot-promote --token-file "$inst/adm.token" \
			promote "$s" --to staging --force --reason stress
		sleep 0.3
	done
}
w_rollback() {
	while running; do
		op rollback rollback snapshot-promote --token-file "$inst/adm.token" \
			rollback staging --reason stress
		sleep 0.7
	done
}
w_report() {	# w_report N JOB
	n=0
	while running; do
		s=$(latest)
		n=$((n + 1))
		u="http://ci.invalid/$2/$n"
		res=success
		[ $((n % 5)) = 0 ] && res=failure
		[ -n "$s" ] && op "$1" report snapshot-promote --token-file "$inst/rep.token" \
			report "$s" --job "$2" --result $res --url "$u" &&
			echo "ack result $s $2 $u" >>"$L/w-$1.log"
	done
}
w_gc() {
	while running; do op gc gc dp gc; sleep 1; done
}
w_watch() {	# a new upstream commit every 30 s; checks and build requests
	n=0
	while running; do
		n=$((n + 1))
		if [ $((n % 30)) = 0 ]; then
			echo "change $n" >>"$repo/hello.txt"
			bl_commit "$repo" "2026-11-02T10:00:00Z" "change $n"
		fi
		op watch status dp status
		[ $((n % 10)) = 5 ] && op watch check dp watch check stress
		[ $((n % 40)) = 20 ] && op watch build dp build stress
		sleep 1
	done
}
# Real apt-get against the snapshot latest points at, pinned by ID.
keyring=$pub/debpipe-archive-keyring.gpg
w_apt() {
	while running; do
		s=$(latest)
		if [ -n "$s" ]; then
			ar=$(apt_root "$url/snapshots/$s" bookworm main "$keyring")
			if out=$(apt_get "$ar" update 2>&1) &&
			    ! printf '%s\n' "$out" | grep -q '^[WE]:'; then
				echo "ok apt $s" >>"$L/w-apt.log"
			elif [ "$(sqlite3 "$db" "SELECT state FROM snapshots WHERE id = '$s'")" != published ]; then
				echo "gone apt $s" >>"$L/w-apt.log"	# collected meanwhile
			else
				echo "fail apt $s: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-400)" >>"$L/w-apt.log"
			fi
			rm -rf "$ar"
		fi
		sleep 2
	done
}
printf '%s\n' "$REP" >"$inst/rep.token"
printf '%s\n' "$ADM" >"$inst/adm.token"

echo "# $SECS s of ten writers, the three daemons and an apt-get reader"
w_add add-a "$T_TMP/debs/a" & wp="$!"
w_add add-b "$T_TMP/debs/b" & wp="$wp $!"
w_snapshot & wp="$wp $!"
w_promote & wp="$wp $!"
w_rollback & wp="$wp $!"
w_report rep-a ci-a & wp="$wp $!"
w_report rep-b ci-b & wp="$wp $!"
w_report rep-c ci-other & wp="$wp $!"
w_gc & wp="$wp $!"
w_watch & wp="$wp $!"
w_apt & wp="$wp $!"
for p in $wp; do t_bg "$p"; done
for p in $wp; do wait "$p"; done

# One more cycle of everything after the writers stopped.
ok "the daemons are all still running" sh -c "for d in builder snapshotter promoter; do
	kill -0 \$(cat '$L/daemon-'\$d.pid) || { echo \$d died; exit 1; }; done"
ok "a last snapshot" dp snapshot now
for d in builder snapshotter promoter; do kill "$(cat "$L/daemon-$d.pid")"; done
sleep 1

cat "$L"/w-*.log >"$L/all"
nops=$(grep -c '^ok ' "$L/all")
nfail=$(grep -c '^fail ' "$L/all")
echo "# operations: $nops succeeded, $nfail failed"
# ms STATS: p50 and max of the times of the successful operations
ms() { grep "^ok $1 " | awk '{ print $3 }' | sort -n |
	awk '{ v[NR] = $1 } END { if (NR) printf "p50 %d ms, max %d ms", v[int((NR + 1) / 2)], v[NR] }'; }
for w in add-a add-b snap promote rollback rep-a rep-b rep-c gc watch apt; do
	echo "#   $w: $(grep -c '^ok ' "$L/w-$w.log" 2>/dev/null) ok, $(grep -c '^fail ' "$L/w-$w.log" 2>/dev/null) failed$(
		[ "$w" = apt ] && echo ", $(grep -c '^gone ' "$L/w-$w.log") collected while read")"
done
for o in add snapshot promote rollback report gc status; do
	echo "#   time of $o: $(ms $o <"$L/all")"
done
echo "# builds: $(sqlite3 "$db" "SELECT state || ' ' || count(*) FROM builds GROUP BY state" | tr '\n' ' ')"
echo "# snapshots: $(sqlite3 "$db" "SELECT count(*) FROM snapshots") taken, $(sqlite3 "$db" "SELECT count(*) FROM snapshots WHERE state = 'published'") kept; env moves: $(sqlite3 "$db" "SELECT count(*) FROM env_history")"

is "$(grep -il 'database is locked\|SQLITE_BUSY\|database.*busy\|busy.*database' "$L"/* | xargs -r -n1 basename | tr '\n' ' ')" "" \
	"no client and no daemon saw 'database is locked' or busy"
# The only refusals that may happen: a rollback with nothing to go back
# to, a report for a job nobody requires (ci-other is refused by design),
# a promotion to where staging already is.
grep '^fail ' "$L/all" | grep -v -e 'rollback (exit 1):.*\(no earlier\|nothing to roll back\|no previous\|on no snapshot yet\)' \
	-e 'report (exit 1):.*ci-other' -e 'promote (exit 1):.*already' >"$L/unexpected"
is "$(head -n 20 "$L/unexpected")" "" "no operation failed (other than the expected refusals)"
# Not a speed test (bench/ has those): the writers were not stuck.
# Under ASan on two cores a CLI call takes 1-3 s, so 2 a second in all.
[ "$nops" -gt $((SECS * 2)) ]
t_result $? "the writers got work done ($nops operations in $SECS s)"

grep '^ack add ' "$L/all" | awk '{ print $3 }' | sed 's/_.*//' | sort -u >"$L/acked-adds"
sqlite3 "$db" "SELECT name FROM packages" | sort -u >"$L/db-packages"
is "$(comm -23 "$L/acked-adds" "$L/db-packages" | head -n 5)" "" \
	"no acknowledged add is lost ($(wc -l <"$L/acked-adds") packages added)"
grep '^ack result ' "$L/all" | awk '{ print $3, $4, $5 }' | sort -u >"$L/acked-results"
sqlite3 -separator ' ' "$db" "SELECT snapshot, job, url FROM results" | sort -u >"$L/db-results"
is "$(comm -23 "$L/acked-results" "$L/db-results" | head -n 5)" "" \
	"no acknowledged result is lost ($(wc -l <"$L/acked-results") reported)"
is "$(sqlite3 "$db" "SELECT count(*) FROM results") $(wc -l <"$L/acked-results")" \
	"$(wc -l <"$L/acked-results") $(wc -l <"$L/acked-results")" "and none recorded twice or unasked"
is "$(grep -c '^fail apt' "$L/w-apt.log") $([ "$(grep -c '^ok apt' "$L/w-apt.log")" -gt 2 ] && echo several)" \
	"0 several" "apt-get update of latest (pinned) during the run: $(grep -c '^ok apt' "$L/w-apt.log") ok, none failed"

is "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok "database integrity"
is "$(sqlite3 "$db" 'PRAGMA foreign_key_check' | head -n 3)" "" "no dangling foreign keys"

bad=
hport=$(http_serve "$pub")
for s in $(sqlite3 "$db" "SELECT id FROM snapshots WHERE state = 'published'"); do
	ar=$(apt_root "http://127.0.0.1:$hport/snapshots/$s" bookworm main "$keyring")
	out=$(apt_get "$ar" update 2>&1) || bad="$bad $s"
	printf '%s\n' "$out" | grep -q '^[WE]:' && bad="$bad $s"
done
is "$bad" "" "every snapshot still published verifies with apt-get (the promoter is stopped: served by python)"
ok "every environment symlink points at a published snapshot" sh -c "
	for e in test staging latest; do
		[ -L '$pub/'\$e ] || continue
		t=\$(readlink '$pub/'\$e); s=\${t#snapshots/}
		[ -f '$pub/'\$t/dists/bookworm/InRelease ] || { echo \$e: \$t; exit 1; }
		[ \"\$(sqlite3 '$db' \"SELECT state FROM snapshots WHERE id = '\$s'\")\" = published ] || { echo \$e: \$s not published; exit 1; }
	done"
ok "database and pool agree" sh -c "sqlite3 '$db' 'SELECT path FROM files' | while read -r f; do
	[ -f '$pub/pool/'\$f ] || { echo missing \$f; exit 1; }; done"
done_testing
