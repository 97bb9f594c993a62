#!/bin/bash
# debpipe-builder and bad input: each broken watch is a readable failure
# for that watch alone (watches.last_error, builds.message), and the
# others keep building in the same cycle.
. "$top_srcdir/tests/integration/lib.sh" || exit 99
. "$top_srcdir/tests/integration/builder-lib.sh" || exit 99
need git dpkg-buildpackage dpkg-checkbuilddeps dh fakeroot dpkg-deb sqlite3 jq

plan 25

g=$T_TMP/git
D="2026-11-01T10:00:00Z"
bl_make_repo "$g/good" dp-good 1.0 "$D"
bl_make_repo "$g/nodebian" dp-x 1.0 "$D"
git -C "$g/nodebian" rm -rq debian && bl_commit "$g/nodebian" "$D" "no debian"
bl_make_repo "$g/badcl" dp-badcl 1.0 "$D"
echo "this is not a changelog" >"$g/badcl/debian/changelog"
bl_commit "$g/badcl" "$D" "break the changelog"
bl_make_repo "$g/hang" dp-hang 1.0 "$D" $'override_dh_auto_build:\n\tsleep 120'
bl_make_repo "$g/odd" dp-odd 1.0 "$D" $'override_dh_gencontrol:\n\tdh_gencontrol -- -v9.9'
bl_make_repo "$g/deps" dp-deps 1.0 "$D"
sed -i 's/^Build-Depends: .*/&, debpipe-no-such-package (>= 1)/' "$g/deps/debian/control"
bl_commit "$g/deps" "$D" "unmet build dependency"
bl_make_repo "$g/creds" dp-creds 1.0 "$D"
# A conflict in a file whose name carries a terminal escape sequence.
bl_make_repo "$g/esc" dp-esc 1.0 "$D"
evil=$(printf 'evil\033[2Jname.txt')
echo one >"$g/esc/$evil" && bl_commit "$g/esc" "$D" "evil file"
git -C "$g/esc" checkout -q -b other main
echo two >"$g/esc/$evil" && bl_commit "$g/esc" "$D" "other"
git -C "$g/esc" checkout -q main
echo three >"$g/esc/$evil" && bl_commit "$g/esc" "2026-11-01T11:00:00Z" "main"
printf 'Username: u\nPassword: p\n' >"$T_TMP/creds"
chmod 644 "$T_TMP/creds"

# A server that accepts connections and never answers.
hport=$(free_port)
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)' "$hport" &
t_bg $!
wait_for 10 python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])))' "$hport"

inst=$(make_instance "Max-Builds: 2")
conf=$inst/debpipe.conf
db=$inst/state/state.db
watch() {	# watch NAME URL [EXTRA]
	printf 'Watch: %s\nType: git\nURL: %s\nBranch: main\nDistribution: bookworm\n%s\n\n' \
		"$1" "$2" "${3:-}" >>"$inst/watch.d/all.watch"
}
watch good "file://$g/good"
watch unreachable "file://$T_TMP/no/such/repo"
watch nobranch "file://$g/good" "Merge: file://$g/good nope"
sed -i '/^Watch: nobranch/,/^$/s/^Branch: main/Branch: main/' "$inst/watch.d/all.watch"
watch wrongbranch "file://$g/good"
sed -i '/^Watch: wrongbranch/,/^$/s/^Branch: main/Branch: no-such-branch/' "$inst/watch.d/all.watch"
watch nodebian "file://$g/nodebian"
watch badcl "file://$g/badcl"
watch hang "file://$g/hang" "Build-Timeout: 3s"
watch odd "file://$g/odd"
watch deps "file://$g/deps"
watch creds "file://$g/creds" "Credentials: $T_TMP/creds"
watch silent "http://127.0.0.1:$hport/repo.git" "Interval: 10s"
watch esc "file://$g/esc" "Merge: file://$g/esc other"

t0=$(date +%s)
exits 1 "one cycle with broken watches exits 1" debpipe-builder --config "$conf" --once
elapsed=$(( $(date +%s) - t0 ))
echo "# cycle took ${elapsed}s"

err() { sqlite3 "$db" "SELECT last_error FROM watches WHERE name = '$1'"; }
msg() { sqlite3 "$db" "SELECT message FROM builds WHERE watch = '$1' ORDER BY id DESC LIMIT 1"; }
state() { sqlite3 "$db" "SELECT state FROM builds WHERE watch = '$1' ORDER BY id DESC LIMIT 1"; }

is "$(state good)" success "the good watch built in the same cycle"
ok "its package is in the pool" test -f "$inst/public/pool/main/d/dp-good/dp-good_1.0+git20261101100000.$(git -C "$g/good" rev-parse --short=7 main)_all.deb"
is "$(err good)" "" "the good watch has no error"
like "$(err unreachable)" "fetch file://$T_TMP/no/such/repo" "unreachable URL: last_error names the URL"
is "$(state unreachable)" "" "unreachable URL: no build queued"
like "$(err nobranch)" "Merge file://$g/good nope: branch 'nope' not found" "missing Merge branch"
like "$(err wrongbranch)" "branch 'no-such-branch' not found in file://$g/good" "missing Branch"
is "$(state nodebian)" failed "repository without debian/: build failed"
like "$(msg nodebian)" "no debian/ directory" "  ... saying so"
like "$(msg badcl)" "debian/changelog:1: " "broken debian/changelog: file:line"
like "$(msg hang)" "dpkg-buildpackage killed after the timeout of 3 s" "a hanging build is killed at Build-Timeout"
like "$(msg odd)" "unexpected file 'dp-odd_9.9_all.deb'" "an unexpected file name is refused"
is "$(find "$inst/public/pool" -name 'dp-odd*' | wc -l)" 0 "  ... and nothing of it is in the pool"
like "$(msg deps)" "missing build dependencies: debpipe-no-such-package \(>= 1\)" "unmet build dependencies are named"
like "$(err creds)" "Credentials file $T_TMP/creds is accessible by others" "a world-readable Credentials file is refused"
like "$(msg esc)" 'conflicts in: evil\?\[2Jname\.txt' "a hostile file name is quoted without its control characters"
like "$(err silent)" "the poll did not finish within 20 s" "a remote that never answers: the poll is killed"
is "$(for p in /proc/[0-9]*; do readlink "$p/cwd"; done 2>/dev/null | grep -c "^$inst/state/build/")" 0 \
	"the hanging build left no process behind"
ok "the logs of failed builds are kept" sh -c "debpipe --config '$conf' log \$(sqlite3 '$db' \"SELECT id FROM builds WHERE watch = 'hang'\") | grep -q 'killed after the timeout of 3 s'"

# The failures are not retried on the same inputs; fixing one is picked up.
sed -i '/^Watch: silent/,/^$/d' "$inst/watch.d/all.watch"
n=$(sqlite3 "$db" "SELECT count(*) FROM builds")
ok "second cycle" sh -c "debpipe-builder --config '$conf' --once; true"
is "$(sqlite3 "$db" "SELECT count(*) FROM builds")" "$n" "no build is retried on the same inputs"
git -C "$g/badcl" checkout -q HEAD~1 -- debian/changelog
bl_commit "$g/badcl" "2026-11-02T10:00:00Z" "fix the changelog"
chmod 600 "$T_TMP/creds"
ok "third cycle" sh -c "debpipe-builder --config '$conf' --once; true"
is "$(state badcl)" success "the fixed changelog builds"
is "$(err creds)" "" "the fixed Credentials file is accepted (file:// ignores it)"

done_testing
