#!/bin/bash
# debpipe-builder: a real source package in a local git repository
# (file://), a patch branch that merges cleanly and one that conflicts;
# builds with dpkg-buildpackage, version stamping, changelog entries, the
# queue, debpipe watch/build/builds/log, and (when the snapshotter is
# there) the real apt-get seeing the new version.
. "$top_srcdir/tests/integration/lib.sh" || exit 99
. "$top_srcdir/tests/integration/builder-lib.sh" || exit 99
need git dpkg-buildpackage dpkg-checkbuilddeps dh fakeroot dpkg-deb sqlite3 jq

plan 60

repo=$T_TMP/git/hello
bl_make_repo "$repo" dp-hello 1.0 "2026-11-01T10:00:00Z"
# fix: adds a file and installs it -- merges cleanly.
git -C "$repo" checkout -q -b fix main
echo "the fix" >"$repo/fix.txt"
echo "fix.txt usr/share/dp-hello/" >>"$repo/debian/install"
bl_commit "$repo" "2026-11-02T10:00:00Z" "fix: add fix.txt"
# bad: changes hello.txt, as main does next -- conflicts.
git -C "$repo" checkout -q -b bad main
echo "bad hello" >"$repo/hello.txt"
bl_commit "$repo" "2026-11-02T11:00:00Z" "bad: rewrite hello.txt"
git -C "$repo" checkout -q main
echo "hello world" >"$repo/hello.txt"
bl_commit "$repo" "2026-11-03T10:00:00Z" "main: hello world"
head1=$(git -C "$repo" rev-parse main)

inst=$(make_instance "Maintainer: Build Bot <bot@example.org>")
conf=$inst/debpipe.conf
cat >"$inst/watch.d/hello.watch" <<EOF
Watch: hello
Type: git
URL: file://$repo
Branch: main
Merge: file://$repo fix
Distribution: bookworm
Component: main
Interval: 1h

Watch: hello-bad
Type: git
URL: file://$repo
Branch: main
Merge: file://$repo fix
 file://$repo bad
Distribution: bookworm
Interval: 1h
EOF
dp() { debpipe --config "$conf" "$@"; }
builds_json() { dp builds --json --limit 100; }
pool=$inst/public/pool

# --- 1. first cycle: one build succeeds, one conflicts --------------------
exits 1 "builder --once: one build fails (exit 1)" debpipe-builder --config "$conf" --once
is "$(builds_json | jq -r '[.builds[] | select(.watch == "hello") | .state] | join(",")')" \
	success "watch hello built"
v1=$(builds_json | jq -r '.builds[] | select(.watch == "hello") | .version')
like "$v1" '^1\.0\+git20261103100000\.[0-9a-f]{7}$' \
	"version: changelog version + git<UTC time of the newest input>.<hash> ($v1)"
