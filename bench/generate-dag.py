#!/usr/bin/env python3
"""Generate the execution-engine benchmark: workflows of trivial actions and equivalent ninja files.

Usage: generate-dag.py OUTDIR

Writes one git repository per shape under OUTDIR, each with
.codecatalyst/workflows/dag.yaml (Name: the shape) and build.ninja describing the same graph:

  independent-1000  1,000 actions, no dependencies
  chain-200         A0002 depends on A0001, A0003 on A0002, ... (200 actions)
  layers-50x20      50 layers of 20 actions; every action of layer k depends on all 20 of
                    layer k-1 (as a ninja edge with 20 implicit inputs would)

Every action runs `true`. The ninja outputs are never created, so ninja reruns every edge each
time, as lockstep does. The workflows use RunMode PARALLEL so repeated runs never queue.

A fourth repository, sources-5000, holds 5,000 files of 2-4 KB in 100 folders and four
workflows: with-sources / without-sources (100 independent actions, with and without
`Inputs: Sources: [WorkflowSource]`) and with-sources-1 / without-sources-1 (one action), to
separate the per-action copy from the one-time export of the sources.

Everything is deterministic (fixed content, fixed commit author and date). Standard library only.
"""

import os
import random
import subprocess
import sys

SHAPES = {
    "independent-1000": (1000, lambda i: []),
    "chain-200": (200, lambda i: [i - 1] if i > 0 else []),
    "layers-50x20": (1000, lambda i: list(range(i // 20 * 20 - 20, i // 20 * 20)) if i >= 20 else []),
}

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}


def name(i):
    return f"A{i + 1:04d}"


def workflow(title, count, depends=lambda i: [], sources=False):
    lines = [f"Name: {title}", 'SchemaVersion: "1.0"', "RunMode: PARALLEL", "Actions:"]
    for i in range(count):
        lines += [f"  {name(i)}:", "    Identifier: aws/build@v1"]
        deps = depends(i)
        if deps:
            lines.append("    DependsOn: [" + ", ".join(name(d) for d in deps) + "]")
        if sources:
            lines += ["    Inputs:", "      Sources: [WorkflowSource]"]
        lines += ["    Configuration:", "      Steps:", '        - Run: "true"']
    return "\n".join(lines) + "\n"


def ninja(count, depends):
    lines = ["rule true", "  command = true", ""]
    for i in range(count):
        deps = depends(i)
        implicit = (" | " + " ".join(name(d).lower() for d in deps)) if deps else ""
        lines.append(f"build {name(i).lower()}: true{implicit}")
    return "\n".join(lines) + "\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def commit(repo):
    env = dict(os.environ, **GIT_ENV)
    run = lambda *args: subprocess.run(["git", "-C", repo, *args], env=env, check=True,
                                       stdout=subprocess.DEVNULL)
    run("init", "-q", "-b", "main")
    run("add", "-A")
    run("commit", "-q", "-m", "benchmark")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: generate-dag.py OUTDIR")
    out = sys.argv[1]
    if os.path.exists(out):
        sys.exit(f"generate-dag.py: {out} exists; remove it first")
    for shape, (count, depends) in SHAPES.items():
        repo = os.path.join(out, shape)
        write(os.path.join(repo, ".codecatalyst/workflows/dag.yaml"),
              workflow(shape, count, depends))
        write(os.path.join(repo, "build.ninja"), ninja(count, depends))
        write(os.path.join(repo, ".gitignore"), ".ninja_log\n.ninja_deps\n")
        commit(repo)

    repo = os.path.join(out, "sources-5000")
    rng = random.Random(5000)
    words = ["alpha", "beta", "gamma", "delta", "lambda", "sigma", "omega", "kappa"]
    for i in range(5000):
        size = rng.randint(2048, 4096)
        text, n = [], 0
        while n < size:
            line = f"{i:04d} " + " ".join(rng.choice(words) for _ in range(8)) + "\n"
            text.append(line)
            n += len(line)
        write(os.path.join(repo, f"src/d{i // 50:03d}/f{i % 50:02d}.txt"), "".join(text)[:size])
    flows = os.path.join(repo, ".codecatalyst/workflows")
    for title, count, sources in [("with-sources", 100, True), ("without-sources", 100, False),
                                  ("with-sources-1", 1, True), ("without-sources-1", 1, False)]:
        write(os.path.join(flows, f"{title}.yaml"), workflow(title, count, sources=sources))
    commit(repo)


if __name__ == "__main__":
    main()
