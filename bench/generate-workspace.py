#!/usr/bin/env python3
"""Generate a deterministic workspace for benchmarking `lockstep plan`.

Usage: generate-workspace.py OUTDIR [--repositories N] [--changed N] [--seed N]

Writes OUTDIR/repos/rNNN (real git repositories, made with the git command line) and
OUTDIR/ws/lockstep.yaml naming them:
  * each repository has 25 files (src/, docs/, config/) and 5 workflows with varied
    triggers: Branches only, FilesChanged only, both, a branch that never matches, and a
    PUSH + PULLREQUEST pair; each workflow has two actions;
  * `after` edges form a DAG: about 40% of the repositories are after one earlier repository
    (at most 30 places back), so changes reach chains of repositories but not all of them;
  * 20 sync rules copy rI:src into rJ:vendor/rI for I < J;
  * after the first commit of every repository, OUTDIR/baseline.txt records the heads
    (REPOSITORY=COMMIT, what `lockstep plan --baseline-file` reads); then --changed
    repositories get one more commit: three in four change src/main.cc, the rest docs/.

Standard library only.
"""

import argparse
import os
import random
import subprocess

GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost",
       "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"]

WORKFLOWS = [
    ("build", "    Branches:\n      - main\n    FilesChanged:\n      - src/.*\n"),
    ("docs", "    FilesChanged:\n      - docs/.*\n"),
    ("deploy", "    Branches:\n      - main\n"),
    ("release", "    Branches:\n      - release-.*\n"),
    ("config", "    Branches:\n      - main\n      - develop\n    FilesChanged:\n"
               "      - config/.*\n      - vendor/.*\n"),
]


def workflow(repo, kind, push):
    extra = ""
    if kind == "config":
        extra = ("  - Type: PULLREQUEST\n    Events:\n      - OPEN\n      - REVISION\n"
                 "    Branches:\n      - main\n")
    return (f"Name: {repo}-{kind}\nSchemaVersion: \"1.0\"\nTriggers:\n  - Type: PUSH\n{push}"
            f"{extra}Actions:\n  Build:\n    Identifier: aws/build@v1\n    Configuration:\n"
            f"      Steps:\n        - Run: make build\n  Test:\n    Identifier: aws/build@v1\n"
            f"    DependsOn:\n      - Build\n    Configuration:\n      Steps:\n"
            f"        - Run: make test\n")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as out:
        out.write(text)


def git(repo, *args):
    return subprocess.run(GIT + list(args), cwd=repo, check=True, capture_output=True,
                          text=True).stdout.strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir")
    parser.add_argument("--repositories", type=int, default=200)
    parser.add_argument("--changed", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    out = os.path.abspath(args.outdir)
    names = [f"r{i:03d}" for i in range(args.repositories)]

    heads = {}
    for i, name in enumerate(names):
        repo = os.path.join(out, "repos", name)
        os.makedirs(repo)
        git(repo, "init", "-q")
        write(os.path.join(repo, "src/main.cc"), f"// {name}\nint main() {{ return 0; }}\n")
        for f in range(20):
            write(os.path.join(repo, f"src/pkg/file{f:02d}.cc"), f"// {name} file {f}\n")
        write(os.path.join(repo, "docs/readme.md"), f"# {name}\n")
        write(os.path.join(repo, "config/settings.yaml"), f"name: {name}\n")
        write(os.path.join(repo, "Makefile"), "build:\n\ttrue\ntest:\n\ttrue\n")
        for w, (kind, push) in enumerate(WORKFLOWS):
            write(os.path.join(repo, f".codecatalyst/workflows/{kind}.yaml"),
                  workflow(name, kind, push))
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "first")
        heads[name] = git(repo, "rev-parse", "HEAD")

    lines = ["version: 1", "name: bench", "repositories:"]
    for i, name in enumerate(names):
        after = ""
        if i >= 10 and rng.random() < 0.4:
            after = f", after: [{names[rng.randrange(max(0, i - 30), i)]}]"
        lines.append(f"  {name}: {{ path: ../repos/{name}{after} }}")
    lines.append("sync:")
    pairs = set()
    while len(pairs) < min(20, args.repositories // 2):
        a, b = sorted(rng.sample(range(args.repositories), 2))
        pairs.add((a, b))
    for a, b in sorted(pairs):
        lines.append(f"  - {{ from: \"{names[a]}:src\", to: \"{names[b]}:vendor/{names[a]}\" }}")
    lines.append("environments:\n  local: { auto: true }")
    write(os.path.join(out, "ws/lockstep.yaml"), "\n".join(lines) + "\n")
    write(os.path.join(out, "baseline.txt"),
          "".join(f"{name}={heads[name]}\n" for name in names))

    for n, i in enumerate(sorted(rng.sample(range(args.repositories), args.changed))):
        repo = os.path.join(out, "repos", names[i])
        target = "src/main.cc" if n % 4 != 3 else "docs/readme.md"
        with open(os.path.join(repo, target), "a") as f:
            f.write("// changed\n")
        git(repo, "commit", "-q", "-am", "change")


if __name__ == "__main__":
    main()
