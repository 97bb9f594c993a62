#!/bin/sh
# readme-user.sh - the README's two commands, verbatim, as an unprivileged
# user with sudo rights (the desktop case; CI itself runs them as root
# without sudo).  The test makes the user and its sudoers entry, copies
# the source tree into its home and, in a login shell of that user, runs
#   ./bootstrap && make demo
#   ./bootstrap && make check TESTS='...'   (a part of the suite: the whole
#                                            suite already runs in CI)
# then checks that bootstrap said it used sudo, gave the user subordinate
# ids, left nothing in the tree that the user does not own, and that the
# demo got to its apt-get install from prod.  The first demo run's chroot
# (mmdebstrap, minutes) is seeded from the shared test chroot, as a second
# run of the demo would find it.  Root only (makes a user); not in the
# ASan pass.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/chroot-lib.sh"

if [ "$(id -u)" != 0 ]; then
	[ -n "${CI:-}" ] && bail "readme-user.sh must run as root"
	echo "1..0 # SKIP readme-user.sh needs root (makes a user with sudo rights)"
	exit 0
fi
need sudo runuser useradd userdel git tar

plan 14

u=dp-readme
sudoers=/etc/sudoers.d/debpipe-test-readme
gone_user() {
	pkill -9 -u "$u" 2>/dev/null
	sleep 1
	userdel -r "$u" >/dev/null 2>&1
	# usermod --del-subuids needs the range; drop the user's lines.
	sed -i "/^$u:/d" /etc/subuid /etc/subgid
	rm -f "$sudoers"
}
gone_user
trap 'gone_user; t_cleanup' EXIT

tb=$(test_chroot_tarball) || bail "no test chroot"
useradd --create-home --shell /bin/sh "$u" || bail "useradd $u"
# useradd gives new users subordinate ids; an older account has none.
sed -i "/^$u:/d" /etc/subuid /etc/subgid
echo "$u ALL=(ALL) NOPASSWD: ALL" >"$sudoers"
chmod 0440 "$sudoers"
home=$(getent passwd "$u" | cut -d: -f6)
ok "the user has sudo rights and is not root" \
	runuser -u "$u" -- sh -c '[ "$(id -u)" != 0 ] && sudo -n true'

# The source tree as a clone would have it (tracked and new files, not
# the build products of this tree).
git -C "$top_srcdir" ls-files -co --exclude-standard |
	grep -v '^tests/integration/debs/' |
	tar -C "$top_srcdir" -cf - -T - | tar -C "$home" --one-top-level=debpipe -xf - ||
	bail "copy of the source tree"
# What the demo's first run makes (a bookworm buildd chroot) is there, as
# after an earlier run: the demo says it reuses it.
arch=$(dpkg --print-architecture)
mkdir -p "$home/.cache/debpipe-demo"
cp "$tb" "$home/.cache/debpipe-demo/bookworm-$arch.tar.zst"
chown -R "$u:$u" "$home"

# 1. The README's first command, verbatim, in a login shell of the user.
runuser -l "$u" -c 'cd debpipe && ./bootstrap && make demo' \
	>"$T_TMP/demo.out" 2>&1
st=$?
is "$st" 0 "as a user: ./bootstrap && make demo"
[ "$st" = 0 ] || tail -60 "$T_TMP/demo.out" | sed 's/^/#   /'
like "$(cat "$T_TMP/demo.out")" "bootstrap: not root: running (usermod|adduser|apt-get) through sudo" \
	"... bootstrap says it uses sudo"
like "$(cat "$T_TMP/demo.out")" "bootstrap: subordinate ids [0-9]+-[0-9]+ for $u" \
	"... and gives the user subordinate ids"
ok "... which are in /etc/subuid and /etc/subgid" \
	sh -c "grep -q '^$u:[0-9]*:65536\$' /etc/subuid && grep -q '^$u:[0-9]*:65536\$' /etc/subgid"
ok "... not overlapping another user's" sh -c "awk -F: '
	{ for (i = 1; i <= n; i++) if (\$2 < e[i] && s[i] < \$2 + \$3) bad = 1
	  n++; s[n] = \$2; e[n] = \$2 + \$3 }
	END { exit bad }' /etc/subuid"
like "$(cat "$T_TMP/demo.out")" "reusing .*debpipe-demo/bookworm-$arch.tar.zst" \
	"... the demo reuses the chroot of an earlier run"
like "$(cat "$T_TMP/demo.out")" "snapshot [0-9T]+Z is on prod" \
	"... a snapshot got to prod"
like "$(cat "$T_TMP/demo.out")" "Hello from debpipe \\(Example Org build\\)" \
	"... and the package installed from it runs"
is "$(find "$home/debpipe" ! -user "$u" | head -n 5)" "" \
	"... nothing in the tree is not the user's"
like "$(cat "$T_TMP/demo.out")" "Done in [0-9]+ s" "... to its end"

# 2. The README's second command (the test part of it bounded: CI runs the
# whole suite as root).
runuser -l "$u" -c "cd debpipe && ./bootstrap && make check TESTS='tests/unit/t-version tests/integration/snapshot-empty.sh tests/integration/cli.sh'" \
	>"$T_TMP/check.out" 2>&1
st=$?
is "$st" 0 "as a user: ./bootstrap && make check"
[ "$st" = 0 ] || tail -60 "$T_TMP/check.out" | sed 's/^/#   /'
like "$(cat "$T_TMP/check.out")" "^# FAIL: +0\$" "... with no failure"
is "$(find "$home/debpipe" ! -user "$u" | head -n 5)" "" \
	"... and the tree is still all the user's"

done_testing
