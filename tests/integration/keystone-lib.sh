# tests/integration/keystone-lib.sh - OpenStack Keystone v3 on 127.0.0.1
# (Debian's python3-keystone, sqlite, fernet tokens) in front of the test
# Swift: a second Swift proxy whose pipeline has keystonemiddleware's
# authtoken and swift's keystoneauth instead of tempauth, on its own port,
# with the same rings, storage servers and memcached.  Source it after
# lib.sh and swift-lib.sh:
#
#   keystone_need             # SKIP (bail in CI) without the packages
#   swift_start               # swift-lib.sh: the storage servers
#   keystone_start            # sets KS_URL, KS_SWIFT_URL, KS_PUBLIC, ...
#   ks_container NAME         # a container readable without a token
#   ks_requests [METHOD]      # requests the Keystone proxy answered
#
# Keystone's catalog has one object-store service whose public endpoint
# in region RegionOne is the Keystone proxy (.../v1/AUTH_$(project_id)s).
# User $KS_USER (password $KS_PASSWORD) has role swiftoperator on project
# $KS_PROJECT in domain Default; admin/$KS_ADMIN_PASSWORD is Keystone's
# bootstrap admin, whom the proxy's authtoken filter also uses to
# validate tokens.  Everything lives under $T_TMP/keystone and is killed
# at exit (t_bg).

KS_PY=/usr/bin/python3

keystone_need() {
	for m in keystone keystonemiddleware; do
		$KS_PY -c "import $m" 2>/dev/null && continue
		[ -n "${CI:-}" ] && bail "python3 module $m is missing (./bootstrap installs python3-keystone and python3-keystonemiddleware)"
		echo "1..0 # SKIP python3 module $m missing (apt-get install python3-keystone python3-keystonemiddleware)"
		exit 0
	done
}

# keystone-manage db_sync, fernet_setup, credential_setup and bootstrap
# in one interpreter (four keystone-manage runs cost four imports of
# keystone: ~20 s here instead of ~5 s).
keystone_manage() {
	$KS_PY - "$KS_DIR/keystone.conf" "$(id -un)" "$(id -gn)" "$KS_DIR/keystone.db" \
	    --bootstrap-username admin \
	    --bootstrap-password "$KS_ADMIN_PASSWORD" \
	    --bootstrap-project-name admin --bootstrap-role-name admin \
	    --bootstrap-service-name keystone --bootstrap-region-id RegionOne \
	    --bootstrap-public-url "$KS_URL" <<'EOF'
import sys
from keystone.cmd import cli
from oslo_config import cfg
conf, user, group, db = sys.argv[1:5]
for cmd in (["db_sync"],
            ["fernet_setup", "--keystone-user", user, "--keystone-group", group],
            ["credential_setup", "--keystone-user", user, "--keystone-group", group],
            ["bootstrap"] + sys.argv[5:]):
    cli.main(argv=["keystone-manage", "--config-file", conf] + cmd)
    cfg.CONF.reset()
    cfg.CONF.clear()
# Write-ahead logging: a connection keystone leaves in a read transaction
# no longer blocks the next write ("database is locked" after 5 s).
import sqlite3
sqlite3.connect(db).execute("PRAGMA journal_mode=WAL").fetchall()
EOF
}

# The object-store service and endpoint, project $KS_PROJECT, user
# $KS_USER with role swiftoperator on it, through Keystone's API as admin.
# Prints the project's id.
keystone_populate() {
	$KS_PY - "$KS_URL" "$KS_ADMIN_PASSWORD" "$KS_SWIFT_URL" "$KS_PROJECT" \
	    "$KS_USER" "$KS_PASSWORD" <<'EOF'
import json, sys, urllib.request
url, admin_pw, swift, project, user, pw = sys.argv[1:]
def call(method, path, body, token=None):
    req = urllib.request.Request(url + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"})
    if token:
        req.add_header("X-Auth-Token", token)
    with urllib.request.urlopen(req) as r:
        return r.headers, (json.loads(r.read() or b"null"))
dom = {"id": "default"}
h, _ = call("POST", "/auth/tokens", {"auth": {
    "identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": dom, "password": admin_pw}}},
    "scope": {"project": {"name": "admin", "domain": dom}}}})
