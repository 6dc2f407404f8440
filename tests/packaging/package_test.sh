#!/usr/bin/env bash
# Installs relkafka into a prefix under <work-dir>, then builds
# consumer_project/main.cpp against the installed package three ways and runs
# each program: find_package with the shared libraries, find_package with the
# static ones, and pkg-config.
#
#   package_test.sh <relkafka-source-dir> <work-dir> <expected-version>
#
# relkafka is built again in <work-dir>, without sanitizers whatever the
# calling build uses. CMAKE, CXX and CMAKE_GENERATOR choose the tools.
set -euo pipefail

src=$1
work=$2
version=$3
cmake=${CMAKE:-cmake}
cxx=${CXX:-c++}
consumer_src="$src/tests/packaging/consumer_project"
prefix="$work/prefix"

step() { echo "== $*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }

# The library's build dir is reused between runs; the rest starts afresh.
rm -rf "$prefix" "$work"/consumer-*

step "build relkafka $version and install it into $prefix"
"$cmake" -S "$src" -B "$work/relkafka" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DRELKAFKA_INSTALL=ON -DRELKAFKA_BUILD_TESTS=OFF -DRELKAFKA_BUILD_EXAMPLES=OFF -DRELKAFKA_SANITIZE=OFF >/dev/null
"$cmake" --build "$work/relkafka" -j2
"$cmake" --install "$work/relkafka" >/dev/null

for variant in shared static; do
  step "find_package(relkafka), $variant libraries"
  build="$work/consumer-cmake-$variant"
  shared=$([ "$variant" = shared ] && echo ON || echo OFF)
  "$cmake" -S "$consumer_src" -B "$build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DRELKAFKA_EXPECTED_VERSION="$version" -Drelkafka_SHARED_LIBS="$shared" >/dev/null
  "$cmake" --build "$build"
  if readelf -d "$build/consumer" | grep -q 'NEEDED.*librelkafka'; then linked=shared; else linked=static; fi
  [ "$linked" = "$variant" ] || fail "consumer linked the $linked libraries, expected the $variant ones"
  "$build/consumer"
done

step "pkg-config relkafka relkafka-testing"
pc_file=$(find "$prefix" -name relkafka.pc)
[ -n "$pc_file" ] || fail "no relkafka.pc under $prefix"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc_file")
pkg-config --print-errors --exact-version="$version" relkafka relkafka-testing
read -ra flags <<<"$(pkg-config --cflags --libs relkafka-testing relkafka)"
"$cxx" -std=c++17 -Wall -Wextra -Wpedantic -Werror -o "$work/consumer-pkg-config" "$consumer_src/main.cpp" "${flags[@]}"
LD_LIBRARY_PATH=$(pkg-config --variable=libdir relkafka) "$work/consumer-pkg-config"

step "all passed"
