#!/usr/bin/env bash
# Take the end-to-end measurements of docs/benchmarks.md with the release seg binary.
#
# Usage: benches/measure.sh [PROFILES...]   (default: 1000000 10000000 20000000)
#
# For each size, generates bench-data/profiles-<N>.parquet (seed 1) when missing, then runs
# `seg bench` on the representative definitions of benches/definitions as one job, an exact
# count of one attribute predicate, and the same count with every column decoded, which
# shows the peak memory of streaming the whole file. Files of at most 1,000,000 profiles
# also get each definition measured alone (--each). Every section starts with the load
# average, because the machine may be shared. Reports go to bench-data/measure-<N>.txt.
# Set SEG_BENCH_DATA to keep the data somewhere else.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data=${SEG_BENCH_DATA:-$root/bench-data}
sizes=("$@")
if [ ${#sizes[@]} -eq 0 ]; then
    sizes=(1000000 10000000 20000000)
fi
now=2025-01-01T00:00:00Z
mkdir -p "$data/one-attribute"
cp "$root/benches/definitions/points-over-50k.pql" "$data/one-attribute/"

cargo build --release --quiet -p seg-cli --manifest-path "$root/Cargo.toml"
seg=${CARGO_TARGET_DIR:-$root/target}/release/seg

load() {
    cut -d' ' -f1-3 /proc/loadavg
}

for profiles in "${sizes[@]}"; do
    file=$data/profiles-$profiles.parquet
    if [ ! -f "$file" ]; then
        "$seg" generate --profiles "$profiles" --seed 1 --out "$file"
    fi
    each=()
    if [ "$profiles" -le 1000000 ]; then
        each=(--each)
    fi
    report=$data/measure-$profiles.txt
    {
        echo "== $(date -u +%FT%TZ) $profiles profiles, $(stat -c %s "$file") bytes, load $(load)"
        "$seg" bench --profiles "$file" --definitions "$root/benches/definitions" --now "$now" --runs 3 "${each[@]}"
        echo "== load $(load): exact count of one attribute predicate"
        "$seg" bench --profiles "$file" --definitions "$data/one-attribute" --now "$now" --runs 5
        echo "== load $(load): the same with every column decoded"
        "$seg" bench --profiles "$file" --definitions "$data/one-attribute" --now "$now" --runs 1 --all-columns
        echo "== load $(load): done"
    } | tee "$report"
done
