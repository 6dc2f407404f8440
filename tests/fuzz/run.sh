#!/usr/bin/env bash
# Fuzzes ProducerConfig/ConsumerConfig::from_json with libFuzzer for a bounded
# time (default 60 s; FUZZ_SECONDS=N to change). Builds with clang under ASan
# and UBSan in build-fuzz/. Exits non-zero on a crash, leaving the input in
# build-fuzz/crashes/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
"$root/cmake/install-deps.sh"
if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "relkafka: installing clang for libFuzzer"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev
fi

build="$root/build-fuzz"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRELKAFKA_FUZZ=ON -DRELKAFKA_BUILD_TESTS=OFF -DRELKAFKA_BUILD_EXAMPLES=OFF -DRELKAFKA_INSTALL=OFF >/dev/null
cmake --build "$build" -j2 --target config_json_fuzz

mkdir -p "$build/corpus" "$build/crashes"
cp -n "$root"/tests/fuzz/corpus/* "$build/corpus/" 2>/dev/null || true
"$build/tests/fuzz/config_json_fuzz" -max_total_time="${FUZZ_SECONDS:-60}" -max_len=4096 \
  -artifact_prefix="$build/crashes/" "$build/corpus"
