#!/bin/bash
# promote-idle.sh - 1,000 idle, half-open connections to the promoter
# (the start of a request, never finished) do not stop other clients:
# from one address they hit the per-address limit and the rest of the
# world is served as usual; spread over eight addresses they all fit
# (the file limit is raised for them) and still nobody else waits; and
# after the idle timeout (DEBPIPE_HTTP_TIMEOUT here, 30 s by default) the
# server has closed every one of them.
. "$top_srcdir/tests/integration/lib.sh"
need curl python3 sqlite3

plan 12

export DEBPIPE_HTTP_TIMEOUT=8
inst=$(make_instance)
conf=$inst/debpipe.conf
cat >>"$conf" <<'EOF'

Environment: test
Auto-Promote: yes

Environment: staging
Promote-From: test
Requires: ci
EOF
REP=reporter-idle-0123456789
printf '%s reporter ci\n' "$REP" >"$inst/tokens"
port=$(sed -n 's/^Listen: 127.0.0.1://p' "$conf")
url=http://127.0.0.1:$port
db=$inst/state/state.db

debpipe-promoter --config "$conf" --foreground -vv >"$T_TMP/promoter.log" 2>&1 &
PROM=$!
t_bg $PROM
wait_for 10 curl -fsS -o /dev/null "$url/api/v1/environments" || bail "promoter"
# A snapshot fixture to post results to.
S=20261122T010000Z
mkdir -p "$inst/public/snapshots/$S/dists/bookworm"
sqlite3 "$db" "INSERT INTO snapshots(id, created, packages, sources, digest) VALUES ('$S', '2026-11-22T01:00:00Z', x'', x'', 'x')"

# served SRC N: N clients from address SRC, each answered within 2 s;
# prints the slowest time in ms.
served() {
	worst=0
	for i in $(seq 1 "$2"); do
		t=$(curl -sS -o /dev/null --interface "$1" --max-time 2 \
			-w '%{http_code} %{time_total}' "$url/api/v1/environments") || return 1
		[ "${t%% *}" = 200 ] || return 1
		ms=$(awk -v t="${t#* }" 'BEGIN { printf "%d", t * 1000 }')
		[ "$ms" -gt "$worst" ] && worst=$ms
	done
	echo "$worst"
}
post() {	# post SRC N: N results posted from SRC, each answered 201
	for i in $(seq 1 "$2"); do
		c=$(curl -sS -o /dev/null --interface "$1" --max-time 2 -w '%{http_code}' \
			-H "Authorization: Bearer $REP" -H 'Content-Type: application/json' \
			-d "{\"job\": \"ci\", \"result\": \"success\", \"url\": \"http://ci.invalid/$1/$i\"}" \
			"$url/api/v1/snapshots/$S/results") || return 1
		[ "$c" = 201 ] || { echo "HTTP $c"; return 1; }
	done
}
ok "the promoter answers before" served 127.0.0.2 5

# 1. 1,000 from one address.
python3 "$top_srcdir/tests/integration/idle-conns.py" 127.0.0.1 "$port" 1000 127.0.0.1 \
	>"$T_TMP/idle1.log" 2>&1 &
IDLE=$!
t_bg $IDLE
wait_for 30 grep -q '^connected' "$T_TMP/idle1.log"
sleep 2
held=$(grep '^open' "$T_TMP/idle1.log" | tail -n 1 | awk '{ print $2 }')
echo "# one address: $(grep '^connected' "$T_TMP/idle1.log"), $held still open after 2 s"
like "$held" '^(12[0-8])$' "one address holds at most its 128 connections ($held)"
w=$(served 127.0.0.2 20)
ok "other clients are served meanwhile (slowest of 20: ${w:-none} ms)" test -n "$w"
ok "and their results are recorded" post 127.0.0.3 20
is "$(sqlite3 "$db" "SELECT count(*) FROM results WHERE url LIKE 'http://ci.invalid/127.0.0.3/%'")" 20 \
	"20 results in state.db"
kill "$IDLE"; wait "$IDLE" 2>/dev/null

# 2. 1,000 spread over eight addresses (125 each: under the per-address
# limit): they all fit, and still nobody else waits.
python3 "$top_srcdir/tests/integration/idle-conns.py" 127.0.0.1 "$port" 1000 \
	127.0.0.10 127.0.0.11 127.0.0.12 127.0.0.13 127.0.0.14 127.0.0.15 127.0.0.16 127.0.0.17 \
	>"$T_TMP/idle2.log" 2>&1 &
IDLE=$!
t_bg $IDLE
wait_for 30 grep -q '^connected' "$T_TMP/idle2.log"
t0=$(date +%s)
sleep 2
held=$(grep '^open' "$T_TMP/idle2.log" | tail -n 1 | awk '{ print $2 }')
echo "# eight addresses: $(grep '^connected' "$T_TMP/idle2.log"), $held still open after 2 s"
# The promoter raises its soft file limit up to the hard one (8192 at
# most) and keeps 128 files for the rest.
hard=$(ulimit -Hn)
want=1000
[ "$hard" != unlimited ] && [ $((hard - 128)) -lt 1000 ] && want=$((hard - 128))
is "$held" "$want" "all 1,000 are held open, as the file limit allows (hard limit $hard)"
w=$(served 127.0.0.2 20)
ok "other clients are served meanwhile (slowest of 20: ${w:-none} ms)" test -n "$w"
ok "and their results are recorded" post 127.0.0.4 20
ok "a client from an address of the idle ones is served too" served 127.0.0.10 3

# 3. The idle timeout closes them all.
closed() { [ "$(grep '^open' "$T_TMP/idle2.log" | tail -n 1 | awk '{ print $2 }')" = 0 ]; }
ok "the server closes every idle connection after its timeout" wait_for 30 closed
echo "# closed after about $(( $(date +%s) - t0 )) s (DEBPIPE_HTTP_TIMEOUT=$DEBPIPE_HTTP_TIMEOUT)"
kill "$IDLE"; wait "$IDLE" 2>/dev/null
ok "the promoter is still running" kill -0 "$PROM"
ok "and answers" served 127.0.0.1 5
done_testing
