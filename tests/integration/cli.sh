#!/bin/sh
# The debpipe command's front door: help, version, exit codes, status on a
# fresh instance, and clear errors for a broken configuration.
. "$top_srcdir/tests/integration/lib.sh"
plan 16

inst=$(make_instance)
conf=$inst/debpipe.conf

ok "--help exits 0" debpipe --help
like "$(last_output)" "snapshot" "--help lists the commands"
ok "--version exits 0" debpipe --version
like "$(last_output)" "^debpipe [0-9]" "--version prints the version"
exits 2 "no command is bad usage (2)" debpipe
exits 2 "unknown command is bad usage (2)" debpipe --config "$conf" frobnicate
like "$(last_output)" "^debpipe: unknown command 'frobnicate'" "error names the command"

ok "status works before anything ran" debpipe --config "$conf" status
like "$(last_output)" "no database yet" "status says nothing has run"
[ ! -e "$inst/state/state.db" ]; is $? 0 "status does not create the database"

ok "status --json" debpipe --config "$conf" status --json
cp "$T_TMP/last.out" "$T_TMP/status.json"
ok "status --json is valid JSON" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["database"] is False and d["environments"] == []' "$T_TMP/status.json"

# A broken configuration names file:line and changes nothing.
printf 'State-Dir: %s\nFrobnicate: yes\n' "$inst/state" >"$inst/bad.conf"
exits 1 "unknown field is refused (1)" debpipe --config "$inst/bad.conf" status
like "$(last_output)" "bad.conf:2:" "the error names file:line"

DEBPIPE_CONFIG=$conf; export DEBPIPE_CONFIG
ok "DEBPIPE_CONFIG selects the configuration" debpipe status
unset DEBPIPE_CONFIG

exits 1 "a missing configuration file is an error" debpipe --config "$inst/nope.conf" status
done_testing
