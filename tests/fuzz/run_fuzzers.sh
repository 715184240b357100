#!/usr/bin/env bash
# run_fuzzers.sh — runs every libFuzzer target of a TILEC_FUZZ build for a
# fixed time and fails on any crash, leak, sanitizer report, slow input
# (slower than 1 s in the run and in at least two of three replays alone)
# or out-of-memory (over 2 GiB).
#
#   tests/fuzz/run_fuzzers.sh BUILD_DIR [SECONDS]     (./setup.sh fuzz calls it)
#
# The corpus is made fresh in a temporary directory: examples/*.tile, every
# .tile and .tir under tests/lit, the Tile IR of the examples (from
# $TILEC, default build/tools/tilec, when it exists), the regressions, and
# 300 kernels from gen_kernels.py. Artifacts (crashing
# inputs) are kept under $FUZZ_ARTIFACTS (default: BUILD_DIR/fuzz-artifacts).
set -euo pipefail
cd "$(dirname "$0")/../.."

build=${1:?usage: run_fuzzers.sh BUILD_DIR [SECONDS]}
seconds=${2:-60}
fuzz=tests/fuzz
artifacts=${FUZZ_ARTIFACTS:-$build/fuzz-artifacts}
work=$(mktemp -d "${TMPDIR:-/tmp}/tilec-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts" "$work/tile" "$work/tir"

cp examples/*.tile "$work/tile/"
find tests/lit -name '*.tile' -not -path '*/Output/*' | while read -r f; do
    cp "$f" "$work/tile/lit_$(echo "$f" | tr '/' '_')"
done
find tests/lit -name '*.tir' -not -path '*/Output/*' | while read -r f; do
    cp "$f" "$work/tir/lit_$(echo "$f" | tr '/' '_')"
done
# The Tile IR of the examples, when a tilec is at hand ($TILEC, default build/tools/tilec).
tilec=${TILEC:-build/tools/tilec}
if [ -x "$tilec" ]; then
    for f in examples/*.tile; do
        "$tilec" "$f" --passes= -o "$work/tir/$(basename "$f" .tile).tir" || true
        # Memory IR (layouts, shared memory, MMA) for warps of 32 and 128
        for arch in sm_80 mp_22; do
            "$tilec" "$f" --target=sim --arch=$arch -o "$work/tir/$(basename "$f" .tile).$arch.tir" || true
        done
    done
fi
python3 "$fuzz/gen_kernels.py" "$work/tile" --count 300 --seed "${FUZZ_SEED:-1}"

failed=()
summary=()
# replay INPUT: runs target $t on INPUT alone three times under the 1 s limit;
# sets timeouts (how many timed out), other (how many ended in another
# error) and times (wall times).
replay() {
    timeouts=0 other=0 times=()
    for i in 1 2 3; do
        local rlog="$log.replay$i" t0 rs=0
        t0=$(date +%s%N)
        "$build/$fuzz/$t" -timeout=1 -rss_limit_mb=2048 "$1" >"$rlog" 2>&1 || rs=$?
        times+=("$((($(date +%s%N) - t0) / 1000000))ms")
        if [ "$rs" -ne 0 ]; then
            if grep -q "ERROR: libFuzzer: timeout" "$rlog"; then timeouts=$((timeouts + 1)); else other=$((other + 1)); fi
        fi
    done
}
for t in fuzz_lexer_parser fuzz_frontend fuzz_ir_parser fuzz_pipeline; do
    seeds="$work/tile"
    [ "$t" = fuzz_ir_parser ] && seeds="$work/tir"
    mkdir -p "$work/corpus-$t"
    log="$work/$t.log"
    echo "fuzz: $t for ${seconds}s"
    status=0
    regressions=()
    [ -d "$fuzz/regressions/$t" ] && regressions=("$fuzz/regressions/$t")
    # The run's own limit is 10 s, and every input slower than 1 s is written
    # out as a slow unit: a shared 2-core guest stalls for over a second at
    # times (docs/reliability.md), which under a 1 s limit ended whole runs
    # after a few thousand executions. Slow units and timeouts are then
    # replayed alone under the 1 s limit, three times: a slow input is slow
    # every time, so two timeouts fail the run, as does any other error.
    "$build/$fuzz/$t" -max_total_time="$seconds" -timeout=10 -report_slow_units=1 -rss_limit_mb=2048 -max_len=16384 \
        -dict="$fuzz/tile.dict" -print_final_stats=1 -artifact_prefix="$artifacts/$t-" \
        "$work/corpus-$t" "$seeds" "${regressions[@]}" >"$log" 2>&1 || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    timed_out=false
    if [ "$status" -ne 0 ] && grep -q "ERROR: libFuzzer: timeout" "$log" &&
        ! grep -q "ERROR: AddressSanitizer\|runtime error:\|ERROR: LeakSanitizer" "$log"; then
        timed_out=true
    fi
    slow_ok=()
    bad=false
    timeout_replayed=false
    while read -r unit; do
        [ -f "$unit" ] || continue
        case "$unit" in *timeout-*) timeout_replayed=true ;; esac
        replay "$unit"
        if [ "$timeouts" -ge 2 ] || [ "$other" -ne 0 ]; then
            bad=true
            for i in 1 2 3; do
                echo "fuzz: $t replay $i of $unit (wall ${times[$((i - 1))]}):"
                tail -n 30 "$log.replay$i"
            done
        else
            slow_ok+=("$(basename "$unit") (replays ${times[*]}, $timeouts timed out)")
        fi
    done < <(sed -n "s#^artifact_prefix=.*Test unit written to \(.*\(slow-unit\|timeout\)-.*\)\$#\1#p" "$log" | sort -u)
    note=""
    [ ${#slow_ok[@]} -ne 0 ] && note="; slower than 1 s in the run but not alone (machine stalls): ${slow_ok[*]}"
    # a timeout whose input was not written out cannot be replayed: it fails
    [ "$timed_out" = true ] && [ "$timeout_replayed" = false ] && timed_out=false
    if [ "$bad" = true ] || { [ "$status" -ne 0 ] && [ "$timed_out" = false ]; }; then
        tail -n 60 "$log"
        failed+=("$t")
        summary+=("$t: FAILED (exit $status) after ${execs:-?} executions; artifacts in $artifacts$note")
    elif [ "$status" -ne 0 ]; then
        summary+=("$t: stopped after ${execs:-?} executions by a timeout (over 10 s) that its replays did not reproduce$note")
    else
        summary+=("$t: ${seconds}s, ${execs:-?} executions, no failures$note")
    fi
done
echo "fuzz: summary"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz: FAILED: ${failed[*]}" >&2
    exit 1
fi
