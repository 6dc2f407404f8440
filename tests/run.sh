#!/usr/bin/env bash
# Installs missing packages, builds relkafka and runs the whole test suite.
#
#   tests/run.sh                       # build/ , plain build
#   RELKAFKA_SANITIZE=ON tests/run.sh  # build-sanitize/ , ASan + UBSan
#   RELKAFKA_SANITIZE=thread tests/run.sh   # build-tsan/ , ThreadSanitizer (tests/tsan/README.md)
#   RELKAFKA_TESTS='^(error|stats):' tests/run.sh   # only the tests matching a regex (ctest -R)
#   RELKAFKA_TESTS_EXCLUDE='^consumer' tests/run.sh   # all but those matching a regex (ctest -E)
#   RELKAFKA_TEST_BROKERS=host:9092 tests/run.sh   # integration tests on a real cluster
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/cmake/install-deps.sh"

sanitize=${RELKAFKA_SANITIZE:-OFF}
case "$sanitize" in
  ON|on|1|true) sanitize=ON; default_build="$root/build-sanitize" ;;
  thread) default_build="$root/build-tsan" ;;
  *) sanitize=OFF; default_build="$root/build" ;;
esac
build=${RELKAFKA_BUILD_DIR:-$default_build}

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRELKAFKA_SANITIZE="$sanitize" >/dev/null
cmake --build "$build" -j2

if [ "$sanitize" = ON ]; then
  # librdkafka itself is not instrumented; report only our errors.
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
elif [ "$sanitize" = thread ]; then
  # A report fails the test (exit status 66); suppressions only for librdkafka's own.
  export TSAN_OPTIONS=${TSAN_OPTIONS:-second_deadlock_stack=1:suppressions=$root/tests/tsan/suppressions.txt}
fi

cd "$build"
ctest -j2 --output-on-failure --timeout 300 ${RELKAFKA_TESTS:+-R "$RELKAFKA_TESTS"} \
  ${RELKAFKA_TESTS_EXCLUDE:+-E "$RELKAFKA_TESTS_EXCLUDE"}
