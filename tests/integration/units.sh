#!/bin/bash
# units.sh - the systemd units of etc/systemd, as far as a machine where
# systemd is not PID 1 allows: systemd-analyze verify finds every
# directive known and valid (ExecStart pointed at this build), the
# offline security review gives each unit its expected exposure, and the
# two daemons that make user namespaces (the builder: sbuild, mmdebstrap;
# the snapshotter: autopkgtest-virt-unshare testbeds) are allowed what
# newuidmap/newgidmap need: run as the unit would run it (its user, its
# no_new_privs setting and capability bounding set, through setpriv),
# `unshare --user --map-auto` works; with no_new_privs it does not (the
# check can fail), which is what the promoter's unit gets.
. "$top_srcdir/tests/integration/lib.sh" || exit 99
need systemd-analyze setpriv unshare newuidmap

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root to run commands as the debpipe user with setpriv"
	exit 0
fi
id debpipe >/dev/null 2>&1 || { echo "1..0 # SKIP no debpipe user (./bootstrap makes it)"; exit 0; }
grep -q '^debpipe:' /etc/subuid || { echo "1..0 # SKIP debpipe has no subordinate ids"; exit 0; }

plan 16

units=$top_srcdir/etc/systemd
d=$T_TMP/units
mkdir -p "$d"
for u in builder snapshotter promoter; do
	# The unit as installed, with its ExecStart at this build's program
	# (verify checks that it is executable) and no Documentation=
	# (verify runs man for each; the pages are not installed here).
	sed -e "s|/usr/sbin/debpipe-$u|$top_builddir/$u/debpipe-$u|" -e '/^Documentation=/d' \
		"$units/debpipe-$u.service" >"$d/debpipe-$u.service"
	out=$(cd "$d" && systemd-analyze verify "debpipe-$u.service" 2>&1)
	t_result $([ -z "$out" ]; echo $?) "debpipe-$u.service: systemd-analyze verify finds nothing${out:+ ($(echo "$out" | head -n 3 | tr '\n' ' '))}"
done

# exposure UNIT: the overall exposure of the offline security review.
exposure() {
	(cd "$d" && systemd-analyze security --offline=yes "debpipe-$1.service" 2>&1) |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
for u in promoter:2.5 snapshotter:7.5 builder:7.5; do
	n=${u%%:*} max=${u#*:}
	e=$(exposure "$n")
	t_result $(awk -v e="$e" -v m="$max" 'BEGIN { exit !(e != "" && e + 0 <= m + 0) }'; echo $?) \
		"debpipe-$n.service: exposure $e (at most $max)"
done

# prop UNIT KEY: the value the unit gives KEY (last one wins, as systemd reads it).
prop() { sed -n "s/^$2=//p" "$units/debpipe-$1.service" | tail -n 1; }
# as_unit UNIT CMD...: CMD as the unit's user with its no_new_privs and
# capability bounding set.
as_unit() {
	u=$1; shift
	args=(--reuid=debpipe --regid=debpipe --init-groups)
	case "$(prop "$u" NoNewPrivileges)" in yes|true|1|on) args+=(--no-new-privs) ;; esac
	# Options that imply NoNewPrivileges for a unit with User=
	# (systemd.exec(5)).
	for k in SystemCallFilter SystemCallArchitectures RestrictAddressFamilies \
	    RestrictNamespaces PrivateDevices ProtectKernelTunables ProtectKernelModules \
	    ProtectKernelLogs ProtectClock MemoryDenyWriteExecute RestrictRealtime \
	    RestrictSUIDSGID LockPersonality ProtectHostname; do
		v=$(prop "$u" $k)
		case "$v" in ""|no|false|0|off) ;; *) args+=(--no-new-privs); break ;; esac
	done
	bs=$(prop "$u" CapabilityBoundingSet | tr 'A-Z' 'a-z' | sed 's/cap_//g')
	caps=-all
	for c in $bs; do caps="$caps,+$c"; done
	args+=(--bounding-set="$caps")
	(cd / && setpriv "${args[@]}" "$@")
}
userns() { as_unit "$1" unshare --user --map-auto --map-root-user sh -c '[ "$(id -u)" = 0 ]'; }
for u in builder snapshotter; do
	ok "debpipe-$u.service: the daemon can make a user namespace with its subordinate ids" userns $u
	is "$(prop $u RestrictNamespaces)" "" "debpipe-$u.service: no RestrictNamespaces (sbuild, mmdebstrap, autopkgtest-virt-unshare need them)"
done
ok "debpipe-promoter.service: it cannot (no_new_privs: newuidmap gains nothing)" sh -c '! userns promoter 2>/dev/null'
ok "with CAP_SETUID and CAP_SETGID alone in the bounding set it fails (newuidmap needs the four)" \
	sh -c "! (cd / && setpriv --reuid=debpipe --regid=debpipe --init-groups --bounding-set=-all,+setuid,+setgid unshare --user --map-auto --map-root-user true 2>/dev/null)"
ok "the same command with no_new_privs fails (the check can fail)" \
	sh -c "! (cd / && setpriv --reuid=debpipe --regid=debpipe --init-groups --no-new-privs unshare --user --map-auto --map-root-user true 2>/dev/null)"
is "$(prop promoter NoNewPrivileges) $(prop promoter RestrictNamespaces)" "yes yes" \
	"debpipe-promoter.service keeps NoNewPrivileges and RestrictNamespaces"
is "$(prop builder User) $(prop snapshotter User) $(prop promoter User)" "debpipe debpipe debpipe" \
	"all three run as debpipe"
is "$(prop builder ProtectSystem) $(prop snapshotter ProtectSystem) $(prop promoter ProtectSystem)" "strict strict strict" \
	"all three with ProtectSystem=strict"
done_testing
