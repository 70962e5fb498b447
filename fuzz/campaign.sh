#!/usr/bin/env bash
# Fuzzes every target until each has used the given CPU time, across as many runs as it takes.
#
#   fuzz/campaign.sh [CPU_SECONDS_PER_TARGET] [WORKERS] [CHUNK_SECONDS]
#
# Defaults: 3600 CPU seconds per target, 2 workers, runs of 600 s. Each worker picks the
# target with the least CPU time so far that no other worker is running, fuzzes it for one
# run and adds the run's user and system time to fuzz/corpus/cpu-seconds.tsv. Each run is
# capped at the CPU time its target still needs, plus 5 s for start-up and the corpus merge. The
# corpus and the tally stay between calls, so a campaign can stop and go on later. Runs start with
# `nice -n 19`, so that builds and tests on the same machine keep their share of the cores.
#
# A run that finds a failing input stops its worker. Once the other workers are done, the
# campaign exits with the fuzzer's exit code. The input is in fuzz/artifacts/<target>.
set -euo pipefail
cd "$(dirname "$0")"

goal="${1:-3600}"
workers="${2:-2}"
chunk="${3:-600}"
targets=(parse roundtrip json bind differential)

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cargo +nightly fuzz build

mkdir -p corpus locks
tally=corpus/cpu-seconds.tsv
touch "$tally"

seeds() {
    case "$1" in
        parse | roundtrip) echo "seeds/parse seeds/profiles" ;;
        json) echo "seeds/json" ;;
        bind) echo "seeds/profiles seeds/parse" ;;
        differential) echo "seeds/profiles" ;;
    esac
}

# Prints the CPU seconds a target has used so far.
cpu_seconds_of() {
    awk -v target="$1" '$1 == target { sum += $2 } END { printf "%d\n", sum }' "$tally"
}

# Prints the targets below the goal, least fuzzed first.
targets_below_goal() {
    for target in "${targets[@]}"; do
        local seconds
        seconds="$(cpu_seconds_of "$target")"
        if [ "$seconds" -lt "$goal" ]; then
            echo "$seconds $target"
        fi
    done | sort -n | cut -d' ' -f2
}

worker() {
    local id="$1"
    while true; do
        local picked=""
        for target in $(targets_below_goal); do
            exec {lock}>"locks/$target"
            if flock -n "$lock"; then
                picked="$target"
                break
            fi
            exec {lock}>&-
        done
        if [ -z "$picked" ]; then
            [ -z "$(targets_below_goal)" ] && return 0
            sleep 30
            continue
        fi
        mkdir -p "corpus/$picked"
        local remaining run_seconds
        remaining=$((goal - $(cpu_seconds_of "$picked")))
        run_seconds=$((remaining + 5 < chunk ? remaining + 5 : chunk))
        local times
        times="$(mktemp)"
        local status=0
        # shellcheck disable=SC2046
        /usr/bin/time -f "%U %S" -o "$times" nice -n 19 \
            "target/x86_64-unknown-linux-gnu/release/$picked" "corpus/$picked" $(seeds "$picked") \
            -dict=dict/pql.dict -max_len=4096 -timeout=10 -rss_limit_mb=4096 \
            -max_total_time="$run_seconds" -print_final_stats=1 -artifact_prefix="artifacts/$picked/" \
            >"corpus/$picked.worker$id.log" 2>&1 || status=$?
        local cpu
        cpu="$(awk 'END { printf "%d\n", $1 + $2 }' "$times")"
        rm -f "$times"
        printf '%s\t%s\t%s\n' "$picked" "$cpu" "$(date -u +%FT%TZ)" >>"$tally"
        exec {lock}>&-
        echo "worker $id: $picked +${cpu} s CPU, $(cpu_seconds_of "$picked") s in all, exit $status"
        if [ "$status" -ne 0 ]; then
            echo "worker $id: $picked failed; see corpus/$picked.worker$id.log and artifacts/$picked" >&2
            return "$status"
        fi
    done
}

mkdir -p "${targets[@]/#/artifacts/}"
pids=()
for id in $(seq 1 "$workers"); do
    worker "$id" &
    pids+=("$!")
done
status=0
for pid in "${pids[@]}"; do
    wait "$pid" || status=$?
done

echo "CPU seconds and corpus entries per target:"
for target in "${targets[@]}"; do
    echo "  $target: $(cpu_seconds_of "$target") s, $(find "corpus/$target" -type f | wc -l) entries"
done
exit "$status"
