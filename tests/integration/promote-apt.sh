#!/bin/sh
# promote-apt.sh - real snapshots (debpipe add + debpipe snapshot now)
# move through test -> staging -> prod on CI reports, served by the
# promoter's own file server, and a real apt-get client on prod follows
# the move without any warning (Release fields constant) while by-hash
# names from the earlier InRelease keep working.
. "$top_srcdir/tests/integration/lib.sh"
need dpkg-deb apt-get gpg python3 curl sqlite3

plan 26

inst=$(make_instance "Serve-Public: yes")
conf=$inst/debpipe.conf
pub=$inst/public
debs=$T_TMP/debs
url=$(sed -n 's/^Listen: /http:\/\//p' "$conf")
cat >>"$conf" <<'EOF'

Environment: test
Auto-Promote: yes

Environment: staging
Promote-From: test
Requires: acceptance

Environment: prod
Promote-From: staging
Requires: staging-deploy
Min-Soak: 2s
EOF
printf 'ci-token-0123456789 reporter ci\nadm-token-0123456789 admin ops\n' >"$inst/tokens"
chmod 600 "$inst/tokens"
export DEBPIPE_URL=$url DEBPIPE_TOKEN=ci-token-0123456789
dp() { debpipe --config "$conf" "$@"; }
latest() { readlink "$pub/latest" | sed 's,^snapshots/,,'; }
on() { [ "$(readlink "$pub/$1")" = "snapshots/$2" ]; }
pass_all() {
	snapshot-promote report "$1" --job acceptance --result success &&
	snapshot-promote report "$1" --job staging-deploy --result success
}

ok "key init" dp key init
ok "add hello 1.0" dp add "$(make_deb "$debs" hello 1.0-1 amd64)" "$(make_deb "$debs" common 1.0 all)" --dist bookworm
ok "snapshot now" dp snapshot now
s1=$(latest)
like "$s1" '^[0-9]{8}T[0-9]{6}Z$' "first snapshot $s1"

debpipe-promoter --config "$conf" --foreground -v >"$T_TMP/promoter.log" 2>&1 &
t_bg $!
ok "promoter up" wait_for 10 curl -fsS -o /dev/null "$url/api/v1/environments"
ok "test takes the first snapshot" wait_for 10 on test "$s1"
ok "reports pass" pass_all "$s1"
ok "prod reaches it" snapshot-promote wait "$s1" --env prod --timeout 30s --interval 1s

ar=$(apt_root "$url/prod" bookworm main "$pub/debpipe-archive-keyring.gpg")
ok "apt-get update against prod" apt_get "$ar" update
unlike "$(last_output)" '^(W|E|Err):' "no warnings or errors from apt"
like "$(apt_cache "$ar" policy hello)" 'Candidate: 1.0-1' "prod offers hello 1.0-1"

# Remember the by-hash name of prod's Packages file before the move.
inrel=$(curl -fsS "$url/prod/dists/bookworm/InRelease")
ph=$(printf '%s\n' "$inrel" | awk '/^SHA256:/ { s = 1; next } /^[^ ]/ { s = 0 }
	s && $3 == "main/binary-amd64/Packages" { print $1 }')
like "$ph" '^[0-9a-f]{64}$' "InRelease names Packages by SHA256"

sleep 1
ok "add hello 2.0" dp add "$(make_deb "$debs" hello 2.0-1 amd64)" --dist bookworm
ok "snapshot now (second)" dp snapshot now
s2=$(latest)
ok "a new snapshot ID" test "$s2" != "$s1"
ok "test takes it" wait_for 10 on test "$s2"
ok "prod stays until the jobs pass" on prod "$s1"
ok "reports pass for the second snapshot" pass_all "$s2"
ok "prod moves to the second snapshot" snapshot-promote wait "$s2" --env prod --timeout 30s --interval 1s

ok "by-hash Packages of the earlier InRelease still served through prod" \
	curl -fsS -o "$T_TMP/old-packages" "$url/prod/dists/bookworm/main/binary-amd64/by-hash/SHA256/$ph"
is "$(sha256sum <"$T_TMP/old-packages" | cut -d' ' -f1)" "$ph" "and it is the old file"

ok "apt-get update after the move" apt_get "$ar" update
unlike "$(last_output)" "(^(W|E|Err):|changed its)" "no warning about changed Release fields"
like "$(apt_cache "$ar" policy hello)" 'Candidate: 2.0-1' "prod now offers hello 2.0-1"

# apt-get update while prod keeps moving between the two snapshots.
(
	i=0
	while [ ! -e "$T_TMP/stop-flip" ]; do
		i=$((i + 1))
		if [ $((i % 2)) = 0 ]; then s=$s1; else s=$s2; fi
		DEBPIPE_TOKEN=adm-token-0123456789 snapshot-promote promote "$s" \
			--to prod --force --reason "flip $i" >/dev/null 2>&1
		sleep 0.1
	done
) &
flipper=$!
bad=0
# Keep updating until prod has moved at least 6 times (at most 40 rounds:
# a loaded machine flips more slowly).
for i in $(seq 1 40); do
	[ $i -gt 6 ] && [ "$(sqlite3 "$inst/state/state.db" "SELECT count(*) FROM env_history WHERE env = 'prod' AND kind = 'force'")" -ge 6 ] && break
	rm -rf "$ar/var/lib/apt/lists/"*_dists_* 2>/dev/null
	if ! apt_get "$ar" update >"$T_TMP/flip.$i" 2>&1 ||
	    grep -Eq '^(W|E|Err):|Hash Sum mismatch|unexpected size' "$T_TMP/flip.$i"; then
		bad=$((bad + 1))
		sed 's/^/#   /' "$T_TMP/flip.$i" | tail -5
	fi
done
touch "$T_TMP/stop-flip"
wait $flipper
is "$bad" 0 "apt-get update never fails while prod flips between snapshots"
ok "prod moved many times meanwhile" test "$(sqlite3 "$inst/state/state.db" "SELECT count(*) FROM env_history WHERE env = 'prod' AND kind = 'force'")" -ge 6

done_testing