hid=$(builds_json | jq -r '.builds[] | select(.watch == "hello") | .id')
merged=$(sed -n 's/^debpipe: merged commit //p' "$inst/state/logs/build-$hid.log")
is "${v1##*.}" "${merged:0:7}" "the hash is the merged commit's"
ok "the merged commit is a merge of main and fix" \
	test "$(git --git-dir "$(ls -d "$inst"/state/git/*.git)" rev-list --parents -n1 "$merged" | wc -w)" = 3
deb=$pool/main/d/dp-hello/dp-hello_${v1}_all.deb
ok "the .deb is in the pool" test -f "$deb"
ok "the .deb carries the merged fix" sh -c "dpkg-deb -c '$deb' | grep -q './usr/share/dp-hello/fix.txt'"
is "$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/share/dp-hello/hello.txt)" \
	"hello world" "the .deb carries main's hello.txt"
cl=$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/share/doc/dp-hello/changelog.gz | gzip -dc)
is "$(printf '%s\n' "$cl" | head -1)" "dp-hello ($v1) bookworm; urgency=medium" \
	"changelog entry: version and the watch's Distribution"
like "$(printf '%s\n' "$cl" | grep -m1 '^ -- ')" \
	'^ -- Build Bot <bot@example.org>  Tue, 03 Nov 2026 10:00:00 \+0000$' \
	"entry signed off by Maintainer:, RFC 2822 date of the newest input"
like "$cl" "Merged branch fix of file://$repo at" "the entry names the merged branch"
is "$(sqlite3 "$inst/state/state.db" "SELECT origin FROM packages WHERE version = '$v1'")" \
	"build:hello" "pool origin is build:<watch>"

failed=$(dp builds --failed)
like "$failed" "hello-bad +failed" "debpipe builds --failed lists the conflict"
like "$failed" "merging branch 'bad' of file://$repo \([0-9a-f]{7}\) conflicts in: hello.txt" \
	"the conflict names the branch and the file"
is "$(dp builds --failed --json | jq -r '.builds[0].message' | grep -c hello.txt)" 1 \
	"builds --failed --json has the message"
is "$(dp watch list --json | jq -r '.watches[] | select(.name == "hello-bad") | .last_error' | grep -c 'conflicts in: hello.txt')" \
	1 "watch list --json: last_error of hello-bad"
is "$(dp watch list --json | jq -r '.watches[] | select(.name == "hello") | .last_error')" \
	null "watch hello has no error"
ok "debpipe log shows the dpkg-buildpackage output" sh -c \
	"debpipe --config '$conf' log $hid | grep -q 'dpkg-buildpackage: info: source version $v1'"
exits 2 "debpipe log with a bad id is a usage error" dp log abc
exits 1 "debpipe log of a build that does not exist" dp log 999

# --- 2. nothing changed: nothing built, failures not retried ----------------
n0=$(builds_json | jq '.builds | length')
ok "second cycle" debpipe-builder --config "$conf" --once
is "$(builds_json | jq '.builds | length')" "$n0" "no change: no new build, the conflict is not retried"
ok "watch check --dry-run" dp watch check hello --dry-run
like "$(last_output)" "hello: unchanged" "dry run: unchanged"

# --- 3. a new commit gives a higher version --------------------------------
echo "more" >"$repo/more.txt"
bl_commit "$repo" "2026-11-04T10:00:00Z" "main: more"
ok "watch check --dry-run sees the change" dp watch check hello --dry-run
like "$(last_output)" "hello: changed" "dry run: changed"
is "$(builds_json | jq '.builds | length')" "$n0" "the dry run queued nothing"
ok "watch check (no builder running) polls and queues" dp watch check hello
like "$(last_output)" "build [0-9]+ queued" "check queued a build"
exits 1 "third cycle (hello-bad still conflicts)" debpipe-builder --config "$conf" --once
v2=$(builds_json | jq -r '[.builds[] | select(.watch == "hello" and .state == "success")][0].version')
like "$v2" '^1\.0\+git20261104100000\.[0-9a-f]{7}$' "new version $v2"
ok "it sorts above the first" dpkg --compare-versions "$v2" gt "$v1"
ok "the first .deb is still in the pool" test -f "$deb"

# --- 4. debpipe build: same inputs again -> bumped version, same hash -----
ok "debpipe build hello" dp build hello
like "$(last_output)" "build [0-9]+ of hello queued" "build queued"
ok "debpipe build hello again" dp build hello
like "$(last_output)" "build [0-9]+ of hello already queued" "a build queued by hand is not queued twice"
ok "fourth cycle" debpipe-builder --config "$conf" --once
v3=$(builds_json | jq -r '[.builds[] | select(.watch == "hello" and .state == "success")][0].version')
is "$v3" "1.0+git20261104100001.${v2##*.}" \
	"a rebuild of the same inputs: same merged commit, one second later"
ok "it sorts above the previous" dpkg --compare-versions "$v3" gt "$v2"
exits 1 "debpipe build of an unknown watch" dp build nosuch
exits 2 "debpipe build without a name" dp build

# --- 5. the real apt-get sees the newest version ----------------------------
if command -v debpipe-snapshotter >/dev/null 2>&1 &&
    dp key init >/dev/null 2>&1 &&
    debpipe-snapshotter --config "$conf" --once >"$T_TMP/snap.log" 2>&1 &&
    [ -e "$inst/public/latest" ]; then
	port=$(http_serve "$inst/public")
	ar=$(apt_root "http://127.0.0.1:$port/latest" bookworm main \
		"$inst/public/debpipe-archive-keyring.gpg")
	ok "apt-get update" apt_get "$ar" update
	like "$(apt_cache "$ar" policy dp-hello)" "Candidate: $(printf '%s' "$v3" | sed 's/[.+]/\\&/g')" \
		"apt-get sees the newest build as the candidate"
	ok "apt-get install dp-hello" apt_get "$ar" install -y dp-hello
	ok "installed with the merged fix" test -f "$ar/root/usr/share/dp-hello/fix.txt"
else
	for d in "apt-get update" "candidate" "install" "installed file"; do
		T_NUM=$((T_NUM + 1))
		if [ -n "${CI:-}" ]; then
			echo "not ok $T_NUM - apt-get: $d (debpipe-snapshotter --once did not publish)"
			T_FAILED=$((T_FAILED + 1))
		else
			echo "ok $T_NUM - apt-get: $d # SKIP debpipe-snapshotter is not ready"
		fi
	done
fi

# --- 6. kill -9 the daemon during a build ----------------------------------
slow=$T_TMP/git/slow
bl_make_repo "$slow" dp-slow 2.0 "2026-11-05T10:00:00Z" \
	$'override_dh_auto_build:\n\tsleep 6'
cat >"$inst/watch.d/slow.watch" <<EOF
Watch: slow
Type: git
URL: file://$slow
Branch: main
Distribution: bookworm
Interval: 1h
EOF
db=$inst/state/state.db
debpipe-builder --config "$conf" --foreground >"$T_TMP/daemon.log" 2>&1 &
bpid=$!
t_bg $bpid
# Processes working in this instance's build directories, or in the
# /var/tmp/debpipe-build-<FNV-1a of the build directory>.* copies a root
# builder makes for its build user (builder/cleanroom.c); other tests'
# builds running at the same time (make -j2) are not ours.
work_prefixes() {
	sqlite3 "$db" "SELECT id FROM builds" 2>/dev/null | python3 -c '
import sys
for line in sys.stdin:
    h = 14695981039346656037
    for c in (sys.argv[1] + "/" + line.strip()).encode():
        h = ((h ^ c) * 1099511628211) % 2**64
    print("/var/tmp/debpipe-build-%016x." % h)' "$inst/state/build"
}
build_procs() {
	pre=$(work_prefixes)
	for p in /proc/[0-9]*; do
		cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
		case $cwd in
		"$inst/state/build/"*) echo "${p#/proc/}"; continue ;;
		esac
		for w in $pre; do
			case $cwd in "$w"*) echo "${p#/proc/}"; break ;; esac
		done
	done
}
running() {
	sqlite3 "$db" "SELECT id FROM builds WHERE watch = 'slow' AND state = 'running'" | grep -q . &&
	grep -q "running dpkg-buildpackage" "$inst"/state/logs/build-*.log 2>/dev/null &&
	build_procs | grep -q .
}
ok "the daemon polls the new watch and builds it" wait_for 60 running
sid=$(sqlite3 "$db" "SELECT id FROM builds WHERE watch = 'slow' AND state = 'running'")
kill -9 $bpid
wait $bpid 2>/dev/null
ok "builder killed -9; the row still says running" test \
	"$(sqlite3 "$db" "SELECT state FROM builds WHERE id = $sid")" = running
ok "restart: the interrupted build is redone" debpipe-builder --config "$conf" --once
like "$(last_output)" "build $sid of slow was interrupted" "the restart says so"
is "$(sqlite3 "$db" "SELECT state || ' ' || attempts FROM builds WHERE id = $sid")" \
	"success 2" "same build row, second attempt, success"
is "$(sqlite3 "$db" "SELECT count(*) FROM builds WHERE watch = 'slow'")" 1 \
	"not duplicated in the queue"
is "$(sqlite3 "$db" "SELECT count(*) FROM packages WHERE name = 'dp-slow'")" 1 \
	"one dp-slow package in the pool"
is "$(build_procs | wc -l)" 0 "no leftover build processes"

# --- 7. the daemon answers watch check -------------------------------------
debpipe-builder --config "$conf" --foreground >"$T_TMP/daemon2.log" 2>&1 &
bpid=$!
t_bg $bpid
ok "the builder daemon runs (heartbeat)" wait_for 20 sh -c \
	"sqlite3 '$db' \"SELECT pid FROM daemons WHERE name = 'debpipe-builder'\" | grep -qx $bpid"
echo "even more" >"$repo/more.txt"
bl_commit "$repo" "2026-11-07T10:00:00Z" "main: even more"
ok "watch check goes through the daemon" dp watch check hello
is "$(sqlite3 "$db" "SELECT kind || ' ' || arg || ' ' || (done IS NOT NULL) FROM requests ORDER BY id DESC LIMIT 1")" \
	"check hello 1" "the request was answered by the daemon"
built4() {
	sqlite3 "$db" "SELECT version FROM builds WHERE watch = 'hello' AND state = 'success'" |
		grep -q '^1\.0+git20261107100000\.'
}
ok "the daemon built the new commit" wait_for 60 built4
bl_make_repo "$T_TMP/git/late" dp-late 1.0 "2026-11-08T10:00:00Z"
printf 'Watch: late\nType: git\nURL: file://%s\nBranch: main\nDistribution: bookworm\n' \
	"$T_TMP/git/late" >"$inst/watch.d/late.watch"
kill -HUP $bpid
late_built() {
	sqlite3 "$db" "SELECT state FROM builds WHERE watch = 'late'" | grep -qx success
}
ok "SIGHUP: a new watch file is read, polled and built" wait_for 60 late_built
kill $bpid
ok "SIGTERM stops the daemon" wait_for 10 sh -c "! kill -0 $bpid"

done_testing
