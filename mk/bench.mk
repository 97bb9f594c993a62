# Benchmarks against aptly and reprepro (bench/README.md).  Run by hand:
# `make bench` (N = 1000 10000), `make bench BENCH_ARGS=--big`; never part
# of `make check`.
EXTRA_DIST += \
	bench/README.md \
	bench/gen-debs \
	bench/run \
	bench/report.py \
	bench/promoter-load \
	bench/promoter-load.lua \
	bench/objstore-bench

BENCH_ARGS =

.PHONY: bench
bench: all
	DEBPIPE='$(abs_top_builddir)/cli/debpipe' \
	    '$(abs_top_srcdir)/bench/run' $(BENCH_ARGS)
