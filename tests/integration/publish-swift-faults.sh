#!/bin/sh
# publish-swift-faults.sh - `debpipe publish sync` killed with -9 at
# random moments against a real single-node Swift: after each kill every
# InRelease the target serves refers only to objects that exist with the
# right size and SHA256 (its by-hash index files, and the pool files
# those list), the real apt-get updates from the environment, and what
# state.db recorded before a kill is never uploaded again; the next sync
# completes and `publish verify` finds the target equal to state.db.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/swift-lib.sh"
need dpkg-deb apt-get gpg python3 curl sqlite3
swift_need

KILLS=8
plan $((5 + KILLS * 2 + 5))

swift_start
ok "swift container pub (public read)" swift_container pub
inst=$(make_instance)
conf=$inst/debpipe.conf
pub=$inst/public
db=$inst/state/state.db
debs=$T_TMP/debs
printf 'User: test:tester\nKey: testing\n' >"$inst/swift.cred"
chmod 600 "$inst/swift.cred"
cat >>"$conf" <<EOC

Environment: test
Auto-Promote: yes

Publish-To: swift://pub/deb
Publish-Endpoint: $SWIFT_AUTH
Publish-Credentials: $inst/swift.cred
Publish-Jobs: 2
EOC
dp() { debpipe --config "$conf" "$@"; }
export DEBPIPE_PUBLISH_RETRIES=2 DEBPIPE_REMOTE_SCHED=off

ok "key init" dp key init
files=
for i in $(seq 1 120); do files="$files $(make_deb "$debs" pkg$i 1.0-1 amd64)"; done
ok "add 120 packages" dp add $files --dist bookworm
ok "snapshot now" dp snapshot now
debpipe-promoter --config "$conf" --foreground --once >"$T_TMP/promoter.log" 2>&1
ok "environment test takes it" test -L "$pub/test"

# check: every InRelease on the target refers to existing objects.
base=$SWIFT_PUBLIC/pub/deb
check() {
	$SWIFT_PY - "$base" "$pub/debpipe-archive-keyring.gpg" <<'PYEOF'
import hashlib, json, sys, urllib.request, urllib.error
base = sys.argv[1]
def get(p):
    try:
        return urllib.request.urlopen(base + "/" + p).read()
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise
c = base.rsplit("/", 1)[0]
names = json.load(urllib.request.urlopen(c + "?format=json&prefix=deb/dists/"))
bad = 0
for o in names:
    n = o["name"][len("deb/"):]
    if not n.endswith("/InRelease"):
        continue
    suite = n[:-len("InRelease")]
    rel = get(n).decode()
    sha = False
    for line in rel.splitlines():
        if line.startswith("SHA256:"):
            sha = True
            continue
        if sha and line.startswith(" "):
            h, size, f = line.split()
            d, _, leaf = f.rpartition("/")
            body = get(suite + d + "/by-hash/SHA256/" + h)
            if body is None or len(body) != int(size) or hashlib.sha256(body).hexdigest() != h:
                print("bad by-hash", suite + f); bad += 1
                continue
            if leaf == "Packages":
                for para in body.decode().split("\n\n"):
                    fl = dict(l.split(": ", 1) for l in para.splitlines() if ": " in l)
                    if "Filename" not in fl:
                        continue
                    req = urllib.request.Request(base + "/" + fl["Filename"], method="HEAD")
                    try:
                        r = urllib.request.urlopen(req)
                        if int(r.headers["Content-Length"]) != int(fl["Size"]):
                            print("wrong size", fl["Filename"]); bad += 1
                    except urllib.error.HTTPError:
                        print("missing", fl["Filename"]); bad += 1
        elif sha:
            sha = False
print("checked, %d bad" % bad)
sys.exit(1 if bad else 0)
PYEOF
}
envar=$(apt_root "$base" "bookworm/test" main "$pub/debpipe-archive-keyring.gpg")
apt_ok() {	# apt-get update works once the environment's InRelease is there
	curl -fsS -o /dev/null "$base/dists/bookworm/test/InRelease" 2>/dev/null || return 0
	apt_get "$envar" update && ! grep -Eq '^(W|E|Err):' "$T_TMP/last.out"
}

: >"$T_TMP/recorded"
: >"$T_TMP/dup"
k=0
moves=0
while [ $k -lt $KILLS ]; do
	k=$((k + 1))
	mark=$(swift_log_mark)
	debpipe --config "$conf" publish sync >"$T_TMP/sync.$k" 2>&1 &
	p=$!
	sleep "0.$(awk -v s=$k 'BEGIN { srand(s * 7919); printf "%02d", 5 + int(rand() * 60) }')"
	if ! kill -9 $p 2>/dev/null; then
		# It finished first: more work for the next one (a new
		# snapshot the environment moves to).
		wait $p 2>/dev/null
		sleep 1
		dp add "$(make_deb "$debs" pkg$k 2.0-1 amd64)" --dist bookworm >/dev/null 2>&1 &&
			dp snapshot now >/dev/null 2>&1 &&
			debpipe-promoter --config "$conf" --foreground --once >>"$T_TMP/promoter.log" 2>&1
		moves=$((moves + 1))
	fi
	wait $p 2>/dev/null
	# Content-addressed keys (pool, by-hash) recorded before this run
	# must not be PUT in it.
	tail -n +$((mark + 1)) "$SWIFT_DIR/swift.log" | awk '$5 == "PUT" && $6 ~ /^\/v1\/AUTH_test\/pub\/deb\// { sub(/^\/v1\/AUTH_test\/pub\/deb\//, "", $6); if ($6 ~ /^pool\// || $6 ~ /\/by-hash\//) print $6 }' |
		grep -Fx -f "$T_TMP/recorded" >>"$T_TMP/dup"
	sqlite3 "$db" "SELECT key FROM remote_objects" | sort >"$T_TMP/recorded"
	ok "kill $k ($(wc -l <"$T_TMP/recorded") objects recorded): every InRelease refers to objects that are there" check
	ok "kill $k: apt-get update of the environment" apt_ok
done
echo "# $moves of $KILLS syncs finished before their kill (the environment moved after each)"
ok "the sync after the kills completes" dp publish sync
ok "verify: the target equals state.db" dp publish verify
like "$(last_output)" ' 0 missing, 0 wrong, 0 unknown' "and says so"
is "$(wc -l <"$T_TMP/dup")" 0 "nothing recorded before a kill was uploaded again"
ok "apt-get update from the complete target" apt_get "$envar" update
done_testing
