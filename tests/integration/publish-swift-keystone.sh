#!/bin/sh
# publish-swift-keystone.sh - `debpipe publish sync` to a real Swift
# through Keystone v3 (tests/integration/keystone-lib.sh): the token comes
# from Keystone and the storage URL from its catalog; the real apt-get
# updates from and installs out of the container's public URL, for an
# environment and a pinned snapshot; a wrong Password: gives a clear 401
# naming the credentials file and changes nothing, here or remotely;
# `publish verify` then finds nothing missing, wrong or unknown.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/swift-lib.sh"
. "$top_srcdir/tests/integration/keystone-lib.sh"
need dpkg-deb apt-get gpg python3 curl sqlite3
swift_need
keystone_need

plan 33

t0=$(date +%s)
swift_start
t1=$(date +%s)
keystone_start
echo "# Swift up in $((t1 - t0)) s, then Keystone and its proxy in $(($(date +%s) - t1)) s"
ok "Keystone gives $KS_USER a token for project $KS_PROJECT" test -n "$(ks_token)"
is "$(ks_token "$KS_USER" wrong 2>/dev/null)" "" "and none for a wrong password"
ok "container pub in AUTH_$KS_PROJECT_ID, readable without a token" ks_container pub
is "$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary x "$KS_PUBLIC/pub/anon")" 401 \
	"the Keystone proxy refuses a write without a token (no tempauth)"

inst=$(make_instance)
conf=$inst/debpipe.conf
pub=$inst/public
debs=$T_TMP/debs
cred=$inst/keystone.cred
printf 'User: %s\nPassword: %s\nProject: %s\nDomain: Default\n' \
    "$KS_USER" "$KS_PASSWORD" "$KS_PROJECT" >"$cred"
chmod 600 "$cred"
cat >>"$conf" <<EOC

Environment: test
Auto-Promote: yes

Publish-To: swift://pub/deb
Publish-Endpoint: $KS_URL
Publish-Region: RegionOne
Publish-Credentials: $cred
EOC
dp() { debpipe --config "$conf" "$@"; }
latest() { readlink "$pub/latest" | sed 's,^snapshots/,,'; }
on() { [ "$(readlink "$pub/$1")" = "snapshots/$2" ]; }
http() { curl -s -o /dev/null -w '%{http_code}' "$1"; }
tokens() { grep -c '"POST /v3/auth/tokens HTTP/1.1" 201' "$KS_DIR/keystone.log"; }
remote_state() { sqlite3 "$inst/state/state.db" "SELECT * FROM remote_objects ORDER BY key" | md5sum; }
export DEBPIPE_PUBLISH_RETRIES=2
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

ntok=$(tokens)
mark=$(ks_log_mark)
t1=$(date +%s)
ok "publish sync through Keystone" dp publish sync
echo "# publish sync took $(($(date +%s) - t1)) s"
sed 's/^/# /' "$T_TMP/last.out"
ok "debpipe got its token from Keystone" test "$(tokens)" -gt "$ntok"
is "$(tail -n +$((mark + 1)) "$KS_DIR/proxy.log" | grep -c " PUT /v1/AUTH_$KS_PROJECT_ID/pub/deb/pool/")" 2 \
	"the two pool files went to the catalog's storage URL (AUTH_$KS_PROJECT_ID), once each"
is "$(tail -n +$((mark + 1)) "$KS_DIR/proxy.log" | awk '$1 ~ /^<[0-9]+>proxy:$/ && $5 == "PUT" && $8 !~ /^2/' | wc -l)" 0 \
	"every upload accepted (no 401 from keystoneauth)"
is "$(http "$KS_PUBLIC/pub/deb/dists/bookworm/test/InRelease")" 200 "the environment's InRelease is public"

envar=$(apt_root "$KS_PUBLIC/pub/deb" "bookworm/test" main "$pub/debpipe-archive-keyring.gpg")
ok "apt-get update: environment test through the Keystone proxy" apt_get "$envar" update
unlike "$(last_output)" '^(W|E|Err):' "no warnings or errors from apt"
like "$(apt_cache "$envar" policy hello)" 'Candidate: 1.0-1' "the environment offers hello 1.0-1"
ok "apt-get install hello" apt_get "$envar" install -y hello
is "$(cat "$envar/root/usr/share/doc/hello/README" 2>/dev/null)" "hello 1.0-1" "hello 1.0-1 is installed"
snapar=$(apt_root "$KS_PUBLIC/pub/deb" "bookworm/$s1" main "$pub/debpipe-archive-keyring.gpg")
ok "apt-get update: pinned snapshot $s1" apt_get "$snapar" update
unlike "$(last_output)" '^(W|E|Err):' "no warnings or errors from apt (snapshot)"
like "$(apt_cache "$snapar" policy common)" 'Candidate: 1.0' "the snapshot offers common 1.0"

# A wrong Password: with a new snapshot waiting to go: a clear 401 naming
# the credentials file; nothing sent to Swift, state.db as it was.
sleep 1
ok "add hello 2.0, snapshot" sh -c "debpipe --config '$conf' add '$(make_deb "$debs" hello 2.0-1 amd64)' --dist bookworm && debpipe --config '$conf' snapshot now"
s2=$(latest)
printf 'User: %s\nPassword: not-the-password\nProject: %s\nDomain: Default\n' \
    "$KS_USER" "$KS_PROJECT" >"$inst/bad-password.cred"
chmod 600 "$inst/bad-password.cred"
sed "s|Publish-Credentials: $cred|Publish-Credentials: $inst/bad-password.cred|" "$conf" >"$inst/bad.conf"
before=$(remote_state)
mark=$(ks_log_mark)
fails "a wrong Password: fails" debpipe --config "$inst/bad.conf" publish sync
like "$(last_output)" "Keystone refused the credentials in $inst/bad-password.cred \\(HTTP 401\\)" \
	"with a 401 that names the credentials file"
unlike "$(last_output)" "not-the-password" "and does not show the password"
is "$(ks_requests_since "$mark")" 0 "nothing was sent to Swift"
is "$(remote_state)" "$before" "state.db's record of the target is unchanged"
is "$(http "$KS_PUBLIC/pub/deb/dists/bookworm/$s2/InRelease")" 404 "the new snapshot is not published"

mark=$(ks_log_mark)
ok "publish sync with the right password" dp publish sync
is "$(tail -n +$((mark + 1)) "$KS_DIR/proxy.log" | grep -c " PUT /v1/AUTH_$KS_PROJECT_ID/pub/deb/pool/")" 1 \
	"only the new package goes to the pool"
is "$(http "$KS_PUBLIC/pub/deb/dists/bookworm/$s2/InRelease")" 200 "the new snapshot is published"
ok "publish verify" dp publish verify
like "$(last_output)" '^swift://pub/deb: ([1-9][0-9]*) objects recorded, \1 listed: 0 missing, 0 wrong, 0 unknown$' \
	"finds as many objects as state.db records, nothing missing, wrong or unknown"
echo "# whole test: $(($(date +%s) - t0)) s"

done_testing
