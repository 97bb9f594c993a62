#!/bin/bash
# debpipe chroot create|update|list|remove with the real mmdebstrap: the
# tarball lands in State-Dir/chroots/<dist>-<arch>.tar.zst, a killed
# update leaves the previous one in place, a bad Build-Keyring is a clear
# error that changes nothing.
. "$top_srcdir/tests/integration/lib.sh" || exit 99
. "$top_srcdir/tests/integration/chroot-lib.sh" || exit 99
need mmdebstrap zstd

plan 12

arch=$(dpkg --print-architecture)
inst=$(make_instance)
conf=$inst/debpipe.conf
echo "Build-Mirror: $(test_host_mirror)" >>"$conf"
tb=$inst/state/chroots/bookworm-$arch.tar.zst

like "$(debpipe --config "$conf" chroot list)" "bookworm +bookworm +$arch .*missing" \
	"list: the chroot is missing"
t0=$(date +%s)
ok "chroot create (real mmdebstrap)" debpipe --config "$conf" chroot create
echo "# chroot create: $(( $(date +%s) - t0 )) s, $(du -m "$tb" | cut -f1) MiB"
ok "the tarball is a complete zstd tar" zstd -q -t "$tb"
ok "it holds a buildd chroot (apt, build-essential)" sh -c \
	"zstd -dc '$tb' | tar -t | grep -q 'usr/bin/dpkg-buildpackage'"
like "$(debpipe --config "$conf" chroot list)" "bookworm +bookworm +$arch +[0-9]+ MiB .* ok" \
	"list: suite, arch, size, age"
like "$(debpipe --config "$conf" chroot create)" "exists" "create again: it exists"
sum=$(sha256sum <"$tb")

# A killed update leaves the old tarball.
debpipe --config "$conf" chroot update >"$T_TMP/update.log" 2>&1 &
upid=$!
t_bg $upid
wait_for 30 sh -c "ls '$inst/state/chroots/' -a | grep -q '^\.new-'"
sleep 3
kids=$(pgrep -P $upid)
kill -9 $upid $kids 2>/dev/null
for k in $kids; do pkill -9 -g "$k" 2>/dev/null; done
wait $upid 2>/dev/null
is "$(sha256sum <"$tb")" "$sum" "a killed update leaves the old tarball"
ok "which is still a complete zstd tar" zstd -q -t "$tb"

# A wrong Build-Keyring: clear error, nothing changed.
sed -i "s|^Build-Mirror:.*|&\nBuild-Keyring: $T_TMP/nokeyring.gpg|" "$conf"
fails "update with a missing keyring fails" debpipe --config "$conf" chroot update bookworm
like "$(last_output)" "Build-Keyring: $T_TMP/nokeyring.gpg: No such file" "and says why"
is "$(sha256sum <"$tb")" "$sum" "the tarball is unchanged"
ok "chroot remove" sh -c "debpipe --config '$conf' chroot remove bookworm && test ! -e '$tb'"

done_testing
