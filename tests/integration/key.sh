#!/bin/sh
# debpipe key init | export: the archive signing key and the public keyring
# apt clients use with signed-by=.
. "$top_srcdir/tests/integration/lib.sh"
need gpg gpgv

plan 21

inst=$(make_instance)
conf=$inst/debpipe.conf
keyring=$inst/public/debpipe-archive-keyring.gpg
home=$inst/state/gnupg

fails "key export before key init fails" debpipe --config "$conf" key export --armor
like "$(last_output)" "key init" "... and says to run key init"
exits 2 "unknown key subcommand is a usage error" debpipe --config "$conf" key frobnicate

ok "key init" debpipe --config "$conf" key init
fpr=$(last_output | awk '/^created key/ { print $3 }')
like "$fpr" '^[0-9A-F]{40}$' "key init prints the fingerprint"
is "$(stat -c %a "$keyring")" "644" "keyring file is 0644"
is "$(stat -c %a "$home")" "700" "gnupg home is 0700"
uid=$(gpg --batch --with-colons --show-keys "$keyring" 2>/dev/null |
	awk -F: '$1 == "uid" { print $10; exit }')
is "$uid" "debpipe-test archive signing key <debpipe@$(hostname)>" \
	"uid is '<Origin> archive signing key <debpipe@host>'"
# Binary OpenPGP (as /usr/share/keyrings/*.gpg), not armour.
unlike "$(head -c 40 "$keyring" | tr -c '[:print:]' '.')" "BEGIN PGP" \
	"keyring file is binary"

fails "a second key init refuses" debpipe --config "$conf" key init
like "$(last_output)" "--force" "... and names --force"

debpipe --config "$conf" key export >"$T_TMP/export.gpg" 2>"$T_TMP/err"
ok "key export (binary) matches the published keyring" cmp "$T_TMP/export.gpg" "$keyring"
ok "key export --armor" debpipe --config "$conf" key export --armor
like "$(last_output)" "BEGIN PGP PUBLIC KEY BLOCK" "... is ASCII armour"

# The key in the home signs, and the published keyring verifies, as apt's
# gpgv does with signed-by=.
echo "Origin: test" >"$T_TMP/Release"
gpg --homedir "$home" --batch --pinentry-mode loopback --passphrase '' \
	--clearsign -o "$T_TMP/InRelease" "$T_TMP/Release" 2>/dev/null
ok "gpgv --keyring <published keyring> accepts a signature of the key" \
	gpgv --keyring "$keyring" "$T_TMP/InRelease"

ok "key init --force replaces the key" debpipe --config "$conf" --json key init --force
fpr2=$(last_output | python3 -c 'import json, sys; print(json.load(sys.stdin)["fingerprint"])')
like "$fpr2" '^[0-9A-F]{40}$' "--json gives the new fingerprint"
fails "the old key no longer verifies with the new keyring" \
	gpgv --keyring "$keyring" "$T_TMP/InRelease"
is "$(gpg --homedir "$home" --batch --with-colons --list-secret-keys 2>/dev/null | grep -c '^sec')" \
	"1" "the home holds exactly one secret key again"

# As root with User: the home goes to that user, who can sign with it.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && command -v runuser >/dev/null; then
	inst2=$(make_instance "User: nobody")
	chmod 711 "$T_TMP" "$inst2"
	debpipe --config "$inst2/debpipe.conf" key init >/dev/null 2>&1
	is "$(stat -c %U "$inst2/state/gnupg" "$inst2/state/gnupg/pubring.kbx" | sort -u)" \
		"nobody" "key init as root with User: nobody gives the home to nobody"
	chmod 711 "$inst2/state"	# packaging gives State-Dir to the user
	cp "$T_TMP/Release" "$inst2/Release"
	chmod 644 "$inst2/Release"
	ok "... who can sign with it" runuser -u nobody -- gpg --homedir "$inst2/state/gnupg" \
		--batch --pinentry-mode loopback --passphrase '' --clearsign \
		-o /dev/null "$inst2/Release"
	runuser -u nobody -- gpgconf --homedir "$inst2/state/gnupg" --kill all >/dev/null 2>&1
else
	t_result 0 "# SKIP not root: no User: ownership check"
	t_result 0 "# SKIP not root"
fi

done_testing
