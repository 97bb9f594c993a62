#!/bin/sh
# check-install.sh - the built-in installability check: dose-distcheck on
# each snapshot against a Build-Mirror background (a signed local apt
# repository on 127.0.0.1), run by debpipe-snapshotter in the background.
# A new version of alpha that drops the virtual package beta depends on
# fails the check, naming beta and alpha-virt, and staging (Requires: installability)
# stays where it is; a package broken before is reported, not blamed; a
# fix lets staging move; a mirror that is down gives `error`, retried; a
# hanging dose is stopped by Check-Timeout (a failure); unparsable dose
# output and a crashing dose are errors; the web interface links the log;
# a runner killed with -9 (and the snapshotter with it) leaves
# state.db and Public-Dir consistent and the check is run again.
# qa (Requires: autopkgtest) shows that a check with nothing to check
# (binary packages only: no changed source has tests) records neutral,
# shown as such everywhere, and that neutral satisfies the gate.
. "$top_srcdir/tests/integration/lib.sh" || exit 99
. "$top_srcdir/tests/integration/apt-lib.sh" || exit 99
. "$top_srcdir/tests/integration/check-lib.sh" || exit 99
need dose-distcheck dpkg-deb apt-ftparchive gpg python3 curl sqlite3

plan 65

up_key
ck_mirror "$T_TMP/mirror"
mport=$(http_serve "$T_TMP/mirror")
inst=$(ck_instance "http://127.0.0.1:$mport" "Check-Retry: 2s" "Check-Timeout: 20s")
conf=$inst/debpipe.conf
cat >>"$conf" <<'EOC'

Environment: qa
Promote-From: test
Requires: autopkgtest
EOC
pub=$inst/public
debs=$T_TMP/debs
url=$(sed -n 's/^Listen: /http:\/\//p' "$conf")
dp() { debpipe --config "$conf" "$@"; }
on() { [ "$(readlink "$pub/$1")" = "snapshots/$2" ]; }
snap() { dp snapshot now >/dev/null && ck_latest "$inst"; }

# A wrapper first in PATH lets the test make dose slow or broken.
bin=$T_TMP/bin
mkdir -p "$bin"
cat >"$bin/dose-distcheck" <<EOS
#!/bin/sh
mode=\$(cat "$T_TMP/dose-mode" 2>/dev/null)
case \$mode in
hang) exec sleep 600 ;;
crash) kill -SEGV \$\$ ;;
garbage)
	while [ \$# -gt 0 ]; do [ "\$1" = -o ] && out=\$2; shift; done
	printf 'report:\n - package: [unclosed\n   status: {\n' >"\$out"
	exit 1 ;;
slow) sleep 30 ;;
esac
exec /usr/bin/dose-distcheck "\$@"
EOS
chmod +x "$bin/dose-distcheck"
export PATH="$bin:$PATH"

ok "key init" dp key init
ok "add S1 packages" dp add \
	"$(make_deb "$debs" alpha 1.0 amd64 'Provides: alpha-virt')" \
	"$(make_deb "$debs" beta 1.0 all 'Depends: alpha-virt')" \
	"$(make_deb "$debs" user 1.0 amd64 'Depends: libbase (>= 1.0)')" \
	"$(make_deb "$debs" oldbroken 1.0 amd64 'Depends: nothere')" --dist bookworm
s1=$(snap)

debpipe-snapshotter --config "$conf" --foreground -v >"$T_TMP/snapshotter.log" 2>&1 &
spid=$!
t_bg $spid
debpipe-promoter --config "$conf" --foreground >"$T_TMP/promoter.log" 2>&1 &
t_bg $!
ok "installability of S1 recorded" ck_wait_result "$inst" "$s1" installability 60
is "$(ck_result "$inst" "$s1" installability)" failure \
	"S1 fails: the first snapshot's broken package is new"
log1=$inst/public/checks/$s1/installability.log
like "$(cat "$log1")" 'oldbroken 1.0 \(amd64\)' "its log names oldbroken"
like "$(cat "$log1")" 'missing nothere:amd64, needed by oldbroken 1.0' "and the missing dependency"
like "$(curl -fsS "$url/checks/$s1/installability.log" 2>/dev/null || cat "$log1")" 'NEWLY UNINSTALLABLE' \
	"the log is published under Public-Dir/checks"

ok "add gamma (S2)" dp add "$(make_deb "$debs" gamma 1.0 amd64 'Depends: user')" --dist bookworm
s2=$(snap)
ok "installability of S2 recorded" ck_wait_result "$inst" "$s2" installability 60
is "$(ck_result "$inst" "$s2" installability)" success \
	"S2 passes: oldbroken was broken before (not blamed again)"
