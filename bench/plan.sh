#!/usr/bin/env bash
# `lockstep plan --json` for a generated workspace of 200 real git repositories with 1,000
# workflows, `after` edges forming a DAG, 20 sync rules and 20 repositories changed since the
# recorded commits (bench/generate-workspace.py). The recorded commits are given with
# `--baseline-file`, the user-visible way to plan against chosen commits, so the benchmark
# runs exactly what a user runs and needs no state store. Goal: under 200 ms.
#
#   bench/plan.sh        (needs make release's build/release/lockstep, python3, git;
#                         hyperfine if installed, else a loop timed with date)
#
# Data and results: bench/out/plan/, bench/out/plan.md.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out/plan
bin=build/release/lockstep
runs=${RUNS:-20}
[ -f "$out/ws/lockstep.yaml" ] || bench/generate-workspace.py "$out"

cmd=("$bin" plan --json --workspace "$out/ws/lockstep.yaml" --baseline-file "$out/baseline.txt")
# The plan must be the one the workspace was made for before its time means anything.
"${cmd[@]}" >"$out/plan.json"
python3 - "$out/plan.json" <<'EOF'
import json, sys
plan = json.load(open(sys.argv[1]))
changed = len(plan["changes"])
assert changed == 20, f"expected 20 changed repositories, found {changed}"
workflows = sum(len(r["workflows"]) + len(r["not_firing"]) for r in plan["repositories"])
fire = sum(len(r["workflows"]) for r in plan["repositories"])
print(f"plan: {changed} changed, {len(plan['syncs'])} syncs, {len(plan['repositories'])} "
      f"affected repositories in {len(plan['stages'])} stages, {fire} of {workflows} "
      f"workflows evaluated fire")
print(f"strategy: {plan['strategy']}")
EOF

if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 3 --runs "$runs" --export-markdown bench/out/plan.md \
    -n "lockstep plan --json (200 repositories, 20 changed)" "${cmd[*]}"
else
  times=()
  for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    "${cmd[@]}" >/dev/null
    times+=($((($(date +%s%N) - start) / 1000)))
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
  echo "lockstep plan --json: median $((median / 1000)).$(printf '%03d' $((median % 1000))) ms" \
    "of $runs runs" | tee bench/out/plan.md
fi
