#!/bin/bash
# Type: apt-source: the newest upstream source is fetched and verified,
# unpacked, gets the org's quilt patches and a rebuild version; building
# it puts the patched file into the .deb.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/apt-lib.sh"
need apt-ftparchive dpkg-source dpkg-buildpackage dh gpg python3 curl xz

plan 28

up_key
up=$T_TMP/upstream
up_init "$up" trixie
up_source "$up" greet 1.0-1 "hello from upstream" || bail "dpkg-source -b failed"
up_index "$up" trixie && up_sign "$up" trixie || bail "upstream"
up_serve "$up"; port=$UP_PORT
url=http://127.0.0.1:$port

patches=$T_TMP/patches
mkdir -p "$patches"
cat >"$patches/org-greeting.patch" <<'EOP'
Description: the org's greeting
--- a/greeting
+++ b/greeting
@@ -1 +1 @@
-hello from upstream
+hello from the org
EOP
printf '# org patches\norg-greeting.patch\n' >"$patches/series"
bad=$T_TMP/badpatches
mkdir -p "$bad"
sed 's/^-hello from upstream/-no such line/' "$patches/org-greeting.patch" >"$bad/broken.patch"
echo broken.patch >"$bad/series"

inst=$(make_instance "Version-Suffix: org" "Maintainer: CI <ci@example.org>")
conf=$inst/debpipe.conf
for w in greet:$patches bad:$bad; do
	cat >>"$inst/watch.d/src.watch" <<EOW
Watch: ${w%%:*}
Type: apt-source
URL: $url
Suite: trixie
Source: greet
Signed-By: $UP_KEYRING
Patches: ${w#*:}
Distribution: bookworm

EOW
done
work=$T_TMP/work

ok "prepare the source" apt_driver "$conf" source greet "$work"
out=$(last_output)
like "$out" "version 1.0-1$" "the newest upstream version is 1.0-1"
src=$(printf '%s\n' "$out" | sed -n 's/^srcdir //p')
is "$src" "$work/greet-1.0" "unpacked into WORKDIR/<source>-<upstream version>"
is "$(head -1 "$src/debian/changelog")" "greet (1.0-1+org1) bookworm; urgency=medium" \
	"changelog entry: <version>+<suffix>1 for the configured distribution"
like "$(sed -n 3,5p "$src/debian/changelog")" "Add patch org-greeting.patch" "the entry names the patch"
like "$(grep '^ -- ' "$src/debian/changelog" | head -1)" "^ -- CI <ci@example.org>  [A-Z][a-z]{2}, " "entry signed off by Maintainer:"
is "$(tail -1 "$src/debian/patches/series")" "org-greeting.patch" "patch appended to debian/patches/series"
ok "the patch is in debian/patches" cmp "$patches/org-greeting.patch" "$src/debian/patches/org-greeting.patch"
is "$(cat "$src/greeting")" "hello from the org" "the org patch is applied"
is "$(sed -n 2p "$src/NOTES")" "debian notes" "the upstream patch is still applied"
ok "dpkg-parsechangelog agrees" test "$(cd "$src" && dpkg-parsechangelog -SVersion)" = 1.0-1+org1
ok "1.0-1+org1 sorts above 1.0-1" dpkg --compare-versions 1.0-1+org1 gt 1.0-1

ok "build the prepared source" sh -c "cd '$src' && dpkg-buildpackage -b -us -uc -d >'$T_TMP/build.log' 2>&1"
deb=$work/greet_1.0-1+org1_all.deb
ok "the rebuilt .deb exists" test -f "$deb"
is "$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/share/greet/greeting)" \
	"hello from the org" "the built .deb carries the patched file"

# Nothing new upstream: nothing to do.
ok "poll with the current version" apt_driver "$conf" source greet "$work" 1.0-1
is "$(last_output)" "unchanged" "same upstream version -> unchanged"
ok "poll again (conditional)" apt_driver "$conf" source greet "$work" 1.0-1
is "$(last_output)" "unchanged" "still unchanged"

# A second rebuild of the same upstream version counts up.
sqlite3 "$inst/state/state.db" "INSERT INTO builds (watch, state, version, queued) VALUES ('greet', 'success', '1.0-1+org1', '2026-11-22T00:00:00Z')"
ok "prepare again after one rebuild" apt_driver "$conf" source greet "$work"
is "$(cd "$work/greet-1.0" && dpkg-parsechangelog -SVersion)" "1.0-1+org2" \
	"the next rebuild is +org2"

# A new upstream version is picked up.
sleep 1.1
up_source "$up" greet 1.1-1 "hello from upstream" || bail "dpkg-source -b failed"
up_index "$up" trixie && up_sign "$up" trixie
ok "new upstream version" apt_driver "$conf" source greet "$work" 1.0-1
like "$(last_output)" "version 1.1-1$" "1.1-1 found"

# The same through the real builder: one cycle fetches, patches, builds
# and adds the rebuilt package to the pool.
inst2=$(make_instance "Version-Suffix: org" "Maintainer: CI <ci@example.org>")
head -9 "$inst/watch.d/src.watch" >"$inst2/watch.d/src.watch"
ok "debpipe-builder --once rebuilds" debpipe-builder --config "$inst2/debpipe.conf" --once
deb2=$(find "$inst2/public/pool" -name 'greet_1.1-1+org1_all.deb')
ok "greet 1.1-1+org1 is in the pool" test -n "$deb2"
is "$(dpkg-deb --fsys-tarfile "$deb2" | tar -xOf - ./usr/share/greet/greeting)" \
	"hello from the org" "the pooled .deb carries the patched file"

# A patch that does not apply is named.
fails "a broken patch is refused" apt_driver "$conf" source bad "$T_TMP/work-bad"
like "$(last_output)" "patch broken.patch from .*badpatches does not apply" \
	"the message names the patch"

done_testing