log2=$inst/public/checks/$s2/installability.log
like "$(cat "$log2")" 'already uninstallable' "the log still reports oldbroken"
like "$(cat "$log2")" 'incremental since' "S2 was checked incrementally"
like "$(cat "$log2")" 'checking 1 ' "only gamma was checked"
ok "staging moves to S2" wait_for 20 on staging "$s2"
like "$(dp snapshot show "$s2")" 'installability +success .*checks/'"$s2"'/installability.log' \
	"snapshot show lists the result with its log URL"
like "$(curl -fsS "$url/api/v1/snapshots/$s2")" '"job": *"installability", *"result": *"success"' \
	"the API shows it"
like "$(curl -fsS "$url/ui/snapshots/$s2")" '<td>installability</td><td><span class="st success">success</span></td><td><a href="[^"]*/checks/'"$s2"'/installability\.log"' \
	"the web interface shows the job linking its log"
like "$(curl -fsS "$url/metrics")" 'debpipe_check_results_total\{job="installability",result="success"\} [1-9]' \
	"metrics count it"

# No changed source has tests (only binaries were added): autopkgtest is
# neutral, which lets qa (Requires: autopkgtest) take S1 although S1
# failed installability.
ok "autopkgtest of S2 recorded" ck_wait_result "$inst" "$s2" autopkgtest 60
is "$(ck_result "$inst" "$s1" autopkgtest) $(ck_result "$inst" "$s2" autopkgtest)" "neutral neutral" \
	"autopkgtest of S1 and S2 is neutral (no source with tests)"
like "$(sqlite3 "$inst/state/state.db" "SELECT message FROM checks WHERE snapshot = '$s2' AND job = 'autopkgtest'")" \
	'^neutral: no changed source has tests$' "check list's summary says why"
ok "qa takes S2 (neutral satisfies Requires: autopkgtest)" wait_for 20 on qa "$s2"
like "$(dp snapshot show "$s2")" 'autopkgtest +neutral .*checks/'"$s2"'/autopkgtest.log' \
	"snapshot show lists it as neutral"
like "$(curl -fsS "$url/api/v1/snapshots/$s2")" '"job": *"autopkgtest", *"result": *"neutral"' \
	"the API shows neutral"
like "$(curl -fsS "$url/ui/snapshots/$s2")" '<td>autopkgtest</td><td><span class="st neutral">neutral</span></td>' \
	"the web interface shows it as neutral"
like "$(curl -fsS "$url/metrics")" 'debpipe_check_results_total\{job="autopkgtest",result="neutral"\} [2-9]' \
	"check metrics count neutral"
like "$(curl -fsS "$url/metrics")" 'debpipe_results_total\{result="neutral"\} [2-9]' \
	"result metrics count neutral apart from success"
is "$(dp check run "$s2" autopkgtest; echo "exit $?")" "$s2 autopkgtest neutral
exit 0" "check run reports neutral as a pass (exit 0)"

# A new version of alpha drops the virtual package beta depends on.
ok "add alpha 2.0 without Provides: alpha-virt (S3)" dp add "$(make_deb "$debs" alpha 2.0 amd64)" --dist bookworm
s3=$(snap)
ok "installability of S3 recorded" ck_wait_result "$inst" "$s3" installability 60
is "$(ck_result "$inst" "$s3" installability)" failure "S3 fails"
log3=$inst/public/checks/$s3/installability.log
like "$(sed -n '/NEWLY/,/already/p' "$log3")" '  beta 1.0 \(all\)' "naming beta"
like "$(cat "$log3")" 'missing alpha-virt:amd64, needed by beta 1.0' "and the missing dependency alpha-virt"
unlike "$(sed -n '/NEWLY/,/already/p' "$log3")" 'oldbroken' "oldbroken is not blamed"
like "$(sqlite3 "$inst/state/state.db" "SELECT message FROM checks WHERE snapshot = '$s3' AND job = 'installability'")" \
	'1 newly uninstallable: beta' "check list's summary names beta"
sleep 3
ok "staging stays on S2" on staging "$s2"

ok "fix: beta 1.1 depends on alpha (S4)" dp add "$(make_deb "$debs" beta 1.1 all 'Depends: alpha (>= 2.0)')" --dist bookworm
s4=$(snap)
ok "installability of S4 recorded" ck_wait_result "$inst" "$s4" installability 60
is "$(ck_result "$inst" "$s4" installability)" success "S4 passes"
ok "staging moves to S4" wait_for 20 on staging "$s4"
like "$(cat "$T_TMP/http.$mport.log")" '" 304 ' "the background was fetched again conditionally (304)"

