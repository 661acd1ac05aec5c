#!/usr/bin/env python3
"""What rollouts cost on top of the work they carry out, from `lockstep rollout ID --json` files.

Usage: rollout_overhead.py [--each] FILE[=PLAN_MS]...

  total     created_at -> finished_at, plus PLAN_MS (a plan made before the rollout was recorded)
  work      the runs on the critical path (per stage, the longest run) and the integration checks
  overhead  total - work: planning, state, the sync, audit, starting the next stage, a rollback

Prints a Markdown table: one row per rollout with --each, else the medians.
"""
import datetime
import json
import statistics
import sys


def ms(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000


def measure(path, plan_ms):
    r = json.load(open(path))
    stage_of = {repo: i for i, stage in enumerate(r["plan"]["stages"]) for repo in stage}
    longest, integration, sync = {}, 0, 0
    for step in r["steps"]:
        if step["kind"] == "sync":
            sync += step["duration_ms"]
        elif step["kind"] == "run":
            stage = stage_of[step["subject"].split("/")[0]]
            longest[stage] = max(longest.get(stage, 0), step["duration_ms"])
        elif step["kind"] == "integration":
            integration += step["duration_ms"]
    total = ms(r["finished_at"]) - ms(r["created_at"]) + plan_ms
    work = sum(longest.values()) + integration
    return {"id": r["id"], "state": r["state"], "total": total, "work": work,
            "overhead": total - work, "plan": plan_ms, "sync": sync}


def main(arguments):
    each = "--each" in arguments
    rows = []
    for argument in (a for a in arguments if a != "--each"):
        path, _, plan = argument.partition("=")
        rows.append(measure(path, int(plan or 0)))
    print("| rollout | state | total | work: runs on the critical path + checks | overhead | "
          "overhead / total | of it: plan before the rollout | of it: sync |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    if not each:
        median = {k: statistics.median(row[k] for row in rows)
                  for k in ("total", "work", "overhead", "plan", "sync")}
        median.update(id=f"median of {len(rows)}", state="")
        rows = [median]
    for row in rows:
        print(f"| {row['id']} | {row['state']} | {row['total']:.0f} ms | {row['work']:.0f} ms | "
              f"{row['overhead']:.0f} ms | {100 * row['overhead'] / row['total']:.1f}% | "
              f"{row['plan']:.0f} ms | {row['sync']:.0f} ms |")


if __name__ == "__main__":
    main(sys.argv[1:])
