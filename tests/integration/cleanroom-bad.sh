#!/bin/bash
# Bad clean-room input, cheaply (no sbuild run): bad Builder:,
# Build-Mirror:, Chroot-Max-Age:, Build-Network: yes with sbuild, sbuild
# or mmdebstrap missing, a build user without subordinate ids.  Each is a
# clear error (file:line, what is wrong, what to do) and changes nothing:
# no package, no chroot, the state files as they were.
. "$top_srcdir/tests/integration/lib.sh" || exit 99
. "$top_srcdir/tests/integration/builder-lib.sh" || exit 99
need git sqlite3 setpriv

plan 24

inst=$(make_instance "Builder: sbuild")
conf=$inst/debpipe.conf
db=$inst/state/state.db
cp "$conf" "$T_TMP/good.conf"
bl_make_repo "$T_TMP/git/p" dp-p 1.0 "2026-11-01T10:00:00Z"
printf 'Watch: p\nType: git\nURL: file://%s\nBranch: main\nDistribution: bookworm\n' \
	"$T_TMP/git/p" >"$inst/watch.d/p.watch"
ok "a good configuration" debpipe --config "$conf" status
# What a failed build must not change: the public tree, the chroots, the
# keys, the package set (builds, logs and git mirrors do change).
state_sum() { (cd "$inst" && find public state/chroots state/gnupg -type f \
	-exec sha256sum {} + 2>/dev/null | sort; sqlite3 "$db" \
	"SELECT count(*) FROM packages; SELECT count(*) FROM snapshots") ; }
debpipe --config "$conf" builds >/dev/null	# the database exists
before=$(state_sum)

# bad_conf FIELD-LINE WHERE REGEX DESC: the line in the global stanza
# (WHERE=global) or in the Distribution stanza (WHERE=dist) is refused.
bad_conf() {
	cp "$T_TMP/good.conf" "$conf"
	if grep -q "^${1%%:*}:" "$conf"; then
		line=$(grep -n "^${1%%:*}:" "$conf" | cut -d: -f1)
		sed -i "${line}s|.*|$1|" "$conf"
	elif [ "$2" = global ]; then
		sed -i "1a $1" "$conf"
		line=2
	else
		sed -i "/^Distribution: bookworm/a $1" "$conf"
		line=$(grep -n -F "$1" "$conf" | cut -d: -f1)
	fi
	fails "$4: refused" debpipe-builder --config "$conf" --once
	like "$(last_output)" "debpipe.conf:$line: .*$3" "$4: file:line and what to do"
}
bad_conf "Builder: docker" global "Builder.*use sbuild .* or host" "Builder: docker"
bad_conf "Build-Mirror: ftp://mirror.example/debian" dist "bad URL .*Build-Mirror.*http://" \
	"Build-Mirror: ftp://"
bad_conf "Chroot-Max-Age: a week" global "Chroot-Max-Age" "Chroot-Max-Age: a week"
bad_conf "Build-Timeout: -5" global "Build-Timeout" "Build-Timeout: -5"
cp "$T_TMP/good.conf" "$conf"
printf 'Build-Network: yes\n' >>"$inst/watch.d/p.watch"
fails "Build-Network: yes with Builder: sbuild: refused" debpipe-builder --config "$conf" --once
like "$(last_output)" "p\.watch:6: watch 'p': Build-Network: yes needs Builder: host" \
	"which says sbuild builds without network and what to do"
sed -i '/^Build-Network/d' "$inst/watch.d/p.watch"
is "$(state_sum)" "$before" "nothing changed so far"

# A PATH without sbuild (and one without mmdebstrap).
mkdir -p "$T_TMP/bin-nosbuild" "$T_TMP/bin-nommdebstrap"
for d in /usr/local/bin /usr/local/sbin /usr/bin /usr/sbin /bin /sbin; do
	for f in "$d"/*; do
		b=${f##*/}
		[ "$b" = sbuild ] || ln -sf "$f" "$T_TMP/bin-nosbuild/$b" 2>/dev/null
		[ "$b" = mmdebstrap ] || ln -sf "$f" "$T_TMP/bin-nommdebstrap/$b" 2>/dev/null
	done
done
dp=$(dirname "$(command -v debpipe)"):$(dirname "$(command -v debpipe-builder)")
fails "no sbuild: the build fails" env PATH="$dp:$T_TMP/bin-nosbuild" \
	debpipe-builder --config "$conf" --once
like "$(debpipe --config "$conf" builds --failed)" \
	"p\.watch:1: watch 'p': Builder: sbuild needs sbuild, which is not installed .*apt-get install sbuild.*Builder: host" \
	"builds --failed: file:line, what is missing, what to do"
like "$(debpipe --config "$conf" status)" "error: .*needs sbuild" "status shows it"
debpipe --config "$conf" build p >/dev/null
fails "no mmdebstrap and no chroot: the build fails" env PATH="$dp:$T_TMP/bin-nommdebstrap" \
	debpipe-builder --config "$conf" --once
like "$(sqlite3 "$db" "SELECT message FROM builds ORDER BY id DESC LIMIT 1")" \
	"needs mmdebstrap, which is not installed .*apt-get install mmdebstrap" "which says so"
is "$(state_sum)" "$before" "nothing changed: no package, no chroot"
ok "no chroot was made" test ! -e "$inst/state/chroots/bookworm-$(dpkg --print-architecture).tar.zst"

# A build user without subordinate ids (sbuild's unshare mode needs them).
if [ "$(id -u)" = 0 ] && ! grep -q '^nobody:' /etc/subuid /etc/subgid 2>/dev/null; then
	nb=$(mktemp -d "$T_TMP/nobody.XXXXXX")
	cp -a "$inst/." "$nb/"
	sed -i "s|$inst|$nb|g" "$nb/debpipe.conf"
	# A chroot so that only the ids are missing (its content is never read).
	mkdir -p "$nb/state/chroots" && : | zstd -q >"$nb/state/chroots/bookworm-$(dpkg --print-architecture).tar.zst"
	chmod 755 "$T_TMP" && chown -R nobody "$nb" "$T_TMP/git"
	asnobody() { env HOME="$nb" setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	asnobody debpipe --config "$nb/debpipe.conf" build p >/dev/null
	fails "a build user without subuid/subgid ranges: the build fails" \
		asnobody debpipe-builder --config "$nb/debpipe.conf" --once
	like "$(sqlite3 "$nb/state/state.db" "SELECT message FROM builds ORDER BY id DESC LIMIT 1")" \
		"p\.watch:1: watch 'p': .*user nobody has no subordinate ids in /etc/subuid .*usermod --add-subuids" \
		"file:line, what is missing, what to do"
	is "$(sqlite3 "$nb/state/state.db" "SELECT count(*) FROM packages")" 0 "nothing built"
else
	for i in 1 2 3; do
		echo "ok $((T_NUM + i)) # SKIP needs root and a user (nobody) without subuid ranges"
	done
	T_NUM=$((T_NUM + 3))
fi

# The good configuration still works: the same commands answer.
cp "$T_TMP/good.conf" "$conf"
ok "the good configuration still loads" debpipe --config "$conf" status
ok "chroot list works and says the chroot is missing" sh -c \
	"debpipe --config '$conf' chroot list | grep -q 'missing'"

done_testing
