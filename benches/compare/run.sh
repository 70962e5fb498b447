#!/usr/bin/env bash
# Compare seg with DuckDB and Polars on one generated profile file.
#
# Usage: benches/compare/run.sh [PROFILES] [RUNS] [OPTIONS...]
#   PROFILES  profiles to generate (default 1000000); the file is reused when it exists
#   RUNS      timed runs per definition (default 3)
#   OPTIONS   passed on to compare.py, such as --skip-hundred or --job-runs 3
#
# Builds the release seg binary, creates a Python virtual environment with duckdb, polars,
# pyarrow and matplotlib under bench-data/venv, generates bench-data/profiles-<PROFILES>.parquet
# with seed 1, checks that all engines find the same members, prints the time ratios, and
# writes the charts to docs/. Set SEG_BENCH_DATA to keep the data somewhere else.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
data=${SEG_BENCH_DATA:-$root/bench-data}
profiles=${1:-1000000}
runs=${2:-3}
mkdir -p "$data"

cargo build --release --quiet -p seg-cli --manifest-path "$root/Cargo.toml"
seg=${CARGO_TARGET_DIR:-$root/target}/release/seg

if [ ! -x "$data/venv/bin/python" ]; then
    python3 -m venv "$data/venv"
fi
"$data/venv/bin/pip" install --quiet duckdb polars pyarrow matplotlib

file=$data/profiles-$profiles.parquet
if [ ! -f "$file" ]; then
    "$seg" generate --profiles "$profiles" --seed 1 --out "$file"
fi

"$data/venv/bin/python" "$root/benches/compare/compare.py" \
    --seg "$seg" --profiles "$file" --definitions "$root/benches/definitions" \
    --data "$data" --runs "$runs" --charts "$root/docs" --title "$profiles profiles, $(nproc) cores" "${@:3}"
