#!/bin/sh
# publish-swift.sh - `debpipe publish sync` to a real single-node Swift,
# through its Swift API (tempauth) and its S3 API (SigV4): the real
# apt-get reads an environment and a pinned snapshot from the object store
# with no warning; upload order; a second snapshot uploads only what
# changed (counted in the proxy's log); clear errors for bad credentials,
# a credentials file others can read, and a missing bucket.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/swift-lib.sh"
need dpkg-deb apt-get gpg python3 curl sqlite3
swift_need

plan 77

swift_start
ok "swift container pub (public read)" swift_container pub
ok "S3 bucket bkt" s3_cmd mb s3://bkt
ok "bkt readable without a token" swift_container bkt

inst=$(make_instance)
conf=$inst/debpipe.conf
pub=$inst/public
debs=$T_TMP/debs
printf 'User: test:tester\nKey: testing\n' >"$inst/swift.cred"
printf 'Access-Key: test:tester\nSecret-Key: testing\n' >"$inst/s3.cred"
chmod 600 "$inst/swift.cred" "$inst/s3.cred"
cat >>"$conf" <<EOC

Environment: test
Auto-Promote: yes

Publish-To: swift://pub/deb
Publish-Endpoint: $SWIFT_AUTH
Publish-Credentials: $inst/swift.cred

Publish-To: s3://bkt/apt/debian
Publish-Endpoint: $S3_URL
Publish-Region: us-east-1
Publish-Credentials: $inst/s3.cred
Publish-Jobs: 4
Publish-Detached-Release: yes
EOC
dp() { debpipe --config "$conf" "$@"; }
latest() { readlink "$pub/latest" | sed 's,^snapshots/,,'; }
on() { [ "$(readlink "$pub/$1")" = "snapshots/$2" ]; }
cache_control() {
	curl -fsS -D - -o /dev/null "$1" | tr -d '\r' |
		sed -n 's/^[Cc]ache-[Cc]ontrol: //p'
}
export DEBPIPE_PUBLISH_RETRIES=2
# The promoter here only moves environment test; this test counts what
# `debpipe publish sync` sends by hand (publish-swift-bg.sh tests the
# daemons' background publishing).
export DEBPIPE_REMOTE_SCHED=off

ok "key init" dp key init
ok "add hello 1.0 and common" dp add "$(make_deb "$debs" hello 1.0-1 amd64)" \
	"$(make_deb "$debs" common 1.0 all)" --dist bookworm
ok "snapshot now" dp snapshot now
s1=$(latest)
debpipe-promoter --config "$conf" --foreground -v >"$T_TMP/promoter.log" 2>&1 &
prom=$!
t_bg $prom
ok "environment test takes the snapshot" wait_for 20 on test "$s1"
kill $prom 2>/dev/null; wait $prom 2>/dev/null

mark=$(swift_log_mark)
ok "publish sync" dp publish sync
sed 's/^/# /' "$T_TMP/last.out"

