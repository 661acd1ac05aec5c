#!/usr/bin/env bash
# Runs the workflow fuzzer for a bounded time (default 300 s) on a corpus seeded with the
# test fixtures. Usage: fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
corpus=fuzz/corpus-run
mkdir -p "$corpus" fuzz/artifacts
cp tests/workflows/valid/*.yaml tests/workflows/invalid/*.yaml tests/workflows/demo/*.yaml "$corpus"/
build/fuzz/workflow_fuzzer "$corpus" -dict=fuzz/workflow.dict -max_total_time="$seconds" \
  -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix=fuzz/artifacts/
