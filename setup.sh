#!/usr/bin/env bash
# setup.sh — install what tilec needs on Debian 12, build it, and run it.
#
#   ./setup.sh          install missing Debian packages, then build
#   ./setup.sh demo     ... and compile examples/gemm.tile, printing its Tile IR
#   ./setup.sh test     ... build with warnings as errors and run every test
#
# Packages are installed with apt-get only when missing (as root, or through
# sudo). The build goes to ./build (BUILD_DIR overrides it).
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential cmake ninja-build flex bison python3
          llvm-19-dev llvm-19-tools libcmocka-dev)
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

install_packages() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "setup: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

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
        echo "setup: $BUILD_DIR/tools/tilec examples/gemm.tile --emit=tile-ir"
        "$BUILD_DIR/tools/tilec" examples/gemm.tile --emit=tile-ir
        ;;
    test)
        install_packages
        build ON
        ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"
        ;;
    *)
        echo "usage: $0 [demo|test]" >&2
        exit 1
        ;;
esac
