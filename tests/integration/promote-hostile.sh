#!/bin/sh
# promote-hostile.sh - random and malformed HTTP against debpipe-promoter:
# junk methods, paths, headers, bodies, tokens and truncated requests.
# Every answer is a well-formed HTTP status below 500 (or the connection is
# closed), nothing changes in the database, and the promoter keeps serving.
. "$top_srcdir/tests/integration/lib.sh"
need curl python3 sqlite3

plan 6

inst=$(make_instance "Serve-Public: yes")
conf=$inst/debpipe.conf
db=$inst/state/state.db
pub=$inst/public
url=$(sed -n 's/^Listen: /http:\/\//p' "$conf")
cat >>"$conf" <<'EOF'

Environment: test
Auto-Promote: yes

Environment: prod
Promote-From: test
Requires: deploy
EOF
printf 'rep-0123456789abcdef reporter ci\n' >"$inst/tokens"
chmod 600 "$inst/tokens"
S1=20261122T010000Z
mkdir -p "$pub/snapshots/$S1/dists/bookworm"
echo "Suite: bookworm" >"$pub/snapshots/$S1/dists/bookworm/InRelease"

debpipe-promoter --config "$conf" --foreground >"$T_TMP/promoter.log" 2>&1 &
t_bg $!
ok "promoter up" wait_for 10 curl -fsS -o /dev/null "$url/api/v1/environments"
sqlite3 "$db" "INSERT INTO snapshots(id, created, packages, sources, digest) VALUES ('$S1', '2026-11-22T01:00:00Z', x'', x'', 'd')"
ok "test takes the snapshot" wait_for 10 sh -c "[ \"\$(readlink '$pub/test')\" = snapshots/$S1 ]"
before=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM env_history) || '/' || (SELECT count(*) FROM results) || '/' || (SELECT count(*) FROM notifications)")

python3 - "$url" >"$T_TMP/fuzz.out" 2>&1 <<'PYEOF'
import random, socket, sys
host, port = sys.argv[1].split('//')[1].split(':')
port = int(port)
rnd = random.Random(20261122)
methods = [b'GET', b'POST', b'POST', b'POST', b'POST', b'HEAD', b'PUT', b'DELETE', b'OPTIONS', b'PATCH',
           b'TRACE', b'CONNECT', b'get', b'G\x00T', b'X' * 300]
paths = [b'/api/v1/snapshots', b'/api/v1/snapshots/20261122T010000Z',
         b'/api/v1/snapshots/20261122T010000Z/results',
         b'/api/v1/environments/prod/promote',
         b'/api/v1/environments/prod/rollback',
         b'/api/v1/environments/../../etc', b'/metrics', b'/api',
         b'/api/v1/%00', b'/api/v1/snapshots/%2e%2e%2f%2e%2e',
         b'/test/dists/bookworm/InRelease', b'/../../etc/passwd',
         b'/test/%2e%2e/%2e%2e/%2e%2e/etc/passwd', b'//', b'/' + b'a' * 5000,
         b'/snapshots/.tmp-x/InRelease', b'*', b'http://evil/x']
bodies = [b'', b'{', b'{}', b'[]', b'null', b'"x"', b'{"job":1}',
          b'{"job":"ci","result":"success","url":' + b'"x"' * 1 + b'}',
          b'{"job":"ci","result":"success"}', b'{"snapshot":"20261122T010000Z","force":true,"reason":"x"}',
          b'{"job":"\\u0000","result":"success"}', b'\xff\xfe\x00',
          b'{"a":' * 2000, b'{"job":"ci","job":"ci","result":"success"}']
auths = [None, b'Bearer', b'Bearer ', b'Bearer wrong', b'Basic eDp5',
         b'Bearer ' + b'A' * 4000, b'bearer rep-0123456789abcde',
         b'Bearer rep-0123456789abcdef\x00admin']
bad = 0
seen = {}
for i in range(400):
    m = rnd.choice(methods)
    p = rnd.choice(paths)
    body = rnd.choice(bodies)
    if rnd.random() < 0.1:
        body = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 3000)))
    req = m + b' ' + p + b' HTTP/1.1\r\nHost: x\r\n'
    a = rnd.choice(auths)
    if a is not None:
        req += b'Authorization: ' + a + b'\r\n'
    r = rnd.random()
    if r < 0.1:
        req += b'Content-Length: ' + str(rnd.choice([-1, 99999999999999999999, 70000])).encode() + b'\r\n'
    elif r < 0.2:
        req += b'Transfer-Encoding: chunked\r\n'
    else:
        req += b'Content-Length: ' + str(len(body)).encode() + b'\r\n'
    if rnd.random() < 0.05:
        req += b'X-Junk: ' + bytes(rnd.getrandbits(8) for _ in range(100)) + b'\r\n'
    req += b'Connection: close\r\n\r\n' + body
    if rnd.random() < 0.1:
        req = req[:rnd.randint(0, len(req))]
    s = socket.create_connection((host, port), timeout=10)
    try:
        s.sendall(req)
        s.shutdown(socket.SHUT_WR)
        data = b''
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, BrokenPipeError, socket.timeout) as e:
        data = b''
    finally:
        s.close()
    if data:
        line = data.split(b'\r\n', 1)[0]
        parts = line.split(b' ')
        k = parts[1].decode('ascii', 'replace') if len(parts) > 1 else '?'
        seen[k] = seen.get(k, 0) + 1
        if len(parts) < 2 or not parts[0].startswith(b'HTTP/1.') or not parts[1].isdigit():
            bad += 1
            print('malformed answer:', line[:100])
        elif int(parts[1]) >= 500:
            bad += 1
            print('server error:', line, m, p[:60], body[:60])
        elif int(parts[1]) < 300 and m in (b'POST',) and p.endswith(b'results') and b'Bearer rep-0123456789abcdef\r' not in req:
            bad += 1
            print('write accepted without a valid token:', req[:200])
print('statuses:', ' '.join('%s:%d' % kv for kv in sorted(seen.items())))
print('bad answers:', bad)
PYEOF
like "$(cat "$T_TMP/fuzz.out")" "bad answers: 0$" "no 5xx, no malformed answers, no write without a token"
sed 's/^/# /' "$T_TMP/fuzz.out" | grep -v "bad answers: 0" | head -20
ok "promoter still answers" curl -fsS -o /dev/null "$url/api/v1/environments"
after=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM env_history) || '/' || (SELECT count(*) FROM results) || '/' || (SELECT count(*) FROM notifications)")
is "$after" "$before" "no move, no result, no notification from the junk"
is "$(sqlite3 "$db" "PRAGMA integrity_check")" ok "database intact"

done_testing
