#!/usr/bin/env bash
# Installs missing packages, builds relkafka and runs the demo: a reliable
# producer and an at-least-once consumer group through leader changes, a
# broker restart and a rebalance on an embedded mock cluster, ending with an
# audit line. Arguments go to the demo: `demo.sh --brokers host:9092` runs it
# on a real cluster, with only the rebalance (the other faults need the mock).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/cmake/install-deps.sh"

build=${RELKAFKA_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target demo
"$build/examples/demo" "$@"
