#!/usr/bin/env bash
# What a rollout costs on top of the work it carries out: the three repositories of
# examples/coordination (api -> sync -> infrastructure -> frontend, a deployment with a health
# gate in each of the last two, two integration checks), rolled out ROLLOUTS times, each after
# a commit in the api repository. For each rollout, from its own record (`lockstep rollout ID
# --json`):
#
#   total     created_at -> finished_at, plus the plan made before it was recorded (timed
#             here as a whole `lockstep plan` process, which overstates it)
#   work      the runs on the critical path (per stage, the longest run) and the integration
#             checks: what the rollout is asked to do
#   overhead  total - work: planning, state, sync bookkeeping and the sync itself, audit,
#             starting the next stage
#
# Goal (issue 6): overhead under 5% of the rollout. Needs make release's build/release/lockstep
# and lockstep_test_handler, git, curl, python3. Results: bench/out/rollout.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=$root/build/release/lockstep
handler=$root/build/release/lockstep_test_handler
rollouts=${ROLLOUTS:-10}
work=$(mktemp -d /tmp/lockstep-bench-rollout.XXXXXX)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server"; rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
unset LOCKSTEP_HOME

mkdir -p "$work/workspace"
for repository in api infrastructure frontend; do
  cp -r examples/coordination/$repository "$work/$repository"
  (cd "$work/$repository" && git init -q -b main && git add -A && git commit -qm "$repository")
done
sed "s|@HANDLER@|$handler|" examples/coordination/lockstep.yaml >"$work/workspace/lockstep.yaml"
cd "$work/workspace"
"$bin" serve --api 127.0.0.1:0 --gateway 127.0.0.1:0 --poll-interval 0 >serve.log 2>&1 &
server=$!
for _ in $(seq 100); do [ -f .lockstep/serve.json ] && break; sleep 0.1; done
"$bin" up >/dev/null  # the first rollout deploys everything; not measured

plan_ms=()
for i in $(seq "$rollouts"); do
  (cd "$work/api" && echo "release $i" >src/message.txt && git commit -qam "release $i")
  start=$(date +%s%N)
  "$bin" plan --json >/dev/null
  plan_ms+=($((($(date +%s%N) - start) / 1000000)))
  "$bin" up >/dev/null
done
for id in $(seq 2 $((rollouts + 1))); do "$bin" rollout "$id" --json >"rollout-$id.json"; done

mkdir -p "$root/bench/out"
arguments=()
for i in $(seq "$rollouts"); do arguments+=("rollout-$((i + 1)).json=${plan_ms[$((i - 1))]}"); done
"$root/bench/rollout_overhead.py" "${arguments[@]}" | tee "$root/bench/out/rollout.md"
