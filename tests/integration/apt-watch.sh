#!/bin/bash
# Type: apt watches: import from a signed upstream apt repository built on
# the fly (dpkg-deb, apt-ftparchive, gpg) and served on 127.0.0.1.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/apt-lib.sh"
need apt-ftparchive dpkg-deb gpg python3 curl xz sqlite3

plan 39

up_key
up=$T_TMP/upstream
up_init "$up" stable
debs=$T_TMP/debs
up_add "$up" "$(make_deb "$debs" foo 1.0)"
up_add "$up" "$(make_deb "$debs" foo 0.9)"
up_add "$up" "$(make_deb "$debs" bar-utils 2.0 all)"
up_add "$up" "$(make_deb "$debs" other 1.0)"
up_index "$up" stable || bail "apt-ftparchive failed"
up_sign "$up" stable || bail "gpg signing failed"
up_serve "$up"; port=$UP_PORT
url=http://127.0.0.1:$port

inst=$(make_instance)
conf=$inst/debpipe.conf
up_watch "$inst" up "$url" stable "$UP_KEYRING" "Packages: foo bar-*"
up_watch "$inst" upasc "$url/" stable "$UP_KEYRING_ASC" "Packages: other"
pool=$inst/public/pool

# 1. A dry run lists what would be imported and imports nothing.
ok "dry run" apt_driver "$conf" sync up --dry-run
out=$(last_output)
like "$out" "change foo amd64 - 1.0" "dry run: foo 1.0 (the newest) is new"
like "$out" "change bar-utils all - 2.0" "dry run: bar-utils (Architecture: all) is new"
unlike "$out" "other|foo amd64 - 0.9" "dry run: unselected and older packages are left out"
is "$(count_files "$pool")" 0 "dry run imports nothing"

# 2. The first poll imports the selection.
ok "first poll imports" apt_driver "$conf" sync up
like "$(last_output)" "imported 2" "two packages imported"
ok "foo 1.0 is in the pool" test -f "$pool/main/f/foo/foo_1.0_amd64.deb"
ok "bar-utils 2.0 is in the pool" test -f "$pool/main/b/bar-utils/bar-utils_2.0_all.deb"
is "$(find "$pool" -name 'other_*' | wc -l | tr -d ' ')" 0 "other was not selected"
is "$(count_files "$inst/state/incoming/up")" 0 "incoming is cleaned up after the import"

# 3. No change upstream: one conditional request, nothing imported.
ok "second poll" apt_driver "$conf" sync up
out=$(last_output)
like "$out" "unchanged 1" "second poll: upstream unchanged"
like "$out" "requests 1$" "second poll: a single (conditional) request"
like "$out" "imported 0" "second poll imports nothing"
ok "the web server answered 304" grep -q '"GET /dists/stable/InRelease HTTP/1.1" 304' "$T_TMP/http.$port.log"

# 4. An upstream update is picked up.
sleep 1.1	# Last-Modified has one-second resolution
up_add "$up" "$(make_deb "$debs" foo 1.1)"
up_index "$up" stable && up_sign "$up" stable
ok "poll after an upstream update" apt_driver "$conf" sync up
out=$(last_output)
like "$out" "change foo amd64 1.0 1.1" "foo 1.0 -> 1.1 reported"
like "$out" "imported 1" "only foo 1.1 is imported"
ok "foo 1.1 is in the pool" test -f "$pool/main/f/foo/foo_1.1_amd64.deb"

# 5. An armoured keyring and a trailing slash in the URL work too.
ok "armoured Signed-By keyring" apt_driver "$conf" sync upasc
like "$(last_output)" "imported 1" "other imported through the armoured keyring"
ok "third poll of up is unchanged again" apt_driver "$conf" sync up

# 6. file:// upstreams work; without HTTP validators the unchanged poll
# stops at the Release (same digest as the last import).
inst5=$(make_instance)
up_watch "$inst5" local "file://$up" stable "$UP_KEYRING" "Packages: foo"
ok "file:// upstream imports" apt_driver "$inst5/debpipe.conf" sync local
like "$(last_output)" "imported 1" "file://: foo imported"
ok "file:// second poll" apt_driver "$inst5/debpipe.conf" sync local
like "$(last_output)" "unchanged 1" "file://: unchanged (Release digest)"

# 6b. One import per watch at a time: a held lock makes a second refuse.
exits 1 "a concurrent import of the same watch is refused" \
	flock "$inst/state/incoming/up.lock" "$top_builddir/tests/apt-driver" "$conf" sync up
like "$(last_output)" "another import of this watch is running" "the message says so"

# 7. The same through the real daemon and CLI: debpipe watch check
# --dry-run lists the changes, debpipe-builder --once imports, a second
# cycle finds the upstream unchanged.
inst2=$(make_instance)
conf2=$inst2/debpipe.conf
up_watch "$inst2" up "$url" stable "$UP_KEYRING" "Packages: foo bar-*"
ok "debpipe watch check --dry-run" debpipe --config "$conf2" watch check up --dry-run
like "$(last_output)" "foo.*1\.1" "check --dry-run names foo 1.1"
is "$(count_files "$inst2/public/pool")" 0 "check --dry-run imports nothing"
ok "debpipe-builder --once imports" debpipe-builder --config "$conf2" --once
ok "foo 1.1 imported by the builder" test -f "$inst2/public/pool/main/f/foo/foo_1.1_amd64.deb"
ok "bar-utils imported by the builder" test -f "$inst2/public/pool/main/b/bar-utils/bar-utils_2.0_all.deb"
is "$(sqlite3 "$inst2/state/state.db" "SELECT count(*) FROM packages WHERE origin = 'apt:up'")" 2 \
	"packages recorded with origin apt:up"
n304=$(grep -c '"GET /dists/stable/InRelease HTTP/1.1" 304' "$T_TMP/http.$port.log")
ok "second builder cycle" debpipe-builder --config "$conf2" --once
is "$(grep -c '"GET /dists/stable/InRelease HTTP/1.1" 304' "$T_TMP/http.$port.log")" $((n304 + 1)) \
	"second cycle: one conditional request answered 304"
is "$(sqlite3 "$inst2/state/state.db" "SELECT count(*) FROM packages")" 2 "second cycle imports nothing"

done_testing
