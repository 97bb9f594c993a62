#!/bin/bash
# Type: apt against bad and hostile upstreams: every one is refused with a
# clear message, imports nothing, writes nothing outside State-Dir, and
# does not disturb the other watches.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/apt-lib.sh"
need apt-ftparchive dpkg-deb gpg python3 curl xz sqlite3

plan 57

# Short network limits for the server that never answers.
export DEBPIPE_FETCH_TIMEOUT=2 DEBPIPE_FETCH_RETRIES=1 \
	DEBPIPE_FETCH_BACKOFF_MS=100

up_key
www=$T_TMP/www
good=$www/good
up_init "$good" stable
debs=$T_TMP/debs
up_add "$good" "$(make_deb "$debs" foo 1.0)"
up_add "$good" "$(make_deb "$debs" bar 1.0)"
up_index "$good" stable && up_sign "$good" stable || bail "upstream"

# Variants, each a full copy of the good upstream.
variant() { cp -a "$good" "$www/$1"; }
variant wrongkey
variant tampered
xz -dc "$good/dists/stable/main/binary-amd64/Packages.xz" |
	sed 's/^Version: 1.0$/Version: 9.9/' | xz -c \
	>"$www/tampered/dists/stable/main/binary-amd64/Packages.xz"
variant expired
up_index "$www/expired" stable "Sat, 01 Jan 2022 00:00:00 UTC" &&
	up_sign "$www/expired" stable
variant truncated
f=$(ls "$www/truncated/pool/main/"foo_*.deb)
head -c 300 "$f" >"$f.t" && mv "$f.t" "$f"
variant unsigned
rm "$www/unsigned/dists/stable/InRelease" "$www/unsigned/dists/stable/Release.gpg"
variant badsig
sed -i 's/^Origin: Upstream/Origin: Evil/' "$www/badsig/dists/stable/InRelease"
variant dotdot
up_edit "$www/dotdot" stable \
	"s|^Filename: pool/main/foo_|Filename: ../../../../../../../..$T_TMP/evil/foo_|"
variant huge
up_edit "$www/huge" stable "/^Package: foo/,/^$/s/^Size: .*/Size: 99999999999/"
variant short
up_edit "$www/short" stable "/^Package: foo/,/^$/s/^Size: .*/Size: 100/"
variant nosha
up_edit "$www/nosha" stable "/^Package: foo/,/^$/{/^SHA256:/d}"
# Good variants: Release + Release.gpg only, Packages.gz only, plain only.
variant detached
rm "$www/detached/dists/stable/InRelease"
variant gzonly
rm "$www/gzonly/dists/stable/main/binary-amd64/Packages.xz"
up_rerelease "$www/gzonly" stable
rm "$www/gzonly/dists/stable/main/binary-amd64/Packages.xz" \
	"$www/gzonly/dists/stable/main/binary-amd64/Packages"
(cd "$www/gzonly" && apt-ftparchive -o APT::FTPArchive::Release::Suite=stable \
	release dists/stable >dists/stable/Release.new &&
	mv dists/stable/Release.new dists/stable/Release) && up_sign "$www/gzonly" stable
variant plainonly
rm "$www/plainonly/dists/stable/main/binary-amd64/Packages.xz" \
	"$www/plainonly/dists/stable/main/binary-amd64/Packages.gz"
(cd "$www/plainonly" && apt-ftparchive -o APT::FTPArchive::Release::Suite=stable \
	release dists/stable >dists/stable/Release.new &&
	mv dists/stable/Release.new dists/stable/Release) && up_sign "$www/plainonly" stable
up_serve "$www"; port=$UP_PORT
url=http://127.0.0.1:$port

# A server that redirects to itself forever.
rport=$(free_port)
python3 - "$rport" >/dev/null 2>&1 <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(302)
        self.send_header("Location", self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
t_bg $!
# A flaky server: the first request for every path gets 503, the next
# one the file (retries with backoff must get through).
fport=$(free_port)
python3 - "$fport" "$good" >/dev/null 2>&1 <<'PY' &
import functools, http.server, sys
seen = set()
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path not in seen:
            seen.add(self.path)
            self.send_error(503, "try again")
            return
        super().do_GET()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])),
    functools.partial(H, directory=sys.argv[2])).serve_forever()
PY
t_bg $!
# A server that accepts connections and never answers.
sport=$(free_port)
python3 - "$sport" >/dev/null 2>&1 <<'PY' &
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
PY
t_bg $!
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$rport/" || true
# wait_for the sleeper: a plain TCP connect
wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $sport), 1)"

other=$(gpg_home)
ofpr=$(gpg_key "$other" "Other <other@example.org>")
gpg --homedir "$other" --batch --export "$ofpr" >"$T_TMP/other.gpg"

