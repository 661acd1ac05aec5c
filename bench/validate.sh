#!/usr/bin/env bash
# Validating 1,000 workflow files of 50-300 lines: lockstep against AWS's own JSON Schema
# checked by ajv (the same files, YAML parsed by js-yaml). Goal: lockstep under 1 s in total.
# Needs: make release, scripts/bootstrap bench. Usage: bench/validate.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000}
dir=bench/out/workflows-$count
if [ ! -d "$dir" ]; then
  bench/generate-workflows.py "$dir" "$count" --seed 1
fi
lines=$(cat "$dir"/*.yaml | wc -l)
echo "bench: $count files, $lines lines, $(du -sh "$dir" | cut -f1) in $dir"
# Both must agree that every generated file is valid before timing means anything.
build/release/lockstep validate --no-source "$dir" | tail -1
node tests/schema/aws-schema-check.mjs "$dir" | grep -vc '^valid ' | sed 's/^/ajv: invalid files: /' || true
hyperfine --warmup 2 --runs 10 --export-markdown bench/out/validate.md \
  -n "lockstep validate" "build/release/lockstep validate --no-source $dir" \
  -n "ajv + AWS schema" "node tests/schema/aws-schema-check.mjs $dir"
