#!/usr/bin/env bash
# The execution engine against ninja: workflows of trivial actions (`Run: "true"`) in three
# shapes (1,000 independent, a chain of 200, 50 layers of 20 with all-to-all edges between
# layers) and the same graphs as build.ninja files, both at -j 2, timed with hyperfine.
# Goals: lockstep's per-action overhead at most 2x ninja's on every shape; peak memory of a
# 1,000-action run under 64 MB; giving an action its copy of a 5,000-file source tree under
# 10 ms per action (100 actions with Sources against 100 without; one against none isolates
# the one-time export of the snapshot).
#
#   scripts/bootstrap bench && make release && bench/run.sh
#
# LOCKSTEP=path/to/lockstep overrides build/release/lockstep; BENCH_STATE=dir moves lockstep's
# state directory (default bench/out/dag-state, e.g. /dev/shm/x to take the disk out of it).
# Data and results: bench/out/ (engine-*.json, engine-*.md, engine-summary.md).
set -euo pipefail
cd "$(dirname "$0")/.."
lockstep=${LOCKSTEP:-build/release/lockstep}
out=bench/out
data=$out/dag
state=${BENCH_STATE:-$out/dag-state}

if ! "$lockstep" run --help >/dev/null 2>&1; then
  echo "bench/run.sh: $lockstep is missing or has no 'run' command: run 'make release' first" >&2
  exit 1
fi
if [ -z "${LOCKSTEP:-}" ] && [ -n "$(find src CMakeLists.txt -newer "$lockstep" -print -quit)" ]; then
  echo "bench/run.sh: warning: src/ is newer than $lockstep; 'make release' to measure it" >&2
fi
for tool in hyperfine ninja python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench/run.sh: no $tool: scripts/bootstrap bench" >&2; exit 1; }
done
[ -d "$data" ] || bench/generate-dag.py "$data"

echo "state directory: $state ($(df -T "$(dirname "$state")" | awk 'NR == 2 {print $2}'))"
echo "load before: $(uptime)"
# Every lockstep run starts from an empty state directory (and ninja from no .ninja_log), so
# run N does the same work as run 1.
lockstep_run() {  # WORKFLOW REPO
  echo "LOCKSTEP_HOME=$state $lockstep run $1 -j 2 --repo $2"
}
for shape in independent-1000 chain-200 layers-50x20; do
  runs=5
  [ "$shape" = chain-200 ] && runs=10
  hyperfine --warmup 1 --runs "$runs" --prepare "rm -rf $state $data/$shape/.ninja_log" \
    --export-json "$out/engine-$shape.json" --export-markdown "$out/engine-$shape.md" \
    -n "lockstep $shape" "$(lockstep_run "$shape" "$data/$shape")" \
    -n "ninja $shape" "ninja -C $data/$shape -j 2"
done

rm -rf "$state"
/usr/bin/time -v -o "$out/engine-memory.txt" env LOCKSTEP_HOME="$state" \
  "$lockstep" run independent-1000 -j 2 --repo "$data/independent-1000" >/dev/null 2>&1
peak_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/engine-memory.txt")

sources=$data/sources-5000
hyperfine --warmup 1 --runs 10 --prepare "rm -rf $state" \
  --export-json "$out/engine-sources-100.json" --export-markdown "$out/engine-sources-100.md" \
  -n "100 actions with sources" "$(lockstep_run with-sources "$sources")" \
  -n "100 actions without" "$(lockstep_run without-sources "$sources")"
hyperfine --warmup 1 --runs 20 --prepare "rm -rf $state" \
  --export-json "$out/engine-sources-1.json" --export-markdown "$out/engine-sources-1.md" \
  -n "1 action with sources" "$(lockstep_run with-sources-1 "$sources")" \
  -n "1 action without" "$(lockstep_run without-sources-1 "$sources")"
echo "load after: $(uptime)"

python3 - "$out" "$peak_kb" <<'EOF'
import json, sys
out, peak_kb = sys.argv[1], int(sys.argv[2])
def load(name):
    return [(r["mean"], r["stddev"] or 0.0) for r in json.load(open(f"{out}/{name}.json"))["results"]]
ms = lambda s: f"{s * 1000:.1f}"
lines = ["| shape | lockstep mean ± sd (ms) | ninja mean ± sd (ms) | lockstep/action | "
         "ninja/action | ratio (goal ≤ 2) |", "| --- | --- | --- | --- | --- | --- |"]
for shape, actions in [("independent-1000", 1000), ("chain-200", 200), ("layers-50x20", 1000)]:
    (lm, ls), (nm, ns) = load(f"engine-{shape}")
    lines.append(f"| {shape} | {ms(lm)} ± {ms(ls)} | {ms(nm)} ± {ms(ns)} | "
                 f"{lm / actions * 1e3:.2f} ms | {nm / actions * 1e3:.2f} ms | {lm / nm:.2f} |")
lines.append(f"\nPeak RSS, 1,000 independent actions: {peak_kb / 1024:.1f} MiB (goal < 64 MB)")
(w, ws), (wo, wos) = load("engine-sources-100")
(w1, _), (wo1, _) = load("engine-sources-1")
# The 100-action difference holds one export of the snapshot plus 100 copies; the 1-action
# difference holds the export plus one copy. Their difference is 99 copies.
per_action = ((w - wo) - (w1 - wo1)) / 99
export = (w1 - wo1) - per_action
lines.append(f"Sources, 100 actions: {ms(w)} ± {ms(ws)} ms with, {ms(wo)} ± {ms(wos)} ms without; "
             f"1 action: {ms(w1)} ms with, {ms(wo1)} ms without")
lines.append(f"Per-action copy: {per_action * 1e3:.2f} ms (goal < 10 ms); one-time export of the "
             f"snapshot: {export * 1e3:.1f} ms")
text = "\n".join(lines)
print(text)
open(f"{out}/engine-summary.md", "w").write(text + "\n")
EOF
