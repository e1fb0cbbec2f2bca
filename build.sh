#!/usr/bin/env bash
# Thin build wrapper for tallyd. Installs the Debian 12 packages each step needs (as root),
# configures with CMake, builds with Ninja.
#   ./build.sh run [--option value ...]   build (Release) and run tallyd with conf/tally.conf
#   ./build.sh test                       build and run every test (ctest)
#   ./build.sh package                    build the Debian package (build-package/*.deb)
#   ./build.sh bench [compare|scale|sustained|micro]  build (Release) and run a benchmark
#                                         (bench/README.md)
set -euo pipefail
cd "$(dirname "$0")"

BUILD_PKGS="cmake ninja-build g++ pkg-config libasio-dev librocksdb-dev libspdlog-dev libgtest-dev \
  libabsl-dev libhttp-parser-dev nlohmann-json3-dev libsystemd-dev liblua5.1-0-dev lua-cjson-dev \
  lua-bitop-dev libssl-dev libjemalloc-dev"
# CPack's DEB generator computes dependencies with dpkg-shlibdeps (dpkg-dev) and file; the
# package test checks with lintian and systemd-analyze and installs with systemd-sysusers.
PACKAGE_PKGS="dpkg-dev file lintian systemd"
TEST_PKGS="redis-server redis-tools python3-redis python3-hiredis ruby-redis php-cli php-redis \
  libredis-perl prometheus-redis-exporter pkg-config golang-go golang-github-gomodule-redigo-dev \
  libhiredis-dev php-predis libredis-fast-perl python3-aioredis lua5.1 lua-redis util-linux \
  python3-requests prometheus curl chromium chromium-driver python3-selenium python3-limits openssl"

install_packages() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

build() {  # build <dir> <build type> <tests ON|OFF> [cmake args...]
  local dir="$1" type="$2" tests="$3"
  shift 3
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" -DTALLY_BUILD_TESTS="$tests" "$@" \
    >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}

package() {  # the Debian package, built with Debian's hardening flags, into build-package/
  install_packages $BUILD_PKGS $PACKAGE_PKGS
  local flags
  flags="$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get CXXFLAGS) \
    $(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get CPPFLAGS)"
  rm -f build-package/*.deb
  build build-package Release OFF -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get LDFLAGS)"
  (cd build-package && cpack >/dev/null)
  ls build-package/*.deb
}

cmd="${1:-}"
shift || true
case "$cmd" in
  run)
    install_packages $BUILD_PKGS
    build build-release Release OFF
    exec build-release/tallyd conf/tally.conf "$@"
    ;;
  test)
    install_packages $BUILD_PKGS $TEST_PKGS clang libclang-rt-14-dev
    # Node clients come from npm (the test installs pinned versions); Node itself from Debian
    # if the machine has none.
    command -v npm >/dev/null 2>&1 || install_packages nodejs npm
    # Everything is built and tested with AddressSanitizer and UndefinedBehaviorSanitizer
    # (their default options are built in: src/util/sanitizer_options.cc).
    build build RelWithDebInfo ON -DTALLY_SANITIZE=ON
    # The fuzzers (clang, libFuzzer): TALLY_FUZZ_SECONDS each, from the checked-in corpus.
    CC=clang CXX=clang++ build build-fuzz RelWithDebInfo OFF -DTALLY_FUZZ=ON -DTALLY_SANITIZE=ON \
      -DTALLY_FUZZ_SECONDS="${TALLY_FUZZ_SECONDS:-60}"
    ctest --test-dir build-fuzz --output-on-failure -j "$(nproc)" -L fuzz
    # The Debian package, for tests/integration/test_package.py.
    package
    ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
    ;;
  package)
    package
    ;;
  bench)
    # ./build.sh bench [compare|scale|sustained|http|micro] [args]: bench/compare.py (default),
    # bench/scale.py, bench/sustained.py, bench/http.py or the Google Benchmark
    # micro-benchmarks. See bench/README.md.
    install_packages $BUILD_PKGS $TEST_PKGS libbenchmark-dev wrk gunicorn python3-flask
    build build-release Release OFF -DTALLY_BUILD_BENCH=ON
    what="${1:-compare}"
    [ $# -gt 0 ] && shift
    case "$what" in
      compare) exec /usr/bin/python3 bench/compare.py --tallyd build-release/tallyd "$@" ;;
      scale) exec /usr/bin/python3 bench/scale.py --tallyd build-release/tallyd "$@" ;;
      sustained) exec /usr/bin/python3 bench/sustained.py --tallyd build-release/tallyd "$@" ;;
      http) exec /usr/bin/python3 bench/http.py --tallyd build-release/tallyd "$@" ;;
      micro) exec build-release/bench/micro/tally_micro_bench "$@" ;;
      *) echo "usage: $0 bench [compare|scale|sustained|http|micro] [args]" >&2; exit 2 ;;
    esac
    ;;
  *)
    echo "usage: $0 run|test|package|bench" >&2
    exit 2
    ;;
esac
