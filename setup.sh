#!/usr/bin/env bash
# setup.sh — install what tilec needs on Debian 12, build it, and run it.
#
#   ./setup.sh          install missing Debian packages, then build
#   ./setup.sh demo     ... and compile examples/gemm.tile for the CPU, run it on
#                           sizes that are not multiples of its tiles, and check
#                           the result against the reference interpreter
#   ./setup.sh test     ... build with warnings as errors and run every test
#   ./setup.sh sanitize ... build with AddressSanitizer + UndefinedBehaviorSanitizer
#                           (clang 14) into ./build-asan and run every test there
#   ./setup.sh fuzz [SECONDS]
#                       ... build the libFuzzer targets into ./build-fuzz and run
#                           each for SECONDS (default 60); fails on any crash,
#                           leak, sanitizer report or input slower than 1 s
#   ./setup.sh bench [ARGS] ... install OpenBLAS too, build, and run build/bench/bench_cpu
#                           ARGS (e.g. --quick): tilec's CPU GEMM and attention
#                           against OpenBLAS (docs/benchmarks.md)
#
# Packages are installed with apt-get only when missing (as root, or through
# sudo). The build goes to ./build (BUILD_DIR overrides it).
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential cmake ninja-build flex bison python3
          llvm-19-dev llvm-19-tools libcmocka-dev)
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

# Installs the packages named (default: PACKAGES) that are missing.
install_packages() {
    local want=("$@") missing=()
    [ $# -gt 0 ] || want=("${PACKAGES[@]}")
    for p in "${want[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "setup: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# clang 14 with its sanitizer and libFuzzer runtimes, for sanitize and fuzz.
SAN_PACKAGES=(clang-14 libclang-rt-14-dev)
# OpenBLAS and its cblas.h, for bench only.
BENCH_PACKAGES=(libopenblas-dev)
SAN_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

build() {
    echo "setup: building in $BUILD_DIR"
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTILEC_WERROR="$1" >/dev/null
    cmake --build "$BUILD_DIR" -j "$JOBS"
}

case "${1:-}" in
    "")
        install_packages
        build OFF
        ;;
    demo)
        install_packages
        build OFF
        # 1. the GEMM compiled for MUSA (S4000, mp_22): LLVM IR that MUSA's LLVM 14 reads
        echo "setup: $BUILD_DIR/tools/tilec examples/gemm.tile --target=musa --arch=mp_22 --emit=llvm -o $BUILD_DIR/gemm.mp_22.ll"
        "$BUILD_DIR/tools/tilec" examples/gemm.tile --target=musa --arch=mp_22 --emit=llvm -o "$BUILD_DIR/gemm.mp_22.ll"
        if [ -x /usr/lib/llvm-14/bin/llvm-as ]; then
            /usr/lib/llvm-14/bin/llvm-as -opaque-pointers "$BUILD_DIR/gemm.mp_22.ll" -o /dev/null
            echo "setup: LLVM 14's llvm-as parses and verifies $BUILD_DIR/gemm.mp_22.ll"
        fi
        # 2. the same MUSA lowering (warp size 128) run on the CPU by the sim target, checked
        echo "setup: $BUILD_DIR/tools/tilec run examples/gemm.tile --target=sim --arch=mp_22 --size M=1000,N=999,K=1001 --check"
        "$BUILD_DIR/tools/tilec" run examples/gemm.tile --target=sim --arch=mp_22 --size M=1000,N=999,K=1001 --check
        # 3. the GEMM compiled for the host CPU, checked and timed
        echo "setup: $BUILD_DIR/tools/tilec run examples/gemm.tile --size M=1000,N=999,K=1001 --check --bench"
        "$BUILD_DIR/tools/tilec" run examples/gemm.tile --size M=1000,N=999,K=1001 --check --bench
        ;;
    test)
        install_packages
        build ON
        ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"
        ;;
    sanitize)
        install_packages
        install_packages "${SAN_PACKAGES[@]}"
        # Warnings are errors with clang too.
        echo "setup: building with ASan + UBSan in build-asan"
        CC=clang-14 cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTILEC_WERROR=ON \
            -DCMAKE_C_FLAGS="$SAN_FLAGS" >/dev/null
        cmake --build build-asan -j "$JOBS"
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
            ctest --test-dir build-asan --output-on-failure -j "$JOBS"
        ;;
    fuzz)
        seconds=${2:-60}
        install_packages
        install_packages "${SAN_PACKAGES[@]}"
        echo "setup: building the fuzz targets in build-fuzz"
        CC=clang-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTILEC_FUZZ=ON \
            -DTILEC_TESTS=OFF >/dev/null
        cmake --build build-fuzz -j "$JOBS" --target fuzz_lexer_parser fuzz_frontend fuzz_ir_parser fuzz_pipeline
        exec tests/fuzz/run_fuzzers.sh build-fuzz "$seconds"
        ;;
    bench)
        shift
        install_packages
        install_packages "${BENCH_PACKAGES[@]}"
        build OFF
        exec "$BUILD_DIR/bench/bench_cpu" "$@"
        ;;
    *)
        echo "usage: $0 [demo|test|sanitize|fuzz [SECONDS]|bench [ARGS]]" >&2
        exit 1
        ;;
esac