inst=$(make_instance)
conf=$inst/debpipe.conf
for v in tampered expired truncated unsigned badsig dotdot huge short nosha; do
	up_watch "$inst" "$v" "$url/$v" stable "$UP_KEYRING"
done
up_watch "$inst" wrongkey "$url/wrongkey" stable "$T_TMP/other.gpg"
up_watch "$inst" loop "http://127.0.0.1:$rport/repo" stable "$UP_KEYRING"
up_watch "$inst" sleeper "http://127.0.0.1:$sport/repo" stable "$UP_KEYRING"
up_watch "$inst" good "$url/good" stable "$UP_KEYRING"
pool=$inst/public/pool

refused() {	# refused WATCH REGEX WHAT
	fails "$1: refused ($3)" apt_driver "$conf" sync "$1"
	like "$(last_output)" "$2" "$1: the message says why"
	last_output | sed 's/^/#   /' | head -3
	is "$(count_files "$pool")" 0 "$1: nothing imported"
}

refused wrongkey "signature check against .*other.gpg failed" "key not in Signed-By"
refused tampered "Packages.xz: does not match the signed Release" "index changed after signing"
refused expired "Release expired \(Valid-Until: Sat, 01 Jan 2022" "Valid-Until in the past"
refused truncated "got 300 bytes, the index declares [0-9]+ \(truncated" "truncated .deb"
refused unsigned "not signed|unsigned" "no signature at all"
refused badsig "signature check .* failed" "signed text altered"
refused dotdot "Filename '\.\./.*' is not a safe relative path" "Filename with .."
ok "dotdot: nothing written outside State-Dir" test ! -e "$T_TMP/evil"
refused huge "Size '99999999999' .*above the limit" "huge declared size"
refused short "larger than the limit of 100 bytes" "more data than declared"
is "$(find "$inst/state/incoming/short" -name "foo*" | wc -l | tr -d " ")" 0 "short: no file of foo left behind"
refused nosha "missing or malformed SHA256" "entry without SHA256"
refused loop "redirect" "redirect loop"

start=$(date +%s)
refused sleeper "Timeout|too slow|timed out" "server never answers"
is "$(( $(date +%s) - start < 30 ))" 1 "sleeper: gave up within the configured timeout"

# A signed Release older than the last imported one is refused.
inst7=$(make_instance)
variant rollback
up_watch "$inst7" rollback "$url/rollback" stable "$UP_KEYRING"
ok "rollback: first import" apt_driver "$inst7/debpipe.conf" sync rollback
sed -i 's/^Date: .*/Date: Sat, 01 Jan 2022 00:00:00 UTC/' "$www/rollback/dists/stable/Release"
up_sign "$www/rollback" stable
fails "rollback: an older Release is refused" apt_driver "$inst7/debpipe.conf" sync rollback
like "$(last_output)" "Release is older \(Date: Sat, 01 Jan 2022 00:00:00 UTC\) than the last one imported" \
	"rollback: the message says why"

# Transient errors are retried.
inst6=$(make_instance)
up_watch "$inst6" flaky "http://127.0.0.1:$fport" stable "$UP_KEYRING"
ok "flaky: every first request fails with 503, the sync succeeds" \
	apt_driver "$inst6/debpipe.conf" sync flaky
like "$(last_output)" "imported 2" "flaky: both packages imported"
like "$(last_output)" "requests (8|9|1[0-9])$" "flaky: the retries are counted"

# Other index forms work.
inst4=$(make_instance)
for v in detached gzonly plainonly; do
	up_watch "$inst4" "$v" "$url/$v" stable "$UP_KEYRING" "Packages: foo"
	ok "$v: imports" apt_driver "$inst4/debpipe.conf" sync "$v"
	like "$(last_output)" "change foo amd64 - 1.0" "$v: foo found"
done

# The other watches are not disturbed.
ok "good watch still imports" apt_driver "$conf" sync good
like "$(last_output)" "imported 2" "good: both packages imported"
is "$(find "$inst" -name '*.part' | wc -l | tr -d ' ')" 0 "no partial downloads left anywhere"

# The same in the daemon: one builder cycle with hostile and good watches
# imports the good one and reports the others as failed.
inst3=$(make_instance)
for v in dotdot sleeper loop truncated; do
	sed -n "/^Watch: $v\$/,/^\$/p" "$inst/watch.d/$v.watch" >"$inst3/watch.d/$v.watch"
done
up_watch "$inst3" good "$url/good" stable "$UP_KEYRING"
exits 1 "builder cycle with failing watches exits 1" \
	debpipe-builder --config "$inst3/debpipe.conf" --once
ok "the good watch was imported all the same" \
	test -f "$inst3/public/pool/main/f/foo/foo_1.0_amd64.deb"
like "$(sqlite3 "$inst3/state/state.db" "SELECT last_error FROM watches WHERE name = 'dotdot'")" \
	"not a safe relative path" "the failure is recorded for the watch"

done_testing