tok = h["X-Subject-Token"]
_, s = call("POST", "/services", {"service": {"type": "object-store",
                                              "name": "swift"}}, tok)
call("POST", "/endpoints", {"endpoint": {
    "service_id": s["service"]["id"], "interface": "public",
    "region_id": "RegionOne",
    "url": swift + "/v1/AUTH_$(project_id)s"}}, tok)
_, p = call("POST", "/projects", {"project": {"name": project,
                                              "domain_id": "default"}}, tok)
_, u = call("POST", "/users", {"user": {"name": user, "password": pw,
                                        "domain_id": "default"}}, tok)
_, r = call("POST", "/roles", {"role": {"name": "swiftoperator"}}, tok)
call("PUT", "/projects/%s/users/%s/roles/%s" % (
    p["project"]["id"], u["user"]["id"], r["role"]["id"]), None, tok)
print(p["project"]["id"])
EOF
}

keystone_setup() {
	KS_DIR=$T_TMP/keystone
	mkdir -p "$KS_DIR"
	KS_PORT=$(free_port)
	KS_PROXY_PORT=$(free_port)
	KS_LOG_PORT=$(free_port)
	KS_URL=http://127.0.0.1:$KS_PORT/v3
	KS_SWIFT_URL=http://127.0.0.1:$KS_PROXY_PORT
	KS_ADMIN_PASSWORD=admin-$$-secret
	KS_PROJECT=apt
	KS_USER=debpipe
	KS_PASSWORD=debpipe-$$-secret
	cat >"$KS_DIR/keystone.conf" <<EOF
[DEFAULT]
log_file = $KS_DIR/keystone-server.log
[database]
connection = sqlite:///$KS_DIR/keystone.db
[token]
provider = fernet
expiration = 86400
[fernet_tokens]
key_repository = $KS_DIR/fernet-keys
[fernet_receipts]
key_repository = $KS_DIR/fernet-keys
[credential]
key_repository = $KS_DIR/credential-keys
[cache]
enabled = false
EOF
	# The Keystone proxy: swift-lib's [DEFAULT] and filters, its own
	# port and log listener, authtoken and keystoneauth for tempauth
	# (no s3api: S3 with Keystone needs s3token, not tested here).
	sed -n '/^\[DEFAULT\]/,/^\[pipeline:main\]/p' "$SWIFT_DIR/proxy-server.conf" |
	    sed -e '$d' -e "s/^bind_port = .*/bind_port = $KS_PROXY_PORT/" \
	    -e "s/^log_udp_port = .*/log_udp_port = $KS_LOG_PORT/" \
	    >"$KS_DIR/proxy-server.conf"
	cat >>"$KS_DIR/proxy-server.conf" <<EOF
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl authtoken keystoneauth copy slo dlo versioned_writes proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
www_authenticate_uri = $KS_URL
auth_url = $KS_URL
auth_type = password
username = admin
password = $KS_ADMIN_PASSWORD
project_name = admin
user_domain_id = default
project_domain_id = default
# Anonymous requests go on to keystoneauth (container read ACLs).
delay_auth_decision = true
include_service_catalog = false
# Keystone's bootstrap made only a public identity endpoint.
interface = public
cache = swift.cache

[filter:keystoneauth]
use = egg:swift#keystoneauth
operator_roles = admin, swiftoperator
EOF
	sed -n '/^\[filter:catch_errors\]/,$p' "$SWIFT_DIR/proxy-server.conf" \
	    >>"$KS_DIR/proxy-server.conf"
	cat >"$KS_DIR/serve.py" <<'EOF'
import sys
from wsgiref.simple_server import make_server, WSGIServer, WSGIRequestHandler

class Server(WSGIServer):
    request_queue_size = 128	# debpipe's Publish-Jobs connections at once

class Handler(WSGIRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("%s\n" % (fmt % args))
        sys.stderr.flush()

port = int(sys.argv[1])
sys.argv[1:] = []	# keystone parses the command line
from keystone.server.wsgi import initialize_public_application
app = initialize_public_application()
make_server("127.0.0.1", port, app, Server, Handler).serve_forever()
EOF
	: >"$KS_DIR/proxy.log"
	swift_udp_log "$KS_LOG_PORT" "$KS_DIR/proxy.log"
	KS_PUBLIC=
	export KS_DIR KS_URL KS_SWIFT_URL KS_PROJECT KS_USER KS_PASSWORD
}

# Set up and start Keystone, then the Keystone proxy (swift_start first).
keystone_start() {
	[ -n "${SWIFT_DIR:-}" ] || bail "keystone_start: swift_start first"
	keystone_setup
	keystone_manage >"$KS_DIR/manage.log" 2>&1 ||
		bail "keystone-manage failed (see $KS_DIR/manage.log)"
	OS_KEYSTONE_CONFIG_DIR=$KS_DIR $KS_PY "$KS_DIR/serve.py" "$KS_PORT" \
		>"$KS_DIR/keystone.log" 2>&1 &
	t_bg $!
	wait_for 90 curl -fsS -o /dev/null "$KS_URL" ||
		bail "keystone did not start (see $KS_DIR/keystone.log, keystone-server.log)"
	KS_PROJECT_ID=$(keystone_populate 2>"$KS_DIR/populate.log") ||
		bail "making the Keystone project, user and catalog failed (see $KS_DIR/populate.log)"
	KS_PUBLIC=$KS_SWIFT_URL/v1/AUTH_$KS_PROJECT_ID
	export KS_PROJECT_ID KS_PUBLIC
	$SWIFT_PY /usr/bin/swift-proxy-server "$KS_DIR/proxy-server.conf" \
		>"$KS_DIR/proxy-server.log" 2>&1 &
	t_bg $!
	wait_for 90 curl -fsS -o /dev/null "$KS_SWIFT_URL/healthcheck" ||
		bail "the Keystone swift proxy did not start (see $KS_DIR/proxy-server.log)"
}

# ks_token [USER PASSWORD]: a project-scoped token for $KS_USER on
# $KS_PROJECT (prints it).
ks_token() {
	curl -fsS -D - -o /dev/null -H 'Content-Type: application/json' \
	    -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"${1:-$KS_USER}\",\"domain\":{\"id\":\"default\"},\"password\":\"${2:-$KS_PASSWORD}\"}}},\"scope\":{\"project\":{\"name\":\"$KS_PROJECT\",\"domain\":{\"id\":\"default\"}}}}}" \
	    "$KS_URL/auth/tokens" | tr -d '\r' | sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: //p'
}

# ks_container NAME: create container NAME in $KS_PROJECT's account,
# readable without a token ($KS_PUBLIC/NAME/...), as $KS_USER.
ks_container() {
	kc_tok=$(ks_token) && [ -n "$kc_tok" ] || return 1
	curl -fsS -o /dev/null -X PUT -H "X-Auth-Token: $kc_tok" \
	    -H 'X-Container-Read: .r:*,.rlistings' "$KS_PUBLIC/$1"
}

# Requests the Keystone proxy answered (as swift_requests counts them).
ks_requests() { sleep 0.3; swift_access "${1:-}" <"$KS_DIR/proxy.log"; }
ks_log_mark() { sleep 0.3; wc -l <"$KS_DIR/proxy.log"; }
ks_requests_since() {
	sleep 0.3
	tail -n +$(($1 + 1)) "$KS_DIR/proxy.log" | swift_access "${2:-}"
}