# Upload order on the Swift target, per suite path: pool, by-hash, plain
# indexes, Release, Release.gpg, InRelease.
order=$(tail -n +$((mark + 1)) "$SWIFT_DIR/swift.log" | awk '
	$1 ~ /^<[0-9]+>proxy:$/ && $5 == "PUT" && $6 ~ /^\/v1\/AUTH_test\/pub\/deb\// {
		p = $6; sub(/^\/v1\/AUTH_test\/pub\/deb\//, "", p)
		if (p ~ /^pool\//) k = 0
		else if (p ~ /\/by-hash\//) k = 1
		else if (p ~ /\/InRelease$/) k = 5
		else if (p ~ /\/Release\.gpg$/) k = 4
		else if (p ~ /\/Release$/) k = 3
		else k = 2
		split(p, a, "/"); n = (k == 0) ? "" : a[3]
		if (k < last[n] || (k == 0 && pooldone)) bad++
		if (k > 0) pooldone = 1
		last[n] = k; cnt[k]++
	}
	END { printf "%d %d %d %d %d %d %d\n", bad, cnt[0], cnt[1], cnt[2], cnt[3], cnt[4], cnt[5] }')
is "$(echo "$order" | cut -d' ' -f1)" 0 "uploads in order (pool, by-hash, indexes, Release, Release.gpg, InRelease): $order"
is "$(echo "$order" | cut -d' ' -f2)" 2 "two pool files, each uploaded once"
is "$(echo "$order" | cut -d' ' -f7)" 2 "an InRelease for the snapshot and one for the environment"

base=$SWIFT_PUBLIC/pub/deb
envar=$(apt_root "$base" "bookworm/test" main "$pub/debpipe-archive-keyring.gpg")
ok "apt-get update: environment test from Swift" apt_get "$envar" update
unlike "$(last_output)" '^(W|E|Err):' "no warnings or errors from apt"
like "$(apt_cache "$envar" policy hello)" 'Candidate: 1.0-1' "the environment offers hello 1.0-1"
ok "apt-get download from Swift" sh -c "cd '$T_TMP' && APT_CONFIG='$envar/apt.conf' apt-get -q download hello"
ok "the downloaded package is the local one" cmp "$T_TMP/hello_1.0-1_amd64.deb" "$pub/pool/main/h/hello/hello_1.0-1_amd64.deb"

snapar=$(apt_root "$SWIFT_PUBLIC/bkt/apt/debian" "bookworm/$s1" main "$pub/debpipe-archive-keyring.gpg")
ok "apt-get update: pinned snapshot from the S3 target" apt_get "$snapar" update
unlike "$(last_output)" '^(W|E|Err):' "no warnings or errors from apt (S3 target)"
like "$(apt_cache "$snapar" policy common)" 'Candidate: 1.0' "the snapshot offers common 1.0"
is "$(cache_control "$SWIFT_PUBLIC/bkt/apt/debian/pool/main/h/hello/hello_1.0-1_amd64.deb")" \
	"public, max-age=31536000, immutable" "pool objects are immutable for caches"
is "$(curl -s -o /dev/null -w '%{http_code}' "$SWIFT_PUBLIC/pub/deb/dists/bookworm/test/Release")" 404 \
	"Swift target (default): no detached Release"
ok "S3 target (Publish-Detached-Release: yes): Release and Release.gpg" sh -c \
	"curl -fsS '$SWIFT_PUBLIC/bkt/apt/debian/dists/bookworm/test/Release' | cmp - '$pub/snapshots/$s1/dists/bookworm/Release' && curl -fsS -o /dev/null '$SWIFT_PUBLIC/bkt/apt/debian/dists/bookworm/test/Release.gpg'"
is "$(cache_control "$SWIFT_PUBLIC/bkt/apt/debian/dists/bookworm/test/InRelease")" \
	"public, max-age=30" "InRelease is cached briefly"

mark=$(swift_log_mark)
ok "publish sync again" dp publish sync
is "$(swift_requests_since "$mark" PUT)" 0 "nothing uploaded again"
is "$(swift_requests_since "$mark" HEAD)" 0 "no HEAD per file"

sleep 1
ok "add hello 2.0" dp add "$(make_deb "$debs" hello 2.0-1 amd64)" --dist bookworm
ok "second snapshot" dp snapshot now
s2=$(latest)
debpipe-promoter --config "$conf" --foreground -v >>"$T_TMP/promoter.log" 2>&1 &
prom=$!
t_bg $prom
ok "environment test moves" wait_for 20 on test "$s2"
kill $prom 2>/dev/null; wait $prom 2>/dev/null
mark=$(swift_log_mark)
ok "publish sync pub (incremental)" dp publish sync pub
sed 's/^/# /' "$T_TMP/last.out"
n=$(swift_requests_since "$mark")
npool=$(tail -n +$((mark + 1)) "$SWIFT_DIR/swift.log" | grep -c ' PUT /v1/AUTH_test/pub/deb/pool/')
is "$npool" 1 "only the changed package goes to the pool"
ok "under 30 requests for a one-package change ($n)" test "$n" -lt 30
is "$(tail -n +$((mark + 1)) "$SWIFT_DIR/swift.log" | grep -c -E ' PUT [^ ]*/Release(\.gpg)? ')" 0 \
	"no Release or Release.gpg by default (apt reads InRelease)"
ok "apt-get update after the move" apt_get "$envar" update
unlike "$(last_output)" "(^(W|E|Err):|changed its)" "no warning after the move"
like "$(apt_cache "$envar" policy hello)" 'Candidate: 2.0-1' "the environment offers hello 2.0-1"

# Verify: the listing against state.db; --repair uploads again.
ok "verify pub: all there" dp publish verify pub
like "$(last_output)" ' 0 missing, 0 wrong, 0 unknown' "and says so"
h2=deb/pool/main/h/hello/hello_2.0-1_amd64.deb
ok "delete a pool object behind debpipe's back" swift_cmd delete pub "$h2"
echo junk >"$T_TMP/junk"
ok "and put an unknown one" swift_cmd upload pub "$T_TMP/junk" --object-name deb/junk
fails "verify pub finds the difference" dp publish verify pub
like "$(last_output)" "missing pool/main/h/hello/hello_2.0-1_amd64.deb" "names the missing object"
like "$(last_output)" "unknown junk" "and the unknown one"
mark=$(swift_log_mark)
ok "verify --repair pub" dp publish verify --repair pub
is "$(swift_requests_since "$mark" PUT)" 1 "uploads only the missing object again"
ok "the object is back, equal to the local file" sh -c "curl -fsS '$SWIFT_PUBLIC/pub/$h2' | cmp - '$pub/pool/main/h/hello/hello_2.0-1_amd64.deb'"
ok "the unknown object is left alone" curl -fsS -o /dev/null "$SWIFT_PUBLIC/pub/deb/junk"
ok "verify pub: all there again" dp publish verify pub

# Retention: local GC removes a snapshot (s3: not the newest, not an
# environment's, not in one's history); the next sync removes it
# remotely, and the pool objects nothing else uses, and nothing else.
http() { curl -s -o /dev/null -w '%{http_code}' "$1"; }
sleep 1
ok "add hello 3.0, snapshot" sh -c "debpipe --config '$conf' add '$(make_deb "$debs" hello 3.0-1 amd64)' --dist bookworm && debpipe --config '$conf' snapshot now"
s3=$(latest)
sleep 1
ok "add hello 4.0, snapshot" sh -c "debpipe --config '$conf' add '$(make_deb "$debs" hello 4.0-1 amd64)' --dist bookworm && debpipe --config '$conf' snapshot now"
s4=$(latest)
ok "publish sync both" dp publish sync
sed -i 's/^Keep-Snapshots: .*/Keep-Snapshots: 1/' "$conf"
ok "local gc" dp gc
ok "snapshot $s3 is gone locally" test ! -e "$pub/snapshots/$s3"
ok "publish sync (GC on both targets)" dp publish sync
for b in pub/deb bkt/apt/debian; do
	is "$(http "$SWIFT_PUBLIC/$b/dists/bookworm/$s3/InRelease")" 404 "$b: the removed snapshot's InRelease is gone"
	is "$(http "$SWIFT_PUBLIC/$b/pool/main/h/hello/hello_3.0-1_amd64.deb")" 404 "$b: hello 3.0, used by no snapshot left, is gone"
	is "$(http "$SWIFT_PUBLIC/$b/pool/main/c/common/common_1.0_all.deb")" 200 "$b: common 1.0, used by the kept ones, stays"
	is "$(http "$SWIFT_PUBLIC/$b/dists/bookworm/$s4/InRelease")" 200 "$b: the newest snapshot stays"
	is "$(http "$SWIFT_PUBLIC/$b/pool/main/h/hello/hello_2.0-1_amd64.deb")" 200 "$b: the environment's hello 2.0 stays"
done
is "$(sqlite3 "$inst/state/state.db" "SELECT count(*) FROM remote_objects WHERE key LIKE 'dists/bookworm/$s3/%' OR key LIKE '%hello_3.0-1%'")" 0 \
	"state.db forgets what was removed"
ok "apt-get update of the environment after GC" apt_get "$envar" update
unlike "$(last_output)" '^(W|E|Err):' "no warnings or errors"
ok "verify: all there after GC" dp publish verify

# Errors.
cp "$conf" "$inst/bad.conf"
printf 'User: test:tester\nKey: wrong\n' >"$inst/wrong.cred"
chmod 600 "$inst/wrong.cred"
sed -i "s|Publish-Credentials: $inst/swift.cred|Publish-Credentials: $inst/wrong.cred|" "$inst/bad.conf"
fails "wrong credentials fail" debpipe --config "$inst/bad.conf" publish sync pub
like "$(last_output)" 'authentication refused' "and say so"
chmod 644 "$inst/s3.cred"
fails "a credentials file others can read is refused" dp publish sync bkt
like "$(last_output)" 'mode 0600' "naming the required mode"
like "$(last_output)" "$conf:$(grep -n "Publish-Credentials: $inst/s3.cred" "$conf" | cut -d: -f1): Publish-Credentials: " \
	"and the config line that names the file"
chmod 600 "$inst/s3.cred"
cp "$conf" "$inst/bad-s3.conf"
printf 'Access-Key: test:tester\nSecret-Key: wrong\n' >"$inst/wrong-s3.cred"
chmod 600 "$inst/wrong-s3.cred"
sed -i "s|Publish-Credentials: $inst/s3.cred|Publish-Credentials: $inst/wrong-s3.cred|" "$inst/bad-s3.conf"
fails "a wrong S3 secret key fails (verify lists the bucket)" debpipe --config "$inst/bad-s3.conf" publish verify
like "$(last_output)" "HTTP 403.*check Access-Key: and Secret-Key: in $inst/wrong-s3.cred \\(Publish-Credentials: at $inst/bad-s3.conf:$(grep -n "Publish-Credentials: $inst/wrong-s3.cred" "$inst/bad-s3.conf" | cut -d: -f1)\\)" \
	"the 403 names the keys, the credentials file and the config line"
sed -i "s|s3://bkt/apt/debian|s3://nobucket/x|" "$inst/bad.conf"
fails "a missing bucket fails" debpipe --config "$inst/bad.conf" publish sync nobucket
like "$(last_output)" 'NoSuchBucket' "with a clear error"

done_testing
