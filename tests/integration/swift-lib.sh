# tests/integration/swift-lib.sh - a real single-node OpenStack Swift on
# 127.0.0.1 (Debian's swift-proxy, -account, -container, -object servers
# with tempauth and s3api, plus memcached), speaking both the Swift and the
# S3 API.  Source it after lib.sh:
#
#   swift_start                 # sets SWIFT_URL, SWIFT_AUTH, S3_URL, ...
#   swift_container NAME        # a container readable without a token
#   swift_requests              # requests the proxy answered so far
#   swift_stop / swift_start    # stop and start again (same data)
#
# Rings have one replica and one device each; the device is a directory
# under $T_TMP (its file system must take user xattrs, as ext4 does).
# Each server logs to a UDP listener (no syslog needed): the proxy's
# access lines land in $SWIFT_DIR/proxy.log, one per request.
#
# swift reads /etc/swift/swift.conf (hash prefix and suffix, storage
# policy 0) from that fixed path: the file Debian's swift package installs
# is used as it is (./bootstrap installs the package, for root in CI and
# for a normal user after `sudo ./bootstrap`); nothing here writes to /etc.

SWIFT_PY=/usr/bin/python3

swift_need() {
	need memcached swift-ring-builder swift-proxy-server swift-object-server \
		swift-container-server swift-account-server setfattr swift s3cmd
	if [ ! -r /etc/swift/swift.conf ]; then
		[ -n "${CI:-}" ] && bail "/etc/swift/swift.conf is missing (install the swift package: ./bootstrap)"
		echo "1..0 # SKIP /etc/swift/swift.conf missing"
		exit 0
	fi
}

# The UDP log listener: one line per datagram into FILE.
swift_udp_log() {
	$SWIFT_PY - "$1" "$2" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
f = open(sys.argv[2], "a", buffering=1)
while True:
    d = s.recv(65536).decode("utf-8", "replace").rstrip("\n")
    f.write(d + "\n")
EOF
	t_bg $!
}

swift_setup() {
	SWIFT_DIR=$T_TMP/swift
	mkdir -p "$SWIFT_DIR/node/d1" "$SWIFT_DIR/run" "$SWIFT_DIR/cache"
	: >"$SWIFT_DIR/node/d1/.xattr-check"
	setfattr -n user.debpipe -v 1 "$SWIFT_DIR/node/d1/.xattr-check" 2>/dev/null ||
		bail "$SWIFT_DIR: the file system has no user xattrs (swift needs them): set TMPDIR to an ext4/xfs directory"
	SWIFT_PROXY_PORT=$(free_port)
	SWIFT_ACCOUNT_PORT=$(free_port)
	SWIFT_CONTAINER_PORT=$(free_port)
	SWIFT_OBJECT_PORT=$(free_port)
	SWIFT_MEMCACHE_PORT=$(free_port)
	SWIFT_LOG_PORT=$(free_port)
	SWIFT_USER=$(id -un)
	# One python for the three rings (swift-ring-builder thrice costs
	# nine interpreter starts).
	$SWIFT_PY - "$SWIFT_DIR" $SWIFT_ACCOUNT_PORT $SWIFT_CONTAINER_PORT \
	    $SWIFT_OBJECT_PORT <<'EOF' >"$SWIFT_DIR/rings.log" 2>&1 ||
import sys
from swift.common.ring import RingBuilder
d = sys.argv[1]
for name, port in zip(("account", "container", "object"), sys.argv[2:]):
    b = RingBuilder(10, 1, 1)
    b.add_dev({"region": 1, "zone": 1, "ip": "127.0.0.1", "port": int(port),
               "device": "d1", "weight": 1})
    b.rebalance()
    b.get_ring().save("%s/%s.ring.gz" % (d, name))
EOF
		bail "making the swift rings failed (see $SWIFT_DIR/rings.log)"
	common="[DEFAULT]
bind_ip = 127.0.0.1
user = $SWIFT_USER
swift_dir = $SWIFT_DIR
devices = $SWIFT_DIR/node
mount_check = false
# One process (no forked worker): killed, nothing survives the test.
workers = 0
log_udp_host = 127.0.0.1
log_udp_port = $SWIFT_LOG_PORT
log_level = INFO
"
	for r in account container object; do
		eval port=\$SWIFT_$(echo $r | tr a-z A-Z)_PORT
		cat >"$SWIFT_DIR/$r-server.conf" <<EOF
${common}bind_port = $port
log_name = $r

[pipeline:main]
pipeline = $r-server

[app:$r-server]
use = egg:swift#$r

[$r-replicator]
[$r-auditor]
[$r-updater]
EOF
	done
	cat >"$SWIFT_DIR/proxy-server.conf" <<EOF
${common}bind_port = $SWIFT_PROXY_PORT
log_name = proxy

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl s3api tempauth copy slo dlo versioned_writes proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin
user_test_reader = reading
token_life = 86400

[filter:s3api]
use = egg:swift#s3api
location = us-east-1
storage_domain =
s3_acl = false
check_bucket_owner = false

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$SWIFT_MEMCACHE_PORT
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:tempurl]
use = egg:swift#tempurl
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
EOF
	: >"$SWIFT_DIR/proxy.log"
	: >"$SWIFT_DIR/servers.log"
	swift_udp_log "$SWIFT_LOG_PORT" "$SWIFT_DIR/swift.log"
	memcached -l 127.0.0.1 -p "$SWIFT_MEMCACHE_PORT" -U 0 -u "$SWIFT_USER" \
		>"$SWIFT_DIR/memcached.log" 2>&1 &
	t_bg $!
	SWIFT_URL=http://127.0.0.1:$SWIFT_PROXY_PORT
	SWIFT_AUTH=$SWIFT_URL/auth/v1.0
	S3_URL=$SWIFT_URL
	SWIFT_PUBLIC=$SWIFT_URL/v1/AUTH_test
	export SWIFT_DIR SWIFT_URL SWIFT_AUTH S3_URL SWIFT_PUBLIC
}

