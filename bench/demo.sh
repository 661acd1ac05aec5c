#!/usr/bin/env bash
# The registry demo, timed: `lockstep demo` from nothing (fresh workspace, empty compiler
# caches) to its end, with the time of each act; then what each of its four rollouts cost on
# top of its runs (bench/rollout_overhead.py, from the rollouts' own records, read from a
# server started again on the demo's workspace).
#
# Goals: the whole story under 3 minutes on 2 cores, compilation included (issue 7); a
# rollout's overhead under 5% of it (issue 6, on this example). Needs make release's
# build/release/lockstep, and what the example builds with (cmake, g++, Boost, SQLite,
# nlohmann-json, GoogleTest, ccache). Results: bench/out/demo.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=$root/build/release/lockstep
work=$(mktemp -d /tmp/lockstep-bench-demo.XXXXXX)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server"; rm -rf "$work"' EXIT
unset LOCKSTEP_HOME LOCKSTEP_URL

start=$(date +%s%N)
"$bin" demo --dir "$work/ws" --api 127.0.0.1:0 --gateway 127.0.0.1:0 >"$work/demo.out"
total_ms=$((($(date +%s%N) - start) / 1000000))

cd "$work/ws"
"$bin" serve --api 127.0.0.1:0 --gateway 127.0.0.1:0 --poll-interval 0 >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do "$bin" status >/dev/null 2>&1 && break; sleep 0.1; done
for id in 1 2 3 4; do "$bin" rollout "$id" --json >"$work/rollout-$id.json"; done

mkdir -p "$root/bench/out"
{
  printf 'lockstep demo, start to end: %.1f s (%s, %s cores)\n\n' "$((total_ms))e-3" \
    "$(uname -m)" "$(nproc)"
  sed -n '/^  act  rollout/,/^$/p' "$work/demo.out"
  "$root/bench/rollout_overhead.py" --each "$work"/rollout-{1,2,3,4}.json
} | tee "$root/bench/out/demo.md"
