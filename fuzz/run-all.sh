#!/usr/bin/env bash
# Runs every fuzz target in turn for the given number of seconds each (default 600).
#
#   fuzz/run-all.sh [SECONDS] [JOBS]
#
# Installs cargo-fuzz if it is missing. Needs the nightly toolchain (`rustup toolchain list`).
# New corpus entries go to fuzz/corpus/<target>, and failing inputs to fuzz/artifacts/<target>.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-600}"
jobs="${2:-1}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

run() {
    local target="$1"
    shift
    mkdir -p "corpus/$target"
    echo "== $target: ${seconds} s on $jobs job(s)"
    cargo +nightly fuzz run "$target" "corpus/$target" "$@" -- \
        -dict=dict/pql.dict -max_len=4096 -timeout=10 -rss_limit_mb=4096 \
        -max_total_time="$seconds" -print_final_stats=1 "${parallel[@]}"
}

parallel=()
if [ "$jobs" -gt 1 ]; then
    parallel=(-fork="$jobs")
fi

run parse seeds/parse seeds/profiles
run roundtrip seeds/parse seeds/profiles
run json seeds/json
run bind seeds/profiles seeds/parse
run differential seeds/profiles
