# Reliability under load and faults (issue 16): concurrent writers,
# failing upstreams, the promoter under idle connections, full disks and
# kill -9 of every daemon.  STRESS_SECONDS sets the stress test's length
# (default 180; .ci/run gives the sanitizer pass a short one).
TESTS += \
	tests/integration/stress.sh \
	tests/integration/faults.sh \
	tests/integration/promote-idle.sh
EXTRA_DIST += \
	tests/integration/stress.sh \
	tests/integration/faults.sh \
	tests/integration/fault-server.py \
	tests/integration/promote-idle.sh \
	tests/integration/idle-conns.py
