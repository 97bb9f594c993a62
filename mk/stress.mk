# Reliability under load and faults (issue 16): concurrent writers,
# failing upstreams, the promoter under idle connections, full disks and
# kill -9 of every daemon.  STRESS_SECONDS sets the stress test's length
# (default 180), DAEMON_CRASH_KILLS the kill points of daemon-crash.sh
# (default 100); .ci/run gives the sanitizer pass short ones.
TESTS += \
	tests/integration/stress.sh \
	tests/integration/faults.sh \
	tests/integration/promote-idle.sh \
	tests/integration/diskfull.sh \
	tests/integration/daemon-crash.sh
EXTRA_DIST += \
	tests/integration/stress.sh \
	tests/integration/faults.sh \
	tests/integration/fault-server.py \
	tests/integration/promote-idle.sh \
	tests/integration/idle-conns.py \
	tests/integration/diskfull.sh \
	tests/integration/daemon-crash.sh