# Start (the first call also makes the rings and configuration).
swift_start() {
	[ -n "${SWIFT_DIR:-}" ] || swift_setup
	SWIFT_SERVER_PIDS=
	for r in account container object proxy; do
		$SWIFT_PY /usr/bin/swift-$r-server "$SWIFT_DIR/$r-server.conf" \
			>>"$SWIFT_DIR/servers.log" 2>&1 &
		t_bg $!
		SWIFT_SERVER_PIDS="$SWIFT_SERVER_PIDS $!"
		[ $r = proxy ] && SWIFT_PROXY_PID=$!
	done
	wait_for 90 curl -fsS -o /dev/null "$SWIFT_URL/healthcheck" ||
		bail "swift proxy did not start (see $SWIFT_DIR/servers.log)"
	wait_for 90 swift_cmd stat ||
		bail "swift does not answer authenticated requests (see $SWIFT_DIR/servers.log)"
}

swift_stop() {
	for p in $SWIFT_SERVER_PIDS; do kill "$p" 2>/dev/null; done
	for p in $SWIFT_SERVER_PIDS; do
		for i in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.2
		done
		kill -9 "$p" 2>/dev/null
	done
	SWIFT_SERVER_PIDS=
}

# Only the proxy (the storage servers stay): "the service went away".
swift_stop_proxy() {
	kill "$SWIFT_PROXY_PID" 2>/dev/null
	wait_for 5 sh -c "! kill -0 $SWIFT_PROXY_PID 2>/dev/null"
}
swift_start_proxy() {
	$SWIFT_PY /usr/bin/swift-proxy-server "$SWIFT_DIR/proxy-server.conf" \
		>>"$SWIFT_DIR/servers.log" 2>&1 &
	t_bg $!
	SWIFT_PROXY_PID=$!
	SWIFT_SERVER_PIDS="$SWIFT_SERVER_PIDS $!"
	wait_for 30 curl -fsS -o /dev/null "$SWIFT_URL/healthcheck"
}

# swift_cmd ARGS: python3-swiftclient as test:tester.
swift_cmd() {
	$SWIFT_PY /usr/bin/swift -q -A "$SWIFT_AUTH" -U test:tester -K testing "$@"
}

# swift_container NAME: create a container that apt can read without a
# token ($SWIFT_PUBLIC/NAME/...).
swift_container() {
	swift_cmd post -r '.r:*,.rlistings' "$1"
}

# s3cmd against the same Swift (S3 API, test:tester / testing).
s3_cmd() {
	cat >"$SWIFT_DIR/s3cfg" <<EOF
[default]
access_key = test:tester
secret_key = testing
host_base = 127.0.0.1:$SWIFT_PROXY_PORT
host_bucket = 127.0.0.1:$SWIFT_PROXY_PORT
use_https = False
signature_v2 = False
bucket_location = us-east-1
EOF
	s3cmd -q -c "$SWIFT_DIR/s3cfg" "$@"
}

# Requests the proxy answered (its access lines), all or of one method:
# swift_requests [METHOD].  swift_log_mark / swift_requests_since MARK
# [METHOD] count only what came after a mark.
swift_access() {
	awk -v m="${1:-}" '$1 ~ /^<[0-9]+>proxy:$/ && $7 ~ /^HTTP\// &&
		$6 !~ /^\/healthcheck/ && (m == "" || $5 == m) { n++ }
		END { print n + 0 }'
}
swift_requests() { sleep 0.3; swift_access "${1:-}" <"$SWIFT_DIR/swift.log"; }
swift_log_mark() { sleep 0.3; wc -l <"$SWIFT_DIR/swift.log"; }
swift_requests_since() {
	sleep 0.3
	tail -n +$(($1 + 1)) "$SWIFT_DIR/swift.log" | swift_access "${2:-}"
}
