#!/usr/bin/env bash
# Take every measurement of docs/benchmarks.md, in the order it lists them.
#
# Usage: benches/reproduce.sh
#
# 1. The criterion benches of compile, kernels and bitmaps (single thread, in memory).
# 2. benches/measure.sh: `seg bench` over generated files of 1 M, 10 M and 20 M profiles.
# 3. benches/compare/run.sh: the same definitions with DuckDB and Polars on 10 M profiles,
#    including the 100-definition job, and the charts in docs/.
#
# Needs about 9 GB in bench-data/ and network access for the Python packages of step 3.
# Takes about 45 minutes on 2 cores, most of it in DuckDB's 100 queries.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
echo "== $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
mkdir -p bench-data
cargo bench -p seg-benches --bench compile --bench kernels --bench bitmap -- \
    --warm-up-time 1 --measurement-time 2 2>&1 | tee bench-data/criterion.txt
benches/measure.sh 1000000 10000000 20000000
benches/compare/run.sh 10000000 1
echo "== $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
