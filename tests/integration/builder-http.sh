#!/bin/bash
# Git over HTTP with credentials: the Credentials file of a watch answers
# the server's basic-auth challenge through libgit2's credential callback
# (never a command line); a wrong password is a readable error for that
# watch.
. "$top_srcdir/tests/integration/lib.sh" || exit 99
. "$top_srcdir/tests/integration/builder-lib.sh" || exit 99
need git python3 dpkg-buildpackage dh fakeroot sqlite3

plan 8

root=$T_TMP/srv
mkdir -p "$root"
bl_make_repo "$T_TMP/work" dp-http 1.0 "2026-11-01T10:00:00Z"
git clone -q --bare "$T_TMP/work" "$root/pkg.git"
port=$(free_port)
python3 "$top_srcdir/tests/integration/git-http-auth.py" "$port" "$root" \
	builder 's3cret pass' "$T_TMP/http.log" &
t_bg $!
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$port/" || bail "git http server did not start"

inst=$(make_instance)
conf=$inst/debpipe.conf
db=$inst/state/state.db
printf 'Username: builder\nPassword: s3cret pass\n' >"$T_TMP/good.cred"
printf '# wrong\nUsername: builder\nPassword: nope\n' >"$T_TMP/bad.cred"
printf 'Username: builder\n' >"$T_TMP/nopass.cred"
chmod 600 "$T_TMP"/*.cred
for w in good bad nopass; do
	printf 'Watch: %s\nType: git\nURL: http://127.0.0.1:%s/pkg.git\nBranch: main\nDistribution: bookworm\nCredentials: %s\n\n' \
		"$w" "$port" "$T_TMP/$w.cred"
done >"$inst/watch.d/http.watch"
printf 'Watch: anon\nType: git\nURL: http://127.0.0.1:%s/pkg.git\nBranch: main\nDistribution: bookworm\n' \
	"$port" >>"$inst/watch.d/http.watch"

exits 1 "one cycle (three watches cannot authenticate)" debpipe-builder --config "$conf" --once
err() { sqlite3 "$db" "SELECT last_error FROM watches WHERE name = '$1'"; }
is "$(sqlite3 "$db" "SELECT state FROM builds WHERE watch = 'good'")" success \
	"the watch with the right credentials fetched and built"
ok "the server saw authenticated requests" grep -q "auth=ok" "$T_TMP/http.log"
like "$(err bad)" "authentication failed with the Credentials file" "wrong password: readable error"
like "$(err nopass)" "the Credentials file has nothing the server accepts" "no password: readable error"
like "$(err anon)" "authentication required \(set Credentials: in the watch\)" "no Credentials: says what to do"
unlike "$(sqlite3 "$db" "SELECT group_concat(coalesce(last_error, ''), ' ') FROM watches") $(cat "$inst"/state/logs/*.log)" \
	"s3cret" "the password appears in no message and no log"
ok "a second poll of the good watch fetches again, unchanged" sh -c \
	"debpipe --config '$conf' watch check good --dry-run | grep -q 'good: unchanged'"

done_testing
