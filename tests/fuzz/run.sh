#!/usr/bin/env bash
# Fuzzes ProducerConfig/ConsumerConfig::from_json with libFuzzer for a bounded
# time (default 60 s; FUZZ_SECONDS=N to change). Builds the library and the
# target with clang, coverage instrumentation, ASan and UBSan in build-fuzz/,
# seeded with tests/fuzz/corpus/ and the example configs (examples/*.json).
# Exits non-zero on a crash, leaving the input in build-fuzz/crashes/. Where
# clang and libFuzzer cannot be installed it says so and exits 0.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
skip() { echo "relkafka: RELKAFKA-SKIPPED: fuzz: $*"; exit 0; }
"$root/cmake/install-deps.sh" --fuzz || skip "cmake/install-deps.sh --fuzz could not install clang with libFuzzer"
command -v clang++ >/dev/null || skip "no clang++ on PATH"
clang_fuzzer=$(clang++ -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)
[ -f "$clang_fuzzer" ] || skip "clang++ has no libFuzzer runtime (libclang_rt.fuzzer-x86_64.a)"

build="$root/build-fuzz"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRELKAFKA_FUZZ=ON -DRELKAFKA_BUILD_TESTS=OFF -DRELKAFKA_BUILD_EXAMPLES=OFF -DRELKAFKA_INSTALL=OFF >/dev/null
cmake --build "$build" -j2 --target config_json_fuzz

mkdir -p "$build/corpus" "$build/crashes"
cp "$root"/tests/fuzz/corpus/* "$build/corpus/"
for example in "$root"/examples/*.json; do
  cp "$example" "$build/corpus/example-$(basename "$example")"
done
# -max_len reaches inputs of the size item 10's deep nesting needs (200 KB);
# -timeout makes a hang a failure well within the bounded run.
"$build/tests/fuzz/config_json_fuzz" -max_total_time="${FUZZ_SECONDS:-60}" -max_len=262144 -timeout=20 \
  -print_final_stats=1 -artifact_prefix="$build/crashes/" "$build/corpus"