# Mirror down: error, gates like a failure, retried when it is back.
kill $(cat "$T_TMP/pids" | head -n 1)
ok "add delta (S5)" dp add "$(make_deb "$debs" delta 1.0 amd64)" --dist bookworm
s5=$(snap)
ok "installability of S5 recorded" ck_wait_result "$inst" "$s5" installability 60
is "$(ck_result "$inst" "$s5" installability)" error "mirror down: error"
like "$(cat "$inst/public/checks/$s5/installability.log")" 'could not run: .*127\.0\.0\.1' \
	"the log says why"
python3 -m http.server --bind 127.0.0.1 --directory "$T_TMP/mirror" "$mport" >"$T_TMP/http2.log" 2>&1 &
t_bg $!
ok "retried after Check-Retry: success" wait_for 60 sh -c \
	"[ \"\$(sqlite3 '$inst/state/state.db' \"SELECT result FROM results WHERE snapshot = '$s5' AND job = 'installability' ORDER BY id DESC LIMIT 1\")\" = success ]"
ok "staging moves to S5" wait_for 20 on staging "$s5"

# Unparsable dose output: error with the parser's reason.
echo garbage >"$T_TMP/dose-mode"
ok "add epsilon (S6)" dp add "$(make_deb "$debs" epsilon 1.0 amd64)" --dist bookworm
s6=$(snap)
ok "installability of S6 recorded" ck_wait_result "$inst" "$s6" installability 60
like "$(cat "$inst/public/checks/$s6/installability.log")" 'could not run: dose output line [0-9]+' \
	"unparsable output: error naming the line"

# A dose that crashes (SIGSEGV): error with the reason; staging stays.
echo crash >"$T_TMP/dose-mode"
ok "add theta (S6c)" dp add "$(make_deb "$debs" theta 1.0 amd64)" --dist bookworm
s6c=$(snap)
ok "installability of S6c recorded" ck_wait_result "$inst" "$s6c" installability 60
is "$(ck_result "$inst" "$s6c" installability)" error "a crashing dose: error"
like "$(cat "$inst/public/checks/$s6c/installability.log")" 'could not run: .*dose-distcheck.*(signal|status)' \
	"the log says dose-distcheck crashed"
ok "staging stays on S5" on staging "$s5"

# A hanging dose: stopped at Check-Timeout (20s), a failure with the reason.
echo hang >"$T_TMP/dose-mode"
ok "add eta (S6b)" dp add "$(make_deb "$debs" eta 1.0 amd64)" --dist bookworm
s6b=$(snap)
ok "installability of S6b recorded" ck_wait_result "$inst" "$s6b" installability 90
like "$(ck_result "$inst" "$s6b" installability) $(sqlite3 "$inst/state/state.db" "SELECT message FROM checks WHERE snapshot = '$s6b' AND job = 'installability'")" \
	'^failure stopped after Check-Timeout \(20 s\)' "a hanging check fails, saying why"

# A runner killed with -9, and the snapshotter with it.
echo slow >"$T_TMP/dose-mode"
ok "add zeta (S7)" dp add "$(make_deb "$debs" zeta 1.0 amd64)" --dist bookworm
s7=$(snap)
ok "the check of S7 runs" wait_for 30 sh -c "pgrep -f -- '--check $s7 installability' >/dev/null"
kill -9 $spid $(pgrep -f -- "--check $s7 installability")
pkill -9 -f -- "$bin/dose-distcheck" 2>/dev/null; sleep 1
is "$(sqlite3 "$inst/state/state.db" 'PRAGMA integrity_check')" ok "state.db is intact"
is "$(find "$pub/checks" -name '.tmp-*' | wc -l)" 0 "no half-written log in Public-Dir"
: >"$T_TMP/dose-mode"
debpipe-snapshotter --config "$conf" --foreground -v >"$T_TMP/snapshotter2.log" 2>&1 &
t_bg $!
ok "after a restart the check of S7 is run again" wait_for 60 sh -c \
	"[ \"\$(sqlite3 '$inst/state/state.db' \"SELECT result FROM results WHERE snapshot = '$s7' AND job = 'installability' ORDER BY id DESC LIMIT 1\")\" = success ]"
ok "after all that the next snapshot is checked normally: staging takes S7" \
	wait_for 30 on staging "$s7"
is "$(sqlite3 "$inst/state/state.db" 'PRAGMA integrity_check')" ok "state.db is still intact"

done_testing
